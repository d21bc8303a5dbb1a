//! Shared helpers of the docker-cli integration tests: the real daemon and fake docker
//! programs (shell scripts) for behaviour the real one cannot be made to show on demand.

#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use mesos_types::container::ContainerInfo;
use mesos_types::task::CommandInfo;

pub use docker_cli::*;

/// The real Docker CLI on the default socket; fails the test when no daemon answers.
pub fn real_docker() -> Docker {
    test_rig::require_docker();
    Docker::new("docker", Some(Path::new(DEFAULT_DOCKER_SOCKET))).expect("docker handle")
}

/// A fake docker program: `body` is a POSIX shell script that sees the docker arguments as
/// `$@` (no `-H` prefix). Keep the returned directory alive while the handle is used.
pub fn fake_docker(body: &str) -> (tempfile::TempDir, Docker) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("docker");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write fake docker");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let docker = Docker::new(path, None).expect("fake docker handle");
    (dir, docker)
}

/// Run options for a busybox container running `shell_command` with `sandbox` mounted.
pub fn busybox_options(name: &str, sandbox: &Path, shell_command: &str) -> RunOptions {
    RunOptions::new(
        ContainerInfo::docker(test_rig::BUSYBOX_IMAGE),
        CommandInfo::shell_command(shell_command),
        name,
        sandbox.display().to_string(),
        "/mnt/mesos/sandbox",
    )
}

/// Runs the container to completion with output discarded; returns `docker run`'s exit
/// code and the container's inspect.
pub async fn run_to_completion(docker: &Docker, options: &RunOptions) -> (Option<i32>, Container) {
    let command = build_run_command(options).expect("valid run options");
    let stderr_file = tempfile::NamedTempFile::new().expect("stderr file");
    let mut handle = docker
        .run(
            &command,
            std::process::Stdio::null(),
            stderr_file.reopen().expect("reopen"),
        )
        .expect("docker run starts");
    let code = tokio::time::timeout(std::time::Duration::from_secs(60), handle.wait())
        .await
        .expect("docker run finishes within 60 s")
        .expect("wait");
    let container = docker
        .inspect_container(&options.name)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "inspect after run failed: {e}; docker run stderr: {}",
                std::fs::read_to_string(stderr_file.path()).unwrap_or_default()
            )
        });
    (code, container)
}
