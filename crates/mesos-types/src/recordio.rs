//! RecordIO, the framing of the v1 streaming responses: each record is its payload length as
//! ASCII decimal digits, one `\n`, then exactly that many payload bytes, with nothing
//! between records. HTTP chunk boundaries mean nothing, so the decoder is incremental: feed
//! it whatever bytes arrive and it hands back the complete records.

/// Largest record the decoder accepts unless told otherwise (64 MiB: a `TaskInfo.data` can be
/// large, but a length beyond this is garbage or an attack, not an event).
pub const DEFAULT_MAX_RECORD_SIZE: usize = 64 << 20;

/// Digits beyond this cannot be a length below [`usize::MAX`]; stop reading them early.
const MAX_LENGTH_DIGITS: usize = 20;

/// Appends the record framing `payload` to `out`.
pub fn encode_into(out: &mut Vec<u8>, payload: &[u8]) {
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload);
}

/// The record framing `payload`: `<len>\n<payload>`.
pub fn encode(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 21);
    encode_into(&mut out, payload);
    out
}

/// Bytes that are not a RecordIO stream. After an error the decoder stays failed: the
/// stream has lost its framing and cannot be resynchronised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordIoError {
    /// Something other than a digit or `\n` where a record length belongs.
    #[error("invalid RecordIO length: byte {byte:#04x} ({shown}) at stream offset {offset} is not a decimal digit")]
    NonDigitLength {
        byte: u8,
        shown: String,
        offset: u64,
    },
    /// A `\n` with no digits before it.
    #[error("invalid RecordIO length: empty length at stream offset {offset}")]
    EmptyLength { offset: u64 },
    /// A length that does not fit in memory, or more digits than any sane length has.
    #[error("invalid RecordIO length: '{digits}…' is too long a number")]
    LengthOverflow { digits: String },
    /// A record larger than the decoder's bound.
    #[error("RecordIO record of {len} bytes exceeds the limit of {max} bytes")]
    RecordTooLarge { len: u64, max: usize },
    /// The stream ended inside a record.
    #[error("RecordIO stream truncated: ended {got} bytes into a record of {expected} bytes")]
    Truncated { expected: usize, got: usize },
    /// The stream ended in the middle of a length.
    #[error("RecordIO stream truncated inside a record length ('{digits}')")]
    TruncatedLength { digits: String },
    /// The decoder failed earlier.
    #[error("RecordIO decoder already failed: {0}")]
    Failed(Box<RecordIoError>),
}

#[derive(Debug)]
enum State {
    /// Reading the digits of a length.
    Length {
        digits: String,
    },
    /// Reading `expected` payload bytes into `payload`.
    Payload {
        expected: usize,
        payload: Vec<u8>,
    },
    Failed(RecordIoError),
}

/// Incremental RecordIO decoder with a record-size bound.
#[derive(Debug)]
pub struct Decoder {
    state: State,
    max_record: usize,
    /// Bytes consumed so far, for error messages.
    offset: u64,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_RECORD_SIZE)
    }
}

impl Decoder {
    /// A decoder refusing records larger than `max_record` bytes.
    pub fn new(max_record: usize) -> Self {
        Self {
            state: State::Length {
                digits: String::new(),
            },
            max_record,
            offset: 0,
        }
    }

    /// Consumes `data` and appends every record it completes to `out`, in order. On error
    /// the records completed before the bad byte are still in `out`.
    pub fn feed_into(
        &mut self,
        mut data: &[u8],
        out: &mut Vec<Vec<u8>>,
    ) -> Result<(), RecordIoError> {
        while !data.is_empty() {
            match &mut self.state {
                State::Failed(e) => return Err(RecordIoError::Failed(Box::new(e.clone()))),
                State::Length { digits } => {
                    let byte = data[0];
                    data = &data[1..];
                    let at = self.offset;
                    self.offset += 1;
                    match byte {
                        b'0'..=b'9' => {
                            digits.push(byte as char);
                            if digits.len() > MAX_LENGTH_DIGITS {
                                let digits = std::mem::take(digits);
                                return self.fail(RecordIoError::LengthOverflow { digits });
                            }
                        }
                        b'\n' => {
                            if digits.is_empty() {
                                return self.fail(RecordIoError::EmptyLength { offset: at });
                            }
                            let len: u64 = match digits.parse() {
                                Ok(len) => len,
                                Err(_) => {
                                    let digits = std::mem::take(digits);
                                    return self.fail(RecordIoError::LengthOverflow { digits });
                                }
                            };
                            if len > self.max_record as u64 {
                                return self.fail(RecordIoError::RecordTooLarge {
                                    len,
                                    max: self.max_record,
                                });
                            }
                            let expected = len as usize;
                            if expected == 0 {
                                // Mesos never writes one, but its decoder yields an empty
                                // record for it; so do we.
                                out.push(Vec::new());
                                self.state = State::Length {
                                    digits: String::new(),
                                };
                            } else {
                                self.state = State::Payload {
                                    expected,
                                    // Grow as data arrives: a lying length must not make us
                                    // allocate the whole bound up front.
                                    payload: Vec::with_capacity(expected.min(64 << 10)),
                                };
                            }
                        }
                        other => {
                            return self.fail(RecordIoError::NonDigitLength {
                                byte: other,
                                shown: (other as char).escape_default().to_string(),
                                offset: at,
                            })
                        }
                    }
                }
                State::Payload { expected, payload } => {
                    let take = (*expected - payload.len()).min(data.len());
                    payload.extend_from_slice(&data[..take]);
                    data = &data[take..];
                    self.offset += take as u64;
                    if payload.len() == *expected {
                        out.push(std::mem::take(payload));
                        self.state = State::Length {
                            digits: String::new(),
                        };
                    }
                }
            }
        }
        Ok(())
    }

    /// Consumes `data` and returns the records it completes.
    pub fn feed(&mut self, data: &[u8]) -> Result<Vec<Vec<u8>>, RecordIoError> {
        let mut out = Vec::new();
        self.feed_into(data, &mut out)?;
        Ok(out)
    }

    /// True between records (nothing of a next record read yet).
    pub fn at_record_boundary(&self) -> bool {
        matches!(&self.state, State::Length { digits } if digits.is_empty())
    }

    /// Call at end of stream: `Ok` if it ended cleanly between records, the truncation
    /// (or the earlier failure) otherwise.
    pub fn finish(&self) -> Result<(), RecordIoError> {
        match &self.state {
            State::Length { digits } if digits.is_empty() => Ok(()),
            State::Length { digits } => Err(RecordIoError::TruncatedLength {
                digits: digits.clone(),
            }),
            State::Payload { expected, payload } => Err(RecordIoError::Truncated {
                expected: *expected,
                got: payload.len(),
            }),
            State::Failed(e) => Err(RecordIoError::Failed(Box::new(e.clone()))),
        }
    }

    fn fail(&mut self, e: RecordIoError) -> Result<(), RecordIoError> {
        self.state = State::Failed(e.clone());
        Err(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(payloads: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for p in payloads {
            encode_into(&mut out, p);
        }
        out
    }

    #[test]
    fn encodes_the_spec_heartbeat() {
        assert_eq!(
            encode(br#"{"type":"HEARTBEAT"}"#),
            b"20\n{\"type\":\"HEARTBEAT\"}".to_vec()
        );
        assert_eq!(encode(&[8, 9]), vec![b'2', b'\n', 8, 9]);
    }

    #[test]
    fn decodes_whole_and_split_at_every_byte_boundary() {
        // Payloads containing newlines and digits, as protobuf payloads do.
        let payloads: Vec<&[u8]> = vec![
            br#"{"type":"SUBSCRIBED"}"#,
            b"\n\n12\n",
            b"x",
            br#"{"type":"HEARTBEAT"}"#,
        ];
        let bytes = stream(&payloads);
        let expected: Vec<Vec<u8>> = payloads.iter().map(|p| p.to_vec()).collect();

        let mut d = Decoder::default();
        assert_eq!(d.feed(&bytes).unwrap(), expected);
        d.finish().unwrap();

        for split in 0..=bytes.len() {
            let mut d = Decoder::default();
            let mut got = d.feed(&bytes[..split]).unwrap();
            got.extend(d.feed(&bytes[split..]).unwrap());
            assert_eq!(got, expected, "split at {split}");
            d.finish().unwrap();
        }
        for split_a in 0..=bytes.len() {
            for split_b in split_a..=bytes.len() {
                let mut d = Decoder::default();
                let mut got = Vec::new();
                for part in [
                    &bytes[..split_a],
                    &bytes[split_a..split_b],
                    &bytes[split_b..],
                ] {
                    d.feed_into(part, &mut got).unwrap();
                }
                assert_eq!(got, expected, "splits at {split_a}, {split_b}");
            }
        }
        // One byte at a time.
        let mut d = Decoder::default();
        let mut got = Vec::new();
        for b in &bytes {
            d.feed_into(std::slice::from_ref(b), &mut got).unwrap();
        }
        assert_eq!(got, expected);
    }

    #[test]
    fn zero_length_record_is_empty() {
        let mut d = Decoder::default();
        assert_eq!(d.feed(b"0\n3\nabc").unwrap(), vec![vec![], b"abc".to_vec()]);
    }

    #[test]
    fn garbage_is_a_clear_error_and_sticks() {
        let mut d = Decoder::default();
        let err = d.feed(b"5\nhello{\"type\"").unwrap_err();
        assert_eq!(
            err,
            RecordIoError::NonDigitLength {
                byte: b'{',
                shown: "{".into(),
                offset: 7
            }
        );
        assert!(err.to_string().contains("not a decimal digit"), "{err}");
        assert!(matches!(d.feed(b"1\na"), Err(RecordIoError::Failed(_))));
        assert!(d.finish().is_err());

        // Records before the bad byte are still delivered with feed_into.
        let mut d = Decoder::default();
        let mut out = Vec::new();
        assert!(d.feed_into(b"1\na\r\n", &mut out).is_err());
        assert_eq!(out, vec![b"a".to_vec()]);

        let mut d = Decoder::default();
        assert_eq!(
            d.feed(b"\n").unwrap_err(),
            RecordIoError::EmptyLength { offset: 0 }
        );
        let mut d = Decoder::default();
        assert!(matches!(
            d.feed(b"-1\n").unwrap_err(),
            RecordIoError::NonDigitLength { byte: b'-', .. }
        ));
        let mut d = Decoder::default();
        assert!(matches!(
            d.feed(b"999999999999999999999999\n").unwrap_err(),
            RecordIoError::LengthOverflow { .. }
        ));
    }

    #[test]
    fn size_bound() {
        let mut d = Decoder::new(4);
        assert_eq!(d.feed(b"4\nabcd").unwrap(), vec![b"abcd".to_vec()]);
        assert_eq!(
            d.feed(b"5\n").unwrap_err(),
            RecordIoError::RecordTooLarge { len: 5, max: 4 }
        );
    }

    #[test]
    fn truncation_at_end_of_stream() {
        let mut d = Decoder::default();
        d.feed(b"5\nhel").unwrap();
        assert!(!d.at_record_boundary());
        assert_eq!(
            d.finish().unwrap_err(),
            RecordIoError::Truncated {
                expected: 5,
                got: 3
            }
        );
        let mut d = Decoder::default();
        d.feed(b"12").unwrap();
        assert!(matches!(
            d.finish().unwrap_err(),
            RecordIoError::TruncatedLength { .. }
        ));
        let mut d = Decoder::default();
        d.feed(b"1\nx").unwrap();
        assert!(d.at_record_boundary());
        d.finish().unwrap();
    }
}
