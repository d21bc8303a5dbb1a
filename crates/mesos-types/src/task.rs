//! `mesos.TaskInfo`, `ExecutorInfo`, `FrameworkInfo`, `CommandInfo` and the small messages
//! they share (`Environment`, `Secret`, `Labels`, `KillPolicy`).
//!
//! Secrets: `Debug` of [`Secret`], [`Environment`] and [`CommandInfo`] prints secret data and
//! environment values as they are. These types are plain data; whoever logs or displays them
//! (the `explain` command, error messages) redacts first.

use crate::container::ContainerInfo;
use crate::duration::{lenient, proto_enum, Duration, DurationInfo};
use crate::health::{CheckInfo, HealthCheck};
use crate::ids::{AgentId, ExecutorId, FrameworkId, TaskId};
use crate::json::base64_bytes_opt;
use crate::resources::{Resource, Scalar};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `mesos.Label`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Label {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// `mesos.Labels`: an ordered list of key/value pairs; keys may repeat.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Labels {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<Label>,
}

impl Labels {
    /// The value of the first label named `key` (`Some("")` for a label without a value).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|l| l.key == key)
            .map(|l| l.value.as_deref().unwrap_or(""))
    }
}

proto_enum!(
    /// `mesos.Secret.Type`.
    SecretType {
        Unknown = "UNKNOWN",
        /// Resolved by name through a secret resolver.
        Reference = "REFERENCE",
        /// Carried inline.
        Value = "VALUE",
    }
);

/// `mesos.Secret.Reference`: a secret held by a secret store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretReference {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// `mesos.Secret.Value`: an inline secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretValue {
    #[serde(with = "crate::json::base64_bytes")]
    pub data: Vec<u8>,
}

/// `mesos.Secret`. `Debug` shows the data: redact before logging.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Secret {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<SecretType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<SecretReference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<SecretValue>,
}

impl Secret {
    /// An inline (`VALUE`) secret holding `data`.
    pub fn inline(data: impl Into<Vec<u8>>) -> Self {
        Self {
            r#type: Some(SecretType::Value),
            reference: None,
            value: Some(SecretValue { data: data.into() }),
        }
    }

    /// The secret type, `UNKNOWN` when unset.
    pub fn kind(&self) -> SecretType {
        self.r#type.unwrap_or(SecretType::Unknown)
    }
}

proto_enum!(
    /// `mesos.Environment.Variable.Type`.
    VariableType {
        Unknown = "UNKNOWN",
        Value = "VALUE",
        Secret = "SECRET",
    }
);

/// `mesos.Environment.Variable`. `Debug` shows the value: redact before logging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variable {
    pub name: String,
    /// Absent means `VALUE`: see [`Variable::kind`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<VariableType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<Secret>,
}

impl Variable {
    /// A plain `name=value` variable, with `type` left unset (it defaults to `VALUE`).
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            r#type: None,
            value: Some(value.into()),
            secret: None,
        }
    }

    /// The variable type, `VALUE` when unset (the proto default).
    pub fn kind(&self) -> VariableType {
        self.r#type.unwrap_or(VariableType::Value)
    }
}

/// `mesos.Environment`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Environment {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<Variable>,
}

/// `mesos.CommandInfo.URI`: something the fetcher puts into the sandbox, plus our optional
/// `checksum` (beyond Mesos; a Mesos agent ignores it, our fetcher verifies it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Uri {
    pub value: String,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub executable: Option<bool>,
    /// Absent means `true`: see [`Uri::extract`].
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub extract: Option<bool>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub cache: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_file: Option<String>,
    /// Beyond Mesos: `sha256:<hex>`, verified before the file is placed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<String>,
}

impl Uri {
    /// A URI with every optional field unset.
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            executable: None,
            extract: None,
            cache: None,
            output_file: None,
            checksum: None,
        }
    }

    /// Whether to make the file executable, `false` when unset.
    pub fn executable(&self) -> bool {
        self.executable.unwrap_or(false)
    }

    /// Whether to extract archives, `true` when unset (the proto default).
    pub fn extract(&self) -> bool {
        self.extract.unwrap_or(true)
    }

    /// Whether to use the fetcher cache, `false` when unset.
    pub fn cache(&self) -> bool {
        self.cache.unwrap_or(false)
    }
}

/// `mesos.CommandInfo`, fields in proto declaration order. `Debug` shows environment
/// values: redact before logging.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CommandInfo {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uris: Vec<Uri>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<Environment>,
    /// Absent means `true`: see [`CommandInfo::shell`].
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub shell: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arguments: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

impl CommandInfo {
    /// A shell command (`sh -c value`).
    pub fn shell_command(value: impl Into<String>) -> Self {
        Self {
            value: Some(value.into()),
            ..Self::default()
        }
    }

    /// Whether `value` runs through `sh -c`, `true` when unset (the proto default).
    pub fn shell(&self) -> bool {
        self.shell.unwrap_or(true)
    }

    /// The environment variables (none when `environment` is unset).
    pub fn variables(&self) -> &[Variable] {
        self.environment
            .as_ref()
            .map(|e| e.variables.as_slice())
            .unwrap_or(&[])
    }
}

/// `mesos.KillPolicy`: how long to wait between the graceful stop and the kill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KillPolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_period: Option<DurationInfo>,
}

proto_enum!(
    /// `mesos.ExecutorInfo.Type`.
    ExecutorType {
        Unknown = "UNKNOWN",
        /// Mesos's built-in executor (command or default executor).
        Default = "DEFAULT",
        /// An executor supplied by the framework.
        Custom = "CUSTOM",
    }
);

/// `mesos.ExecutorInfo`, fields in proto declaration order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutorInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<ExecutorType>,
    pub executor_id: ExecutorId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework_id: Option<FrameworkId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<ContainerInfo>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Deprecated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(
        default,
        with = "base64_bytes_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub data: Option<Vec<u8>>,
    /// `mesos.DiscoveryInfo`, untouched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shutdown_grace_period: Option<DurationInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Labels>,
}

impl ExecutorInfo {
    /// An executor with only its id set.
    pub fn new(executor_id: impl Into<ExecutorId>) -> Self {
        Self {
            r#type: None,
            executor_id: executor_id.into(),
            framework_id: None,
            command: None,
            container: None,
            resources: Vec::new(),
            name: None,
            source: None,
            data: None,
            discovery: None,
            shutdown_grace_period: None,
            labels: None,
        }
    }

    /// The executor type, `UNKNOWN` when unset.
    pub fn kind(&self) -> ExecutorType {
        self.r#type.unwrap_or(ExecutorType::Unknown)
    }
}

fn empty_task_id() -> TaskId {
    TaskId::new("")
}

fn empty_agent_id() -> AgentId {
    AgentId::new("")
}

fn task_id_is_empty(id: &TaskId) -> bool {
    id.as_str().is_empty()
}

fn agent_id_is_empty(id: &AgentId) -> bool {
    id.as_str().is_empty()
}

/// `mesos.TaskInfo`, fields in proto declaration order.
///
/// `task_id` and `agent_id` are required by the proto, but task files given to the
/// containerizer may leave them out so it can generate them: a missing one decodes as an id
/// with an empty value (and an empty one is not written back). Consumers check
/// `task_id.as_str().is_empty()`. The legacy v0 key `slave_id` is accepted for `agent_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskInfo {
    pub name: String,
    #[serde(default = "empty_task_id", skip_serializing_if = "task_id_is_empty")]
    pub task_id: TaskId,
    #[serde(
        default = "empty_agent_id",
        alias = "slave_id",
        skip_serializing_if = "agent_id_is_empty"
    )]
    pub agent_id: AgentId,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor: Option<ExecutorInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<ContainerInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<CheckInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kill_policy: Option<KillPolicy>,
    #[serde(
        default,
        with = "base64_bytes_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub data: Option<Vec<u8>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Labels>,
    /// `mesos.DiscoveryInfo`, untouched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_completion_time: Option<DurationInfo>,
    /// Resource limits above the requested amounts, by resource name (`cpus`, `mem`); a
    /// value may be infinite (`"Infinity"` on the wire), meaning unlimited.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, Scalar>,
}

impl TaskInfo {
    /// A task named `name` with only its id set.
    pub fn new(name: impl Into<String>, task_id: impl Into<TaskId>) -> Self {
        Self {
            name: name.into(),
            task_id: task_id.into(),
            agent_id: empty_agent_id(),
            resources: Vec::new(),
            executor: None,
            command: None,
            container: None,
            health_check: None,
            check: None,
            kill_policy: None,
            data: None,
            labels: None,
            discovery: None,
            max_completion_time: None,
            limits: BTreeMap::new(),
        }
    }

    /// The limit for resource `name` (`cpus`, `mem` in MB), if one is given; may be
    /// `f64::INFINITY` (no limit at all).
    pub fn limit(&self, name: &str) -> Option<f64> {
        self.limits.get(name).map(|s| s.value)
    }

    /// `kill_policy.grace_period`, if given.
    pub fn kill_grace_period(&self) -> Option<Duration> {
        self.kill_policy?.grace_period.map(|d| d.duration())
    }
}

proto_enum!(
    /// `mesos.FrameworkInfo.Capability.Type`.
    FrameworkCapabilityType {
        Unknown = "UNKNOWN",
        RevocableResources = "REVOCABLE_RESOURCES",
        TaskKillingState = "TASK_KILLING_STATE",
        GpuResources = "GPU_RESOURCES",
        SharedResources = "SHARED_RESOURCES",
        PartitionAware = "PARTITION_AWARE",
        MultiRole = "MULTI_ROLE",
        ReservationRefinement = "RESERVATION_REFINEMENT",
        RegionAware = "REGION_AWARE",
    }
);

/// `mesos.FrameworkInfo.Capability`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct FrameworkCapability {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<FrameworkCapabilityType>,
}

/// `mesos.FrameworkInfo`, fields in proto declaration order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameworkInfo {
    pub user: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<FrameworkId>,
    /// Absent means `0.0`: see [`FrameworkInfo::failover_timeout`].
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub failover_timeout: Option<f64>,
    /// Absent means `false`: see [`FrameworkInfo::checkpoint`].
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub checkpoint: Option<bool>,
    /// Deprecated single role; `"*"` when absent. See `roles`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webui_url: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<FrameworkCapability>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Labels>,
    /// `map<string, OfferFilters>` by role, untouched.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub offer_filters: BTreeMap<String, serde_json::Value>,
}

impl FrameworkInfo {
    /// A framework with only its required fields set.
    pub fn new(user: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            name: name.into(),
            id: None,
            failover_timeout: None,
            checkpoint: None,
            role: None,
            roles: Vec::new(),
            hostname: None,
            principal: None,
            webui_url: None,
            capabilities: Vec::new(),
            labels: None,
            offer_filters: BTreeMap::new(),
        }
    }

    /// Seconds the master waits for a disconnected framework, `0.0` when unset.
    pub fn failover_timeout(&self) -> f64 {
        self.failover_timeout.unwrap_or(0.0)
    }

    /// Whether the framework checkpoints (its executors survive agent restarts), `false`
    /// when unset.
    pub fn checkpoint(&self) -> bool {
        self.checkpoint.unwrap_or(false)
    }

    /// True when the framework announces `capability`.
    pub fn has_capability(&self, capability: FrameworkCapabilityType) -> bool {
        self.capabilities
            .iter()
            .any(|c| c.r#type == Some(capability))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::from_json_str;

    #[test]
    fn command_defaults_are_accessors_not_fields() {
        let c: CommandInfo =
            from_json_str(r#"{"value":"echo hi","uris":[{"value":"http://x/a.tgz"}]}"#).unwrap();
        assert!(c.shell());
        assert!(c.uris[0].extract());
        assert!(!c.uris[0].executable());
        assert!(!c.uris[0].cache());
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"uris":[{"value":"http://x/a.tgz"}],"value":"echo hi"}"#
        );
        let c: CommandInfo = from_json_str(r#"{"shell":false,"value":"/bin/true"}"#).unwrap();
        assert!(!c.shell());
    }

    #[test]
    fn task_ids_may_be_omitted_and_slave_id_is_accepted() {
        let t: TaskInfo = from_json_str(r#"{"name":"t"}"#).unwrap();
        assert!(t.task_id.as_str().is_empty());
        assert!(t.agent_id.as_str().is_empty());
        assert_eq!(serde_json::to_string(&t).unwrap(), r#"{"name":"t"}"#);

        let t: TaskInfo =
            from_json_str(r#"{"name":"t","task_id":{"value":"1"},"slave_id":{"value":"S1"}}"#)
                .unwrap();
        assert_eq!(t.agent_id.as_str(), "S1");
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"name":"t","task_id":{"value":"1"},"agent_id":{"value":"S1"}}"#
        );
        let err = from_json_str::<TaskInfo>(r#"{"task_id":{"value":"1"}}"#).unwrap_err();
        assert!(err.message.contains("missing field `name`"), "{err}");
    }

    #[test]
    fn variable_type_defaults_to_value() {
        let v: Variable = from_json_str(r#"{"name":"A","value":"1"}"#).unwrap();
        assert_eq!(v.kind(), VariableType::Value);
        assert_eq!(v, Variable::new("A", "1"));
        let err = from_json_str::<Environment>(r#"{"variables":[{"name":"A","type":"PLAIN"}]}"#)
            .unwrap_err();
        assert_eq!(err.path, "variables[0].type");
    }

    #[test]
    fn secrets_are_base64() {
        let s = Secret::inline(b"hunter2".to_vec());
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(text, r#"{"type":"VALUE","value":{"data":"aHVudGVyMg=="}}"#);
        assert_eq!(from_json_str::<Secret>(&text).unwrap(), s);
        let err =
            from_json_str::<Secret>(r#"{"type":"VALUE","value":{"data":"***"}}"#).unwrap_err();
        assert_eq!(err.path, "value.data");
    }

    #[test]
    fn labels_lookup() {
        let l: Labels = from_json_str(
            r#"{"labels":[{"key":"a","value":"1"},{"key":"b"},{"key":"a","value":"2"}]}"#,
        )
        .unwrap();
        assert_eq!(l.get("a"), Some("1"));
        assert_eq!(l.get("b"), Some(""));
        assert_eq!(l.get("c"), None);
    }

    #[test]
    fn framework_capabilities() {
        let f: FrameworkInfo = from_json_str(
            r#"{"user":"root","name":"f","capabilities":[{"type":"TASK_KILLING_STATE"},{"type":"PARTITION_AWARE"}]}"#,
        )
        .unwrap();
        assert!(f.has_capability(FrameworkCapabilityType::TaskKillingState));
        assert!(!f.has_capability(FrameworkCapabilityType::MultiRole));
        assert!(!f.checkpoint());
        assert_eq!(f.failover_timeout(), 0.0);
        let err = from_json_str::<FrameworkInfo>(
            r#"{"user":"root","name":"f","capabilities":[{"type":"TELEPATHY"}]}"#,
        )
        .unwrap_err();
        assert_eq!(err.path, "capabilities[0].type");
    }
}
