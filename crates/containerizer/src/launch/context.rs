//! What every launch path shares, whichever command drives it: the [`RunContext`] (flags,
//! docker handle, work dir, agent id), the [`RunError`] of a task that could not start, and
//! the builders of the containers' `docker run` commands. The containerizer core
//! (`docker_containerizer`, `daemon`) and the commands (`run`, `explain`, ...) depend on this
//! module; it depends on neither.

use crate::flags::ContainerizerFlags;
use crate::launch::executor_container::{self, ExecutorContainerSpec};
use crate::launch::executor_process;
use crate::state::checkpoint;
use crate::state::paths::WorkDir;
use crate::task::prepare::{BadInput, LaunchSpec};
use docker_cli::{build_run_command, ContainerDnsInfo, Docker, RunCommand, RunOptions};
use docker_executor::task_container::{self, TaskContainer};
use mesos_types::task::ExecutorInfo;
use mesos_types::AgentId;
use std::collections::BTreeMap;
use std::path::Path;

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
    #[error("Failed to prepare the volumes of container '{container_id}': {source}")]
    Volumes {
        container_id: String,
        #[source]
        source: Box<crate::launch::sandbox_volumes::VolumeError>,
    },
    #[error("{0}")]
    DockerConfig(Box<docker_cli::DockerError>),
    #[error("failed to start the agent endpoint: {0}")]
    Endpoint(String),
    /// The work dir cannot hold the agent id (not writable, a file, no space left).
    #[error("cannot create the agent id under '{dir}': {reason} (check --work_dir)")]
    WorkDir { dir: String, reason: String },
    /// The docker CLI is missing, does not answer, or is older than 1.8.0.
    #[error("Failed to create docker: {0}")]
    Docker(String),
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

/// What `run` needs besides the task.
#[derive(Debug, Clone)]
pub struct RunContext {
    pub flags: ContainerizerFlags,
    pub docker: Docker,
    /// The same daemon through its Engine API: what a running task needs (inspect, wait,
    /// kill, remove, list) without a `docker` process.
    pub engine: docker_engine::Engine,
    pub work: WorkDir,
    pub agent_id: AgentId,
}

impl RunContext {
    /// Checks that the docker CLI of `flags` works and is at least 1.8.0 (as Mesos's
    /// `Docker::create`), then builds the context ([`RunContext::from_flags`]). `run`,
    /// `serve` (once, at start-up) and `recover` start with it.
    pub async fn create(flags: ContainerizerFlags) -> Result<Self, RunError> {
        let docker = flags.docker().map_err(|e| BadInput(e.to_string()))?;
        let cache = WorkDir::new(flags.work_dir()).docker_version_file();
        crate::launch::docker_version::checked_docker_version(&docker, &cache)
            .await
            .map_err(|e| RunError::Docker(e.to_string()))?;
        Self::from_flags(flags)
    }

    /// Builds the context from the flags: the docker CLI handle, the Engine API client, the
    /// work dir and its agent id (created on first use).
    pub fn from_flags(flags: ContainerizerFlags) -> Result<Self, RunError> {
        let docker = flags.docker().map_err(|e| BadInput(e.to_string()))?;
        let work = WorkDir::new(flags.work_dir());
        let agent_id = crate::task::prepare::agent_id(&work.agent_id_file()).map_err(|e| {
            RunError::WorkDir {
                dir: work.root().display().to_string(),
                reason: e.to_string(),
            }
        })?;
        let engine = flags.engine();
        Ok(Self {
            flags,
            docker,
            engine,
            work,
            agent_id,
        })
    }
}

/// Fails unless `docker --version` answers with [`docker_cli::MIN_DOCKER_VERSION`] or newer,
/// with Mesos's messages.
pub async fn check_docker_version(docker: &Docker) -> Result<docker_cli::Version, RunError> {
    crate::launch::docker_version::ask_docker_version(docker)
        .await
        .map_err(|e| RunError::Docker(e.to_string()))
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

/// The task container's `docker run` options, exactly as `mesos-docker-executor` builds them
/// from the task and the flags `run` gives it.
pub fn task_run_options(
    spec: &LaunchSpec,
    flags: &ContainerizerFlags,
    sandbox: &Path,
) -> Result<RunOptions, BadInput> {
    let default_dns = match &flags.default_container_dns {
        Some(dns) => Some(
            ContainerDnsInfo::parse(dns)
                .map_err(|e| BadInput(format!("--default_container_dns: {e}")))?,
        ),
        None => None,
    };
    let name = spec.container_name();
    let task_environment = crate::launch::executor_command::task_environment_map(spec);
    let container = TaskContainer {
        name: &name,
        sandbox_directory: sandbox,
        mapped_directory: &flags.sandbox_directory,
        task_environment: &task_environment,
        default_dns: default_dns.as_ref(),
        cgroups_enable_cfs: flags.cgroups_enable_cfs,
        framework_id: spec.framework.id.as_ref().map(|f| f.value.as_str()),
        executor_id: Some(&spec.executor_id.value),
        host_memory_bytes: task_container::host_memory_bytes(),
    };
    task_container::task_run_options(&spec.task, &container)
        .map_err(|e| BadInput(format!("task: {e}")))
}

/// Builds the task container's `docker run` command: the dry run that keeps bad input away
/// from Docker.
pub fn task_run_command(
    spec: &LaunchSpec,
    flags: &ContainerizerFlags,
    sandbox: &Path,
) -> Result<RunCommand, BadInput> {
    let options = task_run_options(spec, flags, sandbox)?;
    build_run_command(&options).map_err(|e| BadInput(format!("task: {e}")))
}
