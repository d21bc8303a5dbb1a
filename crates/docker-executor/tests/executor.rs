//! The real `mesos-docker-executor` binary, a real Docker daemon, and the agent endpoint
//! hosted here. No timing thresholds: every wait is bounded only to fail instead of hang.

mod common;

use agent_endpoint::EndpointEvent;
use common::{all_cmdlines, shell_task, Harness, Options};
use mesos_types::status::{Reason, TaskState};
use mesos_types::task::{ExecutorInfo, KillPolicy, TaskInfo};
use mesos_types::ContainerId;
use std::time::Duration;
use test_rig::{container_exists, BUSYBOX_IMAGE, ENTRYPOINT_IMAGE};

fn grace(secs: i64) -> KillPolicy {
    KillPolicy {
        grace_period: Some(mesos_types::duration::DurationInfo::from_nanos(
            secs * 1_000_000_000,
        )),
    }
}

/// Waits until `path` exists (the task writes it), bounded.
async fn wait_for_file(path: &std::path::Path) -> String {
    for _ in 0..1200 {
        if let Ok(text) = std::fs::read_to_string(path) {
            if !text.is_empty() {
                return text;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{} never appeared", path.display());
}

#[tokio::test]
async fn launch_running_finished() {
    let task = shell_task(
        "hello",
        BUSYBOX_IMAGE,
        "echo hello from the task; echo to stderr >&2",
    );
    let mut h = Harness::start(task.clone(), Options::default()).await;
    let (s, _) = h.next_update().await;
    assert_eq!(s.state, TaskState::Starting);
    assert_eq!(s.task_id, task.task_id);
    assert_eq!(s.executor_id.as_ref(), Some(&h.executor_id));
    let (s, _) = h.next_update().await;
    // RUNNING carries the inspect output, unless the task was too quick for the inspect.
    if s.state == TaskState::Running {
        let inspect: serde_json::Value =
            serde_json::from_slice(s.data.as_deref().unwrap()).unwrap();
        assert_eq!(inspect[0]["Name"], format!("/{}", h.container));
        let (s, _) = h.next_update().await;
        assert_eq!(s.state, TaskState::Finished);
        assert_eq!(s.message.as_deref(), Some("Container exited with status 0"));
    } else {
        assert_eq!(s.state, TaskState::Finished, "{s:?}");
    }
    assert_eq!(h.wait_exit().await, 0, "{}", h.stderr());
    assert_eq!(
        std::fs::read_to_string(h.stdout_path()).unwrap(),
        "hello from the task\n"
    );
    assert!(h.stderr().contains("to stderr\n"));
    assert!(!container_exists(&h.container), "container left behind");
}

#[tokio::test]
async fn non_zero_exit_fails_the_task() {
    let task = shell_task("fail", BUSYBOX_IMAGE, "exit 3");
    let mut h = Harness::start(task, Options::default()).await;
    let terminal = h.next_terminal().await;
    assert_eq!(terminal.state, TaskState::Failed);
    assert_eq!(
        terminal.message.as_deref(),
        Some("Container exited with status 3")
    );
    assert_eq!(h.wait_exit().await, 0);
    assert!(!container_exists(&h.container));
}

#[tokio::test]
async fn entrypoint_image_with_and_without_arguments() {
    for (args, expected) in [
        (vec![], "entrypoint default-cmd\n"),
        (vec!["given", "args"], "entrypoint given args\n"),
    ] {
        let mut task = shell_task("ep", ENTRYPOINT_IMAGE, "unused");
        let command = task.command.as_mut().unwrap();
        command.shell = Some(false);
        command.value = None;
        command.arguments = args.iter().map(|s| s.to_string()).collect();
        let mut h = Harness::start(task, Options::default()).await;
        loop {
            let (s, _) = h.next_update().await;
            if s.state.is_terminal() {
                assert_eq!(s.state, TaskState::Finished, "{s:?}\n{}", h.stderr());
                break;
            }
        }
        assert_eq!(h.wait_exit().await, 0);
        assert_eq!(std::fs::read_to_string(h.stdout_path()).unwrap(), expected);
    }
}

#[tokio::test]
async fn env_values_reach_the_container_but_no_cmdline() {
    let secret = format!("s3cr3t-{}", uuid::Uuid::new_v4().simple());
    let flag_value = format!("flag-{}", uuid::Uuid::new_v4().simple());
    let mut task = shell_task(
        "env",
        BUSYBOX_IMAGE,
        "echo \"$MY_SECRET $FLAG_VAR $MESOS_SANDBOX\" > $MESOS_SANDBOX/env_out; exec sleep 600",
    );
    task.kill_policy = Some(grace(1));
    task.command.as_mut().unwrap().environment = Some(
        serde_json::from_value(
            serde_json::json!({"variables": [{"name": "MY_SECRET", "value": secret}]}),
        )
        .unwrap(),
    );
    let opts = Options {
        task_environment: Some(format!(r#"{{"FLAG_VAR":"{flag_value}"}}"#)),
        ..Options::default()
    };
    let mut h = Harness::start(task.clone(), opts).await;
    loop {
        let (s, _) = h.next_update().await;
        // Updates are stored and forwarded: the inspect data carries names only.
        let data = String::from_utf8_lossy(s.data.as_deref().unwrap_or_default()).into_owned();
        assert!(!data.contains(&secret), "secret in an update's data");
        if s.state == TaskState::Running {
            assert!(data.contains("MY_SECRET=***"), "{data}");
            break;
        }
        assert!(!s.state.is_terminal(), "{s:?}\n{}", h.stderr());
    }
    let out = wait_for_file(&h.sandbox.path().join("env_out")).await;
    assert_eq!(out, format!("{secret} {flag_value} /mnt/mesos/sandbox\n"));
    for (pid, cmdline) in all_cmdlines() {
        let text = String::from_utf8_lossy(&cmdline);
        assert!(
            !text.contains(&secret),
            "secret on the argv of pid {pid}: {text}"
        );
    }
    h.kill(&task.task_id);
    let s = h.next_terminal().await;
    assert_eq!(s.state, TaskState::Killed, "{s:?}");
    assert_eq!(h.wait_exit().await, 0);
    assert!(
        !h.stderr().contains(&secret),
        "secret in the executor's log"
    );
}

async fn run_until_running(h: &mut Harness) {
    loop {
        let (s, _) = h.next_update().await;
        if s.state == TaskState::Running {
            return;
        }
        assert!(!s.state.is_terminal(), "{s:?}\n{}", h.stderr());
    }
}

#[tokio::test]
async fn kill_of_a_task_that_exits_on_term() {
    let mut task = shell_task(
        "term",
        BUSYBOX_IMAGE,
        "trap 'echo got TERM; exit 0' TERM; while true; do sleep 0.1; done",
    );
    task.kill_policy = Some(grace(30));
    let mut h = Harness::start(task.clone(), Options::default()).await;
    run_until_running(&mut h).await;
    h.kill(&task.task_id);
    let (s, _) = h.next_update().await;
    assert_eq!(s.state, TaskState::Killing);
    let (s, _) = h.next_update().await;
    assert_eq!(s.state, TaskState::Killed);
    assert_eq!(s.message.as_deref(), Some("Container exited with status 0"));
    assert_eq!(h.wait_exit().await, 0);
    assert!(std::fs::read_to_string(h.stdout_path())
        .unwrap()
        .contains("got TERM"));
    assert!(h.stderr().contains("SIGKILL after 30s"), "{}", h.stderr());
    assert!(!container_exists(&h.container));
}

#[tokio::test]
async fn kill_of_a_task_that_ignores_term_uses_the_kill_events_grace() {
    // As PID 1 without a handler, the shell ignores SIGTERM; docker stop then SIGKILLs it.
    let mut task = shell_task(
        "ignore",
        BUSYBOX_IMAGE,
        "trap '' TERM; while true; do sleep 0.1; done",
    );
    task.kill_policy = Some(grace(600));
    let mut h = Harness::start(task.clone(), Options::default()).await;
    run_until_running(&mut h).await;
    h.endpoint
        .kill_task(
            &h.framework_id(),
            &h.executor_id.clone(),
            &task.task_id,
            Some(grace(1)),
        )
        .unwrap();
    let (s, _) = h.next_update().await;
    assert_eq!(s.state, TaskState::Killing);
    let (s, _) = h.next_update().await;
    assert_eq!(s.state, TaskState::Killed);
    assert_eq!(
        s.message.as_deref(),
        Some("Container exited with status 137")
    );
    assert_eq!(h.wait_exit().await, 0);
    assert!(!container_exists(&h.container));
}

/// Starts `task` for a checkpointing framework (one that survives agent restarts).
async fn start_checkpointing(task: &TaskInfo) -> Harness {
    Harness::start(
        task.clone(),
        Options {
            checkpoint: true,
            ..Options::default()
        },
    )
    .await
}

/// Stops the endpoint and, after `pause`, brings up a new one on the same address that knows
/// the executor again with `task` and the updates in `acknowledged`, as an agent does after its
/// restart.
async fn restart_endpoint(
    h: &mut Harness,
    task: &TaskInfo,
    acknowledged: Vec<[u8; 16]>,
    pause: Duration,
) {
    let addr = h.endpoint.local_addr();
    h.endpoint.shutdown().await;
    tokio::time::sleep(pause).await;
    let (endpoint, events) = common::bind_endpoint(addr).await;
    endpoint
        .recover_executor(
            h.framework_info.clone(),
            ExecutorInfo::new(h.executor_id.clone()),
            ContainerId::new(&h.container_id),
            vec![task.clone()],
            acknowledged,
        )
        .unwrap();
    h.endpoint = endpoint;
    h.events = events;
}

#[tokio::test]
async fn endpoint_restart_while_the_task_runs() {
    let mut task = shell_task(
        "restart",
        BUSYBOX_IMAGE,
        "while [ ! -f $MESOS_SANDBOX/go ]; do sleep 0.1; done; echo finished",
    );
    task.kill_policy = Some(grace(1));
    let mut h = start_checkpointing(&task).await;
    h.auto_ack = false;
    // STARTING accepted; RUNNING received but not acknowledged before the "crash".
    let (starting, starting_uuid) = h.next_update().await;
    assert_eq!(starting.state, TaskState::Starting);
    h.endpoint
        .acknowledge(
            &h.framework_id(),
            &h.executor_id.clone(),
            &task.task_id,
            starting_uuid,
        )
        .unwrap();
    let (running, running_uuid) = h.next_update().await;
    assert_eq!(running.state, TaskState::Running);

    // Let the executor notice before the new endpoint comes up.
    restart_endpoint(
        &mut h,
        &task,
        vec![starting_uuid],
        Duration::from_millis(300),
    )
    .await;

    let mut seen = Vec::new();
    let mut resubscribed = false;
    loop {
        match h.next_event().await {
            EndpointEvent::Subscribed { reconnected, .. } => {
                assert!(reconnected);
                resubscribed = true;
            }
            EndpointEvent::Update(u) => {
                h.endpoint.acknowledge_update(&u).unwrap();
                let state = u.status.state;
                seen.push((state, u.uuid));
                if state == TaskState::Running {
                    std::fs::write(h.sandbox.path().join("go"), b"").unwrap();
                }
                if state.is_terminal() {
                    break;
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(resubscribed);
    // The unacknowledged RUNNING came again (same uuid), STARTING did not, nothing twice.
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0], (TaskState::Running, running_uuid));
    assert_eq!(seen[1].0, TaskState::Finished);
    assert_eq!(h.wait_exit().await, 0, "{}", h.stderr());
    assert!(!container_exists(&h.container));
}

#[tokio::test]
async fn failing_health_check_kills_the_task() {
    let mut task = shell_task("unhealthy", BUSYBOX_IMAGE, "exec sleep 600");
    task.kill_policy = Some(grace(1));
    task.health_check = Some(
        serde_json::from_value(serde_json::json!({
            "type": "TCP", "tcp": {"port": 1},
            "delay_seconds": 0.0, "interval_seconds": 0.2, "timeout_seconds": 5.0,
            "grace_period_seconds": 0.0, "consecutive_failures": 2
        }))
        .unwrap(),
    );
    let mut h = Harness::start(task, Options::default()).await;
    run_until_running(&mut h).await;
    let mut unhealthy = 0;
    loop {
        let (s, _) = h.next_update().await;
        match s.state {
            TaskState::Running => {
                assert_eq!(s.healthy, Some(false));
                assert_eq!(s.reason, Some(Reason::TaskHealthCheckStatusUpdated));
                unhealthy += 1;
            }
            TaskState::Killing => {}
            TaskState::Killed => {
                assert_eq!(s.healthy, Some(false));
                break;
            }
            other => panic!("unexpected {other}: {s:?}"),
        }
    }
    assert_eq!(unhealthy, 2);
    assert_eq!(h.wait_exit().await, 0);
    assert!(!container_exists(&h.container));
}

#[tokio::test]
async fn bridge_network_reports_the_ip_and_http_check_passes_in_the_netns() {
    let mut task = shell_task(
        "bridge",
        BUSYBOX_IMAGE,
        "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www",
    );
    task.kill_policy = Some(grace(1));
    task.container
        .as_mut()
        .unwrap()
        .docker
        .as_mut()
        .unwrap()
        .network = Some(mesos_types::container::DockerNetwork::Bridge);
    task.health_check = Some(
        serde_json::from_value(serde_json::json!({
            "type": "HTTP", "http": {"port": 8080, "path": "/index.html"},
            "delay_seconds": 0.0, "interval_seconds": 0.2, "timeout_seconds": 5.0,
            "grace_period_seconds": 30.0, "consecutive_failures": 3
        }))
        .unwrap(),
    );
    let mut h = Harness::start(task.clone(), Options::default()).await;
    let running = loop {
        let (s, _) = h.next_update().await;
        if s.state == TaskState::Running {
            break s;
        }
        assert!(!s.state.is_terminal(), "{s:?}\n{}", h.stderr());
    };
    let ni = &running.container_status.as_ref().unwrap().network_infos[0];
    let ip = ni.ip_addresses[0].ip_address.clone().unwrap();
    let inspected = test_rig::docker(&[
        "inspect",
        "-f",
        "{{.NetworkSettings.IPAddress}}",
        &h.container,
    ]);
    assert_eq!(ip, inspected.trim());
    let (s, _) = h.next_update().await;
    assert_eq!(
        (s.state, s.healthy),
        (TaskState::Running, Some(true)),
        "{s:?}\n{}",
        h.stderr()
    );
    assert_eq!(
        s.container_status.as_ref().unwrap().network_infos[0].ip_addresses[0]
            .ip_address
            .as_deref(),
        Some(ip.as_str())
    );
    h.kill(&task.task_id);
    let s = h.next_terminal().await;
    assert_eq!(s.state, TaskState::Killed, "{s:?}");
    assert_eq!(h.wait_exit().await, 0);
}

#[tokio::test]
async fn hundred_megabytes_of_output_arrive_byte_exact() {
    const LINES: u64 = 13_000_000;
    let task = shell_task("flood", BUSYBOX_IMAGE, &format!("seq 1 {LINES}"));
    let mut h = Harness::start(task, Options::default()).await;
    let s = h.next_terminal().await;
    assert_eq!(s.state, TaskState::Finished, "{s:?}");
    assert_eq!(h.wait_exit().await, 0);
    // Compare as a stream, without building 100 MB of expectation.
    use std::io::{BufRead, BufReader};
    let file = std::fs::File::open(h.stdout_path()).unwrap();
    let size = file.metadata().unwrap().len();
    assert!(size >= 100 << 20, "only {size} bytes");
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = String::new();
    for i in 1..=LINES {
        line.clear();
        reader.read_line(&mut line).unwrap();
        assert_eq!(line, format!("{i}\n"), "line {i}");
    }
    line.clear();
    assert_eq!(
        reader.read_line(&mut line).unwrap(),
        0,
        "extra output: {line:?}"
    );
}

#[tokio::test]
async fn bad_command_lines_and_environments_exit_1_naming_the_problem() {
    let bin = env!("CARGO_BIN_EXE_mesos-docker-executor");
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let out = std::process::Command::new(bin)
            .args(args)
            .env_clear()
            .envs(env.iter().copied())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let flags = [
        "--docker=docker",
        "--container=mesos-x",
        "--sandbox_directory=/tmp",
        "--mapped_directory=/mnt/mesos/sandbox",
        "--launcher_dir=/tmp",
    ];
    let (code, err) = run(&flags[1..], &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("--docker"), "{err}");
    let mut with_unknown = flags.to_vec();
    with_unknown.push("--frobnicate=1");
    let (code, err) = run(&with_unknown, &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("--frobnicate"), "{err}");
    let (code, err) = run(
        &flags,
        &[("MESOS_FRAMEWORK_ID", "f"), ("MESOS_EXECUTOR_ID", "e")],
    );
    assert_eq!(code, Some(1));
    assert!(err.contains("MESOS_AGENT_ENDPOINT"), "{err}");
    let (code, err) = run(
        &flags,
        &[
            ("MESOS_AGENT_ENDPOINT", "127.0.0.1:1"),
            ("MESOS_FRAMEWORK_ID", "f"),
            ("MESOS_EXECUTOR_ID", "e"),
            ("MESOS_RECOVERY_TIMEOUT", "15minutes"),
        ],
    );
    assert_eq!(code, Some(1));
    assert!(err.contains("MESOS_RECOVERY_TIMEOUT"), "{err}");
    let (code, out) = run(&["--help"], &[]);
    assert_eq!(code, Some(0), "{out}");
}

#[tokio::test]
async fn max_completion_time_fails_the_task_without_killing_state() {
    let mut task = shell_task("deadline", BUSYBOX_IMAGE, "exec sleep 600");
    task.max_completion_time = Some(mesos_types::duration::DurationInfo::from_nanos(
        1_000_000_000,
    ));
    let mut h = Harness::start(task, Options::default()).await;
    loop {
        let (s, _) = h.next_update().await;
        assert_ne!(s.state, TaskState::Killing);
        if s.state.is_terminal() {
            assert_eq!(s.state, TaskState::Failed, "{s:?}");
            assert_eq!(s.reason, Some(Reason::MaxCompletionTimeReached));
            break;
        }
    }
    assert_eq!(h.wait_exit().await, 0);
    assert!(!container_exists(&h.container));
}

#[tokio::test]
async fn shutdown_kills_the_task_reports_and_exits() {
    let mut task = shell_task("shutdown", BUSYBOX_IMAGE, "exec sleep 600");
    task.kill_policy = Some(grace(1));
    let mut h = Harness::start(task, Options::default()).await;
    run_until_running(&mut h).await;
    assert!(h
        .endpoint
        .shutdown_executor(&h.framework_id(), &h.executor_id.clone())
        .unwrap());
    let (s, _) = h.next_update().await;
    assert_eq!(s.state, TaskState::Killing);
    let (s, _) = h.next_update().await;
    assert_eq!(s.state, TaskState::Killed);
    assert_eq!(h.wait_exit().await, 0);
    assert!(!container_exists(&h.container));
}

/// The executor's connections to the daemon are cut while the task runs (a daemon restart,
/// with the container running on): it must report the container's own end once the daemon
/// answers again, not the cut, and still remove the container.
#[tokio::test]
async fn a_daemon_connection_cut_mid_task_does_not_end_the_task_early() {
    let dir = tempfile::tempdir().unwrap();
    let mut proxy = test_rig::docker_proxy::DockerProxy::start(&dir.path().join("docker.sock"));
    let task = shell_task(
        "cut",
        BUSYBOX_IMAGE,
        "echo before; sleep 3; echo after; exit 3",
    );
    let opts = Options {
        docker_socket: Some(proxy.path.clone()),
        ..Options::default()
    };
    let mut h = Harness::start(task, opts).await;
    loop {
        let (s, _) = h.next_update().await;
        assert!(!s.state.is_terminal(), "{s:?}");
        if s.state == TaskState::Running {
            break;
        }
    }
    proxy.stop();
    // Gone for a while, back before the container ends.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(container_exists(&h.container), "the container runs on");
    proxy.resume();
    let terminal = h.next_terminal().await;
    assert_eq!(terminal.state, TaskState::Failed, "{terminal:?}");
    assert_eq!(
        terminal.message.as_deref(),
        Some("Container exited with status 3"),
        "{}",
        h.stderr()
    );
    assert_eq!(h.wait_exit().await, 0);
    assert!(!container_exists(&h.container), "container left behind");
    // What it printed before the cut is in the sandbox; what came after was not attached.
    let stdout = std::fs::read_to_string(h.stdout_path()).unwrap();
    assert!(stdout.starts_with("before\n"), "{stdout}");
}

/// An agent that answers every SUBSCRIBE with SHUTDOWN and closes the stream (a real agent
/// does so for an executor it no longer knows) must not be hammered: the SHUTDOWN ends the
/// executor's wish to subscribe while it stops its task.
#[tokio::test]
async fn a_shutdown_on_resubscribe_ends_the_subscribing() {
    // Ignores SIGTERM, so the stop takes the whole grace period: time enough for a storm.
    let mut task = shell_task(
        "no-storm",
        BUSYBOX_IMAGE,
        "trap '' TERM; while true; do sleep 0.1; done",
    );
    task.kill_policy = Some(grace(3));
    let mut h = start_checkpointing(&task).await;
    run_until_running(&mut h).await;

    restart_endpoint(&mut h, &task, vec![], Duration::ZERO).await;
    // Terminating before the executor is back: its SUBSCRIBEs get SHUTDOWN and a closed stream.
    let _ = h
        .endpoint
        .shutdown_executor(&h.framework_id(), &h.executor_id.clone());

    assert_eq!(h.wait_exit().await, 0, "{}", h.stderr());
    assert!(!container_exists(&h.container));
    let subscriptions = h.stderr().matches("subscribed to the agent").count();
    // The first subscription and the one the SHUTDOWN answered; before, one every few ms.
    assert!(
        subscriptions <= 2,
        "{subscriptions} subscriptions; stderr:\n{}",
        h.stderr()
    );
}

/// The id and state of the container named `name`.
fn id_and_state(name: &str) -> String {
    test_rig::docker(&[
        "inspect",
        "--type=container",
        "-f",
        "{{.Id}} {{.State.Status}}",
        name,
    ])
    .trim()
    .to_string()
}

/// The updates up to the terminal one, which is returned; none of them may be TASK_RUNNING.
async fn terminal_without_running(h: &mut Harness) -> mesos_types::status::TaskStatus {
    loop {
        let (s, _) = h.next_update().await;
        assert_ne!(
            s.state,
            TaskState::Running,
            "{:?}\n{}",
            s.container_status,
            h.stderr()
        );
        if s.state.is_terminal() {
            return s;
        }
    }
}

/// A container already named `mesos-<id>` (a leftover, someone else's) is not the task's:
/// the task fails with docker's reason, and that container is neither reported as the
/// task's (no TASK_RUNNING with its address), nor stopped, nor removed.
#[tokio::test]
async fn a_container_of_the_same_name_is_never_adopted() {
    let task = shell_task("taken", BUSYBOX_IMAGE, "echo ran");
    let opts = Options {
        occupy_name: true,
        ..Options::default()
    };
    let mut h = Harness::start(task, opts).await;
    let before = id_and_state(&h.container);
    assert!(before.ends_with(" running"), "{before}");
    let terminal = terminal_without_running(&mut h).await;
    assert_eq!(terminal.state, TaskState::Failed, "{terminal:?}");
    let message = terminal.message.clone().unwrap_or_default();
    assert!(
        message.starts_with("Container exited with status 125: "),
        "{message}"
    );
    assert!(
        message.contains(&format!("\"/{}\" is already in use", h.container)),
        "{message}"
    );
    assert_eq!(h.wait_exit().await, 0, "{}", h.stderr());
    assert_eq!(
        id_and_state(&h.container),
        before,
        "the other container was touched"
    );
    assert!(!std::fs::read_to_string(h.stdout_path())
        .unwrap_or_default()
        .contains("ran"));
}

/// Options docker refuses end the task at once with docker's own reason, whether docker
/// refuses them before creating the container (a bad option value) or after (an unknown
/// network); nothing is left behind.
#[tokio::test]
async fn options_docker_refuses_fail_the_task_with_dockers_reason() {
    let network = test_rig::unique_name("nosuchnet-");
    let mut unknown_network = shell_task("net", BUSYBOX_IMAGE, "true");
    unknown_network.container = Some(
        serde_json::from_value(serde_json::json!({
            "type": "DOCKER",
            "docker": {"image": BUSYBOX_IMAGE, "network": "USER"},
            "network_infos": [{"name": network}]
        }))
        .unwrap(),
    );
    let mut bad_value = shell_task("param", BUSYBOX_IMAGE, "true");
    bad_value.container = Some(
        serde_json::from_value(serde_json::json!({
            "type": "DOCKER",
            "docker": {"image": BUSYBOX_IMAGE,
                       "parameters": [{"key": "cpu-shares", "value": "lots"}]}
        }))
        .unwrap(),
    );
    for (task, reason) in [
        (unknown_network, format!("network {network} not found")),
        (bad_value, "invalid argument \"lots\"".to_string()),
    ] {
        let mut h = Harness::start(task, Options::default()).await;
        let terminal = terminal_without_running(&mut h).await;
        assert_eq!(terminal.state, TaskState::Failed, "{terminal:?}");
        let message = terminal.message.clone().unwrap_or_default();
        assert!(
            message.starts_with("Container exited with status 125: "),
            "{message}"
        );
        assert!(message.contains(&reason), "{reason:?} not in {message:?}");
        assert_eq!(h.wait_exit().await, 0, "{}", h.stderr());
        assert!(!container_exists(&h.container), "container left behind");
        // Docker's words also stay in the sandbox's stderr, as before.
        assert!(h.stderr().contains(&reason), "{}", h.stderr());
    }
}

/// What `docker run` is given to tell its container from others of the same name lives in
/// the temporary directory only until the container is seen: an executor killed while its
/// task runs leaves nothing there.
#[tokio::test]
async fn a_killed_executor_leaves_nothing_in_the_temporary_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = Options {
        extra_env: vec![("TMPDIR".into(), tmp.path().display().to_string())],
        ..Options::default()
    };
    let task = shell_task("sigkilled", BUSYBOX_IMAGE, "exec sleep 600");
    let mut h = Harness::start(task, opts).await;
    run_until_running(&mut h).await;
    h.executor.start_kill().unwrap();
    h.wait_exit().await;
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
}

/// The pids whose parent is `pid`.
fn children_of(pid: u32) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid ...`; comm may hold spaces, so split after its ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(pid) {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            out.push((child, String::from_utf8_lossy(&cmdline).replace('\0', " ")));
        }
    }
    out
}

/// While the task runs, the executor keeps no `docker` process (nor any other) alive: the
/// container is driven through the daemon's API. Its output still reaches the sandbox.
#[tokio::test]
async fn no_docker_process_runs_beside_a_running_task() {
    let task = shell_task("no-cli", BUSYBOX_IMAGE, "echo hello; exec sleep 600");
    let mut h = Harness::start(task.clone(), Options::default()).await;
    run_until_running(&mut h).await;
    wait_for_file(&h.stdout_path()).await;
    let pid = h.executor.id().expect("the executor runs");
    assert_eq!(children_of(pid), Vec::new(), "{}", h.stderr());
    assert!(std::fs::read_to_string(h.stdout_path())
        .unwrap()
        .contains("hello"));
    h.kill(&task.task_id);
    let s = h.next_terminal().await;
    assert_eq!(s.state, TaskState::Killed, "{s:?}");
    assert_eq!(h.wait_exit().await, 0);
}

/// ~100 MB of interleaved stdout and stderr lines reach the sandbox files complete and in
/// order, each stream on its own file, before the terminal update.
#[tokio::test]
async fn a_flood_of_interleaved_output_arrives_complete_and_in_order() {
    const LINES: u64 = 4_000_000;
    let task = shell_task(
        "flood",
        BUSYBOX_IMAGE,
        &format!(
            "awk 'BEGIN {{ for (i = 0; i < {LINES}; i++) {{ print \"out\" i; print \"err\" i > \"/dev/stderr\" }} }}'"
        ),
    );
    let mut h = Harness::start(task, Options::default()).await;
    let terminal = h.next_terminal().await;
    assert_eq!(terminal.state, TaskState::Finished, "{terminal:?}");
    let check = |text: &str, prefix: &str| {
        let mut next = 0u64;
        for line in text.lines().filter(|l| l.starts_with(prefix)) {
            assert_eq!(line, format!("{prefix}{next}"), "line {next} of {prefix}");
            next += 1;
        }
        assert_eq!(next, LINES, "{prefix} lines");
    };
    let stdout = std::fs::read_to_string(h.stdout_path()).unwrap();
    // Nothing but the container's lines on stdout.
    assert_eq!(stdout.lines().count() as u64, LINES);
    check(&stdout, "out");
    // stderr also holds the executor's own log lines, written while the container's
    // frames arrive (so possibly in the middle of one of its lines, as when `docker run`
    // shared the file): take them out first.
    check(&without_log_lines(&h.stderr()), "err");
    assert_eq!(h.wait_exit().await, 0);
}

/// `text` without the executor's log lines (each from its timestamp to its newline).
fn without_log_lines(text: &str) -> String {
    let bytes = text.as_bytes();
    let is_stamp = |i: usize| {
        bytes.len() > i + 11
            && bytes[i..i + 4].iter().all(u8::is_ascii_digit)
            && bytes[i + 4] == b'-'
            && bytes[i + 7] == b'-'
            && bytes[i + 10] == b'T'
    };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if is_stamp(i) {
            i = text[i..].find('\n').map_or(bytes.len(), |n| i + n + 1);
            continue;
        }
        let next = (i + 1..bytes.len())
            .find(|&j| is_stamp(j))
            .unwrap_or(bytes.len());
        out.push_str(&text[i..next]);
        i = next;
    }
    out
}

/// `DockerInfo.parameters` reach the container as `docker run` options did: a handful of
/// them, read back from `docker inspect` while the task runs; `sig-proxy`, which only an
/// attached `docker run` client acts on, is accepted and dropped.
#[tokio::test]
async fn parameters_reach_the_container_as_docker_run_options() {
    let mut task = shell_task("params", BUSYBOX_IMAGE, "ulimit -n; exec sleep 600");
    task.container = Some(
        serde_json::from_value(serde_json::json!({
            "type": "DOCKER",
            "docker": {"image": BUSYBOX_IMAGE, "parameters": [
                {"key": "ulimit", "value": "nofile=1234:2345"},
                {"key": "cap-add", "value": "NET_ADMIN"},
                {"key": "shm-size", "value": "128m"},
                {"key": "security-opt", "value": "no-new-privileges"},
                {"key": "label", "value": "team=infra"},
                {"key": "sig-proxy", "value": "false"}
            ]}
        }))
        .unwrap(),
    );
    task.kill_policy = Some(grace(0));
    let mut h = Harness::start(task.clone(), Options::default()).await;
    run_until_running(&mut h).await;
    let inspect = |format: &str| test_rig::docker(&["inspect", "-f", format, &h.container]);
    assert!(
        inspect("{{json .HostConfig.Ulimits}}")
            .contains(r#""Name":"nofile","Hard":2345,"Soft":1234"#),
        "{}",
        inspect("{{json .HostConfig.Ulimits}}")
    );
    assert_eq!(
        inspect("{{json .HostConfig.CapAdd}}").trim(),
        r#"["CAP_NET_ADMIN"]"#
    );
    assert_eq!(inspect("{{.HostConfig.ShmSize}}").trim(), "134217728");
    assert_eq!(
        inspect("{{json .HostConfig.SecurityOpt}}").trim(),
        r#"["no-new-privileges"]"#
    );
    assert_eq!(
        inspect(r#"{{index .Config.Labels "team"}}"#).trim(),
        "infra"
    );
    assert_eq!(wait_for_file(&h.stdout_path()).await, "1234\n");
    h.kill(&task.task_id);
    let s = h.next_terminal().await;
    assert_eq!(s.state, TaskState::Killed, "{s:?}");
    assert_eq!(h.wait_exit().await, 0);
    assert!(!container_exists(&h.container));
}

/// Whether the test's proxy holds `stop` requests unanswered (a daemon that hangs on them).
static HANG_STOPS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn hang_stops(path: &str) -> bool {
    HANG_STOPS.load(std::sync::atomic::Ordering::SeqCst) && path.contains("/stop")
}

/// A daemon that stops answering while a task runs does not wedge the kill: the stop that
/// hangs is given up after its time limit and tried again, and once the daemon answers the
/// task is killed and reported, and its container removed.
#[tokio::test]
async fn a_daemon_that_hangs_on_the_stop_does_not_wedge_the_kill() {
    let dir = tempfile::tempdir().unwrap();
    let proxy =
        test_rig::docker_proxy::DockerProxy::hanging(&dir.path().join("docker.sock"), hang_stops);
    let mut task = shell_task("hung-stop", BUSYBOX_IMAGE, "exec sleep 600");
    task.kill_policy = Some(grace(0));
    let opts = Options {
        docker_socket: Some(proxy.path.clone()),
        ..Options::default()
    };
    let mut h = Harness::start(task.clone(), opts).await;
    run_until_running(&mut h).await;
    HANG_STOPS.store(true, std::sync::atomic::Ordering::SeqCst);
    h.kill(&task.task_id);
    let (s, _) = h.next_update().await;
    assert_eq!(s.state, TaskState::Killing);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let running = test_rig::docker(&["inspect", "-f", "{{.State.Running}}", &h.container]);
    assert_eq!(
        running.trim(),
        "true",
        "the hung stop cannot have stopped it"
    );
    HANG_STOPS.store(false, std::sync::atomic::Ordering::SeqCst);
    let (s, _) = h.next_update().await;
    assert_eq!(s.state, TaskState::Killed, "{s:?}\n{}", h.stderr());
    assert_eq!(h.wait_exit().await, 0);
    assert!(!container_exists(&h.container));
    assert!(h.stderr().contains("timed out"), "{}", h.stderr());
}
