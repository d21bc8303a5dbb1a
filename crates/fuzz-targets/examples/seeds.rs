//! Writes the seed corpora of the fuzz targets into `fuzz/corpus/<target>/`, from the
//! project's test fixtures (`crates/mesos-types/tests/fixtures`, `examples/`) and from small
//! archives and messages built here the way the tests build theirs. Run it again after
//! changing it: `cargo run -p fuzz-targets --example seeds` (it replaces the `seed-*` files
//! and leaves every other input alone).

use mesos_proto::internal as pb;
use mesos_proto::mesos as m;
use mesos_proto::ProtoConvert;
use mesos_types as t;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use test_rig::archive::{gzip, tar_bytes, zip_bytes, Entry};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn fixture_json(rel: &str) -> Value {
    serde_json::from_str(&fixture(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

struct Corpus {
    dir: PathBuf,
    n: usize,
}

impl Corpus {
    fn new(target: &str) -> Self {
        let dir = root().join("fuzz/corpus").join(target);
        std::fs::create_dir_all(&dir).unwrap();
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("seed-")
            {
                std::fs::remove_file(p).unwrap();
            }
        }
        Self { dir, n: 0 }
    }

    fn add(&mut self, name: &str, data: impl AsRef<[u8]>) {
        self.n += 1;
        let path = self.dir.join(format!("seed-{:02}-{name}", self.n));
        std::fs::write(path, data).unwrap();
    }
}

fn main() {
    recordio();
    executor_json();
    task_launch();
    fetcher_info();
    archive();
    flags();
    libprocess_wire();
    proto();
    sandbox_path();
}

fn task() -> Value {
    fixture_json("crates/mesos-types/tests/fixtures/task_info_full.json")
}

fn executor_info() -> Value {
    fixture_json("crates/mesos-types/tests/fixtures/executor_info.json")
}

fn framework_info() -> Value {
    fixture_json("crates/mesos-types/tests/fixtures/framework_info.json")
}

fn status() -> Value {
    json!({
        "task_id": {"value": "web.1"}, "state": "TASK_RUNNING", "source": "SOURCE_EXECUTOR",
        "message": "running", "uuid": "AAECAwQFBgcICQoLDA0ODw==", "timestamp": 1724430000.5,
        "executor_id": {"value": "web.1"}, "healthy": true,
        "container_status": {"network_infos": [{"ip_addresses": [{"ip_address": "172.17.0.2"}]}]}
    })
}

fn events() -> Vec<(&'static str, Value)> {
    vec![
        (
            "subscribed",
            json!({"type": "SUBSCRIBED", "subscribed": {
            "executor_info": executor_info(), "framework_info": framework_info(),
            "agent_info": {"hostname": "agent1", "port": 5051, "id": {"value": "a1b2c3-S0"}},
            "container_id": {"value": "c1"}}}),
        ),
        (
            "launch",
            json!({"type": "LAUNCH", "launch": {"task": task()}}),
        ),
        (
            "launch-group",
            json!({"type": "LAUNCH_GROUP", "launch_group": {"task_group": {"tasks": [task()]}}}),
        ),
        (
            "kill",
            json!({"type": "KILL", "kill": {"task_id": {"value": "web.1"},
            "kill_policy": {"grace_period": {"nanoseconds": 3000000000i64}}}}),
        ),
        (
            "ack",
            json!({"type": "ACKNOWLEDGED", "acknowledged": {"task_id": {"value": "web.1"},
            "uuid": "AAECAwQFBgcICQoLDA0ODw=="}}),
        ),
        (
            "message",
            json!({"type": "MESSAGE", "message": {"data": "aGVsbG8="}}),
        ),
        (
            "error",
            json!({"type": "ERROR", "error": {"message": "Framework is not subscribed"}}),
        ),
        ("shutdown", json!({"type": "SHUTDOWN"})),
        ("heartbeat", json!({"type": "HEARTBEAT"})),
        (
            "unknown",
            json!({"type": "FUTURE_EVENT", "future_event": {}}),
        ),
    ]
}

fn calls() -> Vec<(&'static str, Value)> {
    let ids = json!({"executor_id": {"value": "web.1"}, "framework_id": {"value": "fw-1"}});
    let with = |mut extra: Value| {
        let obj = extra.as_object_mut().unwrap();
        for (k, v) in ids.as_object().unwrap() {
            obj.insert(k.clone(), v.clone());
        }
        extra
    };
    vec![
        (
            "call-subscribe",
            with(json!({"type": "SUBSCRIBE", "subscribe": {
            "unacknowledged_tasks": [task()],
            "unacknowledged_updates": [{"status": status()}]}})),
        ),
        (
            "call-subscribe-empty",
            with(json!({"type": "SUBSCRIBE", "subscribe": {}})),
        ),
        (
            "call-update",
            with(json!({"type": "UPDATE", "update": {"status": status()}})),
        ),
        (
            "call-message",
            with(json!({"type": "MESSAGE", "message": {"data": "aGk="}})),
        ),
        ("call-heartbeat", with(json!({"type": "HEARTBEAT"}))),
    ]
}

fn recordio() {
    let mut c = Corpus::new("recordio");
    let mut stream = Vec::new();
    for (_, e) in events().iter().take(4) {
        t::recordio::encode_into(&mut stream, e.to_string().as_bytes());
    }
    c.add("events", &stream);
    c.add("heartbeat", t::recordio::encode(br#"{"type":"HEARTBEAT"}"#));
    c.add(
        "binary",
        t::recordio::encode(&[0x08, 0x0a, b'\n', b'1', b'2', b'\n', 0xff]),
    );
    c.add("empty-record", b"0\n3\nabc");
    c.add("leading-zero", b"003\nabc");
    c.add("truncated", b"10\nshort");
    c.add("garbage", b"5\nhello{\"type\"");
    c.add("overflow", b"99999999999999999999999\n");
}

fn executor_json() {
    let mut c = Corpus::new("executor_json");
    for (name, v) in events().into_iter().chain(calls()) {
        c.add(name, serde_json::to_vec_pretty(&v).unwrap());
    }
    c.add("lenient-numbers", br#"{"type":"KILL","kill":{"task_id":{"value":"t"},"kill_policy":{"grace_period":{"nanoseconds":"5000"}}}}"#);
    c.add("missing-sub-object", br#"{"type":"LAUNCH"}"#);
}

fn task_launch() {
    let mut c = Corpus::new("task_launch");
    for name in [
        "hello",
        "sleep",
        "bridge",
        "entrypoint",
        "failing",
        "fetch",
        "private",
        "volumes",
    ] {
        c.add(name, fixture(&format!("examples/{name}.json")));
    }
    let mut image = fixture("examples/executor-image.json").into_bytes();
    image.push(0);
    image.extend(fixture("examples/executor-image.executor.json").into_bytes());
    c.add("executor-image", image);
    c.add(
        "task-info-full",
        fixture("crates/mesos-types/tests/fixtures/task_info_full.json"),
    );
    c.add(
        "limits",
        serde_json::to_vec(&json!({
            "name": "limited", "command": {"value": "true"},
            "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5}},
                          {"name": "mem", "type": "SCALAR", "scalar": {"value": 64}}],
            "limits": {"cpus": {"value": 1.0}, "mem": {"value": "Infinity"}},
            "container": {"type": "DOCKER", "docker": {"image": "mesos-test/busybox:latest"}}
        }))
        .unwrap(),
    );
    c.add(
        "health-check",
        serde_json::to_vec(&json!({
            "name": "checked", "command": {"value": "sleep 10"},
            "container": {"type": "DOCKER", "docker": {"image": "mesos-test/busybox:latest",
                "parameters": [{"key": "env", "value": "A=b"}], "force_pull_image": true}},
            "health_check": {"type": "COMMAND", "command": {"value": "true"}, "interval_seconds": 1,
                "grace_period_seconds": 0, "consecutive_failures": 2},
            "kill_policy": {"grace_period": {"nanoseconds": 1000000000}}
        }))
        .unwrap(),
    );
}

fn fetcher_info() {
    let mut c = Corpus::new("fetcher_info");
    c.add("minimal", br#"{"sandbox_directory":"/s","items":[]}"#);
    c.add("items", serde_json::to_vec(&json!({
        "sandbox_directory": "/var/lib/mesos/sandboxes/c1",
        "cache_directory": "/tmp/mesos/fetch/root", "frameworks_home": "/opt/frameworks",
        "user": "nobody", "stall_timeout": {"nanoseconds": 60000000000i64},
        "items": [
            {"action": "BYPASS_CACHE", "uri": {"value": "http://127.0.0.1:8000/app.tar.gz", "extract": true}},
            {"action": "DOWNLOAD_AND_CACHE", "cache_filename": "c1-app.tgz",
             "uri": {"value": "https://user:s3cr3tpass@example.com/app.tgz", "cache": true}},
            {"action": "RETRIEVE_FROM_CACHE", "cache_filename": "c2-run.sh",
             "uri": {"value": "file:///opt/run.sh", "executable": "true", "output_file": "bin/run.sh"}},
            {"action": "BYPASS_CACHE", "uri": {"value": "relative/tool.zip",
             "checksum": "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}},
            {"action": "BYPASS_CACHE", "uri": {"value": "hdfs://namenode/data.gz", "output_file": "a/../b.gz"}}
        ]
    })).unwrap());
    c.add(
        "from-examples",
        serde_json::to_vec(&json!({
            "sandbox_directory": "/s",
            "items": task()["command"]["uris"].as_array().unwrap().iter()
                .map(|u| json!({"action": "BYPASS_CACHE", "uri": u})).collect::<Vec<_>>()
        }))
        .unwrap(),
    );
    c.add(
        "bad-action",
        br#"{"sandbox_directory":"/s","items":[{"action":"X","uri":{"value":"u"}}]}"#,
    );
    c.add("null-items", br#"{"sandbox_directory":"/s","items":null}"#);
}

fn bzip2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn with_mode(mode: u8, data: &[u8]) -> Vec<u8> {
    let mut out = vec![mode];
    out.extend_from_slice(data);
    out
}

fn archive() {
    let mut c = Corpus::new("archive");
    let sample = tar_bytes(&[
        Entry::Dir("app/", 0o755),
        Entry::File("app/run.sh", b"#!/bin/sh\necho hi\n", 0o6755),
        Entry::File("app/data.txt", b"hello archive", 0o640),
        Entry::Symlink("app/link", "data.txt"),
        Entry::Hardlink("app/hard", "app/data.txt"),
    ]);
    let hostile: Vec<(&str, Vec<u8>)> = vec![
        (
            "dotdot",
            tar_bytes(&[
                Entry::File("ok.txt", b"fine", 0o644),
                Entry::File("../outside/evil", b"x", 0o644),
            ]),
        ),
        (
            "absolute",
            tar_bytes(&[Entry::File("/tmp/evil-absolute-entry", b"x", 0o644)]),
        ),
        (
            "symlink-escape-write",
            tar_bytes(&[
                Entry::Symlink("esc", "../outside"),
                Entry::File("esc/victim", b"x", 0o644),
            ]),
        ),
        (
            "symlink-absolute",
            tar_bytes(&[Entry::Symlink("etc", "/etc")]),
        ),
        (
            "hardlink-escape",
            tar_bytes(&[Entry::Hardlink("h", "../outside/victim")]),
        ),
        (
            "hardlink-absolute",
            tar_bytes(&[Entry::Hardlink("h", "/etc/passwd")]),
        ),
        (
            "symlink-chain",
            tar_bytes(&[
                Entry::Dir("a/", 0o755),
                Entry::Symlink("a/b", ".."),
                Entry::Symlink("c", "a/b/.."),
            ]),
        ),
        (
            "through-inner-link",
            tar_bytes(&[
                Entry::Dir("real/", 0o755),
                Entry::Symlink("alias", "real"),
                Entry::File("alias/f", b"via link", 0o644),
            ]),
        ),
        (
            "replace",
            tar_bytes(&[
                Entry::File("T", b"1", 0o644),
                Entry::File("T", b"2", 0o644),
                Entry::Dir("T/", 0o700),
            ]),
        ),
        (
            "modes",
            tar_bytes(&[
                Entry::Dir("d/", 0o1777),
                Entry::File("d/f", b"m", 0o4777),
                Entry::Dir("locked/", 0o000),
            ]),
        ),
    ];
    c.add("tar", with_mode(0, &sample));
    c.add("tar-gz", with_mode(0, &gzip(&sample)));
    c.add("tar-bz2", with_mode(0, &bzip2(&sample)));
    c.add("tar-xz", with_mode(0, &xz(&sample)));
    for (mode, name) in [(1, "gz"), (2, "bz2"), (3, "xz")] {
        c.add(&format!("wrap-{name}"), with_mode(mode, &sample));
    }
    for (name, tar) in &hostile {
        c.add(name, with_mode(1, tar));
    }
    c.add(
        "zip",
        with_mode(
            0,
            &zip_bytes(
                &[
                    ("app/run.sh", b"#!/bin/sh\n", 0o755),
                    ("app/data.txt", b"hello zip", 0o644),
                ],
                &["app/"],
                &[("app/link", "data.txt")],
            ),
        ),
    );
    c.add(
        "zip-hostile",
        with_mode(
            0,
            &zip_bytes(
                &[("../evil", b"x", 0o644), ("/abs", b"x", 0o644)],
                &[],
                &[("up", "../outside"), ("root", "/")],
            ),
        ),
    );
    c.add(
        "gz-single",
        with_mode(4, &gzip(b"a single gzip-compressed file\n")),
    );
    c.add(
        "gz-roundtrip",
        with_mode(5, b"plain text the harness compresses\n"),
    );
    c.add("zstd", with_mode(0, &[0x28, 0xb5, 0x2f, 0xfd, 0, 0]));
}

fn flags() {
    let mut c = Corpus::new("flags");
    c.add(
        "durations",
        "10secs\n500ms\n1.5mins\n0.29secs\n2hrs\n3days\n1weeks\n100ns\n1us\n1.000000001secs",
    );
    c.add("bytes", "2GB\n512MB\n100\n1.5KB\n1TB\n0B");
    c.add(
        "containerizer",
        [
            "--work-dir=/tmp/fuzz-work",
            "--docker=docker",
            "--docker_socket=/var/run/docker.sock",
            "--docker_remove_delay=6hrs",
            "--docker_stop_timeout=0ns",
            "--executor_shutdown_grace_period=5secs",
            "--executor_registration_timeout=1mins",
            "--fetcher_cache_size=2GB",
            "--fetcher_stall_timeout",
            "1mins",
            "--cgroups_enable_cfs",
            "--no-docker_kill_orphans",
            "--sandbox_directory=/mnt/mesos/sandbox",
            "--logging_level=INFO",
        ]
        .join("\n"),
    );
    c.add(
        "docker-config",
        r#"--docker_config={"auths":{"127.0.0.1:5001":{"auth":"bWVzb3MtdGVzdDpzZWNyZXRwYXNz"}}}"#,
    );
    c.add(
        "docker-config-bad",
        r#"--docker_config={"auths":{"r":{"auth":"c2VjcmV0c2VjcmV0c2VjcmV0"}},"#,
    );
    c.add("dns", r#"--default_container_dns={"docker":[{"network_mode":"BRIDGE","dns":{"nameservers":["8.8.8.8"],"search":["example.com"],"options":["timeout:1"]}}]}"#);
    c.add(
        "bad-values",
        "--docker_socket=relative.sock\n--sandbox_directory=/a:b\n--work_dir=",
    );
}

fn upid(s: &str) -> libprocess::Upid {
    s.parse().unwrap()
}

fn libprocess_wire() {
    let mut c = Corpus::new("libprocess_wire");
    let agent = upid("slave(1)@127.0.0.1:5051");
    let executor = upid("executor(1)@127.0.0.1:41234");
    let register = mesos_proto::encode(&pb::RegisterExecutorMessage {
        framework_id: m::FrameworkId {
            value: "fw-1".into(),
        },
        executor_id: m::ExecutorId {
            value: "web.1".into(),
        },
    });
    c.add(
        "register",
        libprocess::wire::encode(
            &executor,
            &agent,
            <pb::RegisterExecutorMessage as mesos_proto::Named>::NAME,
            &register,
        ),
    );
    let shutdown = libprocess::wire::encode(
        &agent,
        &executor,
        "mesos.internal.ShutdownExecutorMessage",
        b"",
    );
    c.add("shutdown", &shutdown);
    let mut pipelined = libprocess::wire::encode(
        &agent,
        &executor,
        "mesos.internal.KillTaskMessage",
        b"\x0a\x02\x0a\x00",
    );
    pipelined.extend_from_slice(&shutdown);
    c.add("pipelined", &pipelined);
    c.add("content-length", b"POST /executor(1)/mesos.internal.ReconnectExecutorMessage HTTP/1.1\r\nLibprocess-From: slave(1)@[::1]:5051\r\nContent-Length: 4\r\n\r\n\x0a\x02\x0a\x00".as_slice());
    c.add("user-agent-only", b"POST /executor%281%29/x?q=1 HTTP/1.0\r\nUser-Agent: libprocess/slave(1)@10.0.0.5:5051\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nTrailer: x\r\n\r\n".as_slice());
    c.add("get", b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n".as_slice());
    c.add("upid", b"scheduler-1@10.1.2.3:5050".as_slice());
}

fn proto_seed<M: mesos_proto::Message>(kind: u8, message: &M) -> Vec<u8> {
    with_mode(kind, &mesos_proto::encode(message))
}

fn proto() {
    let mut c = Corpus::new("proto");
    let task: t::task::TaskInfo = t::from_json_value(task()).unwrap();
    let executor: t::task::ExecutorInfo = t::from_json_value(executor_info()).unwrap();
    let framework: t::task::FrameworkInfo = t::from_json_value(framework_info()).unwrap();
    let status: t::status::TaskStatus = t::from_json_value(status()).unwrap();
    let task_pb = task.clone().into_proto().unwrap();
    let executor_pb = executor.clone().into_proto().unwrap();
    let framework_pb = framework.clone().into_proto().unwrap();
    let status_pb = status.clone().into_proto().unwrap();
    let agent_info = mesos_proto::opaque::agent_info_from_json(&json!({
        "hostname": "agent1", "port": 5051, "id": {"value": "a1b2c3-S0"},
        "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 2.0}}],
        "attributes": [{"name": "rack", "type": "TEXT", "text": {"value": "r1"}}]
    }))
    .unwrap();
    for (i, (name, e)) in events().into_iter().enumerate() {
        if let Ok(event) = t::from_json_value::<t::executor::Event>(e) {
            if let Ok(p) = event.into_proto() {
                c.add(&format!("event-{i}-{name}"), proto_seed(1, &p));
            }
        }
    }
    for (name, call) in calls() {
        let call: t::executor::Call = t::from_json_value(call).unwrap();
        c.add(name, proto_seed(0, &call.into_proto().unwrap()));
    }
    let fw = m::FrameworkId {
        value: "fw-1".into(),
    };
    let ex = m::ExecutorId {
        value: "web.1".into(),
    };
    let slave = m::AgentId {
        value: "a1b2c3-S0".into(),
    };
    c.add(
        "registered",
        proto_seed(
            3,
            &pb::ExecutorRegisteredMessage {
                executor_info: executor_pb.clone(),
                framework_id: fw.clone(),
                framework_info: framework_pb.clone(),
                slave_id: slave.clone(),
                slave_info: agent_info.clone(),
            },
        ),
    );
    let update = pb::StatusUpdate {
        framework_id: fw.clone(),
        executor_id: Some(ex.clone()),
        slave_id: Some(slave.clone()),
        status: status_pb.clone(),
        timestamp: 1724430000.5,
        uuid: Some(vec![0; 16]),
        latest_state: None,
    };
    c.add(
        "reregister",
        proto_seed(
            4,
            &pb::ReregisterExecutorMessage {
                executor_id: ex.clone(),
                framework_id: fw.clone(),
                tasks: vec![mesos_proto::encode(&task_pb)],
                updates: vec![update.clone()],
            },
        ),
    );
    c.add(
        "reregistered",
        proto_seed(
            5,
            &pb::ExecutorReregisteredMessage {
                slave_id: slave.clone(),
                slave_info: agent_info.clone(),
            },
        ),
    );
    c.add(
        "run-task",
        proto_seed(
            7,
            &pb::RunTaskMessage {
                framework_id: Some(fw.clone()),
                framework: framework_pb.clone(),
                task: task_pb.clone(),
                resource_version_uuids: vec![],
                pid: Some("scheduler-1@10.0.0.1:5050".into()),
                launch_executor: Some(true),
            },
        ),
    );
    c.add(
        "kill",
        proto_seed(
            8,
            &pb::KillTaskMessage {
                framework_id: fw.clone(),
                task_id: m::TaskId {
                    value: "web.1".into(),
                },
                kill_policy: Some(t::task::KillPolicy::default().into_proto().unwrap()),
            },
        ),
    );
    c.add(
        "update",
        proto_seed(
            10,
            &pb::StatusUpdateMessage {
                update,
                pid: Some("executor(1)@127.0.0.1:41234".into()),
            },
        ),
    );
    c.add(
        "ack",
        proto_seed(
            11,
            &pb::StatusUpdateAcknowledgementMessage {
                slave_id: slave.clone(),
                framework_id: fw.clone(),
                task_id: m::TaskId {
                    value: "web.1".into(),
                },
                uuid: vec![1; 16],
            },
        ),
    );
    c.add(
        "to-executor",
        proto_seed(
            13,
            &pb::FrameworkToExecutorMessage {
                slave_id: slave,
                framework_id: fw,
                executor_id: ex,
                data: b"hello".to_vec(),
            },
        ),
    );
    c.add("task", proto_seed(15, &task_pb));
    c.add("status", proto_seed(16, &status_pb));
    c.add("executor", proto_seed(17, &executor_pb));
    c.add("framework", proto_seed(18, &framework_pb));
    c.add(
        "task-group",
        proto_seed(
            19,
            &m::TaskGroupInfo {
                tasks: vec![task_pb.clone()],
            },
        ),
    );
    if let Some(r) = task.resources.first() {
        c.add("resource", proto_seed(20, &r.clone().into_proto().unwrap()));
    }
    if let Some(container) = task.container.clone() {
        c.add(
            "container",
            proto_seed(21, &container.into_proto().unwrap()),
        );
    }
    if let Some(command) = task.command.clone() {
        c.add("command", proto_seed(22, &command.into_proto().unwrap()));
    }
    c.add("agent-info", with_mode(23, &agent_info));
}

/// The paths of the unit tests of `containerizer::daemon::sandbox_path`, after the byte that picks
/// the prefixes (0: `/sandboxes` and `/var/lib/mesos-docker/sandboxes`, 1: a work dir
/// nested under the alias, 2: a work dir and its real path, 3: a prefix on the first line).
fn sandbox_path() {
    let mut c = Corpus::new("sandbox_path");
    let paths: &[(&str, &[u8])] = &[
        ("alias", b"/sandboxes/c1"),
        ("alias-slash", b"/sandboxes/c1/"),
        ("stdout", b"/sandboxes/c1/stdout"),
        (
            "host-path",
            b"/var/lib/mesos-docker/sandboxes/c-2_x/dir/file.txt",
        ),
        ("file-uri", b"file:///sandboxes/c1/stdout"),
        ("slashes-dots", b"//sandboxes///c1/./stdout"),
        ("dotdot-inside", b"/sandboxes/c1/a/b/../../stdout"),
        ("dotdot-before", b"/x/../sandboxes/c1/stdout"),
        ("dotdot-out", b"/sandboxes/c1/../c2/stdout"),
        (
            "dotdot-up",
            b"/sandboxes/c1/a/../../../meta/containers/c1/task.json",
        ),
        (
            "dotdot-host",
            b"/var/lib/mesos-docker/sandboxes/c1/../c1x/stdout",
        ),
        ("above-root", b"/../sandboxes/c1/stdout"),
        (
            "no-sandbox",
            b"/var/lib/mesos-docker/meta/containers/c1/task.json",
        ),
        ("bad-id", b"/sandboxes/c.1/stdout"),
        ("encoded", b"/sandboxes/%2e%2e/stdout"),
        ("not-utf8", b"/sandboxes/c1/caf\xe9/%2e%2e"),
        ("relative", b"sandboxes/c1/stdout"),
        ("nul", b"/sandboxes/c1/std\0out"),
        ("empty", b""),
    ];
    for (name, path) in paths {
        c.add(name, with_mode(0, path));
    }
    c.add("nested", with_mode(1, b"/sandboxes/w/sandboxes/c1/stdout"));
    c.add(
        "nested-out",
        with_mode(1, b"/sandboxes/w/sandboxes/c1/../c2"),
    );
    c.add(
        "real-work-dir",
        with_mode(2, b"/real/work/sandboxes/c1/a/../b"),
    );
    c.add(
        "own-prefix",
        with_mode(3, b"/mnt/w/sandboxes\n/mnt/w/sandboxes/c1/x/../stdout"),
    );
}
