//! Protobuf decoding (`mesos_proto::decode`) of every message the executor protocols carry:
//! the v1 executor `Call` and `Event`, the `mesos.internal.*` messages of the v0 protocol and
//! the `mesos.*` messages inside them, plus the schema-driven JSON form of `AgentInfo`. What
//! decodes must re-encode to bytes that decode to the same message; what converts to the
//! typed (`mesos_types`) form must convert back, through protobuf and through JSON, to the
//! same message.
//!
//! Input: one byte choosing the message, then its encoding.

use crate::executor_json::proto_round_trip;
use mesos_proto::internal as pb;
use mesos_proto::mesos as m;
use mesos_proto::{ProtoConvert, ProtoMessage};
use mesos_types as t;
use serde::de::DeserializeOwned;
use serde::Serialize;

pub fn run(data: &[u8]) {
    let Some((&kind, bytes)) = data.split_first() else {
        return;
    };
    match kind % 24 {
        0 => typed::<t::executor::Call, _>(bytes),
        1 => typed::<t::executor::Event, _>(bytes),
        2 => drop(wire::<pb::RegisterExecutorMessage>(bytes)),
        3 => {
            if let Some(msg) = wire::<pb::ExecutorRegisteredMessage>(bytes) {
                convert::<t::task::ExecutorInfo, _>(msg.executor_info);
                convert::<t::task::FrameworkInfo, _>(msg.framework_info);
                agent_info(&msg.slave_info);
            }
        }
        4 => {
            if let Some(msg) = wire::<pb::ReregisterExecutorMessage>(bytes) {
                for task in &msg.tasks {
                    if let Some(task) = wire::<m::TaskInfo>(task) {
                        convert::<t::task::TaskInfo, _>(task);
                    }
                }
                for update in msg.updates {
                    convert::<t::status::TaskStatus, _>(update.status);
                }
            }
        }
        5 => {
            if let Some(msg) = wire::<pb::ExecutorReregisteredMessage>(bytes) {
                agent_info(&msg.slave_info);
            }
        }
        6 => drop(wire::<pb::ReconnectExecutorMessage>(bytes)),
        7 => run_task(bytes),
        8 => {
            if let Some(msg) = wire::<pb::KillTaskMessage>(bytes) {
                if let Some(policy) = msg.kill_policy {
                    kill_policy(policy);
                }
            }
        }
        9 => {
            if let Some(update) = wire::<pb::StatusUpdate>(bytes) {
                convert::<t::status::TaskStatus, _>(update.status);
            }
        }
        10 => {
            if let Some(msg) = wire::<pb::StatusUpdateMessage>(bytes) {
                convert::<t::status::TaskStatus, _>(msg.update.status);
            }
        }
        11 => drop(wire::<pb::StatusUpdateAcknowledgementMessage>(bytes)),
        12 => drop(wire::<pb::ShutdownExecutorMessage>(bytes)),
        13 => drop(wire::<pb::FrameworkToExecutorMessage>(bytes)),
        14 => drop(wire::<pb::ExecutorToFrameworkMessage>(bytes)),
        15 => typed::<t::task::TaskInfo, _>(bytes),
        16 => typed::<t::status::TaskStatus, _>(bytes),
        17 => typed::<t::task::ExecutorInfo, _>(bytes),
        18 => typed::<t::task::FrameworkInfo, _>(bytes),
        19 => {
            if let Some(group) = wire::<m::TaskGroupInfo>(bytes) {
                for task in group.tasks {
                    convert::<t::task::TaskInfo, _>(task);
                }
            }
        }
        20 => typed::<t::resources::Resource, _>(bytes),
        21 => typed::<t::container::ContainerInfo, _>(bytes),
        22 => typed::<t::task::CommandInfo, _>(bytes),
        _ => agent_info(bytes),
    }
}

/// Decodes `bytes` as an `M`; if it is one, its encoding decodes again and encodes to the
/// same bytes.
fn wire<M: ProtoMessage>(bytes: &[u8]) -> Option<M> {
    let message: M = mesos_proto::decode(bytes).ok()?;
    let encoded = mesos_proto::encode(&message);
    let again: M = mesos_proto::decode(&encoded)
        .unwrap_or_else(|e| panic!("our own encoding of a decoded message does not decode: {e}"));
    assert_eq!(
        mesos_proto::encode(&again),
        encoded,
        "protobuf encode/decode is not a round trip"
    );
    Some(message)
}

fn typed<T, M>(bytes: &[u8])
where
    T: ProtoConvert<Proto = M> + Serialize + DeserializeOwned + Clone,
    M: ProtoMessage,
{
    if let Some(message) = wire::<M>(bytes) {
        convert::<T, M>(message);
    }
}

/// The typed form of `message`, if it has one, goes back to protobuf and through JSON
/// unchanged.
fn convert<T, M>(message: M)
where
    T: ProtoConvert<Proto = M> + Serialize + DeserializeOwned + Clone,
    M: ProtoMessage,
{
    let Ok(typed) = T::from_proto(message) else {
        return;
    };
    let json = serde_json::to_string(&typed).expect("a typed message encodes");
    crate::executor_json::json_round_trip::<T>(json.as_bytes()).unwrap_or_else(|| {
        panic!("the JSON of a message converted from protobuf does not decode:\n{json}")
    });
    proto_round_trip::<T, M>(typed);
}

/// `RunTaskMessage` as the v0 executor reads it: the message, and its task's raw bytes, which
/// it hands back unchanged when re-registering.
fn run_task(bytes: &[u8]) {
    let Ok((message, raw)) = pb::run_task_raw(bytes) else {
        return;
    };
    let task: m::TaskInfo = mesos_proto::decode(&raw).expect("run_task_raw decoded these bytes");
    assert_eq!(
        mesos_proto::encode(&task),
        mesos_proto::encode(&message.task),
        "the raw task and the decoded task differ"
    );
    convert::<t::task::FrameworkInfo, _>(message.framework);
    convert::<t::task::TaskInfo, _>(message.task);
}

/// The JSON form of an encoded `AgentInfo` encodes back to bytes with the same JSON form.
fn agent_info(bytes: &[u8]) {
    let Ok(json) = mesos_proto::opaque::agent_info_to_json(bytes) else {
        return;
    };
    let encoded = mesos_proto::opaque::agent_info_from_json(&json)
        .unwrap_or_else(|e| panic!("the JSON of a decoded AgentInfo does not encode: {e}\n{json}"));
    let again = mesos_proto::opaque::agent_info_to_json(&encoded)
        .unwrap_or_else(|e| panic!("our own AgentInfo encoding does not decode: {e}"));
    assert_eq!(
        json, again,
        "AgentInfo bytes -> JSON -> bytes -> JSON changed it"
    );
}

/// `KillPolicy` (no required fields, so not a [`ProtoMessage`]): typed and back.
fn kill_policy(policy: m::KillPolicy) {
    let Ok(typed) = t::task::KillPolicy::from_proto(policy) else {
        return;
    };
    let back = t::task::KillPolicy::from_proto(typed.into_proto().expect("a kill policy converts"))
        .expect("our own kill policy converts back");
    assert_eq!(
        typed, back,
        "KillPolicy typed -> protobuf -> typed changed it"
    );
}
