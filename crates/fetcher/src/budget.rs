//! Beyond Mesos: an optional cap on the bytes one fetch run writes (downloads, copies and
//! extracted or decompressed data together), so a small archive that expands without end,
//! or a body that never ends, cannot fill the agent's disk.
//!
//! The agent runs the fetcher with no arguments, so the cap comes from the environment:
//! [`BUDGET_ENV`] in byte-size syntax (`512MB`). Without it there is no cap, as in Mesos.
//! `mesos-docker-containerizer` sets it from the task's `disk` resource.
//!
//! Every writer charges the bytes it is about to write to one shared counter *before*
//! writing them, so the run never writes more than the budget; a refused charge is the
//! error [`FetchError::DiskBudget`]. The same counter carries the run's cancellation (a
//! signal), so a long extraction stops at its next write.

use crate::error::FetchError;
use mesos_types::flags::Bytes;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The environment variable holding the budget. Not `MESOS_`-prefixed on purpose: a Mesos
/// agent passes its own environment to the fetcher but drops every `MESOS_*` variable
/// except the logging ones.
pub const BUDGET_ENV: &str = "FETCHER_DISK_BUDGET";

/// Parses a byte size in Mesos syntax (`512MB`, `2GB`, `100B`, `100`) for `name`, refusing
/// values beyond 2^64 - 1 bytes instead of wrapping or saturating them.
pub fn parse_byte_size(name: &str, value: &str) -> Result<u64, String> {
    let bytes: Bytes = value
        .parse()
        .map_err(|e: String| format!("Invalid {name} '{value}': {e}"))?;
    // The parser converts through f64 and saturates: u64::MAX means "2^64 or more".
    if bytes.as_u64() == u64::MAX {
        return Err(format!(
            "Invalid {name} '{value}': too large (at most 16777215TB, about 2^64 bytes)"
        ));
    }
    Ok(bytes.as_u64())
}

/// Why a charge was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The write would go beyond the budget.
    Exceeded,
    /// The run was interrupted (a signal).
    Cancelled,
}

/// The bytes a run may still write, shared by every writer of the run.
#[derive(Debug, Default)]
pub struct DiskBudget {
    limit: Option<u64>,
    used: AtomicU64,
    cancelled: AtomicBool,
}

impl DiskBudget {
    /// A counter for a run with at most `limit` bytes (`None`: no cap).
    pub fn new(limit: Option<u64>) -> Self {
        Self {
            limit,
            used: AtomicU64::new(0),
            cancelled: AtomicBool::new(false),
        }
    }

    pub fn limit(&self) -> Option<u64> {
        self.limit
    }

    /// Bytes charged so far.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// Reserves `n` bytes before they are written. A refused charge reserves nothing.
    pub fn charge(&self, n: u64) -> Result<(), Refused> {
        if self.cancelled.load(Ordering::Relaxed) {
            return Err(Refused::Cancelled);
        }
        let Some(limit) = self.limit else {
            return Ok(());
        };
        let before = self.used.fetch_add(n, Ordering::Relaxed);
        if before.saturating_add(n) > limit {
            self.used.fetch_sub(n, Ordering::Relaxed);
            return Err(Refused::Exceeded);
        }
        Ok(())
    }

    /// Gives back bytes that are no longer on disk (a download restarted from zero).
    pub fn refund(&self, n: u64) {
        if self.limit.is_some() {
            let _ = self
                .used
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
                    Some(u.saturating_sub(n))
                });
        }
    }

    /// Bytes that may still be written (`u64::MAX` without a cap).
    pub fn remaining(&self) -> u64 {
        self.limit
            .map_or(u64::MAX, |l| l.saturating_sub(self.used()))
    }

    /// Makes every later charge fail, so writers stop at their next write.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// The error for a refused charge while `doing` something.
    pub fn error(&self, refused: Refused, doing: impl Into<String>) -> FetchError {
        match refused {
            Refused::Exceeded => FetchError::DiskBudget {
                budget: Bytes(self.limit.unwrap_or(u64::MAX)).to_string(),
                doing: doing.into(),
            },
            Refused::Cancelled => FetchError::Interrupted,
        }
    }

    /// Charges `n` bytes, failing with the error for `doing`.
    pub fn charge_for(&self, n: u64, doing: impl FnOnce() -> String) -> Result<(), FetchError> {
        self.charge(n).map_err(|r| self.error(r, doing()))
    }

    /// The error behind a failed write of a [`Metered`] writer, if the budget caused it.
    pub fn refusal_of(e: &io::Error) -> Option<Refused> {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<RefusedError>())
            .map(|r| r.0)
    }
}

#[derive(Debug)]
struct RefusedError(Refused);

impl std::fmt::Display for RefusedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Refused::Exceeded => f.write_str("disk budget exceeded"),
            Refused::Cancelled => f.write_str("interrupted"),
        }
    }
}

impl std::error::Error for RefusedError {}

/// A writer that charges every write to a [`DiskBudget`] first; a refused charge is an
/// `io::Error` that [`DiskBudget::refusal_of`] recognises.
pub struct Metered<'a, W> {
    inner: W,
    budget: &'a DiskBudget,
}

impl<'a, W: Write> Metered<'a, W> {
    pub fn new(inner: W, budget: &'a DiskBudget) -> Self {
        Self { inner, budget }
    }
}

impl<W: Write> Write for Metered<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.budget
            .charge(buf.len() as u64)
            .map_err(|r| io::Error::other(RefusedError(r)))?;
        match self.inner.write(buf) {
            Ok(n) => {
                // Charged for the whole buffer; give back what was not written.
                self.budget.refund((buf.len() - n) as u64);
                Ok(n)
            }
            Err(e) => {
                self.budget.refund(buf.len() as u64);
                Err(e)
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes_in_mesos_syntax_and_overflow_is_an_error() {
        assert_eq!(parse_byte_size("X", "512MB").unwrap(), 512 << 20);
        assert_eq!(parse_byte_size("X", "100").unwrap(), 100);
        assert_eq!(
            parse_byte_size("X", "16777215TB").unwrap(),
            16_777_215 << 40
        );
        for bad in ["99999999999999TB", "18446744073709551616", "1e30"] {
            let err = parse_byte_size("X", bad).unwrap_err();
            assert!(err.contains("X") && err.contains(bad), "{bad}: {err}");
        }
        assert!(parse_byte_size("X", "99999999999999TB")
            .unwrap_err()
            .contains("too large"));
        assert!(parse_byte_size("X", "2XB")
            .unwrap_err()
            .contains("unknown unit"));
        assert!(parse_byte_size("X", "-1MB").is_err());
    }

    #[test]
    fn charges_stop_at_the_limit_and_a_refused_charge_reserves_nothing() {
        let b = DiskBudget::new(Some(10));
        b.charge(6).unwrap();
        assert_eq!(b.charge(5), Err(Refused::Exceeded));
        assert_eq!(b.used(), 6);
        b.charge(4).unwrap();
        assert_eq!(b.remaining(), 0);
        b.refund(4);
        assert_eq!(b.remaining(), 4);
        b.cancel();
        assert_eq!(b.charge(1), Err(Refused::Cancelled));

        let unlimited = DiskBudget::new(None);
        unlimited.charge(u64::MAX).unwrap();
        unlimited.charge(u64::MAX).unwrap();
        assert_eq!(unlimited.remaining(), u64::MAX);
    }

    #[test]
    fn a_metered_writer_writes_nothing_beyond_the_budget() {
        let b = DiskBudget::new(Some(8));
        let mut out = Vec::new();
        let mut w = Metered::new(&mut out, &b);
        w.write_all(b"12345").unwrap();
        let err = w.write_all(b"6789").unwrap_err();
        assert_eq!(DiskBudget::refusal_of(&err), Some(Refused::Exceeded));
        assert_eq!(out, b"12345");
    }
}
