//! The Mesos id messages: each is `{"value": "..."}` on the wire.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! mesos_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name {
            pub value: String,
        }

        impl $name {
            pub fn new(value: impl Into<String>) -> Self {
                Self { value: value.into() }
            }

            pub fn as_str(&self) -> &str {
                &self.value
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::new(value)
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self::new(value)
            }
        }
    };
}

mesos_id!(
    /// `mesos.FrameworkID`.
    FrameworkId
);
mesos_id!(
    /// `mesos.AgentID` (`SlaveID` in the v0 protos; same JSON).
    AgentId
);
mesos_id!(
    /// `mesos.ExecutorID`.
    ExecutorId
);
mesos_id!(
    /// `mesos.TaskID`.
    TaskId
);
mesos_id!(
    /// `mesos.OfferID`.
    OfferId
);

/// `mesos.ContainerID`: a value plus an optional parent for nested containers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ContainerId {
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Box<ContainerId>>,
}

impl ContainerId {
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            parent: None,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for ContainerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = &self.parent {
            write!(f, "{parent}.")?;
        }
        f.write_str(&self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_value_objects_on_the_wire() {
        let id: TaskId = serde_json::from_str(r#"{"value":"t1","extra":1}"#).unwrap();
        assert_eq!(id.as_str(), "t1");
        assert_eq!(serde_json::to_string(&id).unwrap(), r#"{"value":"t1"}"#);
    }

    #[test]
    fn nested_container_id_round_trips() {
        let json = r#"{"value":"child","parent":{"value":"root"}}"#;
        let id: ContainerId = serde_json::from_str(json).unwrap();
        assert_eq!(id.to_string(), "root.child");
        assert_eq!(serde_json::to_string(&id).unwrap(), json);
    }
}
