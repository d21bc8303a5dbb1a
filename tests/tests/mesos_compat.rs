//! Drop-in under a real Mesos agent: our `mesos-docker-executor` and `mesos-fetcher` in the
//! agent's `--launcher_dir`, driven by `mesos-execute`, side by side with Mesos's own
//! executor and fetcher in the same run. The framework must see the same updates from both,
//! and ours must survive the agent's restart as Mesos's does.
//!
//! The real Mesos 1.12 master and agent come from `../shared/mesos` (the `cluster` script
//! there runs them on loopback); a checkout without it skips these tests and says so.
//! Timings are printed, never asserted (scripts/bench/mesos-compat compares them).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use test_rig::http::FileServer;

mod scheduler;

/// Bound of one scenario's `mesos-execute`.
const TASK_LIMIT: Duration = Duration::from_secs(90);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `cluster` script, or `None` (with a line saying why) when this checkout has none.
fn cluster_script() -> Option<PathBuf> {
    let script = repo_root().join("../shared/mesos/cluster");
    if script.is_file() {
        return Some(script.canonicalize().unwrap());
    }
    eprintln!(
        "skipping: no real Mesos agent here ({} is absent); the drop-in tests need it",
        script.display()
    );
    None
}

/// `target/<profile>`, where `cargo test --workspace` put our binaries.
fn our_bin_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

/// What the framework saw of one status update.
#[derive(Debug, Clone, PartialEq)]
struct Update {
    state: String,
    message: Option<String>,
    reason: Option<String>,
    source: Option<String>,
    healthy: Option<bool>,
    /// Since the task was submitted.
    at: Duration,
}

/// A master and an agent on loopback, with a launcher dir of ours or Mesos's.
struct Cluster {
    script: PathBuf,
    state: tempfile::TempDir,
    port: u16,
    who: &'static str,
}

impl Cluster {
    fn up(
        script: &Path,
        who: &'static str,
        launcher_dir: &Path,
        port: u16,
        agent_flags: &[&str],
    ) -> Self {
        let state = tempfile::Builder::new()
            .prefix("mesos-compat-")
            .tempdir_in("/var/tmp")
            .unwrap();
        let cluster = Cluster {
            script: script.to_path_buf(),
            state,
            port,
            who,
        };
        let mut cmd = cluster.command();
        cmd.arg("up")
            .arg("--launcher_dir")
            .arg(launcher_dir)
            .arg("--port")
            .arg(port.to_string());
        if !agent_flags.is_empty() {
            cmd.arg("--").args(agent_flags);
        }
        let out = test_rig::wait_bounded(
            cmd.stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
            Duration::from_secs(120),
        );
        assert!(
            out.status.success(),
            "cluster up ({who}) failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        cluster
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.script);
        cmd.env("MESOS_CLUSTER_STATE", self.state.path())
            .stdin(Stdio::null());
        cmd
    }

    fn agent_log(&self) -> String {
        std::fs::read_to_string(self.state.path().join("logs/agent.log")).unwrap_or_default()
    }

    /// The end of the agent's log, for failure messages.
    fn agent_log_tail(&self) -> String {
        let log = self.agent_log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Starts `mesos-execute` with `args`; its updates are collected as they arrive.
    fn execute(&self, args: &[String]) -> Execution {
        let mut child = self
            .command()
            .arg("execute")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let s = seen.clone();
        let reader = std::thread::spawn(move || {
            let start = Instant::now();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let mut s = s.lock().unwrap();
                if line.starts_with("Submitted task") {
                    s.submitted = Some(start.elapsed());
                } else if let Some(rest) = line.strip_prefix("Received status update ") {
                    let state = rest.split_whitespace().next().unwrap_or("").to_string();
                    let at = start.elapsed() - s.submitted.unwrap_or_default();
                    s.updates.push(Update {
                        state,
                        message: None,
                        reason: None,
                        source: None,
                        healthy: None,
                        at,
                    });
                } else if let Some(u) = s.updates.last_mut() {
                    let l = line.trim();
                    if let Some(m) = l.strip_prefix("message: '") {
                        u.message = Some(m.trim_end_matches('\'').to_string());
                    } else if let Some(r) = l.strip_prefix("reason: ") {
                        u.reason = Some(r.to_string());
                    } else if let Some(r) = l.strip_prefix("source: ") {
                        u.source = Some(r.to_string());
                    } else if let Some(h) = l.strip_prefix("healthy?: ") {
                        u.healthy = Some(h == "1" || h == "true");
                    }
                }
            }
        });
        Execution {
            child: Some(child),
            seen,
            reader: Some(reader),
        }
    }

    /// SIGKILLs the agent and starts it again (it recovers from its checkpoints).
    fn restart_agent(&self) {
        let out = test_rig::wait_bounded(
            self.command()
                .args(["restart-agent", "--kill"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
            Duration::from_secs(60),
        );
        assert!(
            out.status.success(),
            "restart-agent failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.agent_log_tail()
        );
    }

    /// SIGKILLs the agent and leaves it down.
    fn kill_agent(&self) {
        let pid = std::fs::read_to_string(self.state.path().join("agent.pid")).unwrap();
        let _ = Command::new("kill").args(["-KILL", pid.trim()]).status();
    }

    /// The run directory of `executor_id`'s latest run.
    fn sandbox(&self, executor_id: &str) -> Option<PathBuf> {
        let slaves = self.state.path().join("agent/slaves");
        for slave in std::fs::read_dir(slaves).ok()?.flatten() {
            for fw in std::fs::read_dir(slave.path().join("frameworks"))
                .ok()?
                .flatten()
            {
                let run = fw
                    .path()
                    .join("executors")
                    .join(executor_id)
                    .join("runs/latest");
                if run.exists() {
                    return Some(run);
                }
            }
        }
        None
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command()
            .arg("down")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        eprintln!("[{}] cluster down", self.who);
    }
}

#[derive(Default)]
struct Seen {
    submitted: Option<Duration>,
    updates: Vec<Update>,
}

struct Execution {
    child: Option<Child>,
    seen: Arc<Mutex<Seen>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Execution {
    /// Waits until an update in `state` arrived (bounded).
    fn wait_for(&self, state: &str) -> bool {
        let deadline = Instant::now() + TASK_LIMIT;
        while Instant::now() < deadline {
            if self
                .seen
                .lock()
                .unwrap()
                .updates
                .iter()
                .any(|u| u.state == state)
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Waits for `mesos-execute` to end (it does at the task's terminal update).
    fn finish(mut self) -> Vec<Update> {
        let child = self.child.take().unwrap();
        let _ = test_rig::wait_bounded(child, TASK_LIMIT);
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        let updates = self.seen.lock().unwrap().updates.clone();
        updates
    }
}

impl Drop for Execution {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn states(updates: &[Update]) -> Vec<&str> {
    updates.iter().map(|u| u.state.as_str()).collect()
}

fn last(updates: &[Update]) -> &Update {
    updates.last().expect("no update at all")
}

fn docker_args(name: &str, command: &str) -> Vec<String> {
    vec![
        format!("--name={name}"),
        "--containerizer=docker".into(),
        format!("--docker_image={}", test_rig::BUSYBOX_IMAGE),
        format!("--command={command}"),
        "--resources=cpus:0.1;mem:32".into(),
    ]
}

/// A TaskInfo JSON file for `mesos-execute --task`.
fn task_file(dir: &Path, name: &str, task: serde_json::Value) -> String {
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, task.to_string()).unwrap();
    format!("--task={}", path.display())
}

fn task_json(
    name: &str,
    command: serde_json::Value,
    extra: serde_json::Value,
) -> serde_json::Value {
    let mut task = serde_json::json!({
        "name": name,
        "task_id": {"value": name},
        "agent_id": {"value": ""},
        "resources": [
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
            {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}}
        ],
        "command": command,
        "container": {"type": "DOCKER", "docker": {"image": test_rig::BUSYBOX_IMAGE}}
    });
    for (k, v) in extra.as_object().unwrap() {
        task[k] = v.clone();
    }
    task
}

/// Every scenario against one cluster; returns each scenario's updates by name.
fn scenarios(cluster: &Cluster, files: &FileServer, dir: &Path) -> Vec<(String, Vec<Update>)> {
    let mut results = Vec::new();
    let who = cluster.who;
    let mut record = |name: &str, updates: Vec<Update>| {
        eprintln!("[{who}] {name}: {:?}", states(&updates));
        results.push((name.to_string(), updates));
    };

    // A plain task and its output.
    let u = cluster
        .execute(&docker_args("echo", "echo hello from the task"))
        .finish();
    let stdout = cluster
        .sandbox("echo")
        .map(|s| std::fs::read_to_string(s.join("stdout")).unwrap_or_default())
        .unwrap_or_default();
    assert!(
        stdout.contains("hello from the task"),
        "[{who}] stdout: {stdout}"
    );
    record("echo", u);

    // A non-zero exit.
    record(
        "exit",
        cluster.execute(&docker_args("exit3", "exit 3")).finish(),
    );

    // Kill (mesos-execute's framework always has the TASK_KILLING_STATE capability), and the
    // same from a framework without it (no TASK_KILLING).
    let mut args = docker_args("killed", "sleep 100");
    args.push("--kill_after=1secs".into());
    record("kill", cluster.execute(&args).finish());
    record(
        "kill without TASK_KILLING_STATE",
        kill_without_capability(cluster),
    );

    // URIs: a plain file, an archive (extracted), an executable one, through the cache.
    let uris = serde_json::json!({
        "value": "cat $MESOS_SANDBOX/plain.txt && cat $MESOS_SANDBOX/app/inside.txt && $MESOS_SANDBOX/run.sh",
        "uris": [
            {"value": files.url("/plain.txt"), "cache": true},
            {"value": files.url("/app.tar.gz"), "extract": true},
            {"value": files.url("/run.sh"), "executable": true}
        ]
    });
    let arg = task_file(dir, "uris", task_json("uris", uris, serde_json::json!({})));
    let u = cluster.execute(&[arg]).finish();
    let stdout = cluster
        .sandbox("uris")
        .map(|s| std::fs::read_to_string(s.join("stdout")).unwrap_or_default())
        .unwrap_or_default();
    for needle in ["plain file", "inside the archive", "the script ran"] {
        assert!(
            stdout.contains(needle),
            "[{who}] uris: stdout lacks '{needle}': {stdout}"
        );
    }
    record("uris", u);

    // A COMMAND health check that passes.
    let health = serde_json::json!({
        "health_check": {
            "type": "COMMAND",
            "command": {"value": "true"},
            "delay_seconds": 0, "interval_seconds": 0.5, "grace_period_seconds": 0,
            "timeout_seconds": 5, "consecutive_failures": 3
        }
    });
    let arg = task_file(
        dir,
        "healthy",
        task_json("healthy", serde_json::json!({"value": "sleep 100"}), health),
    );
    // Ended by a kill, not by its own exit: a check in flight when a container exits on its
    // own fails, and whether one is in flight then is timing.
    record(
        "health check",
        cluster
            .execute(&[arg, "--kill_after=4secs".into()])
            .finish(),
    );

    // A URI that is not there.
    let missing = serde_json::json!({
        "value": "true",
        "uris": [{"value": files.url("/not-there.txt")}]
    });
    let arg = task_file(
        dir,
        "missing",
        task_json("missing", missing, serde_json::json!({})),
    );
    record("missing URI", cluster.execute(&[arg]).finish());

    // Agent SIGKILLed mid-task and restarted, checkpointing framework: the task goes on and
    // ends with all of its output.
    let mut args = docker_args("survivor", "echo before; sleep 6; echo after");
    args.push("--checkpoint".into());
    let run = cluster.execute(&args);
    assert!(
        run.wait_for("TASK_RUNNING"),
        "[{who}] survivor never ran\n{}",
        cluster.agent_log_tail()
    );
    cluster.restart_agent();
    let u = run.finish();
    let stdout = cluster
        .sandbox("survivor")
        .map(|s| std::fs::read_to_string(s.join("stdout")).unwrap_or_default())
        .unwrap_or_default();
    assert!(
        stdout.contains("before") && stdout.contains("after"),
        "[{who}] survivor: stdout {stdout:?}, updates {:?}\n{}",
        states(&u),
        cluster.agent_log_tail()
    );
    record("agent restart, checkpointing", u);

    // The same without checkpointing: the executor stops the container and exits.
    let run = cluster.execute(&docker_args("orphan", "sleep 100"));
    assert!(run.wait_for("TASK_RUNNING"), "[{who}] orphan never ran");
    let executor_pid = executor_pid_of(cluster, "orphan");
    cluster.restart_agent();
    assert!(
        wait_gone(executor_pid, Duration::from_secs(60)),
        "[{who}] the executor of a non-checkpointing framework outlived the agent's restart"
    );
    // Ours stops the container before it exits; Mesos's own executor may leave it running
    // (its process group is killed before `docker stop` returns), so that is only reported.
    let left_running = container_of_task_running(cluster, "orphan");
    eprintln!("[{who}] orphan: container left running after the executor exited: {left_running}");
    assert!(
        !(left_running && who == "ours"),
        "[{who}] the task's container still runs after its executor left"
    );
    drop(run);
    results
}

/// Launches a `sleep` from a framework without TASK_KILLING_STATE, kills it once running,
/// and returns the updates it saw.
fn kill_without_capability(cluster: &Cluster) -> Vec<Update> {
    let mut sched = scheduler::Scheduler::subscribe(
        &format!("127.0.0.1:{}", cluster.port),
        "compat-no-killing",
        &[],
    );
    let start = Instant::now();
    sched.launch(task_json(
        "nokilling",
        serde_json::json!({"value": "sleep 100"}),
        serde_json::json!({}),
    ));
    let mut updates = Vec::new();
    loop {
        let (state, status) = sched.next_update();
        updates.push(Update {
            state: state.clone(),
            message: status["message"].as_str().map(String::from),
            reason: status["reason"].as_str().map(String::from),
            source: status["source"].as_str().map(String::from),
            healthy: status["healthy"].as_bool(),
            at: start.elapsed(),
        });
        if state == "TASK_RUNNING" {
            sched.kill("nokilling", &status["agent_id"]);
        }
        if !matches!(
            state.as_str(),
            "TASK_STAGING" | "TASK_STARTING" | "TASK_RUNNING" | "TASK_KILLING"
        ) {
            return updates;
        }
    }
}

/// The pid the agent checkpointed for `executor_id`'s executor (`pids/forked.pid`).
fn executor_pid_of(cluster: &Cluster, executor_id: &str) -> Option<u32> {
    let meta = cluster.state.path().join("agent/meta/slaves");
    let found = Command::new("find")
        .arg(&meta)
        .args([
            "-path",
            &format!("*/executors/{executor_id}/runs/*/pids/forked.pid"),
        ])
        .output()
        .ok()?;
    let path = String::from_utf8_lossy(&found.stdout)
        .lines()
        .next()?
        .to_string();
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn wait_gone(pid: Option<u32>, limit: Duration) -> bool {
    let Some(pid) = pid else { return true };
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if !Path::new(&format!("/proc/{pid}")).exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// Whether a running container's sandbox mount lies under this cluster's state and belongs
/// to `executor_id`.
fn container_of_task_running(cluster: &Cluster, executor_id: &str) -> bool {
    let ids = test_rig::docker(&["ps", "-q", "--filter", "name=mesos-"]);
    let needle = format!("/executors/{executor_id}/runs/");
    ids.split_whitespace().any(|id| {
        // A container removed since the listing (another test's) is not this task's.
        let Ok(out) = Command::new("docker")
            .args(["inspect", "-f", "{{range .HostConfig.Binds}}{{println .}}{{end}}{{range .Mounts}}{{println .Source}}{{end}}", id])
            .output()
        else {
            return false;
        };
        let binds = String::from_utf8_lossy(&out.stdout);
        binds.contains(cluster.state.path().to_str().unwrap()) && binds.contains(&needle)
    })
}

/// The launcher dir holding our two binaries.
fn our_launcher_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for bin in ["mesos-docker-executor", "mesos-fetcher"] {
        let src = our_bin_dir().join(bin);
        assert!(
            src.is_file(),
            "{} is missing: run cargo build --workspace",
            src.display()
        );
        std::os::unix::fs::symlink(&src, dir.path().join(bin)).unwrap();
    }
    dir
}

fn test_files(dir: &Path) -> FileServer {
    let app = dir.join("app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(app.join("inside.txt"), "inside the archive\n").unwrap();
    let tgz = dir.join("app.tar.gz");
    let ok = Command::new("tar")
        .arg("-C")
        .arg(dir)
        .arg("-czf")
        .arg(&tgz)
        .arg("app")
        .status()
        .unwrap();
    assert!(ok.success());
    FileServer::start(&[
        ("/plain.txt", b"plain file\n".to_vec()),
        ("/app.tar.gz", std::fs::read(&tgz).unwrap()),
        ("/run.sh", b"#!/bin/sh\necho the script ran\n".to_vec()),
    ])
}

/// The comparable part of an update: state, reason, source, health (messages carry ids and
/// paths, compared where they are fixed text).
fn shape(u: &Update) -> (String, Option<String>, Option<String>, Option<bool>) {
    (
        u.state.clone(),
        u.reason.clone(),
        u.source.clone(),
        u.healthy,
    )
}

/// A recovering Mesos agent lists every `mesos-*` container and fails its recovery when one
/// vanishes between its `docker ps` and `docker inspect` (one agent per host never sees
/// another's containers go): the clusters of this file run one at a time.
static ONE_CLUSTER_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn the_real_agent_runs_our_executor_and_fetcher_as_it_runs_its_own() {
    let Some(script) = cluster_script() else {
        return;
    };
    let _one_cluster = ONE_CLUSTER_AT_A_TIME.lock();
    test_rig::require_docker();
    let dir = tempfile::tempdir().unwrap();
    let files = test_files(dir.path());
    let ours_dir = our_launcher_dir();
    let mesos_bin = script.parent().unwrap().join("bin");

    // Ours first, then Mesos's own on the same scenarios, one cluster at a time.
    let ours = {
        let cluster = Cluster::up(&script, "ours", ours_dir.path(), 15150, &[]);
        scenarios(&cluster, &files, dir.path())
    };
    let theirs = {
        let cluster = Cluster::up(&script, "mesos", &mesos_bin, 15150, &[]);
        scenarios(&cluster, &files, dir.path())
    };

    let mut mismatches = Vec::new();
    for ((name, a), (_, b)) in ours.iter().zip(&theirs) {
        // After an agent restart the agent re-sends what the framework had not acknowledged
        // yet, so how often an update repeats is timing; the sequence of updates is not.
        let shapes = |u: &[Update]| {
            let mut v: Vec<_> = u.iter().map(shape).collect();
            v.dedup();
            v
        };
        let (sa, sb) = (shapes(a), shapes(b));
        if sa != sb {
            mismatches.push(format!("{name}:\n  ours:  {sa:?}\n  mesos: {sb:?}"));
        }
        let running = |u: &[Update]| u.iter().find(|u| u.state == "TASK_RUNNING").map(|u| u.at);
        eprintln!(
            "{name}: submit -> TASK_RUNNING ours {:?}, mesos {:?}",
            running(a),
            running(b)
        );
    }
    assert!(
        mismatches.is_empty(),
        "the framework saw different updates:\n{}",
        mismatches.join("\n")
    );

    let by_name = |name: &str| &ours.iter().find(|(n, _)| n == name).unwrap().1;
    assert_eq!(last(by_name("echo")).state, "TASK_FINISHED");
    assert_eq!(
        last(by_name("exit")).message.as_deref(),
        Some("Container exited with status 3")
    );
    assert!(states(by_name("kill")).contains(&"TASK_KILLING"));
    assert_eq!(last(by_name("kill")).state, "TASK_KILLED");
    let no_killing = by_name("kill without TASK_KILLING_STATE");
    assert!(
        !states(no_killing).contains(&"TASK_KILLING"),
        "{:?}",
        states(no_killing)
    );
    assert_eq!(last(no_killing).state, "TASK_KILLED");
    assert_eq!(last(by_name("uris")).state, "TASK_FINISHED");
    assert!(by_name("health check")
        .iter()
        .any(|u| u.healthy == Some(true)));
    assert_eq!(last(by_name("health check")).state, "TASK_KILLED");
    assert_eq!(last(by_name("missing URI")).state, "TASK_FAILED");
    assert_eq!(
        last(by_name("agent restart, checkpointing")).state,
        "TASK_FINISHED"
    );
}

/// Agent gone for longer than its `--recovery_timeout`: our executor stops the task's
/// container and exits instead of waiting forever.
#[test]
fn our_executor_gives_up_after_the_recovery_timeout() {
    let Some(script) = cluster_script() else {
        return;
    };
    let _one_cluster = ONE_CLUSTER_AT_A_TIME.lock();
    test_rig::require_docker();
    let ours_dir = our_launcher_dir();
    let cluster = Cluster::up(
        &script,
        "ours",
        ours_dir.path(),
        15250,
        &["--recovery_timeout=3secs"],
    );
    let mut args = docker_args("abandoned", "sleep 100");
    args.push("--checkpoint".into());
    let run = cluster.execute(&args);
    assert!(
        run.wait_for("TASK_RUNNING"),
        "never ran\n{}",
        cluster.agent_log_tail()
    );
    let pid = executor_pid_of(&cluster, "abandoned");
    assert!(pid.is_some(), "no checkpointed executor pid");
    cluster.kill_agent();
    assert!(
        wait_gone(pid, Duration::from_secs(60)),
        "the executor still runs long after MESOS_RECOVERY_TIMEOUT (3secs)"
    );
    assert!(
        !container_of_task_running(&cluster, "abandoned"),
        "the task's container still runs"
    );
    drop(run);
}
