//! Each `docker run` argv rule that docker records, checked on a real container through
//! `docker inspect`.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use mesos_types::container::{DockerNetwork, Parameter, PortMapping, Volume, VolumeMode};
use mesos_types::resources::{Resource, Scalar};
use mesos_types::task::{Environment, Variable};
use test_rig::{unique_name, ContainerGuard};

fn scalar(name: &str, value: f64) -> Resource {
    Resource::scalar(name, value)
}

struct Case {
    name: String,
    _guard: ContainerGuard,
    sandbox: tempfile::TempDir,
}

fn case(prefix: &str) -> Case {
    let name = unique_name(prefix);
    Case {
        _guard: ContainerGuard(name.clone()),
        name,
        sandbox: tempfile::tempdir().unwrap(),
    }
}

#[tokio::test]
async fn privileged() {
    let docker = real_docker();
    let c = case("mesos-test-priv-");
    let mut options = busybox_options(&c.name, c.sandbox.path(), "true");
    options.container.docker.as_mut().unwrap().privileged = Some(true);
    let (code, container) = run_to_completion(&docker, &options).await;
    // Inside an unprivileged build container runc cannot grant every capability and docker
    // fails the start with 125; the daemon still records the flag, which is what we test.
    assert!(matches!(code, Some(0) | Some(125)), "{code:?}");
    assert!(container.host_config.privileged);
}

#[tokio::test]
async fn resources_and_labels() {
    let docker = real_docker();
    let c = case("mesos-test-res-");
    let mut options = busybox_options(
        &c.name,
        c.sandbox.path(),
        "cat /proc/self/oom_score_adj > $MESOS_SANDBOX/oom",
    );
    options.resources = Some(vec![scalar("cpus", 0.5), scalar("mem", 64.0)]);
    options.limits = BTreeMap::from([
        ("cpus".to_string(), Scalar::new(0.25)),
        ("mem".to_string(), Scalar::new(128.0)),
    ]);
    options.host_memory_bytes = Some(1024 << 20);
    options.labels = MesosLabels {
        agent_id: Some("agent-x".into()),
        framework_id: Some("fw".into()),
        executor_id: Some("ex".into()),
        task_id: Some("t".into()),
        container_id: Some(c.name.trim_start_matches("mesos-").into()),
    };
    let (code, container) = run_to_completion(&docker, &options).await;
    assert_eq!(code, Some(0));
    let hc = &container.host_config;
    assert!(!hc.privileged);
    assert_eq!(hc.cpu_shares, Some(512));
    assert_eq!(hc.cpu_quota, Some(25_000));
    assert_eq!(hc.memory, Some(128 << 20));
    assert_eq!(hc.memory_reservation, Some(64 << 20));
    // 1000 - 1000 * 64 MiB / 1 GiB
    assert_eq!(hc.oom_score_adj, Some(938));
    let oom = std::fs::read_to_string(c.sandbox.path().join("oom")).unwrap();
    assert_eq!(oom.trim(), "938");
    let ours = MesosLabels::from_labels(&container.labels);
    assert_eq!(ours, options.labels);
}

#[tokio::test]
async fn cfs_quota_from_request_and_memory_from_request() {
    let docker = real_docker();
    let c = case("mesos-test-cfs-");
    let mut options = busybox_options(&c.name, c.sandbox.path(), "true");
    options.resources = Some(vec![scalar("cpus", 1.5), scalar("mem", 48.0)]);
    options.enable_cfs_quota = true;
    let (code, container) = run_to_completion(&docker, &options).await;
    assert_eq!(code, Some(0));
    assert_eq!(container.host_config.cpu_shares, Some(1536));
    assert_eq!(container.host_config.cpu_quota, Some(150_000));
    assert_eq!(container.host_config.memory, Some(48 << 20));
    assert_eq!(container.host_config.memory_reservation, None);
    assert_eq!(container.host_config.oom_score_adj, None);
}

#[tokio::test]
async fn env_values_reach_the_container_but_not_argv() {
    let docker = real_docker();
    let c = case("mesos-test-env-");
    let secret = format!("s3cr3t-{}", c.name);
    let mut options = busybox_options(
        &c.name,
        c.sandbox.path(),
        "test \"$TASK_SECRET\" = \"$EXPECTED_FROM_CALLER-tail\" && test \"$MESOS_SANDBOX\" = /mnt/mesos/sandbox",
    );
    options.command.environment = Some(Environment {
        variables: vec![Variable::new("TASK_SECRET", format!("{secret}-tail"))],
    });
    options
        .env
        .insert("EXPECTED_FROM_CALLER".into(), secret.clone());
    let command = build_run_command(&options).unwrap();
    assert!(!command.argv(&docker).iter().any(|a| a.contains(&secret)));
    let (code, container) = run_to_completion(&docker, &options).await;
    assert_eq!(code, Some(0), "the values did not reach the container");
    let env: Vec<&str> = container.raw["Config"]["Env"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(
        env.contains(&format!("TASK_SECRET={secret}-tail").as_str()),
        "{env:?}"
    );
    assert!(
        env.contains(&format!("MESOS_CONTAINER_NAME={}", c.name).as_str()),
        "{env:?}"
    );
    // The docker CLI's own argv (as the daemon records it) has no values either.
    assert!(!container.raw["Args"].to_string().contains(&secret));
}

#[tokio::test]
async fn volumes_ro_rw_and_sandbox() {
    let docker = real_docker();
    let c = case("mesos-test-vol-");
    let ro = tempfile::tempdir().unwrap();
    let rw = tempfile::tempdir().unwrap();
    std::fs::write(ro.path().join("in"), "read-only data").unwrap();
    let mut options = busybox_options(
        &c.name,
        c.sandbox.path(),
        "cat /ro/in > $MESOS_SANDBOX/copied && ! touch /ro/nope 2>/dev/null && echo w > /rw/out && echo s > rel/out",
    );
    std::fs::create_dir(c.sandbox.path().join("relsrc")).unwrap();
    options.container.volumes = vec![
        Volume {
            mode: VolumeMode::Ro,
            container_path: "/ro".into(),
            host_path: Some(ro.path().display().to_string()),
            image: None,
            source: None,
        },
        Volume {
            mode: VolumeMode::Rw,
            container_path: "/rw".into(),
            host_path: Some(rw.path().display().to_string()),
            image: None,
            source: None,
        },
    ];
    // A relative container path lands in the mapped sandbox; the shell runs in `/`, so
    // refer to it through MESOS_SANDBOX.
    options.command.value = Some(format!(
        "{} ; test -d $MESOS_SANDBOX/relsrc",
        options
            .command
            .value
            .as_deref()
            .unwrap()
            .replace("rel/out", "$MESOS_SANDBOX/relsrc/out")
    ));
    let (code, container) = run_to_completion(&docker, &options).await;
    assert_eq!(code, Some(0));
    assert_eq!(
        std::fs::read_to_string(c.sandbox.path().join("copied")).unwrap(),
        "read-only data"
    );
    assert_eq!(
        std::fs::read_to_string(rw.path().join("out")).unwrap(),
        "w\n"
    );
    assert_eq!(
        std::fs::read_to_string(c.sandbox.path().join("relsrc/out")).unwrap(),
        "s\n"
    );
    let binds = &container.host_config.binds;
    assert!(
        binds.contains(&format!("{}:/ro:ro", ro.path().display())),
        "{binds:?}"
    );
    assert!(
        binds.contains(&format!("{}:/rw:rw", rw.path().display())),
        "{binds:?}"
    );
    assert!(
        binds.contains(&format!(
            "{}:/mnt/mesos/sandbox",
            c.sandbox.path().display()
        )),
        "{binds:?}"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn bridge_port_mapping_hostname_and_dns() {
    let docker = real_docker();
    let c = case("mesos-test-net-");
    let port = free_port();
    let mut options = busybox_options(&c.name, c.sandbox.path(), "sleep 60");
    {
        let info = options.container.docker.as_mut().unwrap();
        info.network = Some(DockerNetwork::Bridge);
        info.port_mappings = vec![PortMapping {
            host_port: u32::from(port),
            container_port: 8080,
            protocol: Some("TCP".into()),
        }];
    }
    options.container.hostname = Some("web-host".into());
    options.resources = Some(vec![Resource::ranges(
        "ports",
        [(u64::from(port), u64::from(port))],
    )]);
    options.default_dns = Some(
        ContainerDnsInfo::parse(
            r#"{"docker":[{"network_mode":"BRIDGE","dns":{"nameservers":["10.0.0.53"],"search":["example.test"],"options":["ndots:2"]}}]}"#,
        )
        .unwrap(),
    );
    let command = build_run_command(&options).unwrap();
    let mut handle = docker
        .run(
            &command,
            std::process::Stdio::null(),
            std::process::Stdio::null(),
        )
        .unwrap();
    let container = docker
        .inspect_until_started(&c.name, Duration::from_secs(30))
        .await
        .unwrap();
    let hc = &container.host_config;
    assert_eq!(hc.network_mode.as_deref(), Some("bridge"));
    assert_eq!(hc.port_bindings["8080/tcp"][0].host_port, port.to_string());
    assert_eq!(hc.dns, ["10.0.0.53"]);
    assert_eq!(hc.dns_search, ["example.test"]);
    assert_eq!(hc.dns_options, ["ndots:2"]);
    assert_eq!(container.raw["Config"]["Hostname"], "web-host");
    assert!(
        container.ip_address.is_some(),
        "a bridge container has an IP"
    );
    docker.stop(&c.name, Duration::ZERO).await.unwrap();
    handle.wait().await.unwrap();
}

#[tokio::test]
async fn none_network_and_parameters() {
    let docker = real_docker();
    let c = case("mesos-test-none-");
    let mut options = busybox_options(&c.name, c.sandbox.path(), "test \"$(pwd)\" = /tmp");
    {
        let info = options.container.docker.as_mut().unwrap();
        info.network = Some(DockerNetwork::None);
        info.parameters = vec![
            Parameter {
                key: "workdir".into(),
                value: "/tmp".into(),
            },
            Parameter {
                key: "label".into(),
                value: "extra=1".into(),
            },
        ];
    }
    let (code, container) = run_to_completion(&docker, &options).await;
    assert_eq!(code, Some(0));
    assert_eq!(container.host_config.network_mode.as_deref(), Some("none"));
    assert_eq!(container.ip_address, None);
    assert_eq!(container.labels.get("extra").map(String::as_str), Some("1"));
}

#[tokio::test]
async fn image_entrypoint_with_shell_false() {
    let docker = real_docker();
    let c = case("mesos-test-ep-");
    let mut options = busybox_options(&c.name, c.sandbox.path(), "ignored");
    options.container.docker.as_mut().unwrap().image = test_rig::ENTRYPOINT_IMAGE.into();
    options.command = mesos_types::task::CommandInfo {
        shell: Some(false),
        value: Some("first".into()),
        arguments: vec!["second".into()],
        ..Default::default()
    };
    let (code, container) = run_to_completion(&docker, &options).await;
    assert_eq!(code, Some(0));
    let args: Vec<&str> = container.raw["Args"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(args, ["entrypoint", "first", "second"]);
}
