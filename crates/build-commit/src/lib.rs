//! For build scripts: puts the git commit the crate is built from into the environment
//! variable `MESOS_DOCKER_GIT_COMMIT` (read with `env!`), so that every binary's `--version`
//! names the same commit. `unknown` outside a git checkout (a source tarball).

use std::path::PathBuf;
use std::process::Command;

/// Call from `build.rs`: emits `cargo:rustc-env=MESOS_DOCKER_GIT_COMMIT=<12 hex digits>` and
/// asks cargo to run the script again when HEAD moves (a commit or a checkout).
pub fn emit() {
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=MESOS_DOCKER_GIT_COMMIT={commit}");
    // HEAD lives in the worktree's own git dir, branch refs in the common one (the same
    // directory in a plain clone; in `git worktree`s `.git` is a file pointing elsewhere).
    let dir = |arg: &str| {
        Command::new("git")
            .args(["rev-parse", arg])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|s| PathBuf::from(s.trim()))
    };
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let absolute = |p: PathBuf| match (&manifest, p.is_relative()) {
        (Some(m), true) => m.join(p),
        _ => p,
    };
    let git = dir("--git-dir").map(absolute);
    let common = dir("--git-common-dir").map(absolute);
    let watched = [
        git.map(|g| g.join("HEAD")),
        common.as_ref().map(|c| c.join("refs/heads")),
        common.map(|c| c.join("packed-refs")),
    ];
    // A path that does not exist would make cargo run the script on every build.
    for path in watched.into_iter().flatten().filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}
