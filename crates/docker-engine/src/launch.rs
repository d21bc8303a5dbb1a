//! Running a container with no `docker` process alive for its life: `docker create` (the
//! CLI, so that every `docker run` option keeps working), then on the Engine API an
//! attachment to its output opened before the start, a wait registered before the start,
//! and the start. What `docker run` did, minus the client that stayed attached.

use crate::attach::{Attachment, CopyReport};
use crate::containers::ExitWait;
use crate::Engine;
use docker_cli::{Container, Docker, DockerError, RunCommand};
use std::io::Write;
use std::time::Duration;
use tokio::sync::oneshot;

/// Where the container's stdout and stderr are copied.
pub struct OutputSinks {
    pub stdout: Box<dyn Write + Send>,
    pub stderr: Box<dyn Write + Send>,
}

/// A started container.
#[derive(Debug)]
pub struct Launched {
    /// The id `docker create` printed: only this container is ours, whatever else takes
    /// its name.
    pub id: String,
    /// The container as inspected right after its start (it may already have exited).
    pub container: Container,
    /// Its exit, registered before the start.
    pub exit: ExitWait,
    /// The end of the output copy, once the daemon closed the stream.
    pub output: oneshot::Receiver<CopyReport>,
}

/// Why a launch failed, and what it left behind.
#[derive(Debug)]
pub enum LaunchError {
    /// `docker create` failed: there is no container of ours.
    Create(DockerError),
    /// The daemon would not start the container (a missing command, a port in use):
    /// `exit_code` is what `docker run` exits with then (125, 126, 127). The created
    /// container `id` is left for the caller to remove.
    Start {
        id: String,
        exit_code: i32,
        error: DockerError,
    },
    /// Created, but the attachment, the wait or the start could not be set up (the daemon
    /// went away, a time limit passed). The container `id` may have started; it is the
    /// caller's to stop and remove.
    Setup { id: String, error: DockerError },
}

impl LaunchError {
    /// The created container, if any.
    pub fn created_id(&self) -> Option<&str> {
        match self {
            LaunchError::Create(_) => None,
            LaunchError::Start { id, .. } | LaunchError::Setup { id, .. } => Some(id),
        }
    }
}

impl std::fmt::Display for LaunchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LaunchError::Create(e) => write!(f, "{e}"),
            LaunchError::Start { error, .. } => write!(f, "{error}"),
            LaunchError::Setup { error, .. } => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for LaunchError {}

/// Whether `docker create <args>` gives the container a TTY: the last `--tty`/`--tty=<bool>`
/// before the image (`--` ends the options; the argv builder writes parameters as
/// `--key=value`), read as docker reads a boolean flag.
pub fn requests_tty(args: &[String]) -> bool {
    let mut tty = false;
    for arg in args.iter().take_while(|a| *a != "--") {
        match arg.strip_prefix("--tty") {
            Some("") => tty = true,
            Some(value) => {
                if let Some(value) = value.strip_prefix('=') {
                    tty = matches!(value, "1" | "t" | "T" | "true" | "TRUE" | "True");
                }
            }
            None => {}
        }
    }
    tty
}

impl Engine {
    /// Creates `command`'s container with `docker` (bounded by `create_timeout`), calls
    /// `on_created` with its id, attaches `sinks` to its output, registers the wait and
    /// starts it. The output copy runs on a thread of its own until the container's
    /// output ends.
    pub async fn launch(
        &self,
        docker: &Docker,
        command: &RunCommand,
        create_timeout: Duration,
        sinks: OutputSinks,
        on_created: impl FnOnce(&str),
    ) -> Result<Launched, LaunchError> {
        let id = docker
            .create(command, create_timeout)
            .await
            .map_err(LaunchError::Create)?;
        on_created(&id);
        let setup = |error| LaunchError::Setup {
            id: id.clone(),
            error,
        };
        // A TTY (asked for in the parameters) means one raw stream instead of frames; read
        // off the argv docker just accepted, which saves asking the daemon.
        let tty = requests_tty(&command.args);
        let output = self
            .attach_in_background(&id, tty, sinks)
            .await
            .map_err(setup)?;
        let exit = self.wait_next_exit(&id).await.map_err(setup)?;
        if let Err(error) = self.start(&id).await {
            let exit_code = match &error {
                DockerError::Api { message, .. } => crate::start_error::exit_code_for(message),
                _ => 125,
            };
            return Err(if matches!(error, DockerError::Api { .. }) {
                LaunchError::Start {
                    id,
                    exit_code,
                    error,
                }
            } else {
                LaunchError::Setup { id, error }
            });
        }
        let container = self.inspect_container(&id).await.map_err(setup)?;
        Ok(Launched {
            id,
            container,
            exit,
            output,
        })
    }

    /// Opens the attachment (bounded by the inspect limit) and starts the copy thread.
    async fn attach_in_background(
        &self,
        id: &str,
        tty: bool,
        mut sinks: OutputSinks,
    ) -> Result<oneshot::Receiver<CopyReport>, DockerError> {
        let (opened_tx, opened_rx) = oneshot::channel();
        let (done_tx, done_rx) = oneshot::channel();
        let socket = self.socket().to_path_buf();
        let limit = self.timeouts().inspect;
        let container = id.to_string();
        std::thread::Builder::new()
            .name("container-output".into())
            .spawn(move || {
                let attachment = match Attachment::open(&socket, &container, limit) {
                    Ok(a) => {
                        let _ = opened_tx.send(Ok(()));
                        a
                    }
                    Err(e) => {
                        let _ = opened_tx.send(Err(e));
                        return;
                    }
                };
                let report = attachment.copy_to(tty, &mut *sinks.stdout, &mut *sinks.stderr);
                let _ = done_tx.send(report);
            })
            .map_err(|e| {
                DockerError::io("cannot start the thread copying the container's output", e)
            })?;
        match opened_rx.await {
            Ok(result) => result.map(|()| done_rx),
            Err(_) => Err(DockerError::io(
                "attach",
                "the thread copying the container's output ended before attaching",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::requests_tty;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_tty_is_read_off_the_options_as_docker_reads_them() {
        assert!(!requests_tty(&args(&[
            "create", "--name", "x", "--", "img"
        ])));
        assert!(requests_tty(&args(&["create", "--tty", "--", "img"])));
        assert!(requests_tty(&args(&["create", "--tty=true", "--", "img"])));
        assert!(requests_tty(&args(&["create", "--tty=1", "--", "img"])));
        assert!(!requests_tty(&args(&[
            "create",
            "--tty=false",
            "--",
            "img"
        ])));
        assert!(!requests_tty(&args(&[
            "create",
            "--tty=true",
            "--tty=0",
            "--",
            "img"
        ])));
        assert!(!requests_tty(&args(&[
            "create",
            "--ttyx=true",
            "--",
            "img"
        ])));
        // After `--` it is the command's argument, not docker's option.
        assert!(!requests_tty(&args(&["create", "--", "img", "--tty"])));
    }
}
