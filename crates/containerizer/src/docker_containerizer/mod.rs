//! The Docker containerizer proper (Mesos's `DockerContainerizer`): many containers behind
//! one agent endpoint, each driven from launch to end by its own lifecycle task
//! (`lifecycle.rs`: fetch → pull → executor → status updates → end), with every step
//! checkpointed first so [`DockerContainerizer::recover`] can pick them up after a restart.
//!
//! `run` uses it for one container on a private endpoint; `serve` for many, on the port that
//! also carries the operator API.

mod container;
pub mod gc;
mod lifecycle;
pub mod metrics;
mod recover;
mod usage;

pub use container::{Container, ContainerLimits, ContainerSnapshot};
pub use recover::{
    OrphanAction, RecoverError, RecoveredAction, RecoveredContainer, RecoveryReport,
};
pub use usage::{UpdateOutcome, UsageError};

use crate::launch::context::{executor_container_spec, task_run_command, RunContext, RunError};
use crate::launch::executor_container;
use crate::state::checkpoint::{self, CheckpointError};
use crate::state::record::{now, ContainerRecord, ContainerState, Termination};
use crate::task::prepare::{BadInput, LaunchSpec};
use agent_endpoint::{AgentEndpoint, EndpointEvent, EndpointEvents};
use container::Command;
use mesos_types::duration::Duration;
use mesos_types::status::TaskStatus;
use mesos_types::task::KillPolicy;
use mesos_types::{ExecutorId, FrameworkId};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// How the containerizer behaves beyond its flags.
#[derive(Debug, Clone)]
pub struct ContainerizerConfig {
    /// Launch with a checkpointing framework: executors outlive this process and reconnect
    /// to its next incarnation (`serve`). Off for `run`, whose executors stop their task
    /// when it goes away.
    pub checkpoint: bool,
    /// How long a task container is kept after the end before `docker rm -f -v`
    /// (`--docker_remove_delay`; zero for `run`).
    pub remove_delay: std::time::Duration,
    /// Show image pull progress on stderr (`run` on a terminal).
    pub show_progress: bool,
}

/// A launch that was refused before anything was created.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error(transparent)]
    BadInput(#[from] BadInput),
    /// The ContainerID is taken (by a container known now, or by a sandbox left on disk).
    #[error("{0}")]
    Conflict(String),
    #[error("failed to prepare the sandbox of container {container_id}: {reason}")]
    Sandbox {
        container_id: String,
        reason: String,
    },
    #[error("failed to checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
}

impl From<LaunchError> for RunError {
    fn from(e: LaunchError) -> Self {
        match e {
            LaunchError::BadInput(b) => RunError::BadInput(b),
            LaunchError::Conflict(message) => RunError::BadInput(BadInput(message)),
            LaunchError::Sandbox {
                container_id,
                reason,
            } => RunError::Sandbox {
                container_id,
                reason,
            },
            LaunchError::Checkpoint(c) => RunError::Checkpoint(c),
        }
    }
}

/// What became of a kill request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KillResult {
    /// The kill is under way; wait for the termination.
    Killing,
    /// The container had ended already.
    AlreadyTerminated(Termination),
}

/// What `destroy` did.
#[derive(Debug, Clone, PartialEq)]
pub struct DestroyOutcome {
    /// How the container ended (`None` when it was not known: destroy is idempotent).
    pub termination: Option<Termination>,
}

/// One status update of one container, as the update stream carries it.
#[derive(Debug, Clone)]
pub struct ContainerUpdate {
    pub container_id: String,
    pub status: TaskStatus,
}

type UpdateHook = Arc<dyn Fn(&ContainerUpdate) + Send + Sync>;

/// Routes the endpoint's events to the lifecycle task of the container whose executor they
/// concern.
#[derive(Default)]
struct Router {
    routes: Mutex<HashMap<(FrameworkId, ExecutorId), mpsc::UnboundedSender<EndpointEvent>>>,
}

impl Router {
    fn add(
        &self,
        framework_id: FrameworkId,
        executor_id: ExecutorId,
    ) -> mpsc::UnboundedReceiver<EndpointEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.lock().insert((framework_id, executor_id), tx);
        rx
    }

    fn remove(&self, framework_id: &FrameworkId, executor_id: &ExecutorId) {
        self.lock()
            .remove(&(framework_id.clone(), executor_id.clone()));
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<
        '_,
        HashMap<(FrameworkId, ExecutorId), mpsc::UnboundedSender<EndpointEvent>>,
    > {
        self.routes.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn dispatch(&self, event: EndpointEvent) {
        let key = match &event {
            EndpointEvent::Subscribed {
                framework_id,
                executor_id,
                ..
            }
            | EndpointEvent::Disconnected {
                framework_id,
                executor_id,
            }
            | EndpointEvent::Message {
                framework_id,
                executor_id,
                ..
            }
            | EndpointEvent::TaskLost {
                framework_id,
                executor_id,
                ..
            } => (framework_id.clone(), executor_id.clone()),
            EndpointEvent::Update(u) => (u.framework_id.clone(), u.executor_id.clone()),
        };
        let routes = self.lock();
        match routes.get(&key) {
            Some(tx) => {
                let _ = tx.send(event);
            }
            None => {
                tracing::debug!(framework_id = %key.0, executor_id = %key.1, "event for an executor no container owns")
            }
        }
    }
}

/// The containerizer: its containers, the agent endpoint their executors talk to, and the
/// context every launch needs.
pub struct DockerContainerizer {
    pub(crate) ctx: RunContext,
    pub(crate) endpoint: AgentEndpoint,
    pub(crate) config: ContainerizerConfig,
    router: Router,
    containers: Mutex<BTreeMap<String, Arc<Container>>>,
    update_hooks: Mutex<Vec<UpdateHook>>,
    metrics: crate::docker_containerizer::metrics::Metrics,
}

impl std::fmt::Debug for DockerContainerizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerContainerizer")
            .field("endpoint", &self.endpoint)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl DockerContainerizer {
    /// A containerizer on `endpoint`, whose `events` it drains from now on.
    pub fn new(
        ctx: RunContext,
        endpoint: AgentEndpoint,
        mut events: EndpointEvents,
        config: ContainerizerConfig,
    ) -> Arc<Self> {
        let cz = Arc::new(Self {
            ctx,
            endpoint,
            config,
            router: Router::default(),
            containers: Mutex::new(BTreeMap::new()),
            update_hooks: Mutex::new(Vec::new()),
            metrics: crate::docker_containerizer::metrics::Metrics::default(),
        });
        let weak = Arc::downgrade(&cz);
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                let Some(cz) = weak.upgrade() else { return };
                cz.router.dispatch(event);
            }
        });
        cz
    }

    /// The agent endpoint the executors talk to.
    pub fn endpoint(&self) -> &AgentEndpoint {
        &self.endpoint
    }

    /// The flags, docker handle, work dir and agent id.
    pub fn context(&self) -> &RunContext {
        &self.ctx
    }

    /// What this containerizer counted.
    pub fn metrics(&self) -> &crate::docker_containerizer::metrics::Metrics {
        &self.metrics
    }

    /// Calls `hook` with every status update accepted from now on, of every container,
    /// after it was checkpointed and before it is acknowledged.
    pub fn on_update(&self, hook: impl Fn(&ContainerUpdate) + Send + Sync + 'static) {
        self.update_hooks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::new(hook));
    }

    fn containers(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Arc<Container>>> {
        self.containers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The container with this id.
    pub fn get(&self, container_id: &str) -> Option<Arc<Container>> {
        self.containers().get(container_id).cloned()
    }

    /// Every container known, in ContainerID order.
    pub fn list(&self) -> Vec<Arc<Container>> {
        self.containers().values().cloned().collect()
    }

    /// Checkpoints and publishes one update of `container` (checkpoint first: the caller
    /// acknowledges only after this returned `Ok`).
    pub(crate) fn accept_update(
        &self,
        container: &Container,
        status: &TaskStatus,
    ) -> Result<(), CheckpointError> {
        container.accept_update(status)?;
        self.count_update(container, status);
        let update = ContainerUpdate {
            container_id: container.id.clone(),
            status: status.clone(),
        };
        let hooks: Vec<UpdateHook> = self
            .update_hooks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for hook in hooks {
            hook(&update);
        }
        Ok(())
    }

    /// Checks `spec` and everything a launch would trip over, without creating anything.
    fn check_launch(&self, spec: &LaunchSpec) -> Result<(), LaunchError> {
        let cid = &spec.container_id;
        let sandbox = self.ctx.work.sandbox(cid);
        if let Some(flag) = &self.ctx.flags.docker_config {
            // Read again for each pull (the file may change); a bad one fails here first.
            docker_cli::DockerConfig::parse(flag)
                .map_err(|e| BadInput(format!("invalid --docker_config: {e}")))?;
        }
        if spec.executor.is_none() {
            // Dry run of the argv builder: whatever it rejects never reaches Docker.
            task_run_command(spec, &self.ctx.flags, &sandbox)
                .map_err(|e| BadInput(e.to_string()))?;
            if let Some(image) = &self.ctx.flags.docker_mesos_image {
                // And of the executor container's (`--docker_mesos_image`).
                crate::launch::mesos_image::run_command(
                    spec,
                    &self.ctx.flags,
                    image,
                    &sandbox,
                    &self.ctx.agent_id.value,
                    &BTreeMap::new(),
                )
                .map_err(|e| BadInput(e.to_string()))?;
            }
        }
        if let Some(executor) = &spec.executor {
            // Path B's dry run: the executor container's `docker run` must be buildable.
            let name = spec.container_name();
            let env = BTreeMap::new();
            // The endpoint is bound to a loopback or host address, so only a host-network
            // executor can subscribe: refuse the others now rather than at the
            // registration timeout.
            executor_container::run_command(&executor_container_spec(
                &self.ctx, spec, executor, &sandbox, &name, &env,
            ))
            .and_then(|command| executor_container::require_host_network(&command))
            .map_err(|e| BadInput(e.to_string()))?;
        }
        if self.containers().contains_key(cid) {
            return Err(LaunchError::Conflict(format!(
                "container id '{cid}' is in use: pick another container_id or leave it out"
            )));
        }
        let framework_id = spec.framework_id();
        if let Some(other) = self.list().into_iter().find(|c| {
            c.termination().is_none()
                && c.spec.executor_id == spec.executor_id
                && c.spec.framework_id() == framework_id
        }) {
            return Err(LaunchError::Conflict(format!(
                "executor '{}' (task '{}') is already running in container '{}': give the task another task_id",
                spec.executor_id, spec.task.task_id, other.id
            )));
        }
        let meta = self.ctx.work.container_meta(cid);
        if sandbox.exists() || meta.dir().exists() {
            return Err(LaunchError::Conflict(format!(
                "container id '{cid}' was used before (its sandbox '{}' exists): pick another container id or leave it out",
                sandbox.display()
            )));
        }
        Ok(())
    }

    /// Refuses a launch whose docker container names are taken: a container this launch did
    /// not create is never adopted (reported on, waited for, killed or removed). A docker
    /// that cannot tell is no refusal: the launch goes on and fails where docker is needed,
    /// and the executor still judges its own `docker run`.
    async fn check_docker_names(&self, spec: &LaunchSpec) -> Result<(), LaunchError> {
        let cid = &spec.container_id;
        for name in [
            docker_cli::container_name(cid),
            docker_cli::executor_container_name(cid),
        ] {
            match self.ctx.engine.inspect_container(&name).await {
                Ok(found) => {
                    let state = found.status.as_deref().unwrap_or(if found.running {
                        "running"
                    } else {
                        "stopped"
                    });
                    let short_id: String = found.id.chars().take(12).collect();
                    return Err(LaunchError::Conflict(format!(
                        "container id '{cid}' cannot be used: a docker container named '{name}' \
                         already exists ({state}, id {short_id}) that this launch did not create; \
                         it is left as it is: remove it (docker rm -f {name}) or give another \
                         container id"
                    )));
                }
                Err(e) if e.is_not_found() => {}
                Err(e) => {
                    tracing::warn!(container = %name, error = %e,
                        "cannot tell whether the container name is free; launching anyway");
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Launches `spec`: checks it, creates the sandbox, checkpoints the launch and starts
    /// its lifecycle task, which fetches, pulls, starts the executor and follows the task to
    /// its end. Returns once the lifecycle task runs; [`Container::wait`] tells the end.
    pub async fn launch(
        self: &Arc<Self>,
        mut spec: LaunchSpec,
    ) -> Result<Arc<Container>, LaunchError> {
        if self.config.checkpoint {
            spec.framework.checkpoint = Some(true);
        }
        self.check_launch(&spec)?;
        self.check_docker_names(&spec).await?;
        let cid = spec.container_id.clone();
        let sandbox = self.ctx.work.sandbox(&cid);
        let meta = self.ctx.work.container_meta(&cid);
        let sandbox_err = |e: std::io::Error| LaunchError::Sandbox {
            container_id: cid.clone(),
            reason: format!("cannot create '{}': {e}", sandbox.display()),
        };
        std::fs::create_dir_all(self.ctx.work.sandboxes_dir()).map_err(sandbox_err)?;
        // Creating the sandbox claims the id: of two launches racing for it, one gets here.
        std::fs::create_dir(&sandbox).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                LaunchError::Conflict(format!(
                    "container id '{cid}' was used before (its sandbox '{}' exists): pick another container id or leave it out",
                    sandbox.display()
                ))
            } else {
                sandbox_err(e)
            }
        })?;
        tracing::info!(container_id = %cid, sandbox = %sandbox.display(), "launching");
        let record = ContainerRecord {
            container_id: cid.clone(),
            agent_id: self.ctx.agent_id.value.clone(),
            framework_id: spec
                .framework
                .id
                .as_ref()
                .map(|f| f.value.clone())
                .unwrap_or_default(),
            executor_id: spec.executor_id.value.clone(),
            task_id: spec.task.task_id.value.clone(),
            container_name: spec.container_name(),
            state: ContainerState::Fetching,
            executor_pid: None,
            executor_start_time: None,
            executor_container: None,
            launched_at: now(),
            owner_pid: Some(std::process::id()),
            owner_start_time: crate::watch::process::start_time(std::process::id()),
            ended_at: None,
            termination: None,
        };
        let written = checkpoint::write_json(&meta.task(), &spec.task)
            .and_then(|()| match &spec.executor {
                Some(e) => checkpoint::write_json(&meta.executor(), e),
                None => Ok(()),
            })
            .and_then(|()| checkpoint::write_json(&meta.state(), &record));
        if let Err(e) = written {
            // Nothing was started: leave nothing behind.
            let _ = std::fs::remove_dir_all(meta.dir());
            let _ = std::fs::remove_dir_all(&sandbox);
            return Err(e.into());
        }
        let (container, commands) = Container::new(spec, sandbox, meta, record, Vec::new(), false);
        let events = self.router.add(
            container.spec.framework_id(),
            container.spec.executor_id.clone(),
        );
        self.containers().insert(cid, container.clone());
        self.metrics.launched();
        tokio::spawn(lifecycle::drive(
            self.clone(),
            container.clone(),
            events,
            commands,
            lifecycle::Start::Launch,
        ));
        Ok(container)
    }

    /// Kills the task of `container_id` gracefully (`policy` overrides the task's kill
    /// policy). `None` when the container is unknown.
    pub fn kill(&self, container_id: &str, policy: Option<KillPolicy>) -> Option<KillResult> {
        let container = self.get(container_id)?;
        if let Some(t) = container.termination() {
            return Some(KillResult::AlreadyTerminated(t));
        }
        container.send(Command::Kill { policy });
        Some(KillResult::Killing)
    }

    /// Stops the container at once: SIGKILL to the executor, `docker rm -f`.
    pub fn force_kill(&self, container_id: &str) -> bool {
        match self.get(container_id) {
            Some(c) => c.send(Command::Force),
            None => false,
        }
    }

    /// Kills the task (no grace), waits for the end, and removes everything of the
    /// container: the docker container, the sandbox and the checkpoints. Idempotent.
    pub async fn destroy(&self, container_id: &str) -> Result<DestroyOutcome, LaunchError> {
        let Some(container) = self.get(container_id) else {
            return Ok(DestroyOutcome { termination: None });
        };
        if container.termination().is_none() {
            let zero = KillPolicy {
                grace_period: Some(mesos_types::duration::DurationInfo::from_nanos(0)),
            };
            container.send(Command::Kill { policy: Some(zero) });
        }
        let termination = container.wait().await;
        lifecycle::remove_docker_containers(&self.ctx.engine, &container.id).await;
        // Only one destroy removes the files; a concurrent one finds the id gone.
        let removed = self.containers().remove(container_id).is_some();
        if removed {
            for dir in [container.meta.dir(), container.sandbox.as_path()] {
                if let Err(e) = std::fs::remove_dir_all(dir) {
                    if e.kind() != std::io::ErrorKind::NotFound {
                        tracing::warn!(dir = %dir.display(), error = %e, "failed to remove");
                    }
                }
            }
        }
        tracing::info!(container_id, "destroyed");
        Ok(DestroyOutcome {
            termination: Some(termination),
        })
    }

    /// The shutdown grace period an executor gets: its own, else the flag.
    pub(crate) fn shutdown_grace(&self, spec: &LaunchSpec) -> Duration {
        spec.executor
            .as_ref()
            .and_then(|e| e.shutdown_grace_period)
            .map(Duration::from)
            .unwrap_or(self.ctx.flags.executor_shutdown_grace_period)
    }

    /// Counts what an accepted update says about the launch of a container this process
    /// launched: its first TASK_RUNNING (the launch latency), or its launch failure.
    fn count_update(&self, container: &Container, status: &TaskStatus) {
        if container.recovered {
            return;
        }
        match status.state {
            mesos_types::status::TaskState::Running => {
                let (first, launched_at) = {
                    let inner = container.lock();
                    let running = inner
                        .statuses
                        .iter()
                        .filter(|s| s.state == mesos_types::status::TaskState::Running)
                        .count();
                    (running == 1, inner.record.launched_at)
                };
                if first {
                    self.metrics
                        .running_after(((now() - launched_at) * 1000.0).max(0.0));
                }
            }
            mesos_types::status::TaskState::Failed
                if status.source == Some(mesos_types::status::Source::Agent)
                    && status.reason
                        == Some(mesos_types::status::Reason::ContainerLaunchFailed) =>
            {
                self.metrics.launch_failed()
            }
            _ => {}
        }
    }

    /// Forgets an ended container (garbage collection removed its files): it is no longer
    /// listed. A container that has not ended is kept; `false` then, or when unknown.
    pub fn forget_ended(&self, container_id: &str) -> bool {
        let mut containers = self.containers();
        match containers.get(container_id) {
            Some(c) if c.termination().is_some() => containers.remove(container_id).is_some(),
            _ => false,
        }
    }

    pub(crate) fn forget_route(&self, container: &Container) {
        self.router
            .remove(&container.spec.framework_id(), &container.spec.executor_id);
    }
}
