//! Input that is valid but awkward or hostile, run end to end through
//! `mesos-docker-containerizer run` against the real Docker daemon and checked the way a
//! user sees it: the exit code, the printed updates, the sandbox files, what Docker has.
//!
//! Needs `mesos-docker-executor` and `mesos-fetcher` next to the containerizer binary
//! (`cargo build --workspace`).

mod common;

use common::{launcher_dir, text, BIN};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// One `run` of `task` in `work` with the given launcher dir.
fn run(work: &Path, launcher: &Path, task: &str, container_id: &str) -> Output {
    let dir = work.parent().unwrap();
    let task_path = dir.join(format!("{container_id}.json"));
    std::fs::write(&task_path, task).unwrap();
    let child = Command::new(BIN)
        .arg(format!("--work_dir={}", work.display()))
        .arg(format!("--launcher_dir={}", launcher.display()))
        .arg("run")
        .arg(&task_path)
        .args(["--container_id", container_id])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    test_rig::wait_bounded(child, Duration::from_secs(180))
}

/// Removes the task container whatever the test's outcome.
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        drop(test_rig::ContainerGuard(format!("mesos-{}", self.0)));
    }
}

#[test]
fn a_work_dir_with_a_colon_runs_the_task_in_its_sandbox() {
    test_rig::require_docker();
    let root = tempfile::tempdir().unwrap();
    // `docker run -v <sandbox>:/mnt/mesos/sandbox` splits such a path at the ':'.
    let work = root.path().join("work:1");
    let cid = test_rig::unique_name("colon-");
    let _cleanup = Cleanup(cid.clone());
    let task = r#"{
      "name": "colon",
      "command": {"value": "echo seen > $MESOS_SANDBOX/marker && echo volume > /data/v && cat $MESOS_SANDBOX/marker"},
      "container": {"type": "DOCKER", "docker": {"image": "mesos-test/busybox:latest"},
        "volumes": [{"host_path": "data:x", "container_path": "/data", "mode": "RW"}]}
    }"#;
    let out = run(&work, &launcher_dir(), task, &cid);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("TASK_FINISHED"), "stdout: {stdout}");
    let sandbox = work.join("sandboxes").join(&cid);
    assert_eq!(
        std::fs::read_to_string(sandbox.join("marker")).unwrap(),
        "seen\n"
    );
    assert_eq!(
        std::fs::read_to_string(sandbox.join("data:x/v")).unwrap(),
        "volume\n"
    );
    assert!(
        std::fs::read_to_string(sandbox.join("stdout"))
            .unwrap()
            .contains("seen"),
        "the task's output is in the sandbox"
    );
    assert!(!test_rig::container_exists(&format!("mesos-{cid}")));
}

/// A launcher dir with the real executor and a `mesos-fetcher` that runs the real one and
/// then leaves `link -> target` in the sandbox, as an archive could.
fn launcher_leaving_a_symlink(dir: &Path, sandbox: &Path, link: &str, target: &str) -> PathBuf {
    let real = launcher_dir();
    let launcher = dir.join("launcher");
    std::fs::create_dir_all(&launcher).unwrap();
    std::os::unix::fs::symlink(
        real.join("mesos-docker-executor"),
        launcher.join("mesos-docker-executor"),
    )
    .unwrap();
    let script = launcher.join("mesos-fetcher");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n'{}' \"$@\" || exit $?\nln -s '{target}' '{}'\n",
            real.join("mesos-fetcher").display(),
            sandbox.join(link).display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    launcher
}

#[test]
fn a_relative_volume_that_a_fetched_symlink_leads_out_of_the_sandbox_is_refused() {
    test_rig::require_docker();
    let root = tempfile::tempdir().unwrap();
    let work = root.path().join("work");
    let cid = test_rig::unique_name("escape-");
    let _cleanup = Cleanup(cid.clone());
    let sandbox = work.join("sandboxes").join(&cid);
    let launcher = launcher_leaving_a_symlink(root.path(), &sandbox, "hostetc", "/etc");
    let fetched = root.path().join("fetched.txt");
    std::fs::write(&fetched, "x").unwrap();
    let task = format!(
        r#"{{
      "name": "escape",
      "command": {{"value": "ls /e", "uris": [{{"value": "{}"}}]}},
      "container": {{"type": "DOCKER", "docker": {{"image": "mesos-test/busybox:latest"}},
        "volumes": [{{"host_path": "hostetc", "container_path": "/e", "mode": "RO"}}]}}
    }}"#,
        fetched.display()
    );
    let out = run(&work, &launcher, &task, &cid);
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(125),
        "the task ran with /etc mounted; stdout: {} stderr: {stderr}",
        text(&out.stdout)
    );
    assert!(
        stderr.contains(&format!(
            "Failed to prepare the volumes of container '{cid}': container.volumes[0].host_path: \
             host_path 'hostetc' resolves to '/etc', outside the sandbox"
        )),
        "{stderr}"
    );
    assert!(
        sandbox.join("fetched.txt").exists(),
        "the fetch ran before the check"
    );
    assert!(!test_rig::container_exists(&format!("mesos-{cid}")));
}
