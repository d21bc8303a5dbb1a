//! v2 `memory`: usage (`memory.current`), breakdown (`memory.stat`), swap
//! (`memory.swap.current`) and the hard limit (`memory.max`).

use std::path::Path;

use crate::error::{ParseError, Result};
use crate::files;
use crate::format::{parse_flat_keyed, parse_u64, required};
use crate::limits::MemoryLimit;
use crate::usage::MemoryStat;

/// Parses v2 `memory.stat`: `anon` is reported as rss (it is what v1's rss counted), `file`
/// as cache. Swap is not in this file.
pub fn parse_memory_stat(text: &str) -> Result<MemoryStat, ParseError> {
    let e = parse_flat_keyed(text)?;
    let anon = required(&e, "anon")?;
    let file = e.get("file").copied();
    Ok(MemoryStat {
        rss: Some(anon),
        cache: file,
        swap: None,
        mapped_file: e.get("file_mapped").copied(),
        unevictable: e.get("unevictable").copied(),
        anon: Some(anon),
        file,
    })
}

/// Parses `memory.max`: a byte count, or `max` for no limit (`None`).
pub fn parse_memory_max(text: &str) -> Result<Option<u64>, ParseError> {
    match text.trim() {
        "max" => Ok(None),
        value => parse_u64(value).map(Some),
    }
}

pub(crate) fn read_stat(dir: &Path) -> Result<MemoryStat> {
    files::read_parsed(&dir.join("memory.stat"), parse_memory_stat)
}

pub(crate) fn read_current(dir: &Path) -> Result<u64> {
    files::read_parsed(&dir.join("memory.current"), parse_u64)
}

/// `memory.max` is absent in the root cgroup and when the memory controller is not enabled.
pub(crate) fn read_max(dir: &Path) -> Result<Option<u64>> {
    Ok(files::read_optional_parsed(&dir.join("memory.max"), parse_memory_max)?.flatten())
}

/// `memory.swap.current` exists only with swap accounting.
pub(crate) fn read_swap(dir: &Path) -> Result<Option<u64>> {
    files::read_optional_parsed(&dir.join("memory.swap.current"), parse_u64)
}

pub(crate) fn write_max(dir: &Path, limit: MemoryLimit) -> Result<()> {
    let value = limit
        .bytes()
        .map_or_else(|| "max".to_string(), |b| b.to_string());
    files::write(&dir.join("memory.max"), &value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `memory.stat` of a busybox `sleep` container on a 6.x kernel (trimmed).
    const MEMORY_STAT: &str = "\
anon 139264
file 0
kernel 118784
kernel_stack 16384
pagetables 36864
sock 0
shmem 0
file_mapped 0
file_dirty 0
file_writeback 0
swapcached 0
inactive_anon 135168
active_anon 4096
inactive_file 0
active_file 0
unevictable 0
pgfault 1029
";

    #[test]
    fn memory_stat_maps_anon_and_file() {
        assert_eq!(
            parse_memory_stat(MEMORY_STAT).unwrap(),
            MemoryStat {
                rss: Some(139_264),
                cache: Some(0),
                swap: None,
                mapped_file: Some(0),
                unevictable: Some(0),
                anon: Some(139_264),
                file: Some(0),
            }
        );
        assert_eq!(
            parse_memory_stat("file 0\n"),
            Err(ParseError::MissingKey { key: "anon" })
        );
    }

    #[test]
    fn memory_max_forms() {
        assert_eq!(parse_memory_max("max\n"), Ok(None));
        assert_eq!(parse_memory_max("67108864\n"), Ok(Some(67_108_864)));
        assert!(parse_memory_max("lots\n").is_err());
    }
}
