//! Where things live under the work dir (docs/design.md, *State on disk*).
//!
//! ```text
//! <work_dir>/meta/agent_id
//! <work_dir>/meta/containers/<ContainerID>/{task.json,executor.json,state.json,pids,updates.jsonl}
//! <work_dir>/sandboxes/<ContainerID>/
//! <work_dir>/fetcher_cache/
//! ```

use std::path::{Path, PathBuf};

/// The work dir used when `--work_dir` is not given: `/var/lib/mesos-docker` as root, else
/// `$XDG_STATE_HOME/mesos-docker` (`~/.local/state/mesos-docker` when that is unset).
pub fn default_work_dir() -> PathBuf {
    if nix::unistd::geteuid().is_root() {
        return PathBuf::from("/var/lib/mesos-docker");
    }
    if let Some(state) = std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(state).join("mesos-docker");
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into());
    PathBuf::from(home).join(".local/state/mesos-docker")
}

/// The layout of one work dir.
#[derive(Debug, Clone)]
pub struct WorkDir {
    root: PathBuf,
}

impl WorkDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn meta_dir(&self) -> PathBuf {
        self.root.join("meta")
    }

    /// The file holding this containerizer's agent id, generated on first use.
    pub fn agent_id_file(&self) -> PathBuf {
        self.meta_dir().join("agent_id")
    }

    /// The docker version `run` last read, and of which CLI file
    /// ([`crate::launch::docker_version`]).
    pub fn docker_version_file(&self) -> PathBuf {
        self.meta_dir().join("docker_version.json")
    }

    pub fn containers_dir(&self) -> PathBuf {
        self.meta_dir().join("containers")
    }

    /// The checkpoint directory of one container.
    pub fn container_meta(&self, container_id: &str) -> ContainerMeta {
        ContainerMeta {
            dir: self.containers_dir().join(container_id),
        }
    }

    pub fn sandboxes_dir(&self) -> PathBuf {
        self.root.join("sandboxes")
    }

    /// The sandbox of one container, bind-mounted into it at `--sandbox_directory`.
    pub fn sandbox(&self, container_id: &str) -> PathBuf {
        self.sandboxes_dir().join(container_id)
    }

    /// The fetcher cache used when `--fetcher_cache_dir` is not given.
    pub fn default_fetcher_cache(&self) -> PathBuf {
        self.root.join("fetcher_cache")
    }
}

/// The checkpoint files of one container.
#[derive(Debug, Clone)]
pub struct ContainerMeta {
    dir: PathBuf,
}

impl ContainerMeta {
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn task(&self) -> PathBuf {
        self.dir.join("task.json")
    }

    pub fn executor(&self) -> PathBuf {
        self.dir.join("executor.json")
    }

    pub fn state(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    /// Pids of the executor (and of the container's init process once known).
    pub fn pids(&self) -> PathBuf {
        self.dir.join("pids")
    }

    /// Status updates, one JSON object a line, appended before they are acknowledged.
    pub fn updates(&self) -> PathBuf {
        self.dir.join("updates.jsonl")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_the_design() {
        let w = WorkDir::new("/w");
        assert_eq!(w.agent_id_file(), Path::new("/w/meta/agent_id"));
        assert_eq!(w.sandbox("c1"), Path::new("/w/sandboxes/c1"));
        let m = w.container_meta("c1");
        assert_eq!(m.task(), Path::new("/w/meta/containers/c1/task.json"));
        assert_eq!(
            m.updates(),
            Path::new("/w/meta/containers/c1/updates.jsonl")
        );
        assert_eq!(w.default_fetcher_cache(), Path::new("/w/fetcher_cache"));
    }
}
