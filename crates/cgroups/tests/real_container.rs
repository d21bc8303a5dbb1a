//! Locates a real Docker container's cgroup on this machine (whatever its version and
//! cgroup driver), samples it, and changes its limits through the files.

use std::path::Path;
use std::time::Instant;

use cgroups::{detect, Cgroup, ContainerCgroup, CpuQuota, Limits, MemoryLimit};
use test_rig::{docker, require_docker, unique_name, ContainerGuard, BUSYBOX_IMAGE};

const MIB: u64 = 1 << 20;

#[test]
fn samples_and_updates_a_running_container() {
    require_docker();
    let name = unique_name("mesos-cgroups-test-");
    let _guard = ContainerGuard(name.clone());
    let id = docker(&[
        "run",
        "-d",
        "--name",
        &name,
        "--memory",
        "64m",
        "--cpus",
        "0.5",
        BUSYBOX_IMAGE,
        "sleep",
        "30",
    ])
    .trim()
    .to_string();
    let pid: u32 = docker(&["inspect", "-f", "{{.State.Pid}}", &name])
        .trim()
        .parse()
        .expect("docker inspect gives a numeric pid");
    assert_ne!(pid, 0, "the container is not running");

    let cgroup = ContainerCgroup::for_container(pid, &id).expect("locate the container's cgroup");
    assert_eq!(
        ContainerCgroup::for_pid(pid).expect("locate by pid alone"),
        cgroup
    );
    let host_version = detect(Path::new(cgroups::DEFAULT_CGROUP_ROOT)).unwrap();
    assert_eq!(cgroup.version(), host_version, "{cgroup:?}");
    eprintln!("cgroup version {host_version:?}: {cgroup:?}");

    let stats = cgroup.statistics(None).expect("sample");
    eprintln!("{stats:?}");
    assert_eq!(stats.mem_limit_bytes, Some(64 * MIB));
    let cpus = stats.cpus_limit.expect("a CPU limit");
    assert!((cpus - 0.5).abs() < 1e-9, "cpus_limit {cpus}");
    assert!(stats.mem_total_bytes.unwrap_or(0) > 0, "{stats:?}");
    assert!(stats.mem_rss_bytes.is_some(), "{stats:?}");
    assert!(stats.cpus_user_time_secs.is_some(), "{stats:?}");
    assert!(stats.cpus_nr_periods.is_some(), "{stats:?}");
    assert_eq!(stats.processes, Some(1), "{stats:?}");
    assert!(stats.timestamp > 1.6e9);

    cgroup
        .update(&Limits {
            memory_limit: Some(MemoryLimit::Bytes(96 * MIB)),
            cpu_quota: Some(CpuQuota::from_cpus(1.0)),
            ..Limits::default()
        })
        .expect("update the limits");
    let stats = cgroup.statistics(None).expect("sample after update");
    assert_eq!(stats.mem_limit_bytes, Some(96 * MIB));
    assert_eq!(stats.cpus_limit, Some(1.0));

    // Past the memory+swap limit Docker set on v1 (twice --memory): that limit must move
    // first, or the kernel refuses the new memory limit.
    cgroup
        .update(&Limits {
            memory_limit: Some(MemoryLimit::Bytes(256 * MIB)),
            ..Limits::default()
        })
        .expect("raise the memory limit past Docker's memory+swap limit");
    let stats = cgroup.statistics(None).expect("sample after update");
    assert_eq!(stats.mem_limit_bytes, Some(256 * MIB));

    // The sampling cost the agent pays per container and per /monitor/statistics call.
    const SAMPLES: u32 = 1000;
    let start = Instant::now();
    for _ in 0..SAMPLES {
        cgroup.statistics(None).expect("sample");
    }
    let mean = start.elapsed() / SAMPLES;
    eprintln!("statistics(): mean {mean:?} over {SAMPLES} samples");
}
