//! v2 `cpu`: CPU time and throttling (`cpu.stat`, in microseconds), the hard cap
//! (`cpu.max`) and the relative weight (`cpu.weight`).

use std::path::Path;
use std::time::Duration;

use crate::error::{ParseError, Result};
use crate::files;
use crate::format::{parse_flat_keyed, parse_u64, required};
use crate::limits::{shares_to_cpus, shares_to_weight, weight_to_shares, CpuQuota};
use crate::usage::{CpuThrottling, CpuTimes};

/// What v2 `cpu.stat` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuStat {
    pub times: CpuTimes,
    /// Present only when the cpu controller is enabled for the cgroup.
    pub throttling: Option<CpuThrottling>,
}

/// Parses v2 `cpu.stat`: `user_usec`, `system_usec`, and, with the cpu controller,
/// `nr_periods`, `nr_throttled`, `throttled_usec`.
pub fn parse_cpu_stat(text: &str) -> Result<CpuStat, ParseError> {
    let e = parse_flat_keyed(text)?;
    let usec = |key| required(&e, key).map(Duration::from_micros);
    let throttling = match (
        e.get("nr_periods"),
        e.get("nr_throttled"),
        e.get("throttled_usec"),
    ) {
        (Some(&nr_periods), Some(&nr_throttled), Some(&throttled)) => Some(CpuThrottling {
            nr_periods,
            nr_throttled,
            throttled: Duration::from_micros(throttled),
        }),
        _ => None,
    };
    Ok(CpuStat {
        times: CpuTimes {
            user: usec("user_usec")?,
            system: usec("system_usec")?,
        },
        throttling,
    })
}

/// `cpu.max`: `<quota> <period>` or `max <period>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuMax {
    /// `None` for `max` (no cap).
    pub quota_us: Option<u64>,
    pub period_us: u64,
}

impl CpuMax {
    /// The CPUs the cap allows, `None` without a cap.
    pub fn cpus(&self) -> Option<f64> {
        match self.quota_us {
            Some(quota) if self.period_us > 0 => Some(quota as f64 / self.period_us as f64),
            _ => None,
        }
    }
}

/// Parses `cpu.max`. The period may be omitted (it is when written as just `max`).
pub fn parse_cpu_max(text: &str) -> Result<CpuMax, ParseError> {
    let mut fields = text.split_whitespace();
    let quota = fields.next().ok_or(ParseError::Empty)?;
    let period = fields.next();
    if fields.next().is_some() {
        return Err(ParseError::BadLine {
            line: text.trim().into(),
        });
    }
    let number = |what: &str, value: &str| {
        value.parse().map_err(|_| ParseError::BadNumber {
            what: what.into(),
            value: value.into(),
        })
    };
    Ok(CpuMax {
        quota_us: match quota {
            "max" => None,
            q => Some(number("quota", q)?),
        },
        period_us: match period {
            Some(p) => number("period", p)?,
            None => CpuQuota::DEFAULT_PERIOD_US,
        },
    })
}

pub(crate) fn read_stat(dir: &Path) -> Result<CpuStat> {
    files::read_parsed(&dir.join("cpu.stat"), parse_cpu_stat)
}

pub(crate) fn read_max_cpus(dir: &Path) -> Result<Option<f64>> {
    Ok(files::read_optional_parsed(&dir.join("cpu.max"), parse_cpu_max)?.and_then(|m| m.cpus()))
}

/// The weight as CPUs, through the shares it stands for (approximate: see
/// [`weight_to_shares`]).
pub(crate) fn read_weight_cpus(dir: &Path) -> Result<Option<f64>> {
    Ok(
        files::read_optional_parsed(&dir.join("cpu.weight"), parse_u64)?
            .map(|w| shares_to_cpus(weight_to_shares(w))),
    )
}

pub(crate) fn write_weight(dir: &Path, shares: u64) -> Result<()> {
    files::write(
        &dir.join("cpu.weight"),
        &shares_to_weight(shares).to_string(),
    )
}

/// One write sets quota and period together, so there is no ordering problem as on v1.
pub(crate) fn write_max(dir: &Path, quota: CpuQuota) -> Result<()> {
    let value = if quota.is_unlimited() {
        format!("max {}", quota.period_us)
    } else {
        format!("{} {}", quota.quota_us, quota.period_us)
    };
    files::write(&dir.join("cpu.max"), &value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_stat_with_and_without_the_cpu_controller() {
        let full = parse_cpu_stat(
            "usage_usec 2000000\nuser_usec 1500000\nsystem_usec 500000\nnr_periods 7\n\
             nr_throttled 3\nthrottled_usec 1200\nnr_bursts 0\nburst_usec 0\n",
        )
        .unwrap();
        assert_eq!(full.times.user, Duration::from_millis(1500));
        assert_eq!(full.times.system, Duration::from_millis(500));
        assert_eq!(
            full.throttling,
            Some(CpuThrottling {
                nr_periods: 7,
                nr_throttled: 3,
                throttled: Duration::from_micros(1200),
            })
        );

        let bare = parse_cpu_stat("usage_usec 10\nuser_usec 6\nsystem_usec 4\n").unwrap();
        assert_eq!(bare.throttling, None);
        assert_eq!(
            parse_cpu_stat("usage_usec 10\nuser_usec 6\n"),
            Err(ParseError::MissingKey { key: "system_usec" })
        );
    }

    #[test]
    fn cpu_max_forms() {
        assert_eq!(
            parse_cpu_max("max 100000\n"),
            Ok(CpuMax {
                quota_us: None,
                period_us: 100_000
            })
        );
        let half = parse_cpu_max("50000 100000\n").unwrap();
        assert_eq!(half.quota_us, Some(50_000));
        assert_eq!(half.cpus(), Some(0.5));
        assert_eq!(parse_cpu_max("max\n").unwrap().period_us, 100_000);
        assert_eq!(parse_cpu_max("max\n").unwrap().cpus(), None);
        assert_eq!(parse_cpu_max(""), Err(ParseError::Empty));
        assert!(matches!(
            parse_cpu_max("lots 100000"),
            Err(ParseError::BadNumber { what, .. }) if what == "quota"
        ));
        assert!(matches!(
            parse_cpu_max("1 2 3"),
            Err(ParseError::BadLine { .. })
        ));
    }
}
