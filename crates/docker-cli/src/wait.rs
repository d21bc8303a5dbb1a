//! `docker wait <name>`: block until a container stops and read its exit code.

use std::time::Duration;

use crate::error::{DockerError, ObjectKind, Result};
use crate::process::{CliCall, Docker};

impl Docker {
    /// `docker wait <name>`: resolves with the container's exit code once it has stopped
    /// (at once for a container that is not running). Bounded by `timeout`, after which the
    /// CLI is killed and [`DockerError::Timeout`] returned: the container may simply still
    /// run, so callers that watch a container ask again. A missing container is
    /// [`DockerError::NotFound`]; a daemon that goes away while waiting is
    /// [`DockerError::Failed`].
    pub async fn wait_container(&self, name: &str, timeout: Duration) -> Result<i32> {
        let call = CliCall::new("wait", ["wait".to_string(), name.to_string()], timeout)
            .target(ObjectKind::Container, name);
        let output = self.checked(call).await?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        // One line per container waited for; we wait for one.
        let line = stdout.lines().map(str::trim).find(|l| !l.is_empty());
        line.and_then(|l| l.parse::<i32>().ok()).ok_or_else(|| {
            DockerError::parse(
                "wait",
                format!("expected an exit code, got '{}'", stdout.trim()),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_exit_code_is_read_from_stdout() {
        // A stand-in for docker: prints what `docker wait` prints.
        let docker = Docker::new("echo", None).unwrap();
        // `echo wait <name>` prints "wait <name>": not a number.
        let err = docker
            .wait_container("c", Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(matches!(err, DockerError::Parse { .. }), "{err}");
    }
}
