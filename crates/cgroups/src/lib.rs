//! A Docker container's resource usage and limits, read and written straight from its cgroup
//! files, on cgroup v1 and v2.
//!
//! Why not `docker stats` / `docker update`: the agent samples every container for
//! `/monitor/statistics` and the `usage` command, and a CLI round trip through the daemon
//! costs tens of milliseconds and a process per sample. Reading a dozen small kernel files
//! costs well under a millisecond, and Mesos itself reads and writes the cgroup files for
//! `usage` and `update` (docs/mesos-compat.md); unlike Mesos 1.11 we also speak cgroup v2,
//! because current distributions boot with the unified hierarchy only.
//!
//! Why the container is located from its pid and `/proc/self/mountinfo` rather than from a
//! fixed `/sys/fs/cgroup/<controller>/docker/<id>`: the layout depends on the cgroup driver
//! (cgroupfs puts containers under `/docker/<id>`, systemd under
//! `system.slice/docker-<id>.scope`), on which v1 controllers share a hierarchy, and on where
//! this agent itself runs (inside a container the hierarchies are mounted at a sub-cgroup, so
//! `/proc/<pid>/cgroup` paths must be taken relative to each mount's root). The kernel already
//! tells us all of it; guessing would break on the first machine that differs. When the path
//! still cannot be mapped (cgroup namespaces can hide it), [`ContainerCgroup::for_container`]
//! searches the mounted hierarchy for a directory named after the container id.
//!
//! Why pure parsers beside thin I/O: every file format has a parser that takes the file's
//! text ([`v1::parse_cpu_stat`], [`v2::parse_cpu_max`], [`parse_mountinfo`], …), so the
//! formats are tested on literal kernel output, and [`V1Cgroup`] / [`V2Cgroup`] take their
//! directories as plain paths, so whole fixture trees test sampling and updates without root
//! or a kernel. Both sit behind the [`Cgroup`] trait, so the containerizer can be tested with
//! a fake.
//!
//! Required and optional files: a file every cgroup of a working container has (v1
//! `cpuacct.stat`, `memory.stat`, `memory.usage_in_bytes`; v2 `cpu.stat`, `memory.stat`,
//! `memory.current`) is an error naming its path when missing; the rest depend on kernel
//! configuration (CFS bandwidth, swap accounting, the pids controller, controllers delegated
//! to the cgroup) and leave their fields `None`.

mod container;
mod error;
mod files;
pub mod format;
mod limits;
pub mod mounts;
pub mod pids;
pub mod usage;
pub mod v1;
pub mod v2;

use std::path::Path;

use mesos_types::statistics::ResourceStatistics;

pub use container::ContainerCgroup;
pub use error::{CgroupError, ParseError, Result};
pub use limits::{shares_to_weight, weight_to_shares, CpuQuota, Limits, MemoryLimit};
pub use mounts::{parse_mountinfo, parse_proc_cgroup, CgroupMount, ProcCgroup};
pub use v1::V1Cgroup;
pub use v2::V2Cgroup;

/// Where cgroup hierarchies are mounted on every mainstream distribution.
pub const DEFAULT_CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// Which cgroup interface holds a container's controllers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CgroupVersion {
    /// One hierarchy per controller (or group of controllers), `cgroup` filesystems.
    V1,
    /// The unified hierarchy, a single `cgroup2` filesystem.
    V2,
}

/// The cgroup version mounted at `root` (normally [`DEFAULT_CGROUP_ROOT`]): v2 when `root`
/// is a unified hierarchy (it has `cgroup.controllers`), else v1. A hybrid machine (v1
/// controllers plus a controller-less `unified` mount beneath the root) is v1, which is what
/// Docker uses there.
pub fn detect(root: &Path) -> Result<CgroupVersion> {
    std::fs::metadata(root).map_err(|source| CgroupError::Read {
        path: root.to_path_buf(),
        source,
    })?;
    let controllers = root.join("cgroup.controllers");
    match controllers.try_exists() {
        Ok(true) => Ok(CgroupVersion::V2),
        Ok(false) => Ok(CgroupVersion::V1),
        Err(source) => Err(CgroupError::Read {
            path: controllers,
            source,
        }),
    }
}

/// A container's cgroup: sample its usage, change its limits.
pub trait Cgroup {
    /// One usage sample, timestamped now.
    ///
    /// `cpus_limit_hint` is the CPU allocation the caller knows of (the task's cpus). It is
    /// reported as `cpus_limit` when the cgroup has no CFS quota, in preference to the
    /// cgroup's CPU shares/weight, because shares are only a relative weight and their
    /// conversion to CPUs is approximate (exact on v1 for Mesos-written shares, lossy on v2).
    /// A quota is always preferred: it is what the kernel enforces.
    fn statistics(&self, cpus_limit_hint: Option<f64>) -> Result<ResourceStatistics>;

    /// Writes the limits that are set; the others are left alone.
    fn update(&self, limits: &Limits) -> Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_tells_unified_from_per_controller_hierarchies() {
        let root = tempfile::tempdir().unwrap();
        assert_eq!(detect(root.path()).unwrap(), CgroupVersion::V1);
        std::fs::write(root.path().join("cgroup.controllers"), "cpu memory pids\n").unwrap();
        assert_eq!(detect(root.path()).unwrap(), CgroupVersion::V2);

        let missing = root.path().join("absent");
        let err = detect(&missing).unwrap_err();
        assert!(
            err.to_string().contains(&missing.display().to_string()),
            "{err}"
        );
    }
}
