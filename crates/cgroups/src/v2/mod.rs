//! cgroup v2: one unified hierarchy, so a container has a single directory holding every
//! enabled controller's files. One file per controller, each with its pure parsers and its
//! reads and writes.

mod cpu;
mod memory;

use std::path::PathBuf;

use mesos_types::statistics::ResourceStatistics;

use crate::error::Result;
use crate::limits::Limits;
use crate::usage::{self, now_secs};
use crate::{pids, Cgroup};

pub use cpu::{parse_cpu_max, parse_cpu_stat, CpuMax, CpuStat};
pub use memory::{parse_memory_max, parse_memory_stat};

/// A container's cgroup directory on a v2 host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V2Cgroup {
    pub dir: PathBuf,
}

impl V2Cgroup {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        V2Cgroup { dir: dir.into() }
    }
}

impl Cgroup for V2Cgroup {
    fn statistics(&self, cpus_limit_hint: Option<f64>) -> Result<ResourceStatistics> {
        let dir = &self.dir;
        let mut s = ResourceStatistics::at(now_secs());

        let cpu_stat = cpu::read_stat(dir)?;
        cpu_stat.times.fill(&mut s);
        if let Some(throttling) = cpu_stat.throttling {
            throttling.fill(&mut s);
        }
        s.cpus_limit = usage::cpus_limit(cpu::read_max_cpus(dir)?, cpus_limit_hint, || {
            cpu::read_weight_cpus(dir)
        })?;

        memory::read_stat(dir)?.fill(&mut s);
        s.mem_swap_bytes = memory::read_swap(dir)?;
        s.mem_total_bytes = Some(memory::read_current(dir)?);
        s.mem_limit_bytes = memory::read_max(dir)?;

        s.processes = pids::read_processes(dir)?;
        s.threads = pids::read_threads(Some(dir))?;
        Ok(s)
    }

    fn update(&self, limits: &Limits) -> Result<()> {
        // Check everything before the first write, so a bad request changes nothing.
        if let Some(quota) = &limits.cpu_quota {
            quota.validate()?;
        }
        if let Some(shares) = limits.cpu_shares {
            cpu::write_weight(&self.dir, shares)?;
        }
        if let Some(quota) = limits.cpu_quota {
            cpu::write_max(&self.dir, quota)?;
        }
        if let Some(limit) = limits.memory_limit {
            memory::write_max(&self.dir, limit)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{CpuQuota, MemoryLimit};
    use std::fs;
    use std::path::Path;

    /// A fixture directory with the files of a `docker run --memory 64m --cpus 0.5`
    /// container, contents as read on a 6.x kernel.
    fn fixture() -> (tempfile::TempDir, V2Cgroup) {
        let root = tempfile::tempdir().unwrap();
        let cg = V2Cgroup::new(root.path().join("system.slice/docker-abc.scope"));
        fs::create_dir_all(&cg.dir).unwrap();
        let put = |name: &str, text: &str| fs::write(cg.dir.join(name), text).unwrap();
        put(
            "cpu.stat",
            "usage_usec 41250\nuser_usec 30000\nsystem_usec 11250\nnr_periods 12\n\
             nr_throttled 2\nthrottled_usec 75000\nnr_bursts 0\nburst_usec 0\n",
        );
        put("cpu.max", "50000 100000\n");
        put("cpu.weight", "100\n");
        put(
            "memory.stat",
            "anon 139264\nfile 8192\nkernel 118784\nsock 0\nshmem 0\nfile_mapped 4096\n\
             file_dirty 0\nunevictable 0\ninactive_anon 135168\nactive_anon 4096\n",
        );
        put("memory.current", "331776\n");
        put("memory.max", "67108864\n");
        put("memory.swap.current", "0\n");
        put("pids.current", "2\n");
        put("cgroup.procs", "4242\n4243\n");
        (root, cg)
    }

    #[test]
    fn samples_every_field_from_the_v2_files() {
        let (_root, cg) = fixture();
        let s = cg.statistics(None).unwrap();
        assert!(s.timestamp > 1.6e9);
        assert_eq!(s.cpus_user_time_secs, Some(0.03));
        assert_eq!(s.cpus_system_time_secs, Some(0.01125));
        assert_eq!(s.cpus_nr_periods, Some(12));
        assert_eq!(s.cpus_nr_throttled, Some(2));
        assert_eq!(s.cpus_throttled_time_secs, Some(0.075));
        assert_eq!(s.cpus_limit, Some(0.5));
        assert_eq!(s.mem_rss_bytes, Some(139_264));
        assert_eq!(s.mem_cache_bytes, Some(8192));
        assert_eq!(s.mem_mapped_file_bytes, Some(4096));
        assert_eq!(s.mem_swap_bytes, Some(0));
        assert_eq!(s.mem_total_bytes, Some(331_776));
        assert_eq!(s.mem_limit_bytes, Some(64 << 20));
        assert_eq!(s.processes, Some(2));
        assert_eq!(s.threads, Some(2));
    }

    #[test]
    fn max_means_no_limit() {
        let (_root, cg) = fixture();
        fs::write(cg.dir.join("cpu.max"), "max 100000\n").unwrap();
        fs::write(cg.dir.join("memory.max"), "max\n").unwrap();
        let s = cg.statistics(None).unwrap();
        assert_eq!(s.mem_limit_bytes, None);
        // Weight 100 (the default) stands for 2597 shares.
        assert_eq!(s.cpus_limit, Some(2597.0 / 1024.0));
        assert_eq!(cg.statistics(Some(0.75)).unwrap().cpus_limit, Some(0.75));
    }

    #[test]
    fn controllers_not_enabled_leave_fields_unset() {
        let (_root, cg) = fixture();
        // Without the cpu controller cpu.stat keeps only the usage lines.
        fs::write(
            cg.dir.join("cpu.stat"),
            "usage_usec 100\nuser_usec 60\nsystem_usec 40\n",
        )
        .unwrap();
        for file in [
            "cpu.max",
            "cpu.weight",
            "memory.max",
            "memory.swap.current",
            "pids.current",
        ] {
            fs::remove_file(cg.dir.join(file)).unwrap();
        }
        let s = cg.statistics(None).unwrap();
        assert_eq!(s.cpus_user_time_secs, Some(0.00006));
        assert_eq!(s.cpus_nr_periods, None);
        assert_eq!(s.cpus_limit, None);
        assert_eq!(s.mem_limit_bytes, None);
        assert_eq!(s.mem_swap_bytes, None);
        assert_eq!(s.threads, None);
    }

    #[test]
    fn a_missing_required_file_is_an_error_naming_it() {
        let (_root, cg) = fixture();
        let path = cg.dir.join("memory.current");
        fs::remove_file(&path).unwrap();
        let err = cg.statistics(None).unwrap_err();
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
    }

    #[test]
    fn update_writes_weight_cpu_max_and_memory_max() {
        let (_root, cg) = fixture();
        let read = |name: &str| fs::read_to_string(Path::new(&cg.dir).join(name)).unwrap();
        cg.update(&Limits {
            cpu_shares: Some(1024),
            cpu_quota: Some(CpuQuota::from_cpus(1.5)),
            memory_limit: Some(MemoryLimit::Bytes(96 << 20)),
        })
        .unwrap();
        assert_eq!(read("cpu.weight"), "39");
        assert_eq!(read("cpu.max"), "150000 100000");
        assert_eq!(read("memory.max"), (96u64 << 20).to_string());

        cg.update(&Limits {
            cpu_quota: Some(CpuQuota::unlimited()),
            memory_limit: Some(MemoryLimit::Unlimited),
            ..Limits::default()
        })
        .unwrap();
        assert_eq!(read("cpu.max"), "max 100000");
        assert_eq!(read("memory.max"), "max");
        assert_eq!(read("cpu.weight"), "39");
    }
}
