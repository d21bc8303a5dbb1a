//! HTTP sources against a real server on 127.0.0.1.
mod common;
use common::*;
use serde_json::json;

#[test]
fn downloads_a_file_with_mesos_log_lines() {
    let d = Dirs::new();
    d.write_src("app.conf", b"key=value\n");
    let srv = Server::start(&d.src);
    let out = run_fetcher(&d.info(vec![item(&srv.url("/files/app.conf"), json!({}))]));
    assert_ok(&out);
    assert_eq!(
        std::fs::read(d.sandbox.join("app.conf")).unwrap(),
        b"key=value\n"
    );
    assert_eq!(mode(&d.sandbox.join("app.conf")), 0o644);
    let err = stderr(&out);
    for needle in [
        "Fetcher Info: ",
        &format!("Fetching URI '{}'", srv.url("/files/app.conf")),
        "directly into the sandbox directory",
        "Copying instead of extracting resource from URI with 'extract' flag",
        &format!("Fetched '{}' to '", srv.url("/files/app.conf")),
        &format!(
            "Successfully fetched all URIs into '{}'",
            d.sandbox.display()
        ),
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    // glog prefix: I<mmdd> <time> <tid> <file>:<line>]
    let line = err.lines().find(|l| l.contains("Successfully")).unwrap();
    assert!(line.starts_with('I') && line.contains("] "), "{line}");
    assert_eq!(d.sandbox_listing(), vec!["app.conf"]);
}

#[test]
fn follows_redirects_and_keeps_the_uri_basename() {
    let d = Dirs::new();
    d.write_src("target.txt", b"moved");
    let srv = Server::start(&d.src);
    let out = run_fetcher(&d.info(vec![item(&srv.url("/redirect/target.txt"), json!({}))]));
    assert_ok(&out);
    assert_eq!(
        std::fs::read(d.sandbox.join("target.txt")).unwrap(),
        b"moved"
    );
    assert_eq!(srv.hits("/files/target.txt"), 1);
}

#[test]
fn basename_is_not_url_decoded_and_keeps_the_query() {
    let d = Dirs::new();
    d.write_src("a", b"x");
    let srv = Server::start(&d.src);
    let out = run_fetcher(&d.info(vec![item(
        &format!("{}?sig=1%202", srv.url("/files/a")),
        json!({}),
    )]));
    assert_ok(&out);
    assert!(
        d.sandbox.join("a?sig=1%202").is_file(),
        "{:?}",
        d.sandbox_listing()
    );
}

#[test]
fn not_found_fails_with_the_status_and_leaves_no_file() {
    let d = Dirs::new();
    let srv = Server::start(&d.src);
    let url = srv.url("/files/missing.tar.gz");
    let out = run_fetcher(&d.info(vec![item(&url, json!({}))]));
    let last = assert_fails_with(&out, "HTTP status 404");
    assert!(last.contains(&format!("Failed to fetch '{url}'")), "{last}");
    assert!(d.sandbox_listing().is_empty(), "{:?}", d.sandbox_listing());
    assert_eq!(srv.hits("/files/missing.tar.gz"), 1, "4xx is not retried");
}

#[test]
fn server_errors_are_retried_then_succeed() {
    let d = Dirs::new();
    d.write_src("f", b"eventually");
    let srv = Server::start(&d.src);
    let out = run_fetcher(&d.info(vec![item(&srv.url("/flaky/2/f"), json!({}))]));
    assert_ok(&out);
    assert_eq!(std::fs::read(d.sandbox.join("f")).unwrap(), b"eventually");
    assert_eq!(srv.hits("/flaky/2/f"), 3);
    assert!(stderr(&out).contains("Retrying"), "{}", stderr(&out));
}

#[test]
fn persistent_server_errors_give_up_after_bounded_retries() {
    let d = Dirs::new();
    let srv = Server::start(&d.src);
    let out = run_fetcher(&d.info(vec![item(&srv.url("/status/500/x"), json!({}))]));
    assert_fails_with(&out, "HTTP status 500");
    assert_eq!(srv.hits("/status/500/x"), 4);
    assert!(d.sandbox_listing().is_empty());
}

#[test]
fn a_connection_cut_mid_body_is_retried_and_never_left_partial() {
    let d = Dirs::new();
    d.write_src("big", &vec![7u8; 100_000]);
    let srv = Server::start(&d.src);
    let out = run_fetcher(&d.info(vec![item(&srv.url("/reset/1/big"), json!({}))]));
    assert_ok(&out);
    assert_eq!(std::fs::read(d.sandbox.join("big")).unwrap().len(), 100_000);

    let d2 = Dirs::new();
    d2.write_src("big", &vec![7u8; 100_000]);
    let srv2 = Server::start(&d2.src);
    let out = run_fetcher(&d2.info(vec![item(&srv2.url("/reset/9/big"), json!({}))]));
    assert_fails_with(&out, "Failed to fetch");
    assert!(
        d2.sandbox_listing().is_empty(),
        "{:?}",
        d2.sandbox_listing()
    );
}

#[test]
fn connection_refused_is_a_clear_failure() {
    let d = Dirs::new();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/x.txt");
    let out = run_fetcher(&d.info(vec![item(&url, json!({}))]));
    let last = assert_fails_with(&out, "Connection refused");
    assert!(last.contains(&url), "{last}");
    assert!(d.sandbox_listing().is_empty());
}

fn with_stall(d: &Dirs, items: Vec<serde_json::Value>, secs: u64) -> serde_json::Value {
    let mut info = d.info(items);
    info["stall_timeout"] = json!({"nanoseconds": secs * 1_000_000_000});
    info
}

#[test]
fn a_stalled_body_is_aborted_by_the_stall_timeout() {
    let d = Dirs::new();
    d.write_src("f", &vec![1u8; 1000]);
    let srv = Server::start(&d.src);
    let out = run_fetcher(&with_stall(
        &d,
        vec![item(&srv.url("/stall/f"), json!({}))],
        1,
    ));
    assert_fails_with(&out, "stalled");
    assert_eq!(srv.hits("/stall/f"), 1, "a stall is not retried");
    assert!(d.sandbox_listing().is_empty(), "{:?}", d.sandbox_listing());
}

#[test]
fn a_server_that_never_answers_is_aborted_by_the_stall_timeout() {
    let d = Dirs::new();
    let srv = Server::start(&d.src);
    let out = run_fetcher(&with_stall(
        &d,
        vec![item(&srv.url("/silent/f"), json!({}))],
        1,
    ));
    assert_fails_with(&out, "stalled");
    assert!(d.sandbox_listing().is_empty());
}

#[test]
fn a_slow_but_steady_download_is_not_a_stall() {
    let d = Dirs::new();
    d.write_src("f", b"0123456789abcdefghij");
    let srv = Server::start(&d.src);
    let out = run_fetcher(&with_stall(
        &d,
        vec![item(&srv.url("/trickle/f"), json!({}))],
        1,
    ));
    assert_ok(&out);
    assert_eq!(
        std::fs::read(d.sandbox.join("f")).unwrap(),
        b"0123456789abcdefghij"
    );
}

#[test]
fn checksum_is_verified_before_placing() {
    let d = Dirs::new();
    d.write_src("f", b"abc");
    let srv = Server::start(&d.src);
    let good = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    let out = run_fetcher(&d.info(vec![item(&srv.url("/files/f"), json!({"checksum": good}))]));
    assert_ok(&out);

    let d2 = Dirs::new();
    d2.write_src("f", b"abd");
    let srv2 = Server::start(&d2.src);
    let out = run_fetcher(&d2.info(vec![item(&srv2.url("/files/f"), json!({"checksum": good}))]));
    let last = assert_fails_with(&out, "Checksum mismatch");
    assert!(
        last.contains("expected sha256:ba7816bf") && last.contains("got sha256:"),
        "{last}"
    );
    assert!(d2.sandbox_listing().is_empty());
}

#[test]
fn many_items_are_fetched_concurrently_and_placed_in_list_order() {
    let d = Dirs::new();
    let srv = Server::start(&d.src);
    let mut items = Vec::new();
    for i in 0..12 {
        d.write_src(&format!("f{i}"), format!("content {i}").as_bytes());
        items.push(item(&srv.url(&format!("/files/f{i}")), json!({})));
    }
    // Two items writing the same name: the later one in the list wins, as in Mesos.
    d.write_src("late", b"late");
    d.write_src("early", b"early");
    items.push(item(
        &srv.url("/trickle/early"),
        json!({"output_file": "same"}),
    ));
    items.push(item(
        &srv.url("/files/late"),
        json!({"output_file": "same"}),
    ));
    let out = run_fetcher(&d.info(items));
    assert_ok(&out);
    for i in 0..12 {
        assert_eq!(
            std::fs::read_to_string(d.sandbox.join(format!("f{i}"))).unwrap(),
            format!("content {i}")
        );
    }
    assert_eq!(std::fs::read(d.sandbox.join("same")).unwrap(), b"late");
}

#[test]
fn the_first_failure_in_list_order_is_reported() {
    let d = Dirs::new();
    d.write_src("slow", b"0123456789");
    let srv = Server::start(&d.src);
    // Item 0 fails late (after its body trickles in, a 404 comes only for item 1 — fast).
    let out = run_fetcher(&d.info(vec![
        item(
            &srv.url("/trickle/slow"),
            json!({"checksum": format!("sha256:{}", "0".repeat(64))}),
        ),
        item(&srv.url("/files/nope"), json!({})),
    ]));
    let last = assert_fails_with(&out, "Checksum mismatch");
    assert!(last.contains("/trickle/slow"), "{last}");
}

#[test]
fn a_redirect_loop_stops_after_30_redirects_and_is_not_retried() {
    let d = Dirs::new();
    let srv = Server::start(&d.src);
    let url = srv.url("/loop/x");
    let out = run_fetcher(&d.info(vec![item(&url, json!({}))]));
    let last = assert_fails_with(&out, "too many redirects");
    assert!(last.contains(&format!("Failed to fetch '{url}'")), "{last}");
    // The first request and 30 redirects, as libcurl's default limit; a loop is not transient.
    assert_eq!(srv.hits("/loop/x"), 31);
    assert!(!stderr(&out).contains("Retrying"), "{}", stderr(&out));
    assert!(d.sandbox_listing().is_empty(), "{:?}", d.sandbox_listing());
}

const BUDGET: &str = "FETCHER_DISK_BUDGET";

#[test]
fn a_body_without_end_stops_at_the_disk_budget_and_leaves_nothing() {
    let d = Dirs::new();
    let srv = Server::start(&d.src);
    let url = srv.url("/unsized/64/blob");
    let out = run_fetcher_env(&d.info(vec![item(&url, json!({}))]), &[(BUDGET, "1MB")]);
    let last = assert_fails_with(&out, "Disk budget of 1MB");
    assert!(last.contains(&format!("Failed to fetch '{url}'")), "{last}");
    assert!(last.contains(BUDGET), "{last}");
    assert!(!stderr(&out).contains("Retrying"), "{}", stderr(&out));
    assert_eq!(srv.hits("/unsized/64/blob"), 1);
    assert!(d.sandbox_listing().is_empty(), "{:?}", d.sandbox_listing());

    // Without the variable there is no cap, as in Mesos.
    let out = run_fetcher(&d.info(vec![item(&url, json!({}))]));
    assert_ok(&out);
    assert_eq!(
        std::fs::metadata(d.sandbox.join("blob")).unwrap().len(),
        64 << 20
    );
}

#[test]
fn an_announced_length_over_the_budget_fails_before_the_body_is_written() {
    let d = Dirs::new();
    let srv = Server::start(&d.src);
    let url = srv.url("/sized/8/blob");
    let out = run_fetcher_env(&d.info(vec![item(&url, json!({}))]), &[(BUDGET, "2MB")]);
    let last = assert_fails_with(&out, "Disk budget of 2MB");
    assert!(last.contains("announced 8388608 bytes"), "{last}");
    assert!(d.sandbox_listing().is_empty(), "{:?}", d.sandbox_listing());
}

#[test]
fn the_budget_covers_all_items_of_a_run() {
    let d = Dirs::new();
    d.write_src("a", &vec![1u8; 600 << 10]);
    d.write_src("b", &vec![2u8; 600 << 10]);
    let srv = Server::start(&d.src);
    let items = vec![
        item(&srv.url("/files/a"), json!({})),
        item(&srv.url("/files/b"), json!({})),
    ];
    let out = run_fetcher_env(&d.info(items.clone()), &[(BUDGET, "1MB")]);
    assert_fails_with(&out, "Disk budget of 1MB");
    assert!(
        !d.sandbox_listing().iter().any(|f| f.starts_with('.')),
        "{:?}",
        d.sandbox_listing()
    );
    let out = run_fetcher_env(&d.info(items), &[(BUDGET, "2MB")]);
    assert_ok(&out);
}

#[test]
fn a_bad_or_overflowing_budget_is_refused_naming_the_variable() {
    let d = Dirs::new();
    let src = d.write_src("x", b"x");
    let info = d.info(vec![item(src.to_str().unwrap(), json!({}))]);
    for (value, needle) in [
        ("99999999999999TB", "too large"),
        ("12XB", "unknown unit"),
        ("-5MB", "FETCHER_DISK_BUDGET"),
    ] {
        let out = run_fetcher_env(&info, &[(BUDGET, value)]);
        let last = assert_fails_with(&out, needle);
        assert!(last.contains(BUDGET) && last.contains(value), "{last}");
        assert!(d.sandbox_listing().is_empty(), "{:?}", d.sandbox_listing());
    }
}

/// Polls (bounded) until the fetcher has a partial download in its staging directory.
fn wait_for_partial_download(d: &Dirs) {
    for _ in 0..300 {
        if d.sandbox_listing()
            .iter()
            .any(|f| f.starts_with(".mesos-fetcher-") && f.contains('/'))
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("no partial download appeared: {:?}", d.sandbox_listing());
}

#[test]
fn a_terminated_fetcher_removes_its_partial_download() {
    use std::os::unix::process::ExitStatusExt;
    let d = Dirs::new();
    d.write_src("f", &vec![1u8; 1000]);
    let srv = Server::start(&d.src);
    let info = d.info(vec![item(&srv.url("/stall/f"), json!({}))]);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mesos-fetcher"))
        .env("MESOS_FETCHER_INFO", info.to_string())
        .env_remove("http_proxy")
        .env_remove("all_proxy")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_partial_download(&d);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(err.contains("SIGTERM"), "{err}");
    assert!(d.sandbox_listing().is_empty(), "{:?}", d.sandbox_listing());
}

#[test]
fn an_abandoned_fetcher_run_is_killed_and_its_partial_download_removed() {
    let d = Dirs::new();
    d.write_src("f", &vec![1u8; 1000]);
    let srv = Server::start(&d.src);
    let info: fetcher::FetcherInfo =
        serde_json::from_value(d.info(vec![item(&srv.url("/stall/f"), json!({}))])).unwrap();
    let binary = fetcher::FetcherBinary {
        path: env!("CARGO_BIN_EXE_mesos-fetcher").into(),
        hadoop_home: None,
        disk_budget: None,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let run = binary.run(&info);
        tokio::pin!(run);
        // Abandon the run (as a container destroy does) once the download has begun.
        loop {
            tokio::select! {
                r = &mut run => panic!("the fetch ended: {r:?}"),
                _ = tokio::time::sleep(std::time::Duration::from_millis(50)) => {}
            }
            if d.sandbox_listing().iter().any(|f| f.contains('/')) {
                break;
            }
        }
    });
    drop(rt);
    let expected = vec!["stderr".to_string(), "stdout".to_string()];
    for _ in 0..200 {
        if d.sandbox_listing() == expected {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("leftovers: {:?}", d.sandbox_listing());
}
