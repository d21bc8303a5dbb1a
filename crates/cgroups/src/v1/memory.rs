//! v1 `memory`: usage (`memory.usage_in_bytes`), breakdown (`memory.stat`), and the hard
//! limit (`memory.limit_in_bytes`), which is bound up with the memory+swap limit
//! (`memory.memsw.limit_in_bytes`).

use std::path::Path;

use crate::error::{ParseError, Result};
use crate::files;
use crate::format::{first_of, parse_flat_keyed, parse_u64, sum_of};
use crate::limits::MemoryLimit;
use crate::usage::MemoryStat;

/// Limits at or above this are the kernel's "unlimited" (`PAGE_COUNTER_MAX` pages, reported
/// as 9223372036854771712 with 4 KiB pages; slightly less with larger pages).
const UNLIMITED_FROM: u64 = 1 << 62;

/// Parses v1 `memory.stat`, preferring the hierarchical `total_*` entries (they include
/// sub-cgroups) and falling back to the cgroup's own. `rss` is required, as Mesos requires it.
pub fn parse_memory_stat(text: &str) -> Result<MemoryStat, ParseError> {
    let e = parse_flat_keyed(text)?;
    let rss = first_of(&e, &["total_rss", "rss"]).ok_or(ParseError::MissingKey { key: "rss" })?;
    Ok(MemoryStat {
        rss: Some(rss),
        cache: first_of(&e, &["total_cache", "cache"]),
        swap: first_of(&e, &["total_swap", "swap"]),
        mapped_file: first_of(&e, &["total_mapped_file", "mapped_file"]),
        unevictable: first_of(&e, &["total_unevictable", "unevictable"]),
        anon: sum_of(&e, &["total_inactive_anon", "total_active_anon"])
            .or_else(|| sum_of(&e, &["inactive_anon", "active_anon"])),
        file: sum_of(&e, &["total_inactive_file", "total_active_file"])
            .or_else(|| sum_of(&e, &["inactive_file", "active_file"])),
    })
}

/// A v1 limit as read, or `None` when it is the kernel's "unlimited".
pub fn limit_from_bytes(value: u64) -> Option<u64> {
    (value < UNLIMITED_FROM).then_some(value)
}

pub(crate) fn read_stat(dir: &Path) -> Result<MemoryStat> {
    files::read_parsed(&dir.join("memory.stat"), parse_memory_stat)
}

pub(crate) fn read_usage(dir: &Path) -> Result<u64> {
    files::read_parsed(&dir.join("memory.usage_in_bytes"), parse_u64)
}

pub(crate) fn read_limit(dir: &Path) -> Result<Option<u64>> {
    Ok(
        files::read_optional_parsed(&dir.join("memory.limit_in_bytes"), parse_u64)?
            .and_then(limit_from_bytes),
    )
}

/// Writes the hard limit, keeping the container's swap allowance as it was.
///
/// Why memsw is touched at all: the kernel keeps `memory.limit_in_bytes` ≤
/// `memory.memsw.limit_in_bytes` and refuses (`EINVAL`) a memory limit above the memsw
/// limit, and `docker run --memory M` sets memsw to 2M. Raising the memory limit past that
/// must raise memsw first; we move memsw by the same amount, so the container keeps the
/// swap Docker gave it (v2 behaves the same way: `memory.swap.max` is separate from
/// `memory.max`). Without swap accounting, or with unlimited memsw, only the memory limit
/// is written.
pub(crate) fn write_limit(dir: &Path, limit: MemoryLimit) -> Result<()> {
    let limit_path = dir.join("memory.limit_in_bytes");
    let memsw_path = dir.join("memory.memsw.limit_in_bytes");
    let new = limit.bytes();

    let memsw = files::read_optional_parsed(&memsw_path, parse_u64)?.and_then(limit_from_bytes);
    let Some(memsw) = memsw else {
        return files::write(&limit_path, &v1_value(new));
    };
    let old = limit_from_bytes(files::read_parsed(&limit_path, parse_u64)?);
    let allowance = old.map_or(0, |old| memsw.saturating_sub(old));
    let new_memsw = new.map(|n| n.saturating_add(allowance));
    let growing = match (new, old) {
        (None, _) => true,
        (Some(new), Some(old)) => new > old,
        (Some(_), None) => false,
    };
    if growing {
        files::write(&memsw_path, &v1_value(new_memsw))?;
        files::write(&limit_path, &v1_value(new))
    } else {
        files::write(&limit_path, &v1_value(new))?;
        files::write(&memsw_path, &v1_value(new_memsw))
    }
}

fn v1_value(bytes: Option<u64>) -> String {
    bytes.map_or_else(|| "-1".to_string(), |b| b.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// `memory.stat` of a busybox `sleep` container on a 6.x kernel (trimmed).
    const MEMORY_STAT: &str = "\
cache 0
rss 57344
rss_huge 0
shmem 0
mapped_file 0
dirty 0
writeback 0
swap 0
pgpgin 747
pgpgout 733
inactive_anon 53248
active_anon 4096
inactive_file 0
active_file 0
unevictable 0
hierarchical_memory_limit 67108864
hierarchical_memsw_limit 134217728
total_cache 0
total_rss 57344
total_mapped_file 0
total_swap 0
total_inactive_anon 53248
total_active_anon 4096
total_inactive_file 0
total_active_file 0
total_unevictable 0
";

    #[test]
    fn memory_stat_maps_to_mesos_fields() {
        assert_eq!(
            parse_memory_stat(MEMORY_STAT).unwrap(),
            MemoryStat {
                rss: Some(57344),
                cache: Some(0),
                swap: Some(0),
                mapped_file: Some(0),
                unevictable: Some(0),
                anon: Some(57344),
                file: Some(0),
            }
        );
    }

    #[test]
    fn memory_stat_without_hierarchy_or_swap_accounting() {
        let s = parse_memory_stat("cache 4096\nrss 8192\nmapped_file 0\n").unwrap();
        assert_eq!(s.rss, Some(8192));
        assert_eq!(s.cache, Some(4096));
        assert_eq!(s.swap, None);
        assert_eq!(s.anon, None);
        assert_eq!(
            parse_memory_stat("cache 4096\n"),
            Err(ParseError::MissingKey { key: "rss" })
        );
    }

    #[test]
    fn huge_limits_mean_unlimited() {
        assert_eq!(limit_from_bytes(67_108_864), Some(67_108_864));
        assert_eq!(limit_from_bytes(9_223_372_036_854_771_712), None);
        assert_eq!(limit_from_bytes(9_223_372_036_854_710_272), None);
    }

    fn dir_with(limit: &str, memsw: Option<&str>) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("memory.limit_in_bytes"), limit).unwrap();
        if let Some(memsw) = memsw {
            fs::write(dir.path().join("memory.memsw.limit_in_bytes"), memsw).unwrap();
        }
        dir
    }

    fn read(dir: &tempfile::TempDir, name: &str) -> String {
        fs::read_to_string(dir.path().join(name)).unwrap()
    }

    #[test]
    fn shrinking_keeps_the_swap_allowance() {
        let dir = dir_with("100000\n", Some("150000\n"));
        write_limit(dir.path(), MemoryLimit::Bytes(80_000)).unwrap();
        assert_eq!(read(&dir, "memory.limit_in_bytes"), "80000");
        assert_eq!(read(&dir, "memory.memsw.limit_in_bytes"), "130000");
    }

    #[test]
    fn without_swap_accounting_only_the_limit_is_written() {
        let dir = dir_with("100000\n", None);
        write_limit(dir.path(), MemoryLimit::Bytes(200_000)).unwrap();
        assert_eq!(read(&dir, "memory.limit_in_bytes"), "200000");
        assert!(!dir.path().join("memory.memsw.limit_in_bytes").exists());

        let dir = dir_with("100000\n", Some("9223372036854771712\n"));
        write_limit(dir.path(), MemoryLimit::Bytes(200_000)).unwrap();
        assert_eq!(read(&dir, "memory.limit_in_bytes"), "200000");
        assert_eq!(
            read(&dir, "memory.memsw.limit_in_bytes"),
            "9223372036854771712\n"
        );
    }
}
