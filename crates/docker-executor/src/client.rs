//! The HTTP side of the v1 Executor API: one connection for SUBSCRIBE and its RecordIO event
//! stream, one keep-alive connection for the other calls (never the same one: the agent
//! answers requests on a connection in order, so a call queued behind the endless stream
//! would never be answered).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use mesos_types::executor::{Call, Event};
use mesos_types::recordio::{Decoder, RecordIoError};
use std::collections::VecDeque;
use tokio::net::TcpStream;

/// The executor API path on the agent.
pub const EXECUTOR_API_PATH: &str = "/api/v1/executor";

/// What can go wrong talking to the agent.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot connect to the agent at {endpoint}: {source}")]
    Connect {
        endpoint: String,
        #[source]
        source: std::io::Error,
    },
    #[error("HTTP error talking to the agent: {0}")]
    Http(#[from] hyper::Error),
    /// The agent is not ready (404 before its route exists, 503 while it recovers).
    #[error("agent not ready yet ({status}): {body}")]
    NotReady { status: u16, body: String },
    /// Any other unexpected status.
    #[error("agent answered {status} to {call}: {body}")]
    Status {
        call: &'static str,
        status: u16,
        body: String,
    },
    #[error("event stream is not RecordIO: {0}")]
    RecordIo(#[from] RecordIoError),
    #[error("event is not a valid Event JSON: {0}")]
    Event(#[from] serde_json::Error),
}

/// How to reach the agent.
#[derive(Clone)]
pub struct AgentClient {
    endpoint: String,
    token: Option<String>,
}

impl AgentClient {
    /// `endpoint` is `ip:port` (`MESOS_AGENT_ENDPOINT`); `token` is sent as a Bearer token.
    pub fn new(endpoint: String, token: Option<String>) -> Self {
        Self { endpoint, token }
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, ClientError> {
        let stream =
            TcpStream::connect(&self.endpoint)
                .await
                .map_err(|source| ClientError::Connect {
                    endpoint: self.endpoint.clone(),
                    source,
                })?;
        let _ = stream.set_nodelay(true);
        // Agent heartbeats are 30 minutes apart: let the kernel notice a dead peer instead of
        // a read timeout.
        let _ = set_keepalive(&stream);
        let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "agent connection ended");
            }
        });
        Ok(sender)
    }

    fn request(&self, call: &Call, subscribe: bool) -> Request<Full<Bytes>> {
        let body = serde_json::to_vec(call).unwrap_or_default();
        let mut req = Request::post(EXECUTOR_API_PATH)
            .header(HOST, &self.endpoint)
            .header(CONTENT_TYPE, "application/json");
        if subscribe {
            req = req.header(ACCEPT, "application/json");
        }
        if let Some(token) = &self.token {
            req = req.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        req.body(Full::new(Bytes::from(body)))
            .expect("static request parts are valid")
    }

    /// Sends SUBSCRIBE on a fresh connection and returns its event stream.
    pub async fn subscribe(&self, call: &Call) -> Result<EventStream, ClientError> {
        let mut sender = self.connect().await?;
        let resp = sender.send_request(self.request(call, true)).await?;
        let status = resp.status();
        if status != StatusCode::OK {
            let body = body_text(resp.into_body()).await;
            if status == StatusCode::NOT_FOUND || status == StatusCode::SERVICE_UNAVAILABLE {
                return Err(ClientError::NotReady {
                    status: status.as_u16(),
                    body,
                });
            }
            return Err(ClientError::Status {
                call: "SUBSCRIBE",
                status: status.as_u16(),
                body,
            });
        }
        Ok(EventStream {
            _sender: sender,
            body: resp.into_body(),
            decoder: Decoder::default(),
            ready: VecDeque::new(),
        })
    }

    /// Opens the keep-alive connection for UPDATE/MESSAGE calls.
    pub async fn calls(&self) -> Result<CallConnection, ClientError> {
        Ok(CallConnection {
            sender: self.connect().await?,
            client: self.clone(),
        })
    }
}

/// Turns on TCP keepalive probes on `stream` (best effort).
fn set_keepalive(stream: &TcpStream) -> Option<()> {
    use std::os::fd::AsRawFd;
    let fd = stream.as_raw_fd();
    let on: libc::c_int = 1;
    // SAFETY: setsockopt on a valid, open socket fd with a correctly sized int option.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_KEEPALIVE,
            &on as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    (rc == 0).then_some(())
}

async fn body_text(body: Incoming) -> String {
    match body.collect().await {
        Ok(b) => String::from_utf8_lossy(&b.to_bytes()).trim().to_string(),
        Err(e) => format!("<unreadable body: {e}>"),
    }
}

/// The connection carrying UPDATE and MESSAGE calls, one at a time (so the agent sees
/// updates in order).
pub struct CallConnection {
    sender: SendRequest<Full<Bytes>>,
    client: AgentClient,
}

impl CallConnection {
    /// Sends `call`; `Ok` on 202 (or any 2xx).
    pub async fn send(&mut self, call: &Call, what: &'static str) -> Result<(), ClientError> {
        self.sender.ready().await?;
        let resp = self
            .sender
            .send_request(self.client.request(call, false))
            .await?;
        let status = resp.status();
        let body = body_text(resp.into_body()).await;
        if status.is_success() {
            return Ok(());
        }
        if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::NOT_FOUND {
            return Err(ClientError::NotReady {
                status: status.as_u16(),
                body,
            });
        }
        Err(ClientError::Status {
            call: what,
            status: status.as_u16(),
            body,
        })
    }

    /// True once the connection is closed (the agent went away).
    pub fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }
}

/// The events of one subscription, decoded from RecordIO across HTTP chunks.
pub struct EventStream {
    /// Keeps the connection's request side alive while we read the body.
    _sender: SendRequest<Full<Bytes>>,
    body: Incoming,
    decoder: Decoder,
    ready: VecDeque<Vec<u8>>,
}

impl EventStream {
    /// The next event; `Ok(None)` when the stream ended cleanly between records.
    pub async fn next(&mut self) -> Result<Option<Event>, ClientError> {
        loop {
            if let Some(record) = self.ready.pop_front() {
                // Plain serde_json: the path-tracking decoder costs half a megabyte of code,
                // and the footprint matters more here than the JSON path of a bad event.
                return Ok(Some(serde_json::from_slice(&record)?));
            }
            match self.body.frame().await {
                None => {
                    self.decoder.finish()?;
                    return Ok(None);
                }
                Some(Err(e)) => return Err(e.into()),
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        let mut out = Vec::new();
                        self.decoder.feed_into(&data, &mut out)?;
                        self.ready.extend(out);
                    }
                }
            }
        }
    }
}
