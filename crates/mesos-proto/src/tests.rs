//! Unit tests: golden bytes worked out by hand from the wire format, round trips, the two
//! transcriptions of the `.proto` files (prost structs and [`crate::tables`]) checked against
//! each other, and bad input.

use crate::convert::{ProtoConvert, WireEnum};
use crate::internal::*;
use crate::mesos as p;
use crate::schema::{self, Kind, Label, Schema};
use crate::{decode, encode, tables, DecodeError, Named, Problem, ProtoMessage};
use mesos_types as t;
use prost::Message;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::{Path, PathBuf};

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The field numbers present at the top level of an encoded message.
fn top_level_tags(mut buf: &[u8]) -> Vec<u32> {
    let mut tags = Vec::new();
    while !buf.is_empty() {
        let (tag, _) = schema::read_field(&mut buf).unwrap();
        tags.push(tag);
    }
    tags
}

// ------------------------------------------------------------------------ golden bytes

#[test]
fn register_executor_message_golden_bytes() {
    let m = RegisterExecutorMessage {
        framework_id: p::FrameworkId::new("f"),
        executor_id: p::ExecutorId::new("e"),
    };
    // field 1 (LEN) = FrameworkID{field 1 (LEN) "f"}, field 2 (LEN) = ExecutorID{"e"}
    let golden = [0x0a, 0x03, 0x0a, 0x01, b'f', 0x12, 0x03, 0x0a, 0x01, b'e'];
    assert_eq!(encode(&m), golden);
    assert_eq!(decode::<RegisterExecutorMessage>(&golden).unwrap(), m);
    assert_eq!(
        RegisterExecutorMessage::NAME,
        "mesos.internal.RegisterExecutorMessage"
    );
}

#[test]
fn required_fields_are_encoded_even_when_empty() {
    let m = RegisterExecutorMessage::default();
    assert_eq!(encode(&m), [0x0a, 0x02, 0x0a, 0x00, 0x12, 0x02, 0x0a, 0x00]);
    // An empty required id is present, so it decodes.
    decode::<RegisterExecutorMessage>(&encode(&m)).unwrap();
}

#[test]
fn status_update_acknowledgement_golden_bytes() {
    let m = StatusUpdateAcknowledgementMessage {
        slave_id: p::AgentId::new("s"),
        framework_id: p::FrameworkId::new("f"),
        task_id: p::TaskId::new("t"),
        uuid: vec![0xde, 0xad],
    };
    let golden = [
        0x0a, 0x03, 0x0a, 0x01, b's', // 1: slave_id
        0x12, 0x03, 0x0a, 0x01, b'f', // 2: framework_id
        0x1a, 0x03, 0x0a, 0x01, b't', // 3: task_id
        0x22, 0x02, 0xde, 0xad, // 4: uuid
    ];
    assert_eq!(encode(&m), golden);
    assert_eq!(
        decode::<StatusUpdateAcknowledgementMessage>(&golden).unwrap(),
        m
    );
}

#[test]
fn status_update_message_golden_bytes() {
    let mut status = t::status::TaskStatus::new("t", t::status::TaskState::Staging);
    status.source = Some(t::status::Source::Executor);
    let m = StatusUpdateMessage {
        update: StatusUpdate {
            framework_id: p::FrameworkId::new("f"),
            executor_id: None,
            slave_id: None,
            status: status.clone().into_proto().unwrap(),
            timestamp: 1.0,
            uuid: None,
            latest_state: None,
        },
        pid: Some("e@1".into()),
    };
    let golden = [
        0x0a, 0x19, // 1: update, 25 bytes
        0x0a, 0x03, 0x0a, 0x01, b'f', // update.1: framework_id
        0x22, 0x09, // update.4: status, 9 bytes
        0x0a, 0x03, 0x0a, 0x01, b't', // status.1: task_id
        0x10, 0x06, // status.2: state TASK_STAGING = 6
        0x48, 0x02, // status.9: source SOURCE_EXECUTOR = 2
        0x29, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, // update.5: timestamp 1.0 (fixed64)
        0x12, 0x03, b'e', b'@', b'1', // 2: pid
    ];
    assert_eq!(encode(&m), golden);
    let back: StatusUpdateMessage = decode(&golden).unwrap();
    let typed = t::status::TaskStatus::from_proto(back.update.status).unwrap();
    assert_eq!(typed, status);
}

#[test]
fn task_state_numbers_follow_mesos_proto() {
    use t::status::TaskState as S;
    let expected = [
        (S::Staging, 6),
        (S::Starting, 0),
        (S::Running, 1),
        (S::Killing, 8),
        (S::Finished, 2),
        (S::Failed, 3),
        (S::Killed, 4),
        (S::Error, 7),
        (S::Lost, 5),
        (S::Dropped, 9),
        (S::Unreachable, 10),
        (S::Gone, 11),
        (S::GoneByOperator, 12),
        (S::Unknown, 13),
    ];
    for (state, n) in expected {
        assert_eq!(crate::convert::task_state_number(state), n, "{state}");
        assert_eq!(crate::convert::task_state_from_number(n), Some(state));
    }
    assert_eq!(crate::convert::task_state_from_number(99), None);
}

// ------------------------------------------------------------- tables against prost

/// Every typed-enum value has a number, and numbers are unique in each table.
#[test]
fn enum_tables_are_complete_and_unique() {
    fn check<E: WireEnum + std::fmt::Debug>() {
        for v in E::all() {
            let n = crate::schema::enum_number(E::VALUES, v.name())
                .unwrap_or_else(|| panic!("{} has no number for {v:?}", E::ENUM));
            assert_eq!(E::from_number(n).map(|e| e.name()), Some(v.name()));
        }
        let mut numbers: Vec<i32> = E::VALUES.iter().map(|&(_, n)| n).collect();
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), E::VALUES.len(), "{}", E::ENUM);
    }
    check::<t::status::TaskState>();
    check::<t::status::Source>();
    check::<t::status::Reason>();
    check::<t::task::SecretType>();
    check::<t::task::VariableType>();
    check::<t::task::ExecutorType>();
    check::<t::task::FrameworkCapabilityType>();
    check::<t::resources::ValueType>();
    check::<t::resources::ReservationType>();
    check::<t::container::ContainerType>();
    check::<t::container::DockerNetwork>();
    check::<t::container::VolumeMode>();
    check::<t::container::VolumeSourceType>();
    check::<t::container::SandboxPathType>();
    check::<t::container::IpProtocol>();
    check::<t::health::CheckType>();
    check::<t::executor::CallType>();
    check::<t::executor::EventType>();
}

fn all_schemas(root: &'static Schema, out: &mut Vec<&'static Schema>) {
    if out.iter().any(|s| std::ptr::eq(*s, root)) {
        return;
    }
    out.push(root);
    for f in root.fields {
        if let Kind::Msg(s) | Kind::Map(s) = f.kind {
            all_schemas(s, out);
        }
    }
}

#[test]
fn schemas_are_well_formed() {
    let mut schemas = Vec::new();
    for root in crate::tests::ROOTS {
        all_schemas(root, &mut schemas);
    }
    assert!(schemas.len() > 80, "{}", schemas.len());
    for s in schemas {
        assert!(s.fields.len() <= 64, "{}", s.name);
        let mut tags: Vec<u32> = s.fields.iter().map(|f| f.tag).collect();
        tags.sort();
        tags.dedup();
        assert_eq!(tags.len(), s.fields.len(), "duplicate tag in {}", s.name);
        let mut names: Vec<&str> = s.fields.iter().map(|f| f.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), s.fields.len(), "duplicate name in {}", s.name);
    }
}

pub(crate) const ROOTS: &[&Schema] = &[
    &tables::REGISTER_EXECUTOR,
    &tables::EXECUTOR_REGISTERED,
    &tables::REREGISTER_EXECUTOR,
    &tables::EXECUTOR_REREGISTERED,
    &tables::RECONNECT_EXECUTOR,
    &tables::RUN_TASK,
    &tables::KILL_TASK,
    &tables::STATUS_UPDATE_MESSAGE,
    &tables::STATUS_UPDATE_ACK,
    &tables::SHUTDOWN_EXECUTOR,
    &tables::FRAMEWORK_TO_EXECUTOR,
    &tables::EXECUTOR_TO_FRAMEWORK,
    &tables::TASK_GROUP_INFO,
];

/// prost writes exactly the required fields of a default message, so the tags of
/// `M::default()` must be the table's required tags: a label that differs between the prost
/// struct and the table fails here.
fn required_tags_agree<M: Message + Default>(schema: &Schema) {
    let mut from_prost = top_level_tags(&M::default().encode_to_vec());
    from_prost.sort();
    let mut from_table: Vec<u32> = schema
        .fields
        .iter()
        .filter(|f| f.label == Label::Required)
        .map(|f| f.tag)
        .collect();
    from_table.sort();
    assert_eq!(from_prost, from_table, "{}", schema.name);
    // And the default message passes the required-field check, but for fields held as
    // bytes (`slave_info`, `RunTaskMessageRaw.task`), whose empty default lacks what a real
    // one has.
    if let Err(e) = schema::check(schema, &M::default().encode_to_vec()) {
        assert!(
            ["slave_info.hostname", "task.name"].contains(&e.field.as_str()),
            "{}: {e}",
            schema.name
        );
    }
}

#[test]
fn required_labels_agree_between_prost_and_tables() {
    macro_rules! agree {
        ($($ty:ty => $schema:expr;)*) => {$( required_tags_agree::<$ty>(&$schema); )*};
    }
    agree! {
        p::FrameworkId => tables::ID;
        p::ContainerId => tables::CONTAINER_ID;
        p::DurationInfo => tables::NANOS;
        p::Label => tables::LABEL;
        p::Labels => tables::LABELS;
        p::Parameter => tables::PARAMETER;
        p::Parameters => tables::PARAMETERS;
        p::SecretReference => tables::SECRET_REFERENCE;
        p::SecretValue => tables::SECRET_VALUE;
        p::Secret => tables::SECRET;
        p::Variable => tables::VARIABLE;
        p::Environment => tables::ENVIRONMENT;
        p::Uri => tables::URI;
        p::CommandInfo => tables::COMMAND_INFO;
        p::KillPolicy => tables::KILL_POLICY;
        p::Scalar => tables::SCALAR;
        p::Range => tables::RANGE;
        p::Ranges => tables::RANGES;
        p::Set => tables::SET;
        p::AllocationInfo => tables::ALLOCATION_INFO;
        p::ReservationInfo => tables::RESERVATION_INFO;
        p::Resource => tables::RESOURCE;
        p::PortMapping => tables::PORT_MAPPING;
        p::DockerInfo => tables::DOCKER_INFO;
        p::DockerVolume => tables::DOCKER_VOLUME;
        p::HostPath => tables::HOST_PATH;
        p::SandboxPath => tables::SANDBOX_PATH;
        p::VolumeSource => tables::VOLUME_SOURCE;
        p::Volume => tables::VOLUME;
        p::IpAddress => tables::IP_ADDRESS;
        p::NetworkInfo => tables::NETWORK_INFO;
        p::ContainerInfo => tables::CONTAINER_INFO;
        p::HttpCheckInfo => tables::HTTP_CHECK_INFO;
        p::TcpCheckInfo => tables::TCP_CHECK_INFO;
        p::HealthCheck => tables::HEALTH_CHECK;
        p::CheckCommand => tables::CHECK_COMMAND;
        p::CheckHttp => tables::CHECK_HTTP;
        p::CheckTcp => tables::CHECK_TCP;
        p::CheckInfo => tables::CHECK_INFO;
        p::CheckStatusCommand => tables::CHECK_STATUS_COMMAND;
        p::CheckStatusHttp => tables::CHECK_STATUS_HTTP;
        p::CheckStatusTcp => tables::CHECK_STATUS_TCP;
        p::CheckStatusInfo => tables::CHECK_STATUS_INFO;
        p::ExecutorInfo => tables::EXECUTOR_INFO;
        p::FrameworkCapability => tables::FRAMEWORK_CAPABILITY_MSG;
        p::FrameworkInfo => tables::FRAMEWORK_INFO;
        p::TaskInfo => tables::TASK_INFO;
        p::TaskGroupInfo => tables::TASK_GROUP_INFO;
        p::ContainerStatus => tables::CONTAINER_STATUS;
        p::TaskStatus => tables::TASK_STATUS;
        ResourceVersionUuid => tables::RESOURCE_VERSION_UUID;
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
}

/// The prost encoding of a typed message, read back through the table, gives the JSON
/// `mesos_types` writes: every field name, number and type in the prost structs agrees with
/// the table (and so two transcriptions of the `.proto` agree).
fn tables_read_what_prost_writes<T>(typed: &T, schema: &'static Schema)
where
    T: ProtoConvert + Clone + Serialize,
    T::Proto: Message + Default,
{
    let bytes = typed.clone().into_proto().unwrap().encode_to_vec();
    let via_table = schema::to_json(schema, &bytes).unwrap();
    let via_serde = serde_json::to_value(typed).unwrap();
    assert_eq!(via_table, via_serde, "{}", schema.name);
    // And the other way: the table's encoding of that JSON decodes, through prost, to the
    // same typed value.
    let bytes = schema::from_json(schema, &via_serde).unwrap();
    let back = T::from_proto(T::Proto::decode(&bytes[..]).unwrap()).unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), via_serde);
}

fn fixture<T: DeserializeOwned>(name: &str) -> T {
    let path = repo_file("crates/mesos-types/tests/fixtures").join(name);
    t::from_json_str(&read(&path)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn sample_status() -> t::status::TaskStatus {
    t::from_json_str(
        r#"{"task_id":{"value":"web.1"},"state":"TASK_RUNNING","message":"up","source":"SOURCE_EXECUTOR",
            "reason":"REASON_TASK_HEALTH_CHECK_STATUS_UPDATED","data":"aGk=","agent_id":{"value":"S1"},
            "executor_id":{"value":"web.1"},"timestamp":1724430012.004,"uuid":"w9Tl9qe4TJ2ODxEiM0RVZg==",
            "healthy":true,"check_status":{"type":"HTTP","http":{"status_code":200}},
            "labels":{"labels":[{"key":"k","value":"v"}]},
            "container_status":{"container_id":{"value":"c2","parent":{"value":"c1"}},
               "network_infos":[{"ip_addresses":[{"protocol":"IPv4","ip_address":"172.17.0.3"},{"protocol":"IPv6","ip_address":"fe80::1"}],"name":"bridge"}],
               "cgroup_info":{"net_cls":{"classid":42}},"executor_pid":4242},
            "unreachable_time":{"nanoseconds":1724430012004000000},
            "limitation":{"resources":[{"name":"mem","type":"SCALAR","scalar":{"value":64.0}}]}}"#,
    )
    .unwrap()
}

#[test]
fn tables_agree_with_prost_on_full_messages() {
    let task: t::task::TaskInfo = fixture("task_info_full.json");
    tables_read_what_prost_writes(&task, &tables::TASK_INFO);
    let executor: t::task::ExecutorInfo = fixture("executor_info.json");
    tables_read_what_prost_writes(&executor, &tables::EXECUTOR_INFO);
    let framework: t::task::FrameworkInfo = fixture("framework_info.json");
    tables_read_what_prost_writes(&framework, &tables::FRAMEWORK_INFO);
    tables_read_what_prost_writes(&sample_status(), &tables::TASK_STATUS);
}

// -------------------------------------------------------------------------- round trips

/// typed → proto → bytes → proto → typed, unchanged; and the proto survives typed unchanged.
fn round_trip<T>(typed: &T)
where
    T: ProtoConvert + Clone + PartialEq + std::fmt::Debug + Serialize,
    T::Proto: ProtoMessage + Clone + PartialEq + std::fmt::Debug,
{
    let proto = typed.clone().into_proto().unwrap();
    let bytes = encode(&proto);
    let decoded: T::Proto = decode(&bytes).unwrap();
    assert_eq!(decoded, proto);
    let back = T::from_proto(decoded).unwrap();
    assert_eq!(&back, typed);
    assert_eq!(
        serde_json::to_string(&back).unwrap(),
        serde_json::to_string(typed).unwrap()
    );
    assert_eq!(back.into_proto().unwrap(), proto);
}

#[test]
fn full_fixtures_round_trip() {
    round_trip::<t::task::TaskInfo>(&fixture("task_info_full.json"));
    round_trip::<t::task::ExecutorInfo>(&fixture("executor_info.json"));
    round_trip::<t::task::FrameworkInfo>(&fixture("framework_info.json"));
    round_trip(&sample_status());
}

#[test]
fn repository_examples_survive_protobuf() {
    let dir = repo_file("examples");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 5, "{paths:?}");
    for path in paths {
        let text = read(&path);
        // `<example>.executor.json` files are ExecutorInfos; the rest are TaskInfos.
        if path.to_string_lossy().ends_with(".executor.json") {
            let e: t::task::ExecutorInfo = t::from_json_str(&text).unwrap();
            round_trip(&e);
        } else {
            let task: t::task::TaskInfo = t::from_json_str(&text).unwrap();
            let json = serde_json::to_string(&task).unwrap();
            let bytes = encode(&task.clone().into_proto().unwrap());
            let back = t::task::TaskInfo::from_proto(decode(&bytes).unwrap()).unwrap();
            assert_eq!(
                serde_json::to_string(&back).unwrap(),
                json,
                "{}",
                path.display()
            );
            round_trip(&task);
        }
    }
}

#[test]
fn uri_checksum_is_not_carried() {
    let mut uri = t::task::Uri::new("http://x/a.tgz");
    uri.checksum = Some("sha256:ab".into());
    let back = t::task::Uri::from_proto(uri.clone().into_proto().unwrap()).unwrap();
    assert_eq!(back.checksum, None);
    uri.checksum = None;
    assert_eq!(back, uri);
}

fn internal_round_trip<M>(m: &M)
where
    M: ProtoMessage + Named + Clone + PartialEq + std::fmt::Debug,
{
    let bytes = encode(m);
    assert_eq!(&decode::<M>(&bytes).unwrap(), m, "{}", M::NAME);
    assert!(M::NAME.starts_with("mesos.internal."));
}

#[test]
fn internal_messages_round_trip() {
    let task: t::task::TaskInfo = fixture("task_info_full.json");
    let framework: t::task::FrameworkInfo = fixture("framework_info.json");
    let executor: t::task::ExecutorInfo = fixture("executor_info.json");
    let ptask = task.into_proto().unwrap();
    let pframework = framework.clone().into_proto().unwrap();
    let status = sample_status().into_proto().unwrap();
    let fid = p::FrameworkId::new("fw-0001");
    let eid = p::ExecutorId::new("exec-web.1");
    let sid = p::AgentId::new("S1");
    let slave_info = crate::opaque::agent_info_from_json(&serde_json::json!({
        "hostname": "agent1", "port": 5051, "id": {"value": "S1"}, "checkpoint": true,
        "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 4.0}}],
        "attributes": [{"name": "rack", "type": "TEXT", "text": {"value": "r1"}}],
        "domain": {"fault_domain": {"region": {"name": "eu"}, "zone": {"name": "a"}}}
    }))
    .unwrap();
    let update = StatusUpdate {
        framework_id: fid.clone(),
        executor_id: Some(eid.clone()),
        slave_id: Some(sid.clone()),
        status: status.clone(),
        timestamp: 1724430012.004,
        uuid: status.uuid.clone(),
        latest_state: Some(1),
    };
    internal_round_trip(&RegisterExecutorMessage {
        framework_id: fid.clone(),
        executor_id: eid.clone(),
    });
    internal_round_trip(&ExecutorRegisteredMessage {
        executor_info: executor.into_proto().unwrap(),
        framework_id: fid.clone(),
        framework_info: pframework.clone(),
        slave_id: sid.clone(),
        slave_info: slave_info.clone(),
    });
    internal_round_trip(&ReregisterExecutorMessage {
        executor_id: eid.clone(),
        framework_id: fid.clone(),
        tasks: vec![encode(&ptask)],
        updates: vec![update.clone()],
    });
    internal_round_trip(&ExecutorReregisteredMessage {
        slave_id: sid.clone(),
        slave_info,
    });
    internal_round_trip(&ReconnectExecutorMessage {
        slave_id: sid.clone(),
    });
    let run = RunTaskMessage {
        framework_id: Some(fid.clone()),
        framework: pframework,
        task: ptask.clone(),
        resource_version_uuids: vec![ResourceVersionUuid {
            resource_provider_id: None,
            uuid: p::Uuid { value: vec![7; 16] },
        }],
        pid: Some("scheduler-1@10.0.0.1:5050".into()),
        launch_executor: Some(true),
    };
    internal_round_trip(&run);
    internal_round_trip(&KillTaskMessage {
        framework_id: fid.clone(),
        task_id: p::TaskId::new("web.1"),
        kill_policy: Some(p::KillPolicy {
            grace_period: Some(p::DurationInfo {
                nanoseconds: 3_000_000_000,
            }),
        }),
    });
    internal_round_trip(&update);
    internal_round_trip(&StatusUpdateMessage {
        update,
        pid: Some("executor(1)@127.0.0.1:40000".into()),
    });
    internal_round_trip(&StatusUpdateAcknowledgementMessage {
        slave_id: sid.clone(),
        framework_id: fid.clone(),
        task_id: p::TaskId::new("web.1"),
        uuid: vec![1; 16],
    });
    internal_round_trip(&ShutdownExecutorMessage {
        executor_id: Some(eid.clone()),
        framework_id: Some(fid.clone()),
    });
    internal_round_trip(&ShutdownExecutorMessage::default());
    internal_round_trip(&FrameworkToExecutorMessage {
        slave_id: sid.clone(),
        framework_id: fid.clone(),
        executor_id: eid.clone(),
        data: b"to executor".to_vec(),
    });
    internal_round_trip(&ExecutorToFrameworkMessage {
        slave_id: sid,
        framework_id: fid,
        executor_id: eid,
        data: b"to scheduler".to_vec(),
    });

    // The typed framework survives, capabilities included.
    let back = t::task::FrameworkInfo::from_proto(run.framework.clone()).unwrap();
    assert!(back.has_capability(t::task::FrameworkCapabilityType::TaskKillingState));
    assert_eq!(back, framework);
}

#[test]
fn run_task_raw_gives_the_task_bytes_as_received() {
    let task: t::task::TaskInfo = fixture("task_info_full.json");
    let framework: t::task::FrameworkInfo = fixture("framework_info.json");
    // Bytes as another implementation might write them: an unknown field (tag 99) that
    // prost would drop must survive in the raw bytes.
    let mut task_bytes = encode(&task.clone().into_proto().unwrap());
    task_bytes.extend_from_slice(&[0x9a, 0x06, 0x02, b'h', b'i']);
    let mut body = Vec::new();
    schema::put_varint(&mut body, (2 << 3) | 2);
    let fw = encode(&framework.into_proto().unwrap());
    schema::put_varint(&mut body, fw.len() as u64);
    body.extend_from_slice(&fw);
    schema::put_varint(&mut body, (4 << 3) | 2);
    schema::put_varint(&mut body, task_bytes.len() as u64);
    body.extend_from_slice(&task_bytes);

    let (message, raw) = run_task_raw(&body).unwrap();
    assert_eq!(raw, task_bytes);
    assert_eq!(t::task::TaskInfo::from_proto(message.task).unwrap(), task);
    // And they go back out unchanged in a ReregisterExecutorMessage.
    let rereg = ReregisterExecutorMessage {
        tasks: vec![raw],
        ..Default::default()
    };
    let again: ReregisterExecutorMessage = decode(&encode(&rereg)).unwrap();
    assert_eq!(again.tasks[0], task_bytes);

    // A task without its required name fails, naming it.
    let err = run_task_raw(&encode(&RunTaskMessageRaw {
        task: vec![0x12, 0x03, 0x0a, 0x01, b't', 0x1a, 0x02, 0x0a, 0x00],
        ..Default::default()
    }))
    .unwrap_err();
    assert_eq!(err.field(), Some("task.name"), "{err}");
}

#[test]
fn agent_info_json_has_mesos_shape() {
    let json = serde_json::json!({
        "hostname": "agent1", "port": 5051, "id": {"value": "S1"},
        "resources": [{"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31000, "end": 32000}]}}],
    });
    let bytes = crate::opaque::agent_info_from_json(&json).unwrap();
    // hostname (1), resources (3), id (6), port (8) in table order
    assert_eq!(
        &bytes[..8],
        &[0x0a, 0x06, b'a', b'g', b'e', b'n', b't', b'1']
    );
    assert_eq!(crate::opaque::agent_info_to_json(&bytes).unwrap(), json);
    let err = crate::opaque::agent_info_from_json(&serde_json::json!({"port": 1})).unwrap_err();
    assert_eq!(err.field, "hostname");
    assert_eq!(err.problem, Problem::Missing);
}

// ----------------------------------------------------------------------------- bad input

#[test]
fn truncated_and_garbage_bytes_are_errors() {
    let task: t::task::TaskInfo = fixture("task_info_full.json");
    let bytes = encode(&task.into_proto().unwrap());
    for cut in [1, 2, 10, bytes.len() / 2, bytes.len() - 1] {
        let err = decode::<p::TaskInfo>(&bytes[..cut]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("failed to parse mesos.TaskInfo"),
            "{err}"
        );
    }
    let garbage: Vec<u8> = (0..200u32).map(|i| (i * 97 + 13) as u8).collect();
    assert!(decode::<p::TaskInfo>(&garbage).is_err());
    assert!(decode::<RunTaskMessage>(&[0xff; 11]).is_err());
    assert!(run_task_raw(b"not protobuf at all").is_err());
    // Opaque sub-messages are walked by our own reader: garbage there is an error too.
    for cut in 0..bytes.len() {
        let _ = schema::to_json(&tables::TASK_INFO, &bytes[..cut]);
        let _ = schema::check(&tables::TASK_INFO, &bytes[..cut]);
    }
    let mut t = task_with_discovery();
    t.discovery = Some(vec![0x0a, 0x05, 0x01]);
    let err = t::task::TaskInfo::from_proto(t).unwrap_err();
    assert_eq!(err.field, "discovery", "{err}");
}

fn task_with_discovery() -> p::TaskInfo {
    p::TaskInfo {
        name: "t".into(),
        ..Default::default()
    }
}

#[test]
fn missing_required_fields_are_named() {
    // StatusUpdateAcknowledgementMessage without its uuid (tag 4).
    let m = StatusUpdateAcknowledgementMessage::default();
    let mut bytes = encode(&m);
    bytes.truncate(bytes.len() - 2);
    let err = decode::<StatusUpdateAcknowledgementMessage>(&bytes).unwrap_err();
    assert!(matches!(err, DecodeError::Field { .. }), "{err:?}");
    assert_eq!(err.field(), Some("uuid"));
    assert_eq!(
        err.to_string(),
        "failed to parse mesos.internal.StatusUpdateAcknowledgementMessage: uuid: missing required field"
    );

    // Nested: update.status.task_id.value missing (an empty TaskID message).
    let bytes = [
        0x0a, 0x0b, // update
        0x0a, 0x02, 0x0a, 0x00, // framework_id
        0x22, 0x04, 0x0a, 0x00, 0x10, 0x01, // status { task_id {}, state 1 }
        0x29, // timestamp, truncated below
    ];
    assert!(decode::<StatusUpdateMessage>(&bytes).is_err());
    let mut body = Vec::new();
    let mut update = vec![
        0x0a, 0x02, 0x0a, 0x00, 0x22, 0x04, 0x0a, 0x00, 0x10, 0x01, 0x29,
    ];
    update.extend_from_slice(&1.0f64.to_le_bytes());
    body.push(0x0a);
    body.push(update.len() as u8);
    body.extend_from_slice(&update);
    let err = decode::<StatusUpdateMessage>(&body).unwrap_err();
    assert_eq!(err.field(), Some("update.status.task_id.value"), "{err}");

    // A repeated element names its index: the second update lacks its timestamp.
    let rereg = ReregisterExecutorMessage {
        updates: vec![StatusUpdate::default()],
        ..Default::default()
    };
    let mut bytes = encode(&rereg);
    let mut update = encode(&StatusUpdate::default());
    update.truncate(update.len() - 9); // the timestamp: key + 8 bytes
    bytes.push(0x22);
    bytes.push(update.len() as u8);
    bytes.extend_from_slice(&update);
    let err = decode::<ReregisterExecutorMessage>(&bytes).unwrap_err();
    assert_eq!(err.field(), Some("updates[1].timestamp"), "{err}");
}

#[test]
fn unknown_enum_numbers() {
    // Required: an error naming the field.
    let mut status = sample_status().into_proto().unwrap();
    status.state = 99;
    let err = t::status::TaskStatus::from_proto(status.clone()).unwrap_err();
    assert_eq!(err.field, "state");
    assert_eq!(err.to_string(), "state: unknown mesos.TaskState value 99");
    // Optional: unset.
    status.state = 1;
    status.reason = Some(999);
    status.source = Some(-1);
    let typed = t::status::TaskStatus::from_proto(status).unwrap();
    assert_eq!(typed.reason, None);
    assert_eq!(typed.source, None);

    let mut task = fixture::<t::task::TaskInfo>("task_info_full.json")
        .into_proto()
        .unwrap();
    task.container.as_mut().unwrap().volumes[1].mode = 7;
    let err = t::task::TaskInfo::from_proto(task).unwrap_err();
    assert_eq!(err.field, "container.volumes[1].mode", "{err}");
}

#[test]
fn opaque_json_errors_name_the_field() {
    let mut task: t::task::TaskInfo = fixture("task_info_full.json");
    task.discovery = Some(serde_json::json!({"name": "no visibility"}));
    let err = task.clone().into_proto().unwrap_err();
    assert_eq!(err.field, "discovery.visibility");
    task.discovery =
        Some(serde_json::json!({"visibility": "CLUSTER", "ports": {"ports": [{"number": "x"}]}}));
    let err = task.clone().into_proto().unwrap_err();
    assert_eq!(err.field, "discovery.ports.ports[0].number", "{err}");
    // Unknown optional enum names are dropped, unknown keys ignored, as Mesos does.
    task.discovery = Some(
        serde_json::json!({"visibility": "CLUSTER", "ports": {"ports": [{"number": "80", "visibility": "MARS"}]}, "extra": 1}),
    );
    let back = t::task::TaskInfo::from_proto(task.into_proto().unwrap()).unwrap();
    assert_eq!(
        back.discovery,
        Some(serde_json::json!({"visibility": "CLUSTER", "ports": {"ports": [{"number": 80}]}}))
    );
}
