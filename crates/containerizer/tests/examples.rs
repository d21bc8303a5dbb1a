//! Every example in `examples/` run end to end through `mesos-docker-containerizer run`
//! against the real Docker daemon, checked the way a user would: the printed status
//! updates, the exit code, the sandbox files, and no container left behind.
//!
//! Needs `mesos-docker-executor` and `mesos-fetcher` next to the containerizer binary
//! (`cargo build --workspace` puts them there; `scripts/test` does it first).

mod common;

use common::{json_updates, launcher_dir, text, BIN};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// One `run` in its own work dir.
struct Run {
    work: tempfile::TempDir,
    container_id: String,
}

impl Run {
    fn new() -> Self {
        test_rig::require_docker();
        Self {
            work: tempfile::tempdir().unwrap(),
            container_id: test_rig::unique_name("ex-"),
        }
    }

    fn sandbox(&self) -> PathBuf {
        self.work.path().join("sandboxes").join(&self.container_id)
    }

    fn sandbox_file(&self, name: &str) -> String {
        std::fs::read_to_string(self.sandbox().join(name)).unwrap_or_default()
    }

    /// `flags` go before the command (containerizer flags), `run_args` after it.
    fn command_with(&self, task: &Path, flags: &[String], run_args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg(format!("--work_dir={}", self.work.path().display()))
            .arg(format!("--launcher_dir={}", launcher_dir().display()))
            .args(flags)
            .arg("run")
            .arg(task)
            .args(["--container_id", &self.container_id])
            .args(run_args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    fn command(&self, task: &Path, flags: &[String]) -> Command {
        self.command_with(task, flags, &[])
    }

    fn run(&self, task: &Path, flags: &[String]) -> Output {
        let child = self.command(task, flags).spawn().unwrap();
        test_rig::wait_bounded(child, Duration::from_secs(180))
    }

    fn assert_no_container(&self) {
        let name = format!("mesos-{}", self.container_id);
        assert!(!test_rig::container_exists(&name), "{name} was left behind");
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        // A failing test must not leak its container.
        drop(test_rig::ContainerGuard(format!(
            "mesos-{}",
            self.container_id
        )));
    }
}

fn states(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(|s| s.trim_end_matches(':').to_string())
        .collect()
}

#[test]
fn hello_prints_its_updates_and_output() {
    let run = Run::new();
    let out = run.run(&examples_dir().join("hello.json"), &[]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(
        states(&out),
        ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"],
        "stdout: {}",
        text(&out.stdout)
    );
    let stdout = run.sandbox_file("stdout");
    assert!(
        stdout.contains("Hello from hello: the task environment works"),
        "{stdout}"
    );
    assert!(stdout.contains("sandbox: /mnt/mesos/sandbox"), "{stdout}");
    let state = std::fs::read_to_string(
        run.work
            .path()
            .join("meta/containers")
            .join(&run.container_id)
            .join("state.json"),
    )
    .unwrap();
    assert!(state.contains("\"TASK_FINISHED\""), "{state}");
    run.assert_no_container();
}

#[test]
fn failing_exits_with_the_container_exit_code() {
    let run = Run::new();
    let child = run
        .command_with(&examples_dir().join("failing.json"), &[], &["--json"])
        .spawn()
        .unwrap();
    let out = test_rig::wait_bounded(child, Duration::from_secs(180));
    assert_eq!(out.status.code(), Some(3), "stderr: {}", text(&out.stderr));
    let last: serde_json::Value =
        serde_json::from_str(text(&out.stdout).lines().last().expect("a status line")).unwrap();
    assert_eq!(last["state"], "TASK_FAILED");
    assert!(last["message"].as_str().unwrap().contains("3"), "{last}");
    assert!(run.sandbox_file("stderr").contains("about to fail"));
    run.assert_no_container();
}

#[test]
fn entrypoint_gets_value_and_arguments() {
    let run = Run::new();
    let out = run.run(&examples_dir().join("entrypoint.json"), &[]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let stdout = run.sandbox_file("stdout");
    assert!(
        stdout.contains("entrypoint first-argument second third"),
        "{stdout}"
    );
    run.assert_no_container();
}

#[test]
fn volumes_are_mounted_with_their_modes() {
    let run = Run::new();
    let out = run.run(&examples_dir().join("volumes.json"), &[]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let stdout = run.sandbox_file("stdout");
    for expected in ["host volume ok", "sandbox volume ok", "read-only"] {
        assert!(stdout.contains(expected), "{expected:?} in {stdout}");
    }
    assert_eq!(
        std::fs::read_to_string(run.sandbox().join("data/out.txt")).unwrap(),
        "written\n"
    );
    run.assert_no_container();
}

#[test]
fn bridge_reports_the_container_ip() {
    let run = Run::new();
    let out = run.run(&examples_dir().join("bridge.json"), &[]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let running = stdout
        .lines()
        .find(|l| l.starts_with("TASK_RUNNING"))
        .unwrap_or_else(|| panic!("no TASK_RUNNING in {stdout}"));
    let ip = running
        .split_whitespace()
        .find_map(|w| w.strip_prefix("ip="))
        .unwrap_or_else(|| panic!("no ip in {running}"));
    // The task printed its own address (hostname -i): the same one.
    assert!(
        run.sandbox_file("stdout").contains(ip),
        "{ip} not in the task output"
    );
    run.assert_no_container();
}

#[test]
fn fetch_extracts_an_archive_into_the_sandbox_and_runs_it() {
    let run = Run::new();
    let src = tempfile::tempdir().unwrap();
    std::fs::create_dir(src.path().join("hello-app")).unwrap();
    let script = src.path().join("hello-app/run.sh");
    std::fs::write(&script, "#!/bin/sh\necho hello from the fetched app\n").unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let archive = src.path().join("hello-app.tar.gz");
    let status = Command::new("tar")
        .arg("-C")
        .arg(src.path())
        .args(["-czf"])
        .arg(&archive)
        .arg("hello-app")
        .status()
        .unwrap();
    assert!(status.success());
    let server = test_rig::http::FileServer::start(&[(
        "/hello-app.tar.gz",
        std::fs::read(&archive).unwrap(),
    )]);
    let addr = server.addr().to_string();
    let task = src.path().join("fetch.json");
    let json = std::fs::read_to_string(examples_dir().join("fetch.json"))
        .unwrap()
        .replace("127.0.0.1:18080", &addr);
    std::fs::write(&task, json).unwrap();

    let out = run.run(&task, &[]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert!(
        run.sandbox().join("hello-app.tar.gz").exists(),
        "the archive is kept"
    );
    assert!(
        run.sandbox().join("hello-app/run.sh").exists(),
        "the archive is extracted"
    );
    let stdout = run.sandbox_file("stdout");
    assert!(stdout.contains("hello from the fetched app"), "{stdout}");
    run.assert_no_container();
}

#[test]
fn a_cached_uri_is_downloaded_once_across_runs() {
    let cache = tempfile::tempdir().unwrap();
    let server = test_rig::http::FileServer::start(&[("/data.txt", b"cached payload\n".to_vec())]);
    let addr = server.addr();
    let src = tempfile::tempdir().unwrap();
    let task = src.path().join("cached.json");
    let json = format!(
        r#"{{"name": "cached",
            "command": {{"value": "cat $MESOS_SANDBOX/data.txt",
                         "uris": [{{"value": "http://{addr}/data.txt", "cache": true}}]}},
            "container": {{"type": "DOCKER", "docker": {{"image": "{}"}}}}}}"#,
        test_rig::BUSYBOX_IMAGE
    );
    std::fs::write(&task, json).unwrap();
    let flags = [format!("--fetcher_cache_dir={}", cache.path().display())];
    for round in 0..2 {
        let run = Run::new();
        let out = run.run(&task, &flags);
        assert_eq!(
            out.status.code(),
            Some(0),
            "round {round}: stderr: {}",
            text(&out.stderr)
        );
        let stdout = run.sandbox_file("stdout");
        assert!(stdout.contains("cached payload"), "round {round}: {stdout}");
        run.assert_no_container();
    }
    assert_eq!(
        server.gets("/data.txt"),
        1,
        "the second run must take the file from the cache"
    );
}

#[test]
fn a_fetch_beyond_the_task_disk_fails_and_leaves_no_partial_file() {
    // 3 MiB for a task with 1 MB of disk: the fetcher stops at the task's disk.
    let server = test_rig::http::FileServer::start(&[("/big.bin", vec![7u8; 3 << 20])]);
    let addr = server.addr();
    let src = tempfile::tempdir().unwrap();
    let task = src.path().join("disk.json");
    let json = format!(
        r#"{{"name": "disk",
            "resources": [{{"name": "disk", "type": "SCALAR", "scalar": {{"value": 1}}}}],
            "command": {{"value": "true",
                         "uris": [{{"value": "http://{addr}/big.bin"}}]}},
            "container": {{"type": "DOCKER", "docker": {{"image": "{}"}}}}}}"#,
        test_rig::BUSYBOX_IMAGE
    );
    std::fs::write(&task, json).unwrap();
    let run = Run::new();
    let out = run.run(&task, &[]);
    assert_eq!(
        out.status.code(),
        Some(125),
        "stderr: {}",
        text(&out.stderr)
    );
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        all.contains("Disk budget of 1MB (FETCHER_DISK_BUDGET) exceeded"),
        "{all}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(run.sandbox())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "stdout" && n != "stderr")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    run.assert_no_container();
}

#[test]
fn private_image_needs_the_docker_config() {
    let image = test_rig::auth_registry_image();
    let _ = Command::new("docker")
        .args(["rmi", &image])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let task = examples_dir().join("private.json");

    let without = Run::new();
    let out = without.run(&task, &[]);
    assert_eq!(
        out.status.code(),
        Some(125),
        "stdout: {}",
        text(&out.stdout)
    );
    let stderr = text(&out.stderr);
    assert!(stderr.contains("Failed to pull image"), "{stderr}");
    without.assert_no_container();

    let config_dir = tempfile::tempdir().unwrap();
    let config = config_dir.path().join("config.json");
    std::fs::write(&config, test_rig::auth_docker_config_json()).unwrap();
    let with = Run::new();
    let out = with.run(&task, &[format!("--docker_config={}", config.display())]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert!(with
        .sandbox_file("stdout")
        .contains("pulled from the private registry"));
    // The credentials never reach argv, logs or the sandbox.
    let password = test_rig::AUTH_PASSWORD;
    for file in ["stdout", "stderr"] {
        assert!(
            !with.sandbox_file(file).contains(password),
            "password in {file}"
        );
    }
    assert!(!text(&out.stderr).contains(password));
    with.assert_no_container();
    let _ = Command::new("docker")
        .args(["rmi", &image])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Whether any process's argv holds `needle`.
fn on_some_cmdline(needle: &str) -> bool {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .any(|e| {
            std::fs::read(e.path().join("cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(needle))
                .unwrap_or(false)
        })
}

#[test]
fn sleep_is_killed_gracefully_on_ctrl_c_and_env_values_stay_off_argv() {
    let run = Run::new();
    let secret = format!("s3cr3t-{}", test_rig::unique_name(""));
    let src = tempfile::tempdir().unwrap();
    let task = src.path().join("sleep.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(examples_dir().join("sleep.json")).unwrap())
            .unwrap();
    json["command"]["environment"] =
        serde_json::json!({"variables": [{"name": "API_TOKEN", "value": secret}]});
    std::fs::write(&task, json.to_string()).unwrap();

    let child = run.command(&task, &[]).spawn().unwrap();
    let pid = child.id();
    // Wait until the task is up (bounded), then look at every argv on the machine.
    let start = Instant::now();
    while !run.sandbox_file("stdout").contains("sleeping") {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the task never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !on_some_cmdline(&secret),
        "an env value is on a command line"
    );
    let inspect = test_rig::docker(&["inspect", &format!("mesos-{}", run.container_id)]);
    assert!(
        inspect.contains("mesos.task_id"),
        "labels missing: {inspect}"
    );

    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let out = test_rig::wait_bounded(child, Duration::from_secs(120));
    let got = states(&out);
    assert!(
        got.ends_with(&["TASK_KILLING".to_string(), "TASK_KILLED".to_string()]),
        "{got:?}; stderr: {}",
        text(&out.stderr)
    );
    assert!(run.sandbox_file("stdout").contains("got SIGTERM"));
    // The task's trap exits 0: docker run's (and so our) exit code is the container's.
    assert_eq!(out.status.code(), Some(0));
    run.assert_no_container();
}

/// A launch that fails before the container exists (a fetch, a pull) is a status update, as
/// the agent sends it to the framework: `run --json` prints it, then says why on stderr and
/// exits 125.
#[test]
fn a_launch_failure_is_printed_as_the_agents_update() {
    let dir = tempfile::tempdir().unwrap();
    let fetch = dir.path().join("fetch.json");
    std::fs::write(
        &fetch,
        serde_json::json!({
            "name": "unfetchable",
            "command": {"value": "true", "uris": [{"value": "http://127.0.0.1:1/nothing.tar.gz"}]},
            "container": {"type": "DOCKER", "docker": {"image": test_rig::BUSYBOX_IMAGE}}
        })
        .to_string(),
    )
    .unwrap();
    let pull = dir.path().join("pull.json");
    let image = format!(
        "{}/mesos-test/does-not-exist:latest",
        test_rig::OPEN_REGISTRY
    );
    std::fs::write(
        &pull,
        serde_json::json!({
            "name": "unpullable",
            "command": {"value": "true"},
            "container": {"type": "DOCKER", "docker": {"image": image}}
        })
        .to_string(),
    )
    .unwrap();
    for (task, cause) in [
        (fetch, "Failed to fetch all URIs for container '{cid}'"),
        (pull, "Failed to pull image '{image}' for container '{cid}'"),
    ] {
        let run = Run::new();
        let cause = cause
            .replace("{cid}", &run.container_id)
            .replace("{image}", &image);
        let child = run.command_with(&task, &[], &["--json"]).spawn().unwrap();
        let out = test_rig::wait_bounded(child, Duration::from_secs(180));
        assert_eq!(out.status.code(), Some(125), "{}", text(&out.stderr));
        let updates = json_updates(&out);
        assert_eq!(updates.len(), 1, "{updates:?}");
        let update = &updates[0];
        assert_eq!(update["state"], "TASK_FAILED", "{update}");
        assert_eq!(
            update["reason"], "REASON_CONTAINER_LAUNCH_FAILED",
            "{update}"
        );
        assert_eq!(update["source"], "SOURCE_AGENT", "{update}");
        let message = update["message"].as_str().unwrap();
        let expected = format!("Failed to launch container: {cause}");
        assert!(message.starts_with(&expected), "{message}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(&format!(
                "error: container {} did not start: {expected}",
                run.container_id
            )),
            "{stderr}"
        );
        run.assert_no_container();
    }
}

/// An option docker refuses (here a network it does not know) fails the task at once with
/// docker's own reason in the update, and exit code 125 as `docker run`'s.
#[test]
fn a_network_docker_does_not_know_fails_the_task_with_dockers_reason() {
    let network = test_rig::unique_name("nosuchnet-");
    let dir = tempfile::tempdir().unwrap();
    let task = dir.path().join("task.json");
    std::fs::write(
        &task,
        serde_json::json!({
            "name": "unknown-network",
            "command": {"value": "echo ran"},
            "container": {"type": "DOCKER", "docker": {"image": test_rig::BUSYBOX_IMAGE, "network": "USER"},
                          "network_infos": [{"name": network}]}
        })
        .to_string(),
    )
    .unwrap();
    let run = Run::new();
    let child = run.command_with(&task, &[], &["--json"]).spawn().unwrap();
    let out = test_rig::wait_bounded(child, Duration::from_secs(180));
    assert_eq!(out.status.code(), Some(125), "{}", text(&out.stderr));
    let updates = json_updates(&out);
    let states: Vec<&str> = updates
        .iter()
        .map(|u| u["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["TASK_STARTING", "TASK_FAILED"], "{updates:?}");
    let message = updates[1]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Container exited with status 125: "),
        "{message}"
    );
    assert!(
        message.contains(&format!("network {network} not found")),
        "{message}"
    );
    assert!(!run.sandbox_file("stdout").contains("ran"));
    run.assert_no_container();
}

/// A uniquely tagged copy of busybox in the htpasswd registry, absent locally; removed
/// locally on drop. Unique, so that no other test's private image is disturbed.
struct PrivateCopy {
    image: String,
}

impl PrivateCopy {
    fn push() -> Self {
        let image = format!(
            "{}/mesos-test/fetched-credentials:{}",
            test_rig::AUTH_REGISTRY,
            test_rig::unique_name("t")
        );
        test_rig::docker(&["tag", test_rig::BUSYBOX_IMAGE, &image]);
        let login = tempfile::tempdir().unwrap();
        std::fs::write(
            login.path().join("config.json"),
            test_rig::auth_docker_config_json(),
        )
        .unwrap();
        let out = Command::new("docker")
            .arg("--config")
            .arg(login.path())
            .args(["push", &image])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let copy = PrivateCopy { image };
        assert!(out.status.success(), "push: {}", text(&out.stderr));
        copy.remove_local();
        copy
    }

    fn remove_local(&self) {
        let _ = Command::new("docker")
            .args(["rmi", &self.image])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for PrivateCopy {
    fn drop(&mut self) {
        self.remove_local();
    }
}

/// The docker CLIs on this machine: the first on PATH (28.x, which reads no `.dockercfg`)
/// and Debian's `/usr/bin/docker` (20.10, which does), when they differ.
fn docker_clis() -> Vec<String> {
    let mut clis = vec!["docker".to_string()];
    let version = |cli: &str| {
        Command::new(cli)
            .arg("--version")
            .output()
            .map(|o| text(&o.stdout))
            .unwrap_or_default()
    };
    if Path::new("/usr/bin/docker").exists() && version("/usr/bin/docker") != version("docker") {
        clis.push("/usr/bin/docker".to_string());
    } else {
        eprintln!("note: only one docker CLI here; the .dockercfg test runs with it alone");
    }
    clis
}

/// Mesos's documented way to a private registry — a `.dockercfg` fetched into the sandbox
/// (or a `.docker/config.json`) — pulls with today's docker CLI as with older ones; the
/// copy of the credentials made for the pull is gone afterwards, and the password reaches
/// no output.
#[test]
fn a_docker_config_fetched_into_the_sandbox_pulls_with_every_docker_cli() {
    let json: serde_json::Value =
        serde_json::from_str(&test_rig::auth_docker_config_json()).unwrap();
    let files = tempfile::tempdir().unwrap();
    // The old format, as Mesos's documentation shows it.
    let dockercfg = files.path().join(".dockercfg");
    std::fs::write(&dockercfg, json["auths"].to_string()).unwrap();
    let config_json = files.path().join("config.json");
    std::fs::write(&config_json, json.to_string()).unwrap();
    for cli in docker_clis() {
        for (uri, output_file) in [
            (&dockercfg, None),
            (&config_json, Some(".docker/config.json")),
        ] {
            let copy = PrivateCopy::push();
            let mut fetched = serde_json::json!({"value": format!("file://{}", uri.display())});
            if let Some(file) = output_file {
                fetched["output_file"] = file.into();
            }
            let task = files.path().join("task.json");
            std::fs::write(
                &task,
                serde_json::json!({
                    "name": "fetched-credentials",
                    "command": {"value": "echo pulled with the sandbox credentials", "uris": [fetched]},
                    "container": {"type": "DOCKER", "docker": {"image": copy.image}}
                })
                .to_string(),
            )
            .unwrap();
            let tmp = tempfile::tempdir().unwrap();
            let run = Run::new();
            let child = run
                .command(&task, &[format!("--docker={cli}")])
                .env("TMPDIR", tmp.path())
                .spawn()
                .unwrap();
            let out = test_rig::wait_bounded(child, Duration::from_secs(180));
            let what = format!("{cli}, {}", uri.display());
            assert_eq!(
                out.status.code(),
                Some(0),
                "{what}: {}{}",
                text(&out.stdout),
                text(&out.stderr)
            );
            assert!(
                run.sandbox_file("stdout")
                    .contains("pulled with the sandbox credentials"),
                "{what}"
            );
            let left: Vec<_> = std::fs::read_dir(tmp.path())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .filter(|n| n.to_string_lossy().starts_with("mesos-docker-config-"))
                .collect();
            assert!(
                left.is_empty(),
                "{what}: credentials left in TMPDIR: {left:?}"
            );
            let password = test_rig::AUTH_PASSWORD;
            let token = json["auths"][test_rig::AUTH_REGISTRY]["auth"]
                .as_str()
                .unwrap();
            for output in [
                text(&out.stdout),
                text(&out.stderr),
                run.sandbox_file("stderr"),
            ] {
                assert!(!output.contains(password), "{what}: password in an output");
                assert!(!output.contains(token), "{what}: credentials in an output");
            }
            run.assert_no_container();
        }
    }
}
