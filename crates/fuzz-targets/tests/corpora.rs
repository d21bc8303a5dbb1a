//! Replays every committed fuzz input through its target on the stable toolchain: the seed
//! corpora (`fuzz/corpus/<target>`) and the inputs that once crashed a target
//! (`fuzz/regressions/<target>`). A target whose corpus is missing or empty fails: a replay
//! that finds nothing to replay proves nothing.

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.expect("a readable corpus directory").path())
            .filter(|p| p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

/// Runs every input of `target`; the panics are collected so one run names every failing
/// input.
fn replay(target: &str) {
    let body = fuzz_targets::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap_or_else(|| panic!("no target {target}"))
        .1;
    let corpus = inputs(&fuzz_dir().join("corpus").join(target));
    assert!(
        !corpus.is_empty(),
        "fuzz/corpus/{target} has no inputs; regenerate the seeds with `cargo run -p fuzz-targets --example seeds`"
    );
    let regressions = inputs(&fuzz_dir().join("regressions").join(target));
    let mut failed = Vec::new();
    for path in corpus.iter().chain(&regressions) {
        let data = std::fs::read(path).expect("a readable input");
        if std::panic::catch_unwind(|| body(&data)).is_err() {
            failed.push(path.display().to_string());
        }
    }
    assert!(
        failed.is_empty(),
        "{target}: {} of {} inputs fail:\n{}",
        failed.len(),
        corpus.len() + regressions.len(),
        failed.join("\n")
    );
}

#[test]
fn every_target_has_a_test_here() {
    let names: Vec<&str> = fuzz_targets::TARGETS.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "archive",
            "executor_json",
            "fetcher_info",
            "flags",
            "libprocess_wire",
            "proto",
            "recordio",
            "sandbox_path",
            "task_launch"
        ]
    );
    for name in names {
        assert!(
            fuzz_dir()
                .join("fuzz_targets")
                .join(format!("{name}.rs"))
                .is_file(),
            "fuzz/fuzz_targets/{name}.rs is missing"
        );
    }
}

#[test]
fn archive() {
    replay("archive");
}

#[test]
fn executor_json() {
    replay("executor_json");
}

#[test]
fn fetcher_info() {
    replay("fetcher_info");
}

#[test]
fn flags() {
    replay("flags");
}

#[test]
fn libprocess_wire() {
    replay("libprocess_wire");
}

#[test]
fn proto() {
    replay("proto");
}

#[test]
fn recordio() {
    replay("recordio");
}

#[test]
fn sandbox_path() {
    replay("sandbox_path");
}

#[test]
fn task_launch() {
    replay("task_launch");
}
