//! `--docker_mesos_image` for real: `serve` runs in a container built from the workspace
//! binaries, with the Docker socket and the work dir mounted; executors run in containers
//! of their own (`mesos-<ContainerID>.executor`) and survive a restart of serve's container.
//!
//! The image is made here, from nothing but local files (no registry): the debug binaries
//! of `mesos-docker-containerizer`, `mesos-docker-executor` and `mesos-fetcher`, the shared
//! libraries `ldd` lists for them (and the dynamic loader), the docker CLI found on `PATH`
//! (with its libraries if it has any) and busybox-static as `/bin/sh`, `docker import`ed
//! from a tarball. Everything the test makes (serve's containers, the executor and task
//! containers, the image) is removed when it ends, also when it fails.
//!
//! Needs `mesos-docker-executor` and `mesos-fetcher` next to the containerizer binary
//! (`cargo build --workspace`; `scripts/test` does it first).

mod common;

use common::{eventually, remove_agent_containers, text, Operator, BIN, LIMIT};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use test_rig::ContainerGuard;

/// Where the workspace binaries are in the image (`--launcher_dir`).
const IMAGE_BIN_DIR: &str = "/usr/bin";

/// Removes the image when dropped (after the containers using it: declare it first).
struct ImageGuard(String);

impl Drop for ImageGuard {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["rmi", "-f", &self.0])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Removes every container labelled with the agent id of `work` when dropped: whatever
/// serve made that the named guards do not cover.
struct AgentContainers(PathBuf);

impl Drop for AgentContainers {
    fn drop(&mut self) {
        remove_agent_containers(&self.0);
    }
}

/// The shared libraries (and the loader) `binary` needs, as `ldd` lists them; none for a
/// static binary.
fn shared_libraries(binary: &Path) -> Vec<PathBuf> {
    let out = Command::new("ldd").arg(binary).output().expect("run ldd");
    // ldd fails with "not a dynamic executable" for static binaries.
    if !out.status.success() {
        return Vec::new();
    }
    let mut libs = Vec::new();
    for line in text(&out.stdout).lines() {
        // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or
        // "/lib64/ld-linux-x86-64.so.2 (0x...)"; "linux-vdso.so.1 (0x...)" has no file.
        let path = match line.split_once("=>") {
            Some((_, rest)) => rest.split_whitespace().next(),
            None => line.split_whitespace().next(),
        };
        if let Some(path) = path.filter(|p| p.starts_with('/')) {
            libs.push(PathBuf::from(path));
        }
    }
    libs
}

/// Copies `from` (following symlinks) to `root` + `to`.
fn install(root: &Path, from: &Path, to: &Path) {
    let target = root.join(to.strip_prefix("/").unwrap_or(to));
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::copy(from, &target)
        .unwrap_or_else(|e| panic!("copy {} to {}: {e}", from.display(), target.display()));
}

fn which(program: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{program} is not on PATH"))
}

/// Builds the image serve and the executors run from; see the module docs.
fn build_image() -> ImageGuard {
    let bin_dir = Path::new(BIN).parent().unwrap();
    let mut binaries = vec![PathBuf::from(BIN)];
    for bin in ["mesos-docker-executor", "mesos-fetcher"] {
        let path = bin_dir.join(bin);
        assert!(
            path.exists(),
            "{bin} is not in {}: run `cargo build --workspace` first (scripts/test does)",
            bin_dir.display()
        );
        binaries.push(path);
    }
    let busybox = ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("busybox-static is installed (scripts/setup installs it)");
    let docker = which("docker");

    let staging = tempfile::tempdir().unwrap();
    let root = staging.path();
    let mut libraries = Vec::new();
    for binary in binaries.iter().chain([&docker, &busybox]) {
        let name = binary.file_name().unwrap();
        let to = if *binary == busybox {
            Path::new("/bin/busybox").to_path_buf()
        } else {
            Path::new(IMAGE_BIN_DIR).join(name)
        };
        install(root, binary, &to);
        if binaries.contains(binary) {
            // Debug builds are mostly debug info: drop it from the copy (when `strip` is
            // there) to keep the image small and the import quick.
            let _ = Command::new("strip")
                .arg("--strip-debug")
                .arg(root.join(to.strip_prefix("/").unwrap()))
                .stderr(Stdio::null())
                .status();
        }
        libraries.extend(shared_libraries(binary));
    }
    libraries.sort();
    libraries.dedup();
    for lib in &libraries {
        install(root, lib, lib);
    }
    std::os::unix::fs::symlink("busybox", root.join("bin/sh")).unwrap();
    for dir in ["tmp", "root", "etc"] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    std::fs::write(root.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").unwrap();
    std::fs::write(root.join("etc/group"), "root:x:0:\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(root.join("tmp"), std::fs::Permissions::from_mode(0o1777)).unwrap();

    let tag = format!("{}:latest", test_rig::unique_name("mesos-test/dmi-"));
    let guard = ImageGuard(tag.clone());
    let mut tar = Command::new("tar")
        .args(["-C", &root.display().to_string(), "-cf", "-", "."])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let import = Command::new("docker")
        .args([
            "import",
            "--change",
            "ENV PATH=/usr/bin:/bin",
            "--change",
            "ENV HOME=/root",
            "-",
            &tag,
        ])
        .stdin(tar.stdout.take().unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = test_rig::wait_bounded(import, LIMIT);
    assert!(tar.wait().unwrap().success(), "tar failed");
    assert!(
        out.status.success(),
        "docker import failed: {}",
        text(&out.stderr)
    );
    guard
}

/// A serve in a container of `image`, on the host network, with the Docker socket and the
/// work dir mounted at their own paths.
struct ServeContainer {
    guard: ContainerGuard,
    port: u16,
}

impl ServeContainer {
    /// Starts it (`port` 0: any free port) and waits for its address line.
    fn start(image: &str, work: &Path, port: u16) -> ServeContainer {
        let name = test_rig::unique_name("mesos-test-serve-");
        let guard = ContainerGuard(name.clone());
        let work = work.display().to_string();
        test_rig::docker(&[
            "run",
            "-d",
            "--name",
            &name,
            "--net",
            "host",
            "-v",
            "/var/run/docker.sock:/var/run/docker.sock",
            "-v",
            &format!("{work}:{work}"),
            image,
            "mesos-docker-containerizer",
            &format!("--work_dir={work}"),
            &format!("--docker_mesos_image={image}"),
            &format!("--launcher_dir={IMAGE_BIN_DIR}"),
            "serve",
            "--port",
            &port.to_string(),
        ]);
        let port = eventually("serve in its container to announce its address", || {
            let logs = logs(&name);
            let running = Command::new("docker")
                .args(["inspect", "-f", "{{.State.Running}}", &name])
                .output()
                .map(|o| text(&o.stdout).trim() == "true")
                .unwrap_or(false);
            assert!(
                running || logs.contains("listening on"),
                "serve's container stopped:\n{logs}"
            );
            logs.lines()
                .find_map(|l| l.strip_prefix("listening on http://"))
                .map(|addr| addr.rsplit(':').next().unwrap().trim().parse().unwrap())
        });
        ServeContainer { guard, port }
    }

    fn name(&self) -> &str {
        &self.guard.0
    }
}

impl Operator for ServeContainer {
    fn port(&self) -> u16 {
        self.port
    }

    fn log(&self) -> String {
        logs(self.name())
    }
}

fn logs(name: &str) -> String {
    let out = Command::new("docker")
        .args(["logs", name])
        .output()
        .expect("docker logs");
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

/// `Some(running)` for an existing container, `None` when there is none.
fn running(name: &str) -> Option<bool> {
    let out = Command::new("docker")
        .args(["inspect", "-f", "{{.State.Running}}", name])
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| text(&out.stdout).trim() == "true")
}

fn updates(work: &Path, cid: &str) -> Vec<Value> {
    let path = work.join("meta/containers").join(cid).join("updates.jsonl");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn states(updates: &[Value]) -> Vec<String> {
    updates
        .iter()
        .map(|u| u["state"].as_str().unwrap().to_string())
        .collect()
}

fn sleeper(name: &str) -> Value {
    json!({
        "name": name,
        "command": {"value": "trap 'echo got SIGTERM; exit 0' TERM; echo hello from the task; while true; do sleep 1; done"},
        "resources": [
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
            {"name": "mem", "type": "SCALAR", "scalar": {"value": 64}}
        ],
        "container": {"type": "DOCKER", "docker": {"image": test_rig::BUSYBOX_IMAGE}},
        "kill_policy": {"grace_period": {"nanoseconds": 3_000_000_000u64}}
    })
}

/// The two docker containers of a container id, guarded.
fn guards(cid: &str) -> [ContainerGuard; 2] {
    [
        ContainerGuard(format!("mesos-{cid}")),
        ContainerGuard(format!("mesos-{cid}.executor")),
    ]
}

#[test]
fn executors_in_their_own_containers_survive_a_restart_of_serves_container() {
    test_rig::require_docker();
    // Declared first, dropped last: after every container using it.
    let image = build_image();
    let work = tempfile::tempdir().unwrap();
    let work_path = work.path().to_path_buf();
    let _agent_containers = AgentContainers(work_path.clone());
    let tasks = tempfile::tempdir().unwrap();

    let serve = ServeContainer::start(&image.0, &work_path, 0);
    // `kept` runs across the restart; `orphaned` loses its executor while serve is down.
    let kept = test_rig::unique_name("dmi-");
    let orphaned = test_rig::unique_name("dmi-");
    let _guards = [guards(&kept), guards(&orphaned)];
    for cid in [&kept, &orphaned] {
        let task = tasks.path().join(format!("{cid}.json"));
        std::fs::write(&task, sleeper(cid).to_string()).unwrap();
        let out = serve.ok(&["launch", task.to_str().unwrap(), "--container_id", cid]);
        assert_eq!(out.trim(), cid.as_str());
    }

    // Each executor runs in its own container next to its task's.
    for cid in [&kept, &orphaned] {
        let executor = format!("mesos-{cid}.executor");
        assert_eq!(running(&executor), Some(true), "{}", serve.log());
        assert_eq!(running(&format!("mesos-{cid}")), Some(true));
        let c = serve.container(cid);
        assert_eq!(c["task_state"], "TASK_RUNNING", "{c}");
        assert_eq!(c["executor_container"], executor.as_str(), "{c}");
    }
    let executor = format!("mesos-{kept}.executor");
    let inspect = |format: &str| test_rig::docker(&["inspect", "-f", format, &executor]);
    assert_eq!(inspect("{{.Config.Image}}").trim(), image.0);
    assert_eq!(inspect("{{.HostConfig.NetworkMode}}").trim(), "host");
    let binds = inspect("{{json .HostConfig.Binds}}");
    let sandbox = work_path.join("sandboxes").join(&kept);
    assert!(
        binds.contains(&format!("{0}:{0}:rw", sandbox.display())),
        "{binds}"
    );
    assert!(
        binds.contains("/var/run/docker.sock:/var/run/docker.sock:ro"),
        "{binds}"
    );
    // The agent's environment reaches the executor, its values never on a command line.
    let env = inspect("{{json .Config.Env}}");
    assert!(
        env.contains(&format!("MESOS_AGENT_ENDPOINT=127.0.0.1:{}", serve.port)),
        "{env}"
    );
    let cmd = inspect("{{json .Config.Cmd}}");
    assert!(cmd.contains("mesos-docker-executor"), "{cmd}");
    assert!(!cmd.contains("MESOS_AGENT_ENDPOINT"), "{cmd}");
    assert!(inspect("{{json .Config.Labels}}").contains(&kept));
    // The task's output reaches the sandbox through the executor container.
    eventually("the task's output in the sandbox", || {
        std::fs::read_to_string(sandbox.join("stdout"))
            .ok()
            .filter(|s| s.contains("hello from the task"))
    });

    // serve's container goes (as in a restart of it); executors and tasks stay.
    let port = serve.port;
    drop(serve);
    for cid in [&kept, &orphaned] {
        assert_eq!(running(&format!("mesos-{cid}.executor")), Some(true));
        assert_eq!(running(&format!("mesos-{cid}")), Some(true));
    }
    // While serve is away one executor dies; its task container keeps running.
    test_rig::docker(&["kill", &format!("mesos-{orphaned}.executor")]);

    let serve = ServeContainer::start(&image.0, &work_path, port);
    assert_eq!(serve.port, port);
    let c = serve.container(&kept);
    assert_eq!(c["task_state"], "TASK_RUNNING", "{c}\n{}", serve.log());
    assert_eq!(c["recovered"], true, "{c}");
    let ps = serve.ok(&["ps"]);
    assert!(
        ps.lines()
            .any(|l| l.starts_with(kept.as_str()) && l.contains("TASK_RUNNING")),
        "{ps}"
    );

    // The one whose executor died: failed, both its containers removed.
    let out = serve.cli(&["wait", &orphaned]);
    let t: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(t["state"], "TASK_FAILED", "{t}");
    assert_eq!(t["reason"], "REASON_EXECUTOR_TERMINATED", "{t}");
    assert_eq!(running(&format!("mesos-{orphaned}")), None);
    assert_eq!(running(&format!("mesos-{orphaned}.executor")), None);

    // The re-adopted one is still managed: killed through the new serve.
    let out = serve.ok(&["kill", &kept]);
    assert!(out.contains("TASK_KILLED"), "{out}");
    assert_eq!(
        states(&updates(&work_path, &kept)),
        [
            "TASK_STARTING",
            "TASK_RUNNING",
            "TASK_KILLING",
            "TASK_KILLED"
        ]
    );
    eventually("both containers of the killed task to be removed", || {
        (running(&format!("mesos-{kept}")).is_none()
            && running(&format!("mesos-{kept}.executor")).is_none())
        .then_some(())
    });
    // Its output after the restart still reached the sandbox.
    let stdout = std::fs::read_to_string(sandbox.join("stdout")).unwrap();
    assert!(stdout.contains("got SIGTERM"), "{stdout}");

    // An executor container that dies under a running serve fails its task at once.
    let victim = test_rig::unique_name("dmi-");
    let _victim_guards = guards(&victim);
    let task = tasks.path().join("victim.json");
    std::fs::write(&task, sleeper("victim").to_string()).unwrap();
    serve.ok(&["launch", task.to_str().unwrap(), "--container_id", &victim]);
    test_rig::docker(&["kill", &format!("mesos-{victim}.executor")]);
    let out = serve.cli(&["wait", &victim]);
    let t: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(t["state"], "TASK_FAILED", "{t}");
    assert_eq!(t["reason"], "REASON_EXECUTOR_TERMINATED", "{t}");
    assert!(
        t["message"]
            .as_str()
            .unwrap()
            .contains("Executor terminated (its container exited with status 137)"),
        "{t}"
    );
    assert_eq!(running(&format!("mesos-{victim}")), None);
    assert_eq!(running(&format!("mesos-{victim}.executor")), None);
}
