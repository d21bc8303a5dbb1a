//! `docker exec`: run a command inside a running container (command health checks).

use std::time::Duration;

use crate::error::{DockerError, ObjectKind, Result};
use crate::process::{failure_error, CliCall, Docker};

/// How a command run by [`Docker::exec`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    /// The command's exit code (`None` when the CLI was killed by a signal).
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl ExecOutput {
    /// True when the command exited 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

impl Docker {
    /// `docker exec <name> <argv...>` within `timeout` (the CLI is killed after it; the
    /// process inside the container may live on, as with `docker exec` itself).
    ///
    /// The command's own non-zero exit is not an error: see [`ExecOutput::code`]. A missing
    /// container is [`DockerError::NotFound`]; docker refusing to exec (container not
    /// running) is [`DockerError::Failed`] with code 1 and docker's message.
    pub async fn exec(&self, name: &str, argv: &[String], timeout: Duration) -> Result<ExecOutput> {
        self.exec_with_env(name, argv, Vec::new(), timeout).await
    }

    /// [`Docker::exec`] with extra variables in the CLI's own environment (a command
    /// health check's variables reach the CLI, not the container, as in Mesos). Values
    /// are never logged.
    pub async fn exec_with_env(
        &self,
        name: &str,
        argv: &[String],
        env: Vec<(String, String)>,
        timeout: Duration,
    ) -> Result<ExecOutput> {
        if argv.is_empty() {
            return Err(DockerError::invalid(
                "argv",
                "",
                "docker exec needs a command to run",
            ));
        }
        let mut args = vec!["exec".to_string(), name.to_string()];
        args.extend(argv.iter().cloned());
        let call = CliCall::new("exec", args, timeout)
            .target(ObjectKind::Container, name)
            .env(env);
        let output = self.output(call).await?;
        // Docker's own failures exit 1 with "Error response from daemon" / "Error:" on
        // stderr, which a command cannot easily fake at the start of its stderr.
        let docker_failed = output.code == Some(1)
            && (output.stderr.starts_with("Error response from daemon")
                || output.stderr.starts_with("Error: No such container"));
        if docker_failed {
            return Err(failure_error(
                &output.call,
                &output.argv,
                output.code,
                &output.stderr,
            ));
        }
        Ok(ExecOutput {
            code: output.code,
            stdout: output.stdout,
            stderr: output.stderr.into_bytes(),
        })
    }
}
