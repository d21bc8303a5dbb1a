//! `mesos-fetcher`: a drop-in replacement for the Mesos fetcher (see `spec/fetcher.md` and
//! `docs/fetcher.md`), and the agent-side pieces the containerizer needs around it.
//!
//! * [`run`] carries out a `FetcherInfo` (what the binary does with `MESOS_FETCHER_INFO`).
//! * [`cache::FetcherCache`] plans each URI's cache action and evicts (LRU, size-bounded,
//!   entries in use never evicted); [`cache::plan_fetch`] probes sizes and plans.
//! * [`cache::SharedFetcherCache`] is the same cache persisted in `<dir>/index.json` and
//!   shared across processes under a lock ([`cache::plan_fetch_shared`],
//!   [`cache::finish_shared`]).
//! * [`invoke::FetcherBinary`] runs the binary for a container as the agent does.

pub mod archive;
pub mod cache;
pub mod checksum;
pub mod error;
pub mod fetch;
pub mod flags;
pub mod info;
pub mod invoke;
pub mod log;
pub mod privileges;
pub mod progress;
pub mod sandbox;
pub mod source;
pub mod uri;

pub use cache::{
    finish_shared, plan_fetch, plan_fetch_shared, FetchPlan, FetchRequest, FetcherCache,
    SharedFetcherCache,
};
pub use error::{FetchError, ItemFailure};
pub use fetch::{fetch_all, FetchOptions, FetchReport};
pub use invoke::{FetcherBinary, FetcherRunError};
pub use mesos_types::fetcher::{FetchAction, FetcherInfo, FetcherItem, FetcherUri};
pub use source::{HttpClient, RetryPolicy};

/// Why a run failed before or while fetching.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Setting up (cache directory, switching user) failed.
    #[error(transparent)]
    Setup(#[from] FetchError),
    /// An item failed.
    #[error(transparent)]
    Item(#[from] ItemFailure),
    #[error("Cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// Everything `mesos-fetcher` does with a parsed `FetcherInfo`, in Mesos's order: read the
/// umask, create the cache directory (as the invoking user), switch to `info.user`, then
/// fetch every item. Must be called before any other thread exists (the user switch).
pub fn run(info: &FetcherInfo, opts: &FetchOptions) -> Result<FetchReport, RunError> {
    if info.sandbox_directory.is_empty() {
        return Err(FetchError::NoSandbox.into());
    }
    privileges::umask();
    privileges::prepare_cache_directory(info)?;
    if let Some(user) = info.user.as_deref() {
        privileges::switch_user(user)?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.concurrency.clamp(1, 4))
        .enable_all()
        .build()
        .map_err(RunError::Runtime)?;
    let report = runtime.block_on(fetch_all(info, opts))?;
    tracing::info!(
        "Successfully fetched all URIs into '{}'",
        info.sandbox_directory
    );
    Ok(report)
}
