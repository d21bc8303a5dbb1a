//! Starting `mesos-docker-executor` as the agent does: in its own session, in the sandbox,
//! with an environment built from scratch and its stdout/stderr appended to the sandbox
//! `stdout`/`stderr` files (where the fetcher's output already is).

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// Why the executor could not be started.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("cannot find mesos-docker-executor at '{path}': {source} (set --launcher_dir to the directory that holds it)")]
    NotFound {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the sandbox file '{path}': {source}")]
    SandboxFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("Failed to fork executor: {0}")]
    Spawn(std::io::Error),
}

/// The executor program in `launcher_dir`.
pub fn executor_path(launcher_dir: &Path) -> PathBuf {
    launcher_dir.join("mesos-docker-executor")
}

fn append(path: PathBuf) -> Result<std::fs::File, SpawnError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|source| SpawnError::SandboxFile { path, source })
}

/// Spawns `program` with `args` and exactly `env`. The child is not killed when the handle
/// is dropped: like Mesos's executor it outlives a crash of its parent and stops its task by
/// itself when the agent endpoint goes away.
pub fn spawn(
    program: &Path,
    args: &[String],
    env: &BTreeMap<String, String>,
    sandbox: &Path,
) -> Result<tokio::process::Child, SpawnError> {
    let program = std::fs::canonicalize(program).map_err(|source| SpawnError::NotFound {
        path: program.to_path_buf(),
        source,
    })?;
    let stdout = append(sandbox.join("stdout"))?;
    let stderr = append(sandbox.join("stderr"))?;
    let mut cmd = tokio::process::Command::new(&program);
    cmd.arg0("mesos-docker-executor")
        .args(args)
        .env_clear()
        .envs(env)
        .current_dir(sandbox)
        // The agent keeps the executor's stdin open as a pipe; a closed stdin would look like
        // EOF to an executor that reads it.
        .stdin(Stdio::piped())
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::from(stderr))
        .kill_on_drop(false);
    // SAFETY: setsid is async-signal-safe; it puts the executor in its own session so a
    // Ctrl-C in the user's terminal reaches only us, and we decide how to stop the task.
    unsafe {
        cmd.pre_exec(|| {
            nix::unistd::setsid().map_err(std::io::Error::from)?;
            Ok(())
        });
    }
    cmd.spawn().map_err(SpawnError::Spawn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn child_runs_in_the_sandbox_with_only_the_given_env() {
        let dir = tempfile::tempdir().unwrap();
        let mut env = BTreeMap::new();
        env.insert("ONLY".to_string(), "this".to_string());
        env.insert("PATH".to_string(), "/usr/bin:/bin".to_string());
        let mut child = spawn(
            Path::new("/bin/sh"),
            &["-c".into(), "pwd; env | sort; echo oops >&2".into()],
            &env,
            dir.path(),
        )
        .unwrap();
        assert!(child.wait().await.unwrap().success());
        let out = std::fs::read_to_string(dir.path().join("stdout")).unwrap();
        let cwd = std::fs::canonicalize(dir.path()).unwrap();
        assert!(out.starts_with(&format!("{}\n", cwd.display())), "{out}");
        assert!(out.contains("ONLY=this"), "{out}");
        assert!(!out.contains("HOME="), "{out}");
        let err = std::fs::read_to_string(dir.path().join("stderr")).unwrap();
        assert_eq!(err, "oops\n");
    }

    #[test]
    fn a_missing_executor_names_the_flag_to_set() {
        let dir = tempfile::tempdir().unwrap();
        let e = spawn(
            &executor_path(Path::new("/nonexistent")),
            &[],
            &BTreeMap::new(),
            dir.path(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("--launcher_dir"), "{e}");
    }
}
