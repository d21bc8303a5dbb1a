//! Where a process's cgroups are: `/proc/<pid>/cgroup` names each cgroup as a path inside
//! its hierarchy, `/proc/self/mountinfo` tells where (and from which sub-cgroup) each
//! hierarchy is mounted here. Pure parsing and path arithmetic; the filesystem checks live in
//! [`crate::ContainerCgroup`].
//!
//! Why the mount's root matters: inside a container, `/sys/fs/cgroup/memory` may be a mount
//! of `/docker/<id>`, not of the hierarchy's root, so the cgroup `/docker/<id>/child` is the
//! directory `<mount point>/child`, not `<mount point>/docker/<id>/child`.

use std::path::PathBuf;

use crate::error::ParseError;
use crate::CgroupVersion;

/// One line of `/proc/<pid>/cgroup`: `<hierarchy id>:<controllers>:<path>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcCgroup {
    /// 0 for the unified (v2) hierarchy.
    pub hierarchy_id: u32,
    /// The v1 controllers of the hierarchy (`cpu`, `cpuacct`, `name=systemd`, …); empty for
    /// the unified hierarchy.
    pub controllers: Vec<String>,
    /// The cgroup, relative to the reader's cgroup namespace (may start with `/..` when the
    /// process is outside it).
    pub path: String,
}

impl ProcCgroup {
    /// Whether this line is the process's v1 cgroup for `controller`.
    pub fn has_controller(&self, controller: &str) -> bool {
        self.controllers.iter().any(|c| c == controller)
    }

    /// Whether this line is the process's unified (v2) cgroup.
    pub fn is_unified(&self) -> bool {
        self.hierarchy_id == 0 && self.controllers.is_empty()
    }
}

/// Parses the text of `/proc/<pid>/cgroup`.
pub fn parse_proc_cgroup(text: &str) -> Result<Vec<ProcCgroup>, ParseError> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let bad = || ParseError::BadLine { line: line.into() };
            let mut parts = line.splitn(3, ':');
            let (Some(id), Some(controllers), Some(path)) =
                (parts.next(), parts.next(), parts.next())
            else {
                return Err(bad());
            };
            let hierarchy_id = id.parse().map_err(|_| ParseError::BadNumber {
                what: "hierarchy id".into(),
                value: id.into(),
            })?;
            Ok(ProcCgroup {
                hierarchy_id,
                controllers: controllers
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .collect(),
                path: path.to_string(),
            })
        })
        .collect()
}

/// A mounted cgroup hierarchy, from one line of `/proc/self/mountinfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupMount {
    /// `cgroup` filesystems are v1, `cgroup2` is v2.
    pub version: CgroupVersion,
    /// The cgroup of the hierarchy that is mounted (`/` unless a sub-cgroup is bind-mounted
    /// or we are in a cgroup namespace).
    pub root: String,
    /// Where it is mounted.
    pub mount_point: PathBuf,
    /// The superblock options; for v1 they name the hierarchy's controllers.
    pub super_options: Vec<String>,
}

impl CgroupMount {
    /// Whether this is a v1 hierarchy carrying `controller`.
    pub fn has_controller(&self, controller: &str) -> bool {
        self.version == CgroupVersion::V1 && self.super_options.iter().any(|o| o == controller)
    }

    /// The directory of `cgroup` (a path of this hierarchy, as in `/proc/<pid>/cgroup`) under
    /// this mount, or `None` when that cgroup is not inside the mounted sub-tree.
    pub fn dir_for(&self, cgroup: &str) -> Option<PathBuf> {
        let path = cgroup_components(cgroup)?;
        let root = cgroup_components(&self.root)?;
        let relative = path.strip_prefix(root.as_slice())?;
        let mut dir = self.mount_point.clone();
        dir.extend(relative);
        Some(dir)
    }
}

/// Parses the text of `/proc/self/mountinfo`, keeping only cgroup and cgroup2 mounts.
///
/// Line format (proc(5)): `id parent major:minor root mount-point options [optional…] -
/// fstype source super-options`.
pub fn parse_mountinfo(text: &str) -> Result<Vec<CgroupMount>, ParseError> {
    let mut mounts = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let bad = || ParseError::BadLine { line: line.into() };
        let separator = fields
            .iter()
            .skip(6)
            .position(|f| *f == "-")
            .map(|i| i + 6)
            .ok_or_else(bad)?;
        let fstype = *fields.get(separator + 1).ok_or_else(bad)?;
        let version = match fstype {
            "cgroup" => CgroupVersion::V1,
            "cgroup2" => CgroupVersion::V2,
            _ => continue,
        };
        let super_options = fields
            .get(separator + 3)
            .map(|o| o.split(',').map(str::to_string).collect())
            .unwrap_or_default();
        mounts.push(CgroupMount {
            version,
            root: unescape(fields[3]),
            mount_point: PathBuf::from(unescape(fields[4])),
            super_options,
        });
    }
    Ok(mounts)
}

/// Whether `cgroup` is the root of its hierarchy (as seen from our cgroup namespace).
pub(crate) fn is_root_cgroup(cgroup: &str) -> bool {
    cgroup_components(cgroup).is_some_and(|c| c.is_empty())
}

/// The components of a cgroup path with `.` and `..` resolved; `None` when it climbs above
/// the namespace root (the cgroup is not visible from here).
fn cgroup_components(path: &str) -> Option<Vec<&str>> {
    let mut components = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                components.pop()?;
            }
            part => components.push(part),
        }
    }
    Some(components)
}

/// Undoes mountinfo's octal escapes (`\040` for a space, `\011`, `\012`, `\134`).
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if let Some([b'\\', a, b, c]) = bytes.get(i..i + 4) {
            let octal = |d: &u8| (b'0'..=b'7').contains(d);
            if octal(a) && octal(b) && octal(c) && *a <= b'3' {
                out.push((a - b'0') * 64 + (b - b'0') * 8 + (c - b'0'));
                i += 4;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `/proc/<pid>/cgroup` of a Docker container on a hybrid v1 host (cgroupfs driver), as
    /// the host sees it.
    const PROC_CGROUP_V1: &str = "\
9:name=systemd:/docker/5b83822be819
8:pids:/docker/5b83822be819
4:memory:/docker/5b83822be819
2:cpuacct:/docker/5b83822be819
1:cpu:/docker/5b83822be819
0::/docker/5b83822be819
";

    #[test]
    fn proc_cgroup_lines_split_into_hierarchies() {
        let entries = parse_proc_cgroup(PROC_CGROUP_V1).unwrap();
        assert_eq!(entries.len(), 6);
        assert_eq!(
            entries[0],
            ProcCgroup {
                hierarchy_id: 9,
                controllers: vec!["name=systemd".into()],
                path: "/docker/5b83822be819".into(),
            }
        );
        assert!(entries[2].has_controller("memory"));
        assert!(!entries[2].is_unified());
        assert!(entries[5].is_unified());
        assert!(!entries[5].has_controller(""));
    }

    #[test]
    fn proc_cgroup_handles_joint_controllers_and_systemd_paths() {
        let entries = parse_proc_cgroup(
            "4:cpu,cpuacct:/system.slice/docker-ab12.scope\n0::/system.slice/docker-ab12.scope\n",
        )
        .unwrap();
        assert!(entries[0].has_controller("cpu"));
        assert!(entries[0].has_controller("cpuacct"));
        assert_eq!(entries[1].path, "/system.slice/docker-ab12.scope");

        // A path may itself contain ':' (only the first two separate fields).
        let entries = parse_proc_cgroup("0::/a:b\n").unwrap();
        assert_eq!(entries[0].path, "/a:b");
    }

    #[test]
    fn proc_cgroup_rejects_garbage() {
        assert!(matches!(
            parse_proc_cgroup("memory:/x\n"),
            Err(ParseError::BadLine { .. })
        ));
        assert!(matches!(
            parse_proc_cgroup("x:memory:/x\n"),
            Err(ParseError::BadNumber { .. })
        ));
    }

    #[test]
    fn mountinfo_keeps_cgroup_mounts_of_a_hybrid_host() {
        let text = "\
23 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
";
        let mounts = parse_mountinfo(text).unwrap();
        assert_eq!(mounts.len(), 4);
        assert_eq!(
            mounts[0].mount_point,
            PathBuf::from("/sys/fs/cgroup/cpu,cpuacct")
        );
        assert!(mounts[0].has_controller("cpu"));
        assert!(mounts[0].has_controller("cpuacct"));
        assert!(!mounts[0].has_controller("memory"));
        assert!(mounts[1].has_controller("memory"));
        assert!(mounts[2].has_controller("name=systemd"));
        assert_eq!(mounts[3].version, CgroupVersion::V2);
        assert!(!mounts[3].has_controller("rw"));
    }

    #[test]
    fn mountinfo_of_a_unified_host_and_escaped_paths() {
        let text = "\
30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
99 30 0:26 /a\\040b /mnt/my\\040cgroup rw - cgroup2 cgroup2 rw
";
        let mounts = parse_mountinfo(text).unwrap();
        assert_eq!(mounts.len(), 2);
        assert_eq!(mounts[0].version, CgroupVersion::V2);
        assert_eq!(mounts[0].root, "/");
        assert_eq!(mounts[1].root, "/a b");
        assert_eq!(mounts[1].mount_point, PathBuf::from("/mnt/my cgroup"));
    }

    #[test]
    fn mountinfo_rejects_a_line_without_separator() {
        assert!(matches!(
            parse_mountinfo("1 2 0:1 / /x rw cgroup cgroup rw\n"),
            Err(ParseError::BadLine { .. })
        ));
    }

    fn mount(root: &str, at: &str) -> CgroupMount {
        CgroupMount {
            version: CgroupVersion::V1,
            root: root.into(),
            mount_point: at.into(),
            super_options: vec!["rw".into(), "memory".into()],
        }
    }

    #[test]
    fn cgroup_paths_are_taken_relative_to_the_mount_root() {
        let host = mount("/", "/sys/fs/cgroup/memory");
        assert_eq!(
            host.dir_for("/docker/abc"),
            Some(PathBuf::from("/sys/fs/cgroup/memory/docker/abc"))
        );
        assert_eq!(
            host.dir_for("/"),
            Some(PathBuf::from("/sys/fs/cgroup/memory"))
        );

        // Inside a container with the host's cgroup namespace: the mount is of /docker/abc.
        let nested = mount("/docker/abc", "/sys/fs/cgroup/memory");
        assert_eq!(
            nested.dir_for("/docker/abc"),
            Some(PathBuf::from("/sys/fs/cgroup/memory"))
        );
        assert_eq!(
            nested.dir_for("/docker/abc/child"),
            Some(PathBuf::from("/sys/fs/cgroup/memory/child"))
        );
        assert_eq!(nested.dir_for("/docker/other"), None);
        assert_eq!(nested.dir_for("/docker/abcdef"), None);

        // Outside our cgroup namespace: not reachable through this mount.
        assert_eq!(host.dir_for("/../sibling"), None);
        assert_eq!(
            host.dir_for("/a/../b/./c"),
            Some(PathBuf::from("/sys/fs/cgroup/memory/b/c"))
        );
    }

    #[test]
    fn unescape_handles_octal_and_stray_backslashes() {
        assert_eq!(unescape("a\\040b"), "a b");
        assert_eq!(unescape("a\\134b"), "a\\b");
        assert_eq!(unescape("tail\\"), "tail\\");
        assert_eq!(unescape("x\\04"), "x\\04");
        assert_eq!(unescape("x\\zzz"), "x\\zzz");
    }
}
