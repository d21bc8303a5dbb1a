//! The wire form of libprocess messages: HTTP/1.1 requests on a persistent connection.
//!
//! Sending, we write what libprocess's own encoder writes (request line `POST /<to>/<name>`,
//! `User-Agent: libprocess/<from>`, `Libprocess-From`, a chunked body), so a Mesos agent
//! cannot tell us from a libprocess peer. Receiving, [`RequestDecoder`] takes any well-formed
//! HTTP/1.1 request (chunked or `Content-Length` bodies, several per connection, split
//! anywhere) and [`Message::from_request`] applies libprocess's rule for what is a message.

use crate::upid::{Upid, UpidError};

/// Largest request head (request line and headers) accepted.
pub const MAX_HEAD: usize = 64 * 1024;
/// Largest body accepted. A `RunTaskMessage` carries a whole TaskInfo, whose `data` may be
/// large, but a body beyond this is an attack or a bug, not a task.
pub const MAX_BODY: usize = 64 * 1024 * 1024;

/// A request that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("request head longer than {MAX_HEAD} bytes")]
    HeadTooLong,
    #[error("request body longer than {MAX_BODY} bytes")]
    BodyTooLong,
    #[error("malformed request line '{0}'")]
    RequestLine(String),
    #[error("malformed header line '{0}'")]
    Header(String),
    #[error("malformed {what}: '{value}'")]
    Framing { what: &'static str, value: String },
    #[error("unsupported Transfer-Encoding '{0}'")]
    TransferEncoding(String),
    #[error("not a libprocess message: {0}")]
    NotAMessage(&'static str),
    #[error("bad sender: {0}")]
    From(#[from] UpidError),
    #[error("the receiver in the path is not valid percent-encoding")]
    PercentEncoding,
}

/// One HTTP request as read off the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Header names as sent; look them up with [`Request::header`].
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first header called `name` (case-insensitive), trimmed.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }
}

/// A libprocess message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub from: Upid,
    /// The receiving actor's id (`executor(1)`).
    pub to: String,
    /// The message name (`mesos.internal.RunTaskMessage`).
    pub name: String,
    pub body: Vec<u8>,
}

impl Message {
    /// Reads `request` as libprocess does: a POST with a `Libprocess-From` header, or with a
    /// `User-Agent: libprocess/<from>`, to `/<receiver>/<name>`.
    pub fn from_request(request: Request) -> Result<Self, WireError> {
        if request.method != "POST" {
            return Err(WireError::NotAMessage("not a POST"));
        }
        let from = match (
            request.header("Libprocess-From"),
            request.header("User-Agent"),
        ) {
            (Some(from), _) => from.parse::<Upid>()?,
            (None, Some(agent)) if agent.starts_with("libprocess/") => {
                agent["libprocess/".len()..].parse::<Upid>()?
            }
            _ => {
                return Err(WireError::NotAMessage(
                    "no Libprocess-From header and no libprocess User-Agent",
                ))
            }
        };
        let path = request
            .path
            .strip_prefix('/')
            .ok_or(WireError::NotAMessage("the path does not start with '/'"))?;
        let (to, name) = path.split_once('/').unwrap_or((path, ""));
        let to = percent_decode(to)?;
        Ok(Self {
            from,
            to,
            name: name.to_string(),
            body: request.body,
        })
    }
}

/// The bytes of `message` from `from` to `to`, as libprocess writes them.
pub fn encode(from: &Upid, to: &Upid, name: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + body.len());
    out.extend_from_slice(b"POST ");
    if !to.id.is_empty() {
        out.push(b'/');
        out.extend_from_slice(to.id.as_bytes());
    }
    let head = format!(
        "/{name} HTTP/1.1\r\nUser-Agent: libprocess/{from}\r\nLibprocess-From: {from}\r\nConnection: Keep-Alive\r\nHost: {}\r\n",
        to.addr
    );
    out.extend_from_slice(head.as_bytes());
    if body.is_empty() {
        out.extend_from_slice(b"\r\n");
    } else {
        out.extend_from_slice(
            format!("Transfer-Encoding: chunked\r\n\r\n{:x}\r\n", body.len()).as_bytes(),
        );
        out.extend_from_slice(body);
        out.extend_from_slice(b"\r\n0\r\n\r\n");
    }
    out
}

/// The answer a libprocess peer gives every message it accepted.
pub const ACCEPTED: &[u8] = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n";

fn percent_decode(text: &str) -> Result<String, WireError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or(WireError::PercentEncoding)?;
            let hex = std::str::from_utf8(hex).map_err(|_| WireError::PercentEncoding)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| WireError::PercentEncoding)?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| WireError::PercentEncoding)
}

/// Where the decoder is within the current request.
#[derive(Debug)]
enum State {
    Head,
    Fixed { request: Request, remaining: usize },
    ChunkSize { request: Request },
    ChunkData { request: Request, remaining: usize },
    ChunkDataEnd { request: Request },
    Trailer { request: Request },
}

/// An incremental decoder of HTTP/1.1 requests: feed it bytes as they arrive, take requests
/// out as they complete. After an error the connection must be dropped.
#[derive(Debug)]
pub struct RequestDecoder {
    buf: Vec<u8>,
    state: State,
}

impl Default for RequestDecoder {
    fn default() -> Self {
        Self {
            buf: Vec::new(),
            state: State::Head,
        }
    }
}

fn find_crlf(buf: &[u8]) -> Option<usize> {
    buf.windows(2).position(|w| w == b"\r\n")
}

impl RequestDecoder {
    /// Appends bytes read off the connection.
    pub fn feed(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// True when no partial request is buffered (a clean place for the peer to close).
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Head) && self.buf.is_empty()
    }

    /// The next complete request, if the buffered bytes hold one.
    pub fn next_request(&mut self) -> Result<Option<Request>, WireError> {
        loop {
            let state = std::mem::replace(&mut self.state, State::Head);
            match state {
                State::Head => {
                    let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        if self.buf.len() > MAX_HEAD {
                            return Err(WireError::HeadTooLong);
                        }
                        return Ok(None);
                    };
                    if end > MAX_HEAD {
                        return Err(WireError::HeadTooLong);
                    }
                    let head: Vec<u8> = self.buf.drain(..end + 4).collect();
                    let (request, body) = parse_head(&head[..end])?;
                    self.state = match body {
                        Body::Fixed(0) => return Ok(Some(request)),
                        Body::Fixed(n) => State::Fixed {
                            request,
                            remaining: n,
                        },
                        Body::Chunked => State::ChunkSize { request },
                    };
                }
                State::Fixed {
                    mut request,
                    remaining,
                } => {
                    let take = remaining.min(self.buf.len());
                    request.body.extend(self.buf.drain(..take));
                    if take == remaining {
                        return Ok(Some(request));
                    }
                    self.state = State::Fixed {
                        request,
                        remaining: remaining - take,
                    };
                    return Ok(None);
                }
                State::ChunkSize { request } => {
                    let Some(end) = find_crlf(&self.buf) else {
                        if self.buf.len() > 1024 {
                            return Err(WireError::Framing {
                                what: "chunk size line",
                                value: String::from_utf8_lossy(&self.buf[..64]).into_owned(),
                            });
                        }
                        self.state = State::ChunkSize { request };
                        return Ok(None);
                    };
                    let line: Vec<u8> = self.buf.drain(..end + 2).collect();
                    let line = String::from_utf8_lossy(&line[..end]).into_owned();
                    let size_text = line.split(';').next().unwrap_or("").trim();
                    let size =
                        usize::from_str_radix(size_text, 16).map_err(|_| WireError::Framing {
                            what: "chunk size",
                            value: line.clone(),
                        })?;
                    if request.body.len().saturating_add(size) > MAX_BODY {
                        return Err(WireError::BodyTooLong);
                    }
                    self.state = if size == 0 {
                        State::Trailer { request }
                    } else {
                        State::ChunkData {
                            request,
                            remaining: size,
                        }
                    };
                }
                State::ChunkData {
                    mut request,
                    remaining,
                } => {
                    let take = remaining.min(self.buf.len());
                    request.body.extend(self.buf.drain(..take));
                    if take < remaining {
                        self.state = State::ChunkData {
                            request,
                            remaining: remaining - take,
                        };
                        return Ok(None);
                    }
                    self.state = State::ChunkDataEnd { request };
                }
                State::ChunkDataEnd { request } => {
                    if self.buf.len() < 2 {
                        self.state = State::ChunkDataEnd { request };
                        return Ok(None);
                    }
                    if &self.buf[..2] != b"\r\n" {
                        return Err(WireError::Framing {
                            what: "chunk end",
                            value: String::from_utf8_lossy(&self.buf[..2]).into_owned(),
                        });
                    }
                    self.buf.drain(..2);
                    self.state = State::ChunkSize { request };
                }
                State::Trailer { request } => {
                    // Trailer fields until an empty line; we keep none of them.
                    let Some(end) = find_crlf(&self.buf) else {
                        if self.buf.len() > MAX_HEAD {
                            return Err(WireError::HeadTooLong);
                        }
                        self.state = State::Trailer { request };
                        return Ok(None);
                    };
                    self.buf.drain(..end + 2);
                    if end == 0 {
                        return Ok(Some(request));
                    }
                    self.state = State::Trailer { request };
                }
            }
        }
    }
}

enum Body {
    Fixed(usize),
    Chunked,
}

fn parse_head(head: &[u8]) -> Result<(Request, Body), WireError> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let line = lines.next().unwrap_or("");
    let mut parts = line.split(' ');
    let (Some(method), Some(path), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(WireError::RequestLine(line.chars().take(200).collect()));
    };
    if method.is_empty() || path.is_empty() || !version.starts_with("HTTP/1.") {
        return Err(WireError::RequestLine(line.chars().take(200).collect()));
    }
    let mut headers = Vec::new();
    for l in lines {
        let (name, value) = l
            .split_once(':')
            .filter(|(n, _)| !n.is_empty() && !n.contains(' '))
            .ok_or_else(|| WireError::Header(l.chars().take(200).collect()))?;
        headers.push((name.to_string(), value.trim().to_string()));
    }
    let request = Request {
        method: method.to_string(),
        // The query string is not part of a message's address.
        path: path.split('?').next().unwrap_or(path).to_string(),
        headers,
        body: Vec::new(),
    };
    let body = match request.header("Transfer-Encoding") {
        Some(te) if te.eq_ignore_ascii_case("chunked") => Body::Chunked,
        Some(te) => return Err(WireError::TransferEncoding(te.to_string())),
        None => match request.header("Content-Length") {
            None => Body::Fixed(0),
            Some(n) => {
                let n: usize = n.parse().map_err(|_| WireError::Framing {
                    what: "Content-Length",
                    value: n.to_string(),
                })?;
                if n > MAX_BODY {
                    return Err(WireError::BodyTooLong);
                }
                Body::Fixed(n)
            }
        },
    };
    Ok((request, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upid(s: &str) -> Upid {
        s.parse().unwrap()
    }

    fn decode_all(bytes: &[u8], step: usize) -> Vec<Request> {
        let mut d = RequestDecoder::default();
        let mut out = Vec::new();
        for chunk in bytes.chunks(step.max(1)) {
            d.feed(chunk);
            while let Some(r) = d.next_request().unwrap() {
                out.push(r);
            }
        }
        assert!(d.is_idle());
        out
    }

    #[test]
    fn encodes_as_libprocess_does() {
        let bytes = encode(
            &upid("executor(1)@127.0.0.1:4000"),
            &upid("slave(1)@127.0.0.1:5051"),
            "mesos.internal.RegisterExecutorMessage",
            b"\x0a\x03abc",
        );
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            "POST /slave(1)/mesos.internal.RegisterExecutorMessage HTTP/1.1\r\n\
             User-Agent: libprocess/executor(1)@127.0.0.1:4000\r\n\
             Libprocess-From: executor(1)@127.0.0.1:4000\r\n\
             Connection: Keep-Alive\r\n\
             Host: 127.0.0.1:5051\r\n\
             Transfer-Encoding: chunked\r\n\r\n\
             5\r\n\x0a\x03abc\r\n0\r\n\r\n"
        );
        let empty = encode(
            &upid("a@127.0.0.1:1"),
            &upid("b@127.0.0.1:2"),
            "mesos.internal.ShutdownExecutorMessage",
            b"",
        );
        assert!(String::from_utf8_lossy(&empty).ends_with("Host: 127.0.0.1:2\r\n\r\n"));
    }

    #[test]
    fn decodes_what_it_encodes_split_anywhere_and_pipelined() {
        let from = upid("slave(1)@127.0.0.1:5051");
        let to = upid("executor(1)@127.0.0.1:4000");
        let mut bytes = encode(&from, &to, "mesos.internal.RunTaskMessage", &[7u8; 300]);
        bytes.extend(encode(
            &from,
            &to,
            "mesos.internal.ShutdownExecutorMessage",
            b"",
        ));
        for step in [1, 2, 3, 7, 64, 100_000] {
            let requests = decode_all(&bytes, step);
            assert_eq!(requests.len(), 2, "step {step}");
            let m = Message::from_request(requests[0].clone()).unwrap();
            assert_eq!(m.from, from);
            assert_eq!(m.to, "executor(1)");
            assert_eq!(m.name, "mesos.internal.RunTaskMessage");
            assert_eq!(m.body, vec![7u8; 300]);
            let m = Message::from_request(requests[1].clone()).unwrap();
            assert_eq!(m.name, "mesos.internal.ShutdownExecutorMessage");
            assert!(m.body.is_empty());
        }
    }

    #[test]
    fn content_length_bodies_and_multi_chunk_bodies() {
        let raw = b"POST /executor%281%29/x.Y HTTP/1.1\r\nlibprocess-from: slave(1)@10.1.2.3:5051\r\ncontent-length: 3\r\n\r\nabc\
POST /e/n HTTP/1.1\r\nLibprocess-From: s@10.1.2.3:1\r\nTransfer-Encoding: chunked\r\n\r\n2;ext=1\r\nab\r\n1\r\nc\r\n0\r\nX-Trailer: 1\r\n\r\n";
        let requests = decode_all(raw, 5);
        let m = Message::from_request(requests[0].clone()).unwrap();
        assert_eq!((m.to.as_str(), m.name.as_str()), ("executor(1)", "x.Y"));
        assert_eq!(m.body, b"abc");
        let m = Message::from_request(requests[1].clone()).unwrap();
        assert_eq!(m.body, b"abc");
    }

    #[test]
    fn sender_from_user_agent_alone() {
        let raw = b"POST /e/n HTTP/1.1\r\nUser-Agent: libprocess/s(2)@127.0.0.1:9\r\n\r\n";
        let r = decode_all(raw, 1000).remove(0);
        assert_eq!(
            Message::from_request(r).unwrap().from.to_string(),
            "s(2)@127.0.0.1:9"
        );
    }

    #[test]
    fn what_is_not_a_message() {
        let get = b"GET /e/n HTTP/1.1\r\nLibprocess-From: s@127.0.0.1:9\r\n\r\n";
        let r = decode_all(get, 1000).remove(0);
        assert!(matches!(
            Message::from_request(r),
            Err(WireError::NotAMessage(_))
        ));
        let anon = b"POST /e/n HTTP/1.1\r\nUser-Agent: curl/8\r\n\r\n";
        let r = decode_all(anon, 1000).remove(0);
        assert!(matches!(
            Message::from_request(r),
            Err(WireError::NotAMessage(_))
        ));
        let bad_from = b"POST /e/n HTTP/1.1\r\nLibprocess-From: nobody\r\n\r\n";
        let r = decode_all(bad_from, 1000).remove(0);
        assert!(matches!(Message::from_request(r), Err(WireError::From(_))));
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let cases: &[&[u8]] = &[
            b"POST\r\n\r\n",
            b"POST / HTTP/1.1\r\nno colon here\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXX",
            b"GET / SPDY/3\r\n\r\n",
        ];
        for case in cases {
            let mut d = RequestDecoder::default();
            d.feed(case);
            assert!(
                d.next_request().is_err(),
                "{}",
                String::from_utf8_lossy(case)
            );
        }
        let mut d = RequestDecoder::default();
        d.feed(&vec![b'a'; MAX_HEAD + 10]);
        assert_eq!(d.next_request(), Err(WireError::HeadTooLong));
        let bad_path = b"POST /e%zz/n HTTP/1.1\r\nLibprocess-From: s@127.0.0.1:9\r\n\r\n";
        let r = decode_all(bad_path, 1000).remove(0);
        assert_eq!(Message::from_request(r), Err(WireError::PercentEncoding));
    }
}
