//! Supervising executors that are not (or no longer) our children: after a restart, or when
//! the executor runs in a docker container. A child process is watched by waiting on it;
//! these need more.
//!
//! - [`process`]: a process known by its pid and start time (so a reused pid is not
//!   mistaken for it), polled through `/proc`;
//! - [`container`]: a container, through `docker wait`, riding out a restart of the docker
//!   daemon.

pub mod container;
pub mod process;
