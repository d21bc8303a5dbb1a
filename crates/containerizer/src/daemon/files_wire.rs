//! The JSON of the files API as the Mesos agent writes it: file data and names are bytes,
//! written into JSON strings as they are. Only `"`, `\` and control characters are escaped;
//! any other byte, valid UTF-8 or not, goes out unchanged, so a client that adds up the
//! bytes of `data` tails a file exactly (a read may cut a multi-byte character in two, and a
//! task may write anything). Strict UTF-8 JSON parsers may refuse such an answer, as they
//! refuse the agent's; [`parse_read`] reads it back byte for byte.

/// Appends `bytes` as a JSON string (quotes included).
pub fn push_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    for &b in bytes {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            0..=0x1f => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// The answer of `/files/read`: `{"data":"...","offset":N}`.
pub fn read_answer(data: &[u8], offset: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 32);
    out.extend_from_slice(b"{\"data\":");
    push_string(&mut out, data);
    out.extend_from_slice(format!(",\"offset\":{offset}}}").as_bytes());
    out
}

/// Reads a JSON string starting at `text[*at]` (its opening quote) into bytes, moving `at`
/// past its closing quote. `\uXXXX` escapes are written as UTF-8 (a surrogate pair as one
/// character).
fn parse_string(text: &[u8], at: &mut usize) -> Option<Vec<u8>> {
    if text.get(*at) != Some(&b'"') {
        return None;
    }
    *at += 1;
    let mut out = Vec::new();
    loop {
        let b = *text.get(*at)?;
        *at += 1;
        match b {
            b'"' => return Some(out),
            b'\\' => {
                let e = *text.get(*at)?;
                *at += 1;
                match e {
                    b'"' | b'\\' | b'/' => out.push(e),
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'b' => out.push(0x08),
                    b'f' => out.push(0x0c),
                    b'u' => {
                        let mut code = hex4(text, at)?;
                        if (0xd800..0xdc00).contains(&code)
                            && text.get(*at..*at + 2) == Some(b"\\u")
                        {
                            *at += 2;
                            let low = hex4(text, at)?;
                            code = 0x10000 + ((code - 0xd800) << 10) + (low.checked_sub(0xdc00)?);
                        }
                        let c = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    }
                    _ => return None,
                }
            }
            _ => out.push(b),
        }
    }
}

fn hex4(text: &[u8], at: &mut usize) -> Option<u32> {
    let digits = std::str::from_utf8(text.get(*at..*at + 4)?).ok()?;
    *at += 4;
    u32::from_str_radix(digits, 16).ok()
}

/// Reads an answer of `/files/read` back: its data (bytes) and offset. `None` when it is not
/// one.
pub fn parse_read(answer: &[u8]) -> Option<(Vec<u8>, u64)> {
    let mut data = None;
    let mut offset = None;
    let mut at = 0;
    let skip_ws = |at: &mut usize| {
        while answer.get(*at).is_some_and(|b| b.is_ascii_whitespace()) {
            *at += 1;
        }
    };
    skip_ws(&mut at);
    if answer.get(at) != Some(&b'{') {
        return None;
    }
    at += 1;
    loop {
        skip_ws(&mut at);
        let key = parse_string(answer, &mut at)?;
        skip_ws(&mut at);
        if answer.get(at) != Some(&b':') {
            return None;
        }
        at += 1;
        skip_ws(&mut at);
        match key.as_slice() {
            b"data" => data = Some(parse_string(answer, &mut at)?),
            b"offset" => {
                let start = at;
                while answer.get(at).is_some_and(|b| b.is_ascii_digit()) {
                    at += 1;
                }
                offset = Some(std::str::from_utf8(&answer[start..at]).ok()?.parse().ok()?);
            }
            _ => return None,
        }
        skip_ws(&mut at);
        match answer.get(at) {
            Some(b',') => at += 1,
            Some(b'}') => break,
            _ => return None,
        }
    }
    Some((data?, offset?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_go_out_as_they_are_with_json_escapes() {
        let answer = read_answer(b"a\"b\\c\nd\te\x01\xff\xc3\xa9", 7);
        assert_eq!(
            answer,
            b"{\"data\":\"a\\\"b\\\\c\\nd\\te\\u0001\xff\xc3\xa9\",\"offset\":7}".to_vec()
        );
    }

    #[test]
    fn valid_text_is_plain_json() {
        let answer = read_answer("line 1\nlíne \"2\"\n".as_bytes(), 0);
        let v: serde_json::Value = serde_json::from_slice(&answer).unwrap();
        assert_eq!(v["data"], "line 1\nlíne \"2\"\n");
        assert_eq!(v["offset"], 0);
    }

    #[test]
    fn answers_read_back_byte_for_byte() {
        let mut data: Vec<u8> = (0..=255u8).collect();
        data.extend_from_slice("é€😀".as_bytes());
        let (back, offset) = parse_read(&read_answer(&data, 1 << 40)).unwrap();
        assert_eq!(back, data);
        assert_eq!(offset, 1 << 40);
    }

    #[test]
    fn other_writers_are_read_too() {
        // serde_json and the agent escape differently; both read back.
        let (data, offset) =
            parse_read(br#" { "offset" : 3 , "data" : "a\/b\u00e9\ud83d\ude00" } "#).unwrap();
        assert_eq!(data, "a/bé😀".as_bytes());
        assert_eq!(offset, 3);
        assert!(parse_read(b"{\"data\":\"x\"}").is_none());
        assert!(parse_read(b"[]").is_none());
        assert!(parse_read(b"{\"data\":\"x").is_none());
    }
}
