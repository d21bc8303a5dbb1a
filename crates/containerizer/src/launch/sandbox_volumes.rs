//! Volumes whose `host_path` is relative are paths in the sandbox (docs/task-json.md), and
//! must stay there. Validation refuses a path whose `..` climbs out of it; what the path
//! resolves to is only known once the URIs are fetched (an archive may leave a symlink in
//! the sandbox), so each such volume is resolved here, after the fetch and before the
//! container is started, one component at a time as the kernel will when Docker mounts it.
//! Missing directories are created, as `docker run -v` would (and `--mount`, used for
//! paths with ':', would not). Absolute host paths are the operator's business, as in Mesos.

use crate::task::prepare::LaunchSpec;
use mesos_types::container::ContainerInfo;
use std::path::{Component, Path, PathBuf};

/// A relative volume that cannot be mounted.
#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    #[error(
        "{field}: host_path '{host_path}' resolves to '{resolved}', outside the sandbox \
         '{sandbox}' (a relative host_path is a path in the sandbox, and no symlink or '..' \
         may lead out of it): to mount a host directory give its absolute path"
    )]
    Escapes {
        field: String,
        host_path: String,
        resolved: String,
        sandbox: String,
    },
    #[error("{field}: cannot resolve host_path '{host_path}' in the sandbox at '{at}': {reason}")]
    Resolve {
        field: String,
        host_path: String,
        at: String,
        reason: String,
    },
}

/// The ContainerInfo that runs: the task's for a command task, else the custom executor's.
fn running_container(spec: &LaunchSpec) -> Option<(&'static str, &ContainerInfo)> {
    match &spec.executor {
        None => spec.task.container.as_ref().map(|c| ("container", c)),
        Some(e) => e.container.as_ref().map(|c| ("executor.container", c)),
    }
}

/// Resolves every relative volume of `spec` in `sandbox`, creating what is missing, and
/// refuses one that leads out of it.
pub fn prepare(spec: &LaunchSpec, sandbox: &Path) -> Result<(), VolumeError> {
    let Some((prefix, container)) = running_container(spec) else {
        return Ok(());
    };
    // With a volume driver a relative host path names a volume of the driver.
    if container
        .docker
        .as_ref()
        .is_some_and(|d| d.volume_driver.is_some())
    {
        return Ok(());
    }
    for (i, volume) in container.volumes.iter().enumerate() {
        let Some(host_path) = volume.host_path.as_deref() else {
            continue;
        };
        if host_path.starts_with('/') {
            continue;
        }
        let field = format!("{prefix}.volumes[{i}].host_path");
        resolve_in(sandbox, host_path).map_err(|e| match e {
            Resolution::Outside(resolved) => VolumeError::Escapes {
                field,
                host_path: host_path.to_string(),
                resolved: resolved.display().to_string(),
                sandbox: sandbox.display().to_string(),
            },
            Resolution::Failed { at, reason } => VolumeError::Resolve {
                field,
                host_path: host_path.to_string(),
                at: at.display().to_string(),
                reason,
            },
        })?;
    }
    Ok(())
}

enum Resolution {
    Outside(PathBuf),
    Failed { at: PathBuf, reason: String },
}

/// Walks `relative` from `sandbox`, following each symlink as it comes, and returns the
/// directory it names; every step must stay in the sandbox. A `..` goes to the parent of
/// where the walk physically is, as the kernel's does.
fn resolve_in(sandbox: &Path, relative: &str) -> Result<PathBuf, Resolution> {
    let failed = |at: &Path, e: std::io::Error| Resolution::Failed {
        at: at.to_path_buf(),
        reason: e.to_string(),
    };
    let root = sandbox.canonicalize().map_err(|e| failed(sandbox, e))?;
    let mut at = root.clone();
    for component in Path::new(relative).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                at = at.parent().map(Path::to_path_buf).unwrap_or_default();
            }
            Component::Normal(name) => {
                let next = at.join(name);
                at = match std::fs::symlink_metadata(&next) {
                    Ok(_) => next.canonicalize().map_err(|e| {
                        // A symlink to nowhere: Docker would create its target, wherever
                        // that is.
                        Resolution::Failed {
                            at: next.clone(),
                            reason: match std::fs::read_link(&next) {
                                Ok(target) => {
                                    format!("{e} (a symlink to '{}')", target.display())
                                }
                                Err(_) => e.to_string(),
                            },
                        }
                    })?,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        std::fs::create_dir(&next).map_err(|e| failed(&next, e))?;
                        next
                    }
                    Err(e) => return Err(failed(&next, e)),
                };
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(Resolution::Outside(PathBuf::from(relative)))
            }
        }
        if !at.starts_with(&root) {
            return Err(Resolution::Outside(at));
        }
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn paths_in_the_sandbox_resolve_and_missing_directories_are_made() {
        let dir = tempfile::tempdir().unwrap();
        let sandbox = dir.path().join("s");
        std::fs::create_dir_all(sandbox.join("a/b")).unwrap();
        symlink("a/b", sandbox.join("inner")).unwrap();
        let root = sandbox.canonicalize().unwrap();
        assert_eq!(resolve_in(&sandbox, "a/b").ok(), Some(root.join("a/b")));
        assert_eq!(resolve_in(&sandbox, "inner").ok(), Some(root.join("a/b")));
        assert_eq!(
            resolve_in(&sandbox, "a/../a/./b").ok(),
            Some(root.join("a/b"))
        );
        assert_eq!(
            resolve_in(&sandbox, "new/dir").ok(),
            Some(root.join("new/dir"))
        );
        assert!(sandbox.join("new/dir").is_dir());
        assert_eq!(resolve_in(&sandbox, ".").ok(), Some(root.clone()));
    }

    #[test]
    fn symlinks_and_dot_dots_leading_out_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let sandbox = dir.path().join("s");
        std::fs::create_dir_all(sandbox.join("a")).unwrap();
        std::fs::create_dir_all(dir.path().join("outside/deeper")).unwrap();
        symlink("/etc", sandbox.join("etc")).unwrap();
        symlink("../outside/deeper", sandbox.join("rel")).unwrap();
        symlink(dir.path().join("nowhere"), sandbox.join("dangling")).unwrap();
        let outside = |r: Result<PathBuf, Resolution>| match r {
            Err(Resolution::Outside(p)) => p,
            Err(Resolution::Failed { reason, .. }) => panic!("failed: {reason}"),
            Ok(p) => panic!("resolved to {}", p.display()),
        };
        assert_eq!(outside(resolve_in(&sandbox, "etc")), PathBuf::from("/etc"));
        assert_eq!(
            outside(resolve_in(&sandbox, "etc/ssl")),
            PathBuf::from("/etc")
        );
        // Into the sandbox again through '..' from outside: the walk left it on the way.
        outside(resolve_in(&sandbox, "rel/../../s/a"));
        outside(resolve_in(&sandbox, "../../../../etc"));
        outside(resolve_in(&sandbox, "a/../.."));
        assert!(matches!(
            resolve_in(&sandbox, "dangling"),
            Err(Resolution::Failed { .. })
        ));
        assert!(!dir.path().join("nowhere").exists());
    }
}
