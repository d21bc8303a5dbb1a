//! Finding a container's cgroup from its pid, on whatever layout this machine has.

use std::collections::VecDeque;
use std::fs;
use std::path::{Path, PathBuf};

use mesos_types::statistics::ResourceStatistics;

use crate::error::{CgroupError, Result};
use crate::files;
use crate::limits::Limits;
use crate::mounts::{is_root_cgroup, parse_mountinfo, parse_proc_cgroup, CgroupMount, ProcCgroup};
use crate::{Cgroup, CgroupVersion, V1Cgroup, V2Cgroup};

/// How deep below a hierarchy's mount point the container-id search looks. Docker's
/// cgroups sit at depth 2 (`/docker/<id>`, `/system.slice/docker-<id>.scope`), Kubernetes'
/// at depth 3–4 (`/kubepods/burstable/pod<uid>/<id>`); nested agents add a level or two.
const SEARCH_DEPTH: usize = 6;

/// A container's cgroup, located on this machine's cgroup version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerCgroup {
    V1(V1Cgroup),
    V2(V2Cgroup),
}

impl ContainerCgroup {
    /// The cgroup of process `pid` (a container's init process, `State.Pid` in `docker
    /// inspect`), from `/proc/<pid>/cgroup` and `/proc/self/mountinfo`.
    pub fn for_pid(pid: u32) -> Result<Self> {
        Self::locate(pid, None)
    }

    /// Like [`ContainerCgroup::for_pid`], and when the pid's cgroup is not reachable through
    /// our mounts (cgroup namespaces, an agent inside a container), the directory named after
    /// `container_id` (Docker's full id) in the mounted hierarchies.
    pub fn for_container(pid: u32, container_id: &str) -> Result<Self> {
        Self::locate(pid, Some(container_id))
    }

    /// Locates the cgroup from the texts of `/proc/<pid>/cgroup` and `/proc/self/mountinfo`
    /// (`pid` only names the process in errors). The directories found must exist.
    ///
    /// v1 is chosen when the process has a `memory` cgroup in a mounted v1 hierarchy (so a
    /// hybrid host, whose unified mount carries no controllers, counts as v1), v2 otherwise.
    pub fn resolve(
        pid: u32,
        proc_cgroup: &str,
        mountinfo: &str,
        container_id: Option<&str>,
    ) -> Result<Self> {
        let entries = parse_proc_cgroup(proc_cgroup)
            .map_err(|e| files::malformed(Path::new(&format!("/proc/{pid}/cgroup")), e))?;
        let mounts = parse_mountinfo(mountinfo)
            .map_err(|e| files::malformed(Path::new("/proc/self/mountinfo"), e))?;
        let locator = Locator {
            pid,
            entries: &entries,
            mounts: &mounts,
            container_id: container_id.filter(|id| !id.is_empty()),
        };
        let v1_memory = entries.iter().any(|e| e.has_controller("memory"))
            && mounts.iter().any(|m| m.has_controller("memory"));
        if v1_memory {
            Ok(ContainerCgroup::V1(V1Cgroup {
                cpu: locator.v1_dir("cpu")?,
                cpuacct: locator.v1_dir("cpuacct")?,
                memory: locator.v1_dir("memory")?,
                pids: locator.v1_dir("pids").ok(),
            }))
        } else {
            Ok(ContainerCgroup::V2(V2Cgroup::new(locator.v2_dir()?)))
        }
    }

    /// Which cgroup interface the container's controllers are in.
    pub fn version(&self) -> CgroupVersion {
        match self {
            ContainerCgroup::V1(_) => CgroupVersion::V1,
            ContainerCgroup::V2(_) => CgroupVersion::V2,
        }
    }

    fn locate(pid: u32, container_id: Option<&str>) -> Result<Self> {
        let proc_cgroup = files::read(Path::new(&format!("/proc/{pid}/cgroup")))?;
        let mountinfo = files::read(Path::new("/proc/self/mountinfo"))?;
        Self::resolve(pid, &proc_cgroup, &mountinfo, container_id)
    }
}

impl Cgroup for ContainerCgroup {
    fn statistics(&self, cpus_limit_hint: Option<f64>) -> Result<ResourceStatistics> {
        match self {
            ContainerCgroup::V1(cg) => cg.statistics(cpus_limit_hint),
            ContainerCgroup::V2(cg) => cg.statistics(cpus_limit_hint),
        }
    }

    fn update(&self, limits: &Limits) -> Result<()> {
        match self {
            ContainerCgroup::V1(cg) => cg.update(limits),
            ContainerCgroup::V2(cg) => cg.update(limits),
        }
    }
}

struct Locator<'a> {
    pid: u32,
    entries: &'a [ProcCgroup],
    mounts: &'a [CgroupMount],
    container_id: Option<&'a str>,
}

impl Locator<'_> {
    fn v1_dir(&self, controller: &str) -> Result<PathBuf> {
        let entry = self
            .entries
            .iter()
            .find(|e| e.has_controller(controller))
            .ok_or_else(|| CgroupError::NoCgroup {
                pid: self.pid,
                controller: controller.into(),
            })?;
        let mounts: Vec<_> = self
            .mounts
            .iter()
            .filter(|m| m.has_controller(controller))
            .collect();
        self.dir(controller, &entry.path, &mounts)
    }

    fn v2_dir(&self) -> Result<PathBuf> {
        let entry = self
            .entries
            .iter()
            .find(|e| e.is_unified())
            .ok_or_else(|| CgroupError::NoCgroup {
                pid: self.pid,
                controller: "memory".into(),
            })?;
        let mounts: Vec<_> = self
            .mounts
            .iter()
            .filter(|m| m.version == CgroupVersion::V2)
            .collect();
        self.dir("cgroup2", &entry.path, &mounts)
    }

    fn dir(&self, controller: &str, cgroup: &str, mounts: &[&CgroupMount]) -> Result<PathBuf> {
        if mounts.is_empty() {
            return Err(CgroupError::NotMounted {
                controller: controller.into(),
            });
        }
        if is_root_cgroup(cgroup) {
            return Err(CgroupError::RootCgroup {
                pid: self.pid,
                controller: controller.into(),
            });
        }
        if let Some(dir) = mounts
            .iter()
            .filter_map(|m| m.dir_for(cgroup))
            .find(|d| d.is_dir())
        {
            return Ok(dir);
        }
        if let Some(id) = self.container_id {
            if let Some(dir) = mounts
                .iter()
                .find_map(|m| find_dir_named(&m.mount_point, id))
            {
                return Ok(dir);
            }
        }
        Err(CgroupError::DirectoryMissing {
            pid: self.pid,
            controller: controller.into(),
            cgroup: cgroup.into(),
            container_id: self.container_id.map(str::to_string),
        })
    }
}

/// The shallowest directory below `base` whose name contains `id` (`<id>`,
/// `docker-<id>.scope`, `cri-containerd-<id>.scope`). Symlinks are not followed.
fn find_dir_named(base: &Path, id: &str) -> Option<PathBuf> {
    let mut queue = VecDeque::from([(base.to_path_buf(), 0)]);
    while let Some((dir, depth)) = queue.pop_front() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            if entry.file_name().to_string_lossy().contains(id) {
                return Some(entry.path());
            }
            if depth + 1 < SEARCH_DEPTH {
                queue.push_back((entry.path(), depth + 1));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "5b83822be819badca66022b530f613013e9800e7f3b2e4828da8ef8e5dfb3098";

    fn mkdirs(root: &Path, dirs: &[&str]) {
        for d in dirs {
            fs::create_dir_all(root.join(d)).unwrap();
        }
    }

    /// A hybrid v1 host with `cpu,cpuacct` sharing a hierarchy, mounted under `root`.
    fn v1_mountinfo(root: &Path) -> String {
        let r = root.display();
        format!(
            "\
22 1 0:20 / /proc rw,nosuid - proc proc rw
31 23 0:28 / {r} rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / {r}/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / {r}/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / {r}/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / {r}/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / {r}/unified rw,relatime - cgroup2 cgroup2 rw
"
        )
    }

    fn v1_proc_cgroup(path: &str) -> String {
        format!(
            "9:name=systemd:{path}\n8:pids:{path}\n4:memory:{path}\n2:cpu,cpuacct:{path}\n0::{path}\n"
        )
    }

    #[test]
    fn v1_cgroupfs_layout() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        let cgroup = format!("/docker/{ID}");
        mkdirs(
            r,
            &[
                &format!("cpu,cpuacct{cgroup}"),
                &format!("memory{cgroup}"),
                &format!("pids{cgroup}"),
            ],
        );
        let cg =
            ContainerCgroup::resolve(42, &v1_proc_cgroup(&cgroup), &v1_mountinfo(r), None).unwrap();
        assert_eq!(cg.version(), CgroupVersion::V1);
        assert_eq!(
            cg,
            ContainerCgroup::V1(V1Cgroup {
                cpu: r.join(format!("cpu,cpuacct{cgroup}")),
                cpuacct: r.join(format!("cpu,cpuacct{cgroup}")),
                memory: r.join(format!("memory{cgroup}")),
                pids: Some(r.join(format!("pids{cgroup}"))),
            })
        );
    }

    #[test]
    fn v1_without_a_pids_hierarchy() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        mkdirs(r, &["cpu,cpuacct/docker/x", "memory/docker/x"]);
        let mountinfo: String = v1_mountinfo(r)
            .lines()
            .filter(|l| !l.contains("pids"))
            .map(|l| format!("{l}\n"))
            .collect();
        let cg =
            ContainerCgroup::resolve(42, &v1_proc_cgroup("/docker/x"), &mountinfo, None).unwrap();
        let ContainerCgroup::V1(v1) = cg else {
            panic!("expected v1")
        };
        assert_eq!(v1.pids, None);
    }

    #[test]
    fn v2_systemd_layout() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        let scope = format!("system.slice/docker-{ID}.scope");
        mkdirs(r, &[&scope]);
        let mountinfo = format!(
            "30 23 0:26 / {} rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n",
            r.display()
        );
        let cg = ContainerCgroup::resolve(7, &format!("0::/{scope}\n"), &mountinfo, None).unwrap();
        assert_eq!(cg, ContainerCgroup::V2(V2Cgroup::new(r.join(&scope))));
        assert_eq!(cg.version(), CgroupVersion::V2);
    }

    #[test]
    fn nested_mount_of_a_sub_cgroup() {
        // The agent runs in container "agent" with the host's cgroup namespace: its
        // hierarchy is mounted from /docker/agent, and a child cgroup lies below.
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        mkdirs(r, &["child"]);
        let mountinfo = format!(
            "80 79 0:26 /docker/agent {} ro,nosuid - cgroup2 cgroup2 rw\n",
            r.display()
        );
        let cg = ContainerCgroup::resolve(7, "0::/docker/agent/child\n", &mountinfo, None).unwrap();
        assert_eq!(cg, ContainerCgroup::V2(V2Cgroup::new(r.join("child"))));
    }

    #[test]
    fn unreachable_paths_fall_back_to_the_container_id() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        let scope = format!("kubepods/burstable/pod1/cri-containerd-{ID}.scope");
        mkdirs(r, &[&scope, "kubepods/burstable/pod1/other"]);
        let mountinfo = format!("30 23 0:26 / {} rw - cgroup2 cgroup2 rw\n", r.display());
        // Seen from another cgroup namespace, the path climbs out of ours.
        let proc_cgroup = format!("0::/../../{scope}\n");

        let err = ContainerCgroup::resolve(7, &proc_cgroup, &mountinfo, None).unwrap_err();
        assert!(
            matches!(err, CgroupError::DirectoryMissing { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("cri-containerd"), "{err}");

        let cg = ContainerCgroup::resolve(7, &proc_cgroup, &mountinfo, Some(ID)).unwrap();
        assert_eq!(cg, ContainerCgroup::V2(V2Cgroup::new(r.join(&scope))));

        let err =
            ContainerCgroup::resolve(7, &proc_cgroup, &mountinfo, Some("feedface")).unwrap_err();
        assert!(err.to_string().contains("container feedface"), "{err}");
    }

    #[test]
    fn the_root_cgroup_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let mountinfo = format!(
            "30 23 0:26 / {} rw - cgroup2 cgroup2 rw\n",
            root.path().display()
        );
        let err = ContainerCgroup::resolve(7, "0::/\n", &mountinfo, Some(ID)).unwrap_err();
        assert!(
            matches!(err, CgroupError::RootCgroup { pid: 7, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn missing_hierarchies_and_cgroups_are_named() {
        let err = ContainerCgroup::resolve(7, "0::/docker/x\n", "", None).unwrap_err();
        assert!(
            matches!(&err, CgroupError::NotMounted { controller } if controller == "cgroup2"),
            "{err:?}"
        );

        let root = tempfile::tempdir().unwrap();
        let err =
            ContainerCgroup::resolve(7, "4:memory:/docker/x\n", &v1_mountinfo(root.path()), None)
                .unwrap_err();
        assert!(
            matches!(&err, CgroupError::NoCgroup { controller, .. } if controller == "cpu"),
            "{err:?}"
        );

        let err = ContainerCgroup::resolve(7, "garbage\n", "", None).unwrap_err();
        assert!(err.to_string().contains("/proc/7/cgroup"), "{err}");
    }
}
