//! The agent side of the Mesos Docker containerizer: validates a TaskInfo, fetches its URIs
//! with `mesos-fetcher`, pulls its image, spawns `mesos-docker-executor` against an agent
//! endpoint hosted in this process, and checkpoints what it does so it can recover.

pub mod checkpoint;
pub mod executor_launch;
pub mod flags;
pub mod logging;
pub mod paths;
pub mod prepare;
pub mod validate;
