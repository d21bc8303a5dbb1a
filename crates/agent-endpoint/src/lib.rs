//! The agent side of the Mesos v1 Executor HTTP API, for the containerizer to host.
//!
//! [`AgentEndpoint::bind`] serves `POST /api/v1/executor` and `POST /slave(1)/api/v1/executor`
//! (HTTP/1.1, JSON or protobuf) with the agent's status codes, checked in the agent's order.
//! An executor's `SUBSCRIBE` is answered `200` with a never-ending chunked RecordIO stream of
//! events (`SUBSCRIBED` first, then `LAUNCH`, `KILL`, `ACKNOWLEDGED`, `SHUTDOWN`, `MESSAGE`,
//! `HEARTBEAT`); `UPDATE` and `MESSAGE` are answered `202`.
//!
//! The owner drives it:
//! 1. [`AgentEndpoint::register_executor`] before starting the executor process (or
//!    [`AgentEndpoint::recover_executor`] for one that survived an owner restart), then
//!    [`AgentEndpoint::launch_task`]: the LAUNCH waits until the executor subscribes.
//! 2. Read [`EndpointEvent`]s from the receiver `bind` returned: subscriptions,
//!    disconnections, status updates (deduplicated by uuid, in arrival order), messages.
//! 3. Accept (checkpoint) each [`StatusUpdate`], then call [`AgentEndpoint::acknowledge`]:
//!    only then does the executor get `ACKNOWLEDGED` (unless [`EndpointConfig::auto_acknowledge`]).
//! 4. [`AgentEndpoint::kill_task`], [`AgentEndpoint::shutdown_executor`],
//!    [`AgentEndpoint::unregister_executor`] when the executor is gone.
//!
//! Serving the routes from the owner's own HTTP server: [`AgentEndpoint::detached`] makes an
//! endpoint that does not listen, and the owner passes every request for one of
//! [`EXECUTOR_API_PATHS`] to [`AgentEndpoint::handle`] (the containerizer daemon does this to
//! serve the executor API and its operator API on one port).
//!
//! Calls may be JSON or protobuf (`Content-Type: application/x-protobuf`, an encoded
//! `mesos.v1.executor.Call`, decoded by `mesos-proto`). A SUBSCRIBE's stream is JSON when
//! its `Accept` allows JSON, else protobuf-encoded `mesos.v1.executor.Event`s when it allows
//! protobuf, as the agent chooses.
//!
//! Not supported: executor authentication tokens (not checked).

mod body;
mod error;
mod http;
mod registry;
mod server;
pub mod validate;

pub use body::ExecutorApiBody;
pub use error::EndpointError;
pub use http::{is_executor_api_path, EXECUTOR_API_PATHS};
pub use server::{
    serve_http1_with, HttpServerConfig, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
};

use hyper::body::Body;
use hyper::{Request, Response};
use mesos_types::status::TaskStatus;
use mesos_types::task::{ExecutorInfo, FrameworkInfo, KillPolicy, TaskInfo};
use mesos_types::{ContainerId, ExecutorId, FrameworkId, TaskId};
use registry::Registry;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

/// The agent's executor heartbeat interval (`DEFAULT_EXECUTOR_HEARTBEAT_INTERVAL`).
pub const DEFAULT_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(30 * 60);

/// Largest request body accepted (a re-SUBSCRIBE carries whole TaskInfos).
pub const DEFAULT_MAX_REQUEST_BODY: usize = 64 << 20;

/// How to run the endpoint.
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// Where to listen; port 0 picks a free port ([`AgentEndpoint::local_addr`] tells which).
    pub bind_addr: SocketAddr,
    /// `mesos.v1.AgentInfo` sent in SUBSCRIBED. `hostname` is filled with the bound IP and
    /// `port` with the bound port when absent. `id.value`, when present, is the agent id
    /// put into updates that lack one; an update naming another agent is dropped unACKed,
    /// as the agent does.
    pub agent_info: serde_json::Value,
    /// HEARTBEAT event interval on each subscription (zero: none).
    pub heartbeat_interval: Duration,
    /// ACK every new update as soon as it is queued to the owner (for owners that keep no
    /// checkpoint). Off by default: the owner calls [`AgentEndpoint::acknowledge`].
    pub auto_acknowledge: bool,
    /// Request body limit in bytes (413 beyond it).
    pub max_request_body: usize,
}

impl EndpointConfig {
    /// Defaults: agent info filled in at bind time, heartbeats every 30 minutes, explicit
    /// acknowledgements, 64 MiB request limit.
    pub fn new(bind_addr: SocketAddr) -> Self {
        Self {
            bind_addr,
            agent_info: serde_json::json!({}),
            heartbeat_interval: DEFAULT_HEARTBEAT_INTERVAL,
            auto_acknowledge: false,
            max_request_body: DEFAULT_MAX_REQUEST_BODY,
        }
    }
}

/// A status update received from an executor, new to this endpoint (duplicates are not
/// delivered twice). `status` has `source`, `agent_id` (when the endpoint knows it) and
/// `container_status.container_id` filled in, as the agent does.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate {
    pub framework_id: FrameworkId,
    pub executor_id: ExecutorId,
    /// The update's uuid (the 16 raw bytes); pass it to [`AgentEndpoint::acknowledge`].
    pub uuid: [u8; 16],
    pub status: TaskStatus,
}

/// What the endpoint tells its owner, in the order it happened.
#[derive(Debug, Clone, PartialEq)]
pub enum EndpointEvent {
    /// The executor subscribed (`reconnected`: it had subscribed before).
    Subscribed {
        framework_id: FrameworkId,
        executor_id: ExecutorId,
        reconnected: bool,
    },
    /// The executor's subscription stream ended (connection lost or closed).
    Disconnected {
        framework_id: FrameworkId,
        executor_id: ExecutorId,
    },
    /// A new status update; acknowledge it once accepted.
    Update(Box<StatusUpdate>),
    /// Data for the scheduler (`Call.Message`).
    Message {
        framework_id: FrameworkId,
        executor_id: ExecutorId,
        data: Vec<u8>,
    },
    /// A task whose LAUNCH was sent but which the re-subscribing executor does not know
    /// (not in `unacknowledged_tasks`, no update ever received): report it lost
    /// (`TASK_LOST`/`TASK_DROPPED`, `REASON_AGENT_RESTARTED`), as the agent does.
    TaskLost {
        framework_id: FrameworkId,
        executor_id: ExecutorId,
        task: Box<TaskInfo>,
    },
}

/// What became of a kill request.
#[derive(Debug, Clone, PartialEq)]
pub enum KillOutcome {
    /// KILL written to the executor's stream.
    Sent,
    /// The executor is disconnected; KILL goes out when it resubscribes.
    Queued,
    /// The task had not reached the executor yet: it was withdrawn and will never launch.
    /// Report `TASK_KILLED` (`REASON_TASK_KILLED_DURING_LAUNCH`) yourself.
    NotLaunched(Box<TaskInfo>),
}

/// The receiving end of the endpoint's [`EndpointEvent`]s. Keep draining it: it is
/// unbounded so the HTTP side never blocks on the owner.
pub type EndpointEvents = mpsc::UnboundedReceiver<EndpointEvent>;

struct Shared {
    registry: Arc<Mutex<Registry>>,
    local_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    max_request_body: usize,
}

/// A running executor API endpoint. Cheap to clone; all clones drive the same endpoint.
#[derive(Clone)]
pub struct AgentEndpoint {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for AgentEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentEndpoint")
            .field("local_addr", &self.shared.local_addr)
            .finish_non_exhaustive()
    }
}

impl AgentEndpoint {
    /// Binds `config.bind_addr` and starts serving on the current tokio runtime.
    pub async fn bind(
        config: EndpointConfig,
    ) -> Result<(AgentEndpoint, EndpointEvents), EndpointError> {
        let listener = TcpListener::bind(config.bind_addr)
            .await
            .map_err(|source| EndpointError::Bind {
                addr: config.bind_addr,
                source,
            })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| EndpointError::Bind {
                addr: config.bind_addr,
                source,
            })?;
        let (endpoint, events, shutdown_rx) = Self::create(&config, local_addr);
        tokio::spawn(accept_loop(
            listener,
            endpoint.shared.registry.clone(),
            config.max_request_body,
            shutdown_rx,
        ));
        tracing::info!(%local_addr, "executor API endpoint listening");
        Ok((endpoint, events))
    }

    /// An endpoint that does not listen: the owner runs the HTTP server and passes each
    /// request for one of [`EXECUTOR_API_PATHS`] to [`AgentEndpoint::handle`].
    /// `config.bind_addr` is the address executors reach that server at (it goes into
    /// SUBSCRIBED and [`AgentEndpoint::local_addr`]); `config.max_request_body` applies to
    /// `handle`.
    pub fn detached(config: EndpointConfig) -> (AgentEndpoint, EndpointEvents) {
        let (endpoint, events, _) = Self::create(&config, config.bind_addr);
        (endpoint, events)
    }

    fn create(
        config: &EndpointConfig,
        local_addr: SocketAddr,
    ) -> (AgentEndpoint, EndpointEvents, watch::Receiver<bool>) {
        let mut agent_info = config.agent_info.clone();
        if !agent_info.is_object() {
            agent_info = serde_json::json!({});
        }
        if agent_info.get("hostname").is_none() {
            agent_info["hostname"] = local_addr.ip().to_string().into();
        }
        if agent_info.get("port").is_none() {
            agent_info["port"] = local_addr.port().into();
        }

        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let registry = Arc::new(Mutex::new(Registry::new(
            events_tx,
            agent_info,
            config.auto_acknowledge,
            config.heartbeat_interval,
        )));
        let (shutdown, shutdown_rx) = watch::channel(false);
        (
            AgentEndpoint {
                shared: Arc::new(Shared {
                    registry,
                    local_addr,
                    shutdown,
                    max_request_body: config.max_request_body,
                }),
            },
            events_rx,
            shutdown_rx,
        )
    }

    /// Answers one executor API request, exactly as the endpoint's own listener would: for
    /// owners that serve the routes from their own HTTP server ([`AgentEndpoint::detached`]).
    /// A path other than [`EXECUTOR_API_PATHS`] gets `404`.
    pub async fn handle<B>(&self, req: Request<B>) -> Response<ExecutorApiBody>
    where
        B: Body,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        let response = http::handle(
            self.shared.registry.clone(),
            self.shared.max_request_body,
            req,
        )
        .await;
        response.map(ExecutorApiBody::from)
    }

    /// The address actually bound (use it for `MESOS_AGENT_ENDPOINT`).
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.local_addr
    }

    /// `MESOS_SLAVE_PID` matching this endpoint: `slave(1)@<ip>:<port>`.
    pub fn agent_pid(&self) -> String {
        format!("slave(1)@{}", self.shared.local_addr)
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Registry) -> Result<T, EndpointError>,
    ) -> Result<T, EndpointError> {
        let mut registry = self
            .shared
            .registry
            .lock()
            .map_err(|_| EndpointError::Closed)?;
        f(&mut registry)
    }

    /// Expects an executor: its SUBSCRIBE is accepted from now on. `framework_info.id` must
    /// be set; `container_id` goes into SUBSCRIBED (the executor names its docker container
    /// `mesos-<container_id>`).
    pub fn register_executor(
        &self,
        framework_info: FrameworkInfo,
        executor_info: ExecutorInfo,
        container_id: ContainerId,
    ) -> Result<(), EndpointError> {
        self.with(|r| {
            r.register(framework_info, executor_info, container_id)
                .map(|_| ())
        })
    }

    /// Re-adopts an executor that was running under a previous incarnation of the owner:
    /// `tasks` were already delivered to it, and the updates whose uuids are in
    /// `acknowledged` were already accepted (their resends are ACKed, not delivered again).
    pub fn recover_executor(
        &self,
        framework_info: FrameworkInfo,
        executor_info: ExecutorInfo,
        container_id: ContainerId,
        tasks: Vec<TaskInfo>,
        acknowledged: Vec<[u8; 16]>,
    ) -> Result<(), EndpointError> {
        self.with(|r| {
            r.recover(
                framework_info,
                executor_info,
                container_id,
                tasks,
                acknowledged,
            )
        })
    }

    /// Forgets the executor and ends its subscription stream.
    pub fn unregister_executor(
        &self,
        framework_id: &FrameworkId,
        executor_id: &ExecutorId,
    ) -> Result<(), EndpointError> {
        self.with(|r| r.unregister(framework_id, executor_id))
    }

    /// Sends LAUNCH for `task`, now if the executor is subscribed (returns `true`), else as
    /// soon as it subscribes (`false`).
    pub fn launch_task(
        &self,
        framework_id: &FrameworkId,
        executor_id: &ExecutorId,
        task: TaskInfo,
    ) -> Result<bool, EndpointError> {
        self.with(|r| r.launch(framework_id, executor_id, task))
    }

    /// Sends KILL for a task, with `kill_policy` overriding the task's own grace period for
    /// this kill when given.
    pub fn kill_task(
        &self,
        framework_id: &FrameworkId,
        executor_id: &ExecutorId,
        task_id: &TaskId,
        kill_policy: Option<KillPolicy>,
    ) -> Result<KillOutcome, EndpointError> {
        self.with(|r| r.kill(framework_id, executor_id, task_id, kill_policy))
    }

    /// Sends SHUTDOWN (returns `true`), or answers the executor's next SUBSCRIBE with one
    /// (`false`). The executor takes no new tasks afterwards. Destroying the container when
    /// the shutdown grace period has passed is the owner's job.
    pub fn shutdown_executor(
        &self,
        framework_id: &FrameworkId,
        executor_id: &ExecutorId,
    ) -> Result<bool, EndpointError> {
        self.with(|r| r.shutdown(framework_id, executor_id))
    }

    /// Sends a scheduler MESSAGE; `false` when the executor is not connected (messages are
    /// not queued: Mesos gives them no delivery guarantee).
    pub fn send_message(
        &self,
        framework_id: &FrameworkId,
        executor_id: &ExecutorId,
        data: Vec<u8>,
    ) -> Result<bool, EndpointError> {
        self.with(|r| r.message(framework_id, executor_id, data))
    }

    /// The owner has accepted (checkpointed) the update with `uuid`: sends ACKNOWLEDGED.
    /// Returns `false` when the executor is not connected right now; it then resends the
    /// update when it resubscribes and gets the ACK at once.
    pub fn acknowledge(
        &self,
        framework_id: &FrameworkId,
        executor_id: &ExecutorId,
        task_id: &TaskId,
        uuid: [u8; 16],
    ) -> Result<bool, EndpointError> {
        self.with(|r| r.acknowledge(framework_id, executor_id, task_id, uuid))
    }

    /// [`AgentEndpoint::acknowledge`] for a received [`StatusUpdate`].
    pub fn acknowledge_update(&self, update: &StatusUpdate) -> Result<bool, EndpointError> {
        self.acknowledge(
            &update.framework_id,
            &update.executor_id,
            &update.status.task_id,
            update.uuid,
        )
    }

    /// `Some(true)` while the executor has a live subscription stream, `Some(false)` when it
    /// is registered without one, `None` when unknown.
    pub fn is_connected(
        &self,
        framework_id: &FrameworkId,
        executor_id: &ExecutorId,
    ) -> Option<bool> {
        self.shared
            .registry
            .lock()
            .ok()?
            .is_connected(framework_id, executor_id)
    }

    /// Stops listening, closes every connection and forgets every executor. Executors see
    /// their stream end (a disconnection) and, if they checkpoint, try to resubscribe.
    pub async fn shutdown(&self) {
        let _ = self.shared.shutdown.send(true);
        if let Ok(mut r) = self.shared.registry.lock() {
            r.close();
        }
        // Let the accept loop and connection tasks observe the signal and drop their sockets.
        tokio::task::yield_now().await;
    }
}

async fn accept_loop(
    listener: TcpListener,
    registry: Arc<Mutex<Registry>>,
    max_body: usize,
    shutdown: watch::Receiver<bool>,
) {
    serve_http1(listener, shutdown, move |req| {
        let registry = registry.clone();
        async move { http::handle(registry, max_body, req).await }
    })
    .await
}

/// Serves HTTP/1.1 (keep-alive) on `listener` with `handler` until `shutdown` changes; then
/// open connections are dropped too. The connections are bounded by the default
/// [`HttpServerConfig`] (header read and idle timeouts; executors' connections exempt from
/// the latter): see [`serve_http1_with`]. The owner of a server that hosts the executor API
/// next to its own routes uses this with [`AgentEndpoint::handle`].
pub async fn serve_http1<H, F, B>(
    listener: TcpListener,
    shutdown: watch::Receiver<bool>,
    handler: H,
) where
    H: Fn(hyper::Request<hyper::body::Incoming>) -> F + Clone + Send + Sync + 'static,
    F: std::future::Future<Output = hyper::Response<B>> + Send + 'static,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    serve_http1_with(listener, shutdown, HttpServerConfig::default(), handler).await
}
