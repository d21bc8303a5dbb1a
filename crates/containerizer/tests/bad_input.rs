//! Bad input never reaches Docker: every case exits 125 with a message that names the
//! problem, and leaves no sandbox, no checkpoint, no container and no executor behind.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_mesos-docker-containerizer");

/// A valid task to break one field at a time.
const GOOD: &str = r#"{
  "name": "t",
  "resources": [
    {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
    {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}},
    {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31000, "end": 31001}]}}
  ],
  "command": {"value": "true"},
  "container": {"type": "DOCKER", "docker": {"image": "mesos-test/busybox:latest"}}
}"#;

struct Case {
    name: &'static str,
    /// The task file's content (`None`: no file at that path).
    task: Option<String>,
    extra_args: Vec<&'static str>,
    expect: &'static str,
}

fn replace(from: &str, to: &str) -> Option<String> {
    assert!(GOOD.contains(from), "the good task lacks {from:?}");
    Some(GOOD.replacen(from, to, 1))
}

fn case(name: &'static str, task: Option<String>, expect: &'static str) -> Case {
    Case {
        name,
        task,
        extra_args: Vec::new(),
        expect,
    }
}

fn flag_case(name: &'static str, args: Vec<&'static str>, expect: &'static str) -> Case {
    Case {
        name,
        task: Some(GOOD.to_string()),
        extra_args: args,
        expect,
    }
}

const IMAGE: &str = r#""docker": {"image": "mesos-test/busybox:latest"}"#;

fn docker(inner: &str) -> Option<String> {
    replace(
        IMAGE,
        &format!(r#""docker": {{"image": "mesos-test/busybox:latest", {inner}}}"#),
    )
}

fn cases() -> Vec<Case> {
    vec![
        case("missing image", replace(IMAGE, r#""docker": {}"#), "container.docker: missing field `image`"),
        case("empty image", replace(r#""image": "mesos-test/busybox:latest""#, r#""image": """#), "container.docker.image: is empty"),
        case("image with spaces", replace(r#""image": "mesos-test/busybox:latest""#, r#""image": "a b""#), "invalid image name"),
        case("wrong type for a scalar", replace(r#""value": 0.1"#, r#""value": "abc""#), "resources[0].scalar.value"),
        case("non-numeric mem", replace(r#""value": 32"#, r#""value": "lots""#), "resources[1].scalar.value"),
        case("negative cpus", replace(r#""value": 0.1"#, r#""value": -2"#), "invalid cpus amount -2"),
        case("infinite cpus", replace(r#""value": 0.1"#, r#""value": "Infinity""#), "invalid cpus amount inf"),
        case("huge cpus", replace(r#""value": 0.1"#, r#""value": 1e308"#), "resources[0].scalar.value: invalid cpus amount 1e308 (use a finite, non-negative number of at most 9.223372036854776e15)"),
        case("NaN cpus", replace(r#""value": 0.1"#, r#""value": "NaN""#), "resources[0].scalar.value: invalid cpus amount NaN"),
        case("more cpus than docker shares", replace(r#""value": 0.1"#, r#""value": 300"#), "resources: a cpus request of 300 needs more than Docker's maximum of 262144 cpu shares (256 cpus, executor resources included, if any): request fewer cpus"),
        case("more memory than docker takes", replace(r#""value": 32"#, r#""value": 9e12"#), "resources: a mem request of 9000000000000 MB is more than Docker takes (8796093022207 MB): request less mem (executor resources included, if any)"),
        case("memory limit below the request", replace(r#""command": {"value": "true"}"#, r#""command": {"value": "true"}, "limits": {"mem": {"value": 16}}"#), "limits.mem: The memory limit must be greater than or equal to the memory request (the limit is 16, the request 32)"),
        case("cpu limit below the request", replace(r#""command": {"value": "true"}"#, r#""command": {"value": "true"}, "limits": {"cpus": {"value": 0.05}}"#), "limits.cpus: The cpu limit must be greater than or equal to the cpu request"),
        case("truncated JSON", Some(GOOD[..GOOD.len() / 2].to_string()), "is not valid JSON (line"),
        case("empty file", Some(String::new()), "is not valid JSON"),
        case("JSON array", Some("[]".into()), "must hold a JSON object"),
        case("container as an array", replace(r#""container": {"type": "DOCKER", "docker": {"image": "mesos-test/busybox:latest"}}"#, r#""container": []"#), "container: invalid type: expected a JSON object (ContainerInfo), got a JSON array"),
        case("unreadable task file", None, "cannot read task file"),
        case("unknown network mode", docker(r#""network": "WORMHOLE""#), "container.docker.network: unknown value `WORMHOLE`"),
        case("unknown container type", replace(r#""type": "DOCKER""#, r#""type": "KUBERNETES""#), "container.type: unknown value `KUBERNETES`"),
        case("MESOS container type", replace(r#""type": "DOCKER""#, r#""type": "MESOS""#), "container.type: unsupported container type MESOS"),
        case("port mapping with host network", docker(r#""port_mappings": [{"host_port": 31000, "container_port": 80}]"#), "Port mappings are only supported for bridge and user-defined networks"),
        case("port outside the port resources", docker(r#""network": "BRIDGE", "port_mappings": [{"host_port": 32000, "container_port": 80}]"#), "Port [32000] not included in resources"),
        case("port out of range", docker(r#""network": "BRIDGE", "port_mappings": [{"host_port": 70000, "container_port": 80}]"#), "host_port: invalid port 70000"),
        case("bad port protocol", docker(r#""network": "BRIDGE", "port_mappings": [{"host_port": 31000, "container_port": 80, "protocol": "icmp"}]"#), "unsupported protocol \"icmp\""),
        case("port range begin after end", replace(r#"{"begin": 31000, "end": 31001}"#, r#"{"begin": 31005, "end": 31001}"#), "begin 31005 is after end 31001"),
        case("both-relative volume paths", replace(IMAGE, &format!(r#"{IMAGE}, "volumes": [{{"host_path": "a", "container_path": "b", "mode": "RW"}}]"#)), "Both host_path 'a' and container_path 'b' of a volume are relative"),
        case("relative volume climbing out of the sandbox", replace(IMAGE, &format!(r#"{IMAGE}, "volumes": [{{"host_path": "../../../../etc", "container_path": "/e", "mode": "RO"}}]"#)), r#"container.volumes[0].host_path: "../../../../etc" leads out of the sandbox"#),
        case("unknown volume mode", replace(IMAGE, &format!(r#"{IMAGE}, "volumes": [{{"host_path": "/a", "container_path": "/b", "mode": "RX"}}]"#)), "mode: unknown value `RX`"),
        case("volume without mode", replace(IMAGE, &format!(r#"{IMAGE}, "volumes": [{{"host_path": "/a", "container_path": "/b"}}]"#)), "missing field `mode`"),
        case("hostname with host network", replace(IMAGE, &format!(r#"{IMAGE}, "hostname": "h""#)), "Unable to set hostname with host network mode"),
        case("USER network without a name", docker(r#""network": "USER""#), "No network info found in container info"),
        case("shell without a value", replace(r#""command": {"value": "true"}"#, r#""command": {"shell": true}"#), "command.value: shell is true (the default) but there is no command value"),
        case("missing command", replace(r#""command": {"value": "true"},"#, ""), "command: is missing"),
        case("missing container", replace(r#","container": {"type": "DOCKER", "docker": {"image": "mesos-test/busybox:latest"}}"#.trim_start_matches(','), r#""unused": 1"#), "container: is missing"),
        case("task id with a newline", replace(r#""name": "t","#, r#""name": "t", "task_id": {"value": "a\nb"},"#), r"task_id.value: 'a\nb' contains invalid characters (use an id without control characters, '/' or '\', other than '.' and '..', of at most 255 bytes)"),
        case("task id with a path", replace(r#""name": "t","#, r#""name": "t", "task_id": {"value": "../../etc"},"#), "task_id.value: '../../etc' contains invalid characters"),
        case("task id dot-dot", replace(r#""name": "t","#, r#""name": "t", "task_id": {"value": ".."},"#), "task_id.value: '..' is disallowed"),
        case("task name becoming a task id with a slash", replace(r#""name": "t","#, r#""name": "a/b","#), "task_id.value: 'a/b' contains invalid characters"),
        case("env name with a newline", replace(r#""command": {"value": "true"}"#, r#""command": {"value": "true", "environment": {"variables": [{"name": "A\nB", "value": "x"}]}}"#), r#"command.environment.variables[0].name: invalid variable name "A\nB" (use a non-empty name without '=' or control characters)"#),
        case("env name with =", replace(r#""command": {"value": "true"}"#, r#""command": {"value": "true", "environment": {"variables": [{"name": "A=B", "value": "x"}]}}"#), "command.environment.variables[0].name: invalid variable name"),
        case("secret reference", replace(r#""command": {"value": "true"}"#, r#""command": {"value": "true", "environment": {"variables": [{"name": "P", "type": "SECRET", "secret": {"type": "REFERENCE", "reference": {"name": "vault/p"}}}]}}"#), "secret references cannot be resolved here"),
        case("output_file escaping the sandbox", replace(r#""command": {"value": "true"}"#, r#""command": {"value": "true", "uris": [{"value": "http://127.0.0.1:1/f", "output_file": "../../etc/x"}]}"#), "command.uris[0].output_file"),
        case("absolute output_file", replace(r#""command": {"value": "true"}"#, r#""command": {"value": "true", "uris": [{"value": "http://127.0.0.1:1/f", "output_file": "/etc/x"}]}"#), "is not a path inside the sandbox"),
        case("negative kill grace period", replace(r#""command": {"value": "true"}"#, r#""command": {"value": "true"}, "kill_policy": {"grace_period": {"nanoseconds": -1}}"#), "kill_policy.grace_period.nanoseconds: negative duration"),
        case("task with its own executor", replace(r#""command": {"value": "true"}"#, r#""command": {"value": "true"}, "executor": {"executor_id": {"value": "e"}}"#), "must be launched with --executor"),
        case("parameter key with dashes", docker(r#""parameters": [{"key": "--privileged", "value": "true"}]"#), "invalid docker parameter key"),
        case("parameter renaming the container", docker(r#""parameters": [{"key": "name", "value": "mine"}]"#), r#"container.docker.parameters[0].key: docker parameter "name" is refused: the container is named mesos-<ContainerID> so that the executor can find, watch and kill it (remove the parameter)"#),
        case("parameter rm", docker(r#""parameters": [{"key": "rm", "value": "true"}]"#), r#"container.docker.parameters[0].key: docker parameter "rm" is refused"#),
        case("parameter detach", docker(r#""parameters": [{"key": "detach", "value": "true"}]"#), r#"container.docker.parameters[0].key: docker parameter "detach" is refused"#),
        case("parameter d", docker(r#""parameters": [{"key": "d", "value": "true"}]"#), r#"docker parameter "d" (-d, --detach) is refused"#),
        case("parameter restart", docker(r#""parameters": [{"key": "user", "value": "nobody"}, {"key": "restart", "value": "always"}]"#), r#"container.docker.parameters[1].key: docker parameter "restart" is refused"#),
        case("parameter with a label of ours", docker(r#""parameters": [{"key": "label", "value": "mesos.container_id=other"}]"#), r#"docker parameter "label" with the label "mesos.container_id" is refused"#),
        case("parameter l with a label of ours", docker(r#""parameters": [{"key": "l", "value": "mesos.agent_id"}]"#), r#"docker parameter "l" (-l, --label) with the label "mesos.agent_id" is refused"#),
        case("parameter not of docker run", docker(r#""parameters": [{"key": "frobnicate", "value": "1"}]"#), r#"docker parameter "frobnicate" is not an option of docker run (give a long option of `docker run --help`"#),
        case("image that is an option", replace(r#""image": "mesos-test/busybox:latest""#, r#""image": "--privileged""#), r#"container.docker.image: invalid image name "--privileged""#),
        case("volume name that is an option", replace(IMAGE, &format!(r#"{IMAGE}, "volumes": [{{"container_path": "/v", "mode": "RW", "source": {{"type": "DOCKER_VOLUME", "docker_volume": {{"name": "-v=/:/host"}}}}}}]"#)), r#"container.volumes[0].source.docker_volume.name: invalid volume name "-v=/:/host""#),
        case("unsupported limit", replace(r#""command": {"value": "true"}"#, r#""command": {"value": "true"}, "limits": {"disk": {"value": 10}}"#), "limits.disk: unsupported limit"),
        flag_case("container id with a dot", vec!["--container_id", "a.b"], "--container_id: invalid container id \"a.b\""),
        flag_case("container id too long", vec!["--container_id", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"], "--container_id: invalid container id"),
        flag_case("relative docker socket", vec!["--docker_socket", "docker.sock"], "Invalid Docker socket path: docker.sock"),
        flag_case("bad default container dns", vec!["--default_container_dns", "{not json"], "--default_container_dns"),
        flag_case("bad duration flag", vec!["--docker_stop_timeout=soon"], "--docker_stop_timeout"),
        flag_case("unknown flag", vec!["--frobnicate=1"], "--frobnicate"),
        flag_case("docker config that never ends", vec!["--docker_config=/dev/zero"], "invalid --docker_config '/dev/zero': Failed to read docker config file '/dev/zero': it is larger than 4 MiB, the most read from an input file"),
        flag_case("dns config that never ends", vec!["--default_container_dns=file:///dev/zero"], "--default_container_dns: Failed to read '/dev/zero': it is larger than 4 MiB"),
        flag_case("unparsable docker config", vec!["--docker_config={not json"], "the docker config is not valid JSON"),
        case("4 MB command", replace(r#""command": {"value": "true"}"#, &format!(r#""command": {{"value": "{}"}}"#, "x".repeat(4_000_000))), "command.value: the command is 4000000 bytes long, more than the 65536 one argument of docker run may have (Linux refuses arguments over 128 KiB ('Argument list too long')"),
        case("too much environment", replace(r#""command": {"value": "true"}"#, &format!(r#""command": {{"value": "true", "environment": {{"variables": [{}]}}}}"#, (0..10).map(|i| format!(r#"{{"name": "V{i}", "value": "{}"}}"#, "v".repeat(60_000))).collect::<Vec<_>>().join(", "))), "command: the command, its arguments, its environment and the docker parameters are 600034 bytes together, more than the 524288"),
    ]
}

fn run_case(case: &Case, root: &Path) {
    let work = root.join(format!("work-{}", case.name.replace(' ', "-")));
    let task_path = root.join(format!("{}.json", case.name.replace(' ', "-")));
    if let Some(text) = &case.task {
        std::fs::write(&task_path, text).unwrap();
    }
    let cid = format!("bad-{}", uuid_like());
    let mut cmd = Command::new(BIN);
    cmd.arg(format!("--work_dir={}", work.display()))
        .arg("run")
        .arg(&task_path);
    if !case
        .extra_args
        .iter()
        .any(|a| a.starts_with("--container_id"))
    {
        cmd.args(["--container_id", &cid]);
    }
    cmd.args(&case.extra_args);
    let out = cmd.output().expect("run the containerizer");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(125),
        "{}: expected exit 125, got {:?}; stderr: {stderr}",
        case.name,
        out.status
    );
    assert!(
        stderr.contains(case.expect),
        "{}: expected {:?} in stderr: {stderr}",
        case.name,
        case.expect
    );
    // Nothing was created for the container.
    for dir in ["sandboxes", "meta/containers"] {
        let p = work.join(dir);
        let entries: Vec<PathBuf> = std::fs::read_dir(&p)
            .map(|r| r.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        assert!(
            entries.is_empty(),
            "{}: {dir} not empty: {entries:?}",
            case.name
        );
    }
    assert!(
        !test_rig::container_exists(&format!("mesos-{cid}")),
        "{}: a container was created",
        case.name
    );
}

fn uuid_like() -> String {
    test_rig::unique_name("")
}

#[test]
fn every_bad_input_exits_125_names_the_problem_and_leaves_nothing() {
    let root = tempfile::tempdir().unwrap();
    let cases = cases();
    assert!(cases.len() >= 30, "the corpus has {} cases", cases.len());
    for case in &cases {
        run_case(case, root.path());
    }
}

#[test]
fn an_invalid_agent_id_in_the_work_dir_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let work = root.path().join("w");
    std::fs::create_dir_all(work.join("meta")).unwrap();
    std::fs::write(work.join("meta/agent_id"), "../agent\n").unwrap();
    let task = root.path().join("t.json");
    std::fs::write(&task, GOOD).unwrap();
    let out = Command::new(BIN)
        .arg(format!("--work_dir={}", work.display()))
        .arg("run")
        .arg(&task)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{stderr}");
    assert!(
        stderr.contains(
            "is invalid: '../agent' contains invalid characters (remove the file to get a new id)"
        ),
        "{stderr}"
    );
    assert!(!work.join("sandboxes").exists());
}

#[test]
fn an_endless_task_file_is_refused_at_the_cap() {
    // `explain /dev/zero` used to read until memory ran out.
    let root = tempfile::tempdir().unwrap();
    for command in ["explain", "run"] {
        let work = root.path().join(command);
        let mut args = vec![command, "/dev/zero"];
        if command == "run" {
            args.extend(["--executor", "/dev/zero"]);
        }
        let out = Command::new(BIN)
            .arg(format!("--work_dir={}", work.display()))
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(125), "{command}: {stderr}");
        assert!(
            stderr.contains(
                "cannot read task file '/dev/zero': it is larger than 4 MiB, the most read from an input file"
            ),
            "{command}: {stderr}"
        );
        assert!(!work.join("sandboxes").exists(), "{command}");
    }
}

#[test]
fn a_directory_as_task_file_is_rejected() {
    let root = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .arg(format!("--work_dir={}", root.path().join("w").display()))
        .args(["run"])
        .arg(root.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot read task file"), "{stderr}");
}

#[test]
fn explain_of_bad_input_fails_the_same_way_and_touches_nothing() {
    let root = tempfile::tempdir().unwrap();
    let task = root.path().join("t.json");
    std::fs::write(&task, GOOD.replacen(r#""value": 0.1"#, r#""value": -1"#, 1)).unwrap();
    let work = root.path().join("w");
    let out = Command::new(BIN)
        .arg(format!("--work_dir={}", work.display()))
        .arg("explain")
        .arg(&task)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid cpus amount -1"));
    assert!(!work.exists(), "explain created the work dir");
}

/// A flag value that cannot work, refused by `run`, `explain` and `serve` before anything is
/// created.
struct FlagCase {
    name: &'static str,
    /// The flags, with `{dir}` standing for a scratch directory (the current directory of
    /// the command).
    flags: Vec<String>,
    /// Environment variables set for the command.
    env: Vec<(&'static str, &'static str)>,
    /// The commands that must refuse it.
    commands: &'static [&'static str],
    expect: &'static str,
}

const ALL: &[&str] = &["run", "explain", "serve"];
/// The docker version is checked by the commands that drive docker, not by `explain`.
const DRIVERS: &[&str] = &["run", "serve"];

fn flag_row(
    name: &'static str,
    flags: &[&str],
    commands: &'static [&'static str],
    expect: &'static str,
) -> FlagCase {
    FlagCase {
        name,
        flags: flags.iter().map(|f| f.to_string()).collect(),
        env: Vec::new(),
        commands,
        expect,
    }
}

fn env_row(
    name: &'static str,
    env: Vec<(&'static str, &'static str)>,
    expect: &'static str,
) -> FlagCase {
    FlagCase {
        name,
        flags: Vec::new(),
        env,
        commands: ALL,
        expect,
    }
}

fn flag_rows() -> Vec<FlagCase> {
    vec![
        flag_row(
            "relative work dir",
            &["--work_dir=work"],
            ALL,
            "invalid --work_dir 'work': must be an absolute path",
        ),
        flag_row(
            "work dir that is a file",
            &["--work_dir={dir}/a-file"],
            ALL,
            "exists and is not a directory",
        ),
        flag_row(
            "relative sandbox directory",
            &["--sandbox_directory=sandbox"],
            ALL,
            "invalid --sandbox_directory 'sandbox': must be an absolute path",
        ),
        flag_row(
            "empty sandbox directory",
            &["--sandbox_directory="],
            ALL,
            "invalid --sandbox_directory '': is empty",
        ),
        flag_row(
            "sandbox directory with a colon",
            &["--sandbox_directory=/mnt/a:b"],
            ALL,
            "must not contain ':'",
        ),
        flag_row(
            "relative docker config",
            &["--docker_config=config.json"],
            ALL,
            "invalid --docker_config 'config.json': is a relative path",
        ),
        flag_row(
            "missing docker config",
            &["--docker_config={dir}/none.json"],
            ALL,
            "Failed to read docker config file",
        ),
        flag_row(
            "relative launcher dir",
            &["--launcher_dir=bin"],
            ALL,
            "invalid --launcher_dir 'bin': must be an absolute path",
        ),
        flag_row(
            "fetcher cache size overflow",
            &["--fetcher_cache_size=99999999999999TB"],
            ALL,
            "invalid byte size '99999999999999TB': too large",
        ),
        flag_row(
            "docker older than 1.8.0",
            &["--docker={dir}/old-docker"],
            DRIVERS,
            "Insufficient version '1.7.1' of Docker. Please upgrade to >= '1.8.0'",
        ),
        env_row(
            "bad duration from the environment",
            vec![("MESOS_DOCKER_STOP_TIMEOUT", "soon")],
            "the environment variable MESOS_DOCKER_STOP_TIMEOUT",
        ),
        env_row(
            "relative work dir from the environment",
            vec![("MESOS_WORK_DIR", "work")],
            "invalid --work_dir 'work' (from the environment variable MESOS_WORK_DIR)",
        ),
        flag_row(
            "address of another host",
            &["--ip=192.0.2.1"],
            &["serve"],
            "192.0.2.1 is not an address of this host",
        ),
    ]
}

/// Every file and directory under `dir`.
fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(tree(&path));
        }
        out.push(path);
    }
    out.sort();
    out
}

#[test]
fn every_bad_flag_exits_125_before_anything_is_created() {
    test_rig::require_docker();
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    std::fs::write(dir.join("task.json"), GOOD).unwrap();
    std::fs::write(dir.join("a-file"), "not a directory").unwrap();
    // A docker CLI that reports 1.7.1 and is the real one otherwise.
    let old = dir.join("old-docker");
    std::fs::write(
        &old,
        "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = --version ] && { echo 'Docker version 1.7.1, build 786b29d'; exit 0; }; done\nexec docker \"$@\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&old, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    // A port in use.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_flag = format!("--port={}", taken.local_addr().unwrap().port());
    let mut rows = flag_rows();
    rows.push(FlagCase {
        name: "port in use",
        flags: vec![taken_flag],
        env: Vec::new(),
        commands: &["serve"],
        expect: "the port is in use: is another serve running? pick another --port",
    });
    let before = tree(dir);
    let dir_text = dir.display().to_string();
    for case in rows {
        for command in case.commands {
            let cid = format!("bad-{}", uuid_like());
            let mut cmd = Command::new(BIN);
            cmd.current_dir(dir)
                .env_remove("MESOS_WORK_DIR")
                .envs(case.env.iter().copied());
            // The work dir `run` would use, unless the case gives one.
            if !case.flags.iter().any(|f| f.starts_with("--work_dir"))
                && !case.env.iter().any(|(k, _)| *k == "MESOS_WORK_DIR")
            {
                cmd.arg(format!("--work_dir={dir_text}/work"));
            }
            match *command {
                "serve" if case.flags.iter().any(|f| f.starts_with("--port")) => cmd.arg("serve"),
                "serve" => cmd.args(["serve", "--port", "0"]),
                other => cmd.args([other, "task.json", "--container_id", &cid]),
            };
            // After the command: global flags go anywhere, `--ip` only there.
            cmd.args(case.flags.iter().map(|f| f.replace("{dir}", &dir_text)));
            let out = test_rig::wait_bounded(
                cmd.stdin(std::process::Stdio::null())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap(),
                std::time::Duration::from_secs(60),
            );
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(125),
                "{} ({command}): expected exit 125, got {:?}; stderr: {stderr}",
                case.name,
                out.status
            );
            assert!(
                stderr.contains(case.expect),
                "{} ({command}): expected {:?} in stderr: {stderr}",
                case.name,
                case.expect
            );
            assert_eq!(tree(dir), before, "{} ({command}) created files", case.name);
            assert!(
                !test_rig::container_exists(&format!("mesos-{cid}")),
                "{} ({command}): a container was created",
                case.name
            );
        }
    }
}

#[test]
fn a_full_disk_is_reported_once_and_leaves_nothing() {
    test_rig::require_docker();
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: mounting a small tmpfs needs root");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let work = root.path().join("work");
    std::fs::create_dir(&work).unwrap();
    std::fs::write(root.path().join("task.json"), GOOD).unwrap();
    let cid = format!("bad-{}", uuid_like());
    // In a mount namespace of its own: a 256 KiB tmpfs as the work dir, its agent id in
    // place and the rest filled, so the first checkpoint of the launch meets ENOSPC.
    let script = format!(
        "mount -t tmpfs -o size=256k tmpfs {w} || exit 99\n\
         mkdir -p {w}/meta && echo agent-S0 > {w}/meta/agent_id\n\
         dd if=/dev/zero of={w}/fill bs=4k 2>/dev/null\n\
         {bin} --work_dir={w} run {t} --container_id {cid}\n\
         rc=$?\n\
         echo left: $(find {w}/sandboxes {w}/meta/containers -mindepth 1 2>/dev/null)\n\
         exit $rc\n",
        w = work.display(),
        bin = BIN,
        t = root.path().join("task.json").display(),
    );
    let out = Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .output()
        .unwrap();
    if out.status.code() == Some(99) {
        eprintln!("skipped: cannot mount a tmpfs here");
        return;
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(125), "{stdout}{stderr}");
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line: {stderr}"));
    assert_eq!(
        error.matches("No space left on device").count(),
        1,
        "the cause is said once: {error}"
    );
    assert!(
        error.contains(&format!("container {cid} did not start")),
        "{error}"
    );
    assert!(stdout.lines().any(|l| l == "left:"), "{stdout}");
    assert!(!test_rig::container_exists(&format!("mesos-{cid}")));
}

/// A docker container already named `mesos-<id>` (or `mesos-<id>.executor`), a leftover or
/// someone else's, is never adopted: `run` refuses before creating anything, says which
/// container and what to do, and leaves that container as it was.
#[test]
fn a_container_already_named_for_the_id_is_refused_and_left_alone() {
    test_rig::require_docker();
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("task.json"), GOOD).unwrap();
    for suffix in ["", ".executor"] {
        let cid = format!("bad-{}", uuid_like());
        let name = format!("mesos-{cid}{suffix}");
        let _other = test_rig::ContainerGuard(name.clone());
        let id = test_rig::docker(&[
            "run",
            "-d",
            "--name",
            &name,
            test_rig::BUSYBOX_IMAGE,
            "sleep",
            "600",
        ]);
        let work = root.path().join(format!("work{suffix}"));
        let out = Command::new(BIN)
            .arg(format!("--work_dir={}", work.display()))
            .arg("run")
            .arg(root.path().join("task.json"))
            .args(["--container_id", &cid, "--json"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(125), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "container id '{cid}' cannot be used: a docker container named '{name}' already exists (running, id {}",
                &id.trim()[..12]
            )),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!(
                "remove it (docker rm -f {name}) or give another container id"
            )),
            "{stderr}"
        );
        assert!(
            out.stdout.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(!work.join("sandboxes").join(&cid).exists());
        let state = test_rig::docker(&["inspect", "-f", "{{.Id}} {{.State.Running}}", &name]);
        assert_eq!(
            state.trim(),
            format!("{} true", id.trim()),
            "{name} was touched"
        );
    }
}
