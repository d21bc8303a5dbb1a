//! The executor API in protobuf (`Content-Type: application/x-protobuf`), against an
//! executor written here as a plain HTTP/1.1 client over raw TCP: protobuf calls in, and a
//! RecordIO stream of protobuf `mesos.v1.executor.Event`s out when SUBSCRIBE accepts only
//! protobuf.

mod common;

use agent_endpoint::{AgentEndpoint, EndpointConfig, EndpointEvent, EndpointEvents};
use common::{read_head, request, RecordStream};
use mesos_proto::ProtoConvert;
use mesos_types::executor::{Call, Event, Subscribe};
use mesos_types::status::{Source, TaskState, TaskStatus};
use mesos_types::task::{ExecutorInfo, FrameworkCapabilityType, FrameworkInfo, TaskInfo};
use mesos_types::ContainerId;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const FID: &str = "fw-proto";
const EID: &str = "exec-proto";
const PROTOBUF: &str = "application/x-protobuf";
const EXECUTOR_API: &str = "/api/v1/executor";
/// Generous bound so a broken endpoint fails the test instead of hanging it.
const WAIT: Duration = Duration::from_secs(20);

fn framework_info() -> FrameworkInfo {
    let mut f: FrameworkInfo = mesos_types::from_json_str(
        r#"{"user":"root","name":"proto-framework","capabilities":[{"type":"TASK_KILLING_STATE"}]}"#,
    )
    .unwrap();
    f.id = Some(FID.into());
    f
}

/// A task with every kind of field, the raw-JSON ones (`discovery`, `linux_info`, volume
/// `image`, `csi_volume`, ...) included.
fn full_task(id: &str) -> TaskInfo {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../mesos-types/tests/fixtures/task_info_full.json");
    let mut t: TaskInfo =
        mesos_types::from_json_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    t.task_id = id.into();
    t.agent_id = "S1".into();
    t
}

async fn registered() -> (AgentEndpoint, EndpointEvents) {
    let mut c = EndpointConfig::new("127.0.0.1:0".parse().unwrap());
    c.agent_info = serde_json::json!({"hostname": "agent.test", "id": {"value": "S1"}});
    let (ep, events) = AgentEndpoint::bind(c).await.unwrap();
    ep.register_executor(
        framework_info(),
        ExecutorInfo::new(EID),
        ContainerId::new("c-proto"),
    )
    .unwrap();
    (ep, events)
}

fn encode_call(call: Call) -> Vec<u8> {
    mesos_proto::encode(&call.into_proto().unwrap())
}

/// The executor's keep-alive connection for calls.
struct Calls(BufReader<TcpStream>);

impl Calls {
    async fn connect(addr: SocketAddr) -> Self {
        Self(BufReader::new(TcpStream::connect(addr).await.unwrap()))
    }

    async fn post(&mut self, content_type: &str, body: &[u8]) -> (u16, String) {
        let req = request(
            "POST",
            EXECUTOR_API,
            &[("Content-Type", content_type)],
            body,
            false,
        );
        self.0.get_mut().write_all(&req).await.unwrap();
        let head = read_head(&mut self.0).await;
        let status = head.status;
        let len: usize = head
            .header("content-length")
            .unwrap_or("0")
            .parse()
            .unwrap();
        let mut body = vec![0; len];
        self.0.read_exact(&mut body).await.unwrap();
        (status, String::from_utf8(body).unwrap())
    }
}

/// A SUBSCRIBE connection: chunked transfer encoding, then RecordIO, then each record
/// decoded as protobuf or JSON according to the response's Content-Type.
struct Subscription {
    records: RecordStream,
    protobuf: bool,
}

impl Subscription {
    async fn open(addr: SocketAddr, content_type: &str, body: &[u8], accept: Option<&str>) -> Self {
        let mut headers = vec![("Content-Type", content_type)];
        if let Some(accept) = accept {
            headers.push(("Accept", accept));
        }
        let mut conn = BufReader::new(TcpStream::connect(addr).await.unwrap());
        conn.get_mut()
            .write_all(&request("POST", EXECUTOR_API, &headers, body, true))
            .await
            .unwrap();
        let head = read_head(&mut conn).await;
        assert_eq!(head.status, 200);
        assert_eq!(head.header("transfer-encoding"), Some("chunked"));
        let protobuf = match head.header("content-type") {
            Some(PROTOBUF) => true,
            Some("application/json") => false,
            other => panic!("unexpected Content-Type {other:?}"),
        };
        Subscription {
            records: RecordStream::new(conn),
            protobuf,
        }
    }

    async fn next(&mut self) -> Option<Event> {
        tokio::time::timeout(WAIT, self.next_inner())
            .await
            .expect("no event within the test bound")
    }

    async fn next_inner(&mut self) -> Option<Event> {
        let record = self.records.next_record().await?;
        Some(if self.protobuf {
            let event: mesos_proto::v1::executor::Event = mesos_proto::decode(&record).unwrap();
            Event::from_proto(event).unwrap()
        } else {
            serde_json::from_slice(&record).unwrap()
        })
    }
}

async fn next_event(events: &mut EndpointEvents) -> EndpointEvent {
    tokio::time::timeout(WAIT, events.recv())
        .await
        .expect("no endpoint event within the test bound")
        .expect("event channel closed")
}

fn status(task_id: &str, state: TaskState) -> TaskStatus {
    let mut s = TaskStatus::new(task_id, state);
    s.source = Some(Source::Executor);
    s.executor_id = Some(EID.into());
    s.uuid = Some(uuid::Uuid::new_v4().as_bytes().to_vec());
    s.timestamp = Some(1_700_000_000.5);
    s
}

#[tokio::test]
async fn protobuf_subscribe_launch_update_acknowledge_message() {
    let (ep, mut events) = registered().await;
    let task = full_task("t-proto");
    ep.launch_task(&FID.into(), &EID.into(), task.clone())
        .unwrap();
    let addr = ep.local_addr();

    let subscribe = encode_call(Call::subscribe(
        EID.into(),
        FID.into(),
        Subscribe::default(),
    ));
    let mut sub = Subscription::open(addr, PROTOBUF, &subscribe, Some(PROTOBUF)).await;
    assert!(sub.protobuf, "the stream is not protobuf");

    let Some(Event::Subscribed(s)) = sub.next().await else {
        panic!("first event is not SUBSCRIBED")
    };
    assert_eq!(s.framework_info, framework_info());
    assert!(s
        .framework_info
        .has_capability(FrameworkCapabilityType::TaskKillingState));
    assert_eq!(s.executor_info, ExecutorInfo::new(EID));
    assert_eq!(s.container_id, Some(ContainerId::new("c-proto")));
    assert_eq!(s.agent_info["hostname"], "agent.test");
    assert_eq!(s.agent_info["port"], addr.port());
    assert_eq!(s.agent_info["id"]["value"], "S1");

    let Some(Event::Launch(l)) = sub.next().await else {
        panic!("second event is not LAUNCH")
    };
    // Every field arrived, the raw-JSON ones included.
    assert_eq!(l.task, task);
    assert!(matches!(
        next_event(&mut events).await,
        EndpointEvent::Subscribed {
            reconnected: false,
            ..
        }
    ));

    // UPDATE in protobuf: 202, delivered to the owner, ACKNOWLEDGED in protobuf once the
    // owner accepts it.
    let mut calls = Calls::connect(addr).await;
    let running = status("t-proto", TaskState::Running);
    let (code, body) = calls
        .post(
            PROTOBUF,
            &encode_call(Call::update(EID.into(), FID.into(), running.clone())),
        )
        .await;
    assert_eq!((code, body.as_str()), (202, ""));
    let EndpointEvent::Update(u) = next_event(&mut events).await else {
        panic!("no update")
    };
    assert_eq!(u.status.state, TaskState::Running);
    assert_eq!(u.status.task_id.as_str(), "t-proto");
    assert_eq!(&u.uuid[..], running.uuid.as_deref().unwrap());
    assert!(ep.acknowledge_update(&u).unwrap());
    let Some(Event::Acknowledged(ack)) = sub.next().await else {
        panic!("no ACKNOWLEDGED")
    };
    assert_eq!(ack.task_id.as_str(), "t-proto");
    assert_eq!(Some(ack.uuid.as_slice()), running.uuid.as_deref());

    // MESSAGE both ways.
    let (code, _) = calls
        .post(
            PROTOBUF,
            &encode_call(Call::message(
                EID.into(),
                FID.into(),
                b"to scheduler".to_vec(),
            )),
        )
        .await;
    assert_eq!(code, 202);
    let EndpointEvent::Message { data, .. } = next_event(&mut events).await else {
        panic!("no message")
    };
    assert_eq!(data, b"to scheduler");
    assert!(ep
        .send_message(&FID.into(), &EID.into(), b"to executor".to_vec())
        .unwrap());
    let Some(Event::Message(m)) = sub.next().await else {
        panic!("no MESSAGE")
    };
    assert_eq!(m.data, b"to executor");

    // KILL and SHUTDOWN reach a protobuf stream too.
    ep.kill_task(&FID.into(), &EID.into(), &"t-proto".into(), None)
        .unwrap();
    let Some(Event::Kill(k)) = sub.next().await else {
        panic!("no KILL")
    };
    assert_eq!(k.task_id.as_str(), "t-proto");
    assert!(ep.shutdown_executor(&FID.into(), &EID.into()).unwrap());
    assert_eq!(sub.next().await, Some(Event::Shutdown));
    ep.shutdown().await;
}

#[tokio::test]
async fn accept_decides_the_stream_format_as_the_agent_does() {
    // A JSON SUBSCRIBE accepting only protobuf gets protobuf events.
    let (ep, _events) = registered().await;
    ep.launch_task(&FID.into(), &EID.into(), full_task("t-a"))
        .unwrap();
    let json = serde_json::to_vec(&Call::subscribe(
        EID.into(),
        FID.into(),
        Subscribe::default(),
    ))
    .unwrap();
    let mut sub =
        Subscription::open(ep.local_addr(), "application/json", &json, Some(PROTOBUF)).await;
    assert!(sub.protobuf);
    assert!(matches!(sub.next().await, Some(Event::Subscribed(_))));
    assert!(matches!(sub.next().await, Some(Event::Launch(_))));
    drop(sub);
    ep.shutdown().await;

    // A protobuf SUBSCRIBE that accepts JSON (here: no Accept at all) gets JSON, as the agent
    // prefers JSON whenever it is acceptable.
    let (ep, _events) = registered().await;
    ep.launch_task(&FID.into(), &EID.into(), full_task("t-b"))
        .unwrap();
    let body = encode_call(Call::subscribe(
        EID.into(),
        FID.into(),
        Subscribe::default(),
    ));
    let mut sub = Subscription::open(ep.local_addr(), PROTOBUF, &body, None).await;
    assert!(!sub.protobuf);
    assert!(matches!(sub.next().await, Some(Event::Subscribed(_))));
    ep.shutdown().await;
}

#[tokio::test]
async fn a_resubscribe_in_protobuf_carries_unacknowledged_tasks_and_updates() {
    let (ep, mut events) = registered().await;
    let task = full_task("t-r");
    ep.launch_task(&FID.into(), &EID.into(), task.clone())
        .unwrap();
    let addr = ep.local_addr();
    let first = encode_call(Call::subscribe(
        EID.into(),
        FID.into(),
        Subscribe::default(),
    ));
    let mut sub = Subscription::open(addr, PROTOBUF, &first, Some(PROTOBUF)).await;
    assert!(matches!(sub.next().await, Some(Event::Subscribed(_))));
    assert!(matches!(sub.next().await, Some(Event::Launch(_))));
    drop(sub);
    assert!(matches!(
        next_event(&mut events).await,
        EndpointEvent::Subscribed { .. }
    ));
    assert!(matches!(
        next_event(&mut events).await,
        EndpointEvent::Disconnected { .. }
    ));

    let starting = status("t-r", TaskState::Starting);
    let again = encode_call(Call::subscribe(
        EID.into(),
        FID.into(),
        Subscribe {
            unacknowledged_tasks: vec![task],
            unacknowledged_updates: vec![mesos_types::executor::Update {
                status: starting.clone(),
            }],
        },
    ));
    let mut sub = Subscription::open(addr, PROTOBUF, &again, Some(PROTOBUF)).await;
    assert!(matches!(sub.next().await, Some(Event::Subscribed(_))));
    assert!(matches!(
        next_event(&mut events).await,
        EndpointEvent::Subscribed {
            reconnected: true,
            ..
        }
    ));
    // The task was listed, so it is not declared lost; the update is delivered.
    let EndpointEvent::Update(u) = next_event(&mut events).await else {
        panic!("the unacknowledged update was not delivered")
    };
    assert_eq!(u.status.state, TaskState::Starting);
    assert_eq!(&u.uuid[..], starting.uuid.as_deref().unwrap());
    assert!(ep.acknowledge_update(&u).unwrap());
    assert!(matches!(sub.next().await, Some(Event::Acknowledged(_))));
    ep.shutdown().await;
}

#[tokio::test]
async fn bad_protobuf_calls_are_refused_naming_the_field() {
    let (ep, _events) = registered().await;
    let mut calls = Calls::connect(ep.local_addr()).await;

    let (code, body) = calls.post(PROTOBUF, b"\xff\xff\xff").await;
    assert_eq!(code, 400);
    assert!(
        body.starts_with("Failed to parse body into Call protobuf: "),
        "{body}"
    );

    // executor_id only, type HEARTBEAT: framework_id (required) is missing.
    let (code, body) = calls
        .post(PROTOBUF, &[0x0a, 0x03, 0x0a, 0x01, b'e', 0x18, 0x04])
        .await;
    assert_eq!(
        (code, body.as_str()),
        (
            400,
            "Failed to parse body into Call protobuf: framework_id: missing required field"
        )
    );

    // An UPDATE whose status has a state this build does not know.
    let mut call = Call::update(EID.into(), FID.into(), status("t", TaskState::Running))
        .into_proto()
        .unwrap();
    call.update.as_mut().unwrap().status.state = 99;
    let (code, body) = calls.post(PROTOBUF, &mesos_proto::encode(&call)).await;
    assert_eq!(code, 400);
    assert!(body.contains("update.status.state"), "{body}");

    // Validation applies as for JSON: an UPDATE without its update.
    let mut call = Call::update(EID.into(), FID.into(), status("t", TaskState::Running));
    call.update = None;
    let (code, body) = calls.post(PROTOBUF, &encode_call(call)).await;
    assert_eq!(
        (code, body.as_str()),
        (
            400,
            "Failed to validate Executor::Call: Expecting 'update' to be present"
        )
    );

    // HEARTBEAT in protobuf: 202.
    let (code, _) = calls
        .post(
            PROTOBUF,
            &encode_call(Call::heartbeat(EID.into(), FID.into())),
        )
        .await;
    assert_eq!(code, 202);
    ep.shutdown().await;
}
