//! Packaging tasks for the three binaries: man pages and shell completions generated from
//! their clap definitions, and the `mesos-docker-containerizer` .deb and .rpm, built with
//! dpkg-deb and rpmbuild from the cargo-deb and cargo-generate-rpm metadata in Cargo.toml.
//! `scripts/package` drives it all.

pub mod commands;
pub mod completions;
pub mod dist;
pub mod man;
pub mod package;
