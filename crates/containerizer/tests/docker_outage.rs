//! The Docker daemon going away while tasks run, and coming back: `serve` keeps answering,
//! no call hangs past its time limit, and afterwards what it reports matches what docker
//! says.
//!
//! The daemon is not restarted for real: the suite shares one dockerd with every other test
//! running at the same time, and a second private dockerd changes host-wide state (it
//! deletes the `docker0` bridge when started with `--bridge=none`). Instead `serve` and its
//! executors talk to the daemon through a Unix-socket proxy owned by the test
//! (`--docker_socket`, `test_rig::docker_proxy`); stopping the proxy is, for them, the daemon
//! going away: every open connection (the executors' attached `docker run`s and serve's
//! waits included) is cut and new ones are refused. The containers keep running meanwhile, as they do across a restart with
//! `live-restore`.
//!
//! Needs `mesos-docker-executor` and `mesos-fetcher` next to the containerizer binary
//! (`cargo build --workspace`; `scripts/test` does it first).

mod common;

use common::{eventually, kill_executors_of, spawn_serve, text, Operator};
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};
use test_rig::docker_proxy::DockerProxy;

/// A `serve` (a child process) with its own work dir, talking to docker through the proxy.
struct Serve {
    work: tempfile::TempDir,
    child: Child,
    port: u16,
}

impl Serve {
    fn start(docker_socket: &Path) -> Serve {
        let work = tempfile::tempdir().unwrap();
        let flags = [format!("--docker_socket={}", docker_socket.display())];
        let (child, port) = spawn_serve(work.path(), &flags, 0);
        Serve { work, child, port }
    }

    fn launch(&self, cid: &str) {
        let task = json!({
            "name": cid,
            "command": {"value": "trap 'exit 0' TERM; echo started; while true; do sleep 1; done"},
            "container": {"type": "DOCKER", "docker": {"image": test_rig::BUSYBOX_IMAGE}},
            "kill_policy": {"grace_period": {"nanoseconds": 3_000_000_000u64}}
        });
        self.call(
            json!({"type": "LAUNCH_TASK", "launch_task": {"task": task, "container_id": cid}}),
        );
    }
}

impl Operator for Serve {
    fn port(&self) -> u16 {
        self.port
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.work.path().join("serve.log")).unwrap_or_default()
    }

    /// With statistics (the API's default): they need docker to locate the cgroup.
    fn container(&self, cid: &str) -> Value {
        let v =
            self.call(json!({"type": "GET_CONTAINERS", "get_containers": {"container_id": cid}}));
        v["get_containers"]["containers"][0].clone()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        kill_executors_of(self.work.path());
    }
}

/// How long `f` took.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let v = f();
    (v, start.elapsed())
}

/// `Some(running)` for an existing container, `None` when there is none (asked of the
/// real daemon).
fn running(name: &str) -> Option<bool> {
    let out = Command::new("docker")
        .args(["inspect", "-f", "{{.State.Running}}", name])
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| text(&out.stdout).trim() == "true")
}

#[test]
fn serve_rides_out_the_docker_daemon_going_away_and_coming_back() {
    test_rig::require_docker();
    let dir = tempfile::tempdir().unwrap();
    let mut proxy = DockerProxy::start(&dir.path().join("docker.sock"));
    let serve = Serve::start(&proxy.path);

    let before = test_rig::unique_name("out-");
    let during = test_rig::unique_name("out-");
    let after = test_rig::unique_name("out-");
    let _guards: Vec<_> = [&before, &during, &after]
        .iter()
        .map(|cid| test_rig::ContainerGuard(format!("mesos-{cid}")))
        .collect();
    serve.launch(&before);
    eventually("the first task to run", || {
        (serve.container(&before)["task_state"] == "TASK_RUNNING").then_some(())
    });

    // The daemon goes away.
    proxy.stop();
    let (health, took) = timed(|| serve.call(json!({"type": "GET_HEALTH"})));
    assert_eq!(health["get_health"]["healthy"], true);
    assert!(took < Duration::from_secs(2), "GET_HEALTH took {took:?}");
    // Statistics need docker at most to locate the cgroup once: an answer, in bounded time.
    let (c, took) = timed(|| serve.container(&before));
    assert!(
        took < Duration::from_secs(15),
        "GET_CONTAINERS took {took:?}"
    );
    assert!(c["task_state"].is_string(), "{c}");
    let (out, took) = timed(|| serve.cli(&["usage", &before]));
    assert!(
        took < Duration::from_secs(15),
        "usage took {took:?}: {out:?}"
    );
    // A launch fails at the pull, at once.
    let (_, took) = timed(|| {
        serve.launch(&during);
        let out = serve.cli(&["wait", &during]);
        let t: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(t["state"], "TASK_FAILED", "{t}");
        assert_eq!(t["reason"], "REASON_CONTAINER_LAUNCH_FAILED", "{t}");
        assert!(
            t["message"]
                .as_str()
                .unwrap()
                .contains("Failed to pull image"),
            "{t}"
        );
    });
    assert!(
        took < Duration::from_secs(30),
        "the failed launch took {took:?}"
    );
    let ps = serve.cli(&["ps", "--all"]);
    assert!(ps.status.success(), "{}", text(&ps.stderr));

    // The daemon is back: what serve says of the task that ran meanwhile matches docker.
    // Its executor took the cut connection of its `docker run` for the container's end
    // (TASK_FAILED, "exited with status 125") while the container ran on; serve then removes
    // the container as soon as docker answers again, so an ended task leaves nothing
    // running. (An executor that rode out the outage keeps the task RUNNING instead.)
    proxy.resume();
    let name = format!("mesos-{before}");
    let state = eventually("the task's state to match docker's", || {
        let state = serve.container(&before)["task_state"]
            .as_str()
            .unwrap()
            .to_string();
        let running = running(&name) == Some(true);
        let consistent = if state == "TASK_RUNNING" {
            running
        } else {
            !running
        };
        consistent.then_some(state)
    });
    if state == "TASK_RUNNING" {
        let out = serve.cli(&["kill", &before]);
        assert!(
            text(&out.stdout).contains("TASK_KILLED"),
            "{}",
            text(&out.stdout)
        );
    }
    assert!(
        serve.log().contains("still runs; removing it") || state == "TASK_RUNNING",
        "{}",
        serve.log()
    );

    // And serve works with docker as before.
    serve.launch(&after);
    eventually("a task launched after the outage to run", || {
        (serve.container(&after)["task_state"] == "TASK_RUNNING").then_some(())
    });
    let out = serve.cli(&["kill", &after]);
    assert!(
        text(&out.stdout).contains("TASK_KILLED"),
        "{}",
        text(&out.stdout)
    );
}
