//! `xtask dist`: everything the packages ship that is generated, written into one directory
//! that the `.deb` and `.rpm` metadata (crates/xtask/Cargo.toml) point at:
//!
//! ```text
//! <out>/man/<name>.1.gz                  one page per binary and per containerizer subcommand
//! <out>/completions/bash/<name>
//! <out>/completions/zsh/_<name>
//! <out>/completions/fish/<name>.fish
//! ```

use anyhow::Context;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What [`write`] produced.
#[derive(Debug, Default)]
pub struct Written {
    pub man_pages: Vec<PathBuf>,
    pub completions: Vec<PathBuf>,
}

/// Writes the man pages and completions into `out`, replacing what an earlier run left in
/// its `man/` and `completions/` (so a removed subcommand leaves no stale page behind).
pub fn write(out: &Path) -> anyhow::Result<Written> {
    let mut written = Written::default();
    let man_dir = out.join("man");
    let completions_dir = out.join("completions");
    for dir in [&man_dir, &completions_dir] {
        if dir.exists() {
            std::fs::remove_dir_all(dir)
                .with_context(|| format!("failed to clear {}", dir.display()))?;
        }
    }
    create_dir(&man_dir)?;
    for (cmd, extra) in crate::commands::all() {
        for page in crate::man::pages(cmd.clone(), &extra) {
            let path = man_dir.join(format!("{}.gz", page.file_name));
            write_file(&path, &gzip(page.roff.as_bytes())?)?;
            written.man_pages.push(path);
        }
        for shell in crate::completions::SHELLS {
            let dir = completions_dir.join(shell.to_string());
            create_dir(&dir)?;
            let path = dir.join(crate::completions::file_name(shell, cmd.get_name()));
            write_file(
                &path,
                crate::completions::script(shell, cmd.clone()).as_bytes(),
            )?;
            written.completions.push(path);
        }
    }
    Ok(written)
}

/// gzip as man-db reads it, reproducibly: no file name and mtime 0 in the header.
fn gzip(data: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(data)?;
    Ok(encoder.finish()?)
}

fn create_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))
}

fn write_file(path: &Path, data: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, data).with_context(|| format!("failed to write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn writes_gzipped_pages_and_completions_and_replaces_stale_ones() {
        let out = tempfile::tempdir().unwrap();
        let stale = out.path().join("man/mesos-docker-containerizer-gone.1.gz");
        std::fs::create_dir_all(stale.parent().unwrap()).unwrap();
        std::fs::write(&stale, b"old").unwrap();

        let written = write(out.path()).unwrap();
        assert!(!stale.exists());
        assert!(written.man_pages.len() >= 5, "{written:?}");
        assert_eq!(written.completions.len(), 9);

        let mut page = String::new();
        flate2::read::GzDecoder::new(
            std::fs::File::open(out.path().join("man/mesos-fetcher.1.gz")).unwrap(),
        )
        .read_to_string(&mut page)
        .unwrap();
        assert!(page.contains("\n.TH mesos-fetcher 1 "), "{page}");
        for path in [
            "completions/bash/mesos-docker-containerizer",
            "completions/zsh/_mesos-docker-executor",
            "completions/fish/mesos-fetcher.fish",
        ] {
            assert!(out.path().join(path).is_file(), "{path}");
        }

        // Reproducible: a second run writes the same bytes.
        let first = std::fs::read(out.path().join("man/mesos-fetcher.1.gz")).unwrap();
        write(out.path()).unwrap();
        let second = std::fs::read(out.path().join("man/mesos-fetcher.1.gz")).unwrap();
        assert_eq!(first, second);
    }
}
