//! The only I/O of the crate: whole reads and single writes of small cgroup files, each
//! error carrying the file's path. Kept in one place so "no spawning, a few small reads" is
//! easy to check.

use std::fs;
use std::io;
use std::path::Path;

use crate::error::{CgroupError, ParseError, Result};

/// Reads a file that must exist.
pub(crate) fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|source| CgroupError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a file that may be absent (kernel configuration, controller not enabled).
pub(crate) fn read_optional(path: &Path) -> Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(CgroupError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Reads a required file and parses it, naming the file when its contents are malformed.
pub(crate) fn read_parsed<T>(
    path: &Path,
    parse: impl FnOnce(&str) -> Result<T, ParseError>,
) -> Result<T> {
    let text = read(path)?;
    parse(&text).map_err(|source| malformed(path, source))
}

/// Reads an optional file and parses it when present.
pub(crate) fn read_optional_parsed<T>(
    path: &Path,
    parse: impl FnOnce(&str) -> Result<T, ParseError>,
) -> Result<Option<T>> {
    match read_optional(path)? {
        Some(text) => parse(&text).map(Some).map_err(|e| malformed(path, e)),
        None => Ok(None),
    }
}

/// Writes one value. cgroup files take a whole value per `write(2)`; `fs::write` does one.
pub(crate) fn write(path: &Path, value: &str) -> Result<()> {
    fs::write(path, value).map_err(|source| CgroupError::Write {
        path: path.to_path_buf(),
        value: value.to_string(),
        source,
    })
}

pub(crate) fn malformed(path: &Path, source: ParseError) -> CgroupError {
    CgroupError::Malformed {
        path: path.to_path_buf(),
        source,
    }
}
