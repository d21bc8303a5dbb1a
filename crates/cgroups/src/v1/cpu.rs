//! v1 `cpu`: CFS throttling (`cpu.stat`), the hard cap (`cpu.cfs_quota_us` per
//! `cpu.cfs_period_us`) and the relative weight (`cpu.shares`).

use std::path::Path;
use std::time::Duration;

use crate::error::{CgroupError, ParseError, Result};
use crate::files;
use crate::format::{parse_flat_keyed, parse_i64, parse_u64, required};
use crate::limits::{shares_to_cpus, CpuQuota};
use crate::usage::CpuThrottling;

/// Parses v1 `cpu.stat`: `nr_periods`, `nr_throttled`, `throttled_time` (nanoseconds).
pub fn parse_cpu_stat(text: &str) -> Result<CpuThrottling, ParseError> {
    let entries = parse_flat_keyed(text)?;
    Ok(CpuThrottling {
        nr_periods: required(&entries, "nr_periods")?,
        nr_throttled: required(&entries, "nr_throttled")?,
        throttled: Duration::from_nanos(required(&entries, "throttled_time")?),
    })
}

/// The CPUs a CFS quota allows, or `None` when there is no cap (`-1`).
pub fn quota_cpus(quota_us: i64, period_us: u64) -> Option<f64> {
    (quota_us > 0 && period_us > 0).then(|| quota_us as f64 / period_us as f64)
}

/// `cpu.stat` exists only with CFS bandwidth control (`CONFIG_CFS_BANDWIDTH`).
pub(crate) fn read_throttling(dir: &Path) -> Result<Option<CpuThrottling>> {
    files::read_optional_parsed(&dir.join("cpu.stat"), parse_cpu_stat)
}

/// The cap from `cpu.cfs_quota_us`; the period is read only when there is a quota.
pub(crate) fn read_quota_cpus(dir: &Path) -> Result<Option<f64>> {
    let Some(quota) = files::read_optional_parsed(&dir.join("cpu.cfs_quota_us"), parse_i64)? else {
        return Ok(None);
    };
    if quota <= 0 {
        return Ok(None);
    }
    let period = files::read_optional_parsed(&dir.join("cpu.cfs_period_us"), parse_u64)?;
    Ok(period.and_then(|p| quota_cpus(quota, p)))
}

pub(crate) fn read_share_cpus(dir: &Path) -> Result<Option<f64>> {
    Ok(files::read_optional_parsed(&dir.join("cpu.shares"), parse_u64)?.map(shares_to_cpus))
}

pub(crate) fn write_shares(dir: &Path, shares: u64) -> Result<()> {
    files::write(&dir.join("cpu.shares"), &shares.to_string())
}

/// Writes the period, then the quota, like runc. The kernel checks the new
/// quota/period ratio against the parent's at each write; when the new period with the old
/// quota fails that check (`EINVAL`), the quota goes first instead.
pub(crate) fn write_quota(dir: &Path, quota: CpuQuota) -> Result<()> {
    let period_path = dir.join("cpu.cfs_period_us");
    let quota_path = dir.join("cpu.cfs_quota_us");
    let period = quota.period_us.to_string();
    let value = if quota.is_unlimited() {
        "-1".to_string()
    } else {
        quota.quota_us.to_string()
    };
    match files::write(&period_path, &period) {
        Ok(()) => files::write(&quota_path, &value),
        Err(CgroupError::Write { source, .. }) if source.raw_os_error() == Some(libc::EINVAL) => {
            files::write(&quota_path, &value)?;
            files::write(&period_path, &period)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_stat_gives_throttling() {
        let t = parse_cpu_stat(
            "nr_periods 3\nnr_throttled 1\nthrottled_time 2500000\nnr_bursts 0\nburst_time 0\n",
        )
        .unwrap();
        assert_eq!(
            t,
            CpuThrottling {
                nr_periods: 3,
                nr_throttled: 1,
                throttled: Duration::from_micros(2500),
            }
        );
        assert_eq!(
            parse_cpu_stat("nr_periods 3\nnr_throttled 1\n"),
            Err(ParseError::MissingKey {
                key: "throttled_time"
            })
        );
    }

    #[test]
    fn quota_per_period_is_the_cap() {
        assert_eq!(quota_cpus(50_000, 100_000), Some(0.5));
        assert_eq!(quota_cpus(250_000, 100_000), Some(2.5));
        assert_eq!(quota_cpus(-1, 100_000), None);
        assert_eq!(quota_cpus(50_000, 0), None);
    }
}
