//! `mesos.TaskStatus` and what it holds: `TaskState`, `TaskStatus.Source`,
//! `TaskStatus.Reason` and `ContainerStatus`.
//!
//! # Enum values this build does not know
//!
//! A newer peer may send a value added after Mesos 1.11. We follow what the agent's own JSON
//! parser does with proto2 enums:
//! - `state` is a *required* enum: an unknown name is a decoding error (the agent answers
//!   `400 Failed to convert JSON into Call protobuf` for it), because a status whose state we
//!   cannot interpret cannot be acted on safely (terminal or not?).
//! - `source` and `reason` are *optional* enums: an unknown name leaves the field unset
//!   (`None`), so the rest of the update — state, message, uuid — still gets through. A JSON
//!   number in any enum field is an error, as in Mesos.

use crate::container::NetworkInfo;
use crate::duration::{lenient, proto_enum, TimeInfo};
use crate::health::CheckStatusInfo;
use crate::ids::{AgentId, ContainerId, ExecutorId, TaskId};
use crate::json::base64_bytes_opt;
use crate::task::Labels;
use serde::{Deserialize, Serialize};

proto_enum!(
    /// `mesos.TaskState`, in proto declaration order.
    TaskState {
        /// Initial state; executors must never send it.
        Staging = "TASK_STAGING",
        /// The executor is launching the task.
        Starting = "TASK_STARTING",
        Running = "TASK_RUNNING",
        /// Being killed; only for frameworks with `TASK_KILLING_STATE`.
        Killing = "TASK_KILLING",
        /// Terminal: ended on its own with success.
        Finished = "TASK_FINISHED",
        /// Terminal: ended on its own with a failure.
        Failed = "TASK_FAILED",
        /// Terminal: killed on request.
        Killed = "TASK_KILLED",
        /// Terminal: the task description was invalid.
        Error = "TASK_ERROR",
        /// Terminal (for this purpose): the task failed but can be rescheduled.
        Lost = "TASK_LOST",
        /// Terminal: failed to launch because of a transient error.
        Dropped = "TASK_DROPPED",
        Unreachable = "TASK_UNREACHABLE",
        /// Terminal: known to be gone.
        Gone = "TASK_GONE",
        /// Terminal: an operator said it is gone.
        GoneByOperator = "TASK_GONE_BY_OPERATOR",
        Unknown = "TASK_UNKNOWN",
    }
);

impl TaskState {
    /// True for the states after which Mesos considers the task over and frees its
    /// resources (stout's `protobuf::isTerminalState`): FINISHED, FAILED, KILLED, ERROR,
    /// LOST, DROPPED, GONE, GONE_BY_OPERATOR.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            TaskState::Finished
                | TaskState::Failed
                | TaskState::Killed
                | TaskState::Error
                | TaskState::Lost
                | TaskState::Dropped
                | TaskState::Gone
                | TaskState::GoneByOperator
        )
    }
}

proto_enum!(
    /// `mesos.TaskStatus.Source`: who generated the status.
    Source {
        Master = "SOURCE_MASTER",
        Agent = "SOURCE_AGENT",
        Executor = "SOURCE_EXECUTOR",
    }
);

proto_enum!(
    /// `mesos.TaskStatus.Reason` (all values of Mesos 1.11), in proto declaration order.
    Reason {
        CommandExecutorFailed = "REASON_COMMAND_EXECUTOR_FAILED",
        ContainerLaunchFailed = "REASON_CONTAINER_LAUNCH_FAILED",
        ContainerLimitation = "REASON_CONTAINER_LIMITATION",
        ContainerLimitationDisk = "REASON_CONTAINER_LIMITATION_DISK",
        /// The container was killed for using more memory than its limit (OOM).
        ContainerLimitationMemory = "REASON_CONTAINER_LIMITATION_MEMORY",
        ContainerPreempted = "REASON_CONTAINER_PREEMPTED",
        ContainerUpdateFailed = "REASON_CONTAINER_UPDATE_FAILED",
        MaxCompletionTimeReached = "REASON_MAX_COMPLETION_TIME_REACHED",
        ExecutorRegistrationTimeout = "REASON_EXECUTOR_REGISTRATION_TIMEOUT",
        ExecutorReregistrationTimeout = "REASON_EXECUTOR_REREGISTRATION_TIMEOUT",
        ExecutorTerminated = "REASON_EXECUTOR_TERMINATED",
        ExecutorUnregistered = "REASON_EXECUTOR_UNREGISTERED",
        FrameworkRemoved = "REASON_FRAMEWORK_REMOVED",
        GcError = "REASON_GC_ERROR",
        InvalidFrameworkid = "REASON_INVALID_FRAMEWORKID",
        InvalidOffers = "REASON_INVALID_OFFERS",
        IoSwitchboardExited = "REASON_IO_SWITCHBOARD_EXITED",
        MasterDisconnected = "REASON_MASTER_DISCONNECTED",
        Reconciliation = "REASON_RECONCILIATION",
        ResourcesUnknown = "REASON_RESOURCES_UNKNOWN",
        AgentDisconnected = "REASON_AGENT_DISCONNECTED",
        AgentDraining = "REASON_AGENT_DRAINING",
        AgentRemoved = "REASON_AGENT_REMOVED",
        AgentRemovedByOperator = "REASON_AGENT_REMOVED_BY_OPERATOR",
        AgentReregistered = "REASON_AGENT_REREGISTERED",
        AgentRestarted = "REASON_AGENT_RESTARTED",
        AgentUnknown = "REASON_AGENT_UNKNOWN",
        TaskKilledDuringLaunch = "REASON_TASK_KILLED_DURING_LAUNCH",
        TaskCheckStatusUpdated = "REASON_TASK_CHECK_STATUS_UPDATED",
        TaskHealthCheckStatusUpdated = "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED",
        TaskGroupInvalid = "REASON_TASK_GROUP_INVALID",
        TaskGroupUnauthorized = "REASON_TASK_GROUP_UNAUTHORIZED",
        TaskInvalid = "REASON_TASK_INVALID",
        TaskUnauthorized = "REASON_TASK_UNAUTHORIZED",
        TaskUnknown = "REASON_TASK_UNKNOWN",
    }
);

/// Serde adapter for an optional proto enum that drops unknown names (field unset), as the
/// Mesos JSON parser does for optional enums. Numbers and other non-strings are errors.
pub(crate) mod optional_enum {
    use serde::de::DeserializeOwned;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }

    pub fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        Ok(match Option::<String>::deserialize(d)? {
            Some(name) => serde_json::from_value(serde_json::Value::String(name)).ok(),
            None => None,
        })
    }
}

/// `mesos.ContainerStatus`, fields in proto declaration order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ContainerStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_id: Option<ContainerId>,
    /// The container's addresses. The docker executor reports one entry (IPv4 first, then
    /// IPv6) when Docker gave the container an address of its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network_infos: Vec<NetworkInfo>,
    /// `mesos.CgroupInfo`, untouched (never filled for docker tasks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cgroup_info: Option<serde_json::Value>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub executor_pid: Option<u32>,
}

/// `mesos.TaskStatus`, fields in proto declaration order.
///
/// `data` and `uuid` are raw bytes (base64 on the wire). `timestamp` is seconds since the
/// epoch; integer JSON numbers and numeric strings are accepted, as Mesos does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskStatus {
    pub task_id: TaskId,
    pub state: TaskState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Unknown names decode as `None`.
    #[serde(
        default,
        with = "optional_enum",
        skip_serializing_if = "Option::is_none"
    )]
    pub source: Option<Source>,
    /// Unknown names decode as `None`.
    #[serde(
        default,
        with = "optional_enum",
        skip_serializing_if = "Option::is_none"
    )]
    pub reason: Option<Reason>,
    #[serde(
        default,
        with = "base64_bytes_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub data: Option<Vec<u8>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor_id: Option<ExecutorId>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub timestamp: Option<f64>,
    /// The 16 raw bytes of an RFC 4122 UUID (see [`is_valid_uuid`]).
    #[serde(
        default,
        with = "base64_bytes_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub uuid: Option<Vec<u8>>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub healthy: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_status: Option<CheckStatusInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Labels>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_status: Option<ContainerStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreachable_time: Option<TimeInfo>,
    /// `mesos.TaskResourceLimitation`, untouched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limitation: Option<serde_json::Value>,
}

impl TaskStatus {
    /// A status of `task_id` in `state` with every optional field unset.
    pub fn new(task_id: impl Into<TaskId>, state: TaskState) -> Self {
        Self {
            task_id: task_id.into(),
            state,
            message: None,
            source: None,
            reason: None,
            data: None,
            agent_id: None,
            executor_id: None,
            timestamp: None,
            uuid: None,
            healthy: None,
            check_status: None,
            labels: None,
            container_status: None,
            unreachable_time: None,
            limitation: None,
        }
    }

    /// The uuid as a 16-byte array, when it has exactly 16 bytes.
    pub fn uuid_bytes(&self) -> Option<[u8; 16]> {
        self.uuid.as_deref().and_then(|b| b.try_into().ok())
    }
}

/// True when `bytes` is what Mesos accepts as a status update uuid: exactly 16 bytes whose
/// version nibble (the high half of byte 6) is 1 to 5.
pub fn is_valid_uuid(bytes: &[u8]) -> bool {
    bytes.len() == 16 && (1..=5).contains(&(bytes[6] >> 4))
}

/// The state named `name` (`"TASK_RUNNING"`), if this build knows it.
pub fn parse_task_state(name: &str) -> Option<TaskState> {
    TaskState::ALL.iter().copied().find(|s| s.as_str() == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::IpAddress;
    use crate::from_json_str;

    #[test]
    fn every_state_round_trips_and_terminal_states_are_right() {
        assert_eq!(TaskState::ALL.len(), 14);
        for s in TaskState::ALL {
            let text = serde_json::to_string(s).unwrap();
            assert_eq!(from_json_str::<TaskState>(&text).unwrap(), *s);
            assert_eq!(parse_task_state(s.as_str()), Some(*s));
        }
        let terminal: Vec<_> = TaskState::ALL
            .iter()
            .filter(|s| s.is_terminal())
            .map(|s| s.as_str())
            .collect();
        assert_eq!(
            terminal,
            [
                "TASK_FINISHED",
                "TASK_FAILED",
                "TASK_KILLED",
                "TASK_ERROR",
                "TASK_LOST",
                "TASK_DROPPED",
                "TASK_GONE",
                "TASK_GONE_BY_OPERATOR"
            ]
        );
    }

    #[test]
    fn reasons_are_complete() {
        assert_eq!(Reason::ALL.len(), 35);
        assert_eq!(
            Reason::ContainerLimitationMemory.as_str(),
            "REASON_CONTAINER_LIMITATION_MEMORY"
        );
    }

    #[test]
    fn executor_status_in_the_agents_form() {
        let text = r#"{"task_id":{"value":"web.6c1f0a2e"},"state":"TASK_RUNNING","source":"SOURCE_EXECUTOR","reason":"REASON_TASK_HEALTH_CHECK_STATUS_UPDATED","data":"aGk=","executor_id":{"value":"web.6c1f0a2e"},"timestamp":1724430012.004,"uuid":"w9Tl9qe4TJ2ODxEiM0RVZg==","healthy":true,"container_status":{"network_infos":[{"ip_addresses":[{"protocol":"IPv4","ip_address":"172.17.0.3"}]}]}}"#;
        let s: TaskStatus = from_json_str(text).unwrap();
        assert_eq!(s.state, TaskState::Running);
        assert_eq!(s.source, Some(Source::Executor));
        assert_eq!(s.data.as_deref(), Some(&b"hi"[..]));
        assert!(is_valid_uuid(s.uuid.as_deref().unwrap()));
        assert_eq!(s.uuid_bytes().unwrap().len(), 16);
        let ip = &s.container_status.as_ref().unwrap().network_infos[0].ip_addresses[0];
        assert_eq!(
            ip,
            &IpAddress {
                protocol: Some(crate::container::IpProtocol::IPv4),
                ip_address: Some("172.17.0.3".into())
            }
        );
        assert_eq!(serde_json::to_string(&s).unwrap(), text);
    }

    #[test]
    fn unknown_optional_enums_are_dropped_unknown_state_is_an_error() {
        let s: TaskStatus = from_json_str(
            r#"{"task_id":{"value":"t"},"state":"TASK_FAILED","source":"SOURCE_MOON","reason":"REASON_FROM_THE_FUTURE","timestamp":1700000000}"#,
        )
        .unwrap();
        assert_eq!(s.source, None);
        assert_eq!(s.reason, None);
        assert_eq!(s.timestamp, Some(1_700_000_000.0));

        let err = from_json_str::<TaskStatus>(r#"{"task_id":{"value":"t"},"state":"TASK_NEW"}"#)
            .unwrap_err();
        assert_eq!(err.path, "state");
        let err = from_json_str::<TaskStatus>(
            r#"{"task_id":{"value":"t"},"state":"TASK_FAILED","reason":3}"#,
        )
        .unwrap_err();
        assert_eq!(err.path, "reason");
        let err = from_json_str::<TaskStatus>(r#"{"task_id":{"value":"t"}}"#).unwrap_err();
        assert!(err.message.contains("missing field `state`"), "{err}");
    }

    #[test]
    fn uuid_validity() {
        let mut b = [0u8; 16];
        assert!(!is_valid_uuid(&b));
        b[6] = 0x40;
        assert!(is_valid_uuid(&b));
        b[6] = 0x60;
        assert!(!is_valid_uuid(&b));
        assert!(!is_valid_uuid(&[0x40; 15]));
    }

    #[test]
    fn container_status_fields() {
        let text = r#"{"container_id":{"value":"c"},"cgroup_info":{"net_cls":{"classid":1}},"executor_pid":42}"#;
        let c: ContainerStatus = from_json_str(text).unwrap();
        assert_eq!(c.executor_pid, Some(42));
        assert_eq!(serde_json::to_string(&c).unwrap(), text);
    }
}
