//! The limits [`crate::Cgroup::update`] writes, and the v1 ↔ v2 CPU weight conversion.
//!
//! Limits are expressed in v1 terms (shares, CFS quota and period in µs, bytes) because
//! that is how Mesos computes them (1024 shares per cpu, a 100 ms CFS period) and how
//! Docker exposes them; the v2 code converts.

use crate::error::{CgroupError, Result};

/// New limits for a container; `None` leaves a limit as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// CPU shares (v1 `cpu.shares`; v2 `cpu.weight` via [`shares_to_weight`]). Clamped to
    /// the kernel's range 2..=262144.
    pub cpu_shares: Option<u64>,
    /// A hard CPU cap (v1 `cpu.cfs_quota_us` + `cpu.cfs_period_us`; v2 `cpu.max`).
    pub cpu_quota: Option<CpuQuota>,
    /// The hard memory limit (v1 `memory.limit_in_bytes`; v2 `memory.max`).
    pub memory_limit: Option<MemoryLimit>,
}

/// A CFS bandwidth limit: the container may run `quota_us` of CPU time per `period_us`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuQuota {
    /// CPU time per period in microseconds; negative means no cap (v1 `-1`, v2 `max`).
    pub quota_us: i64,
    /// The enforcement period in microseconds (the kernel accepts 1 ms to 1 s).
    pub period_us: u64,
}

impl CpuQuota {
    /// The period Mesos and Docker use.
    pub const DEFAULT_PERIOD_US: u64 = 100_000;
    /// The smallest quota Mesos writes (`MIN_CPU_CFS_QUOTA`); the kernel refuses less.
    pub const MIN_QUOTA_US: i64 = 1_000;

    /// The quota Mesos writes for a CPU limit: `cpus` × 100 ms per 100 ms period, at least
    /// 1 ms; an infinite or NaN `cpus` means no cap.
    pub fn from_cpus(cpus: f64) -> Self {
        if !cpus.is_finite() {
            return Self::unlimited();
        }
        let quota = (Self::DEFAULT_PERIOD_US as f64 * cpus) as i64;
        CpuQuota {
            quota_us: quota.max(Self::MIN_QUOTA_US),
            period_us: Self::DEFAULT_PERIOD_US,
        }
    }

    /// No cap, with the default period.
    pub fn unlimited() -> Self {
        CpuQuota {
            quota_us: -1,
            period_us: Self::DEFAULT_PERIOD_US,
        }
    }

    /// Whether this removes the cap.
    pub fn is_unlimited(&self) -> bool {
        self.quota_us < 0
    }

    /// Refuses what the kernel would reject with a bare `EINVAL` (or, for a zero quota,
    /// silently misread), so the error says which value was wrong.
    pub(crate) fn validate(&self) -> Result<()> {
        if self.period_us == 0 {
            return Err(CgroupError::InvalidLimit {
                what: "CFS period",
                reason: "the period must be positive".into(),
            });
        }
        if self.quota_us == 0 {
            return Err(CgroupError::InvalidLimit {
                what: "CFS quota",
                reason: "a quota of 0 would stop the container; use a negative quota for no cap"
                    .into(),
            });
        }
        Ok(())
    }
}

/// A hard memory limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryLimit {
    Bytes(u64),
    /// No limit (v1 `-1`, v2 `max`).
    Unlimited,
}

impl MemoryLimit {
    pub(crate) fn bytes(self) -> Option<u64> {
        match self {
            MemoryLimit::Bytes(b) => Some(b),
            MemoryLimit::Unlimited => None,
        }
    }
}

const MIN_SHARES: u64 = 2;
const MAX_SHARES: u64 = 262_144;
const MIN_WEIGHT: u64 = 1;
const MAX_WEIGHT: u64 = 10_000;

/// v1 CPU shares → v2 `cpu.weight`, with runc's linear mapping of 2..=262144 onto 1..=10000
/// (`1 + ((shares - 2) * 9999) / 262142`), so a container updated by us gets the weight
/// Docker would have given it.
pub fn shares_to_weight(shares: u64) -> u64 {
    let shares = shares.clamp(MIN_SHARES, MAX_SHARES);
    1 + ((shares - 2) * 9999) / 262_142
}

/// v2 `cpu.weight` → v1 CPU shares, the inverse of [`shares_to_weight`] (up to its
/// rounding: weights are 1/26 as fine as shares).
pub fn weight_to_shares(weight: u64) -> u64 {
    let weight = weight.clamp(MIN_WEIGHT, MAX_WEIGHT);
    2 + ((weight - 1) * 262_142) / 9999
}

/// CPUs that a number of shares stands for (1024 shares per CPU, as Mesos and Docker write
/// them).
pub(crate) fn shares_to_cpus(shares: u64) -> f64 {
    shares as f64 / 1024.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_map_to_weights_like_runc() {
        assert_eq!(shares_to_weight(2), 1);
        assert_eq!(shares_to_weight(1024), 39);
        assert_eq!(shares_to_weight(512), 20);
        assert_eq!(shares_to_weight(262_144), 10_000);
        // Out of the kernel's range: clamped rather than underflowing.
        assert_eq!(shares_to_weight(0), 1);
        assert_eq!(shares_to_weight(1_000_000), 10_000);
    }

    #[test]
    fn weights_map_back_to_shares() {
        assert_eq!(weight_to_shares(1), 2);
        assert_eq!(weight_to_shares(10_000), 262_144);
        assert_eq!(weight_to_shares(100), 2597);
        for shares in [2, 100, 1024, 4096, 262_144] {
            let back = weight_to_shares(shares_to_weight(shares));
            assert!(back <= shares && shares - back < 27, "{shares} -> {back}");
        }
    }

    #[test]
    fn quota_for_cpus_follows_mesos() {
        assert_eq!(
            CpuQuota::from_cpus(0.5),
            CpuQuota {
                quota_us: 50_000,
                period_us: 100_000
            }
        );
        assert_eq!(CpuQuota::from_cpus(0.001).quota_us, 1_000);
        assert!(CpuQuota::from_cpus(f64::INFINITY).is_unlimited());
        assert!(CpuQuota::from_cpus(2.0).validate().is_ok());
    }

    #[test]
    fn quota_validation_names_the_bad_value() {
        let err = CpuQuota {
            quota_us: 0,
            period_us: 100_000,
        }
        .validate()
        .unwrap_err();
        assert!(err.to_string().contains("CFS quota"), "{err}");
        let err = CpuQuota {
            quota_us: 10,
            period_us: 0,
        }
        .validate()
        .unwrap_err();
        assert!(err.to_string().contains("CFS period"), "{err}");
    }
}
