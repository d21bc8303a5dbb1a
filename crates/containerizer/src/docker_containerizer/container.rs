//! One container as the containerizer tracks it (Mesos's `DockerContainerizerProcess::
//! Container`): what it runs, its checkpointed record, the status updates accepted so far,
//! and how it ended. Shared between its lifecycle task, which alone changes it, and the
//! callers that read it (the operator API, `run`).

use crate::state::checkpoint::{self, CheckpointError};
use crate::state::paths::ContainerMeta;
use crate::state::record::{ContainerRecord, ContainerState, Termination};
use crate::task::prepare::LaunchSpec;
use mesos_types::status::{Reason, Source, TaskState, TaskStatus};
use mesos_types::task::KillPolicy;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{mpsc, watch};

/// What a caller asks a container's lifecycle task to do.
#[derive(Debug, Clone)]
pub(crate) enum Command {
    /// Kill the task gracefully: KILL to the executor with this policy (the task's own
    /// when `None`). After the grace period plus a slack the executor and container are
    /// killed by force.
    Kill { policy: Option<KillPolicy> },
    /// Stop everything now: SIGKILL the executor, `docker rm -f` the container.
    Force,
}

/// The resources the container's cgroups were last given, for `usage` and `update`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ContainerLimits {
    pub cpus: Option<f64>,
    pub mem_mb: Option<f64>,
}

pub(crate) struct Inner {
    pub(crate) record: ContainerRecord,
    pub(crate) statuses: Vec<TaskStatus>,
    subscribers: Vec<mpsc::UnboundedSender<TaskStatus>>,
    pub(crate) limits: ContainerLimits,
    /// The located cgroup of the task container: (docker container id, init pid, cgroup).
    pub(crate) cgroup: Option<(String, u32, cgroups::ContainerCgroup)>,
}

/// A container of this containerizer. Cheap to share (`Arc`).
pub struct Container {
    pub id: String,
    pub spec: LaunchSpec,
    pub sandbox: PathBuf,
    pub(crate) meta: ContainerMeta,
    /// Re-adopted from checkpoints by recovery rather than launched by this process.
    pub recovered: bool,
    inner: Mutex<Inner>,
    termination: watch::Sender<Option<Termination>>,
    commands: mpsc::UnboundedSender<Command>,
}

impl std::fmt::Debug for Container {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Container")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// A point-in-time copy of what is known about a container.
#[derive(Debug, Clone)]
pub struct ContainerSnapshot {
    pub record: ContainerRecord,
    pub statuses: Vec<TaskStatus>,
    pub limits: ContainerLimits,
}

impl ContainerSnapshot {
    /// The task's latest state (`TASK_STAGING` before the first update).
    pub fn task_state(&self) -> TaskState {
        self.statuses
            .last()
            .map(|s| s.state)
            .unwrap_or(TaskState::Staging)
    }

    /// IP addresses the executor reported (in TASK_RUNNING's container status).
    pub fn ip_addresses(&self) -> Vec<String> {
        let mut ips: Vec<String> = Vec::new();
        for s in &self.statuses {
            for ip in s
                .container_status
                .iter()
                .flat_map(|c| c.network_infos.iter())
                .flat_map(|n| n.ip_addresses.iter())
                .filter_map(|ip| ip.ip_address.clone())
            {
                if !ips.contains(&ip) {
                    ips.push(ip);
                }
            }
        }
        ips
    }
}

impl Container {
    /// A container and the receiving end of its commands (for its lifecycle task).
    pub(crate) fn new(
        spec: LaunchSpec,
        sandbox: PathBuf,
        meta: ContainerMeta,
        record: ContainerRecord,
        statuses: Vec<TaskStatus>,
        recovered: bool,
    ) -> (Arc<Self>, mpsc::UnboundedReceiver<Command>) {
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let termination = record.termination.clone();
        let limits = initial_limits(&spec);
        let container = Arc::new(Self {
            id: spec.container_id.clone(),
            spec,
            sandbox,
            meta,
            recovered,
            inner: Mutex::new(Inner {
                record,
                statuses,
                subscribers: Vec::new(),
                limits,
                cgroup: None,
            }),
            termination: watch::channel(termination).0,
            commands,
        });
        (container, commands_rx)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent data (every change is one
        // assignment), so poisoning is ignored.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What is known now.
    pub fn snapshot(&self) -> ContainerSnapshot {
        let inner = self.lock();
        ContainerSnapshot {
            record: inner.record.clone(),
            statuses: inner.statuses.clone(),
            limits: inner.limits,
        }
    }

    /// The docker name of the task container, `mesos-<ContainerID>`.
    pub fn docker_name(&self) -> String {
        self.spec.container_name()
    }

    /// How it ended, once it has.
    pub fn termination(&self) -> Option<Termination> {
        self.termination.borrow().clone()
    }

    /// Resolves with the termination once the container has ended.
    pub async fn wait(&self) -> Termination {
        let mut rx = self.termination.subscribe();
        loop {
            if let Some(t) = rx.borrow_and_update().clone() {
                return t;
            }
            if rx.changed().await.is_err() {
                // The sender lives as long as `self`; unreachable in practice.
                return self.termination().unwrap_or_else(|| Termination {
                    state: TaskState::Lost.to_string(),
                    reason: None,
                    message: Some("the container's lifecycle ended without a termination".into()),
                    exit_code: crate::status_line::EXIT_NOT_STARTED,
                });
            }
        }
    }

    /// The updates accepted so far and a receiver of every later one, with no gap and no
    /// overlap between the two.
    pub fn subscribe(&self) -> (Vec<TaskStatus>, mpsc::UnboundedReceiver<TaskStatus>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut inner = self.lock();
        let history = inner.statuses.clone();
        // After the end nothing more comes: the receiver closes at once.
        if self.termination.borrow().is_none() {
            inner.subscribers.push(tx);
        }
        (history, rx)
    }

    pub(crate) fn send(&self, command: Command) -> bool {
        self.commands.send(command).is_ok()
    }

    /// Checkpoints `status` (appended to `updates.jsonl` and fsynced) and then makes it
    /// known. The caller acknowledges it to the executor only after this returned `Ok`.
    pub(crate) fn accept_update(&self, status: &TaskStatus) -> Result<(), CheckpointError> {
        checkpoint::append_json_line(&self.meta.updates(), status)?;
        let mut inner = self.lock();
        inner.statuses.push(status.clone());
        inner.subscribers.retain(|s| s.send(status.clone()).is_ok());
        Ok(())
    }

    /// Changes the record and checkpoints it (`state.json`).
    pub(crate) fn update_record(
        &self,
        change: impl FnOnce(&mut ContainerRecord),
    ) -> Result<(), CheckpointError> {
        let record = {
            let mut inner = self.lock();
            change(&mut inner.record);
            inner.record.clone()
        };
        checkpoint::write_json(&self.meta.state(), &record)
    }

    /// Records the end: `state.json` says TERMINATED with `termination`, waiters wake up,
    /// update subscribers see their stream end.
    pub(crate) fn terminate(&self, termination: Termination) {
        let result = self.update_record(|r| {
            r.state = ContainerState::Terminated;
            r.termination = Some(termination.clone());
            r.ended_at = Some(crate::state::record::now());
        });
        if let Err(e) = result {
            // Reported, but it must not hide the end from the waiters.
            tracing::error!(container_id = %self.id, error = %e, "failed to checkpoint the termination");
        }
        // Under the lock, so that a concurrent `subscribe` either sees the end (and gets a
        // closed receiver) or is cleared here.
        let mut inner = self.lock();
        inner.subscribers.clear();
        self.termination.send_replace(Some(termination));
    }

    /// A status the agent itself generates for the task (not the executor): source AGENT,
    /// a fresh uuid, now.
    pub(crate) fn agent_status(
        &self,
        state: TaskState,
        reason: Option<Reason>,
        message: impl Into<String>,
    ) -> TaskStatus {
        let mut s = TaskStatus::new(self.spec.task.task_id.clone(), state);
        s.source = Some(Source::Agent);
        s.reason = reason;
        s.message = Some(message.into());
        s.executor_id = Some(self.spec.executor_id.clone());
        s.agent_id = Some(self.spec.task.agent_id.clone());
        s.timestamp = Some(crate::state::record::now());
        s.uuid = Some(uuid::Uuid::new_v4().as_bytes().to_vec());
        s
    }
}

/// The limits `docker run` gives the container at launch: the task's resources alone for a
/// command task (as `mesos-docker-executor` computes its `docker run` flags, and as a real
/// agent's command-task containers get them), the custom executor's resources for an
/// executor container.
fn initial_limits(spec: &LaunchSpec) -> ContainerLimits {
    let scalar = |resources: &[mesos_types::resources::Resource], name: &str| -> Option<f64> {
        let total: f64 = resources
            .iter()
            .filter(|r| r.name == name)
            .filter_map(|r| r.scalar_value())
            .sum();
        (total > 0.0).then_some(total)
    };
    match &spec.executor {
        None => ContainerLimits {
            cpus: scalar(&spec.task.resources, "cpus"),
            mem_mb: scalar(&spec.task.resources, "mem"),
        },
        Some(e) => ContainerLimits {
            cpus: scalar(&e.resources, "cpus"),
            mem_mb: scalar(&e.resources, "mem"),
        },
    }
}
