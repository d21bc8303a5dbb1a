//! Watching an executor that runs in its own docker container: the executor container of a
//! command task under `--docker_mesos_image` (`mesos-<ContainerID>.executor`), and a custom
//! executor's container after a restart (`mesos-<ContainerID>`).
//!
//! Such an executor is not our child, and when the containerizer itself runs in a container
//! its pid lives in a pid namespace we may not see, so `/proc` cannot tell whether it runs.
//! Docker can: a background task keeps one `docker wait` open on the container (re-asked
//! every [`WAIT_CALL_LIMIT`] so no call is unbounded) and resolves with its exit code. When
//! the daemon is away (restarting), `docker wait` fails at once; the watch then looks with
//! `docker inspect` every [`RETRY_INTERVAL`] until the daemon answers again and tells whether
//! the container still runs, so a daemon restart ends in the container's real state.

use docker_cli::Docker;
use std::time::Duration;
use tokio::sync::watch;

/// Longest single `docker wait`; a container still running then is simply waited for again.
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
    docker: Docker,
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
    pub fn start(docker: Docker, name: impl Into<String>) -> Self {
        let name = name.into();
        let (tx, exit) = watch::channel(None);
        let task = tokio::spawn({
            let docker = docker.clone();
            let name = name.clone();
            async move {
                let exit = watch_until_stopped(&docker, &name).await;
                tracing::info!(container = %name, exit = %exit, "watched container stopped");
                let _ = tx.send(Some(exit));
            }
        });
        Self {
            name,
            docker,
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

    /// SIGKILLs the container in the background (`docker kill --signal=9`); [`Self::exited`]
    /// then resolves once docker has seen it die.
    pub fn start_kill(&self) {
        crate::launch::executor_container::kill_in_background(&self.docker, &self.name);
    }
}

/// Waits until `name` has stopped, riding out a daemon that is away.
async fn watch_until_stopped(docker: &Docker, name: &str) -> ContainerExit {
    loop {
        match docker.wait_container(name, WAIT_CALL_LIMIT).await {
            Ok(code) => return ContainerExit::Exited(Some(code)),
            Err(e) if e.is_not_found() => return ContainerExit::Vanished,
            // Still running after a long wait: wait again.
            Err(e) if e.is_timeout() => continue,
            Err(e) => {
                tracing::warn!(container = %name, error = %e,
                    "docker wait failed (is the daemon restarting?); looking again");
            }
        }
        // The daemon did not answer the wait: look until it answers.
        loop {
            tokio::time::sleep(RETRY_INTERVAL).await;
            match docker.inspect_container(name).await {
                Ok(c) if c.running => break,
                Ok(c) if c.started => return ContainerExit::Exited(c.exit_code),
                // Created but never started: it will not run by itself.
                Ok(_) => return ContainerExit::Exited(None),
                Err(e) if e.is_not_found() => return ContainerExit::Vanished,
                Err(e) => {
                    tracing::debug!(container = %name, error = %e, "docker does not answer yet")
                }
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
    async fn a_docker_that_cannot_run_is_retried_not_fatal() {
        // `false` as docker: every call fails without "No such container"; the watch keeps
        // looking instead of declaring the container gone.
        let docker = Docker::new("false", None).unwrap();
        let mut watch = ContainerWatch::start(docker, "mesos-x.executor");
        let waited = tokio::time::timeout(Duration::from_millis(1500), watch.exited()).await;
        assert!(waited.is_err(), "resolved with {waited:?}");
    }
}
