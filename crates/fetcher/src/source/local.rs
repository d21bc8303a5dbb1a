//! `file://` URIs and plain paths: a copy that keeps the source's permission bits minus the
//! umask (as `cp` does), following a symlinked source.

use crate::error::FetchError;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Copies `src` to `dest` and returns the number of bytes copied.
pub async fn copy(src: &Path, dest: &Path, umask: u32) -> Result<u64, FetchError> {
    let src: PathBuf = src.to_path_buf();
    let dest = dest.to_path_buf();
    tokio::task::spawn_blocking(move || copy_blocking(&src, &dest, umask))
        .await
        .map_err(|e| FetchError::io("Copy task failed", PathBuf::new(), std::io::Error::other(e)))?
}

fn copy_blocking(src: &Path, dest: &Path, umask: u32) -> Result<u64, FetchError> {
    let local = |e| FetchError::LocalCopy {
        path: src.to_path_buf(),
        source: e,
    };
    let meta = std::fs::metadata(src).map_err(local)?;
    if meta.is_dir() {
        return Err(FetchError::SourceIsDirectory {
            path: src.to_path_buf(),
        });
    }
    let n = std::fs::copy(src, dest).map_err(local)?;
    let mode = meta.permissions().mode() & 0o777 & !umask;
    std::fs::set_permissions(dest, std::fs::Permissions::from_mode(mode))
        .map_err(|e| FetchError::io("Cannot set the mode of", dest, e))?;
    Ok(n)
}

/// The size of a local file (following symlinks), for the cache planner.
pub fn size(path: &Path) -> Result<u64, FetchError> {
    let meta = std::fs::metadata(path).map_err(|e| FetchError::LocalCopy {
        path: path.to_path_buf(),
        source: e,
    })?;
    if meta.is_dir() {
        return Err(FetchError::SourceIsDirectory {
            path: path.to_path_buf(),
        });
    }
    Ok(meta.len())
}
