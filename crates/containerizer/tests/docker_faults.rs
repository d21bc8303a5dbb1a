//! Faults of Docker that the real one shows only now and then: a daemon that does not answer
//! an image inspect (a Unix-socket proxy in front of the real daemon holds the request,
//! `test_rig::docker_proxy`), a container name taken at the last moment (a `--docker` wrapper
//! script around the real CLI takes it).
//!
//! Needs `mesos-docker-executor` and `mesos-fetcher` next to the containerizer binary
//! (`cargo build --workspace`; `scripts/test` does it first).

mod common;

use common::{json_updates, launcher_dir, run_json, text, BIN};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use test_rig::docker_proxy::DockerProxy;

/// The processes whose environment holds `marker` (`NAME=value`), by pid.
fn processes_with(marker: &str) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if environ.split(|b| *b == 0).any(|v| v == marker.as_bytes()) {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            found.push((pid, text(&cmdline).replace('\0', " ")));
        }
    }
    found
}

fn write_script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, body).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_hung_image_inspect_fails_the_launch_at_its_time_limit_without_a_pull() {
    test_rig::require_docker();
    let dir = tempfile::tempdir().unwrap();
    // The daemon never answers an image inspect.
    let proxy = DockerProxy::hanging(&dir.path().join("docker.sock"), |path| {
        path.starts_with("/images/") && path.ends_with("/json")
    });
    // The CLI calls are logged: a pull would show.
    let log = dir.path().join("calls.log");
    let wrapper = dir.path().join("docker");
    write_script(
        &wrapper,
        &format!(
            "#!/bin/sh\necho \"$*\" >> {log}\nexec docker \"$@\"\n",
            log = log.display()
        ),
    );
    let task = dir.path().join("task.json");
    std::fs::write(
        &task,
        serde_json::json!({
            "name": "hung-inspect",
            "command": {"value": "true"},
            "resources": [{"name": "mem", "type": "SCALAR", "scalar": {"value": 32}}],
            "container": {"type": "DOCKER", "docker": {"image": test_rig::BUSYBOX_IMAGE}}
        })
        .to_string(),
    )
    .unwrap();
    let cid = test_rig::unique_name("hung-");
    // Every process of this run carries the marker in its environment.
    let marker = format!("MESOS_TEST_MARKER={cid}");
    let child = Command::new(BIN)
        .arg(format!("--work_dir={}", dir.path().join("work").display()))
        .arg(format!("--launcher_dir={}", launcher_dir().display()))
        .arg(format!("--docker={}", wrapper.display()))
        .arg(format!("--docker_socket={}", proxy.path.display()))
        .arg("--docker_inspect_timeout=2secs")
        .args(["run", task.to_str().unwrap(), "--container_id", &cid])
        .env("MESOS_TEST_MARKER", &cid)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = test_rig::wait_bounded(child, Duration::from_secs(120));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{stderr}");
    // The failure names what hung and its limit.
    assert!(
        stderr.contains(&format!(
            "Failed to pull image '{image}' for container '{cid}': 'inspect image {image}' timed out after 2s",
            image = test_rig::BUSYBOX_IMAGE
        )),
        "{stderr}"
    );
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        !calls
            .lines()
            .any(|l| l.split_whitespace().any(|w| w == "pull")),
        "a timed-out inspect was taken for a missing image and a pull was tried:\n{calls}"
    );
    let left = processes_with(&marker);
    assert!(
        left.is_empty(),
        "processes of the launch outlived run: {left:?}"
    );
    assert!(!test_rig::container_exists(&format!("mesos-{cid}")));
}

/// Another container takes the name `mesos-<id>` after the launch checked it was free and
/// before the task's `docker run` or `docker create` (a wrapper creates it right then): the task fails with
/// docker's reason, and that container is neither reported as the task's, nor stopped, nor
/// removed, by the executor or by the containerizer cleaning up after it.
#[test]
fn a_name_taken_just_before_the_task_container_is_created_is_not_adopted_nor_removed() {
    test_rig::require_docker();
    let dir = tempfile::tempdir().unwrap();
    let cid = test_rig::unique_name("race-");
    let name = format!("mesos-{cid}");
    let _other = test_rig::ContainerGuard(name.clone());
    let wrapper = dir.path().join("docker");
    write_script(
        &wrapper,
        &format!(
            "#!/bin/sh\ncase \" $* \" in\n  *\" run \"*\"--name {name} \"* | *\" create \"*\"--name {name} \"*) docker run -d --name {name} {image} sleep 600 > {dir}/other.id ;;\nesac\nexec docker \"$@\"\n",
            image = test_rig::BUSYBOX_IMAGE,
            dir = dir.path().display()
        ),
    );
    let task = dir.path().join("task.json");
    std::fs::write(
        &task,
        serde_json::json!({
            "name": "raced",
            "command": {"value": "echo ran"},
            "container": {"type": "DOCKER", "docker": {"image": test_rig::BUSYBOX_IMAGE}}
        })
        .to_string(),
    )
    .unwrap();
    let work = dir.path().join("work");
    let out = run_json(
        &work,
        &task,
        &cid,
        &[format!("--docker={}", wrapper.display())],
        Duration::from_secs(120),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{stderr}");
    let updates = json_updates(&out);
    let states: Vec<&str> = updates
        .iter()
        .map(|u| u["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["TASK_STARTING", "TASK_FAILED"], "{updates:?}");
    let message = updates[1]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("\"/{name}\" is already in use")),
        "{message}"
    );
    let other = std::fs::read_to_string(dir.path().join("other.id")).unwrap();
    let state = test_rig::docker(&["inspect", "-f", "{{.Id}} {{.State.Running}}", &name]);
    assert_eq!(
        state.trim(),
        format!("{} true", other.trim()),
        "the other container was touched"
    );
    assert!(
        !std::fs::read_to_string(work.join("sandboxes").join(&cid).join("stdout"))
            .unwrap_or_default()
            .contains("ran")
    );
}
