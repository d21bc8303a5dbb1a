//! The process runner: how every docker CLI call is spawned, bounded in time and turned into
//! a typed result.
//!
//! Conventions (Mesos's, plus ours): argv vector, never a shell (Mesos uses one for
//! `version` and `ps`); global prefix `-H unix://<socket>` when a socket is configured;
//! stdin `/dev/null`; stdout and stderr captured concurrently (so a full pipe never
//! deadlocks the CLI); every call has a time limit after which the CLI is killed and
//! reaped; `kill_on_drop` so cancelling a call's future kills the CLI too (the daemon-side
//! container is unaffected, as in Mesos). Each call runs in a process group of its own, and
//! a call that times out or is cancelled has its whole group killed: a `--docker` wrapper
//! script and whatever it started (a hung `docker` under it) go with it instead of living
//! on under init. Environment values for the child travel in its environment only, and are
//! scrubbed from docker's stderr before it goes into an error.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;
use tracing::debug;

use crate::error::{DockerError, ObjectKind, Result};
use crate::pull::InFlightPulls;
use crate::redact::{display_argv, redact_text};

/// Default Docker socket of the agent flag `--docker_socket`.
pub const DEFAULT_DOCKER_SOCKET: &str = "/var/run/docker.sock";

/// How much of docker's stderr an error keeps: enough for any CLI message, bounded so a
/// misbehaving CLI cannot blow up logs.
const MAX_STDERR_IN_ERROR: usize = 4096;

/// Time limits of the calls that do not take one as a parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeouts {
    /// `docker --version` (Mesos's `DOCKER_VERSION_WAIT_TIMEOUT`, 5 s).
    pub version: Duration,
    /// One `docker inspect` of a container (Mesos's `DOCKER_INSPECT_TIMEOUT`, 5 s).
    pub inspect: Duration,
    /// One `docker inspect` of an image.
    pub image_inspect: Duration,
    /// `docker ps`.
    pub ps: Duration,
    /// Added to the stop timeout of `docker stop -t N` to bound the whole call.
    pub stop_slack: Duration,
    /// `docker kill`.
    pub kill: Duration,
    /// `docker rm` (removing a big writable layer can take a while).
    pub rm: Duration,
    /// `docker update`.
    pub update: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            version: Duration::from_secs(5),
            inspect: Duration::from_secs(5),
            image_inspect: Duration::from_secs(30),
            ps: Duration::from_secs(30),
            stop_slack: Duration::from_secs(30),
            kill: Duration::from_secs(15),
            rm: Duration::from_secs(60),
            update: Duration::from_secs(15),
        }
    }
}

/// A handle on the Docker CLI: the program (`docker`, `podman`, or a path), the daemon
/// socket and the time limits. Cheap to clone; clones share the in-flight pull table.
#[derive(Clone)]
pub struct Docker {
    inner: Arc<Inner>,
}

struct Inner {
    program: PathBuf,
    /// `unix://<socket>` when a socket was given.
    host: Option<String>,
    timeouts: Timeouts,
    pulls: InFlightPulls,
}

impl std::fmt::Debug for Docker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Docker")
            .field("program", &self.inner.program)
            .field("host", &self.inner.host)
            .field("timeouts", &self.inner.timeouts)
            .finish()
    }
}

impl Docker {
    /// A Docker CLI wrapper for `program` talking to the daemon at `socket`.
    ///
    /// `socket` is a filesystem path (agent flag `--docker_socket`); it must be absolute and
    /// becomes the global prefix `-H unix://<socket>`. With `None` the CLI uses its own
    /// default (useful for Podman). Nothing is run here: call [`Docker::validate_version`]
    /// to check the daemon.
    pub fn new(program: impl Into<PathBuf>, socket: Option<&Path>) -> Result<Self> {
        Self::with_timeouts(program, socket, Timeouts::default())
    }

    /// Like [`Docker::new`] with explicit time limits.
    pub fn with_timeouts(
        program: impl Into<PathBuf>,
        socket: Option<&Path>,
        timeouts: Timeouts,
    ) -> Result<Self> {
        let host = match socket {
            Some(socket) if !socket.is_absolute() => {
                return Err(DockerError::invalid(
                    "--docker_socket",
                    socket.display().to_string(),
                    format!(
                        "Invalid Docker socket path: {} (it must be an absolute path)",
                        socket.display()
                    ),
                ));
            }
            Some(socket) => Some(format!("unix://{}", socket.display())),
            None => None,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                program: program.into(),
                host,
                timeouts,
                pulls: InFlightPulls::default(),
            }),
        })
    }

    /// The docker program as configured.
    pub fn program(&self) -> &Path {
        &self.inner.program
    }

    /// `unix://<socket>` when a socket was configured.
    pub fn host(&self) -> Option<&str> {
        self.inner.host.as_deref()
    }

    /// The time limits in force.
    pub fn timeouts(&self) -> &Timeouts {
        &self.inner.timeouts
    }

    pub(crate) fn pulls(&self) -> &InFlightPulls {
        &self.inner.pulls
    }

    /// The full argv of a subcommand: `<program> [-H unix://<socket>] <args...>`.
    pub fn argv<S: AsRef<str>>(&self, args: &[S]) -> Vec<String> {
        let mut argv = Vec::with_capacity(args.len() + 3);
        argv.push(self.inner.program.display().to_string());
        if let Some(host) = &self.inner.host {
            argv.push("-H".to_string());
            argv.push(host.clone());
        }
        argv.extend(args.iter().map(|a| a.as_ref().to_string()));
        argv
    }

    /// A ready-to-spawn command for `args`: prefix added, stdin `/dev/null`, stdout and
    /// stderr piped, killed when dropped. Callers may override stdio and add environment.
    pub(crate) fn command<S: AsRef<str>>(&self, args: &[S]) -> Command {
        let mut cmd = Command::new(self.resolved_program());
        if let Some(host) = &self.inner.host {
            cmd.arg("-H").arg(host);
        }
        cmd.args(args.iter().map(|a| a.as_ref()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            // Its own group, so that a timeout can kill whatever the CLI started too.
            .process_group(0);
        cmd
    }

    /// The program resolved against *our* `PATH`: a child environment that sets `PATH`
    /// (a task variable passed to `docker run`) must not change which docker runs.
    fn resolved_program(&self) -> PathBuf {
        let program = &self.inner.program;
        if program.components().count() > 1 || program.is_absolute() {
            return program.clone();
        }
        let path = std::env::var_os("PATH").unwrap_or_else(|| OsString::from("/usr/bin:/bin"));
        std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .find(|candidate| is_executable(candidate))
            .unwrap_or_else(|| program.clone())
    }

    /// Runs `call` to completion (any exit status) within its time limit.
    pub(crate) async fn output(&self, call: CliCall) -> Result<CliOutput> {
        let argv = self.argv(&call.args);
        debug!(op = call.op, argv = %display_argv(&argv), "running docker");
        let mut cmd = self.command(&call.args);
        for name in &call.env_remove {
            cmd.env_remove(name);
        }
        cmd.envs(call.env.iter().map(|(k, v)| (k, v)));
        let mut child = cmd.spawn().map_err(|e| self.spawn_error(call.op, e))?;
        // Kills the group when this future is dropped before the CLI was reaped.
        let mut group = GroupGuard::new(child.id());
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();

        let finished = tokio::time::timeout(call.timeout, async {
            let (out, err, status) = tokio::join!(read_all(stdout), read_all(stderr), child.wait());
            (out, err, status)
        })
        .await;

        match finished {
            Ok((stdout, stderr, status)) => {
                group.reaped();
                let status = status.map_err(|e| {
                    DockerError::io(format!("Failed to wait for docker {}", call.op), e)
                })?;
                Ok(CliOutput {
                    code: status.code(),
                    success: status.success(),
                    stdout,
                    stderr: String::from_utf8_lossy(&stderr).into_owned(),
                    argv,
                    call,
                })
            }
            Err(_) => {
                // Kill the whole group and reap now rather than leave it to the drop: the
                // caller learns of the timeout only once the CLI is really gone. The group
                // is killed before the leader is reaped, so its id cannot have been reused.
                group.kill();
                let _ = child.start_kill();
                let _ = child.wait().await;
                group.reaped();
                debug!(op = call.op, after = ?call.timeout, "docker timed out and was killed");
                Err(DockerError::Timeout {
                    op: format!("'{}'", display_argv(&argv)),
                    after: call.timeout,
                })
            }
        }
    }

    /// Runs `call` and turns a non-zero exit into [`DockerError::NotFound`] (when docker
    /// says so about the call's target) or [`DockerError::Failed`].
    pub(crate) async fn checked(&self, call: CliCall) -> Result<CliOutput> {
        let output = self.output(call).await?;
        if output.success {
            Ok(output)
        } else {
            Err(output.failure())
        }
    }

    pub(crate) fn spawn_error(&self, op: &str, err: std::io::Error) -> DockerError {
        DockerError::Spawn {
            op: op.to_string(),
            program: self.inner.program.display().to_string(),
            reason: err.to_string(),
        }
    }
}

/// The process group of one CLI call (its leader is the CLI, see [`Docker::command`]),
/// SIGKILLed on [`GroupGuard::kill`] and when dropped before the leader was reaped: a
/// cancelled call leaves nothing running. Once the leader is reaped its id may be reused,
/// so the guard then does nothing.
pub(crate) struct GroupGuard {
    pgid: Option<i32>,
}

impl GroupGuard {
    pub(crate) fn new(leader: Option<u32>) -> Self {
        Self {
            pgid: leader.and_then(|pid| i32::try_from(pid).ok()),
        }
    }

    /// SIGKILLs every process of the group (the leader is still to be reaped by its owner).
    pub(crate) fn kill(&self) {
        if let Some(pgid) = self.pgid {
            // SAFETY: kill(2) with a negative pid signals the process group; no memory is
            // involved. The group's leader is not reaped yet, so the id is still ours.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
    }

    /// The leader was reaped: the group id may be reused from now on.
    pub(crate) fn reaped(&mut self) {
        self.pgid = None;
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

async fn read_all<R: AsyncRead + Unpin>(pipe: Option<R>) -> Vec<u8> {
    let mut buf = Vec::new();
    if let Some(mut pipe) = pipe {
        // A read error means the pipe broke; what was read so far is all there is.
        let _ = pipe.read_to_end(&mut buf).await;
    }
    buf
}

/// One docker CLI invocation: what to run, with which extra environment, for how long.
#[derive(Debug, Clone)]
pub(crate) struct CliCall {
    /// The operation in words (`inspect`, `pull`), for errors and logs.
    pub op: &'static str,
    pub args: Vec<String>,
    /// Extra environment for the child. Values are secret: never logged.
    pub env: Vec<(String, String)>,
    pub env_remove: Vec<String>,
    pub timeout: Duration,
    /// What the call is about, so "No such ..." on stderr becomes [`DockerError::NotFound`].
    pub target: Option<(ObjectKind, String)>,
}

impl CliCall {
    pub fn new<I, S>(op: &'static str, args: I, timeout: Duration) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            op,
            args: args.into_iter().map(Into::into).collect(),
            env: Vec::new(),
            env_remove: Vec::new(),
            timeout,
            target: None,
        }
    }

    pub fn target(mut self, kind: ObjectKind, name: &str) -> Self {
        self.target = Some((kind, name.to_string()));
        self
    }

    /// Extra variables for the CLI's environment (values are never logged).
    pub fn env(mut self, env: Vec<(String, String)>) -> Self {
        self.env = env;
        self
    }
}

/// What a finished CLI call produced.
#[derive(Debug)]
pub(crate) struct CliOutput {
    pub code: Option<i32>,
    pub success: bool,
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub argv: Vec<String>,
    pub call: CliCall,
}

impl CliOutput {
    /// The error for a call that did not succeed.
    pub fn failure(&self) -> DockerError {
        failure_error(&self.call, &self.argv, self.code, &self.stderr)
    }
}

/// Classifies a failed call: "No such ..." about the call's target is
/// [`DockerError::NotFound`]; anything else is [`DockerError::Failed`] with redacted argv
/// and stderr.
pub(crate) fn failure_error(
    call: &CliCall,
    argv: &[String],
    code: Option<i32>,
    stderr: &str,
) -> DockerError {
    let lower = stderr.to_ascii_lowercase();
    if let Some((kind, name)) = &call.target {
        let says_missing = lower.contains("no such container")
            || lower.contains("no such object")
            || lower.contains("no such image")
            || lower.contains("image not known")
            || lower.contains("no container with name or id");
        if says_missing {
            return DockerError::NotFound {
                kind: *kind,
                name: name.clone(),
            };
        }
    }
    let secrets: Vec<&str> = call
        .env
        .iter()
        .filter(|(name, _)| !name.starts_with("MESOS_"))
        .map(|(_, value)| value.as_str())
        .collect();
    let mut stderr = redact_text(stderr.trim(), &secrets);
    if stderr.len() > MAX_STDERR_IN_ERROR {
        let mut cut = MAX_STDERR_IN_ERROR;
        while !stderr.is_char_boundary(cut) {
            cut -= 1;
        }
        stderr.truncate(cut);
        stderr.push_str("...");
    }
    DockerError::Failed {
        op: call.op.to_string(),
        argv: display_argv(argv),
        code,
        stderr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_socket_is_rejected() {
        let err = Docker::new("docker", Some(Path::new("var/run/docker.sock"))).unwrap_err();
        assert!(
            err.to_string()
                .contains("Invalid Docker socket path: var/run/docker.sock"),
            "{err}"
        );
    }

    #[test]
    fn prefix_has_unix_scheme() {
        let docker = Docker::new("docker", Some(Path::new("/var/run/docker.sock"))).unwrap();
        assert_eq!(
            docker.argv(&["ps"]),
            ["docker", "-H", "unix:///var/run/docker.sock", "ps"]
        );
        let podman = Docker::new("podman", None).unwrap();
        assert_eq!(podman.argv(&["ps"]), ["podman", "ps"]);
    }

    #[test]
    fn failure_classification_and_redaction() {
        let call = CliCall::new("inspect", ["inspect", "x"], Duration::from_secs(1))
            .target(ObjectKind::Container, "x");
        let err = failure_error(&call, &[], Some(1), "Error: No such object: x\n");
        assert!(err.is_not_found(), "{err}");

        let call = CliCall::new("run", ["run"], Duration::from_secs(1)).env(vec![
            ("TOKEN".into(), "hunter2-value".into()),
            ("MESOS_SANDBOX".into(), "/mnt/mesos/sandbox".into()),
        ]);
        let argv = vec!["docker".to_string(), "run".to_string()];
        let err = failure_error(
            &call,
            &argv,
            Some(125),
            "bad hunter2-value at /mnt/mesos/sandbox",
        );
        assert_eq!(
            err.to_string(),
            "Failed to run 'docker run': exited with status 125; stderr='bad *** at /mnt/mesos/sandbox'"
        );
    }

    #[tokio::test]
    async fn timeout_kills_the_cli() {
        let docker = Docker::new("sleep", None).unwrap();
        let started = std::time::Instant::now();
        let err = docker
            .output(CliCall::new("sleep", ["30"], Duration::from_millis(200)))
            .await
            .unwrap_err();
        assert!(err.is_timeout(), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn missing_program_is_a_spawn_error() {
        let docker = Docker::new("/nonexistent/docker", None).unwrap();
        let err = docker.version().await.unwrap_err();
        assert!(matches!(err, DockerError::Spawn { .. }), "{err}");
    }
}
