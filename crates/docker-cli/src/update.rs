//! `docker update`: change the resource limits of a running container.
//!
//! Mesos writes cgroup files directly instead (as we do, in crate `cgroups`); this is the
//! portable fallback (and what works with Podman).

use crate::error::{ObjectKind, Result};
use crate::process::{CliCall, Docker};

/// New limits; unset ones are left alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpdateOptions {
    /// `--cpu-shares`.
    pub cpu_shares: Option<u64>,
    /// `--cpu-quota` in microseconds per 100 ms period; `-1` removes the quota.
    pub cpu_quota: Option<i64>,
    /// `--memory` in bytes.
    pub memory: Option<u64>,
    /// `--memory-swap` in bytes (`-1` = unlimited). When `memory` is set and this is not,
    /// twice the memory is used, which is what `docker run --memory` defaults to: docker
    /// refuses a memory limit above the swap limit already in force.
    pub memory_swap: Option<i64>,
}

impl Docker {
    /// `docker update [--cpu-shares N] [--cpu-quota N] [--memory N --memory-swap N] <name>`.
    /// Does nothing when no limit is set.
    pub async fn update(&self, name: &str, options: UpdateOptions) -> Result<()> {
        let mut args = vec!["update".to_string()];
        if let Some(shares) = options.cpu_shares {
            args.extend(["--cpu-shares".into(), shares.to_string()]);
        }
        if let Some(quota) = options.cpu_quota {
            args.extend(["--cpu-quota".into(), quota.to_string()]);
        }
        if let Some(memory) = options.memory {
            let swap = options
                .memory_swap
                .unwrap_or_else(|| i64::try_from(memory.saturating_mul(2)).unwrap_or(-1));
            args.extend(["--memory".into(), memory.to_string()]);
            args.extend(["--memory-swap".into(), swap.to_string()]);
        } else if let Some(swap) = options.memory_swap {
            args.extend(["--memory-swap".into(), swap.to_string()]);
        }
        if args.len() == 1 {
            return Ok(());
        }
        args.push(name.to_string());
        let call = CliCall::new("update", args, self.timeouts().update)
            .target(ObjectKind::Container, name);
        self.checked(call).await.map(drop)
    }
}
