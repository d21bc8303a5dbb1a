//! Image as executor (Path B: the custom executor's image is the container) through
//! `mesos-docker-containerizer run TASK.json --executor EXECUTOR.json` against the real
//! Docker daemon: the executor image runs as `mesos-<ContainerID>`, registers with the
//! containerizer's agent endpoint, gets the task, and its updates are printed.
//!
//! Needs the image `mesos-test/example-executor:latest` (`scripts/setup` builds it) and
//! `mesos-fetcher` next to the containerizer binary (`cargo build --workspace`).

mod common;

use common::{launcher_dir, text, BIN};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// Bound on one `run`, so a hang fails the test instead of the suite.
const HANG_GUARD: Duration = Duration::from_secs(180);

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn require_executor_image() {
    test_rig::require_docker();
    let found = Command::new("docker")
        .args(["image", "inspect", test_rig::EXAMPLE_EXECUTOR_IMAGE])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        found,
        "image {} is missing: run scripts/setup (it builds it from crates/example-executor)",
        test_rig::EXAMPLE_EXECUTOR_IMAGE
    );
}

/// One `run` in its own work dir, with a unique container id.
struct Run {
    work: tempfile::TempDir,
    container_id: String,
}

impl Run {
    fn new() -> Self {
        require_executor_image();
        Self {
            work: tempfile::tempdir().unwrap(),
            container_id: test_rig::unique_name("exec-img-"),
        }
    }

    fn container_name(&self) -> String {
        format!("mesos-{}", self.container_id)
    }

    fn sandbox(&self) -> PathBuf {
        self.work.path().join("sandboxes").join(&self.container_id)
    }

    /// An input file in the work dir (not in the sandbox: `run` insists on creating that).
    fn write_input(&self, name: &str, json: &str) -> PathBuf {
        let path = self.work.path().join(name);
        std::fs::write(&path, json).unwrap();
        path
    }

    fn run(&self, task: &Path, executor: &Path, flags: &[&str]) -> Output {
        let child = Command::new(BIN)
            .arg(format!("--work_dir={}", self.work.path().display()))
            .arg(format!("--launcher_dir={}", launcher_dir().display()))
            .args(flags)
            .arg("run")
            .arg(task)
            .arg("--executor")
            .arg(executor)
            .args(["--container_id", &self.container_id])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        test_rig::wait_bounded(child, HANG_GUARD)
    }

    fn assert_no_container(&self) {
        let name = self.container_name();
        assert!(!test_rig::container_exists(&name), "{name} was left behind");
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        // A failing test must not leak its container.
        drop(test_rig::ContainerGuard(self.container_name()));
    }
}

/// The state of each printed update (`TASK_RUNNING`, `TASK_FINISHED: message` → its state).
fn states(out: &Output) -> Vec<String> {
    text(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(|s| s.trim_end_matches(':').to_string())
        .collect()
}

#[test]
fn the_example_executor_image_runs_the_task() {
    let run = Run::new();
    let out = run.run(
        &examples_dir().join("executor-image.json"),
        &examples_dir().join("executor-image.executor.json"),
        &[],
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert_eq!(
        states(&out),
        ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"],
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        stdout.contains("example executor finished executor-image"),
        "{stdout}"
    );

    // The executor ran in the container with the sandbox mounted: the file is on the host.
    let ran = std::fs::read_to_string(run.sandbox().join("executor-ran.txt"))
        .unwrap_or_else(|e| panic!("no executor-ran.txt in the sandbox ({e}); stderr: {stderr}"));
    assert_eq!(
        ran,
        "executor-image\nHello from a task run by the example executor!\n"
    );
    // Its stdout went to the sandbox stdout file.
    let sandbox_stdout = std::fs::read_to_string(run.sandbox().join("stdout")).unwrap();
    assert!(
        sandbox_stdout.contains("example executor ran task executor-image"),
        "{sandbox_stdout}"
    );
    run.assert_no_container();
}

#[test]
fn an_executor_that_never_subscribes_is_killed_at_the_registration_timeout() {
    let run = Run::new();
    let task = run.write_input("task.json", r#"{"name": "never-subscribed"}"#);
    // busybox sleeping: a container that runs but never talks to the endpoint.
    let executor = run.write_input(
        "executor.json",
        &format!(
            r#"{{"executor_id": {{"value": "silent"}},
                "command": {{"value": "sleep 3600"}},
                "container": {{"type": "DOCKER", "docker": {{"image": "{}"}}}}}}"#,
            test_rig::BUSYBOX_IMAGE
        ),
    );
    let out = run.run(&task, &executor, &["--executor_registration_timeout=2secs"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_ne!(
        out.status.code(),
        Some(0),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert_eq!(
        states(&out),
        ["TASK_FAILED"],
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        stdout.contains("Executor did not register within 2secs"),
        "{stdout}"
    );
    run.assert_no_container();
}

#[test]
fn an_executor_container_that_exits_at_once_fails_the_task_and_leaves_nothing() {
    let run = Run::new();
    let task = run.write_input("task.json", r#"{"name": "short-lived"}"#);
    let executor = run.write_input(
        "executor.json",
        &format!(
            r#"{{"executor_id": {{"value": "quitter"}},
                "command": {{"value": "exit 3"}},
                "container": {{"type": "DOCKER", "docker": {{"image": "{}"}}}}}}"#,
            test_rig::BUSYBOX_IMAGE
        ),
    );
    let out = run.run(&task, &executor, &[]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    let all = format!("{stdout}\n{stderr}");
    assert_ne!(out.status.code(), Some(0), "{all}");
    assert!(
        !states(&out).contains(&"TASK_FINISHED".to_string()),
        "{all}"
    );
    // Whether `docker run` ended before or after the start was seen, the reason names it.
    assert!(
        all.contains("exited with status 3") || all.contains("Unable to get executor pid"),
        "{all}"
    );
    run.assert_no_container();
}

#[test]
fn a_bridge_network_executor_is_refused_before_anything_runs() {
    let run = Run::new();
    let task = run.write_input("task.json", r#"{"name": "bridged"}"#);
    let executor = run.write_input(
        "executor.json",
        &format!(
            r#"{{"executor_id": {{"value": "bridged"}},
                "command": {{"shell": false}},
                "container": {{"type": "DOCKER",
                               "docker": {{"image": "{}", "network": "BRIDGE"}}}}}}"#,
            test_rig::EXAMPLE_EXECUTOR_IMAGE
        ),
    );
    let out = run.run(&task, &executor, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{stderr}");
    assert!(stderr.contains("'bridge' network"), "{stderr}");
    assert!(!run.sandbox().exists(), "a sandbox was created");
    run.assert_no_container();
}

#[test]
fn explain_shows_the_executor_image_container_and_touches_nothing() {
    require_executor_image();
    let work = tempfile::tempdir().unwrap();
    let work_dir = work.path().join("work");
    let out = Command::new(BIN)
        .arg(format!("--work_dir={}", work_dir.display()))
        .arg("explain")
        .arg(examples_dir().join("executor-image.json"))
        .arg("--executor")
        .arg(examples_dir().join("executor-image.executor.json"))
        .arg("--json")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let e: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(e["image"], test_rig::EXAMPLE_EXECUTOR_IMAGE);
    let argv: Vec<String> = serde_json::from_value(e["docker_create"].clone()).unwrap();
    assert_eq!(argv.last().unwrap(), test_rig::EXAMPLE_EXECUTOR_IMAGE);
    assert!(argv.windows(2).any(|w| w == ["--net", "host"]), "{argv:?}");
    assert!(argv.iter().any(|a| a == "MESOS_AGENT_ENDPOINT"), "{argv:?}");
    assert_eq!(e["executor"], serde_json::json!([]));
    assert!(!work_dir.exists(), "explain created {}", work_dir.display());
}

/// The processes descending from `root`, with their command names, from `/proc`.
fn descendants(root: u32) -> Vec<(u32, String)> {
    let mut parent_of = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid ...`; the command name may hold spaces and parentheses.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = stat[open + 1..close].to_string();
        let ppid = stat[close + 1..]
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            parent_of.push((pid, ppid, comm));
        }
    }
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for (pid, ppid, comm) in &parent_of {
            if *ppid == parent {
                found.push((*pid, comm.clone()));
                frontier.push(*pid);
            }
        }
    }
    found
}

/// A `serve` child process on a work dir of its own.
struct Serve {
    work: tempfile::TempDir,
    child: std::process::Child,
    port: u16,
}

impl common::Operator for Serve {
    fn port(&self) -> u16 {
        self.port
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.work.path().join("serve.log")).unwrap_or_default()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn an_executor_image_runs_under_serve_with_no_docker_process_alive() {
    use common::Operator;
    require_executor_image();
    let work = tempfile::tempdir().unwrap();
    let (child, port) = common::spawn_serve(work.path(), &[], 0);
    let serve = Serve { work, child, port };
    let cid = test_rig::unique_name("no-cli-");
    let name = format!("mesos-{cid}");
    let _guard = test_rig::ContainerGuard(name.clone());
    // An executor that prints, then runs on (it never subscribes: long enough to look).
    let executor = serde_json::json!({
        "executor_id": {"value": "lingerer"},
        "command": {"value": "echo executor-started; echo executor-complains >&2; exec sleep 600"},
        "container": {"type": "DOCKER", "docker": {"image": test_rig::BUSYBOX_IMAGE}}
    });
    serve.call(serde_json::json!({
        "type": "LAUNCH_TASK",
        "launch_task": {"task": {"name": "long-lived"}, "executor": executor, "container_id": cid}
    }));
    let sandbox = serve.work.path().join("sandboxes").join(&cid);
    // Its output reaches the sandbox files while it runs: copied by serve itself.
    common::eventually("the executor's output in the sandbox", || {
        let out = std::fs::read_to_string(sandbox.join("stdout")).unwrap_or_default();
        let err = std::fs::read_to_string(sandbox.join("stderr")).unwrap_or_default();
        (out.contains("executor-started") && err.contains("executor-complains")).then_some(())
    });
    let running = test_rig::docker(&["inspect", "-f", "{{.State.Running}}", &name]);
    assert_eq!(running.trim(), "true");
    let docker_processes: Vec<_> = descendants(serve.child.id())
        .into_iter()
        .filter(|(_, comm)| comm == "docker")
        .collect();
    assert!(
        docker_processes.is_empty(),
        "docker processes run under serve while the executor runs: {docker_processes:?}\n{}",
        serve.log()
    );
    // And serve still follows it: a kill of the container is the executor's end.
    test_rig::docker(&["kill", &name]);
    let out = serve.cli(&["wait", &cid]);
    let t: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(t["state"], "TASK_FAILED", "{t}");
    assert!(
        t["message"]
            .as_str()
            .unwrap()
            .contains("Executor terminated (exited with status 137)"),
        "{t}"
    );
}
