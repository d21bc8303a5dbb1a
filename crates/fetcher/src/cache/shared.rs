//! The fetcher cache shared by several processes through files (beyond Mesos, whose cache
//! lives in the agent's memory and is wiped at start-up): every process that opens one
//! cache directory sees the entries the others completed, and their file names never clash.
//!
//! # Layout
//!
//! ```text
//! <dir>/index.json           the index: serial, LRU clock, entries with their holders
//! <dir>/.lock                flock(2)ed exclusively around every operation
//! <dir>/.index.json.tmp      the next index while it is written (then renamed over)
//! <dir>/index.json.corrupt   the last unreadable index, moved aside
//! <dir>/[<user>/]c<N>-<name> cache files, as with the in-memory cache
//! ```
//!
//! Index entries name their directory relative to the root (`""` or `<user>`), so
//! processes that spell the root differently (a symlink) agree, and an entry can never
//! point outside the root.
//!
//! # One operation
//!
//! Take the lock (polling, up to [`DEFAULT_LOCK_TIMEOUT`] or
//! [`SharedFetcherCache::with_lock_timeout`]; on time-out the error names the lock file),
//! load and repair the index, apply the operation with [`FetcherCache`]'s own logic, write
//! the index atomically (temporary file, fsync, rename, fsync of the directory), unlock.
//! Size probes (HTTP HEAD, `stat`, `hadoop fs -du`) run outside the lock, as in
//! [`super::plan_fetch`].
//!
//! # Holders
//!
//! A reference is recorded with its holder: the process's pid and its start time (field 22
//! of `/proc/<pid>/stat`), so a reused pid is not mistaken for the holder. On every load,
//! references of processes that are gone (or zombies) are dropped; so an entry is never
//! evicted while a live process references it, and one a crashed process held becomes
//! evictable again. All processes sharing a directory must see one pid namespace.
//!
//! # Repairs on load
//!
//! * A complete entry whose file is missing is dropped.
//! * A pending entry none of whose holders is alive is dropped, with its cache file, the
//!   fetcher's temporary download directories for it and its `.locks/` file, unless a
//!   running fetcher still holds that lock (an orphaned fetcher of a dead process): then
//!   its files are left to it; the name is never handed out again.
//! * Files the index does not know are **left alone** while the index is readable: they can
//!   only be leftovers of crashed runs or files a still-running orphaned fetcher is about to
//!   use, their names are never handed out again (the serial only grows, and a name some
//!   file already has is skipped), so they are never mistaken for an entry; deleting them
//!   could break a live fetcher, leaving them only costs disk space.
//! * With no usable index (missing, or unparseable: logged, moved to
//!   `index.json.corrupt`) the cache starts empty, every cache file (`c<N>-…` in the
//!   directory and the per-user directories) is removed since nothing vouches for its
//!   content, and the serial restarts above every serial found in the old index text and in
//!   the names in the tree (cache files, `.locks/`, `.download-*/`).
//! * An index written by a newer version is an error (never overwritten): callers of
//!   [`plan_fetch_shared`] then bypass the cache.
//!
//! The capacity is each process's own: an operation evicts down to the capacity of the
//! process performing it.

use super::{
    probe_size, validate_request_uri, CacheEntryInfo, Entry, FetchPlan, FetchRequest, FetcherCache,
    State,
};
use crate::error::FetchError;
use crate::source::HttpClient;
use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The index file in the cache directory.
pub const INDEX_FILE: &str = "index.json";
/// The lock file in the cache directory.
pub const LOCK_FILE: &str = ".lock";
const INDEX_TEMP: &str = ".index.json.tmp";
const INDEX_CORRUPT: &str = "index.json.corrupt";
const INDEX_VERSION: u64 = 1;
/// How long an operation waits for the cache lock by default.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);
/// Rounds of "probe, then plan" before entries evicted meanwhile are left unprobed (and
/// bypass the cache).
const PROBE_ROUNDS: usize = 3;

/// A process holding cache references.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Holder {
    pub pid: u32,
    /// Field 22 of `/proc/<pid>/stat` (clock ticks after boot); tells a reused pid apart.
    pub start_time: u64,
}

impl Holder {
    /// This process.
    pub fn current() -> Self {
        let pid = std::process::id();
        Self {
            pid,
            start_time: proc_stat(pid).map(|(_, t)| t).unwrap_or(0),
        }
    }

    /// The running process `pid`, if there is one.
    pub fn of_pid(pid: u32) -> Option<Self> {
        match proc_stat(pid) {
            Ok((state, start_time)) if !is_dead_state(state) => Some(Self { pid, start_time }),
            _ => None,
        }
    }

    /// Whether this very process (same pid, same start time) still runs. Zombies do not.
    pub fn is_alive(&self) -> bool {
        match proc_stat(self.pid) {
            Ok((state, start)) => start == self.start_time && !is_dead_state(state),
            Err(e)
                if matches!(e.kind(), std::io::ErrorKind::NotFound)
                    || e.raw_os_error() == Some(libc::ESRCH) =>
            {
                // Without procfs at all, fall back to the pid alone.
                !Path::new("/proc/self/stat").exists() && pid_exists(self.pid)
            }
            // Hidden from us (hidepid) or unreadable: the pid alone.
            Err(_) => pid_exists(self.pid),
        }
    }
}

fn is_dead_state(state: char) -> bool {
    matches!(state, 'Z' | 'X' | 'x')
}

fn pid_exists(pid: u32) -> bool {
    let Ok(raw) = i32::try_from(pid) else {
        return false;
    };
    !matches!(
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(raw), None),
        Err(Errno::ESRCH)
    )
}

/// `(state, starttime)` from `/proc/<pid>/stat`. The command name (field 2) may hold spaces
/// and parentheses, so fields are counted after its last `)`.
fn proc_stat(pid: u32) -> std::io::Result<(char, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let bad = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("unexpected /proc/{pid}/stat"),
        )
    };
    let rest = &text[text.rfind(')').ok_or_else(bad)? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
    let state = fields
        .first()
        .and_then(|s| s.chars().next())
        .ok_or_else(bad)?;
    let start = fields
        .get(19)
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    Ok((state, start))
}

#[derive(Debug, Serialize, Deserialize)]
struct IndexFile {
    version: u64,
    /// The last serial handed out; file names are `c<serial>-…`.
    serial: u64,
    /// The LRU clock: an entry's `last_used` is the clock value of its last use.
    clock: u64,
    #[serde(default)]
    entries: Vec<IndexEntry>,
}

impl IndexFile {
    fn empty() -> Self {
        Self {
            version: INDEX_VERSION,
            serial: 0,
            clock: 0,
            entries: Vec::new(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct IndexEntry {
    key: String,
    /// Relative to the cache root: `""`, or the user's directory name.
    directory: PathBuf,
    filename: String,
    size: u64,
    state: IndexState,
    last_used: u64,
    #[serde(default)]
    holders: Vec<HolderRefs>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum IndexState {
    Pending,
    Complete,
}

#[derive(Debug, Serialize, Deserialize)]
struct HolderRefs {
    pid: u32,
    start_time: u64,
    references: u32,
}

enum IndexProblem {
    Corrupt(String),
    Newer(u64),
}

fn parse_index(bytes: &[u8]) -> Result<IndexFile, IndexProblem> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| IndexProblem::Corrupt(e.to_string()))?;
    match value.get("version").and_then(serde_json::Value::as_u64) {
        Some(INDEX_VERSION) => {}
        Some(v) if v > INDEX_VERSION => return Err(IndexProblem::Newer(v)),
        v => {
            return Err(IndexProblem::Corrupt(format!(
                "unsupported version {}",
                v.map(|v| v.to_string()).unwrap_or_else(|| "(none)".into())
            )))
        }
    }
    serde_json::from_value(value).map_err(|e| IndexProblem::Corrupt(e.to_string()))
}

/// The highest `"serial": N` in a damaged index's text.
fn salvage_serial(bytes: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(bytes);
    let mut best = 0;
    for (i, m) in text.match_indices("\"serial\"") {
        let Some(rest) = text[i + m.len()..].trim_start().strip_prefix(':') else {
            continue;
        };
        let digits: String = rest
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if let Ok(n) = digits.parse::<u64>() {
            best = best.max(n);
        }
    }
    best
}

/// `c<serial>-…` → serial.
fn serial_of(name: &str) -> Option<u64> {
    let (digits, _) = name.strip_prefix('c')?.split_once('-')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The index in memory while the lock is held.
struct Loaded {
    cache: FetcherCache,
    /// `(key, filename)` → live holders and their reference counts.
    holders: HashMap<(String, String), BTreeMap<Holder, u32>>,
    /// Whether the index must be written back.
    dirty: bool,
}

impl Loaded {
    fn adjust(&mut self, key: &str, filename: &str, holder: Holder, add: bool) {
        let refs = self
            .holders
            .entry((key.to_string(), filename.to_string()))
            .or_default();
        if add {
            *refs.entry(holder).or_insert(0) += 1;
        } else if let Some(n) = refs.get_mut(&holder) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                refs.remove(&holder);
            }
        }
    }

    fn to_index(&self) -> IndexFile {
        let mut entries: Vec<IndexEntry> = self
            .cache
            .entries
            .iter()
            .map(|(key, e)| IndexEntry {
                key: key.clone(),
                directory: e
                    .directory
                    .strip_prefix(&self.cache.directory)
                    .unwrap_or(&e.directory)
                    .to_path_buf(),
                filename: e.filename.clone(),
                size: e.size,
                state: match e.state {
                    State::Pending => IndexState::Pending,
                    State::Complete => IndexState::Complete,
                },
                last_used: e.last_used,
                holders: self
                    .holders
                    .get(&(key.clone(), e.filename.clone()))
                    .map(|refs| {
                        refs.iter()
                            .filter(|(_, n)| **n > 0)
                            .map(|(h, n)| HolderRefs {
                                pid: h.pid,
                                start_time: h.start_time,
                                references: *n,
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        IndexFile {
            version: INDEX_VERSION,
            serial: self.cache.serial,
            clock: self.cache.clock,
            entries,
        }
    }
}

enum Planned {
    Plan(FetchPlan),
    /// Values that now need a size probe (their entries went away since the last look).
    Missing(Vec<String>),
}

/// A handle on a fetcher cache directory shared by several processes, persisted in
/// `<dir>/index.json`. Every operation runs under an exclusive `flock` of `<dir>/.lock`
/// (with a time-out), on the index as it is on disk, and writes it back atomically.
/// References are recorded per holder process (pid and start time) and dropped once that
/// process is gone, so an entry a live process uses is never evicted. Cache file names
/// come from a serial kept in the index, so they never clash across processes. Cheap to
/// clone; holds no open file between operations. See `src/cache/shared.rs` for the
/// recovery rules.
#[derive(Debug, Clone)]
pub struct SharedFetcherCache {
    directory: PathBuf,
    capacity: u64,
    lock_timeout: Duration,
    holder: Holder,
}

impl SharedFetcherCache {
    /// A handle on the cache directory `directory` (made absolute) for this process, which
    /// keeps within `capacity` bytes when it reserves space. Touches no file: the first
    /// operation creates the directory and the lock file, loads and repairs the index, so
    /// an unusable directory only shows (as a bypass, see [`plan_fetch_shared`]) when a URI
    /// asks for the cache.
    pub fn open(directory: impl Into<PathBuf>, capacity: u64) -> Result<Self, FetchError> {
        let directory = directory.into();
        let directory = std::path::absolute(&directory)
            .map_err(|e| FetchError::io("Cannot resolve", &directory, e))?;
        Ok(Self {
            directory,
            capacity,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            holder: Holder::current(),
        })
    }

    /// How long each operation waits for the lock (default [`DEFAULT_LOCK_TIMEOUT`]).
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// Records this handle's references under `holder` instead of this process (for a
    /// supervisor planning on behalf of another process, and for tests).
    pub fn with_holder(mut self, holder: Holder) -> Self {
        self.holder = holder;
        self
    }

    pub fn holder(&self) -> Holder {
        self.holder
    }

    /// The cache root (absolute).
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    pub fn index_path(&self) -> PathBuf {
        self.directory.join(INDEX_FILE)
    }

    pub fn lock_path(&self) -> PathBuf {
        self.directory.join(LOCK_FILE)
    }

    /// `<dir>/<user>` or `<dir>`.
    pub fn user_directory(&self, user: Option<&str>) -> PathBuf {
        match user {
            Some(u) => self.directory.join(u),
            None => self.directory.clone(),
        }
    }

    /// The entries, as [`FetcherCache::entries`]; `references` counts live holders' ones.
    pub fn entries(&self) -> Result<Vec<CacheEntryInfo>, FetchError> {
        self.locked(|l| l.cache.entries())
    }

    /// Bytes reserved or held by all entries.
    pub fn used(&self) -> Result<u64, FetchError> {
        self.locked(|l| l.cache.used())
    }

    /// As [`FetcherCache::sizes_to_probe`], on the current index.
    pub fn sizes_to_probe(&self, request: &FetchRequest) -> Result<Vec<String>, FetchError> {
        self.locked(|l| l.cache.sizes_to_probe(request))
    }

    /// As [`FetcherCache::plan`], on the current index; the plan's references are recorded
    /// under this handle's holder until [`Self::finish`].
    pub fn plan(
        &self,
        request: &FetchRequest,
        sizes: &HashMap<String, Result<u64, String>>,
    ) -> Result<FetchPlan, FetchError> {
        for u in &request.uris {
            validate_request_uri(u)?;
        }
        match self.plan_or_missing(request, sizes, false)? {
            Planned::Plan(plan) => Ok(plan),
            Planned::Missing(_) => unreachable!("missing sizes are only reported on request"),
        }
    }

    fn plan_or_missing(
        &self,
        request: &FetchRequest,
        sizes: &HashMap<String, Result<u64, String>>,
        report_missing: bool,
    ) -> Result<Planned, FetchError> {
        self.locked(|l| {
            if report_missing {
                let missing: Vec<String> = l
                    .cache
                    .sizes_to_probe(request)
                    .into_iter()
                    .filter(|v| !sizes.contains_key(v))
                    .collect();
                if !missing.is_empty() {
                    return Ok(Planned::Missing(missing));
                }
            }
            let plan = l.cache.plan(request, sizes)?;
            l.dirty = true;
            for r in &plan.references {
                l.adjust(&r.key, &r.filename, self.holder, true);
            }
            Ok(Planned::Plan(plan))
        })?
    }

    /// As [`FetcherCache::finish`], on the current index: releases the plan's references
    /// and settles the entries its run downloaded. A plan with no cache references does not
    /// touch the index. On error (lock time-out, index I/O) the references stay recorded
    /// until this process ends.
    pub fn finish(&self, plan: FetchPlan, success: bool) -> Result<(), FetchError> {
        if plan.references.is_empty() {
            return Ok(());
        }
        self.locked(|l| {
            for r in &plan.references {
                l.adjust(&r.key, &r.filename, self.holder, false);
            }
            l.cache.finish(plan, success);
            l.dirty = true;
        })
    }

    /// A plan with every cached URI bypassing the cache, for when the index is unusable.
    fn bypass_plan(&self, request: &FetchRequest, reason: &str) -> Result<FetchPlan, FetchError> {
        let sizes = request
            .uris
            .iter()
            .filter(|u| u.cache())
            .map(|u| (u.value.clone(), Err(reason.to_string())))
            .collect();
        FetcherCache::new(&self.directory, 0).plan(request, &sizes)
    }

    fn open_lock_file(&self) -> Result<File, FetchError> {
        std::fs::create_dir_all(&self.directory).map_err(|source| FetchError::CacheDirectory {
            path: self.directory.clone(),
            source,
        })?;
        let path = self.lock_path();
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| FetchError::io("Cannot open the fetcher cache lock", &path, e))
    }

    fn lock(&self) -> Result<Flock<File>, FetchError> {
        let path = self.lock_path();
        let mut file = self.open_lock_file()?;
        let deadline = Instant::now() + self.lock_timeout;
        let mut pause = Duration::from_millis(2);
        loop {
            match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
                Ok(guard) => return Ok(guard),
                Err((f, Errno::EAGAIN | Errno::EINTR)) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(FetchError::CacheLockTimeout {
                            path,
                            after: self.lock_timeout,
                        });
                    }
                    std::thread::sleep(pause.min(deadline - now));
                    pause = (pause * 2).min(Duration::from_millis(50));
                    file = f;
                }
                Err((_, e)) => {
                    return Err(FetchError::io(
                        "Cannot lock the fetcher cache lock",
                        &path,
                        e.into(),
                    ))
                }
            }
        }
    }

    /// Lock, load, `op`, write back if anything changed, unlock.
    fn locked<T>(&self, op: impl FnOnce(&mut Loaded) -> T) -> Result<T, FetchError> {
        let _lock = self.lock()?;
        let mut loaded = self.load()?;
        let out = op(&mut loaded);
        if loaded.dirty {
            self.save(&loaded.to_index())?;
        }
        Ok(out)
    }

    fn load(&self) -> Result<Loaded, FetchError> {
        let path = self.index_path();
        let (index, fresh_serial) = match std::fs::read(&path) {
            Ok(bytes) => match parse_index(&bytes) {
                Ok(index) => (index, None),
                Err(IndexProblem::Newer(v)) => {
                    return Err(FetchError::CacheIndex {
                        path,
                        reason: format!("written by a newer version (format {v})"),
                    })
                }
                Err(IndexProblem::Corrupt(reason)) => {
                    let aside = self.directory.join(INDEX_CORRUPT);
                    tracing::warn!(
                        "Fetcher cache index '{}' is unreadable ({reason}); moving it to '{}' and starting with an empty cache",
                        path.display(),
                        aside.display()
                    );
                    if let Err(e) = std::fs::rename(&path, &aside) {
                        tracing::warn!("Cannot move '{}' aside: {e}", path.display());
                    }
                    (IndexFile::empty(), Some(salvage_serial(&bytes)))
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (IndexFile::empty(), Some(0)),
            Err(e) => {
                return Err(FetchError::io(
                    "Cannot read the fetcher cache index",
                    path,
                    e,
                ))
            }
        };

        let mut dirty = false;
        let mut serial = index.serial;
        let mut clock = index.clock;
        if let Some(salvaged) = fresh_serial {
            let mut found = 0;
            sweep_unvouched(&self.directory, true, &mut found);
            serial = serial.max(salvaged).max(found);
            dirty = true;
        }

        let mut liveness: HashMap<Holder, bool> = HashMap::new();
        let mut alive = |h: Holder| {
            *liveness
                .entry(h)
                .or_insert_with(|| h == self.holder || h.is_alive())
        };
        let mut cache = FetcherCache::new(&self.directory, self.capacity);
        let mut holders = HashMap::new();
        for ie in index.entries {
            if !Self::location_ok(&ie) {
                tracing::warn!(
                    "Ignoring fetcher cache index entry '{}': '{}' is not a cache file name in this cache",
                    ie.key,
                    ie.directory.join(&ie.filename).display()
                );
                dirty = true;
                continue;
            }
            if cache.entries.contains_key(&ie.key) {
                tracing::warn!(
                    "Ignoring a duplicate fetcher cache index entry '{}'",
                    ie.key
                );
                dirty = true;
                continue;
            }
            let mut live: BTreeMap<Holder, u32> = BTreeMap::new();
            for h in &ie.holders {
                let holder = Holder {
                    pid: h.pid,
                    start_time: h.start_time,
                };
                if h.references > 0 && alive(holder) {
                    *live.entry(holder).or_insert(0) += h.references;
                } else {
                    tracing::info!(
                        "Dropping {} reference(s) to fetcher cache entry '{}' of process {} which is gone",
                        h.references,
                        ie.key,
                        h.pid
                    );
                    dirty = true;
                }
            }
            let entry = Entry {
                directory: self.directory.join(&ie.directory),
                filename: ie.filename,
                size: ie.size,
                state: match ie.state {
                    IndexState::Pending => State::Pending,
                    IndexState::Complete => State::Complete,
                },
                references: live.values().sum(),
                last_used: ie.last_used,
            };
            serial = serial.max(serial_of(&entry.filename).unwrap_or(0));
            clock = clock.max(entry.last_used);
            match entry.state {
                State::Complete if !entry.path().is_file() => {
                    tracing::warn!(
                        "Fetcher cache file '{}' is missing; dropping its entry '{}'",
                        entry.path().display(),
                        ie.key
                    );
                    let _ =
                        std::fs::remove_file(entry.directory.join(".locks").join(&entry.filename));
                    dirty = true;
                    continue;
                }
                State::Pending if live.is_empty() => {
                    tracing::warn!(
                        "Dropping pending fetcher cache entry '{}': no process that referenced it is running",
                        ie.key
                    );
                    remove_abandoned(&entry);
                    dirty = true;
                    continue;
                }
                _ => {}
            }
            cache.used += entry.size;
            holders.insert((ie.key.clone(), entry.filename.clone()), live);
            cache.entries.insert(ie.key, entry);
        }
        cache.serial = serial;
        cache.clock = clock;
        Ok(Loaded {
            cache,
            holders,
            dirty,
        })
    }

    /// An entry's file must be `c<N>-…` directly in the root or in a per-user directory:
    /// a tampered index must not make us delete files elsewhere.
    fn location_ok(e: &IndexEntry) -> bool {
        let name_ok = serial_of(&e.filename).is_some() && !e.filename.contains('/');
        let mut parts = e.directory.components();
        let dir_ok = match (parts.next(), parts.next()) {
            (None, _) => true,
            (Some(std::path::Component::Normal(n)), None) => {
                n.to_str().is_some_and(|n| !n.starts_with('.'))
            }
            _ => false,
        };
        name_ok && dir_ok
    }

    fn save(&self, index: &IndexFile) -> Result<(), FetchError> {
        let path = self.index_path();
        let tmp = self.directory.join(INDEX_TEMP);
        let mut bytes = serde_json::to_vec_pretty(index).map_err(|e| FetchError::CacheIndex {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        bytes.push(b'\n');
        let write = || -> std::io::Result<()> {
            let mut f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            drop(f);
            std::fs::rename(&tmp, &path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            FetchError::io("Cannot write the fetcher cache index", &path, e)
        })?;
        // Make the rename durable; a failure here leaves a correct index in place.
        let _ = File::open(&self.directory).and_then(|d| d.sync_all());
        Ok(())
    }
}

/// Removes the files of a pending entry whose holders are all gone: the cache file, the
/// fetcher's temporary download directories for it and its lock file. Left alone while a
/// fetcher (orphaned, its parent dead) still holds the lock.
fn remove_abandoned(entry: &Entry) {
    let dir = &entry.directory;
    let lock_path = dir.join(".locks").join(&entry.filename);
    let guard = match File::open(&lock_path) {
        Ok(f) => match Flock::lock(f, FlockArg::LockExclusiveNonblock) {
            Ok(g) => Some(g),
            Err(_) => {
                tracing::info!(
                    "Fetcher cache file '{}' is still being downloaded by a running fetcher; leaving it",
                    entry.path().display()
                );
                return;
            }
        },
        Err(_) => None,
    };
    let _ = std::fs::remove_file(entry.path());
    if let Ok(rd) = std::fs::read_dir(dir) {
        for d in rd.flatten() {
            let is_download = d
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(".download-"));
            if is_download && std::fs::symlink_metadata(d.path().join(&entry.filename)).is_ok() {
                let _ = std::fs::remove_dir_all(d.path());
            }
        }
    }
    if guard.is_some() {
        let _ = std::fs::remove_file(&lock_path);
    }
}

/// With no usable index: removes every cache file (`c<N>-…`) in `dir` and, at the root, in
/// the per-user directories, and raises `max` to the highest serial any name there uses
/// (`.locks/` and `.download-*/` included, whose files are left to their fetchers).
fn sweep_unvouched(dir: &Path, root: bool, max: &mut u64) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let Ok(file_type) = e.file_type() else {
            continue;
        };
        let path = e.path();
        if file_type.is_dir() {
            if name == ".locks" || name.starts_with(".download-") {
                if let Ok(inner) = std::fs::read_dir(&path) {
                    for f in inner.flatten() {
                        if let Some(n) = f.file_name().to_str().and_then(serial_of) {
                            *max = (*max).max(n);
                        }
                    }
                }
            } else if root && !name.starts_with('.') {
                sweep_unvouched(&path, false, max);
            }
            continue;
        }
        if let Some(n) = serial_of(name) {
            *max = (*max).max(n);
            tracing::warn!(
                "Removing fetcher cache file '{}' that no index vouches for",
                path.display()
            );
            let _ = std::fs::remove_file(&path);
            let _ = std::fs::remove_file(dir.join(".locks").join(name));
        }
    }
}

async fn blocking<T: Send + 'static>(
    cache: &SharedFetcherCache,
    f: impl FnOnce() -> Result<T, FetchError> + Send + 'static,
) -> Result<T, FetchError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        FetchError::io(
            "Fetcher cache task failed for",
            cache.directory.clone(),
            std::io::Error::other(e),
        )
    })?
}

/// [`super::plan_fetch`] for the shared cache: validates the request (`Err` only for an
/// invalid request), probes the sizes outside the lock and plans. If the cache itself is
/// unusable (lock time-out, unreadable or unwritable index), every URI bypasses it, with a
/// warning in [`FetchPlan::warnings`]. A request with no cached URI does not touch the
/// index at all.
pub async fn plan_fetch_shared(
    cache: &SharedFetcherCache,
    http: &HttpClient,
    request: &FetchRequest,
) -> Result<FetchPlan, FetchError> {
    for u in &request.uris {
        validate_request_uri(u)?;
    }
    if !request.uris.iter().any(|u| u.cache()) {
        return FetcherCache::new(&cache.directory, 0).plan(request, &HashMap::new());
    }
    match probe_and_plan(cache, http, request).await {
        Ok(plan) => Ok(plan),
        Err(e) => cache.bypass_plan(request, &format!("The fetcher cache is unavailable: {e}")),
    }
}

async fn probe_and_plan(
    cache: &SharedFetcherCache,
    http: &HttpClient,
    request: &FetchRequest,
) -> Result<FetchPlan, FetchError> {
    let (c, r) = (cache.clone(), request.clone());
    let mut to_probe = blocking(cache, move || c.sizes_to_probe(&r)).await?;
    let mut sizes = HashMap::new();
    let mut round = 1;
    loop {
        for value in to_probe {
            let size = probe_size(http, &value, request.frameworks_home.as_deref())
                .await
                .map_err(|e| e.to_string());
            sizes.insert(value, size);
        }
        // Another process may have evicted an entry since the look: probe those too, a
        // few rounds at most (then they bypass the cache).
        let report_missing = round < PROBE_ROUNDS;
        let (c, r, s) = (cache.clone(), request.clone(), sizes.clone());
        match blocking(cache, move || c.plan_or_missing(&r, &s, report_missing)).await? {
            Planned::Plan(plan) => return Ok(plan),
            Planned::Missing(missing) => {
                to_probe = missing;
                round += 1;
            }
        }
    }
}

/// [`SharedFetcherCache::finish`] off the async threads.
pub async fn finish_shared(
    cache: &SharedFetcherCache,
    plan: FetchPlan,
    success: bool,
) -> Result<(), FetchError> {
    if plan.references.is_empty() {
        return Ok(());
    }
    let c = cache.clone();
    blocking(cache, move || c.finish(plan, success)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_read_from_cache_names_only() {
        assert_eq!(serial_of("c12-app.tgz"), Some(12));
        assert_eq!(serial_of("c3-"), Some(3));
        assert_eq!(serial_of("c-x"), None);
        assert_eq!(serial_of("cx1-x"), None);
        assert_eq!(serial_of("index.json"), None);
        assert_eq!(serial_of(".lock"), None);
    }

    #[test]
    fn a_damaged_index_still_yields_its_serial() {
        assert_eq!(
            salvage_serial(br#"{"version":1, "serial" : 41, "clock": 9, "entries": [{"#),
            41
        );
        assert_eq!(salvage_serial(b"\xff\xfe garbage"), 0);
    }

    #[test]
    fn this_process_is_alive_and_a_reused_pid_is_not() {
        let me = Holder::current();
        assert!(me.start_time > 0);
        assert!(me.is_alive());
        assert_eq!(Holder::of_pid(me.pid), Some(me));
        let impostor = Holder {
            start_time: me.start_time + 1,
            ..me
        };
        assert!(!impostor.is_alive());
    }
}
