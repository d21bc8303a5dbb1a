//! A client of the daemon's operator API (`serve`), for the CLI commands `launch`, `wait`,
//! `kill`, `destroy`, `ps`, `inspect`, `usage`, `update` and `logs`. Every call is bounded
//! by a timeout; the update stream by an idle timeout (the daemon sends heartbeats).

use serde_json::{json, Value};
use std::time::Duration;

/// How long connecting to the daemon may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The bound of a call that answers at once.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// How long `wait` keeps trying to reach a daemon that does not answer (a restart).
pub const WAIT_RETRY_FOR: Duration = Duration::from_secs(60);
/// How long an update stream may stay silent (the daemon sends a heartbeat every 5 s).
pub const STREAM_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// What went wrong talking to the daemon.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("invalid --endpoint '{endpoint}': {reason}")]
    Endpoint { endpoint: String, reason: String },
    #[error("cannot reach the containerizer at {endpoint}: {reason} (is `mesos-docker-containerizer serve` running there? see --endpoint)")]
    Connect {
        endpoint: String,
        /// The root cause (`Connection refused (os error 111)`): reqwest's own message only
        /// says that sending failed.
        reason: String,
    },
    #[error("the containerizer at {endpoint} did not answer within {after:?}")]
    Timeout { endpoint: String, after: Duration },
    /// The daemon refused the call; `message` is its explanation.
    #[error("{message}")]
    Api { status: u16, message: String },
    #[error("unexpected answer from the containerizer at {endpoint}: {detail}")]
    Protocol { endpoint: String, detail: String },
}

impl ClientError {
    /// The daemon's status code for a refused call.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The daemon could not be reached (it may be restarting).
    pub fn is_connect(&self) -> bool {
        matches!(self, ClientError::Connect { .. })
    }
}

/// A handle on the daemon at one endpoint.
#[derive(Debug, Clone)]
pub struct OperatorClient {
    endpoint: String,
    http: reqwest::Client,
}

impl OperatorClient {
    /// A client of the daemon at `endpoint` (`http://host:port`; a bare `host:port` works).
    pub fn new(endpoint: &str) -> Result<Self, ClientError> {
        let endpoint = endpoint.trim_end_matches('/');
        let endpoint = if endpoint.contains("://") {
            endpoint.to_string()
        } else {
            format!("http://{endpoint}")
        };
        if !endpoint.starts_with("http://") {
            return Err(ClientError::Endpoint {
                endpoint,
                reason: "only http:// is supported".into(),
            });
        }
        // reqwest builds its TLS configuration even for plain HTTP: give it a provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            // Plain HTTP only: loading the system's CA store would cost more than the call
            // (~4 ms of every `usage`).
            .tls_certs_only(std::iter::empty())
            .build()
            .map_err(|e| ClientError::Endpoint {
                endpoint: endpoint.clone(),
                reason: e.to_string(),
            })?;
        Ok(Self { endpoint, http })
    }

    /// The daemon's base URL.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn transport(&self, e: reqwest::Error, after: Duration) -> ClientError {
        if e.is_timeout() {
            ClientError::Timeout {
                endpoint: self.endpoint.clone(),
                after,
            }
        } else if e.is_connect() || e.is_request() {
            let mut reason = e.to_string();
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                reason = c.to_string();
                cause = c.source();
            }
            ClientError::Connect {
                endpoint: self.endpoint.clone(),
                reason,
            }
        } else {
            ClientError::Protocol {
                endpoint: self.endpoint.clone(),
                detail: e.to_string(),
            }
        }
    }

    /// Sends the call `call_type` with `args` and returns the answer's `<call_type>` object.
    pub async fn call(
        &self,
        call_type: &str,
        args: Value,
        timeout: Duration,
    ) -> Result<Value, ClientError> {
        let field = call_type.to_ascii_lowercase();
        let mut body = json!({ "type": call_type });
        if !args.is_null() {
            body[&field] = args;
        }
        let response = self
            .http
            .post(format!("{}/api/v1", self.endpoint))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).unwrap_or_default())
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| self.transport(e, timeout))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.transport(e, timeout))?;
        if !status.is_success() {
            return Err(ClientError::Api {
                status: status.as_u16(),
                message: String::from_utf8_lossy(&bytes).trim().to_string(),
            });
        }
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| ClientError::Protocol {
            endpoint: self.endpoint.clone(),
            detail: format!("not JSON: {e}"),
        })?;
        Ok(value.get(&field).cloned().unwrap_or(Value::Null))
    }

    /// `GET /files/read` of `path` (a files API path such as `/sandboxes/<ID>/stdout`):
    /// the data at `offset` (at most what the daemon gives in one read), or with `offset`
    /// `None` the file's size and no data. Tried twice: a keep-alive connection the daemon
    /// just closed for being idle fails the first try.
    pub async fn read_file(
        &self,
        path: &str,
        offset: Option<u64>,
    ) -> Result<(Vec<u8>, u64), ClientError> {
        let offset = offset.map_or_else(|| "-1".to_string(), |o| o.to_string());
        let url = format!("{}/files/read?path={path}&offset={offset}", self.endpoint);
        let mut tries = 0;
        let response = loop {
            tries += 1;
            match self.http.get(&url).timeout(CALL_TIMEOUT).send().await {
                Ok(r) => break r,
                Err(e) if tries < 2 && !e.is_timeout() => continue,
                Err(e) => return Err(self.transport(e, CALL_TIMEOUT)),
            }
        };
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.transport(e, CALL_TIMEOUT))?;
        if !status.is_success() {
            return Err(ClientError::Api {
                status: status.as_u16(),
                message: String::from_utf8_lossy(&bytes).trim().to_string(),
            });
        }
        crate::daemon::files_wire::parse_read(&bytes).ok_or_else(|| ClientError::Protocol {
            endpoint: self.endpoint.clone(),
            detail: format!(
                "not an answer of /files/read: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
            ),
        })
    }

    /// Opens the update stream of one container (from its first update on).
    pub async fn updates(&self, container_id: &str) -> Result<UpdateStream, ClientError> {
        let response = self
            .http
            .get(format!(
                "{}/api/v1/updates?container_id={container_id}",
                self.endpoint
            ))
            .send()
            .await
            .map_err(|e| self.transport(e, CONNECT_TIMEOUT))?;
        let status = response.status();
        if !status.is_success() {
            let message = response.text().await.unwrap_or_default().trim().to_string();
            return Err(ClientError::Api {
                status: status.as_u16(),
                message,
            });
        }
        Ok(UpdateStream {
            client: self.clone(),
            response,
            buffer: Vec::new(),
        })
    }

    /// Waits until the container ends and returns its termination (`state`, `reason`,
    /// `message`, `exit_code`). Long polls of 30 s each; rides out a restart of the daemon
    /// for up to [`WAIT_RETRY_FOR`], telling `notice` when it starts retrying (so that a
    /// user does not stare at a silent terminal) and when the daemon is back.
    pub async fn wait(
        &self,
        container_id: &str,
        mut notice: impl FnMut(&str),
    ) -> Result<Value, ClientError> {
        let poll = Duration::from_secs(30);
        let mut unreachable_since: Option<tokio::time::Instant> = None;
        loop {
            let answer = self
                .call(
                    "WAIT_CONTAINER",
                    json!({ "container_id": container_id, "timeout": format!("{}secs", poll.as_secs()) }),
                    poll + CALL_TIMEOUT,
                )
                .await;
            match answer {
                Ok(v) if v["terminated"] == json!(true) => return Ok(v),
                Ok(_) => {
                    if unreachable_since.take().is_some() {
                        notice(&format!(
                            "the containerizer at {} answers again",
                            self.endpoint
                        ));
                    }
                }
                Err(e) if e.is_connect() => {
                    let since = match unreachable_since {
                        Some(since) => since,
                        None => {
                            notice(&format!(
                                "{e}; retrying for up to {}s (it may be restarting)",
                                WAIT_RETRY_FOR.as_secs()
                            ));
                            *unreachable_since.insert(tokio::time::Instant::now())
                        }
                    };
                    if since.elapsed() > WAIT_RETRY_FOR {
                        return Err(e);
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// A container's status updates, as the daemon streams them.
#[derive(Debug)]
pub struct UpdateStream {
    client: OperatorClient,
    response: reqwest::Response,
    buffer: Vec<u8>,
}

impl UpdateStream {
    /// The next update line (`{"type":"UPDATE","container_id":..,"status":{..}}`);
    /// `None` once the stream ended (the container ended). Heartbeats are skipped.
    pub async fn next(&mut self) -> Result<Option<Value>, ClientError> {
        loop {
            if let Some(pos) = self.buffer.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=pos).collect();
                let value: Value =
                    serde_json::from_slice(&line).map_err(|e| ClientError::Protocol {
                        endpoint: self.client.endpoint.clone(),
                        detail: format!("bad update line: {e}"),
                    })?;
                if value["type"] == "UPDATE" {
                    return Ok(Some(value));
                }
                continue;
            }
            let chunk = tokio::time::timeout(STREAM_IDLE_TIMEOUT, self.response.chunk())
                .await
                .map_err(|_| ClientError::Timeout {
                    endpoint: self.client.endpoint.clone(),
                    after: STREAM_IDLE_TIMEOUT,
                })?
                .map_err(|e| self.client.transport(e, STREAM_IDLE_TIMEOUT))?;
            match chunk {
                Some(bytes) => self.buffer.extend_from_slice(&bytes),
                None => return Ok(None),
            }
        }
    }
}
