//! Spawning `docker run` as Mesos does: attached (no `-d`), stdin `/dev/null`, stdout and
//! stderr wherever the caller wants them (the executor streams them into the sandbox),
//! environment values through the CLI's own environment.

use std::process::Stdio;
use std::time::Duration;

use tokio::process::Child;
use tracing::info;

use crate::error::{DockerError, Result};
use crate::process::{CliCall, Docker};
use crate::redact::display_argv;
use crate::run_options::RunCommand;

/// A running `docker run` client. Its exit status is the container's exit code, or
/// 125/126/127 when docker failed before the container ran. Dropping the handle kills the
/// CLI (not the container, which the daemon keeps running: stop it with
/// [`Docker::stop`]).
#[derive(Debug)]
pub struct RunHandle {
    child: Child,
    /// The redacted argv, for logs.
    display: String,
}

impl RunHandle {
    /// The CLI's pid (until it has been waited for).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// The CLI's stdout when [`Docker::run`] was given [`Stdio::piped`].
    pub fn take_stdout(&mut self) -> Option<tokio::process::ChildStdout> {
        self.child.stdout.take()
    }

    /// The CLI's stderr when [`Docker::run`] was given [`Stdio::piped`].
    pub fn take_stderr(&mut self) -> Option<tokio::process::ChildStderr> {
        self.child.stderr.take()
    }

    /// Waits for `docker run` to exit: `Some(code)`, or `None` when it was killed by a
    /// signal. Cancel-safe.
    pub async fn wait(&mut self) -> Result<Option<i32>> {
        Ok(self.wait_status().await?.code())
    }

    /// Like [`RunHandle::wait`], with the whole exit status (signal included). Cancel-safe.
    pub async fn wait_status(&mut self) -> Result<std::process::ExitStatus> {
        self.child
            .wait()
            .await
            .map_err(|e| DockerError::io(format!("Failed to wait for '{}'", self.display), e))
    }

    /// Sends SIGKILL to the CLI (not to the container).
    pub fn start_kill(&mut self) -> Result<()> {
        self.child
            .start_kill()
            .map_err(|e| DockerError::io("Failed to kill docker run", e))
    }

    /// The redacted argv this was started with.
    pub fn display_argv(&self) -> &str {
        &self.display
    }
}

impl Docker {
    /// Starts `docker run` for `command` (from [`crate::build_run_command`]) with the given
    /// stdout/stderr. The CLI inherits our environment plus `command.env`, from which it
    /// reads the values of the `-e NAME` arguments.
    ///
    /// Must be called within a tokio runtime. Bound it with
    /// [`Docker::inspect_until_started`] to detect the start.
    pub fn run(
        &self,
        command: &RunCommand,
        stdout: impl Into<Stdio>,
        stderr: impl Into<Stdio>,
    ) -> Result<RunHandle> {
        let shown = display_argv(&command.argv(self));
        info!(argv = %shown, env = ?command.env_names(), "starting docker run");
        let mut cmd = self.command(&command.args);
        cmd.envs(command.env.iter().map(|(k, v)| (k, v)))
            .stdout(stdout)
            .stderr(stderr);
        let child = cmd.spawn().map_err(|e| self.spawn_error("run", e))?;
        Ok(RunHandle {
            child,
            display: shown,
        })
    }

    /// `docker run -d` for `command`: creates and starts the container in the background
    /// and returns its id once docker has started it (the container's output goes to
    /// docker's log driver, not to us). Bounded by `timeout`; the CLI is killed after it
    /// (the container may then exist: remove it by name). A failure to start (no such
    /// image, a bad entrypoint) is [`DockerError::Failed`] with docker's stderr
    /// (exit code 125, 126 or 127).
    pub async fn run_detached(&self, command: &RunCommand, timeout: Duration) -> Result<String> {
        let args = detached_args(&command.args);
        info!(argv = %display_argv(&self.argv(&args)), env = ?command.env_names(), "starting docker run -d");
        let call = CliCall::new("run", args, timeout).env(command.env.clone());
        let output = self.checked(call).await?;
        created_id(&output.stdout, "run")
    }
}

/// The container id `docker run -d` or `docker create` printed: its last non-empty line.
pub(crate) fn created_id(stdout: &[u8], op: &str) -> Result<String> {
    let text = String::from_utf8_lossy(stdout);
    match text.lines().map(str::trim).rfind(|l| !l.is_empty()) {
        Some(id) => Ok(id.to_string()),
        None => Err(DockerError::parse(
            op,
            format!("docker {op} printed no container id"),
        )),
    }
}

/// `args` (`run ...`) with `-d` right after `run`.
fn detached_args(args: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len() + 1);
    match args.split_first() {
        Some((run, rest)) if run == "run" => {
            out.push(run.clone());
            out.push("-d".to_string());
            out.extend(rest.iter().cloned());
        }
        _ => {
            out.push("run".to_string());
            out.push("-d".to_string());
            out.extend(args.iter().cloned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detach_goes_right_after_run() {
        let args: Vec<String> = ["run", "--name", "x", "img"].map(String::from).to_vec();
        assert_eq!(detached_args(&args), ["run", "-d", "--name", "x", "img"]);
    }
}
