//! The v1 Executor HTTP API messages (`mesos.v1.executor.Call` and `Event`) in the JSON
//! encoding the Mesos agent reads and writes: `{"type":"UPDATE", ..., "update":{...}}` with
//! the sub-object named after the lower-cased type, fields in proto declaration order.
//!
//! [`Call`] is kept as the wire struct (the agent must be able to tell "no `type`" from
//! "no `update`" to answer with the right validation error); unknown call types decode as
//! `type: None`, as the agent's parser drops unknown optional enum names. [`Event`] is a Rust
//! enum; an event whose type this build does not know decodes as [`Event::Unknown`], which
//! executors must ignore. A known event type without its sub-object is a decoding error.

use crate::duration::proto_enum;
use crate::ids::{ContainerId, ExecutorId, FrameworkId, TaskId};
use crate::json::base64_bytes;
use crate::status::{optional_enum, TaskStatus};
use crate::task::{ExecutorInfo, FrameworkInfo, KillPolicy, TaskInfo};
use serde::{Deserialize, Serialize};

proto_enum!(
    /// `mesos.v1.executor.Call.Type`.
    CallType {
        Unknown = "UNKNOWN",
        Subscribe = "SUBSCRIBE",
        Update = "UPDATE",
        Message = "MESSAGE",
        Heartbeat = "HEARTBEAT",
    }
);

/// `Call.Subscribe`: what an executor tells the agent when it (re)subscribes.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Subscribe {
    /// Every task received (LAUNCH) without any ACKNOWLEDGED for its id yet, exactly as
    /// received.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unacknowledged_tasks: Vec<TaskInfo>,
    /// Every update sent and not yet acknowledged, oldest first, unchanged (same uuid).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unacknowledged_updates: Vec<Update>,
}

/// `Call.Update`: one status update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Update {
    pub status: TaskStatus,
}

/// `Call.Message` and `Event.Message`: opaque data between executor and scheduler.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    #[serde(with = "base64_bytes")]
    pub data: Vec<u8>,
}

/// `mesos.v1.executor.Call`, fields in proto declaration order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Call {
    pub executor_id: ExecutorId,
    pub framework_id: FrameworkId,
    /// `None` when absent or a name this build does not know.
    #[serde(
        default,
        with = "optional_enum",
        skip_serializing_if = "Option::is_none"
    )]
    pub r#type: Option<CallType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscribe: Option<Subscribe>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<Update>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
}

impl Call {
    fn of(executor_id: ExecutorId, framework_id: FrameworkId, r#type: CallType) -> Self {
        Self {
            executor_id,
            framework_id,
            r#type: Some(r#type),
            subscribe: None,
            update: None,
            message: None,
        }
    }

    /// A SUBSCRIBE call (`subscribe` is always present, possibly `{}`).
    pub fn subscribe(
        executor_id: ExecutorId,
        framework_id: FrameworkId,
        subscribe: Subscribe,
    ) -> Self {
        Self {
            subscribe: Some(subscribe),
            ..Self::of(executor_id, framework_id, CallType::Subscribe)
        }
    }

    /// An UPDATE call carrying `status`.
    pub fn update(executor_id: ExecutorId, framework_id: FrameworkId, status: TaskStatus) -> Self {
        Self {
            update: Some(Update { status }),
            ..Self::of(executor_id, framework_id, CallType::Update)
        }
    }

    /// A MESSAGE call carrying `data` for the scheduler.
    pub fn message(executor_id: ExecutorId, framework_id: FrameworkId, data: Vec<u8>) -> Self {
        Self {
            message: Some(Message { data }),
            ..Self::of(executor_id, framework_id, CallType::Message)
        }
    }

    /// A HEARTBEAT call.
    pub fn heartbeat(executor_id: ExecutorId, framework_id: FrameworkId) -> Self {
        Self::of(executor_id, framework_id, CallType::Heartbeat)
    }
}

proto_enum!(
    /// `mesos.v1.executor.Event.Type`.
    EventType {
        Unknown = "UNKNOWN",
        Subscribed = "SUBSCRIBED",
        Launch = "LAUNCH",
        LaunchGroup = "LAUNCH_GROUP",
        Kill = "KILL",
        Acknowledged = "ACKNOWLEDGED",
        Message = "MESSAGE",
        Error = "ERROR",
        Shutdown = "SHUTDOWN",
        Heartbeat = "HEARTBEAT",
    }
);

/// `Event.Subscribed`: the first event of a successful subscription.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscribed {
    pub executor_info: ExecutorInfo,
    /// Has `id` set (pymesos relies on it).
    pub framework_info: FrameworkInfo,
    /// `mesos.v1.AgentInfo`, untouched (`hostname` is required; `port`, `id` usual).
    pub agent_info: serde_json::Value,
    /// The executor's container; the docker container is named `mesos-` + its value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_id: Option<ContainerId>,
}

/// `Event.Launch`: run this task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Launch {
    pub task: TaskInfo,
}

/// `mesos.v1.TaskGroupInfo`: tasks launched together (default executor only).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TaskGroupInfo {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<TaskInfo>,
}

/// `Event.LaunchGroup`: never sent to a docker executor; decoded so it can be refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaunchGroup {
    pub task_group: TaskGroupInfo,
}

/// `Event.Kill`: kill a task, with an optional policy overriding the task's for this kill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kill {
    pub task_id: TaskId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kill_policy: Option<KillPolicy>,
}

/// `Event.Acknowledged`: the agent has stored the update with this uuid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledged {
    pub task_id: TaskId,
    /// The raw uuid bytes of the acknowledged update (base64 on the wire).
    #[serde(with = "base64_bytes")]
    pub uuid: Vec<u8>,
}

/// `Event.Error`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorEvent {
    pub message: String,
}

/// `mesos.v1.executor.Event`, one record of the subscription stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "EventWire", into = "EventWire")]
pub enum Event {
    Subscribed(Box<Subscribed>),
    Launch(Box<Launch>),
    LaunchGroup(Box<LaunchGroup>),
    Kill(Kill),
    Acknowledged(Acknowledged),
    Message(Message),
    Error(ErrorEvent),
    Shutdown,
    Heartbeat,
    /// A type this build does not know (or `UNKNOWN`): ignore it.
    Unknown,
}

impl Event {
    /// The event's type.
    pub fn kind(&self) -> EventType {
        match self {
            Event::Subscribed(_) => EventType::Subscribed,
            Event::Launch(_) => EventType::Launch,
            Event::LaunchGroup(_) => EventType::LaunchGroup,
            Event::Kill(_) => EventType::Kill,
            Event::Acknowledged(_) => EventType::Acknowledged,
            Event::Message(_) => EventType::Message,
            Event::Error(_) => EventType::Error,
            Event::Shutdown => EventType::Shutdown,
            Event::Heartbeat => EventType::Heartbeat,
            Event::Unknown => EventType::Unknown,
        }
    }
}

/// The wire form of [`Event`]: a type plus at most one sub-object, in declaration order.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct EventWire {
    #[serde(
        default,
        with = "optional_enum",
        skip_serializing_if = "Option::is_none"
    )]
    r#type: Option<EventType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subscribed: Option<Box<Subscribed>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    acknowledged: Option<Acknowledged>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    launch: Option<Box<Launch>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    launch_group: Option<Box<LaunchGroup>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kill: Option<Kill>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<Message>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<ErrorEvent>,
}

/// A known event type whose sub-object is missing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Expecting '{field}' to be present for a {kind} event")]
pub struct MissingEventField {
    pub kind: EventType,
    pub field: &'static str,
}

impl TryFrom<EventWire> for Event {
    type Error = MissingEventField;

    fn try_from(w: EventWire) -> Result<Self, MissingEventField> {
        fn need<T>(
            v: Option<T>,
            kind: EventType,
            field: &'static str,
        ) -> Result<T, MissingEventField> {
            v.ok_or(MissingEventField { kind, field })
        }
        let kind = w.r#type.unwrap_or(EventType::Unknown);
        Ok(match kind {
            EventType::Subscribed => Event::Subscribed(need(w.subscribed, kind, "subscribed")?),
            EventType::Launch => Event::Launch(need(w.launch, kind, "launch")?),
            EventType::LaunchGroup => {
                Event::LaunchGroup(need(w.launch_group, kind, "launch_group")?)
            }
            EventType::Kill => Event::Kill(need(w.kill, kind, "kill")?),
            EventType::Acknowledged => {
                Event::Acknowledged(need(w.acknowledged, kind, "acknowledged")?)
            }
            EventType::Message => Event::Message(need(w.message, kind, "message")?),
            EventType::Error => Event::Error(need(w.error, kind, "error")?),
            EventType::Shutdown => Event::Shutdown,
            EventType::Heartbeat => Event::Heartbeat,
            EventType::Unknown => Event::Unknown,
        })
    }
}

impl From<Event> for EventWire {
    fn from(e: Event) -> Self {
        let mut w = EventWire {
            r#type: Some(e.kind()),
            ..EventWire::default()
        };
        match e {
            Event::Subscribed(s) => w.subscribed = Some(s),
            Event::Launch(l) => w.launch = Some(l),
            Event::LaunchGroup(l) => w.launch_group = Some(l),
            Event::Kill(k) => w.kill = Some(k),
            Event::Acknowledged(a) => w.acknowledged = Some(a),
            Event::Message(m) => w.message = Some(m),
            Event::Error(e) => w.error = Some(e),
            Event::Shutdown | Event::Heartbeat | Event::Unknown => {}
        }
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::from_json_str;
    use crate::status::{Source, TaskState};
    use crate::task::FrameworkCapabilityType;

    const FID: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7-0000";

    #[test]
    fn first_subscribe_is_the_spec_bytes() {
        let call = Call::subscribe("web.6c1f0a2e".into(), FID.into(), Subscribe::default());
        let text = serde_json::to_string(&call).unwrap();
        assert_eq!(
            text,
            r#"{"executor_id":{"value":"web.6c1f0a2e"},"framework_id":{"value":"7c9e6679-7425-40de-944b-e07fc1f90ae7-0000"},"type":"SUBSCRIBE","subscribe":{}}"#
        );
        // Mesos's documented example puts `type` first; key order does not matter to the agent.
        let spec = r#"{"type":"SUBSCRIBE","executor_id":{"value":"web.6c1f0a2e"},"framework_id":{"value":"7c9e6679-7425-40de-944b-e07fc1f90ae7-0000"},"subscribe":{}}"#;
        assert_eq!(from_json_str::<Call>(spec).unwrap(), call);
    }

    #[test]
    fn resubscribe_with_unacknowledged_state() {
        let text = r#"{"type":"SUBSCRIBE","executor_id":{"value":"web.6c1f0a2e"},"framework_id":{"value":"F"},
          "subscribe":{"unacknowledged_tasks":[{"name":"web","task_id":{"value":"web.6c1f0a2e"},"agent_id":{"value":"S3"},
             "command":{"shell":true,"value":"python3 -m http.server 8080"},
             "container":{"type":"DOCKER","docker":{"image":"python:3.12-slim","network":"BRIDGE","privileged":false}}}],
           "unacknowledged_updates":[{"status":{"task_id":{"value":"web.6c1f0a2e"},"state":"TASK_STARTING","source":"SOURCE_EXECUTOR",
             "executor_id":{"value":"web.6c1f0a2e"},"timestamp":1724430000.125,"uuid":"Wi96HjwrTQ6bH2x9jp+gsQ=="}}]}}"#;
        let call: Call = from_json_str(text).unwrap();
        let sub = call.subscribe.as_ref().unwrap();
        assert_eq!(sub.unacknowledged_tasks[0].name, "web");
        let status = &sub.unacknowledged_updates[0].status;
        assert_eq!(status.state, TaskState::Starting);
        assert_eq!(status.source, Some(Source::Executor));
        assert_eq!(status.uuid.as_ref().unwrap().len(), 16);
        let again: Call = from_json_str(&serde_json::to_string(&call).unwrap()).unwrap();
        assert_eq!(again, call);
    }

    #[test]
    fn update_message_heartbeat_calls() {
        let mut status = TaskStatus::new("t", TaskState::Starting);
        status.source = Some(Source::Executor);
        status.uuid = Some(vec![0x5a; 16]);
        let text = serde_json::to_string(&Call::update("e".into(), "f".into(), status)).unwrap();
        assert_eq!(
            text,
            r#"{"executor_id":{"value":"e"},"framework_id":{"value":"f"},"type":"UPDATE","update":{"status":{"task_id":{"value":"t"},"state":"TASK_STARTING","source":"SOURCE_EXECUTOR","uuid":"WlpaWlpaWlpaWlpaWlpaWg=="}}}"#
        );
        let text = serde_json::to_string(&Call::message("e".into(), "f".into(), b"hello".to_vec()))
            .unwrap();
        assert!(
            text.ends_with(r#""type":"MESSAGE","message":{"data":"aGVsbG8="}}"#),
            "{text}"
        );
        let text =
            serde_json::to_string(&Call::heartbeat("unused".into(), "unused".into())).unwrap();
        assert_eq!(
            text,
            r#"{"executor_id":{"value":"unused"},"framework_id":{"value":"unused"},"type":"HEARTBEAT"}"#
        );
    }

    #[test]
    fn unknown_call_type_decodes_as_none() {
        let call: Call = from_json_str(
            r#"{"type":"TELEPORT","executor_id":{"value":"e"},"framework_id":{"value":"f"}}"#,
        )
        .unwrap();
        assert_eq!(call.r#type, None);
        let err = from_json_str::<Call>(r#"{"type":"HEARTBEAT","framework_id":{"value":"f"}}"#)
            .unwrap_err();
        assert!(err.message.contains("executor_id"), "{err}");
    }

    #[test]
    fn events_in_the_agents_form() {
        let cases = [
            r#"{"type":"ACKNOWLEDGED","acknowledged":{"task_id":{"value":"web.6c1f0a2e"},"uuid":"Wi96HjwrTQ6bH2x9jp+gsQ=="}}"#,
            r#"{"type":"HEARTBEAT"}"#,
            r#"{"type":"SHUTDOWN"}"#,
            r#"{"type":"KILL","kill":{"task_id":{"value":"web.6c1f0a2e"}}}"#,
            r#"{"type":"KILL","kill":{"task_id":{"value":"web.6c1f0a2e"},"kill_policy":{"grace_period":{"nanoseconds":30000000000}}}}"#,
            r#"{"type":"MESSAGE","message":{"data":"aGVsbG8="}}"#,
            r#"{"type":"ERROR","error":{"message":"boom"}}"#,
            r#"{"type":"LAUNCH_GROUP","launch_group":{"task_group":{"tasks":[{"name":"a","task_id":{"value":"a"},"agent_id":{"value":"S3"},"command":{"shell":true,"value":"sleep 100"}}]}}}"#,
        ];
        for text in cases {
            let event: Event = from_json_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(serde_json::to_string(&event).unwrap(), text);
        }
        let heartbeat: Vec<u8> = serde_json::to_vec(&Event::Heartbeat).unwrap();
        assert_eq!(heartbeat.len(), 20);
    }

    #[test]
    fn subscribed_and_launch() {
        let text = r#"{"type":"SUBSCRIBED","subscribed":{
          "executor_info":{"executor_id":{"value":"web"},"framework_id":{"value":"F"},"shutdown_grace_period":{"nanoseconds":12000000000}},
          "framework_info":{"user":"root","name":"marathon","id":{"value":"F"},"checkpoint":true,"capabilities":[{"type":"TASK_KILLING_STATE"}]},
          "agent_info":{"hostname":"agent3.example.com","port":5051,"id":{"value":"S3"}},
          "container_id":{"value":"1a2b"}}}"#;
        let Event::Subscribed(s) = from_json_str::<Event>(text).unwrap() else {
            panic!("not SUBSCRIBED")
        };
        assert!(s
            .framework_info
            .has_capability(FrameworkCapabilityType::TaskKillingState));
        assert_eq!(s.container_id.as_ref().unwrap().as_str(), "1a2b");
        assert_eq!(s.agent_info["port"], 5051);

        let text = r#"{"type":"LAUNCH","launch":{"task":{"name":"web","task_id":{"value":"t"},"agent_id":{"value":"S3"},"kill_policy":{"grace_period":{"nanoseconds":10000000000}},"max_completion_time":{"nanoseconds":5}}}}"#;
        let Event::Launch(l) = from_json_str::<Event>(text).unwrap() else {
            panic!("not LAUNCH")
        };
        assert_eq!(
            l.task.kill_grace_period().unwrap().as_nanos(),
            10_000_000_000
        );
        assert_eq!(serde_json::to_string(&Event::Launch(l)).unwrap(), text);
    }

    #[test]
    fn unknown_events_are_tolerated_missing_sub_objects_are_not() {
        assert_eq!(
            from_json_str::<Event>(r#"{"type":"TELEPATHY","telepathy":{}}"#).unwrap(),
            Event::Unknown
        );
        assert_eq!(from_json_str::<Event>(r#"{}"#).unwrap(), Event::Unknown);
        let err = from_json_str::<Event>(r#"{"type":"LAUNCH"}"#).unwrap_err();
        assert!(err.message.contains("Expecting 'launch'"), "{err}");
    }
}
