//! Turns the user's input (a TaskInfo file, an optional ExecutorInfo file, flags) into a
//! [`LaunchSpec`]: decoded, defaulted and validated, before anything is created.

use crate::task::validate;
use mesos_types::task::{ExecutorInfo, FrameworkCapability, FrameworkInfo, TaskInfo};
use mesos_types::{AgentId, ExecutorId, FrameworkId};
use std::path::{Path, PathBuf};

/// Bad input: what the user gave cannot be launched. The message names the file, the JSON
/// path or flag, the value and what to do.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// The framework our one-shot and daemon launches belong to when the input names none.
pub const DEFAULT_FRAMEWORK_ID: &str = "mesos-docker-containerizer";

/// Everything a launch needs to know about what it runs.
#[derive(Debug, Clone)]
pub struct LaunchSpec {
    pub container_id: String,
    pub task: TaskInfo,
    /// A custom executor run as an image; `None` for a command task run by
    /// `mesos-docker-executor`.
    pub executor: Option<ExecutorInfo>,
    pub framework: FrameworkInfo,
    /// The executor id: the custom executor's, or the task id for a command task (as the
    /// agent names the command executor it generates).
    pub executor_id: ExecutorId,
}

impl LaunchSpec {
    /// The Docker name of the task container: `mesos-<ContainerID>`.
    pub fn container_name(&self) -> String {
        format!("mesos-{}", self.container_id)
    }

    /// The image to pull: the task's, else the custom executor's.
    pub fn image(&self) -> Option<&str> {
        self.docker_info().map(|d| d.image.as_str())
    }

    /// The DockerInfo that names the image to pull: with a custom executor (Path B) its
    /// image, which is what runs; else the task's.
    pub fn docker_info(&self) -> Option<&mesos_types::container::DockerInfo> {
        fn docker(
            c: Option<&mesos_types::container::ContainerInfo>,
        ) -> Option<&mesos_types::container::DockerInfo> {
            c.and_then(|c| c.docker.as_ref())
        }
        match &self.executor {
            Some(executor) => docker(executor.container.as_ref()),
            None => docker(self.task.container.as_ref()),
        }
    }

    /// The framework's id (`prepare` always sets one).
    pub fn framework_id(&self) -> FrameworkId {
        self.framework
            .id
            .clone()
            .unwrap_or_else(|| FrameworkId::new(DEFAULT_FRAMEWORK_ID))
    }

    /// Whether to pull even when the image is present.
    pub fn force_pull(&self) -> bool {
        self.docker_info().is_some_and(|d| d.force_pull_image())
    }
}

/// Reads a JSON file, naming the file in every error.
fn read_json(path: &Path, what: &str) -> Result<serde_json::Value, BadInput> {
    let text = mesos_types::input::read_input_file(path).map_err(|e| {
        let hint = match e {
            mesos_types::input::ReadInputError::Io(_) => " (check the path and its permissions)",
            _ => "",
        };
        BadInput(format!(
            "cannot read {what} file '{}': {e}{hint}",
            path.display()
        ))
    })?;
    mesos_types::from_json_str(&text).map_err(|e| {
        let at = match (e.line, e.column) {
            (Some(l), Some(c)) => format!(" (line {l}, column {c})"),
            _ => String::new(),
        };
        BadInput(format!(
            "{what} file '{}' is not valid JSON{at}: {}",
            path.display(),
            e.message
        ))
    })
}

/// Where a piece of launch input came from, for error messages.
#[derive(Debug, Clone, Copy)]
pub enum InputOrigin<'a> {
    /// A file given on the command line (`what` is `task` or `executor`).
    File { what: &'a str, path: &'a Path },
    /// A field of an operator API call (`launch_task.task`).
    Field(&'a str),
}

impl InputOrigin<'_> {
    /// `task file 'x.json'` or `launch_task.task`.
    fn describe(&self) -> String {
        match self {
            InputOrigin::File { what, path } => format!("{what} file '{}'", path.display()),
            InputOrigin::Field(name) => (*name).to_string(),
        }
    }

    /// Names a JSON path inside the input: `task file 'x.json': a.b` or `launch_task.task.a.b`.
    fn at(&self, json_path: &str) -> String {
        match self {
            InputOrigin::File { .. } => format!("{}: {json_path}", self.describe()),
            InputOrigin::Field(name) if json_path == "." || json_path.is_empty() => {
                (*name).to_string()
            }
            InputOrigin::Field(name) => format!("{name}.{json_path}"),
        }
    }
}

fn decode<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    origin: InputOrigin<'_>,
) -> Result<T, BadInput> {
    mesos_types::from_json_value(value)
        .map_err(|e| BadInput(format!("{}: {}", origin.at(&e.path), e.message)))
}

/// What a missing `task_id` becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskIdDefault {
    /// The task's `name`, else the ContainerID (`run`: one task at a time).
    Name,
    /// The ContainerID, unique by construction (the daemon, where many tasks of one file
    /// may run at once).
    ContainerId,
}

/// Reads, defaults and validates the input of a launch.
///
/// `task_id` may be left out of the file (it becomes the task name, else a UUID). `agent_id`
/// is always this agent's, as the master would set it (our container labels and recovery
/// go by it). `container_id` is the `--container_id` flag or a fresh UUID.
pub fn prepare(
    task_file: &Path,
    executor_file: Option<&Path>,
    container_id: Option<&str>,
    agent_id: &str,
) -> Result<LaunchSpec, BadInput> {
    let task = read_json(task_file, "task")?;
    let executor = executor_file
        .map(|path| read_json(path, "executor").map(|v| (v, path)))
        .transpose()?;
    prepare_values(
        task,
        InputOrigin::File {
            what: "task",
            path: task_file,
        },
        executor.map(|(v, path)| {
            (
                v,
                InputOrigin::File {
                    what: "executor",
                    path,
                },
            )
        }),
        container_id,
        agent_id,
        TaskIdDefault::Name,
    )
}

/// [`prepare`] for input that is already parsed JSON (the operator API's LAUNCH_TASK), with
/// `origin`s naming where each value came from in error messages.
pub fn prepare_values(
    mut value: serde_json::Value,
    task_origin: InputOrigin<'_>,
    executor: Option<(serde_json::Value, InputOrigin<'_>)>,
    container_id: Option<&str>,
    agent_id: &str,
    task_id_default: TaskIdDefault,
) -> Result<LaunchSpec, BadInput> {
    let Some(object) = value.as_object_mut() else {
        return Err(BadInput(format!(
            "{} must hold a JSON object (a Mesos TaskInfo)",
            task_origin.describe()
        )));
    };
    let container_id = match container_id {
        Some(id) => id.to_string(),
        None => uuid::Uuid::new_v4().to_string(),
    };
    if !object.contains_key("task_id") {
        let name = match task_id_default {
            TaskIdDefault::Name => object
                .get("name")
                .and_then(|n| n.as_str())
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .unwrap_or_else(|| container_id.clone()),
            TaskIdDefault::ContainerId => container_id.clone(),
        };
        object.insert("task_id".into(), serde_json::json!({ "value": name }));
    }
    object.remove("slave_id");
    object.insert("agent_id".into(), serde_json::json!({ "value": agent_id }));
    if !object.contains_key("name") {
        object.insert("name".into(), serde_json::json!(""));
    }
    let task: TaskInfo = decode(value, task_origin)?;

    let executor: Option<ExecutorInfo> = match executor {
        None => None,
        Some((mut value, origin)) => {
            if let Some(obj) = value.as_object_mut() {
                if !obj.contains_key("executor_id") {
                    obj.insert(
                        "executor_id".into(),
                        serde_json::json!({ "value": format!("{}-executor", task.task_id.value) }),
                    );
                }
            } else {
                return Err(BadInput(format!(
                    "{} must hold a JSON object (a Mesos ExecutorInfo)",
                    origin.describe()
                )));
            }
            Some(decode(value, origin)?)
        }
    };

    validate::container_id(&container_id).map_err(|p| BadInput(p.to_string()))?;
    validate::task(&task, executor.as_ref()).map_err(|problems| {
        BadInput(format!(
            "{} is not a valid task: {problems}",
            task_origin.describe()
        ))
    })?;

    let framework_id = executor
        .as_ref()
        .and_then(|e| e.framework_id.clone())
        .unwrap_or_else(|| FrameworkId::new(DEFAULT_FRAMEWORK_ID));
    let framework = framework_info(framework_id);
    let executor_id = executor
        .as_ref()
        .map(|e| e.executor_id.clone())
        .unwrap_or_else(|| ExecutorId::new(task.task_id.value.clone()));

    Ok(LaunchSpec {
        container_id,
        task,
        executor,
        framework,
        executor_id,
    })
}

/// The FrameworkInfo our launches run under: `id`, the current user, and the
/// TASK_KILLING_STATE capability. Checkpointing is off; the daemon turns it on.
pub fn framework_info(framework_id: FrameworkId) -> FrameworkInfo {
    let mut framework = FrameworkInfo::new(current_user(), DEFAULT_FRAMEWORK_ID);
    framework.id = Some(framework_id);
    framework.capabilities = vec![FrameworkCapability {
        r#type: Some(mesos_types::task::FrameworkCapabilityType::TaskKillingState),
    }];
    framework
}

fn current_user() -> String {
    nix::unistd::User::from_uid(nix::unistd::geteuid())
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| "root".into())
}

/// Reads the agent id from `<work_dir>/meta/agent_id`, creating a fresh one on first use.
pub fn agent_id(file: &Path) -> Result<AgentId, std::io::Error> {
    let checked = |id: &str| match validate::id_problem(id) {
        None => Ok(AgentId::new(id)),
        // The id goes into every container's labels and every executor's environment.
        Some(problem) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "the agent id in '{}' is invalid: {problem} (remove the file to get a new id)",
                file.display()
            ),
        )),
    };
    match mesos_types::input::read_input_file(file) {
        Ok(text) if !text.trim().is_empty() => checked(text.trim()),
        Ok(_) | Err(_) => {
            let id = format!("{}-S0", uuid::Uuid::new_v4());
            crate::state::checkpoint::write_atomic(file, format!("{id}\n").as_bytes())
                .map_err(std::io::Error::other)?;
            // Another process may have won the race; whatever is on disk now is the id.
            let text = mesos_types::input::read_input_file(file).map_err(std::io::Error::other)?;
            checked(text.trim())
        }
    }
}

/// Resolves a relative path against the current directory, for messages and checkpoints.
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let p = dir.path().join(name);
        std::fs::File::create(&p)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        p
    }

    #[test]
    fn ids_are_filled_in() {
        let dir = tempfile::tempdir().unwrap();
        let t = file(
            &dir,
            "t.json",
            r#"{"name":"hello","command":{"value":"true"},"container":{"type":"DOCKER","docker":{"image":"busybox"}}}"#,
        );
        let spec = prepare(&t, None, Some("c1"), "agent-1").unwrap();
        assert_eq!(spec.task.task_id.value, "hello");
        assert_eq!(spec.task.agent_id.value, "agent-1");
        assert_eq!(spec.executor_id.value, "hello");
        assert_eq!(spec.container_name(), "mesos-c1");
        assert_eq!(spec.image(), Some("busybox"));
        assert!(!spec.force_pull());
    }

    #[test]
    fn errors_name_the_file_and_path() {
        let dir = tempfile::tempdir().unwrap();
        let t = file(
            &dir,
            "t.json",
            r#"{"command":{"value":"true"},"container":{"type":"DOCKER","docker":{"image":"busybox","network":"WORMHOLE"}}}"#,
        );
        let e = prepare(&t, None, None, "a").unwrap_err().to_string();
        assert!(e.contains("t.json"), "{e}");
        assert!(e.contains("container.docker.network: unknown value"), "{e}");

        let t = file(&dir, "trunc.json", r#"{"command":{"#);
        let e = prepare(&t, None, None, "a").unwrap_err().to_string();
        assert!(e.contains("not valid JSON (line 1"), "{e}");

        let e = prepare(&dir.path().join("missing.json"), None, None, "a")
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot read task file"), "{e}");

        let t = file(&dir, "arr.json", "[]");
        let e = prepare(&t, None, None, "a").unwrap_err().to_string();
        assert!(e.contains("must hold a JSON object"), "{e}");
    }

    #[test]
    fn bad_container_id_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let t = file(
            &dir,
            "t.json",
            r#"{"command":{"value":"true"},"container":{"type":"DOCKER","docker":{"image":"busybox"}}}"#,
        );
        let e = prepare(&t, None, Some("a.b"), "a").unwrap_err().to_string();
        assert!(e.contains("--container_id"), "{e}");
    }

    #[test]
    fn an_agent_id_file_with_an_invalid_id_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("agent_id");
        std::fs::write(&f, "a/b\n").unwrap();
        let e = agent_id(&f).unwrap_err().to_string();
        assert!(
            e.contains("is invalid: 'a/b' contains invalid characters (remove the file"),
            "{e}"
        );
        assert_eq!(
            std::fs::read_to_string(&f).unwrap(),
            "a/b\n",
            "left as it was"
        );
    }

    #[test]
    fn agent_id_is_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("meta/agent_id");
        let a = agent_id(&f).unwrap();
        let b = agent_id(&f).unwrap();
        assert_eq!(a, b);
        assert!(a.value.ends_with("-S0"));
    }
}
