//! Conversions between the protobuf structs of [`crate::mesos`] and the `mesos_types` serde
//! types, through the [`ProtoConvert`] trait.
//!
//! Both directions are lossless for every field `mesos_types` has, with these exceptions:
//! - `CommandInfo.URI.checksum` is ours, not Mesos's: it has no protobuf field and is dropped.
//! - Fields `mesos_types` keeps as raw JSON (`discovery`, `ContainerInfo.mesos`,
//!   `linux_info`, `rlimit_info`, `tty_info`, `Volume.image`, `csi_volume`,
//!   `mount_propagation`, `Resource.disk`, `cgroup_info`, `limitation`, `offer_filters`,
//!   `Subscribed.agent_info`) are converted between Mesos's JSON form and protobuf by the
//!   message descriptions in this crate (see [`crate::opaque`]); JSON keys Mesos does not
//!   know are dropped, as Mesos's own JSON parser drops them, and a whole double written as
//!   an integer (`1`) comes back as `1.0`.
//!
//! Enums map by their proto numbers. An unknown number in an optional enum field reads as
//! unset (proto2 semantics); in a required one (`TaskStatus.state`, `Resource.type`,
//! `Volume.mode`, `ContainerInfo.type`) it is an error naming the field.

use crate::error::ConvertError;
use crate::mesos as p;
use crate::schema::{enum_name, enum_number, EnumValues, Schema};
use crate::tables;
use mesos_types as t;
use std::collections::BTreeMap;

/// A `mesos_types` type with a protobuf form in this crate.
pub trait ProtoConvert: Sized {
    /// The protobuf struct.
    type Proto;

    /// The typed form of `proto`. Errors name the offending field.
    fn from_proto(proto: Self::Proto) -> Result<Self, ConvertError>;

    /// The protobuf form. Fails only when a raw-JSON field does not fit its message.
    fn into_proto(self) -> Result<Self::Proto, ConvertError>;
}

// ------------------------------------------------------------------------------ helpers

pub(crate) fn from_opt<T: ProtoConvert>(
    o: Option<T::Proto>,
    field: &str,
) -> Result<Option<T>, ConvertError> {
    o.map(|v| T::from_proto(v).map_err(|e| e.at(field)))
        .transpose()
}

pub(crate) fn from_box<T: ProtoConvert>(
    o: Option<Box<T::Proto>>,
    field: &str,
) -> Result<Option<Box<T>>, ConvertError> {
    o.map(|v| T::from_proto(*v).map(Box::new).map_err(|e| e.at(field)))
        .transpose()
}

pub(crate) fn from_vec<T: ProtoConvert>(
    v: Vec<T::Proto>,
    field: &str,
) -> Result<Vec<T>, ConvertError> {
    v.into_iter()
        .enumerate()
        .map(|(i, x)| T::from_proto(x).map_err(|e| e.at_index(i as u32).at(field)))
        .collect()
}

pub(crate) fn from_req<T: ProtoConvert>(v: T::Proto, field: &str) -> Result<T, ConvertError> {
    T::from_proto(v).map_err(|e| e.at(field))
}

pub(crate) fn into_opt<T: ProtoConvert>(
    o: Option<T>,
    field: &str,
) -> Result<Option<T::Proto>, ConvertError> {
    o.map(|v| v.into_proto().map_err(|e| e.at(field)))
        .transpose()
}

pub(crate) fn into_box<T: ProtoConvert>(
    o: Option<Box<T>>,
    field: &str,
) -> Result<Option<Box<T::Proto>>, ConvertError> {
    o.map(|v| (*v).into_proto().map(Box::new).map_err(|e| e.at(field)))
        .transpose()
}

pub(crate) fn into_vec<T: ProtoConvert>(
    v: Vec<T>,
    field: &str,
) -> Result<Vec<T::Proto>, ConvertError> {
    v.into_iter()
        .enumerate()
        .map(|(i, x)| x.into_proto().map_err(|e| e.at_index(i as u32).at(field)))
        .collect()
}

pub(crate) fn into_req<T: ProtoConvert>(v: T, field: &str) -> Result<T::Proto, ConvertError> {
    v.into_proto().map_err(|e| e.at(field))
}

/// A `mesos_types` enum and its proto numbers.
pub(crate) trait WireEnum: Copy + 'static {
    /// The proto enum's name, for errors.
    const ENUM: &'static str;
    const VALUES: EnumValues;
    fn all() -> &'static [Self];
    fn name(self) -> &'static str;

    /// The proto number. Every value has one (checked by the tests).
    fn number(self) -> i32 {
        enum_number(Self::VALUES, self.name()).unwrap_or_default()
    }

    /// The value numbered `n`, if this build knows it.
    fn from_number(n: i32) -> Option<Self> {
        let name = enum_name(Self::VALUES, n)?;
        Self::all().iter().copied().find(|v| v.name() == name)
    }

    /// The value of a required enum field: an unknown number is an error.
    fn required(n: i32, field: &str) -> Result<Self, ConvertError> {
        Self::from_number(n).ok_or_else(|| ConvertError::unknown_enum(Self::ENUM, n).at(field))
    }
}

macro_rules! wire_enum {
    ($($ty:ty => $values:expr, $name:literal;)*) => {$(
        impl WireEnum for $ty {
            const ENUM: &'static str = $name;
            const VALUES: EnumValues = $values;
            fn all() -> &'static [Self] {
                <$ty>::ALL
            }
            fn name(self) -> &'static str {
                self.as_str()
            }
        }
    )*};
}

wire_enum! {
    t::status::TaskState => tables::TASK_STATE, "mesos.TaskState";
    t::status::Source => tables::SOURCE, "mesos.TaskStatus.Source";
    t::status::Reason => tables::REASON, "mesos.TaskStatus.Reason";
    t::task::SecretType => tables::SECRET_TYPE, "mesos.Secret.Type";
    t::task::VariableType => tables::VARIABLE_TYPE, "mesos.Environment.Variable.Type";
    t::task::ExecutorType => tables::EXECUTOR_TYPE, "mesos.ExecutorInfo.Type";
    t::task::FrameworkCapabilityType => tables::FRAMEWORK_CAPABILITY, "mesos.FrameworkInfo.Capability.Type";
    t::resources::ValueType => tables::VALUE_TYPE, "mesos.Value.Type";
    t::resources::ReservationType => tables::RESERVATION_TYPE, "mesos.Resource.ReservationInfo.Type";
    t::container::ContainerType => tables::CONTAINER_TYPE, "mesos.ContainerInfo.Type";
    t::container::DockerNetwork => tables::DOCKER_NETWORK, "mesos.ContainerInfo.DockerInfo.Network";
    t::container::VolumeMode => tables::VOLUME_MODE, "mesos.Volume.Mode";
    t::container::VolumeSourceType => tables::VOLUME_SOURCE_TYPE, "mesos.Volume.Source.Type";
    t::container::SandboxPathType => tables::SANDBOX_PATH_TYPE, "mesos.Volume.Source.SandboxPath.Type";
    t::container::IpProtocol => tables::IP_PROTOCOL, "mesos.NetworkInfo.Protocol";
    t::health::CheckType => tables::CHECK_TYPE, "mesos.CheckInfo.Type";
    t::executor::CallType => tables::CALL_TYPE, "mesos.v1.executor.Call.Type";
    t::executor::EventType => tables::EVENT_TYPE, "mesos.v1.executor.Event.Type";
}

/// An optional enum field: unknown numbers read as unset.
pub(crate) fn enum_from<E: WireEnum>(n: Option<i32>) -> Option<E> {
    n.and_then(E::from_number)
}

pub(crate) fn enum_into<E: WireEnum>(e: Option<E>) -> Option<i32> {
    e.map(E::number)
}

/// The JSON form of an opaque sub-message.
fn json_from(
    schema: &'static Schema,
    bytes: Option<Vec<u8>>,
    field: &str,
) -> Result<Option<serde_json::Value>, ConvertError> {
    bytes
        .map(|b| crate::schema::to_json(schema, &b).map_err(|e| e.at(field)))
        .transpose()
}

/// The wire form of an opaque sub-message given as JSON.
fn json_into(
    schema: &'static Schema,
    value: Option<serde_json::Value>,
    field: &str,
) -> Result<Option<Vec<u8>>, ConvertError> {
    value
        .map(|v| crate::schema::from_json(schema, &v).map_err(|e| e.at(field)))
        .transpose()
}

// ---------------------------------------------------------------------------------- ids

macro_rules! id_convert {
    ($($typed:ty => $proto:ty;)*) => {$(
        impl ProtoConvert for $typed {
            type Proto = $proto;
            fn from_proto(p: $proto) -> Result<Self, ConvertError> {
                Ok(<$typed>::new(p.value))
            }
            fn into_proto(self) -> Result<$proto, ConvertError> {
                Ok(<$proto>::new(self.value))
            }
        }
    )*};
}

id_convert! {
    t::FrameworkId => p::FrameworkId;
    t::AgentId => p::AgentId;
    t::ExecutorId => p::ExecutorId;
    t::TaskId => p::TaskId;
}

impl ProtoConvert for t::ContainerId {
    type Proto = p::ContainerId;
    fn from_proto(p: p::ContainerId) -> Result<Self, ConvertError> {
        Ok(Self {
            value: p.value,
            parent: from_box(p.parent, "parent")?,
        })
    }
    fn into_proto(self) -> Result<p::ContainerId, ConvertError> {
        Ok(p::ContainerId {
            value: self.value,
            parent: into_box(self.parent, "parent")?,
        })
    }
}

impl ProtoConvert for t::resources::ResourceProviderId {
    type Proto = p::ResourceProviderId;
    fn from_proto(p: p::ResourceProviderId) -> Result<Self, ConvertError> {
        Ok(Self { value: p.value })
    }
    fn into_proto(self) -> Result<p::ResourceProviderId, ConvertError> {
        Ok(p::ResourceProviderId { value: self.value })
    }
}

impl ProtoConvert for t::duration::DurationInfo {
    type Proto = p::DurationInfo;
    fn from_proto(p: p::DurationInfo) -> Result<Self, ConvertError> {
        Ok(Self {
            nanoseconds: p.nanoseconds,
        })
    }
    fn into_proto(self) -> Result<p::DurationInfo, ConvertError> {
        Ok(p::DurationInfo {
            nanoseconds: self.nanoseconds,
        })
    }
}

impl ProtoConvert for t::duration::TimeInfo {
    type Proto = p::TimeInfo;
    fn from_proto(p: p::TimeInfo) -> Result<Self, ConvertError> {
        Ok(Self {
            nanoseconds: p.nanoseconds,
        })
    }
    fn into_proto(self) -> Result<p::TimeInfo, ConvertError> {
        Ok(p::TimeInfo {
            nanoseconds: self.nanoseconds,
        })
    }
}

// ------------------------------------------------------------------------- task.rs types

impl ProtoConvert for t::task::Label {
    type Proto = p::Label;
    fn from_proto(p: p::Label) -> Result<Self, ConvertError> {
        Ok(Self {
            key: p.key,
            value: p.value,
        })
    }
    fn into_proto(self) -> Result<p::Label, ConvertError> {
        Ok(p::Label {
            key: self.key,
            value: self.value,
        })
    }
}

impl ProtoConvert for t::task::Labels {
    type Proto = p::Labels;
    fn from_proto(p: p::Labels) -> Result<Self, ConvertError> {
        Ok(Self {
            labels: from_vec(p.labels, "labels")?,
        })
    }
    fn into_proto(self) -> Result<p::Labels, ConvertError> {
        Ok(p::Labels {
            labels: into_vec(self.labels, "labels")?,
        })
    }
}

impl ProtoConvert for t::task::Secret {
    type Proto = p::Secret;
    fn from_proto(p: p::Secret) -> Result<Self, ConvertError> {
        Ok(Self {
            r#type: enum_from(p.r#type),
            reference: p.reference.map(|r| t::task::SecretReference {
                name: r.name,
                key: r.key,
            }),
            value: p.value.map(|v| t::task::SecretValue { data: v.data }),
        })
    }
    fn into_proto(self) -> Result<p::Secret, ConvertError> {
        Ok(p::Secret {
            r#type: enum_into(self.r#type),
            reference: self.reference.map(|r| p::SecretReference {
                name: r.name,
                key: r.key,
            }),
            value: self.value.map(|v| p::SecretValue { data: v.data }),
        })
    }
}

impl ProtoConvert for t::task::Variable {
    type Proto = p::Variable;
    fn from_proto(p: p::Variable) -> Result<Self, ConvertError> {
        Ok(Self {
            name: p.name,
            r#type: enum_from(p.r#type),
            value: p.value,
            secret: from_opt(p.secret, "secret")?,
        })
    }
    fn into_proto(self) -> Result<p::Variable, ConvertError> {
        Ok(p::Variable {
            name: self.name,
            r#type: enum_into(self.r#type),
            value: self.value,
            secret: into_opt(self.secret, "secret")?,
        })
    }
}

impl ProtoConvert for t::task::Environment {
    type Proto = p::Environment;
    fn from_proto(p: p::Environment) -> Result<Self, ConvertError> {
        Ok(Self {
            variables: from_vec(p.variables, "variables")?,
        })
    }
    fn into_proto(self) -> Result<p::Environment, ConvertError> {
        Ok(p::Environment {
            variables: into_vec(self.variables, "variables")?,
        })
    }
}

/// `checksum` has no protobuf field: it is dropped on the way to protobuf.
impl ProtoConvert for t::task::Uri {
    type Proto = p::Uri;
    fn from_proto(p: p::Uri) -> Result<Self, ConvertError> {
        Ok(Self {
            value: p.value,
            executable: p.executable,
            extract: p.extract,
            cache: p.cache,
            output_file: p.output_file,
            checksum: None,
        })
    }
    fn into_proto(self) -> Result<p::Uri, ConvertError> {
        Ok(p::Uri {
            value: self.value,
            executable: self.executable,
            extract: self.extract,
            cache: self.cache,
            output_file: self.output_file,
        })
    }
}

impl ProtoConvert for t::task::CommandInfo {
    type Proto = p::CommandInfo;
    fn from_proto(p: p::CommandInfo) -> Result<Self, ConvertError> {
        Ok(Self {
            uris: from_vec(p.uris, "uris")?,
            environment: from_opt(p.environment, "environment")?,
            shell: p.shell,
            value: p.value,
            arguments: p.arguments,
            user: p.user,
        })
    }
    fn into_proto(self) -> Result<p::CommandInfo, ConvertError> {
        Ok(p::CommandInfo {
            uris: into_vec(self.uris, "uris")?,
            environment: into_opt(self.environment, "environment")?,
            shell: self.shell,
            value: self.value,
            arguments: self.arguments,
            user: self.user,
        })
    }
}

impl ProtoConvert for t::task::KillPolicy {
    type Proto = p::KillPolicy;
    fn from_proto(p: p::KillPolicy) -> Result<Self, ConvertError> {
        Ok(Self {
            grace_period: from_opt(p.grace_period, "grace_period")?,
        })
    }
    fn into_proto(self) -> Result<p::KillPolicy, ConvertError> {
        Ok(p::KillPolicy {
            grace_period: into_opt(self.grace_period, "grace_period")?,
        })
    }
}

/// `discovery` is converted through its JSON form (see the module docs).
impl ProtoConvert for t::task::ExecutorInfo {
    type Proto = p::ExecutorInfo;
    fn from_proto(p: p::ExecutorInfo) -> Result<Self, ConvertError> {
        Ok(Self {
            r#type: enum_from(p.r#type),
            executor_id: from_req(p.executor_id, "executor_id")?,
            framework_id: from_opt(p.framework_id, "framework_id")?,
            command: from_opt(p.command, "command")?,
            container: from_opt(p.container, "container")?,
            resources: from_vec(p.resources, "resources")?,
            name: p.name,
            source: p.source,
            data: p.data,
            discovery: json_from(&tables::DISCOVERY_INFO, p.discovery, "discovery")?,
            shutdown_grace_period: from_opt(p.shutdown_grace_period, "shutdown_grace_period")?,
            labels: from_opt(p.labels, "labels")?,
        })
    }
    fn into_proto(self) -> Result<p::ExecutorInfo, ConvertError> {
        Ok(p::ExecutorInfo {
            r#type: enum_into(self.r#type),
            executor_id: into_req(self.executor_id, "executor_id")?,
            framework_id: into_opt(self.framework_id, "framework_id")?,
            command: into_opt(self.command, "command")?,
            container: into_opt(self.container, "container")?,
            resources: into_vec(self.resources, "resources")?,
            name: self.name,
            source: self.source,
            data: self.data,
            discovery: json_into(&tables::DISCOVERY_INFO, self.discovery, "discovery")?,
            shutdown_grace_period: into_opt(self.shutdown_grace_period, "shutdown_grace_period")?,
            labels: into_opt(self.labels, "labels")?,
        })
    }
}

/// `discovery` is converted through its JSON form (see the module docs). An empty
/// `task_id` or `agent_id` (how `mesos_types` spells "not given") is encoded as the empty
/// id, since both are required.
impl ProtoConvert for t::task::TaskInfo {
    type Proto = p::TaskInfo;
    fn from_proto(p: p::TaskInfo) -> Result<Self, ConvertError> {
        Ok(Self {
            name: p.name,
            task_id: from_req(p.task_id, "task_id")?,
            agent_id: from_req(p.agent_id, "agent_id")?,
            resources: from_vec(p.resources, "resources")?,
            executor: from_opt(p.executor, "executor")?,
            command: from_opt(p.command, "command")?,
            container: from_opt(p.container, "container")?,
            health_check: from_opt(p.health_check, "health_check")?,
            check: from_opt(p.check, "check")?,
            kill_policy: from_opt(p.kill_policy, "kill_policy")?,
            data: p.data,
            labels: from_opt(p.labels, "labels")?,
            discovery: json_from(&tables::DISCOVERY_INFO, p.discovery, "discovery")?,
            max_completion_time: from_opt(p.max_completion_time, "max_completion_time")?,
            limits: p
                .limits
                .into_iter()
                .map(|(k, v)| (k, t::resources::Scalar::new(v.value)))
                .collect(),
        })
    }
    fn into_proto(self) -> Result<p::TaskInfo, ConvertError> {
        Ok(p::TaskInfo {
            name: self.name,
            task_id: into_req(self.task_id, "task_id")?,
            agent_id: into_req(self.agent_id, "agent_id")?,
            resources: into_vec(self.resources, "resources")?,
            executor: into_opt(self.executor, "executor")?,
            command: into_opt(self.command, "command")?,
            container: into_opt(self.container, "container")?,
            health_check: into_opt(self.health_check, "health_check")?,
            check: into_opt(self.check, "check")?,
            kill_policy: into_opt(self.kill_policy, "kill_policy")?,
            data: self.data,
            labels: into_opt(self.labels, "labels")?,
            discovery: json_into(&tables::DISCOVERY_INFO, self.discovery, "discovery")?,
            max_completion_time: into_opt(self.max_completion_time, "max_completion_time")?,
            limits: self
                .limits
                .into_iter()
                .map(|(k, v)| (k, p::Scalar { value: v.value }))
                .collect(),
        })
    }
}

impl ProtoConvert for t::task::FrameworkCapability {
    type Proto = p::FrameworkCapability;
    fn from_proto(p: p::FrameworkCapability) -> Result<Self, ConvertError> {
        Ok(Self {
            r#type: enum_from(p.r#type),
        })
    }
    fn into_proto(self) -> Result<p::FrameworkCapability, ConvertError> {
        Ok(p::FrameworkCapability {
            r#type: enum_into(self.r#type),
        })
    }
}

/// `offer_filters` values are converted through their JSON form (see the module docs).
impl ProtoConvert for t::task::FrameworkInfo {
    type Proto = p::FrameworkInfo;
    fn from_proto(p: p::FrameworkInfo) -> Result<Self, ConvertError> {
        let mut offer_filters = BTreeMap::new();
        for (role, bytes) in p.offer_filters {
            let value = crate::schema::to_json(&tables::OFFER_FILTERS, &bytes)
                .map_err(|e| e.at_key(&role).at("offer_filters"))?;
            offer_filters.insert(role, value);
        }
        Ok(Self {
            user: p.user,
            name: p.name,
            id: from_opt(p.id, "id")?,
            failover_timeout: p.failover_timeout,
            checkpoint: p.checkpoint,
            role: p.role,
            roles: p.roles,
            hostname: p.hostname,
            principal: p.principal,
            webui_url: p.webui_url,
            capabilities: from_vec(p.capabilities, "capabilities")?,
            labels: from_opt(p.labels, "labels")?,
            offer_filters,
        })
    }
    fn into_proto(self) -> Result<p::FrameworkInfo, ConvertError> {
        let mut offer_filters = BTreeMap::new();
        for (role, value) in self.offer_filters {
            let bytes = crate::schema::from_json(&tables::OFFER_FILTERS, &value)
                .map_err(|e| e.at_key(&role).at("offer_filters"))?;
            offer_filters.insert(role, bytes);
        }
        Ok(p::FrameworkInfo {
            user: self.user,
            name: self.name,
            id: into_opt(self.id, "id")?,
            failover_timeout: self.failover_timeout,
            checkpoint: self.checkpoint,
            role: self.role,
            roles: self.roles,
            hostname: self.hostname,
            principal: self.principal,
            webui_url: self.webui_url,
            capabilities: into_vec(self.capabilities, "capabilities")?,
            labels: into_opt(self.labels, "labels")?,
            offer_filters,
        })
    }
}

// -------------------------------------------------------------------- resources.rs types

impl ProtoConvert for t::resources::ReservationInfo {
    type Proto = p::ReservationInfo;
    fn from_proto(p: p::ReservationInfo) -> Result<Self, ConvertError> {
        Ok(Self {
            r#type: enum_from(p.r#type),
            role: p.role,
            principal: p.principal,
            labels: from_opt(p.labels, "labels")?,
        })
    }
    fn into_proto(self) -> Result<p::ReservationInfo, ConvertError> {
        Ok(p::ReservationInfo {
            r#type: enum_into(self.r#type),
            role: self.role,
            principal: self.principal,
            labels: into_opt(self.labels, "labels")?,
        })
    }
}

/// `disk` is converted through its JSON form (see the module docs).
impl ProtoConvert for t::resources::Resource {
    type Proto = p::Resource;
    fn from_proto(p: p::Resource) -> Result<Self, ConvertError> {
        use t::resources as r;
        Ok(Self {
            provider_id: from_opt(p.provider_id, "provider_id")?,
            name: p.name,
            r#type: WireEnum::required(p.r#type, "type")?,
            scalar: p.scalar.map(|s| r::Scalar::new(s.value)),
            ranges: p.ranges.map(|rs| r::Ranges {
                range: rs
                    .range
                    .into_iter()
                    .map(|x| r::Range {
                        begin: x.begin,
                        end: x.end,
                    })
                    .collect(),
            }),
            set: p.set.map(|s| r::Set { item: s.item }),
            role: p.role,
            allocation_info: p
                .allocation_info
                .map(|a| r::AllocationInfo { role: a.role }),
            reservation: from_opt(p.reservation, "reservation")?,
            reservations: from_vec(p.reservations, "reservations")?,
            disk: json_from(&tables::DISK_INFO, p.disk, "disk")?,
            revocable: p.revocable.map(|_| r::RevocableInfo {}),
            shared: p.shared.map(|_| r::SharedInfo {}),
        })
    }
    fn into_proto(self) -> Result<p::Resource, ConvertError> {
        Ok(p::Resource {
            provider_id: into_opt(self.provider_id, "provider_id")?,
            name: self.name,
            r#type: self.r#type.number(),
            scalar: self.scalar.map(|s| p::Scalar { value: s.value }),
            ranges: self.ranges.map(|rs| p::Ranges {
                range: rs
                    .range
                    .into_iter()
                    .map(|x| p::Range {
                        begin: x.begin,
                        end: x.end,
                    })
                    .collect(),
            }),
            set: self.set.map(|s| p::Set { item: s.item }),
            role: self.role,
            allocation_info: self
                .allocation_info
                .map(|a| p::AllocationInfo { role: a.role }),
            reservation: into_opt(self.reservation, "reservation")?,
            reservations: into_vec(self.reservations, "reservations")?,
            disk: json_into(&tables::DISK_INFO, self.disk, "disk")?,
            revocable: self.revocable.map(|_| p::RevocableInfo {}),
            shared: self.shared.map(|_| p::SharedInfo {}),
        })
    }
}

// -------------------------------------------------------------------- container.rs types

impl ProtoConvert for t::container::PortMapping {
    type Proto = p::PortMapping;
    fn from_proto(p: p::PortMapping) -> Result<Self, ConvertError> {
        Ok(Self {
            host_port: p.host_port,
            container_port: p.container_port,
            protocol: p.protocol,
        })
    }
    fn into_proto(self) -> Result<p::PortMapping, ConvertError> {
        Ok(p::PortMapping {
            host_port: self.host_port,
            container_port: self.container_port,
            protocol: self.protocol,
        })
    }
}

impl ProtoConvert for t::container::Parameter {
    type Proto = p::Parameter;
    fn from_proto(p: p::Parameter) -> Result<Self, ConvertError> {
        Ok(Self {
            key: p.key,
            value: p.value,
        })
    }
    fn into_proto(self) -> Result<p::Parameter, ConvertError> {
        Ok(p::Parameter {
            key: self.key,
            value: self.value,
        })
    }
}

impl ProtoConvert for t::container::DockerInfo {
    type Proto = p::DockerInfo;
    fn from_proto(p: p::DockerInfo) -> Result<Self, ConvertError> {
        Ok(Self {
            image: p.image,
            network: enum_from(p.network),
            port_mappings: from_vec(p.port_mappings, "port_mappings")?,
            privileged: p.privileged,
            parameters: from_vec(p.parameters, "parameters")?,
            force_pull_image: p.force_pull_image,
            volume_driver: p.volume_driver,
        })
    }
    fn into_proto(self) -> Result<p::DockerInfo, ConvertError> {
        Ok(p::DockerInfo {
            image: self.image,
            network: enum_into(self.network),
            port_mappings: into_vec(self.port_mappings, "port_mappings")?,
            privileged: self.privileged,
            parameters: into_vec(self.parameters, "parameters")?,
            force_pull_image: self.force_pull_image,
            volume_driver: self.volume_driver,
        })
    }
}

/// `csi_volume` and `host_path.mount_propagation` are converted through their JSON form.
impl ProtoConvert for t::container::VolumeSource {
    type Proto = p::VolumeSource;
    fn from_proto(p: p::VolumeSource) -> Result<Self, ConvertError> {
        use t::container as c;
        Ok(Self {
            r#type: enum_from(p.r#type),
            docker_volume: p.docker_volume.map(|d| c::DockerVolume {
                driver: d.driver,
                name: d.name,
                driver_options: d.driver_options.map(|o| c::Parameters {
                    parameter: o
                        .parameter
                        .into_iter()
                        .map(|x| c::Parameter {
                            key: x.key,
                            value: x.value,
                        })
                        .collect(),
                }),
            }),
            host_path: p
                .host_path
                .map(|h| {
                    Ok::<_, ConvertError>(c::HostPath {
                        path: h.path,
                        mount_propagation: json_from(
                            &tables::MOUNT_PROPAGATION,
                            h.mount_propagation,
                            "mount_propagation",
                        )?,
                    })
                })
                .transpose()
                .map_err(|e| e.at("host_path"))?,
            sandbox_path: p.sandbox_path.map(|s| c::SandboxPath {
                r#type: enum_from(s.r#type),
                path: s.path,
            }),
            secret: from_opt(p.secret, "secret")?,
            csi_volume: json_from(&tables::CSI_VOLUME, p.csi_volume, "csi_volume")?,
        })
    }
    fn into_proto(self) -> Result<p::VolumeSource, ConvertError> {
        Ok(p::VolumeSource {
            r#type: enum_into(self.r#type),
            docker_volume: self.docker_volume.map(|d| p::DockerVolume {
                driver: d.driver,
                name: d.name,
                driver_options: d.driver_options.map(|o| p::Parameters {
                    parameter: o
                        .parameter
                        .into_iter()
                        .map(|x| p::Parameter {
                            key: x.key,
                            value: x.value,
                        })
                        .collect(),
                }),
            }),
            host_path: self
                .host_path
                .map(|h| {
                    Ok::<_, ConvertError>(p::HostPath {
                        path: h.path,
                        mount_propagation: json_into(
                            &tables::MOUNT_PROPAGATION,
                            h.mount_propagation,
                            "mount_propagation",
                        )?,
                    })
                })
                .transpose()
                .map_err(|e| e.at("host_path"))?,
            sandbox_path: self.sandbox_path.map(|s| p::SandboxPath {
                r#type: enum_into(s.r#type),
                path: s.path,
            }),
            secret: into_opt(self.secret, "secret")?,
            csi_volume: json_into(&tables::CSI_VOLUME, self.csi_volume, "csi_volume")?,
        })
    }
}

/// `image` is converted through its JSON form.
impl ProtoConvert for t::container::Volume {
    type Proto = p::Volume;
    fn from_proto(p: p::Volume) -> Result<Self, ConvertError> {
        Ok(Self {
            mode: WireEnum::required(p.mode, "mode")?,
            container_path: p.container_path,
            host_path: p.host_path,
            image: json_from(&tables::IMAGE, p.image, "image")?,
            source: from_opt(p.source, "source")?,
        })
    }
    fn into_proto(self) -> Result<p::Volume, ConvertError> {
        Ok(p::Volume {
            mode: self.mode.number(),
            container_path: self.container_path,
            host_path: self.host_path,
            image: json_into(&tables::IMAGE, self.image, "image")?,
            source: into_opt(self.source, "source")?,
        })
    }
}

impl ProtoConvert for t::container::IpAddress {
    type Proto = p::IpAddress;
    fn from_proto(p: p::IpAddress) -> Result<Self, ConvertError> {
        Ok(Self {
            protocol: enum_from(p.protocol),
            ip_address: p.ip_address,
        })
    }
    fn into_proto(self) -> Result<p::IpAddress, ConvertError> {
        Ok(p::IpAddress {
            protocol: enum_into(self.protocol),
            ip_address: self.ip_address,
        })
    }
}

impl ProtoConvert for t::container::NetworkInfo {
    type Proto = p::NetworkInfo;
    fn from_proto(p: p::NetworkInfo) -> Result<Self, ConvertError> {
        Ok(Self {
            ip_addresses: from_vec(p.ip_addresses, "ip_addresses")?,
            name: p.name,
            groups: p.groups,
            labels: from_opt(p.labels, "labels")?,
            port_mappings: from_vec(p.port_mappings, "port_mappings")?,
        })
    }
    fn into_proto(self) -> Result<p::NetworkInfo, ConvertError> {
        Ok(p::NetworkInfo {
            ip_addresses: into_vec(self.ip_addresses, "ip_addresses")?,
            name: self.name,
            groups: self.groups,
            labels: into_opt(self.labels, "labels")?,
            port_mappings: into_vec(self.port_mappings, "port_mappings")?,
        })
    }
}

/// `mesos`, `linux_info`, `rlimit_info` and `tty_info` are converted through their JSON
/// form.
impl ProtoConvert for t::container::ContainerInfo {
    type Proto = p::ContainerInfo;
    fn from_proto(p: p::ContainerInfo) -> Result<Self, ConvertError> {
        Ok(Self {
            r#type: WireEnum::required(p.r#type, "type")?,
            volumes: from_vec(p.volumes, "volumes")?,
            hostname: p.hostname,
            docker: from_opt(p.docker, "docker")?,
            mesos: json_from(&tables::MESOS_INFO, p.mesos, "mesos")?,
            network_infos: from_vec(p.network_infos, "network_infos")?,
            linux_info: json_from(&tables::LINUX_INFO, p.linux_info, "linux_info")?,
            rlimit_info: json_from(&tables::RLIMIT_INFO, p.rlimit_info, "rlimit_info")?,
            tty_info: json_from(&tables::TTY_INFO, p.tty_info, "tty_info")?,
        })
    }
    fn into_proto(self) -> Result<p::ContainerInfo, ConvertError> {
        Ok(p::ContainerInfo {
            r#type: self.r#type.number(),
            volumes: into_vec(self.volumes, "volumes")?,
            hostname: self.hostname,
            docker: into_opt(self.docker, "docker")?,
            mesos: json_into(&tables::MESOS_INFO, self.mesos, "mesos")?,
            network_infos: into_vec(self.network_infos, "network_infos")?,
            linux_info: json_into(&tables::LINUX_INFO, self.linux_info, "linux_info")?,
            rlimit_info: json_into(&tables::RLIMIT_INFO, self.rlimit_info, "rlimit_info")?,
            tty_info: json_into(&tables::TTY_INFO, self.tty_info, "tty_info")?,
        })
    }
}

// ----------------------------------------------------------------------- health.rs types

impl ProtoConvert for t::health::HealthCheck {
    type Proto = p::HealthCheck;
    fn from_proto(p: p::HealthCheck) -> Result<Self, ConvertError> {
        use t::health as h;
        Ok(Self {
            delay_seconds: p.delay_seconds,
            interval_seconds: p.interval_seconds,
            timeout_seconds: p.timeout_seconds,
            consecutive_failures: p.consecutive_failures,
            grace_period_seconds: p.grace_period_seconds,
            r#type: enum_from(p.r#type),
            command: from_opt(p.command, "command")?,
            http: p.http.map(|x| h::HttpCheckInfo {
                protocol: enum_from(x.protocol),
                scheme: x.scheme,
                port: x.port,
                path: x.path,
                statuses: x.statuses,
            }),
            tcp: p.tcp.map(|x| h::TcpCheckInfo {
                protocol: enum_from(x.protocol),
                port: x.port,
            }),
        })
    }
    fn into_proto(self) -> Result<p::HealthCheck, ConvertError> {
        Ok(p::HealthCheck {
            delay_seconds: self.delay_seconds,
            interval_seconds: self.interval_seconds,
            timeout_seconds: self.timeout_seconds,
            consecutive_failures: self.consecutive_failures,
            grace_period_seconds: self.grace_period_seconds,
            r#type: enum_into(self.r#type),
            command: into_opt(self.command, "command")?,
            http: self.http.map(|x| p::HttpCheckInfo {
                protocol: enum_into(x.protocol),
                scheme: x.scheme,
                port: x.port,
                path: x.path,
                statuses: x.statuses,
            }),
            tcp: self.tcp.map(|x| p::TcpCheckInfo {
                protocol: enum_into(x.protocol),
                port: x.port,
            }),
        })
    }
}

impl ProtoConvert for t::health::CheckInfo {
    type Proto = p::CheckInfo;
    fn from_proto(p: p::CheckInfo) -> Result<Self, ConvertError> {
        use t::health as h;
        Ok(Self {
            r#type: enum_from(p.r#type),
            command: p
                .command
                .map(|c| {
                    Ok::<_, ConvertError>(h::CheckCommand {
                        command: from_req(c.command, "command")?,
                    })
                })
                .transpose()
                .map_err(|e| e.at("command"))?,
            http: p.http.map(|x| h::CheckHttp {
                port: x.port,
                path: x.path,
            }),
            tcp: p.tcp.map(|x| h::CheckTcp { port: x.port }),
            delay_seconds: p.delay_seconds,
            interval_seconds: p.interval_seconds,
            timeout_seconds: p.timeout_seconds,
        })
    }
    fn into_proto(self) -> Result<p::CheckInfo, ConvertError> {
        Ok(p::CheckInfo {
            r#type: enum_into(self.r#type),
            command: self
                .command
                .map(|c| {
                    Ok::<_, ConvertError>(p::CheckCommand {
                        command: into_req(c.command, "command")?,
                    })
                })
                .transpose()
                .map_err(|e| e.at("command"))?,
            http: self.http.map(|x| p::CheckHttp {
                port: x.port,
                path: x.path,
            }),
            tcp: self.tcp.map(|x| p::CheckTcp { port: x.port }),
            delay_seconds: self.delay_seconds,
            interval_seconds: self.interval_seconds,
            timeout_seconds: self.timeout_seconds,
        })
    }
}

impl ProtoConvert for t::health::CheckStatusInfo {
    type Proto = p::CheckStatusInfo;
    fn from_proto(p: p::CheckStatusInfo) -> Result<Self, ConvertError> {
        use t::health as h;
        Ok(Self {
            r#type: enum_from(p.r#type),
            command: p.command.map(|c| h::CheckStatusCommand {
                exit_code: c.exit_code,
            }),
            http: p.http.map(|c| h::CheckStatusHttp {
                status_code: c.status_code,
            }),
            tcp: p.tcp.map(|c| h::CheckStatusTcp {
                succeeded: c.succeeded,
            }),
        })
    }
    fn into_proto(self) -> Result<p::CheckStatusInfo, ConvertError> {
        Ok(p::CheckStatusInfo {
            r#type: enum_into(self.r#type),
            command: self.command.map(|c| p::CheckStatusCommand {
                exit_code: c.exit_code,
            }),
            http: self.http.map(|c| p::CheckStatusHttp {
                status_code: c.status_code,
            }),
            tcp: self.tcp.map(|c| p::CheckStatusTcp {
                succeeded: c.succeeded,
            }),
        })
    }
}

// ----------------------------------------------------------------------- status.rs types

/// `cgroup_info` is converted through its JSON form.
impl ProtoConvert for t::status::ContainerStatus {
    type Proto = p::ContainerStatus;
    fn from_proto(p: p::ContainerStatus) -> Result<Self, ConvertError> {
        Ok(Self {
            container_id: from_opt(p.container_id, "container_id")?,
            network_infos: from_vec(p.network_infos, "network_infos")?,
            cgroup_info: json_from(&tables::CGROUP_INFO, p.cgroup_info, "cgroup_info")?,
            executor_pid: p.executor_pid,
        })
    }
    fn into_proto(self) -> Result<p::ContainerStatus, ConvertError> {
        Ok(p::ContainerStatus {
            container_id: into_opt(self.container_id, "container_id")?,
            network_infos: into_vec(self.network_infos, "network_infos")?,
            cgroup_info: json_into(&tables::CGROUP_INFO, self.cgroup_info, "cgroup_info")?,
            executor_pid: self.executor_pid,
        })
    }
}

/// `limitation` is converted through its JSON form. An unknown `state` number is an error;
/// unknown `source` and `reason` numbers read as unset.
impl ProtoConvert for t::status::TaskStatus {
    type Proto = p::TaskStatus;
    fn from_proto(p: p::TaskStatus) -> Result<Self, ConvertError> {
        Ok(Self {
            task_id: from_req(p.task_id, "task_id")?,
            state: WireEnum::required(p.state, "state")?,
            message: p.message,
            source: enum_from(p.source),
            reason: enum_from(p.reason),
            data: p.data,
            agent_id: from_opt(p.agent_id, "agent_id")?,
            executor_id: from_opt(p.executor_id, "executor_id")?,
            timestamp: p.timestamp,
            uuid: p.uuid,
            healthy: p.healthy,
            check_status: from_opt(p.check_status, "check_status")?,
            labels: from_opt(p.labels, "labels")?,
            container_status: from_opt(p.container_status, "container_status")?,
            unreachable_time: from_opt(p.unreachable_time, "unreachable_time")?,
            limitation: json_from(
                &tables::TASK_RESOURCE_LIMITATION,
                p.limitation,
                "limitation",
            )?,
        })
    }
    fn into_proto(self) -> Result<p::TaskStatus, ConvertError> {
        Ok(p::TaskStatus {
            task_id: into_req(self.task_id, "task_id")?,
            state: self.state.number(),
            message: self.message,
            source: enum_into(self.source),
            reason: enum_into(self.reason),
            data: self.data,
            agent_id: into_opt(self.agent_id, "agent_id")?,
            executor_id: into_opt(self.executor_id, "executor_id")?,
            timestamp: self.timestamp,
            uuid: self.uuid,
            healthy: self.healthy,
            check_status: into_opt(self.check_status, "check_status")?,
            labels: into_opt(self.labels, "labels")?,
            container_status: into_opt(self.container_status, "container_status")?,
            unreachable_time: into_opt(self.unreachable_time, "unreachable_time")?,
            limitation: json_into(
                &tables::TASK_RESOURCE_LIMITATION,
                self.limitation,
                "limitation",
            )?,
        })
    }
}

/// The `mesos.TaskState` number of `state`.
pub fn task_state_number(state: t::status::TaskState) -> i32 {
    state.number()
}

/// The state numbered `n`, if this build knows it.
pub fn task_state_from_number(n: i32) -> Option<t::status::TaskState> {
    t::status::TaskState::from_number(n)
}
