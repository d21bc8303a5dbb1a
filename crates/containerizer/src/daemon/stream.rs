//! `GET /api/v1/updates[?container_id=ID]`: status updates as JSON lines
//! (`application/x-ndjson`), each written once it is checkpointed:
//!
//! ```text
//! {"type":"UPDATE","container_id":"c1","status":{...TaskStatus...}}
//! {"type":"HEARTBEAT"}
//! ```
//!
//! With `container_id` the stream starts with every update of that container so far (no
//! race with a launch just made) and ends after the container has ended. Without, it
//! carries every later update of every container and never ends. A heartbeat line goes out
//! every [`HEARTBEAT_INTERVAL`] so clients can tell a quiet stream from a dead one.

use super::response::{text, Body};
use super::Daemon;
use crate::docker_containerizer::ContainerUpdate;
use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use mesos_types::status::TaskStatus;
use serde_json::json;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tokio_stream::StreamExt;

/// How often a quiet stream says it is alive.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5);

fn line(container_id: &str, status: &TaskStatus) -> Bytes {
    let mut bytes = serde_json::to_vec(&json!({
        "type": "UPDATE",
        "container_id": container_id,
        "status": status,
    }))
    .unwrap_or_default();
    bytes.push(b'\n');
    Bytes::from(bytes)
}

fn heartbeat() -> Bytes {
    Bytes::from_static(b"{\"type\":\"HEARTBEAT\"}\n")
}

/// The value of `name` in a query string (no percent-decoding: container ids need none).
fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Answers `GET /api/v1/updates`.
pub(crate) fn updates(daemon: &Daemon, query: Option<&str>) -> Response<Body> {
    let (tx, rx) = mpsc::unbounded_channel::<Bytes>();
    match query_param(query, "container_id") {
        Some(cid) => {
            let Some(container) = daemon.cz.get(cid) else {
                return text(
                    StatusCode::NOT_FOUND,
                    format!("Container '{cid}' not found"),
                );
            };
            let (history, mut live) = container.subscribe();
            let cid = cid.to_string();
            tokio::spawn(async move {
                for status in &history {
                    if tx.send(line(&cid, status)).is_err() {
                        return;
                    }
                }
                let mut beat = tokio::time::interval(HEARTBEAT_INTERVAL);
                beat.tick().await;
                loop {
                    tokio::select! {
                        status = live.recv() => match status {
                            Some(status) => {
                                if tx.send(line(&cid, &status)).is_err() {
                                    return;
                                }
                            }
                            // The container ended: so does the stream.
                            None => return,
                        },
                        _ = beat.tick() => {
                            if tx.send(heartbeat()).is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
        None => {
            let mut live = daemon.updates.subscribe();
            tokio::spawn(async move {
                let mut beat = tokio::time::interval(HEARTBEAT_INTERVAL);
                beat.tick().await;
                loop {
                    tokio::select! {
                        update = live.recv() => match update {
                            Some(ContainerUpdate { container_id, status }) => {
                                if tx.send(line(&container_id, &status)).is_err() {
                                    return;
                                }
                            }
                            None => return,
                        },
                        _ = beat.tick() => {
                            if tx.send(heartbeat()).is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    }
    let body = StreamBody::new(
        UnboundedReceiverStream::new(rx)
            .map(|bytes| Ok::<_, std::convert::Infallible>(Frame::data(bytes))),
    );
    let mut response = Response::new(body.boxed_unsync());
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters() {
        assert_eq!(
            query_param(Some("container_id=c1"), "container_id"),
            Some("c1")
        );
        assert_eq!(
            query_param(Some("a=b&container_id=c2"), "container_id"),
            Some("c2")
        );
        assert_eq!(query_param(Some("a=b"), "container_id"), None);
        assert_eq!(query_param(None, "container_id"), None);
    }
}
