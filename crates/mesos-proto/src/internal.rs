//! The `mesos.internal.*` messages (`src/messages/messages.proto`) of the v0 executor
//! protocol, which travel over libprocess named by [`Named::NAME`].
//!
//! `ReregisterExecutorMessage.tasks` is `repeated bytes` here (wire-compatible with
//! `repeated TaskInfo`), so an executor can hand the agent back the tasks exactly as it
//! received them: [`run_task_raw`] gives those bytes for a received `RunTaskMessage`.

use crate::error::DecodeError;
use crate::mesos::{
    AgentId, ExecutorId, ExecutorInfo, FrameworkId, FrameworkInfo, KillPolicy, ResourceProviderId,
    TaskId, TaskInfo, TaskStatus, Uuid,
};
use crate::{proto_message, tables, Named};

macro_rules! named {
    ($($ty:ident,)*) => {$(
        impl Named for $ty {
            const NAME: &'static str = concat!("mesos.internal.", stringify!($ty));
        }
    )*};
}

named! {
    RegisterExecutorMessage,
    ExecutorRegisteredMessage,
    ReregisterExecutorMessage,
    ExecutorReregisteredMessage,
    ReconnectExecutorMessage,
    RunTaskMessage,
    KillTaskMessage,
    StatusUpdate,
    StatusUpdateMessage,
    StatusUpdateAcknowledgementMessage,
    ShutdownExecutorMessage,
    FrameworkToExecutorMessage,
    ExecutorToFrameworkMessage,
}

/// `RunTaskMessage` decoded with its `task` left as bytes has the same name on the wire.
impl Named for RunTaskMessageRaw {
    const NAME: &'static str = RunTaskMessage::NAME;
}

proto_message! {
    RegisterExecutorMessage => tables::REGISTER_EXECUTOR;
    ExecutorRegisteredMessage => tables::EXECUTOR_REGISTERED;
    ReregisterExecutorMessage => tables::REREGISTER_EXECUTOR;
    ExecutorReregisteredMessage => tables::EXECUTOR_REREGISTERED;
    ReconnectExecutorMessage => tables::RECONNECT_EXECUTOR;
    RunTaskMessage => tables::RUN_TASK;
    RunTaskMessageRaw => tables::RUN_TASK;
    KillTaskMessage => tables::KILL_TASK;
    StatusUpdate => tables::STATUS_UPDATE;
    StatusUpdateMessage => tables::STATUS_UPDATE_MESSAGE;
    StatusUpdateAcknowledgementMessage => tables::STATUS_UPDATE_ACK;
    ShutdownExecutorMessage => tables::SHUTDOWN_EXECUTOR;
    FrameworkToExecutorMessage => tables::FRAMEWORK_TO_EXECUTOR;
    ExecutorToFrameworkMessage => tables::EXECUTOR_TO_FRAMEWORK;
}

/// Executor → agent: the executor has started and wants its tasks.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct RegisterExecutorMessage {
    #[prost(message, required, tag = "1")]
    pub framework_id: FrameworkId,
    #[prost(message, required, tag = "2")]
    pub executor_id: ExecutorId,
}

/// Agent → executor: registration accepted.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct ExecutorRegisteredMessage {
    #[prost(message, required, tag = "2")]
    pub executor_info: ExecutorInfo,
    #[prost(message, required, tag = "3")]
    pub framework_id: FrameworkId,
    #[prost(message, required, tag = "4")]
    pub framework_info: FrameworkInfo,
    #[prost(message, required, tag = "5")]
    pub slave_id: AgentId,
    /// An encoded `mesos.SlaveInfo`; see [`crate::opaque::agent_info_to_json`].
    #[prost(bytes = "vec", required, tag = "6")]
    pub slave_info: Vec<u8>,
}

/// Executor → agent, after an agent restart: what the executor still holds.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct ReregisterExecutorMessage {
    #[prost(message, required, tag = "1")]
    pub executor_id: ExecutorId,
    #[prost(message, required, tag = "2")]
    pub framework_id: FrameworkId,
    /// Each an encoded `mesos.TaskInfo`, exactly as received (see [`run_task_raw`]).
    #[prost(bytes = "vec", repeated, tag = "3")]
    pub tasks: Vec<Vec<u8>>,
    #[prost(message, repeated, tag = "4")]
    pub updates: Vec<StatusUpdate>,
}

/// Agent → executor: re-registration accepted.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct ExecutorReregisteredMessage {
    #[prost(message, required, tag = "1")]
    pub slave_id: AgentId,
    /// An encoded `mesos.SlaveInfo`; see [`crate::opaque::agent_info_to_json`].
    #[prost(bytes = "vec", required, tag = "2")]
    pub slave_info: Vec<u8>,
}

/// Agent → executor: the agent restarted; re-register.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct ReconnectExecutorMessage {
    #[prost(message, required, tag = "1")]
    pub slave_id: AgentId,
}

/// `mesos.internal.ResourceVersionUUID`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct ResourceVersionUuid {
    #[prost(message, optional, tag = "1")]
    pub resource_provider_id: Option<ResourceProviderId>,
    #[prost(message, required, tag = "2")]
    pub uuid: Uuid,
}

/// Agent → executor: run this task.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct RunTaskMessage {
    /// Deprecated.
    #[prost(message, optional, tag = "1")]
    pub framework_id: Option<FrameworkId>,
    #[prost(message, required, tag = "2")]
    pub framework: FrameworkInfo,
    #[prost(message, required, tag = "4")]
    pub task: TaskInfo,
    #[prost(message, repeated, tag = "5")]
    pub resource_version_uuids: Vec<ResourceVersionUuid>,
    #[prost(string, optional, tag = "3")]
    pub pid: Option<String>,
    #[prost(bool, optional, tag = "6")]
    pub launch_executor: Option<bool>,
}

/// [`RunTaskMessage`] with `task` as its encoded bytes (same wire form).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct RunTaskMessageRaw {
    #[prost(message, optional, tag = "1")]
    pub framework_id: Option<FrameworkId>,
    #[prost(message, required, tag = "2")]
    pub framework: FrameworkInfo,
    /// An encoded `mesos.TaskInfo`, byte for byte as the agent sent it.
    #[prost(bytes = "vec", required, tag = "4")]
    pub task: Vec<u8>,
    #[prost(message, repeated, tag = "5")]
    pub resource_version_uuids: Vec<ResourceVersionUuid>,
    #[prost(string, optional, tag = "3")]
    pub pid: Option<String>,
    #[prost(bool, optional, tag = "6")]
    pub launch_executor: Option<bool>,
}

/// Decodes a `RunTaskMessage` body (checking required fields, as [`crate::decode`]) and also
/// returns the raw bytes of its `task`, to put into a later
/// [`ReregisterExecutorMessage::tasks`] unchanged.
pub fn run_task_raw(body: &[u8]) -> Result<(RunTaskMessage, Vec<u8>), DecodeError> {
    let raw: RunTaskMessageRaw = crate::decode(body)?;
    let task: TaskInfo = crate::decode(&raw.task).map_err(|e| match e {
        DecodeError::Wire { source, .. } => DecodeError::Wire {
            message: RunTaskMessage::NAME,
            source,
        },
        DecodeError::Field { error, .. } => DecodeError::Field {
            message: RunTaskMessage::NAME,
            error: error.at("task"),
        },
    })?;
    let message = RunTaskMessage {
        framework_id: raw.framework_id,
        framework: raw.framework,
        task,
        resource_version_uuids: raw.resource_version_uuids,
        pid: raw.pid,
        launch_executor: raw.launch_executor,
    };
    Ok((message, raw.task))
}

/// Agent → executor: kill this task.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct KillTaskMessage {
    #[prost(message, required, tag = "1")]
    pub framework_id: FrameworkId,
    #[prost(message, required, tag = "2")]
    pub task_id: TaskId,
    #[prost(message, optional, tag = "3")]
    pub kill_policy: Option<KillPolicy>,
}

/// A status update with its routing: inside [`StatusUpdateMessage`] and
/// [`ReregisterExecutorMessage::updates`].
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct StatusUpdate {
    #[prost(message, required, tag = "1")]
    pub framework_id: FrameworkId,
    #[prost(message, optional, tag = "2")]
    pub executor_id: Option<ExecutorId>,
    #[prost(message, optional, tag = "3")]
    pub slave_id: Option<AgentId>,
    #[prost(message, required, tag = "4")]
    pub status: TaskStatus,
    /// Seconds since the epoch.
    #[prost(double, required, tag = "5")]
    pub timestamp: f64,
    /// The same bytes as `status.uuid`.
    #[prost(bytes = "vec", optional, tag = "6")]
    pub uuid: Option<Vec<u8>>,
    /// `mesos.TaskState`; set by the agent, not by executors.
    #[prost(int32, optional, tag = "7")]
    pub latest_state: Option<i32>,
}

/// Executor → agent: a status update.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct StatusUpdateMessage {
    #[prost(message, required, tag = "1")]
    pub update: StatusUpdate,
    /// The sender's libprocess pid (`executor(1)@ip:port`).
    #[prost(string, optional, tag = "2")]
    pub pid: Option<String>,
}

/// Agent → executor: the update with this uuid is stored.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct StatusUpdateAcknowledgementMessage {
    #[prost(message, required, tag = "1")]
    pub slave_id: AgentId,
    #[prost(message, required, tag = "2")]
    pub framework_id: FrameworkId,
    #[prost(message, required, tag = "3")]
    pub task_id: TaskId,
    #[prost(bytes = "vec", required, tag = "4")]
    pub uuid: Vec<u8>,
}

/// Agent → executor: shut down.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct ShutdownExecutorMessage {
    #[prost(message, optional, tag = "1")]
    pub executor_id: Option<ExecutorId>,
    #[prost(message, optional, tag = "2")]
    pub framework_id: Option<FrameworkId>,
}

/// Agent → executor: a message from the scheduler.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct FrameworkToExecutorMessage {
    #[prost(message, required, tag = "1")]
    pub slave_id: AgentId,
    #[prost(message, required, tag = "2")]
    pub framework_id: FrameworkId,
    #[prost(message, required, tag = "3")]
    pub executor_id: ExecutorId,
    #[prost(bytes = "vec", required, tag = "4")]
    pub data: Vec<u8>,
}

/// Executor → agent: a message for the scheduler.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct ExecutorToFrameworkMessage {
    #[prost(message, required, tag = "1")]
    pub slave_id: AgentId,
    #[prost(message, required, tag = "2")]
    pub framework_id: FrameworkId,
    #[prost(message, required, tag = "3")]
    pub executor_id: ExecutorId,
    #[prost(bytes = "vec", required, tag = "4")]
    pub data: Vec<u8>,
}
