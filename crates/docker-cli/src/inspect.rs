//! `docker inspect --type=container`: the typed view of a container Mesos reads, and the
//! start detection that polls it.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;
use tracing::debug;

use crate::error::{DockerError, ObjectKind, Result};
use crate::process::{CliCall, Docker};

/// `State.StartedAt` of a container that never started.
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// First pause between two inspects in [`Docker::inspect_until_started`].
pub const START_POLL_INITIAL: Duration = Duration::from_millis(50);
/// Longest pause between two inspects in [`Docker::inspect_until_started`] (Mesos polls at
/// a fixed 1 s in the agent and 500 ms in the executor).
pub const START_POLL_MAX: Duration = Duration::from_millis(400);

/// The addresses of a container on one network.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkAddresses {
    pub ip_address: Option<String>,
    pub ipv6_address: Option<String>,
}

/// One host binding of a published port (`HostConfig.PortBindings`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortBinding {
    pub host_ip: String,
    pub host_port: String,
}

/// A device mapping (`HostConfig.Devices`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceMapping {
    pub path_on_host: String,
    pub path_in_container: String,
    pub read: bool,
    pub write: bool,
    pub mknod: bool,
}

/// The parts of `HostConfig` that reflect our `docker run` flags.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostConfig {
    pub network_mode: Option<String>,
    pub privileged: bool,
    pub cpu_shares: Option<i64>,
    pub cpu_quota: Option<i64>,
    pub memory: Option<i64>,
    pub memory_reservation: Option<i64>,
    pub oom_score_adj: Option<i64>,
    pub binds: Vec<String>,
    /// `"80/tcp"` → its host bindings.
    pub port_bindings: BTreeMap<String, Vec<PortBinding>>,
    pub dns: Vec<String>,
    pub dns_search: Vec<String>,
    pub dns_options: Vec<String>,
    pub devices: Vec<DeviceMapping>,
}

/// A container as `docker inspect` describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Container {
    pub id: String,
    /// The name without docker's leading `/`.
    pub name: String,
    /// The pid of the container's init process; `None` when it is not running (docker
    /// reports 0).
    pub pid: Option<u32>,
    pub running: bool,
    /// `State.Status` (`created`, `running`, `exited`, ...).
    pub status: Option<String>,
    /// `State.ExitCode`; meaningful once the container has finished.
    pub exit_code: Option<i32>,
    /// True once the container has started (its `StartedAt` is not the zero time); stays
    /// true after it exits.
    pub started: bool,
    /// `State.StartedAt`, `None` for the zero time.
    pub started_at: Option<String>,
    /// `State.FinishedAt`, `None` for the zero time.
    pub finished_at: Option<String>,
    /// `State.OOMKilled`.
    pub oom_killed: bool,
    /// `State.Error` when docker recorded one (e.g. the entrypoint was not found).
    pub error: Option<String>,
    /// `Config.Image` as given to `docker run`.
    pub image: Option<String>,
    /// IPv4 address on the container's network (see [`Container::from_inspect`]).
    pub ip_address: Option<String>,
    /// Global IPv6 address on the container's network.
    pub ipv6_address: Option<String>,
    /// Addresses on every network the container joined.
    pub networks: BTreeMap<String, NetworkAddresses>,
    pub host_config: HostConfig,
    /// `Config.Labels`.
    pub labels: BTreeMap<String, String>,
    /// The whole inspect object, as the executor sends it in `TaskStatus.data`.
    pub raw: Value,
}

impl Container {
    /// Parses the stdout of `docker inspect`: a JSON array of exactly one object.
    pub fn from_inspect_output(stdout: &[u8]) -> Result<Container> {
        let value: Value = serde_json::from_slice(stdout)
            .map_err(|e| DockerError::parse("inspect", format!("not JSON: {e}")))?;
        match value {
            Value::Array(mut items) if items.len() == 1 => Container::from_inspect(items.remove(0)),
            other => Err(DockerError::parse(
                "inspect",
                format!(
                    "Failed to find container: expected an array of one object, got {}",
                    describe(&other)
                ),
            )),
        }
    }

    /// Builds a container from one inspect object.
    ///
    /// IP address, looked up as Mesos does:
    /// `NetworkSettings.Networks.<HostConfig.NetworkMode>` first; when the mode is missing
    /// or names no network, the only network if there is exactly one, else the deprecated
    /// top-level `NetworkSettings.IPAddress` (newer Dockers drop it; then there is no
    /// address rather than an error as in Mesos).
    pub fn from_inspect(raw: Value) -> Result<Container> {
        let fail = |what: &str| {
            DockerError::parse("inspect", format!("Unable to find {what} in container"))
        };
        let id = str_at(&raw, &["Id"]).ok_or_else(|| fail("Id"))?.to_string();
        let name = str_at(&raw, &["Name"]).ok_or_else(|| fail("Name"))?;
        let name = name.strip_prefix('/').unwrap_or(name).to_string();
        let state = raw
            .get("State")
            .filter(|s| s.is_object())
            .ok_or_else(|| fail("State"))?;

        let pid = state
            .get("Pid")
            .and_then(Value::as_u64)
            .filter(|p| *p != 0)
            .and_then(|p| u32::try_from(p).ok());
        let non_zero_time = |key: &str| {
            state
                .get(key)
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty() && *t != ZERO_TIME && !t.starts_with("0001-01-01"))
                .map(str::to_string)
        };
        let started_at = non_zero_time("StartedAt");
        let finished_at = non_zero_time("FinishedAt");

        let host_config = raw
            .get("HostConfig")
            .map(parse_host_config)
            .unwrap_or_default();
        let networks = parse_networks(&raw);
        let chosen = host_config
            .network_mode
            .as_deref()
            .and_then(|mode| networks.get(mode))
            .or_else(|| {
                (networks.len() == 1)
                    .then(|| networks.values().next())
                    .flatten()
            });
        let (ip_address, ipv6_address) = match chosen {
            Some(addresses) => (addresses.ip_address.clone(), addresses.ipv6_address.clone()),
            None => (
                non_empty(str_at(&raw, &["NetworkSettings", "IPAddress"])),
                None,
            ),
        };

        let labels = raw
            .pointer("/Config/Labels")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default();

        Ok(Container {
            id,
            name,
            pid,
            running: state
                .get("Running")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            status: state
                .get("Status")
                .and_then(Value::as_str)
                .map(str::to_string),
            exit_code: state
                .get("ExitCode")
                .and_then(Value::as_i64)
                .and_then(|c| i32::try_from(c).ok()),
            started: started_at.is_some(),
            started_at,
            finished_at,
            oom_killed: state
                .get("OOMKilled")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            error: non_empty(state.get("Error").and_then(Value::as_str)),
            image: non_empty(str_at(&raw, &["Config", "Image"])),
            ip_address,
            ipv6_address,
            networks,
            host_config,
            labels,
            raw,
        })
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Array(items) => format!("an array of {}", items.len()),
        Value::Object(_) => "an object".into(),
        _ => "a scalar".into(),
    }
}

fn str_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(value, |v, key| v.get(key))
        .and_then(Value::as_str)
}

fn non_empty(value: Option<&str>) -> Option<String> {
    value.filter(|s| !s.is_empty()).map(str::to_string)
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// A number that docker reports as 0 when unset is `None`.
fn non_zero_i64(value: Option<&Value>) -> Option<i64> {
    value.and_then(Value::as_i64).filter(|n| *n != 0)
}

fn parse_host_config(hc: &Value) -> HostConfig {
    let port_bindings = hc
        .get("PortBindings")
        .and_then(Value::as_object)
        .map(|ports| {
            ports
                .iter()
                .map(|(port, bindings)| {
                    let bindings = bindings
                        .as_array()
                        .map(|list| {
                            list.iter()
                                .map(|b| PortBinding {
                                    host_ip: str_at(b, &["HostIp"]).unwrap_or("").to_string(),
                                    host_port: str_at(b, &["HostPort"]).unwrap_or("").to_string(),
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    (port.clone(), bindings)
                })
                .collect()
        })
        .unwrap_or_default();
    let devices = hc
        .get("Devices")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|d| {
                    let perms = str_at(d, &["CgroupPermissions"]).unwrap_or("");
                    DeviceMapping {
                        path_on_host: str_at(d, &["PathOnHost"]).unwrap_or("").to_string(),
                        path_in_container: str_at(d, &["PathInContainer"])
                            .unwrap_or("")
                            .to_string(),
                        read: perms.contains('r'),
                        write: perms.contains('w'),
                        mknod: perms.contains('m'),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    HostConfig {
        network_mode: non_empty(str_at(hc, &["NetworkMode"])),
        privileged: hc
            .get("Privileged")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        cpu_shares: non_zero_i64(hc.get("CpuShares")),
        cpu_quota: non_zero_i64(hc.get("CpuQuota")),
        memory: non_zero_i64(hc.get("Memory")),
        memory_reservation: non_zero_i64(hc.get("MemoryReservation")),
        oom_score_adj: non_zero_i64(hc.get("OomScoreAdj")),
        binds: strings(hc.get("Binds")),
        port_bindings,
        dns: strings(hc.get("Dns")),
        dns_search: strings(hc.get("DnsSearch")),
        dns_options: strings(hc.get("DnsOptions")),
        devices,
    }
}

/// `NetworkSettings.Networks` by name (looked up as map keys, so names with dots work,
/// unlike Mesos's dotted-path lookup).
fn parse_networks(raw: &Value) -> BTreeMap<String, NetworkAddresses> {
    raw.pointer("/NetworkSettings/Networks")
        .and_then(Value::as_object)
        .map(|nets| {
            nets.iter()
                .map(|(name, net)| {
                    let addresses = NetworkAddresses {
                        ip_address: non_empty(str_at(net, &["IPAddress"])),
                        ipv6_address: non_empty(str_at(net, &["GlobalIPv6Address"])),
                    };
                    (name.clone(), addresses)
                })
                .collect()
        })
        .unwrap_or_default()
}

impl Docker {
    /// `docker inspect --type=container <name>`, within [`crate::Timeouts::inspect`].
    /// A missing container is [`DockerError::NotFound`].
    pub async fn inspect_container(&self, name: &str) -> Result<Container> {
        self.inspect_container_within(name, self.timeouts().inspect)
            .await
    }

    async fn inspect_container_within(&self, name: &str, timeout: Duration) -> Result<Container> {
        let call = CliCall::new("inspect", ["inspect", "--type=container", name], timeout)
            .target(ObjectKind::Container, name);
        let output = self.checked(call).await?;
        Container::from_inspect_output(&output.stdout)
    }

    /// Polls `docker inspect` until the container has started (its `StartedAt` is set),
    /// first after 50 ms, then at growing intervals up to 400 ms, and gives up with
    /// [`DockerError::Timeout`] at `deadline`.
    ///
    /// A missing container or a failing inspect is retried (the container may not exist
    /// yet while `docker run` creates it); unparseable output is not. An exited container
    /// has started too: check [`Container::running`] and [`Container::pid`].
    pub async fn inspect_until_started(&self, name: &str, deadline: Duration) -> Result<Container> {
        let until = Instant::now() + deadline;
        let mut pause = START_POLL_INITIAL;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(DockerError::Timeout {
                    op: format!("docker inspect of '{name}' waiting for it to start"),
                    after: deadline,
                });
            }
            match self
                .inspect_container_within(name, left.min(self.timeouts().inspect))
                .await
            {
                Ok(container) if container.started => return Ok(container),
                Ok(_) => debug!(name, "container not started yet"),
                Err(err @ DockerError::Parse { .. }) => return Err(err),
                Err(err) => debug!(name, %err, "inspect failed; retrying"),
            }
            let left = until.saturating_duration_since(Instant::now());
            tokio::time::sleep(pause.min(left)).await;
            pause = (pause * 2).min(START_POLL_MAX);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "Id": "abc123",
            "Name": "/mesos-c1",
            "State": {
                "Status": "exited", "Running": false, "Pid": 0, "ExitCode": 137,
                "OOMKilled": true, "Error": "",
                "StartedAt": "2024-01-01T00:00:00.1Z", "FinishedAt": "2024-01-01T00:00:01Z"
            },
            "Config": {"Image": "busybox", "Labels": {"mesos.task_id": "t1"}},
            "HostConfig": {
                "NetworkMode": "my.net", "Privileged": true, "CpuShares": 512, "CpuQuota": 0,
                "Memory": 67108864, "MemoryReservation": 0, "OomScoreAdj": 500,
                "Binds": ["/a:/b:ro"], "Dns": ["8.8.8.8"], "DnsSearch": null,
                "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "31000"}]},
                "Devices": [{"PathOnHost": "/dev/fuse", "PathInContainer": "/dev/fuse", "CgroupPermissions": "rwm"}]
            },
            "NetworkSettings": {
                "IPAddress": "",
                "Networks": {
                    "my.net": {"IPAddress": "10.1.0.2", "GlobalIPv6Address": "fd00::2"},
                    "other": {"IPAddress": "10.2.0.2", "GlobalIPv6Address": ""}
                }
            }
        })
    }

    #[test]
    fn parses_the_fields_we_use() {
        let c = Container::from_inspect(sample()).unwrap();
        assert_eq!(c.id, "abc123");
        assert_eq!(c.name, "mesos-c1");
        assert_eq!(c.pid, None);
        assert!(c.started && !c.running);
        assert_eq!(c.exit_code, Some(137));
        assert!(c.oom_killed);
        assert_eq!(c.error, None);
        assert_eq!(c.ip_address.as_deref(), Some("10.1.0.2"));
        assert_eq!(c.ipv6_address.as_deref(), Some("fd00::2"));
        assert_eq!(c.networks.len(), 2);
        let hc = &c.host_config;
        assert!(hc.privileged);
        assert_eq!(hc.cpu_shares, Some(512));
        assert_eq!(hc.cpu_quota, None);
        assert_eq!(hc.memory, Some(64 << 20));
        assert_eq!(hc.oom_score_adj, Some(500));
        assert_eq!(hc.binds, ["/a:/b:ro"]);
        assert_eq!(hc.dns, ["8.8.8.8"]);
        assert!(hc.dns_search.is_empty());
        assert_eq!(hc.port_bindings["80/tcp"][0].host_port, "31000");
        assert!(hc.devices[0].read && hc.devices[0].write && hc.devices[0].mknod);
        assert_eq!(c.labels["mesos.task_id"], "t1");
        assert_eq!(c.raw["Id"], "abc123");
    }

    #[test]
    fn not_started_and_ip_fallback() {
        let mut v = sample();
        v["State"]["StartedAt"] = json!(ZERO_TIME);
        v["State"]["Pid"] = json!(0);
        v["HostConfig"]["NetworkMode"] = json!("default");
        v["NetworkSettings"]["IPAddress"] = json!("172.17.0.9");
        let c = Container::from_inspect(v).unwrap();
        assert!(!c.started);
        assert_eq!(c.started_at, None);
        // "default" names no network and there are two: the top-level address is used.
        assert_eq!(c.ip_address.as_deref(), Some("172.17.0.9"));
        assert_eq!(c.ipv6_address, None);
    }

    #[test]
    fn running_pid_and_host_network() {
        let mut v = sample();
        v["State"]["Pid"] = json!(4242);
        v["HostConfig"]["NetworkMode"] = json!("host");
        v["NetworkSettings"]["Networks"] =
            json!({"host": {"IPAddress": "", "GlobalIPv6Address": ""}});
        let c = Container::from_inspect(v).unwrap();
        assert_eq!(c.pid, Some(4242));
        assert_eq!(c.ip_address, None);
    }

    #[test]
    fn output_must_be_one_object() {
        let err = Container::from_inspect_output(b"[]").unwrap_err();
        assert!(
            err.to_string().contains("Failed to find container"),
            "{err}"
        );
        let err = Container::from_inspect_output(b"nope").unwrap_err();
        assert!(err.to_string().contains("not JSON"), "{err}");
        let err = Container::from_inspect(json!({"Name": "/x", "State": {}})).unwrap_err();
        assert!(err.to_string().contains("Unable to find Id"), "{err}");
    }
}
