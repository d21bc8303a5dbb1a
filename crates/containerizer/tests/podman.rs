//! A task run through podman's Docker-compatible service (`podman system service`, started
//! by `scripts/setup`) given as `--docker_socket`: the docker CLI creates the container on
//! it, and the containerizer and the executor drive it through the same Engine API they use
//! with dockerd. What a user sees is what they see with docker.

mod common;

use common::{json_updates, run_json, text};
use std::process::Command;
use std::time::Duration;

fn podman_has(name: &str) -> bool {
    let out = Command::new("podman")
        .args(["ps", "-a", "--format", "{{.Names}}"])
        .output()
        .expect("podman is installed by scripts/setup");
    text(&out.stdout).lines().any(|l| l.trim() == name)
}

#[test]
fn a_task_runs_on_podmans_docker_compatible_socket() {
    // Podman is optional (scripts/setup installs it when Debian's package installs); once
    // installed, its service must answer.
    let installed = Command::new("podman")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        eprintln!("skipped: podman is not installed (scripts/setup installs it)");
        return;
    }
    assert!(
        std::path::Path::new(test_rig::PODMAN_SOCKET).exists(),
        "no podman service at {}: run scripts/setup",
        test_rig::PODMAN_SOCKET
    );
    let work = tempfile::tempdir().unwrap();
    let cid = test_rig::unique_name("podman-");
    let task = work.path().join("task.json");
    std::fs::write(
        &task,
        serde_json::json!({
            "name": "on-podman",
            "command": {"value": "echo hello from podman; echo to-stderr >&2; exit 3"},
            "container": {"type": "DOCKER", "docker": {"image": test_rig::BUSYBOX_IMAGE}}
        })
        .to_string(),
    )
    .unwrap();
    let out = run_json(
        &work.path().join("w"),
        &task,
        &cid,
        &[format!("--docker_socket={}", test_rig::PODMAN_SOCKET)],
        Duration::from_secs(180),
    );
    let name = format!("mesos-{cid}");
    let updates = json_updates(&out);
    let states: Vec<&str> = updates
        .iter()
        .map(|u| u["state"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        states,
        ["TASK_STARTING", "TASK_RUNNING", "TASK_FAILED"],
        "{}",
        text(&out.stderr)
    );
    assert_eq!(updates[2]["message"], "Container exited with status 3");
    assert_eq!(out.status.code(), Some(3));
    let sandbox = work.path().join("w/sandboxes").join(&cid);
    let stdout = std::fs::read_to_string(sandbox.join("stdout")).unwrap();
    assert_eq!(stdout, "hello from podman\n");
    let stderr = std::fs::read_to_string(sandbox.join("stderr")).unwrap();
    assert!(stderr.contains("to-stderr\n"), "{stderr}");
    assert!(!podman_has(&name), "{name} was left in podman");
    // Nothing was run on dockerd.
    assert!(!test_rig::container_exists(&name));
}
