//! The sandbox directory and the rules for writing into it: every path we write is checked
//! lexically (no absolute paths, nothing escaping through `..`) and physically (its parent,
//! after symlinks, is inside the sandbox).

use crate::error::FetchError;
use std::path::{Component, Path, PathBuf};

/// The container sandbox, as given and as resolved.
#[derive(Debug, Clone)]
pub struct Sandbox {
    root: PathBuf,
    canonical: PathBuf,
}

impl Sandbox {
    /// Opens an existing sandbox directory (the agent creates it; we never do).
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, FetchError> {
        let root = root.into();
        if root.as_os_str().is_empty() {
            return Err(FetchError::NoSandbox);
        }
        let canonical = std::fs::canonicalize(&root)
            .map_err(|e| FetchError::io("Cannot open the sandbox directory", &root, e))?;
        if !canonical.is_dir() {
            return Err(FetchError::io(
                "Cannot open the sandbox directory",
                &root,
                std::io::Error::from_raw_os_error(libc::ENOTDIR),
            ));
        }
        Ok(Self { root, canonical })
    }

    /// The sandbox path as the agent gave it.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The sandbox path with symlinks resolved.
    pub fn canonical(&self) -> &Path {
        &self.canonical
    }

    /// The path an item's file goes to: `output_file` (relative, not escaping) or the URI
    /// basename, under the sandbox. Creates the directory part as Mesos does and checks that
    /// it really is inside the sandbox.
    pub fn output_path(&self, name: &str, from_output_file: bool) -> Result<PathBuf, FetchError> {
        let reject = |reason: &str| {
            if from_output_file {
                FetchError::BadOutputFile {
                    output_file: name.to_string(),
                    reason: reason.to_string(),
                }
            } else {
                FetchError::InvalidUri {
                    uri: name.to_string(),
                    reason: format!("no usable file name in the URI ({reason})"),
                }
            }
        };
        if name.is_empty() {
            return Err(reject("the name is empty"));
        }
        if name.starts_with('/') {
            return Err(reject(
                "absolute paths are not allowed; it must be within the sandbox directory",
            ));
        }
        let rel = normalize_relative(Path::new(name))
            .ok_or_else(|| reject("it escapes the sandbox directory"))?;
        if rel.as_os_str().is_empty() {
            return Err(reject("it names the sandbox directory itself"));
        }
        let dest = self.root.join(&rel);
        if let Some(parent) = rel.parent().filter(|p| !p.as_os_str().is_empty()) {
            let dir = self.root.join(parent);
            std::fs::create_dir_all(&dir).map_err(|e| FetchError::Io {
                op: "Unable to create subdirectory in sandbox",
                path: dir.clone(),
                source: e,
            })?;
            let real = std::fs::canonicalize(&dir)
                .map_err(|e| FetchError::io("Cannot resolve", &dir, e))?;
            if !real.starts_with(&self.canonical) {
                return Err(reject("its directory resolves outside the sandbox"));
            }
        }
        Ok(dest)
    }
}

/// `rel` with `.` removed and `..` applied; `None` when it is absolute or climbs above its
/// start.
pub fn normalize_relative(rel: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for comp in rel.components() {
        match comp {
            Component::Normal(c) => out.push(c),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_paths_stay_inside() {
        let dir = tempfile::tempdir().unwrap();
        let sb = Sandbox::open(dir.path()).unwrap();
        assert_eq!(
            sb.output_path("sub/dir/f.txt", true).unwrap(),
            dir.path().join("sub/dir/f.txt")
        );
        assert!(dir.path().join("sub/dir").is_dir());
        assert_eq!(
            sb.output_path("a/../b", true).unwrap(),
            dir.path().join("b")
        );
        for bad in ["", "/abs", "../x", "a/../../x", ".", "a/.."] {
            let err = sb.output_path(bad, true).unwrap_err().to_string();
            assert!(err.contains("rejected"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_symlinked_directory_pointing_outside_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).unwrap();
        let sb = Sandbox::open(dir.path()).unwrap();
        let err = sb.output_path("out/x", true).unwrap_err().to_string();
        assert!(err.contains("outside the sandbox"), "{err}");
    }
}
