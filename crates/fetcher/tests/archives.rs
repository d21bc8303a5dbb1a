//! Archives: every supported type, executable, extract=false, and hostile archives.
mod common;
use common::*;
use serde_json::json;

fn sample_tar() -> Vec<u8> {
    tar_bytes(&[
        Entry::Dir("app/", 0o755),
        Entry::File("app/run.sh", b"#!/bin/sh\necho hi\n", 0o6755),
        Entry::File("app/data.txt", b"hello archive", 0o640),
        Entry::Symlink("app/link", "data.txt"),
        Entry::Hardlink("app/hard", "app/data.txt"),
    ])
}

fn check_sample(d: &Dirs) {
    let app = d.sandbox.join("app");
    assert_eq!(
        std::fs::read(app.join("data.txt")).unwrap(),
        b"hello archive"
    );
    assert_eq!(std::fs::read(app.join("link")).unwrap(), b"hello archive");
    assert_eq!(std::fs::read(app.join("hard")).unwrap(), b"hello archive");
    assert_eq!(
        mode(&app.join("run.sh")),
        0o755,
        "setuid/setgid dropped, mode kept"
    );
    assert_eq!(mode(&app.join("data.txt")), 0o640);
    let mtime = std::fs::metadata(app.join("data.txt"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(
        mtime
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
        1_000_000_000
    );
}

#[test]
fn every_tar_flavour_is_extracted_into_the_sandbox_root_keeping_the_archive() {
    let raw = sample_tar();
    for (name, data) in [
        ("a.tar", raw.clone()),
        ("a.tar.gz", gzip(&raw)),
        ("a.tgz", gzip(&raw)),
        ("a.tar.bz2", bzip2(&raw)),
        ("a.tbz2", bzip2(&raw)),
        ("a.tar.xz", xz(&raw)),
        ("a.txz", xz(&raw)),
        // Named .tgz but really an uncompressed tar: detected from the content.
        ("plain.tgz", raw.clone()),
    ] {
        let d = Dirs::new();
        let src = d.write_src(name, &data);
        let out = run_fetcher(&d.info(vec![item(src.to_str().unwrap(), json!({}))]));
        assert_ok(&out);
        check_sample(&d);
        assert!(d.sandbox.join(name).is_file(), "{name}: archive kept");
        assert!(
            !d.sandbox_listing()
                .iter()
                .any(|p| p.starts_with(".mesos-fetcher")),
            "{name}: {:?}",
            d.sandbox_listing()
        );
    }
}

#[test]
fn zip_is_extracted_with_modes_and_symlinks() {
    let d = Dirs::new();
    let z = zip_bytes(
        &[
            ("dir/hello", b"hello world\n", 0o755),
            ("top.txt", b"top", 0o644),
        ],
        &[("dir/link", "hello")],
    );
    let srv = Server::start(&d.src);
    d.write_src("a.zip", &z);
    let out = run_fetcher(&d.info(vec![item(&srv.url("/files/a.zip"), json!({}))]));
    assert_ok(&out);
    assert_eq!(
        std::fs::read(d.sandbox.join("dir/hello")).unwrap(),
        b"hello world\n"
    );
    assert_eq!(mode(&d.sandbox.join("dir/hello")), 0o755);
    assert_eq!(
        std::fs::read(d.sandbox.join("dir/link")).unwrap(),
        b"hello world\n"
    );
    assert_eq!(std::fs::read(d.sandbox.join("top.txt")).unwrap(), b"top");
}

#[test]
fn a_corrupt_zip_fails() {
    let d = Dirs::new();
    let mut z = zip_bytes(&[("f", &[b'x'; 1000], 0o644)], &[]);
    // Flip a byte of the compressed data: the CRC check must catch it.
    let pos = 40;
    z[pos] ^= 0xff;
    let src = d.write_src("bad.zip", &z);
    let out = run_fetcher(&d.info(vec![item(src.to_str().unwrap(), json!({}))]));
    assert_fails_with(&out, "Failed to extract archive");
    assert!(!d.sandbox.join("f").exists());
}

#[test]
fn single_file_gzip_is_decompressed_next_to_the_archive_name() {
    let d = Dirs::new();
    let src = d.write_src("notes.txt.gz", &gzip(b"plain text"));
    let out = run_fetcher(&d.info(vec![
        item(src.to_str().unwrap(), json!({})),
        item(
            src.to_str().unwrap(),
            json!({"output_file": "sub/custom.gz"}),
        ),
    ]));
    assert_ok(&out);
    assert_eq!(
        std::fs::read(d.sandbox.join("notes.txt")).unwrap(),
        b"plain text"
    );
    assert!(d.sandbox.join("notes.txt.gz").is_file());
    // Mesos: the output lands at the sandbox root, named after the output file.
    assert_eq!(
        std::fs::read(d.sandbox.join("custom")).unwrap(),
        b"plain text"
    );
    assert!(stderr(&out).contains("Extracted '"), "{}", stderr(&out));
}

#[test]
fn executable_wins_over_extract_and_sets_0755() {
    let d = Dirs::new();
    let src = d.write_src("tool.tar.gz", &gzip(&sample_tar()));
    std::fs::set_permissions(&src, std::os::unix::fs::PermissionsExt::from_mode(0o444)).unwrap();
    let out = run_fetcher(&d.info(vec![item(
        src.to_str().unwrap(),
        json!({"executable": true}),
    )]));
    assert_ok(&out);
    assert_eq!(mode(&d.sandbox.join("tool.tar.gz")), 0o755);
    assert!(!d.sandbox.join("app").exists(), "not extracted");
}

#[test]
fn extract_false_keeps_the_archive_only_and_copies_keep_the_source_mode() {
    let d = Dirs::new();
    let src = d.write_src("a.tar", &sample_tar());
    std::fs::set_permissions(&src, std::os::unix::fs::PermissionsExt::from_mode(0o750)).unwrap();
    let out = run_fetcher(&d.info(vec![item(src.to_str().unwrap(), json!({"extract": false}))]));
    assert_ok(&out);
    assert_eq!(d.sandbox_listing(), vec!["a.tar"]);
    assert_eq!(mode(&d.sandbox.join("a.tar")), 0o750);
}

#[test]
fn archive_detection_ignores_a_query_string() {
    let d = Dirs::new();
    d.write_src("q.tgz", &gzip(&sample_tar()));
    let srv = Server::start(&d.src);
    let out = run_fetcher(&d.info(vec![item(
        &format!("{}?token=abc", srv.url("/files/q.tgz")),
        json!({}),
    )]));
    assert_ok(&out);
    check_sample(&d);
    assert!(d.sandbox.join("q.tgz?token=abc").is_file());
}

/// Runs a hostile archive and checks it is refused with nothing left behind, and nothing
/// written outside.
fn refused(name: &str, data: Vec<u8>, needle: &str) {
    let d = Dirs::new();
    let outside = d.src.parent().unwrap().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("victim"), b"original").unwrap();
    let src = d.write_src(name, &data);
    let out = run_fetcher(&d.info(vec![item(src.to_str().unwrap(), json!({"extract": true}))]));
    let last = assert_fails_with(&out, needle);
    assert!(last.contains("rejected"), "{last}");
    // Only the downloaded archive itself (Mesos keeps it in the sandbox); no entry of it.
    assert_eq!(d.sandbox_listing(), vec![name.to_string()], "{name}");
    assert_eq!(std::fs::read(outside.join("victim")).unwrap(), b"original");
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 1);
}

#[test]
fn hostile_archives_are_refused_and_leave_nothing_behind() {
    refused(
        "dotdot.tar",
        tar_bytes(&[
            Entry::File("ok.txt", b"fine", 0o644),
            Entry::File("../outside/evil", b"pwned", 0o644),
        ]),
        "contains '..'",
    );
    refused(
        "abs.tar.gz",
        gzip(&tar_bytes(&[
            Entry::File("ok.txt", b"fine", 0o644),
            Entry::File("/tmp/evil-absolute-entry", b"pwned", 0o644),
        ])),
        "absolute path",
    );
    refused(
        "symlink.tar",
        tar_bytes(&[
            Entry::Symlink("esc", "../outside"),
            Entry::File("esc/victim", b"pwned", 0o644),
        ]),
        "points outside the sandbox",
    );
    refused(
        "abslink.tar",
        tar_bytes(&[Entry::Symlink("etc", "/etc")]),
        "absolute path",
    );
    refused(
        "hardlink.tar",
        tar_bytes(&[
            Entry::File("ok.txt", b"fine", 0o644),
            Entry::Hardlink("h", "../outside/victim"),
        ]),
        "hard link",
    );
    refused(
        "hardlink-abs.tar",
        tar_bytes(&[Entry::Hardlink("h", "/etc/passwd")]),
        "hard link",
    );
    // A chain: each link alone looks inside, together they climb out.
    refused(
        "chain.tar",
        tar_bytes(&[
            Entry::Dir("a/", 0o755),
            Entry::Symlink("a/b", ".."),
            Entry::Symlink("c", "a/b/.."),
        ]),
        "points outside the sandbox",
    );
    refused(
        "zipslip.zip",
        zip_bytes(
            &[
                ("ok.txt", b"fine", 0o644),
                ("../outside/evil", b"pwned", 0o644),
            ],
            &[],
        ),
        "contains '..'",
    );
    refused(
        "ziplink.zip",
        zip_bytes(&[], &[("l", "../../outside")]),
        "points outside the sandbox",
    );
}

#[test]
fn extraction_through_an_inside_symlink_is_fine() {
    let d = Dirs::new();
    let src = d.write_src(
        "in.tar",
        &tar_bytes(&[
            Entry::Dir("real/", 0o755),
            Entry::Symlink("alias", "real"),
            Entry::File("alias/f", b"via link", 0o644),
        ]),
    );
    let out = run_fetcher(&d.info(vec![item(src.to_str().unwrap(), json!({}))]));
    assert_ok(&out);
    assert_eq!(
        std::fs::read(d.sandbox.join("real/f")).unwrap(),
        b"via link"
    );
}

#[test]
fn later_duplicate_entries_win() {
    // The zip writer refuses duplicate names, so write two and rename the second in place.
    let mut z = zip_bytes(
        &[("DUPNAME_1", b"1", 0o644), ("DUPNAME_2", b"2", 0o644)],
        &[],
    );
    let (from, to) = (b"DUPNAME_2", b"DUPNAME_1");
    let mut i = 0;
    while i + from.len() <= z.len() {
        if &z[i..i + from.len()] == from {
            z[i..i + from.len()].copy_from_slice(to);
        }
        i += 1;
    }
    let tar = tar_bytes(&[Entry::File("T", b"1", 0o644), Entry::File("T", b"2", 0o644)]);
    let d = Dirs::new();
    let zsrc = d.write_src("dup.zip", &z);
    let tsrc = d.write_src("dup.tar", &tar);
    let out = run_fetcher(&d.info(vec![
        item(zsrc.to_str().unwrap(), json!({})),
        item(tsrc.to_str().unwrap(), json!({})),
    ]));
    assert_ok(&out);
    assert_eq!(std::fs::read(d.sandbox.join("DUPNAME_1")).unwrap(), b"2");
    assert_eq!(std::fs::read(d.sandbox.join("T")).unwrap(), b"2");
}

#[test]
fn an_archive_bomb_stops_at_the_disk_budget_and_keeps_only_the_archive() {
    let zeros = vec![0u8; 16 << 20];
    for (name, data) in [
        (
            "bomb.tar.gz",
            gzip(&tar_bytes(&[
                Entry::File("small.txt", b"fine", 0o644),
                Entry::File("zeros", &zeros, 0o644),
            ])),
        ),
        ("bomb.txt.gz", gzip(&zeros)),
        ("bomb.zip", zip_bytes(&[("zeros", &zeros, 0o644)], &[])),
    ] {
        let d = Dirs::new();
        let src = d.write_src(name, &data);
        let info = d.info(vec![item(src.to_str().unwrap(), json!({}))]);
        let out = run_fetcher_env(&info, &[("FETCHER_DISK_BUDGET", "1MB")]);
        let last = assert_fails_with(&out, "Disk budget of 1MB (FETCHER_DISK_BUDGET) exceeded");
        assert!(
            last.contains(&format!("Failed to fetch '{}'", src.display())),
            "{last}"
        );
        assert!(last.contains(name), "{last}");
        assert_eq!(d.sandbox_listing(), vec![name.to_string()], "{name}");
    }
}

#[test]
fn an_archive_within_the_budget_is_extracted() {
    let d = Dirs::new();
    let src = d.write_src("ok.tar.gz", &gzip(&sample_tar()));
    let out = run_fetcher_env(
        &d.info(vec![item(src.to_str().unwrap(), json!({}))]),
        &[("FETCHER_DISK_BUDGET", "1MB")],
    );
    assert_ok(&out);
    check_sample(&d);
}
