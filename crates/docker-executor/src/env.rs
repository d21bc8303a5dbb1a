//! The environment the agent gives its executors (spec §2): where the agent is, who we are,
//! and the recovery timings.

use mesos_types::duration::Duration;
use mesos_types::{ExecutorId, FrameworkId};
use std::collections::HashMap;

/// Defaults the agent would export (`--recovery_timeout`, `--executor_reregistration_timeout`,
/// `--executor_shutdown_grace_period`).
pub const DEFAULT_RECOVERY_TIMEOUT: Duration = Duration::from_secs(15 * 60);
pub const DEFAULT_SUBSCRIPTION_BACKOFF_MAX: Duration = Duration::from_secs(2);
pub const DEFAULT_SHUTDOWN_GRACE_PERIOD: Duration = Duration::from_secs(5);

/// What the executor reads from its environment.
#[derive(Clone)]
pub struct AgentEnv {
    /// `ip:port` of the agent (`MESOS_AGENT_ENDPOINT`).
    pub agent_endpoint: String,
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
            .field("agent_endpoint", &self.agent_endpoint)
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
        let agent_endpoint = required("MESOS_AGENT_ENDPOINT")?;
        validate_endpoint(&agent_endpoint)?;
        Ok(Self {
            agent_endpoint,
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
