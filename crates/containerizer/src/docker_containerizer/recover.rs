//! Recovery (docs/design.md, *Recovery*): the checkpoints under
//! `<work_dir>/meta/containers` are reconciled with the daemon's list of containers, all of
//! them as `docker ps -a` lists them (name prefix `mesos-`, label `mesos.agent_id` = ours),
//! asked on the Engine API.
//!
//! - A live executor (its pid runs, with the start time checkpointed; or, for an executor
//!   in a container of its own — `mesos-<cid>.executor` with `--docker_mesos_image`, a
//!   custom executor's `mesos-<cid>` — its container runs, as docker says) is re-adopted:
//!   the endpoint expects its re-subscription, with the updates already checkpointed counted
//!   as acknowledged so their resends are not delivered twice.
//! - A container whose executor is gone gets its real end: its checkpointed terminal update,
//!   else `docker inspect`'s exit code, else TASK_LOST (TASK_GONE for partition-aware
//!   frameworks) with a reason.
//! - A launch cut short while fetching or pulling ends TASK_FAILED. Whatever it had started
//!   already (an executor whose pid was not checkpointed yet, the docker CLIs it ran) is
//!   found by its environment (`MESOS_DIRECTORY=<sandbox>`) and killed before the container
//!   is removed; so is what is left of a container whose executor is gone.
//! - Orphans (our name prefix and agent id, no checkpoint) are removed with
//!   `--docker_kill_orphans`, listed otherwise. Containers of other agent ids are never
//!   listed, so never touched.
//!
//! Beyond Mesos: a pid is trusted only together with its start time (Mesos probes the
//! executor's libprocess socket instead), and containers launched by another live process
//! (a `run` sharing the work dir) are left alone.

use super::container::Container;
use super::lifecycle::{
    self, remove_docker_containers, remove_executor_container, schedule_removal, termination_of,
    RecoveredExecutor, Start,
};
use super::DockerContainerizer;
use crate::launch::executor_command::command_executor_info;
use crate::state::checkpoint::{self, CheckpointError};
use crate::state::paths::ContainerMeta;
use crate::state::record::{now, ContainerRecord, ContainerState, Termination};
use crate::status_line::EXIT_NOT_STARTED;
use crate::task::prepare::{framework_info, LaunchSpec};
use crate::watch::process::ProcessIdentity;
use docker_cli::labels::LABEL_AGENT_ID;
use docker_cli::{parse_container_name, PsFilter};
use mesos_types::status::{Reason, TaskState, TaskStatus};
use mesos_types::task::{ExecutorInfo, FrameworkCapabilityType, TaskInfo};
use mesos_types::{ContainerId, ExecutorId, FrameworkId};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Why recovery could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum RecoverError {
    #[error("cannot list the docker containers: {0}")]
    Docker(#[source] docker_cli::DockerError),
    #[error("cannot read the checkpoints under '{path}': {source}")]
    Checkpoints {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What recovery did with one checkpointed container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RecoveredAction {
    /// Its executor runs: re-adopted (it re-subscribes).
    Readopted,
    /// Its executor runs, but this recovery does not adopt executors (`recover` command):
    /// left running for `serve`.
    LeftRunning,
    /// Launched by another live process (a `run` on the same work dir): left alone.
    InUse,
    /// It had ended before: nothing to do.
    Terminated,
    /// It ended while we were down: its real end was recorded.
    EndedWhileDown,
    /// Its executor died while we were down and its container still ran: the container was
    /// removed and the task failed.
    ExecutorGone,
    /// Executor and container vanished: TASK_LOST / TASK_GONE.
    Lost,
    /// Its launch was cut short while fetching or pulling: TASK_FAILED.
    LaunchInterrupted,
}

/// One checkpointed container and what recovery did with it.
#[derive(Debug, Clone, Serialize)]
pub struct RecoveredContainer {
    pub container_id: String,
    pub action: RecoveredAction,
    /// The task's state afterwards.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// One orphan: a docker container with our name prefix and agent id but no checkpoint.
#[derive(Debug, Clone, Serialize)]
pub struct OrphanAction {
    pub name: String,
    pub docker_id: String,
    pub container_id: String,
    /// Removed (`--docker_kill_orphans`), or only listed.
    pub removed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What a recovery found and did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RecoveryReport {
    pub agent_id: String,
    pub containers: Vec<RecoveredContainer>,
    pub orphans: Vec<OrphanAction>,
    /// Checkpoints that could not be read (left untouched).
    pub errors: Vec<String>,
}

/// What the checkpoint of one container holds.
struct Checkpointed {
    spec: LaunchSpec,
    meta: ContainerMeta,
    record: ContainerRecord,
    statuses: Vec<TaskStatus>,
}

fn load(
    cz: &DockerContainerizer,
    container_id: &str,
) -> Result<Option<Checkpointed>, CheckpointError> {
    let meta = cz.ctx.work.container_meta(container_id);
    let Some(record) = checkpoint::read_json::<ContainerRecord>(&meta.state())? else {
        return Ok(None);
    };
    let Some(task) = checkpoint::read_json::<TaskInfo>(&meta.task())? else {
        return Ok(None);
    };
    let executor = checkpoint::read_json::<ExecutorInfo>(&meta.executor())?;
    let statuses = checkpoint::read_json_lines::<TaskStatus>(&meta.updates())?;
    let mut framework = framework_info(FrameworkId::new(record.framework_id.clone()));
    if cz.config.checkpoint {
        framework.checkpoint = Some(true);
    }
    let spec = LaunchSpec {
        container_id: container_id.to_string(),
        task,
        executor,
        framework,
        executor_id: ExecutorId::new(record.executor_id.clone()),
    };
    Ok(Some(Checkpointed {
        spec,
        meta,
        record,
        statuses,
    }))
}

impl DockerContainerizer {
    /// Reconciles the checkpoints with Docker, once. With `adopt`, live executors are
    /// re-adopted (`serve`); without, they are only reported (`recover` command).
    pub async fn recover(self: &Arc<Self>, adopt: bool) -> Result<RecoveryReport, RecoverError> {
        let agent_id = self.ctx.agent_id.value.clone();
        let mut report = RecoveryReport {
            agent_id: agent_id.clone(),
            ..Default::default()
        };
        let listed = self
            .ctx
            .engine
            .ps_inspect(&PsFilter::all_with_prefix("mesos-").label(LABEL_AGENT_ID, &agent_id))
            .await
            .map_err(RecoverError::Docker)?;
        // ContainerID → its docker containers (the task's, and an `.executor` one).
        let mut docker: BTreeMap<String, Vec<docker_cli::Container>> = BTreeMap::new();
        for c in listed {
            match parse_container_name(&c.name) {
                Some(parsed) => docker.entry(parsed.container_id).or_default().push(c),
                None => tracing::debug!(name = %c.name, "not a Mesos container name; ignored"),
            }
        }

        let dir = self.ctx.work.containers_dir();
        let mut ids: Vec<String> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok())
                .filter(|e| e.path().is_dir())
                .filter_map(|e| e.file_name().into_string().ok())
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => return Err(RecoverError::Checkpoints { path: dir, source }),
        };
        ids.sort();
        let known: BTreeSet<String> = ids.iter().cloned().collect();

        for id in &ids {
            if self.get(id).is_some() {
                continue;
            }
            match load(self, id) {
                Ok(Some(c)) => {
                    let containers = docker.get(id).cloned().unwrap_or_default();
                    if let Some(r) = self.recover_one(c, &containers, adopt).await {
                        report.containers.push(r);
                    }
                }
                Ok(None) => report.errors.push(format!(
                    "container '{id}': incomplete checkpoint (no state.json or task.json); left as it is"
                )),
                Err(e) => report.errors.push(format!("container '{id}': {e}")),
            }
        }

        // Orphans: ours by label, unknown to the checkpoints.
        let mut removals = tokio::task::JoinSet::new();
        for (cid, containers) in docker {
            if known.contains(&cid) {
                continue;
            }
            for c in containers {
                if !self.ctx.flags.docker_kill_orphans {
                    tracing::warn!(name = %c.name, "orphan container (not removed: --docker_kill_orphans=false)");
                    report.orphans.push(OrphanAction {
                        name: c.name,
                        docker_id: c.id,
                        container_id: cid.clone(),
                        removed: false,
                        error: None,
                    });
                    continue;
                }
                let engine = self.ctx.engine.clone();
                let stop_timeout = self.ctx.flags.docker_stop_timeout.to_std();
                let cid = cid.clone();
                removals.spawn(async move {
                    tracing::info!(name = %c.name, "removing orphan container");
                    if c.running {
                        if let Err(e) = engine.stop(&c.id, stop_timeout).await {
                            tracing::debug!(name = %c.name, error = %e, "stopping an orphan failed; removing it by force");
                        }
                    }
                    let error = match engine.remove(&c.id, true).await {
                        Ok(()) => None,
                        Err(e) if e.is_not_found() => None,
                        Err(e) => Some(e.to_string()),
                    };
                    OrphanAction {
                        name: c.name,
                        docker_id: c.id,
                        container_id: cid,
                        removed: error.is_none(),
                        error,
                    }
                });
            }
        }
        while let Some(done) = removals.join_next().await {
            if let Ok(action) = done {
                report.orphans.push(action);
            }
        }
        report.orphans.sort_by(|a, b| a.name.cmp(&b.name));
        tracing::info!(
            containers = report.containers.len(),
            orphans = report.orphans.len(),
            errors = report.errors.len(),
            "recovery done"
        );
        Ok(report)
    }

    /// Recovers one checkpointed container; `docker` are its docker containers.
    async fn recover_one(
        self: &Arc<Self>,
        c: Checkpointed,
        docker: &[docker_cli::Container],
        adopt: bool,
    ) -> Option<RecoveredContainer> {
        let cid = c.spec.container_id.clone();
        let report = |action, state: &str, message: Option<String>| RecoveredContainer {
            container_id: cid.clone(),
            action,
            state: state.to_string(),
            message,
        };
        let me = std::process::id();
        if c.record.state != ContainerState::Terminated {
            if let Some(owner) = c.record.owner_pid.filter(|p| *p != me) {
                let owner = ProcessIdentity {
                    pid: owner,
                    start_time: c.record.owner_start_time,
                };
                if owner.is_alive() {
                    return Some(report(
                        RecoveredAction::InUse,
                        c.statuses
                            .last()
                            .map(|s| s.state.as_str())
                            .unwrap_or("TASK_STAGING"),
                        Some(format!("launched by process {} that still runs", owner.pid)),
                    ));
                }
            }
        }

        if c.record.state == ContainerState::Terminated {
            let termination = c.record.termination.clone();
            let (container, _) = Container::new(
                c.spec,
                self.ctx.work.sandbox(&cid),
                c.meta,
                c.record.clone(),
                c.statuses,
                true,
            );
            if has_executor_container(&cid, docker) {
                remove_executor_container(&self.ctx.engine, &cid).await;
            }
            if !docker.is_empty() {
                let ended = c.record.ended_at.unwrap_or(c.record.launched_at);
                let elapsed = std::time::Duration::from_secs_f64((now() - ended).max(0.0));
                schedule_removal(
                    self.ctx.engine.clone(),
                    cid.clone(),
                    self.config.remove_delay.saturating_sub(elapsed),
                );
            }
            self.containers().insert(cid.clone(), container);
            let t = termination.unwrap_or_else(|| Termination {
                state: TaskState::Lost.to_string(),
                reason: None,
                message: None,
                exit_code: EXIT_NOT_STARTED,
            });
            return Some(report(RecoveredAction::Terminated, &t.state, t.message));
        }

        let executor = c
            .record
            .executor_pid
            .filter(|p| *p != 0)
            .map(|pid| ProcessIdentity {
                pid,
                start_time: c.record.executor_start_time,
            });
        let launching = matches!(
            c.record.state,
            ContainerState::Fetching | ContainerState::Pulling
        );
        // An executor in a container of its own is asked of docker: its pid may be in a
        // pid namespace we do not see.
        let live = if launching {
            None
        } else if let Some(name) = &c.record.executor_container {
            docker
                .iter()
                .find(|d| &d.name == name && d.running)
                .map(|d| RecoveredExecutor::Container(d.id.clone()))
        } else {
            executor
                .filter(|e| e.is_alive())
                .map(RecoveredExecutor::Process)
        };
        let alive = live.is_some();
        if alive && !adopt {
            return Some(report(
                RecoveredAction::LeftRunning,
                c.statuses
                    .last()
                    .map(|s| s.state.as_str())
                    .unwrap_or("TASK_STAGING"),
                Some("its executor runs; serve re-adopts it".into()),
            ));
        }

        let sandbox = self.ctx.work.sandbox(&cid);
        let (container, commands) = Container::new(
            c.spec,
            sandbox,
            c.meta,
            c.record.clone(),
            c.statuses.clone(),
            true,
        );
        let framework_id = container.spec.framework_id();
        if let Some(executor) = live {
            if let Err(e) = self.readopt(&container, &c.statuses) {
                tracing::error!(container_id = %cid, error = %e, "cannot re-adopt the executor");
            }
            let _ = container.update_record(|r| {
                r.owner_pid = Some(me);
                r.owner_start_time = crate::watch::process::start_time(me);
            });
            let events = self
                .router
                .add(framework_id, container.spec.executor_id.clone());
            self.containers().insert(cid.clone(), container.clone());
            match &executor {
                RecoveredExecutor::Process(p) => {
                    tracing::info!(container_id = %cid, pid = p.pid, "re-adopting a live executor")
                }
                RecoveredExecutor::Container(id) => {
                    tracing::info!(container_id = %cid, docker_id = %id, "re-adopting a live executor container")
                }
            }
            tokio::spawn(lifecycle::drive(
                self.clone(),
                container.clone(),
                events,
                commands,
                Start::Recover { executor },
            ));
            return Some(report(
                RecoveredAction::Readopted,
                container.snapshot().task_state().as_str(),
                None,
            ));
        }

        // The executor is gone, or never started, or was started by a launch cut short before
        // its pid was checkpointed: whatever of this container still runs (an executor,
        // the docker CLIs it ran) is stopped first, found by its environment, so that nothing
        // creates a container after the removal below.
        let killed = stop_processes_of(&self.ctx.work.sandbox(&cid)).await;
        if !killed.is_empty() {
            tracing::warn!(container_id = %cid, pids = ?killed,
                "stopped the processes of a launch that was cut short");
        }
        // An executor container of its own is of no use any more.
        if has_executor_container(&cid, docker) {
            remove_executor_container(&self.ctx.engine, &cid).await;
        }
        self.containers().insert(cid.clone(), container.clone());
        let name = container.docker_name();
        let task_container = docker.iter().find(|d| d.name == name);
        let (action, status) = if let Some(last) =
            c.statuses.last().filter(|s| s.state.is_terminal())
        {
            (RecoveredAction::Terminated, last.clone())
        } else if launching {
            let stage = if c.record.state == ContainerState::Fetching {
                "fetching"
            } else {
                "pulling the image"
            };
            (
                RecoveredAction::LaunchInterrupted,
                container.agent_status(
                    TaskState::Failed,
                    Some(Reason::ContainerLaunchFailed),
                    format!("Launch interrupted: the containerizer stopped while {stage}"),
                ),
            )
        } else {
            match task_container {
                Some(d) if d.started && !d.running => {
                    let code = d.exit_code.unwrap_or(-1);
                    let mut s = if code == 0 {
                        container.agent_status(
                            TaskState::Finished,
                            None,
                            "Container exited with status 0 while the containerizer was down",
                        )
                    } else {
                        container.agent_status(
                            TaskState::Failed,
                            Some(Reason::CommandExecutorFailed),
                            format!(
                                "Container exited with status {code} while the containerizer was down"
                            ),
                        )
                    };
                    if d.oom_killed {
                        s.reason = Some(Reason::ContainerLimitationMemory);
                    }
                    (RecoveredAction::EndedWhileDown, s)
                }
                Some(_) => (
                    RecoveredAction::ExecutorGone,
                    container.agent_status(
                        TaskState::Failed,
                        Some(Reason::ExecutorTerminated),
                        format!(
                            "Executor terminated while the containerizer was down; container {name} was stopped and removed"
                        ),
                    ),
                ),
                None => {
                    let state = if container
                        .spec
                        .framework
                        .has_capability(FrameworkCapabilityType::PartitionAware)
                    {
                        TaskState::Gone
                    } else {
                        TaskState::Lost
                    };
                    (
                        RecoveredAction::Lost,
                        container.agent_status(
                            state,
                            Some(Reason::ExecutorTerminated),
                            format!(
                                "The executor and container {name} vanished while the containerizer was down; how the task ended is unknown"
                            ),
                        ),
                    )
                }
            }
        };
        if action == RecoveredAction::ExecutorGone || action == RecoveredAction::LaunchInterrupted {
            remove_docker_containers(&self.ctx.engine, &cid).await;
        } else if !docker.is_empty() {
            schedule_removal(
                self.ctx.engine.clone(),
                cid.clone(),
                self.config.remove_delay,
            );
        }
        if action != RecoveredAction::Terminated {
            if let Err(e) = self.accept_update(&container, &status) {
                tracing::error!(container_id = %cid, error = %e, "failed to checkpoint a status update");
            }
        }
        let mut termination = termination_of(&status);
        if action == RecoveredAction::LaunchInterrupted {
            termination.exit_code = EXIT_NOT_STARTED;
        }
        let message = termination.message.clone();
        let state = termination.state.clone();
        container.terminate(termination);
        Some(report(action, &state, message))
    }

    /// Tells the endpoint to expect the re-subscription of `container`'s executor. With no
    /// update checkpointed the task may never have reached the executor: it is launched
    /// again (sent once the executor subscribes).
    fn readopt(
        &self,
        container: &Container,
        statuses: &[TaskStatus],
    ) -> Result<(), agent_endpoint::EndpointError> {
        let spec = &container.spec;
        let executor_info = match &spec.executor {
            Some(e) => e.clone(),
            None => command_executor_info(spec, &self.ctx.flags.launcher_dir()),
        };
        let cid = ContainerId::new(container.id.clone());
        if statuses.is_empty() {
            self.endpoint
                .register_executor(spec.framework.clone(), executor_info, cid)?;
            self.endpoint.launch_task(
                &spec.framework_id(),
                &spec.executor_id,
                spec.task.clone(),
            )?;
            return Ok(());
        }
        let acknowledged = statuses.iter().filter_map(|s| s.uuid_bytes()).collect();
        self.endpoint.recover_executor(
            spec.framework.clone(),
            executor_info,
            cid,
            vec![spec.task.clone()],
            acknowledged,
        )
    }
}

/// How long recovery keeps killing the processes of one container before going on.
const STOP_PROCESSES_FOR: std::time::Duration = std::time::Duration::from_secs(5);

/// SIGKILLs every process whose environment has `MESOS_DIRECTORY=<sandbox>` (the sandbox as
/// written, and as resolved): an executor started for the container and what it ran.
async fn stop_processes_of(sandbox: &std::path::Path) -> Vec<u32> {
    let mut values = vec![sandbox.display().to_string()];
    if let Ok(real) = std::fs::canonicalize(sandbox) {
        let real = real.display().to_string();
        if !values.contains(&real) {
            values.push(real);
        }
    }
    crate::watch::process::kill_processes_with_env("MESOS_DIRECTORY", &values, STOP_PROCESSES_FOR)
        .await
}

/// Whether `docker` (the containers of `container_id`) holds its `.executor` container.
fn has_executor_container(container_id: &str, docker: &[docker_cli::Container]) -> bool {
    let name = docker_cli::executor_container_name(container_id);
    docker.iter().any(|d| d.name == name)
}
