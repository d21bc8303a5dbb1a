//! `serve`: the containerizer as a daemon. One TCP port carries both the executor API
//! (`/api/v1/executor`, `/slave(1)/api/v1/executor`, answered by the agent endpoint) and the
//! operator API (`POST /api/v1`, `GET /api/v1/updates`, `GET /health`; see `api.rs`), the
//! agent's files API (`/files/*`, `files.rs`) and metrics (`/metrics/snapshot`, `/metrics`,
//! `metrics.rs`).
//!
//! Start-up order: bind the port (so a busy port fails at once), recover from the
//! checkpoints (executors that survived a previous incarnation re-subscribe to the same
//! port), then announce the address and serve. On SIGTERM or SIGINT the daemon stops
//! serving and exits; executors and containers keep running and are recovered by the next
//! `serve`.

mod api;
mod files;
pub mod files_wire;
mod metrics;
mod response;
pub mod sandbox_path;
mod stream;

use crate::docker_containerizer::{
    ContainerUpdate, ContainerizerConfig, DockerContainerizer, RecoveryReport,
};
use crate::flags::ContainerizerFlags;
use crate::launch::context::{check_docker_version, RunContext, RunError};
use crate::task::prepare::BadInput;
use agent_endpoint::{AgentEndpoint, EndpointConfig, HttpServerConfig};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, watch};

/// The operator API's default port (the Mesos agent's).
pub const DEFAULT_PORT: u16 = 5051;

/// Why the daemon could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Context(#[from] RunError),
    #[error("cannot listen on {addr}: {source} ({hint})")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
        /// What to change: the port or the address, depending on the failure.
        hint: String,
    },
    #[error("recovery failed: {0}")]
    Recover(#[from] crate::docker_containerizer::RecoverError),
    #[error("cannot install the signal handlers: {0}")]
    Signals(#[source] std::io::Error),
}

/// The connection limits of `serve`: its flags, and by default a cap of half the soft
/// open-file limit, so that connections alone never use up the descriptors the daemon needs
/// for executors, docker calls and checkpoints.
pub fn http_config(args: &crate::cli::ServeArgs) -> HttpServerConfig {
    let max_connections = match args.http_max_connections {
        Some(n) => n as usize,
        None => (open_file_limit() / 2).max(16) as usize,
    };
    HttpServerConfig {
        header_read_timeout: Some(args.http_header_read_timeout.to_std()),
        idle_timeout: Some(args.http_idle_timeout.to_std()),
        max_connections: Some(max_connections),
    }
}

/// The soft open-file limit (RLIM_INFINITY, or simply huge, counts as 2^20: a cap of
/// millions of connections caps nothing anyway).
fn open_file_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit with a valid resource and a pointer to a live rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return 1024;
    }
    limit.rlim_cur.min(1 << 20)
}

/// What to change when `addr` cannot be bound: the port when it is taken or privileged,
/// the address when it is not one of this host's.
fn bind_hint(flags: &ContainerizerFlags, err: &std::io::Error, addr: SocketAddr) -> String {
    match err.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "the port is in use: is another serve running? pick another {}",
            flags.label("port")
        ),
        std::io::ErrorKind::AddrNotAvailable => format!(
            "{} is not an address of this host: give one of its addresses, 127.0.0.1 or 0.0.0.0 with {}",
            addr.ip(),
            flags.label("ip")
        ),
        std::io::ErrorKind::PermissionDenied => format!(
            "ports below 1024 need privileges: run as root or pick another {}",
            flags.label("port")
        ),
        _ => format!("check {} and {}", flags.label("ip"), flags.label("port")),
    }
}

/// Every update of every container, to each open `GET /api/v1/updates` without a filter.
#[derive(Default)]
pub(crate) struct Fanout {
    subscribers: Mutex<Vec<mpsc::UnboundedSender<ContainerUpdate>>>,
}

impl Fanout {
    fn send(&self, update: &ContainerUpdate) {
        self.subscribers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|s| s.send(update.clone()).is_ok());
    }

    pub(crate) fn subscribe(&self) -> mpsc::UnboundedReceiver<ContainerUpdate> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.subscribers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(tx);
        rx
    }
}

/// What the request handlers share.
pub(crate) struct Daemon {
    pub(crate) cz: Arc<DockerContainerizer>,
    pub(crate) updates: Fanout,
    pub(crate) local_addr: SocketAddr,
    pub(crate) started_at: f64,
    /// `serve`'s own flags, for `GET_FLAGS` (set when it starts serving).
    pub(crate) serve_flags: std::sync::OnceLock<Vec<(&'static str, String)>>,
}

/// A daemon that is bound and recovered but not yet serving.
pub struct Server {
    listener: TcpListener,
    daemon: Arc<Daemon>,
    endpoint: AgentEndpoint,
    /// What the start-up recovery did.
    pub recovery: RecoveryReport,
}

impl Server {
    /// Binds `ip:port` (port 0: any free port), creates the containerizer behind it and
    /// recovers from the checkpoints.
    pub async fn start(
        flags: ContainerizerFlags,
        ip: IpAddr,
        port: u16,
    ) -> Result<Server, ServeError> {
        // Docker first, then the port: a start-up that fails creates nothing (the agent id
        // in the work dir comes last).
        let docker = flags
            .docker()
            .map_err(|e| RunError::BadInput(BadInput(e.to_string())))?;
        check_docker_version(&docker).await?;
        let addr = SocketAddr::new(ip, port);
        let bind_error = |source: std::io::Error| {
            let hint = bind_hint(&flags, &source, addr);
            ServeError::Bind { addr, source, hint }
        };
        let listener = TcpListener::bind(addr).await.map_err(bind_error)?;
        let local_addr = listener.local_addr().map_err(bind_error)?;
        let ctx = RunContext::from_flags(flags)?;
        // Executors need an address they can connect to: the loopback when we listen on
        // every address.
        let advertised = if local_addr.ip().is_unspecified() {
            SocketAddr::from(([127, 0, 0, 1], local_addr.port()))
        } else {
            local_addr
        };
        let mut config = EndpointConfig::new(advertised);
        config.agent_info = serde_json::json!({ "id": { "value": ctx.agent_id.value } });
        let (endpoint, events) = AgentEndpoint::detached(config);
        let remove_delay = ctx.flags.docker_remove_delay.to_std();
        let cz = DockerContainerizer::new(
            ctx,
            endpoint.clone(),
            events,
            ContainerizerConfig {
                checkpoint: true,
                remove_delay,
                show_progress: false,
            },
        );
        let daemon = Arc::new(Daemon {
            cz: cz.clone(),
            updates: Fanout::default(),
            local_addr,
            started_at: crate::state::record::now(),
            serve_flags: std::sync::OnceLock::new(),
        });
        let weak = Arc::downgrade(&daemon);
        cz.on_update(move |update| {
            if let Some(d) = weak.upgrade() {
                d.updates.send(update);
            }
        });
        let recovery = cz.recover(true).await?;
        Ok(Server {
            listener,
            daemon,
            endpoint,
            recovery,
        })
    }

    /// The address the daemon listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.daemon.local_addr
    }

    /// The containerizer behind the daemon.
    pub fn containerizer(&self) -> Arc<DockerContainerizer> {
        self.daemon.cz.clone()
    }

    /// Serves until SIGTERM or SIGINT, its connections bounded by `http`. Running
    /// containers are left running.
    /// Serves until SIGTERM or SIGINT; `serve_flags` are the flags `GET_FLAGS` shows
    /// besides the global ones ([`crate::cli::ServeArgs::to_pairs`]).
    pub async fn serve(
        self,
        http: HttpServerConfig,
        serve_flags: Vec<(&'static str, String)>,
    ) -> Result<(), ServeError> {
        let _ = self.daemon.serve_flags.set(serve_flags);
        let mut sigterm = signal(SignalKind::terminate()).map_err(ServeError::Signals)?;
        let mut sigint = signal(SignalKind::interrupt()).map_err(ServeError::Signals)?;
        let (stop_tx, stop_rx) = watch::channel(false);
        tracing::info!(addr = %self.daemon.local_addr, "serving the executor and operator APIs");
        let daemon = self.daemon.clone();
        let endpoint = self.endpoint.clone();
        tracing::info!(
            header_read_timeout = ?http.header_read_timeout,
            idle_timeout = ?http.idle_timeout,
            max_connections = ?http.max_connections,
            "connection limits"
        );
        let server = tokio::spawn(agent_endpoint::serve_http1_with(
            self.listener,
            stop_rx,
            http,
            move |req| api::route(daemon.clone(), endpoint.clone(), req),
        ));
        tokio::select! {
            _ = sigterm.recv() => {}
            _ = sigint.recv() => {}
        }
        tracing::info!("stopping: containers keep running and are recovered by the next serve");
        let _ = stop_tx.send(true);
        let _ = server.await;
        self.endpoint.shutdown().await;
        Ok(())
    }
}
