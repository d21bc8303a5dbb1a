//! `usage` and `update`, as Mesos does them: a running container's ResourceStatistics and
//! new limits, read and written straight from its cgroup files (v1 or v2).
//!
//! The cgroup is located once from the task container's init pid (one inspect) and
//! cached; a sample that fails because the container's processes are gone drops the cache
//! and locates it again once.
//!
//! Differences from Mesos, on purpose: command-task containers are updated too (Mesos only
//! records the new resources for them), cgroup v2 is supported, and the limits given are
//! the container's as a whole (Mesos' update also receives the executor's total).

use super::{Container, ContainerLimits, DockerContainerizer};
use cgroups::{Cgroup, ContainerCgroup, CpuQuota, Limits, MemoryLimit};
use mesos_types::statistics::ResourceStatistics;
use serde::Serialize;

/// Mesos's smallest memory limit (`MIN_MEMORY`).
pub const MIN_MEMORY_BYTES: u64 = 32 << 20;
/// CPU shares per CPU (`CPU_SHARES_PER_CPU`) and the smallest value (`MIN_CPU_SHARES`).
const CPU_SHARES_PER_CPU: f64 = 1024.0;
const MIN_CPU_SHARES: u64 = 2;

/// Why usage or update could not be done.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("container '{0}' is not running")]
    NotRunning(String),
    #[error("cannot find the docker container of '{container_id}': {source}")]
    Docker {
        container_id: String,
        #[source]
        source: docker_cli::DockerError,
    },
    #[error("cannot use the cgroups of container '{container_id}': {source}")]
    Cgroup {
        container_id: String,
        #[source]
        source: cgroups::CgroupError,
    },
}

/// What `update` did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpdateOutcome {
    /// The CPUs now given (shares, and the CFS quota with `--cgroups_enable_cfs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    /// The hard memory limit now in force, in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_limit_bytes: Option<u64>,
    /// Why a requested change was not made (the memory limit is never lowered).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl DockerContainerizer {
    /// Locates (or takes from the cache) the cgroup of the container's task container.
    async fn cgroup(&self, container: &Container) -> Result<ContainerCgroup, UsageError> {
        if let Some((_, _, cgroup)) = &container.lock().cgroup {
            return Ok(cgroup.clone());
        }
        if container.termination().is_some() {
            return Err(UsageError::NotRunning(container.id.clone()));
        }
        let name = container.docker_name();
        let inspected = self
            .ctx
            .engine
            .inspect_container(&name)
            .await
            .map_err(|source| {
                if source.is_not_found() {
                    UsageError::NotRunning(container.id.clone())
                } else {
                    UsageError::Docker {
                        container_id: container.id.clone(),
                        source,
                    }
                }
            })?;
        let pid = inspected
            .pid
            .filter(|_| inspected.running)
            .ok_or_else(|| UsageError::NotRunning(container.id.clone()))?;
        let cgroup = ContainerCgroup::for_container(pid, &inspected.id).map_err(|source| {
            UsageError::Cgroup {
                container_id: container.id.clone(),
                source,
            }
        })?;
        container.lock().cgroup = Some((inspected.id, pid, cgroup.clone()));
        Ok(cgroup)
    }

    /// One ResourceStatistics sample of a running container.
    pub async fn usage(&self, container: &Container) -> Result<ResourceStatistics, UsageError> {
        let mut retried = false;
        loop {
            let cgroup = self.cgroup(container).await?;
            let hint = container.lock().limits.cpus;
            match cgroup.statistics(hint) {
                Ok(stats) => return Ok(stats),
                Err(e) if !retried => {
                    tracing::debug!(container_id = %container.id, error = %e, "cgroup sample failed; locating the cgroup again");
                    container.lock().cgroup = None;
                    retried = true;
                }
                Err(source) if source.is_not_found() => {
                    return Err(UsageError::NotRunning(container.id.clone()))
                }
                Err(source) => {
                    return Err(UsageError::Cgroup {
                        container_id: container.id.clone(),
                        source,
                    })
                }
            }
        }
    }

    /// Gives a running container `cpus` CPUs (shares; plus a CFS quota with
    /// `--cgroups_enable_cfs`) and a hard memory limit of `mem_mb` MB, which is only ever
    /// raised (Mesos never shrinks `memory.limit_in_bytes`: the kernel would have to reclaim
    /// or OOM-kill).
    pub async fn update(
        &self,
        container: &Container,
        cpus: Option<f64>,
        mem_mb: Option<f64>,
    ) -> Result<UpdateOutcome, UsageError> {
        let cgroup = self.cgroup(container).await?;
        let cgroup_err = |source| UsageError::Cgroup {
            container_id: container.id.clone(),
            source,
        };
        let mut limits = Limits::default();
        let mut notes = Vec::new();
        if let Some(cpus) = cpus {
            limits.cpu_shares =
                Some(((CPU_SHARES_PER_CPU * cpus).floor() as u64).max(MIN_CPU_SHARES));
            if self.ctx.flags.cgroups_enable_cfs {
                limits.cpu_quota = Some(CpuQuota::from_cpus(cpus));
            }
        }
        let current = cgroup.statistics(None).map_err(cgroup_err)?.mem_limit_bytes;
        let mut mem_limit_bytes = current;
        if let Some(mem) = mem_mb {
            let wanted = ((mem.trunc() as u64) << 20).max(MIN_MEMORY_BYTES);
            match current {
                Some(now) if wanted <= now => notes.push(format!(
                    "memory limit kept at {} MB: it is never lowered (asked for {} MB)",
                    now >> 20,
                    wanted >> 20
                )),
                _ => {
                    limits.memory_limit = Some(MemoryLimit::Bytes(wanted));
                    mem_limit_bytes = Some(wanted);
                }
            }
        }
        cgroup.update(&limits).map_err(cgroup_err)?;
        let mut inner = container.lock();
        let stored: &mut ContainerLimits = &mut inner.limits;
        if cpus.is_some() {
            stored.cpus = cpus;
        }
        if let Some(bytes) = mem_limit_bytes {
            stored.mem_mb = Some((bytes >> 20) as f64);
        }
        tracing::info!(container_id = %container.id, ?cpus, ?mem_limit_bytes, "limits updated");
        Ok(UpdateOutcome {
            cpus: stored.cpus,
            mem_limit_bytes,
            notes,
        })
    }
}
