//! What can go wrong when we drive the Docker CLI, in domain words.
//!
//! Every variant is `Clone` so that one result of a de-duplicated pull can be handed to all
//! of its waiters. No variant ever carries an environment value or registry credentials:
//! argv and stderr are redacted before they are stored (see [`crate::redact`]).

use std::fmt;
use std::time::Duration;

use crate::version::Version;

/// Convenience alias for results of this crate.
pub type Result<T, E = DockerError> = std::result::Result<T, E>;

/// The kind of Docker object an operation was looking for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Container,
    Image,
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ObjectKind::Container => "container",
            ObjectKind::Image => "image",
        })
    }
}

/// A failure of a Docker CLI operation or of building its arguments.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DockerError {
    /// The docker program could not be started at all (not installed, not executable).
    #[error("Failed to start '{program}' for docker {op}: {reason}")]
    Spawn {
        op: String,
        program: String,
        reason: String,
    },

    /// The call did not finish within its time limit: the CLI was killed, or the Engine API
    /// request abandoned and its connection closed.
    #[error("{op} timed out after {after:?}")]
    Timeout { op: String, after: Duration },

    /// The daemon answered an Engine API request with an error status (`message` is its
    /// own words).
    #[error("Docker daemon refused {op}: {message} (HTTP {status})")]
    Api {
        op: String,
        status: u16,
        message: String,
    },

    /// The daemon's socket could not be reached, or the connection broke mid-request.
    #[error("Cannot talk to the Docker daemon at {socket} for {op}: {reason}")]
    Unreachable {
        op: String,
        socket: String,
        reason: String,
    },

    /// The CLI exited non-zero (or was killed by a signal: `code` is `None`).
    #[error("Failed to run '{argv}': {}; stderr='{stderr}'", exit_text(*.code))]
    Failed {
        op: String,
        argv: String,
        code: Option<i32>,
        stderr: String,
    },

    /// The CLI succeeded but printed something we cannot understand.
    #[error("Failed to parse the output of docker {op}: {reason}")]
    Parse { op: String, reason: String },

    /// The Docker found is older than the containerizer needs (Mesos's message).
    #[error("Insufficient version '{found}' of Docker. Please upgrade to >= '{min}'")]
    VersionTooOld {
        found: Box<Version>,
        min: Box<Version>,
    },

    /// A feature of the run options needs a newer Docker than the one found.
    #[error("{feature}: Docker {min} or higher is required (found {found})")]
    FeatureNeedsVersion {
        feature: String,
        found: Box<Version>,
        min: Box<Version>,
    },

    /// The container or image does not exist (docker said "No such ...").
    #[error("No such {kind}: {name}")]
    NotFound { kind: ObjectKind, name: String },

    /// `docker pull` printed nothing for the no-progress deadline; it was killed.
    #[error("docker pull of '{image}' made no progress for {after:?} (the pull was killed)")]
    NoProgress { image: String, after: Duration },

    /// The registry refused the pull for want of (valid) credentials.
    #[error(
        "Failed to pull '{image}': the registry requires authentication ({detail}); give \
         credentials with --docker_config or a .docker/config.json (or .dockercfg) in the sandbox"
    )]
    PullUnauthorized { image: String, detail: String },

    /// An input does not make sense; `field` is its JSON path, `hint` says what is wrong.
    #[error("{field}: {hint}")]
    InvalidInput {
        field: String,
        value: String,
        hint: String,
    },

    /// A local file operation around a CLI call failed (temporary docker config, ...).
    #[error("{context}: {reason}")]
    Io { context: String, reason: String },
}

impl DockerError {
    /// Shorthand for [`DockerError::InvalidInput`].
    pub fn invalid(
        field: impl Into<String>,
        value: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        DockerError::InvalidInput {
            field: field.into(),
            value: value.into(),
            hint: hint.into(),
        }
    }

    pub fn parse(op: &str, reason: impl Into<String>) -> Self {
        DockerError::Parse {
            op: op.to_string(),
            reason: reason.into(),
        }
    }

    pub fn io(context: impl Into<String>, err: impl fmt::Display) -> Self {
        DockerError::Io {
            context: context.into(),
            reason: err.to_string(),
        }
    }

    /// True for [`DockerError::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, DockerError::NotFound { .. })
    }

    /// True for [`DockerError::Timeout`].
    pub fn is_timeout(&self) -> bool {
        matches!(self, DockerError::Timeout { .. })
    }
}

fn exit_text(code: Option<i32>) -> String {
    match code {
        Some(code) => format!("exited with status {code}"),
        None => "killed by a signal".to_string(),
    }
}
