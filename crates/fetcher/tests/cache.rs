//! Cache actions: miss (download and cache), hit (retrieve; a hard link), bypass, a missing
//! cache file, and concurrent fetcher processes filling one cache entry.
mod common;
use common::*;
use serde_json::json;
use std::os::unix::fs::MetadataExt;

#[test]
fn miss_then_hit_then_bypass() {
    let d = Dirs::new();
    d.write_src("app.conf", b"cached content");
    let srv = Server::start(&d.src);
    let url = srv.url("/files/app.conf");

    // Miss: downloaded into the cache, then linked into the sandbox.
    let out = run_fetcher(&d.info(vec![cache_item(
        "DOWNLOAD_AND_CACHE",
        &url,
        "c1-app.conf",
        json!({}),
    )]));
    assert_ok(&out);
    let cached = d.cache.join("c1-app.conf");
    assert_eq!(std::fs::read(&cached).unwrap(), b"cached content");
    assert_eq!(
        std::fs::read(d.sandbox.join("app.conf")).unwrap(),
        b"cached content"
    );
    assert!(stderr(&out).contains(&format!("Fetching URI '{url}' from cache")));
    assert_eq!(srv.hits("/files/app.conf"), 1);
    // Cache files are read-only so a sandbox link cannot corrupt them.
    assert_eq!(mode(&cached) & 0o222, 0);
    let leftovers: Vec<_> = std::fs::read_dir(&d.cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "c1-app.conf" && n != ".locks")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Hit in another sandbox: no request, same inode (a hard link).
    let d2 = Dirs::new();
    let mut info = d2.info(vec![cache_item(
        "RETRIEVE_FROM_CACHE",
        &url,
        "c1-app.conf",
        json!({"output_file": "conf/app.conf"}),
    )]);
    info["cache_directory"] = json!(d.cache);
    let out = run_fetcher(&info);
    assert_ok(&out);
    let placed = d2.sandbox.join("conf/app.conf");
    assert_eq!(std::fs::read(&placed).unwrap(), b"cached content");
    assert_eq!(
        srv.hits("/files/app.conf"),
        1,
        "a cache hit makes no request"
    );
    assert_eq!(
        std::fs::metadata(&placed).unwrap().ino(),
        std::fs::metadata(&cached).unwrap().ino()
    );

    // Executable from the cache: a copy, chmodded; the cache file is untouched.
    let d3 = Dirs::new();
    let mut info = d3.info(vec![cache_item(
        "RETRIEVE_FROM_CACHE",
        &url,
        "c1-app.conf",
        json!({"executable": true}),
    )]);
    info["cache_directory"] = json!(d.cache);
    assert_ok(&run_fetcher(&info));
    let exe = d3.sandbox.join("app.conf");
    assert_eq!(mode(&exe), 0o755);
    assert_ne!(
        std::fs::metadata(&exe).unwrap().ino(),
        std::fs::metadata(&cached).unwrap().ino()
    );
    assert_eq!(mode(&cached) & 0o222, 0);

    // Bypass: fetched again, the cache not touched.
    let d4 = Dirs::new();
    let out = run_fetcher(&d4.info(vec![item(&url, json!({"cache": true}))]));
    assert_ok(&out);
    assert_eq!(srv.hits("/files/app.conf"), 2);
    assert!(
        !d4.cache.exists(),
        "no cache directory for bypass-only runs"
    );
}

#[test]
fn a_cached_archive_is_extracted_straight_from_the_cache() {
    let d = Dirs::new();
    let tgz = gzip(&tar_bytes(&[Entry::File(
        "bin/tool",
        b"#!/bin/sh\n",
        0o755,
    )]));
    d.write_src("tool.tgz", &tgz);
    let srv = Server::start(&d.src);
    let out = run_fetcher(&d.info(vec![cache_item(
        "DOWNLOAD_AND_CACHE",
        &srv.url("/files/tool.tgz"),
        "c1-tool.tgz",
        json!({}),
    )]));
    assert_ok(&out);
    assert_eq!(mode(&d.sandbox.join("bin/tool")), 0o755);
    assert!(
        !d.sandbox.join("tool.tgz").exists(),
        "the archive is not copied"
    );
    assert!(stderr(&out).contains(&format!("to '{}'", d.sandbox.display())));
}

#[test]
fn download_and_cache_skips_an_existing_file_and_duplicates_share_it() {
    let d = Dirs::new();
    d.write_src("f", b"once");
    let srv = Server::start(&d.src);
    let url = srv.url("/files/f");
    let out = run_fetcher(&d.info(vec![
        cache_item(
            "DOWNLOAD_AND_CACHE",
            &url,
            "c1-f",
            json!({"output_file": "one"}),
        ),
        cache_item(
            "DOWNLOAD_AND_CACHE",
            &url,
            "c1-f",
            json!({"output_file": "two"}),
        ),
        cache_item(
            "DOWNLOAD_AND_CACHE",
            &url,
            "c1-f",
            json!({"output_file": "three"}),
        ),
    ]));
    assert_ok(&out);
    for f in ["one", "two", "three"] {
        assert_eq!(std::fs::read(d.sandbox.join(f)).unwrap(), b"once");
    }
    assert_eq!(srv.hits("/files/f"), 1);
}

#[test]
fn cache_misuse_and_a_missing_cache_file_fail_clearly() {
    let d = Dirs::new();
    let out = run_fetcher(&d.info(vec![cache_item(
        "RETRIEVE_FROM_CACHE",
        "/x/y",
        "c9-y",
        json!({}),
    )]));
    assert_fails_with(&out, "is missing");
    let mut info = d.info(vec![cache_item(
        "DOWNLOAD_AND_CACHE",
        "/x/y",
        "c9-y",
        json!({}),
    )]);
    info.as_object_mut().unwrap().remove("cache_directory");
    assert_fails_with(&run_fetcher(&info), "Cache directory not specified");
    let mut info = d.info(vec![cache_item(
        "DOWNLOAD_AND_CACHE",
        "/x/y",
        "",
        json!({}),
    )]);
    info["items"][0]
        .as_object_mut()
        .unwrap()
        .remove("cache_filename");
    assert_fails_with(&run_fetcher(&info), "No cache file name for: /x/y");
}

#[test]
fn concurrent_fetchers_of_one_uri_into_one_cache_download_it_once() {
    let d = Dirs::new();
    let body: Vec<u8> = (0..2_000_000u32).map(|i| (i % 251) as u8).collect();
    d.write_src("shared.bin", &body);
    let srv = Server::start(&d.src);
    let url = srv.url("/files/shared.bin");
    let sandboxes: Vec<Dirs> = (0..5).map(|_| Dirs::new()).collect();
    let children: Vec<_> = sandboxes
        .iter()
        .map(|sb| {
            let mut info = sb.info(vec![cache_item(
                "DOWNLOAD_AND_CACHE",
                &url,
                "c1-shared.bin",
                json!({}),
            )]);
            info["cache_directory"] = json!(d.cache);
            std::process::Command::new(env!("CARGO_BIN_EXE_mesos-fetcher"))
                .env("MESOS_FETCHER_INFO", info.to_string())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        assert_ok(&child.wait_with_output().unwrap());
    }
    for sb in &sandboxes {
        assert_eq!(std::fs::read(sb.sandbox.join("shared.bin")).unwrap(), body);
    }
    assert_eq!(std::fs::read(d.cache.join("c1-shared.bin")).unwrap(), body);
    assert_eq!(
        srv.hits("/files/shared.bin"),
        1,
        "the per-file lock makes the others wait"
    );
}

#[test]
fn a_failed_cache_download_leaves_no_cache_file() {
    let d = Dirs::new();
    let srv = Server::start(&d.src);
    let out = run_fetcher(&d.info(vec![cache_item(
        "DOWNLOAD_AND_CACHE",
        &srv.url("/files/absent"),
        "c1-absent",
        json!({}),
    )]));
    assert_fails_with(&out, "HTTP status 404");
    assert!(!d.cache.join("c1-absent").exists());
    let names: Vec<_> = std::fs::read_dir(&d.cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, vec![".locks"]);
}
