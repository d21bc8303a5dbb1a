//! `mesos-fetcher`: a drop-in replacement for the Mesos fetcher (see `docs/fetcher.md` and
//! `docs/mesos-compat.md`), and the agent-side pieces the containerizer needs around it.
//!
//! * [`run`] carries out a `FetcherInfo` (what the binary does with `MESOS_FETCHER_INFO`).
//! * [`cache::FetcherCache`] plans each URI's cache action and evicts (LRU, size-bounded,
//!   entries in use never evicted); [`cache::plan_fetch`] probes sizes and plans.
//! * [`cache::SharedFetcherCache`] is the same cache persisted in `<dir>/index.json` and
//!   shared across processes under a lock ([`cache::plan_fetch_shared`],
//!   [`cache::finish_shared`]).
//! * [`invoke::FetcherBinary`] runs the binary for a container as the agent does.

pub mod archive;
pub mod budget;
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
    /// SIGTERM, SIGINT or SIGHUP arrived: the partial downloads were removed.
    #[error("Interrupted by {}; partial downloads were removed", .0.as_str())]
    Interrupted(nix::sys::signal::Signal),
}

/// Everything `mesos-fetcher` does with a parsed `FetcherInfo`, in Mesos's order: read the
/// umask, create the cache directory (as the invoking user), switch to `info.user`, then
/// fetch every item. Must be called before any other thread exists (the user switch).
///
/// SIGTERM, SIGINT and SIGHUP stop the run cleanly (downloads dropped, staging files
/// removed, extraction stopped at its next write) with [`RunError::Interrupted`]; the
/// caller then ends the process with that signal.
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
    let budget = std::sync::Arc::new(budget::DiskBudget::new(opts.disk_budget));
    let received = std::sync::Mutex::new(None);
    // Installed before anything is written, so no signal finds a staging file unhandled.
    let signals = {
        let _context = runtime.enter();
        stop_signals()
    };
    let outcome = runtime.block_on(fetch::fetch_all_until(
        info,
        opts,
        budget,
        first_signal(signals, &received),
    ));
    // Wait for blocking work (an extraction stops at its next write once the budget is
    // cancelled), so its staging files are gone when this returns; but do not hang on
    // something that cannot be stopped (a wait for another fetcher's cache lock).
    runtime.shutdown_timeout(std::time::Duration::from_secs(30));
    let report = match outcome {
        Ok(report) => report,
        Err(Some(failure)) => return Err(failure.into()),
        Err(None) => {
            let signal = received
                .into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or(nix::sys::signal::Signal::SIGTERM);
            return Err(RunError::Interrupted(signal));
        }
    };
    tracing::info!(
        "Successfully fetched all URIs into '{}'",
        info.sandbox_directory
    );
    Ok(report)
}

type StopSignals = Vec<(tokio::signal::unix::Signal, nix::sys::signal::Signal)>;

/// Handlers for SIGTERM, SIGINT and SIGHUP (those that can be installed). Needs the
/// runtime's context.
fn stop_signals() -> StopSignals {
    use nix::sys::signal::Signal;
    use tokio::signal::unix::{signal, SignalKind};
    let kinds = [
        (SignalKind::terminate(), Signal::SIGTERM),
        (SignalKind::interrupt(), Signal::SIGINT),
        (SignalKind::hangup(), Signal::SIGHUP),
    ];
    let mut streams = Vec::new();
    for (kind, sig) in kinds {
        match signal(kind) {
            Ok(s) => streams.push((s, sig)),
            Err(e) => tracing::warn!("Cannot handle {}: {e}", sig.as_str()),
        }
    }
    streams
}

/// Completes on the first of `signals`, recording which; never completes without any.
async fn first_signal(
    mut signals: StopSignals,
    received: &std::sync::Mutex<Option<nix::sys::signal::Signal>>,
) {
    if signals.is_empty() {
        return std::future::pending().await;
    }
    let waits = signals.iter_mut().map(|(s, sig)| {
        let sig = *sig;
        Box::pin(async move {
            s.recv().await;
            sig
        })
    });
    let (sig, _, _) = futures_util::future::select_all(waits).await;
    tracing::warn!("Received {}; stopping the fetch", sig.as_str());
    *received.lock().unwrap_or_else(|e| e.into_inner()) = Some(sig);
}
