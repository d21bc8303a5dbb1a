//! Round trips of full Mesos v1 JSON documents, written in the agent's form (proto
//! declaration order, whole doubles with `.0`), and the JSON-path errors of bad input.

use mesos_types::container::{
    ContainerType, DockerNetwork, IpProtocol, SandboxPathType, VolumeMode, VolumeSourceType,
};
use mesos_types::duration::Duration;
use mesos_types::health::CheckType;
use mesos_types::resources;
use mesos_types::statistics::ResourceStatistics;
use mesos_types::task::{
    ExecutorInfo, ExecutorType, FrameworkCapabilityType, FrameworkInfo, SecretType, TaskInfo,
    VariableType,
};
use mesos_types::{from_json_str, JsonError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Drops the whitespace between JSON tokens, leaving strings alone.
fn minify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

/// Decodes the fixture, checks that encoding gives back exactly its text (so field order,
/// number forms and absent fields all match), and returns the decoded message.
fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(name: &str) -> T {
    let text = fixture(name);
    let message: T = from_json_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let encoded = serde_json::to_string(&message).unwrap();
    assert_eq!(encoded, minify(&text), "{name} does not round-trip");
    let again: T = from_json_str(&encoded).unwrap();
    assert_eq!(again, message);
    message
}

#[test]
fn full_task_info() {
    let task: TaskInfo = round_trip("task_info_full.json");
    assert_eq!(task.name, "web");
    assert_eq!(task.task_id.as_str(), "web.1");
    assert_eq!(task.agent_id.as_str(), "a1b2c3-S0");

    assert_eq!(resources::cpus(&task.resources), Some(0.5));
    assert_eq!(resources::mem_mb(&task.resources), Some(256.0));
    assert!(resources::contains_port(&task.resources, 31000));
    assert!(!resources::contains_port(&task.resources, 31010));
    assert_eq!(resources::allocation_role(&task.resources), Some("web"));

    let command = task.command.as_ref().unwrap();
    assert!(command.shell());
    assert!(command.uris[0].cache());
    assert!(command.uris[1].executable());
    assert!(!command.uris[1].extract());
    let vars = command.variables();
    assert_eq!(vars.len(), 4);
    assert_eq!(vars[1].kind(), VariableType::Value);
    assert_eq!(vars[2].kind(), VariableType::Secret);
    let inline = vars[3].secret.as_ref().unwrap();
    assert_eq!(inline.kind(), SecretType::Value);
    assert_eq!(inline.value.as_ref().unwrap().data, b"s3cr3t t0ken");

    let container = task.container.as_ref().unwrap();
    assert_eq!(container.r#type, ContainerType::Docker);
    let docker = container.docker.as_ref().unwrap();
    assert_eq!(docker.network(), DockerNetwork::Bridge);
    assert!(docker.force_pull_image());
    assert_eq!(docker.port_mappings.len(), 3);
    assert_eq!(docker.port_mappings[2].protocol, None);
    let kinds: Vec<_> = container
        .volumes
        .iter()
        .map(|v| v.source.as_ref().map(|s| s.kind()))
        .collect();
    assert_eq!(
        kinds,
        [
            None,
            None,
            Some(VolumeSourceType::DockerVolume),
            Some(VolumeSourceType::HostPath),
            Some(VolumeSourceType::SandboxPath),
            Some(VolumeSourceType::Secret),
            Some(VolumeSourceType::CsiVolume),
            None,
        ]
    );
    assert_eq!(container.volumes[0].mode, VolumeMode::Ro);
    let sandbox = container.volumes[4].source.as_ref().unwrap();
    assert_eq!(
        sandbox.sandbox_path.as_ref().unwrap().r#type,
        Some(SandboxPathType::Parent)
    );
    let ip = &container.network_infos[0].ip_addresses[1];
    assert_eq!(ip.protocol(), IpProtocol::IPv6);

    let health = task.health_check.as_ref().unwrap();
    assert_eq!(health.kind(), CheckType::Http);
    assert_eq!(health.interval(), Duration::from_millis(2500));
    assert_eq!(health.consecutive_failures(), 2);

    let grace = task.kill_policy.unwrap().grace_period.unwrap();
    assert_eq!(grace.duration(), Duration::from_secs(15));
    assert_eq!(task.data.as_deref(), Some(&b"hello task data"[..]));
    assert_eq!(task.labels.as_ref().unwrap().get("canary"), Some(""));
    assert_eq!(task.limits["cpus"].value, 2.0);
    assert_eq!(task.limits["mem"].value, f64::INFINITY);
    assert_eq!(task.limit("mem"), Some(f64::INFINITY));
    assert_eq!(task.limit("disk"), None);
    assert_eq!(task.kill_grace_period(), Some(Duration::from_secs(15)));
    assert_eq!(
        task.max_completion_time.unwrap().duration().to_string(),
        "1hrs"
    );
}

#[test]
fn executor_info() {
    let executor: ExecutorInfo = round_trip("executor_info.json");
    assert_eq!(executor.kind(), ExecutorType::Custom);
    assert_eq!(executor.executor_id.as_str(), "exec-web.1");
    let command = executor.command.as_ref().unwrap();
    assert!(!command.shell());
    assert_eq!(command.arguments, ["my-executor", "--verbose"]);
    assert_eq!(executor.data.as_deref(), Some(&b"executor data"[..]));
    assert_eq!(
        executor.shutdown_grace_period.unwrap().duration(),
        Duration::from_secs(5)
    );
}

#[test]
fn framework_info_with_every_capability() {
    let framework: FrameworkInfo = round_trip("framework_info.json");
    for capability in FrameworkCapabilityType::ALL {
        assert!(framework.has_capability(*capability), "{capability}");
    }
    assert!(framework.checkpoint());
    assert_eq!(framework.failover_timeout(), 604800.0);
    assert_eq!(framework.offer_filters.len(), 1);
}

#[test]
fn resource_statistics() {
    let stats: ResourceStatistics = round_trip("resource_statistics.json");
    assert_eq!(stats.mem_rss_bytes, Some(99_999_744));
    assert_eq!(stats.net_ephemeral_ports.map(|r| r.end), Some(33791));
}

#[test]
fn repository_examples_decode() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return; // The examples live in the workspace, not in a published crate.
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        // Executor files are named `<example>.executor.json`; the rest are tasks.
        if path.to_string_lossy().ends_with(".executor.json") {
            from_json_str::<ExecutorInfo>(&text)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            continue;
        }
        let task: TaskInfo =
            from_json_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let again: TaskInfo = from_json_str(&serde_json::to_string(&task).unwrap()).unwrap();
        assert_eq!(again, task, "{}", path.display());
    }
}

fn task_error(json: &str) -> JsonError {
    match from_json_str::<TaskInfo>(json) {
        Ok(task) => panic!("decoded {task:?}"),
        Err(e) => e,
    }
}

#[test]
fn unknown_enum_value_names_its_path() {
    let err = task_error(
        r#"{"name":"t","container":{"type":"DOCKER","docker":{"image":"i","network":"WORMHOLE"}}}"#,
    );
    assert_eq!(err.path, "container.docker.network");
    assert!(
        err.to_string()
            .starts_with("container.docker.network: unknown value `WORMHOLE`"),
        "{err}"
    );

    let err = task_error(
        r#"{"name":"t","container":{"type":"DOCKER","volumes":[{"mode":"RW","container_path":"/a"},{"mode":"RX","container_path":"/b"}]}}"#,
    );
    assert_eq!(err.path, "container.volumes[1].mode");
    assert!(err.message.starts_with("unknown value `RX`"), "{err}");

    let err = task_error(r#"{"name":"t","container":{"type":"APPC"}}"#);
    assert_eq!(err.path, "container.type");

    let err = task_error(
        r#"{"name":"t","health_check":{"type":"HTTP","http":{"port":80,"protocol":"IPv5"}}}"#,
    );
    assert_eq!(err.path, "health_check.http.protocol");
}

#[test]
fn enum_given_as_number_is_an_error() {
    let err = task_error(r#"{"name":"t","container":{"type":1}}"#);
    assert_eq!(err.path, "container.type");
}

#[test]
fn wrong_types_name_their_path() {
    let err = task_error(
        r#"{"name":"t","resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":"a lot"}}]}"#,
    );
    assert_eq!(err.path, "resources[0].scalar.value");

    let err = task_error(r#"{"name":"t","health_check":{"consecutive_failures":-1}}"#);
    assert_eq!(err.path, "health_check.consecutive_failures");

    let err = task_error(r#"{"name":"t","command":{"shell":"yes"}}"#);
    assert_eq!(err.path, "command.shell");

    let err = task_error(r#"{"name":"t","command":{"arguments":"ls"}}"#);
    assert_eq!(err.path, "command.arguments");
    assert!(err.message.contains("invalid type"), "{err}");

    let err = task_error(
        r#"{"name":"t","container":{"type":"DOCKER","docker":{"image":"i","port_mappings":[{"host_port":70000.5,"container_port":80}]}}}"#,
    );
    assert_eq!(err.path, "container.docker.port_mappings[0].host_port");

    let err = task_error(r#"{"name":"t","data":"not base64!"}"#);
    assert_eq!(err.path, "data");

    let err = task_error(r#"{"name":"t","kill_policy":{"grace_period":{"nanoseconds":"soon"}}}"#);
    assert_eq!(err.path, "kill_policy.grace_period.nanoseconds");
}

#[test]
fn int64_as_string_is_accepted_and_written_as_a_number() {
    let task: TaskInfo = from_json_str(
        r#"{"name":"t","kill_policy":{"grace_period":{"nanoseconds":"3000000000"}},"max_completion_time":{"nanoseconds":"60000000000"},"executor":{"executor_id":{"value":"e"},"shutdown_grace_period":{"nanoseconds":"1"}}}"#,
    )
    .unwrap();
    assert_eq!(
        task.kill_policy.unwrap().grace_period.unwrap().nanoseconds,
        3_000_000_000
    );
    let text = serde_json::to_string(&task).unwrap();
    assert!(
        text.contains(r#""kill_policy":{"grace_period":{"nanoseconds":3000000000}}"#),
        "{text}"
    );
    assert!(
        text.contains(r#""max_completion_time":{"nanoseconds":60000000000}"#),
        "{text}"
    );
    assert!(text.contains(r#""nanoseconds":1}"#), "{text}");
}

#[test]
fn defaults_are_not_invented_on_the_way_back() {
    let text = r#"{"name":"t","command":{"value":"sleep 1"},"container":{"type":"DOCKER","docker":{"image":"busybox"}},"health_check":{"type":"COMMAND","command":{"value":"true"}}}"#;
    let task: TaskInfo = from_json_str(text).unwrap();
    assert_eq!(serde_json::to_string(&task).unwrap(), text);
    let health = task.health_check.as_ref().unwrap();
    assert_eq!(health.delay_seconds(), 15.0);
    assert_eq!(health.grace_period_seconds(), 10.0);
    assert!(health.command.as_ref().unwrap().shell());
}

#[test]
fn unknown_fields_are_ignored_at_every_level() {
    let task: TaskInfo = from_json_str(
        r#"{"name":"t","future":1,"command":{"value":"x","future":{}},"container":{"type":"DOCKER","future":[],"docker":{"image":"i","future":true}},"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":1,"future":0}}]}"#,
    )
    .unwrap();
    assert_eq!(resources::cpus(&task.resources), Some(1.0));
}

#[test]
fn nulls_mean_absent() {
    let task: TaskInfo = from_json_str(
        r#"{"name":"t","command":{"value":null,"shell":null},"container":null,"labels":null}"#,
    )
    .unwrap();
    assert!(task.container.is_none());
    assert!(task.command.as_ref().unwrap().shell());
}
