//! The CLI verbs against the real daemon (and fake docker programs for timeouts).

mod common;

use std::time::{Duration, Instant};

use common::*;
use test_rig::{unique_name, ContainerGuard};

#[tokio::test]
async fn version_of_the_real_docker_is_new_enough() {
    let docker = real_docker();
    let version = docker.validate_version(&MIN_DOCKER_VERSION).await.unwrap();
    assert!(version >= Version::new(1, 8, 0), "{version}");
    let err = docker
        .validate_version(&Version::new(999, 0, 0))
        .await
        .unwrap_err();
    assert!(matches!(err, DockerError::VersionTooOld { .. }), "{err}");
    assert!(
        err.to_string().contains("Please upgrade to >= '999.0.0'"),
        "{err}"
    );
}

#[tokio::test]
async fn run_inspect_stop_rm_lifecycle() {
    let docker = real_docker();
    let name = unique_name("mesos-test-life-");
    let _guard = ContainerGuard(name.clone());
    let sandbox = tempfile::tempdir().unwrap();
    let options = busybox_options(&name, sandbox.path(), "sleep 60");
    let command = build_run_command(&options).unwrap();
    let mut handle = docker
        .run(
            &command,
            std::process::Stdio::null(),
            std::process::Stdio::null(),
        )
        .unwrap();

    let started = Instant::now();
    let container = docker
        .inspect_until_started(&name, Duration::from_secs(30))
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(container.started && container.running);
    assert!(container.pid.is_some());
    assert_eq!(container.name, name);
    assert_eq!(container.host_config.network_mode.as_deref(), Some("host"));
    assert!(container.raw.get("Config").is_some());

    docker.stop(&name, Duration::from_secs(0)).await.unwrap();
    let code = tokio::time::timeout(Duration::from_secs(30), handle.wait())
        .await
        .unwrap()
        .unwrap();
    // `docker stop -t 0` SIGKILLs the shell: 128 + 9.
    assert_eq!(code, Some(137));
    let stopped = docker.inspect_container(&name).await.unwrap();
    assert!(!stopped.running && stopped.started);
    assert_eq!(stopped.pid, None);
    assert_eq!(stopped.exit_code, Some(137));
    assert!(stopped.finished_at.is_some());

    docker.rm(&name, false).await.unwrap();
    assert!(!test_rig::container_exists(&name));
    let err = docker.inspect_container(&name).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    let err = docker.rm(&name, false).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    // `rm -f` of a missing container succeeds (docker's own semantics): idempotent cleanup.
    docker.rm(&name, true).await.unwrap();
    let err = docker
        .stop(&name, Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

#[tokio::test]
async fn exit_code_and_oom_fields() {
    let docker = real_docker();
    let name = unique_name("mesos-test-exit-");
    let _guard = ContainerGuard(name.clone());
    let sandbox = tempfile::tempdir().unwrap();
    let options = busybox_options(&name, sandbox.path(), "exit 3");
    let (code, container) = run_to_completion(&docker, &options).await;
    assert_eq!(code, Some(3));
    assert_eq!(container.exit_code, Some(3));
    assert!(!container.oom_killed);
    assert!(container.started);
}

#[tokio::test]
async fn inspect_until_started_gives_up_at_its_deadline() {
    let docker = real_docker();
    let name = unique_name("mesos-test-never-");
    let started = Instant::now();
    let err = docker
        .inspect_until_started(&name, Duration::from_millis(700))
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn kill_exec_update() {
    let docker = real_docker();
    let name = unique_name("mesos-test-kill-");
    let _guard = ContainerGuard(name.clone());
    let sandbox = tempfile::tempdir().unwrap();
    let mut options = busybox_options(&name, sandbox.path(), "sleep 60");
    options.resources = Some(vec![mesos_types::resources::Resource::scalar("mem", 64.0)]);
    let command = build_run_command(&options).unwrap();
    let mut handle = docker
        .run(
            &command,
            std::process::Stdio::null(),
            std::process::Stdio::null(),
        )
        .unwrap();
    docker
        .inspect_until_started(&name, Duration::from_secs(30))
        .await
        .unwrap();

    let out = docker
        .exec(
            &name,
            &["sh".into(), "-c".into(), "echo hi; exit 4".into()],
            Duration::from_secs(20),
        )
        .await
        .unwrap();
    assert_eq!(out.code, Some(4));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hi\n");

    docker
        .update(
            &name,
            UpdateOptions {
                cpu_shares: Some(256),
                memory: Some(128 << 20),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let updated = docker.inspect_container(&name).await.unwrap();
    assert_eq!(updated.host_config.cpu_shares, Some(256));
    assert_eq!(updated.host_config.memory, Some(128 << 20));

    docker.kill(&name, 9).await.unwrap();
    let code = tokio::time::timeout(Duration::from_secs(30), handle.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(code, Some(137));
    let err = docker
        .exec(&name, &["true".into()], Duration::from_secs(20))
        .await
        .unwrap_err();
    assert!(matches!(err, DockerError::Failed { .. }), "{err}");
}

#[tokio::test]
async fn ps_filters_by_prefix_and_label() {
    let docker = real_docker();
    let prefix = unique_name("mesos-test-ps-");
    let a = format!("{prefix}-a");
    let b = format!("{prefix}-b");
    let _guards = [ContainerGuard(a.clone()), ContainerGuard(b.clone())];
    let sandbox = tempfile::tempdir().unwrap();
    for (name, task) in [(&a, "task-a"), (&b, "task-b")] {
        let mut options = busybox_options(name, sandbox.path(), "true");
        options.labels = MesosLabels {
            agent_id: Some(prefix.clone()),
            task_id: Some(task.into()),
            ..Default::default()
        };
        let (code, _) = run_to_completion(&docker, &options).await;
        assert_eq!(code, Some(0));
    }

    // Stopped containers show only with `all`.
    let running = docker
        .ps(&PsFilter {
            all: false,
            name_prefix: Some(prefix.clone()),
            labels: vec![],
        })
        .await
        .unwrap();
    assert!(running.is_empty(), "{running:?}");

    let mut names: Vec<String> = docker
        .ps(&PsFilter::all_with_prefix(prefix.clone()))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    names.sort();
    assert_eq!(names, [a.clone(), b.clone()]);

    let by_label = docker
        .ps(&PsFilter::all_with_prefix("mesos-")
            .label(labels::LABEL_TASK_ID, "task-b")
            .label(labels::LABEL_AGENT_ID, prefix.clone()))
        .await
        .unwrap();
    assert_eq!(by_label.len(), 1);
    assert_eq!(by_label[0].name, b);
    assert_eq!(by_label[0].id.len(), 64, "ids are not truncated");

    let inspected = docker
        .ps_inspect(
            &PsFilter::all_with_prefix("mesos-").label(labels::LABEL_AGENT_ID, prefix.clone()),
        )
        .await
        .unwrap();
    assert_eq!(inspected.len(), 2);
    for container in &inspected {
        let ours = MesosLabels::from_labels(&container.labels);
        assert_eq!(ours.agent_id.as_deref(), Some(prefix.as_str()));
        assert!(parse_container_name(&container.name).is_some());
    }
}

#[tokio::test]
async fn ps_inspect_skips_containers_that_vanished() {
    // `ps` lists two containers; by the time of `inspect` one is gone (the fake docker
    // answers like the real one: the found ones on stdout, exit 1).
    let (_dir, docker) = fake_docker(
        r#"case "$1" in
ps) printf 'id1\tmesos-a\nid2\tmesos-b\n' ;;
inspect) echo '[{"Id":"id2","Name":"/mesos-b","State":{"Pid":0,"StartedAt":"2024-01-01T00:00:00Z"}}]'
         echo 'Error: No such object: id1' >&2; exit 1 ;;
esac"#,
    );
    let containers = docker
        .ps_inspect(&PsFilter::all_with_prefix("mesos-"))
        .await
        .unwrap();
    assert_eq!(containers.len(), 1);
    assert_eq!(containers[0].name, "mesos-b");
}

#[tokio::test]
async fn a_hanging_cli_is_cut_by_its_timeout() {
    let (_dir, docker) = fake_docker("sleep 60");
    let docker = Docker::with_timeouts(
        docker.program().to_path_buf(),
        None,
        Timeouts {
            inspect: Duration::from_millis(300),
            ..Timeouts::default()
        },
    )
    .unwrap();
    let started = Instant::now();
    let err = docker.inspect_container("mesos-x").await.unwrap_err();
    assert!(
        matches!(&err, DockerError::Timeout { op, after }
            if op.ends_with("inspect --type=container mesos-x'") && *after == Duration::from_millis(300)),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn cancelling_a_call_kills_the_cli() {
    let pid_dir = tempfile::tempdir().unwrap();
    let pid_file = pid_dir.path().join("pid");
    let (_dir, docker) = fake_docker(&format!("echo $$ > {}; exec sleep 60", pid_file.display()));
    // Drop the call's future after 500 ms; kill_on_drop must take the CLI with it.
    let _ = tokio::time::timeout(
        Duration::from_millis(500),
        docker.inspect_container("mesos-x"),
    )
    .await;
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let alive = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|stat| !stat.contains(") Z "))
            .unwrap_or(false)
    };
    let mut waited = 0;
    while alive() && waited < 50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    assert!(
        !alive(),
        "the docker CLI (pid {pid}) survived the cancelled call"
    );
}

/// Whether `pid` runs (a zombie does not count).
fn runs(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| !stat.contains(") Z "))
        .unwrap_or(false)
}

#[tokio::test]
async fn a_timed_out_or_cancelled_call_takes_what_the_cli_started_with_it() {
    for cancel in [false, true] {
        let pid_dir = tempfile::tempdir().unwrap();
        let pid_file = pid_dir.path().join("pid");
        // A wrapper that waits on a child of its own, as a script around a hung docker does.
        let (_dir, docker) = fake_docker(&format!(
            "sleep 60 & echo $! > {}; wait",
            pid_file.display()
        ));
        let docker = Docker::with_timeouts(
            docker.program().to_path_buf(),
            None,
            Timeouts {
                inspect: Duration::from_millis(if cancel { 60_000 } else { 500 }),
                ..Timeouts::default()
            },
        )
        .unwrap();
        let call = docker.inspect_container("mesos-x");
        if cancel {
            let _ = tokio::time::timeout(Duration::from_millis(500), call).await;
        } else {
            assert!(call.await.unwrap_err().is_timeout());
        }
        let pid: i32 = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let mut waited = 0;
        while runs(pid) && waited < 50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            waited += 1;
        }
        assert!(
            !runs(pid),
            "the CLI's child (pid {pid}) survived the {} call",
            if cancel { "cancelled" } else { "timed-out" }
        );
    }
}

#[tokio::test]
async fn failures_carry_redacted_argv_and_stderr() {
    let (_dir, docker) =
        fake_docker("echo \"Error response from daemon: bad password=hunter2\" >&2; exit 1");
    let err = docker.kill("mesos-x", 15).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("kill --signal=15 mesos-x"), "{text}");
    assert!(text.contains("exited with status 1"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn every_long_option_of_the_real_docker_run_is_known() {
    test_rig::require_docker();
    let out = std::process::Command::new("docker")
        .args(["run", "--help"])
        .output()
        .expect("docker run --help");
    let help = String::from_utf8_lossy(&out.stdout);
    let listed: Vec<&str> = help
        .lines()
        .filter_map(|l| l.split_whitespace().find(|w| w.starts_with("--")))
        .map(|w| w.trim_start_matches("--").trim_end_matches(','))
        .collect();
    assert!(listed.len() > 50, "no options read from: {help}");
    let unknown: Vec<&&str> = listed
        .iter()
        .filter(|o| !DOCKER_RUN_LONG_OPTIONS.contains(o))
        .collect();
    assert!(
        unknown.is_empty(),
        "docker run has options docker_cli::DOCKER_RUN_LONG_OPTIONS lacks: {unknown:?}"
    );
}
