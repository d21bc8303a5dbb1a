//! `mesos.v1.executor.Call` and `Event` (`include/mesos/v1/executor/executor.proto`), the
//! protobuf form of the v1 executor HTTP API (`Content-Type: application/x-protobuf`; the
//! event stream is RecordIO of encoded `Event`s), with conversions to and from
//! `mesos_types::executor::{Call, Event}` through [`ProtoConvert`].
//!
//! As in the JSON form: an unknown `Call.type` number reads as an unset type; an unknown or
//! absent `Event.type` reads as [`mesos_types::executor::Event::Unknown`]; a known event type
//! without its sub-message is an error naming the missing field.

use crate::convert::{
    enum_from, enum_into, from_opt, from_req, from_vec, into_opt, into_req, into_vec, ProtoConvert,
    WireEnum,
};
use crate::error::ConvertError;
use crate::mesos::{
    ContainerId, ExecutorId, ExecutorInfo, FrameworkId, FrameworkInfo, KillPolicy, TaskGroupInfo,
    TaskId, TaskInfo, TaskStatus,
};
use crate::{proto_message, tables};
use mesos_types::executor as t;

proto_message! {
    Call => tables::CALL;
    Event => tables::EVENT;
}

/// `mesos.v1.executor.Call.Subscribe`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Subscribe {
    #[prost(message, repeated, tag = "1")]
    pub unacknowledged_tasks: Vec<TaskInfo>,
    #[prost(message, repeated, tag = "2")]
    pub unacknowledged_updates: Vec<Update>,
}

/// `mesos.v1.executor.Call.Update`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Update {
    #[prost(message, required, tag = "1")]
    pub status: TaskStatus,
}

/// `mesos.v1.executor.Call.Message` (note: `data` is field 2).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct CallMessage {
    #[prost(bytes = "vec", required, tag = "2")]
    pub data: Vec<u8>,
}

/// `mesos.v1.executor.Call`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Call {
    #[prost(message, required, tag = "1")]
    pub executor_id: ExecutorId,
    #[prost(message, required, tag = "2")]
    pub framework_id: FrameworkId,
    /// `mesos.v1.executor.Call.Type`.
    #[prost(int32, optional, tag = "3")]
    pub r#type: Option<i32>,
    #[prost(message, optional, tag = "4")]
    pub subscribe: Option<Subscribe>,
    #[prost(message, optional, tag = "5")]
    pub update: Option<Update>,
    #[prost(message, optional, tag = "6")]
    pub message: Option<CallMessage>,
}

/// `mesos.v1.executor.Event.Subscribed`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Subscribed {
    #[prost(message, required, tag = "1")]
    pub executor_info: ExecutorInfo,
    #[prost(message, required, tag = "2")]
    pub framework_info: FrameworkInfo,
    /// An encoded `mesos.v1.AgentInfo`; see [`crate::opaque::agent_info_to_json`].
    #[prost(bytes = "vec", required, tag = "3")]
    pub agent_info: Vec<u8>,
    #[prost(message, optional, tag = "4")]
    pub container_id: Option<ContainerId>,
}

/// `mesos.v1.executor.Event.Launch`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Launch {
    #[prost(message, required, tag = "1")]
    pub task: TaskInfo,
}

/// `mesos.v1.executor.Event.LaunchGroup`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct LaunchGroup {
    #[prost(message, required, tag = "1")]
    pub task_group: TaskGroupInfo,
}

/// `mesos.v1.executor.Event.Kill`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Kill {
    #[prost(message, required, tag = "1")]
    pub task_id: TaskId,
    #[prost(message, optional, tag = "2")]
    pub kill_policy: Option<KillPolicy>,
}

/// `mesos.v1.executor.Event.Acknowledged`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Acknowledged {
    #[prost(message, required, tag = "1")]
    pub task_id: TaskId,
    #[prost(bytes = "vec", required, tag = "2")]
    pub uuid: Vec<u8>,
}

/// `mesos.v1.executor.Event.Message`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct EventMessage {
    #[prost(bytes = "vec", required, tag = "1")]
    pub data: Vec<u8>,
}

/// `mesos.v1.executor.Event.Error`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Error {
    #[prost(string, required, tag = "1")]
    pub message: String,
}

/// `mesos.v1.executor.Event`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Event {
    /// `mesos.v1.executor.Event.Type`.
    #[prost(int32, optional, tag = "1")]
    pub r#type: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub subscribed: Option<Subscribed>,
    #[prost(message, optional, tag = "3")]
    pub acknowledged: Option<Acknowledged>,
    #[prost(message, optional, tag = "4")]
    pub launch: Option<Launch>,
    #[prost(message, optional, tag = "8")]
    pub launch_group: Option<LaunchGroup>,
    #[prost(message, optional, tag = "5")]
    pub kill: Option<Kill>,
    #[prost(message, optional, tag = "6")]
    pub message: Option<EventMessage>,
    #[prost(message, optional, tag = "7")]
    pub error: Option<Error>,
}

// -------------------------------------------------------------------------- conversions

impl ProtoConvert for t::Update {
    type Proto = Update;
    fn from_proto(p: Update) -> Result<Self, ConvertError> {
        Ok(Self {
            status: from_req(p.status, "status")?,
        })
    }
    fn into_proto(self) -> Result<Update, ConvertError> {
        Ok(Update {
            status: into_req(self.status, "status")?,
        })
    }
}

impl ProtoConvert for t::Subscribe {
    type Proto = Subscribe;
    fn from_proto(p: Subscribe) -> Result<Self, ConvertError> {
        Ok(Self {
            unacknowledged_tasks: from_vec(p.unacknowledged_tasks, "unacknowledged_tasks")?,
            unacknowledged_updates: from_vec(p.unacknowledged_updates, "unacknowledged_updates")?,
        })
    }
    fn into_proto(self) -> Result<Subscribe, ConvertError> {
        Ok(Subscribe {
            unacknowledged_tasks: into_vec(self.unacknowledged_tasks, "unacknowledged_tasks")?,
            unacknowledged_updates: into_vec(
                self.unacknowledged_updates,
                "unacknowledged_updates",
            )?,
        })
    }
}

impl ProtoConvert for t::Call {
    type Proto = Call;
    fn from_proto(p: Call) -> Result<Self, ConvertError> {
        Ok(Self {
            executor_id: from_req(p.executor_id, "executor_id")?,
            framework_id: from_req(p.framework_id, "framework_id")?,
            r#type: enum_from(p.r#type),
            subscribe: from_opt(p.subscribe, "subscribe")?,
            update: from_opt(p.update, "update")?,
            message: p.message.map(|m| t::Message { data: m.data }),
        })
    }
    fn into_proto(self) -> Result<Call, ConvertError> {
        Ok(Call {
            executor_id: into_req(self.executor_id, "executor_id")?,
            framework_id: into_req(self.framework_id, "framework_id")?,
            r#type: enum_into(self.r#type),
            subscribe: into_opt(self.subscribe, "subscribe")?,
            update: into_opt(self.update, "update")?,
            message: self.message.map(|m| CallMessage { data: m.data }),
        })
    }
}

fn need<T>(v: Option<T>, field: &str) -> Result<T, ConvertError> {
    v.ok_or_else(|| ConvertError::missing().at(field))
}

/// `agent_info` is converted through its JSON form (`mesos_types` keeps it as JSON).
impl ProtoConvert for t::Subscribed {
    type Proto = Subscribed;
    fn from_proto(p: Subscribed) -> Result<Self, ConvertError> {
        Ok(Self {
            executor_info: from_req(p.executor_info, "executor_info")?,
            framework_info: from_req(p.framework_info, "framework_info")?,
            agent_info: crate::opaque::agent_info_to_json(&p.agent_info)
                .map_err(|e| e.at("agent_info"))?,
            container_id: from_opt(p.container_id, "container_id")?,
        })
    }
    fn into_proto(self) -> Result<Subscribed, ConvertError> {
        Ok(Subscribed {
            executor_info: into_req(self.executor_info, "executor_info")?,
            framework_info: into_req(self.framework_info, "framework_info")?,
            agent_info: crate::opaque::agent_info_from_json(&self.agent_info)
                .map_err(|e| e.at("agent_info"))?,
            container_id: into_opt(self.container_id, "container_id")?,
        })
    }
}

impl ProtoConvert for t::Event {
    type Proto = Event;
    fn from_proto(p: Event) -> Result<Self, ConvertError> {
        use t::EventType as K;
        let kind = enum_from(p.r#type).unwrap_or(K::Unknown);
        Ok(match kind {
            K::Subscribed => t::Event::Subscribed(Box::new(
                t::Subscribed::from_proto(need(p.subscribed, "subscribed")?)
                    .map_err(|e| e.at("subscribed"))?,
            )),
            K::Launch => {
                let l = need(p.launch, "launch")?;
                t::Event::Launch(Box::new(t::Launch {
                    task: from_req(l.task, "task").map_err(|e| e.at("launch"))?,
                }))
            }
            K::LaunchGroup => {
                let l = need(p.launch_group, "launch_group")?;
                t::Event::LaunchGroup(Box::new(t::LaunchGroup {
                    task_group: t::TaskGroupInfo {
                        tasks: from_vec(l.task_group.tasks, "tasks")
                            .map_err(|e| e.at("task_group").at("launch_group"))?,
                    },
                }))
            }
            K::Kill => {
                let k = need(p.kill, "kill")?;
                t::Event::Kill(t::Kill {
                    task_id: from_req(k.task_id, "task_id").map_err(|e| e.at("kill"))?,
                    kill_policy: from_opt(k.kill_policy, "kill_policy")
                        .map_err(|e| e.at("kill"))?,
                })
            }
            K::Acknowledged => {
                let a = need(p.acknowledged, "acknowledged")?;
                t::Event::Acknowledged(t::Acknowledged {
                    task_id: from_req(a.task_id, "task_id").map_err(|e| e.at("acknowledged"))?,
                    uuid: a.uuid,
                })
            }
            K::Message => t::Event::Message(t::Message {
                data: need(p.message, "message")?.data,
            }),
            K::Error => t::Event::Error(t::ErrorEvent {
                message: need(p.error, "error")?.message,
            }),
            K::Shutdown => t::Event::Shutdown,
            K::Heartbeat => t::Event::Heartbeat,
            K::Unknown => t::Event::Unknown,
        })
    }
    fn into_proto(self) -> Result<Event, ConvertError> {
        let mut e = Event {
            r#type: Some(self.kind().number()),
            ..Event::default()
        };
        match self {
            t::Event::Subscribed(s) => {
                e.subscribed = Some((*s).into_proto().map_err(|e| e.at("subscribed"))?)
            }
            t::Event::Launch(l) => {
                e.launch = Some(Launch {
                    task: into_req(l.task, "task").map_err(|e| e.at("launch"))?,
                })
            }
            t::Event::LaunchGroup(l) => {
                e.launch_group = Some(LaunchGroup {
                    task_group: TaskGroupInfo {
                        tasks: into_vec(l.task_group.tasks, "tasks")
                            .map_err(|e| e.at("task_group").at("launch_group"))?,
                    },
                })
            }
            t::Event::Kill(k) => {
                e.kill = Some(Kill {
                    task_id: into_req(k.task_id, "task_id").map_err(|e| e.at("kill"))?,
                    kill_policy: into_opt(k.kill_policy, "kill_policy")
                        .map_err(|e| e.at("kill"))?,
                })
            }
            t::Event::Acknowledged(a) => {
                e.acknowledged = Some(Acknowledged {
                    task_id: into_req(a.task_id, "task_id").map_err(|e| e.at("acknowledged"))?,
                    uuid: a.uuid,
                })
            }
            t::Event::Message(m) => e.message = Some(EventMessage { data: m.data }),
            t::Event::Error(x) => e.error = Some(Error { message: x.message }),
            t::Event::Shutdown | t::Event::Heartbeat | t::Event::Unknown => {}
        }
        Ok(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode, encode};
    use mesos_types::status::{Source, TaskState, TaskStatus as TypedStatus};

    #[test]
    fn call_message_golden_bytes() {
        let call = t::Call::message("e".into(), "f".into(), b"hi".to_vec());
        let bytes = encode(&call.clone().into_proto().unwrap());
        let golden = [
            0x0a, 0x03, 0x0a, 0x01, b'e', // 1: executor_id
            0x12, 0x03, 0x0a, 0x01, b'f', // 2: framework_id
            0x18, 0x03, // 3: type MESSAGE = 3
            0x32, 0x04, 0x12, 0x02, b'h', b'i', // 6: message { 2: data }
        ];
        assert_eq!(bytes, golden);
        let back = t::Call::from_proto(decode(&golden).unwrap()).unwrap();
        assert_eq!(back, call);
    }

    #[test]
    fn acknowledged_golden_bytes() {
        let event = t::Event::Acknowledged(t::Acknowledged {
            task_id: "t".into(),
            uuid: vec![0xab; 2],
        });
        let golden = [
            0x08, 0x04, // 1: type ACKNOWLEDGED = 4
            0x1a, 0x09, // 3: acknowledged, 9 bytes
            0x0a, 0x03, 0x0a, 0x01, b't', // task_id
            0x12, 0x02, 0xab, 0xab, // uuid
        ];
        assert_eq!(encode(&event.clone().into_proto().unwrap()), golden);
        assert_eq!(
            t::Event::from_proto(decode(&golden).unwrap()).unwrap(),
            event
        );
    }

    fn status() -> TypedStatus {
        let mut s = TypedStatus::new("web.1", TaskState::Running);
        s.source = Some(Source::Executor);
        s.uuid = Some(vec![0x40; 16]);
        s.timestamp = Some(1724430012.004);
        s
    }

    fn round_trip_call(call: t::Call) {
        let bytes = encode(&call.clone().into_proto().unwrap());
        let back = t::Call::from_proto(decode(&bytes).unwrap()).unwrap();
        assert_eq!(back, call);
    }

    fn round_trip_event(event: t::Event) {
        let bytes = encode(&event.clone().into_proto().unwrap());
        let back = t::Event::from_proto(decode(&bytes).unwrap()).unwrap();
        assert_eq!(back, event);
        assert_eq!(
            serde_json::to_string(&back).unwrap(),
            serde_json::to_string(&event).unwrap()
        );
    }

    fn task() -> mesos_types::task::TaskInfo {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../mesos-types/tests/fixtures/task_info_full.json");
        mesos_types::from_json_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn fixture<T: serde::de::DeserializeOwned>(name: &str) -> T {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../mesos-types/tests/fixtures")
            .join(name);
        mesos_types::from_json_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn every_call_round_trips() {
        round_trip_call(t::Call::subscribe(
            "e".into(),
            "f".into(),
            t::Subscribe::default(),
        ));
        round_trip_call(t::Call::subscribe(
            "e".into(),
            "f".into(),
            t::Subscribe {
                unacknowledged_tasks: vec![task()],
                unacknowledged_updates: vec![t::Update { status: status() }],
            },
        ));
        round_trip_call(t::Call::update("e".into(), "f".into(), status()));
        round_trip_call(t::Call::message("e".into(), "f".into(), vec![0, 1, 2]));
        round_trip_call(t::Call::heartbeat("e".into(), "f".into()));
        let mut unknown = t::Call::heartbeat("e".into(), "f".into());
        unknown.r#type = None;
        round_trip_call(unknown);
    }

    #[test]
    fn every_event_round_trips() {
        round_trip_event(t::Event::Subscribed(Box::new(t::Subscribed {
            executor_info: fixture("executor_info.json"),
            framework_info: fixture("framework_info.json"),
            agent_info: serde_json::json!({"hostname": "127.0.0.1", "port": 5051, "id": {"value": "S1"}}),
            container_id: Some(mesos_types::ContainerId::new("c1")),
        })));
        round_trip_event(t::Event::Launch(Box::new(t::Launch { task: task() })));
        round_trip_event(t::Event::LaunchGroup(Box::new(t::LaunchGroup {
            task_group: t::TaskGroupInfo {
                tasks: vec![task(), task()],
            },
        })));
        round_trip_event(t::Event::Kill(t::Kill {
            task_id: "t".into(),
            kill_policy: Some(mesos_types::task::KillPolicy {
                grace_period: Some(mesos_types::duration::DurationInfo::from_nanos(5)),
            }),
        }));
        round_trip_event(t::Event::Acknowledged(t::Acknowledged {
            task_id: "t".into(),
            uuid: vec![1; 16],
        }));
        round_trip_event(t::Event::Message(t::Message { data: vec![9; 3] }));
        round_trip_event(t::Event::Error(t::ErrorEvent {
            message: "bad".into(),
        }));
        round_trip_event(t::Event::Shutdown);
        round_trip_event(t::Event::Heartbeat);
        round_trip_event(t::Event::Unknown);
    }

    #[test]
    fn event_types_and_missing_sub_messages() {
        // An event type this build does not know reads as Unknown.
        let e = Event {
            r#type: Some(42),
            ..Default::default()
        };
        assert_eq!(t::Event::from_proto(e).unwrap(), t::Event::Unknown);
        // A known type without its sub-message is an error naming it.
        let e = Event {
            r#type: Some(2),
            ..Default::default()
        };
        let err = t::Event::from_proto(e).unwrap_err();
        assert_eq!(err.to_string(), "launch: missing required field");
        // A Call lacking its required framework_id does not decode.
        let bytes = [0x0a, 0x03, 0x0a, 0x01, b'e', 0x18, 0x04];
        let err = decode::<Call>(&bytes).unwrap_err();
        assert_eq!(err.field(), Some("framework_id"));
        // Nor an UPDATE whose status lacks its state.
        let mut call = t::Call::update("e".into(), "f".into(), status())
            .into_proto()
            .unwrap();
        call.update.as_mut().unwrap().status.state = 99;
        let err = t::Call::from_proto(call).unwrap_err();
        assert_eq!(err.field, "update.status.state");
    }

    #[test]
    fn required_labels_agree_with_the_tables() {
        use crate::schema::Label;
        fn agree<M: prost::Message + Default>(schema: &crate::Schema) {
            let bytes = M::default().encode_to_vec();
            let mut buf = &bytes[..];
            let mut tags = Vec::new();
            while !buf.is_empty() {
                tags.push(crate::schema::read_field(&mut buf).unwrap().0);
            }
            tags.sort();
            let mut want: Vec<u32> = schema
                .fields
                .iter()
                .filter(|f| f.label == Label::Required)
                .map(|f| f.tag)
                .collect();
            want.sort();
            assert_eq!(tags, want, "{}", schema.name);
        }
        agree::<Call>(&tables::CALL);
        agree::<Subscribe>(&tables::CALL_SUBSCRIBE);
        agree::<Update>(&tables::CALL_SUBSCRIBE_UPDATE);
        agree::<CallMessage>(&tables::CALL_MESSAGE);
        agree::<Event>(&tables::EVENT);
        agree::<Subscribed>(&tables::EVENT_SUBSCRIBED);
        agree::<Launch>(&tables::EVENT_LAUNCH);
        agree::<LaunchGroup>(&tables::EVENT_LAUNCH_GROUP);
        agree::<Kill>(&tables::EVENT_KILL);
        agree::<Acknowledged>(&tables::EVENT_ACKNOWLEDGED);
        agree::<EventMessage>(&tables::EVENT_MESSAGE);
        agree::<Error>(&tables::EVENT_ERROR);
    }

    #[test]
    fn tables_read_what_prost_writes() {
        // The whole subscribe call, through the tables, is the JSON mesos_types writes.
        let call = t::Call::subscribe(
            "e".into(),
            "f".into(),
            t::Subscribe {
                unacknowledged_tasks: vec![task()],
                unacknowledged_updates: vec![t::Update { status: status() }],
            },
        );
        let bytes = encode(&call.clone().into_proto().unwrap());
        let json = crate::schema::to_json(&tables::CALL, &bytes).unwrap();
        assert_eq!(json, serde_json::to_value(&call).unwrap());
        let event = t::Event::Kill(t::Kill {
            task_id: "t".into(),
            kill_policy: None,
        });
        let bytes = encode(&event.clone().into_proto().unwrap());
        let json = crate::schema::to_json(&tables::EVENT, &bytes).unwrap();
        assert_eq!(json, serde_json::to_value(&event).unwrap());
    }
}
