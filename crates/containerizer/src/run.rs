//! `run`: one task through the whole path — sandbox and checkpoint, fetch, pull, an agent
//! endpoint on an ephemeral loopback port, `mesos-docker-executor`, status updates until the
//! task ends — then clean up and report the exit code.

use crate::executor_container::{self, ExecutorContainerSpec, ExecutorHandle};
use crate::executor_launch::{
    executor_args, executor_environment, ExecutorEnvironment, ExecutorFlags,
};
use crate::flags::ContainerizerFlags;
use crate::paths::{ContainerMeta, WorkDir};
use crate::prepare::{BadInput, LaunchSpec};
use crate::record::{now, ContainerRecord, ContainerState, Termination};
use crate::status_line::{self, EXIT_NOT_STARTED};
use crate::{checkpoint, executor_process};
use agent_endpoint::{AgentEndpoint, EndpointConfig, EndpointEvent, KillOutcome};
use docker_cli::{Docker, DockerConfig, PullOptions};
use mesos_types::duration::Duration;
use mesos_types::resources::Resource;
use mesos_types::status::{Reason, Source, TaskState, TaskStatus};
use mesos_types::task::{CommandInfo, ExecutorInfo};
use mesos_types::{AgentId, ContainerId};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use tokio::signal::unix::{signal, SignalKind};

use docker_executor::task_container::{COMMAND_EXECUTOR_CPUS, COMMAND_EXECUTOR_MEM_MB};

/// How long the executor gets to exit by itself after its terminal update was acknowledged
/// before we stop it.
const EXECUTOR_EXIT_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Why a task could not be started. Every variant means exit code 125.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    BadInput(#[from] BadInput),
    #[error("failed to prepare the sandbox of container {container_id}: {reason}")]
    Sandbox {
        container_id: String,
        reason: String,
    },
    #[error("Failed to fetch all URIs for container '{container_id}': {source}")]
    Fetch {
        container_id: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("Failed to pull image '{image}' for container '{container_id}': {source}")]
    Pull {
        container_id: String,
        image: String,
        #[source]
        source: Box<docker_cli::DockerError>,
    },
    #[error("invalid --docker_config: {0}")]
    DockerConfig(Box<docker_cli::DockerError>),
    #[error("failed to start the agent endpoint: {0}")]
    Endpoint(String),
    #[error(transparent)]
    Spawn(#[from] executor_process::SpawnError),
    /// Path B: the custom executor's container did not start.
    #[error(transparent)]
    ExecutorContainer(#[from] executor_container::ExecutorContainerError),
    #[error("failed to checkpoint: {0}")]
    Checkpoint(#[from] checkpoint::CheckpointError),
}

/// How status updates are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Human,
    Json,
}

/// What `run` needs besides the task.
#[derive(Debug, Clone)]
pub struct RunContext {
    pub flags: ContainerizerFlags,
    pub docker: Docker,
    pub work: WorkDir,
    pub agent_id: AgentId,
}

impl RunContext {
    /// Builds the context from the flags: the docker CLI handle, the work dir and its agent
    /// id (created on first use).
    pub fn from_flags(flags: ContainerizerFlags) -> Result<Self, RunError> {
        let docker = Docker::new(&flags.docker, Some(&flags.docker_socket))
            .map_err(|e| BadInput(e.to_string()))?;
        let work = WorkDir::new(flags.work_dir());
        let agent_id =
            crate::prepare::agent_id(&work.agent_id_file()).map_err(|e| RunError::Sandbox {
                container_id: String::new(),
                reason: format!(
                    "cannot create the agent id under '{}': {e} (check --work_dir)",
                    work.root().display()
                ),
            })?;
        Ok(Self {
            flags,
            docker,
            work,
            agent_id,
        })
    }
}

/// The ExecutorInfo the agent generates for a command task: the executor id is the task
/// id, and it carries the task's environment and URIs and the command executor's resources.
pub fn command_executor_info(spec: &LaunchSpec, launcher_dir: &Path) -> ExecutorInfo {
    let task = &spec.task;
    let command = task.command.clone().unwrap_or_default();
    let mut info = ExecutorInfo::new(spec.executor_id.clone());
    info.framework_id = spec.framework.id.clone();
    info.name = Some(format!(
        "Command Executor (Task: {}) (Command: {})",
        task.task_id,
        describe_command(&command)
    ));
    info.source = Some(task.task_id.value.clone());
    info.command = Some(CommandInfo {
        uris: command.uris.clone(),
        environment: command.environment.clone(),
        shell: Some(false),
        value: Some(
            executor_process::executor_path(launcher_dir)
                .display()
                .to_string(),
        ),
        arguments: vec!["mesos-docker-executor".into()],
        user: command.user.clone(),
    });
    info.container = task.container.clone();
    info.resources = vec![
        Resource::scalar("cpus", COMMAND_EXECUTOR_CPUS),
        Resource::scalar("mem", COMMAND_EXECUTOR_MEM_MB),
    ];
    info
}

fn describe_command(command: &CommandInfo) -> String {
    if command.shell() {
        format!("sh -c '{}'", command.value.as_deref().unwrap_or(""))
    } else {
        let mut parts: Vec<&str> = command.value.iter().map(String::as_str).collect();
        parts.extend(command.arguments.iter().map(String::as_str));
        format!("[{}]", parts.join(", "))
    }
}

/// `--task_environment` for the executor: what the task container sees beyond its own
/// environment (Mesos leaves this to hooks; we give `MESOS_TASK_ID`).
pub fn task_environment(spec: &LaunchSpec) -> String {
    serde_json::to_string(&task_environment_map(spec)).expect("a map of strings")
}

/// [`task_environment`] as a map.
pub fn task_environment_map(spec: &LaunchSpec) -> BTreeMap<String, String> {
    BTreeMap::from([("MESOS_TASK_ID".to_string(), spec.task.task_id.value.clone())])
}

/// The URIs to fetch: the task's for a command task, else the custom executor's.
fn uris_of(spec: &LaunchSpec) -> Vec<mesos_types::task::Uri> {
    match &spec.executor {
        None => spec
            .task
            .command
            .as_ref()
            .map(|c| c.uris.clone())
            .unwrap_or_default(),
        Some(e) => e
            .command
            .as_ref()
            .map(|c| c.uris.clone())
            .unwrap_or_default(),
    }
}

fn write_record(meta: &ContainerMeta, record: &ContainerRecord) -> Result<(), RunError> {
    checkpoint::write_json(&meta.state(), record)?;
    Ok(())
}

/// Runs the task of `spec` to its end and returns the exit code. Errors before the container
/// ran are returned as [`RunError`] (exit code 125); everything after is a status update.
pub async fn run(ctx: &RunContext, spec: LaunchSpec, output: Output) -> Result<i32, RunError> {
    let cid = spec.container_id.clone();
    let sandbox = ctx.work.sandbox(&cid);
    let meta = ctx.work.container_meta(&cid);
    if spec.executor.is_none() {
        // Dry run of the argv builder: whatever it rejects never reaches Docker.
        crate::explain::task_run_command(&spec, &ctx.flags, &sandbox)?;
    }
    if let Some(executor) = &spec.executor {
        // Path B's dry run: the executor container's `docker run` must be buildable.
        let name = spec.container_name();
        let env = BTreeMap::new();
        // The endpoint is bound to 127.0.0.1, so only a host-network executor can subscribe:
        // refuse the others now rather than at the registration timeout.
        executor_container::run_command(&executor_container_spec(
            ctx, &spec, executor, &sandbox, &name, &env,
        ))
        .and_then(|command| executor_container::require_host_network(&command))
        .map_err(|e| BadInput(e.to_string()))?;
    }
    if sandbox.exists() || meta.dir().exists() {
        return Err(BadInput(format!(
            "container id '{cid}' was used before (its sandbox '{}' exists): pick another --container_id or leave it out",
            sandbox.display()
        ))
        .into());
    }
    std::fs::create_dir_all(&sandbox).map_err(|e| RunError::Sandbox {
        container_id: cid.clone(),
        reason: format!("cannot create '{}': {e}", sandbox.display()),
    })?;
    tracing::info!(container_id = %cid, sandbox = %sandbox.display(), "launching");

    let mut record = ContainerRecord {
        container_id: cid.clone(),
        agent_id: ctx.agent_id.value.clone(),
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
        launched_at: now(),
        termination: None,
    };
    checkpoint::write_json(&meta.task(), &spec.task)?;
    if let Some(e) = &spec.executor {
        checkpoint::write_json(&meta.executor(), e)?;
    }
    write_record(&meta, &record)?;

    let result = launch_and_wait(ctx, &spec, &sandbox, &meta, &mut record, output).await;
    let termination = match &result {
        Ok(t) => t.clone(),
        Err(e) => Termination {
            state: TaskState::Error.to_string(),
            reason: None,
            message: Some(e.to_string()),
            exit_code: EXIT_NOT_STARTED,
        },
    };
    record.state = ContainerState::Terminated;
    record.termination = Some(termination);
    // The record must say how it ended even when the launch failed; a failure to write it
    // is reported but does not hide the launch error.
    if let Err(e) = write_record(&meta, &record) {
        tracing::error!(error = %e, "failed to checkpoint the termination");
    }
    result.map(|t| t.exit_code)
}

async fn launch_and_wait(
    ctx: &RunContext,
    spec: &LaunchSpec,
    sandbox: &Path,
    meta: &ContainerMeta,
    record: &mut ContainerRecord,
    output: Output,
) -> Result<Termination, RunError> {
    let flags = &ctx.flags;
    let cid = &spec.container_id;

    fetch(ctx, spec, sandbox).await?;

    record.state = ContainerState::Pulling;
    write_record(meta, record)?;
    pull(ctx, spec, sandbox).await?;

    // The agent endpoint, on an ephemeral loopback port.
    let mut config = EndpointConfig::new(std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
    config.agent_info = serde_json::json!({ "id": { "value": ctx.agent_id.value } });
    let (endpoint, mut events) = AgentEndpoint::bind(config)
        .await
        .map_err(|e| RunError::Endpoint(e.to_string()))?;
    let framework_id = spec
        .framework
        .id
        .clone()
        .expect("prepare sets the framework id");
    let launcher_dir = flags.launcher_dir();
    let executor_info = match &spec.executor {
        Some(e) => e.clone(),
        None => command_executor_info(spec, &launcher_dir),
    };
    endpoint
        .register_executor(
            spec.framework.clone(),
            executor_info.clone(),
            ContainerId::new(cid.clone()),
        )
        .and_then(|_| endpoint.launch_task(&framework_id, &spec.executor_id, spec.task.clone()))
        .map_err(|e| RunError::Endpoint(e.to_string()))?;

    let task_env = task_environment(spec);
    let default_dns = flags.default_container_dns.clone();
    let args = executor_args(&ExecutorFlags {
        docker: &flags.docker,
        docker_socket: &flags.docker_socket,
        container: &spec.container_name(),
        sandbox_directory: sandbox,
        mapped_directory: &flags.sandbox_directory,
        launcher_dir: &launcher_dir,
        stop_timeout: flags.docker_stop_timeout,
        cgroups_enable_cfs: flags.cgroups_enable_cfs,
        default_container_dns: default_dns.as_deref(),
        task_environment: Some(&task_env),
    });
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
    let endpoint_addr = endpoint.local_addr().to_string();
    let shutdown_grace = executor_info
        .shutdown_grace_period
        .map(Duration::from)
        .unwrap_or(flags.executor_shutdown_grace_period);
    let env = executor_environment(&ExecutorEnvironment {
        framework_id: &framework_id.value,
        executor_id: &spec.executor_id.value,
        agent_id: &ctx.agent_id.value,
        directory: sandbox,
        agent_endpoint: &endpoint_addr,
        checkpoint: spec.framework.checkpoint(),
        shutdown_grace_period: shutdown_grace,
        recovery_timeout: "15mins".parse().expect("a valid duration"),
        subscription_backoff_max: "2secs".parse().expect("a valid duration"),
        command_environment: &command_env,
    });
    // From here on the executor is a process (Path A) or the container of a custom executor
    // image (Path B, spec §4.2): `docker run` exiting is the executor exiting.
    let mut child = match &spec.executor {
        Some(executor) => ExecutorHandle::Container(Box::new(
            start_executor_container(ctx, spec, executor, sandbox, &endpoint_addr, shutdown_grace)
                .await?,
        )),
        None => ExecutorHandle::Process(executor_process::spawn(
            &executor_process::executor_path(&launcher_dir),
            &args,
            &env,
            sandbox,
        )?),
    };
    record.executor_pid = child.id();
    record.state = ContainerState::Running;
    write_record(meta, record)?;
    checkpoint::write_atomic(
        &meta.pids(),
        format!("{}\n", record.executor_pid.unwrap_or(0)).as_bytes(),
    )?;

    let mut sigint =
        signal(SignalKind::interrupt()).map_err(|e| RunError::Endpoint(e.to_string()))?;
    let mut sigterm =
        signal(SignalKind::terminate()).map_err(|e| RunError::Endpoint(e.to_string()))?;
    let registration = tokio::time::sleep(flags.executor_registration_timeout.to_std());
    tokio::pin!(registration);
    let mut subscribed = false;
    let mut kills_requested = 0u32;
    let mut terminal: Option<TaskStatus> = None;
    let mut executor_exit: Option<std::process::ExitStatus> = None;
    let kill_policy = spec.task.kill_policy;

    loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { break };
                match event {
                    EndpointEvent::Subscribed { reconnected, .. } => {
                        subscribed = true;
                        tracing::info!(reconnected, "executor subscribed");
                    }
                    EndpointEvent::Disconnected { .. } => {
                        tracing::info!("executor disconnected");
                    }
                    EndpointEvent::Update(update) => {
                        checkpoint::append_json_line(&meta.updates(), &update.status)?;
                        print_status(&update.status, output);
                        if let Err(e) = endpoint.acknowledge_update(&update) {
                            tracing::warn!(error = %e, "failed to acknowledge a status update");
                        }
                        if update.status.state.is_terminal() {
                            terminal = Some(update.status.clone());
                        }
                    }
                    EndpointEvent::Message { .. } => {}
                    EndpointEvent::TaskLost { .. } => {}
                }
            }
            status = child.wait(), if executor_exit.is_none() => {
                executor_exit = Some(status.map_err(|e| RunError::Endpoint(format!("failed to wait for the executor: {e}")))?);
                break;
            }
            _ = &mut registration, if !subscribed => {
                tracing::error!("executor did not subscribe within {}", flags.executor_registration_timeout);
                let _ = child.start_kill();
                let status = executor_failure(
                    spec,
                    Reason::ExecutorRegistrationTimeout,
                    format!("Executor did not register within {}", flags.executor_registration_timeout),
                );
                print_status(&status, output);
                terminal = Some(status);
                let _ = child.wait().await;
                break;
            }
            _ = async { tokio::select! { _ = sigint.recv() => {}, _ = sigterm.recv() => {} } } => {
                kills_requested += 1;
                if kills_requested == 1 {
                    eprintln!("killing the task (again to force)");
                    match endpoint.kill_task(&framework_id, &spec.executor_id, &spec.task.task_id, kill_policy) {
                        Ok(KillOutcome::NotLaunched(_)) | Err(_) => {
                            let _ = child.start_kill();
                        }
                        Ok(_) => {}
                    }
                } else {
                    eprintln!("forcing: stopping the executor and removing the container");
                    let _ = nix::sys::signal::kill(
                        nix::unistd::Pid::from_raw(child.id().unwrap_or(0) as i32),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                }
            }
        }
        if terminal.is_some() {
            break;
        }
    }

    // The executor exits by itself once its terminal update is acknowledged; give it a
    // moment, then stop it.
    if executor_exit.is_none() {
        match tokio::time::timeout(EXECUTOR_EXIT_GRACE, child.wait()).await {
            Ok(status) => executor_exit = status.ok(),
            Err(_) => {
                tracing::warn!("executor did not exit after its terminal update; killing it");
                let _ = child.start_kill();
                executor_exit = child.wait().await.ok();
            }
        }
    }
    endpoint.shutdown().await;

    // Whatever happened to the executor, leave no container behind.
    remove_container(ctx, &spec.container_name()).await;

    let status = match terminal {
        Some(status) => status,
        None => {
            let exit = executor_exit
                .map(|s| describe_exit(&s))
                .unwrap_or_else(|| "unknown status".into());
            let status = executor_failure(
                spec,
                Reason::ExecutorTerminated,
                format!("Executor terminated ({exit}) before the task ended"),
            );
            checkpoint::append_json_line(&meta.updates(), &status)?;
            print_status(&status, output);
            status
        }
    };
    Ok(Termination {
        state: status.state.to_string(),
        reason: status.reason.map(|r| r.to_string()),
        message: status.message.clone(),
        exit_code: status_line::exit_code(&status),
    })
}

/// What the executor container of a custom executor (Path B) is made of; `env` is the
/// agent's executor environment ([`executor_container::container_environment`]).
fn executor_container_spec<'a>(
    ctx: &'a RunContext,
    spec: &LaunchSpec,
    executor: &'a ExecutorInfo,
    sandbox: &'a Path,
    name: &'a str,
    env: &'a BTreeMap<String, String>,
) -> ExecutorContainerSpec<'a> {
    ExecutorContainerSpec {
        executor,
        name,
        sandbox,
        mapped_dir: &ctx.flags.sandbox_directory,
        env,
        enable_cfs_quota: ctx.flags.cgroups_enable_cfs,
        default_dns: ctx.flags.default_container_dns.as_deref(),
        labels: docker_cli::MesosLabels {
            agent_id: Some(ctx.agent_id.value.clone()),
            framework_id: spec.framework.id.as_ref().map(|f| f.value.clone()),
            executor_id: Some(spec.executor_id.value.clone()),
            task_id: Some(spec.task.task_id.value.clone()),
            container_id: Some(spec.container_id.clone()),
        },
    }
}

/// Path B: runs the custom executor's image as the container `mesos-<cid>` with the agent's
/// executor environment, so the executor inside subscribes to the endpoint at
/// `endpoint_addr` (reachable from the container on the default host network only).
async fn start_executor_container(
    ctx: &RunContext,
    spec: &LaunchSpec,
    executor: &ExecutorInfo,
    sandbox: &Path,
    endpoint_addr: &str,
    shutdown_grace: Duration,
) -> Result<executor_container::ExecutorContainer, RunError> {
    let framework_id = spec
        .framework
        .id
        .as_ref()
        .map(|f| f.value.as_str())
        .unwrap_or_default();
    let env = executor_container::container_environment(&ExecutorEnvironment {
        framework_id,
        executor_id: &spec.executor_id.value,
        agent_id: &ctx.agent_id.value,
        directory: sandbox,
        agent_endpoint: endpoint_addr,
        checkpoint: spec.framework.checkpoint(),
        shutdown_grace_period: shutdown_grace,
        recovery_timeout: "15mins".parse().expect("a valid duration"),
        subscription_backoff_max: "2secs".parse().expect("a valid duration"),
        command_environment: &[],
    });
    let name = spec.container_name();
    let container_spec = executor_container_spec(ctx, spec, executor, sandbox, &name, &env);
    // The registration timer starts only once the container runs; bound the start itself
    // by the same timeout.
    let deadline = ctx.flags.executor_registration_timeout.to_std();
    Ok(executor_container::launch(&ctx.docker, &container_spec, deadline).await?)
}

fn describe_exit(status: &std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exited with status {c}"),
        (None, Some(s)) => format!("terminated with signal {s}"),
        _ => "unknown status".into(),
    }
}

/// A TASK_FAILED the agent itself reports when the executor is gone.
fn executor_failure(spec: &LaunchSpec, reason: Reason, message: String) -> TaskStatus {
    let mut s = TaskStatus::new(spec.task.task_id.clone(), TaskState::Failed);
    s.source = Some(Source::Agent);
    s.reason = Some(reason);
    s.message = Some(message);
    s.executor_id = Some(spec.executor_id.clone());
    s.timestamp = Some(now());
    s
}

fn print_status(status: &TaskStatus, output: Output) {
    let line = match output {
        Output::Human => status_line::human(status),
        Output::Json => status_line::json_line(status),
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

async fn fetch(ctx: &RunContext, spec: &LaunchSpec, sandbox: &Path) -> Result<(), RunError> {
    let flags = &ctx.flags;
    let cid = &spec.container_id;
    let fetch_err = |source: Box<dyn std::error::Error + Send + Sync>| RunError::Fetch {
        container_id: cid.clone(),
        source,
    };
    let binary = fetcher::FetcherBinary::in_launcher_dir(&flags.launcher_dir());
    let cache_dir = flags
        .fetcher_cache_dir
        .clone()
        .unwrap_or_else(|| ctx.work.default_fetcher_cache());
    let request = fetcher::FetchRequest {
        uris: uris_of(spec),
        sandbox_directory: sandbox.to_path_buf(),
        user: spec.task.command.as_ref().and_then(|c| c.user.clone()),
        frameworks_home: flags
            .frameworks_home
            .as_ref()
            .map(|p| p.display().to_string()),
        stall_timeout: flags.fetcher_stall_timeout.to_std(),
    };
    // Shared by every `run` process using this directory: `<dir>/index.json` under
    // `<dir>/.lock`, so a second run retrieves what the first one cached.
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

async fn pull(ctx: &RunContext, spec: &LaunchSpec, sandbox: &Path) -> Result<(), RunError> {
    let flags = &ctx.flags;
    let Some(image) = spec.image() else {
        return Ok(());
    };
    let config_home = match &flags.docker_config {
        Some(flag) => Some(
            DockerConfig::parse(flag)
                .and_then(|c| c.materialize())
                .map_err(|e| RunError::DockerConfig(Box::new(e)))?,
        ),
        None => None,
    };
    let options = PullOptions {
        home: Some(docker_cli::pull_home(sandbox, config_home.as_ref())),
        docker_config_dir: None,
        deadline: flags.docker_pull_timeout.to_std(),
        no_progress_deadline: flags.docker_pull_stall_timeout.to_std(),
    };
    ctx.docker
        .pull(image, spec.force_pull(), &options)
        .await
        .map(|_| ())
        .map_err(|source| RunError::Pull {
            container_id: spec.container_id.clone(),
            image: image.to_string(),
            source: Box::new(source),
        })
}

async fn remove_container(ctx: &RunContext, name: &str) {
    match ctx.docker.rm(name, true).await {
        // `docker rm -f` of a missing container succeeds too: nothing to report.
        Ok(()) => tracing::debug!(container = name, "container removed"),
        Err(e) if e.is_not_found() => {}
        Err(e) => tracing::warn!(container = name, error = %e, "failed to remove container"),
    }
}
