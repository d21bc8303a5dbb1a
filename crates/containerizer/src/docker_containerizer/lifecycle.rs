//! One container's life, from launch (or re-adoption after a restart) to its end, driven by
//! one task: fetch → pull → start the executor → accept its status updates (checkpoint,
//! then acknowledge) → the end, however it comes (the task ends, the executor dies, a kill,
//! a registration timeout) → clean up and record the termination.

use super::container::Command;
use super::{Container, DockerContainerizer};
use crate::launch::context::{executor_container_spec, RunContext, RunError};
use crate::launch::executor_command::{
    command_executor_info, docker_executor_args, executor_environment, ExecutorEnvironment,
};
use crate::launch::executor_container::{self, ExecutorHandle};
use crate::launch::executor_process;
use crate::state::checkpoint;
use crate::state::record::{ContainerState, Termination};
use crate::status_line::{self, EXIT_NOT_STARTED};
use crate::watch::container::ContainerWatch;
use crate::watch::process::{ExitWatch, ProcessIdentity};
use agent_endpoint::{EndpointEvent, KillOutcome};
use docker_cli::{DockerConfig, DockerError, PullOptions};
use docker_engine::Engine;
use mesos_types::duration::Duration;
use mesos_types::status::{Reason, TaskState, TaskStatus};
use mesos_types::task::{ExecutorInfo, FrameworkCapabilityType, KillPolicy};
use mesos_types::ContainerId;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How long the executor gets to exit by itself after its terminal update was acknowledged
/// before it is killed.
const EXECUTOR_EXIT_GRACE: std::time::Duration = std::time::Duration::from_secs(10);
/// How long past its grace period a killed task may take before the executor and container
/// are killed by force.
const KILL_SLACK: std::time::Duration = std::time::Duration::from_secs(10);
/// How long to wait for a killed executor to be gone.
const KILLED_EXIT_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
/// How long after a container's end [`ensure_task_container_stopped`] keeps asking a docker
/// daemon that does not answer.
const ENSURE_STOPPED_FOR: std::time::Duration = std::time::Duration::from_secs(600);
/// Longest pause between two of its attempts.
const ENSURE_STOPPED_MAX_PAUSE: std::time::Duration = std::time::Duration::from_secs(30);

/// How the lifecycle task begins.
#[derive(Debug, Clone)]
pub(crate) enum Start {
    /// A new launch: fetch, pull, start the executor.
    Launch,
    /// An executor that survived a restart of the containerizer: watch it.
    Recover { executor: RecoveredExecutor },
}

/// A live executor found by recovery.
#[derive(Debug, Clone)]
pub(crate) enum RecoveredExecutor {
    /// A process (`mesos-docker-executor` started by a previous incarnation).
    Process(ProcessIdentity),
    /// A docker container (its id or name): an executor container of
    /// `--docker_mesos_image`, or a custom executor's container.
    Container(String),
}

/// The executor of a container, whichever way we know it.
enum Executor {
    /// Started by this process: `mesos-docker-executor` (our child) or the `docker run` of a
    /// custom executor's container.
    Started(ExecutorHandle),
    /// Re-adopted after a restart: not our child, watched through a pidfd.
    Adopted(ExitWatch),
    /// In a docker container that is not attached to us (`--docker_mesos_image`, or
    /// re-adopted): watched through docker.
    Container(ContainerWatch),
}

impl Executor {
    /// Waits for the executor to exit and says how it did. Cancel-safe.
    async fn wait(&mut self) -> String {
        match self {
            Executor::Started(handle) => match handle.wait().await {
                Ok(status) => describe_exit(&status),
                Err(e) => format!("could not be waited for: {e}"),
            },
            Executor::Adopted(watch) => {
                watch.exited().await;
                "exited".into()
            }
            Executor::Container(watch) => watch.exited().await.to_string(),
        }
    }

    /// SIGKILLs the executor without waiting.
    fn kill(&mut self) {
        match self {
            Executor::Started(handle) => {
                let _ = handle.start_kill();
            }
            Executor::Adopted(watch) => {
                let identity = watch.identity();
                if identity.is_alive() {
                    let _ = nix::sys::signal::kill(
                        nix::unistd::Pid::from_raw(identity.pid as i32),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                }
            }
            Executor::Container(watch) => watch.start_kill(),
        }
    }
}

fn describe_exit(status: &std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exited with status {c}"),
        (None, Some(s)) => format!("terminated with signal {s}"),
        _ => "unknown status".into(),
    }
}

/// The termination a terminal status stands for.
pub(crate) fn termination_of(status: &TaskStatus) -> Termination {
    Termination {
        state: status.state.to_string(),
        reason: status.reason.map(|r| r.to_string()),
        message: status.message.clone(),
        exit_code: status_line::exit_code(status),
    }
}

/// Whether `found`, a container named after `container_id`, was made for it: ours carry
/// its id in the `mesos.container_id` label. One without (a container someone named so)
/// is never stopped or removed, whatever its name.
fn made_for(found: &docker_cli::Container, container_id: &str) -> bool {
    found
        .labels
        .get(docker_cli::labels::LABEL_CONTAINER_ID)
        .is_some_and(|id| id == container_id)
}

/// Removes (with its anonymous volumes, by force) the container's task container and its
/// `.executor` container, whichever exist and were made for it.
pub(crate) async fn remove_docker_containers(engine: &Engine, container_id: &str) {
    for name in [
        docker_cli::container_name(container_id),
        docker_cli::executor_container_name(container_id),
    ] {
        match engine.inspect_container(&name).await {
            Err(e) if e.is_not_found() => continue,
            Ok(found) if !made_for(&found, container_id) => {
                tracing::warn!(container = %name, "not removed: a container of this name that was not made for this task");
                continue;
            }
            // Ours, or docker cannot tell: the removal says what docker can do.
            _ => {}
        }
        match engine.remove(&name, true).await {
            Ok(()) => tracing::debug!(container = %name, "container removed"),
            Err(e) if e.is_not_found() => {}
            Err(e) => tracing::warn!(container = %name, error = %e, "failed to remove container"),
        }
    }
}

/// Removes (by force, with its anonymous volumes) the `.executor` container of
/// `container_id` (`--docker_mesos_image`) once its executor has ended: it holds nothing
/// worth keeping, its output is in the sandbox.
pub(crate) async fn remove_executor_container(engine: &Engine, container_id: &str) {
    let name = docker_cli::executor_container_name(container_id);
    match engine.inspect_container(&name).await {
        Err(e) if e.is_not_found() => return,
        Ok(found) if !made_for(&found, container_id) => {
            tracing::warn!(container = %name, "not removed: a container of this name that was not made for this task");
            return;
        }
        _ => {}
    }
    match engine.remove(&name, true).await {
        Ok(()) => tracing::debug!(container = %name, "executor container removed"),
        Err(e) if e.is_not_found() => {}
        Err(e) => {
            tracing::warn!(container = %name, error = %e, "failed to remove the executor container")
        }
    }
}

/// The lifecycle task of `container`: runs it to its end, then cleans up and records the
/// termination.
pub(crate) async fn drive(
    cz: Arc<DockerContainerizer>,
    container: Arc<Container>,
    mut events: mpsc::UnboundedReceiver<EndpointEvent>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    start: Start,
) {
    let termination = match start {
        Start::Launch => launch(&cz, &container, &mut events, &mut commands).await,
        Start::Recover { executor } => {
            let executor = match executor {
                RecoveredExecutor::Process(identity) => Executor::Adopted(ExitWatch::new(identity)),
                RecoveredExecutor::Container(name) => {
                    Executor::Container(ContainerWatch::start(cz.ctx.engine.clone(), name))
                }
            };
            supervise(&cz, &container, &mut events, &mut commands, executor).await
        }
    };
    let fid = container.spec.framework_id();
    let _ = cz
        .endpoint
        .unregister_executor(&fid, &container.spec.executor_id);
    cz.forget_route(&container);
    let delay = cz.config.remove_delay;
    let in_executor_container = container
        .snapshot()
        .record
        .executor_container
        .is_some_and(|name| name == docker_cli::executor_container_name(&container.id));
    if delay.is_zero() {
        remove_docker_containers(&cz.ctx.engine, &container.id).await;
    } else {
        if in_executor_container {
            // In the background: the end need not wait for docker.
            let engine = cz.ctx.engine.clone();
            let id = container.id.clone();
            tokio::spawn(async move { remove_executor_container(&engine, &id).await });
        }
        schedule_removal(cz.ctx.engine.clone(), container.id.clone(), delay);
    }
    // Only a launch that got as far as an executor can have started a task container; a
    // launch that failed before (fetch, pull) leaves no docker call running behind it.
    let record = container.snapshot().record;
    if record.executor_pid.is_some() || record.executor_container.is_some() {
        ensure_task_container_stopped(cz.ctx.engine.clone(), container.id.clone());
    }
    tracing::info!(container_id = %container.id, state = %termination.state,
        exit_code = termination.exit_code, "container ended");
    container.terminate(termination);
}

/// Makes sure the task container of an ended container does not run on, in the background:
/// whatever the executor reported, once the task has ended nothing of it may keep running.
/// In the normal case it is gone or exited already (one inspect). It may still run
/// when the executor lost its daemon connection (the Docker daemon restarted with
/// `live-restore`, or went away for a while) and took that for the container's end: then
/// it is removed, as soon as the daemon answers again (asked again with a growing pause,
/// for at most 10 minutes).
pub(crate) fn ensure_task_container_stopped(engine: Engine, container_id: String) {
    tokio::spawn(async move {
        let name = docker_cli::container_name(&container_id);
        let deadline = Instant::now() + ENSURE_STOPPED_FOR;
        let mut pause = std::time::Duration::from_secs(1);
        loop {
            match engine.inspect_container(&name).await {
                Err(e) if e.is_not_found() => return,
                Ok(c) if !c.running || !made_for(&c, &container_id) => return,
                Ok(_) => {
                    tracing::warn!(container = %name, "the task ended but its container still runs; removing it");
                    match engine.remove(&name, true).await {
                        Ok(()) => return,
                        Err(e) if e.is_not_found() => return,
                        Err(e) => {
                            tracing::warn!(container = %name, error = %e, "failed to remove the container; trying again")
                        }
                    }
                }
                Err(e) => {
                    tracing::debug!(container = %name, error = %e, "docker does not answer; looking again later")
                }
            }
            if Instant::now() + pause > deadline {
                tracing::warn!(container = %name, "docker did not answer for {ENSURE_STOPPED_FOR:?}; not checking whether the container still runs");
                return;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(ENSURE_STOPPED_MAX_PAUSE);
        }
    });
}

/// Removes the container's docker containers after `delay` (`--docker_remove_delay`).
pub(crate) fn schedule_removal(engine: Engine, container_id: String, delay: std::time::Duration) {
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        remove_docker_containers(&engine, &container_id).await;
    });
}

/// Accepts an update the agent itself generates: checkpoint, publish.
fn accept_agent_status(cz: &DockerContainerizer, container: &Container, status: &TaskStatus) {
    if let Err(e) = cz.accept_update(container, status) {
        tracing::error!(container_id = %container.id, error = %e, "failed to checkpoint a status update");
    }
}

/// A new launch: the steps up to the running executor, cancelled by a kill, then
/// supervision.
async fn launch(
    cz: &Arc<DockerContainerizer>,
    container: &Arc<Container>,
    events: &mut mpsc::UnboundedReceiver<EndpointEvent>,
    commands: &mut mpsc::UnboundedReceiver<Command>,
) -> Termination {
    let started = tokio::select! {
        started = start_executor(cz, container) => started.map_err(Some),
        _ = commands.recv() => Err(None),
    };
    match started {
        Ok(executor) => supervise(cz, container, events, commands, executor).await,
        Err(failure) => {
            // Whatever got started is stopped: the endpoint forgets the executor, a
            // half-started executor container is removed.
            let _ = cz
                .endpoint
                .unregister_executor(&container.spec.framework_id(), &container.spec.executor_id);
            remove_docker_containers(&cz.ctx.engine, &container.id).await;
            match failure {
                Some(error) => {
                    tracing::warn!(container_id = %container.id, error = %error, "launch failed");
                    // Mesos's agent words it so (`Slave::executorLaunched`), whatever failed.
                    let status = container.agent_status(
                        TaskState::Failed,
                        Some(Reason::ContainerLaunchFailed),
                        format!("Failed to launch container: {error}"),
                    );
                    accept_agent_status(cz, container, &status);
                    Termination {
                        exit_code: EXIT_NOT_STARTED,
                        ..termination_of(&status)
                    }
                }
                None => {
                    let stage = match container.snapshot().record.state {
                        ContainerState::Fetching => "fetching",
                        ContainerState::Pulling => "pulling the image",
                        _ => "launching",
                    };
                    let status = container.agent_status(
                        TaskState::Killed,
                        Some(Reason::TaskKilledDuringLaunch),
                        format!("Container killed while {stage}"),
                    );
                    accept_agent_status(cz, container, &status);
                    termination_of(&status)
                }
            }
        }
    }
}

/// Fetch, pull, register the executor with the endpoint and start it.
async fn start_executor(
    cz: &DockerContainerizer,
    container: &Container,
) -> Result<Executor, RunError> {
    let ctx = &cz.ctx;
    let flags = &ctx.flags;
    let spec = &container.spec;
    let sandbox = container.sandbox.as_path();

    let fetched = fetch(ctx, spec, sandbox).await;
    cz.metrics().fetched(fetched.is_ok());
    fetched?;
    // What a relative volume resolves to is known only now that the sandbox is filled.
    crate::launch::sandbox_volumes::prepare(spec, sandbox).map_err(|source| RunError::Volumes {
        container_id: spec.container_id.clone(),
        source: Box::new(source),
    })?;
    container.update_record(|r| r.state = ContainerState::Pulling)?;
    let pull_started = std::time::Instant::now();
    let pulled = pull(ctx, spec, sandbox, cz.config.show_progress).await;
    if spec.image().is_some() {
        let ms = pull_started.elapsed().as_secs_f64() * 1000.0;
        cz.metrics().pulled(ms, pulled.is_ok());
    }
    pulled?;

    let framework_id = spec.framework_id();
    let launcher_dir = flags.launcher_dir();
    let executor_info = match &spec.executor {
        Some(e) => e.clone(),
        None => command_executor_info(spec, &launcher_dir),
    };
    cz.endpoint
        .register_executor(
            spec.framework.clone(),
            executor_info.clone(),
            ContainerId::new(container.id.clone()),
        )
        .and_then(|_| {
            cz.endpoint
                .launch_task(&framework_id, &spec.executor_id, spec.task.clone())
        })
        .map_err(|e| RunError::Endpoint(e.to_string()))?;

    let endpoint_addr = cz.endpoint.local_addr().to_string();
    let shutdown_grace = cz.shutdown_grace(spec);
    let environment = ExecutorEnvironment {
        framework_id: &framework_id.value,
        executor_id: &spec.executor_id.value,
        agent_id: &ctx.agent_id.value,
        directory: sandbox,
        agent_endpoint: &endpoint_addr,
        checkpoint: spec.framework.checkpoint(),
        shutdown_grace_period: shutdown_grace,
        recovery_timeout: "15mins".parse().expect("a valid duration"),
        subscription_backoff_max: "2secs".parse().expect("a valid duration"),
        command_environment: &[],
    };
    // From here on the executor is a process (Path A), the container of a custom executor
    // image (Path B: as in Mesos, `docker run` exiting is the executor exiting), or with
    // `--docker_mesos_image` a detached container of its own, watched through docker.
    let (mut executor, pid, start_time, executor_container) =
        match (&spec.executor, &flags.docker_mesos_image) {
            (Some(executor), _) => {
                let started =
                    start_executor_container(ctx, container, executor, &environment).await?;
                let pid = started.pid();
                let name = started.name().to_string();
                (
                    Executor::Started(ExecutorHandle::Container(Box::new(started))),
                    Some(pid),
                    crate::watch::process::start_time(pid),
                    Some(name),
                )
            }
            (None, Some(image)) => {
                let env = executor_container::container_environment(&environment);
                let command = crate::launch::mesos_image::run_command(
                    spec,
                    flags,
                    image,
                    sandbox,
                    &ctx.agent_id.value,
                    &env,
                )?;
                let deadline = flags.executor_registration_timeout.to_std();
                let started = crate::launch::mesos_image::launch(
                    &ctx.docker,
                    &ctx.engine,
                    &command,
                    deadline,
                )
                .await?;
                // The pid is in the host's pid namespace, which need not be ours: it is
                // recorded for information, and the container is watched through docker.
                (
                    Executor::Container(ContainerWatch::start(ctx.engine.clone(), started.id)),
                    started.pid,
                    None,
                    Some(started.name),
                )
            }
            (None, None) => {
                let args = docker_executor_args(spec, flags, sandbox);
                let command_env: Vec<(String, String)> = executor_info
                    .command
                    .as_ref()
                    .map(|c| {
                        c.variables()
                            .iter()
                            .filter_map(|v| v.value.clone().map(|val| (v.name.clone(), val)))
                            .collect()
                    })
                    .unwrap_or_default();
                let env = executor_environment(&ExecutorEnvironment {
                    command_environment: &command_env,
                    ..environment.clone()
                });
                let child = executor_process::spawn(
                    &executor_process::executor_path(&launcher_dir),
                    &args,
                    &env,
                    sandbox,
                )?;
                let pid = child.id();
                (
                    Executor::Started(ExecutorHandle::Process(child)),
                    pid,
                    pid.and_then(crate::watch::process::start_time),
                    None,
                )
            }
        };
    // The pid goes to disk before anything else happens, so a restart finds the executor.
    let checkpointed = checkpoint::write_atomic(
        &container.meta.pids(),
        format!("{}\n", pid.unwrap_or(0)).as_bytes(),
    )
    .and_then(|()| {
        container.update_record(|r| {
            r.executor_pid = pid;
            r.executor_start_time = start_time;
            r.executor_container = executor_container;
            r.state = ContainerState::Running;
        })
    });
    if let Err(e) = checkpointed {
        executor.kill();
        return Err(e.into());
    }
    Ok(executor)
}

/// Path B: runs the custom executor's image as the container `mesos-<cid>` with the agent's
/// executor environment, so the executor inside subscribes to the endpoint.
async fn start_executor_container(
    ctx: &RunContext,
    container: &Container,
    executor: &ExecutorInfo,
    environment: &ExecutorEnvironment<'_>,
) -> Result<executor_container::ExecutorContainer, RunError> {
    let env = executor_container::container_environment(environment);
    let name = container.spec.container_name();
    let container_spec = executor_container_spec(
        ctx,
        &container.spec,
        executor,
        &container.sandbox,
        &name,
        &env,
    );
    // The registration timer starts only once the container runs; bound the start itself
    // by the same timeout.
    let deadline = ctx.flags.executor_registration_timeout.to_std();
    Ok(executor_container::launch(&ctx.docker, &ctx.engine, &container_spec, deadline).await?)
}

/// The URIs to fetch: the task's for a command task, else the custom executor's.
fn uris_of(spec: &crate::task::prepare::LaunchSpec) -> Vec<mesos_types::task::Uri> {
    let command = match &spec.executor {
        None => spec.task.command.as_ref(),
        Some(e) => e.command.as_ref(),
    };
    command.map(|c| c.uris.clone()).unwrap_or_default()
}

async fn fetch(
    ctx: &RunContext,
    spec: &crate::task::prepare::LaunchSpec,
    sandbox: &Path,
) -> Result<(), RunError> {
    let flags = &ctx.flags;
    let uris = uris_of(spec);
    if uris.is_empty() {
        // Nothing to fetch: neither the cache nor an HTTP client (which needs the system's
        // CA certificates, absent from a minimal image `serve` may run in) is needed.
        return Ok(());
    }
    let cid = &spec.container_id;
    let fetch_err = |source: Box<dyn std::error::Error + Send + Sync>| RunError::Fetch {
        container_id: cid.clone(),
        source,
    };
    let mut binary = fetcher::FetcherBinary::in_launcher_dir(&flags.launcher_dir());
    // The fetch may write at most the task's disk (plus a custom executor's, which shares
    // the sandbox), so an archive bomb or an endless download cannot fill the agent's disk.
    // A zero disk reads as "not given", as for the container's other limits.
    let task_disk = mesos_types::resources::disk_mb(&spec.task.resources).filter(|mb| *mb > 0.0);
    binary.disk_budget = task_disk.map(|mb| {
        let executor_mb = spec
            .executor
            .as_ref()
            .and_then(|e| mesos_types::resources::disk_mb(&e.resources))
            .unwrap_or(0.0);
        ((mb + executor_mb) * (1u64 << 20) as f64) as u64
    });
    let cache_dir = flags
        .fetcher_cache_dir
        .clone()
        .unwrap_or_else(|| ctx.work.default_fetcher_cache());
    let request = fetcher::FetchRequest {
        uris,
        sandbox_directory: sandbox.to_path_buf(),
        user: spec.task.command.as_ref().and_then(|c| c.user.clone()),
        frameworks_home: flags
            .frameworks_home
            .as_ref()
            .map(|p| p.display().to_string()),
        stall_timeout: flags.fetcher_stall_timeout.to_std(),
    };
    // Shared by every process using this directory: `<dir>/index.json` under
    // `<dir>/.lock`, so a second launch retrieves what the first one cached.
    let cache = fetcher::FetcherCache::open(&cache_dir, flags.fetcher_cache_size.as_u64())
        .map_err(|e| fetch_err(Box::new(e)))?;
    let http = fetcher::HttpClient::new().map_err(|e| fetch_err(Box::new(e)))?;
    let plan = fetcher::plan_fetch_shared(&cache, &http, &request)
        .await
        .map_err(|e| fetch_err(Box::new(e)))?;
    for warning in &plan.warnings {
        tracing::warn!("{warning}");
    }
    let info = plan.info.clone();
    let result = binary.run(&info).await;
    if let Err(e) = fetcher::finish_shared(&cache, plan, result.is_ok()).await {
        // The references stay recorded until this process exits; the next run drops them.
        tracing::warn!("Failed to settle the fetcher cache entries: {e}");
    }
    result.map_err(|e| fetch_err(Box::new(e)))
}

async fn pull(
    ctx: &RunContext,
    spec: &crate::task::prepare::LaunchSpec,
    sandbox: &Path,
    show_progress: bool,
) -> Result<(), RunError> {
    let flags = &ctx.flags;
    let Some(image) = spec.image() else {
        return Ok(());
    };
    let pull_error = |source: DockerError| RunError::Pull {
        container_id: spec.container_id.clone(),
        image: image.to_string(),
        source: Box::new(source),
    };
    let flag = match &flags.docker_config {
        Some(flag) => {
            Some(DockerConfig::parse(flag).map_err(|e| RunError::DockerConfig(Box::new(e)))?)
        }
        None => None,
    };
    // The private copy of the credentials lives until the end of this function: removed
    // once the pull has ended, whichever way.
    let credentials = docker_cli::pull_credentials(sandbox, flag.as_ref())
        .map_err(|e| RunError::DockerConfig(Box::new(e)))?;
    if !spec.force_pull() {
        // Present already: no pull, and no docker process to find that out.
        match ctx
            .engine
            .inspect_image(&docker_cli::normalize_image(image))
            .await
        {
            Ok(_) => return Ok(()),
            // Missing, or a name the daemon will not look up: the pull says what is wrong.
            Err(e @ (DockerError::NotFound { .. } | DockerError::Api { .. })) => {
                tracing::debug!(image, error = %e, "image not present; pulling");
            }
            // A hung or unreachable daemon says nothing about the image: pulling would
            // only hide the fault behind a second wait (MESOS-8572).
            Err(e) => return Err(pull_error(e)),
        }
    }
    let options = PullOptions {
        home: Some(docker_cli::pull_home(sandbox, credentials.as_ref())),
        docker_config_dir: None,
        deadline: flags.docker_pull_timeout.to_std(),
        no_progress_deadline: flags.docker_pull_stall_timeout.to_std(),
        progress: show_progress.then_some(docker_cli::PullProgress(show_pull_progress)),
    };
    // The image was looked for above: `force` so that the CLI pulls without asking again.
    let pulled = ctx.docker.pull(image, true, &options).await;
    if PULL_PROGRESS_SHOWN.swap(false, std::sync::atomic::Ordering::Relaxed) {
        // End the progress line.
        eprintln!();
    }
    pulled.map(|_| ()).map_err(pull_error)
}

/// Whether [`show_pull_progress`] left a line open on the terminal.
static PULL_PROGRESS_SHOWN: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// One line of `docker pull` output, overwriting the previous one on the terminal.
fn show_pull_progress(image: &str, line: &str) {
    PULL_PROGRESS_SHOWN.store(true, std::sync::atomic::Ordering::Relaxed);
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r\x1b[Kpulling {image}: {line}");
    let _ = err.flush();
}

/// Why supervision stopped waiting for the task's own end.
enum Force {
    RegistrationTimeout,
    KillDeadline,
    Requested,
}

/// Follows the running executor: accepts its updates, forwards kills, notices its death.
async fn supervise(
    cz: &DockerContainerizer,
    container: &Container,
    events: &mut mpsc::UnboundedReceiver<EndpointEvent>,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    mut executor: Executor,
) -> Termination {
    let flags = &cz.ctx.flags;
    let spec = &container.spec;
    let framework_id = spec.framework_id();
    let registration_timeout = flags.executor_registration_timeout;
    let registration = tokio::time::sleep(registration_timeout.to_std());
    tokio::pin!(registration);
    let mut subscribed = false;
    // A recovered container whose terminal update was checkpointed already only waits for
    // its executor to go.
    let mut terminal: Option<TaskStatus> = container
        .snapshot()
        .statuses
        .last()
        .filter(|s| s.state.is_terminal())
        .cloned();
    let mut exit: Option<String> = None;
    let mut force: Option<Force> = None;
    let mut kill_deadline: Option<Instant> = None;

    while terminal.is_none() && exit.is_none() && force.is_none() {
        tokio::select! {
            Some(event) = events.recv() => {
                if matches!(event, EndpointEvent::Subscribed { .. }) {
                    subscribed = true;
                }
                handle_event(cz, container, event, &mut terminal);
            }
            status = executor.wait() => exit = Some(status),
            _ = &mut registration, if !subscribed => {
                tracing::error!(container_id = %container.id,
                    "executor did not subscribe within {registration_timeout}");
                force = Some(Force::RegistrationTimeout);
            }
            Some(command) = commands.recv() => match command {
                Command::Force => force = Some(Force::Requested),
                Command::Kill { .. } if kill_deadline.is_some() => {}
                Command::Kill { policy } => {
                    let policy = policy.or(spec.task.kill_policy);
                    let grace = kill_grace(cz, container, policy.as_ref());
                    match cz.endpoint.kill_task(&framework_id, &spec.executor_id, &spec.task.task_id, policy) {
                        Ok(KillOutcome::NotLaunched(_)) => {
                            let status = container.agent_status(
                                TaskState::Killed,
                                Some(Reason::TaskKilledDuringLaunch),
                                "Task killed before it was delivered to the executor",
                            );
                            accept_agent_status(cz, container, &status);
                            terminal = Some(status);
                            let _ = cz.endpoint.shutdown_executor(&framework_id, &spec.executor_id);
                        }
                        Ok(outcome) => {
                            tracing::info!(container_id = %container.id, ?outcome, grace = ?grace, "killing the task");
                            kill_deadline = Some(Instant::now() + grace + KILL_SLACK);
                        }
                        Err(e) => {
                            tracing::warn!(container_id = %container.id, error = %e, "cannot send KILL; killing by force");
                            force = Some(Force::Requested);
                        }
                    }
                }
            },
            _ = sleep_until(kill_deadline), if kill_deadline.is_some() => {
                tracing::warn!(container_id = %container.id, "the task did not end within its kill grace period; killing by force");
                force = Some(Force::KillDeadline);
            }
        }
    }

    if let Some(status) = terminal {
        // The executor exits by itself once its terminal update is acknowledged (and its
        // container removed); give it a moment, then stop it.
        if exit.is_none()
            && tokio::time::timeout(EXECUTOR_EXIT_GRACE, executor.wait())
                .await
                .is_err()
        {
            tracing::warn!(container_id = %container.id, "executor did not exit after its terminal update; killing it");
            executor.kill();
            let _ = tokio::time::timeout(KILLED_EXIT_WAIT, executor.wait()).await;
        }
        return termination_of(&status);
    }

    if exit.is_none() {
        executor.kill();
        exit = tokio::time::timeout(KILLED_EXIT_WAIT, executor.wait())
            .await
            .ok();
    }
    // Updates the executor sent just before it went are still queued: they count.
    while let Ok(event) = events.try_recv() {
        handle_event(cz, container, event, &mut terminal);
    }
    if let Some(status) = terminal {
        return termination_of(&status);
    }
    // The executor is gone without a terminal update: stop and remove its container first,
    // so that whoever learns of the end finds nothing left running.
    remove_docker_containers(&cz.ctx.engine, &container.id).await;
    let name = container.docker_name();
    let status = match force {
        None => container.agent_status(
            TaskState::Failed,
            Some(Reason::ExecutorTerminated),
            format!(
                "Executor terminated ({}) before the task ended; container {name} was stopped and removed",
                exit.unwrap_or_else(|| "exited".into())
            ),
        ),
        Some(Force::RegistrationTimeout) => container.agent_status(
            TaskState::Failed,
            Some(Reason::ExecutorRegistrationTimeout),
            format!("Executor did not register within {registration_timeout}"),
        ),
        Some(Force::KillDeadline) => container.agent_status(
            TaskState::Killed,
            None,
            format!("Container {name} killed by force: the task did not end within its kill grace period"),
        ),
        Some(Force::Requested) => container.agent_status(
            TaskState::Killed,
            None,
            format!("Container {name} killed by force"),
        ),
    };
    accept_agent_status(cz, container, &status);
    termination_of(&status)
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// The grace period of a kill: the policy's, else the executor's shutdown grace period.
fn kill_grace(
    cz: &DockerContainerizer,
    container: &Container,
    policy: Option<&KillPolicy>,
) -> std::time::Duration {
    policy
        .and_then(|p| p.grace_period)
        .map(|g| Duration::from(g).to_std())
        .unwrap_or_else(|| cz.shutdown_grace(&container.spec).to_std())
}

/// Applies one endpoint event: updates are checkpointed and then acknowledged.
fn handle_event(
    cz: &DockerContainerizer,
    container: &Container,
    event: EndpointEvent,
    terminal: &mut Option<TaskStatus>,
) {
    match event {
        EndpointEvent::Subscribed { reconnected, .. } => {
            tracing::info!(container_id = %container.id, reconnected, "executor subscribed");
        }
        EndpointEvent::Disconnected { .. } => {
            tracing::info!(container_id = %container.id, "executor disconnected");
        }
        EndpointEvent::Update(update) => {
            if let Err(e) = cz.accept_update(container, &update.status) {
                // Not acknowledged: the executor sends it again.
                tracing::error!(container_id = %container.id, error = %e,
                    "failed to checkpoint a status update; not acknowledging it");
                return;
            }
            if let Err(e) = cz.endpoint.acknowledge_update(&update) {
                tracing::warn!(container_id = %container.id, error = %e, "failed to acknowledge a status update");
            }
            if update.status.state.is_terminal() {
                *terminal = Some(update.status.clone());
            }
        }
        EndpointEvent::Message { data, .. } => {
            tracing::info!(container_id = %container.id, bytes = data.len(), "framework message from the executor (dropped: no scheduler)");
        }
        EndpointEvent::TaskLost { .. } => {
            let state = if container
                .spec
                .framework
                .has_capability(FrameworkCapabilityType::PartitionAware)
            {
                TaskState::Dropped
            } else {
                TaskState::Lost
            };
            let status = container.agent_status(
                state,
                Some(Reason::AgentRestarted),
                "The executor re-subscribed without the task: it never reached the executor",
            );
            accept_agent_status(cz, container, &status);
            *terminal = Some(status);
        }
    }
}
