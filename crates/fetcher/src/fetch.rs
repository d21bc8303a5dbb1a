//! The fetch run: every item of a `FetcherInfo` carried out as Mesos's `mesos-fetcher` does
//! (download, then place, make executable or extract), with two departures on purpose:
//!
//! * Items are *acquired* concurrently (downloaded into a staging directory in the sandbox,
//!   or into the cache), then *placed* one by one in list order (renamed to their final name,
//!   chmodded, extracted). So results do not depend on which download finishes first, a
//!   later item overwrites an earlier one exactly as in a sequential run, and the failure
//!   reported is the first one in list order. Items after a failed one are cancelled.
//! * Nothing is ever written under a final name until it is complete and verified.
//!
//! Every byte written (downloads, copies, extraction) is charged to the run's
//! [`DiskBudget`] (`FetchOptions::disk_budget`) before it is written.

use crate::archive;
use crate::budget::DiskBudget;
use crate::checksum::Checksum;
use crate::error::{FetchError, ItemFailure};
use crate::progress::Progress;
use crate::sandbox::Sandbox;
use crate::source::{self, DownloadContext, HttpClient, RetryPolicy};
use crate::uri::{self, ArchiveKind, Source};
use mesos_types::fetcher::{FetchAction, FetcherInfo, FetcherItem};
use std::future::Future;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Tuning of a run.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Items acquired at the same time.
    pub concurrency: usize,
    pub retry: RetryPolicy,
    /// Show a progress line when stderr is a terminal.
    pub progress: bool,
    /// At most this many bytes written by the run (`FETCHER_DISK_BUDGET`); `None`: no cap.
    pub disk_budget: Option<u64>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            retry: RetryPolicy::default(),
            progress: true,
            disk_budget: None,
        }
    }
}

/// Where each item ended up, in item order: the sandbox file, or the sandbox directory when
/// a cached archive was extracted.
pub type FetchReport = Vec<PathBuf>;

/// One item, checked and resolved before anything is fetched.
struct Prepared {
    item: FetcherItem,
    source: Source,
    /// `output_file` or the URI basename.
    name: String,
    from_output_file: bool,
    checksum: Option<Checksum>,
    /// `<cache_directory>/<cache_filename>` for the cache actions.
    cache_file: Option<PathBuf>,
}

/// What acquisition produced.
enum Acquired {
    /// A complete file in the staging directory, to be renamed into place.
    Staged(PathBuf),
    /// The cache file.
    Cached(PathBuf),
}

/// Fetches every item of `info` into its sandbox. The caller has already prepared the cache
/// directory and switched user (see [`crate::privileges`]).
pub async fn fetch_all(
    info: &FetcherInfo,
    opts: &FetchOptions,
) -> Result<FetchReport, ItemFailure> {
    let budget = Arc::new(DiskBudget::new(opts.disk_budget));
    fetch_all_until(info, opts, budget, std::future::pending())
        .await
        .map_err(|f| f.expect("a run that is never stopped ends with an item failure"))
}

/// [`fetch_all`] with the budget given, stopping when `stop` completes: then the budget is
/// cancelled (writers stop at their next write), every download is dropped and the staging
/// directory removed before this returns `Err(None)`.
pub(crate) async fn fetch_all_until(
    info: &FetcherInfo,
    opts: &FetchOptions,
    budget: Arc<DiskBudget>,
    stop: impl Future<Output = ()>,
) -> Result<FetchReport, Option<ItemFailure>> {
    let first_uri = || {
        info.items
            .first()
            .map(|i| i.uri.value.clone())
            .unwrap_or_default()
    };
    let sandbox = Sandbox::open(&info.sandbox_directory).map_err(|source| ItemFailure {
        uri: first_uri(),
        source,
    })?;
    let http = HttpClient::new().map_err(|source| ItemFailure {
        uri: first_uri(),
        source,
    })?;
    let stall = info
        .stall_timeout
        .map(|d| d.to_std())
        // libcurl's low-speed limit works in whole seconds; under one second turns it off.
        .filter(|d| d.as_secs() >= 1)
        .map(|d| Duration::from_secs(d.as_secs()));
    let umask = crate::privileges::umask();

    let prepared: Vec<Result<Prepared, FetchError>> =
        info.items.iter().map(|item| prepare(item, info)).collect();
    // Nothing after a bad item will be placed, so nothing after it is fetched.
    let limit = prepared
        .iter()
        .position(|p| p.is_err())
        .unwrap_or(prepared.len());

    let staging = tempfile::Builder::new()
        .prefix(".mesos-fetcher-")
        .tempdir_in(sandbox.root())
        .map_err(|e| ItemFailure {
            uri: first_uri(),
            source: FetchError::io("Cannot create a staging directory in", sandbox.root(), e),
        })?;

    let progress = Arc::new(Progress::default());
    let done = Arc::new(AtomicBool::new(false));
    let display = if opts.progress {
        crate::progress::spawn_display(progress.clone(), done.clone())
    } else {
        None
    };

    let shared = Arc::new(Shared {
        http,
        stall,
        retry: opts.retry.clone(),
        umask,
        progress,
        staging: staging.path().to_path_buf(),
        budget: budget.clone(),
        first_failure: AtomicUsize::new(usize::MAX),
        cancel: tokio::sync::Notify::new(),
        slots: tokio::sync::Semaphore::new(opts.concurrency.max(1)),
    });

    let mut prepared: Vec<Option<Result<Prepared, FetchError>>> =
        prepared.into_iter().map(Some).collect();
    let mut receivers = Vec::new();
    let mut tasks = tokio::task::JoinSet::new();
    for (index, slot) in prepared.iter_mut().enumerate().take(limit) {
        let Some(Ok(p)) = slot.take() else { continue };
        let p = Arc::new(p);
        let (tx, rx) = tokio::sync::oneshot::channel();
        receivers.push((index, p.clone(), rx));
        let shared = shared.clone();
        tasks.spawn(async move {
            let result = shared.acquire_or_cancel(index, &p).await;
            let _ = tx.send(result);
        });
    }

    let result = async {
        let mut report = Vec::new();
        for (index, p, rx) in receivers {
            let acquired = match rx.await {
                Ok(Some(r)) => r,
                // Cancelled because an earlier item failed: we never get here.
                Ok(None) | Err(_) => Err(FetchError::io(
                    "Fetch task ended unexpectedly for",
                    PathBuf::from(&p.item.uri.value),
                    std::io::Error::other("cancelled"),
                )),
            };
            let placed = match acquired {
                Ok(a) => place(&p, a, &sandbox, umask, &budget).await,
                Err(e) => Err(e),
            };
            match placed {
                Ok(path) => {
                    tracing::info!(
                        "Fetched '{}' to '{}'",
                        uri::redact(&p.item.uri.value),
                        path.display()
                    );
                    report.push(path);
                }
                Err(source) => {
                    shared.fail(index);
                    return Err(ItemFailure {
                        uri: uri::redact(&p.item.uri.value),
                        source,
                    });
                }
            }
        }
        if let Some(Some(Err(source))) = prepared.get_mut(limit).map(Option::take) {
            return Err(ItemFailure {
                uri: uri::redact(&info.items[limit].uri.value),
                source,
            });
        }
        Ok(report)
    };
    let result = tokio::select! {
        r = result => r.map_err(Some),
        () = stop => {
            budget.cancel();
            Err(None)
        }
    };

    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    done.store(true, Ordering::Relaxed);
    if let Some(h) = display {
        let _ = h.join();
    }
    drop(staging);
    result
}

fn prepare(item: &FetcherItem, info: &FetcherInfo) -> Result<Prepared, FetchError> {
    let value = &item.uri.value;
    uri::validate(value)?;
    let source = uri::classify(value, info.frameworks_home.as_deref())?;
    let (name, from_output_file) = match &item.uri.output_file {
        Some(f) => (f.clone(), true),
        None => (uri::basename(value)?, false),
    };
    let checksum = item
        .uri
        .checksum
        .as_deref()
        .map(|c| Checksum::parse(&uri::redact(value), c))
        .transpose()?;
    let cache_file = match item.action {
        FetchAction::BypassCache => None,
        FetchAction::DownloadAndCache | FetchAction::RetrieveFromCache => {
            let dir = info
                .cache_directory
                .as_deref()
                .filter(|d| !d.is_empty())
                .ok_or(FetchError::NoCacheDirectory)?;
            let file = item
                .cache_filename
                .as_deref()
                .filter(|f| !f.is_empty())
                .ok_or_else(|| FetchError::NoCacheFilename {
                    uri: uri::redact(value),
                })?;
            if file.contains('/') || file == "." || file == ".." {
                return Err(FetchError::BadCacheFilename {
                    uri: uri::redact(value),
                    name: file.to_string(),
                });
            }
            Some(Path::new(dir).join(file))
        }
    };
    Ok(Prepared {
        item: item.clone(),
        source,
        name,
        from_output_file,
        checksum,
        cache_file,
    })
}

struct Shared {
    http: HttpClient,
    stall: Option<Duration>,
    retry: RetryPolicy,
    umask: u32,
    progress: Arc<Progress>,
    staging: PathBuf,
    budget: Arc<DiskBudget>,
    first_failure: AtomicUsize,
    cancel: tokio::sync::Notify,
    slots: tokio::sync::Semaphore,
}

impl Shared {
    fn fail(&self, index: usize) {
        self.first_failure.fetch_min(index, Ordering::SeqCst);
        self.cancel.notify_waiters();
    }

    fn cancelled(&self, index: usize) -> bool {
        self.first_failure.load(Ordering::SeqCst) < index
    }

    /// Acquires item `index`, or gives up (`None`) once an earlier item has failed.
    async fn acquire_or_cancel(
        &self,
        index: usize,
        p: &Prepared,
    ) -> Option<Result<Acquired, FetchError>> {
        let work = async {
            let _slot = self.slots.acquire().await.ok()?;
            if self.cancelled(index) {
                return None;
            }
            let r = self.acquire(index, p).await;
            if r.is_err() {
                self.fail(index);
            }
            Some(r)
        };
        tokio::pin!(work);
        loop {
            let notified = self.cancel.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.cancelled(index) {
                return None;
            }
            tokio::select! {
                r = &mut work => return r,
                _ = &mut notified => {}
            }
        }
    }

    fn ctx(&self) -> DownloadContext<'_> {
        DownloadContext {
            http: &self.http,
            stall_timeout: self.stall,
            retry: &self.retry,
            umask: self.umask,
            progress: &self.progress,
            budget: &self.budget,
        }
    }

    async fn acquire(&self, index: usize, p: &Prepared) -> Result<Acquired, FetchError> {
        let value = &p.item.uri.value;
        let shown = uri::redact(value);
        tracing::info!("Fetching URI '{shown}'");
        match p.item.action {
            FetchAction::BypassCache => {
                tracing::info!("Fetching '{shown}' directly into the sandbox directory");
                let dest = self.staging.join(index.to_string());
                source::download(value, &p.source, &dest, &self.ctx()).await?;
                if let Some(c) = &p.checksum {
                    verify(c, &shown, &dest).await?;
                }
                Ok(Acquired::Staged(dest))
            }
            FetchAction::DownloadAndCache => {
                let cache_file = p.cache_file.clone().expect("prepared with a cache file");
                self.download_into_cache(p, &cache_file).await?;
                if let Some(c) = &p.checksum {
                    verify(c, &shown, &cache_file).await?;
                }
                Ok(Acquired::Cached(cache_file))
            }
            FetchAction::RetrieveFromCache => {
                let cache_file = p.cache_file.clone().expect("prepared with a cache file");
                if !cache_file.is_file() {
                    return Err(FetchError::CacheFileMissing {
                        uri: shown,
                        path: cache_file,
                    });
                }
                if let Some(c) = &p.checksum {
                    verify(c, &shown, &cache_file).await?;
                }
                Ok(Acquired::Cached(cache_file))
            }
        }
    }

    /// Downloads into the cache unless the file is there. Downloads of one cache file are
    /// serialised across items and processes by a lock file in `<cache>/.locks/`, go to a
    /// temporary name, and are renamed into place read-only.
    async fn download_into_cache(&self, p: &Prepared, cache_file: &Path) -> Result<(), FetchError> {
        let dir = cache_file.parent().unwrap_or(Path::new("."));
        let name = cache_file.file_name().unwrap_or_default().to_os_string();
        let lock_dir = dir.join(".locks");
        let lock_path = lock_dir.join(&name);
        let _lock = tokio::task::spawn_blocking(move || -> Result<_, FetchError> {
            std::fs::create_dir_all(&lock_dir)
                .map_err(|e| FetchError::io("Cannot create", &lock_dir, e))?;
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path)
                .map_err(|e| FetchError::io("Cannot open lock file", &lock_path, e))?;
            nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
                .map_err(|(_, e)| FetchError::io("Cannot lock", &lock_path, e.into()))
        })
        .await
        .map_err(|e| {
            FetchError::io("Lock task failed for", cache_file, std::io::Error::other(e))
        })??;
        if cache_file.exists() {
            tracing::info!(
                "Cache file '{}' exists; not downloading it again",
                cache_file.display()
            );
            return Ok(());
        }
        let tmp = tempfile::Builder::new()
            .prefix(".download-")
            .tempdir_in(dir)
            .map_err(|e| FetchError::io("Cannot create a temporary directory in", dir, e))?;
        let dest = tmp.path().join(&name);
        source::download(&p.item.uri.value, &p.source, &dest, &self.ctx()).await?;
        if let Some(c) = &p.checksum {
            verify(c, &uri::redact(&p.item.uri.value), &dest).await?;
        }
        // Cache files are shared by hard links: keep them read-only.
        let meta = std::fs::metadata(&dest).map_err(|e| FetchError::io("Cannot stat", &dest, e))?;
        let mode = meta.permissions().mode() & 0o555;
        std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(mode))
            .map_err(|e| FetchError::io("Cannot set the mode of", &dest, e))?;
        std::fs::rename(&dest, cache_file)
            .map_err(|e| FetchError::io("Cannot move into the cache", cache_file, e))?;
        Ok(())
    }
}

async fn verify(c: &Checksum, uri: &str, path: &Path) -> Result<(), FetchError> {
    let (c, uri, path) = (c.clone(), uri.to_string(), path.to_path_buf());
    blocking(move || c.verify_file(&uri, &path)).await
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, FetchError> + Send + 'static,
) -> Result<T, FetchError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| FetchError::io("Worker failed", PathBuf::new(), std::io::Error::other(e)))?
}

/// Puts an acquired item in place in the sandbox: what Mesos does after the download.
async fn place(
    p: &Prepared,
    acquired: Acquired,
    sandbox: &Sandbox,
    umask: u32,
    budget: &Arc<DiskBudget>,
) -> Result<PathBuf, FetchError> {
    let shown = uri::redact(&p.item.uri.value);
    let dest = sandbox.output_path(&p.name, p.from_output_file)?;
    let executable = p.item.uri.executable();
    let extract = p.item.uri.extract();
    match acquired {
        Acquired::Staged(staged) => {
            std::fs::rename(&staged, &dest)
                .map_err(|e| FetchError::io("Cannot move into place", &dest, e))?;
            if executable {
                chmod_executable(&dest)?;
            } else if extract {
                extract_into(&dest, &p.name, &shown, sandbox, umask, budget).await?;
            }
            Ok(dest)
        }
        Acquired::Cached(cache_file) => {
            tracing::info!("Fetching URI '{shown}' from cache");
            if executable {
                copy_file(&cache_file, &dest, umask, budget).await?;
                chmod_executable(&dest)?;
                return Ok(dest);
            }
            if extract {
                let cache_name = cache_file
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default()
                    .to_string();
                if uri::archive_kind(&cache_name).is_some() {
                    extract_into(&cache_file, &p.name, &shown, sandbox, umask, budget).await?;
                    return Ok(sandbox.root().to_path_buf());
                }
                tracing::warn!(
                    "Copying instead of extracting resource from URI with 'extract' flag, because it does not seem to be an archive: {shown}"
                );
            }
            link_or_copy(&cache_file, &dest, umask, budget).await?;
            Ok(dest)
        }
    }
}

fn chmod_executable(path: &Path) -> Result<(), FetchError> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(|e| {
        FetchError::Chmod {
            path: path.to_path_buf(),
            source: e,
        }
    })
}

/// Extracts `archive` (named for detection by its own file name, or `name` for the `.gz`
/// output) into the sandbox root, or warns that it is not an archive.
async fn extract_into(
    archive: &Path,
    name: &str,
    shown: &str,
    sandbox: &Sandbox,
    umask: u32,
    budget: &Arc<DiskBudget>,
) -> Result<(), FetchError> {
    let file_name = archive
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    match uri::archive_kind(&file_name) {
        Some(ArchiveKind::Archive) => {
            let (a, root) = (archive.to_path_buf(), sandbox.root().to_path_buf());
            let budget = budget.clone();
            blocking(move || archive::extract(&a, &root, umask, &budget)).await
        }
        Some(ArchiveKind::Gzip) => {
            // The output is named after the item (output_file or URI basename) minus `.gz`,
            // at the sandbox root; Mesos named it after the cache file in cache mode.
            let base = Path::new(name)
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or(name);
            let base = base.split('?').next().unwrap_or(base);
            let stem = base.strip_suffix(".gz").unwrap_or(base).to_string();
            if stem.is_empty() {
                return Err(FetchError::Extract {
                    archive: archive.to_path_buf(),
                    dir: sandbox.root().to_path_buf(),
                    reason: "no output name left after removing '.gz'".into(),
                });
            }
            let out = sandbox.root().join(&stem);
            let (a, o) = (archive.to_path_buf(), out.clone());
            let budget = budget.clone();
            blocking(move || archive::gunzip(&a, &o, umask, &budget)).await?;
            tracing::info!(
                "Extracted '{}' into '{}'",
                archive.display(),
                sandbox.root().display()
            );
            Ok(())
        }
        None => {
            tracing::warn!(
                "Copying instead of extracting resource from URI with 'extract' flag, because it does not seem to be an archive: {shown}"
            );
            Ok(())
        }
    }
}

/// Copies `src` to `dest` through a temporary file in `dest`'s directory; the copy gets the
/// source's permission bits plus owner-write (cache files are read-only), minus the umask.
/// The source's size is charged to `budget` first (cache files do not change).
async fn copy_file(
    src: &Path,
    dest: &Path,
    umask: u32,
    budget: &Arc<DiskBudget>,
) -> Result<(), FetchError> {
    let (src, dest) = (src.to_path_buf(), dest.to_path_buf());
    let budget = budget.clone();
    blocking(move || {
        let size = std::fs::metadata(&src)
            .map_err(|e| FetchError::LocalCopy {
                path: src.clone(),
                source: e,
            })?
            .len();
        budget.charge_for(size, || format!("copying '{}'", src.display()))?;
        let dir = dest.parent().unwrap_or(Path::new("."));
        let tmp = tempfile::Builder::new()
            .prefix(".mesos-fetcher-copy-")
            .tempfile_in(dir)
            .map_err(|e| FetchError::io("Cannot create a temporary file in", dir, e))?;
        std::fs::copy(&src, tmp.path()).map_err(|e| FetchError::LocalCopy {
            path: src.clone(),
            source: e,
        })?;
        let mode = std::fs::metadata(&src)
            .map(|m| m.permissions().mode())
            .unwrap_or(0o644);
        let mode = (mode | 0o200) & 0o777 & !umask;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(mode))
            .map_err(|e| FetchError::io("Cannot set the mode of", tmp.path(), e))?;
        tmp.persist(&dest)
            .map_err(|e| FetchError::io("Cannot move into place", &dest, e.error))?;
        Ok(())
    })
    .await
}

/// A cache hit: a hard link when the cache and the sandbox share a filesystem (instant, and
/// read-only like the cache file), a copy otherwise.
async fn link_or_copy(
    cache_file: &Path,
    dest: &Path,
    umask: u32,
    budget: &Arc<DiskBudget>,
) -> Result<(), FetchError> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".mesos-fetcher-link-{}", uuid_like()));
    match std::fs::hard_link(cache_file, &tmp) {
        Ok(()) => std::fs::rename(&tmp, dest).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            FetchError::io("Cannot move into place", dest, e)
        }),
        Err(e) => {
            tracing::debug!(
                "Cannot hard-link '{}' into the sandbox ({e}); copying it",
                cache_file.display()
            );
            copy_file(cache_file, dest, umask, budget).await
        }
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::AtomicU64;
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}
