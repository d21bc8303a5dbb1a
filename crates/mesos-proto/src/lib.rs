//! Hand-written protobuf definitions of the Mesos messages that the executor protocols use,
//! with conversions to and from the `mesos_types` serde types.
//!
//! - [`mesos`]: `mesos.*` / `mesos.v1.*` (same field numbers): `TaskInfo`, `TaskStatus`, ...
//! - [`internal`]: the `mesos.internal.*` messages of the v0 (libprocess) executor protocol.
//! - [`v1::executor`]: `mesos.v1.executor.Call` and `Event` of the v1 executor HTTP API.
//! - [`convert`]: [`convert::ProtoConvert`], typed ⇄ protobuf.
//! - [`opaque`]: the JSON form of sub-messages kept as bytes (`SlaveInfo`, `DiscoveryInfo`, ...).
//!
//! The structs use prost's derive macros; there is no build script and no `protoc`. Field
//! numbers, types and labels are copied from Mesos 1.11's `.proto` files and are the
//! contract: a peer built from those files reads what we write and we read what it writes.
//!
//! Decode with [`decode`], not with `prost::Message::decode` alone: prost does not notice a
//! missing `required` field, [`decode`] does (and names it), as a real Mesos peer would refuse
//! such a message.

pub mod convert;
pub mod error;
pub mod internal;
pub mod mesos;
pub mod opaque;
mod schema;
mod tables;
#[cfg(test)]
mod tests;
pub mod v1;

pub use convert::ProtoConvert;
pub use error::{ConvertError, DecodeError, Problem};
pub use prost::Message;
pub use schema::Schema;

/// A message sent over libprocess, which names each message by its full proto name.
pub trait Named {
    /// The full proto name, e.g. `mesos.internal.RunTaskMessage`.
    const NAME: &'static str;
}

/// A message this crate can decode with required-field checking (see [`decode`]).
pub trait ProtoMessage: prost::Message + Default {
    /// The message's description (field numbers, names, labels). Opaque.
    #[doc(hidden)]
    const SCHEMA: &'static Schema;
}

/// Decodes `bytes` as an `M`, failing on malformed bytes and on a missing `required` field
/// anywhere in the message (the error names its dotted path, e.g. `update.status.task_id`).
pub fn decode<M: ProtoMessage>(bytes: &[u8]) -> Result<M, DecodeError> {
    let message = M::decode(bytes).map_err(|source| DecodeError::Wire {
        message: M::SCHEMA.name,
        source,
    })?;
    schema::check(M::SCHEMA, bytes).map_err(|error| DecodeError::Field {
        message: M::SCHEMA.name,
        error,
    })?;
    Ok(message)
}

/// Encodes `message` (every `required` field is always written).
pub fn encode<M: prost::Message>(message: &M) -> Vec<u8> {
    message.encode_to_vec()
}

macro_rules! proto_message {
    ($($ty:ty => $schema:expr;)*) => {$(
        impl $crate::ProtoMessage for $ty {
            const SCHEMA: &'static $crate::Schema = &$schema;
        }
    )*};
}
pub(crate) use proto_message;

proto_message! {
    mesos::TaskInfo => tables::TASK_INFO;
    mesos::TaskStatus => tables::TASK_STATUS;
    mesos::ExecutorInfo => tables::EXECUTOR_INFO;
    mesos::FrameworkInfo => tables::FRAMEWORK_INFO;
    mesos::TaskGroupInfo => tables::TASK_GROUP_INFO;
    mesos::Resource => tables::RESOURCE;
    mesos::ContainerInfo => tables::CONTAINER_INFO;
    mesos::CommandInfo => tables::COMMAND_INFO;
}
