//! Watching an executor that runs in its own docker container: the executor container of a
//! command task under `--docker_mesos_image` (`mesos-<ContainerID>.executor`), and a custom
//! executor's container after a restart (`mesos-<ContainerID>`).
//!
//! Such an executor is not our child, and when the containerizer itself runs in a container
//! its pid lives in a pid namespace we may not see, so `/proc` cannot tell whether it runs.
//! Docker can: a background task keeps one Engine API wait open on the container (a request
//! on the daemon's socket, no `docker` process; asked again every [`WAIT_CALL_LIMIT`] so no
//! call is unbounded) and resolves with its exit code. When the daemon is away
//! (restarting), the wait fails or its connection breaks; the watch then inspects the
//! container every [`RETRY_INTERVAL`] until the daemon answers again and tells whether it
//! still runs, so a daemon restart ends in the container's real state.

use docker_engine::Engine;
use std::time::Duration;
use tokio::sync::watch;

/// Longest single wait; a container still running then is simply waited for again.
pub const WAIT_CALL_LIMIT: Duration = Duration::from_secs(300);
/// Pause before looking again when docker did not answer.
pub const RETRY_INTERVAL: Duration = Duration::from_secs(1);

/// How a watched container ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerExit {
    /// It stopped with this exit code (`None` when docker did not say).
    Exited(Option<i32>),
    /// It is gone: removed, or never existed.
    Vanished,
}

impl std::fmt::Display for ContainerExit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ContainerExit::Exited(Some(code)) => {
                write!(f, "its container exited with status {code}")
            }
            ContainerExit::Exited(None) => f.write_str("its container exited"),
            ContainerExit::Vanished => f.write_str("its container vanished"),
        }
    }
}

/// A docker container being watched until it stops. Dropping it stops watching.
#[derive(Debug)]
pub struct ContainerWatch {
    name: String,
    engine: Engine,
    exit: watch::Receiver<Option<ContainerExit>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ContainerWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ContainerWatch {
    /// Starts watching the container `name` (a name or an id). Must be called within a
    /// tokio runtime.
    pub fn start(engine: Engine, name: impl Into<String>) -> Self {
        let name = name.into();
        let (tx, exit) = watch::channel(None);
        let task = tokio::spawn({
            let engine = engine.clone();
            let name = name.clone();
            async move {
                let exit = watch_until_stopped(&engine, &name).await;
                tracing::info!(container = %name, exit = %exit, "watched container stopped");
                let _ = tx.send(Some(exit));
            }
        });
        Self {
            name,
            engine,
            exit,
            task,
        }
    }

    /// The container watched.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Resolves once the container has stopped. Cancel-safe: the watch goes on in the
    /// background, so calling this again resumes waiting.
    pub async fn exited(&mut self) -> ContainerExit {
        loop {
            if let Some(exit) = self.exit.borrow_and_update().clone() {
                return exit;
            }
            if self.exit.changed().await.is_err() {
                // The watch task is gone without an answer (aborted): nothing more to learn.
                return self
                    .exit
                    .borrow()
                    .clone()
                    .unwrap_or(ContainerExit::Exited(None));
            }
        }
    }

    /// SIGKILLs the container in the background; [`Self::exited`] then resolves once docker
    /// has seen it die.
    pub fn start_kill(&self) {
        kill_in_background(&self.engine, &self.name);
    }
}

/// SIGKILLs the executor container `name` (a name or an id) in a background task; a
/// container already gone is fine.
pub(crate) fn kill_in_background(engine: &Engine, name: &str) {
    let engine = engine.clone();
    let name = name.to_string();
    tokio::spawn(async move {
        match engine.kill(&name, "SIGKILL").await {
            Ok(()) => tracing::info!(container = %name, "executor container killed"),
            Err(e) if e.is_not_found() => {}
            Err(e) => {
                tracing::warn!(container = %name, error = %e, "failed to kill the executor container")
            }
        }
    });
}

/// Waits until `name` has stopped, riding out a daemon that is away.
pub(crate) async fn watch_until_stopped(engine: &Engine, name: &str) -> ContainerExit {
    loop {
        match engine.wait(name, WAIT_CALL_LIMIT).await {
            Ok(code) => return ContainerExit::Exited(Some(code)),
            Err(e) if e.is_not_found() => return ContainerExit::Vanished,
            // Still running after a long wait: wait again.
            Err(e) if e.is_timeout() => continue,
            Err(e) => {
                tracing::warn!(container = %name, error = %e,
                    "waiting for the container failed (is the daemon restarting?); looking again");
            }
        }
        if let Err(exit) = look_until_the_daemon_answers(engine, name).await {
            return exit;
        }
    }
}

/// After a failed wait: inspects `name` every [`RETRY_INTERVAL`] until the daemon answers.
/// `Ok` when the container still runs (wait again), else how it ended.
pub(crate) async fn look_until_the_daemon_answers(
    engine: &Engine,
    name: &str,
) -> Result<(), ContainerExit> {
    loop {
        tokio::time::sleep(RETRY_INTERVAL).await;
        match engine.inspect_container(name).await {
            Ok(c) if c.running => return Ok(()),
            Ok(c) if c.started => return Err(ContainerExit::Exited(c.exit_code)),
            // Created but never started: it will not run by itself.
            Ok(_) => return Err(ContainerExit::Exited(None)),
            Err(e) if e.is_not_found() => return Err(ContainerExit::Vanished),
            Err(e) => {
                tracing::debug!(container = %name, error = %e, "docker does not answer yet")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exits_read_as_the_executor_ending() {
        assert_eq!(
            ContainerExit::Exited(Some(137)).to_string(),
            "its container exited with status 137"
        );
        assert_eq!(
            ContainerExit::Vanished.to_string(),
            "its container vanished"
        );
    }

    #[tokio::test]
    async fn a_daemon_that_cannot_be_reached_is_retried_not_fatal() {
        // No daemon behind the socket: every call fails without "No such container"; the
        // watch keeps looking instead of declaring the container gone.
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::new(
            dir.path().join("none.sock"),
            docker_cli::Timeouts::default(),
        );
        let mut watch = ContainerWatch::start(engine, "mesos-x.executor");
        let waited = tokio::time::timeout(Duration::from_millis(1500), watch.exited()).await;
        assert!(waited.is_err(), "resolved with {waited:?}");
    }
}
