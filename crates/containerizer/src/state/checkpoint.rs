//! Crash-safe checkpoint files: every write goes to a temp file in the same directory, is
//! fsynced, renamed over the target and the directory fsynced, so a reader after a crash sees
//! either the old or the new content, never a torn one.

use serde::{de::DeserializeOwned, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("failed to write checkpoint '{path}': {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error("failed to read checkpoint '{path}': {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("checkpoint '{path}' is not valid JSON: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
}

fn write_err(path: &Path) -> impl FnOnce(io::Error) -> CheckpointError + '_ {
    move |source| CheckpointError::Write {
        path: path.to_path_buf(),
        source,
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Atomically replaces `path` with `bytes` (creating parent directories).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(write_err(path))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".checkpoint-")
        .tempfile_in(dir)
        .map_err(write_err(path))?;
    tmp.write_all(bytes).map_err(write_err(path))?;
    tmp.as_file().sync_all().map_err(write_err(path))?;
    tmp.persist(path).map_err(|e| write_err(path)(e.error))?;
    sync_dir(dir).map_err(write_err(path))
}

/// Atomically replaces `path` with the JSON of `value`.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), CheckpointError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| CheckpointError::Write {
        path: path.to_path_buf(),
        source: io::Error::other(e),
    })?;
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}

/// Reads a JSON checkpoint; `Ok(None)` when the file does not exist.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, CheckpointError> {
    match fs::read(path) {
        Ok(bytes) => {
            serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|source| CheckpointError::Parse {
                    path: path.to_path_buf(),
                    source,
                })
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(CheckpointError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Appends one JSON line to `path` and fsyncs it before returning, so an update is durable
/// before it is acknowledged.
pub fn append_json_line<T: Serialize>(path: &Path, value: &T) -> Result<(), CheckpointError> {
    let mut line = serde_json::to_vec(value).map_err(|e| CheckpointError::Write {
        path: path.to_path_buf(),
        source: io::Error::other(e),
    })?;
    line.push(b'\n');
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(write_err(path))?;
    }
    // Updates carry task data: readable by the owner only, like the other checkpoints
    // (temp files are created 0600).
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(write_err(path))?;
    // One write call keeps the line whole for concurrent readers.
    file.write_all(&line).map_err(write_err(path))?;
    file.sync_data().map_err(write_err(path))
}

/// Reads every complete JSON line of `path`. A torn last line (a crash mid-append) is
/// skipped; a bad line elsewhere is an error.
pub fn read_json_lines<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, CheckpointError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(CheckpointError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let complete = !text.is_empty() && text.ends_with('\n');
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        match serde_json::from_str(line) {
            Ok(v) => out.push(v),
            Err(_) if i + 1 == lines.len() && !complete => break,
            Err(source) => {
                return Err(CheckpointError::Parse {
                    path: path.to_path_buf(),
                    source,
                })
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/state.json");
        write_json(&path, &json!({"state": "RUNNING"})).unwrap();
        write_json(&path, &json!({"state": "FINISHED"})).unwrap();
        let back: serde_json::Value = read_json(&path).unwrap().unwrap();
        assert_eq!(back["state"], "FINISHED");
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("state.json")]);
    }

    #[test]
    fn missing_checkpoint_reads_as_none() {
        let dir = tempfile::tempdir().unwrap();
        let v: Option<serde_json::Value> = read_json(&dir.path().join("nope")).unwrap();
        assert!(v.is_none());
    }

    #[test]
    fn torn_last_line_is_skipped_but_bad_middle_line_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("updates.jsonl");
        append_json_line(&path, &json!({"n": 1})).unwrap();
        append_json_line(&path, &json!({"n": 2})).unwrap();
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"n\": 3").unwrap();
        let got: Vec<serde_json::Value> = read_json_lines(&path).unwrap();
        assert_eq!(got, vec![json!({"n": 1}), json!({"n": 2})]);

        fs::write(&path, "{\"n\":1}\nnot json\n{\"n\":2}\n").unwrap();
        assert!(read_json_lines::<serde_json::Value>(&path).is_err());
    }
}
