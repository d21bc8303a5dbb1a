//! How many processes and threads a container has; the same files on v1 and v2.
//!
//! `pids.current` counts tasks, i.e. threads (of the cgroup and its descendants), so it is
//! reported as `threads`; `processes` counts the thread-group leaders listed in
//! `cgroup.procs`. Docker containers have no sub-cgroups, so the two agree on what they cover.

use std::path::Path;

use crate::error::{ParseError, Result};
use crate::files;
use crate::format::parse_u64;
use crate::usage::saturating_u32;

/// Parses `pids.current`.
pub fn parse_pids_current(text: &str) -> Result<u64, ParseError> {
    parse_u64(text)
}

/// Counts the pids listed in `cgroup.procs` (one per line).
pub fn count_procs(text: &str) -> u32 {
    saturating_u32(text.lines().filter(|l| !l.trim().is_empty()).count() as u64)
}

/// `pids.current` in the pids cgroup `dir`, if the controller is there.
pub(crate) fn read_threads(dir: Option<&Path>) -> Result<Option<u32>> {
    let Some(dir) = dir else { return Ok(None) };
    Ok(
        files::read_optional_parsed(&dir.join("pids.current"), parse_pids_current)?
            .map(saturating_u32),
    )
}

/// The number of processes listed in `dir/cgroup.procs`.
pub(crate) fn read_processes(dir: &Path) -> Result<Option<u32>> {
    Ok(files::read_optional(&dir.join("cgroup.procs"))?.map(|t| count_procs(&t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_processes_and_threads() {
        assert_eq!(parse_pids_current("3\n"), Ok(3));
        assert_eq!(count_procs("3823\n3901\n"), 2);
        assert_eq!(count_procs(""), 0);
    }

    #[test]
    fn reads_optional_pids_files() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_threads(None).unwrap(), None);
        assert_eq!(read_threads(Some(dir.path())).unwrap(), None);
        assert_eq!(read_processes(dir.path()).unwrap(), None);
        std::fs::write(dir.path().join("pids.current"), "4\n").unwrap();
        std::fs::write(dir.path().join("cgroup.procs"), "10\n11\n").unwrap();
        assert_eq!(read_threads(Some(dir.path())).unwrap(), Some(4));
        assert_eq!(read_processes(dir.path()).unwrap(), Some(2));
    }
}
