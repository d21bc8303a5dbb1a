//! For build scripts: puts the git commit the crate is built from into the environment
//! variable `MESOS_DOCKER_GIT_COMMIT` (read with `env!`), so that every binary's `--version`
//! names the same commit. `unknown` outside a git checkout (a source tarball).

use std::path::{Path, PathBuf};
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
    if let Some(git) = std::env::var_os("CARGO_MANIFEST_DIR").and_then(|d| git_dir(Path::new(&d))) {
        for path in [git.join("HEAD"), git.join("refs/heads")] {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
}

/// The `.git` directory of the checkout holding `dir`.
fn git_dir(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().map(|d| d.join(".git")).find(|g| g.is_dir())
}
