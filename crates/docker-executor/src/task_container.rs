//! The task container's `docker run` options, from the TaskInfo and what the agent told the
//! executor. One function so that the executor and the containerizer's `explain`
//! cannot disagree about the argv; [`docker_cli::build_run_command`] turns the options into
//! the argv.
//!
//! Resource requests are the task's, plus its `executor.resources` when the TaskInfo carries
//! an executor. A command task's TaskInfo carries none, so its container gets the task's
//! resources alone: that is what a real Mesos agent's containers get too (the agent's later
//! resource updates are "ignored for a command task", so the command executor's 0.1 cpus /
//! 32 MB never reach the container's cgroups).

use docker_cli::{ContainerDnsInfo, DockerError, MesosLabels, RunOptions};
use mesos_types::task::TaskInfo;
use std::collections::BTreeMap;
use std::path::Path;

/// cpus the agent allocates to a command executor (`DEFAULT_EXECUTOR_CPUS`).
pub const COMMAND_EXECUTOR_CPUS: f64 = 0.1;
/// Memory in MB the agent allocates to a command executor (`DEFAULT_EXECUTOR_MEM`).
pub const COMMAND_EXECUTOR_MEM_MB: f64 = 32.0;

/// What, besides the task, decides its container.
#[derive(Debug, Clone, Copy)]
pub struct TaskContainer<'a> {
    /// `--container`: `mesos-<ContainerID>`.
    pub name: &'a str,
    /// `--sandbox_directory`, on the host.
    pub sandbox_directory: &'a Path,
    /// `--mapped_directory`, in the container.
    pub mapped_directory: &'a str,
    /// `--task_environment`; wins over the task's own variables.
    pub task_environment: &'a BTreeMap<String, String>,
    /// `--default_container_dns`.
    pub default_dns: Option<&'a ContainerDnsInfo>,
    /// `--cgroups_enable_cfs`.
    pub cgroups_enable_cfs: bool,
    /// `MESOS_FRAMEWORK_ID`.
    pub framework_id: Option<&'a str>,
    /// `MESOS_EXECUTOR_ID`.
    pub executor_id: Option<&'a str>,
    /// Total host memory, for `--oom-score-adj` (see [`host_memory_bytes`]).
    pub host_memory_bytes: Option<u64>,
}

/// The `docker run` options for `task` in `container`. Only a missing `container` is an
/// error here; the rest of the task is checked when the options are built into a command
/// ([`docker_cli::build_run_command`]), which names the field.
pub fn task_run_options(
    task: &TaskInfo,
    container: &TaskContainer<'_>,
) -> Result<RunOptions, DockerError> {
    let info = task.container.clone().ok_or_else(|| {
        DockerError::invalid(
            "container",
            "",
            "The task has no container: the docker executor needs a DOCKER ContainerInfo with docker.image",
        )
    })?;
    let mut options = RunOptions::new(
        info,
        task.command.clone().unwrap_or_default(),
        container.name,
        container.sandbox_directory.display().to_string(),
        container.mapped_directory,
    );
    let mut resources = task.resources.clone();
    if let Some(executor) = &task.executor {
        resources.extend(executor.resources.iter().cloned());
    }
    options.resources = Some(resources);
    options.limits = task.limits.clone();
    options.enable_cfs_quota = container.cgroups_enable_cfs;
    options.env = container.task_environment.clone();
    options.default_dns = container.default_dns.cloned();
    let agent_id = Some(task.agent_id.value.clone()).filter(|id| !id.is_empty());
    options.labels = MesosLabels {
        agent_id,
        framework_id: container.framework_id.map(String::from),
        executor_id: container.executor_id.map(String::from),
        task_id: Some(task.task_id.value.clone()),
        container_id: docker_cli::parse_container_name(container.name).map(|p| p.container_id),
    };
    options.host_memory_bytes = container.host_memory_bytes;
    Ok(options)
}

/// Total memory of this host (`MemTotal` of `/proc/meminfo`), for `--oom-score-adj`.
pub fn host_memory_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;
    use docker_cli::build_run_command;
    use mesos_types::from_json_str;

    fn container<'a>(env: &'a BTreeMap<String, String>) -> TaskContainer<'a> {
        TaskContainer {
            name: "mesos-c1",
            sandbox_directory: Path::new("/sb"),
            mapped_directory: "/mnt/mesos/sandbox",
            task_environment: env,
            default_dns: None,
            cgroups_enable_cfs: false,
            framework_id: Some("F"),
            executor_id: Some("E"),
            host_memory_bytes: Some(8 << 30),
        }
    }

    #[test]
    fn shell_task_in_bridge_mode() {
        let task: TaskInfo = from_json_str(
            r#"{"name":"web","task_id":{"value":"t"},"agent_id":{"value":"S"},
                "resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":0.5},"allocation_info":{"role":"web"}},
                             {"name":"mem","type":"SCALAR","scalar":{"value":16}},
                             {"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":31000}]}}],
                "command":{"value":"echo hi","environment":{"variables":[{"name":"SECRET","value":"hunter2"},{"name":"A","value":"from-task"}]}},
                "container":{"type":"DOCKER","docker":{"image":"busybox","network":"BRIDGE",
                   "port_mappings":[{"host_port":31000,"container_port":80,"protocol":"TCP"}],
                   "parameters":[{"key":"label","value":"x=y"}]}}}"#,
        )
        .unwrap();
        let te = BTreeMap::from([("A".to_string(), "from-flag".to_string())]);
        let run = build_run_command(&task_run_options(&task, &container(&te)).unwrap()).unwrap();
        assert_eq!(
            run.args,
            [
                "run",
                // The task's 0.5 cpus / 16 MB alone (memory raised to docker's 32 MB
                // floor): a command task's container never gets the command executor's
                // allowance (a real agent's doesn't either).
                "--cpu-shares",
                "512",
                "--memory",
                "33554432",
                "-e",
                "A",
                "-e",
                "MESOS_ALLOCATION_ROLE",
                "-e",
                "MESOS_CONTAINER_NAME",
                "-e",
                "MESOS_SANDBOX",
                "-e",
                "SECRET",
                "-v",
                "/sb:/mnt/mesos/sandbox",
                "--net",
                "bridge",
                "-p",
                "31000:80/tcp",
                "--entrypoint",
                "/bin/sh",
                "--name",
                "mesos-c1",
                "--label",
                "mesos.agent_id=S",
                "--label",
                "mesos.framework_id=F",
                "--label",
                "mesos.executor_id=E",
                "--label",
                "mesos.task_id=t",
                "--label",
                "mesos.container_id=c1",
                "--label=x=y",
                "--",
                "busybox",
                "-c",
                "echo hi"
            ]
        );
        let env: BTreeMap<_, _> = run.env.iter().cloned().collect();
        assert_eq!(env["A"], "from-flag");
        assert_eq!(env["SECRET"], "hunter2");
        assert_eq!(env["MESOS_ALLOCATION_ROLE"], "web");
        assert!(!run.args.iter().any(|a| a.contains("hunter2")));
        assert!(!format!("{run:?}").contains("hunter2"));
    }

    #[test]
    fn an_executor_in_the_task_adds_its_resources() {
        let task: TaskInfo = from_json_str(
            r#"{"name":"t","task_id":{"value":"t"},"agent_id":{"value":"S"},
                "resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":1}},{"name":"mem","type":"SCALAR","scalar":{"value":64}}],
                "executor":{"executor_id":{"value":"e"},"command":{"value":"x"},
                            "resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":0.5}}]},
                "limits":{"cpus":{"value":2.0},"mem":{"value":"Infinity"}},
                "command":{"shell":false,"value":"/bin/echo","arguments":["a","b"]},
                "container":{"type":"DOCKER","docker":{"image":"busybox"}}}"#,
        )
        .unwrap();
        let options = task_run_options(&task, &container(&BTreeMap::new())).unwrap();
        let run = build_run_command(&options).unwrap();
        let argv = run.args.join(" ");
        assert!(
            argv.starts_with(
                "run --cpu-shares 1536 --cpu-quota 200000 --memory-reservation 67108864"
            ),
            "{argv}"
        );
        assert!(argv.ends_with("busybox /bin/echo a b"), "{argv}");
    }

    #[test]
    fn a_task_without_a_container_fails_naming_the_field() {
        let task: TaskInfo = from_json_str(r#"{"name":"t","command":{"value":"x"}}"#).unwrap();
        let err = task_run_options(&task, &container(&BTreeMap::new()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("container"), "{err}");
    }
}
