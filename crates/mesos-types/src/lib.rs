//! Serde types for the Mesos v1 JSON messages used by the Docker containerizer, the docker
//! executor and the fetcher, in the exact JSON encoding Mesos uses (proto field names, enums
//! as strings, `bytes` as base64, ids as `{"value": ...}`), plus the RecordIO codec of the
//! v1 streaming APIs.
//!
//! Unknown fields are ignored so newer agents and frameworks can talk to us; a wrong type or
//! an unknown enum value is an error naming its JSON path (see [`json::from_json_str`]).

pub mod container;
pub mod duration;
pub mod executor;
pub mod fetcher;
pub mod flags;
pub mod health;
pub mod ids;
pub mod input;
pub mod json;
pub mod recordio;
pub mod resources;
pub mod statistics;
pub mod status;
pub mod task;

pub use ids::*;
pub use json::{from_json_slice, from_json_str, from_json_value, JsonError};
