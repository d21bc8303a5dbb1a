//! `http://` and `https://` with reqwest over rustls (ring provider, the platform's trust
//! store). As libcurl does for Mesos: redirects followed (up to [`MAX_REDIRECTS`], libcurl's
//! default, which Mesos does not change), success only on a final 200, no User-Agent,
//! `Accept: */*`, no content decoding, proxies from `http_proxy` (lower case only),
//! `https_proxy`/`HTTPS_PROXY`, `all_proxy`/`ALL_PROXY` and `no_proxy`/`NO_PROXY`. Beyond
//! Mesos: transient failures (transport errors, 5xx) are retried with a bounded backoff;
//! 4xx and too many redirects are not. Every byte written is charged to the run's
//! [`DiskBudget`] first.

use crate::budget::DiskBudget;
use crate::error::FetchError;
use crate::progress::Progress;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Once;
use std::time::Duration;

/// Redirects followed before giving up: libcurl's default `CURLOPT_MAXREDIRS`.
pub const MAX_REDIRECTS: usize = 30;

/// How often and how patiently transient failures are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retry).
    pub max_attempts: u32,
    /// Wait before the first retry; doubled each time up to `max_backoff`.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    fn backoff(&self, retry: u32) -> Duration {
        self.initial_backoff
            .saturating_mul(1u32 << retry.min(16))
            .min(self.max_backoff)
    }
}

/// A shared HTTP client.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
}

static PROVIDER: Once = Once::new();

fn env(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
}

fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut msg = err.to_string();
    let mut cur = err.source();
    while let Some(cause) = cur {
        let s = cause.to_string();
        if !msg.contains(&s) {
            msg.push_str(": ");
            msg.push_str(&s);
        }
        cur = cause.source();
    }
    msg
}

/// A reqwest error in domain words; too many redirects is its own (not retried) error.
fn http_error(shown: &str, e: reqwest::Error) -> FetchError {
    if e.is_redirect() {
        return FetchError::TooManyRedirects {
            uri: shown.to_string(),
            max: MAX_REDIRECTS,
        };
    }
    FetchError::Http {
        uri: shown.to_string(),
        reason: chain(&e.without_url()),
    }
}

impl HttpClient {
    /// Builds the client; installs ring as the process's rustls provider on first use.
    pub fn new() -> Result<Self, FetchError> {
        PROVIDER.call_once(|| {
            let _ = rustls::crypto::ring::default_provider().install_default();
        });
        let build_err = |e: reqwest::Error| FetchError::Http {
            uri: String::new(),
            reason: format!("cannot build the HTTP client: {}", chain(&e)),
        };
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT,
            reqwest::header::HeaderValue::from_static("*/*"),
        );
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
            .default_headers(headers)
            .no_proxy();
        let no_proxy = reqwest::NoProxy::from_env();
        type MakeProxy = fn(String) -> reqwest::Result<reqwest::Proxy>;
        let proxies: [(Option<String>, MakeProxy); 3] = [
            (env(&["http_proxy"]), reqwest::Proxy::http),
            (env(&["https_proxy", "HTTPS_PROXY"]), reqwest::Proxy::https),
            (env(&["all_proxy", "ALL_PROXY"]), reqwest::Proxy::all),
        ];
        for (url, make) in proxies {
            let Some(url) = url else { continue };
            match make(url.clone()) {
                Ok(p) => builder = builder.proxy(p.no_proxy(no_proxy.clone())),
                Err(e) => tracing::warn!("Ignoring invalid proxy '{url}': {}", chain(&e)),
            }
        }
        Ok(Self {
            client: builder.build().map_err(build_err)?,
        })
    }

    /// Downloads `uri` into `dest` (created or truncated, mode 0644 before the umask),
    /// retrying transient failures, charging every byte to `budget`. Returns the byte
    /// count.
    pub async fn download(
        &self,
        uri: &str,
        dest: &Path,
        stall: Option<Duration>,
        retry: &RetryPolicy,
        progress: &Progress,
        budget: &DiskBudget,
    ) -> Result<u64, FetchError> {
        let mut attempt = 1;
        loop {
            match self.attempt(uri, dest, stall, progress, budget).await {
                Ok(n) => return Ok(n),
                Err(e) if e.is_transient() && attempt < retry.max_attempts.max(1) => {
                    let wait = retry.backoff(attempt - 1);
                    tracing::warn!(
                        "Retrying '{}' in {wait:?} (attempt {} of {}) after: {e}",
                        crate::uri::redact(uri),
                        attempt + 1,
                        retry.max_attempts
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn attempt(
        &self,
        uri: &str,
        dest: &Path,
        stall: Option<Duration>,
        progress: &Progress,
        budget: &DiskBudget,
    ) -> Result<u64, FetchError> {
        let shown = crate::uri::redact(uri);
        let http_err = |e: reqwest::Error| http_error(&shown, e);
        let stalled = || FetchError::Stalled {
            uri: shown.clone(),
            after: stall.unwrap_or_default(),
        };
        let send = self.client.get(uri).send();
        let mut response = match stall {
            Some(limit) => tokio::time::timeout(limit, send)
                .await
                .map_err(|_| stalled())?,
            None => send.await,
        }
        .map_err(http_err)?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(FetchError::HttpStatus {
                uri: shown.clone(),
                code: status.as_u16(),
            });
        }
        let expected = response.content_length();
        if let Some(n) = expected {
            if n > budget.remaining() {
                return Err(budget.error(
                    crate::budget::Refused::Exceeded,
                    format!("downloading (the server announced {n} bytes)"),
                ));
            }
            progress.add_expected(n);
        }
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(dest)
            .map_err(|e| FetchError::io("Cannot create", dest, e))?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        let mut received = 0u64;
        progress.start_item();
        let result: Result<(), FetchError> = async {
            loop {
                let next = response.chunk();
                let chunk = match stall {
                    Some(limit) => tokio::time::timeout(limit, next)
                        .await
                        .map_err(|_| stalled())?,
                    None => next.await,
                }
                .map_err(http_err)?;
                let Some(chunk) = chunk else { break };
                budget.charge_for(chunk.len() as u64, || "downloading".into())?;
                out.write_all(&chunk)
                    .map_err(|e| FetchError::io("Cannot write", dest, e))?;
                received += chunk.len() as u64;
                progress.add_received(chunk.len() as u64);
            }
            out.flush()
                .map_err(|e| FetchError::io("Cannot write", dest, e))?;
            Ok(())
        }
        .await;
        progress.end_item();
        if result.is_err() {
            // A retry starts the file again from zero.
            budget.refund(received);
        }
        if let (Err(_), Some(n)) = (&result, expected) {
            // Keep the overall figure meaningful across a retry.
            progress.add_expected(0u64.wrapping_sub(n));
            progress.add_received(0u64.wrapping_sub(received));
        }
        result?;
        if let Some(n) = expected {
            if n != received {
                return Err(FetchError::Http {
                    uri: shown,
                    reason: format!("Transferred a partial file: {received} of {n} bytes"),
                });
            }
        }
        Ok(received)
    }

    /// The size of `uri` from a HEAD request's Content-Length, for the cache planner. As in
    /// Mesos, a missing or zero length is an error; beyond Mesos, so is a non-200 status.
    pub async fn content_length(&self, uri: &str) -> Result<u64, FetchError> {
        let shown = crate::uri::redact(uri);
        let response = self
            .client
            .head(uri)
            .send()
            .await
            .map_err(|e| http_error(&shown, e))?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(FetchError::HttpStatus {
                uri: shown,
                code: response.status().as_u16(),
            });
        }
        match response
            .headers()
            .get(reqwest::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
        {
            Some(n) if n > 0 => Ok(n),
            Some(_) => Err(FetchError::Http {
                uri: shown.clone(),
                reason: format!("URI reported content-length 0: {shown}"),
            }),
            None => Err(FetchError::Http {
                uri: shown,
                reason: "No URL content-length available".into(),
            }),
        }
    }
}
