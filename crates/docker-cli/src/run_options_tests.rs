//! One test per argv rule (1–24, docs/mesos-compat.md), each error included, plus a whole
//! example on a bridge network.
//! Expected argv are written out in full ("snapshots") so any change of order shows.

use super::*;
use mesos_types::container::{
    DockerInfo, DockerVolume, NetworkInfo, Parameter, PortMapping, Volume, VolumeSource,
};
use mesos_types::resources::AllocationInfo;
use mesos_types::task::{Environment, Secret, Variable};

const SANDBOX: &str = "/var/lib/mesos/sandboxes/c1";
const MAPPED: &str = "/mnt/mesos/sandbox";

/// The tail every shell-command container ends with.
const TAIL: &str = "--entrypoint /bin/sh --name mesos-c1 -- busybox -c true";

fn options() -> RunOptions {
    RunOptions::new(
        ContainerInfo::docker("busybox"),
        CommandInfo::shell_command("true"),
        "mesos-c1",
        SANDBOX,
        MAPPED,
    )
}

fn docker_info(o: &mut RunOptions) -> &mut DockerInfo {
    o.container.docker.as_mut().unwrap()
}

fn build(o: &RunOptions) -> String {
    build_run_command(o).unwrap().args.join(" ")
}

fn error(o: &RunOptions) -> String {
    build_run_command(o).unwrap_err().to_string()
}

/// The env part of a minimal container without requests.
const ENV: &str = "-e MESOS_CONTAINER_NAME -e MESOS_SANDBOX";
/// The sandbox volume.
fn sandbox_volume() -> String {
    format!("-v {SANDBOX}:{MAPPED}")
}

fn minimal(middle: &str) -> String {
    format!("run {ENV} {} {middle} {TAIL}", sandbox_volume())
}

fn scalar(name: &str, value: f64) -> Resource {
    Resource::scalar(name, value)
}

fn limits(pairs: &[(&str, f64)]) -> BTreeMap<String, Scalar> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Scalar::new(*v)))
        .collect()
}

#[test]
fn rule_01_prefix_comes_from_docker() {
    let o = options();
    assert_eq!(build(&o), minimal("--net host"));
    let docker = Docker::new("docker", Some(std::path::Path::new("/var/run/docker.sock"))).unwrap();
    let argv = build_run_command(&o).unwrap().argv(&docker);
    assert_eq!(
        argv[..4],
        ["docker", "-H", "unix:///var/run/docker.sock", "run"]
    );
}

#[test]
fn rule_00_docker_info_required() {
    let mut o = options();
    o.container.docker = None;
    assert_eq!(
        error(&o),
        "container.docker: No docker info found in container info"
    );
}

#[test]
fn rule_02_privileged() {
    let mut o = options();
    docker_info(&mut o).privileged = Some(true);
    assert_eq!(
        build(&o),
        format!(
            "run --privileged {ENV} {} --net host {TAIL}",
            sandbox_volume()
        )
    );
    docker_info(&mut o).privileged = Some(false);
    assert_eq!(build(&o), minimal("--net host"));
}

#[test]
fn rule_03_cpu_shares() {
    let mut o = options();
    o.resources = Some(vec![scalar("cpus", 0.5), scalar("cpus", 0.25)]);
    let args = build(&o);
    assert!(
        args.starts_with("run --cpu-shares 768 -e MESOS_ALLOCATION_ROLE "),
        "{args}"
    );
    // Zero cpus still gets the minimum of 2 shares.
    o.resources = Some(vec![scalar("cpus", 0.0)]);
    assert!(build(&o).starts_with("run --cpu-shares 2 -e"));
    // No cpus request: no flag.
    o.resources = Some(vec![scalar("mem", 64.0)]);
    assert!(!build(&o).contains("--cpu-shares"));
    o.resources = None;
    assert!(!build(&o).contains("--cpu-shares"));
}

#[test]
fn rule_04_cfs_quota() {
    let mut o = options();
    o.resources = Some(vec![scalar("cpus", 0.5)]);
    // No limit, CFS off: no quota.
    assert!(!build(&o).contains("--cpu-quota"));
    // No limit, CFS on: quota from the request.
    o.enable_cfs_quota = true;
    assert!(build(&o).starts_with("run --cpu-shares 512 --cpu-quota 50000 -e"));
    // A finite limit wins, even with CFS off; tiny limits get the 1 ms minimum.
    o.enable_cfs_quota = false;
    o.limits = limits(&[("cpus", 2.0)]);
    assert!(build(&o).starts_with("run --cpu-shares 512 --cpu-quota 200000 -e"));
    o.limits = limits(&[("cpus", 0.001)]);
    assert!(build(&o).contains("--cpu-quota 1000 "));
    // An infinite limit means no quota at all, even with CFS on.
    o.enable_cfs_quota = true;
    o.limits = limits(&[("cpus", f64::INFINITY)]);
    assert!(!build(&o).contains("--cpu-quota"));
}

#[test]
fn rule_05_memory_reservation() {
    let mut o = options();
    o.host_memory_bytes = Some(1024 * MIB);
    o.resources = Some(vec![scalar("mem", 64.0)]);
    // No limit: no reservation.
    assert!(!build(&o).contains("--memory-reservation"));
    o.limits = limits(&[("mem", 64.0)]);
    assert!(build(&o).starts_with("run --memory-reservation 67108864 --memory 67108864 -e"));
    // Below the 32 MiB minimum.
    o.resources = Some(vec![scalar("mem", 16.0)]);
    assert!(build(&o).starts_with("run --memory-reservation 33554432 --memory 67108864 "));
}

#[test]
fn rule_06_memory() {
    let mut o = options();
    o.resources = Some(vec![scalar("mem", 128.0)]);
    assert!(build(&o).starts_with("run --memory 134217728 -e"));
    o.resources = Some(vec![scalar("mem", 8.0)]);
    assert!(build(&o).starts_with("run --memory 33554432 -e"));
    // A limit is truncated to whole MB; no request, so no reservation or OOM adjustment.
    o.resources = None;
    o.limits = limits(&[("mem", 100.9)]);
    assert!(build(&o).starts_with("run --memory 104857600 -e"));
    // Infinite limit: no --memory at all.
    o.limits = limits(&[("mem", f64::INFINITY)]);
    assert!(!build(&o).contains("--memory"));
}

#[test]
fn rule_07_oom_score_adj() {
    let mut o = options();
    o.host_memory_bytes = Some(1024 * MIB);
    o.resources = Some(vec![scalar("mem", 256.0)]);
    o.limits = limits(&[("mem", 512.0)]);
    assert!(build(&o).starts_with(
        "run --memory-reservation 268435456 --memory 536870912 --oom-score-adj 750 -e"
    ));
    // Infinite limit: adjustment but no --memory.
    o.limits = limits(&[("mem", f64::INFINITY)]);
    assert!(build(&o).starts_with("run --memory-reservation 268435456 --oom-score-adj 750 -e"));
    // Request equal to the limit: no adjustment.
    o.limits = limits(&[("mem", 256.0)]);
    assert!(!build(&o).contains("--oom-score-adj"));
    // Request above host memory: clamped to the kernel's range.
    o.limits = limits(&[("mem", f64::INFINITY)]);
    o.resources = Some(vec![scalar("mem", 4096.0)]);
    assert!(build(&o).contains("--oom-score-adj -1000 "));
    // Host memory unknown.
    o.host_memory_bytes = None;
    assert_eq!(
        error(&o),
        "host_memory_bytes: Failed to calculate OOM score adjustment: the total memory of the host is unknown"
    );
}

#[test]
fn rules_03_to_06_values_docker_would_refuse_are_refused_first() {
    let mut o = options();
    o.resources = Some(vec![scalar("cpus", 256.0)]);
    assert!(build(&o).contains("--cpu-shares 262144"));
    o.resources = Some(vec![scalar("cpus", 256.01)]);
    assert_eq!(
        error(&o),
        "resources: a cpus request of 256.01 needs more than Docker's maximum of 262144 cpu \
         shares (256 cpus, executor resources included, if any): request fewer cpus"
    );
    o.resources = Some(vec![scalar("cpus", 1e15)]);
    assert!(error(&o).starts_with("resources: a cpus request of 1e15 needs more"));

    let mut o = options();
    o.resources = Some(vec![scalar("cpus", 1.0)]);
    o.limits = limits(&[("cpus", 1e300)]);
    assert!(
        error(&o).starts_with(&format!(
            "limits.cpus: 1e300 cpus need a CPU quota of {} us, more than the kernel's maximum \
             of 17592186044415 us",
            u64::MAX
        )),
        "{}",
        error(&o)
    );
    o.limits = limits(&[("cpus", 100_000_000.0)]);
    assert!(build(&o).contains("--cpu-quota 10000000000000"));

    let mut o = options();
    o.resources = Some(vec![scalar("mem", 9e12)]);
    assert_eq!(
        error(&o),
        "resources: a mem request of 9000000000000 MB is more than Docker takes \
         (8796093022207 MB): request less mem (executor resources included, if any)"
    );
    o.resources = Some(vec![scalar("mem", 8_796_093_022_207.0)]);
    assert!(build(&o).contains("--memory 9223372036853727232"));
    o.host_memory_bytes = Some(1 << 34);
    o.resources = Some(vec![scalar("mem", 64.0)]);
    o.limits = limits(&[("mem", 1e300)]);
    assert!(
        error(&o).starts_with("limits.mem: a mem limit of 1e300 MB is more than Docker takes"),
        "{}",
        error(&o)
    );
    o.resources = Some(vec![scalar("mem", 9e12)]);
    o.limits = limits(&[("mem", f64::INFINITY)]);
    assert!(
        error(&o).starts_with("resources: a mem request of"),
        "{}",
        error(&o)
    );
}

#[test]
fn rule_06_a_memory_limit_below_the_reservation_is_refused() {
    let mut o = options();
    // The command executor's 32 MB make the reservation 160 MB.
    o.resources = Some(vec![scalar("mem", 128.0), scalar("mem", 32.0)]);
    o.limits = limits(&[("mem", 128.0)]);
    assert_eq!(
        error(&o),
        "limits.mem: the memory limit of 128 MB is below the container's memory reservation \
         of 160 MB (the mem request, executor resources included, if any), which Docker refuses: give a \
         limit of at least 160 MB"
    );
    o.limits = limits(&[("mem", 160.0)]);
    assert!(build(&o).contains("--memory-reservation 167772160 --memory 167772160"));
}

#[test]
fn rule_08_environment_names_on_argv_values_in_env() {
    let mut o = options();
    o.env.insert("FROM_CALLER".into(), "caller".into());
    o.env.insert("SHARED".into(), "caller-wins".into());
    o.command.environment = Some(Environment {
        variables: vec![
            Variable::new("SHARED", "task-loses"),
            Variable::new("TASK_ONLY", "s3cr3t value with spaces"),
            Variable::new("MESOS_SANDBOX", "overwritten"),
            Variable {
                name: "INLINE_SECRET".into(),
                r#type: Some(VariableType::Secret),
                value: None,
                secret: Some(Secret::inline("hunter2")),
            },
        ],
    });
    let mut first = scalar("cpus", 1.0);
    first.allocation_info = Some(AllocationInfo {
        role: Some("web".into()),
    });
    o.resources = Some(vec![first, scalar("mem", 64.0)]);
    let command = build_run_command(&o).unwrap();
    let args = command.args.join(" ");
    assert!(
        args.contains(
            "-e FROM_CALLER -e INLINE_SECRET -e MESOS_ALLOCATION_ROLE -e MESOS_CONTAINER_NAME \
             -e MESOS_SANDBOX -e SHARED -e TASK_ONLY -v"
        ),
        "{args}"
    );
    for value in ["caller", "caller-wins", "s3cr3t", "hunter2", "web"] {
        assert!(
            !command.args.iter().any(|a| a.contains(value)) || value == "web",
            "{value}"
        );
    }
    assert!(!args.contains("s3cr3t") && !args.contains("hunter2"));
    let env: BTreeMap<_, _> = command.env.iter().cloned().collect();
    assert_eq!(env["SHARED"], "caller-wins");
    assert_eq!(env["TASK_ONLY"], "s3cr3t value with spaces");
    assert_eq!(env["MESOS_SANDBOX"], MAPPED);
    assert_eq!(env["MESOS_CONTAINER_NAME"], "mesos-c1");
    assert_eq!(env["MESOS_ALLOCATION_ROLE"], "web");
    assert_eq!(env["INLINE_SECRET"], "hunter2");
    assert_eq!(command.env_names().len(), 7);
    assert!(!format!("{command:?}").contains("hunter2"));

    // Without an allocation role the legacy role, then `*`.
    o.resources = Some(vec![scalar("cpus", 1.0)]);
    let env = build_run_command(&o).unwrap().env;
    assert!(env.contains(&("MESOS_ALLOCATION_ROLE".into(), "*".into())));
}

#[test]
fn rule_08_environment_errors() {
    let mut o = options();
    o.command.environment = Some(Environment {
        variables: vec![Variable::new("A=B", "x")],
    });
    assert_eq!(
        error(&o),
        "command.environment.variables[0].name: 'A=B' is not a usable environment variable \
         name (it must be non-empty and contain no '=' or control character)"
    );
    o.command.environment = Some(Environment {
        variables: vec![Variable::new("A\nB", "x")],
    });
    assert_eq!(
        error(&o),
        "command.environment.variables[0].name: 'A\\nB' is not a usable environment variable \
         name (it must be non-empty and contain no '=' or control character)"
    );
    o.command.environment = Some(Environment {
        variables: vec![Variable {
            name: "REF".into(),
            r#type: Some(VariableType::Secret),
            value: None,
            secret: Some(Secret {
                r#type: Some(SecretType::Reference),
                reference: None,
                value: None,
            }),
        }],
    });
    assert!(error(&o).contains("secret references cannot be resolved"));
}

fn volume(mode: VolumeMode, container_path: &str, host_path: Option<&str>) -> Volume {
    Volume {
        mode,
        container_path: container_path.into(),
        host_path: host_path.map(Into::into),
        image: None,
        source: None,
    }
}

fn docker_volume(mode: VolumeMode, path: &str, name: &str, driver: Option<&str>) -> Volume {
    Volume {
        source: Some(VolumeSource {
            r#type: Some(VolumeSourceType::DockerVolume),
            docker_volume: Some(DockerVolume {
                driver: driver.map(Into::into),
                name: name.into(),
                driver_options: None,
            }),
            ..Default::default()
        }),
        ..volume(mode, path, None)
    }
}

#[test]
fn rule_09_volumes() {
    let mut o = options();
    o.container.volumes = vec![
        volume(VolumeMode::Ro, "/etc/host-conf", Some("/etc/conf")),
        volume(VolumeMode::Rw, "data", Some("/srv/data")),
        volume(VolumeMode::Rw, "/cache", Some("cache")),
        docker_volume(VolumeMode::Ro, "/named", "vol1", None),
        Volume {
            source: Some(VolumeSource {
                r#type: Some(VolumeSourceType::SandboxPath),
                ..Default::default()
            }),
            ..volume(VolumeMode::Rw, "/skipped", None)
        },
    ];
    assert_eq!(
        build(&o),
        format!(
            "run {ENV} -v /etc/conf:/etc/host-conf:ro -v /srv/data:{MAPPED}/data:rw \
             -v {SANDBOX}/cache:/cache:rw -v vol1:/named:ro {} --net host {TAIL}",
            sandbox_volume()
        )
    );
}

#[test]
fn rule_09_volume_errors() {
    let mut o = options();
    o.container.volumes = vec![volume(VolumeMode::Rw, "data", Some("host"))];
    assert_eq!(
        error(&o),
        "container.volumes[0]: Both host_path 'host' and container_path 'data' of a volume are relative"
    );
    o.container.volumes = vec![volume(VolumeMode::Rw, "/data", None)];
    assert_eq!(
        error(&o),
        "container.volumes[0]: Host path or volume source is required"
    );
    o.container.volumes = vec![
        docker_volume(VolumeMode::Rw, "/a", "a", Some("local")),
        docker_volume(VolumeMode::Rw, "/b", "b", Some("rexray")),
    ];
    assert_eq!(
        error(&o),
        "container.volumes[1].source.docker_volume.driver: Only one volume driver is supported: \
         'rexray' differs from 'local'"
    );
}

#[test]
fn rule_10_sandbox_volume_is_last_without_mode() {
    let mut o = options();
    o.container.volumes = vec![volume(VolumeMode::Rw, "/x", Some("/y"))];
    let args = build_run_command(&o).unwrap().args;
    let volumes: Vec<&String> = args
        .iter()
        .zip(args.iter().skip(1))
        .filter(|(flag, _)| *flag == "-v")
        .map(|(_, v)| v)
        .collect();
    assert_eq!(
        volumes,
        [&"/y:/x:rw".to_string(), &format!("{SANDBOX}:{MAPPED}")]
    );
}

#[test]
fn rule_09_and_10_paths_with_a_colon_are_mounted_with_mount() {
    // `-v a:b:c` would split the path at its ':'; `--mount` separates fields with ','.
    let mut o = options();
    o.sandbox_dir = "/tmp/x/work:1/sandboxes/c1".into();
    o.container.volumes = vec![
        volume(VolumeMode::Ro, "/etc/conf", Some("/srv/a:b")),
        volume(VolumeMode::Rw, "/in:side", Some("/srv/plain")),
        volume(VolumeMode::Rw, "/q", Some("/srv/with,comma:and\"quote")),
        volume(VolumeMode::Rw, "/cache", Some("cache")),
        volume(VolumeMode::Ro, "/etc/plain", Some("/etc/plain")),
    ];
    assert_eq!(
        build_run_command(&o).unwrap().args[..16],
        [
            "run",
            "-e",
            "MESOS_CONTAINER_NAME",
            "-e",
            "MESOS_SANDBOX",
            "--mount",
            "type=bind,source=/srv/a:b,target=/etc/conf,readonly",
            "--mount",
            "type=bind,source=/srv/plain,target=/in:side",
            "--mount",
            "type=bind,\"source=/srv/with,comma:and\"\"quote\",target=/q",
            "--mount",
            "type=bind,source=/tmp/x/work:1/sandboxes/c1/cache,target=/cache",
            "-v",
            "/etc/plain:/etc/plain:ro",
            "--mount",
        ]
    );
    assert!(build(&o).contains(&format!(
        "--mount type=bind,source=/tmp/x/work:1/sandboxes/c1,target={MAPPED} --net host"
    )));
    // A named volume mounted at a path with ':' keeps its driver.
    o.container.volumes = vec![docker_volume(VolumeMode::Ro, "/a:b", "vol", Some("local"))];
    assert!(build(&o).contains(
        "--mount type=volume,source=vol,target=/a:b,readonly,volume-driver=local --mount"
    ));
}

#[test]
fn rule_11_volume_driver() {
    let mut o = options();
    o.container.volumes = vec![docker_volume(VolumeMode::Rw, "/a", "a", Some("local"))];
    assert_eq!(
        build(&o),
        format!(
            "run {ENV} -v a:/a:rw {} --volume-driver=local --net host {TAIL}",
            sandbox_volume()
        )
    );
    // The legacy field alone, with a relative host path taken as a named volume.
    o.container.volumes = vec![volume(VolumeMode::Ro, "/n", Some("named"))];
    docker_info(&mut o).volume_driver = Some("flocker".into());
    assert_eq!(
        build(&o),
        format!(
            "run {ENV} -v named:/n:ro {} --volume-driver=flocker --net host {TAIL}",
            sandbox_volume()
        )
    );
    o.container.volumes = vec![docker_volume(VolumeMode::Rw, "/a", "a", Some("local"))];
    assert_eq!(
        error(&o),
        "container.docker.volume_driver: Only one volume driver per task is supported: \
         'flocker' differs from 'local'"
    );
}

fn user_network(o: &mut RunOptions, name: Option<&str>) {
    docker_info(o).network = Some(DockerNetwork::User);
    o.container.network_infos = vec![NetworkInfo {
        name: name.map(Into::into),
        ..Default::default()
    }];
}

#[test]
fn rule_12_network() {
    let mut o = options();
    assert!(build(&o).contains(" --net host "));
    for (mode, name) in [
        (DockerNetwork::Bridge, "bridge"),
        (DockerNetwork::None, "none"),
    ] {
        docker_info(&mut o).network = Some(mode);
        assert_eq!(build(&o), minimal(&format!("--net {name}")));
    }
    user_network(&mut o, Some("my-net"));
    assert_eq!(build(&o), minimal("--net my-net"));
}

#[test]
fn rule_12_network_errors_and_versions() {
    let mut o = options();
    docker_info(&mut o).network = Some(DockerNetwork::User);
    assert!(error(&o).starts_with("container.network_infos: No network info found"));
    user_network(&mut o, None);
    assert_eq!(
        error(&o),
        "container.network_infos[0].name: No network name found in network info"
    );
    o.container.network_infos.push(NetworkInfo::default());
    assert_eq!(
        error(&o),
        "container.network_infos: Only a single network can be defined in Docker run, 2 given"
    );
    user_network(&mut o, Some("my-net"));
    o.docker_version = Some(Version::new(1, 8, 0));
    assert_eq!(
        error(&o),
        "User defined networks: Docker 1.9.0 or higher is required (found 1.8.0)"
    );
    o.docker_version = Some(Version::new(1, 9, 0));
    build(&o);

    // --dns with the host network (by parameter) needs 1.12.
    let mut o = options();
    docker_info(&mut o).network = Some(DockerNetwork::Bridge);
    docker_info(&mut o).parameters = vec![Parameter {
        key: "net".into(),
        value: "host".into(),
    }];
    o.default_dns = Some(
        ContainerDnsInfo::parse(
            r#"{"docker":[{"network_mode":"BRIDGE","dns":{"nameservers":["8.8.8.8"]}}]}"#,
        )
        .unwrap(),
    );
    o.docker_version = Some(Version::new(1, 11, 2));
    assert_eq!(
        error(&o),
        "--dns option with host network: Docker 1.12.0 or higher is required (found 1.11.2)"
    );
    o.docker_version = Some(Version::new(1, 12, 0));
    assert_eq!(build(&o), minimal("--net host --dns 8.8.8.8"));
}

fn with_default_dns(o: &mut RunOptions) {
    o.default_dns = Some(
        ContainerDnsInfo::parse(
            r#"{"docker":[
                {"network_mode":"BRIDGE","dns":{"nameservers":["1.1.1.1","8.8.8.8"],"search":["b.example"],"options":["ndots:1"]}},
                {"network_mode":"USER","network_name":"net-a","dns":{"nameservers":["10.0.0.1"]}},
                {"network_mode":"USER","dns":{"nameservers":["10.9.9.9"],"search":["u.example"]}}]}"#,
        )
        .unwrap(),
    );
}

#[test]
fn rule_13_to_15_dns_on_bridge() {
    let mut o = options();
    with_default_dns(&mut o);
    docker_info(&mut o).network = Some(DockerNetwork::Bridge);
    assert_eq!(
        build(&o),
        minimal(
            "--net bridge --dns 1.1.1.1 --dns 8.8.8.8 --dns-search b.example --dns-opt ndots:1"
        )
    );
    // Host and none networks get no default DNS.
    docker_info(&mut o).network = None;
    assert_eq!(build(&o), minimal("--net host"));
}

#[test]
fn rule_15_dns_opt_needs_1_9() {
    let mut o = options();
    with_default_dns(&mut o);
    docker_info(&mut o).network = Some(DockerNetwork::Bridge);
    o.docker_version = Some(Version::new(1, 8, 3));
    assert_eq!(
        error(&o),
        "--dns-opt option: Docker 1.9.0 or higher is required (found 1.8.3)"
    );
}

#[test]
fn rule_16_hostname() {
    let mut o = options();
    o.container.hostname = Some("web-1".into());
    assert_eq!(
        error(&o),
        "container.hostname: Unable to set hostname with host network mode (use BRIDGE or USER network)"
    );
    docker_info(&mut o).network = Some(DockerNetwork::Bridge);
    assert_eq!(build(&o), minimal("--net bridge --hostname web-1"));
    // The check uses the network before parameters: bridge + `net=host` passes it.
    docker_info(&mut o).parameters = vec![Parameter {
        key: "network".into(),
        value: "host".into(),
    }];
    assert_eq!(build(&o), minimal("--net host --hostname web-1"));
}

fn port(host: u32, container: u32, protocol: Option<&str>) -> PortMapping {
    PortMapping {
        host_port: host,
        container_port: container,
        protocol: protocol.map(Into::into),
    }
}

#[test]
fn rule_17_ports() {
    let mut o = options();
    docker_info(&mut o).network = Some(DockerNetwork::Bridge);
    docker_info(&mut o).port_mappings = vec![port(31000, 80, Some("TCP")), port(31005, 53, None)];
    o.resources = Some(vec![Resource::ranges("ports", [(31000, 31009)])]);
    let args = build(&o);
    assert!(
        args.contains("--net bridge -p 31000:80/tcp -p 31005:53 --entrypoint"),
        "{args}"
    );
}

#[test]
fn rule_17_port_errors() {
    let mut o = options();
    docker_info(&mut o).port_mappings = vec![port(31000, 80, None)];
    assert_eq!(
        error(&o),
        "container.docker.port_mappings: Port mappings are only supported for bridge and \
         user-defined networks, not 'host'"
    );
    docker_info(&mut o).network = Some(DockerNetwork::None);
    assert!(error(&o).ends_with("not 'none'"));
    docker_info(&mut o).network = Some(DockerNetwork::Bridge);
    assert_eq!(error(&o), "resources: Port mappings require resources");
    o.resources = Some(vec![scalar("cpus", 1.0)]);
    assert_eq!(
        error(&o),
        "resources: Port mappings require port resources (a RANGES resource named 'ports')"
    );
    o.resources = Some(vec![Resource::ranges("ports", [(32000, 32001)])]);
    assert_eq!(
        error(&o),
        "container.docker.port_mappings[0].host_port: Port [31000] not included in resources"
    );
}

#[test]
fn rule_18_devices() {
    let mut o = options();
    o.devices = vec![Device {
        host_path: "/dev/fuse".into(),
        container_path: "/dev/fuse".into(),
        read: true,
        write: false,
        mknod: true,
    }];
    assert_eq!(
        build(&o),
        format!(
            "run {ENV} {} --net host --device=/dev/fuse:/dev/fuse:rm {TAIL}",
            sandbox_volume()
        )
    );
    o.devices[0].host_path = "dev/fuse".into();
    assert_eq!(
        error(&o),
        "devices[0]: Device path 'dev/fuse' is not an absolute path"
    );
    o.devices[0].host_path = "/dev/fuse".into();
    o.devices[0].read = false;
    o.devices[0].mknod = false;
    assert_eq!(
        error(&o),
        "devices[0]: At least one access required for --devices: none specified for '/dev/fuse'"
    );
}

#[test]
fn rule_19_entrypoint_only_with_shell() {
    let mut o = options();
    assert!(build(&o).contains("--entrypoint /bin/sh --name"));
    o.command = CommandInfo {
        shell: Some(false),
        ..CommandInfo::default()
    };
    assert_eq!(
        build(&o),
        format!(
            "run {ENV} {} --net host --name mesos-c1 -- busybox",
            sandbox_volume()
        )
    );
}

#[test]
fn rule_20_name_then_labels() {
    let mut o = options();
    o.labels = MesosLabels {
        agent_id: Some("agent-1".into()),
        framework_id: Some("fw".into()),
        executor_id: Some("ex".into()),
        task_id: Some("task".into()),
        container_id: Some("c1".into()),
    };
    assert_eq!(
        build(&o),
        format!(
            "run {ENV} {} --net host --entrypoint /bin/sh --name mesos-c1 \
             --label mesos.agent_id=agent-1 --label mesos.framework_id=fw \
             --label mesos.executor_id=ex --label mesos.task_id=task \
             --label mesos.container_id=c1 -- busybox -c true",
            sandbox_volume()
        )
    );
}

#[test]
fn rule_21_parameters() {
    let mut o = options();
    docker_info(&mut o).network = Some(DockerNetwork::Bridge);
    docker_info(&mut o).parameters = vec![
        Parameter {
            key: "net".into(),
            value: "none".into(),
        },
        Parameter {
            key: "network".into(),
            value: "second".into(),
        },
        Parameter {
            key: "memory-swappiness".into(),
            value: "0".into(),
        },
        Parameter {
            key: "label".into(),
            value: "x=y".into(),
        },
    ];
    assert_eq!(
        build(&o),
        format!(
            "run {ENV} {} --net none --entrypoint /bin/sh --name mesos-c1 \
             --network=second --memory-swappiness=0 --label=x=y -- busybox -c true",
            sandbox_volume()
        )
    );
}

#[test]
fn rule_21_parameters_that_take_the_container_away_are_refused() {
    for (key, value, expected) in [
        ("name", "other", "docker parameter \"name\" is refused"),
        ("rm", "true", "docker parameter \"rm\" is refused"),
        (
            "d",
            "true",
            "docker parameter \"d\" (-d, --detach) is refused",
        ),
        (
            "restart",
            "always",
            "docker parameter \"restart\" is refused",
        ),
        (
            "label",
            "mesos.task_id=x",
            "with the label \"mesos.task_id\" is refused",
        ),
        (
            "frobnicate",
            "1",
            "\"frobnicate\" is not an option of docker run",
        ),
    ] {
        let mut o = options();
        docker_info(&mut o).parameters = vec![
            Parameter {
                key: "user".into(),
                value: "nobody".into(),
            },
            Parameter {
                key: key.into(),
                value: value.into(),
            },
        ];
        let e = error(&o);
        assert!(
            e.starts_with("container.docker.parameters[1].key: docker parameter")
                && e.contains(expected),
            "{key}: {e}"
        );
    }
}

#[test]
fn rule_21_dns_parameter_suppresses_default_dns() {
    for key in ["dns", "dns-search", "dns-opt", "dns-option"] {
        let mut o = options();
        with_default_dns(&mut o);
        docker_info(&mut o).network = Some(DockerNetwork::Bridge);
        docker_info(&mut o).parameters = vec![Parameter {
            key: key.into(),
            value: "v".into(),
        }];
        let args = build(&o);
        assert!(!args.contains("1.1.1.1"), "{key}: {args}");
        assert!(
            args.contains(&format!("--name mesos-c1 --{key}=v -- busybox")),
            "{args}"
        );
    }
}

#[test]
fn rule_22_default_dns_selection_for_user_networks() {
    let mut o = options();
    with_default_dns(&mut o);
    user_network(&mut o, Some("net-a"));
    assert_eq!(build(&o), minimal("--net net-a --dns 10.0.0.1"));
    // An unnamed USER entry is the default for other user networks.
    user_network(&mut o, Some("net-b"));
    assert_eq!(
        build(&o),
        minimal("--net net-b --dns 10.9.9.9 --dns-search u.example")
    );
    // The lookup key is the network after the parameter override.
    docker_info(&mut o).parameters = vec![Parameter {
        key: "net".into(),
        value: "net-a".into(),
    }];
    assert_eq!(build(&o), minimal("--net net-a --dns 10.0.0.1"));
    // Selection goes by the proto network: BRIDGE overridden to a user net gets bridge DNS.
    let mut o = options();
    with_default_dns(&mut o);
    docker_info(&mut o).network = Some(DockerNetwork::Bridge);
    docker_info(&mut o).parameters = vec![Parameter {
        key: "net".into(),
        value: "net-a".into(),
    }];
    assert!(build(&o).contains("--net net-a --dns 1.1.1.1"));
}

#[test]
fn rule_23_image_verbatim() {
    let mut o = options();
    docker_info(&mut o).image = "127.0.0.1:5000/ns/img@sha256:abc".into();
    assert!(build(&o).ends_with("--name mesos-c1 -- 127.0.0.1:5000/ns/img@sha256:abc -c true"));
}

#[test]
fn rule_23_image_and_volume_names_are_never_options() {
    // `--` ends the options: whatever the image is called, docker takes it as the image.
    let mut o = options();
    docker_info(&mut o).image = "--privileged".into();
    assert_eq!(
        error(&o),
        "container.docker.image: invalid image name \"--privileged\": an image name starts \
         with a letter or a digit"
    );
    let mut o = options();
    o.container.volumes = vec![docker_volume(VolumeMode::Rw, "/a", "-v=/:/host", None)];
    assert_eq!(
        error(&o),
        "container.volumes[0].source.docker_volume.name: invalid volume name \"-v=/:/host\": \
         a Docker volume name starts with a letter or a digit"
    );
}

#[test]
fn rule_24_arguments() {
    let mut o = options();
    o.command = CommandInfo {
        shell: Some(false),
        value: Some("first".into()),
        arguments: vec!["a".into(), "b c".into()],
        ..CommandInfo::default()
    };
    let args = build_run_command(&o).unwrap().args;
    assert_eq!(args[args.len() - 4..], ["busybox", "first", "a", "b c"]);
    o.command.value = None;
    let args = build_run_command(&o).unwrap().args;
    assert_eq!(args[args.len() - 3..], ["busybox", "a", "b c"]);
    o.command = CommandInfo::default();
    assert_eq!(
        error(&o),
        "command.value: Shell specified but no command value provided (set command.value, or shell: false)"
    );
}

#[test]
fn spec_example() {
    let mut container = ContainerInfo::docker("nginx");
    let docker = container.docker.as_mut().unwrap();
    docker.network = Some(DockerNetwork::Bridge);
    docker.port_mappings = vec![port(31000, 80, Some("tcp"))];
    let cid = "0f2c5b54-4d38-4b9e-9d2c-2a5f0e8b1c3d";
    let sandbox = format!("/var/lib/mesos/slaves/S0/frameworks/F/executors/E/runs/{cid}");
    let mut o = RunOptions::new(
        container,
        CommandInfo::shell_command("nginx -g 'daemon off;'"),
        crate::naming::container_name(cid),
        sandbox.clone(),
        MAPPED,
    );
    let role = |mut r: Resource| {
        r.allocation_info = Some(AllocationInfo {
            role: Some("*".into()),
        });
        r
    };
    o.resources = Some(vec![
        role(scalar("cpus", 1.0)),
        role(scalar("mem", 128.0)),
        role(Resource::ranges("ports", [(31000, 31000)])),
    ]);
    let docker = Docker::new("docker", Some(std::path::Path::new("/var/run/docker.sock"))).unwrap();
    let command = build_run_command(&o).unwrap();
    assert_eq!(
        command.redacted(&docker).join(" "),
        format!(
            "docker -H unix:///var/run/docker.sock run --cpu-shares 1024 --memory 134217728 \
             -e MESOS_ALLOCATION_ROLE -e MESOS_CONTAINER_NAME -e MESOS_SANDBOX \
             -v {sandbox}:/mnt/mesos/sandbox --net bridge -p 31000:80/tcp \
             --entrypoint /bin/sh --name mesos-{cid} -- nginx -c nginx -g 'daemon off;'"
        )
    );
    assert_eq!(
        command.env,
        vec![
            ("MESOS_ALLOCATION_ROLE".to_string(), "*".to_string()),
            ("MESOS_CONTAINER_NAME".to_string(), format!("mesos-{cid}")),
            ("MESOS_SANDBOX".to_string(), MAPPED.to_string()),
        ]
    );
}

#[test]
fn redacted_hides_secrets_smuggled_through_parameters() {
    let mut o = options();
    docker_info(&mut o).parameters = vec![Parameter {
        key: "env".into(),
        value: "API_TOKEN=abc123".into(),
    }];
    o.command = CommandInfo::shell_command("DB_PASSWORD=hunter2 ./run");
    let docker = Docker::new("docker", None).unwrap();
    let shown = build_run_command(&o).unwrap().redacted(&docker).join(" ");
    assert!(shown.contains("--env=API_TOKEN=***"), "{shown}");
    assert!(shown.contains("DB_PASSWORD=*** ./run"), "{shown}");
    assert!(!shown.contains("abc123") && !shown.contains("hunter2"));
}

#[test]
fn cidfile_goes_right_after_run() {
    let command = build_run_command(&options())
        .unwrap()
        .with_cidfile(std::path::Path::new("/tmp/x/cid"));
    assert_eq!(
        command.args.join(" "),
        build(&options()).replacen("run ", "run --cidfile /tmp/x/cid ", 1)
    );
    assert!(command.args.join(" ").ends_with(TAIL));
}
