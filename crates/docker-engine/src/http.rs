//! One HTTP/1.1 request per connection to the daemon's Unix socket. A fresh connection per
//! request costs a few microseconds on a Unix socket and means a timed-out or cancelled
//! request takes its connection with it: nothing half-read is ever reused.

use crate::CONNECT_TIMEOUT;
use bytes::Bytes;
use docker_cli::DockerError;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::path::Path;
use std::time::Duration;
use tokio::net::UnixStream;

/// The longest daemon error text kept in an error.
const MESSAGE_MAX: usize = 1024;

/// Bounds `fut` by `after`; past it the request is dropped (its connection closed).
pub(crate) async fn bounded<T>(
    op: &str,
    after: Duration,
    fut: impl Future<Output = Result<T, DockerError>>,
) -> Result<T, DockerError> {
    match tokio::time::timeout(after, fut).await {
        Ok(result) => result,
        Err(_) => Err(DockerError::Timeout {
            op: format!("'{op}'"),
            after,
        }),
    }
}

/// Sends one request and returns the response once its head has arrived; the body is the
/// caller's to read.
pub(crate) async fn send(
    socket: &Path,
    method: Method,
    path: &str,
    body: Option<Vec<u8>>,
    op: &str,
) -> Result<Response<Incoming>, DockerError> {
    let unreachable = |reason: String| DockerError::Unreachable {
        op: op.to_string(),
        socket: socket.display().to_string(),
        reason,
    };
    let stream = match tokio::time::timeout(CONNECT_TIMEOUT, UnixStream::connect(socket)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return Err(unreachable(e.to_string())),
        Err(_) => {
            return Err(unreachable(format!(
                "no connection within {CONNECT_TIMEOUT:?}"
            )))
        }
    };
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    // The connection lives as long as the response body is being read; it ends on its own
    // when the body is done or dropped.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(HOST, "docker");
    if body.is_some() {
        request = request.header(CONTENT_TYPE, "application/json");
    }
    let request = request
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .map_err(|e| unreachable(e.to_string()))?;
    sender
        .send_request(request)
        .await
        .map_err(|e| unreachable(e.to_string()))
}

/// Sends one request and reads its whole body.
pub(crate) async fn call(
    socket: &Path,
    method: Method,
    path: &str,
    body: Option<Vec<u8>>,
    op: &str,
) -> Result<(u16, Bytes), DockerError> {
    let response = send(socket, method, path, body, op).await?;
    let status = response.status().as_u16();
    let body = read_body(response.into_body(), socket, op).await?;
    Ok((status, body))
}

/// The whole of a response body.
pub(crate) async fn read_body(
    body: Incoming,
    socket: &Path,
    op: &str,
) -> Result<Bytes, DockerError> {
    body.collect()
        .await
        .map(|b| b.to_bytes())
        .map_err(|e| DockerError::Unreachable {
            op: op.to_string(),
            socket: socket.display().to_string(),
            reason: format!("the connection broke while reading the answer: {e}"),
        })
}

/// The daemon's own words from an error body (`{"message": "..."}`), bounded.
pub(crate) fn error_message(body: &[u8]) -> String {
    let text = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| String::from_utf8_lossy(body).trim().to_string());
    let mut text = docker_cli::redact::redact_text(&text, &[]);
    if text.len() > MESSAGE_MAX {
        let mut end = MESSAGE_MAX;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("...");
    }
    text
}

/// `value` as one path segment: anything but unreserved characters percent-encoded.
pub(crate) fn segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_daemons_message_is_taken_from_its_json() {
        assert_eq!(
            error_message(br#"{"message":"No such container: x"}"#),
            "No such container: x"
        );
        assert_eq!(error_message(b"page not found\n"), "page not found");
        assert_eq!(error_message(&[b'a'; 5000]).len(), MESSAGE_MAX + 3);
    }

    #[test]
    fn a_segment_cannot_leave_its_place_in_the_path() {
        assert_eq!(segment("mesos-c1_x.y"), "mesos-c1_x.y");
        assert_eq!(segment("../images/x?y#z"), "..%2Fimages%2Fx%3Fy%23z");
    }
}
