//! Path B of a launch (docs/design.md, *The data path of a task*): a custom executor
//! shipped as an image runs as the container `mesos-<ContainerID>` itself, with the agent's
//! executor environment, and registers with the agent endpoint like `mesos-docker-executor`
//! does.
//!
//! As in Mesos the container's stdout/stderr are appended to the sandbox `stdout`/`stderr`
//! files and its exit code is the executor's, so "the container exited" plays the part of
//! "the executor process exited". Unlike Mesos no `docker run` client stays attached for the
//! executor's life: the container is created with `docker create` (the CLI, so every
//! `docker run` option of the ExecutorInfo keeps working), then attached, waited for and
//! started on the Engine API (`docker_engine::Engine::launch`); its output is copied by a
//! thread of ours, its exit comes from the wait registered before the start. The
//! container's init pid becomes the executor pid.
//!
//! Networking: the executor must reach the agent endpoint, which `run` binds to
//! `127.0.0.1`. With the default network (`HOST`) that just works. A `BRIDGE` (or `USER`)
//! executor has its own loopback and cannot reach it: such executors need the endpoint bound
//! to an address reachable from the container network (e.g. the docker bridge gateway) and
//! `MESOS_AGENT_ENDPOINT` naming it.
//!
//! Differences from Mesos, on purpose:
//! - an ExecutorInfo without `command` runs the image's own ENTRYPOINT/CMD (Mesos requires a
//!   command, whose proto default `shell: true` would run `/bin/sh -c`);
//! - the cgroups are not written again after the start (Mesos' forced `update()`): the
//!   container's options already carry the executor's resources;
//! - a launch that fails after the container was created removes it (Mesos leaves it
//!   behind), so nothing leaks;
//! - a Docker daemon that goes away while the executor runs is not taken for the
//!   executor's end: its container is looked at again once the daemon answers.

use crate::launch::executor_command::{executor_environment, ExecutorEnvironment};
use crate::watch::container::{kill_in_background, look_until_the_daemon_answers, ContainerExit};
use docker_cli::{
    build_run_command, ContainerDnsInfo, Docker, DockerError, MesosLabels, RunCommand, RunOptions,
};
use docker_engine::{Engine, LaunchError, OutputSinks};
use mesos_types::task::{CommandInfo, ExecutorInfo};
use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::Duration;

/// Why the executor container could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ExecutorContainerError {
    /// The ExecutorInfo has no ContainerInfo.
    #[error("executor.container: is missing (an executor run as an image needs a DOCKER container with an image)")]
    NoContainer,
    /// `--default_container_dns` is not valid.
    #[error("--default_container_dns: {0}")]
    Dns(#[source] DockerError),
    /// The `docker run` options cannot be built from the ExecutorInfo (bad input).
    #[error("executor: {0}")]
    RunOptions(#[source] DockerError),
    #[error("cannot open the sandbox file '{path}': {source}")]
    SandboxFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to start the executor container '{name}': {source}")]
    Run {
        name: String,
        #[source]
        source: DockerError,
    },
    /// The container ended, or could not start, before it was seen running (Mesos:
    /// "Container <exit-status>"): the image, its entrypoint or the executor failed.
    #[error("executor container '{name}' {status} before it was seen running (its output is in the sandbox stdout and stderr files)")]
    ExitedBeforeStart { name: String, status: String },
    #[error("failed to see the executor container '{name}' start: {source}")]
    Inspect {
        name: String,
        #[source]
        source: DockerError,
    },
    /// The container started but had already exited when inspected.
    #[error("Unable to get executor pid after launch: container '{name}' is not running")]
    NoPid { name: String },
    /// The executor's network cannot reach an endpoint bound to the host's loopback.
    #[error("executor.container.docker.network: the executor would run on the '{network}' network, from which the agent endpoint on 127.0.0.1 cannot be reached; use the HOST network (the default)")]
    LoopbackUnreachable { network: String },
}

/// What the executor container is made of.
#[derive(Debug, Clone)]
pub struct ExecutorContainerSpec<'a> {
    /// The custom executor; its `container` must be a DOCKER ContainerInfo.
    pub executor: &'a ExecutorInfo,
    /// The docker container name, `mesos-<ContainerID>`.
    pub name: &'a str,
    /// The sandbox on the host.
    pub sandbox: &'a Path,
    /// Where the sandbox is mounted in the container (`--sandbox_directory`).
    pub mapped_dir: &'a str,
    /// The agent's executor environment ([`container_environment`]); passed as the caller
    /// environment, so it wins over `executor.command.environment` on a name clash.
    pub env: &'a BTreeMap<String, String>,
    /// `--cgroups_enable_cfs`.
    pub enable_cfs_quota: bool,
    /// `--default_container_dns` (JSON or a path to it), applied as for task containers.
    pub default_dns: Option<&'a str>,
    pub labels: MesosLabels,
}

/// The environment of an executor container: the agent's executor variables only. Unlike
/// the `mesos-docker-executor` process (Path A) it gets no default `PATH` (it would replace
/// the image's own `ENV PATH`) and the executor command's variables are not merged here:
/// `docker run` adds them itself, below the agent's (rule 8 of the argv, docs/mesos-compat.md).
pub fn container_environment(e: &ExecutorEnvironment<'_>) -> BTreeMap<String, String> {
    let mut env = executor_environment(&ExecutorEnvironment {
        command_environment: &[],
        ..e.clone()
    });
    // With no command environment the only PATH is the host default added for processes.
    env.remove("PATH");
    env
}

/// The `docker run` options of the executor container (pure).
pub fn run_options(spec: &ExecutorContainerSpec<'_>) -> Result<RunOptions, ExecutorContainerError> {
    let container = spec
        .executor
        .container
        .clone()
        .ok_or(ExecutorContainerError::NoContainer)?;
    // No command: run the image's entrypoint as it is (see the module docs).
    let command = spec.executor.command.clone().unwrap_or(CommandInfo {
        shell: Some(false),
        ..CommandInfo::default()
    });
    let mut options = RunOptions::new(
        container,
        command,
        spec.name,
        spec.sandbox.display().to_string(),
        spec.mapped_dir,
    );
    // Mesos passes ContainerConfig.resources (the executor's) even when empty.
    options.resources = Some(spec.executor.resources.clone());
    options.enable_cfs_quota = spec.enable_cfs_quota;
    options.env = spec.env.clone();
    options.default_dns = spec
        .default_dns
        .map(ContainerDnsInfo::parse)
        .transpose()
        .map_err(ExecutorContainerError::Dns)?;
    options.labels = spec.labels.clone();
    Ok(options)
}

/// The `docker run` command of the executor container (pure): what [`launch`] runs.
pub fn run_command(spec: &ExecutorContainerSpec<'_>) -> Result<RunCommand, ExecutorContainerError> {
    build_run_command(&run_options(spec)?).map_err(ExecutorContainerError::RunOptions)
}

/// The network `command` runs the container on (the value of `--net`).
pub fn network(command: &RunCommand) -> Option<&str> {
    command
        .args
        .windows(2)
        .find(|w| w[0] == "--net")
        .map(|w| w[1].as_str())
}

/// Checks that an executor container of `command` can reach an agent endpoint bound to the
/// host's loopback, as `run` binds it: only on the host network.
pub fn require_host_network(command: &RunCommand) -> Result<(), ExecutorContainerError> {
    match network(command) {
        Some("host") => Ok(()),
        other => Err(ExecutorContainerError::LoopbackUnreachable {
            network: other.unwrap_or_default().to_string(),
        }),
    }
}

fn append(path: PathBuf) -> Result<std::fs::File, ExecutorContainerError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|source| ExecutorContainerError::SandboxFile { path, source })
}

/// A started executor container.
#[derive(Debug)]
pub struct ExecutorContainer {
    name: String,
    id: String,
    pid: u32,
    container: docker_cli::Container,
    /// The container's exit, once known (see [`follow_exit`]).
    exit: tokio::sync::watch::Receiver<Option<Option<i32>>>,
    follow: tokio::task::JoinHandle<()>,
    engine: Engine,
}

impl Drop for ExecutorContainer {
    fn drop(&mut self) {
        self.follow.abort();
    }
}

impl ExecutorContainer {
    /// The docker container name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The pid of the container's init process (the executor), as seen from the host.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The container as inspected when it was seen running.
    pub fn inspected(&self) -> &docker_cli::Container {
        &self.container
    }

    /// Waits for the container to exit: `Some(code)`, or `None` when it vanished (removed
    /// meanwhile) without docker saying how it ended. Cancel-safe.
    pub async fn wait(&mut self) -> Result<Option<i32>, DockerError> {
        loop {
            if let Some(exit) = *self.exit.borrow_and_update() {
                return Ok(exit);
            }
            if self.exit.changed().await.is_err() {
                return Err(DockerError::io(
                    format!("waiting for the executor container '{}'", self.name),
                    "the wait ended without an answer",
                ));
            }
        }
    }

    /// SIGKILLs the container in the background; [`Self::wait`] then returns once docker
    /// has seen it die. The counterpart of killing the executor process in Path A.
    pub fn start_kill(&self) {
        kill_in_background(&self.engine, &self.id);
    }
}

/// The exit of the container `id`: the wait registered before its start, and when that
/// breaks (the daemon went away) the container as the daemon sees it once it answers
/// again, waited for anew while it runs.
async fn follow_exit(engine: &Engine, id: &str, exit: docker_engine::ExitWait) -> Option<i32> {
    let mut first = Some(exit);
    loop {
        let waited = match first.take() {
            Some(exit) => exit.exit_code().await,
            None => {
                engine
                    .wait(id, crate::watch::container::WAIT_CALL_LIMIT)
                    .await
            }
        };
        match waited {
            Ok(code) => return Some(code),
            Err(e) if e.is_not_found() => return None,
            Err(e) if e.is_timeout() => continue,
            Err(e) => {
                tracing::warn!(container = %id, error = %e,
                    "waiting for the executor container failed (is the daemon restarting?); looking again");
            }
        }
        match look_until_the_daemon_answers(engine, id).await {
            Ok(()) => {}
            Err(ContainerExit::Exited(code)) => return code,
            Err(ContainerExit::Vanished) => return None,
        }
    }
}

/// Appends docker's complaint to the sandbox `stderr`, as the attached `docker run` of
/// Mesos prints it there.
fn note_in_stderr(sandbox: &Path, error: &impl std::fmt::Display) {
    use std::io::Write;
    if let Ok(mut file) = append(sandbox.join("stderr")) {
        let _ = writeln!(file, "docker: {error}");
    }
}

/// Creates the executor container, attaches the sandbox files to its output and starts it,
/// then checks that it runs; all within `start_deadline`. On any failure after the
/// container was created it is removed. Must be called within a tokio runtime.
pub async fn launch(
    docker: &Docker,
    engine: &Engine,
    spec: &ExecutorContainerSpec<'_>,
    start_deadline: Duration,
) -> Result<ExecutorContainer, ExecutorContainerError> {
    let command = run_command(spec)?;
    let name = spec.name.to_string();
    let sinks = OutputSinks {
        stdout: Box::new(append(spec.sandbox.join("stdout"))?),
        stderr: Box::new(append(spec.sandbox.join("stderr"))?),
    };
    let mut created: Option<String> = None;
    let launched = tokio::time::timeout(
        start_deadline,
        engine.launch(docker, &command, start_deadline, sinks, |id| {
            created = Some(id.to_string())
        }),
    )
    .await;
    let run_error = |source| ExecutorContainerError::Run {
        name: name.clone(),
        source,
    };
    let result = match launched {
        Err(_) => Err(run_error(DockerError::Timeout {
            op: format!("the start of the executor container '{name}'"),
            after: start_deadline,
        })),
        Ok(Err(LaunchError::Create(source))) => {
            note_in_stderr(spec.sandbox, &source);
            Err(run_error(source))
        }
        Ok(Err(LaunchError::Start {
            exit_code, error, ..
        })) => {
            note_in_stderr(spec.sandbox, &error);
            Err(ExecutorContainerError::ExitedBeforeStart {
                name: name.clone(),
                status: format!("exited with status {exit_code} ({error})"),
            })
        }
        Ok(Err(LaunchError::Setup { error, .. })) => Err(run_error(error)),
        Ok(Ok(launched)) => match launched
            .container
            .pid
            .filter(|_| launched.container.running)
        {
            Some(pid) => Ok((pid, launched)),
            None => {
                // Ended already: its exit code is known (or soon), say it.
                let waited =
                    tokio::time::timeout(engine.timeouts().inspect, launched.exit.exit_code())
                        .await;
                Err(match waited {
                    Ok(Ok(code)) => ExecutorContainerError::ExitedBeforeStart {
                        name: name.clone(),
                        status: format!("exited with status {code}"),
                    },
                    _ => ExecutorContainerError::NoPid { name: name.clone() },
                })
            }
        },
    };
    match result {
        Ok((pid, launched)) => {
            tracing::info!(container = %name, id = %launched.id, pid, "executor container running");
            let (tx, exit) = tokio::sync::watch::channel(None);
            let follow = tokio::spawn({
                let engine = engine.clone();
                let id = launched.id.clone();
                let waited = launched.exit;
                let output = launched.output;
                async move {
                    let code = follow_exit(&engine, &id, waited).await;
                    tracing::info!(container = %id, exit_code = ?code, "executor container exited");
                    let _ = tx.send(Some(code));
                    // The output ends with the container (or when the daemon went away).
                    if let Ok(report) = output.await {
                        if let Some(e) = report.error.or(report.write_error) {
                            tracing::warn!(container = %id, error = %e,
                                "the executor's output was not all copied to the sandbox");
                        }
                    }
                }
            });
            Ok(ExecutorContainer {
                name,
                id: launched.id,
                pid,
                container: launched.container,
                exit,
                follow,
                engine: engine.clone(),
            })
        }
        Err(e) => {
            tracing::warn!(container = %name, error = %e, "executor container did not start; removing it");
            // Only the container this launch created: whatever else took the name is not ours.
            if let Some(id) = &created {
                match engine.remove(id, true).await {
                    Ok(()) => {}
                    Err(rm) if rm.is_not_found() => {}
                    Err(rm) => {
                        tracing::warn!(container = %name, error = %rm, "failed to remove the executor container")
                    }
                }
            }
            Err(e)
        }
    }
}

/// The executor of a launch, whichever way it runs: the `mesos-docker-executor` process
/// (Path A) or a container (Path B). Offers the part of [`tokio::process::Child`]'s
/// interface that `run` uses, so its main loop treats both alike.
#[derive(Debug)]
pub enum ExecutorHandle {
    Process(tokio::process::Child),
    /// Boxed: the inspected container is much larger than a child process handle.
    Container(Box<ExecutorContainer>),
}

impl ExecutorHandle {
    /// The executor pid: the process, or the container's init process.
    pub fn id(&self) -> Option<u32> {
        match self {
            ExecutorHandle::Process(child) => child.id(),
            ExecutorHandle::Container(c) => Some(c.pid()),
        }
    }

    /// Kills the executor without waiting: SIGKILL to the process, or to the container.
    pub fn start_kill(&mut self) -> std::io::Result<()> {
        match self {
            ExecutorHandle::Process(child) => child.start_kill(),
            ExecutorHandle::Container(c) => {
                c.start_kill();
                Ok(())
            }
        }
    }

    /// Waits for the executor to exit: the process's status, or the container's exit code
    /// as a process status. Cancel-safe.
    pub async fn wait(&mut self) -> std::io::Result<ExitStatus> {
        match self {
            ExecutorHandle::Process(child) => child.wait().await,
            ExecutorHandle::Container(c) => c
                .wait()
                .await
                .map(run_exit_status)
                .map_err(std::io::Error::other),
        }
    }
}

/// The container's exit as an [`ExitStatus`]. A container that vanished without docker
/// saying how it ended was removed by force: report it as SIGKILLed.
fn run_exit_status(code: Option<i32>) -> ExitStatus {
    match code {
        Some(code) => ExitStatus::from_raw((code & 0xff) << 8),
        None => ExitStatus::from_raw(libc::SIGKILL),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesos_types::container::{ContainerInfo, DockerNetwork};
    use mesos_types::resources::Resource;
    use mesos_types::task::{Environment, Variable};

    fn executor() -> ExecutorInfo {
        let mut e = ExecutorInfo::new("ex-1");
        e.container = Some(ContainerInfo::docker("mesos-test/example-executor:latest"));
        e.resources = vec![Resource::scalar("cpus", 0.5), Resource::scalar("mem", 64.0)];
        e.command = Some(CommandInfo {
            shell: Some(false),
            ..CommandInfo::default()
        });
        e
    }

    fn env() -> BTreeMap<String, String> {
        BTreeMap::from([
            (
                "MESOS_AGENT_ENDPOINT".to_string(),
                "127.0.0.1:40000".to_string(),
            ),
            ("MESOS_EXECUTOR_ID".to_string(), "ex-1".to_string()),
            ("MESOS_FRAMEWORK_ID".to_string(), "fw".to_string()),
        ])
    }

    fn labels() -> MesosLabels {
        MesosLabels {
            agent_id: Some("agent-S0".into()),
            framework_id: Some("fw".into()),
            executor_id: Some("ex-1".into()),
            task_id: Some("t-1".into()),
            container_id: Some("c1".into()),
        }
    }

    fn build(
        executor: &ExecutorInfo,
        env: &BTreeMap<String, String>,
    ) -> Result<RunCommand, ExecutorContainerError> {
        run_command(&ExecutorContainerSpec {
            executor,
            name: "mesos-c1",
            sandbox: Path::new("/w/sandboxes/c1"),
            mapped_dir: "/mnt/mesos/sandbox",
            env,
            enable_cfs_quota: false,
            default_dns: None,
            labels: labels(),
        })
    }

    #[test]
    fn host_network_executor_argv() {
        let command = build(&executor(), &env()).unwrap();
        assert_eq!(
            command.args,
            [
                "run",
                "--cpu-shares",
                "512",
                "--memory",
                "67108864",
                "-e",
                "MESOS_AGENT_ENDPOINT",
                "-e",
                "MESOS_ALLOCATION_ROLE",
                "-e",
                "MESOS_CONTAINER_NAME",
                "-e",
                "MESOS_EXECUTOR_ID",
                "-e",
                "MESOS_FRAMEWORK_ID",
                "-e",
                "MESOS_SANDBOX",
                "-v",
                "/w/sandboxes/c1:/mnt/mesos/sandbox",
                "--net",
                "host",
                "--name",
                "mesos-c1",
                "--label",
                "mesos.agent_id=agent-S0",
                "--label",
                "mesos.framework_id=fw",
                "--label",
                "mesos.executor_id=ex-1",
                "--label",
                "mesos.task_id=t-1",
                "--label",
                "mesos.container_id=c1",
                "--",
                "mesos-test/example-executor:latest",
            ]
        );
        let env: BTreeMap<_, _> = command.env.iter().cloned().collect();
        assert_eq!(env["MESOS_AGENT_ENDPOINT"], "127.0.0.1:40000");
        assert_eq!(env["MESOS_SANDBOX"], "/mnt/mesos/sandbox");
        assert_eq!(env["MESOS_CONTAINER_NAME"], "mesos-c1");
        assert_eq!(env["MESOS_ALLOCATION_ROLE"], "*");
        // Values only in the CLI's environment, never on argv.
        assert!(!command.args.iter().any(|a| a.contains("127.0.0.1:40000")));
    }

    #[test]
    fn no_command_runs_the_image_entrypoint() {
        let mut e = executor();
        e.command = None;
        e.resources.clear();
        let command = build(&e, &env()).unwrap();
        assert!(
            !command.args.iter().any(|a| a == "--entrypoint"),
            "{:?}",
            command.args
        );
        assert_eq!(
            command.args.last().unwrap(),
            "mesos-test/example-executor:latest"
        );
        assert!(!command
            .args
            .iter()
            .any(|a| a == "--cpu-shares" || a == "--memory"));
        assert!(!command.env_names().contains(&"MESOS_ALLOCATION_ROLE"));
    }

    #[test]
    fn command_value_and_arguments_follow_the_image() {
        let mut e = executor();
        e.command = Some(CommandInfo {
            value: Some("/mesos-example-executor".into()),
            arguments: vec!["--verbose".into()],
            shell: Some(false),
            ..CommandInfo::default()
        });
        let command = build(&e, &env()).unwrap();
        let n = command.args.len();
        assert_eq!(
            command.args[n - 4..],
            [
                "--",
                "mesos-test/example-executor:latest",
                "/mesos-example-executor",
                "--verbose"
            ]
        );

        // Shell commands need a shell in the image, as in Mesos.
        e.command = Some(CommandInfo::shell_command("exec /run-me"));
        let command = build(&e, &env()).unwrap();
        let n = command.args.len();
        assert_eq!(
            command.args[n - 3..],
            ["mesos-test/example-executor:latest", "-c", "exec /run-me"]
        );
        let entrypoint = command
            .args
            .iter()
            .position(|a| a == "--entrypoint")
            .unwrap();
        assert_eq!(command.args[entrypoint + 1], "/bin/sh");
    }

    #[test]
    fn agent_variables_win_over_the_executor_command_environment() {
        let mut e = executor();
        e.command.as_mut().unwrap().environment = Some(Environment {
            variables: vec![
                Variable::new("MESOS_FRAMEWORK_ID", "from-command"),
                Variable::new("GREETING", "hello"),
            ],
        });
        let command = build(&e, &env()).unwrap();
        let env: BTreeMap<_, _> = command.env.iter().cloned().collect();
        assert_eq!(env["MESOS_FRAMEWORK_ID"], "fw");
        assert_eq!(env["GREETING"], "hello");
    }

    #[test]
    fn bridge_executor_gets_the_bridge_dns() {
        let mut e = executor();
        let mut container = ContainerInfo::docker("mesos-test/example-executor:latest");
        container.docker.as_mut().unwrap().network = Some(DockerNetwork::Bridge);
        e.container = Some(container);
        let dns = r#"{"docker":[{"network_mode":"BRIDGE","dns":{"nameservers":["10.0.0.53"]}}]}"#;
        let env = env();
        let command = run_command(&ExecutorContainerSpec {
            executor: &e,
            name: "mesos-c1",
            sandbox: Path::new("/w/sandboxes/c1"),
            mapped_dir: "/mnt/mesos/sandbox",
            env: &env,
            enable_cfs_quota: true,
            default_dns: Some(dns),
            labels: MesosLabels::default(),
        })
        .unwrap();
        let args = command.args.join(" ");
        assert!(args.contains("--cpu-quota 50000"), "{args}");
        assert!(args.contains("--net bridge --dns 10.0.0.53"), "{args}");
        assert_eq!(network(&command), Some("bridge"));
        let err = require_host_network(&command).unwrap_err().to_string();
        assert!(err.contains("'bridge' network"), "{err}");
        assert!(require_host_network(&build(&executor(), &env).unwrap()).is_ok());
    }

    #[test]
    fn bad_executor_input_is_reported() {
        let mut e = executor();
        e.container = None;
        let err = build(&e, &env()).unwrap_err().to_string();
        assert!(err.contains("executor.container: is missing"), "{err}");

        let mut container = ContainerInfo::docker("img");
        container.docker = None;
        e.container = Some(container);
        let err = build(&e, &env()).unwrap_err().to_string();
        assert!(err.contains("No docker info found"), "{err}");
    }

    #[test]
    fn container_environment_has_no_path_and_no_command_variables() {
        let command_env = vec![("FOO".to_string(), "bar".to_string())];
        let env = container_environment(&ExecutorEnvironment {
            framework_id: "fw",
            executor_id: "ex",
            agent_id: "a",
            directory: Path::new("/w/sandboxes/c"),
            agent_endpoint: "127.0.0.1:5051",
            checkpoint: false,
            shutdown_grace_period: "5secs".parse().unwrap(),
            recovery_timeout: "15mins".parse().unwrap(),
            subscription_backoff_max: "2secs".parse().unwrap(),
            command_environment: &command_env,
        });
        assert_eq!(env["MESOS_AGENT_ENDPOINT"], "127.0.0.1:5051");
        assert_eq!(env["MESOS_DIRECTORY"], "/w/sandboxes/c");
        assert!(!env.contains_key("PATH"));
        assert!(!env.contains_key("FOO"));
    }

    #[test]
    fn run_exit_codes_become_exit_statuses() {
        assert_eq!(run_exit_status(Some(0)).code(), Some(0));
        assert_eq!(run_exit_status(Some(137)).code(), Some(137));
        assert_eq!(run_exit_status(None).signal(), Some(libc::SIGKILL));
    }
}
