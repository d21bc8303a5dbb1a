//! TaskInfo (and a custom executor's ExecutorInfo) JSON → a validated launch, as `run`,
//! `launch` and the daemon's LAUNCH_TASK do it before anything is created
//! (`containerizer::task::prepare::prepare_values`), then the `docker run` commands the executor
//! and the containerizer would build from it. Only typed errors, never a panic; validation
//! is idempotent (a prepared task prepares again to itself); environment values never reach
//! the `docker run` argv.
//!
//! Input: the TaskInfo JSON, optionally followed by a NUL byte and an ExecutorInfo JSON.

use containerizer::flags::ContainerizerFlags;
use containerizer::launch::context::task_run_command;
use containerizer::launch::executor_command::{self, ExecutorEnvironment};
use containerizer::launch::executor_container::{self, ExecutorContainerSpec};
use containerizer::task::prepare::{prepare_values, InputOrigin, LaunchSpec, TaskIdDefault};
use containerizer::task::validate;
use docker_cli::RunCommand;
use std::path::Path;
use std::sync::OnceLock;

const CONTAINER_ID: &str = "fuzz-container";
const AGENT_ID: &str = "fuzz-agent-S0";
const SANDBOX: &str = "/var/lib/mesos-docker/sandboxes/fuzz-container";

#[derive(clap::Parser)]
struct Flags {
    #[command(flatten)]
    flags: ContainerizerFlags,
}

/// The containerizer's flags with their embedded defaults (what `run` uses with no flags).
fn default_flags() -> &'static ContainerizerFlags {
    static FLAGS: OnceLock<ContainerizerFlags> = OnceLock::new();
    FLAGS.get_or_init(|| {
        <Flags as clap::Parser>::try_parse_from(["fuzz"])
            .expect("the default flags parse")
            .flags
    })
}

pub fn run(data: &[u8]) {
    let (task_bytes, executor_bytes) = match data.iter().position(|&b| b == 0) {
        Some(nul) => (&data[..nul], Some(&data[nul + 1..])),
        None => (data, None),
    };
    // The files are read as `read_json` reads them: text, then JSON.
    let Ok(task) = mesos_types::from_json_slice::<serde_json::Value>(task_bytes) else {
        return;
    };
    let executor = match executor_bytes {
        None => None,
        Some(bytes) => match mesos_types::from_json_slice::<serde_json::Value>(bytes) {
            Ok(v) => Some(v),
            Err(_) => return,
        },
    };
    for default in [TaskIdDefault::Name, TaskIdDefault::ContainerId] {
        check(&task, executor.as_ref(), default);
    }
}

fn prepare(
    task: &serde_json::Value,
    executor: Option<&serde_json::Value>,
    default: TaskIdDefault,
) -> Result<LaunchSpec, String> {
    prepare_values(
        task.clone(),
        InputOrigin::Field("launch_task.task"),
        executor
            .cloned()
            .map(|e| (e, InputOrigin::Field("launch_task.executor"))),
        Some(CONTAINER_ID),
        AGENT_ID,
        default,
    )
    .map_err(|e| e.0)
}

fn check(task: &serde_json::Value, executor: Option<&serde_json::Value>, default: TaskIdDefault) {
    let first = prepare(task, executor, default);
    // The same input gives the same answer.
    let second = prepare(task, executor, default);
    match (&first, &second) {
        (Ok(a), Ok(b)) => assert_eq!(json(a), json(b), "prepare is not deterministic"),
        (Err(a), Err(b)) => assert_eq!(a, b, "prepare is not deterministic"),
        _ => panic!("prepare is not deterministic: {first:?} then {second:?}"),
    }
    let spec = match first {
        Ok(spec) => spec,
        Err(message) => {
            assert!(!message.is_empty(), "an empty error message");
            return;
        }
    };

    // Validation is idempotent: the prepared task passes again, and preparing what was
    // prepared gives the same task.
    validate::task(&spec.task, spec.executor.as_ref())
        .unwrap_or_else(|p| panic!("a prepared task fails validation: {p}"));
    let task_again = serde_json::to_value(&spec.task).expect("a TaskInfo encodes");
    let executor_again = spec
        .executor
        .as_ref()
        .map(|e| serde_json::to_value(e).expect("an ExecutorInfo encodes"));
    let again = prepare(&task_again, executor_again.as_ref(), default)
        .unwrap_or_else(|e| panic!("a prepared task does not prepare again: {e}"));
    assert_eq!(
        json(&spec),
        json(&again),
        "preparing a prepared task changed it"
    );

    let flags = default_flags();
    let sandbox = Path::new(SANDBOX);
    match &spec.executor {
        None => {
            // Path A: the executor's argv, and the task container it will run.
            let _ = executor_command::command_executor_info(&spec, Path::new("/usr/libexec/mesos"));
            let _ = executor_command::docker_executor_args(&spec, flags, sandbox);
            if let Ok(command) = task_run_command(&spec, flags, sandbox) {
                check_env_not_in_argv(&command, &spec);
            }
        }
        Some(executor) => {
            // Path B: the custom executor's own container.
            let framework_id = spec.framework_id();
            let env = executor_container::container_environment(&ExecutorEnvironment {
                framework_id: &framework_id.value,
                executor_id: &spec.executor_id.value,
                agent_id: AGENT_ID,
                directory: sandbox,
                agent_endpoint: "127.0.0.1:5051",
                checkpoint: true,
                shutdown_grace_period: flags.executor_shutdown_grace_period,
                recovery_timeout: "15mins".parse().expect("a duration"),
                subscription_backoff_max: "2secs".parse().expect("a duration"),
                command_environment: &[],
            });
            let name = spec.container_name();
            let container = ExecutorContainerSpec {
                executor,
                name: &name,
                sandbox,
                mapped_dir: &flags.sandbox_directory,
                env: &env,
                enable_cfs_quota: flags.cgroups_enable_cfs,
                default_dns: None,
                labels: docker_cli::MesosLabels::default(),
            };
            if let Ok(command) = executor_container::run_command(&container) {
                check_env_not_in_argv(&command, &spec);
            }
        }
    }
}

fn json(spec: &LaunchSpec) -> String {
    serde_json::to_string(&(
        &spec.container_id,
        &spec.task,
        &spec.executor,
        &spec.executor_id,
    ))
    .expect("a launch encodes")
}

/// Environment values travel in the process environment of `docker run` (`-e NAME`), never
/// in its argv, where `ps` shows them. Only a `NAME=VALUE` the input itself holds as text (in
/// `docker.parameters`, an argument, even the image name) may appear there.
fn check_env_not_in_argv(command: &RunCommand, spec: &LaunchSpec) {
    let mut texts = Vec::new();
    strings(
        &serde_json::to_value(&spec.task).expect("encodes"),
        &mut texts,
    );
    if let Some(e) = &spec.executor {
        strings(&serde_json::to_value(e).expect("encodes"), &mut texts);
    }
    for (name, value) in &command.env {
        if value.is_empty() {
            continue;
        }
        let pair = format!("{name}={value}");
        if texts.iter().any(|t| t.contains(&pair)) {
            continue;
        }
        let spelled = [
            pair.clone(),
            format!("--env={pair}"),
            format!("-e={pair}"),
            format!("-e{pair}"),
        ];
        assert!(
            !command.args.iter().any(|a| spelled.contains(a)),
            "the value of {name} is in the docker run argv"
        );
    }
}

/// Every string in `value`, keys included.
fn strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                strings(v, out);
            }
        }
        _ => {}
    }
}
