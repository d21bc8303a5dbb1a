//! `docker ps`: list containers by name prefix and labels, and inspect them.
//!
//! Unlike Mesos this asks docker for machine-readable columns (`--format`, `--no-trunc`)
//! instead of splitting the table on spaces, filters by label on the daemon side, inspects
//! in batches of one `docker inspect` call per 100 containers, and skips a container that
//! vanished between `ps` and `inspect` instead of failing the whole listing.

use serde_json::Value;
use tracing::debug;

use crate::error::{DockerError, Result};
use crate::inspect::Container;
use crate::process::{CliCall, Docker};

/// Containers per `docker inspect` call in [`Docker::ps_inspect`] (Mesos's
/// `DOCKER_PS_MAX_INSPECT_CALLS`).
pub const PS_INSPECT_BATCH: usize = 100;

/// Which containers [`Docker::ps`] lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PsFilter {
    /// Include stopped containers (`-a`).
    pub all: bool,
    /// Only names starting with this (e.g. `mesos-`), compared without docker's `/`.
    pub name_prefix: Option<String>,
    /// Only containers carrying every one of these labels; `(key, None)` matches any value.
    pub labels: Vec<(String, Option<String>)>,
}

impl PsFilter {
    /// Every container, running or not, whose name starts with `prefix`.
    pub fn all_with_prefix(prefix: impl Into<String>) -> Self {
        Self {
            all: true,
            name_prefix: Some(prefix.into()),
            labels: Vec::new(),
        }
    }

    /// Adds a label condition `key=value`.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.push((key.into(), Some(value.into())));
        self
    }
}

/// One line of `docker ps`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PsEntry {
    /// Full container id.
    pub id: String,
    /// The container's name, without `/`.
    pub name: String,
}

impl Docker {
    /// `docker ps [-a] --no-trunc [--filter name=..] [--filter label=..] --format ..`.
    pub async fn ps(&self, filter: &PsFilter) -> Result<Vec<PsEntry>> {
        let mut args = vec!["ps".to_string()];
        if filter.all {
            args.push("-a".into());
        }
        args.push("--no-trunc".into());
        if let Some(prefix) = &filter.name_prefix {
            // docker's name filter is an unanchored regular expression; only use it to
            // narrow the list when the prefix has no regex syntax. The exact prefix test is
            // ours, below.
            if prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                args.extend(["--filter".into(), format!("name={prefix}")]);
            }
        }
        for (key, value) in &filter.labels {
            let condition = match value {
                Some(value) => format!("label={key}={value}"),
                None => format!("label={key}"),
            };
            args.extend(["--filter".into(), condition]);
        }
        args.extend(["--format".into(), "{{.ID}}\t{{.Names}}".into()]);
        let output = self
            .checked(CliCall::new("ps", args, self.timeouts().ps))
            .await?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let mut entries = Vec::new();
        for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
            let (id, names) = line
                .split_once('\t')
                .ok_or_else(|| DockerError::parse("ps", format!("unexpected line '{line}'")))?;
            // A container linked from others lists `other/alias` names too; its own name
            // is the one without a `/`.
            let name = names
                .split(',')
                .map(|n| n.trim().trim_start_matches('/'))
                .find(|n| !n.contains('/'))
                .unwrap_or_default();
            if let Some(prefix) = &filter.name_prefix {
                if !name.starts_with(prefix.as_str()) {
                    continue;
                }
            }
            entries.push(PsEntry {
                id: id.trim().to_string(),
                name: name.to_string(),
            });
        }
        Ok(entries)
    }

    /// [`Docker::ps`] followed by an inspect of every container listed, in `ps` order.
    /// Containers that disappear in between are left out (logged at debug level).
    pub async fn ps_inspect(&self, filter: &PsFilter) -> Result<Vec<Container>> {
        let entries = self.ps(filter).await?;
        let mut containers = Vec::with_capacity(entries.len());
        for batch in entries.chunks(PS_INSPECT_BATCH) {
            let mut args = vec!["inspect".to_string(), "--type=container".to_string()];
            args.extend(batch.iter().map(|e| e.id.clone()));
            let output = self
                .output(CliCall::new("inspect", args, self.timeouts().ps))
                .await?;
            // With some names missing docker still prints the others and exits 1.
            let parsed: Option<Vec<Value>> = serde_json::from_slice(&output.stdout).ok();
            let items = match parsed {
                Some(items) => items,
                None if output.success => {
                    return Err(DockerError::parse("inspect", "output is not a JSON array"))
                }
                None if output.stderr.to_ascii_lowercase().contains("no such") => Vec::new(),
                None => return Err(output.failure()),
            };
            if !output.success {
                debug!(stderr = %output.stderr.trim(), "some containers vanished before inspect");
            }
            for item in items {
                containers.push(Container::from_inspect(item)?);
            }
        }
        // Keep `ps` order (docker inspect answers in argument order, but be sure).
        let order = |c: &Container| entries.iter().position(|e| e.id == c.id);
        containers.sort_by_key(order);
        Ok(containers)
    }
}
