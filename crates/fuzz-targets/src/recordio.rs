//! RecordIO framing (`mesos_types::recordio`): the decoder must give the same records and
//! the same error whatever the chunking of the stream, the records it gives must encode and
//! decode back to themselves, and the size bound must hold.

use mesos_types::recordio::{encode_into, Decoder, RecordIoError};

/// Feeds `data` in chunks of `step` bytes, stopping at the first error.
fn decode_in_chunks(
    data: &[u8],
    step: usize,
    max: usize,
) -> (Vec<Vec<u8>>, Result<(), RecordIoError>) {
    let mut d = Decoder::new(max);
    let mut out = Vec::new();
    for chunk in data.chunks(step.max(1)) {
        if let Err(e) = d.feed_into(chunk, &mut out) {
            return (out, Err(e));
        }
    }
    let end = d.finish();
    (out, end)
}

pub fn run(data: &[u8]) {
    // The first byte picks a chunk size and a record bound, so that the fuzzer explores both;
    // the stream is the whole input either way.
    let knob = data.first().copied().unwrap_or(0) as usize;
    let step = knob % 7 + 1;
    let small_max = knob % 32;

    let mut whole = Decoder::default();
    let mut records = Vec::new();
    let fed = whole.feed_into(data, &mut records);
    let end = match &fed {
        Ok(()) => whole.finish(),
        Err(e) => Err(e.clone()),
    };

    let (chunked, chunked_end) =
        decode_in_chunks(data, step, mesos_types::recordio::DEFAULT_MAX_RECORD_SIZE);
    assert_eq!(
        records, chunked,
        "records differ when fed in chunks of {step}"
    );
    assert_eq!(
        end, chunked_end,
        "outcome differs when fed in chunks of {step}"
    );

    // Byte by byte is the worst chunking an HTTP body can have.
    let (bytewise, bytewise_end) =
        decode_in_chunks(data, 1, mesos_types::recordio::DEFAULT_MAX_RECORD_SIZE);
    assert_eq!(records, bytewise);
    assert_eq!(end, bytewise_end);

    // What was decoded encodes to a stream that decodes to the same records, cleanly.
    let mut encoded = Vec::new();
    for r in &records {
        encode_into(&mut encoded, r);
    }
    let mut again = Decoder::default();
    assert_eq!(
        again.feed(&encoded).expect("our own encoding decodes"),
        records
    );
    again
        .finish()
        .expect("our own encoding ends between records");
    if end.is_ok() {
        // The canonical form is never longer than the input (a length may have had leading
        // zeros), and a stream without leading zeros is its own canonical form.
        assert!(encoded.len() <= data.len());
        if !has_leading_zero_length(data) {
            assert_eq!(encoded, data, "a clean stream re-encodes to itself");
        }
    }

    // A bound: every record delivered fits it, and a refusal names a length above it.
    let (bounded, bounded_end) = decode_in_chunks(data, step, small_max);
    assert!(bounded.iter().all(|r| r.len() <= small_max));
    assert!(bounded.len() <= records.len() && records[..bounded.len()] == bounded[..]);
    if let Err(RecordIoError::RecordTooLarge { len, max }) = bounded_end {
        assert!(len > max as u64 && max == small_max);
    }
}

/// True if any record length in the (cleanly decoding) stream `data` has a leading zero.
fn has_leading_zero_length(mut data: &[u8]) -> bool {
    while !data.is_empty() {
        let nl = data
            .iter()
            .position(|&b| b == b'\n')
            .expect("a clean stream");
        let digits = &data[..nl];
        if digits.len() > 1 && digits[0] == b'0' {
            return true;
        }
        let len: usize = std::str::from_utf8(digits).unwrap().parse().unwrap();
        data = &data[nl + 1 + len..];
    }
    false
}
