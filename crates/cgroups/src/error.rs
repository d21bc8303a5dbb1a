//! What can go wrong when we read or write a container's cgroup, in domain words. Every
//! variant that comes from a file names that file, because "permission denied" or "invalid
//! argument" alone does not tell an operator which of a dozen cgroup files to look at.

use std::io;
use std::path::PathBuf;

/// Convenience alias for results of this crate.
pub type Result<T, E = CgroupError> = std::result::Result<T, E>;

/// Why a cgroup file's text could not be understood; wrapped with the file's path in
/// [`CgroupError::Malformed`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The file was empty where a value was expected.
    #[error("it is empty")]
    Empty,
    /// A line does not have the shape the format requires.
    #[error("unexpected line {line:?}")]
    BadLine { line: String },
    /// A value that must be a number is not one.
    #[error("{what} {value:?} is not a number")]
    BadNumber { what: String, value: String },
    /// A key the format always carries is absent.
    #[error("it has no '{key}' entry")]
    MissingKey { key: &'static str },
}

/// A failure to locate, sample or update a container's cgroup.
#[derive(Debug, thiserror::Error)]
pub enum CgroupError {
    /// A file could not be read (for an optional file: for another reason than absence).
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },

    /// The kernel refused a write (`EINVAL` for a value out of range or against the parent's
    /// limits, `EBUSY` for a memory limit below what the container uses).
    #[error("cannot write '{value}' to {}: {source}", path.display())]
    Write {
        path: PathBuf,
        value: String,
        source: io::Error,
    },

    /// A file was read but its contents are not in the expected format.
    #[error("malformed {}: {source}", path.display())]
    Malformed { path: PathBuf, source: ParseError },

    /// `/proc/<pid>/cgroup` lists no cgroup for this controller.
    #[error("process {pid} is in no '{controller}' cgroup (per /proc/{pid}/cgroup)")]
    NoCgroup { pid: u32, controller: String },

    /// No hierarchy with this controller is mounted in our mount namespace.
    #[error("no cgroup hierarchy for '{controller}' is mounted (per /proc/self/mountinfo)")]
    NotMounted { controller: String },

    /// The process sits in the root cgroup: Mesos reads this as a container being destroyed
    /// (its processes already gone), and its usage would be the whole machine's.
    #[error("process {pid} should not be in the root '{controller}' cgroup (being destroyed?)")]
    RootCgroup { pid: u32, controller: String },

    /// The process's cgroup is not visible under any mount of its hierarchy, and no directory
    /// named after the container was found there either.
    #[error(
        "the '{controller}' cgroup {cgroup} of process {pid} is not under any mount of its hierarchy{}",
        container_id.as_ref().map(|id| format!(", and no directory there is named after container {id}")).unwrap_or_default()
    )]
    DirectoryMissing {
        pid: u32,
        controller: String,
        cgroup: String,
        container_id: Option<String>,
    },

    /// A limit that the kernel would reject or misread, caught before writing.
    #[error("invalid {what}: {reason}")]
    InvalidLimit { what: &'static str, reason: String },
}

impl CgroupError {
    /// Whether this is a read of a file or process that does not exist (the container's
    /// processes are gone), so callers can tell "container ended" from a real failure.
    pub fn is_not_found(&self) -> bool {
        matches!(self, CgroupError::Read { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }
}
