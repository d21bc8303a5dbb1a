//! The checkpointed record of one container (`meta/containers/<id>/state.json`).

use serde::{Deserialize, Serialize};

/// Where a container is in its life, in Mesos's order (spec §4.1) plus the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ContainerState {
    Fetching,
    Pulling,
    Running,
    Destroying,
    Terminated,
}

/// How a container ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Termination {
    /// The terminal task state (`TASK_FINISHED`, ...).
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The exit code `run`/`wait` report (see `status_line::exit_code`).
    pub exit_code: i32,
}

/// `state.json`: written (atomically) before each step it records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerRecord {
    pub container_id: String,
    pub agent_id: String,
    pub framework_id: String,
    pub executor_id: String,
    pub task_id: String,
    /// `mesos-<ContainerID>`.
    pub container_name: String,
    pub state: ContainerState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor_pid: Option<u32>,
    /// The executor's start time (clock ticks since boot, `/proc/<pid>/stat`): with the pid,
    /// it tells the executor from a process that later got the same pid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor_start_time: Option<u64>,
    /// The docker container the executor runs in, when it runs in one: a custom executor's
    /// `mesos-<ContainerID>`, or `mesos-<ContainerID>.executor` with `--docker_mesos_image`.
    /// Its liveness is then asked of docker, not of `/proc` (the containerizer may run in
    /// another pid namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor_container: Option<String>,
    /// Seconds since the epoch.
    pub launched_at: f64,
    /// The process that launched the container (`run` or `serve`) and its start time: a
    /// recovery leaves alone the containers of another live process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_pid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_start_time: Option<u64>,
    /// When the container ended (seconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination: Option<Termination>,
}

/// Seconds since the epoch, as Mesos timestamps are.
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips_with_screaming_states() {
        let r = ContainerRecord {
            container_id: "c".into(),
            agent_id: "a".into(),
            framework_id: "f".into(),
            executor_id: "e".into(),
            task_id: "t".into(),
            container_name: "mesos-c".into(),
            state: ContainerState::Running,
            executor_pid: Some(42),
            executor_start_time: Some(7),
            executor_container: Some("mesos-c.executor".into()),
            launched_at: 1.5,
            owner_pid: None,
            owner_start_time: None,
            ended_at: None,
            termination: None,
        };
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains(r#""state":"RUNNING""#), "{json}");
        assert_eq!(serde_json::from_str::<ContainerRecord>(&json).unwrap(), r);
    }
}
