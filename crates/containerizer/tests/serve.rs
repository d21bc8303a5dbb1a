//! `mesos-docker-containerizer serve` and its client commands against the real Docker
//! daemon: launch, wait, kill, destroy, ps, inspect, usage, update, logs; executor death;
//! `kill -9` of serve with tasks running and a restart (re-adoption, updates delivered
//! exactly once, real exit codes of tasks that ended meanwhile); orphans.
//!
//! Each test runs its own daemon on an ephemeral port with its own work dir. Whatever a test
//! leaves (executors, containers) is killed and removed when its [`Daemon`] is dropped,
//! also when the test fails. Waits are bounded (a hung daemon fails the test) but nothing
//! asserts how fast anything is.
//!
//! Needs `mesos-docker-executor` and `mesos-fetcher` next to the containerizer binary
//! (`cargo build --workspace`; `scripts/test` does it first).

mod common;

use common::{
    eventually, kill_executors_of, remove_agent_containers, spawn_serve_under, text, Operator, BIN,
    LIMIT,
};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

/// A `serve` daemon with its own work dir, restartable on the same port.
struct Daemon {
    work: tempfile::TempDir,
    child: Option<Child>,
    port: u16,
    flags: Vec<String>,
    /// What serve runs under (`env ... prlimit ... --`), if anything.
    prefix: Vec<String>,
}

impl Daemon {
    fn start(flags: &[&str]) -> Daemon {
        Daemon::start_under(&[], flags)
    }

    /// A daemon run through `prefix` (a program and its arguments).
    fn start_under(prefix: &[&str], flags: &[&str]) -> Daemon {
        test_rig::require_docker();
        let mut d = Daemon {
            work: tempfile::tempdir().unwrap(),
            child: None,
            port: 0,
            flags: flags.iter().map(|s| s.to_string()).collect(),
            prefix: prefix.iter().map(|s| s.to_string()).collect(),
        };
        d.spawn();
        d
    }

    fn work(&self) -> &Path {
        self.work.path()
    }

    /// Starts serve (on the port it had, if any) and waits for its address line.
    fn spawn(&mut self) {
        let prefix: Vec<&str> = self.prefix.iter().map(String::as_str).collect();
        let (child, port) = spawn_serve_under(&prefix, self.work(), &self.flags, self.port);
        self.port = port;
        self.child = Some(child);
    }

    /// `kill -9` of the daemon (its executors and containers keep running).
    fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn agent_id(&self) -> String {
        std::fs::read_to_string(self.work().join("meta/agent_id"))
            .unwrap()
            .trim()
            .to_string()
    }

    fn launch_raw(&self, task: Value, container_id: &str) {
        self.call(json!({"type": "LAUNCH_TASK", "launch_task": {"task": task, "container_id": container_id}}));
    }

    fn task_state(&self, cid: &str) -> String {
        self.container(cid)["task_state"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn sandbox(&self, cid: &str) -> PathBuf {
        self.work().join("sandboxes").join(cid)
    }

    /// The checkpointed updates of a container.
    fn updates(&self, cid: &str) -> Vec<Value> {
        let path = self
            .work()
            .join("meta/containers")
            .join(cid)
            .join("updates.jsonl");
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Operator for Daemon {
    fn port(&self) -> u16 {
        self.port
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.work().join("serve.log")).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill9();
        kill_executors_of(self.work());
        remove_agent_containers(self.work());
    }
}

fn busybox_task(name: &str, command: &str) -> Value {
    json!({
        "name": name,
        "command": {"value": command},
        "resources": [
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
            {"name": "mem", "type": "SCALAR", "scalar": {"value": 64}}
        ],
        "container": {"type": "DOCKER", "docker": {"image": test_rig::BUSYBOX_IMAGE}},
        "kill_policy": {"grace_period": {"nanoseconds": 5_000_000_000u64}}
    })
}

fn task_file(dir: &Path, name: &str, task: &Value) -> PathBuf {
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, task.to_string()).unwrap();
    path
}

/// The command of a task that runs until `<sandbox>/go` appears, then exits with `code`.
fn until_go(code: i32) -> String {
    format!("echo started; while [ ! -e /mnt/mesos/sandbox/go ]; do sleep 0.1; done; echo going; exit {code}")
}

fn states(updates: &[Value]) -> Vec<String> {
    updates
        .iter()
        .map(|u| u["state"].as_str().unwrap().to_string())
        .collect()
}

fn assert_exactly_once(cid: &str, updates: &[Value]) {
    let mut uuids: Vec<&str> = updates.iter().filter_map(|u| u["uuid"].as_str()).collect();
    let n = uuids.len();
    uuids.sort();
    uuids.dedup();
    assert_eq!(
        uuids.len(),
        n,
        "{cid}: an update was delivered twice: {updates:?}"
    );
    let terminal = updates
        .iter()
        .filter(|u| {
            matches!(
                u["state"].as_str(),
                Some("TASK_FINISHED" | "TASK_FAILED" | "TASK_KILLED" | "TASK_LOST" | "TASK_ERROR")
            )
        })
        .count();
    assert!(
        terminal <= 1,
        "{cid}: {terminal} terminal updates: {updates:?}"
    );
}

#[test]
fn launch_ps_usage_update_logs_kill_wait_destroy() {
    let d = Daemon::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let task = task_file(
        dir.path(),
        "sleeper",
        &busybox_task(
            "sleeper",
            "trap 'echo got SIGTERM; exit 0' TERM; echo hello from the task; while true; do sleep 1; done",
        ),
    );
    // The stream of every container's updates, opened before the launch.
    let mut stream = TcpStream::connect(("127.0.0.1", d.port)).unwrap();
    stream.set_read_timeout(Some(LIMIT)).unwrap();
    write!(stream, "GET /api/v1/updates HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();

    let cid = test_rig::unique_name("srv-");
    let out = d.ok(&["launch", task.to_str().unwrap(), "--container_id", &cid]);
    assert_eq!(out.trim(), cid);
    assert_eq!(d.task_state(&cid), "TASK_RUNNING");

    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    while !seen.contains("TASK_RUNNING") {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the update stream ended: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(seen.starts_with("HTTP/1.1 200"), "{seen}");
    assert!(
        seen.contains(&format!("\"container_id\":\"{cid}\"")),
        "{seen}"
    );
    assert!(seen.contains("TASK_STARTING"), "{seen}");
    drop(stream);

    let ps = d.ok(&["ps"]);
    assert!(
        ps.lines()
            .any(|l| l.starts_with(&cid) && l.contains("TASK_RUNNING")),
        "{ps}"
    );
    let listed: Value = serde_json::from_str(&d.ok(&["ps", "--json"])).unwrap();
    assert_eq!(listed[0]["container_id"]["value"], cid.as_str());

    let inspect: Value = serde_json::from_str(&d.ok(&["inspect", &cid])).unwrap();
    assert_eq!(inspect["docker_name"], format!("mesos-{cid}"));
    assert_eq!(inspect["sandbox"], d.sandbox(&cid).display().to_string());
    assert!(inspect["executor_pid"].as_u64().is_some(), "{inspect}");
    assert_eq!(inspect["statuses"][1]["state"], "TASK_RUNNING");

    // Usage from the cgroups: the task's 64 MB alone (a command task's container never gets
    // the command executor's 32 MB allowance, as under a real agent).
    let usage: Value = serde_json::from_str(&d.ok(&["usage", &cid])).unwrap();
    assert_eq!(usage["mem_limit_bytes"], 64u64 << 20, "{usage}");
    assert!(usage["cpus_user_time_secs"].as_f64().is_some(), "{usage}");
    assert!(usage["mem_rss_bytes"].as_u64().is_some(), "{usage}");

    // Raised limits show in usage; a lower memory limit is refused with a note.
    d.ok(&["update", &cid, "--cpus", "0.5", "--mem", "256"]);
    let usage: Value = serde_json::from_str(&d.ok(&["usage", &cid])).unwrap();
    assert_eq!(usage["mem_limit_bytes"], 256u64 << 20, "{usage}");
    assert_eq!(usage["cpus_limit"], 0.5, "{usage}");
    let out = d.cli(&["update", &cid, "--mem", "128"]);
    assert!(out.status.success());
    assert!(
        text(&out.stderr).contains("never lowered"),
        "{}",
        text(&out.stderr)
    );
    let usage: Value = serde_json::from_str(&d.ok(&["usage", &cid])).unwrap();
    assert_eq!(usage["mem_limit_bytes"], 256u64 << 20, "{usage}");
    // More memory than the host has limits nothing: refused, and the limit stays.
    let out = d.cli(&["update", &cid, "--mem", "99999999999"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr)
            .contains("update_container.mem: 99999999999 MB is more than this host's memory"),
        "{}",
        text(&out.stderr)
    );
    let usage: Value = serde_json::from_str(&d.ok(&["usage", &cid])).unwrap();
    assert_eq!(usage["mem_limit_bytes"], 256u64 << 20, "{usage}");

    assert!(d.ok(&["logs", &cid]).contains("hello from the task"));

    // A graceful kill: the task sees SIGTERM and exits 0.
    let out = d.ok(&["kill", &cid, "--grace_period", "3secs"]);
    assert!(out.contains("TASK_KILLED"), "{out}");
    let out = d.cli(&["wait", &cid]);
    assert_eq!(out.status.code(), Some(0));
    let t: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(t["state"], "TASK_KILLED");
    assert_eq!(t["exit_code"], 0);
    let updates = d.updates(&cid);
    assert_eq!(
        states(&updates),
        [
            "TASK_STARTING",
            "TASK_RUNNING",
            "TASK_KILLING",
            "TASK_KILLED"
        ]
    );
    assert_exactly_once(&cid, &updates);
    assert!(d.ok(&["logs", &cid, "--follow"]).contains("got SIGTERM"));

    // Ended containers are only listed with --all.
    assert!(!d.ok(&["ps"]).contains(&cid));
    assert!(d.ok(&["ps", "--all"]).contains(&cid));

    // Destroy removes everything and is idempotent.
    assert!(d.ok(&["destroy", &cid]).contains("destroyed"));
    assert!(d.ok(&["destroy", &cid]).contains("not known"));
    assert!(!d.sandbox(&cid).exists());
    assert!(!d.work().join("meta/containers").join(&cid).exists());
    assert!(!test_rig::container_exists(&format!("mesos-{cid}")));
    assert_eq!(d.cli(&["wait", &cid]).status.code(), Some(125));
}

#[test]
fn exit_codes_launch_failures_and_bad_calls() {
    let d = Daemon::start(&[]);
    let dir = tempfile::tempdir().unwrap();

    // The container's exit code is `wait`'s.
    let failing = task_file(dir.path(), "failing", &busybox_task("failing", "exit 3"));
    let cid = test_rig::unique_name("srv-");
    let out = d.cli(&["launch", failing.to_str().unwrap(), "--container_id", &cid]);
    // It may be seen running first, or end before: both are fine for launch.
    assert!(matches!(out.status.code(), Some(0) | Some(125)), "{out:?}");
    let out = d.cli(&["wait", &cid]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stdout));
    let t: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(t["state"], "TASK_FAILED");

    // A pull failure: launch fails with 125 and the reason; nothing left running.
    let missing = task_file(
        dir.path(),
        "missing",
        &json!({
            "command": {"value": "true"},
            "container": {"type": "DOCKER", "docker": {"image": format!("{}/mesos-test/does-not-exist:latest", test_rig::OPEN_REGISTRY)}}
        }),
    );
    let cid = test_rig::unique_name("srv-");
    let out = d.cli(&["launch", missing.to_str().unwrap(), "--container_id", &cid]);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        text(&out.stderr).contains("Failed to pull image"),
        "{}",
        text(&out.stderr)
    );
    let out = d.cli(&["wait", &cid]);
    assert_eq!(out.status.code(), Some(125));
    assert!(text(&out.stdout).contains("REASON_CONTAINER_LAUNCH_FAILED"));
    assert!(!test_rig::container_exists(&format!("mesos-{cid}")));

    // Bad calls: 400 naming the field, and nothing created.
    let (status, body) = d.post(&json!({"type": "LAUNCH_TASK", "launch_task": {"task":
        {"command": {"value": "true"}, "container": {"type": "DOCKER", "docker": {"image": "x", "network": "WORMHOLE"}}}}}));
    assert_eq!(status, 400);
    assert!(
        body.contains("launch_task.task.container.docker.network"),
        "{body}"
    );
    let (status, body) = d.post(
        &json!({"type": "LAUNCH_TASK", "launch_task": {"container_id": "a.b",
        "task": busybox_task("t", "true")}}),
    );
    assert_eq!(status, 400);
    assert!(body.contains("launch_task.container_id"), "{body}");
    let (status, body) = d.post(&json!({"type": "LAUNCH_TASK", "launch_task": {}}));
    assert_eq!(status, 400);
    assert!(body.contains("launch_task.task: missing"), "{body}");
    let (status, body) = d.post(
        &json!({"type": "UPDATE_CONTAINER", "update_container": {"container_id": "x", "cpus": -1}}),
    );
    assert_eq!(status, 400);
    assert!(body.contains("update_container.cpus"), "{body}");
    // A call without a Content-Type is refused as the agent refuses it.
    let mut raw = TcpStream::connect(("127.0.0.1", d.port)).unwrap();
    raw.set_read_timeout(Some(LIMIT)).unwrap();
    let body = r#"{"type": "GET_HEALTH"}"#;
    write!(
        raw,
        "POST /api/v1 HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    raw.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(
        answer.contains("Expecting 'Content-Type' to be present"),
        "{answer}"
    );
    let (status, body) = d.post(&json!({"type": "NO_SUCH_CALL"}));
    assert_eq!(status, 400);
    assert!(body.contains("GET_CONTAINERS"), "{body}");
    let (status, _) =
        d.post(&json!({"type": "KILL_CONTAINER", "kill_container": {"container_id": "unknown"}}));
    assert_eq!(status, 404);
    let sandboxes: Vec<_> = std::fs::read_dir(d.work().join("sandboxes"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(sandboxes.len(), 2, "{sandboxes:?}");

    // A container id in use is a conflict.
    let (status, body) = d.post(
        &json!({"type": "LAUNCH_TASK", "launch_task": {"container_id": cid,
        "task": busybox_task("t", "true")}}),
    );
    assert_eq!(status, 409, "{body}");

    let v = d.call(json!({"type": "GET_HEALTH"}));
    assert_eq!(v["get_health"]["healthy"], true);
    let v = d.call(json!({"type": "GET_VERSION"}));
    assert!(v["get_version"]["version_info"]["version"].is_string());
    let v = d.call(json!({"type": "GET_FLAGS"}));
    let flags = v["get_flags"]["flags"].as_array().unwrap();
    assert!(flags
        .iter()
        .any(|f| f["name"] == "work_dir" && f["value"] == d.work().display().to_string()));
    // serve's own flags too, with their defaults.
    for (name, value) in [
        ("gc_delay", "1weeks"),
        ("gc_disk_headroom", "0.1"),
        ("http_idle_timeout", "2mins"),
        ("http_max_connections", "default"),
    ] {
        assert!(
            flags
                .iter()
                .any(|f| f["name"] == name && f["value"] == value),
            "{name}={value} not in {flags:?}"
        );
    }
    let v = d.call(json!({"type": "GET_TASKS"}));
    assert_eq!(
        v["get_tasks"]["terminated_tasks"].as_array().unwrap().len(),
        2
    );
}

/// `GET /api/v1/updates?container_id=ID` read to its end (it ends with the container).
fn update_stream_of(d: &Daemon, cid: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", d.port)).unwrap();
    stream.set_read_timeout(Some(LIMIT)).unwrap();
    write!(
        stream,
        "GET /api/v1/updates?container_id={cid} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// A launch that fails before the container exists reaches the update stream as the agent
/// reports it (TASK_FAILED, REASON_CONTAINER_LAUNCH_FAILED, "Failed to launch container:
/// ..."); a container name that is taken is refused before anything is created, and the
/// container that holds it is left alone.
#[test]
fn launch_failures_reach_the_update_stream_and_taken_names_are_refused() {
    let d = Daemon::start(&[]);
    let missing = json!({
        "command": {"value": "true"},
        "container": {"type": "DOCKER", "docker": {"image": format!("{}/mesos-test/does-not-exist:latest", test_rig::OPEN_REGISTRY)}}
    });
    let cid = test_rig::unique_name("srv-");
    d.launch_raw(missing, &cid);
    let stream = update_stream_of(&d, &cid);
    let update: Value = stream
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|u| u["status"]["state"] == "TASK_FAILED")
        .unwrap_or_else(|| panic!("no TASK_FAILED in the stream: {stream}"));
    assert_eq!(update["container_id"], cid.as_str());
    assert_eq!(update["status"]["reason"], "REASON_CONTAINER_LAUNCH_FAILED");
    assert_eq!(update["status"]["source"], "SOURCE_AGENT");
    let message = update["status"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Failed to launch container: Failed to pull image '127.0.0.1:5000/mesos-test/does-not-exist:latest'"),
        "{message}"
    );
    assert_eq!(d.cli(&["wait", &cid]).status.code(), Some(125));

    // A docker container already named for the id: 409 naming it, nothing created.
    let cid = test_rig::unique_name("srv-");
    let name = format!("mesos-{cid}");
    let _other = test_rig::ContainerGuard(name.clone());
    let before = test_rig::docker(&[
        "run",
        "-d",
        "--name",
        &name,
        test_rig::BUSYBOX_IMAGE,
        "sleep",
        "600",
    ]);
    let (status, body) = d.post(
        &json!({"type": "LAUNCH_TASK", "launch_task": {"container_id": cid,
        "task": busybox_task("t", "true")}}),
    );
    assert_eq!(status, 409, "{body}");
    assert!(
        body.contains(&format!("a docker container named '{name}' already exists")),
        "{body}"
    );
    assert!(body.contains(&format!("docker rm -f {name}")), "{body}");
    assert!(!d.sandbox(&cid).exists());
    let after = test_rig::docker(&["inspect", "-f", "{{.Id}} {{.State.Running}}", &name]);
    assert_eq!(after.trim(), format!("{} true", before.trim()));
}

#[test]
fn executor_death_fails_the_task_and_removes_its_container() {
    let d = Daemon::start(&[]);
    let cid = test_rig::unique_name("srv-");
    d.launch_raw(busybox_task("victim", "sleep 3600"), &cid);
    eventually("TASK_RUNNING", || {
        (d.task_state(&cid) == "TASK_RUNNING").then_some(())
    });
    let pid = d.container(&cid)["executor_pid"].as_u64().unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let out = d.cli(&["wait", &cid]);
    let t: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(t["state"], "TASK_FAILED", "{t}");
    assert_eq!(t["reason"], "REASON_EXECUTOR_TERMINATED", "{t}");
    assert!(
        t["message"]
            .as_str()
            .unwrap()
            .contains("Executor terminated"),
        "{t}"
    );
    assert!(!test_rig::container_exists(&format!("mesos-{cid}")));
    assert_exactly_once(&cid, &d.updates(&cid));
}

#[test]
fn the_death_of_a_re_adopted_executor_fails_the_task_and_removes_its_container() {
    // After a restart the executor is no longer serve's child: its death is seen through
    // a pidfd (or /proc), not through waiting for a child.
    let mut d = Daemon::start(&[]);
    let cid = test_rig::unique_name("adopt-");
    d.launch_raw(busybox_task("victim", "sleep 3600"), &cid);
    eventually("TASK_RUNNING", || {
        (d.task_state(&cid) == "TASK_RUNNING").then_some(())
    });
    d.kill9();
    d.spawn();
    eventually("re-adopted", || {
        (d.container(&cid)["recovered"] == true).then_some(())
    });
    let pid = d.container(&cid)["executor_pid"].as_u64().unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let out = d.cli(&["wait", &cid]);
    let t: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(t["state"], "TASK_FAILED", "{t}");
    assert_eq!(t["reason"], "REASON_EXECUTOR_TERMINATED", "{t}");
    assert!(!test_rig::container_exists(&format!("mesos-{cid}")));
    assert_exactly_once(&cid, &d.updates(&cid));
}

#[test]
fn kill_9_of_serve_with_20_tasks_then_restart_keeps_them_managed_and_delivers_every_update_once() {
    let mut d = Daemon::start(&[]);
    // Even ones run until killed; odd ones exit 3 once told to, while serve is down.
    let ids: Vec<String> = (0..20)
        .map(|i| test_rig::unique_name(&format!("r{i}-")))
        .collect();
    for (i, cid) in ids.iter().enumerate() {
        let command = if i % 2 == 0 {
            "trap 'exit 0' TERM; echo started; while true; do sleep 1; done".to_string()
        } else {
            until_go(3)
        };
        d.launch_raw(busybox_task(&format!("task-{i}"), &command), cid);
    }
    for cid in &ids {
        eventually("every task RUNNING", || {
            (d.task_state(cid) == "TASK_RUNNING").then_some(())
        });
    }

    d.kill9();
    for cid in ids.iter().skip(1).step_by(2) {
        std::fs::write(d.sandbox(cid).join("go"), "").unwrap();
    }
    // The told ones end while serve is down (their executors remove the containers).
    for cid in ids.iter().skip(1).step_by(2) {
        let name = format!("mesos-{cid}");
        eventually("the told tasks to end", || {
            let out = Command::new("docker")
                .args(["inspect", "-f", "{{.State.Running}}", &name])
                .output()
                .unwrap();
            (!out.status.success() || text(&out.stdout).trim() == "false").then_some(())
        });
    }

    d.spawn();
    let listed: Value = serde_json::from_str(&d.ok(&["ps", "--all", "--json"])).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 20, "{listed}");
    for (i, cid) in ids.iter().enumerate() {
        if i % 2 == 1 {
            // Their real exit code, from the update the executor kept for us.
            let out = d.cli(&["wait", cid]);
            assert_eq!(out.status.code(), Some(3), "{cid}: {}", text(&out.stdout));
            assert_eq!(
                states(&d.updates(cid)),
                ["TASK_STARTING", "TASK_RUNNING", "TASK_FAILED"],
                "{cid}"
            );
        } else {
            let c = d.container(cid);
            assert_eq!(c["task_state"], "TASK_RUNNING", "{c}");
            assert_eq!(c["recovered"], true, "{c}");
        }
    }
    // Still managed: the running ones are killed through the restarted daemon.
    for cid in ids.iter().step_by(2) {
        d.call(json!({"type": "KILL_CONTAINER", "kill_container": {"container_id": cid}}));
    }
    for cid in ids.iter().step_by(2) {
        let out = d.cli(&["wait", cid]);
        assert_eq!(out.status.code(), Some(0), "{cid}: {}", text(&out.stdout));
        assert_eq!(
            states(&d.updates(cid)),
            [
                "TASK_STARTING",
                "TASK_RUNNING",
                "TASK_KILLING",
                "TASK_KILLED"
            ],
            "{cid}"
        );
    }
    for cid in &ids {
        assert_exactly_once(cid, &d.updates(cid));
        assert!(!test_rig::container_exists(&format!("mesos-{cid}")));
    }
}

#[test]
fn a_task_that_ended_while_serve_and_its_executor_were_gone_reports_its_real_exit_code() {
    let mut d = Daemon::start(&[]);
    let cid = test_rig::unique_name("srv-");
    d.launch_raw(busybox_task("ender", &until_go(7)), &cid);
    eventually("TASK_RUNNING", || {
        (d.task_state(&cid) == "TASK_RUNNING").then_some(())
    });
    let pid = d.container(&cid)["executor_pid"].as_u64().unwrap();
    d.kill9();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    // With its executor gone, nobody removes the container once it exits.
    std::fs::write(d.sandbox(&cid).join("go"), "").unwrap();
    let name = format!("mesos-{cid}");
    eventually("the container to exit", || {
        let out = test_rig::docker(&["inspect", "-f", "{{.State.Running}}", &name]);
        (out.trim() == "false").then_some(())
    });

    d.spawn();
    let out = d.cli(&["wait", &cid]);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stdout));
    let t: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(t["state"], "TASK_FAILED");
    assert!(
        t["message"]
            .as_str()
            .unwrap()
            .contains("exited with status 7"),
        "{t}"
    );
    assert_exactly_once(&cid, &d.updates(&cid));
}

#[test]
fn orphans_of_this_agent_are_removed_and_other_agents_containers_are_left_alone() {
    let mut d = Daemon::start(&[]);
    let agent = d.agent_id();
    d.kill9();
    let run = |name: &str, agent: &str| {
        test_rig::docker(&[
            "run",
            "-d",
            "--name",
            name,
            "--label",
            &format!("mesos.agent_id={agent}"),
            test_rig::BUSYBOX_IMAGE,
            "sleep",
            "3600",
        ]);
        test_rig::ContainerGuard(name.to_string())
    };
    let ours = test_rig::unique_name("mesos-orphan-");
    let theirs = test_rig::unique_name("mesos-other-");
    let _ours_guard = run(&ours, &agent);
    let _theirs_guard = run(&theirs, "some-other-agent-S0");

    // `recover` with --docker_kill_orphans=false only lists ours.
    let out = Command::new(BIN)
        .arg(format!("--work_dir={}", d.work().display()))
        .args(["--docker_kill_orphans=false", "recover", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let orphans = report["orphans"].as_array().unwrap();
    assert_eq!(orphans.len(), 1, "{report}");
    assert_eq!(orphans[0]["name"], ours.as_str());
    assert_eq!(orphans[0]["removed"], false);
    assert!(test_rig::container_exists(&ours));

    // serve removes it on start; the other agent's container is never touched.
    d.spawn();
    assert!(!test_rig::container_exists(&ours), "log:\n{}", d.log());
    assert!(test_rig::container_exists(&theirs));
    assert!(d.log().contains("orphan"), "{}", d.log());
}

#[test]
fn a_custom_executor_image_runs_its_task_under_serve() {
    let d = Daemon::start(&["--docker_remove_delay=0ns"]);
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let cid = test_rig::unique_name("srv-");
    let task = examples.join("executor-image.json");
    let executor = examples.join("executor-image.executor.json");
    let out = d.cli(&[
        "launch",
        task.to_str().unwrap(),
        "--executor",
        executor.to_str().unwrap(),
        "--container_id",
        &cid,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = d.cli(&["wait", &cid]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let t: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(t["state"], "TASK_FINISHED");
    assert!(d.sandbox(&cid).join("executor-ran.txt").exists());
    assert_eq!(
        states(&d.updates(&cid)),
        ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]
    );
    // --docker_remove_delay=0ns: the executor's container is gone once the end is known.
    assert!(!test_rig::container_exists(&format!("mesos-{cid}")));
}

#[test]
fn wait_against_an_unreachable_daemon_says_that_it_retries_and_for_how_long() {
    use std::io::BufRead;
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(BIN)
        .args(["wait", "some-container"])
        .arg(format!("--endpoint=http://127.0.0.1:{port}"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        if let Some(Ok(line)) = std::io::BufReader::new(stderr).lines().next() {
            let _ = tx.send(line);
        }
    });
    let line = rx.recv_timeout(LIMIT);
    // Said while it still retries, not when it gives up.
    let still_running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    let line = line.expect("wait printed nothing");
    assert!(still_running, "wait gave up before saying anything: {line}");
    assert!(
        line.contains(&format!(
            "cannot reach the containerizer at http://127.0.0.1:{port}: Connection refused"
        )),
        "{line}"
    );
    assert!(line.contains("retrying for up to 60s"), "{line}");
}

/// Whether the server closed `socket` (EOF or reset), without waiting.
fn closed_by_peer(socket: &mut TcpStream) -> bool {
    socket.set_nonblocking(true).unwrap();
    let mut byte = [0u8; 1];
    let closed = match socket.read(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
        Err(_) => true,
    };
    socket.set_nonblocking(false).unwrap();
    closed
}

#[test]
fn idle_sockets_do_not_starve_health_or_executors_and_are_closed() {
    // 256 descriptors, more idle sockets than that; short timeouts so the test can outwait
    // them.
    let d = Daemon::start_under(
        &[
            "env",
            "MESOS_HTTP_IDLE_TIMEOUT=2secs",
            "MESOS_HTTP_HEADER_READ_TIMEOUT=2secs",
            "prlimit",
            "--nofile=256",
            "--",
        ],
        &[],
    );
    let cid = test_rig::unique_name("idle-");
    d.launch_raw(
        busybox_task("idle", "trap 'exit 0' TERM; while true; do sleep 1; done"),
        &cid,
    );
    eventually("TASK_RUNNING", || {
        (d.task_state(&cid) == "TASK_RUNNING").then_some(())
    });

    let mut idle: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(("127.0.0.1", d.port)).unwrap())
        .collect();
    // One that starts a request and never finishes its head.
    let mut partial = TcpStream::connect(("127.0.0.1", d.port)).unwrap();
    write!(partial, "GET /health HTTP/1.1\r\nHost: test\r\n").unwrap();

    // The operator API still answers.
    let mut health = TcpStream::connect(("127.0.0.1", d.port)).unwrap();
    health.set_read_timeout(Some(LIMIT)).unwrap();
    write!(
        health,
        "GET /health HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    health.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}\n{}", d.log());

    // Idle sockets and the unfinished head are closed by the timeouts.
    eventually("the idle and slow sockets to be closed", || {
        (idle.iter_mut().all(closed_by_peer) && closed_by_peer(&mut partial)).then_some(())
    });

    // The executor's connections were idle for longer than the idle timeout too (its event
    // stream carries nothing but the SUBSCRIBE response, its call connection nothing since
    // TASK_RUNNING): it is still subscribed, so the kill reaches it and its updates come
    // back on the same connections.
    std::thread::sleep(std::time::Duration::from_secs(3));
    // Read before the kill: once the task is killed the executor exits, and its leaving
    // is logged as a disconnection too.
    let log = d.log();
    assert!(
        !log.contains("executor disconnected"),
        "the executor lost its connection:\n{log}"
    );
    let out = d.ok(&["kill", &cid, "--grace_period", "5secs"]);
    assert!(out.contains("TASK_KILLED"), "{out}\n{}", d.log());
    let executor_log = std::fs::read_to_string(d.sandbox(&cid).join("stderr")).unwrap_or_default();
    assert!(
        !executor_log.contains("disconnected from the agent"),
        "the executor saw a disconnection:\n{executor_log}"
    );
    let updates = d.updates(&cid);
    assert_eq!(
        states(&updates),
        [
            "TASK_STARTING",
            "TASK_RUNNING",
            "TASK_KILLING",
            "TASK_KILLED"
        ]
    );
    assert_exactly_once(&cid, &updates);
}

/// The live processes (zombies aside) whose environment has `MESOS_DIRECTORY=<sandbox>`: an
/// executor of that sandbox and whatever it started.
fn processes_of_sandbox(sandbox: &Path) -> Vec<(u32, String)> {
    let tag = format!("MESOS_DIRECTORY={}", sandbox.display());
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        if stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        {
            continue;
        }
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if environ.split(|b| *b == 0).any(|v| v == tag.as_bytes()) {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            found.push((pid, text(&cmdline).replace('\0', " ")));
        }
    }
    found
}

#[test]
fn kill_9_of_serve_right_after_a_launch_leaves_no_executor_and_no_container() {
    let mut d = Daemon::start(&[]);
    // Kills 0-60 ms after the launch call returned land while the image is inspected, while
    // the executor is being started, or after its pid was checkpointed. Rounds are repeated
    // until a kill cut a launch short after its executor had been started (its sandbox
    // stderr exists: the executor's output goes there).
    let mut interrupted = 0;
    let mut interrupted_with_executor = 0;
    for round in 0..5 {
        if round >= 1 && interrupted_with_executor > 0 {
            break;
        }
        for ms in [0u64, 2, 4, 6, 8, 10, 12, 15, 20, 30, 45, 60] {
            let cid = test_rig::unique_name("k9-");
            d.launch_raw(busybox_task("k9", "sleep 3600"), &cid);
            std::thread::sleep(std::time::Duration::from_millis(ms));
            d.kill9();
            let state: Value = serde_json::from_str(
                &std::fs::read_to_string(
                    d.work()
                        .join("meta/containers")
                        .join(&cid)
                        .join("state.json"),
                )
                .unwrap(),
            )
            .unwrap();
            let launching = matches!(state["state"].as_str(), Some("FETCHING" | "PULLING"));
            let spawned = d.sandbox(&cid).join("stderr").exists();
            d.spawn();
            let container = d.container(&cid);
            if launching {
                interrupted += 1;
                if spawned {
                    interrupted_with_executor += 1;
                }
                // Once serve is back, recovery has found and stopped what the interrupted
                // launch had started, and the task has ended.
                let left = processes_of_sandbox(&d.sandbox(&cid));
                assert!(
                    left.is_empty(),
                    "{cid} (killed after {ms} ms): processes of the interrupted launch run on: {left:?}\n{}",
                    d.log()
                );
                assert!(
                    !test_rig::container_exists(&format!("mesos-{cid}")),
                    "{cid} (killed after {ms} ms): its container remains"
                );
                assert_eq!(container["task_state"], "TASK_FAILED", "{container}");
                assert_eq!(
                    container["termination"]["state"], "TASK_FAILED",
                    "{container}"
                );
            } else {
                // The executor's pid was checkpointed: recovery knows the container.
                assert_eq!(
                    container["container_id"]["value"],
                    cid.as_str(),
                    "{container}"
                );
            }
            d.ok(&["destroy", &cid]);
            assert!(
                processes_of_sandbox(&d.sandbox(&cid)).is_empty(),
                "{cid}: processes left after destroy"
            );
        }
    }
    eprintln!(
        "{interrupted} kills cut a launch short, {interrupted_with_executor} after its executor was started"
    );
    assert!(
        interrupted_with_executor > 0,
        "no kill landed after an executor was started and before its pid was checkpointed"
    );
}
