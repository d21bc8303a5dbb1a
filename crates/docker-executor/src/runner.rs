//! The executor's life (docs/executor.md, *Behaviour*): one task, run as one docker
//! container, reported through status updates; then the container is removed and the
//! executor exits once the terminal update is acknowledged (bounded).
//!
//! The container is created with `docker create` and from then on driven through the Engine
//! API ([`docker_engine`]): no `docker` process stays alive while the task runs. Its output
//! is attached before it starts and copied into our stdout and stderr (the sandbox files).
//!
//! Everything happens on one current-thread runtime. Slow things (docker calls, timers,
//! checks) run in spawned tasks that report back as [`Msg`]s to a single loop, which owns all
//! state, so there are no locks around the task's state and events have one total order.

use crate::connection::{AgentMsg, Outbox};
use crate::env::AgentEnv;
use crate::flags::Flags;
use crate::health::{self, Interpreter, Report, Target};
use crate::task_container::{self, TaskContainer};
use docker_cli::{build_run_command, Container, Docker, DockerError, Timeouts};
use docker_engine::{Engine, LaunchError, OutputSinks};
use mesos_types::container::{IpAddress, IpProtocol, NetworkInfo};
use mesos_types::duration::Duration as MesosDuration;
use mesos_types::executor::Event;
use mesos_types::status::{ContainerStatus, Reason, Source, TaskState, TaskStatus};
use mesos_types::task::{FrameworkCapabilityType, FrameworkInfo, KillPolicy, TaskInfo};
use mesos_types::TaskId;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How long a terminal update may wait for its ACK before we exit anyway (Mesos's fail-safe).
const TERMINAL_ACK_TIMEOUT: Duration = Duration::from_secs(60);
/// Bound of one `docker inspect` (Mesos's `DOCKER_INSPECT_TIMEOUT`).
const INSPECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Where the agent's docker socket normally is (`--docker_socket` default).
const DEFAULT_DOCKER_SOCKET: &str = "/var/run/docker.sock";
/// Bound of `docker create`: it pulls the image when the agent has not (a large image on
/// a slow registry takes minutes), and is otherwise quick.
const CREATE_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// How long after the container exited its last output may take to reach the sandbox
/// files (the daemon closes the stream once it has sent everything).
const OUTPUT_DRAIN: Duration = Duration::from_secs(5);
/// The longest docker error a status message carries.
const DOCKER_ERROR_MAX: usize = 1024;
/// A `docker stop` gets its grace plus this before it counts as hung and is retried.
const STOP_SLACK: Duration = Duration::from_secs(10);
/// Pause between `docker stop` attempts after a failure.
const STOP_RETRY: Duration = Duration::from_secs(5);
const RM_TIMEOUT: Duration = Duration::from_secs(60);
/// After SHUTDOWN/SIGTERM/agent loss, how much longer than the shutdown grace period we
/// give the stop before removing the container by force.
const SHUTDOWN_SLACK: Duration = Duration::from_secs(10);

/// Seconds since the epoch, as status updates carry time.
pub(crate) fn now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Everything the main loop reacts to.
#[derive(Debug)]
pub enum Msg {
    Agent(AgentMsg),
    /// `docker create` made the task's container: this id, and no other container of
    /// the same name, is the task's.
    Created(String),
    /// The container started (as inspected right after its start).
    Started(Box<Container>),
    /// The container ended, or never started: its exit status as `docker run` would have
    /// returned it (or why there is none), and docker's own error when it refused to
    /// create or start the container.
    Exited {
        status: Result<ExitStatus, String>,
        docker_error: Option<String>,
    },
    /// After the exit: the container as Docker last saw it, once stopped (`None`: it never
    /// existed, or Docker stayed unreachable).
    FinalInspect(Option<Box<Container>>),
    StopDone {
        attempt: u64,
        result: Result<(), String>,
    },
    RetryStop {
        attempt: u64,
    },
    Health(health::CheckResult),
    CompletionTimeout,
    /// SIGTERM or SIGINT.
    Signal(&'static str),
    ShutdownDeadline,
    RemoveDone,
    ExitDeadline,
}

impl From<AgentMsg> for Msg {
    fn from(m: AgentMsg) -> Self {
        Msg::Agent(m)
    }
}

/// Why the task is being killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KillCause {
    Request,
    Shutdown,
    HealthCheck,
    CompletionTimeout,
}

struct Task {
    info: TaskInfo,
    killed: bool,
    terminated: bool,
    killed_by_health: bool,
    killed_by_completion: bool,
    /// Between the launch and the container's start (or the launch's failure): a kill
    /// waits for the start to settle.
    starting: bool,
    /// The launch, then the wait for the container's exit.
    life: Option<JoinHandle<()>>,
    /// A kill asked for while starting: done when the start settles.
    pending_kill: Option<(Duration, KillCause)>,
    pid: Option<i32>,
    network_info: Option<NetworkInfo>,
    health: Option<JoinHandle<()>>,
    interpreter: Option<Interpreter>,
    completion: Option<JoinHandle<()>>,
    stop: Option<JoinHandle<()>>,
    stop_attempt: u64,
    stop_grace: Duration,
    /// The exit status, while the final inspect runs.
    exit: Option<Result<ExitStatus, String>>,
    terminal_sent: bool,
    /// The id of the container `docker create` made; `None` after the launch ended means
    /// it made none. Only this container is ours, whatever else carries the name.
    docker_id: Option<String>,
    /// Docker's error line, when it refused to create or start the container.
    docker_error: Option<String>,
}

/// The executor's state.
pub struct Runner {
    flags: Flags,
    env: AgentEnv,
    docker: Docker,
    engine: Engine,
    outbox: Outbox,
    tx: mpsc::UnboundedSender<Msg>,
    framework_info: Option<FrameworkInfo>,
    task: Option<Task>,
    /// `G`: the shutdown grace period, at least `--stop_timeout`.
    grace: Duration,
    shutting_down: bool,
    agent_gone: bool,
    terminal_uuid: Option<[u8; 16]>,
    terminal_acked: bool,
    removed: bool,
    /// The shutdown deadline passed: exit as soon as the container is removed.
    force_exit: bool,
    exit_code: i32,
}

impl Runner {
    pub fn new(
        flags: Flags,
        env: AgentEnv,
        outbox: Outbox,
        tx: mpsc::UnboundedSender<Msg>,
    ) -> Self {
        let socket = flags
            .docker_socket
            .clone()
            .unwrap_or_else(|| DEFAULT_DOCKER_SOCKET.into());
        let timeouts = Timeouts {
            inspect: INSPECT_TIMEOUT,
            stop_slack: STOP_SLACK,
            rm: RM_TIMEOUT,
            ..Timeouts::default()
        };
        // The flags checked that the socket is absolute, the only thing this can refuse.
        let docker = Docker::with_timeouts(&flags.docker, Some(&socket), timeouts.clone())
            .expect("--docker_socket was validated as an absolute path");
        let engine = Engine::new(socket, timeouts);
        let mut grace = env.shutdown_grace_period.to_std();
        if let Some(stop) = flags.stop_timeout {
            grace = grace.max(stop.to_std());
        }
        Self {
            flags,
            env,
            docker,
            engine,
            outbox,
            tx,
            framework_info: None,
            task: None,
            grace,
            shutting_down: false,
            agent_gone: false,
            terminal_uuid: None,
            terminal_acked: false,
            removed: false,
            force_exit: false,
            exit_code: 0,
        }
    }

    /// Handles one message; `Some(code)` when the executor should exit with `code`.
    pub fn handle(&mut self, msg: Msg) -> Option<i32> {
        match msg {
            Msg::Agent(AgentMsg::Event(event)) => return self.on_event(event),
            Msg::Agent(AgentMsg::Disconnected) => {}
            Msg::Agent(AgentMsg::Gone(why)) => {
                tracing::error!(reason = %why, "lost the agent; stopping the task and exiting");
                self.agent_gone = true;
                self.exit_code = 1;
                return self.begin_shutdown();
            }
            Msg::Created(id) => {
                if let Some(t) = &mut self.task {
                    t.docker_id = Some(id);
                }
            }
            Msg::Started(container) => self.on_started(*container),
            Msg::Exited {
                status,
                docker_error,
            } => self.on_exited(status, docker_error),
            Msg::FinalInspect(container) => self.send_terminal(container.as_deref()),
            Msg::StopDone { attempt, result } => self.on_stop_done(attempt, result),
            Msg::RetryStop { attempt } => {
                let Some(t) = &self.task else { return None };
                if t.stop_attempt == attempt && !t.terminated {
                    let grace = t.stop_grace;
                    self.start_stop(grace);
                }
            }
            Msg::Health(result) => self.on_health(result),
            Msg::CompletionTimeout => {
                let Some(t) = &mut self.task else { return None };
                if t.killed || t.terminated {
                    return None;
                }
                tracing::warn!(task_id = %t.info.task_id, "max_completion_time reached; killing the task");
                t.killed_by_completion = true;
                self.kill(Duration::ZERO, KillCause::CompletionTimeout);
            }
            Msg::Signal(name) => {
                tracing::info!(
                    signal = name,
                    "received {name}; killing the task and exiting"
                );
                return self.begin_shutdown();
            }
            Msg::ShutdownDeadline => {
                // Exit once the container is gone, acknowledged or not.
                self.force_exit = true;
                if let Some(t) = self.task.as_ref().filter(|t| !t.terminated) {
                    tracing::error!("the container did not stop within the shutdown grace period; removing it by force");
                    self.exit_code = 1;
                    // Only the container `docker create` made; none yet: nothing to remove.
                    let Some(id) = t.docker_id.clone() else {
                        self.removed = true;
                        return self.maybe_exit();
                    };
                    let engine = self.engine.clone();
                    let tx = self.tx.clone();
                    tokio::spawn(async move {
                        if let Err(e) = engine.remove(&id, true).await {
                            tracing::error!(error = %e, "removing the container by force failed");
                        }
                        let _ = tx.send(Msg::RemoveDone);
                    });
                    return None;
                }
                return self.maybe_exit();
            }
            Msg::RemoveDone => {
                self.removed = true;
                return self.maybe_exit();
            }
            Msg::ExitDeadline => {
                if !self.terminal_acked {
                    tracing::warn!(
                        "the terminal update was not acknowledged in time; exiting anyway"
                    );
                }
                if !self.removed {
                    tracing::warn!(container = %self.flags.container, "exiting before the container was removed");
                }
                return self.exit_now();
            }
        }
        None
    }

    fn exit_now(&self) -> Option<i32> {
        Some(self.exit_code)
    }

    fn maybe_exit(&self) -> Option<i32> {
        let acked = self.terminal_acked || self.agent_gone || self.force_exit;
        (self.removed && acked).then_some(self.exit_code)
    }

    fn has_capability(&self, c: FrameworkCapabilityType) -> bool {
        self.framework_info
            .as_ref()
            .is_some_and(|f| f.has_capability(c))
    }

    fn on_event(&mut self, event: Event) -> Option<i32> {
        match event {
            Event::Subscribed(s) => {
                tracing::info!(framework = %s.framework_info.name, "subscribed");
                self.framework_info = Some(s.framework_info);
            }
            Event::Launch(l) => self.launch(l.task),
            Event::LaunchGroup(g) => {
                for task in g.task_group.tasks {
                    self.outbox.push_task(task.clone());
                    let mut s = self.status(&task.task_id, TaskState::Failed);
                    s.message = Some("The docker executor cannot run task groups".into());
                    self.outbox.push_update(s);
                }
            }
            Event::Kill(k) => {
                let Some(t) = &self.task else {
                    tracing::warn!(task_id = %k.task_id, "KILL for a task that was never launched; ignoring");
                    return None;
                };
                if t.info.task_id != k.task_id {
                    tracing::warn!(task_id = %k.task_id, "KILL for an unknown task; ignoring");
                    return None;
                }
                let grace = policy_grace(k.kill_policy.as_ref())
                    .or_else(|| t.info.kill_grace_period().map(|d| d.to_std()))
                    .unwrap_or(self.grace);
                self.kill(grace, KillCause::Request);
            }
            Event::Acknowledged(ack) => {
                if self
                    .terminal_uuid
                    .is_some_and(|u| u.as_slice() == ack.uuid.as_slice())
                {
                    tracing::info!("terminal update acknowledged");
                    self.terminal_acked = true;
                    return self.maybe_exit();
                }
            }
            Event::Message(m) => {
                tracing::info!(
                    bytes = m.data.len(),
                    "received a framework message (ignored by the docker executor)"
                )
            }
            Event::Error(e) => tracing::error!(message = %e.message, "ERROR event from the agent"),
            Event::Shutdown => {
                tracing::info!("SHUTDOWN from the agent");
                return self.begin_shutdown();
            }
            Event::Heartbeat => tracing::debug!("heartbeat"),
            Event::Unknown => tracing::debug!("ignoring an event of unknown type"),
        }
        None
    }

    /// A status of the executor's own: fresh uuid, now, our source and executor id.
    fn status(&self, task_id: &TaskId, state: TaskState) -> TaskStatus {
        let mut s = TaskStatus::new(task_id.clone(), state);
        s.source = Some(Source::Executor);
        s.executor_id = Some(self.env.executor_id.clone());
        s.timestamp = Some(now_secs());
        s.uuid = Some(uuid::Uuid::new_v4().as_bytes().to_vec());
        s
    }

    fn launch(&mut self, info: TaskInfo) {
        self.outbox.push_task(info.clone());
        if self.task.is_some() {
            let mut s = self.status(&info.task_id, TaskState::Failed);
            s.message = Some("Attempted to run multiple tasks using a \"docker\" executor".into());
            self.outbox.push_update(s);
            return;
        }
        if self.shutting_down {
            let mut s = self.status(&info.task_id, TaskState::Killed);
            s.message = Some("The executor is shutting down".into());
            self.outbox.push_update(s);
            return;
        }
        let task_id = info.task_id.clone();
        tracing::info!(task_id = %task_id, "launching the task");
        self.task = Some(Task {
            info,
            killed: false,
            terminated: false,
            killed_by_health: false,
            killed_by_completion: false,
            starting: true,
            life: None,
            pending_kill: None,
            pid: None,
            network_info: None,
            health: None,
            interpreter: None,
            completion: None,
            stop: None,
            stop_attempt: 0,
            stop_grace: Duration::ZERO,
            exit: None,
            terminal_sent: false,
            docker_id: None,
            docker_error: None,
        });
        let t = self.task.as_mut().expect("just set");
        if let Some(max) = t.info.max_completion_time {
            if max.nanoseconds > 0 {
                let tx = self.tx.clone();
                let after = max.to_std();
                t.completion = Some(tokio::spawn(async move {
                    tokio::time::sleep(after).await;
                    let _ = tx.send(Msg::CompletionTimeout);
                }));
            }
        }
        if t.info.check.is_some() {
            tracing::warn!("TaskInfo.check is not supported by the docker executor; ignoring it");
        }
        let starting = self.status(&task_id, TaskState::Starting);
        self.outbox.push_update(starting);

        let t = self.task.as_ref().expect("just set");
        let container = TaskContainer {
            name: &self.flags.container,
            sandbox_directory: &self.flags.sandbox_directory,
            mapped_directory: &self.flags.mapped_directory,
            task_environment: &self.flags.task_environment,
            default_dns: self.flags.default_container_dns.as_ref(),
            cgroups_enable_cfs: self.flags.cgroups_enable_cfs,
            framework_id: Some(&self.env.framework_id.value),
            executor_id: Some(&self.env.executor_id.value),
            host_memory_bytes: task_container::host_memory_bytes(),
        };
        let command = task_container::task_run_options(&t.info, &container)
            .and_then(|options| build_run_command(&options));
        let command = match command {
            Ok(command) => command,
            Err(e) => {
                self.fail_before_run(format!("Failed to create docker run options: {e}"));
                return;
            }
        };
        let sinks = match own_output() {
            Ok(sinks) => sinks,
            Err(e) => {
                self.fail_before_run(format!(
                    "Failed to run docker container: cannot hand the container's output to \
                     the sandbox files: {e}"
                ));
                return;
            }
        };
        let docker = self.docker.clone();
        let engine = self.engine.clone();
        let tx = self.tx.clone();
        let life = tokio::spawn(async move {
            let created = tx.clone();
            let launched = engine
                .launch(&docker, &command, CREATE_TIMEOUT, sinks, |id| {
                    let _ = created.send(Msg::Created(id.to_string()));
                })
                .await;
            let launched = match launched {
                Ok(launched) => launched,
                Err(e) => {
                    let (status, docker_error) = launch_failure(&e);
                    let _ = tx.send(Msg::Exited {
                        status,
                        docker_error,
                    });
                    return;
                }
            };
            let _ = tx.send(Msg::Started(Box::new(launched.container)));
            let status = launched.exit.exit_code().await;
            // Everything the container wrote reaches the sandbox before its end is
            // reported, as it did when `docker run` exited after its streams.
            match tokio::time::timeout(OUTPUT_DRAIN, launched.output).await {
                Ok(Ok(report)) => {
                    if let Some(e) = &report.error {
                        tracing::warn!(error = %e, "the container's output stream ended early");
                    }
                    if let Some(e) = &report.write_error {
                        tracing::error!(error = %e, "writing the container's output to the sandbox failed");
                    }
                }
                Ok(Err(_)) => {}
                Err(_) => tracing::warn!(
                    "the container's output was still arriving {OUTPUT_DRAIN:?} after it exited"
                ),
            }
            let status = status
                .map(|code| ExitStatus::from_raw((code & 0xff) << 8))
                .map_err(|e| format!("lost track of the container: {e}"));
            let _ = tx.send(Msg::Exited {
                status,
                docker_error: None,
            });
        });
        if let Some(t) = &mut self.task {
            t.life = Some(life);
        }
    }

    /// The task cannot start: TASK_FAILED, and exit once it is acknowledged.
    fn fail_before_run(&mut self, message: String) {
        tracing::error!(%message, "the task cannot run");
        let Some(t) = &mut self.task else { return };
        t.terminated = true;
        t.terminal_sent = true;
        if let Some(h) = t.completion.take() {
            h.abort();
        }
        let task_id = t.info.task_id.clone();
        let mut s = self.status(&task_id, TaskState::Failed);
        s.message = Some(message);
        self.send_terminal_status(s);
        // Nothing was created: nothing to remove.
        self.removed = true;
    }

    fn on_started(&mut self, container: Container) {
        let Some(t) = &mut self.task else { return };
        t.starting = false;
        t.docker_id = Some(container.id.clone());
        // A container that already ended has still run: TASK_RUNNING goes out before the
        // terminal update, as a user expects.
        if !t.killed && container.started {
            t.pid = container.pid.map(|p| p as i32);
            t.network_info = network_info(&t.info, &container);
            let still_running = !t.terminated;
            let task_id = t.info.task_id.clone();
            let network = t.network_info.clone();
            let mut s = self.status(&task_id, TaskState::Running);
            // As Mesos: the `docker inspect` output, a one-element array — but with the
            // values of `Config.Env` redacted, since updates are stored and forwarded.
            s.data = serde_json::to_vec(&[redact_env_values(&container.raw)]).ok();
            if let Some(ni) = network {
                s.container_status = Some(ContainerStatus {
                    network_infos: vec![ni],
                    ..ContainerStatus::default()
                });
            }
            tracing::info!(task_id = %task_id, "container is running");
            self.outbox.push_update(s);
            if still_running {
                self.start_health_checks();
            }
        }
        self.after_start_settled();
    }

    /// Runs a kill that waited for the start.
    fn after_start_settled(&mut self) {
        let Some(t) = &mut self.task else { return };
        if let Some((grace, cause)) = t.pending_kill.take() {
            self.kill(grace, cause);
        }
    }

    fn start_health_checks(&mut self) {
        let Some(t) = &mut self.task else { return };
        let Some(check) = t.info.health_check.clone() else {
            return;
        };
        if let Err(e) = health::validate(&check) {
            tracing::warn!("Failed to create health checker: {e}");
            return;
        }
        t.interpreter = Some(Interpreter::new(&check, Instant::now()));
        let target = Target {
            docker: self.docker.clone(),
            container: self.flags.container.clone(),
            pid: t.pid,
        };
        let tx = self.tx.clone();
        t.health = Some(tokio::spawn(async move {
            tokio::time::sleep(check.delay().to_std()).await;
            loop {
                let result = health::run_check(&check, &target).await;
                if let Err(e) = &result {
                    tracing::info!(error = %e, "health check failed");
                }
                if tx.send(Msg::Health(result)).is_err() {
                    return;
                }
                tokio::time::sleep(check.interval().to_std()).await;
            }
        }));
    }

    fn pause_health_checks(&mut self) {
        if let Some(t) = &mut self.task {
            if let Some(h) = t.health.take() {
                h.abort();
            }
        }
    }

    fn on_health(&mut self, result: health::CheckResult) {
        let Some(t) = &mut self.task else { return };
        if t.killed || t.terminated || t.health.is_none() {
            return;
        }
        let Some(interp) = &mut t.interpreter else {
            return;
        };
        let Report::Health { healthy, kill } = interp.record(&result, Instant::now()) else {
            return;
        };
        let task_id = t.info.task_id.clone();
        let network = t.network_info.clone();
        let policy_grace = t.info.kill_grace_period().map(|d| d.to_std());
        let mut s = self.status(&task_id, TaskState::Running);
        s.healthy = Some(healthy);
        s.reason = Some(Reason::TaskHealthCheckStatusUpdated);
        if let Some(ni) = network {
            s.container_status = Some(ContainerStatus {
                network_infos: vec![ni],
                ..ContainerStatus::default()
            });
        }
        self.outbox.push_update(s);
        if kill {
            tracing::warn!(task_id = %task_id, "health check failed too many times; killing the task");
            if let Some(t) = &mut self.task {
                t.killed_by_health = true;
            }
            self.kill(policy_grace.unwrap_or(self.grace), KillCause::HealthCheck);
        }
    }

    fn kill(&mut self, grace: Duration, cause: KillCause) {
        let can_kill = self.has_capability(FrameworkCapabilityType::TaskKillingState);
        let Some(t) = &mut self.task else { return };
        if t.terminated {
            return;
        }
        if let Some(h) = t.completion.take() {
            if cause != KillCause::CompletionTimeout {
                h.abort();
            }
        }
        if t.starting {
            // The container may not exist yet: stop it once the start settles.
            t.pending_kill = Some((grace, cause));
            return;
        }
        if !t.killed {
            t.killed = true;
            if cause != KillCause::CompletionTimeout && can_kill {
                let task_id = t.info.task_id.clone();
                let s = self.status(&task_id, TaskState::Killing);
                self.outbox.push_update(s);
            }
            self.pause_health_checks();
        }
        self.start_stop(grace);
    }

    fn start_stop(&mut self, grace: Duration) {
        let Some(t) = &mut self.task else { return };
        if let Some(h) = t.stop.take() {
            // A previous stop still running is killed (its CLI dies with the task).
            h.abort();
        }
        t.stop_attempt += 1;
        t.stop_grace = grace;
        let attempt = t.stop_attempt;
        let secs = grace.as_secs();
        tracing::info!(grace = %MesosDuration::from(grace), "stopping the container (SIGTERM, SIGKILL after {secs}s)");
        let engine = self.engine.clone();
        let target = t
            .docker_id
            .clone()
            .unwrap_or_else(|| self.flags.container.clone());
        let tx = self.tx.clone();
        t.stop = Some(tokio::spawn(async move {
            let result = engine
                .stop(&target, Duration::from_secs(secs))
                .await
                .map_err(|e| e.to_string());
            let _ = tx.send(Msg::StopDone { attempt, result });
        }));
    }

    fn on_stop_done(&mut self, attempt: u64, result: Result<(), String>) {
        let Some(t) = &mut self.task else { return };
        if attempt != t.stop_attempt || t.terminated {
            return;
        }
        t.stop = None;
        if let Err(e) = result {
            tracing::warn!(error = %e, "docker stop failed; retrying in {STOP_RETRY:?}");
            let tx = self.tx.clone();
            tokio::spawn(async move {
                tokio::time::sleep(STOP_RETRY).await;
                let _ = tx.send(Msg::RetryStop { attempt });
            });
        }
    }

    /// SHUTDOWN, SIGTERM or the agent lost for good: kill the task (task grace, else
    /// `G − 2s`), and exit once it is reported — or at once when there is no task.
    fn begin_shutdown(&mut self) -> Option<i32> {
        let first = !self.shutting_down;
        self.shutting_down = true;
        let Some(t) = &self.task else {
            return Some(self.exit_code);
        };
        if t.terminated {
            return self.maybe_exit();
        }
        if first {
            let grace = t
                .info
                .kill_grace_period()
                .map(|d| d.to_std())
                .unwrap_or_else(|| self.grace.saturating_sub(Duration::from_secs(2)));
            let tx = self.tx.clone();
            let deadline = self.grace.max(grace) + SHUTDOWN_SLACK;
            tokio::spawn(async move {
                tokio::time::sleep(deadline).await;
                let _ = tx.send(Msg::ShutdownDeadline);
            });
            self.kill(grace, KillCause::Shutdown);
        }
        None
    }

    fn on_exited(&mut self, status: Result<ExitStatus, String>, docker_error: Option<String>) {
        let Some(t) = &mut self.task else { return };
        if t.terminated {
            return;
        }
        t.terminated = true;
        t.starting = false;
        t.pending_kill = None;
        t.life = None;
        match &status {
            Ok(s) => tracing::info!(status = %health::describe_status(*s), "the container ended"),
            Err(e) => tracing::error!(error = %e, "the container's end is unknown"),
        }
        for handle in [t.health.take(), t.stop.take(), t.completion.take()]
            .into_iter()
            .flatten()
        {
            handle.abort();
        }
        t.docker_error = docker_error;
        if t.docker_id.is_none() {
            // `docker create` made no container (a name taken by another container, an
            // option docker refused): nothing to look up, stop or remove.
            t.exit = Some(status);
            self.send_terminal(None);
            return;
        }
        self.finish(status);
    }

    /// The container ended: learn whether it was OOM-killed, then report.
    fn finish(&mut self, status: Result<ExitStatus, String>) {
        let Some(t) = &mut self.task else { return };
        t.exit = Some(status);
        let engine = self.engine.clone();
        let target = t
            .docker_id
            .clone()
            .unwrap_or_else(|| self.flags.container.clone());
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let container = settle_container(&engine, &target).await.map(Box::new);
            let _ = tx.send(Msg::FinalInspect(container));
        });
    }

    fn send_terminal(&mut self, container: Option<&Container>) {
        let Some(t) = &mut self.task else { return };
        if t.terminal_sent {
            return;
        }
        t.terminal_sent = true;
        let oom = container.is_some_and(|c| c.oom_killed);
        // A container that never started (bad command, runtime error) has no exit code of
        // its own: docker run's 125/126/127 stands, and docker's error says why.
        let container_code = container.filter(|c| c.started).and_then(|c| c.exit_code);
        let never_started = t.docker_id.is_none() || container.is_some_and(|c| !c.started);
        let docker_error = t.docker_error.take().filter(|_| never_started);
        let docker_id = t.docker_id.clone();
        let status = match (t.exit.take(), container_code) {
            // The container's own end, as docker last saw it, wins: the wait for it may
            // have been cut (a daemon restart) while the container ran on.
            (Some(Ok(seen)), Some(code)) if seen.code() != Some(code) => {
                tracing::info!(
                    waited = %health::describe_status(seen),
                    code,
                    "the exit code waited for differs from the container's; using the container's"
                );
                Some(Ok(ExitStatus::from_raw((code & 0xff) << 8)))
            }
            (Some(Err(e)), Some(code)) => {
                tracing::info!(error = %e, code, "the container's exit code, read after the wait was lost");
                Some(Ok(ExitStatus::from_raw((code & 0xff) << 8)))
            }
            (status, _) => status,
        };
        let task_id = t.info.task_id.clone();
        let (killed, by_health, by_completion) =
            (t.killed, t.killed_by_health, t.killed_by_completion);
        let mut s = self.status(&task_id, TaskState::Failed);
        match status {
            None => s.message = Some("Failed to get exit status of container".into()),
            Some(Err(e)) => s.message = Some(format!("Failed to run docker container: {e}")),
            Some(Ok(exit)) => {
                let mut text = format!("Container {}", health::describe_status(exit));
                if let Some(error) = docker_error {
                    text = format!("{text}: {error}");
                }
                if by_completion {
                    s.reason = Some(Reason::MaxCompletionTimeReached);
                } else if killed {
                    s.state = TaskState::Killed;
                    if by_health {
                        s.healthy = Some(false);
                    }
                } else if exit.success() {
                    s.state = TaskState::Finished;
                } else if oom {
                    s.reason = Some(Reason::ContainerLimitationMemory);
                    s.message = Some(format!("Memory limit exceeded: {text}"));
                }
                if s.message.is_none() {
                    s.message = Some(text);
                }
            }
        }
        tracing::info!(state = %s.state, message = s.message.as_deref().unwrap_or(""), "task ended");
        self.send_terminal_status(s);
        // Remove the container (and its anonymous volumes) now that it has ended: the one
        // `docker create` made, none when it made none.
        let Some(id) = docker_id else {
            self.removed = true;
            return;
        };
        let engine = self.engine.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            if let Err(e) = engine.remove(&id, false).await {
                tracing::warn!(error = %e, "removing the container failed");
            }
            let _ = tx.send(Msg::RemoveDone);
        });
    }

    fn send_terminal_status(&mut self, s: TaskStatus) {
        self.terminal_uuid = s.uuid_bytes();
        self.outbox.push_update(s);
        let wait = if self.shutting_down {
            self.grace.max(Duration::from_secs(1))
        } else {
            TERMINAL_ACK_TIMEOUT
        };
        let tx = self.tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            let _ = tx.send(Msg::ExitDeadline);
        });
    }
}

/// `docker inspect` output with every `Config.Env` entry reduced to `NAME=***`: environment
/// values (secrets among them) must not travel in status updates (beyond Mesos).
fn redact_env_values(inspect: &serde_json::Value) -> serde_json::Value {
    let mut inspect = inspect.clone();
    if let Some(env) = inspect
        .pointer_mut("/Config/Env")
        .and_then(|e| e.as_array_mut())
    {
        for entry in env {
            if let Some(text) = entry.as_str() {
                let name = text.split_once('=').map_or(text, |(name, _)| name);
                *entry = format!("{name}=***").into();
            }
        }
    }
    inspect
}

/// Our own stdout and stderr (the sandbox's files) as the container's output sinks.
fn own_output() -> std::io::Result<OutputSinks> {
    use std::os::fd::AsFd;
    let stdout = std::io::stdout().as_fd().try_clone_to_owned()?;
    let stderr = std::io::stderr().as_fd().try_clone_to_owned()?;
    Ok(OutputSinks {
        stdout: Box::new(std::fs::File::from(stdout)),
        stderr: Box::new(std::fs::File::from(stderr)),
    })
}

/// A failed launch as `docker run` would have reported it: its exit status (125 when docker
/// refused to create, 125/126/127 when it could not start) and docker's own line, which
/// also goes to our stderr (the sandbox's), where `docker run` printed it. A launch cut
/// short some other way (the daemon went away, a time limit) has no status, only its error.
fn launch_failure(e: &LaunchError) -> (Result<ExitStatus, String>, Option<String>) {
    use std::io::Write;
    let exit = |code: i32| ExitStatus::from_raw((code & 0xff) << 8);
    let (status, said) = match e {
        // `docker create` exits 1 where `docker run` exits 125: docker failed before the
        // container ran.
        LaunchError::Create(DockerError::Failed { stderr, .. }) => (Ok(exit(125)), stderr.clone()),
        LaunchError::Start {
            exit_code,
            error: DockerError::Api { message, .. },
            ..
        } => (
            Ok(exit(*exit_code)),
            format!("docker: Error response from daemon: {message}."),
        ),
        other => return (Err(other.to_string()), None),
    };
    let _ = writeln!(std::io::stderr(), "{}", said.trim_end());
    (status, docker_error_line(said.as_bytes()))
}

/// Docker's reason from what it printed: its first non-empty line (`Error response from
/// daemon: ...`, or the CLI's complaint about an option), redacted and bounded.
fn docker_error_line(said: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(said);
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let mut line = docker_cli::redact::redact_text(line, &[]);
    if line.len() > DOCKER_ERROR_MAX {
        let mut end = DOCKER_ERROR_MAX;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        line.truncate(end);
        line.push_str("...");
    }
    Some(line)
}

/// How long the end of a task waits for an unreachable Docker daemon to come back.
const DAEMON_RETURN_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// The container once it has stopped, after the wait for its exit returned. That wait also
/// ends when the daemon goes away (a restart), with the container still running: then wait
/// for the container itself, and for the daemon to come back, before reporting.
async fn settle_container(engine: &Engine, name: &str) -> Option<Container> {
    let deadline = Instant::now() + DAEMON_RETURN_TIMEOUT;
    let mut warned = false;
    loop {
        match engine.inspect_container(name).await {
            Ok(container) if !container.running => return Some(container),
            Ok(_) => {
                tracing::warn!(
                    container = name,
                    "the wait for the container ended but it still runs; waiting for it to stop"
                );
                if let Err(e) = engine.wait(name, Duration::from_secs(300)).await {
                    tracing::debug!(error = %e, "the wait failed; asking again");
                }
                continue;
            }
            Err(e) if e.is_not_found() => return None,
            Err(e) => {
                if !warned {
                    tracing::warn!(error = %e, "cannot inspect the container (is the Docker daemon restarting?); retrying");
                    warned = true;
                }
            }
        }
        if Instant::now() >= deadline {
            tracing::error!(
                container = name,
                "the Docker daemon did not come back in time; reporting what is known"
            );
            return None;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn policy_grace(p: Option<&KillPolicy>) -> Option<Duration> {
    p.and_then(|p| p.grace_period).map(|g| g.to_std())
}

/// The container's addresses as a NetworkInfo for `TASK_RUNNING`, as Mesos's executor builds
/// it (the task's first NetworkInfo, its addresses replaced), or `None` without any.
fn network_info(task: &TaskInfo, container: &Container) -> Option<NetworkInfo> {
    let ipv4 = container.ip_address.clone();
    let ipv6 = container.ipv6_address.clone();
    if ipv4.is_none() && ipv6.is_none() {
        return None;
    }
    let mut ni = task
        .container
        .as_ref()
        .and_then(|c| c.network_infos.first().cloned())
        .unwrap_or_default();
    ni.ip_addresses.clear();
    if let Some(ip) = ipv4 {
        ni.ip_addresses.push(IpAddress {
            protocol: None,
            ip_address: Some(ip),
        });
    }
    if let Some(ip) = ipv6 {
        ni.ip_addresses.push(IpAddress {
            protocol: Some(IpProtocol::IPv6),
            ip_address: Some(ip),
        });
    }
    Some(ni)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_error_is_the_first_line_bounded() {
        let out = b"\ndocker: Error response from daemon: network nope not found\n\nRun 'docker run --help' for more information\n";
        assert_eq!(
            docker_error_line(out).as_deref(),
            Some("docker: Error response from daemon: network nope not found")
        );
        assert_eq!(docker_error_line(b"\n  \n"), None);
        let long = "x".repeat(5000);
        let line = docker_error_line(long.as_bytes()).unwrap();
        assert_eq!(line.len(), DOCKER_ERROR_MAX + 3);
    }

    #[test]
    fn env_values_are_redacted_from_the_inspect_data() {
        let v = serde_json::json!({"Config": {"Env": ["SECRET=hunter2", "PATH=/bin", "EMPTY="], "Image": "busybox"}});
        let r = redact_env_values(&v);
        assert_eq!(
            r["Config"]["Env"],
            serde_json::json!(["SECRET=***", "PATH=***", "EMPTY=***"])
        );
        assert_eq!(r["Config"]["Image"], "busybox");
        assert!(!r.to_string().contains("hunter2"));
    }

    #[test]
    fn addresses_from_inspect() {
        let task = TaskInfo::new("t", "t");
        let inspect = |v: serde_json::Value| Container::from_inspect(v).unwrap();
        let v = serde_json::json!({
            "Id": "x", "Name": "/mesos-c1", "State": {"StartedAt": "2024-01-01T00:00:00Z"},
            "HostConfig": {"NetworkMode": "default"},
            "NetworkSettings": {"IPAddress": "", "Networks": {"bridge": {"IPAddress": "172.17.0.2", "GlobalIPv6Address": "fd00::2"}}}
        });
        let ni = network_info(&task, &inspect(v)).unwrap();
        assert_eq!(ni.ip_addresses[0].ip_address.as_deref(), Some("172.17.0.2"));
        assert_eq!(ni.ip_addresses[1].protocol, Some(IpProtocol::IPv6));
        let v = serde_json::json!({"Id": "x", "Name": "/mesos-c1", "State": {}, "HostConfig": {"NetworkMode": "host"},
            "NetworkSettings": {"IPAddress": "", "Networks": {"host": {"IPAddress": ""}}}});
        assert!(network_info(&task, &inspect(v)).is_none());
    }
}
