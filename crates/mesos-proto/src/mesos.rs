//! The `mesos.*` messages (`include/mesos/mesos.proto`), which `mesos.v1.*`
//! (`include/mesos/v1/mesos.proto`) mirrors with the same field numbers, so one set of structs
//! serves both the v0 libprocess protocol and the v1 executor API.
//!
//! Field numbers, types and labels are those of Mesos 1.11. Where the v1 name differs
//! (`SlaveID` → `AgentID`, `TaskInfo.slave_id` → `agent_id`) the v1 name is used.
//!
//! Enum fields are plain `i32` holding the proto enum number (the wire form of an enum); the
//! conversions in [`crate::convert`] map them to the `mesos_types` enums.
//!
//! # Opaque sub-messages
//!
//! Sub-messages that `mesos_types` keeps as raw JSON (`DiscoveryInfo`, `LinuxInfo`,
//! `RLimitInfo`, `TTYInfo`, `ContainerInfo.MesosInfo`, `Image`, `MountPropagation`,
//! `CSIVolume`, `Resource.DiskInfo`, `CgroupInfo`, `TaskResourceLimitation`, `OfferFilters`,
//! `AgentInfo`) are fields of type `bytes` here: the encoded sub-message, byte for byte (a
//! length-delimited message and a `bytes` field are the same on the wire). [`crate::opaque`]
//! converts them to and from Mesos's JSON form.
//!
//! `required` fields are `required` for prost, so they are always encoded, even when empty.
//! prost does not notice a missing required field on decode; [`crate::decode`] does.

use std::collections::BTreeMap;

macro_rules! id_message {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
        pub struct $name {
            #[prost(string, required, tag = "1")]
            pub value: String,
        }

        impl $name {
            /// An id with this value.
            pub fn new(value: impl Into<String>) -> Self {
                Self { value: value.into() }
            }
        }
    };
}

id_message!(
    /// `mesos.FrameworkID`.
    FrameworkId
);
id_message!(
    /// `mesos.SlaveID` / `mesos.v1.AgentID`.
    AgentId
);
id_message!(
    /// `mesos.ExecutorID`.
    ExecutorId
);
id_message!(
    /// `mesos.TaskID`.
    TaskId
);
id_message!(
    /// `mesos.ResourceProviderID`.
    ResourceProviderId
);

/// `mesos.ContainerID`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct ContainerId {
    #[prost(string, required, tag = "1")]
    pub value: String,
    #[prost(message, optional, boxed, tag = "2")]
    pub parent: Option<Box<ContainerId>>,
}

/// `mesos.TimeInfo`.
#[derive(Clone, Copy, PartialEq, ::prost::Message)]
pub struct TimeInfo {
    #[prost(int64, required, tag = "1")]
    pub nanoseconds: i64,
}

/// `mesos.DurationInfo`.
#[derive(Clone, Copy, PartialEq, ::prost::Message)]
pub struct DurationInfo {
    #[prost(int64, required, tag = "1")]
    pub nanoseconds: i64,
}

/// `mesos.UUID`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Uuid {
    #[prost(bytes = "vec", required, tag = "1")]
    pub value: Vec<u8>,
}

/// `mesos.Label`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Label {
    #[prost(string, required, tag = "1")]
    pub key: String,
    #[prost(string, optional, tag = "2")]
    pub value: Option<String>,
}

/// `mesos.Labels`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Labels {
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
}

/// `mesos.Parameter`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Parameter {
    #[prost(string, required, tag = "1")]
    pub key: String,
    #[prost(string, required, tag = "2")]
    pub value: String,
}

/// `mesos.Parameters`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Parameters {
    #[prost(message, repeated, tag = "1")]
    pub parameter: Vec<Parameter>,
}

/// `mesos.Secret.Reference`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct SecretReference {
    #[prost(string, required, tag = "1")]
    pub name: String,
    #[prost(string, optional, tag = "2")]
    pub key: Option<String>,
}

/// `mesos.Secret.Value`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct SecretValue {
    #[prost(bytes = "vec", required, tag = "1")]
    pub data: Vec<u8>,
}

/// `mesos.Secret`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Secret {
    /// `mesos.Secret.Type`.
    #[prost(int32, optional, tag = "1")]
    pub r#type: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub reference: Option<SecretReference>,
    #[prost(message, optional, tag = "3")]
    pub value: Option<SecretValue>,
}

/// `mesos.Environment.Variable`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Variable {
    #[prost(string, required, tag = "1")]
    pub name: String,
    /// `mesos.Environment.Variable.Type`.
    #[prost(int32, optional, tag = "3")]
    pub r#type: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub value: Option<String>,
    #[prost(message, optional, tag = "4")]
    pub secret: Option<Secret>,
}

/// `mesos.Environment`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Environment {
    #[prost(message, repeated, tag = "1")]
    pub variables: Vec<Variable>,
}

/// `mesos.CommandInfo.URI`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Uri {
    #[prost(string, required, tag = "1")]
    pub value: String,
    #[prost(bool, optional, tag = "2")]
    pub executable: Option<bool>,
    #[prost(bool, optional, tag = "3")]
    pub extract: Option<bool>,
    #[prost(bool, optional, tag = "4")]
    pub cache: Option<bool>,
    #[prost(string, optional, tag = "5")]
    pub output_file: Option<String>,
}

/// `mesos.CommandInfo`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct CommandInfo {
    #[prost(message, repeated, tag = "1")]
    pub uris: Vec<Uri>,
    #[prost(message, optional, tag = "2")]
    pub environment: Option<Environment>,
    #[prost(bool, optional, tag = "6")]
    pub shell: Option<bool>,
    #[prost(string, optional, tag = "3")]
    pub value: Option<String>,
    #[prost(string, repeated, tag = "7")]
    pub arguments: Vec<String>,
    #[prost(string, optional, tag = "5")]
    pub user: Option<String>,
}

/// `mesos.KillPolicy`.
#[derive(Clone, Copy, PartialEq, ::prost::Message)]
pub struct KillPolicy {
    #[prost(message, optional, tag = "1")]
    pub grace_period: Option<DurationInfo>,
}

/// `mesos.Value.Scalar`.
#[derive(Clone, Copy, PartialEq, ::prost::Message)]
pub struct Scalar {
    #[prost(double, required, tag = "1")]
    pub value: f64,
}

/// `mesos.Value.Range`.
#[derive(Clone, Copy, PartialEq, ::prost::Message)]
pub struct Range {
    #[prost(uint64, required, tag = "1")]
    pub begin: u64,
    #[prost(uint64, required, tag = "2")]
    pub end: u64,
}

/// `mesos.Value.Ranges`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Ranges {
    #[prost(message, repeated, tag = "1")]
    pub range: Vec<Range>,
}

/// `mesos.Value.Set`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Set {
    #[prost(string, repeated, tag = "1")]
    pub item: Vec<String>,
}

/// `mesos.Resource.AllocationInfo`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct AllocationInfo {
    #[prost(string, optional, tag = "1")]
    pub role: Option<String>,
}

/// `mesos.Resource.ReservationInfo`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct ReservationInfo {
    /// `mesos.Resource.ReservationInfo.Type`.
    #[prost(int32, optional, tag = "4")]
    pub r#type: Option<i32>,
    #[prost(string, optional, tag = "3")]
    pub role: Option<String>,
    #[prost(string, optional, tag = "1")]
    pub principal: Option<String>,
    #[prost(message, optional, tag = "2")]
    pub labels: Option<Labels>,
}

/// `mesos.Resource.RevocableInfo` (no fields).
#[derive(Clone, Copy, PartialEq, ::prost::Message)]
pub struct RevocableInfo {}

/// `mesos.Resource.SharedInfo` (no fields).
#[derive(Clone, Copy, PartialEq, ::prost::Message)]
pub struct SharedInfo {}

/// `mesos.Resource`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Resource {
    #[prost(message, optional, tag = "12")]
    pub provider_id: Option<ResourceProviderId>,
    #[prost(string, required, tag = "1")]
    pub name: String,
    /// `mesos.Value.Type`.
    #[prost(int32, required, tag = "2")]
    pub r#type: i32,
    #[prost(message, optional, tag = "3")]
    pub scalar: Option<Scalar>,
    #[prost(message, optional, tag = "4")]
    pub ranges: Option<Ranges>,
    #[prost(message, optional, tag = "5")]
    pub set: Option<Set>,
    #[prost(string, optional, tag = "6")]
    pub role: Option<String>,
    #[prost(message, optional, tag = "11")]
    pub allocation_info: Option<AllocationInfo>,
    #[prost(message, optional, tag = "8")]
    pub reservation: Option<ReservationInfo>,
    #[prost(message, repeated, tag = "13")]
    pub reservations: Vec<ReservationInfo>,
    /// An encoded `mesos.Resource.DiskInfo` (opaque, see the module docs).
    #[prost(bytes = "vec", optional, tag = "7")]
    pub disk: Option<Vec<u8>>,
    #[prost(message, optional, tag = "9")]
    pub revocable: Option<RevocableInfo>,
    #[prost(message, optional, tag = "10")]
    pub shared: Option<SharedInfo>,
}

/// `mesos.ContainerInfo.DockerInfo.PortMapping` and `mesos.NetworkInfo.PortMapping` (same
/// fields and numbers).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct PortMapping {
    #[prost(uint32, required, tag = "1")]
    pub host_port: u32,
    #[prost(uint32, required, tag = "2")]
    pub container_port: u32,
    #[prost(string, optional, tag = "3")]
    pub protocol: Option<String>,
}

/// `mesos.ContainerInfo.DockerInfo`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct DockerInfo {
    #[prost(string, required, tag = "1")]
    pub image: String,
    /// `mesos.ContainerInfo.DockerInfo.Network`.
    #[prost(int32, optional, tag = "2")]
    pub network: Option<i32>,
    #[prost(message, repeated, tag = "3")]
    pub port_mappings: Vec<PortMapping>,
    #[prost(bool, optional, tag = "4")]
    pub privileged: Option<bool>,
    #[prost(message, repeated, tag = "5")]
    pub parameters: Vec<Parameter>,
    #[prost(bool, optional, tag = "6")]
    pub force_pull_image: Option<bool>,
    #[prost(string, optional, tag = "7")]
    pub volume_driver: Option<String>,
}

/// `mesos.Volume.Source.DockerVolume`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct DockerVolume {
    #[prost(string, optional, tag = "1")]
    pub driver: Option<String>,
    #[prost(string, required, tag = "2")]
    pub name: String,
    #[prost(message, optional, tag = "3")]
    pub driver_options: Option<Parameters>,
}

/// `mesos.Volume.Source.HostPath`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct HostPath {
    #[prost(string, required, tag = "1")]
    pub path: String,
    /// An encoded `mesos.MountPropagation` (opaque).
    #[prost(bytes = "vec", optional, tag = "2")]
    pub mount_propagation: Option<Vec<u8>>,
}

/// `mesos.Volume.Source.SandboxPath`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct SandboxPath {
    /// `mesos.Volume.Source.SandboxPath.Type`.
    #[prost(int32, optional, tag = "1")]
    pub r#type: Option<i32>,
    #[prost(string, required, tag = "2")]
    pub path: String,
}

/// `mesos.Volume.Source`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct VolumeSource {
    /// `mesos.Volume.Source.Type`.
    #[prost(int32, optional, tag = "1")]
    pub r#type: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub docker_volume: Option<DockerVolume>,
    #[prost(message, optional, tag = "5")]
    pub host_path: Option<HostPath>,
    #[prost(message, optional, tag = "3")]
    pub sandbox_path: Option<SandboxPath>,
    #[prost(message, optional, tag = "4")]
    pub secret: Option<Secret>,
    /// An encoded `mesos.Volume.Source.CSIVolume` (opaque).
    #[prost(bytes = "vec", optional, tag = "6")]
    pub csi_volume: Option<Vec<u8>>,
}

/// `mesos.Volume`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Volume {
    /// `mesos.Volume.Mode`.
    #[prost(int32, required, tag = "3")]
    pub mode: i32,
    #[prost(string, required, tag = "1")]
    pub container_path: String,
    #[prost(string, optional, tag = "2")]
    pub host_path: Option<String>,
    /// An encoded `mesos.Image` (opaque).
    #[prost(bytes = "vec", optional, tag = "4")]
    pub image: Option<Vec<u8>>,
    #[prost(message, optional, tag = "5")]
    pub source: Option<VolumeSource>,
}

/// `mesos.NetworkInfo.IPAddress`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct IpAddress {
    /// `mesos.NetworkInfo.Protocol`.
    #[prost(int32, optional, tag = "1")]
    pub protocol: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub ip_address: Option<String>,
}

/// `mesos.NetworkInfo`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct NetworkInfo {
    #[prost(message, repeated, tag = "5")]
    pub ip_addresses: Vec<IpAddress>,
    #[prost(string, optional, tag = "6")]
    pub name: Option<String>,
    #[prost(string, repeated, tag = "3")]
    pub groups: Vec<String>,
    #[prost(message, optional, tag = "4")]
    pub labels: Option<Labels>,
    #[prost(message, repeated, tag = "7")]
    pub port_mappings: Vec<PortMapping>,
}

/// `mesos.ContainerInfo`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct ContainerInfo {
    /// `mesos.ContainerInfo.Type`.
    #[prost(int32, required, tag = "1")]
    pub r#type: i32,
    #[prost(message, repeated, tag = "2")]
    pub volumes: Vec<Volume>,
    #[prost(string, optional, tag = "4")]
    pub hostname: Option<String>,
    #[prost(message, optional, tag = "3")]
    pub docker: Option<DockerInfo>,
    /// An encoded `mesos.ContainerInfo.MesosInfo` (opaque).
    #[prost(bytes = "vec", optional, tag = "5")]
    pub mesos: Option<Vec<u8>>,
    #[prost(message, repeated, tag = "7")]
    pub network_infos: Vec<NetworkInfo>,
    /// An encoded `mesos.LinuxInfo` (opaque).
    #[prost(bytes = "vec", optional, tag = "8")]
    pub linux_info: Option<Vec<u8>>,
    /// An encoded `mesos.RLimitInfo` (opaque).
    #[prost(bytes = "vec", optional, tag = "9")]
    pub rlimit_info: Option<Vec<u8>>,
    /// An encoded `mesos.TTYInfo` (opaque).
    #[prost(bytes = "vec", optional, tag = "10")]
    pub tty_info: Option<Vec<u8>>,
}

/// `mesos.HealthCheck.HTTPCheckInfo`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct HttpCheckInfo {
    /// `mesos.NetworkInfo.Protocol`.
    #[prost(int32, optional, tag = "5")]
    pub protocol: Option<i32>,
    #[prost(string, optional, tag = "3")]
    pub scheme: Option<String>,
    #[prost(uint32, required, tag = "1")]
    pub port: u32,
    #[prost(string, optional, tag = "2")]
    pub path: Option<String>,
    /// proto2 `repeated uint32`: not packed.
    #[prost(uint32, repeated, packed = "false", tag = "4")]
    pub statuses: Vec<u32>,
}

/// `mesos.HealthCheck.TCPCheckInfo`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct TcpCheckInfo {
    /// `mesos.NetworkInfo.Protocol`.
    #[prost(int32, optional, tag = "2")]
    pub protocol: Option<i32>,
    #[prost(uint32, required, tag = "1")]
    pub port: u32,
}

/// `mesos.HealthCheck`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct HealthCheck {
    #[prost(double, optional, tag = "2")]
    pub delay_seconds: Option<f64>,
    #[prost(double, optional, tag = "3")]
    pub interval_seconds: Option<f64>,
    #[prost(double, optional, tag = "4")]
    pub timeout_seconds: Option<f64>,
    #[prost(uint32, optional, tag = "5")]
    pub consecutive_failures: Option<u32>,
    #[prost(double, optional, tag = "6")]
    pub grace_period_seconds: Option<f64>,
    /// `mesos.HealthCheck.Type`.
    #[prost(int32, optional, tag = "8")]
    pub r#type: Option<i32>,
    #[prost(message, optional, tag = "7")]
    pub command: Option<CommandInfo>,
    #[prost(message, optional, tag = "1")]
    pub http: Option<HttpCheckInfo>,
    #[prost(message, optional, tag = "9")]
    pub tcp: Option<TcpCheckInfo>,
}

/// `mesos.CheckInfo.Command`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct CheckCommand {
    #[prost(message, required, tag = "1")]
    pub command: CommandInfo,
}

/// `mesos.CheckInfo.Http`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct CheckHttp {
    #[prost(uint32, required, tag = "1")]
    pub port: u32,
    #[prost(string, optional, tag = "2")]
    pub path: Option<String>,
}

/// `mesos.CheckInfo.Tcp`.
#[derive(Clone, Copy, PartialEq, ::prost::Message)]
pub struct CheckTcp {
    #[prost(uint32, required, tag = "1")]
    pub port: u32,
}

/// `mesos.CheckInfo`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct CheckInfo {
    /// `mesos.CheckInfo.Type`.
    #[prost(int32, optional, tag = "1")]
    pub r#type: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub command: Option<CheckCommand>,
    #[prost(message, optional, tag = "3")]
    pub http: Option<CheckHttp>,
    #[prost(message, optional, tag = "7")]
    pub tcp: Option<CheckTcp>,
    #[prost(double, optional, tag = "4")]
    pub delay_seconds: Option<f64>,
    #[prost(double, optional, tag = "5")]
    pub interval_seconds: Option<f64>,
    #[prost(double, optional, tag = "6")]
    pub timeout_seconds: Option<f64>,
}

/// `mesos.CheckStatusInfo.Command`.
#[derive(Clone, Copy, PartialEq, ::prost::Message)]
pub struct CheckStatusCommand {
    #[prost(int32, optional, tag = "1")]
    pub exit_code: Option<i32>,
}

/// `mesos.CheckStatusInfo.Http`.
#[derive(Clone, Copy, PartialEq, ::prost::Message)]
pub struct CheckStatusHttp {
    #[prost(uint32, optional, tag = "1")]
    pub status_code: Option<u32>,
}

/// `mesos.CheckStatusInfo.Tcp`.
#[derive(Clone, Copy, PartialEq, ::prost::Message)]
pub struct CheckStatusTcp {
    #[prost(bool, optional, tag = "1")]
    pub succeeded: Option<bool>,
}

/// `mesos.CheckStatusInfo`.
#[derive(Clone, Copy, PartialEq, ::prost::Message)]
pub struct CheckStatusInfo {
    /// `mesos.CheckInfo.Type`.
    #[prost(int32, optional, tag = "1")]
    pub r#type: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub command: Option<CheckStatusCommand>,
    #[prost(message, optional, tag = "3")]
    pub http: Option<CheckStatusHttp>,
    #[prost(message, optional, tag = "4")]
    pub tcp: Option<CheckStatusTcp>,
}

/// `mesos.ExecutorInfo`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct ExecutorInfo {
    /// `mesos.ExecutorInfo.Type`.
    #[prost(int32, optional, tag = "15")]
    pub r#type: Option<i32>,
    #[prost(message, required, tag = "1")]
    pub executor_id: ExecutorId,
    #[prost(message, optional, tag = "8")]
    pub framework_id: Option<FrameworkId>,
    #[prost(message, optional, tag = "7")]
    pub command: Option<CommandInfo>,
    #[prost(message, optional, tag = "11")]
    pub container: Option<ContainerInfo>,
    #[prost(message, repeated, tag = "5")]
    pub resources: Vec<Resource>,
    #[prost(string, optional, tag = "9")]
    pub name: Option<String>,
    #[prost(string, optional, tag = "10")]
    pub source: Option<String>,
    #[prost(bytes = "vec", optional, tag = "4")]
    pub data: Option<Vec<u8>>,
    /// An encoded `mesos.DiscoveryInfo` (opaque).
    #[prost(bytes = "vec", optional, tag = "12")]
    pub discovery: Option<Vec<u8>>,
    #[prost(message, optional, tag = "13")]
    pub shutdown_grace_period: Option<DurationInfo>,
    #[prost(message, optional, tag = "14")]
    pub labels: Option<Labels>,
}

/// `mesos.FrameworkInfo.Capability`.
#[derive(Clone, Copy, PartialEq, ::prost::Message)]
pub struct FrameworkCapability {
    /// `mesos.FrameworkInfo.Capability.Type`.
    #[prost(int32, optional, tag = "1")]
    pub r#type: Option<i32>,
}

/// `mesos.FrameworkInfo`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct FrameworkInfo {
    #[prost(string, required, tag = "1")]
    pub user: String,
    #[prost(string, required, tag = "2")]
    pub name: String,
    #[prost(message, optional, tag = "3")]
    pub id: Option<FrameworkId>,
    #[prost(double, optional, tag = "4")]
    pub failover_timeout: Option<f64>,
    #[prost(bool, optional, tag = "5")]
    pub checkpoint: Option<bool>,
    #[prost(string, optional, tag = "6")]
    pub role: Option<String>,
    #[prost(string, repeated, tag = "12")]
    pub roles: Vec<String>,
    #[prost(string, optional, tag = "7")]
    pub hostname: Option<String>,
    #[prost(string, optional, tag = "8")]
    pub principal: Option<String>,
    #[prost(string, optional, tag = "9")]
    pub webui_url: Option<String>,
    #[prost(message, repeated, tag = "10")]
    pub capabilities: Vec<FrameworkCapability>,
    #[prost(message, optional, tag = "11")]
    pub labels: Option<Labels>,
    /// `map<string, OfferFilters>`, each value an encoded `mesos.OfferFilters` (opaque).
    #[prost(btree_map = "string, bytes", tag = "13")]
    pub offer_filters: BTreeMap<String, Vec<u8>>,
}

/// `mesos.TaskInfo`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct TaskInfo {
    #[prost(string, required, tag = "1")]
    pub name: String,
    #[prost(message, required, tag = "2")]
    pub task_id: TaskId,
    /// `slave_id` in v0.
    #[prost(message, required, tag = "3")]
    pub agent_id: AgentId,
    #[prost(message, repeated, tag = "4")]
    pub resources: Vec<Resource>,
    #[prost(message, optional, tag = "5")]
    pub executor: Option<ExecutorInfo>,
    #[prost(message, optional, tag = "7")]
    pub command: Option<CommandInfo>,
    #[prost(message, optional, tag = "9")]
    pub container: Option<ContainerInfo>,
    #[prost(message, optional, tag = "8")]
    pub health_check: Option<HealthCheck>,
    #[prost(message, optional, tag = "13")]
    pub check: Option<CheckInfo>,
    #[prost(message, optional, tag = "12")]
    pub kill_policy: Option<KillPolicy>,
    #[prost(bytes = "vec", optional, tag = "6")]
    pub data: Option<Vec<u8>>,
    #[prost(message, optional, tag = "10")]
    pub labels: Option<Labels>,
    /// An encoded `mesos.DiscoveryInfo` (opaque).
    #[prost(bytes = "vec", optional, tag = "11")]
    pub discovery: Option<Vec<u8>>,
    #[prost(message, optional, tag = "14")]
    pub max_completion_time: Option<DurationInfo>,
    #[prost(btree_map = "string, message", tag = "15")]
    pub limits: BTreeMap<String, Scalar>,
}

/// `mesos.TaskGroupInfo`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct TaskGroupInfo {
    #[prost(message, repeated, tag = "1")]
    pub tasks: Vec<TaskInfo>,
}

/// `mesos.ContainerStatus`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct ContainerStatus {
    #[prost(message, optional, tag = "4")]
    pub container_id: Option<ContainerId>,
    #[prost(message, repeated, tag = "1")]
    pub network_infos: Vec<NetworkInfo>,
    /// An encoded `mesos.CgroupInfo` (opaque).
    #[prost(bytes = "vec", optional, tag = "2")]
    pub cgroup_info: Option<Vec<u8>>,
    #[prost(uint32, optional, tag = "3")]
    pub executor_pid: Option<u32>,
}

/// `mesos.TaskStatus`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct TaskStatus {
    #[prost(message, required, tag = "1")]
    pub task_id: TaskId,
    /// `mesos.TaskState`.
    #[prost(int32, required, tag = "2")]
    pub state: i32,
    #[prost(string, optional, tag = "4")]
    pub message: Option<String>,
    /// `mesos.TaskStatus.Source`.
    #[prost(int32, optional, tag = "9")]
    pub source: Option<i32>,
    /// `mesos.TaskStatus.Reason`.
    #[prost(int32, optional, tag = "10")]
    pub reason: Option<i32>,
    #[prost(bytes = "vec", optional, tag = "3")]
    pub data: Option<Vec<u8>>,
    /// `slave_id` in v0.
    #[prost(message, optional, tag = "5")]
    pub agent_id: Option<AgentId>,
    #[prost(message, optional, tag = "7")]
    pub executor_id: Option<ExecutorId>,
    #[prost(double, optional, tag = "6")]
    pub timestamp: Option<f64>,
    #[prost(bytes = "vec", optional, tag = "11")]
    pub uuid: Option<Vec<u8>>,
    #[prost(bool, optional, tag = "8")]
    pub healthy: Option<bool>,
    #[prost(message, optional, tag = "15")]
    pub check_status: Option<CheckStatusInfo>,
    #[prost(message, optional, tag = "12")]
    pub labels: Option<Labels>,
    #[prost(message, optional, tag = "13")]
    pub container_status: Option<ContainerStatus>,
    #[prost(message, optional, tag = "14")]
    pub unreachable_time: Option<TimeInfo>,
    /// An encoded `mesos.TaskResourceLimitation` (opaque).
    #[prost(bytes = "vec", optional, tag = "16")]
    pub limitation: Option<Vec<u8>>,
}
