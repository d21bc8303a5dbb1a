//! Beyond Mesos: the optional `checksum` (`sha256:<hex>`) of a URI, verified before the file
//! is placed.

use crate::error::FetchError;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// An expected SHA-256 digest, lower-case hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    hex: String,
}

impl Checksum {
    /// Parses `sha256:<64 hex digits>` (case-insensitive hex).
    pub fn parse(uri: &str, text: &str) -> Result<Self, FetchError> {
        let bad = || FetchError::BadChecksum {
            uri: uri.to_string(),
            checksum: text.to_string(),
        };
        let hex = text.trim().strip_prefix("sha256:").ok_or_else(bad)?;
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        Ok(Self {
            hex: hex.to_ascii_lowercase(),
        })
    }

    /// Hashes `path` and fails naming both digests when it does not match.
    pub fn verify_file(&self, uri: &str, path: &Path) -> Result<(), FetchError> {
        let actual = sha256_file(path).map_err(|e| FetchError::io("Cannot read", path, e))?;
        if actual == self.hex {
            Ok(())
        } else {
            Err(FetchError::ChecksumMismatch {
                uri: uri.to_string(),
                expected: self.hex.clone(),
                actual,
            })
        }
    }
}

/// The SHA-256 of a file's content, lower-case hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x");
        std::fs::write(&f, b"abc").unwrap();
        let good = "sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
        Checksum::parse("u", good)
            .unwrap()
            .verify_file("u", &f)
            .unwrap();
        let other = format!("sha256:{}", "0".repeat(64));
        let err = Checksum::parse("u", &other)
            .unwrap()
            .verify_file("u", &f)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&"0".repeat(64)) && err.contains("ba7816bf"),
            "{err}"
        );
        for bad in ["md5:abc", "sha256:xyz", "sha256:"] {
            assert!(Checksum::parse("u", bad).is_err());
        }
    }
}
