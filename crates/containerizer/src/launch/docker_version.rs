//! The docker version check of `run` and `recover` (as Mesos's: the CLI must report 1.8.0 or
//! newer), remembered in the work dir for the CLI file it was made with. `run` is one process
//! per task, and `docker --version` cost every task 10–20 ms of the CLI starting up; the
//! answer only changes when that file does, so it is asked again only then: when the file
//! `--docker` names (on `PATH` or as a path, symlinks followed) has another size, inode,
//! modification or change time. `serve` checks once at start-up and needs none of this.

use docker_cli::{version::check_version, Docker, DockerError, Version, MIN_DOCKER_VERSION};
use serde::{Deserialize, Serialize};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The CLI file a version was read from, as precisely as `stat` tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CliFile {
    path: PathBuf,
    len: u64,
    ino: u64,
    mtime_ns: i128,
    ctime_ns: i128,
}

/// What the cache file holds.
#[derive(Debug, Serialize, Deserialize)]
struct Remembered {
    cli: CliFile,
    version: String,
}

/// Why the docker CLI will not do, in Mesos's words.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DockerVersionError(String);

/// Asks `docker --version` and fails unless it reports [`MIN_DOCKER_VERSION`] or newer.
pub async fn ask_docker_version(docker: &Docker) -> Result<Version, DockerVersionError> {
    match docker.validate_version(&MIN_DOCKER_VERSION).await {
        Ok(version) => {
            tracing::debug!(%version, "docker version");
            Ok(version)
        }
        Err(e @ DockerError::VersionTooOld { .. }) => Err(DockerVersionError(e.to_string())),
        Err(e) if e.is_timeout() => Err(DockerVersionError(format!(
            "Timed out getting docker version ({e}); check --docker and --docker_socket"
        ))),
        Err(e) => Err(DockerVersionError(format!(
            "Failed to get docker version: {e} (check --docker)"
        ))),
    }
}

/// The version of `docker`, checked against [`MIN_DOCKER_VERSION`] with Mesos's messages;
/// asked of the CLI unless `cache` remembers the answer for the same CLI file.
pub async fn checked_docker_version(
    docker: &Docker,
    cache: &Path,
) -> Result<Version, DockerVersionError> {
    let cli = cli_file(docker.program());
    if let Some(version) = cli.as_ref().and_then(|cli| remembered(cache, cli)) {
        // Judged again: the minimum is ours and may have moved since it was remembered.
        check_version(&version, &MIN_DOCKER_VERSION)
            .map_err(|e| DockerVersionError(e.to_string()))?;
        return Ok(version);
    }
    let version = ask_docker_version(docker).await?;
    if let Some(cli) = cli {
        remember(cache, cli, &version);
    }
    Ok(version)
}

/// The file `program` runs: itself when it holds a `/`, else the first executable of that
/// name on `PATH`.
fn cli_file(program: &Path) -> Option<CliFile> {
    let path = if program.components().count() > 1 || program.is_absolute() {
        program.to_path_buf()
    } else {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .find(|candidate| {
                candidate
                    .metadata()
                    .is_ok_and(|m| m.is_file() && m.mode() & 0o111 != 0)
            })?
    };
    let meta = path.metadata().ok()?;
    Some(CliFile {
        path,
        len: meta.len(),
        ino: meta.ino(),
        mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
        ctime_ns: i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()),
    })
}

fn remembered(cache: &Path, cli: &CliFile) -> Option<Version> {
    let text = std::fs::read(cache).ok()?;
    let remembered: Remembered = serde_json::from_slice(&text).ok()?;
    (remembered.cli == *cli)
        .then(|| remembered.version.parse().ok())
        .flatten()
}

/// Best effort: a work dir that cannot hold the file only costs the next `run` the CLI call.
fn remember(cache: &Path, cli: CliFile, version: &Version) {
    let remembered = Remembered {
        cli,
        version: version.to_string(),
    };
    let Ok(text) = serde_json::to_vec(&remembered) else {
        return;
    };
    let written = (|| -> std::io::Result<()> {
        let dir = cache.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let tmp = tempfile::NamedTempFile::new_in(dir)?;
        std::fs::write(tmp.path(), &text)?;
        tmp.persist(cache).map_err(|e| e.error)?;
        Ok(())
    })();
    if let Err(e) = written {
        tracing::debug!(error = %e, file = %cache.display(), "cannot remember the docker version");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[tokio::test]
    async fn the_answer_is_remembered_until_the_cli_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let calls = dir.path().join("calls");
        let cli = script(
            dir.path(),
            "docker",
            &format!(
                "echo x >> {}; echo 'Docker version 20.10.24, build 297e128'",
                calls.display()
            ),
        );
        let cache = dir.path().join("meta/docker_version.json");
        let docker = Docker::new(&cli, None).unwrap();
        let count = || {
            std::fs::read_to_string(&calls)
                .unwrap_or_default()
                .lines()
                .count()
        };
        for _ in 0..3 {
            let v = checked_docker_version(&docker, &cache).await.unwrap();
            assert_eq!(v.to_string(), "20.10.24");
        }
        assert_eq!(count(), 1, "asked once, remembered after");
        // Another CLI in the same place (an upgrade, a downgrade): asked again, and judged.
        std::fs::remove_file(&cli).unwrap();
        script(
            dir.path(),
            "docker",
            "echo 'Docker version 1.7.1, build 786b29d'",
        );
        let err = checked_docker_version(&docker, &cache).await.unwrap_err();
        assert!(
            err.to_string().contains("Insufficient version '1.7.1'"),
            "{err}"
        );
        // A refusal is not remembered as an answer: the next run asks again.
        let err = checked_docker_version(&docker, &cache).await.unwrap_err();
        assert!(err.to_string().contains("Insufficient version"), "{err}");
    }

    #[test]
    fn a_bare_name_is_found_on_path() {
        let cli = cli_file(Path::new("sh")).expect("sh on PATH");
        assert!(cli.path.is_absolute(), "{cli:?}");
        assert!(cli_file(Path::new("no-such-program-here")).is_none());
    }
}
