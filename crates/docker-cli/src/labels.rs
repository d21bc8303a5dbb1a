//! The Docker labels we put on every container (beyond Mesos): they tie a container to the
//! agent, framework, executor, task and container that made it, so recovery and orphan
//! cleanup can go by this agent's id and never touch containers someone else made.
//!
//! | label | value |
//! |---|---|
//! | `mesos.agent_id` | `AgentID` of the agent (containerizer) that launched it |
//! | `mesos.framework_id` | `FrameworkID` of the task's framework |
//! | `mesos.executor_id` | `ExecutorID` |
//! | `mesos.task_id` | `TaskID` (absent on an executor container that runs no task yet) |
//! | `mesos.container_id` | `ContainerID` (the `<cid>` of `mesos-<cid>`) |
//!
//! They are emitted as `--label key=value` right after `--name` in `docker run`.

use std::collections::BTreeMap;

/// Label holding the AgentID.
pub const LABEL_AGENT_ID: &str = "mesos.agent_id";
/// Label holding the FrameworkID.
pub const LABEL_FRAMEWORK_ID: &str = "mesos.framework_id";
/// Label holding the ExecutorID.
pub const LABEL_EXECUTOR_ID: &str = "mesos.executor_id";
/// Label holding the TaskID.
pub const LABEL_TASK_ID: &str = "mesos.task_id";
/// Label holding the ContainerID.
pub const LABEL_CONTAINER_ID: &str = "mesos.container_id";

/// The ids we label a container with; unset ones are not emitted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MesosLabels {
    pub agent_id: Option<String>,
    pub framework_id: Option<String>,
    pub executor_id: Option<String>,
    pub task_id: Option<String>,
    pub container_id: Option<String>,
}

impl MesosLabels {
    /// The labels as `(key, value)` pairs in a fixed order (agent, framework, executor,
    /// task, container).
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            (LABEL_AGENT_ID, &self.agent_id),
            (LABEL_FRAMEWORK_ID, &self.framework_id),
            (LABEL_EXECUTOR_ID, &self.executor_id),
            (LABEL_TASK_ID, &self.task_id),
            (LABEL_CONTAINER_ID, &self.container_id),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
        .collect()
    }

    /// Reads our labels back from a container's `Config.Labels`.
    pub fn from_labels(labels: &BTreeMap<String, String>) -> Self {
        let get = |key: &str| labels.get(key).cloned();
        Self {
            agent_id: get(LABEL_AGENT_ID),
            framework_id: get(LABEL_FRAMEWORK_ID),
            executor_id: get(LABEL_EXECUTOR_ID),
            task_id: get(LABEL_TASK_ID),
            container_id: get(LABEL_CONTAINER_ID),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_skip_unset_and_round_trip() {
        let labels = MesosLabels {
            agent_id: Some("a".into()),
            task_id: Some("t".into()),
            ..Default::default()
        };
        assert_eq!(
            labels.pairs(),
            vec![(LABEL_AGENT_ID, "a"), (LABEL_TASK_ID, "t")]
        );
        let map: BTreeMap<String, String> = labels
            .pairs()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(MesosLabels::from_labels(&map), labels);
    }
}
