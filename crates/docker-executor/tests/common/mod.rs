//! Runs the real `mesos-docker-executor` binary against an agent endpoint hosted in the test,
//! with a real Docker daemon.

#![allow(dead_code)]

use agent_endpoint::{AgentEndpoint, EndpointConfig, EndpointEvent, EndpointEvents};
use mesos_types::status::TaskStatus;
use mesos_types::task::{
    ExecutorInfo, FrameworkCapability, FrameworkCapabilityType, FrameworkInfo, TaskInfo,
};
use mesos_types::{ContainerId, ExecutorId, FrameworkId};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

pub const FID: &str = "fw-test";
/// Bounds a test waits for anything, so a broken executor fails instead of hanging. Not a
/// performance threshold.
pub const WAIT: Duration = Duration::from_secs(120);

#[derive(Default)]
pub struct Options {
    pub checkpoint: bool,
    pub task_environment: Option<String>,
    pub extra_env: Vec<(String, String)>,
    /// Before the executor starts, run a container of the name it will use (`mesos-<id>`),
    /// as a leftover or someone else's would: `sleep 600` of the busybox image.
    pub occupy_name: bool,
    /// `--docker_socket`; the real daemon's when `None`.
    pub docker_socket: Option<std::path::PathBuf>,
}

pub struct Harness {
    pub endpoint: AgentEndpoint,
    pub events: EndpointEvents,
    pub sandbox: tempfile::TempDir,
    pub container: String,
    pub container_id: String,
    pub executor_id: ExecutorId,
    pub executor: Child,
    pub framework_info: FrameworkInfo,
    _guard: test_rig::ContainerGuard,
    /// Acknowledge every update as it arrives.
    pub auto_ack: bool,
}

pub fn framework_info(checkpoint: bool) -> FrameworkInfo {
    let mut f = FrameworkInfo::new("root", "executor-tests");
    f.id = Some(FID.into());
    f.checkpoint = Some(checkpoint);
    f.capabilities = vec![FrameworkCapability {
        r#type: Some(FrameworkCapabilityType::TaskKillingState),
    }];
    f
}

/// A docker task of `image` running `command` through `sh -c`.
pub fn shell_task(name: &str, image: &str, command: &str) -> TaskInfo {
    let json = serde_json::json!({
        "name": name,
        "task_id": {"value": test_rig::unique_name("task-")},
        "agent_id": {"value": "S1"},
        "resources": [
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
            {"name": "mem", "type": "SCALAR", "scalar": {"value": 64.0}}
        ],
        "command": {"shell": true, "value": command},
        "container": {"type": "DOCKER", "docker": {"image": image}}
    });
    serde_json::from_value(json).unwrap()
}

pub async fn bind_endpoint(addr: SocketAddr) -> (AgentEndpoint, EndpointEvents) {
    let mut config = EndpointConfig::new(addr);
    config.agent_info = serde_json::json!({"hostname": "localhost", "id": {"value": "S1"}});
    // A restarted endpoint reuses the port: retry while the old socket goes away.
    for _ in 0..100 {
        match AgentEndpoint::bind(config.clone()).await {
            Ok(pair) => return pair,
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    panic!("cannot bind the agent endpoint on {addr}");
}

impl Harness {
    pub async fn start(task: TaskInfo, opts: Options) -> Harness {
        test_rig::require_docker();
        let (endpoint, events) = bind_endpoint("127.0.0.1:0".parse().unwrap()).await;
        let container_id = test_rig::unique_name("exec-test-");
        let container = format!("mesos-{container_id}");
        let guard = test_rig::ContainerGuard(container.clone());
        if opts.occupy_name {
            test_rig::docker(&[
                "run",
                "-d",
                "--name",
                &container,
                test_rig::BUSYBOX_IMAGE,
                "sleep",
                "600",
            ]);
        }
        let executor_id = ExecutorId::new(task.task_id.as_str());
        let fi = framework_info(opts.checkpoint);
        endpoint
            .register_executor(
                fi.clone(),
                ExecutorInfo::new(executor_id.clone()),
                ContainerId::new(&container_id),
            )
            .unwrap();
        endpoint
            .launch_task(&FID.into(), &executor_id, task)
            .unwrap();
        let sandbox = tempfile::tempdir().unwrap();
        let stdout = std::fs::File::create(sandbox.path().join("stdout")).unwrap();
        let stderr = std::fs::File::create(sandbox.path().join("stderr")).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mesos-docker-executor"));
        cmd.arg0("mesos-docker-executor")
            .arg("--cgroups_enable_cfs=false")
            .arg(format!("--container={container}"))
            .arg("--docker=docker")
            .arg(format!(
                "--docker_socket={}",
                opts.docker_socket
                    .as_deref()
                    .unwrap_or(std::path::Path::new("/var/run/docker.sock"))
                    .display()
            ))
            .arg("--help=false")
            .arg("--initialize_driver_logging=true")
            .arg("--launcher_dir=/usr/libexec/mesos")
            .arg("--logbufsecs=0")
            .arg("--logging_level=INFO")
            .arg("--mapped_directory=/mnt/mesos/sandbox")
            .arg("--quiet=false")
            .arg(format!("--sandbox_directory={}", sandbox.path().display()))
            .arg("--stop_timeout=0ns");
        if let Some(te) = &opts.task_environment {
            cmd.arg(format!("--task_environment={te}"));
        }
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("MESOS_AGENT_ENDPOINT", endpoint.local_addr().to_string())
            .env("MESOS_FRAMEWORK_ID", FID)
            .env("MESOS_EXECUTOR_ID", executor_id.as_str())
            .env("MESOS_SLAVE_ID", "S1")
            .env("MESOS_DIRECTORY", sandbox.path())
            .env("MESOS_CHECKPOINT", if opts.checkpoint { "1" } else { "0" })
            .env("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", "5secs")
            .env("RUST_LOG", "info");
        if let Ok(home) = std::env::var("HOME") {
            cmd.env("HOME", home);
        }
        if opts.checkpoint {
            cmd.env("MESOS_RECOVERY_TIMEOUT", "1mins")
                .env("MESOS_SUBSCRIPTION_BACKOFF_MAX", "100ms");
        }
        for (k, v) in &opts.extra_env {
            cmd.env(k, v);
        }
        cmd.current_dir(sandbox.path())
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .kill_on_drop(true);
        let executor = cmd.spawn().expect("spawn mesos-docker-executor");
        Harness {
            endpoint,
            events,
            sandbox,
            container,
            container_id,
            executor_id,
            executor,
            framework_info: fi,
            _guard: guard,
            auto_ack: true,
        }
    }

    pub fn framework_id(&self) -> FrameworkId {
        FID.into()
    }

    /// The next endpoint event.
    pub async fn next_event(&mut self) -> EndpointEvent {
        match tokio::time::timeout(WAIT, self.events.recv()).await {
            Ok(Some(e)) => e,
            Ok(None) => panic!("endpoint event channel closed"),
            Err(_) => panic!(
                "no endpoint event within {WAIT:?}; executor stderr:\n{}",
                self.stderr()
            ),
        }
    }

    /// The next status update (acknowledged when `auto_ack`).
    pub async fn next_update(&mut self) -> (TaskStatus, [u8; 16]) {
        loop {
            if let EndpointEvent::Update(u) = self.next_event().await {
                if self.auto_ack {
                    self.endpoint.acknowledge_update(&u).unwrap();
                }
                return (u.status, u.uuid);
            }
        }
    }

    /// The updates up to the terminal one, which is returned.
    pub async fn next_terminal(&mut self) -> TaskStatus {
        loop {
            let (s, _) = self.next_update().await;
            if s.state.is_terminal() {
                return s;
            }
        }
    }

    /// Asks the executor to kill `task_id` (no kill policy of the call's own).
    pub fn kill(&self, task_id: &mesos_types::TaskId) {
        self.endpoint
            .kill_task(
                &self.framework_id(),
                &self.executor_id.clone(),
                task_id,
                None,
            )
            .unwrap();
    }

    /// Waits for the executor to exit; returns its exit code.
    pub async fn wait_exit(&mut self) -> i32 {
        match tokio::time::timeout(WAIT, self.executor.wait()).await {
            Ok(status) => status.unwrap().code().unwrap_or(-1),
            Err(_) => panic!(
                "executor did not exit within {WAIT:?}; stderr:\n{}",
                self.stderr()
            ),
        }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.sandbox.path().join("stderr")).unwrap_or_default()
    }

    pub fn stdout_path(&self) -> PathBuf {
        self.sandbox.path().join("stdout")
    }
}

/// All `/proc/*/cmdline`s joined, for "not on any argv" checks.
pub fn all_cmdlines() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            out.push((name, cmdline));
        }
    }
    out
}
