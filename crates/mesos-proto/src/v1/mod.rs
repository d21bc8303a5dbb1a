//! The `mesos.v1.*` APIs. The `mesos.v1` messages themselves have the field numbers of
//! `mesos.*` and are the structs of [`crate::mesos`].

pub mod executor;
