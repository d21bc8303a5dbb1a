//! What both cgroup versions measure, in one vocabulary, and how it lands in
//! `ResourceStatistics`. The version modules only translate their files into these types, so
//! the units (seconds, bytes) are converted in exactly one place per quantity.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mesos_types::statistics::ResourceStatistics;

/// CPU time the container's processes spent in user and kernel mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuTimes {
    pub user: Duration,
    pub system: Duration,
}

/// CFS bandwidth control: how often the quota ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuThrottling {
    /// Enforcement periods that have elapsed.
    pub nr_periods: u64,
    /// Periods in which the container hit its quota.
    pub nr_throttled: u64,
    /// Total time the container was held back.
    pub throttled: Duration,
}

/// The `memory.stat` entries Mesos reports. Hierarchical (`total_*`) values on v1; v2 is
/// always hierarchical.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MemoryStat {
    /// Anonymous memory and swap cache (v1 `rss`, v2 `anon`).
    pub rss: Option<u64>,
    /// Page cache (v1 `cache`, v2 `file`).
    pub cache: Option<u64>,
    /// Swap in use (v1 `swap`, with swap accounting; v2 reads `memory.swap.current`).
    pub swap: Option<u64>,
    /// File-backed memory mapped by processes.
    pub mapped_file: Option<u64>,
    /// Memory that cannot be reclaimed (mlocked, ramfs).
    pub unevictable: Option<u64>,
    /// Anonymous memory on the LRU lists (active + inactive).
    pub anon: Option<u64>,
    /// File memory on the LRU lists (active + inactive).
    pub file: Option<u64>,
}

impl CpuTimes {
    pub(crate) fn fill(&self, s: &mut ResourceStatistics) {
        s.cpus_user_time_secs = Some(self.user.as_secs_f64());
        s.cpus_system_time_secs = Some(self.system.as_secs_f64());
    }
}

impl CpuThrottling {
    pub(crate) fn fill(&self, s: &mut ResourceStatistics) {
        s.cpus_nr_periods = Some(saturating_u32(self.nr_periods));
        s.cpus_nr_throttled = Some(saturating_u32(self.nr_throttled));
        s.cpus_throttled_time_secs = Some(self.throttled.as_secs_f64());
    }
}

impl MemoryStat {
    pub(crate) fn fill(&self, s: &mut ResourceStatistics) {
        s.mem_rss_bytes = self.rss;
        s.mem_cache_bytes = self.cache;
        s.mem_swap_bytes = self.swap;
        s.mem_mapped_file_bytes = self.mapped_file;
        s.mem_unevictable_bytes = self.unevictable;
        s.mem_anon_bytes = self.anon;
        s.mem_file_bytes = self.file;
    }
}

/// Seconds since the Unix epoch, the sample's timestamp.
pub(crate) fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// The proto's counters are `uint32`; a counter past that is reported as its maximum rather
/// than wrapped.
pub(crate) fn saturating_u32(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// The CPU limit to report: a CFS quota when there is one (the kernel enforces it), else the
/// caller's allocation, else what the shares or weight amount to.
pub(crate) fn cpus_limit(
    quota_cpus: Option<f64>,
    hint: Option<f64>,
    share_cpus: impl FnOnce() -> crate::Result<Option<f64>>,
) -> crate::Result<Option<f64>> {
    match quota_cpus.or(hint) {
        Some(cpus) => Ok(Some(cpus)),
        None => share_cpus(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_saturate_instead_of_wrapping() {
        assert_eq!(saturating_u32(7), 7);
        assert_eq!(saturating_u32(u64::from(u32::MAX) + 5), u32::MAX);
    }

    #[test]
    fn quota_beats_hint_beats_shares() {
        let shares = || Ok(Some(2.0));
        assert_eq!(cpus_limit(Some(0.5), Some(1.0), shares).unwrap(), Some(0.5));
        assert_eq!(cpus_limit(None, Some(1.0), shares).unwrap(), Some(1.0));
        assert_eq!(cpus_limit(None, None, shares).unwrap(), Some(2.0));
        assert_eq!(cpus_limit(None, None, || Ok(None)).unwrap(), None);
    }

    #[test]
    fn fills_statistics_in_seconds_and_bytes() {
        let mut s = ResourceStatistics::at(1.0);
        CpuTimes {
            user: Duration::from_millis(1500),
            system: Duration::from_millis(250),
        }
        .fill(&mut s);
        CpuThrottling {
            nr_periods: 10,
            nr_throttled: 3,
            throttled: Duration::from_micros(2_500_000),
        }
        .fill(&mut s);
        MemoryStat {
            rss: Some(4096),
            cache: Some(8192),
            ..MemoryStat::default()
        }
        .fill(&mut s);
        assert_eq!(s.cpus_user_time_secs, Some(1.5));
        assert_eq!(s.cpus_system_time_secs, Some(0.25));
        assert_eq!(s.cpus_nr_periods, Some(10));
        assert_eq!(s.cpus_nr_throttled, Some(3));
        assert_eq!(s.cpus_throttled_time_secs, Some(2.5));
        assert_eq!(s.mem_rss_bytes, Some(4096));
        assert_eq!(s.mem_cache_bytes, Some(8192));
        assert_eq!(s.mem_swap_bytes, None);
    }
}
