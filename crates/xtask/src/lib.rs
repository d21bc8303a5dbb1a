//! Packaging tasks for the three binaries: man pages and shell completions generated from
//! their clap definitions, and (in Cargo.toml) the cargo-deb and cargo-generate-rpm metadata
//! of the `mesos-docker-containerizer` package. `scripts/package` drives it all.

pub mod commands;
pub mod completions;
pub mod dist;
pub mod man;
