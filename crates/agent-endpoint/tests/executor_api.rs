//! The endpoint against a minimal third-party executor written here as a plain HTTP/1.1
//! client over raw TCP: one `Connection: close` connection for SUBSCRIBE (chunked RecordIO
//! events), one keep-alive connection for the other calls.

mod common;

use agent_endpoint::{AgentEndpoint, EndpointConfig, EndpointEvent, EndpointEvents, KillOutcome};
use common::{read_head, request, Head, RecordStream};
use mesos_types::executor::{Call, Event, Subscribe, Update};
use mesos_types::status::{Source, TaskState, TaskStatus};
use mesos_types::task::{ExecutorInfo, FrameworkInfo, KillPolicy, TaskInfo};
use mesos_types::{ContainerId, ExecutorId, FrameworkId, TaskId};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const FID: &str = "fw-1";
const EID: &str = "exec-1";
/// Generous bound so a broken endpoint fails the test instead of hanging it.
const WAIT: Duration = Duration::from_secs(20);

fn framework_info() -> FrameworkInfo {
    let mut f = FrameworkInfo::new("root", "test-framework");
    f.id = Some(FID.into());
    f
}

fn task(id: &str) -> TaskInfo {
    let mut t = TaskInfo::new("web", id);
    t.agent_id = "S1".into();
    t
}

async fn endpoint(config: impl FnOnce(&mut EndpointConfig)) -> (AgentEndpoint, EndpointEvents) {
    let mut c = EndpointConfig::new("127.0.0.1:0".parse().unwrap());
    c.agent_info = serde_json::json!({"hostname": "agent.test", "id": {"value": "S1"}});
    config(&mut c);
    AgentEndpoint::bind(c).await.unwrap()
}

async fn registered(config: impl FnOnce(&mut EndpointConfig)) -> (AgentEndpoint, EndpointEvents) {
    let (ep, events) = endpoint(config).await;
    ep.register_executor(
        framework_info(),
        ExecutorInfo::new(EID),
        ContainerId::new("c-1"),
    )
    .unwrap();
    (ep, events)
}

/// A parsed HTTP response head.
/// The keep-alive call connection of the executor.
struct Calls {
    conn: BufReader<TcpStream>,
}

impl Calls {
    async fn connect(addr: SocketAddr) -> Self {
        Self {
            conn: BufReader::new(TcpStream::connect(addr).await.unwrap()),
        }
    }

    async fn raw(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (Head, String) {
        let req = request(method, path, headers, body, false);
        self.conn.get_mut().write_all(&req).await.unwrap();
        let head = read_head(&mut self.conn).await;
        let len: usize = head
            .header("content-length")
            .unwrap_or("0")
            .parse()
            .unwrap();
        let mut body = vec![0; len];
        self.conn.read_exact(&mut body).await.unwrap();
        (head, String::from_utf8(body).unwrap())
    }

    async fn call(&mut self, call: &Call) -> (u16, String) {
        let body = serde_json::to_vec(call).unwrap();
        let (head, text) = self
            .raw(
                "POST",
                "/api/v1/executor",
                &[("Content-Type", "application/json")],
                &body,
            )
            .await;
        (head.status, text)
    }
}

/// The SUBSCRIBE connection, decoding chunked transfer encoding and then RecordIO.
struct Subscription {
    records: RecordStream,
}

impl Subscription {
    async fn open(addr: SocketAddr, path: &str, subscribe: Subscribe) -> (Head, Option<Self>) {
        let call = Call::subscribe(EID.into(), FID.into(), subscribe);
        let body = serde_json::to_vec(&call).unwrap();
        let mut conn = BufReader::new(TcpStream::connect(addr).await.unwrap());
        let req = request(
            "POST",
            path,
            &[
                ("Content-Type", "application/json"),
                ("Accept", "application/json"),
            ],
            &body,
            true,
        );
        conn.get_mut().write_all(&req).await.unwrap();
        let head = read_head(&mut conn).await;
        if head.status != 200 {
            return (head, None);
        }
        assert_eq!(head.header("content-type"), Some("application/json"));
        assert_eq!(head.header("transfer-encoding"), Some("chunked"));
        assert!(head.header("content-length").is_none());
        let sub = Subscription {
            records: RecordStream::new(conn),
        };
        (head, Some(sub))
    }

    async fn subscribe(addr: SocketAddr, subscribe: Subscribe) -> Self {
        let (head, sub) = Self::open(addr, "/api/v1/executor", subscribe).await;
        assert_eq!(head.status, 200);
        sub.unwrap()
    }

    /// The next event, or `None` when the stream ended.
    async fn next(&mut self) -> Option<Event> {
        tokio::time::timeout(WAIT, self.next_inner())
            .await
            .expect("no event within the test bound")
    }

    async fn next_inner(&mut self) -> Option<Event> {
        let record = self.records.next_record().await?;
        Some(serde_json::from_slice(&record).unwrap())
    }

    /// The next event that is not a HEARTBEAT.
    async fn next_non_heartbeat(&mut self) -> Option<Event> {
        loop {
            match self.next().await {
                Some(Event::Heartbeat) => continue,
                other => return other,
            }
        }
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

fn update(s: TaskStatus) -> Call {
    Call::update(EID.into(), FID.into(), s)
}

#[tokio::test]
async fn subscribe_launch_update_acknowledge_and_dedup() {
    let (ep, mut events) = registered(|_| {}).await;
    assert!(!ep
        .launch_task(&FID.into(), &EID.into(), task("t1"))
        .unwrap());
    let addr = ep.local_addr();

    let mut sub = Subscription::subscribe(addr, Subscribe::default()).await;
    let Some(Event::Subscribed(s)) = sub.next().await else {
        panic!("first event is not SUBSCRIBED")
    };
    assert_eq!(s.framework_info.id.as_ref().unwrap().as_str(), FID);
    assert_eq!(s.executor_info.executor_id.as_str(), EID);
    assert_eq!(s.container_id.as_ref().unwrap().as_str(), "c-1");
    assert_eq!(s.agent_info["hostname"], "agent.test");
    assert_eq!(s.agent_info["port"], addr.port());
    let Some(Event::Launch(l)) = sub.next().await else {
        panic!("second event is not LAUNCH")
    };
    assert_eq!(l.task.task_id.as_str(), "t1");
    assert_eq!(
        next_event(&mut events).await,
        EndpointEvent::Subscribed {
            framework_id: FID.into(),
            executor_id: EID.into(),
            reconnected: false
        }
    );
    assert_eq!(ep.is_connected(&FID.into(), &EID.into()), Some(true));

    let mut calls = Calls::connect(addr).await;
    let running = status("t1", TaskState::Running);
    let (code, body) = calls.call(&update(running.clone())).await;
    assert_eq!((code, body.as_str()), (202, ""));

    let EndpointEvent::Update(u) = next_event(&mut events).await else {
        panic!("no update")
    };
    assert_eq!(u.status.state, TaskState::Running);
    assert_eq!(u.status.agent_id.as_ref().unwrap().as_str(), "S1");
    assert_eq!(
        u.status
            .container_status
            .as_ref()
            .unwrap()
            .container_id
            .as_ref()
            .unwrap()
            .as_str(),
        "c-1"
    );
    assert_eq!(&u.uuid[..], running.uuid.as_deref().unwrap());

    // No ACK until the owner accepts the update.
    assert!(ep.acknowledge_update(&u).unwrap());
    let Some(Event::Acknowledged(ack)) = sub.next().await else {
        panic!("no ACKNOWLEDGED")
    };
    assert_eq!(ack.task_id.as_str(), "t1");
    assert_eq!(Some(ack.uuid.as_slice()), running.uuid.as_deref());

    // The same uuid again: 202, ACKed again, not delivered to the owner twice.
    let (code, _) = calls.call(&update(running.clone())).await;
    assert_eq!(code, 202);
    let Some(Event::Acknowledged(again)) = sub.next().await else {
        panic!("duplicate not ACKed")
    };
    assert_eq!(again.uuid, ack.uuid);

    // A new update arrives next (so the duplicate really was not forwarded).
    let finished = status("t1", TaskState::Finished);
    assert_eq!(calls.call(&update(finished.clone())).await.0, 202);
    let EndpointEvent::Update(u) = next_event(&mut events).await else {
        panic!("no update")
    };
    assert_eq!(u.status.state, TaskState::Finished);
    ep.acknowledge_update(&u).unwrap();
    let Some(Event::Acknowledged(_)) = sub.next().await else {
        panic!("no ACK")
    };

    // After the terminal update: dropped but ACKed, not forwarded.
    let late = status("t1", TaskState::Running);
    assert_eq!(calls.call(&update(late.clone())).await.0, 202);
    let Some(Event::Acknowledged(a)) = sub.next().await else {
        panic!("late update not ACKed")
    };
    assert_eq!(Some(a.uuid.as_slice()), late.uuid.as_deref());
    assert!(events.try_recv().is_err(), "late update was forwarded");

    // Unknown uuids cannot be acknowledged.
    assert!(ep
        .acknowledge(&FID.into(), &EID.into(), &"t1".into(), [7; 16])
        .is_err());
    ep.shutdown().await;
}

#[tokio::test]
async fn every_status_code() {
    let (ep, _events) = registered(|_| {}).await;
    ep.launch_task(&FID.into(), &EID.into(), task("t1"))
        .unwrap();
    let addr = ep.local_addr();
    let mut c = Calls::connect(addr).await;
    let json = [("Content-Type", "application/json")];
    let heartbeat = serde_json::to_vec(&Call::heartbeat(EID.into(), FID.into())).unwrap();

    let (h, body) = c.raw("POST", "/api/v1/nothing", &json, &heartbeat).await;
    assert_eq!(h.status, 404, "{body}");

    let (h, body) = c.raw("GET", "/api/v1/executor", &[], b"").await;
    assert_eq!(h.status, 405, "{body}");
    assert_eq!(h.header("allow"), Some("POST"));

    let (h, body) = c.raw("POST", "/api/v1/executor", &[], &heartbeat).await;
    assert_eq!(
        (h.status, body.as_str()),
        (400, "Expecting 'Content-Type' to be present")
    );

    let (h, body) = c
        .raw(
            "POST",
            "/api/v1/executor",
            &[("Content-Type", "application/x-protobuf")],
            b"\x08\x04",
        )
        .await;
    // Protobuf is accepted (tests/protobuf.rs); these two bytes are not a Call.
    assert_eq!(h.status, 400);
    assert!(
        body.starts_with("Failed to parse body into Call protobuf: "),
        "{body}"
    );
    assert_eq!(h.header("content-type"), Some("text/plain; charset=utf-8"));

    let (h, body) = c
        .raw(
            "POST",
            "/api/v1/executor",
            &[("Content-Type", "application/json; charset=utf-8")],
            &heartbeat,
        )
        .await;
    assert_eq!(h.status, 415);
    assert_eq!(
        body,
        "Expecting 'Content-Type' of application/json or application/x-protobuf"
    );

    let (h, body) = c.raw("POST", "/api/v1/executor", &json, b"{not json").await;
    assert_eq!(h.status, 400);
    assert!(
        body.starts_with("Failed to parse body into JSON: "),
        "{body}"
    );

    let (h, body) = c
        .raw(
            "POST",
            "/api/v1/executor",
            &json,
            br#"{"type":"HEARTBEAT","executor_id":{"value":"e"},"framework_id":5}"#,
        )
        .await;
    assert_eq!(h.status, 400);
    assert!(
        body.starts_with("Failed to convert JSON into Call protobuf: framework_id"),
        "{body}"
    );

    let (h, body) = c
        .raw(
            "POST",
            "/api/v1/executor",
            &json,
            br#"{"executor_id":{"value":"e"},"framework_id":{"value":"f"}}"#,
        )
        .await;
    assert_eq!(h.status, 400);
    assert_eq!(
        body,
        "Failed to validate Executor::Call: Expecting 'type' to be present"
    );

    let mut staging = status("t1", TaskState::Staging);
    staging.executor_id = None;
    let (code, body) = c.call(&update(staging)).await;
    assert_eq!(code, 400);
    assert!(body.contains("TASK_STAGING"), "{body}");

    // Accept: only recordio → 406.
    let sub = serde_json::to_vec(&Call::subscribe(
        EID.into(),
        FID.into(),
        Subscribe::default(),
    ))
    .unwrap();
    let (h, body) = c
        .raw(
            "POST",
            "/api/v1/executor",
            &[
                ("Content-Type", "application/json"),
                ("Accept", "application/recordio"),
            ],
            &sub,
        )
        .await;
    assert_eq!(h.status, 406);
    assert_eq!(
        body,
        "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'"
    );

    // HEARTBEAT: 202 before any lookup (even for unknown ids).
    let (code, _) = c
        .call(&Call::heartbeat("unused".into(), "unused".into()))
        .await;
    assert_eq!(code, 202);

    let (code, body) = c
        .call(&Call::message(
            EID.into(),
            "other-framework".into(),
            b"x".to_vec(),
        ))
        .await;
    assert_eq!((code, body.as_str()), (400, "Framework cannot be found"));
    let (code, body) = c
        .call(&Call::message(
            "other-executor".into(),
            FID.into(),
            b"x".to_vec(),
        ))
        .await;
    assert_eq!((code, body.as_str()), (400, "Executor cannot be found"));

    // Not subscribed yet: UPDATE and MESSAGE are 403.
    let (code, body) = c.call(&update(status("t1", TaskState::Running))).await;
    assert_eq!((code, body.as_str()), (403, "Executor is not subscribed"));
    let (code, _) = c
        .call(&Call::message(EID.into(), FID.into(), b"x".to_vec()))
        .await;
    assert_eq!(code, 403);

    // UNKNOWN type: 501 (after subscribing, so the lookup passes).
    let mut s = Subscription::subscribe(addr, Subscribe::default()).await;
    assert!(matches!(s.next().await, Some(Event::Subscribed(_))));
    let (h, _) = c
        .raw("POST", "/api/v1/executor", &json, br#"{"type":"UNKNOWN","executor_id":{"value":"exec-1"},"framework_id":{"value":"fw-1"}}"#)
        .await;
    assert_eq!(h.status, 501);

    // The keep-alive connection served every one of these requests.
    let (code, _) = c
        .call(&Call::message(EID.into(), FID.into(), b"x".to_vec()))
        .await;
    assert_eq!(code, 202);
    ep.shutdown().await;
}

#[tokio::test]
async fn slave_path_kill_message_shutdown_and_heartbeats() {
    let (ep, mut events) = registered(|c| c.heartbeat_interval = Duration::from_millis(20)).await;
    ep.launch_task(&FID.into(), &EID.into(), task("t1"))
        .unwrap();
    let (head, sub) = Subscription::open(
        ep.local_addr(),
        "/slave(1)/api/v1/executor",
        Subscribe::default(),
    )
    .await;
    assert_eq!(head.status, 200);
    let mut sub = sub.unwrap();
    assert!(matches!(sub.next().await, Some(Event::Subscribed(_))));
    assert!(matches!(sub.next().await, Some(Event::Launch(_))));
    // Heartbeats come on their own.
    loop {
        if let Some(Event::Heartbeat) = sub.next().await {
            break;
        }
    }
    let _ = next_event(&mut events).await; // Subscribed

    let mut calls = Calls::connect(ep.local_addr()).await;
    assert_eq!(
        calls
            .call(&update(status("t1", TaskState::Running)))
            .await
            .0,
        202
    );

    let policy = KillPolicy {
        grace_period: Some(mesos_types::duration::DurationInfo::from_nanos(
            3_000_000_000,
        )),
    };
    assert_eq!(
        ep.kill_task(&FID.into(), &EID.into(), &"t1".into(), Some(policy))
            .unwrap(),
        KillOutcome::Sent
    );
    let Some(Event::Kill(k)) = sub.next_non_heartbeat().await else {
        panic!("no KILL")
    };
    assert_eq!(k.task_id.as_str(), "t1");
    assert_eq!(k.kill_policy, Some(policy));
    assert!(ep
        .kill_task(&FID.into(), &EID.into(), &"nope".into(), None)
        .is_err());

    assert!(ep
        .send_message(&FID.into(), &EID.into(), b"hello".to_vec())
        .unwrap());
    let Some(Event::Message(m)) = sub.next_non_heartbeat().await else {
        panic!("no MESSAGE")
    };
    assert_eq!(m.data, b"hello");

    assert_eq!(
        calls
            .call(&Call::message(EID.into(), FID.into(), b"up".to_vec()))
            .await
            .0,
        202
    );
    loop {
        if let EndpointEvent::Message { data, .. } = next_event(&mut events).await {
            assert_eq!(data, b"up");
            break;
        }
    }

    assert!(ep.shutdown_executor(&FID.into(), &EID.into()).unwrap());
    assert!(matches!(
        sub.next_non_heartbeat().await,
        Some(Event::Shutdown)
    ));
    assert!(ep
        .launch_task(&FID.into(), &EID.into(), task("t2"))
        .is_err());

    // A SUBSCRIBE after SHUTDOWN gets SHUTDOWN and a closed stream.
    let mut again = Subscription::subscribe(ep.local_addr(), Subscribe::default()).await;
    assert!(matches!(again.next().await, Some(Event::Shutdown)));
    assert!(again.next().await.is_none());
    ep.shutdown().await;
}

#[tokio::test]
async fn disconnect_resubscribe_replays_updates_and_declares_unknown_tasks_lost() {
    let (ep, mut events) = registered(|_| {}).await;
    let (fid, eid) = (FrameworkId::from(FID), ExecutorId::from(EID));
    ep.launch_task(&fid, &eid, task("t1")).unwrap();
    ep.launch_task(&fid, &eid, task("t2")).unwrap();
    let addr = ep.local_addr();

    let mut sub = Subscription::subscribe(addr, Subscribe::default()).await;
    assert!(matches!(sub.next().await, Some(Event::Subscribed(_))));
    assert!(matches!(sub.next().await, Some(Event::Launch(_))));
    assert!(matches!(sub.next().await, Some(Event::Launch(_))));
    let _ = next_event(&mut events).await;

    let mut calls = Calls::connect(addr).await;
    let starting = status("t1", TaskState::Starting);
    assert_eq!(calls.call(&update(starting.clone())).await.0, 202);
    let EndpointEvent::Update(u1) = next_event(&mut events).await else {
        panic!("no update")
    };

    // The executor goes away; the owner hears of it.
    drop(sub);
    assert_eq!(
        next_event(&mut events).await,
        EndpointEvent::Disconnected {
            framework_id: fid.clone(),
            executor_id: eid.clone()
        }
    );
    assert_eq!(ep.is_connected(&fid, &eid), Some(false));
    // Accepted while disconnected: the ACK cannot go anywhere now.
    assert!(!ep.acknowledge_update(&u1).unwrap());
    // A kill while disconnected waits for the new subscription.
    assert_eq!(
        ep.kill_task(&fid, &eid, &"t1".into(), None).unwrap(),
        KillOutcome::Queued
    );

    // Resubscribe listing t1 only, replaying its update and a new one.
    let running = status("t1", TaskState::Running);
    let resubscribe = Subscribe {
        unacknowledged_tasks: vec![task("t1")],
        unacknowledged_updates: vec![
            Update {
                status: starting.clone(),
            },
            Update {
                status: running.clone(),
            },
        ],
    };
    let mut sub = Subscription::subscribe(addr, resubscribe).await;
    assert!(matches!(sub.next().await, Some(Event::Subscribed(_))));
    assert_eq!(
        next_event(&mut events).await,
        EndpointEvent::Subscribed {
            framework_id: fid.clone(),
            executor_id: eid.clone(),
            reconnected: true
        }
    );
    let EndpointEvent::TaskLost { task, .. } = next_event(&mut events).await else {
        panic!("t2 not declared lost")
    };
    assert_eq!(task.task_id.as_str(), "t2");
    // The replayed STARTING was accepted already: ACKed at once, not delivered again.
    let Some(Event::Acknowledged(a)) = sub.next().await else {
        panic!("replayed update not ACKed")
    };
    assert_eq!(Some(a.uuid.as_slice()), starting.uuid.as_deref());
    // The RUNNING one is new.
    let EndpointEvent::Update(u2) = next_event(&mut events).await else {
        panic!("no replayed update")
    };
    assert_eq!(u2.status.state, TaskState::Running);
    // Then the queued KILL.
    let Some(Event::Kill(k)) = sub.next().await else {
        panic!("queued KILL not delivered")
    };
    assert_eq!(k.task_id, TaskId::from("t1"));
    ep.shutdown().await;
    // The endpoint's shutdown ends the stream.
    assert!(sub.next().await.is_none());
}

#[tokio::test]
async fn a_new_subscription_replaces_the_old_one_and_unlaunched_kills_are_withdrawn() {
    let (ep, mut events) = registered(|c| c.auto_acknowledge = true).await;
    let (fid, eid) = (FrameworkId::from(FID), ExecutorId::from(EID));
    ep.launch_task(&fid, &eid, task("t1")).unwrap();
    ep.launch_task(&fid, &eid, task("t2")).unwrap();
    let KillOutcome::NotLaunched(t) = ep.kill_task(&fid, &eid, &"t2".into(), None).unwrap() else {
        panic!("queued task not withdrawn")
    };
    assert_eq!(t.task_id.as_str(), "t2");

    let mut first = Subscription::subscribe(ep.local_addr(), Subscribe::default()).await;
    assert!(matches!(first.next().await, Some(Event::Subscribed(_))));
    assert!(
        matches!(first.next().await, Some(Event::Launch(l)) if l.task.task_id.as_str() == "t1")
    );
    let mut second = Subscription::subscribe(
        ep.local_addr(),
        Subscribe {
            unacknowledged_tasks: vec![task("t1")],
            ..Subscribe::default()
        },
    )
    .await;
    assert!(matches!(second.next().await, Some(Event::Subscribed(_))));
    assert!(first.next().await.is_none(), "old stream still open");
    let _ = next_event(&mut events).await;
    let _ = next_event(&mut events).await;

    // auto_acknowledge: the ACK follows right away, on the new stream.
    let mut calls = Calls::connect(ep.local_addr()).await;
    let s = status("t1", TaskState::Running);
    assert_eq!(calls.call(&update(s.clone())).await.0, 202);
    let Some(Event::Acknowledged(a)) = second.next().await else {
        panic!("no auto ACK")
    };
    assert_eq!(Some(a.uuid.as_slice()), s.uuid.as_deref());
    // The replaced stream's end was not reported as a disconnection.
    assert!(matches!(
        next_event(&mut events).await,
        EndpointEvent::Update(_)
    ));
    assert!(events.try_recv().is_err());
    ep.shutdown().await;
}

#[tokio::test]
async fn executor_without_tasks_gets_shutdown_instead_of_subscribed() {
    let (ep, _events) = registered(|_| {}).await;
    let mut sub = Subscription::subscribe(ep.local_addr(), Subscribe::default()).await;
    assert!(matches!(sub.next().await, Some(Event::Shutdown)));
    ep.shutdown().await;
}

#[tokio::test]
async fn recovered_executor_acks_known_updates_and_accepts_new_ones() {
    let (ep, mut events) = endpoint(|_| {}).await;
    let acked = status("t1", TaskState::Starting);
    let acked_uuid: [u8; 16] = acked.uuid.as_deref().unwrap().try_into().unwrap();
    ep.recover_executor(
        framework_info(),
        ExecutorInfo::new(EID),
        ContainerId::new("c-1"),
        vec![task("t1")],
        vec![acked_uuid],
    )
    .unwrap();
    assert!(ep
        .register_executor(
            framework_info(),
            ExecutorInfo::new(EID),
            ContainerId::new("c-1")
        )
        .is_err());
    let fresh = status("t1", TaskState::Running);
    let mut sub = Subscription::subscribe(
        ep.local_addr(),
        Subscribe {
            unacknowledged_tasks: vec![],
            unacknowledged_updates: vec![
                Update { status: acked },
                Update {
                    status: fresh.clone(),
                },
            ],
        },
    )
    .await;
    assert!(matches!(sub.next().await, Some(Event::Subscribed(_))));
    assert!(matches!(sub.next().await, Some(Event::Acknowledged(_))));
    assert!(matches!(
        next_event(&mut events).await,
        EndpointEvent::Subscribed {
            reconnected: true,
            ..
        }
    ));
    let EndpointEvent::Update(u) = next_event(&mut events).await else {
        panic!("no update")
    };
    assert_eq!(Some(&u.uuid[..]), fresh.uuid.as_deref());
    // A wrong agent id: 202, then dropped without an ACK.
    let mut wrong = status("t1", TaskState::Running);
    wrong.agent_id = Some("S-other".into());
    let mut calls = Calls::connect(ep.local_addr()).await;
    assert_eq!(calls.call(&update(wrong)).await.0, 202);
    ep.unregister_executor(&FID.into(), &EID.into()).unwrap();
    // Its stream ends; a forgotten executor is not reported as disconnected.
    assert!(sub.next().await.is_none());
    assert!(events.try_recv().is_err());
    ep.shutdown().await;
}
