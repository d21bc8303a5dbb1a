//! A small client of the Docker Engine API, spoken over the daemon's Unix socket
//! (`--docker_socket`): what a running task needs from the daemon without a `docker` process
//! alive for its whole life (docs/docker-engine.md).
//!
//! - [`Engine`]: container inspect, start, stop, kill, remove and wait, each bounded in time
//!   like the CLI call it replaces ([`docker_cli::Timeouts`]); errors are
//!   [`docker_cli::DockerError`]s, so callers handle one error type whichever way they went.
//! - [`attach`]: the container's output stream, attached before the container starts and
//!   demultiplexed into two writers byte for byte, on a thread of its own.
//! - [`launch`]: `docker create` (the CLI: every `docker run` option Mesos users pass as
//!   `DockerInfo.parameters` keeps working unchanged), then attach, wait and start on the API.
//! - [`start_error`]: the exit code `docker run` gives a container that failed to start.

pub mod attach;
mod containers;
mod http;
mod images;
pub mod launch;
mod list;
pub mod start_error;

pub use attach::{Attachment, CopyReport, DemuxError, Demuxer, StreamKind};
pub use containers::ExitWait;
pub use launch::{LaunchError, Launched, OutputSinks};

use docker_cli::Timeouts;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How long connecting to the daemon's socket may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long `start` may take: the daemon sets up mounts and networks, which is slow on a
/// loaded host, but a start that has not answered in two minutes is a hung daemon.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// A handle on the daemon behind one Unix socket. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Engine {
    socket: Arc<PathBuf>,
    timeouts: Timeouts,
}

impl Engine {
    /// The daemon at `socket`, with the time limits of the CLI calls this replaces.
    pub fn new(socket: impl Into<PathBuf>, timeouts: Timeouts) -> Self {
        Self {
            socket: Arc::new(socket.into()),
            timeouts,
        }
    }

    /// The socket this talks to.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The time limits in use.
    pub fn timeouts(&self) -> &Timeouts {
        &self.timeouts
    }
}
