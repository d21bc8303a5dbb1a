//! `file://` URIs and plain paths: a copy that keeps the source's permission bits minus the
//! umask (as `cp` does), following a symlinked source.
//!
//! Beyond Mesos, a source is refused when it is not a regular file, or when it lies under
//! `/proc`, `/sys` or `/dev`, judged on the path as written and on the path with every
//! symlink resolved (and on the opened file itself): those files describe the agent, not
//! the task (`/proc/self/environ` is the agent's whole environment, secrets included).

use crate::budget::DiskBudget;
use crate::error::FetchError;
use std::fs::{File, Metadata, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

/// Directories whose files are never fetched.
pub const REFUSED_ROOTS: &[&str] = &["/proc", "/sys", "/dev"];

/// Copies `src` to `dest`, charging the bytes to `budget`; returns the number of bytes.
pub async fn copy(
    src: &Path,
    dest: &Path,
    umask: u32,
    budget: std::sync::Arc<DiskBudget>,
) -> Result<u64, FetchError> {
    let src: PathBuf = src.to_path_buf();
    let dest = dest.to_path_buf();
    tokio::task::spawn_blocking(move || copy_blocking(&src, &dest, umask, &budget))
        .await
        .map_err(|e| FetchError::io("Copy task failed", PathBuf::new(), std::io::Error::other(e)))?
}

fn copy_blocking(
    src: &Path,
    dest: &Path,
    umask: u32,
    budget: &DiskBudget,
) -> Result<u64, FetchError> {
    let local = |e| FetchError::LocalCopy {
        path: src.to_path_buf(),
        source: e,
    };
    let (file, meta) = open(src)?;
    let len = meta.len();
    let doing = || format!("copying '{}'", src.display());
    budget.charge_for(len, doing)?;
    let mut out = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(dest)
        .map_err(|e| FetchError::io("Cannot create", dest, e))?;
    // A file that grows while it is copied gets at most one byte past the budget read, so
    // the overrun is seen without writing more than the budget allows. (`Take` over a file
    // keeps the kernel-side copy.)
    let cap = len.saturating_add(budget.remaining()).saturating_add(1);
    let n = std::io::copy(&mut file.take(cap), &mut out).map_err(local)?;
    if n > len {
        budget.charge_for(n - len, doing)?;
    } else {
        budget.refund(len - n);
    }
    let mode = meta.permissions().mode() & 0o777 & !umask;
    out.set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(|e| FetchError::io("Cannot set the mode of", dest, e))?;
    Ok(n)
}

/// The size of a local file (following symlinks), for the cache planner; refused sources
/// are refused here too.
pub fn size(path: &Path) -> Result<u64, FetchError> {
    Ok(check(path)?.1.len())
}

/// The absolute `path` with `.` dropped and `..` applied lexically (for the check before
/// any lookup).
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

fn refused_root(path: &Path) -> bool {
    REFUSED_ROOTS.iter().any(|r| path.starts_with(r))
}

fn refuse(src: &Path, reason: String) -> FetchError {
    FetchError::LocalSourceRefused {
        path: src.to_path_buf(),
        reason,
    }
}

fn under_refused_root(src: &Path, resolved: &Path) -> FetchError {
    let root = REFUSED_ROOTS
        .iter()
        .find(|r| resolved.starts_with(r))
        .copied()
        .unwrap_or("/proc");
    let location = if resolved == src {
        format!("it is under {root}")
    } else {
        format!("it resolves to '{}', under {root}", resolved.display())
    };
    refuse(
        src,
        format!(
            "{location}; files under /proc, /sys and /dev describe the agent, not the task, and are never fetched"
        ),
    )
}

fn kind(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_fifo() {
        "a fifo"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// The checks that need no open file: the path as written, the path resolved, the type.
/// Returns the resolved path and its metadata.
fn check(src: &Path) -> Result<(PathBuf, Metadata), FetchError> {
    if src.is_absolute() {
        let written = lexical(src);
        if refused_root(&written) {
            return Err(under_refused_root(src, &written));
        }
    }
    let local = |e| FetchError::LocalCopy {
        path: src.to_path_buf(),
        source: e,
    };
    let real = std::fs::canonicalize(src).map_err(local)?;
    if refused_root(&real) {
        return Err(under_refused_root(src, &real));
    }
    let meta = std::fs::metadata(&real).map_err(local)?;
    if meta.is_dir() {
        return Err(FetchError::SourceIsDirectory {
            path: src.to_path_buf(),
        });
    }
    if !meta.is_file() {
        return Err(refuse(
            src,
            format!("it is {}; only regular files are fetched", kind(&meta)),
        ));
    }
    Ok((real, meta))
}

/// Opens a local source after [`check`], then checks the opened file again (the path may
/// have been swapped meanwhile): still a regular file, not on procfs or sysfs, and not
/// under a refused directory by the kernel's own account of its path.
fn open(src: &Path) -> Result<(File, Metadata), FetchError> {
    let (real, _) = check(src)?;
    let local = |e| FetchError::LocalCopy {
        path: src.to_path_buf(),
        source: e,
    };
    // Non-blocking so a fifo swapped in cannot hang the open; no effect on regular files.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(&real)
        .map_err(local)?;
    let meta = file.metadata().map_err(local)?;
    if meta.is_dir() {
        return Err(FetchError::SourceIsDirectory {
            path: src.to_path_buf(),
        });
    }
    if !meta.is_file() {
        return Err(refuse(
            src,
            format!("it is {}; only regular files are fetched", kind(&meta)),
        ));
    }
    let fs = nix::sys::statfs::fstatfs(&file).map_err(|e| local(e.into()))?;
    let fs_type = fs.filesystem_type();
    if fs_type == nix::sys::statfs::PROC_SUPER_MAGIC || fs_type == nix::sys::statfs::SYSFS_MAGIC {
        return Err(refuse(
            src,
            "it is on a procfs or sysfs filesystem, whose files describe the agent, not the task"
                .into(),
        ));
    }
    if let Ok(actual) = std::fs::read_link(format!(
        "/proc/self/fd/{}",
        std::os::fd::AsRawFd::as_raw_fd(&file)
    )) {
        if refused_root(&actual) {
            return Err(under_refused_root(src, &actual));
        }
    }
    Ok((file, meta))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_paths_apply_dot_dot_without_lookups() {
        assert_eq!(
            lexical(Path::new("/tmp/../proc/./self/environ")),
            Path::new("/proc/self/environ")
        );
        assert_eq!(
            lexical(Path::new("/../../dev/zero")),
            Path::new("/dev/zero")
        );
        assert!(!refused_root(Path::new("/processes/x")));
        assert!(refused_root(Path::new("/sys")));
    }

    #[test]
    fn refusals_name_the_resolved_path() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("env");
        std::os::unix::fs::symlink("/proc/self/environ", &link).unwrap();
        let err = size(&link).unwrap_err().to_string();
        assert!(err.contains("resolves to '/proc/"), "{err}");
        let err = size(Path::new("/dev/zero")).unwrap_err().to_string();
        assert!(err.contains("it is under /dev;"), "{err}");
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        let err = size(&fifo).unwrap_err().to_string();
        assert!(err.contains("it is a fifo"), "{err}");
        let file = dir.path().join("f");
        std::fs::write(&file, b"abc").unwrap();
        assert_eq!(size(&file).unwrap(), 3);
    }
}
