//! How the agent starts `mesos-docker-executor` (spec docker-containerizer §4.3): its argv, in
//! the agent's exact form, and its environment, built from scratch (the containerizer's own
//! environment is not inherited).

use crate::task::prepare::LaunchSpec;
use docker_executor::task_container::{COMMAND_EXECUTOR_CPUS, COMMAND_EXECUTOR_MEM_MB};
use mesos_types::duration::Duration;
use mesos_types::resources::Resource;
use mesos_types::task::{CommandInfo, ExecutorInfo};
use std::collections::BTreeMap;
use std::path::Path;

/// The host default `PATH` Mesos gives executors that have none.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// What the executor's flags are made of.
#[derive(Debug, Clone)]
pub struct ExecutorFlags<'a> {
    pub docker: &'a str,
    pub docker_socket: &'a Path,
    /// The task container's name, `mesos-<ContainerID>`.
    pub container: &'a str,
    /// The sandbox on the host.
    pub sandbox_directory: &'a Path,
    /// Where the sandbox is mounted in the container (the agent's `--sandbox_directory`).
    pub mapped_directory: &'a str,
    pub launcher_dir: &'a Path,
    pub stop_timeout: Duration,
    pub cgroups_enable_cfs: bool,
    /// `--default_container_dns` JSON, forwarded verbatim.
    pub default_container_dns: Option<&'a str>,
    /// Extra task environment (JSON object of strings), as a hook would give it.
    pub task_environment: Option<&'a str>,
}

/// The executor's argv after argv\[0\]: every flag as `--name=value`, in alphabetical order
/// of the flag names, unset optional flags left out, as the Mesos agent writes it.
pub fn executor_args(f: &ExecutorFlags<'_>) -> Vec<String> {
    let mut flags: BTreeMap<&str, String> = BTreeMap::new();
    flags.insert("cgroups_enable_cfs", f.cgroups_enable_cfs.to_string());
    flags.insert("container", f.container.to_string());
    flags.insert("docker", f.docker.to_string());
    if let Some(dns) = f.default_container_dns {
        flags.insert("default_container_dns", dns.to_string());
    }
    flags.insert("docker_socket", f.docker_socket.display().to_string());
    flags.insert("help", "false".into());
    flags.insert("initialize_driver_logging", "true".into());
    flags.insert("launcher_dir", f.launcher_dir.display().to_string());
    flags.insert("logbufsecs", "0".into());
    flags.insert("logging_level", "INFO".into());
    flags.insert("mapped_directory", f.mapped_directory.to_string());
    flags.insert("quiet", "false".into());
    flags.insert(
        "sandbox_directory",
        f.sandbox_directory.display().to_string(),
    );
    flags.insert("stop_timeout", f.stop_timeout.to_string());
    if let Some(env) = f.task_environment {
        flags.insert("task_environment", env.to_string());
    }
    flags
        .into_iter()
        .map(|(name, value)| format!("--{name}={value}"))
        .collect()
}

/// What the executor's environment is made of.
#[derive(Debug, Clone)]
pub struct ExecutorEnvironment<'a> {
    pub framework_id: &'a str,
    pub executor_id: &'a str,
    pub agent_id: &'a str,
    /// The sandbox on the host (`MESOS_DIRECTORY`).
    pub directory: &'a Path,
    /// `host:port` of the agent endpoint.
    pub agent_endpoint: &'a str,
    pub checkpoint: bool,
    pub shutdown_grace_period: Duration,
    pub recovery_timeout: Duration,
    pub subscription_backoff_max: Duration,
    /// `executor_info.command.environment` values; they overwrite the agent's entries.
    pub command_environment: &'a [(String, String)],
}

/// The executor's environment, as the agent builds it: the agent's executor variables, then
/// the executor command's variables (which win), then `PATH` if still absent.
pub fn executor_environment(e: &ExecutorEnvironment<'_>) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    let mut set = |k: &str, v: String| {
        env.insert(k.to_string(), v);
    };
    set("LIBPROCESS_PORT", "0".into());
    set("MESOS_FRAMEWORK_ID", e.framework_id.into());
    set("MESOS_EXECUTOR_ID", e.executor_id.into());
    set("MESOS_DIRECTORY", e.directory.display().to_string());
    set("MESOS_SLAVE_ID", e.agent_id.into());
    set("MESOS_AGENT_ENDPOINT", e.agent_endpoint.into());
    // No MESOS_SLAVE_PID: our endpoint hosts only the v1 API, and mesos-docker-executor speaks
    // the libprocess (v0) protocol whenever that variable names an agent.
    set(
        "MESOS_CHECKPOINT",
        if e.checkpoint { "1" } else { "0" }.into(),
    );
    set("MESOS_HTTP_COMMAND_EXECUTOR", "0".into());
    set(
        "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD",
        e.shutdown_grace_period.to_string(),
    );
    if e.checkpoint {
        set("MESOS_RECOVERY_TIMEOUT", e.recovery_timeout.to_string());
        set(
            "MESOS_SUBSCRIPTION_BACKOFF_MAX",
            e.subscription_backoff_max.to_string(),
        );
    }
    for (k, v) in e.command_environment {
        env.insert(k.clone(), v.clone());
    }
    env.entry("PATH".into())
        .or_insert_with(|| DEFAULT_PATH.into());
    env
}

/// The ExecutorInfo the agent generates for a command task: the executor id is the task
/// id, and it carries the task's environment and URIs and the command executor's resources.
pub fn command_executor_info(spec: &LaunchSpec, launcher_dir: &Path) -> ExecutorInfo {
    let task = &spec.task;
    let command = task.command.clone().unwrap_or_default();
    let mut info = ExecutorInfo::new(spec.executor_id.clone());
    info.framework_id = spec.framework.id.clone();
    info.name = Some(format!(
        "Command Executor (Task: {}) (Command: {})",
        task.task_id,
        describe_command(&command)
    ));
    info.source = Some(task.task_id.value.clone());
    info.command = Some(CommandInfo {
        uris: command.uris.clone(),
        environment: command.environment.clone(),
        shell: Some(false),
        value: Some(
            crate::launch::executor_process::executor_path(launcher_dir)
                .display()
                .to_string(),
        ),
        arguments: vec!["mesos-docker-executor".into()],
        user: command.user.clone(),
    });
    info.container = task.container.clone();
    info.resources = vec![
        Resource::scalar("cpus", COMMAND_EXECUTOR_CPUS),
        Resource::scalar("mem", COMMAND_EXECUTOR_MEM_MB),
    ];
    info
}

fn describe_command(command: &CommandInfo) -> String {
    if command.shell() {
        format!("sh -c '{}'", command.value.as_deref().unwrap_or(""))
    } else {
        let mut parts: Vec<&str> = command.value.iter().map(String::as_str).collect();
        parts.extend(command.arguments.iter().map(String::as_str));
        format!("[{}]", parts.join(", "))
    }
}

/// The argv `mesos-docker-executor` gets for `spec` under the containerizer's `flags`:
/// the agent's flags, with `--task_environment` from [`task_environment`].
pub fn docker_executor_args(
    spec: &LaunchSpec,
    flags: &crate::flags::ContainerizerFlags,
    sandbox: &Path,
) -> Vec<String> {
    let task_env = task_environment(spec);
    executor_args(&ExecutorFlags {
        docker: &flags.docker,
        docker_socket: &flags.docker_socket,
        container: &spec.container_name(),
        sandbox_directory: sandbox,
        mapped_directory: &flags.sandbox_directory,
        launcher_dir: &flags.launcher_dir(),
        stop_timeout: flags.docker_stop_timeout,
        cgroups_enable_cfs: flags.cgroups_enable_cfs,
        default_container_dns: flags.default_container_dns.as_deref(),
        task_environment: Some(&task_env),
    })
}

/// `--task_environment` for the executor: what the task container sees beyond its own
/// environment (Mesos leaves this to hooks; we give `MESOS_TASK_ID`).
pub fn task_environment(spec: &LaunchSpec) -> String {
    serde_json::to_string(&task_environment_map(spec)).expect("a map of strings")
}

/// [`task_environment`] as a map.
pub fn task_environment_map(spec: &LaunchSpec) -> BTreeMap<String, String> {
    BTreeMap::from([("MESOS_TASK_ID".to_string(), spec.task.task_id.value.clone())])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dur(s: &str) -> Duration {
        s.parse().unwrap()
    }

    #[test]
    fn flags_are_alphabetical_and_in_the_agents_form() {
        let args = executor_args(&ExecutorFlags {
            docker: "docker",
            docker_socket: Path::new("/var/run/docker.sock"),
            container: "mesos-c1",
            sandbox_directory: Path::new("/w/sandboxes/c1"),
            mapped_directory: "/mnt/mesos/sandbox",
            launcher_dir: Path::new("/usr/libexec/mesos"),
            stop_timeout: dur("0ns"),
            cgroups_enable_cfs: false,
            default_container_dns: None,
            task_environment: Some(r#"{"A":"1"}"#),
        });
        assert_eq!(
            args,
            [
                "--cgroups_enable_cfs=false",
                "--container=mesos-c1",
                "--docker=docker",
                "--docker_socket=/var/run/docker.sock",
                "--help=false",
                "--initialize_driver_logging=true",
                "--launcher_dir=/usr/libexec/mesos",
                "--logbufsecs=0",
                "--logging_level=INFO",
                "--mapped_directory=/mnt/mesos/sandbox",
                "--quiet=false",
                "--sandbox_directory=/w/sandboxes/c1",
                "--stop_timeout=0ns",
                r#"--task_environment={"A":"1"}"#,
            ]
        );
    }

    #[test]
    fn default_dns_sorts_between_container_and_docker_socket() {
        let args = executor_args(&ExecutorFlags {
            docker: "podman",
            docker_socket: Path::new("/s"),
            container: "mesos-c",
            sandbox_directory: Path::new("/s"),
            mapped_directory: "/m",
            launcher_dir: Path::new("/l"),
            stop_timeout: dur("10secs"),
            cgroups_enable_cfs: true,
            default_container_dns: Some("{}"),
            task_environment: None,
        });
        let pos = |p: &str| args.iter().position(|a| a.starts_with(p)).unwrap();
        assert!(pos("--default_container_dns=") < pos("--docker="));
        assert!(pos("--container=") < pos("--default_container_dns="));
        assert!(args.contains(&"--stop_timeout=10secs".to_string()));
        assert!(!args.iter().any(|a| a.starts_with("--task_environment")));
    }

    #[test]
    fn environment_has_the_agent_variables_and_command_values_win() {
        let cmd_env = vec![
            ("MESOS_CHECKPOINT".to_string(), "override".to_string()),
            ("FOO".to_string(), "bar".to_string()),
        ];
        let env = executor_environment(&ExecutorEnvironment {
            framework_id: "f",
            executor_id: "e",
            agent_id: "a",
            directory: Path::new("/w/sandboxes/c"),
            agent_endpoint: "127.0.0.1:5051",
            checkpoint: true,
            shutdown_grace_period: dur("5secs"),
            recovery_timeout: dur("15mins"),
            subscription_backoff_max: dur("2secs"),
            command_environment: &cmd_env,
        });
        assert_eq!(env["MESOS_AGENT_ENDPOINT"], "127.0.0.1:5051");
        assert_eq!(env["MESOS_DIRECTORY"], "/w/sandboxes/c");
        assert_eq!(env["MESOS_RECOVERY_TIMEOUT"], "15mins");
        assert_eq!(env["MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"], "5secs");
        assert_eq!(env["MESOS_CHECKPOINT"], "override");
        assert_eq!(env["FOO"], "bar");
        assert_eq!(env["PATH"], DEFAULT_PATH);
        assert!(!env.contains_key("MESOS_SANDBOX"));
    }

    #[test]
    fn recovery_variables_only_for_checkpointing_frameworks() {
        let env = executor_environment(&ExecutorEnvironment {
            framework_id: "f",
            executor_id: "e",
            agent_id: "a",
            directory: Path::new("/d"),
            agent_endpoint: "127.0.0.1:1",
            checkpoint: false,
            shutdown_grace_period: dur("5secs"),
            recovery_timeout: dur("15mins"),
            subscription_backoff_max: dur("2secs"),
            command_environment: &[],
        });
        assert_eq!(env["MESOS_CHECKPOINT"], "0");
        assert!(!env.contains_key("MESOS_RECOVERY_TIMEOUT"));
        assert!(!env.contains_key("MESOS_SUBSCRIPTION_BACKOFF_MAX"));
    }
}
