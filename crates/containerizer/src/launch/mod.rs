//! The stages that take a [`crate::task::prepare::LaunchSpec`] to a running executor,
//! shared by `run` and `serve`. A container's lifecycle task
//! (`docker_containerizer/lifecycle.rs`) runs them in this order, checkpointing each step
//! first: sandbox and checkpoint → fetch the URIs (`mesos-fetcher`) → resolve the sandbox
//! volumes ([`sandbox_volumes`]) → pull the image → register the executor with the agent
//! endpoint → start it, as one of:
//!
//! - [`executor_process`]: `mesos-docker-executor` as a child process (a command task), its
//!   argv and environment from [`executor_command`];
//! - [`mesos_image`]: that executor in a container of its own (`--docker_mesos_image`);
//! - [`executor_container`]: a custom executor's image run as the container itself.
//!
//! [`docker_version`] is `run`'s version check of the docker CLI, remembered per CLI file.
//! [`context`] holds what every launch shares: the flags, the docker handle, the work dir,
//! the agent id, the error of a launch that failed, and the builders of the `docker run`
//! commands.

pub mod context;
pub mod docker_version;
pub mod executor_command;
pub mod executor_container;
pub mod executor_process;
pub mod mesos_image;
pub mod sandbox_volumes;
