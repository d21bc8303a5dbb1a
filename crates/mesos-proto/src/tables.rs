//! The message descriptions of Mesos 1.11's `.proto` files (see [`crate::schema`]): field
//! numbers, names, types and labels as facts. Names are the v1 ones (`agent_id`,
//! `SOURCE_AGENT`), the form `mesos_types` writes; the `mesos.internal` messages keep their
//! v0 names (`slave_id`).

use crate::schema::Kind::{Bool, Bytes, Enum, Msg, Str, F64, I32, I64, U32, U64};
use crate::schema::{map, opt, rep, req, EnumValues, Schema};

macro_rules! schema {
    ($(#[$doc:meta])* $static:ident = $name:literal { $($field:expr),* $(,)? }) => {
        $(#[$doc])*
        pub(crate) static $static: Schema = Schema {
            name: $name,
            fields: &[$($field),*],
        };
    };
}

// ------------------------------------------------------------------------------- enums

pub(crate) const SECRET_TYPE: EnumValues = &[("UNKNOWN", 0), ("REFERENCE", 1), ("VALUE", 2)];
pub(crate) const VARIABLE_TYPE: EnumValues = &[("UNKNOWN", 0), ("VALUE", 1), ("SECRET", 2)];
pub(crate) const VALUE_TYPE: EnumValues = &[("SCALAR", 0), ("RANGES", 1), ("SET", 2), ("TEXT", 3)];
pub(crate) const RESERVATION_TYPE: EnumValues = &[("UNKNOWN", 0), ("STATIC", 1), ("DYNAMIC", 2)];
const DISK_SOURCE_TYPE: EnumValues = &[
    ("UNKNOWN", 0),
    ("PATH", 1),
    ("MOUNT", 2),
    ("BLOCK", 3),
    ("RAW", 4),
];
pub(crate) const CONTAINER_TYPE: EnumValues = &[("DOCKER", 1), ("MESOS", 2)];
pub(crate) const DOCKER_NETWORK: EnumValues =
    &[("HOST", 1), ("BRIDGE", 2), ("NONE", 3), ("USER", 4)];
const IMAGE_TYPE: EnumValues = &[("APPC", 1), ("DOCKER", 2)];
const MOUNT_PROPAGATION_MODE: EnumValues = &[
    ("UNKNOWN", 0),
    ("HOST_TO_CONTAINER", 1),
    ("BIDIRECTIONAL", 2),
];
pub(crate) const VOLUME_MODE: EnumValues = &[("RW", 1), ("RO", 2)];
pub(crate) const VOLUME_SOURCE_TYPE: EnumValues = &[
    ("UNKNOWN", 0),
    ("DOCKER_VOLUME", 1),
    ("HOST_PATH", 4),
    ("SANDBOX_PATH", 2),
    ("SECRET", 3),
    ("CSI_VOLUME", 5),
];
pub(crate) const SANDBOX_PATH_TYPE: EnumValues = &[("UNKNOWN", 0), ("SELF", 1), ("PARENT", 2)];
const ACCESS_MODE: EnumValues = &[
    ("UNKNOWN", 0),
    ("SINGLE_NODE_WRITER", 1),
    ("SINGLE_NODE_READER_ONLY", 2),
    ("MULTI_NODE_READER_ONLY", 3),
    ("MULTI_NODE_SINGLE_WRITER", 4),
    ("MULTI_NODE_MULTI_WRITER", 5),
];
pub(crate) const IP_PROTOCOL: EnumValues = &[("IPv4", 1), ("IPv6", 2)];
const CAPABILITY: EnumValues = &[
    ("UNKNOWN", 0),
    ("CHOWN", 1000),
    ("DAC_OVERRIDE", 1001),
    ("DAC_READ_SEARCH", 1002),
    ("FOWNER", 1003),
    ("FSETID", 1004),
    ("KILL", 1005),
    ("SETGID", 1006),
    ("SETUID", 1007),
    ("SETPCAP", 1008),
    ("LINUX_IMMUTABLE", 1009),
    ("NET_BIND_SERVICE", 1010),
    ("NET_BROADCAST", 1011),
    ("NET_ADMIN", 1012),
    ("NET_RAW", 1013),
    ("IPC_LOCK", 1014),
    ("IPC_OWNER", 1015),
    ("SYS_MODULE", 1016),
    ("SYS_RAWIO", 1017),
    ("SYS_CHROOT", 1018),
    ("SYS_PTRACE", 1019),
    ("SYS_PACCT", 1020),
    ("SYS_ADMIN", 1021),
    ("SYS_BOOT", 1022),
    ("SYS_NICE", 1023),
    ("SYS_RESOURCE", 1024),
    ("SYS_TIME", 1025),
    ("SYS_TTY_CONFIG", 1026),
    ("MKNOD", 1027),
    ("LEASE", 1028),
    ("AUDIT_WRITE", 1029),
    ("AUDIT_CONTROL", 1030),
    ("SETFCAP", 1031),
    ("MAC_OVERRIDE", 1032),
    ("MAC_ADMIN", 1033),
    ("SYSLOG", 1034),
    ("WAKE_ALARM", 1035),
    ("BLOCK_SUSPEND", 1036),
    ("AUDIT_READ", 1037),
    ("PERFMON", 1038),
    ("BPF", 1039),
    ("CHECKPOINT_RESTORE", 1040),
];
const IPC_MODE: EnumValues = &[("UNKNOWN", 0), ("PRIVATE", 1), ("SHARE_PARENT", 2)];
const RLIMIT_TYPE: EnumValues = &[
    ("UNKNOWN", 0),
    ("RLMT_AS", 1),
    ("RLMT_CORE", 2),
    ("RLMT_CPU", 3),
    ("RLMT_DATA", 4),
    ("RLMT_FSIZE", 5),
    ("RLMT_LOCKS", 6),
    ("RLMT_MEMLOCK", 7),
    ("RLMT_MSGQUEUE", 8),
    ("RLMT_NICE", 9),
    ("RLMT_NOFILE", 10),
    ("RLMT_NPROC", 11),
    ("RLMT_RSS", 12),
    ("RLMT_RTPRIO", 13),
    ("RLMT_RTTIME", 14),
    ("RLMT_SIGPENDING", 15),
    ("RLMT_STACK", 16),
];
pub(crate) const CHECK_TYPE: EnumValues =
    &[("UNKNOWN", 0), ("COMMAND", 1), ("HTTP", 2), ("TCP", 3)];
const VISIBILITY: EnumValues = &[("FRAMEWORK", 0), ("CLUSTER", 1), ("EXTERNAL", 2)];
pub(crate) const EXECUTOR_TYPE: EnumValues = &[("UNKNOWN", 0), ("DEFAULT", 1), ("CUSTOM", 2)];
pub(crate) const FRAMEWORK_CAPABILITY: EnumValues = &[
    ("UNKNOWN", 0),
    ("REVOCABLE_RESOURCES", 1),
    ("TASK_KILLING_STATE", 2),
    ("GPU_RESOURCES", 3),
    ("SHARED_RESOURCES", 4),
    ("PARTITION_AWARE", 5),
    ("MULTI_ROLE", 6),
    ("RESERVATION_REFINEMENT", 7),
    ("REGION_AWARE", 8),
];
pub(crate) const TASK_STATE: EnumValues = &[
    ("TASK_STAGING", 6),
    ("TASK_STARTING", 0),
    ("TASK_RUNNING", 1),
    ("TASK_KILLING", 8),
    ("TASK_FINISHED", 2),
    ("TASK_FAILED", 3),
    ("TASK_KILLED", 4),
    ("TASK_ERROR", 7),
    ("TASK_LOST", 5),
    ("TASK_DROPPED", 9),
    ("TASK_UNREACHABLE", 10),
    ("TASK_GONE", 11),
    ("TASK_GONE_BY_OPERATOR", 12),
    ("TASK_UNKNOWN", 13),
];
pub(crate) const SOURCE: EnumValues = &[
    ("SOURCE_MASTER", 0),
    ("SOURCE_AGENT", 1),
    ("SOURCE_EXECUTOR", 2),
];
pub(crate) const REASON: EnumValues = &[
    ("REASON_COMMAND_EXECUTOR_FAILED", 0),
    ("REASON_CONTAINER_LAUNCH_FAILED", 21),
    ("REASON_CONTAINER_LIMITATION", 19),
    ("REASON_CONTAINER_LIMITATION_DISK", 20),
    ("REASON_CONTAINER_LIMITATION_MEMORY", 8),
    ("REASON_CONTAINER_PREEMPTED", 17),
    ("REASON_CONTAINER_UPDATE_FAILED", 22),
    ("REASON_MAX_COMPLETION_TIME_REACHED", 33),
    ("REASON_EXECUTOR_REGISTRATION_TIMEOUT", 23),
    ("REASON_EXECUTOR_REREGISTRATION_TIMEOUT", 24),
    ("REASON_EXECUTOR_TERMINATED", 1),
    ("REASON_EXECUTOR_UNREGISTERED", 2),
    ("REASON_FRAMEWORK_REMOVED", 3),
    ("REASON_GC_ERROR", 4),
    ("REASON_INVALID_FRAMEWORKID", 5),
    ("REASON_INVALID_OFFERS", 6),
    ("REASON_IO_SWITCHBOARD_EXITED", 27),
    ("REASON_MASTER_DISCONNECTED", 7),
    ("REASON_RECONCILIATION", 9),
    ("REASON_RESOURCES_UNKNOWN", 18),
    ("REASON_AGENT_DISCONNECTED", 10),
    ("REASON_AGENT_DRAINING", 34),
    ("REASON_AGENT_REMOVED", 11),
    ("REASON_AGENT_REMOVED_BY_OPERATOR", 31),
    ("REASON_AGENT_REREGISTERED", 32),
    ("REASON_AGENT_RESTARTED", 12),
    ("REASON_AGENT_UNKNOWN", 13),
    ("REASON_TASK_KILLED_DURING_LAUNCH", 30),
    ("REASON_TASK_CHECK_STATUS_UPDATED", 28),
    ("REASON_TASK_HEALTH_CHECK_STATUS_UPDATED", 29),
    ("REASON_TASK_GROUP_INVALID", 25),
    ("REASON_TASK_GROUP_UNAUTHORIZED", 26),
    ("REASON_TASK_INVALID", 14),
    ("REASON_TASK_UNAUTHORIZED", 15),
    ("REASON_TASK_UNKNOWN", 16),
];
pub(crate) const CALL_TYPE: EnumValues = &[
    ("UNKNOWN", 0),
    ("SUBSCRIBE", 1),
    ("UPDATE", 2),
    ("MESSAGE", 3),
    ("HEARTBEAT", 4),
];
pub(crate) const EVENT_TYPE: EnumValues = &[
    ("UNKNOWN", 0),
    ("SUBSCRIBED", 1),
    ("LAUNCH", 2),
    ("LAUNCH_GROUP", 8),
    ("KILL", 3),
    ("ACKNOWLEDGED", 4),
    ("MESSAGE", 5),
    ("ERROR", 6),
    ("SHUTDOWN", 7),
    ("HEARTBEAT", 9),
];

// ---------------------------------------------------------------------- mesos.* messages

schema!(
    /// Every `mesos.*ID` but `ContainerID`: `FrameworkID`, `SlaveID`/`AgentID`, `TaskID`,
    /// `ExecutorID`, `ResourceProviderID`.
    ID = "mesos.ID" { req(1, "value", Str) }
);
schema!(CONTAINER_ID = "mesos.ContainerID" {
    req(1, "value", Str),
    opt(2, "parent", Msg(&CONTAINER_ID)),
});
schema!(
    /// `TimeInfo` and `DurationInfo`.
    NANOS = "mesos.DurationInfo" { req(1, "nanoseconds", I64) }
);
schema!(UUID = "mesos.UUID" { req(1, "value", Bytes) });
schema!(LABEL = "mesos.Label" { req(1, "key", Str), opt(2, "value", Str) });
schema!(LABELS = "mesos.Labels" { rep(1, "labels", Msg(&LABEL)) });
schema!(PARAMETER = "mesos.Parameter" { req(1, "key", Str), req(2, "value", Str) });
schema!(PARAMETERS = "mesos.Parameters" { rep(1, "parameter", Msg(&PARAMETER)) });
schema!(SECRET_REFERENCE = "mesos.Secret.Reference" {
    req(1, "name", Str),
    opt(2, "key", Str),
});
schema!(SECRET_VALUE = "mesos.Secret.Value" { req(1, "data", Bytes) });
schema!(SECRET = "mesos.Secret" {
    opt(1, "type", Enum(SECRET_TYPE)),
    opt(2, "reference", Msg(&SECRET_REFERENCE)),
    opt(3, "value", Msg(&SECRET_VALUE)),
});
schema!(VARIABLE = "mesos.Environment.Variable" {
    req(1, "name", Str),
    opt(3, "type", Enum(VARIABLE_TYPE)),
    opt(2, "value", Str),
    opt(4, "secret", Msg(&SECRET)),
});
schema!(ENVIRONMENT = "mesos.Environment" { rep(1, "variables", Msg(&VARIABLE)) });
schema!(URI = "mesos.CommandInfo.URI" {
    req(1, "value", Str),
    opt(2, "executable", Bool),
    opt(3, "extract", Bool),
    opt(4, "cache", Bool),
    opt(5, "output_file", Str),
});
schema!(COMMAND_INFO = "mesos.CommandInfo" {
    rep(1, "uris", Msg(&URI)),
    opt(2, "environment", Msg(&ENVIRONMENT)),
    opt(6, "shell", Bool),
    opt(3, "value", Str),
    rep(7, "arguments", Str),
    opt(5, "user", Str),
});
schema!(KILL_POLICY = "mesos.KillPolicy" { opt(1, "grace_period", Msg(&NANOS)) });
schema!(SCALAR = "mesos.Value.Scalar" { req(1, "value", F64) });
schema!(RANGE = "mesos.Value.Range" { req(1, "begin", U64), req(2, "end", U64) });
schema!(RANGES = "mesos.Value.Ranges" { rep(1, "range", Msg(&RANGE)) });
schema!(SET = "mesos.Value.Set" { rep(1, "item", Str) });
schema!(TEXT = "mesos.Value.Text" { req(1, "value", Str) });
schema!(ALLOCATION_INFO = "mesos.Resource.AllocationInfo" { opt(1, "role", Str) });
schema!(RESERVATION_INFO = "mesos.Resource.ReservationInfo" {
    opt(4, "type", Enum(RESERVATION_TYPE)),
    opt(3, "role", Str),
    opt(1, "principal", Str),
    opt(2, "labels", Msg(&LABELS)),
});
schema!(
    /// Messages without fields (`RevocableInfo`, `SharedInfo`, `BlockVolume`).
    EMPTY = "mesos.Empty" {}
);
schema!(PERSISTENCE = "mesos.Resource.DiskInfo.Persistence" {
    req(1, "id", Str),
    opt(2, "principal", Str),
});
schema!(
    /// `DiskInfo.Source.Path` and `DiskInfo.Source.Mount`.
    ROOT = "mesos.Resource.DiskInfo.Source.Path" { opt(1, "root", Str) }
);
schema!(DISK_SOURCE = "mesos.Resource.DiskInfo.Source" {
    req(1, "type", Enum(DISK_SOURCE_TYPE)),
    opt(2, "path", Msg(&ROOT)),
    opt(3, "mount", Msg(&ROOT)),
    opt(7, "vendor", Str),
    opt(4, "id", Str),
    opt(5, "metadata", Msg(&LABELS)),
    opt(6, "profile", Str),
});
schema!(DISK_INFO = "mesos.Resource.DiskInfo" {
    opt(1, "persistence", Msg(&PERSISTENCE)),
    opt(2, "volume", Msg(&VOLUME)),
    opt(3, "source", Msg(&DISK_SOURCE)),
});
schema!(RESOURCE = "mesos.Resource" {
    opt(12, "provider_id", Msg(&ID)),
    req(1, "name", Str),
    req(2, "type", Enum(VALUE_TYPE)),
    opt(3, "scalar", Msg(&SCALAR)),
    opt(4, "ranges", Msg(&RANGES)),
    opt(5, "set", Msg(&SET)),
    opt(6, "role", Str),
    opt(11, "allocation_info", Msg(&ALLOCATION_INFO)),
    opt(8, "reservation", Msg(&RESERVATION_INFO)),
    rep(13, "reservations", Msg(&RESERVATION_INFO)),
    opt(7, "disk", Msg(&DISK_INFO)),
    opt(9, "revocable", Msg(&EMPTY)),
    opt(10, "shared", Msg(&EMPTY)),
});
schema!(ATTRIBUTE = "mesos.Attribute" {
    req(1, "name", Str),
    req(2, "type", Enum(VALUE_TYPE)),
    opt(3, "scalar", Msg(&SCALAR)),
    opt(4, "ranges", Msg(&RANGES)),
    opt(6, "set", Msg(&SET)),
    opt(5, "text", Msg(&TEXT)),
});
schema!(PORT_MAPPING = "mesos.ContainerInfo.DockerInfo.PortMapping" {
    req(1, "host_port", U32),
    req(2, "container_port", U32),
    opt(3, "protocol", Str),
});
schema!(DOCKER_INFO = "mesos.ContainerInfo.DockerInfo" {
    req(1, "image", Str),
    opt(2, "network", Enum(DOCKER_NETWORK)),
    rep(3, "port_mappings", Msg(&PORT_MAPPING)),
    opt(4, "privileged", Bool),
    rep(5, "parameters", Msg(&PARAMETER)),
    opt(6, "force_pull_image", Bool),
    opt(7, "volume_driver", Str),
});
schema!(CREDENTIAL = "mesos.Credential" { req(1, "principal", Str), opt(2, "secret", Str) });
schema!(APPC = "mesos.Image.Appc" {
    req(1, "name", Str),
    opt(2, "id", Str),
    opt(3, "labels", Msg(&LABELS)),
});
schema!(IMAGE_DOCKER = "mesos.Image.Docker" {
    req(1, "name", Str),
    opt(2, "credential", Msg(&CREDENTIAL)),
    opt(3, "config", Msg(&SECRET)),
});
schema!(IMAGE = "mesos.Image" {
    req(1, "type", Enum(IMAGE_TYPE)),
    opt(2, "appc", Msg(&APPC)),
    opt(3, "docker", Msg(&IMAGE_DOCKER)),
    opt(4, "cached", Bool),
});
schema!(MESOS_INFO = "mesos.ContainerInfo.MesosInfo" { opt(1, "image", Msg(&IMAGE)) });
schema!(MOUNT_PROPAGATION = "mesos.MountPropagation" {
    opt(1, "mode", Enum(MOUNT_PROPAGATION_MODE)),
});
schema!(DOCKER_VOLUME = "mesos.Volume.Source.DockerVolume" {
    opt(1, "driver", Str),
    req(2, "name", Str),
    opt(3, "driver_options", Msg(&PARAMETERS)),
});
schema!(HOST_PATH = "mesos.Volume.Source.HostPath" {
    req(1, "path", Str),
    opt(2, "mount_propagation", Msg(&MOUNT_PROPAGATION)),
});
schema!(SANDBOX_PATH = "mesos.Volume.Source.SandboxPath" {
    opt(1, "type", Enum(SANDBOX_PATH_TYPE)),
    req(2, "path", Str),
});
schema!(MOUNT_VOLUME = "mesos.Volume.Source.CSIVolume.VolumeCapability.MountVolume" {
    opt(1, "fs_type", Str),
    rep(2, "mount_flags", Str),
});
schema!(ACCESS_MODE_MSG = "mesos.Volume.Source.CSIVolume.VolumeCapability.AccessMode" {
    req(1, "mode", Enum(ACCESS_MODE)),
});
schema!(VOLUME_CAPABILITY = "mesos.Volume.Source.CSIVolume.VolumeCapability" {
    opt(1, "block", Msg(&EMPTY)),
    opt(2, "mount", Msg(&MOUNT_VOLUME)),
    req(3, "access_mode", Msg(&ACCESS_MODE_MSG)),
});
schema!(SECRET_ENTRY = "map<string, mesos.Secret>" {
    opt(1, "key", Str),
    opt(2, "value", Msg(&SECRET)),
});
schema!(STRING_ENTRY = "map<string, string>" { opt(1, "key", Str), opt(2, "value", Str) });
schema!(STATIC_PROVISIONING = "mesos.Volume.Source.CSIVolume.StaticProvisioning" {
    req(1, "volume_id", Str),
    req(2, "volume_capability", Msg(&VOLUME_CAPABILITY)),
    map(3, "node_stage_secrets", &SECRET_ENTRY),
    map(4, "node_publish_secrets", &SECRET_ENTRY),
    map(5, "volume_context", &STRING_ENTRY),
});
schema!(CSI_VOLUME = "mesos.Volume.Source.CSIVolume" {
    req(1, "plugin_name", Str),
    opt(2, "static_provisioning", Msg(&STATIC_PROVISIONING)),
});
schema!(VOLUME_SOURCE = "mesos.Volume.Source" {
    opt(1, "type", Enum(VOLUME_SOURCE_TYPE)),
    opt(2, "docker_volume", Msg(&DOCKER_VOLUME)),
    opt(5, "host_path", Msg(&HOST_PATH)),
    opt(3, "sandbox_path", Msg(&SANDBOX_PATH)),
    opt(4, "secret", Msg(&SECRET)),
    opt(6, "csi_volume", Msg(&CSI_VOLUME)),
});
schema!(VOLUME = "mesos.Volume" {
    req(3, "mode", Enum(VOLUME_MODE)),
    req(1, "container_path", Str),
    opt(2, "host_path", Str),
    opt(4, "image", Msg(&IMAGE)),
    opt(5, "source", Msg(&VOLUME_SOURCE)),
});
schema!(IP_ADDRESS = "mesos.NetworkInfo.IPAddress" {
    opt(1, "protocol", Enum(IP_PROTOCOL)),
    opt(2, "ip_address", Str),
});
schema!(NETWORK_INFO = "mesos.NetworkInfo" {
    rep(5, "ip_addresses", Msg(&IP_ADDRESS)),
    opt(6, "name", Str),
    rep(3, "groups", Str),
    opt(4, "labels", Msg(&LABELS)),
    rep(7, "port_mappings", Msg(&PORT_MAPPING)),
});
schema!(CAPABILITY_INFO = "mesos.CapabilityInfo" { rep(1, "capabilities", Enum(CAPABILITY)) });
schema!(SECCOMP_INFO = "mesos.SeccompInfo" {
    opt(1, "profile_name", Str),
    opt(2, "unconfined", Bool),
});
schema!(LINUX_INFO = "mesos.LinuxInfo" {
    opt(1, "capability_info", Msg(&CAPABILITY_INFO)),
    opt(2, "bounding_capabilities", Msg(&CAPABILITY_INFO)),
    opt(3, "effective_capabilities", Msg(&CAPABILITY_INFO)),
    opt(4, "share_pid_namespace", Bool),
    opt(5, "seccomp", Msg(&SECCOMP_INFO)),
    opt(6, "ipc_mode", Enum(IPC_MODE)),
    opt(7, "shm_size", U32),
    opt(8, "share_cgroups", Bool),
});
schema!(RLIMIT = "mesos.RLimitInfo.RLimit" {
    opt(1, "type", Enum(RLIMIT_TYPE)),
    opt(2, "hard", U64),
    opt(3, "soft", U64),
});
schema!(RLIMIT_INFO = "mesos.RLimitInfo" { rep(1, "rlimits", Msg(&RLIMIT)) });
schema!(WINDOW_SIZE = "mesos.TTYInfo.WindowSize" { req(1, "rows", U32), req(2, "columns", U32) });
schema!(TTY_INFO = "mesos.TTYInfo" { opt(1, "window_size", Msg(&WINDOW_SIZE)) });
schema!(CONTAINER_INFO = "mesos.ContainerInfo" {
    req(1, "type", Enum(CONTAINER_TYPE)),
    rep(2, "volumes", Msg(&VOLUME)),
    opt(4, "hostname", Str),
    opt(3, "docker", Msg(&DOCKER_INFO)),
    opt(5, "mesos", Msg(&MESOS_INFO)),
    rep(7, "network_infos", Msg(&NETWORK_INFO)),
    opt(8, "linux_info", Msg(&LINUX_INFO)),
    opt(9, "rlimit_info", Msg(&RLIMIT_INFO)),
    opt(10, "tty_info", Msg(&TTY_INFO)),
});
schema!(HTTP_CHECK_INFO = "mesos.HealthCheck.HTTPCheckInfo" {
    opt(5, "protocol", Enum(IP_PROTOCOL)),
    opt(3, "scheme", Str),
    req(1, "port", U32),
    opt(2, "path", Str),
    rep(4, "statuses", U32),
});
schema!(TCP_CHECK_INFO = "mesos.HealthCheck.TCPCheckInfo" {
    opt(2, "protocol", Enum(IP_PROTOCOL)),
    req(1, "port", U32),
});
schema!(HEALTH_CHECK = "mesos.HealthCheck" {
    opt(2, "delay_seconds", F64),
    opt(3, "interval_seconds", F64),
    opt(4, "timeout_seconds", F64),
    opt(5, "consecutive_failures", U32),
    opt(6, "grace_period_seconds", F64),
    opt(8, "type", Enum(CHECK_TYPE)),
    opt(7, "command", Msg(&COMMAND_INFO)),
    opt(1, "http", Msg(&HTTP_CHECK_INFO)),
    opt(9, "tcp", Msg(&TCP_CHECK_INFO)),
});
schema!(CHECK_COMMAND = "mesos.CheckInfo.Command" { req(1, "command", Msg(&COMMAND_INFO)) });
schema!(CHECK_HTTP = "mesos.CheckInfo.Http" { req(1, "port", U32), opt(2, "path", Str) });
schema!(CHECK_TCP = "mesos.CheckInfo.Tcp" { req(1, "port", U32) });
schema!(CHECK_INFO = "mesos.CheckInfo" {
    opt(1, "type", Enum(CHECK_TYPE)),
    opt(2, "command", Msg(&CHECK_COMMAND)),
    opt(3, "http", Msg(&CHECK_HTTP)),
    opt(7, "tcp", Msg(&CHECK_TCP)),
    opt(4, "delay_seconds", F64),
    opt(5, "interval_seconds", F64),
    opt(6, "timeout_seconds", F64),
});
schema!(CHECK_STATUS_COMMAND = "mesos.CheckStatusInfo.Command" { opt(1, "exit_code", I32) });
schema!(CHECK_STATUS_HTTP = "mesos.CheckStatusInfo.Http" { opt(1, "status_code", U32) });
schema!(CHECK_STATUS_TCP = "mesos.CheckStatusInfo.Tcp" { opt(1, "succeeded", Bool) });
schema!(CHECK_STATUS_INFO = "mesos.CheckStatusInfo" {
    opt(1, "type", Enum(CHECK_TYPE)),
    opt(2, "command", Msg(&CHECK_STATUS_COMMAND)),
    opt(3, "http", Msg(&CHECK_STATUS_HTTP)),
    opt(4, "tcp", Msg(&CHECK_STATUS_TCP)),
});
schema!(PORT = "mesos.Port" {
    req(1, "number", U32),
    opt(2, "name", Str),
    opt(3, "protocol", Str),
    opt(4, "visibility", Enum(VISIBILITY)),
    opt(5, "labels", Msg(&LABELS)),
});
schema!(PORTS = "mesos.Ports" { rep(1, "ports", Msg(&PORT)) });
schema!(DISCOVERY_INFO = "mesos.DiscoveryInfo" {
    req(1, "visibility", Enum(VISIBILITY)),
    opt(2, "name", Str),
    opt(3, "environment", Str),
    opt(4, "location", Str),
    opt(5, "version", Str),
    opt(6, "ports", Msg(&PORTS)),
    opt(7, "labels", Msg(&LABELS)),
});
schema!(EXECUTOR_INFO = "mesos.ExecutorInfo" {
    opt(15, "type", Enum(EXECUTOR_TYPE)),
    req(1, "executor_id", Msg(&ID)),
    opt(8, "framework_id", Msg(&ID)),
    opt(7, "command", Msg(&COMMAND_INFO)),
    opt(11, "container", Msg(&CONTAINER_INFO)),
    rep(5, "resources", Msg(&RESOURCE)),
    opt(9, "name", Str),
    opt(10, "source", Str),
    opt(4, "data", Bytes),
    opt(12, "discovery", Msg(&DISCOVERY_INFO)),
    opt(13, "shutdown_grace_period", Msg(&NANOS)),
    opt(14, "labels", Msg(&LABELS)),
});
schema!(SCALAR_ENTRY = "map<string, mesos.Value.Scalar>" {
    opt(1, "key", Str),
    opt(2, "value", Msg(&SCALAR)),
});
schema!(RESOURCE_QUANTITIES = "mesos.OfferFilters.ResourceQuantities" {
    map(1, "quantities", &SCALAR_ENTRY),
});
schema!(MIN_ALLOCATABLE_RESOURCES = "mesos.OfferFilters.MinAllocatableResources" {
    rep(1, "quantities", Msg(&RESOURCE_QUANTITIES)),
});
schema!(OFFER_FILTERS = "mesos.OfferFilters" {
    opt(1, "min_allocatable_resources", Msg(&MIN_ALLOCATABLE_RESOURCES)),
});
schema!(OFFER_FILTERS_ENTRY = "map<string, mesos.OfferFilters>" {
    opt(1, "key", Str),
    opt(2, "value", Msg(&OFFER_FILTERS)),
});
schema!(FRAMEWORK_CAPABILITY_MSG = "mesos.FrameworkInfo.Capability" {
    opt(1, "type", Enum(FRAMEWORK_CAPABILITY)),
});
schema!(FRAMEWORK_INFO = "mesos.FrameworkInfo" {
    req(1, "user", Str),
    req(2, "name", Str),
    opt(3, "id", Msg(&ID)),
    opt(4, "failover_timeout", F64),
    opt(5, "checkpoint", Bool),
    opt(6, "role", Str),
    rep(12, "roles", Str),
    opt(7, "hostname", Str),
    opt(8, "principal", Str),
    opt(9, "webui_url", Str),
    rep(10, "capabilities", Msg(&FRAMEWORK_CAPABILITY_MSG)),
    opt(11, "labels", Msg(&LABELS)),
    map(13, "offer_filters", &OFFER_FILTERS_ENTRY),
});
schema!(TASK_INFO = "mesos.TaskInfo" {
    req(1, "name", Str),
    req(2, "task_id", Msg(&ID)),
    req(3, "agent_id", Msg(&ID)),
    rep(4, "resources", Msg(&RESOURCE)),
    opt(5, "executor", Msg(&EXECUTOR_INFO)),
    opt(7, "command", Msg(&COMMAND_INFO)),
    opt(9, "container", Msg(&CONTAINER_INFO)),
    opt(8, "health_check", Msg(&HEALTH_CHECK)),
    opt(13, "check", Msg(&CHECK_INFO)),
    opt(12, "kill_policy", Msg(&KILL_POLICY)),
    opt(6, "data", Bytes),
    opt(10, "labels", Msg(&LABELS)),
    opt(11, "discovery", Msg(&DISCOVERY_INFO)),
    opt(14, "max_completion_time", Msg(&NANOS)),
    map(15, "limits", &SCALAR_ENTRY),
});
schema!(TASK_GROUP_INFO = "mesos.TaskGroupInfo" { rep(1, "tasks", Msg(&TASK_INFO)) });
schema!(NET_CLS = "mesos.CgroupInfo.NetCls" { opt(1, "classid", U32) });
schema!(CGROUP_INFO = "mesos.CgroupInfo" { opt(1, "net_cls", Msg(&NET_CLS)) });
schema!(CONTAINER_STATUS = "mesos.ContainerStatus" {
    opt(4, "container_id", Msg(&CONTAINER_ID)),
    rep(1, "network_infos", Msg(&NETWORK_INFO)),
    opt(2, "cgroup_info", Msg(&CGROUP_INFO)),
    opt(3, "executor_pid", U32),
});
schema!(TASK_RESOURCE_LIMITATION = "mesos.TaskResourceLimitation" {
    rep(1, "resources", Msg(&RESOURCE)),
});
schema!(TASK_STATUS = "mesos.TaskStatus" {
    req(1, "task_id", Msg(&ID)),
    req(2, "state", Enum(TASK_STATE)),
    opt(4, "message", Str),
    opt(9, "source", Enum(SOURCE)),
    opt(10, "reason", Enum(REASON)),
    opt(3, "data", Bytes),
    opt(5, "agent_id", Msg(&ID)),
    opt(7, "executor_id", Msg(&ID)),
    opt(6, "timestamp", F64),
    opt(11, "uuid", Bytes),
    opt(8, "healthy", Bool),
    opt(15, "check_status", Msg(&CHECK_STATUS_INFO)),
    opt(12, "labels", Msg(&LABELS)),
    opt(13, "container_status", Msg(&CONTAINER_STATUS)),
    opt(14, "unreachable_time", Msg(&NANOS)),
    opt(16, "limitation", Msg(&TASK_RESOURCE_LIMITATION)),
});
schema!(NAME = "mesos.DomainInfo.FaultDomain.RegionInfo" { req(1, "name", Str) });
schema!(FAULT_DOMAIN = "mesos.DomainInfo.FaultDomain" {
    req(1, "region", Msg(&NAME)),
    req(2, "zone", Msg(&NAME)),
});
schema!(DOMAIN_INFO = "mesos.DomainInfo" { opt(1, "fault_domain", Msg(&FAULT_DOMAIN)) });
schema!(
    /// `mesos.SlaveInfo` / `mesos.v1.AgentInfo` (`checkpoint` exists in v0 only).
    AGENT_INFO = "mesos.SlaveInfo" {
        req(1, "hostname", Str),
        opt(8, "port", I32),
        rep(3, "resources", Msg(&RESOURCE)),
        rep(5, "attributes", Msg(&ATTRIBUTE)),
        opt(6, "id", Msg(&ID)),
        opt(10, "domain", Msg(&DOMAIN_INFO)),
        opt(7, "checkpoint", Bool),
    }
);
schema!(RESOURCE_VERSION_UUID = "mesos.internal.ResourceVersionUUID" {
    opt(1, "resource_provider_id", Msg(&ID)),
    req(2, "uuid", Msg(&UUID)),
});

// ------------------------------------------------------------- mesos.internal messages

schema!(REGISTER_EXECUTOR = "mesos.internal.RegisterExecutorMessage" {
    req(1, "framework_id", Msg(&ID)),
    req(2, "executor_id", Msg(&ID)),
});
schema!(EXECUTOR_REGISTERED = "mesos.internal.ExecutorRegisteredMessage" {
    req(2, "executor_info", Msg(&EXECUTOR_INFO)),
    req(3, "framework_id", Msg(&ID)),
    req(4, "framework_info", Msg(&FRAMEWORK_INFO)),
    req(5, "slave_id", Msg(&ID)),
    req(6, "slave_info", Msg(&AGENT_INFO)),
});
schema!(STATUS_UPDATE = "mesos.internal.StatusUpdate" {
    req(1, "framework_id", Msg(&ID)),
    opt(2, "executor_id", Msg(&ID)),
    opt(3, "slave_id", Msg(&ID)),
    req(4, "status", Msg(&TASK_STATUS)),
    req(5, "timestamp", F64),
    opt(6, "uuid", Bytes),
    opt(7, "latest_state", Enum(TASK_STATE)),
});
schema!(REREGISTER_EXECUTOR = "mesos.internal.ReregisterExecutorMessage" {
    req(1, "executor_id", Msg(&ID)),
    req(2, "framework_id", Msg(&ID)),
    rep(3, "tasks", Msg(&TASK_INFO)),
    rep(4, "updates", Msg(&STATUS_UPDATE)),
});
schema!(EXECUTOR_REREGISTERED = "mesos.internal.ExecutorReregisteredMessage" {
    req(1, "slave_id", Msg(&ID)),
    req(2, "slave_info", Msg(&AGENT_INFO)),
});
schema!(RECONNECT_EXECUTOR = "mesos.internal.ReconnectExecutorMessage" {
    req(1, "slave_id", Msg(&ID)),
});
schema!(RUN_TASK = "mesos.internal.RunTaskMessage" {
    opt(1, "framework_id", Msg(&ID)),
    req(2, "framework", Msg(&FRAMEWORK_INFO)),
    req(4, "task", Msg(&TASK_INFO)),
    rep(5, "resource_version_uuids", Msg(&RESOURCE_VERSION_UUID)),
    opt(3, "pid", Str),
    opt(6, "launch_executor", Bool),
});
schema!(KILL_TASK = "mesos.internal.KillTaskMessage" {
    req(1, "framework_id", Msg(&ID)),
    req(2, "task_id", Msg(&ID)),
    opt(3, "kill_policy", Msg(&KILL_POLICY)),
});
schema!(STATUS_UPDATE_MESSAGE = "mesos.internal.StatusUpdateMessage" {
    req(1, "update", Msg(&STATUS_UPDATE)),
    opt(2, "pid", Str),
});
schema!(STATUS_UPDATE_ACK = "mesos.internal.StatusUpdateAcknowledgementMessage" {
    req(1, "slave_id", Msg(&ID)),
    req(2, "framework_id", Msg(&ID)),
    req(3, "task_id", Msg(&ID)),
    req(4, "uuid", Bytes),
});
schema!(SHUTDOWN_EXECUTOR = "mesos.internal.ShutdownExecutorMessage" {
    opt(1, "executor_id", Msg(&ID)),
    opt(2, "framework_id", Msg(&ID)),
});
schema!(FRAMEWORK_TO_EXECUTOR = "mesos.internal.FrameworkToExecutorMessage" {
    req(1, "slave_id", Msg(&ID)),
    req(2, "framework_id", Msg(&ID)),
    req(3, "executor_id", Msg(&ID)),
    req(4, "data", Bytes),
});
schema!(EXECUTOR_TO_FRAMEWORK = "mesos.internal.ExecutorToFrameworkMessage" {
    req(1, "slave_id", Msg(&ID)),
    req(2, "framework_id", Msg(&ID)),
    req(3, "executor_id", Msg(&ID)),
    req(4, "data", Bytes),
});

// -------------------------------------------------------- mesos.v1.executor messages

schema!(CALL_SUBSCRIBE_UPDATE = "mesos.v1.executor.Call.Update" {
    req(1, "status", Msg(&TASK_STATUS)),
});
schema!(CALL_SUBSCRIBE = "mesos.v1.executor.Call.Subscribe" {
    rep(1, "unacknowledged_tasks", Msg(&TASK_INFO)),
    rep(2, "unacknowledged_updates", Msg(&CALL_SUBSCRIBE_UPDATE)),
});
schema!(CALL_MESSAGE = "mesos.v1.executor.Call.Message" { req(2, "data", Bytes) });
schema!(CALL = "mesos.v1.executor.Call" {
    req(1, "executor_id", Msg(&ID)),
    req(2, "framework_id", Msg(&ID)),
    opt(3, "type", Enum(CALL_TYPE)),
    opt(4, "subscribe", Msg(&CALL_SUBSCRIBE)),
    opt(5, "update", Msg(&CALL_SUBSCRIBE_UPDATE)),
    opt(6, "message", Msg(&CALL_MESSAGE)),
});
schema!(EVENT_SUBSCRIBED = "mesos.v1.executor.Event.Subscribed" {
    req(1, "executor_info", Msg(&EXECUTOR_INFO)),
    req(2, "framework_info", Msg(&FRAMEWORK_INFO)),
    req(3, "agent_info", Msg(&AGENT_INFO)),
    opt(4, "container_id", Msg(&CONTAINER_ID)),
});
schema!(EVENT_LAUNCH = "mesos.v1.executor.Event.Launch" { req(1, "task", Msg(&TASK_INFO)) });
schema!(EVENT_LAUNCH_GROUP = "mesos.v1.executor.Event.LaunchGroup" {
    req(1, "task_group", Msg(&TASK_GROUP_INFO)),
});
schema!(EVENT_KILL = "mesos.v1.executor.Event.Kill" {
    req(1, "task_id", Msg(&ID)),
    opt(2, "kill_policy", Msg(&KILL_POLICY)),
});
schema!(EVENT_ACKNOWLEDGED = "mesos.v1.executor.Event.Acknowledged" {
    req(1, "task_id", Msg(&ID)),
    req(2, "uuid", Bytes),
});
schema!(EVENT_MESSAGE = "mesos.v1.executor.Event.Message" { req(1, "data", Bytes) });
schema!(EVENT_ERROR = "mesos.v1.executor.Event.Error" { req(1, "message", Str) });
schema!(EVENT = "mesos.v1.executor.Event" {
    opt(1, "type", Enum(EVENT_TYPE)),
    opt(2, "subscribed", Msg(&EVENT_SUBSCRIBED)),
    opt(3, "acknowledged", Msg(&EVENT_ACKNOWLEDGED)),
    opt(4, "launch", Msg(&EVENT_LAUNCH)),
    opt(8, "launch_group", Msg(&EVENT_LAUNCH_GROUP)),
    opt(5, "kill", Msg(&EVENT_KILL)),
    opt(6, "message", Msg(&EVENT_MESSAGE)),
    opt(7, "error", Msg(&EVENT_ERROR)),
});
