//! `mesos-example-executor` as a plain process against the real agent endpoint (no Docker):
//! the updates it sends, the file it leaves, and how it exits.

use agent_endpoint::{AgentEndpoint, EndpointConfig, EndpointEvent, EndpointEvents};
use mesos_types::status::{Source, TaskState};
use mesos_types::task::{ExecutorInfo, FrameworkInfo, TaskInfo};
use mesos_types::{ContainerId, ExecutorId, FrameworkId};
use std::process::Stdio;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_mesos-example-executor");
const FID: &str = "fw-example";
const EID: &str = "ex-example";
/// Bound on the whole exchange, so a broken executor fails the test instead of hanging it.
const HANG_GUARD: Duration = Duration::from_secs(60);

async fn endpoint() -> (AgentEndpoint, EndpointEvents) {
    let mut c = EndpointConfig::new("127.0.0.1:0".parse().unwrap());
    c.agent_info = serde_json::json!({"hostname": "agent.test", "id": {"value": "S1"}});
    let (ep, events) = AgentEndpoint::bind(c).await.unwrap();
    let mut framework = FrameworkInfo::new("root", "test");
    framework.id = Some(FID.into());
    ep.register_executor(framework, ExecutorInfo::new(EID), ContainerId::new("c-1"))
        .unwrap();
    (ep, events)
}

fn executor(ep: &AgentEndpoint, sandbox: &std::path::Path) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.env_clear()
        .env("MESOS_AGENT_ENDPOINT", ep.local_addr().to_string())
        .env("MESOS_FRAMEWORK_ID", FID)
        .env("MESOS_EXECUTOR_ID", EID)
        .env("MESOS_SANDBOX", sandbox)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

#[tokio::test]
async fn runs_a_task_and_exits_after_the_terminal_ack() {
    let sandbox = tempfile::tempdir().unwrap();
    let (ep, mut events) = endpoint().await;
    let mut task = TaskInfo::new("example", "task-42");
    task.agent_id = "S1".into();
    task.data = Some(b"some data".to_vec());
    ep.launch_task(&FrameworkId::new(FID), &ExecutorId::new(EID), task)
        .unwrap();
    let child = executor(&ep, sandbox.path()).spawn().unwrap();

    let mut states = Vec::new();
    let exchange = async {
        while let Some(event) = events.recv().await {
            if let EndpointEvent::Update(update) = event {
                assert_eq!(update.status.source, Some(Source::Executor));
                assert_eq!(update.status.executor_id, Some(ExecutorId::new(EID)));
                states.push(update.status.state);
                ep.acknowledge_update(&update).unwrap();
                if update.status.state.is_terminal() {
                    assert_eq!(
                        update.status.message.as_deref(),
                        Some("example executor finished task-42")
                    );
                    break;
                }
            }
        }
        child.wait_with_output().await.unwrap()
    };
    let out = tokio::time::timeout(HANG_GUARD, exchange)
        .await
        .expect("the executor neither finished the task nor exited");
    assert!(
        out.status.success(),
        "exit {:?}; stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        states,
        [TaskState::Starting, TaskState::Running, TaskState::Finished]
    );
    let ran = std::fs::read_to_string(sandbox.path().join("executor-ran.txt")).unwrap();
    assert_eq!(ran, "task-42\nsome data");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("example executor ran task task-42"),
        "{stdout}"
    );
    ep.shutdown().await;
}

#[tokio::test]
async fn exits_on_shutdown_without_updates() {
    let sandbox = tempfile::tempdir().unwrap();
    let (ep, mut events) = endpoint().await;
    // Before it subscribes: the endpoint answers its SUBSCRIBE with SHUTDOWN.
    ep.shutdown_executor(&FrameworkId::new(FID), &ExecutorId::new(EID))
        .unwrap();
    let child = executor(&ep, sandbox.path()).spawn().unwrap();
    let out = tokio::time::timeout(HANG_GUARD, child.wait_with_output())
        .await
        .expect("the executor did not exit on SHUTDOWN")
        .unwrap();
    assert!(
        out.status.success(),
        "exit {:?}; stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    while let Ok(event) = events.try_recv() {
        assert!(
            !matches!(event, EndpointEvent::Update(_)),
            "unexpected update: {event:?}"
        );
    }
    assert!(!sandbox.path().join("executor-ran.txt").exists());
    ep.shutdown().await;
}

#[tokio::test]
async fn missing_environment_is_a_clear_failure() {
    let out = tokio::process::Command::new(BIN)
        .env_clear()
        .env("MESOS_AGENT_ENDPOINT", "127.0.0.1:1")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("MESOS_FRAMEWORK_ID is not set"), "{stderr}");
}
