//! `--default_container_dns`: the agent's default DNS for containers on Docker bridge and
//! user-defined networks (Mesos's `ContainerDNSInfo`, `src/messages/flags.proto`).
//!
//! ```json
//! {"mesos": [...],
//!  "docker": [{"network_mode": "BRIDGE", "dns": {"nameservers": ["8.8.8.8"], "search": [], "options": []}},
//!             {"network_mode": "USER", "network_name": "my-net", "dns": {...}},
//!             {"network_mode": "USER", "dns": {...}}]}
//! ```

use serde::{Deserialize, Serialize};

use crate::error::{DockerError, Result};

/// `ContainerDNSInfo.DockerInfo.NetworkMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DnsNetworkMode {
    #[default]
    Unknown,
    Host,
    Bridge,
    User,
}

/// `ContainerDNSInfo.DockerInfo.DNS`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dns {
    #[serde(default)]
    pub nameservers: Vec<String>,
    #[serde(default)]
    pub search: Vec<String>,
    #[serde(default)]
    pub options: Vec<String>,
}

/// `ContainerDNSInfo.DockerInfo`: DNS for one Docker network mode (and network name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DockerDnsInfo {
    #[serde(default)]
    pub network_mode: DnsNetworkMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_name: Option<String>,
    pub dns: Dns,
}

/// `ContainerDNSInfo`: the parsed `--default_container_dns` flag. The `mesos` entries
/// (for the Mesos containerizer's CNI networks) are kept but not used.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContainerDnsInfo {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mesos: Vec<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub docker: Vec<DockerDnsInfo>,
}

impl ContainerDnsInfo {
    /// Parses and validates the flag value (the JSON itself, or an absolute / `file://`
    /// path to it), with the checks of the Mesos agent's flag validation.
    pub fn parse(flag: &str) -> Result<ContainerDnsInfo> {
        let trimmed = flag.trim();
        let path = trimmed
            .strip_prefix("file://")
            .or_else(|| trimmed.starts_with('/').then_some(trimmed));
        let text = match path {
            Some(path) => {
                mesos_types::input::read_input_file(std::path::Path::new(path)).map_err(|e| {
                    DockerError::invalid(
                        "--default_container_dns",
                        path,
                        format!("Failed to read '{path}': {e}"),
                    )
                })?
            }
            None => trimmed.to_string(),
        };
        let info: ContainerDnsInfo = mesos_types::from_json_str(&text).map_err(|e| {
            DockerError::invalid(
                "--default_container_dns",
                flag,
                format!("invalid JSON: {e}"),
            )
        })?;
        info.validate()?;
        Ok(info)
    }

    /// The agent's checks: no UNKNOWN or HOST mode, at most one BRIDGE entry, at most one
    /// USER entry without a name, no two USER entries with the same name.
    pub fn validate(&self) -> Result<()> {
        let fail = |i: usize, hint: String| {
            Err(DockerError::invalid(
                format!("--default_container_dns: docker[{i}]"),
                "",
                hint,
            ))
        };
        let mut bridge = false;
        let mut default_user = false;
        let mut names = std::collections::HashSet::new();
        for (i, entry) in self.docker.iter().enumerate() {
            match (entry.network_mode, &entry.network_name) {
                (DnsNetworkMode::Unknown, _) => {
                    return fail(i, "UNKNOWN network mode configured in `--default_container_dns`".into())
                }
                (DnsNetworkMode::Host, _) => {
                    return fail(
                        i,
                        "Configuring DNS for HOST network with `--default_container_dns` is not yet supported".into(),
                    )
                }
                (DnsNetworkMode::Bridge, _) if bridge => {
                    return fail(
                        i,
                        "Multiple DNS configuration for Docker default bridge network in \
                         `--default_container_dns` is not allowed"
                            .into(),
                    )
                }
                (DnsNetworkMode::Bridge, _) => bridge = true,
                (DnsNetworkMode::User, None) if default_user => {
                    return fail(
                        i,
                        "Multiple DNS configuration without network name for user-defined CNM \
                         network in `--default_container_dns` is not allowed"
                            .into(),
                    )
                }
                (DnsNetworkMode::User, None) => default_user = true,
                (DnsNetworkMode::User, Some(name)) => {
                    if !names.insert(name.clone()) {
                        return fail(
                            i,
                            format!(
                                "Multiple DNS configuration with the same network name '{name}' \
                                 for user-defined CNM network in `--default_container_dns` is not allowed"
                            ),
                        );
                    }
                }
            }
        }
        Ok(())
    }

    /// The DNS for the bridge network: the last `BRIDGE` entry.
    pub fn bridge(&self) -> Option<&Dns> {
        self.docker
            .iter()
            .rev()
            .find(|e| e.network_mode == DnsNetworkMode::Bridge)
            .map(|e| &e.dns)
    }

    /// The DNS for the user network `name`: its own entry, else the unnamed `USER` entry.
    pub fn user(&self, name: &str) -> Option<&Dns> {
        let user = |want: Option<&str>| {
            self.docker
                .iter()
                .rev()
                .find(|e| {
                    e.network_mode == DnsNetworkMode::User && e.network_name.as_deref() == want
                })
                .map(|e| &e.dns)
        };
        user(Some(name)).or_else(|| user(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_select() {
        let info = ContainerDnsInfo::parse(
            r#"{"mesos":[{"network_mode":"CNI","dns":{}}],"docker":[
                {"network_mode":"BRIDGE","dns":{"nameservers":["8.8.8.8"]}},
                {"network_mode":"USER","network_name":"a","dns":{"search":["a.example"]}},
                {"network_mode":"USER","dns":{"options":["ndots:2"]}}]}"#,
        )
        .unwrap();
        assert_eq!(info.bridge().unwrap().nameservers, ["8.8.8.8"]);
        assert_eq!(info.user("a").unwrap().search, ["a.example"]);
        assert_eq!(info.user("b").unwrap().options, ["ndots:2"]);
    }

    #[test]
    fn validation_errors() {
        let cases = [
            (r#"{"docker":[{"dns":{}}]}"#, "UNKNOWN network mode"),
            (
                r#"{"docker":[{"network_mode":"HOST","dns":{}}]}"#,
                "HOST network",
            ),
            (
                r#"{"docker":[{"network_mode":"BRIDGE","dns":{}},{"network_mode":"BRIDGE","dns":{}}]}"#,
                "default bridge network",
            ),
            (
                r#"{"docker":[{"network_mode":"USER","dns":{}},{"network_mode":"USER","dns":{}}]}"#,
                "without network name",
            ),
            (
                r#"{"docker":[{"network_mode":"USER","network_name":"n","dns":{}},{"network_mode":"USER","network_name":"n","dns":{}}]}"#,
                "same network name 'n'",
            ),
            (
                r#"{"docker":[{"network_mode":"BRIDGE"}]}"#,
                "missing field `dns`",
            ),
            (
                r#"{"docker":[{"network_mode":"WAN","dns":{}}]}"#,
                "docker[0].network_mode",
            ),
        ];
        for (json, want) in cases {
            let err = ContainerDnsInfo::parse(json).unwrap_err().to_string();
            assert!(err.contains(want), "{json}: {err}");
        }
    }
}
