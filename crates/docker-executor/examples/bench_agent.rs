//! A minimal agent for `scripts/bench/executor`: hosts the executor API endpoint, runs one
//! `sleep` task with the given `mesos-docker-executor` binary, and once the task is RUNNING
//! (and again after some seconds) prints the executor's VmRSS next to that of its `docker`
//! CLI child; then kills the task and waits for the executor to exit.
//!
//! Usage: bench_agent <path to mesos-docker-executor> [image] [settle seconds]

use agent_endpoint::{AgentEndpoint, EndpointConfig, EndpointEvent};
use mesos_types::status::TaskState;
use mesos_types::task::{ExecutorInfo, FrameworkInfo, TaskInfo};
use mesos_types::{ContainerId, ExecutorId, FrameworkId};
use std::time::Duration;

fn status_field(pid: u32, field: &str) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find(|l| l.starts_with(field))
        .map(|l| l[field.len()..].trim().to_string())
}

fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if status_field(child, "PPid:").and_then(|p| p.parse::<u32>().ok()) == Some(pid) {
            out.push(child);
        }
    }
    out
}

fn report(label: &str, pid: u32) {
    let rss = status_field(pid, "VmRSS:").unwrap_or_else(|| "?".into());
    let hwm = status_field(pid, "VmHWM:").unwrap_or_else(|| "?".into());
    let threads = status_field(pid, "Threads:").unwrap_or_else(|| "?".into());
    let anon = status_field(pid, "RssAnon:").unwrap_or_else(|| "?".into());
    let file = status_field(pid, "RssFile:").unwrap_or_else(|| "?".into());
    println!("{label:<28} mesos-docker-executor  pid {pid:<7} VmRSS {rss:<10} VmHWM {hwm:<10} (anon {anon}, file {file}) threads {threads}");
    for child in children(pid) {
        let name = status_field(child, "Name:").unwrap_or_default();
        let rss = status_field(child, "VmRSS:").unwrap_or_else(|| "?".into());
        println!("{:<28} child {name:<16} pid {child:<7} VmRSS {rss}", "");
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let binary = args
        .next()
        .expect("usage: bench_agent <mesos-docker-executor> [image] [settle secs]");
    let image = args
        .next()
        .unwrap_or_else(|| "mesos-test/busybox:latest".into());
    let settle: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(5);

    let mut config = EndpointConfig::new("127.0.0.1:0".parse().unwrap());
    config.auto_acknowledge = true;
    let (endpoint, mut events) = AgentEndpoint::bind(config).await.unwrap();
    let fid = FrameworkId::new("bench");
    let eid = ExecutorId::new("bench-task");
    let mut fi = FrameworkInfo::new("root", "bench");
    fi.id = Some(fid.clone());
    let cid = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let container = format!("mesos-{cid}");
    endpoint
        .register_executor(fi, ExecutorInfo::new(eid.clone()), ContainerId::new(&cid))
        .unwrap();
    let task: TaskInfo = serde_json::from_value(serde_json::json!({
        "name": "bench", "task_id": {"value": "bench-task"}, "agent_id": {"value": "S1"},
        "command": {"value": "exec sleep 600"},
        "kill_policy": {"grace_period": {"nanoseconds": 0}},
        "container": {"type": "DOCKER", "docker": {"image": image}}
    }))
    .unwrap();
    endpoint.launch_task(&fid, &eid, task.clone()).unwrap();

    let sandbox = std::env::temp_dir().join(&container);
    std::fs::create_dir_all(&sandbox).unwrap();
    let mut child = tokio::process::Command::new(&binary)
        .args([
            "--container",
            &container,
            "--docker=docker",
            "--docker_socket=/var/run/docker.sock",
            "--launcher_dir=/tmp",
            "--mapped_directory=/mnt/mesos/sandbox",
            &format!("--sandbox_directory={}", sandbox.display()),
        ])
        .env("MESOS_AGENT_ENDPOINT", endpoint.local_addr().to_string())
        .env("MESOS_FRAMEWORK_ID", fid.as_str())
        .env("MESOS_EXECUTOR_ID", eid.as_str())
        .env("MESOS_CHECKPOINT", "0")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    loop {
        match tokio::time::timeout(Duration::from_secs(120), events.recv()).await {
            Ok(Some(EndpointEvent::Update(u))) if u.status.state == TaskState::Running => break,
            Ok(Some(EndpointEvent::Update(u))) if u.status.state.is_terminal() => {
                panic!("task ended early: {:?}", u.status.message)
            }
            Ok(Some(_)) => {}
            _ => panic!("no TASK_RUNNING"),
        }
    }
    report("at TASK_RUNNING", pid);
    tokio::time::sleep(Duration::from_secs(settle)).await;
    report(&format!("after {settle}s running"), pid);

    endpoint.kill_task(&fid, &eid, &task.task_id, None).unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(60), child.wait()).await;
    let _ = std::process::Command::new("docker")
        .args(["rm", "-f", "-v", &container])
        .output();
    let _ = std::fs::remove_dir_all(&sandbox);
}
