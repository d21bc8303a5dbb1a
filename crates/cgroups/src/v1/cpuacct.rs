//! v1 `cpuacct`: CPU time in `cpuacct.stat`, counted in `USER_HZ` clock ticks.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use crate::error::{ParseError, Result};
use crate::files;
use crate::format::{parse_flat_keyed, required};
use crate::usage::CpuTimes;

/// Parses `cpuacct.stat` (`user <ticks>`, `system <ticks>`) given the ticks per second.
pub fn parse_cpuacct_stat(text: &str, ticks_per_sec: u64) -> Result<CpuTimes, ParseError> {
    let entries = parse_flat_keyed(text)?;
    let ticks = |key| required(&entries, key).map(|t| ticks_to_duration(t, ticks_per_sec));
    Ok(CpuTimes {
        user: ticks("user")?,
        system: ticks("system")?,
    })
}

/// `USER_HZ`, the unit of `cpuacct.stat` (100 on every mainstream architecture, but the
/// kernel's word is `sysconf(_SC_CLK_TCK)`). Asked once per process.
pub fn clock_ticks_per_sec() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        // SAFETY: sysconf has no preconditions; it only returns a configuration value.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        u64::try_from(ticks).ok().filter(|t| *t > 0).unwrap_or(100)
    })
}

pub(crate) fn read_times(dir: &Path) -> Result<CpuTimes> {
    files::read_parsed(&dir.join("cpuacct.stat"), |t| {
        parse_cpuacct_stat(t, clock_ticks_per_sec())
    })
}

fn ticks_to_duration(ticks: u64, per_sec: u64) -> Duration {
    let per_sec = per_sec.max(1);
    let nanos = (ticks % per_sec) * 1_000_000_000 / per_sec;
    Duration::from_secs(ticks / per_sec) + Duration::from_nanos(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_become_durations() {
        let times = parse_cpuacct_stat("user 2\nsystem 1\n", 100).unwrap();
        assert_eq!(times.user, Duration::from_millis(20));
        assert_eq!(times.system, Duration::from_millis(10));
        let times = parse_cpuacct_stat("user 123456\nsystem 250\n", 250).unwrap();
        assert_eq!(times.user, Duration::from_micros(493_824_000));
        assert_eq!(times.system, Duration::from_secs(1));
    }

    #[test]
    fn both_keys_are_required() {
        assert_eq!(
            parse_cpuacct_stat("user 2\n", 100),
            Err(ParseError::MissingKey { key: "system" })
        );
    }

    #[test]
    fn clock_ticks_are_positive() {
        assert!(clock_ticks_per_sec() > 0);
    }
}
