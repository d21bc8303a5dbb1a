//! `mesos.HealthCheck` (what the docker executor runs), `mesos.CheckInfo` (the newer general
//! checks) and `mesos.CheckStatusInfo` (a check's result in a status update).
//!
//! The timing fields have proto defaults that Mesos relies on; they stay `Option` so a
//! round trip writes back only what was given, and accessor methods return the effective
//! values.

use crate::container::IpProtocol;
use crate::duration::{lenient, proto_enum, Duration};
use crate::task::CommandInfo;
use serde::{Deserialize, Serialize};

proto_enum!(
    /// `mesos.CheckInfo.Type`, which has the same values as `mesos.HealthCheck.Type`.
    CheckType {
        Unknown = "UNKNOWN",
        Command = "COMMAND",
        Http = "HTTP",
        Tcp = "TCP",
    }
);

/// `mesos.HealthCheck.Type`: the same names as [`CheckType`].
pub type HealthCheckType = CheckType;

/// `mesos.HealthCheck.HTTPCheckInfo`: a GET to `127.0.0.1:port` (or `[::1]`) from inside
/// the task's network namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpCheckInfo {
    /// Absent means `IPv4`: see [`HttpCheckInfo::protocol`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<IpProtocol>,
    /// `http` or `https`; absent means `http`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    #[serde(with = "lenient")]
    pub port: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Accepted HTTP statuses; Mesos ignores these (any 2xx/3xx is healthy).
    #[serde(default, with = "lenient::vec", skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<u32>,
}

impl HttpCheckInfo {
    /// The IP version to connect with, `IPv4` when unset.
    pub fn protocol(&self) -> IpProtocol {
        self.protocol.unwrap_or(IpProtocol::IPv4)
    }

    /// The URL scheme, `http` when unset.
    pub fn scheme(&self) -> &str {
        self.scheme.as_deref().unwrap_or("http")
    }
}

/// `mesos.HealthCheck.TCPCheckInfo`: a TCP connect to `port`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpCheckInfo {
    /// Absent means `IPv4`: see [`TcpCheckInfo::protocol`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<IpProtocol>,
    #[serde(with = "lenient")]
    pub port: u32,
}

impl TcpCheckInfo {
    /// The IP version to connect with, `IPv4` when unset.
    pub fn protocol(&self) -> IpProtocol {
        self.protocol.unwrap_or(IpProtocol::IPv4)
    }
}

/// Proto defaults of the timing fields, shared by `HealthCheck` and `CheckInfo`.
pub const DEFAULT_DELAY_SECONDS: f64 = 15.0;
/// See [`DEFAULT_DELAY_SECONDS`].
pub const DEFAULT_INTERVAL_SECONDS: f64 = 10.0;
/// See [`DEFAULT_DELAY_SECONDS`]; `0` means no timeout.
pub const DEFAULT_TIMEOUT_SECONDS: f64 = 20.0;
/// Default of `HealthCheck.consecutive_failures`.
pub const DEFAULT_CONSECUTIVE_FAILURES: u32 = 3;
/// Default of `HealthCheck.grace_period_seconds`.
pub const DEFAULT_GRACE_PERIOD_SECONDS: f64 = 10.0;

/// `mesos.HealthCheck`, fields in proto declaration order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HealthCheck {
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub delay_seconds: Option<f64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub interval_seconds: Option<f64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub timeout_seconds: Option<f64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub consecutive_failures: Option<u32>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub grace_period_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<HealthCheckType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpCheckInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<TcpCheckInfo>,
}

impl HealthCheck {
    /// Seconds from the checker's start to the first check, 15 when unset.
    pub fn delay_seconds(&self) -> f64 {
        self.delay_seconds.unwrap_or(DEFAULT_DELAY_SECONDS)
    }

    /// Seconds between the end of one check and the start of the next, 10 when unset.
    pub fn interval_seconds(&self) -> f64 {
        self.interval_seconds.unwrap_or(DEFAULT_INTERVAL_SECONDS)
    }

    /// Seconds a check may take (0 = no limit), 20 when unset.
    pub fn timeout_seconds(&self) -> f64 {
        self.timeout_seconds.unwrap_or(DEFAULT_TIMEOUT_SECONDS)
    }

    /// Failures in a row after which the task is killed, 3 when unset.
    pub fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
            .unwrap_or(DEFAULT_CONSECUTIVE_FAILURES)
    }

    /// Seconds after the checker's start during which failures are not counted (until
    /// the first success), 10 when unset.
    pub fn grace_period_seconds(&self) -> f64 {
        self.grace_period_seconds
            .unwrap_or(DEFAULT_GRACE_PERIOD_SECONDS)
    }

    /// The check type, `UNKNOWN` when unset.
    pub fn kind(&self) -> HealthCheckType {
        self.r#type.unwrap_or(CheckType::Unknown)
    }

    /// [`HealthCheck::delay_seconds`] as a [`Duration`].
    pub fn delay(&self) -> Duration {
        Duration::from_secs_f64(self.delay_seconds())
    }

    /// [`HealthCheck::interval_seconds`] as a [`Duration`].
    pub fn interval(&self) -> Duration {
        Duration::from_secs_f64(self.interval_seconds())
    }

    /// [`HealthCheck::timeout_seconds`] as a [`Duration`] (zero means no limit).
    pub fn timeout(&self) -> Duration {
        Duration::from_secs_f64(self.timeout_seconds())
    }

    /// [`HealthCheck::grace_period_seconds`] as a [`Duration`].
    pub fn grace_period(&self) -> Duration {
        Duration::from_secs_f64(self.grace_period_seconds())
    }
}

/// `mesos.CheckInfo.Command`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckCommand {
    pub command: CommandInfo,
}

/// `mesos.CheckInfo.Http`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckHttp {
    #[serde(with = "lenient")]
    pub port: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// `mesos.CheckInfo.Tcp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckTcp {
    #[serde(with = "lenient")]
    pub port: u32,
}

/// `mesos.CheckInfo`, fields in proto declaration order. The docker executor does not
/// support these checks; the type exists so task files carrying one decode.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CheckInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<CheckType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<CheckCommand>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<CheckHttp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<CheckTcp>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub delay_seconds: Option<f64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub interval_seconds: Option<f64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub timeout_seconds: Option<f64>,
}

impl CheckInfo {
    /// The check type, `UNKNOWN` when unset.
    pub fn kind(&self) -> CheckType {
        self.r#type.unwrap_or(CheckType::Unknown)
    }

    /// Seconds before the first check, 15 when unset.
    pub fn delay_seconds(&self) -> f64 {
        self.delay_seconds.unwrap_or(DEFAULT_DELAY_SECONDS)
    }

    /// Seconds between checks, 10 when unset.
    pub fn interval_seconds(&self) -> f64 {
        self.interval_seconds.unwrap_or(DEFAULT_INTERVAL_SECONDS)
    }

    /// Seconds a check may take (0 = no limit), 20 when unset.
    pub fn timeout_seconds(&self) -> f64 {
        self.timeout_seconds.unwrap_or(DEFAULT_TIMEOUT_SECONDS)
    }
}

/// `mesos.CheckStatusInfo.Command`: the exit code of the check command, absent when it
/// could not be run or timed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CheckStatusCommand {
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub exit_code: Option<i32>,
}

/// `mesos.CheckStatusInfo.Http`: the response status, absent when there was none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CheckStatusHttp {
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub status_code: Option<u32>,
}

/// `mesos.CheckStatusInfo.Tcp`: whether the connection succeeded, absent when unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CheckStatusTcp {
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub succeeded: Option<bool>,
}

/// `mesos.CheckStatusInfo`: the latest result of a `CheckInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CheckStatusInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<CheckType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<CheckStatusCommand>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<CheckStatusHttp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<CheckStatusTcp>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::from_json_str;

    #[test]
    fn defaults_when_absent() {
        let h: HealthCheck = from_json_str(r#"{"type":"TCP","tcp":{"port":8080}}"#).unwrap();
        assert_eq!(h.delay_seconds(), 15.0);
        assert_eq!(h.interval_seconds(), 10.0);
        assert_eq!(h.timeout_seconds(), 20.0);
        assert_eq!(h.consecutive_failures(), 3);
        assert_eq!(h.grace_period_seconds(), 10.0);
        assert_eq!(h.kind(), CheckType::Tcp);
        assert_eq!(
            h.tcp.as_ref().map(TcpCheckInfo::protocol),
            Some(IpProtocol::IPv4)
        );
        assert_eq!(h.timeout(), Duration::from_secs(20));
        assert_eq!(
            serde_json::to_string(&h).unwrap(),
            r#"{"type":"TCP","tcp":{"port":8080}}"#
        );
        assert_eq!(HealthCheck::default().kind(), CheckType::Unknown);
    }

    #[test]
    fn given_values_win_and_strings_are_accepted() {
        let h: HealthCheck = from_json_str(
            r#"{"delay_seconds":0,"interval_seconds":"0.5","timeout_seconds":0.0,"consecutive_failures":"1","grace_period_seconds":30,
                "type":"HTTP","http":{"scheme":"https","port":"443","path":"/health","statuses":[200,"204"]}}"#,
        )
        .unwrap();
        assert_eq!(h.delay_seconds(), 0.0);
        assert_eq!(h.interval(), Duration::from_millis(500));
        assert_eq!(h.timeout_seconds(), 0.0);
        assert_eq!(h.consecutive_failures(), 1);
        assert_eq!(h.grace_period_seconds(), 30.0);
        let http = h.http.as_ref().unwrap();
        assert_eq!(http.scheme(), "https");
        assert_eq!(http.port, 443);
        assert_eq!(http.statuses, [200, 204]);
        // Written back as numbers, whole doubles keeping their `.0`.
        let text = serde_json::to_string(&h).unwrap();
        assert!(
            text.starts_with(r#"{"delay_seconds":0.0,"interval_seconds":0.5,"#),
            "{text}"
        );
        assert!(text.contains(r#""statuses":[200,204]"#), "{text}");
    }

    #[test]
    fn bad_values_name_their_path() {
        let err = from_json_str::<HealthCheck>(r#"{"type":"HTTP","http":{"port":"eighty"}}"#)
            .unwrap_err();
        assert_eq!(err.path, "http.port");
        let err = from_json_str::<HealthCheck>(r#"{"type":"PING"}"#).unwrap_err();
        assert_eq!(err.path, "type");
        assert!(err.message.starts_with("unknown value `PING`"), "{err}");
        let err = from_json_str::<HealthCheck>(r#"{"type":"TCP","tcp":{}}"#).unwrap_err();
        assert!(err.message.contains("missing field `port`"), "{err}");
    }

    #[test]
    fn check_info_and_status() {
        let c: CheckInfo = from_json_str(
            r#"{"type":"COMMAND","command":{"command":{"value":"true"}},"interval_seconds":5}"#,
        )
        .unwrap();
        assert_eq!(c.kind(), CheckType::Command);
        assert_eq!(c.delay_seconds(), 15.0);
        assert_eq!(c.interval_seconds(), 5.0);
        assert_eq!(c.timeout_seconds(), 20.0);

        let s: CheckStatusInfo =
            from_json_str(r#"{"type":"COMMAND","command":{"exit_code":-1}}"#).unwrap();
        assert_eq!(s.command.and_then(|c| c.exit_code), Some(-1));
        let text = r#"{"type":"TCP","tcp":{"succeeded":true}}"#;
        let s: CheckStatusInfo = from_json_str(text).unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), text);
    }
}
