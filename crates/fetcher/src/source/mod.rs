//! Getting the bytes of a URI into a local file: HTTP(S) with reqwest, local copies, and the
//! Hadoop client. Each writes to the path it is given (a temporary name); putting the file
//! under its final name is the caller's job, so no partial file ever has that name.

pub mod hadoop;
pub mod http;
pub mod local;

pub use http::{HttpClient, RetryPolicy};

use crate::budget::DiskBudget;
use crate::error::FetchError;
use crate::progress::Progress;
use crate::uri::Source;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// What a download needs besides the source and destination.
#[derive(Clone)]
pub struct DownloadContext<'a> {
    pub http: &'a HttpClient,
    pub stall_timeout: Option<Duration>,
    pub retry: &'a RetryPolicy,
    pub umask: u32,
    pub progress: &'a Progress,
    /// The run's disk budget, charged before every write.
    pub budget: &'a Arc<DiskBudget>,
}

/// Downloads `source` (from `uri`) to `dest`, which must not exist yet.
pub async fn download(
    uri: &str,
    source: &Source,
    dest: &Path,
    ctx: &DownloadContext<'_>,
) -> Result<(), FetchError> {
    match source {
        Source::Http(url) => {
            tracing::info!(
                "Downloading resource from '{}' to '{}'",
                crate::uri::redact(uri),
                dest.display()
            );
            ctx.http
                .download(
                    url,
                    dest,
                    ctx.stall_timeout,
                    ctx.retry,
                    ctx.progress,
                    ctx.budget,
                )
                .await
                .map(|_| ())
        }
        Source::Local(path) => local::copy(path, dest, ctx.umask, ctx.budget.clone())
            .await
            .map(|_| ()),
        Source::Hadoop(url) => {
            tracing::info!(
                "Downloading resource with Hadoop client from '{}' to '{}'",
                crate::uri::redact(uri),
                dest.display()
            );
            hadoop::copy_to_local(url, dest).await?;
            // The Hadoop client writes by itself: its output is charged once it is there.
            let written = std::fs::metadata(dest)
                .map_err(|e| FetchError::io("Cannot stat", dest, e))?
                .len();
            ctx.budget
                .charge_for(written, || "copying it with the Hadoop client".into())
        }
    }
}
