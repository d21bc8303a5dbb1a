//! cgroup v1: one hierarchy per controller, so a container has one directory per controller
//! (possibly the same directory when controllers share a hierarchy, as `cpu,cpuacct` usually
//! do). One file per controller, each with its pure parsers and its reads and writes.

mod cpu;
mod cpuacct;
mod memory;

use std::path::{Path, PathBuf};

use mesos_types::statistics::ResourceStatistics;

use crate::error::Result;
use crate::limits::Limits;
use crate::usage::{self, now_secs};
use crate::{pids, Cgroup};

pub use cpu::{parse_cpu_stat, quota_cpus};
pub use cpuacct::{clock_ticks_per_sec, parse_cpuacct_stat};
pub use memory::{limit_from_bytes, parse_memory_stat};

/// A container's cgroup directories on a v1 host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V1Cgroup {
    /// The `cpu` controller's directory: shares, CFS quota, throttling.
    pub cpu: PathBuf,
    /// The `cpuacct` controller's directory: CPU time.
    pub cpuacct: PathBuf,
    /// The `memory` controller's directory: usage and limits.
    pub memory: PathBuf,
    /// The `pids` controller's directory, when that controller is mounted.
    pub pids: Option<PathBuf>,
}

impl V1Cgroup {
    /// The directories of `cgroup` (e.g. `/docker/<id>`) in the common layout where each
    /// controller is reachable as `<root>/<controller>` (distributions add `cpu` and
    /// `cpuacct` symlinks to a joint `cpu,cpuacct` mount).
    pub fn under_root(root: &Path, cgroup: &str) -> Self {
        let dir = |controller: &str| root.join(controller).join(cgroup.trim_start_matches('/'));
        V1Cgroup {
            cpu: dir("cpu"),
            cpuacct: dir("cpuacct"),
            memory: dir("memory"),
            pids: Some(dir("pids")),
        }
    }
}

impl Cgroup for V1Cgroup {
    fn statistics(&self, cpus_limit_hint: Option<f64>) -> Result<ResourceStatistics> {
        let mut s = ResourceStatistics::at(now_secs());

        cpuacct::read_times(&self.cpuacct)?.fill(&mut s);
        if let Some(throttling) = cpu::read_throttling(&self.cpu)? {
            throttling.fill(&mut s);
        }
        s.cpus_limit =
            usage::cpus_limit(cpu::read_quota_cpus(&self.cpu)?, cpus_limit_hint, || {
                cpu::read_share_cpus(&self.cpu)
            })?;

        memory::read_stat(&self.memory)?.fill(&mut s);
        s.mem_total_bytes = Some(memory::read_usage(&self.memory)?);
        s.mem_limit_bytes = memory::read_limit(&self.memory)?;

        s.processes = pids::read_processes(&self.memory)?;
        s.threads = pids::read_threads(self.pids.as_deref())?;
        Ok(s)
    }

    fn update(&self, limits: &Limits) -> Result<()> {
        // Check everything before the first write, so a bad request changes nothing.
        if let Some(quota) = &limits.cpu_quota {
            quota.validate()?;
        }
        if let Some(shares) = limits.cpu_shares {
            cpu::write_shares(&self.cpu, shares)?;
        }
        if let Some(quota) = limits.cpu_quota {
            cpu::write_quota(&self.cpu, quota)?;
        }
        if let Some(limit) = limits.memory_limit {
            memory::write_limit(&self.memory, limit)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{CpuQuota, MemoryLimit};
    use crate::CgroupError;
    use std::fs;

    /// A fixture tree with the files of a `docker run --memory 64m --cpus 0.5` container,
    /// contents as read on a 6.x kernel.
    fn fixture() -> (tempfile::TempDir, V1Cgroup) {
        let root = tempfile::tempdir().unwrap();
        let cg = V1Cgroup::under_root(root.path(), "/docker/abc");
        for dir in [&cg.cpu, &cg.cpuacct, &cg.memory, cg.pids.as_ref().unwrap()] {
            fs::create_dir_all(dir).unwrap();
        }
        let put = |dir: &Path, name: &str, text: &str| fs::write(dir.join(name), text).unwrap();
        put(&cg.cpuacct, "cpuacct.stat", "user 250\nsystem 50\n");
        put(
            &cg.cpu,
            "cpu.stat",
            "nr_periods 30\nnr_throttled 4\nthrottled_time 1500000000\nnr_bursts 0\nburst_time 0\n",
        );
        put(&cg.cpu, "cpu.cfs_quota_us", "50000\n");
        put(&cg.cpu, "cpu.cfs_period_us", "100000\n");
        put(&cg.cpu, "cpu.shares", "1024\n");
        put(
            &cg.memory,
            "memory.stat",
            "cache 4096\nrss 57344\nmapped_file 0\nswap 0\nunevictable 0\n\
             total_cache 8192\ntotal_rss 61440\ntotal_mapped_file 4096\ntotal_swap 12288\n\
             total_inactive_anon 53248\ntotal_active_anon 8192\ntotal_inactive_file 4096\n\
             total_active_file 4096\ntotal_unevictable 0\n",
        );
        put(&cg.memory, "memory.usage_in_bytes", "1982464\n");
        put(&cg.memory, "memory.limit_in_bytes", "67108864\n");
        put(&cg.memory, "memory.memsw.limit_in_bytes", "134217728\n");
        put(&cg.memory, "cgroup.procs", "3823\n");
        put(cg.pids.as_ref().unwrap(), "pids.current", "1\n");
        (root, cg)
    }

    #[test]
    fn samples_every_field_from_the_v1_files() {
        let (_root, cg) = fixture();
        let s = cg.statistics(None).unwrap();
        assert!(s.timestamp > 1.6e9);
        let hz = clock_ticks_per_sec() as f64;
        assert_eq!(s.cpus_user_time_secs, Some(250.0 / hz));
        assert_eq!(s.cpus_system_time_secs, Some(50.0 / hz));
        assert_eq!(s.cpus_nr_periods, Some(30));
        assert_eq!(s.cpus_nr_throttled, Some(4));
        assert_eq!(s.cpus_throttled_time_secs, Some(1.5));
        assert_eq!(s.cpus_limit, Some(0.5));
        assert_eq!(s.mem_rss_bytes, Some(61440));
        assert_eq!(s.mem_cache_bytes, Some(8192));
        assert_eq!(s.mem_swap_bytes, Some(12288));
        assert_eq!(s.mem_mapped_file_bytes, Some(4096));
        assert_eq!(s.mem_anon_bytes, Some(61440));
        assert_eq!(s.mem_file_bytes, Some(8192));
        assert_eq!(s.mem_total_bytes, Some(1_982_464));
        assert_eq!(s.mem_limit_bytes, Some(64 << 20));
        assert_eq!(s.processes, Some(1));
        assert_eq!(s.threads, Some(1));
    }

    #[test]
    fn without_a_quota_the_hint_then_the_shares_give_the_cpu_limit() {
        let (_root, cg) = fixture();
        fs::write(cg.cpu.join("cpu.cfs_quota_us"), "-1\n").unwrap();
        fs::write(cg.cpu.join("cpu.shares"), "512\n").unwrap();
        assert_eq!(cg.statistics(Some(1.25)).unwrap().cpus_limit, Some(1.25));
        assert_eq!(cg.statistics(None).unwrap().cpus_limit, Some(0.5));
    }

    #[test]
    fn optional_files_leave_fields_unset() {
        let (_root, cg) = fixture();
        for file in [
            "cpu.stat",
            "cpu.cfs_quota_us",
            "cpu.cfs_period_us",
            "cpu.shares",
        ] {
            fs::remove_file(cg.cpu.join(file)).unwrap();
        }
        fs::remove_file(cg.memory.join("memory.limit_in_bytes")).unwrap();
        fs::remove_dir_all(cg.pids.as_ref().unwrap()).unwrap();
        let s = cg.statistics(None).unwrap();
        assert_eq!(s.cpus_nr_periods, None);
        assert_eq!(s.cpus_limit, None);
        assert_eq!(s.mem_limit_bytes, None);
        assert_eq!(s.threads, None);
        assert_eq!(s.mem_total_bytes, Some(1_982_464));
    }

    #[test]
    fn an_unlimited_memory_limit_is_no_limit() {
        let (_root, cg) = fixture();
        fs::write(
            cg.memory.join("memory.limit_in_bytes"),
            "9223372036854771712\n",
        )
        .unwrap();
        assert_eq!(cg.statistics(None).unwrap().mem_limit_bytes, None);
    }

    #[test]
    fn a_missing_required_file_is_an_error_naming_it() {
        let (_root, cg) = fixture();
        let path = cg.memory.join("memory.usage_in_bytes");
        fs::remove_file(&path).unwrap();
        let err = cg.statistics(None).unwrap_err();
        assert!(err.is_not_found(), "{err:?}");
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
    }

    #[test]
    fn a_malformed_file_is_an_error_naming_it() {
        let (_root, cg) = fixture();
        let path = cg.cpuacct.join("cpuacct.stat");
        fs::write(&path, "user lots\n").unwrap();
        let err = cg.statistics(None).unwrap_err();
        assert!(matches!(err, CgroupError::Malformed { .. }), "{err:?}");
        assert!(err.to_string().contains("cpuacct.stat"), "{err}");
    }

    #[test]
    fn update_writes_shares_quota_and_memory() {
        let (_root, cg) = fixture();
        cg.update(&Limits {
            cpu_shares: Some(2048),
            cpu_quota: Some(CpuQuota::from_cpus(1.5)),
            memory_limit: Some(MemoryLimit::Bytes(96 << 20)),
        })
        .unwrap();
        let read = |dir: &Path, name: &str| fs::read_to_string(dir.join(name)).unwrap();
        assert_eq!(read(&cg.cpu, "cpu.shares"), "2048");
        assert_eq!(read(&cg.cpu, "cpu.cfs_quota_us"), "150000");
        assert_eq!(read(&cg.cpu, "cpu.cfs_period_us"), "100000");
        assert_eq!(
            read(&cg.memory, "memory.limit_in_bytes"),
            (96u64 << 20).to_string()
        );
        // The 64 MiB of swap Docker allowed stays allowed.
        assert_eq!(
            read(&cg.memory, "memory.memsw.limit_in_bytes"),
            (160u64 << 20).to_string()
        );

        cg.update(&Limits {
            cpu_quota: Some(CpuQuota::unlimited()),
            memory_limit: Some(MemoryLimit::Unlimited),
            ..Limits::default()
        })
        .unwrap();
        assert_eq!(read(&cg.cpu, "cpu.cfs_quota_us"), "-1");
        assert_eq!(read(&cg.memory, "memory.limit_in_bytes"), "-1");
        assert_eq!(read(&cg.memory, "memory.memsw.limit_in_bytes"), "-1");
    }

    #[test]
    fn an_invalid_update_writes_nothing() {
        let (_root, cg) = fixture();
        let err = cg
            .update(&Limits {
                cpu_shares: Some(4096),
                cpu_quota: Some(CpuQuota {
                    quota_us: 0,
                    period_us: 100_000,
                }),
                memory_limit: None,
            })
            .unwrap_err();
        assert!(matches!(err, CgroupError::InvalidLimit { .. }), "{err:?}");
        assert_eq!(
            fs::read_to_string(cg.cpu.join("cpu.shares")).unwrap(),
            "1024\n"
        );
    }

    #[test]
    fn a_refused_write_names_the_file_and_value() {
        let (_root, cg) = fixture();
        fs::remove_dir_all(&cg.cpu).unwrap();
        let err = cg
            .update(&Limits {
                cpu_shares: Some(4096),
                ..Limits::default()
            })
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("cpu.shares") && text.contains("'4096'"),
            "{text}"
        );
    }
}
