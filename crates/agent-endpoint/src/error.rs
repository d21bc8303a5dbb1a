//! Errors the endpoint's owner can get back.

use mesos_types::{ExecutorId, FrameworkId, TaskId};
use std::net::SocketAddr;

/// What went wrong in a call of the [`crate::AgentEndpoint`] API.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// `FrameworkInfo.id` is required to register an executor.
    #[error("FrameworkInfo of executor '{executor_id}' has no 'id'; set it before registering")]
    MissingFrameworkId { executor_id: ExecutorId },
    /// The executor is registered already (unregister it first).
    #[error("executor '{executor_id}' of framework '{framework_id}' is already registered")]
    AlreadyRegistered {
        framework_id: FrameworkId,
        executor_id: ExecutorId,
    },
    /// No such executor is registered.
    #[error("no executor '{executor_id}' of framework '{framework_id}' is registered")]
    UnknownExecutor {
        framework_id: FrameworkId,
        executor_id: ExecutorId,
    },
    /// The executor does not know this task.
    #[error("executor '{executor_id}' has no task '{task_id}'")]
    UnknownTask {
        executor_id: ExecutorId,
        task_id: TaskId,
    },
    /// A task with this id was launched on the executor already.
    #[error("task '{task_id}' was already launched on executor '{executor_id}'")]
    DuplicateTask {
        executor_id: ExecutorId,
        task_id: TaskId,
    },
    /// The executor is shutting down and takes no new work.
    #[error("executor '{executor_id}' is shutting down")]
    Terminating { executor_id: ExecutorId },
    /// No update with this uuid was received from the executor.
    #[error("executor '{executor_id}' sent no update with uuid {uuid}")]
    UnknownUpdate {
        executor_id: ExecutorId,
        uuid: String,
    },
    /// The endpoint was shut down.
    #[error("the agent endpoint has been shut down")]
    Closed,
}
