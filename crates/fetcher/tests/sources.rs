//! Local paths, file:// URIs, frameworks_home, the Hadoop client, unsupported schemes,
//! output_file placement and its rejections, and the binary's contract.
mod common;
use common::*;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;

#[test]
fn file_uris_and_absolute_paths_are_copied() {
    let d = Dirs::new();
    let src = d.write_src("x.txt", b"local");
    let out = run_fetcher(&d.info(vec![
        item(
            &format!("file://{}", src.display()),
            json!({"output_file": "one"}),
        ),
        item(
            &format!("file://localhost{}", src.display()),
            json!({"output_file": "two"}),
        ),
        item(
            &format!(" \t{}", src.display()),
            json!({"output_file": "three"}),
        ),
    ]));
    assert_ok(&out);
    for f in ["one", "two", "three"] {
        assert_eq!(std::fs::read(d.sandbox.join(f)).unwrap(), b"local", "{f}");
    }
}

#[test]
fn relative_paths_need_frameworks_home() {
    let d = Dirs::new();
    d.write_src("rel.txt", b"relative");
    let mut info = d.info(vec![item("rel.txt", json!({}))]);
    let out = run_fetcher(&info);
    assert_fails_with(&out, "framework home was not specified");
    info["frameworks_home"] = json!(d.src);
    let out = run_fetcher(&info);
    assert_ok(&out);
    assert_eq!(
        std::fs::read(d.sandbox.join("rel.txt")).unwrap(),
        b"relative"
    );
    assert!(stderr(&out).contains("Prepended Mesos frameworks home to relative path"));
}

#[test]
fn missing_and_directory_sources_fail_cleanly() {
    let d = Dirs::new();
    let out = run_fetcher(&d.info(vec![item("/nonexistent/file.txt", json!({}))]));
    assert_fails_with(&out, "No such file or directory");
    assert!(d.sandbox_listing().is_empty());
    let out = run_fetcher(&d.info(vec![item(d.src.to_str().unwrap(), json!({}))]));
    assert_fails_with(&out, "is a directory");
}

#[test]
fn unsupported_schemes_and_malformed_uris_are_refused() {
    let d = Dirs::new();
    let out = run_fetcher(&d.info(vec![item("gopher://h/x", json!({}))]));
    assert_fails_with(&out, "Unsupported URI scheme 'gopher'");
    let out = run_fetcher(&d.info(vec![item("lala://nopath", json!({}))]));
    assert_fails_with(&out, "Malformed URI");
    let out = run_fetcher(&d.info(vec![item("http://h/a'b", json!({}))]));
    assert_fails_with(&out, "Illegal characters");
}

fn fake_hadoop(dir: &std::path::Path, log: &std::path::Path) {
    std::fs::create_dir_all(dir).unwrap();
    let script = format!(
        "#!/bin/sh\necho \"$@\" >> '{}'\nif [ \"$1\" = version ]; then echo 'Hadoop 3.3.6'; exit 0; fi\n\
         echo 'WARN some hadoop noise' >&2\n\
         if [ \"$1 $2\" = 'fs -copyToLocal' ]; then cp \"/${{3#*://*/}}\" \"$4\"; exit $?; fi\nexit 2\n",
        log.display()
    );
    let p = dir.join("hadoop");
    std::fs::write(&p, script).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn hadoop_schemes_go_through_the_hadoop_client_from_hadoop_home_or_path() {
    let d = Dirs::new();
    let src = d.write_src("h.txt", b"from hdfs");
    let home = d.src.parent().unwrap().join("hadoop-home");
    let log = d.src.parent().unwrap().join("hadoop.log");
    fake_hadoop(&home.join("bin"), &log);
    let uris: Vec<String> = ["hdfs", "hftp", "s3", "s3n"]
        .iter()
        .map(|s| format!("{s}://namenode{}", src.display()))
        .collect();
    let items = uris
        .iter()
        .enumerate()
        .map(|(i, u)| item(u, json!({"output_file": format!("out{i}")})))
        .collect();
    let info = d.info(items);
    let out = run_fetcher_env(&info, &[("HADOOP_HOME", home.to_str().unwrap())]);
    assert_ok(&out);
    for i in 0..4 {
        assert_eq!(
            std::fs::read(d.sandbox.join(format!("out{i}"))).unwrap(),
            b"from hdfs"
        );
    }
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(
        calls.contains(&format!("fs -copyToLocal {}", uris[0])),
        "{calls}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Hadoop 3.3.6"));

    // On PATH instead of HADOOP_HOME.
    let d2 = Dirs::new();
    let path = format!(
        "{}:{}",
        home.join("bin").display(),
        std::env::var("PATH").unwrap()
    );
    let out = run_fetcher_env(
        &d2.info(vec![item(&uris[0], json!({}))]),
        &[("PATH", &path)],
    );
    assert_ok(&out);
    assert!(d2.sandbox.join("h.txt").is_file());
}

#[test]
fn a_missing_hadoop_client_is_a_clear_error() {
    let d = Dirs::new();
    let empty = d.src.parent().unwrap().join("no-hadoop");
    let out = run_fetcher_env(
        &d.info(vec![item("hdfs://nn/x", json!({}))]),
        &[("HADOOP_HOME", empty.to_str().unwrap())],
    );
    assert_fails_with(&out, "no Hadoop client installed");
}

#[test]
fn a_failing_hadoop_copy_reports_its_output() {
    let d = Dirs::new();
    let home = d.src.parent().unwrap().join("hh");
    fake_hadoop(&home.join("bin"), &d.src.parent().unwrap().join("log"));
    let out = run_fetcher_env(
        &d.info(vec![item("hdfs://nn/does/not/exist", json!({}))]),
        &[("HADOOP_HOME", home.to_str().unwrap())],
    );
    let last = assert_fails_with(
        &out,
        "HDFS copyToLocal of 'hdfs://nn/does/not/exist' failed",
    );
    assert!(last.contains("WARN some hadoop noise"), "{last}");
    assert!(d.sandbox_listing().is_empty(), "{:?}", d.sandbox_listing());
}

#[test]
fn output_file_places_the_file_and_creates_subdirectories() {
    let d = Dirs::new();
    let src = d.write_src("x", b"data");
    let out = run_fetcher(&d.info(vec![item(
        src.to_str().unwrap(),
        json!({"output_file": "sub/dir/custom.txt"}),
    )]));
    assert_ok(&out);
    assert_eq!(
        std::fs::read(d.sandbox.join("sub/dir/custom.txt")).unwrap(),
        b"data"
    );
}

#[test]
fn output_file_rejections() {
    let d = Dirs::new();
    let src = d.write_src("x", b"data");
    let outside = d.src.parent().unwrap().join("elsewhere");
    std::fs::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, d.sandbox.join("link")).unwrap();
    for (bad, needle) in [
        ("/etc/evil", "absolute paths are not allowed"),
        ("../escape", "escapes the sandbox"),
        ("a/../../escape", "escapes the sandbox"),
        ("link/evil", "resolves outside the sandbox"),
        ("", "empty"),
    ] {
        let out = run_fetcher(&d.info(vec![item(
            src.to_str().unwrap(),
            json!({"output_file": bad}),
        )]));
        let last = assert_fails_with(&out, needle);
        assert!(last.contains("rejected"), "{last}");
    }
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
    assert!(!d.src.parent().unwrap().join("escape").exists());
    assert_eq!(d.sandbox_listing(), vec!["link"]);
}

#[test]
fn missing_or_bad_fetcher_info_fails_with_a_reason() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mesos-fetcher"))
        .env_remove("MESOS_FETCHER_INFO")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        last_line(&out).contains("Missing MESOS_FETCHER_INFO"),
        "{}",
        stderr(&out)
    );

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mesos-fetcher"))
        .env(
            "MESOS_FETCHER_INFO",
            r#"{"sandbox_directory":"/tmp","items":[{"action":"NOPE","uri":{"value":"x"}}]}"#,
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let last = last_line(&out);
    assert!(
        last.contains("Failed to parse MESOS_FETCHER_INFO") && last.contains("items[0].action"),
        "{last}"
    );

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mesos-fetcher"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("MESOS_FETCHER_INFO"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mesos-fetcher"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn quiet_and_logging_level_are_honoured() {
    let d = Dirs::new();
    let src = d.write_src("x", b"data");
    let info = d.info(vec![item(src.to_str().unwrap(), json!({"extract": false}))]);
    let out = run_fetcher_env(&info, &[("MESOS_QUIET", "true")]);
    assert_ok(&out);
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    let out = run_fetcher_env(&info, &[("MESOS_LOGGING_LEVEL", "WARNING")]);
    assert_ok(&out);
    assert!(!stderr(&out).contains("Successfully"), "{}", stderr(&out));
}

#[test]
fn runs_as_the_given_user_when_root() {
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("not root: the user switch is covered only when the tests run as root");
        return;
    }
    let d = Dirs::new();
    let nobody = nix::unistd::User::from_name("nobody")
        .unwrap()
        .expect("user nobody");
    std::fs::set_permissions(
        d.sandbox.parent().unwrap(),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    nix::unistd::chown(&d.sandbox, Some(nobody.uid), Some(nobody.gid)).unwrap();
    std::fs::set_permissions(
        d.src.parent().unwrap(),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    std::fs::set_permissions(&d.src, std::fs::Permissions::from_mode(0o755)).unwrap();
    let readable = d.write_src("pub.txt", b"public");
    std::fs::set_permissions(&readable, std::fs::Permissions::from_mode(0o644)).unwrap();
    let secret = d.write_src("secret.txt", b"root only");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();

    let mut info = d.info(vec![cache_item(
        "DOWNLOAD_AND_CACHE",
        readable.to_str().unwrap(),
        "c1-pub.txt",
        json!({}),
    )]);
    info["user"] = json!("nobody");
    info["cache_directory"] = json!(d.cache.join("nobody"));
    let out = run_fetcher(&info);
    assert_ok(&out);
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        std::fs::metadata(d.sandbox.join("pub.txt")).unwrap().uid(),
        nobody.uid.as_raw()
    );
    assert_eq!(
        std::fs::metadata(d.cache.join("nobody")).unwrap().uid(),
        nobody.uid.as_raw()
    );

    let mut info = d.info(vec![item(secret.to_str().unwrap(), json!({}))]);
    info["user"] = json!("nobody");
    let out = run_fetcher(&info);
    assert_fails_with(&out, "Permission denied");
}

#[test]
fn agent_pseudo_files_are_refused_also_through_symlinks() {
    let d = Dirs::new();
    let link = d.src.join("innocent.txt");
    std::os::unix::fs::symlink("/proc/self/environ", &link).unwrap();
    let dir_link = d.src.join("sys");
    std::os::unix::fs::symlink("/sys/kernel", &dir_link).unwrap();
    for (uri, shown) in [
        ("file:///proc/self/environ".to_string(), "/proc/"),
        ("/proc/self/environ".to_string(), "/proc/"),
        (
            "file://localhost/proc/1/cmdline".to_string(),
            "/proc/1/cmdline",
        ),
        (
            "/sys/kernel/uevent_seqnum".to_string(),
            "/sys/kernel/uevent_seqnum",
        ),
        ("/dev/null".to_string(), "/dev/null"),
        (link.display().to_string(), "/proc/"),
        (
            format!("file://{}/uevent_seqnum", dir_link.display()),
            "resolves to '/sys/kernel/uevent_seqnum'",
        ),
    ] {
        let out = run_fetcher(&d.info(vec![item(&uri, json!({}))]));
        let last = assert_fails_with(&out, "is refused");
        assert!(last.contains(shown), "{uri}: {last}");
        assert!(last.contains("/proc, /sys and /dev"), "{last}");
        assert!(
            d.sandbox_listing().is_empty(),
            "{uri}: {:?}",
            d.sandbox_listing()
        );
    }
}

#[test]
fn the_cache_planner_refuses_agent_pseudo_files_too() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let http = fetcher::HttpClient::new().unwrap();
    let err = rt
        .block_on(fetcher::cache::probe_size(
            &http,
            "/proc/self/environ",
            None,
        ))
        .unwrap_err()
        .to_string();
    assert!(err.contains("is refused"), "{err}");
}

#[test]
fn malformed_fetcher_info_says_what_was_expected() {
    let run = |raw: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mesos-fetcher"))
            .env("MESOS_FETCHER_INFO", raw)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{raw}: {}", stderr(&out));
        last_line(&out)
    };
    let expected = "expected a FetcherInfo object with \"items\" and \"sandbox_directory\"";
    for (raw, needles) in [
        ("{", vec!["not valid JSON at line 1 column 1", expected]),
        ("x", vec!["not valid JSON at line 1 column 1", expected]),
        (
            r#"{"sandbox_directory":"/tmp"} x"#,
            vec!["not valid JSON at line 1 column 30", expected],
        ),
        ("[]", vec!["a JSON array, not an object", expected]),
        ("", vec!["empty", expected]),
        (
            r#"{"items":[]}"#,
            vec!["missing field `sandbox_directory`", expected],
        ),
        (
            r#"{"sandbox_directory":5}"#,
            vec!["at `sandbox_directory`", "expected a string"],
        ),
        (
            r#"{"sandbox_directory":"/tmp","items":{}}"#,
            vec!["at `items`", "expected a JSON array"],
        ),
        (
            r#"{"sandbox_directory":"/tmp","items":[{"uri":{"value":"x"}}]}"#,
            vec!["at `items[0]`", "missing field `action`"],
        ),
        (
            r#"{"sandbox_directory":"/tmp","stall_timeout":{"nanoseconds":1e30}}"#,
            vec!["at `stall_timeout.nanoseconds`"],
        ),
    ] {
        let last = run(raw);
        assert!(
            last.contains("Failed to parse MESOS_FETCHER_INFO: "),
            "{raw}: {last}"
        );
        for n in needles {
            assert!(last.contains(n), "{raw}: {last:?} lacks {n:?}");
        }
        for internal in [
            "expected ident",
            "expected value",
            "struct FetcherInfo",
            ".: ",
            "?: ",
        ] {
            assert!(!last.contains(internal), "{raw}: {last}");
        }
    }
}
