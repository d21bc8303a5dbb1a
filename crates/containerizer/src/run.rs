//! `run`: one task through the whole path — sandbox and checkpoint, fetch, pull, an agent
//! endpoint on an ephemeral loopback port, `mesos-docker-executor`, status updates until the
//! task ends — then clean up and report the exit code. The work is the containerizer's
//! ([`DockerContainerizer`]), with one container on a private endpoint.

use crate::docker_containerizer::{ContainerizerConfig, DockerContainerizer, LaunchError};
use crate::executor_container::{self, ExecutorContainerSpec};
use crate::flags::ContainerizerFlags;
use crate::paths::WorkDir;
use crate::prepare::{BadInput, LaunchSpec};
use crate::status_line;
use crate::{checkpoint, executor_process};
use agent_endpoint::{AgentEndpoint, EndpointConfig};
use docker_cli::Docker;
use mesos_types::status::{Reason, Source, TaskStatus};
use mesos_types::task::ExecutorInfo;
use mesos_types::AgentId;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use tokio::signal::unix::{signal, SignalKind};

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
    /// The launch failed after the sandbox was created (the reason is the message of the
    /// task's TASK_FAILED update).
    #[error("{0}")]
    Launch(String),
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

/// Runs the task of `spec` to its end and returns the exit code. Errors before the container
/// ran are returned as [`RunError`] (exit code 125); everything after is a status update.
pub async fn run(ctx: &RunContext, spec: LaunchSpec, output: Output) -> Result<i32, RunError> {
    // The agent endpoint, on an ephemeral loopback port.
    let mut config = EndpointConfig::new(std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
    config.agent_info = serde_json::json!({ "id": { "value": ctx.agent_id.value } });
    let (endpoint, events) = AgentEndpoint::bind(config)
        .await
        .map_err(|e| RunError::Endpoint(e.to_string()))?;
    let cz = DockerContainerizer::new(
        ctx.clone(),
        endpoint.clone(),
        events,
        ContainerizerConfig {
            checkpoint: false,
            remove_delay: std::time::Duration::ZERO,
            show_progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        },
    );
    cz.on_update(move |update| {
        // A launch failure is this command's error, reported on stderr.
        if !is_launch_failure(&update.status) {
            print_status(&update.status, output);
        }
    });
    let container = cz.launch(spec)?;
    let cid = container.id.clone();

    let mut sigint =
        signal(SignalKind::interrupt()).map_err(|e| RunError::Endpoint(e.to_string()))?;
    let mut sigterm =
        signal(SignalKind::terminate()).map_err(|e| RunError::Endpoint(e.to_string()))?;
    let mut kills_requested = 0u32;
    let termination = loop {
        tokio::select! {
            termination = container.wait() => break termination,
            _ = async { tokio::select! { _ = sigint.recv() => {}, _ = sigterm.recv() => {} } } => {
                kills_requested += 1;
                if kills_requested == 1 {
                    eprintln!("killing the task (again to force)");
                    cz.kill(&cid, None);
                } else {
                    eprintln!("forcing: stopping the executor and removing the container");
                    cz.force_kill(&cid);
                }
            }
        }
    };
    endpoint.shutdown().await;
    if termination.reason.as_deref() == Some(Reason::ContainerLaunchFailed.as_str()) {
        return Err(RunError::Launch(termination.message.unwrap_or_default()));
    }
    Ok(termination.exit_code)
}

/// The TASK_FAILED the containerizer reports when a launch fails before the executor ran.
fn is_launch_failure(status: &TaskStatus) -> bool {
    status.source == Some(Source::Agent) && status.reason == Some(Reason::ContainerLaunchFailed)
}

/// What the executor container of a custom executor (Path B) is made of; `env` is the
/// agent's executor environment ([`executor_container::container_environment`]).
pub fn executor_container_spec<'a>(
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

fn print_status(status: &TaskStatus, output: Output) {
    let line = match output {
        Output::Human => status_line::human(status),
        Output::Json => status_line::json_line(status),
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}
