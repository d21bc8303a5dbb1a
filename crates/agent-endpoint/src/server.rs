//! The HTTP/1.1 connection loop of the executor API (and of an owner that serves it next to
//! its own routes): keep-alive connections, each bounded so that idle or slow clients cannot
//! use up the process's file descriptors and shut out everyone else.
//!
//! - A request's head must arrive within the header read timeout, counted from its first
//!   byte.
//! - A connection with no request in flight is closed after the idle timeout, unless it
//!   carries an executor's calls: once a request on one of [`EXECUTOR_API_PATHS`] was
//!   answered with success, the connection belongs to an executor and is never closed for
//!   being idle (its SUBSCRIBE stream is a response in flight, and its call connection sits
//!   idle between status updates; cutting either reads as a disconnection to the executor).
//! - At most `max_connections` connections are open. A new one beyond the cap closes the
//!   connection idle for longest (never an executor's, never one with a request in flight);
//!   when there is none, the new connection is closed at once. So a flood of idle sockets
//!   makes room for whoever comes next, executors and `/health` included.
//!
//! [`EXECUTOR_API_PATHS`]: crate::EXECUTOR_API_PATHS

use hyper::body::{Body, Frame, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::time::Instant;

/// How the connection loop bounds its clients (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpServerConfig {
    /// Longest time from the first byte of a request to the end of its head (`None`: no
    /// limit).
    pub header_read_timeout: Option<Duration>,
    /// Longest time a connection other than an executor's stays open with no request in
    /// flight (`None`: no limit).
    pub idle_timeout: Option<Duration>,
    /// Most connections open at once (`None`: no limit).
    pub max_connections: Option<usize>,
}

/// The default header read timeout (hyper's own default).
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// The default idle timeout.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(120);

impl Default for HttpServerConfig {
    /// A 30 s header read timeout and a 2 min idle timeout; no connection cap.
    fn default() -> Self {
        Self {
            header_read_timeout: Some(DEFAULT_HEADER_READ_TIMEOUT),
            idle_timeout: Some(DEFAULT_IDLE_TIMEOUT),
            max_connections: None,
        }
    }
}

/// What one connection is doing, as the loop needs to know to time it out or evict it.
#[derive(Debug)]
struct Activity {
    /// Requests whose response body is not yet fully sent.
    in_flight: usize,
    /// Since when nothing is in flight.
    idle_since: Instant,
    /// Since when bytes of a request that was not dispatched yet have been arriving.
    partial_since: Option<Instant>,
    /// An executor API request was answered with success on this connection.
    executor: bool,
}

#[derive(Debug)]
struct Conn {
    activity: Mutex<Activity>,
    /// The activity changed: the connection task recomputes its deadline.
    changed: Notify,
    /// Closed to make room for a new connection.
    evict: Notify,
    evicted: AtomicBool,
}

impl Conn {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            activity: Mutex::new(Activity {
                in_flight: 0,
                idle_since: Instant::now(),
                partial_since: None,
                executor: false,
            }),
            changed: Notify::new(),
            evict: Notify::new(),
            evicted: AtomicBool::new(false),
        })
    }

    fn activity(&self) -> std::sync::MutexGuard<'_, Activity> {
        self.activity.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bytes arrived from the client.
    fn on_bytes(&self) {
        let mut a = self.activity();
        if a.in_flight == 0 && a.partial_since.is_none() {
            a.partial_since = Some(Instant::now());
            drop(a);
            self.changed.notify_one();
        }
    }

    /// A request was dispatched: it is in flight until its guard drops.
    fn begin(self: &Arc<Self>) -> InFlight {
        {
            let mut a = self.activity();
            a.in_flight += 1;
            a.partial_since = None;
        }
        self.changed.notify_one();
        InFlight { conn: self.clone() }
    }

    fn mark_executor(&self) {
        self.activity().executor = true;
    }

    /// When the connection is to be closed unless something happens first, and why.
    fn deadline(&self, config: &HttpServerConfig) -> Option<(Instant, &'static str)> {
        let a = self.activity();
        if a.in_flight > 0 {
            return None;
        }
        if let Some(since) = a.partial_since {
            return config.header_read_timeout.map(|t| {
                (
                    since + t,
                    "the request head did not arrive within the header read timeout",
                )
            });
        }
        if a.executor {
            return None;
        }
        config
            .idle_timeout
            .map(|t| (a.idle_since + t, "idle for the idle timeout"))
    }

    /// Since when the connection may be closed to make room, if it may.
    fn evictable_since(&self) -> Option<Instant> {
        if self.evicted.load(Ordering::Relaxed) {
            return None;
        }
        let a = self.activity();
        (a.in_flight == 0 && !a.executor).then_some(a.idle_since)
    }
}

/// A request in flight on its connection, until the response body is dropped (sent or
/// abandoned).
struct InFlight {
    conn: Arc<Conn>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        {
            let mut a = self.conn.activity();
            a.in_flight = a.in_flight.saturating_sub(1);
            if a.in_flight == 0 {
                a.idle_since = Instant::now();
                a.partial_since = None;
            }
        }
        self.conn.changed.notify_one();
    }
}

/// A response body that keeps its request in flight while hyper sends it.
struct Tracked<B> {
    body: Pin<Box<B>>,
    _in_flight: InFlight,
}

impl<B: Body> Body for Tracked<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        self.get_mut().body.as_mut().poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The socket, telling its connection when bytes arrive.
struct Watched {
    stream: TcpStream,
    conn: Arc<Conn>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.conn.on_bytes();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Serves HTTP/1.1 (keep-alive) on `listener` with `handler` until `shutdown` changes; then
/// open connections are dropped too. Connections are bounded by `config` (see the module
/// docs). Accept errors (EMFILE and friends) back off briefly instead of spinning.
pub async fn serve_http1_with<H, F, B>(
    listener: TcpListener,
    mut shutdown: watch::Receiver<bool>,
    config: HttpServerConfig,
    handler: H,
) where
    H: Fn(hyper::Request<hyper::body::Incoming>) -> F + Clone + Send + Sync + 'static,
    F: std::future::Future<Output = hyper::Response<B>> + Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let config = Arc::new(config);
    let open: Arc<Mutex<HashMap<u64, Arc<Conn>>>> = Arc::default();
    let next_id = AtomicU64::new(0);
    let mut refused_logged_at: Option<Instant> = None;
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.changed() => return,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let conn = Conn::new();
        let id = next_id.fetch_add(1, Ordering::Relaxed);
        {
            let mut open = open.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(max) = config.max_connections {
                let live = open
                    .values()
                    .filter(|c| !c.evicted.load(Ordering::Relaxed))
                    .count();
                if live >= max {
                    let victim = open
                        .values()
                        .filter_map(|c| c.evictable_since().map(|since| (since, c)))
                        .min_by_key(|(since, _)| *since)
                        .map(|(_, c)| c.clone());
                    match victim {
                        Some(victim) => {
                            victim.evicted.store(true, Ordering::Relaxed);
                            victim.evict.notify_one();
                        }
                        None => {
                            // Every slot is busy: refuse, logging at most once a minute.
                            let now = Instant::now();
                            if refused_logged_at
                                .is_none_or(|t| now.duration_since(t) > Duration::from_secs(60))
                            {
                                refused_logged_at = Some(now);
                                tracing::warn!(%peer, max, "connection refused: all connections are busy (see --http_max_connections)");
                            }
                            drop(stream);
                            continue;
                        }
                    }
                }
            }
            open.insert(id, conn.clone());
        }
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        let mut shutdown = shutdown.clone();
        let config = config.clone();
        let open = open.clone();
        tokio::spawn(async move {
            let service_conn = conn.clone();
            let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let executor_call = crate::http::is_executor_api_path(req.uri().path());
                let in_flight = service_conn.begin();
                let response = handler(req);
                async move {
                    let response = response.await;
                    if executor_call && response.status().is_success() {
                        in_flight.conn.mark_executor();
                    }
                    Ok::<_, std::convert::Infallible>(response.map(|body| Tracked {
                        body: Box::pin(body),
                        _in_flight: in_flight,
                    }))
                }
            });
            let io = Watched {
                stream,
                conn: conn.clone(),
            };
            let serving = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(io), service);
            tokio::pin!(serving);
            loop {
                let deadline = conn.deadline(&config);
                tokio::select! {
                    result = &mut serving => {
                        if let Err(e) = result {
                            tracing::debug!(%peer, error = %e, "connection ended");
                        }
                        break;
                    }
                    _ = shutdown.changed() => break,
                    _ = conn.evict.notified() => {
                        tracing::debug!(%peer, "closing an idle connection to make room for a new one");
                        break;
                    }
                    _ = conn.changed.notified() => {}
                    _ = sleep_until(deadline.map(|(at, _)| at)) => {
                        // Look again: the connection may have become busy meanwhile.
                        if let Some((at, why)) = conn.deadline(&config) {
                            if at <= Instant::now() {
                                tracing::debug!(%peer, "closing a connection: {why}");
                                break;
                            }
                        }
                    }
                }
            }
            open.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> HttpServerConfig {
        HttpServerConfig {
            header_read_timeout: Some(Duration::from_secs(1)),
            idle_timeout: Some(Duration::from_secs(10)),
            max_connections: Some(2),
        }
    }

    #[tokio::test]
    async fn deadlines_follow_what_the_connection_does() {
        let conn = Conn::new();
        let (at, why) = conn.deadline(&config()).unwrap();
        assert!(why.starts_with("idle"), "{why}");
        assert!(at > Instant::now() + Duration::from_secs(5));

        conn.on_bytes();
        let (_, why) = conn.deadline(&config()).unwrap();
        assert!(why.contains("header read timeout"), "{why}");

        let in_flight = conn.begin();
        assert!(conn.deadline(&config()).is_none());
        assert!(conn.evictable_since().is_none());
        drop(in_flight);
        let (_, why) = conn.deadline(&config()).unwrap();
        assert!(why.starts_with("idle"), "{why}");
        assert!(conn.evictable_since().is_some());

        conn.mark_executor();
        assert!(conn.deadline(&config()).is_none());
        assert!(conn.evictable_since().is_none());
        // Even an executor's connection must send a whole request head in time.
        conn.on_bytes();
        assert!(conn.deadline(&config()).is_some());
    }
}
