//! The agent side of the fetcher cache (docs/fetcher.md): deciding each URI's action,
//! naming cache files, space accounting with LRU eviction of unreferenced entries, and
//! settling entries after a fetcher run. The containerizer keeps one [`FetcherCache`]
//! (behind a mutex) for the whole agent.
//!
//! Flow for one container: [`FetcherCache::sizes_to_probe`] → probe them with
//! [`probe_size`] (outside any lock) → [`FetcherCache::plan`] → run `mesos-fetcher` with
//! [`FetchPlan::info`] → [`FetcherCache::finish`]. [`plan_fetch`] does the first three.
//!
//! Differences from Mesos on purpose: items keep the order of the URIs (Mesos uses hash
//! order); an entry another run is still downloading is planned as `DOWNLOAD_AND_CACHE` with
//! the same file name instead of waiting for that whole run (the fetcher's per-file lock
//! makes the second run wait for the first download only, then reuse it); a download larger
//! than predicted keeps its entry when the extra space can be reserved; a smaller one gives
//! the difference back (the fix that is on Mesos master only).
//!
//! [`SharedFetcherCache`] (from [`FetcherCache::open`]) is the same cache persisted in
//! `<dir>/index.json` and shared by every process that opens the directory (the one-shot
//! `mesos-docker-containerizer run`); [`plan_fetch_shared`] and [`finish_shared`] are its
//! flow. See the `shared` module's docs for locking and recovery.

mod shared;

pub use shared::{
    finish_shared, plan_fetch_shared, Holder, SharedFetcherCache, DEFAULT_LOCK_TIMEOUT, INDEX_FILE,
    LOCK_FILE,
};

use crate::error::FetchError;
use crate::sandbox::normalize_relative;
use crate::source::HttpClient;
use crate::uri::{self, Source};
use mesos_types::fetcher::{FetchAction, FetcherDuration, FetcherInfo, FetcherItem, FetcherUri};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// Mesos's `--fetcher_cache_size` default: 2 GiB.
pub const DEFAULT_CACHE_SIZE: u64 = 2 << 30;
/// Mesos's `--fetcher_stall_timeout` default.
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Space reserved; some run is downloading it.
    Pending,
    /// The file is in the cache.
    Complete,
}

#[derive(Debug, Clone)]
struct Entry {
    directory: PathBuf,
    filename: String,
    size: u64,
    state: State,
    references: u32,
    last_used: u64,
}

impl Entry {
    fn path(&self) -> PathBuf {
        self.directory.join(&self.filename)
    }
}

/// A public view of one cache entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntryInfo {
    pub key: String,
    pub path: PathBuf,
    pub size: u64,
    pub complete: bool,
    pub references: u32,
}

/// What one container's fetch asks for.
#[derive(Debug, Clone)]
pub struct FetchRequest {
    pub uris: Vec<FetcherUri>,
    pub sandbox_directory: PathBuf,
    /// The fetch user (`CommandInfo.user`, else the container user).
    pub user: Option<String>,
    /// `--frameworks_home`.
    pub frameworks_home: Option<String>,
    /// `--fetcher_stall_timeout`.
    pub stall_timeout: Duration,
}

/// The `FetcherInfo` to run, and the cache references it holds until
/// [`FetcherCache::finish`].
#[derive(Debug)]
#[must_use = "a plan holds cache references: pass it to FetcherCache::finish or finish_shared"]
pub struct FetchPlan {
    pub info: FetcherInfo,
    /// Every cache entry the plan references.
    references: Vec<Reference>,
    /// Why URIs that asked for the cache bypass it.
    pub warnings: Vec<String>,
}

/// One cache entry a plan references, named by key and file name (a removed and re-created
/// entry of the same key has a new file name, and is not the one referenced).
#[derive(Debug, Clone)]
struct Reference {
    key: String,
    filename: String,
    /// Whether this plan's run downloads it (the entry was pending when planned).
    downloads: bool,
}

/// The agent's fetcher cache, in memory (one process). See [`SharedFetcherCache`] for the
/// cross-process, persistent variant.
#[derive(Debug)]
pub struct FetcherCache {
    directory: PathBuf,
    capacity: u64,
    used: u64,
    serial: u64,
    clock: u64,
    entries: HashMap<String, Entry>,
}

impl FetcherCache {
    /// A cache rooted at `directory` (`--fetcher_cache_dir`) holding up to `capacity` bytes
    /// (`--fetcher_cache_size`). Starts empty, as Mesos does (see [`Self::reset_directory`]).
    pub fn new(directory: impl Into<PathBuf>, capacity: u64) -> Self {
        Self {
            directory: directory.into(),
            capacity,
            used: 0,
            serial: 0,
            clock: 0,
            entries: HashMap::new(),
        }
    }

    /// The cross-process cache persisted in `<directory>/index.json`: see
    /// [`SharedFetcherCache::open`].
    pub fn open(
        directory: impl Into<PathBuf>,
        capacity: u64,
    ) -> Result<SharedFetcherCache, FetchError> {
        SharedFetcherCache::open(directory, capacity)
    }

    /// Deletes the cache directory, as the Mesos agent does at start-up (nothing is
    /// recovered).
    pub fn reset_directory(&self) -> std::io::Result<()> {
        match std::fs::remove_dir_all(&self.directory) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    pub fn directory(&self) -> &Path {
        &self.directory
    }

    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Bytes reserved or held (the `cache_size_used_bytes` gauge).
    pub fn used(&self) -> u64 {
        self.used
    }

    pub fn entries(&self) -> Vec<CacheEntryInfo> {
        let mut v: Vec<_> = self
            .entries
            .iter()
            .map(|(k, e)| CacheEntryInfo {
                key: k.clone(),
                path: e.path(),
                size: e.size,
                complete: e.state == State::Complete,
                references: e.references,
            })
            .collect();
        v.sort_by(|a, b| a.key.cmp(&b.key));
        v
    }

    /// `<dir>/<user>` or `<dir>`.
    pub fn user_directory(&self, user: Option<&str>) -> PathBuf {
        match user {
            Some(u) => self.directory.join(u),
            None => self.directory.clone(),
        }
    }

    fn key(user: Option<&str>, value: &str) -> String {
        match user {
            Some(u) => format!("{u}@{value}"),
            None => value.to_string(),
        }
    }

    /// The URI values of `request` that would need a new entry, so their sizes must be
    /// probed before [`Self::plan`].
    pub fn sizes_to_probe(&self, request: &FetchRequest) -> Vec<String> {
        let mut seen = HashSet::new();
        request
            .uris
            .iter()
            .filter(|u| u.cache())
            .filter(|u| {
                let key = Self::key(request.user.as_deref(), &u.value);
                match self.entries.get(&key) {
                    Some(e) => e.state == State::Complete && !e.path().is_file(),
                    None => true,
                }
            })
            .filter(|u| seen.insert(u.value.clone()))
            .map(|u| u.value.clone())
            .collect()
    }

    /// Validates the request like the agent (`Could not fetch: …` on error) and decides
    /// every item's action. `sizes` holds the probe results for the values
    /// [`Self::sizes_to_probe`] named; a URI with no usable size bypasses the cache.
    pub fn plan(
        &mut self,
        request: &FetchRequest,
        sizes: &HashMap<String, Result<u64, String>>,
    ) -> Result<FetchPlan, FetchError> {
        for u in &request.uris {
            validate_request_uri(u)?;
        }
        let user = request.user.as_deref();
        let directory = self.user_directory(user);

        // URIs equal in everything but `cache` collapse into one item; the cached variant
        // wins whatever the order.
        let mut uris: Vec<FetcherUri> = Vec::new();
        for u in &request.uris {
            let same = |v: &FetcherUri| {
                v.value == u.value
                    && v.executable() == u.executable()
                    && v.extract() == u.extract()
                    && v.output_file == u.output_file
                    && v.checksum == u.checksum
            };
            match uris.iter_mut().find(|v| same(v)) {
                Some(v) => {
                    if u.cache() {
                        v.cache = Some(true);
                    }
                }
                None => uris.push(u.clone()),
            }
        }

        let mut items = Vec::new();
        let mut references: Vec<Reference> = Vec::new();
        let mut warnings = Vec::new();
        for u in uris {
            if !u.cache() {
                items.push(FetcherItem {
                    action: FetchAction::BypassCache,
                    cache_filename: None,
                    uri: u,
                });
                continue;
            }
            let key = Self::key(user, &u.value);
            // Reused within this request: same entry, one reference.
            if let Some(r) = references.iter().find(|r| r.key == key) {
                items.push(FetcherItem {
                    action: if r.downloads {
                        FetchAction::DownloadAndCache
                    } else {
                        FetchAction::RetrieveFromCache
                    },
                    cache_filename: Some(r.filename.clone()),
                    uri: u,
                });
                continue;
            }
            self.clock += 1;
            let clock = self.clock;
            if let Some(e) = self.entries.get_mut(&key) {
                e.last_used = clock;
                if e.state == State::Complete && !e.path().is_file() {
                    tracing::warn!(
                        "Validation failed: 'Cache file does not exist: {}'. Removing cache entry...",
                        e.path().display()
                    );
                    let key2 = key.clone();
                    self.remove(&key2);
                } else {
                    e.references += 1;
                    let downloads = e.state == State::Pending;
                    items.push(FetcherItem {
                        action: if downloads {
                            FetchAction::DownloadAndCache
                        } else {
                            FetchAction::RetrieveFromCache
                        },
                        cache_filename: Some(e.filename.clone()),
                        uri: u,
                    });
                    references.push(Reference {
                        key,
                        filename: e.filename.clone(),
                        downloads,
                    });
                    continue;
                }
            }
            let size = match sizes.get(&u.value) {
                Some(Ok(n)) => Ok(*n),
                Some(Err(e)) => Err(e.clone()),
                None => Err("its size was not probed".to_string()),
            };
            let reserved = size.and_then(|n| {
                self.reserve(n)
                    .map(|()| n)
                    .map_err(|e| format!("Failed to reserve space in the cache: {e}"))
            });
            match reserved {
                Ok(n) => {
                    let filename = self.next_filename(&directory, &u.value);
                    self.entries.insert(
                        key.clone(),
                        Entry {
                            directory: directory.clone(),
                            filename: filename.clone(),
                            size: n,
                            state: State::Pending,
                            references: 1,
                            last_used: clock,
                        },
                    );
                    references.push(Reference {
                        key,
                        filename: filename.clone(),
                        downloads: true,
                    });
                    items.push(FetcherItem {
                        action: FetchAction::DownloadAndCache,
                        cache_filename: Some(filename),
                        uri: u,
                    });
                }
                Err(reason) => {
                    let w = format!(
                        "Reverting to fetching directly into the sandbox for '{}', due to failure to fetch through the cache, with error: {reason}",
                        uri::redact(&u.value)
                    );
                    tracing::warn!("{w}");
                    warnings.push(w);
                    items.push(FetcherItem {
                        action: FetchAction::BypassCache,
                        cache_filename: None,
                        uri: u,
                    });
                }
            }
        }

        let info = FetcherInfo {
            cache_directory: Some(directory.display().to_string()),
            frameworks_home: request.frameworks_home.clone().filter(|h| !h.is_empty()),
            items,
            sandbox_directory: request.sandbox_directory.display().to_string(),
            stall_timeout: Some(FetcherDuration::from_std(request.stall_timeout)),
            user: request.user.clone(),
        };
        Ok(FetchPlan {
            info,
            references,
            warnings,
        })
    }

    /// Settles a plan after its fetcher run: references are released; entries this run
    /// downloaded become complete (their size corrected from the file) on success, and are
    /// removed on failure unless another run still references them.
    pub fn finish(&mut self, plan: FetchPlan, success: bool) {
        for Reference {
            key,
            filename,
            downloads,
        } in plan.references
        {
            let Some(e) = self.entries.get_mut(&key) else {
                continue;
            };
            if e.filename != filename {
                // Ours was removed meanwhile; this is a newer entry of the same key.
                continue;
            }
            e.references = e.references.saturating_sub(1);
            if e.state != State::Pending || !downloads {
                continue;
            }
            if !success {
                if e.references == 0 {
                    self.remove(&key);
                }
                continue;
            }
            let path = e.path();
            let predicted = e.size;
            match std::fs::symlink_metadata(&path) {
                Err(_) => {
                    tracing::warn!(
                        "Fetcher cache file for '{key}' disappeared from: {}",
                        path.display()
                    );
                    self.remove(&key);
                }
                Ok(m) if m.len() <= predicted => {
                    if m.len() < predicted {
                        tracing::warn!(
                            "URI download result for '{key}' is smaller than expected by {} at: {}",
                            predicted - m.len(),
                            path.display()
                        );
                    }
                    self.used -= predicted - m.len();
                    let e = self.entries.get_mut(&key).expect("entry present");
                    e.size = m.len();
                    e.state = State::Complete;
                }
                Ok(m) => {
                    let extra = m.len() - predicted;
                    tracing::warn!(
                        "URI download result for '{key}' is larger than expected by {extra} at: {}",
                        path.display()
                    );
                    // Protect this entry from its own eviction while reserving.
                    self.entries
                        .get_mut(&key)
                        .expect("entry present")
                        .references += 1;
                    let reserved = self.reserve(extra);
                    let e = self.entries.get_mut(&key).expect("entry present");
                    e.references -= 1;
                    match reserved {
                        Ok(()) => {
                            e.size = m.len();
                            e.state = State::Complete;
                        }
                        Err(err) => {
                            tracing::warn!(
                                "More cache size now necessary, not adjusting {key}: {err}"
                            );
                            self.remove(&key);
                        }
                    }
                }
            }
        }
    }

    /// The next serial's file name in `directory`. A name some file already has (left by an
    /// earlier agent or run that shared the directory) is skipped: the fetcher would trust
    /// that file instead of downloading.
    fn next_filename(&mut self, directory: &Path, value: &str) -> String {
        loop {
            self.serial += 1;
            let name = cache_filename(self.serial, value);
            if std::fs::symlink_metadata(directory.join(&name)).is_err() {
                return name;
            }
            tracing::warn!(
                "Fetcher cache file name '{name}' is taken by a file the cache does not know in '{}'; skipping it",
                directory.display()
            );
        }
    }

    /// Makes room for `n` bytes, evicting least recently used unreferenced entries; all or
    /// nothing.
    fn reserve(&mut self, n: u64) -> Result<(), String> {
        let available = self.capacity.saturating_sub(self.used);
        if available < n {
            let missing = n - available;
            let mut candidates: Vec<(&String, &Entry)> = self
                .entries
                .iter()
                .filter(|(_, e)| e.references == 0)
                .collect();
            candidates.sort_by_key(|(_, e)| e.last_used);
            let mut freed = 0;
            let mut victims = Vec::new();
            for (k, e) in candidates {
                if freed >= missing {
                    break;
                }
                freed += e.size;
                victims.push(k.clone());
            }
            if freed < missing {
                return Err("Could not free up enough fetcher cache space".into());
            }
            for k in victims {
                tracing::info!("Evicting fetcher cache entry '{k}'");
                self.remove(&k);
            }
        }
        self.used += n;
        if self.used > self.capacity {
            tracing::warn!(
                "Fetcher cache space overflow - space used: {}, exceeds total fetcher cache space: {}",
                self.used,
                self.capacity
            );
        }
        Ok(())
    }

    fn remove(&mut self, key: &str) {
        if let Some(e) = self.entries.remove(key) {
            let path = e.path();
            let _ = std::fs::remove_file(&path);
            let _ = std::fs::remove_file(e.directory.join(".locks").join(&e.filename));
            self.used = self.used.saturating_sub(e.size);
        }
    }
}

/// Mesos's agent-side URI checks: the URI itself, and an `output_file` that is empty or
/// absolute. Beyond Mesos, one that climbs out of the sandbox is refused too.
pub fn validate_request_uri(u: &FetcherUri) -> Result<(), FetchError> {
    uri::validate(&u.value)?;
    if let Some(f) = &u.output_file {
        let bad = |reason: &str| FetchError::BadOutputFile {
            output_file: f.clone(),
            reason: reason.into(),
        };
        if f.is_empty() {
            return Err(bad("URI output file path is empty"));
        }
        if f.starts_with('/') {
            return Err(bad("URI output file must be within the sandbox directory"));
        }
        if normalize_relative(Path::new(f)).is_none_or(|p| p.as_os_str().is_empty()) {
            return Err(bad("URI output file must be within the sandbox directory"));
        }
    }
    Ok(())
}

/// `c<serial>-<basename>`, the basename shortened to its first and last 10 characters when
/// longer than 20 (so the archive suffix survives).
pub fn cache_filename(serial: u64, value: &str) -> String {
    let base = uri::basename(value).unwrap_or_default();
    let base = base.replace('/', "_");
    let chars: Vec<char> = base.chars().collect();
    let short = if chars.len() > 20 {
        let head: String = chars[..10].iter().collect();
        let tail: String = chars[chars.len() - 10..].iter().collect();
        format!("{head}_{tail}")
    } else {
        base
    };
    format!("c{serial}-{short}")
}

/// The size of a URI's content, as the agent probes it before reserving cache space: `stat`
/// for local files, a HEAD Content-Length for HTTP(S), `hadoop fs -du` otherwise.
pub async fn probe_size(
    http: &HttpClient,
    value: &str,
    frameworks_home: Option<&str>,
) -> Result<u64, FetchError> {
    match uri::classify(value, frameworks_home)? {
        Source::Local(path) => crate::source::local::size(&path),
        Source::Http(url) => http.content_length(&url).await,
        Source::Hadoop(url) => crate::source::hadoop::du(&url).await,
    }
}

/// Probes what needs probing (without holding the lock) and plans the request.
pub async fn plan_fetch(
    cache: &Mutex<FetcherCache>,
    http: &HttpClient,
    request: &FetchRequest,
) -> Result<FetchPlan, FetchError> {
    let to_probe = cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .sizes_to_probe(request);
    let mut sizes = HashMap::new();
    for value in to_probe {
        let r = probe_size(http, &value, request.frameworks_home.as_deref())
            .await
            .map_err(|e| e.to_string());
        sizes.insert(value, r);
    }
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .plan(request, &sizes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(uris: &[(&str, bool)]) -> FetchRequest {
        FetchRequest {
            uris: uris
                .iter()
                .map(|(v, cache)| {
                    let mut u = FetcherUri::new(*v);
                    u.cache = Some(*cache);
                    u
                })
                .collect(),
            sandbox_directory: "/sb".into(),
            user: None,
            frameworks_home: None,
            stall_timeout: DEFAULT_STALL_TIMEOUT,
        }
    }

    fn sizes(pairs: &[(&str, u64)]) -> HashMap<String, Result<u64, String>> {
        pairs.iter().map(|(k, v)| (k.to_string(), Ok(*v))).collect()
    }

    /// Runs a plan to success, writing each downloaded cache file with `size` bytes.
    fn complete(cache: &mut FetcherCache, plan: FetchPlan, size: usize) {
        for item in &plan.info.items {
            if item.action == FetchAction::DownloadAndCache {
                let dir = PathBuf::from(plan.info.cache_directory.as_ref().unwrap());
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(
                    dir.join(item.cache_filename.as_ref().unwrap()),
                    vec![0u8; size],
                )
                .unwrap();
            }
        }
        cache.finish(plan, true);
    }

    #[test]
    fn file_names_are_shortened_like_mesos() {
        assert_eq!(
            cache_filename(7, "https://d/spark-3.5.1-bin-hadoop3.tgz"),
            "c7-spark-3.5._adoop3.tgz"
        );
        assert_eq!(cache_filename(3, "/srv/app.conf"), "c3-app.conf");
    }

    #[test]
    fn miss_then_hit_then_bypass() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = FetcherCache::new(dir.path(), 100);
        let req = request(&[("http://h/a", true), ("http://h/b", false)]);
        assert_eq!(cache.sizes_to_probe(&req), vec!["http://h/a".to_string()]);
        let plan = cache.plan(&req, &sizes(&[("http://h/a", 10)])).unwrap();
        let actions: Vec<_> = plan.info.items.iter().map(|i| i.action).collect();
        assert_eq!(
            actions,
            vec![FetchAction::DownloadAndCache, FetchAction::BypassCache]
        );
        assert_eq!(cache.used(), 10);
        complete(&mut cache, plan, 8);
        assert_eq!(cache.used(), 8, "a smaller file gives space back");
        assert!(cache.sizes_to_probe(&req).is_empty());
        let plan = cache.plan(&req, &HashMap::new()).unwrap();
        assert_eq!(plan.info.items[0].action, FetchAction::RetrieveFromCache);
        cache.finish(plan, true);
        assert_eq!(cache.entries().len(), 1);
    }

    #[test]
    fn lru_eviction_skips_referenced_entries_and_is_all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = FetcherCache::new(dir.path(), 20);
        for v in ["http://h/cmd0", "http://h/cmd1"] {
            let plan = cache
                .plan(&request(&[(v, true)]), &sizes(&[(v, 10)]))
                .unwrap();
            complete(&mut cache, plan, 10);
        }
        // Touch cmd1 so cmd0 is the least recently used.
        let plan = cache
            .plan(&request(&[("http://h/cmd1", true)]), &HashMap::new())
            .unwrap();
        cache.finish(plan, true);
        let plan = cache
            .plan(
                &request(&[("http://h/cmd2", true)]),
                &sizes(&[("http://h/cmd2", 10)]),
            )
            .unwrap();
        complete(&mut cache, plan, 10);
        let keys: Vec<_> = cache.entries().into_iter().map(|e| e.key).collect();
        assert_eq!(keys, vec!["http://h/cmd1", "http://h/cmd2"]);

        // Both entries in use by a running fetch: nothing can be evicted.
        let held = cache
            .plan(
                &request(&[("http://h/cmd1", true), ("http://h/cmd2", true)]),
                &HashMap::new(),
            )
            .unwrap();
        let plan = cache
            .plan(
                &request(&[("http://h/cmd3", true)]),
                &sizes(&[("http://h/cmd3", 5)]),
            )
            .unwrap();
        assert_eq!(plan.info.items[0].action, FetchAction::BypassCache);
        assert_eq!(plan.warnings.len(), 1);
        cache.finish(plan, true);
        cache.finish(held, true);
        assert_eq!(cache.entries().len(), 2);
        // Larger than the whole cache: bypass, nothing evicted.
        let plan = cache
            .plan(
                &request(&[("http://h/big", true)]),
                &sizes(&[("http://h/big", 21)]),
            )
            .unwrap();
        assert_eq!(plan.info.items[0].action, FetchAction::BypassCache);
        cache.finish(plan, true);
        assert_eq!(cache.entries().len(), 2);
    }

    #[test]
    fn a_failed_run_removes_its_pending_entry_and_a_missing_file_is_refetched() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = FetcherCache::new(dir.path(), 100);
        let req = request(&[("http://h/a", true)]);
        let plan = cache.plan(&req, &sizes(&[("http://h/a", 10)])).unwrap();
        cache.finish(plan, false);
        assert!(cache.entries().is_empty());
        assert_eq!(cache.used(), 0);

        let plan = cache.plan(&req, &sizes(&[("http://h/a", 10)])).unwrap();
        let name = plan.info.items[0].cache_filename.clone().unwrap();
        complete(&mut cache, plan, 10);
        std::fs::remove_file(dir.path().join(&name)).unwrap();
        assert_eq!(cache.sizes_to_probe(&req), vec!["http://h/a".to_string()]);
        let plan = cache.plan(&req, &sizes(&[("http://h/a", 10)])).unwrap();
        assert_eq!(plan.info.items[0].action, FetchAction::DownloadAndCache);
        assert_ne!(plan.info.items[0].cache_filename.as_ref(), Some(&name));
        cache.finish(plan, false);
    }

    #[test]
    fn concurrent_requests_share_a_pending_entry_and_duplicates_collapse() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = FetcherCache::new(dir.path(), 100);
        let mut req = request(&[("http://h/a", true), ("http://h/a", false)]);
        let mut other = FetcherUri::new("http://h/a");
        other.cache = Some(true);
        other.output_file = Some("two".into());
        req.uris.push(other);
        let first = cache.plan(&req, &sizes(&[("http://h/a", 10)])).unwrap();
        assert_eq!(first.info.items.len(), 2, "equal URIs collapse");
        assert!(first
            .info
            .items
            .iter()
            .all(|i| i.action == FetchAction::DownloadAndCache));
        assert_eq!(
            first.info.items[0].cache_filename,
            first.info.items[1].cache_filename
        );
        let second = cache
            .plan(&request(&[("http://h/a", true)]), &HashMap::new())
            .unwrap();
        assert_eq!(second.info.items[0].action, FetchAction::DownloadAndCache);
        assert_eq!(cache.used(), 10, "space is reserved once");
        cache.finish(first, false);
        assert_eq!(
            cache.entries().len(),
            1,
            "still referenced by the second run"
        );
        complete(&mut cache, second, 10);
        assert!(cache.entries()[0].complete);
    }

    #[test]
    fn finishing_a_plan_whose_entry_was_replaced_leaves_the_new_entry_alone() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = FetcherCache::new(dir.path(), 100);
        let req = request(&[("http://h/a", true)]);
        let plan = cache.plan(&req, &sizes(&[("http://h/a", 10)])).unwrap();
        complete(&mut cache, plan, 10);
        let old = cache.plan(&req, &HashMap::new()).unwrap();
        assert_eq!(old.info.items[0].action, FetchAction::RetrieveFromCache);
        // The file vanishes; the next request replaces the entry with a new download.
        std::fs::remove_file(dir.path().join("c1-a")).unwrap();
        let new = cache.plan(&req, &sizes(&[("http://h/a", 10)])).unwrap();
        assert_eq!(new.info.items[0].cache_filename.as_deref(), Some("c2-a"));
        cache.finish(old, true);
        let e = &cache.entries()[0];
        assert_eq!((e.references, e.complete), (1, false));
        cache.finish(new, false);
        assert!(cache.entries().is_empty());
    }

    #[test]
    fn a_stray_file_under_the_next_name_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = FetcherCache::new(dir.path(), 100);
        std::fs::write(dir.path().join("c1-a"), b"stale").unwrap();
        let req = request(&[("http://h/a", true)]);
        let plan = cache.plan(&req, &sizes(&[("http://h/a", 10)])).unwrap();
        assert_eq!(plan.info.items[0].cache_filename.as_deref(), Some("c2-a"));
        cache.finish(plan, false);
    }

    #[test]
    fn agent_side_validation() {
        let mut u = FetcherUri::new("http://h/x");
        u.output_file = Some("../x".into());
        assert!(validate_request_uri(&u).is_err());
        u.output_file = Some("/x".into());
        assert!(validate_request_uri(&u).is_err());
        u.output_file = Some("a/b".into());
        assert!(validate_request_uri(&u).is_ok());
        assert!(validate_request_uri(&FetcherUri::new("lala://nopath")).is_err());
    }
}
