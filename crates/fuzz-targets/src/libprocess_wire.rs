//! The libprocess wire (`libprocess::wire`, `libprocess::upid`): the incremental HTTP/1.1
//! request decoder must give the same requests and the same error whatever the chunking;
//! every message read re-encodes (as libprocess writes it) to bytes that decode to the same
//! message; a process id prints to text that parses back to it.

use libprocess::wire::{encode, Request};
use libprocess::{Message, RequestDecoder, Upid, WireError};

/// Decodes `data` fed `step` bytes at a time: the requests, then the first error, if any.
fn decode(data: &[u8], step: usize) -> (Vec<Request>, Option<WireError>) {
    let mut d = RequestDecoder::default();
    let mut out = Vec::new();
    for chunk in data.chunks(step.max(1)) {
        d.feed(chunk);
        loop {
            match d.next_request() {
                Ok(Some(r)) => out.push(r),
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
    }
    (out, None)
}

pub fn run(data: &[u8]) {
    // The chunk size varies with the input without taking any of its bytes.
    let step = data.len() % 13 + 1;
    let (requests, error) = decode(data, data.len());
    let (chunked, chunked_error) = decode(data, step);
    assert_eq!(
        requests, chunked,
        "requests differ when fed in chunks of {step}"
    );
    assert_eq!(
        error, chunked_error,
        "the error differs when fed in chunks of {step}"
    );

    for request in requests {
        for name in ["Libprocess-From", "User-Agent"] {
            if let Some(value) = request.header(name) {
                upid_round_trip(value.strip_prefix("libprocess/").unwrap_or(value));
            }
        }
        if let Ok(message) = Message::from_request(request) {
            message_round_trip(message);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        upid_round_trip(text);
    }
}

fn upid_round_trip(text: &str) {
    let Ok(upid) = text.parse::<Upid>() else {
        return;
    };
    let printed = upid.to_string();
    let back: Upid = printed
        .parse()
        .unwrap_or_else(|e| panic!("{text:?} parsed, its printing {printed:?} does not: {e}"));
    assert_eq!(upid, back, "{text:?} -> {printed:?}: not a round trip");
}

/// What libprocess's encoder can carry: it writes the receiver and the name into the
/// request line as they are (the names libprocess gives its actors and messages never need
/// escaping), so only such names come back unchanged.
fn plain(s: &str, slash_ok: bool) -> bool {
    s.chars().all(|c| {
        !c.is_control() && !c.is_whitespace() && c != '%' && c != '?' && (slash_ok || c != '/')
    })
}

fn message_round_trip(message: Message) {
    if message.to.is_empty() || !plain(&message.to, false) || !plain(&message.name, true) {
        return;
    }
    let to = Upid::new(
        message.to.clone(),
        "127.0.0.1:5051".parse().expect("an address"),
    );
    let bytes = encode(&message.from, &to, &message.name, &message.body);
    let (requests, error) = decode(&bytes, bytes.len());
    assert_eq!(error, None, "our own encoding does not decode");
    assert_eq!(requests.len(), 1, "our own encoding is not one request");
    let back = Message::from_request(requests.into_iter().next().expect("one request"))
        .unwrap_or_else(|e| panic!("our own encoding is not a message: {e}"));
    assert_eq!(
        message, back,
        "libprocess message encode/decode is not a round trip"
    );
}
