//! `docker pull` as Mesos runs it, with what Mesos lacks: a deadline, a no-progress
//! deadline, de-duplication of concurrent pulls of one image, and a clear error for a
//! registry that wants credentials.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::OnceCell;
use tokio::time::Instant;
use tracing::{debug, info, trace};

use crate::error::{DockerError, Result};
use crate::image::{normalize_image, Image};
use crate::process::{failure_error, CliCall, Docker};
use crate::redact::redact_text;

/// Default limit on a whole pull.
pub const DEFAULT_PULL_DEADLINE: Duration = Duration::from_secs(15 * 60);
/// Default limit on a pull printing nothing.
pub const DEFAULT_PULL_NO_PROGRESS: Duration = Duration::from_secs(5 * 60);

/// How to pull: credentials and time limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullOptions {
    /// HOME for the CLI: a directory holding `.docker/config.json` or `.dockercfg` (the
    /// sandbox, or a [`crate::DockerConfigHome`]; see [`crate::pull_home`]). `DOCKER_CONFIG`
    /// inherited from our environment is removed so that this HOME is what counts.
    pub home: Option<PathBuf>,
    /// `DOCKER_CONFIG` for the CLI: a directory holding `config.json`. Wins over `home`.
    pub docker_config_dir: Option<PathBuf>,
    /// Limit on the whole pull, including the inspect before and after.
    pub deadline: Duration,
    /// Limit on docker printing nothing. Without a terminal docker prints one line per
    /// layer state change (`Pulling fs layer`, `Download complete`, ...) but no byte
    /// counts, so this must exceed the time to download the largest layer.
    pub no_progress_deadline: Duration,
    /// Called with `(image, line)` for each line docker prints on stdout (layer states),
    /// for a progress display on a terminal.
    pub progress: Option<PullProgress>,
}

/// A progress callback for [`PullOptions::progress`].
#[derive(Clone, Copy)]
pub struct PullProgress(pub fn(&str, &str));

impl std::fmt::Debug for PullProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PullProgress")
    }
}

/// Two callbacks are the same option whatever function they call.
impl PartialEq for PullProgress {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for PullProgress {}

impl Default for PullOptions {
    fn default() -> Self {
        Self {
            home: None,
            docker_config_dir: None,
            deadline: DEFAULT_PULL_DEADLINE,
            no_progress_deadline: DEFAULT_PULL_NO_PROGRESS,
            progress: None,
        }
    }
}

impl PullOptions {
    /// The child environment for these credentials, and what to remove from ours.
    fn env(&self) -> (Vec<(String, String)>, Vec<String>) {
        let mut env = Vec::new();
        let mut remove = Vec::new();
        if let Some(home) = &self.home {
            env.push(("HOME".to_string(), home.display().to_string()));
        }
        match &self.docker_config_dir {
            Some(dir) => env.push(("DOCKER_CONFIG".to_string(), dir.display().to_string())),
            None if self.home.is_some() => remove.push("DOCKER_CONFIG".to_string()),
            None => {}
        }
        (env, remove)
    }

    /// A fingerprint of the credentials this pull would use, so that a waiter only takes
    /// over the failure of a pull that used the same credentials.
    fn credentials_fingerprint(&self) -> u64 {
        let mut hasher = DefaultHasher::new();
        let mut files = Vec::new();
        if let Some(dir) = &self.docker_config_dir {
            files.push(dir.join("config.json"));
        }
        if let Some(home) = &self.home {
            files.push(home.join(".docker").join("config.json"));
            files.push(home.join(".dockercfg"));
        }
        for file in files {
            std::fs::read(&file).ok().hash(&mut hasher);
        }
        hasher.finish()
    }
}

/// Pulls in flight, by normalised image: the first caller runs `docker pull`, later
/// callers for the same image wait for it and share its result.
#[derive(Default)]
pub(crate) struct InFlightPulls {
    slots: Mutex<HashMap<String, Arc<PullSlot>>>,
}

#[derive(Default)]
struct PullSlot {
    /// The credentials fingerprint of whoever ran the pull, and how it ended.
    outcome: OnceCell<(u64, Result<()>)>,
}

impl Docker {
    /// Makes `image` available locally and inspects it.
    ///
    /// Without `force`, an image already present (`docker inspect` of the image with
    /// `:latest` added when untagged) is returned without pulling. Otherwise `docker pull
    /// <image>` runs with the credentials of `options`, bounded by its deadlines, and the
    /// image is inspected afterwards (once; Mesos recurses forever if that keeps failing).
    /// Concurrent pulls of one image share a single `docker pull`; a waiter whose
    /// credentials differ from the puller's retries on its own after a failure.
    ///
    /// Errors: [`DockerError::PullUnauthorized`] when the registry wants credentials,
    /// [`DockerError::NoProgress`], [`DockerError::Timeout`], [`DockerError::Failed`].
    pub async fn pull(&self, image: &str, force: bool, options: &PullOptions) -> Result<Image> {
        let started = Instant::now();
        let normalized = normalize_image(image);
        if !force {
            match self.inspect_image(&normalized).await {
                Ok(found) => return Ok(found),
                // A hung or unstartable CLI says nothing about the image: pulling would
                // only hide the fault behind a second wait (MESOS-8572).
                Err(
                    err @ (DockerError::Parse { .. }
                    | DockerError::Timeout { .. }
                    | DockerError::Spawn { .. }),
                ) => return Err(err),
                Err(err) => debug!(image = normalized, %err, "image not present; pulling"),
            }
        }

        let left = options.deadline.saturating_sub(started.elapsed());
        let fingerprint = options.credentials_fingerprint();
        let slot = {
            let mut slots = self.pulls().slots.lock().unwrap_or_else(|e| e.into_inner());
            slots.entry(normalized.clone()).or_default().clone()
        };
        let (puller, outcome) = slot
            .outcome
            .get_or_init(|| async { (fingerprint, self.pull_once(image, options, left).await) })
            .await
            .clone();
        {
            let mut slots = self.pulls().slots.lock().unwrap_or_else(|e| e.into_inner());
            if slots
                .get(&normalized)
                .is_some_and(|s| Arc::ptr_eq(s, &slot))
            {
                slots.remove(&normalized);
            }
        }
        match outcome {
            Ok(()) => {}
            Err(_) if puller != fingerprint => {
                debug!(
                    image,
                    "a concurrent pull with other credentials failed; pulling again"
                );
                let left = options.deadline.saturating_sub(started.elapsed());
                self.pull_once(image, options, left).await?;
            }
            Err(err) => return Err(err),
        }
        self.inspect_image(&normalized)
            .await
            .map_err(|err| match err {
                DockerError::NotFound { name, .. } => DockerError::parse(
                    "pull",
                    format!("docker pull of '{image}' succeeded but image '{name}' is not present"),
                ),
                other => other,
            })
    }

    /// One `docker pull <image>`, watched for its deadline and for progress.
    async fn pull_once(
        &self,
        image: &str,
        options: &PullOptions,
        deadline: Duration,
    ) -> Result<()> {
        // `--`: an image is never taken for an option, whatever it is called.
        let args = vec!["pull".to_string(), "--".to_string(), image.to_string()];
        let argv = self.argv(&args);
        let (env, env_remove) = options.env();
        info!(image, "pulling docker image");
        let mut cmd = self.command(&args);
        for name in &env_remove {
            cmd.env_remove(name);
        }
        cmd.envs(env.iter().map(|(k, v)| (k, v)));
        let mut child = cmd.spawn().map_err(|e| self.spawn_error("pull", e))?;
        let mut group = crate::process::GroupGuard::new(child.id());
        let mut stdout = child.stdout.take().map(|p| BufReader::new(p).lines());
        let mut stderr_lines = child.stderr.take().map(|p| BufReader::new(p).lines());
        let mut stderr = String::new();

        let deadline_at = Instant::now() + deadline;
        let mut last_progress = Instant::now();
        let mut stalled: Option<DockerError> = None;
        while stdout.is_some() || stderr_lines.is_some() {
            let wake = deadline_at.min(last_progress + options.no_progress_deadline);
            tokio::select! {
                line = next_line(&mut stdout), if stdout.is_some() => match line {
                    Some(line) => {
                        trace!(image, line, "docker pull");
                        if let Some(PullProgress(show)) = options.progress {
                            show(image, &line);
                        }
                        last_progress = Instant::now();
                    }
                    None => stdout = None,
                },
                line = next_line(&mut stderr_lines), if stderr_lines.is_some() => match line {
                    Some(line) => {
                        stderr.push_str(&line);
                        stderr.push('\n');
                        last_progress = Instant::now();
                    }
                    None => stderr_lines = None,
                },
                _ = tokio::time::sleep_until(wake) => {
                    stalled = Some(if Instant::now() >= deadline_at {
                        DockerError::Timeout { op: format!("docker pull of '{image}'"), after: deadline }
                    } else {
                        DockerError::NoProgress {
                            image: image.to_string(),
                            after: options.no_progress_deadline,
                        }
                    });
                    break;
                }
            }
        }
        let status = match stalled {
            None => {
                let left = deadline_at.saturating_duration_since(Instant::now());
                match tokio::time::timeout(left, child.wait()).await {
                    Ok(status) => Some(
                        status.map_err(|e| DockerError::io("Failed to wait for docker pull", e))?,
                    ),
                    Err(_) => {
                        stalled = Some(DockerError::Timeout {
                            op: format!("docker pull of '{image}'"),
                            after: deadline,
                        });
                        None
                    }
                }
            }
            Some(_) => None,
        };
        if let Some(err) = stalled {
            group.kill();
            let _ = child.start_kill();
            let _ = child.wait().await;
            group.reaped();
            return Err(err);
        }
        group.reaped();
        let status = status.expect("status is set when the pull did not stall");
        if status.success() {
            debug!(image, "docker pull finished");
            return Ok(());
        }
        let lower = stderr.to_ascii_lowercase();
        let unauthorized = [
            "no basic auth credentials",
            "unauthorized",
            "authentication required",
            "denied: requested access",
            "access denied",
        ]
        .iter()
        .any(|needle| lower.contains(needle));
        if unauthorized {
            let detail = stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
                .to_string();
            return Err(DockerError::PullUnauthorized {
                image: image.to_string(),
                detail: redact_text(&detail, &[]),
            });
        }
        let call = CliCall::new("pull", args, deadline);
        Err(failure_error(&call, &argv, status.code(), &stderr))
    }
}

async fn next_line<R: tokio::io::AsyncBufRead + Unpin>(
    lines: &mut Option<tokio::io::Lines<R>>,
) -> Option<String> {
    match lines {
        // A read error ends the stream like EOF: the exit status tells what happened.
        Some(lines) => lines.next_line().await.ok().flatten(),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_for_home_and_config_dir() {
        let options = PullOptions {
            home: Some("/sandbox".into()),
            ..Default::default()
        };
        let (env, remove) = options.env();
        assert_eq!(env, vec![("HOME".to_string(), "/sandbox".to_string())]);
        assert_eq!(remove, vec!["DOCKER_CONFIG".to_string()]);

        let options = PullOptions {
            docker_config_dir: Some("/cfg".into()),
            ..Default::default()
        };
        let (env, remove) = options.env();
        assert_eq!(env, vec![("DOCKER_CONFIG".to_string(), "/cfg".to_string())]);
        assert!(remove.is_empty());
    }

    #[test]
    fn fingerprint_follows_credentials_content() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let opts = |dir: &std::path::Path| PullOptions {
            home: Some(dir.to_path_buf()),
            ..Default::default()
        };
        assert_eq!(
            opts(a.path()).credentials_fingerprint(),
            opts(b.path()).credentials_fingerprint()
        );
        std::fs::write(a.path().join(".dockercfg"), "{}").unwrap();
        assert_ne!(
            opts(a.path()).credentials_fingerprint(),
            opts(b.path()).credentials_fingerprint()
        );
    }
}
