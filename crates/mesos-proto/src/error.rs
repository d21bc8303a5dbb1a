//! The errors of decoding and converting.

use std::fmt;

/// What is wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// A `required` field is absent.
    #[error("missing required field")]
    Missing,
    /// An enum number this build does not know, in a field where it cannot be dropped.
    #[error("unknown {enum_name} value {value}")]
    UnknownEnum {
        /// The proto enum, e.g. `mesos.TaskState`.
        enum_name: &'static str,
        value: i32,
    },
    /// Anything else: malformed bytes, a JSON value of the wrong shape.
    #[error("{0}")]
    Invalid(String),
}

/// A field that does not convert, with its dotted path from the message converted
/// (`container.volumes[1].mode`; empty for the message itself).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConvertError {
    pub field: String,
    pub problem: Problem,
}

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.problem)
        } else {
            write!(f, "{}: {}", self.field, self.problem)
        }
    }
}

impl ConvertError {
    pub(crate) fn new(problem: Problem) -> Self {
        Self {
            field: String::new(),
            problem,
        }
    }

    pub(crate) fn missing() -> Self {
        Self::new(Problem::Missing)
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(Problem::Invalid(message.into()))
    }

    pub(crate) fn unknown_enum(enum_name: &'static str, value: i32) -> Self {
        Self::new(Problem::UnknownEnum { enum_name, value })
    }

    /// The same error one level up: inside field `name`.
    pub(crate) fn at(mut self, name: &str) -> Self {
        self.field = if self.field.is_empty() {
            name.to_string()
        } else if self.field.starts_with('[') {
            format!("{name}{}", self.field)
        } else {
            format!("{name}.{}", self.field)
        };
        self
    }

    /// The same error one level up: inside element `index` of a repeated field.
    pub(crate) fn at_index(mut self, index: u32) -> Self {
        self.field = if self.field.is_empty() || self.field.starts_with('[') {
            format!("[{index}]{}", self.field)
        } else {
            format!("[{index}].{}", self.field)
        };
        self
    }

    /// The same error one level up: inside the map entry `key`.
    pub(crate) fn at_key(mut self, key: &str) -> Self {
        self.field = if self.field.is_empty() || self.field.starts_with('[') {
            format!("[{key:?}]{}", self.field)
        } else {
            format!("[{key:?}].{}", self.field)
        };
        self
    }
}

/// Bytes that are not the expected message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    /// Not valid protobuf for this message (truncated, garbage, a field of the wrong type).
    #[error("failed to parse {message}: {source}")]
    Wire {
        /// The proto name of the message decoded, e.g. `mesos.internal.RunTaskMessage`.
        message: &'static str,
        source: prost::DecodeError,
    },
    /// Well-formed bytes that lack a required field (`field` is its dotted path), or whose
    /// nested bytes are malformed.
    #[error("failed to parse {message}: {error}")]
    Field {
        message: &'static str,
        error: ConvertError,
    },
}

impl DecodeError {
    /// The dotted path of the offending field, when one is known.
    pub fn field(&self) -> Option<&str> {
        match self {
            DecodeError::Wire { .. } => None,
            DecodeError::Field { error, .. } => Some(&error.field),
        }
    }
}
