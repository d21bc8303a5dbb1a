//! The JSON form of sub-messages this crate keeps as encoded bytes (see the docs of
//! [`crate::mesos`]), in the shape Mesos's own JSON conversion gives them: proto field
//! names, enums by name, `bytes` as base64, maps as objects.

use crate::error::ConvertError;
use crate::tables;
use serde_json::Value;

/// The JSON form of an encoded `mesos.SlaveInfo` / `mesos.v1.AgentInfo` (`hostname`, `port`,
/// `id`, `resources`, `attributes`, `domain`, ...), as in `ExecutorRegisteredMessage` and
/// `Event.Subscribed`.
pub fn agent_info_to_json(bytes: &[u8]) -> Result<Value, ConvertError> {
    crate::schema::to_json(&tables::AGENT_INFO, bytes)
}

/// Encodes the JSON form of a `mesos.v1.AgentInfo` (`hostname` is required).
pub fn agent_info_from_json(value: &Value) -> Result<Vec<u8>, ConvertError> {
    crate::schema::from_json(&tables::AGENT_INFO, value)
}
