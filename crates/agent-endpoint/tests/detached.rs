//! An endpoint served from its owner's own HTTP server ([`AgentEndpoint::detached`] +
//! [`AgentEndpoint::handle`]): executor API paths go to the endpoint, the owner answers the
//! rest, all on one port.

use agent_endpoint::{is_executor_api_path, AgentEndpoint, EndpointConfig, EndpointEvent};
use bytes::Bytes;
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::Response;
use hyper_util::rt::TokioIo;
use mesos_types::executor::{Call, Subscribe};
use mesos_types::status::{TaskState, TaskStatus};
use mesos_types::task::{ExecutorInfo, FrameworkInfo, TaskInfo};
use mesos_types::ContainerId;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const WAIT: Duration = Duration::from_secs(20);

/// The owner's server: executor paths to the endpoint, everything else answered "owner".
async fn serve(listener: TcpListener, endpoint: AgentEndpoint) {
    loop {
        let (stream, _) = listener.accept().await.unwrap();
        let endpoint = endpoint.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let endpoint = endpoint.clone();
                async move {
                    let response: Response<UnsyncBoxBody<Bytes, std::convert::Infallible>> =
                        if is_executor_api_path(req.uri().path()) {
                            endpoint.handle(req).await.map(BodyExt::boxed_unsync)
                        } else {
                            Response::new(Full::new(Bytes::from("owner")).boxed_unsync())
                        };
                    Ok::<_, std::convert::Infallible>(response)
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn post(path: &str, body: &[u8]) -> Vec<u8> {
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: agent\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    req
}

/// Reads from `conn` until `needle` was seen.
async fn read_until(conn: &mut TcpStream, needle: &str) -> String {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    tokio::time::timeout(WAIT, async {
        loop {
            let n = conn.read(&mut buf).await.unwrap();
            assert!(
                n > 0,
                "connection closed; got {}",
                String::from_utf8_lossy(&seen)
            );
            seen.extend_from_slice(&buf[..n]);
            if String::from_utf8_lossy(&seen).contains(needle) {
                return;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {needle:?} in {}", String::from_utf8_lossy(&seen)));
    String::from_utf8_lossy(&seen).into_owned()
}

#[tokio::test]
async fn the_owner_serves_the_executor_api_and_its_own_routes_on_one_port() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let mut config = EndpointConfig::new(addr);
    config.agent_info = serde_json::json!({"id": {"value": "S1"}});
    let (endpoint, mut events) = AgentEndpoint::detached(config);
    assert_eq!(endpoint.local_addr(), addr);
    let mut framework = FrameworkInfo::new("root", "fw");
    framework.id = Some("fw-1".into());
    endpoint
        .register_executor(framework, ExecutorInfo::new("ex-1"), ContainerId::new("c1"))
        .unwrap();
    let mut task = TaskInfo::new("t", "task-1");
    task.agent_id = "S1".into();
    endpoint
        .launch_task(&"fw-1".into(), &"ex-1".into(), task)
        .unwrap();
    tokio::spawn(serve(listener, endpoint.clone()));

    // The owner's own route.
    let mut other = TcpStream::connect(addr).await.unwrap();
    other
        .write_all(b"GET /something HTTP/1.1\r\nHost: agent\r\n\r\n")
        .await
        .unwrap();
    read_until(&mut other, "owner").await;

    // SUBSCRIBE through the owner's server: SUBSCRIBED (with our advertised port), LAUNCH.
    let call = Call::subscribe("ex-1".into(), "fw-1".into(), Subscribe::default());
    let mut sub = TcpStream::connect(addr).await.unwrap();
    sub.write_all(&post(
        "/api/v1/executor",
        &serde_json::to_vec(&call).unwrap(),
    ))
    .await
    .unwrap();
    let seen = read_until(&mut sub, "LAUNCH").await;
    assert!(seen.starts_with("HTTP/1.1 200"), "{seen}");
    assert!(seen.contains("SUBSCRIBED"), "{seen}");
    assert!(
        seen.contains(&format!("\"port\":{}", addr.port())),
        "{seen}"
    );
    let event = tokio::time::timeout(WAIT, events.recv()).await.unwrap();
    assert!(
        matches!(event, Some(EndpointEvent::Subscribed { .. })),
        "{event:?}"
    );

    // An UPDATE on another connection reaches the owner's event stream.
    let mut status = TaskStatus::new("task-1", TaskState::Running);
    status.uuid = Some(uuid::Uuid::new_v4().as_bytes().to_vec());
    status.source = Some(mesos_types::status::Source::Executor);
    status.executor_id = Some("ex-1".into());
    status.timestamp = Some(1_700_000_000.5);
    let update = Call::update("ex-1".into(), "fw-1".into(), status);
    let mut calls = TcpStream::connect(addr).await.unwrap();
    calls
        .write_all(&post(
            "/api/v1/executor",
            &serde_json::to_vec(&update).unwrap(),
        ))
        .await
        .unwrap();
    read_until(&mut calls, "202 Accepted").await;
    let event = tokio::time::timeout(WAIT, events.recv()).await.unwrap();
    match event {
        Some(EndpointEvent::Update(u)) => assert_eq!(u.status.state, TaskState::Running),
        other => panic!("expected an update, got {other:?}"),
    }

    // A path the endpoint does not serve, handed to it anyway: 404, as its own listener says.
    let request = hyper::Request::builder()
        .uri("/nope")
        .body(Full::new(Bytes::new()))
        .unwrap();
    assert_eq!(endpoint.handle(request).await.status(), 404);
}
