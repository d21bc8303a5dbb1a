//! The agent side of the Mesos Docker containerizer: validates a TaskInfo, fetches its URIs
//! with `mesos-fetcher`, pulls its image, spawns `mesos-docker-executor` against an agent
//! endpoint hosted in this process, and checkpoints what it does so it can recover.

pub mod checkpoint;
pub mod cli;
pub mod client;
pub mod commands;
pub mod container_watch;
pub mod daemon;
pub mod docker_containerizer;
pub mod executor_container;
pub mod executor_launch;
pub mod executor_process;
pub mod explain;
pub mod flags;
pub mod launch_context;
pub mod logging;
pub mod mesos_image;
pub mod paths;
pub mod prepare;
pub mod process_watch;
pub mod record;
pub mod run;
pub mod sandbox_volumes;
pub mod status_line;
pub mod validate;

/// The version and the git commit this build came from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("MESOS_DOCKER_GIT_COMMIT"),
    ")"
);
