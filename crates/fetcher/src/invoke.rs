//! Running `mesos-fetcher` for a container the way the Mesos agent does
//! (docs/mesos-compat.md): no arguments, the FetcherInfo in `MESOS_FETCHER_INFO`, the
//! agent's environment minus `MESOS_*`/`LIBPROCESS_*` (except the logging whitelist),
//! `HADOOP_HOME` from `--hadoop_home`, stdout/stderr into the sandbox files (created,
//! truncated and chowned to the user first). Dropping the future kills the fetcher's whole
//! process group and then removes the staging files it left in the sandbox.

use mesos_types::fetcher::FetcherInfo;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// The environment variables a Mesos agent passes on despite their `MESOS_` prefix.
pub const LOGGING_WHITELIST: &[&str] = &[
    "MESOS_EXTERNAL_LOG_FILE",
    "MESOS_INITIALIZE_DRIVER_LOGGING",
    "MESOS_LOG_DIR",
    "MESOS_LOGBUFSECS",
    "MESOS_LOGGING_LEVEL",
    "MESOS_QUIET",
];

/// Why a fetcher run failed.
#[derive(Debug, thiserror::Error)]
pub enum FetcherRunError {
    #[error("Could not fetch URIs: failed to find mesos-fetcher at '{path}': {source}")]
    NotFound {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("Failed to create '{name}' file: {source}")]
    SandboxFile {
        name: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("Failed to chown '{path}' to user '{user}' : {reason}")]
    Chown {
        path: PathBuf,
        user: String,
        reason: String,
    },
    #[error("Failed to execute mesos-fetcher: {0}")]
    Spawn(#[source] std::io::Error),
    /// The fetcher ran and failed. `status` is Mesos's wording (`exited with status 1`),
    /// `reason` the last line of the sandbox `stderr` (the failing URI and the cause).
    #[error("{status}{}", reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default())]
    Failed {
        status: String,
        reason: Option<String>,
    },
}

/// How to run the fetcher binary.
#[derive(Debug, Clone)]
pub struct FetcherBinary {
    pub path: PathBuf,
    /// `--hadoop_home`: becomes `HADOOP_HOME` in the fetcher's environment.
    pub hadoop_home: Option<PathBuf>,
    /// The most the fetch may write (the task's `disk`), passed as `FETCHER_DISK_BUDGET`;
    /// a smaller budget already in the agent's environment is kept.
    pub disk_budget: Option<u64>,
}

impl FetcherBinary {
    /// `<launcher_dir>/mesos-fetcher`.
    pub fn in_launcher_dir(launcher_dir: &Path) -> Self {
        Self {
            path: launcher_dir.join("mesos-fetcher"),
            hadoop_home: None,
            disk_budget: None,
        }
    }

    /// The environment the fetcher gets from `agent_env`.
    pub fn environment(
        &self,
        info: &FetcherInfo,
        agent_env: impl IntoIterator<Item = (String, String)>,
    ) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = agent_env
            .into_iter()
            .filter(|(k, _)| {
                LOGGING_WHITELIST.contains(&k.to_ascii_uppercase().as_str())
                    || !(k.starts_with("MESOS_") || k.starts_with("LIBPROCESS_"))
            })
            .filter(|(k, _)| k != "HADOOP_HOME" || self.hadoop_home.is_none())
            .collect();
        env.push(("MESOS_FETCHER_INFO".into(), info.to_agent_json()));
        if let Some(h) = &self.hadoop_home {
            env.push(("HADOOP_HOME".into(), h.display().to_string()));
        }
        env.push(("LIBPROCESS_IP".into(), "127.0.0.1".into()));
        if let Some(budget) = self.disk_budget {
            use crate::budget::{parse_byte_size, BUDGET_ENV};
            let operator = env
                .iter()
                .find(|(k, _)| k == BUDGET_ENV)
                .and_then(|(_, v)| parse_byte_size(BUDGET_ENV, v).ok());
            let effective = operator.map_or(budget, |o| o.min(budget));
            env.retain(|(k, _)| k != BUDGET_ENV);
            env.push((
                BUDGET_ENV.into(),
                mesos_types::flags::Bytes(effective).to_string(),
            ));
        }
        env
    }

    /// Runs the fetcher for `info` and waits for it. With no items, only the sandbox
    /// `stdout`/`stderr` files are created, as the agent does.
    pub async fn run(&self, info: &FetcherInfo) -> Result<(), FetcherRunError> {
        let sandbox = Path::new(&info.sandbox_directory);
        let open = |name: &'static str| -> Result<std::fs::File, FetcherRunError> {
            use std::os::unix::fs::OpenOptionsExt;
            let path = sandbox.join(name);
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o644)
                .custom_flags(libc::O_CLOEXEC)
                .open(&path)
                .map_err(|source| FetcherRunError::SandboxFile { name, source })?;
            if let Some(user) = &info.user {
                chown_to(&path, user)?;
            }
            Ok(file)
        };
        let stdout = open("stdout")?;
        let stderr = open("stderr")?;
        if info.items.is_empty() {
            return Ok(());
        }
        let path =
            std::fs::canonicalize(&self.path).map_err(|source| FetcherRunError::NotFound {
                path: self.path.clone(),
                source,
            })?;
        let mut cmd = tokio::process::Command::new(&path);
        cmd.env_clear()
            .envs(self.environment(info, std::env::vars()))
            .stdin(Stdio::null())
            .stdout(Stdio::from(stdout))
            .stderr(Stdio::from(stderr))
            .process_group(0)
            .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(FetcherRunError::Spawn)?;
        let guard = GroupKiller {
            pid: child.id(),
            sandbox: sandbox.to_path_buf(),
        };
        let status = child.wait().await.map_err(FetcherRunError::Spawn)?;
        std::mem::forget(guard);
        if status.success() {
            return Ok(());
        }
        use std::os::unix::process::ExitStatusExt;
        let status = match (status.code(), status.signal()) {
            (Some(c), _) => format!("exited with status {c}"),
            (None, Some(s)) => format!(
                "terminated with signal {}",
                nix::sys::signal::Signal::try_from(s)
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_else(|_| s.to_string())
            ),
            _ => status.to_string(),
        };
        Err(FetcherRunError::Failed {
            status,
            reason: last_line(&sandbox.join("stderr")),
        })
    }
}

/// Kills the fetcher's process group if the run is abandoned (container destroyed), then
/// removes what the killed fetcher could not: its staging files in the sandbox.
struct GroupKiller {
    pid: Option<u32>,
    sandbox: PathBuf,
}

impl Drop for GroupKiller {
    fn drop(&mut self) {
        let Some(pid) = self.pid.and_then(|p| i32::try_from(p).ok()) else {
            return;
        };
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
        // Off the caller's thread (this runs inside async code): wait for the fetcher to be
        // dead so it creates nothing after the cleanup, then clean up.
        let sandbox = std::mem::take(&mut self.sandbox);
        let spawned = std::thread::Builder::new()
            .name("fetcher-cleanup".into())
            .spawn(move || {
                wait_until_dead(pid);
                remove_staging(&sandbox);
            });
        if let Err(e) = spawned {
            tracing::warn!("Cannot start the fetcher cleanup: {e}");
        }
    }
}

/// Waits (at most 10 s) until `pid` has exited (a zombie or gone).
fn wait_until_dead(pid: i32) {
    for _ in 0..1000 {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            return;
        };
        let state = stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].trim_start().chars().next());
        if matches!(state, Some('Z' | 'X') | None) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// The prefix of every temporary name the fetcher uses in the sandbox root.
pub const STAGING_PREFIX: &str = ".mesos-fetcher-";

/// Removes the fetcher's temporary files and directories from the sandbox root.
pub fn remove_staging(sandbox: &Path) {
    let Ok(entries) = std::fs::read_dir(sandbox) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry
            .file_name()
            .to_string_lossy()
            .starts_with(STAGING_PREFIX)
        {
            continue;
        }
        let path = entry.path();
        let removed = match entry.file_type() {
            Ok(t) if t.is_dir() => std::fs::remove_dir_all(&path),
            _ => std::fs::remove_file(&path),
        };
        match removed {
            Ok(()) => tracing::info!("Removed '{}' left by the killed fetcher", path.display()),
            Err(e) => tracing::warn!("Cannot remove '{}': {e}", path.display()),
        }
    }
}

fn chown_to(path: &Path, user: &str) -> Result<(), FetcherRunError> {
    let fail = |reason: String| FetcherRunError::Chown {
        path: path.to_path_buf(),
        user: user.to_string(),
        reason,
    };
    let u = nix::unistd::User::from_name(user)
        .map_err(|e| fail(e.to_string()))?
        .ok_or_else(|| fail(format!("No such user '{user}'")))?;
    nix::unistd::chown(path, Some(u.uid), Some(u.gid)).map_err(|e| fail(e.to_string()))
}

/// The last non-empty line of a file, without the glog prefix.
pub fn last_line(path: &Path) -> Option<String> {
    let text = std::fs::read(path).ok()?;
    let text = String::from_utf8_lossy(&text);
    let line = text.lines().rev().find(|l| !l.trim().is_empty())?.trim();
    let message = match line.find("] ") {
        Some(i) if line.starts_with(['I', 'W', 'E', 'F']) => &line[i + 2..],
        _ => line,
    };
    Some(message.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_is_filtered_like_the_agent() {
        let bin = FetcherBinary {
            path: "/x/mesos-fetcher".into(),
            hadoop_home: Some("/opt/hadoop".into()),
            disk_budget: Some(3 << 20),
        };
        let env = bin.environment(
            &FetcherInfo::new("/sb"),
            [
                ("PATH", "/bin"),
                ("MESOS_WORK_DIR", "/w"),
                ("MESOS_LOGGING_LEVEL", "INFO"),
                ("LIBPROCESS_SSL_ENABLED", "true"),
                ("HADOOP_HOME", "/old"),
                ("http_proxy", "http://p"),
                ("FETCHER_DISK_BUDGET", "1GB"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let keys: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
        assert!(keys.contains(&"PATH") && keys.contains(&"http_proxy"));
        assert!(keys.contains(&"MESOS_LOGGING_LEVEL"));
        assert!(!keys.contains(&"MESOS_WORK_DIR") && !keys.contains(&"LIBPROCESS_SSL_ENABLED"));
        assert!(env.contains(&("HADOOP_HOME".into(), "/opt/hadoop".into())));
        assert!(!env.contains(&("HADOOP_HOME".into(), "/old".into())));
        // The task's disk, unless the operator's own cap is smaller.
        let budgets: Vec<&str> = env
            .iter()
            .filter(|(k, _)| k == "FETCHER_DISK_BUDGET")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(budgets, ["3MB"]);
        let env = bin.environment(
            &FetcherInfo::new("/sb"),
            [("FETCHER_DISK_BUDGET".to_string(), "1MB".to_string())],
        );
        assert!(env.contains(&("FETCHER_DISK_BUDGET".into(), "1MB".into())));
        assert_eq!(
            env.iter()
                .filter(|(k, _)| k == "FETCHER_DISK_BUDGET")
                .count(),
            1
        );
        assert!(
            env.iter()
                .any(|(k, v)| k == "MESOS_FETCHER_INFO"
                    && v.contains("\"sandbox_directory\":\"/sb\""))
        );
    }

    #[test]
    fn last_line_strips_the_glog_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("stderr");
        std::fs::write(
            &f,
            "I0101 00:00:00.000000  1 fetch.rs:1] Fetching\nE0101 00:00:00.000000  1 main.rs:9] Failed to fetch 'x': boom\n\n",
        )
        .unwrap();
        assert_eq!(last_line(&f).as_deref(), Some("Failed to fetch 'x': boom"));
    }
}
