//! `explain`: what `run` would do for a task — the exact `docker create` argv of the task's
//! container (the options `docker run` would get; environment values never appear;
//! anything secret-looking is redacted), the mounts,
//! and whether the image will be pulled — without creating anything.

use crate::flags::ContainerizerFlags;
use crate::launch::context::{executor_container_spec, task_run_command, RunContext};
use crate::task::prepare::{BadInput, LaunchSpec};
use docker_cli::{Docker, RunCommand};
use mesos_types::task::ExecutorInfo;
use serde::Serialize;
use std::path::Path;

/// The `docker run` of a custom executor's image (Path B), as `run` builds it; the
/// environment is the agent's executor environment, by name (`run`'s endpoint port is only
/// known once it listens, and values are never shown).
fn executor_image_command(
    spec: &LaunchSpec,
    executor: &ExecutorInfo,
    flags: &ContainerizerFlags,
    docker: &Docker,
    sandbox: &Path,
) -> Result<RunCommand, BadInput> {
    let ctx = RunContext {
        flags: flags.clone(),
        docker: docker.clone(),
        engine: flags.engine(),
        work: crate::state::paths::WorkDir::new(flags.work_dir()),
        agent_id: spec.task.agent_id.clone(),
    };
    let env = executor_environment_names(spec, flags, sandbox);
    let name = spec.container_name();
    crate::launch::executor_container::run_command(&executor_container_spec(
        &ctx, spec, executor, sandbox, &name, &env,
    ))
    .map_err(|e| BadInput(e.to_string()))
}

/// The agent's executor environment as `run` gives it, for its names: `run`'s endpoint port
/// is only known once it listens, and values are never shown anyway.
fn executor_environment_names(
    spec: &LaunchSpec,
    flags: &ContainerizerFlags,
    sandbox: &Path,
) -> std::collections::BTreeMap<String, String> {
    let framework_id = spec.framework_id();
    crate::launch::executor_container::container_environment(
        &crate::launch::executor_command::ExecutorEnvironment {
            framework_id: &framework_id.value,
            executor_id: &spec.executor_id.value,
            agent_id: &spec.task.agent_id.value,
            directory: sandbox,
            agent_endpoint: "127.0.0.1:0",
            checkpoint: spec.framework.checkpoint(),
            shutdown_grace_period: flags.executor_shutdown_grace_period,
            recovery_timeout: "15mins".parse().expect("a valid duration"),
            subscription_backoff_max: "2secs".parse().expect("a valid duration"),
            command_environment: &[],
        },
    )
}

/// A mount of the task container.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Mount {
    pub source: String,
    pub target: String,
    pub mode: String,
}

/// Everything `explain` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub container_id: String,
    pub container_name: String,
    pub task_id: String,
    pub sandbox: String,
    pub mapped_directory: String,
    pub image: String,
    /// `always` (force_pull_image), `if missing`, or `no` (present).
    pub pull: String,
    pub uris: Vec<String>,
    /// The `docker create` of the task's container (then attached, started and waited for
    /// on the Engine API).
    pub docker_create: Vec<String>,
    /// Names of the variables the container gets; their values are never printed.
    pub environment: Vec<String>,
    pub mounts: Vec<Mount>,
    pub executor: Vec<String>,
    /// With `--docker_mesos_image`: the `docker run -d` of the executor's own container
    /// (`mesos-<ContainerID>.executor`), which runs [`Explanation::executor`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executor_container: Option<Vec<String>>,
}

/// Reads the `-v` specs and `--mount` values (paths with ':') off the argv.
fn mounts(args: &[String]) -> Vec<Mount> {
    args.windows(2)
        .filter_map(|w| match w[0].as_str() {
            "-v" => {
                let parts: Vec<&str> = w[1].split(':').collect();
                Some(Mount {
                    source: parts.first().unwrap_or(&"").to_string(),
                    target: parts.get(1).unwrap_or(&"").to_string(),
                    mode: parts.get(2).unwrap_or(&"rw").to_string(),
                })
            }
            "--mount" => {
                let mut mount = Mount {
                    source: String::new(),
                    target: String::new(),
                    mode: "rw".into(),
                };
                for field in csv_fields(&w[1]) {
                    match field.split_once('=') {
                        Some(("source" | "src", v)) => mount.source = v.to_string(),
                        Some(("target" | "dst" | "destination", v)) => mount.target = v.to_string(),
                        None if field == "readonly" || field == "ro" => mount.mode = "ro".into(),
                        _ => {}
                    }
                }
                Some(mount)
            }
            _ => None,
        })
        .collect()
}

/// The fields of a `--mount` value, a CSV line (`"` quotes a field, `""` is a quote).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().expect("a field").push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(String::new()),
            c => fields.last_mut().expect("a field").push(c),
        }
    }
    fields
}

/// Explains `spec` under `flags`; only reads (the image store, to say whether a pull is
/// needed).
pub async fn explain(
    spec: &LaunchSpec,
    flags: &ContainerizerFlags,
    docker: &Docker,
    sandbox: &Path,
) -> Result<Explanation, BadInput> {
    let command = match &spec.executor {
        None => task_run_command(spec, flags, sandbox)?,
        Some(executor) => executor_image_command(spec, executor, flags, docker, sandbox)?,
    };
    let image = spec.image().unwrap_or_default().to_string();
    let pull = if spec.force_pull() {
        "always (force_pull_image)".to_string()
    } else {
        match docker
            .inspect_image(&docker_cli::normalize_image(&image))
            .await
        {
            Ok(_) => "no (the image is present)".into(),
            Err(e) if e.is_not_found() => "yes (the image is not present)".into(),
            Err(e) => format!("if missing (cannot tell: {e})"),
        }
    };
    let uris = spec
        .task
        .command
        .as_ref()
        .map(|c| c.uris.iter().map(|u| u.value.clone()).collect())
        .unwrap_or_default();
    let launcher = flags.launcher_dir();
    let executor_args = crate::launch::executor_command::docker_executor_args(spec, flags, sandbox);
    // A custom executor image is itself the container: no mesos-docker-executor runs.
    let executor = match &spec.executor {
        Some(_) => Vec::new(),
        None => {
            let mut argv = vec![crate::launch::executor_process::executor_path(&launcher)
                .display()
                .to_string()];
            argv.extend(executor_args);
            argv
        }
    };
    let executor_container = match &flags.docker_mesos_image {
        Some(image) if spec.executor.is_none() => {
            let env = executor_environment_names(spec, flags, sandbox);
            let run = crate::launch::mesos_image::run_command(
                spec,
                flags,
                image,
                sandbox,
                &spec.task.agent_id.value,
                &env,
            )
            .map_err(|e| BadInput(e.to_string()))?;
            let mut argv = run.redacted(docker);
            if let Some(i) = argv.iter().position(|a| a == "run") {
                argv.insert(i + 1, "-d".into());
            }
            Some(argv)
        }
        _ => None,
    };
    Ok(Explanation {
        container_id: spec.container_id.clone(),
        container_name: spec.container_name(),
        task_id: spec.task.task_id.value.clone(),
        sandbox: sandbox.display().to_string(),
        mapped_directory: flags.sandbox_directory.clone(),
        image,
        pull,
        uris,
        docker_create: docker_cli::redact::redact_argv(&docker.argv(&command.create_args())),
        environment: command
            .env_names()
            .into_iter()
            .map(str::to_string)
            .collect(),
        mounts: mounts(&command.args),
        executor,
        executor_container,
    })
}

/// The human rendering of an [`Explanation`].
pub fn render(e: &Explanation) -> String {
    let mut out = String::new();
    let mut line = |k: &str, v: &str| out.push_str(&format!("{k:<16}{v}\n"));
    line(
        "container",
        &format!("{} (id {})", e.container_name, e.container_id),
    );
    line("task", &e.task_id);
    line(
        "sandbox",
        &format!("{} -> {}", e.sandbox, e.mapped_directory),
    );
    line("image", &e.image);
    line("pull", &e.pull);
    line(
        "fetch",
        &if e.uris.is_empty() {
            "nothing".to_string()
        } else {
            e.uris.join(" ")
        },
    );
    line("environment", &e.environment.join(" "));
    for m in &e.mounts {
        line(
            "mount",
            &format!("{} -> {} ({})", m.source, m.target, m.mode),
        );
    }
    if e.executor.is_empty() {
        line(
            "executor",
            "the executor image itself (it is the container below)",
        );
    } else {
        line("executor", &shell_words(&e.executor));
    }
    if let Some(argv) = &e.executor_container {
        line("executor in", &shell_words(argv));
    }
    line("docker create", &shell_words(&e.docker_create));
    out
}

/// Joins words for display, quoting those a shell would split.
fn shell_words(words: &[String]) -> String {
    words
        .iter()
        .map(|w| {
            if !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+*".contains(c))
            {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_are_read_off_the_argv() {
        let args: Vec<String> = [
            "run",
            "-v",
            "/a:/b:ro",
            "-v",
            "/s:/mnt/mesos/sandbox",
            "img",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            mounts(&args),
            vec![
                Mount {
                    source: "/a".into(),
                    target: "/b".into(),
                    mode: "ro".into()
                },
                Mount {
                    source: "/s".into(),
                    target: "/mnt/mesos/sandbox".into(),
                    mode: "rw".into()
                },
            ]
        );
    }

    #[test]
    fn mount_values_are_read_off_the_argv() {
        let args: Vec<String> = [
            "run",
            "--mount",
            "type=bind,source=/w:1/s,target=/mnt/mesos/sandbox",
            "--mount",
            r#"type=bind,"source=/a,b""c",target=/x:y,readonly"#,
            "img",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            mounts(&args),
            vec![
                Mount {
                    source: "/w:1/s".into(),
                    target: "/mnt/mesos/sandbox".into(),
                    mode: "rw".into()
                },
                Mount {
                    source: r#"/a,b"c"#.into(),
                    target: "/x:y".into(),
                    mode: "ro".into()
                },
            ]
        );
    }

    #[test]
    fn shell_words_quote_what_needs_it() {
        let w: Vec<String> = vec!["-c".into(), "echo $HOME".into(), "it's".into()];
        assert_eq!(shell_words(&w), r"-c 'echo $HOME' 'it'\''s'");
    }
}
