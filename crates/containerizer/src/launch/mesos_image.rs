//! `--docker_mesos_image` (docs/mesos-compat.md, docs/containerizer.md): when the
//! containerizer itself runs in a container, the `mesos-docker-executor` of a command task
//! runs in a container of its own, `mesos-<ContainerID>.executor`, started from that image
//! on the host daemon, so it outlives a restart of the containerizer's container. The
//! executor then creates the task container `mesos-<ContainerID>` on the same daemon, as
//! always.
//!
//! The executor container, as in Mesos:
//! - the image is `--docker_mesos_image`; the program is `<launcher_dir>/mesos-docker-executor`
//!   inside it, with the same flags as a process executor gets (`executor_command.rs`);
//! - `-v <docker_socket>:<docker_socket>:ro` and the sandbox at its own path
//!   (`-v <sandbox>:<sandbox>:rw`, besides `-v <sandbox>:<--sandbox_directory>`), so the
//!   paths the executor gives the host daemon are the host's: the work dir must have the same
//!   path on the host and in the containerizer's container;
//! - the host network (the executor reaches the agent endpoint at the address it is given)
//!   and `--pid=host --cap-add=SYS_ADMIN --cap-add=SYS_PTRACE` (health checks enter the task
//!   container's network namespace through `/proc/<pid>/ns/net`);
//! - the agent's executor environment as `-e NAME` (values in the docker CLI's environment,
//!   never on argv), the resources and limits of the task plus the command executor's
//!   allowance, and our labels.
//!
//! Differences from Mesos, on purpose:
//! - it runs detached (`docker run -d`), and the executor's stdout and stderr are appended
//!   to the sandbox `stdout`/`stderr` files by `/bin/sh` in the image
//!   (`--entrypoint /bin/sh -c 'exec <executor> <flags> >>…/stdout 2>>…/stderr'`), so the
//!   task's output keeps reaching the sandbox after the containerizer's container was
//!   restarted (Mesos streams it through an attached `docker run` client, which dies with the
//!   agent's container). The image therefore needs `/bin/sh`; its ENTRYPOINT is not used;
//! - its liveness is watched with a wait on the Engine API ([`crate::watch::container`]), not
//!   through the container's pid: the containerizer's container need not share the host pid
//!   namespace;
//! - once its executor has ended, the executor container is removed at once: it holds
//!   nothing (its output is in the sandbox). The task container follows
//!   `--docker_remove_delay` as before.

use crate::flags::ContainerizerFlags;
use crate::launch::executor_container::ExecutorContainerError;
use crate::task::prepare::LaunchSpec;
use docker_cli::{build_run_command, Docker, MesosLabels, RunCommand, RunOptions};
use docker_engine::Engine;
use docker_executor::task_container::{COMMAND_EXECUTOR_CPUS, COMMAND_EXECUTOR_MEM_MB};
use mesos_types::container::{ContainerInfo, Parameter, Volume, VolumeMode};
use mesos_types::resources::Resource;
use mesos_types::task::CommandInfo;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// The `docker run` options of the executor container of `spec` (pure). `env` is the
/// agent's executor environment ([`crate::launch::executor_container::container_environment`]).
pub fn run_options(
    spec: &LaunchSpec,
    flags: &ContainerizerFlags,
    image: &str,
    sandbox: &Path,
    agent_id: &str,
    env: &BTreeMap<String, String>,
) -> RunOptions {
    let launcher_dir = flags.launcher_dir();
    let args = crate::launch::executor_command::docker_executor_args(spec, flags, sandbox);
    let executor = crate::launch::executor_process::executor_path(&launcher_dir);
    let socket = flags.docker_socket.display().to_string();
    let sandbox_path = sandbox.display().to_string();

    let mut info = ContainerInfo::docker(image);
    info.volumes = vec![
        bind(&socket, VolumeMode::Ro),
        bind(&sandbox_path, VolumeMode::Rw),
    ];
    if let Some(docker) = info.docker.as_mut() {
        // Network unset: HOST.
        docker.parameters = [
            ("pid", "host"),
            ("cap-add", "SYS_ADMIN"),
            ("cap-add", "SYS_PTRACE"),
        ]
        .into_iter()
        .map(|(key, value)| Parameter {
            key: key.into(),
            value: value.into(),
        })
        .collect();
    }
    let mut words = vec![executor.display().to_string()];
    words.extend(args);
    let command = CommandInfo {
        shell: Some(true),
        value: Some(format!(
            "exec {} >>{} 2>>{}",
            words
                .iter()
                .map(|w| sh_quote(w))
                .collect::<Vec<_>>()
                .join(" "),
            sh_quote(&sandbox.join("stdout").display().to_string()),
            sh_quote(&sandbox.join("stderr").display().to_string()),
        )),
        ..CommandInfo::default()
    };

    let mut options = RunOptions::new(
        info,
        command,
        docker_cli::executor_container_name(&spec.container_id),
        sandbox_path,
        flags.sandbox_directory.clone(),
    );
    // ContainerConfig.resources of a command task: the task's plus the command executor's.
    let mut resources = spec.task.resources.clone();
    resources.push(Resource::scalar("cpus", COMMAND_EXECUTOR_CPUS));
    resources.push(Resource::scalar("mem", COMMAND_EXECUTOR_MEM_MB));
    options.resources = Some(resources);
    options.limits = spec.task.limits.clone();
    options.enable_cfs_quota = flags.cgroups_enable_cfs;
    options.env = env.clone();
    // No default DNS on the executor container: it runs on the host network, and the
    // executor gets `--default_container_dns` for the task container.
    options.labels = MesosLabels {
        agent_id: Some(agent_id.to_string()).filter(|a| !a.is_empty()),
        framework_id: spec.framework.id.as_ref().map(|f| f.value.clone()),
        executor_id: Some(spec.executor_id.value.clone()),
        task_id: Some(spec.task.task_id.value.clone()),
        container_id: Some(spec.container_id.clone()),
    };
    options.host_memory_bytes = docker_executor::task_container::host_memory_bytes();
    options
}

/// The `docker run` command of the executor container (pure); [`launch`] adds `-d`.
pub fn run_command(
    spec: &LaunchSpec,
    flags: &ContainerizerFlags,
    image: &str,
    sandbox: &Path,
    agent_id: &str,
    env: &BTreeMap<String, String>,
) -> Result<RunCommand, ExecutorContainerError> {
    build_run_command(&run_options(spec, flags, image, sandbox, agent_id, env))
        .map_err(ExecutorContainerError::RunOptions)
}

fn bind(path: &str, mode: VolumeMode) -> Volume {
    Volume {
        mode,
        container_path: path.to_string(),
        host_path: Some(path.to_string()),
        image: None,
        source: None,
    }
}

/// `word` quoted for `/bin/sh`: as it is when it needs no quoting, else in single quotes.
fn sh_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// A started executor container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedExecutorContainer {
    /// Docker's id of the container.
    pub id: String,
    /// `mesos-<ContainerID>.executor`.
    pub name: String,
    /// The pid of its init process (the executor) in the host's pid namespace, for
    /// information only.
    pub pid: Option<u32>,
}

/// Starts the executor container (`docker run -d`, a CLI that exits once the container has
/// started) and checks on the Engine API that it runs, all within `deadline`. On failure the
/// container is removed; the executor's own complaints are in the sandbox `stderr`.
pub async fn launch(
    docker: &Docker,
    engine: &Engine,
    command: &RunCommand,
    deadline: Duration,
) -> Result<StartedExecutorContainer, ExecutorContainerError> {
    let name = command.name.clone();
    let started = async {
        let id = docker
            .run_detached(command, deadline)
            .await
            .map_err(|source| ExecutorContainerError::Run {
                name: name.clone(),
                source,
            })?;
        // `docker run -d` prints the id once the start has succeeded: one look suffices.
        let inspected = engine.inspect_container(&id).await.map_err(|source| {
            ExecutorContainerError::Inspect {
                name: name.clone(),
                source,
            }
        })?;
        if !inspected.running {
            return Err(ExecutorContainerError::ExitedBeforeStart {
                name: name.clone(),
                status: match inspected.exit_code {
                    Some(code) if inspected.started => format!("exited with status {code}"),
                    _ => "exited".into(),
                },
            });
        }
        Ok(StartedExecutorContainer {
            id,
            name: name.clone(),
            pid: inspected.pid,
        })
    }
    .await;
    match started {
        Ok(started) => {
            tracing::info!(container = %name, id = %started.id, pid = ?started.pid, "executor container running");
            Ok(started)
        }
        Err(e) => {
            tracing::warn!(container = %name, error = %e, "executor container did not start; removing it");
            if let Err(rm) = engine.remove(&name, true).await {
                if !rm.is_not_found() {
                    tracing::warn!(container = %name, error = %rm, "failed to remove the executor container");
                }
            }
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::prepare::framework_info;
    use clap::Parser;
    use mesos_types::task::TaskInfo;
    use mesos_types::{ExecutorId, FrameworkId};

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        flags: ContainerizerFlags,
    }

    fn flags() -> ContainerizerFlags {
        Cli::try_parse_from([
            "x",
            "--launcher_dir=/usr/libexec/mesos",
            "--docker_mesos_image=mesos/agent:1",
        ])
        .unwrap()
        .flags
    }

    fn spec() -> LaunchSpec {
        let task: TaskInfo = serde_json::from_value(serde_json::json!({
            "name": "t",
            "task_id": {"value": "t1"},
            "agent_id": {"value": "a1"},
            "command": {"value": "sleep 10"},
            "resources": [
                {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5}},
                {"name": "mem", "type": "SCALAR", "scalar": {"value": 64}}
            ],
            "container": {"type": "DOCKER", "docker": {"image": "busybox"}}
        }))
        .unwrap();
        LaunchSpec {
            container_id: "c1".into(),
            task,
            executor: None,
            framework: framework_info(FrameworkId::new("fw")),
            executor_id: ExecutorId::new("t1"),
        }
    }

    fn env() -> BTreeMap<String, String> {
        BTreeMap::from([
            (
                "MESOS_AGENT_ENDPOINT".to_string(),
                "127.0.0.1:5051".to_string(),
            ),
            ("MESOS_CHECKPOINT".to_string(), "1".to_string()),
        ])
    }

    fn command() -> RunCommand {
        run_command(
            &spec(),
            &flags(),
            "mesos/agent:1",
            Path::new("/w/sandboxes/c1"),
            "a1",
            &env(),
        )
        .unwrap()
    }

    fn after<'a>(args: &'a [String], flag: &str) -> Vec<&'a str> {
        args.windows(2)
            .filter(|w| w[0] == flag)
            .map(|w| w[1].as_str())
            .collect()
    }

    #[test]
    fn the_executor_container_is_named_mounted_and_networked_as_in_mesos() {
        let c = command();
        assert_eq!(c.name, "mesos-c1.executor");
        assert_eq!(c.image, "mesos/agent:1");
        let args = &c.args;
        assert_eq!(args[0], "run");
        assert_eq!(after(args, "--name"), ["mesos-c1.executor"]);
        assert_eq!(
            after(args, "-v"),
            [
                "/var/run/docker.sock:/var/run/docker.sock:ro",
                "/w/sandboxes/c1:/w/sandboxes/c1:rw",
                "/w/sandboxes/c1:/mnt/mesos/sandbox",
            ]
        );
        assert_eq!(after(args, "--net"), ["host"]);
        for p in ["--pid=host", "--cap-add=SYS_ADMIN", "--cap-add=SYS_PTRACE"] {
            assert!(args.iter().any(|a| a == p), "{p} missing: {args:?}");
        }
        // 0.5 + 0.1 cpus, 64 + 32 MB.
        assert_eq!(after(args, "--cpu-shares"), ["614"]);
        assert_eq!(after(args, "--memory"), [(96u64 << 20).to_string()]);
        assert!(args
            .iter()
            .any(|a| a == "--label=mesos.container_id=c1" || a == "mesos.container_id=c1"));
    }

    #[test]
    fn environment_values_are_never_on_argv() {
        let c = command();
        assert!(
            !c.args.iter().any(|a| a.contains("127.0.0.1:5051")),
            "{:?}",
            c.args
        );
        assert!(c
            .args
            .windows(2)
            .any(|w| w[0] == "-e" && w[1] == "MESOS_AGENT_ENDPOINT"));
        let env: BTreeMap<_, _> = c.env.iter().cloned().collect();
        assert_eq!(env["MESOS_AGENT_ENDPOINT"], "127.0.0.1:5051");
        assert_eq!(env["MESOS_CONTAINER_NAME"], "mesos-c1.executor");
        assert_eq!(env["MESOS_SANDBOX"], "/mnt/mesos/sandbox");
    }

    #[test]
    fn the_command_execs_the_executor_with_its_output_in_the_sandbox() {
        let c = command();
        assert_eq!(after(&c.args, "--entrypoint"), ["/bin/sh"]);
        let n = c.args.len();
        assert_eq!(c.args[n - 3], "mesos/agent:1");
        assert_eq!(c.args[n - 2], "-c");
        let script = &c.args[n - 1];
        assert!(
            script.starts_with("exec /usr/libexec/mesos/mesos-docker-executor --cgroups_enable_cfs=false --container=mesos-c1 "),
            "{script}"
        );
        assert!(
            script.contains(" --sandbox_directory=/w/sandboxes/c1 "),
            "{script}"
        );
        assert!(
            script.contains(r#"'--task_environment={"MESOS_TASK_ID":"t1"}'"#),
            "{script}"
        );
        assert!(
            script.ends_with(" >>/w/sandboxes/c1/stdout 2>>/w/sandboxes/c1/stderr"),
            "{script}"
        );
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(sh_quote("--a=b/c"), "--a=b/c");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
        assert_eq!(sh_quote(""), "''");
        assert_eq!(sh_quote("$HOME"), "'$HOME'");
    }
}
