//! The Engine API client against the real daemon: a container created by the CLI, attached
//! before it starts, its output split byte for byte, waited for, stopped and removed.

use docker_cli::{DockerError, Timeouts};
use docker_engine::{Attachment, CopyReport, Engine};
use std::os::unix::net::UnixListener;
use std::time::Duration;
use test_rig::{docker, ContainerGuard, BUSYBOX_IMAGE};

const SOCKET: &str = "/var/run/docker.sock";

fn engine() -> Engine {
    Engine::new(SOCKET, Timeouts::default())
}

/// Creates (not starts) a busybox container running `script`; removed on drop.
fn create(prefix: &str, script: &str) -> (String, ContainerGuard) {
    test_rig::require_docker();
    let name = test_rig::unique_name(prefix);
    let id = docker(&["create", "--name", &name, BUSYBOX_IMAGE, "sh", "-c", script]);
    (id.trim().to_string(), ContainerGuard(name))
}

/// Attaches, registers the wait, starts, and returns (exit code, stdout, stderr, report).
async fn run(id: &str) -> (i32, Vec<u8>, Vec<u8>, CopyReport) {
    let attachment = Attachment::open(SOCKET.as_ref(), id, Duration::from_secs(5)).unwrap();
    let copy = std::thread::spawn(move || {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let report = attachment.copy_to(false, &mut out, &mut err);
        (out, err, report)
    });
    let engine = engine();
    let exit = engine.wait_next_exit(id).await.unwrap();
    engine.start(id).await.unwrap();
    let code = exit.exit_code().await.unwrap();
    let (out, err, report) = copy.join().unwrap();
    (code, out, err, report)
}

#[tokio::test]
async fn output_from_the_first_instruction_on_reaches_both_writers_in_order() {
    // Interleaved lines on both streams, the first printed at once: nothing may be lost
    // before the attachment, nor reordered within a stream.
    let (id, _guard) = create(
        "engine-order-",
        "i=0; while [ $i -lt 2000 ]; do echo out$i; echo err$i >&2; i=$((i+1)); done; exit 3",
    );
    let (code, out, err, report) = run(&id).await;
    assert_eq!(code, 3);
    let expect = |prefix: &str| -> String { (0..2000).map(|i| format!("{prefix}{i}\n")).collect() };
    assert_eq!(String::from_utf8(out).unwrap(), expect("out"));
    assert_eq!(String::from_utf8(err).unwrap(), expect("err"));
    assert!(report.error.is_none(), "{report:?}");
    assert_eq!(report.stdout_bytes, expect("out").len() as u64);
}

#[tokio::test]
async fn binary_output_arrives_byte_exact() {
    // 8 MiB of every byte value, through frames of whatever size the daemon chooses.
    let (id, _guard) = create(
        "engine-bytes-",
        "i=0; while [ $i -lt 32 ]; do cat /bin/busybox; i=$((i+1)); done | head -c 8388608",
    );
    let (code, out, _, report) = run(&id).await;
    assert_eq!(code, 0);
    assert_eq!(out.len(), 8 << 20, "{report:?}");
    let expected = docker(&["run", "--rm", BUSYBOX_IMAGE, "sh", "-c", "i=0; while [ $i -lt 32 ]; do cat /bin/busybox; i=$((i+1)); done | head -c 8388608 | md5sum"]);
    let digest = {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        std::fs::write(&path, &out).unwrap();
        let o = std::process::Command::new("md5sum")
            .arg(&path)
            .output()
            .unwrap();
        String::from_utf8(o.stdout).unwrap()
    };
    assert_eq!(
        digest.split_whitespace().next(),
        expected.split_whitespace().next()
    );
}

#[tokio::test]
async fn inspect_stop_and_remove() {
    let (id, guard) = create("engine-stop-", "exec sleep 600");
    let engine = engine();
    let created = engine.inspect_container(&id).await.unwrap();
    assert!(!created.started && !created.running, "{created:?}");
    let exit = engine.wait_next_exit(&id).await.unwrap();
    engine.start(&id).await.unwrap();
    let running = engine.inspect_container(&guard.0).await.unwrap();
    assert!(running.running && running.pid.is_some(), "{running:?}");
    // sleep as PID 1 ignores SIGTERM: the grace runs out and docker kills it.
    engine.stop(&id, Duration::from_millis(300)).await.unwrap();
    assert_eq!(exit.exit_code().await.unwrap(), 137);
    // Stopping a stopped container is fine; waiting for it answers at once.
    engine.stop(&id, Duration::ZERO).await.unwrap();
    assert_eq!(engine.wait(&id, Duration::from_secs(5)).await.unwrap(), 137);
    engine.remove(&id, false).await.unwrap();
    assert!(!test_rig::container_exists(&guard.0));
    let err = engine.inspect_container(&id).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    let err = engine.remove(&id, true).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    let err = Attachment::open(SOCKET.as_ref(), &id, Duration::from_secs(5)).unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

#[tokio::test]
async fn a_start_the_daemon_refuses_says_why() {
    test_rig::require_docker();
    let name = test_rig::unique_name("engine-nocmd-");
    let id = docker(&["create", "--name", &name, BUSYBOX_IMAGE, "/no/such/program"]);
    let _guard = ContainerGuard(name);
    let err = engine().start(id.trim()).await.unwrap_err();
    let DockerError::Api { message, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(message.contains("no such file or directory"), "{message}");
    assert_eq!(docker_engine::start_error::exit_code_for(message), 127);
}

#[tokio::test]
async fn a_daemon_that_never_answers_costs_a_bounded_wait() {
    // A socket that accepts and then says nothing: a hung daemon.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hung.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let _hold = std::thread::spawn(move || {
        let mut held = Vec::new();
        while let Ok((conn, _)) = listener.accept() {
            held.push(conn);
        }
    });
    let timeouts = Timeouts {
        inspect: Duration::from_millis(300),
        rm: Duration::from_millis(300),
        stop_slack: Duration::from_millis(300),
        ..Timeouts::default()
    };
    let hung = Engine::new(&path, timeouts);
    for err in [
        hung.inspect_container("x").await.unwrap_err(),
        hung.remove("x", true).await.unwrap_err(),
        hung.stop("x", Duration::ZERO).await.unwrap_err(),
        hung.wait_next_exit("x").await.unwrap_err(),
        Attachment::open(&path, "x", Duration::from_millis(300)).unwrap_err(),
    ] {
        assert!(err.is_timeout(), "{err}");
    }
    let gone = Engine::new(dir.path().join("none.sock"), Timeouts::default());
    let err = gone.inspect_container("x").await.unwrap_err();
    assert!(matches!(err, DockerError::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains("none.sock"), "{err}");
}

/// A writer whose bytes the test reads afterwards.
#[derive(Clone, Default)]
struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn run_command(name: &str, options: &[&str], argv: &[&str]) -> docker_cli::RunCommand {
    let mut args = vec!["run".to_string(), "--name".into(), name.into()];
    args.extend(options.iter().map(|s| s.to_string()));
    args.push("--".into());
    args.push(BUSYBOX_IMAGE.into());
    args.extend(argv.iter().map(|s| s.to_string()));
    docker_cli::RunCommand {
        args,
        env: vec![("SECRET".into(), "hunter2".into())],
        image: BUSYBOX_IMAGE.into(),
        name: name.into(),
    }
}

#[tokio::test]
async fn launch_creates_with_the_cli_and_runs_on_the_api() {
    test_rig::require_docker();
    let name = test_rig::unique_name("engine-launch-");
    let _guard = ContainerGuard(name.clone());
    // Options of docker run's own (a parameter, env through the CLI's environment, a
    // client-only option docker create would refuse) and a TTY, which makes the stream raw.
    let command = run_command(
        &name,
        &[
            "-e",
            "SECRET",
            "--ulimit=nofile=123:456",
            "--sig-proxy=false",
            "--tty=true",
        ],
        &[
            "sh",
            "-c",
            "echo $SECRET $(ulimit -n); echo to-stderr >&2; exit 4",
        ],
    );
    let (out, err) = (Shared::default(), Shared::default());
    let sinks = docker_engine::OutputSinks {
        stdout: Box::new(out.clone()),
        stderr: Box::new(err.clone()),
    };
    let mut created = None;
    let launched = engine()
        .launch(
            &docker_cli::Docker::new("docker", None).unwrap(),
            &command,
            Duration::from_secs(60),
            sinks,
            |id| created = Some(id.to_string()),
        )
        .await
        .unwrap();
    assert_eq!(created.as_deref(), Some(launched.id.as_str()));
    assert!(launched.container.started, "{:?}", launched.container);
    assert_eq!(launched.exit.exit_code().await.unwrap(), 4);
    let report = launched.output.await.unwrap();
    assert!(report.error.is_none(), "{report:?}");
    // With a TTY both streams are one, and lines end in CRLF.
    assert_eq!(out.text(), "hunter2 123\r\nto-stderr\r\n");
    assert_eq!(err.text(), "");
    let ulimits = docker(&["inspect", "-f", "{{json .HostConfig.Ulimits}}", &name]);
    assert!(ulimits.contains("\"Soft\":123"), "{ulimits}");
}

#[tokio::test]
async fn a_launch_that_cannot_start_gives_docker_runs_exit_code_and_the_container() {
    test_rig::require_docker();
    let name = test_rig::unique_name("engine-nostart-");
    let _guard = ContainerGuard(name.clone());
    let command = run_command(&name, &[], &["/no/such/program"]);
    let sinks = docker_engine::OutputSinks {
        stdout: Box::new(std::io::sink()),
        stderr: Box::new(std::io::sink()),
    };
    let docker = docker_cli::Docker::new("docker", None).unwrap();
    let err = engine()
        .launch(&docker, &command, Duration::from_secs(60), sinks, |_| {})
        .await
        .unwrap_err();
    let docker_engine::LaunchError::Start { id, exit_code, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*exit_code, 127);
    assert!(test_rig::container_exists(id), "the caller removes it");
    // A second launch of the same name fails in create: nothing of ours exists.
    let sinks = docker_engine::OutputSinks {
        stdout: Box::new(std::io::sink()),
        stderr: Box::new(std::io::sink()),
    };
    let err = engine()
        .launch(&docker, &command, Duration::from_secs(60), sinks, |_| {})
        .await
        .unwrap_err();
    assert!(err.created_id().is_none(), "{err:?}");
    assert!(err.to_string().contains("is already in use"), "{err}");
    assert!(!err.to_string().contains("hunter2"), "{err}");
}
