//! The environment the agent gives its executors: where the agent is, which protocol to speak
//! to it, who we are, and the recovery timings (docs/executor.md, "Environment").

use mesos_types::duration::Duration;
use mesos_types::{ExecutorId, FrameworkId};
use std::collections::HashMap;

/// Defaults the agent would export (`--recovery_timeout`, `--executor_reregistration_timeout`,
/// `--executor_shutdown_grace_period`).
pub const DEFAULT_RECOVERY_TIMEOUT: Duration = Duration::from_secs(15 * 60);
pub const DEFAULT_SUBSCRIPTION_BACKOFF_MAX: Duration = Duration::from_secs(2);
pub const DEFAULT_SHUTDOWN_GRACE_PERIOD: Duration = Duration::from_secs(5);

/// Forces the protocol: `v0` (libprocess) or `v1` (HTTP). Ours, not Mesos's.
pub const PROTOCOL_VAR: &str = "MESOS_DOCKER_EXECUTOR_PROTOCOL";

/// How the executor talks to its agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentTransport {
    /// The libprocess (v0) protocol, as Mesos's own docker executor speaks it. A real agent
    /// recovers only executors that registered this way after its restart.
    V0 {
        /// The agent's process id (`MESOS_SLAVE_PID`, `slave(1)@10.0.0.5:5051`).
        slave_pid: libprocess::Upid,
        /// Where our own libprocess inbox listens and what address it advertises.
        listen: Libprocess,
    },
    /// The v1 Executor HTTP API at `ip:port` (`MESOS_AGENT_ENDPOINT`).
    V1 { agent_endpoint: String },
}

impl std::fmt::Display for AgentTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AgentTransport::V0 { slave_pid, .. } => write!(f, "v0 (libprocess) to {slave_pid}"),
            AgentTransport::V1 { agent_endpoint } => write!(f, "v1 (HTTP) to {agent_endpoint}"),
        }
    }
}

/// libprocess's own variables: `LIBPROCESS_IP`/`LIBPROCESS_PORT` (where to listen; the agent
/// sets the port to 0) and `LIBPROCESS_ADVERTISE_IP`/`LIBPROCESS_ADVERTISE_PORT` (what to
/// tell peers, when it differs, e.g. behind NAT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Libprocess {
    pub ip: std::net::IpAddr,
    pub port: u16,
    pub advertise_ip: Option<std::net::IpAddr>,
    pub advertise_port: Option<u16>,
}

/// What the executor reads from its environment.
#[derive(Clone)]
pub struct AgentEnv {
    /// The protocol and where the agent is.
    pub transport: AgentTransport,
    /// `MESOS_SLAVE_ID`, when the agent gives it (v0 status updates carry it; the
    /// registration tells it too).
    pub agent_id: Option<mesos_types::AgentId>,
    pub framework_id: FrameworkId,
    pub executor_id: ExecutorId,
    /// `MESOS_DIRECTORY`, informational (the flags carry the sandbox).
    pub directory: Option<String>,
    /// `MESOS_CHECKPOINT == "1"`: survive agent restarts (reconnect) instead of exiting.
    pub checkpoint: bool,
    pub recovery_timeout: Duration,
    pub subscription_backoff_max: Duration,
    pub shutdown_grace_period: Duration,
    /// `MESOS_EXECUTOR_AUTHENTICATION_TOKEN`, sent as a Bearer token. Secret.
    pub authentication_token: Option<String>,
}

impl std::fmt::Debug for AgentEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentEnv")
            .field("transport", &self.transport)
            .field("framework_id", &self.framework_id)
            .field("executor_id", &self.executor_id)
            .field("checkpoint", &self.checkpoint)
            .field("recovery_timeout", &self.recovery_timeout)
            .field("subscription_backoff_max", &self.subscription_backoff_max)
            .field("shutdown_grace_period", &self.shutdown_grace_period)
            .field(
                "authentication_token",
                &self.authentication_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// A missing or malformed variable; the message names it (never its value if secret).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct EnvError(pub String);

impl AgentEnv {
    /// Reads the variables from `vars`.
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, EnvError> {
        let required = |name: &str| -> Result<String, EnvError> {
            match vars.get(name) {
                Some(v) if !v.is_empty() => Ok(v.clone()),
                _ => Err(EnvError(format!(
                    "Missing required environment variable {name} (the agent sets it when it launches the executor)"
                ))),
            }
        };
        let duration = |name: &str, default: Duration| -> Result<Duration, EnvError> {
            match vars.get(name) {
                None => Ok(default),
                Some(text) => text
                    .parse::<Duration>()
                    .map_err(|e| EnvError(format!("Invalid {name}: {e}"))),
            }
        };
        Ok(Self {
            transport: transport(vars)?,
            agent_id: vars
                .get("MESOS_SLAVE_ID")
                .filter(|v| !v.is_empty())
                .map(|v| mesos_types::AgentId::new(v.clone())),
            framework_id: FrameworkId::new(required("MESOS_FRAMEWORK_ID")?),
            executor_id: ExecutorId::new(required("MESOS_EXECUTOR_ID")?),
            directory: vars.get("MESOS_DIRECTORY").cloned(),
            checkpoint: vars.get("MESOS_CHECKPOINT").map(String::as_str) == Some("1"),
            recovery_timeout: duration("MESOS_RECOVERY_TIMEOUT", DEFAULT_RECOVERY_TIMEOUT)?,
            subscription_backoff_max: duration(
                "MESOS_SUBSCRIPTION_BACKOFF_MAX",
                DEFAULT_SUBSCRIPTION_BACKOFF_MAX,
            )?,
            shutdown_grace_period: duration(
                "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD",
                DEFAULT_SHUTDOWN_GRACE_PERIOD,
            )?,
            authentication_token: vars
                .get("MESOS_EXECUTOR_AUTHENTICATION_TOKEN")
                .filter(|t| !t.is_empty())
                .cloned(),
        })
    }
}

/// The protocol rule: `MESOS_DOCKER_EXECUTOR_PROTOCOL` when set; else v0 when the agent gave
/// `MESOS_SLAVE_PID` (a real Mesos agent always does), else v1.
fn transport(vars: &HashMap<String, String>) -> Result<AgentTransport, EnvError> {
    let get = |name: &str| vars.get(name).filter(|v| !v.is_empty());
    let v0 = match get(PROTOCOL_VAR).map(|v| v.to_ascii_lowercase()) {
        Some(v) if v == "v0" => true,
        Some(v) if v == "v1" => false,
        Some(_) => {
            return Err(EnvError(format!(
                "Invalid {PROTOCOL_VAR} '{}': expected v0 (libprocess) or v1 (HTTP)",
                get(PROTOCOL_VAR).map(String::as_str).unwrap_or_default()
            )))
        }
        None => get("MESOS_SLAVE_PID").is_some(),
    };
    if !v0 {
        let Some(agent_endpoint) = get("MESOS_AGENT_ENDPOINT") else {
            return Err(EnvError(
                "Missing required environment variable MESOS_AGENT_ENDPOINT (the agent sets it when it launches the executor; or give MESOS_SLAVE_PID for the v0 protocol)".into(),
            ));
        };
        validate_endpoint(agent_endpoint)?;
        return Ok(AgentTransport::V1 {
            agent_endpoint: agent_endpoint.clone(),
        });
    }
    let Some(pid) = get("MESOS_SLAVE_PID") else {
        return Err(EnvError(format!(
            "Missing required environment variable MESOS_SLAVE_PID ({PROTOCOL_VAR}=v0 needs the agent's process id, e.g. slave(1)@10.0.0.5:5051)"
        )));
    };
    let slave_pid = pid
        .parse::<libprocess::Upid>()
        .map_err(|e| EnvError(format!("Invalid MESOS_SLAVE_PID: {e}")))?;
    let ip = |name: &str| -> Result<Option<std::net::IpAddr>, EnvError> {
        get(name)
            .map(|v| {
                v.parse()
                    .map_err(|_| EnvError(format!("Invalid {name} '{v}': expected an IP address")))
            })
            .transpose()
    };
    let port = |name: &str| -> Result<Option<u16>, EnvError> {
        get(name)
            .map(|v| {
                v.parse().map_err(|_| {
                    EnvError(format!(
                        "Invalid {name} '{v}': expected a port number 0-65535"
                    ))
                })
            })
            .transpose()
    };
    Ok(AgentTransport::V0 {
        slave_pid,
        listen: Libprocess {
            ip: ip("LIBPROCESS_IP")?.unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into()),
            port: port("LIBPROCESS_PORT")?.unwrap_or(0),
            advertise_ip: ip("LIBPROCESS_ADVERTISE_IP")?,
            advertise_port: port("LIBPROCESS_ADVERTISE_PORT")?,
        },
    })
}

fn validate_endpoint(endpoint: &str) -> Result<(), EnvError> {
    let bad = || {
        EnvError(format!(
            "Invalid MESOS_AGENT_ENDPOINT '{endpoint}': expected <ip or host>:<port>, e.g. 10.0.0.5:5051"
        ))
    };
    let (host, port) = endpoint.rsplit_once(':').ok_or_else(bad)?;
    if host.is_empty() || host.contains('/') || port.parse::<u16>().is_err() {
        return Err(bad());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const BASE: &[(&str, &str)] = &[
        ("MESOS_AGENT_ENDPOINT", "127.0.0.1:5051"),
        ("MESOS_FRAMEWORK_ID", "f"),
        ("MESOS_EXECUTOR_ID", "e"),
    ];

    #[test]
    fn defaults_and_values() {
        let env = AgentEnv::from_vars(&vars(BASE)).unwrap();
        assert!(!env.checkpoint);
        assert_eq!(env.shutdown_grace_period, Duration::from_secs(5));
        let mut v = vars(BASE);
        v.insert("MESOS_CHECKPOINT".into(), "1".into());
        v.insert("MESOS_RECOVERY_TIMEOUT".into(), "1mins".into());
        v.insert("MESOS_EXECUTOR_AUTHENTICATION_TOKEN".into(), "tok".into());
        let env = AgentEnv::from_vars(&v).unwrap();
        assert!(env.checkpoint);
        assert_eq!(env.recovery_timeout, Duration::from_secs(60));
        assert!(!format!("{env:?}").contains("tok\""));
    }

    #[test]
    fn the_protocol_rule() {
        let v1 = AgentEnv::from_vars(&vars(BASE)).unwrap();
        assert!(matches!(v1.transport, AgentTransport::V1 { .. }));
        let mut v = vars(BASE);
        v.insert("MESOS_SLAVE_PID".into(), "slave(1)@127.0.0.1:5051".into());
        v.insert("MESOS_SLAVE_ID".into(), "agent-1".into());
        let env = AgentEnv::from_vars(&v).unwrap();
        let AgentTransport::V0 { slave_pid, listen } = &env.transport else {
            panic!("{:?}", env.transport)
        };
        assert_eq!(slave_pid.to_string(), "slave(1)@127.0.0.1:5051");
        assert_eq!(listen.port, 0);
        assert!(listen.ip.is_unspecified());
        assert_eq!(env.agent_id.as_ref().unwrap().value, "agent-1");
        // Forced either way.
        v.insert(PROTOCOL_VAR.into(), "V1".into());
        assert!(matches!(
            AgentEnv::from_vars(&v).unwrap().transport,
            AgentTransport::V1 { .. }
        ));
        v.insert(PROTOCOL_VAR.into(), "v0".into());
        v.insert("LIBPROCESS_IP".into(), "127.0.0.1".into());
        v.insert("LIBPROCESS_PORT".into(), "4050".into());
        v.remove("MESOS_AGENT_ENDPOINT");
        let AgentTransport::V0 { listen, .. } = AgentEnv::from_vars(&v).unwrap().transport else {
            panic!()
        };
        assert_eq!(
            (listen.ip.to_string(), listen.port),
            ("127.0.0.1".into(), 4050)
        );
        for (name, value) in [
            (PROTOCOL_VAR, "v2"),
            ("MESOS_SLAVE_PID", "slave(1)"),
            ("LIBPROCESS_PORT", "x"),
            ("LIBPROCESS_ADVERTISE_IP", "host"),
        ] {
            let mut bad = v.clone();
            bad.insert(name.into(), value.into());
            let err = AgentEnv::from_vars(&bad).unwrap_err().to_string();
            assert!(err.contains(name), "{name}: {err}");
        }
        let mut no_pid = vars(BASE);
        no_pid.insert(PROTOCOL_VAR.into(), "v0".into());
        assert!(AgentEnv::from_vars(&no_pid)
            .unwrap_err()
            .to_string()
            .contains("MESOS_SLAVE_PID"));
    }

    #[test]
    fn errors_name_the_variable() {
        let mut v = vars(BASE);
        v.remove("MESOS_EXECUTOR_ID");
        let err = AgentEnv::from_vars(&v).unwrap_err().to_string();
        assert!(err.contains("MESOS_EXECUTOR_ID"), "{err}");
        let mut v = vars(BASE);
        v.insert("MESOS_AGENT_ENDPOINT".into(), "http://x".into());
        assert!(AgentEnv::from_vars(&v)
            .unwrap_err()
            .to_string()
            .contains("MESOS_AGENT_ENDPOINT"));
        let mut v = vars(BASE);
        v.insert("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD".into(), "5s".into());
        assert!(AgentEnv::from_vars(&v)
            .unwrap_err()
            .to_string()
            .contains("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"));
    }
}
