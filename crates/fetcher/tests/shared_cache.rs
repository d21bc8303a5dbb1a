//! The cross-process fetcher cache (`SharedFetcherCache`): several handles on one directory
//! act as several processes; the real-binary tests run real child processes (this test
//! binary re-executed) that plan, run `mesos-fetcher` and finish through the shared cache.
mod common;
use common::*;
use fetcher::cache::{
    finish_shared, plan_fetch_shared, Holder, SharedFetcherCache, DEFAULT_STALL_TIMEOUT,
    INDEX_FILE, LOCK_FILE,
};
use fetcher::{FetchAction, FetchError, FetchPlan, FetchRequest, FetcherUri};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn request(values: &[&str], sandbox: &Path) -> FetchRequest {
    FetchRequest {
        uris: values
            .iter()
            .map(|v| {
                let mut u = FetcherUri::new(*v);
                u.cache = Some(true);
                u.extract = Some(false);
                u
            })
            .collect(),
        sandbox_directory: sandbox.to_path_buf(),
        user: None,
        frameworks_home: None,
        stall_timeout: DEFAULT_STALL_TIMEOUT,
    }
}

fn sizes(pairs: &[(&str, u64)]) -> HashMap<String, Result<u64, String>> {
    pairs.iter().map(|(k, v)| (k.to_string(), Ok(*v))).collect()
}

fn actions(plan: &FetchPlan) -> Vec<FetchAction> {
    plan.info.items.iter().map(|i| i.action).collect()
}

fn filename(plan: &FetchPlan, i: usize) -> String {
    plan.info.items[i].cache_filename.clone().unwrap()
}

/// What the fetcher does for DOWNLOAD_AND_CACHE items: puts `size` bytes in place.
fn download(plan: &FetchPlan, size: usize) {
    let dir = PathBuf::from(plan.info.cache_directory.as_ref().unwrap());
    std::fs::create_dir_all(&dir).unwrap();
    for item in &plan.info.items {
        if item.action == FetchAction::DownloadAndCache {
            std::fs::write(
                dir.join(item.cache_filename.as_ref().unwrap()),
                vec![7u8; size],
            )
            .unwrap();
        }
    }
}

fn keys(cache: &SharedFetcherCache) -> Vec<String> {
    cache
        .entries()
        .unwrap()
        .into_iter()
        .map(|e| e.key)
        .collect()
}

fn index(cache: &SharedFetcherCache) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(cache.index_path()).unwrap()).unwrap()
}

/// A pid that certainly belonged to a process that is gone: `true`, spawned and reaped.
fn dead_holder() -> Holder {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    Holder { pid, start_time: 0 }
}

#[test]
fn a_second_process_retrieves_what_the_first_completed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    let first = SharedFetcherCache::open(&dir, 1000).unwrap();
    let second = SharedFetcherCache::open(&dir, 1000).unwrap();
    let req = request(&["http://h/app.tgz"], tmp.path());

    assert_eq!(
        first.sizes_to_probe(&req).unwrap(),
        vec!["http://h/app.tgz".to_string()]
    );
    let plan = first
        .plan(&req, &sizes(&[("http://h/app.tgz", 10)]))
        .unwrap();
    assert_eq!(actions(&plan), vec![FetchAction::DownloadAndCache]);
    let name = filename(&plan, 0);
    assert_eq!(name, "c1-app.tgz");
    // While the first run downloads, the second is told to download into the same file
    // (the fetcher's per-file lock makes it wait for the first download).
    let waiting = second.plan(&req, &HashMap::new()).unwrap();
    assert_eq!(actions(&waiting), vec![FetchAction::DownloadAndCache]);
    assert_eq!(filename(&waiting, 0), name);
    assert_eq!(first.entries().unwrap()[0].references, 2);

    download(&plan, 8);
    first.finish(plan, true).unwrap();
    second.finish(waiting, true).unwrap();
    let e = &second.entries().unwrap()[0];
    assert!(e.complete);
    assert_eq!((e.size, e.references), (8, 0));
    assert_eq!(second.used().unwrap(), 8);

    // A third process: a hit, nothing to probe, same file.
    let third = SharedFetcherCache::open(&dir, 1000).unwrap();
    assert!(third.sizes_to_probe(&req).unwrap().is_empty());
    let hit = third.plan(&req, &HashMap::new()).unwrap();
    assert_eq!(actions(&hit), vec![FetchAction::RetrieveFromCache]);
    assert_eq!(filename(&hit, 0), name);
    third.finish(hit, true).unwrap();

    let idx = index(&third);
    assert_eq!(idx["version"], 1);
    assert_eq!(idx["serial"], 1);
    let entry = &idx["entries"][0];
    assert_eq!(entry["key"], "http://h/app.tgz");
    assert_eq!(entry["directory"], "", "relative to the cache root");
    assert_eq!(entry["filename"], name.as_str());
    assert_eq!(entry["state"], "complete");
    assert_eq!(entry["size"], 8);
    assert_eq!(entry["holders"], serde_json::json!([]));
    assert!(dir.join(LOCK_FILE).is_file());
}

#[test]
fn file_names_never_collide_across_processes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    let sandbox = tmp.path().to_path_buf();
    // Eight "processes" planning at once, each a different URI with one basename.
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let (dir, sandbox) = (dir.clone(), sandbox.clone());
            std::thread::spawn(move || {
                let cache = SharedFetcherCache::open(&dir, 1000).unwrap();
                let value = format!("http://h{i}/tool.tgz");
                let plan = cache
                    .plan(&request(&[&value], &sandbox), &sizes(&[(&value, 10)]))
                    .unwrap();
                assert_eq!(actions(&plan), vec![FetchAction::DownloadAndCache]);
                let name = filename(&plan, 0);
                cache.finish(plan, false).unwrap();
                name
            })
        })
        .collect();
    let names: HashSet<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(names.len(), 8, "{names:?}");
    let expected: HashSet<String> = (1..=8).map(|n| format!("c{n}-tool.tgz")).collect();
    assert_eq!(names, expected);

    // All those entries failed and are gone; the serial is not reused.
    let cache = SharedFetcherCache::open(&dir, 1000).unwrap();
    assert!(cache.entries().unwrap().is_empty());
    // A stray file under the next name (say, from an older agent) is skipped, not trusted.
    std::fs::write(dir.join("c9-tool.tgz"), b"stale").unwrap();
    let req = request(&["http://other/tool.tgz"], &sandbox);
    let plan = cache
        .plan(&req, &sizes(&[("http://other/tool.tgz", 10)]))
        .unwrap();
    assert_eq!(filename(&plan, 0), "c10-tool.tgz");
    cache.finish(plan, false).unwrap();
    assert_eq!(index(&cache)["serial"], 10);
    assert_eq!(
        std::fs::read(dir.join("c9-tool.tgz")).unwrap(),
        b"stale",
        "files the index does not know are left alone"
    );
}

#[test]
fn references_of_a_dead_process_are_dropped_on_load() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    let live = SharedFetcherCache::open(&dir, 20).unwrap();
    let ghost = SharedFetcherCache::open(&dir, 20)
        .unwrap()
        .with_holder(dead_holder());

    // A complete entry, then referenced by the ghost (a retrieval that never finished).
    let done = request(&["http://h/done"], tmp.path());
    let plan = live.plan(&done, &sizes(&[("http://h/done", 10)])).unwrap();
    download(&plan, 10);
    live.finish(plan, true).unwrap();
    let held = ghost.plan(&done, &HashMap::new()).unwrap();
    assert_eq!(actions(&held), vec![FetchAction::RetrieveFromCache]);

    // A pending entry only the ghost references, with what a killed download leaves: the
    // final file, a temporary download directory and the per-file lock.
    let pending = request(&["http://h/partial"], tmp.path());
    let plan = ghost
        .plan(&pending, &sizes(&[("http://h/partial", 10)]))
        .unwrap();
    let name = filename(&plan, 0);
    std::fs::write(dir.join(&name), b"half").unwrap();
    std::fs::create_dir_all(dir.join(".download-XYZ")).unwrap();
    std::fs::write(dir.join(".download-XYZ").join(&name), b"half").unwrap();
    std::fs::create_dir_all(dir.join(".locks")).unwrap();
    std::fs::write(dir.join(".locks").join(&name), b"").unwrap();
    std::mem::forget((held, plan));

    // The raw index still names the ghost.
    let raw = index(&live);
    let pids: Vec<u64> = raw["entries"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["holders"].as_array().unwrap().clone())
        .map(|h| h["pid"].as_u64().unwrap())
        .collect();
    assert_eq!(pids, vec![ghost.holder().pid as u64; 2]);

    // Any live process's next operation drops the ghost's references.
    let entries = live.entries().unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].key, "http://h/done");
    assert_eq!(entries[0].references, 0);
    assert!(!dir.join(&name).exists());
    assert!(!dir.join(".download-XYZ").exists());
    assert!(!dir.join(".locks").join(&name).exists());
    assert_eq!(index(&live)["entries"][0]["holders"], serde_json::json!([]));
    assert_eq!(live.used().unwrap(), 10);

    // Unreferenced now, so it can be evicted.
    let big = request(&["http://h/big"], tmp.path());
    let plan = live.plan(&big, &sizes(&[("http://h/big", 20)])).unwrap();
    assert_eq!(actions(&plan), vec![FetchAction::DownloadAndCache]);
    live.finish(plan, false).unwrap();
    assert!(live.entries().unwrap().is_empty());
}

#[test]
fn a_pid_reused_by_another_process_does_not_hold_references() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    let me = Holder::current();
    let impostor = SharedFetcherCache::open(&dir, 100)
        .unwrap()
        .with_holder(Holder {
            start_time: me.start_time + 1,
            ..me
        });
    let plan = impostor
        .plan(
            &request(&["http://h/x"], tmp.path()),
            &sizes(&[("http://h/x", 1)]),
        )
        .unwrap();
    std::mem::forget(plan);
    let live = SharedFetcherCache::open(&dir, 100).unwrap();
    assert!(live.entries().unwrap().is_empty());
}

#[test]
fn a_pending_entry_an_orphaned_fetcher_still_downloads_keeps_its_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    let ghost = SharedFetcherCache::open(&dir, 100)
        .unwrap()
        .with_holder(dead_holder());
    let plan = ghost
        .plan(
            &request(&["http://h/slow"], tmp.path()),
            &sizes(&[("http://h/slow", 10)]),
        )
        .unwrap();
    let name = filename(&plan, 0);
    std::mem::forget(plan);
    // The fetcher child outlived its parent and is still downloading under its lock.
    std::fs::create_dir_all(dir.join(".locks")).unwrap();
    std::fs::create_dir_all(dir.join(".download-ABC")).unwrap();
    std::fs::write(dir.join(".download-ABC").join(&name), b"part").unwrap();
    let lock = std::fs::File::create(dir.join(".locks").join(&name)).unwrap();
    let lock = nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusive).unwrap();

    let live = SharedFetcherCache::open(&dir, 100).unwrap();
    assert!(live.entries().unwrap().is_empty(), "the entry is dropped");
    assert!(
        dir.join(".download-ABC").join(&name).exists(),
        "its files are not"
    );
    drop(lock);
    // Its name is never handed out again.
    let plan = live
        .plan(
            &request(&["http://h/slow"], tmp.path()),
            &sizes(&[("http://h/slow", 10)]),
        )
        .unwrap();
    assert_ne!(filename(&plan, 0), name);
    live.finish(plan, false).unwrap();
}

#[test]
fn a_corrupt_index_is_moved_aside_and_unvouched_files_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    let cache = SharedFetcherCache::open(&dir, 1000).unwrap();
    let req = request(&["http://h/a.txt"], tmp.path());
    let plan = cache.plan(&req, &sizes(&[("http://h/a.txt", 4)])).unwrap();
    download(&plan, 4);
    cache.finish(plan, true).unwrap();
    assert!(dir.join("c1-a.txt").is_file());

    // Truncated mid-write by something outside our control; a user directory holds a file
    // of a higher serial.
    let garbage = br#"{"version": 1, "serial": 7, "clock": 3, "entries": [{"key": "#;
    std::fs::write(dir.join(INDEX_FILE), garbage).unwrap();
    std::fs::create_dir_all(dir.join("alice/.locks")).unwrap();
    std::fs::write(dir.join("alice/c9-b.txt"), b"?").unwrap();
    std::fs::write(dir.join("alice/.locks/c11-c.txt"), b"").unwrap();
    std::fs::write(dir.join("notes.txt"), b"not a cache file").unwrap();

    assert!(cache.entries().unwrap().is_empty());
    assert_eq!(
        std::fs::read(dir.join("index.json.corrupt")).unwrap(),
        garbage
    );
    assert!(!dir.join("c1-a.txt").exists());
    assert!(!dir.join("alice/c9-b.txt").exists());
    assert!(dir.join("notes.txt").exists(), "only cache file names go");
    assert_eq!(index(&cache)["entries"], serde_json::json!([]));

    // A fresh download under a name above every serial seen.
    let plan = cache.plan(&req, &sizes(&[("http://h/a.txt", 4)])).unwrap();
    assert_eq!(actions(&plan), vec![FetchAction::DownloadAndCache]);
    assert_eq!(filename(&plan, 0), "c12-a.txt");
    download(&plan, 4);
    cache.finish(plan, true).unwrap();

    // Valid JSON of an unknown shape is corrupt too; a newer format is refused, untouched.
    std::fs::write(dir.join(INDEX_FILE), br#"{"version": 1, "serial": "x"}"#).unwrap();
    assert!(cache.entries().unwrap().is_empty());
    std::fs::write(dir.join(INDEX_FILE), br#"{"version": 99}"#).unwrap();
    let err = cache.entries().unwrap_err();
    assert!(matches!(err, FetchError::CacheIndex { .. }), "{err}");
    assert_eq!(
        std::fs::read(dir.join(INDEX_FILE)).unwrap(),
        br#"{"version": 99}"#
    );
}

#[test]
fn a_complete_entry_whose_file_is_gone_is_dropped_on_load() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    let cache = SharedFetcherCache::open(&dir, 1000).unwrap();
    let req = request(&["http://h/a"], tmp.path());
    let plan = cache.plan(&req, &sizes(&[("http://h/a", 4)])).unwrap();
    download(&plan, 4);
    let name = filename(&plan, 0);
    cache.finish(plan, true).unwrap();
    std::fs::remove_file(dir.join(&name)).unwrap();
    assert!(cache.entries().unwrap().is_empty());
    assert_eq!(cache.used().unwrap(), 0);
}

#[test]
fn eviction_skips_entries_a_live_process_references() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    let a = SharedFetcherCache::open(&dir, 20).unwrap();
    let b = SharedFetcherCache::open(&dir, 20).unwrap();
    let req = |v: &str| request(&[v], tmp.path());
    for v in ["http://h/cmd0", "http://h/cmd1"] {
        let plan = a.plan(&req(v), &sizes(&[(v, 10)])).unwrap();
        download(&plan, 10);
        a.finish(plan, true).unwrap();
    }
    // cmd1 is now the least recently used, but process b is retrieving it.
    let touch = a.plan(&req("http://h/cmd0"), &HashMap::new()).unwrap();
    a.finish(touch, true).unwrap();
    let held = b.plan(&req("http://h/cmd1"), &HashMap::new()).unwrap();
    assert_eq!(actions(&held), vec![FetchAction::RetrieveFromCache]);

    let plan = a
        .plan(&req("http://h/cmd2"), &sizes(&[("http://h/cmd2", 10)]))
        .unwrap();
    assert_eq!(actions(&plan), vec![FetchAction::DownloadAndCache]);
    assert_eq!(keys(&a), vec!["http://h/cmd1", "http://h/cmd2"]);
    assert!(!dir.join("c1-cmd0").exists(), "the evicted file is deleted");
    assert!(dir.join("c2-cmd1").exists());

    // cmd1 referenced by b, cmd2 pending in a: nothing can be evicted.
    let other = b
        .plan(&req("http://h/cmd3"), &sizes(&[("http://h/cmd3", 5)]))
        .unwrap();
    assert_eq!(actions(&other), vec![FetchAction::BypassCache]);
    assert_eq!(other.warnings.len(), 1);
    b.finish(other, true).unwrap();
    download(&plan, 10);
    a.finish(plan, true).unwrap();

    // Once b lets go, cmd1 is the LRU victim.
    b.finish(held, true).unwrap();
    let plan = b
        .plan(&req("http://h/cmd3"), &sizes(&[("http://h/cmd3", 5)]))
        .unwrap();
    assert_eq!(actions(&plan), vec![FetchAction::DownloadAndCache]);
    assert_eq!(keys(&b), vec!["http://h/cmd2", "http://h/cmd3"]);
    b.finish(plan, false).unwrap();
}

#[test]
fn a_held_lock_times_out_naming_the_lock_file_and_the_fetch_bypasses_the_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    let cache = SharedFetcherCache::open(&dir, 1000)
        .unwrap()
        .with_lock_timeout(Duration::from_millis(300));
    std::fs::create_dir_all(&dir).unwrap();
    let file = std::fs::File::create(cache.lock_path()).unwrap();
    let guard = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive).unwrap();

    let started = std::time::Instant::now();
    let err = cache.entries().unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(matches!(err, FetchError::CacheLockTimeout { .. }), "{err}");
    assert!(
        err.to_string()
            .contains(&cache.lock_path().display().to_string()),
        "{err}"
    );

    let src = tmp.path().join("local.conf");
    std::fs::write(&src, b"x").unwrap();
    let value = src.display().to_string();
    let mut req = request(&[&value], tmp.path());
    let mut plain = FetcherUri::new("http://h/plain");
    plain.cache = Some(false);
    req.uris.push(plain);
    let rt = runtime();
    let http = fetcher::HttpClient::new().unwrap();
    let plan = rt.block_on(plan_fetch_shared(&cache, &http, &req)).unwrap();
    assert_eq!(
        actions(&plan),
        vec![FetchAction::BypassCache, FetchAction::BypassCache]
    );
    assert_eq!(plan.warnings.len(), 1);
    assert!(plan.warnings[0].contains(LOCK_FILE), "{:?}", plan.warnings);
    rt.block_on(finish_shared(&cache, plan, true)).unwrap();

    // An invalid request is still an error.
    let mut bad = FetcherUri::new("http://h/x");
    bad.output_file = Some("/abs".into());
    let mut req = request(&[], tmp.path());
    req.uris.push(bad);
    assert!(rt.block_on(plan_fetch_shared(&cache, &http, &req)).is_err());
    drop(guard);
    assert!(cache.entries().unwrap().is_empty());
}

#[test]
fn plan_fetch_shared_probes_a_local_file_and_retrieves_it_next_time() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    let src = tmp.path().join("tool.sh");
    std::fs::write(&src, b"#!/bin/sh\n").unwrap();
    let value = src.display().to_string();
    let rt = runtime();
    let http = fetcher::HttpClient::new().unwrap();
    let cache = SharedFetcherCache::open(&dir, 1000).unwrap();
    let req = request(&[&value], tmp.path());
    let plan = rt.block_on(plan_fetch_shared(&cache, &http, &req)).unwrap();
    assert_eq!(actions(&plan), vec![FetchAction::DownloadAndCache]);
    assert_eq!(cache.entries().unwrap()[0].size, 10, "the probed size");
    download(&plan, 10);
    rt.block_on(finish_shared(&cache, plan, true)).unwrap();
    let other = SharedFetcherCache::open(&dir, 1000).unwrap();
    let plan = rt.block_on(plan_fetch_shared(&other, &http, &req)).unwrap();
    assert_eq!(actions(&plan), vec![FetchAction::RetrieveFromCache]);
    rt.block_on(finish_shared(&other, plan, true)).unwrap();

    // A request with no cached URI never touches the cache directory.
    let fresh = tmp.path().join("untouched");
    let none = SharedFetcherCache::open(&fresh, 1000).unwrap();
    let mut req = request(&[&value], tmp.path());
    req.uris[0].cache = None;
    let plan = rt.block_on(plan_fetch_shared(&none, &http, &req)).unwrap();
    assert_eq!(actions(&plan), vec![FetchAction::BypassCache]);
    assert_eq!(
        plan.info.cache_directory.as_deref(),
        Some(none.directory().to_str().unwrap())
    );
    rt.block_on(finish_shared(&none, plan, true)).unwrap();
    assert!(!fresh.exists());
}

#[test]
fn an_unusable_cache_directory_makes_cached_uris_bypass() {
    let tmp = tempfile::tempdir().unwrap();
    let not_a_dir = tmp.path().join("file");
    std::fs::write(&not_a_dir, b"").unwrap();
    let src = tmp.path().join("a.conf");
    std::fs::write(&src, b"x").unwrap();
    let value = src.display().to_string();
    let cache = SharedFetcherCache::open(not_a_dir.join("cache"), 1000).unwrap();
    let rt = runtime();
    let http = fetcher::HttpClient::new().unwrap();
    let plan = rt
        .block_on(plan_fetch_shared(
            &cache,
            &http,
            &request(&[&value], tmp.path()),
        ))
        .unwrap();
    assert_eq!(actions(&plan), vec![FetchAction::BypassCache]);
    assert!(
        plan.warnings[0].contains("Could not create the fetcher cache directory"),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn an_index_entry_pointing_outside_the_cache_is_dropped_without_touching_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    std::fs::create_dir_all(&dir).unwrap();
    let victim = tmp.path().join("c1-victim");
    std::fs::write(&victim, b"precious").unwrap();
    let index = serde_json::json!({
        "version": 1, "serial": 1, "clock": 1,
        "entries": [
            {"key": "k1", "directory": "..", "filename": "c1-victim", "size": 1,
             "state": "pending", "last_used": 1, "holders": []},
            {"key": "k2", "directory": tmp.path(), "filename": "c1-victim", "size": 1,
             "state": "pending", "last_used": 1, "holders": []},
            {"key": "k3", "directory": "", "filename": "../c1-victim", "size": 1,
             "state": "pending", "last_used": 1, "holders": []},
        ]
    });
    std::fs::write(dir.join(INDEX_FILE), index.to_string()).unwrap();
    let cache = SharedFetcherCache::open(&dir, 1000).unwrap();
    assert!(cache.entries().unwrap().is_empty());
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

// ---- Real processes running the real fetcher ----

const CHILD_ENV: &str = "SHARED_CACHE_TEST_CHILD";

/// Runs in a child process (this test binary, re-executed with a filter) when
/// `SHARED_CACHE_TEST_CHILD` is set: what `mesos-docker-containerizer run` does to fetch,
/// through the shared cache. `SC_MODE=crash` exits right after planning.
#[test]
fn child_process() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let var = |k: &str| std::env::var(k).unwrap();
    let urls = var("SC_URLS");
    let values: Vec<&str> = urls.split(' ').collect();
    let sandbox = PathBuf::from(var("SC_SANDBOX"));
    let rt = runtime();
    let cache = SharedFetcherCache::open(var("SC_DIR"), 1 << 30).unwrap();
    let http = fetcher::HttpClient::new().unwrap();
    let plan = rt
        .block_on(plan_fetch_shared(
            &cache,
            &http,
            &request(&values, &sandbox),
        ))
        .unwrap();
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    for item in &plan.info.items {
        println!(
            "ITEM {:?} {}",
            item.action,
            item.cache_filename.clone().unwrap_or_default()
        );
    }
    if var("SC_MODE") == "crash" {
        std::process::exit(0);
    }
    let binary = fetcher::FetcherBinary {
        path: PathBuf::from(env!("CARGO_BIN_EXE_mesos-fetcher")),
        hadoop_home: None,
        disk_budget: None,
    };
    let info = plan.info.clone();
    let result = rt.block_on(binary.run(&info));
    rt.block_on(finish_shared(&cache, plan, result.is_ok()))
        .unwrap();
    result.unwrap();
}

fn spawn_child(dir: &Path, sandbox: &Path, urls: &[String], mode: &str) -> std::process::Child {
    std::fs::create_dir_all(sandbox).unwrap();
    Command::new(std::env::current_exe().unwrap())
        .args([
            "child_process",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .env("SC_DIR", dir)
        .env("SC_SANDBOX", sandbox)
        .env("SC_URLS", urls.join(" "))
        .env("SC_MODE", mode)
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env_remove("HTTPS_PROXY")
        .env_remove("all_proxy")
        .env_remove("ALL_PROXY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The child's `(action, cache file)` per item.
fn wait_child(child: std::process::Child) -> Vec<(String, String)> {
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let items: Vec<(String, String)> = stdout
        .lines()
        // libtest prints `test child_process ... ` before the first line.
        .filter_map(|l| l.find("ITEM ").map(|i| &l[i + 5..]))
        .map(|l| {
            let (a, f) = l.split_once(' ').unwrap();
            (a.to_string(), f.to_string())
        })
        .collect();
    assert!(!items.is_empty(), "the child did not run:\n{stdout}");
    items
}

fn run_child(dir: &Path, sandbox: &Path, urls: &[String], mode: &str) -> Vec<(String, String)> {
    wait_child(spawn_child(dir, sandbox, urls, mode))
}

#[test]
fn the_real_fetcher_in_a_second_process_hits_the_cache_without_a_request() {
    let d = Dirs::new();
    d.write_src("app.conf", b"cached content");
    let srv = Server::start(&d.src);
    let url = srv.url("/files/app.conf");
    let sandbox = |n: &str| d.sandbox.join(n);

    let first = run_child(&d.cache, &sandbox("one"), std::slice::from_ref(&url), "run");
    assert_eq!(
        first,
        vec![("DownloadAndCache".into(), "c1-app.conf".into())]
    );
    assert_eq!(srv.hits("/files/app.conf"), 2, "one HEAD, one GET");
    assert_eq!(
        std::fs::read(sandbox("one").join("app.conf")).unwrap(),
        b"cached content"
    );

    let second = run_child(&d.cache, &sandbox("two"), std::slice::from_ref(&url), "run");
    assert_eq!(
        second,
        vec![("RetrieveFromCache".into(), "c1-app.conf".into())]
    );
    assert_eq!(
        srv.hits("/files/app.conf"),
        2,
        "a cache hit makes no request"
    );
    assert_eq!(
        std::fs::read(sandbox("two").join("app.conf")).unwrap(),
        b"cached content"
    );

    let cache = SharedFetcherCache::open(&d.cache, 1 << 30).unwrap();
    let entries = cache.entries().unwrap();
    assert_eq!(entries.len(), 1);
    assert!(entries[0].complete);
    assert_eq!((entries[0].size, entries[0].references), (14, 0));
}

#[test]
fn concurrent_real_processes_share_one_directory_without_clashes() {
    let d = Dirs::new();
    let body: Vec<u8> = (0..500_000u32).map(|i| (i % 251) as u8).collect();
    d.write_src("shared.bin", &body);
    for i in 0..4 {
        d.write_src(&format!("own{i}.bin"), format!("own {i}").as_bytes());
    }
    let srv = Server::start(&d.src);
    let shared = srv.url("/files/shared.bin");
    let children: Vec<_> = (0..4)
        .map(|i| {
            let urls = vec![srv.url(&format!("/files/own{i}.bin")), shared.clone()];
            spawn_child(&d.cache, &d.sandbox.join(format!("s{i}")), &urls, "run")
        })
        .collect();
    let mut names: HashMap<String, HashSet<String>> = HashMap::new();
    for (i, child) in children.into_iter().enumerate() {
        let items = wait_child(child);
        assert_eq!(items.len(), 2);
        names
            .entry(format!("own{i}"))
            .or_default()
            .insert(items[0].1.clone());
        names
            .entry("shared".into())
            .or_default()
            .insert(items[1].1.clone());
        let sb = d.sandbox.join(format!("s{i}"));
        assert_eq!(
            std::fs::read(sb.join(format!("own{i}.bin"))).unwrap(),
            format!("own {i}").as_bytes()
        );
        assert_eq!(std::fs::read(sb.join("shared.bin")).unwrap(), body);
    }
    // One cache file per URI, all different.
    assert!(names.values().all(|n| n.len() == 1), "{names:?}");
    let all: HashSet<&String> = names.values().flatten().collect();
    assert_eq!(all.len(), 5, "{names:?}");
    // Each own file: one HEAD, one GET. The shared one is downloaded once (a HEAD from each
    // process that found no entry yet).
    for i in 0..4 {
        assert_eq!(srv.hits(&format!("/files/own{i}.bin")), 2);
    }
    assert!(srv.hits("/files/shared.bin") <= 5);

    let cache = SharedFetcherCache::open(&d.cache, 1 << 30).unwrap();
    let entries = cache.entries().unwrap();
    assert_eq!(entries.len(), 5);
    assert!(entries.iter().all(|e| e.complete && e.references == 0));
    assert_eq!(
        cache.used().unwrap(),
        body.len() as u64 + 4 * "own 0".len() as u64
    );
}

#[test]
fn a_process_that_dies_before_finishing_leaves_nothing_behind() {
    let d = Dirs::new();
    d.write_src("a.bin", b"abc");
    let srv = Server::start(&d.src);
    let url = srv.url("/files/a.bin");
    let crashed = run_child(
        &d.cache,
        &d.sandbox.join("x"),
        std::slice::from_ref(&url),
        "crash",
    );
    assert_eq!(crashed[0].0, "DownloadAndCache");
    // Its pending entry is in the index until someone loads it.
    let raw: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.cache.join(INDEX_FILE)).unwrap()).unwrap();
    assert_eq!(raw["entries"][0]["state"], "pending");

    let cache = SharedFetcherCache::open(&d.cache, 1 << 30).unwrap();
    assert!(cache.entries().unwrap().is_empty());
    // The next run downloads under a new name.
    let next = run_child(
        &d.cache,
        &d.sandbox.join("y"),
        std::slice::from_ref(&url),
        "run",
    );
    assert_eq!(next, vec![("DownloadAndCache".into(), "c2-a.bin".into())]);
}
