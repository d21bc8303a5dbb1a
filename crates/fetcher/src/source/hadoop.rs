//! `hdfs://`, `hftp://`, `s3://`, `s3n://`, `s3a://` through the Hadoop client:
//! `$HADOOP_HOME/bin/hadoop` when `HADOOP_HOME` is set, else `hadoop` on `PATH`.

use crate::error::FetchError;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use tokio::process::Command;

/// The Hadoop client binary.
pub fn client() -> PathBuf {
    match std::env::var_os("HADOOP_HOME").filter(|h| !h.is_empty()) {
        Some(home) => Path::new(&home).join("bin").join("hadoop"),
        None => PathBuf::from("hadoop"),
    }
}

fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(sig)) => format!("terminated with signal {sig}"),
        _ => status.to_string(),
    }
}

fn one_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().replace('\n', " | ")
}

/// Checks that the client runs (`hadoop version`, its output going to our stdout as in
/// Mesos).
async fn check_client(client: &Path) -> Result<(), FetchError> {
    let out_fd = std::io::stdout().as_fd().try_clone_to_owned();
    let mut cmd = Command::new(client);
    cmd.arg("version").stdin(Stdio::null()).kill_on_drop(true);
    match out_fd {
        Ok(fd) => {
            cmd.stderr(Stdio::from(fd));
        }
        Err(_) => {
            cmd.stderr(Stdio::inherit());
        }
    }
    let status = cmd.status().await.map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => FetchError::HadoopMissing {
            client: client.display().to_string(),
        },
        _ => FetchError::HadoopUnavailable {
            client: client.display().to_string(),
            status: format!("could not run: {e}"),
        },
    })?;
    if !status.success() {
        return Err(FetchError::HadoopUnavailable {
            client: client.display().to_string(),
            status: describe(status),
        });
    }
    Ok(())
}

/// `hadoop fs -copyToLocal <uri> <dest>`.
pub async fn copy_to_local(uri: &str, dest: &Path) -> Result<(), FetchError> {
    let client = client();
    check_client(&client).await?;
    let output = Command::new(&client)
        .args(["fs", "-copyToLocal", uri])
        .arg(dest)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| FetchError::HadoopCopy {
            uri: crate::uri::redact(uri),
            status: format!("could not run '{}': {e}", client.display()),
            stdout: String::new(),
            stderr: String::new(),
        })?;
    if !output.status.success() {
        return Err(FetchError::HadoopCopy {
            uri: crate::uri::redact(uri),
            status: describe(output.status),
            stdout: one_line(&output.stdout),
            stderr: one_line(&output.stderr),
        });
    }
    if !dest.exists() {
        return Err(FetchError::HadoopCopy {
            uri: crate::uri::redact(uri),
            status: format!(
                "exited with status 0 but wrote no file at '{}'",
                dest.display()
            ),
            stdout: one_line(&output.stdout),
            stderr: one_line(&output.stderr),
        });
    }
    Ok(())
}

/// `hadoop fs -du <uri>`: the byte count from the line whose last field is the URI (2 or 3
/// fields), for the cache planner.
pub async fn du(uri: &str) -> Result<u64, FetchError> {
    let client = client();
    check_client(&client).await?;
    let output = Command::new(&client)
        .args(["fs", "-du", uri])
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| FetchError::HadoopUnavailable {
            client: client.display().to_string(),
            status: format!("could not run: {e}"),
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if output.status.success() {
        for line in stdout.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if (fields.len() == 2 || fields.len() == 3) && fields.last() == Some(&uri) {
                if let Ok(n) = fields[0].parse() {
                    return Ok(n);
                }
            }
        }
    }
    Err(FetchError::HadoopCopy {
        uri: crate::uri::redact(uri),
        status: format!(
            "Hadoop client could not determine size ({})",
            describe(output.status)
        ),
        stdout: one_line(&output.stdout),
        stderr: one_line(&output.stderr),
    })
}
