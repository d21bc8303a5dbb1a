//! `mesos.ContainerInfo` and what it holds: `DockerInfo`, `Volume`, `NetworkInfo`.
//!
//! Parts the Docker containerizer does not act on (`mesos`, `linux_info`, `rlimit_info`,
//! `tty_info`, `Volume.image`, CSI volumes, mount propagation) are kept as raw JSON so they
//! survive a round trip unchanged.

use crate::duration::{lenient, proto_enum};
use crate::task::{Labels, Secret};
use serde::{Deserialize, Serialize};

proto_enum!(
    /// `mesos.ContainerInfo.Type`.
    ContainerType {
        Docker = "DOCKER",
        Mesos = "MESOS",
    }
);

/// `mesos.ContainerInfo`, fields in proto declaration order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerInfo {
    pub r#type: ContainerType,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker: Option<DockerInfo>,
    /// `ContainerInfo.MesosInfo`, untouched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mesos: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network_infos: Vec<NetworkInfo>,
    /// `mesos.LinuxInfo`, untouched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux_info: Option<serde_json::Value>,
    /// `mesos.RLimitInfo`, untouched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rlimit_info: Option<serde_json::Value>,
    /// `mesos.TTYInfo`, untouched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tty_info: Option<serde_json::Value>,
}

impl ContainerInfo {
    /// A `DOCKER` container of `image` with nothing else set.
    pub fn docker(image: impl Into<String>) -> Self {
        Self {
            r#type: ContainerType::Docker,
            volumes: Vec::new(),
            hostname: None,
            docker: Some(DockerInfo::new(image)),
            mesos: None,
            network_infos: Vec::new(),
            linux_info: None,
            rlimit_info: None,
            tty_info: None,
        }
    }
}

proto_enum!(
    /// `mesos.ContainerInfo.DockerInfo.Network`.
    DockerNetwork {
        Host = "HOST",
        Bridge = "BRIDGE",
        None = "NONE",
        User = "USER",
    }
);

/// A port mapping: `ContainerInfo.DockerInfo.PortMapping` and `NetworkInfo.PortMapping`
/// have the same fields and JSON. `protocol` is free text (`tcp`, `udp`); absent means tcp.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PortMapping {
    #[serde(with = "lenient")]
    pub host_port: u32,
    #[serde(with = "lenient")]
    pub container_port: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
}

/// `mesos.Parameter`: a key/value pair (Docker `parameters`, volume driver options).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Parameter {
    pub key: String,
    pub value: String,
}

/// `mesos.Parameters`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Parameters {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameter: Vec<Parameter>,
}

/// `mesos.ContainerInfo.DockerInfo`, fields in proto declaration order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DockerInfo {
    pub image: String,
    /// Absent means `HOST`: see [`DockerInfo::network`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<DockerNetwork>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub port_mappings: Vec<PortMapping>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub privileged: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<Parameter>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub force_pull_image: Option<bool>,
    /// Deprecated in favour of `Volume.source.docker_volume.driver`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_driver: Option<String>,
}

impl DockerInfo {
    /// A `DockerInfo` of `image` with every optional field unset.
    pub fn new(image: impl Into<String>) -> Self {
        Self {
            image: image.into(),
            network: None,
            port_mappings: Vec::new(),
            privileged: None,
            parameters: Vec::new(),
            force_pull_image: None,
            volume_driver: None,
        }
    }

    /// The network mode, `HOST` when unset (the proto default).
    pub fn network(&self) -> DockerNetwork {
        self.network.unwrap_or(DockerNetwork::Host)
    }

    /// Whether to run privileged, `false` when unset.
    pub fn privileged(&self) -> bool {
        self.privileged.unwrap_or(false)
    }

    /// Whether to pull even when the image is present, `false` when unset.
    pub fn force_pull_image(&self) -> bool {
        self.force_pull_image.unwrap_or(false)
    }
}

proto_enum!(
    /// `mesos.Volume.Mode`.
    VolumeMode {
        /// Read-write.
        Rw = "RW",
        /// Read-only.
        Ro = "RO",
    }
);

proto_enum!(
    /// `mesos.Volume.Source.Type`.
    VolumeSourceType {
        Unknown = "UNKNOWN",
        DockerVolume = "DOCKER_VOLUME",
        HostPath = "HOST_PATH",
        SandboxPath = "SANDBOX_PATH",
        Secret = "SECRET",
        CsiVolume = "CSI_VOLUME",
    }
);

/// `mesos.Volume.Source.DockerVolume`: a volume managed by a Docker volume driver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DockerVolume {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_options: Option<Parameters>,
}

/// `mesos.Volume.Source.HostPath`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostPath {
    pub path: String,
    /// `mesos.MountPropagation`, untouched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount_propagation: Option<serde_json::Value>,
}

proto_enum!(
    /// `mesos.Volume.Source.SandboxPath.Type`.
    SandboxPathType {
        Unknown = "UNKNOWN",
        /// Relative to this container's sandbox.
        SelfSandbox = "SELF",
        /// Relative to the parent container's sandbox.
        Parent = "PARENT",
    }
);

/// `mesos.Volume.Source.SandboxPath`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxPath {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<SandboxPathType>,
    pub path: String,
}

/// `mesos.Volume.Source`, fields in proto declaration order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct VolumeSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<VolumeSourceType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_volume: Option<DockerVolume>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_path: Option<HostPath>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox_path: Option<SandboxPath>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<Secret>,
    /// `mesos.Volume.Source.CSIVolume`, untouched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csi_volume: Option<serde_json::Value>,
}

impl VolumeSource {
    /// The source type, `UNKNOWN` when unset.
    pub fn kind(&self) -> VolumeSourceType {
        self.r#type.unwrap_or(VolumeSourceType::Unknown)
    }
}

/// `mesos.Volume`, fields in proto declaration order. `mode` and `container_path` are
/// required by the proto, so a volume without them does not decode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Volume {
    pub mode: VolumeMode,
    pub container_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_path: Option<String>,
    /// `mesos.Image`, untouched (the Docker containerizer does not support image volumes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<VolumeSource>,
}

proto_enum!(
    /// `mesos.NetworkInfo.Protocol`: the IP version.
    IpProtocol {
        IPv4 = "IPv4",
        IPv6 = "IPv6",
    }
);

/// `mesos.NetworkInfo.IPAddress`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct IpAddress {
    /// Absent means `IPv4`: see [`IpAddress::protocol`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<IpProtocol>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
}

impl IpAddress {
    /// The IP version, `IPv4` when unset (the proto default).
    pub fn protocol(&self) -> IpProtocol {
        self.protocol.unwrap_or(IpProtocol::IPv4)
    }
}

/// `mesos.NetworkInfo`, fields in proto declaration order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NetworkInfo {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ip_addresses: Vec<IpAddress>,
    /// The network to join (a Docker user-defined network for `USER` mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Labels>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub port_mappings: Vec<PortMapping>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::from_json_str;

    #[test]
    fn docker_defaults_are_accessors_not_fields() {
        let c: ContainerInfo =
            from_json_str(r#"{"type":"DOCKER","docker":{"image":"busybox"}}"#).unwrap();
        let docker = c.docker.as_ref().unwrap();
        assert_eq!(docker.network(), DockerNetwork::Host);
        assert!(!docker.privileged());
        assert!(!docker.force_pull_image());
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"type":"DOCKER","docker":{"image":"busybox"}}"#
        );
        assert_eq!(c, ContainerInfo::docker("busybox"));
    }

    #[test]
    fn unknown_network_names_its_path() {
        let err = from_json_str::<ContainerInfo>(
            r#"{"type":"DOCKER","docker":{"image":"busybox","network":"WORMHOLE"}}"#,
        )
        .unwrap_err();
        assert_eq!(err.path, "docker.network");
        assert!(
            err.to_string()
                .starts_with("docker.network: unknown value `WORMHOLE`"),
            "{err}"
        );
    }

    #[test]
    fn strings_for_numbers_and_bools() {
        let d: DockerInfo = from_json_str(
            r#"{"image":"i","privileged":"true","port_mappings":[{"host_port":"31000","container_port":80}]}"#,
        )
        .unwrap();
        assert!(d.privileged());
        assert_eq!(d.port_mappings[0].host_port, 31000);
        let err = from_json_str::<DockerInfo>(r#"{"image":"i","privileged":1}"#).unwrap_err();
        assert_eq!(err.path, "privileged");
        assert!(err.message.contains("invalid type"), "{err}");
    }

    #[test]
    fn volume_requires_mode() {
        let err = from_json_str::<Volume>(r#"{"container_path":"/data"}"#).unwrap_err();
        assert!(err.message.contains("missing field `mode`"), "{err}");
        let err = from_json_str::<Volume>(r#"{"mode":"RX","container_path":"/data"}"#).unwrap_err();
        assert_eq!(err.path, "mode");
    }

    #[test]
    fn ip_protocol_defaults_to_ipv4() {
        let n: NetworkInfo = from_json_str(
            r#"{"ip_addresses":[{"ip_address":"10.0.0.2"},{"protocol":"IPv6","ip_address":"::1"}]}"#,
        )
        .unwrap();
        assert_eq!(n.ip_addresses[0].protocol(), IpProtocol::IPv4);
        assert_eq!(n.ip_addresses[1].protocol(), IpProtocol::IPv6);
        assert_eq!(IpProtocol::IPv6.to_string(), "IPv6");
    }
}
