//! Reading an input file (a TaskInfo, an ExecutorInfo, a flag's JSON file) with a bound on
//! its size. Such files are a few KiB; without a bound, `/dev/zero` or a log file given by
//! mistake is read until memory runs out.

use std::io::Read;
use std::path::Path;

/// The largest input file read: far above any real TaskInfo, docker config or DNS config,
/// far below what would strain memory.
pub const MAX_INPUT_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Why an input file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadInputError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("it is larger than {} MiB, the most read from an input file (is it the right file?)", .limit / (1024 * 1024))]
    TooLarge { limit: u64 },
    #[error("it is not UTF-8 text")]
    NotUtf8,
}

/// Reads `path` as UTF-8 text of at most `limit` bytes, without reading past the limit.
pub fn read_to_string_limited(path: &Path, limit: u64) -> Result<String, ReadInputError> {
    let file = std::fs::File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(std::io::Error::from(std::io::ErrorKind::IsADirectory).into());
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadInputError::TooLarge { limit });
    }
    String::from_utf8(bytes).map_err(|_| ReadInputError::NotUtf8)
}

/// [`read_to_string_limited`] with [`MAX_INPUT_FILE_BYTES`].
pub fn read_input_file(path: &Path) -> Result<String, ReadInputError> {
    read_to_string_limited(path, MAX_INPUT_FILE_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_within_the_limit_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("t.json");
        std::fs::write(&f, "{}").unwrap();
        assert_eq!(read_to_string_limited(&f, 2).unwrap(), "{}");
        assert!(matches!(
            read_to_string_limited(&f, 1),
            Err(ReadInputError::TooLarge { limit: 1 })
        ));
    }

    #[test]
    fn an_endless_device_stops_at_the_limit() {
        let e = read_input_file(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "it is larger than 4 MiB, the most read from an input file (is it the right file?)"
        );
    }

    #[test]
    fn directories_and_binary_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            read_input_file(dir.path()),
            Err(ReadInputError::Io(_))
        ));
        let f = dir.path().join("bin");
        std::fs::write(&f, [0xff, 0xfe]).unwrap();
        assert_eq!(
            read_input_file(&f).unwrap_err().to_string(),
            "it is not UTF-8 text"
        );
    }
}
