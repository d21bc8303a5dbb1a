//! A third-party executor's side of HTTP/1.1, written by hand over raw TCP: the request
//! bytes and the response head, shared by the tests that talk to the endpoint as such a
//! client would.

#![allow(dead_code)]

use mesos_types::recordio::Decoder;
use std::collections::VecDeque;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::net::TcpStream;

/// Status code and headers of a response.
pub struct Head {
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads a response head off `r`, leaving the body.
pub async fn read_head(r: &mut BufReader<TcpStream>) -> Head {
    let mut line = String::new();
    r.read_line(&mut line).await.unwrap();
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("bad status line {line:?}"))
        .parse()
        .unwrap();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        r.read_line(&mut line).await.unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (n, v) = line.split_once(':').unwrap();
        headers.push((n.trim().to_string(), v.trim().to_string()));
    }
    Head { status, headers }
}

/// The bytes of one request with a `Content-Length` body; `close` adds `Connection: close`.
pub fn request(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    close: bool,
) -> Vec<u8> {
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: agent\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    if close {
        req.push_str("Connection: close\r\n");
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// The body of a SUBSCRIBE answer: chunked transfer encoding carrying RecordIO records.
pub struct RecordStream {
    conn: BufReader<TcpStream>,
    decoder: Decoder,
    ready: VecDeque<Vec<u8>>,
}

impl RecordStream {
    /// The records of `conn`, whose response head has been read.
    pub fn new(conn: BufReader<TcpStream>) -> Self {
        Self {
            conn,
            decoder: Decoder::default(),
            ready: VecDeque::new(),
        }
    }

    /// The next record, or `None` when the stream ended.
    pub async fn next_record(&mut self) -> Option<Vec<u8>> {
        loop {
            if let Some(record) = self.ready.pop_front() {
                return Some(record);
            }
            let mut line = String::new();
            if self.conn.read_line(&mut line).await.ok()? == 0 {
                return None;
            }
            let size = usize::from_str_radix(line.trim_end(), 16).unwrap();
            if size == 0 {
                return None;
            }
            let mut chunk = vec![0; size + 2];
            self.conn.read_exact(&mut chunk).await.ok()?;
            chunk.truncate(size);
            for record in self.decoder.feed(&chunk).unwrap() {
                self.ready.push_back(record);
            }
        }
    }
}
