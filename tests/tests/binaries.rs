//! The three binaries as one product: built from one commit, found next to each other,
//! and the main job (`run examples/hello.json` with nothing but a work dir) end to end.
//!
//! The binaries are the workspace's debug builds (`cargo test --workspace` builds them
//! before running any test).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const BINARIES: [&str; 3] = [
    "mesos-docker-containerizer",
    "mesos-docker-executor",
    "mesos-fetcher",
];

/// `target/<profile>`: this test runs from `target/<profile>/deps/`.
fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    for bin in BINARIES {
        assert!(
            dir.join(bin).is_file(),
            "{bin} is not in {}: run `cargo build --workspace` (scripts/test does)",
            dir.display()
        );
    }
    dir
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn every_binary_reports_the_same_version_and_commit() {
    let dir = bin_dir();
    let versions: Vec<String> = BINARIES
        .iter()
        .map(|bin| {
            let out = Command::new(dir.join(bin))
                .arg("--version")
                .output()
                .unwrap();
            assert!(out.status.success(), "{bin} --version failed");
            let text = String::from_utf8(out.stdout).unwrap();
            let rest = text
                .trim()
                .strip_prefix(bin)
                .unwrap_or_else(|| panic!("{bin} --version printed '{text}'"));
            assert!(
                rest.contains("(commit "),
                "{bin} --version printed '{text}'"
            );
            rest.trim().to_string()
        })
        .collect();
    assert!(
        versions.iter().all(|v| v == &versions[0]),
        "the binaries disagree: {versions:?}"
    );
}

/// What `scripts/demo` does, with the binaries found by the containerizer next to itself
/// (the default `--launcher_dir`) and every other flag at its embedded default.
#[test]
fn the_main_job_runs_hello_on_the_defaults() {
    test_rig::require_docker();
    let work = tempfile::tempdir().unwrap();
    let container_id = test_rig::unique_name("system-");
    let _guard = test_rig::ContainerGuard(format!("mesos-{container_id}"));
    let child = Command::new(bin_dir().join("mesos-docker-containerizer"))
        .env("MESOS_WORK_DIR", work.path())
        .args(["run", "--container_id", &container_id])
        .arg(repo_root().join("examples/hello.json"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = test_rig::wait_bounded(child, Duration::from_secs(180));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let states: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.starts_with("TASK_"))
        .map(|w| w.trim_end_matches(':'))
        .collect();
    assert_eq!(states.last(), Some(&"TASK_FINISHED"), "{stdout}");
    let sandbox = work.path().join("sandboxes").join(&container_id);
    let task_out = std::fs::read_to_string(sandbox.join("stdout")).unwrap();
    assert!(
        task_out.contains("Hello from hello: the task environment works"),
        "sandbox stdout: {task_out}"
    );
    assert!(
        !test_rig::container_exists(&format!("mesos-{container_id}")),
        "the container was left behind"
    );
}
