//! A minimal agent for `scripts/bench/executor`: hosts the executor API endpoint, runs one
//! `sleep` task with the given `mesos-docker-executor` binary, and once the task is RUNNING
//! (and again after some seconds) prints the executor's VmRSS and that of every process it
//! keeps (none since the executor drives the container through the Engine API): the host
//! memory the task costs outside its container. Then, as the baseline of the same run, the
//! VmRSS of an attached `docker run` CLI (what every task cost on top of its executor while
//! the executor ran one); then kills the task and waits for the executor to exit.
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

fn rss_kib(pid: u32) -> u64 {
    status_field(pid, "VmRSS:")
        .and_then(|v| v.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// Prints the executor and its children; returns their total VmRSS in KiB.
fn report(label: &str, pid: u32) -> u64 {
    let mut total = rss_kib(pid);
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
        total += rss_kib(child);
    }
    println!(
        "{:<28} host memory for the task (executor + children): {total} kB",
        ""
    );
    total
}

/// VmRSS (KiB) of an attached `docker run` CLI once its container runs.
async fn attached_cli_rss(image: &str) -> u64 {
    let name = format!("bench-cli-{}", uuid::Uuid::new_v4().simple());
    let mut cli = tokio::process::Command::new("docker")
        .args(["run", "--rm", "--name", &name, image, "sleep", "600"])
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    for _ in 0..600 {
        let out = std::process::Command::new("docker")
            .args(["inspect", "-f", "{{.State.Running}}", &name])
            .output()
            .unwrap();
        if String::from_utf8_lossy(&out.stdout).trim() == "true" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss = rss_kib(cli.id().unwrap());
    let _ = std::process::Command::new("docker")
        .args(["rm", "-f", &name])
        .output();
    let _ = cli.wait().await;
    rss
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
    let ours = report(&format!("after {settle}s running"), pid);
    let cli = attached_cli_rss(&image).await;
    let executor = rss_kib(pid);
    println!(
        "host memory per task: {ours} kB ({:.2} MiB; goal <= 5 MiB); with an attached docker run \
         CLI as before: {} kB (executor {executor} + CLI {cli}); ratio {:.2}",
        ours as f64 / 1024.0,
        executor + cli,
        ours as f64 / (executor + cli) as f64
    );

    endpoint.kill_task(&fid, &eid, &task.task_id, None).unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(60), child.wait()).await;
    let _ = std::process::Command::new("docker")
        .args(["rm", "-f", "-v", &container])
        .output();
    let _ = std::fs::remove_dir_all(&sandbox);
}
