//! The few docker CLI calls the executor makes (`run`, `inspect`, `stop`, `rm`, `exec`) and
//! the `docker run` argument vector built from the TaskInfo (spec §3.4).
//!
//! Local to the executor because the shared `docker-cli` crate had no run-argv builder yet
//! when this was written; the behaviour follows the same spec. Environment values never go
//! on argv: `-e NAME` on the command line, `NAME=value` in the CLI's own environment (which
//! is built from scratch, so nothing else of ours leaks into the container).

use mesos_types::container::{DockerNetwork, VolumeMode, VolumeSourceType};
use mesos_types::task::{TaskInfo, VariableType};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// Where the agent's docker socket normally is (`--docker_socket` default).
pub const DEFAULT_DOCKER_SOCKET: &str = "/var/run/docker.sock";

/// Variables of ours passed through to the docker CLI (it needs them to find its config and
/// runtime dirs); everything else of the executor's environment stays out.
const CLI_PASSTHROUGH_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "DOCKER_CONFIG",
    "DOCKER_CERT_PATH",
    "DOCKER_TLS_VERIFY",
    "XDG_RUNTIME_DIR",
    "TMPDIR",
    "LANG",
];

/// A docker call that failed.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    #[error("cannot run '{program}': {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("docker {op} timed out after {after:?}")]
    Timeout { op: &'static str, after: Duration },
    #[error("docker {op} failed ({status}): {stderr}")]
    Failed {
        op: &'static str,
        status: std::process::ExitStatus,
        stderr: String,
    },
    #[error("docker inspect output is not what we expect: {0}")]
    BadInspect(String),
}

/// The task cannot be turned into a `docker run`.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RunOptionsError(pub String);

/// The docker CLI: program and daemon socket.
#[derive(Debug, Clone)]
pub struct DockerCli {
    program: PathBuf,
    host: String,
}

impl DockerCli {
    /// `program` is resolved on PATH now, so a task's PATH cannot redirect it later.
    pub fn new(program: &str, socket: Option<&Path>) -> Self {
        let program = resolve_program(program);
        let socket = socket.unwrap_or(Path::new(DEFAULT_DOCKER_SOCKET));
        Self {
            program,
            host: format!("unix://{}", socket.display()),
        }
    }

    /// A command `docker -H unix://<socket> <args>` with a clean environment, stdin
    /// `/dev/null`, killed when dropped.
    pub fn command<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.arg("-H").arg(&self.host).args(args);
        cmd.env_clear();
        for name in CLI_PASSTHROUGH_ENV {
            if let Some(v) = std::env::var_os(name) {
                cmd.env(name, v);
            }
        }
        cmd.stdin(Stdio::null()).kill_on_drop(true);
        cmd
    }

    /// Starts `docker run` attached, its stdout and stderr being ours (so the container's
    /// output lands in the sandbox files as it comes, nothing copied, nothing lost).
    pub fn spawn_run(&self, run: &RunArgs) -> Result<Child, DockerError> {
        let mut cmd = self.command(&run.argv);
        cmd.envs(run.env.iter());
        cmd.stdout(Stdio::inherit()).stderr(Stdio::inherit());
        // `docker run` must outlive nothing of ours by accident, but must not be killed when
        // its handle is dropped either: we always wait for it.
        cmd.kill_on_drop(false);
        cmd.spawn().map_err(|source| DockerError::Spawn {
            program: self.program.display().to_string(),
            source,
        })
    }

    async fn output(
        &self,
        op: &'static str,
        args: &[&str],
        timeout: Duration,
    ) -> Result<Vec<u8>, DockerError> {
        let mut cmd = self.command(args);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let child = cmd.spawn().map_err(|source| DockerError::Spawn {
            program: self.program.display().to_string(),
            source,
        })?;
        let out = tokio::time::timeout(timeout, child.wait_with_output())
            .await
            .map_err(|_| DockerError::Timeout { op, after: timeout })?
            .map_err(|source| DockerError::Spawn {
                program: self.program.display().to_string(),
                source,
            })?;
        if !out.status.success() {
            return Err(DockerError::Failed {
                op,
                status: out.status,
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(out.stdout)
    }

    /// `docker inspect --type=container <name>`: the raw stdout and its single element.
    pub async fn inspect(
        &self,
        name: &str,
        timeout: Duration,
    ) -> Result<(Vec<u8>, serde_json::Value), DockerError> {
        let raw = self
            .output("inspect", &["inspect", "--type=container", name], timeout)
            .await?;
        let v: serde_json::Value =
            serde_json::from_slice(&raw).map_err(|e| DockerError::BadInspect(e.to_string()))?;
        match v {
            serde_json::Value::Array(mut items) if items.len() == 1 => {
                let item = items.remove(0);
                Ok((raw, item))
            }
            _ => Err(DockerError::BadInspect(
                "expected a one-element JSON array".into(),
            )),
        }
    }

    /// `docker stop -t <secs> <name>`, bounded by `secs` plus `slack`.
    pub async fn stop(&self, name: &str, secs: u64, slack: Duration) -> Result<(), DockerError> {
        let t = secs.to_string();
        self.output(
            "stop",
            &["stop", "-t", &t, name],
            Duration::from_secs(secs) + slack,
        )
        .await
        .map(|_| ())
    }

    /// `docker rm -v <name>` (the container has stopped).
    pub async fn rm(&self, name: &str, timeout: Duration) -> Result<(), DockerError> {
        self.output("rm", &["rm", "-v", name], timeout)
            .await
            .map(|_| ())
    }

    /// `docker rm -f -v <name>`: last resort when stopping failed.
    pub async fn rm_force(&self, name: &str, timeout: Duration) -> Result<(), DockerError> {
        self.output("rm", &["rm", "-f", "-v", name], timeout)
            .await
            .map(|_| ())
    }
}

fn resolve_program(program: &str) -> PathBuf {
    if program.contains('/') {
        return PathBuf::from(program);
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(program))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| PathBuf::from(program))
}

/// A `docker run` command line (after `docker -H …`) and the values of its `-e NAME`s.
#[derive(Clone)]
pub struct RunArgs {
    pub argv: Vec<String>,
    /// Secret-bearing: never logged.
    pub env: BTreeMap<String, String>,
}

impl std::fmt::Debug for RunArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunArgs")
            .field("argv", &self.argv)
            .field("env", &self.env.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// What `docker run` needs besides the task.
pub struct RunContext<'a> {
    pub container_name: &'a str,
    pub sandbox_directory: &'a Path,
    pub mapped_directory: &'a str,
    pub task_environment: &'a BTreeMap<String, String>,
    pub default_container_dns: Option<&'a serde_json::Value>,
    pub cgroups_enable_cfs: bool,
}

const MIN_MEMORY_BYTES: u64 = 32 << 20;
const CPU_SHARES_PER_CPU: f64 = 1024.0;
const MIN_CPU_SHARES: u64 = 2;
const CPU_CFS_PERIOD_US: f64 = 100_000.0;
const MIN_CPU_CFS_QUOTA_US: u64 = 1_000;

fn scalar(task: &TaskInfo, name: &str) -> Option<f64> {
    let total: f64 = task
        .resources
        .iter()
        .chain(task.executor.iter().flat_map(|e| e.resources.iter()))
        .filter(|r| r.name == name)
        .filter_map(|r| r.scalar.as_ref().map(|s| s.value))
        .sum();
    (total > 0.0).then_some(total)
}

/// Builds the `docker run` argv (spec §3.4) for `task`.
pub fn run_args(task: &TaskInfo, ctx: &RunContext<'_>) -> Result<RunArgs, RunOptionsError> {
    let container = task
        .container
        .as_ref()
        .ok_or_else(|| RunOptionsError("the task has no 'container'".into()))?;
    let docker = container.docker.as_ref().ok_or_else(|| {
        RunOptionsError("the task's container has no 'docker' (type must be DOCKER)".into())
    })?;
    if container.r#type != mesos_types::container::ContainerType::Docker {
        return Err(RunOptionsError(
            "the task's container type is not DOCKER".into(),
        ));
    }
    let command = task
        .command
        .as_ref()
        .ok_or_else(|| RunOptionsError("the task has no 'command'".into()))?;

    let mut argv: Vec<String> = vec!["run".into()];
    if docker.privileged() {
        argv.push("--privileged".into());
    }
    let cpus = scalar(task, "cpus");
    if let Some(cpus) = cpus {
        let shares = ((CPU_SHARES_PER_CPU * cpus) as u64).max(MIN_CPU_SHARES);
        argv.extend(["--cpu-shares".into(), shares.to_string()]);
    }
    let quota_from = match task.limit("cpus") {
        Some(limit) if limit.is_finite() => Some(limit),
        Some(_) => None,
        None if ctx.cgroups_enable_cfs => cpus,
        None => None,
    };
    if let Some(c) = quota_from {
        let quota = ((CPU_CFS_PERIOD_US * c) as u64).max(MIN_CPU_CFS_QUOTA_US);
        argv.extend(["--cpu-quota".into(), quota.to_string()]);
    }
    let mem_request = scalar(task, "mem").map(|mb| (mb * 1024.0 * 1024.0) as u64);
    match task.limit("mem") {
        Some(limit) => {
            if let Some(req) = mem_request {
                argv.extend([
                    "--memory-reservation".into(),
                    req.max(MIN_MEMORY_BYTES).to_string(),
                ]);
            }
            if limit.is_finite() {
                let bytes = ((limit * 1024.0 * 1024.0) as u64).max(MIN_MEMORY_BYTES);
                argv.extend(["--memory".into(), bytes.to_string()]);
            }
        }
        None => {
            if let Some(req) = mem_request {
                argv.extend(["--memory".into(), req.max(MIN_MEMORY_BYTES).to_string()]);
            }
        }
    }

    // Environment, with the agent's precedence.
    let mut env: BTreeMap<String, String> = ctx.task_environment.clone();
    for var in command.variables() {
        if env.contains_key(&var.name) {
            continue;
        }
        let value = match var.kind() {
            VariableType::Secret => {
                let secret = var.secret.as_ref().ok_or_else(|| {
                    RunOptionsError(format!(
                        "environment variable '{}' of type SECRET has no 'secret'",
                        var.name
                    ))
                })?;
                let data = secret.value.as_ref().ok_or_else(|| {
                    RunOptionsError(format!(
                        "environment variable '{}': secret references cannot be resolved by the docker executor; use an inline VALUE secret",
                        var.name
                    ))
                })?;
                String::from_utf8(data.data.clone()).map_err(|_| {
                    RunOptionsError(format!(
                        "environment variable '{}': secret is not UTF-8",
                        var.name
                    ))
                })?
            }
            _ => var.value.clone().unwrap_or_default(),
        };
        env.insert(var.name.clone(), value);
    }
    env.insert("MESOS_SANDBOX".into(), ctx.mapped_directory.into());
    env.insert("MESOS_CONTAINER_NAME".into(), ctx.container_name.into());
    if let Some(role) = task
        .resources
        .first()
        .and_then(|r| serde_json::to_value(r).ok())
        .and_then(|v| {
            v.pointer("/allocation_info/role")
                .and_then(|r| r.as_str())
                .map(String::from)
        })
    {
        env.insert("MESOS_ALLOCATION_ROLE".into(), role);
    }
    for name in env.keys() {
        if name.is_empty() || name.contains('=') {
            return Err(RunOptionsError(format!(
                "invalid environment variable name '{name}'"
            )));
        }
        argv.extend(["-e".into(), name.clone()]);
    }

    for v in &container.volumes {
        let mode = if v.mode == VolumeMode::Ro {
            ":ro"
        } else {
            ":rw"
        };
        let source = v.source.as_ref();
        let host = match source.map(|s| s.kind()) {
            Some(VolumeSourceType::DockerVolume) => {
                let dv = source
                    .and_then(|s| s.docker_volume.as_ref())
                    .ok_or_else(|| {
                        RunOptionsError("DOCKER_VOLUME volume without 'docker_volume'".into())
                    })?;
                if let Some(driver) = &dv.driver {
                    argv.push(format!("--volume-driver={driver}"));
                }
                dv.name.clone()
            }
            Some(VolumeSourceType::SandboxPath) => {
                let sp = source
                    .and_then(|s| s.sandbox_path.as_ref())
                    .ok_or_else(|| {
                        RunOptionsError("SANDBOX_PATH volume without 'sandbox_path'".into())
                    })?;
                ctx.sandbox_directory.join(&sp.path).display().to_string()
            }
            Some(VolumeSourceType::HostPath) => source
                .and_then(|s| s.host_path.as_ref())
                .map(|h| h.path.clone())
                .ok_or_else(|| RunOptionsError("HOST_PATH volume without 'host_path'".into()))?,
            Some(other) if other != VolumeSourceType::Unknown => {
                return Err(RunOptionsError(format!(
                    "volume source type {other} is not supported by the docker executor"
                )))
            }
            _ => match &v.host_path {
                Some(p) if p.starts_with('/') => p.clone(),
                Some(p) => ctx.sandbox_directory.join(p).display().to_string(),
                None => {
                    // A container path only: an anonymous volume.
                    argv.extend(["-v".into(), v.container_path.clone()]);
                    continue;
                }
            },
        };
        let container_path = if v.container_path.starts_with('/') {
            v.container_path.clone()
        } else {
            format!("{}/{}", ctx.mapped_directory, v.container_path)
        };
        argv.extend(["-v".into(), format!("{host}:{container_path}{mode}")]);
    }
    if let Some(driver) = &docker.volume_driver {
        argv.push(format!("--volume-driver={driver}"));
    }
    argv.extend([
        "-v".into(),
        format!(
            "{}:{}",
            ctx.sandbox_directory.display(),
            ctx.mapped_directory
        ),
    ]);

    // The first `net`/`network` parameter replaces --net.
    let net_param = docker
        .parameters
        .iter()
        .position(|p| p.key == "net" || p.key == "network");
    let network = docker.network();
    let user_network = container.network_infos.first().and_then(|n| n.name.clone());
    let net = match (net_param, network) {
        (Some(i), _) => docker.parameters[i].value.clone(),
        (None, DockerNetwork::Host) => "host".into(),
        (None, DockerNetwork::Bridge) => "bridge".into(),
        (None, DockerNetwork::None) => "none".into(),
        (None, DockerNetwork::User) => user_network.clone().ok_or_else(|| {
            RunOptionsError("network USER needs container.network_infos[0].name".into())
        })?,
    };
    argv.extend(["--net".into(), net]);

    if let Some(dns) = ctx.default_container_dns {
        push_dns(&mut argv, dns, network, user_network.as_deref());
    }
    if let Some(hostname) = &container.hostname {
        if network != DockerNetwork::Host {
            argv.extend(["--hostname".into(), hostname.clone()]);
        }
    }
    if matches!(network, DockerNetwork::Bridge | DockerNetwork::User) {
        for pm in &docker.port_mappings {
            let mut p = format!("{}:{}", pm.host_port, pm.container_port);
            if let Some(proto) = &pm.protocol {
                p.push('/');
                p.push_str(&proto.to_lowercase());
            }
            argv.extend(["-p".into(), p]);
        }
    }
    if command.shell() {
        argv.extend(["--entrypoint".into(), "/bin/sh".into()]);
    }
    argv.extend(["--name".into(), ctx.container_name.into()]);
    for (i, p) in docker.parameters.iter().enumerate() {
        if Some(i) != net_param {
            argv.push(format!("--{}={}", p.key, p.value));
        }
    }
    argv.push(docker.image.clone());
    if command.shell() {
        let value = command
            .value
            .clone()
            .ok_or_else(|| RunOptionsError("a shell command needs 'command.value'".into()))?;
        argv.extend(["-c".into(), value]);
    } else {
        argv.extend(command.value.iter().cloned());
        argv.extend(command.arguments.iter().cloned());
    }
    Ok(RunArgs { argv, env })
}

fn push_dns(
    argv: &mut Vec<String>,
    dns: &serde_json::Value,
    network: DockerNetwork,
    user: Option<&str>,
) {
    let Some(entries) = dns.get("docker").and_then(|d| d.as_array()) else {
        return;
    };
    let mode = network.as_str();
    let found = entries.iter().find(|e| {
        e.get("network_mode").and_then(|m| m.as_str()) == Some(mode)
            && (network != DockerNetwork::User
                || e.get("network_name").and_then(|n| n.as_str()) == user)
    });
    let Some(info) = found.and_then(|e| e.get("dns")) else {
        return;
    };
    for (key, flag) in [
        ("nameservers", "--dns"),
        ("search", "--dns-search"),
        ("options", "--dns-opt"),
    ] {
        for v in info
            .get(key)
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            if let Some(s) = v.as_str() {
                argv.extend([flag.to_string(), s.to_string()]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesos_types::from_json_str;

    fn ctx<'a>(env: &'a BTreeMap<String, String>) -> RunContext<'a> {
        RunContext {
            container_name: "mesos-c1",
            sandbox_directory: Path::new("/sb"),
            mapped_directory: "/mnt/mesos/sandbox",
            task_environment: env,
            default_container_dns: None,
            cgroups_enable_cfs: false,
        }
    }

    #[test]
    fn shell_task_in_bridge_mode() {
        let task: TaskInfo = from_json_str(
            r#"{"name":"web","task_id":{"value":"t"},"agent_id":{"value":"S"},
                "resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":0.5},"allocation_info":{"role":"web"}},
                             {"name":"mem","type":"SCALAR","scalar":{"value":16}}],
                "command":{"value":"echo hi","environment":{"variables":[{"name":"SECRET","value":"hunter2"},{"name":"A","value":"from-task"}]}},
                "container":{"type":"DOCKER","docker":{"image":"busybox","network":"BRIDGE",
                   "port_mappings":[{"host_port":31000,"container_port":80,"protocol":"TCP"}],
                   "parameters":[{"key":"label","value":"x=y"}]}}}"#,
        )
        .unwrap();
        let mut te = BTreeMap::new();
        te.insert("A".to_string(), "from-flag".to_string());
        let run = run_args(&task, &ctx(&te)).unwrap();
        assert_eq!(
            run.argv,
            [
                "run",
                "--cpu-shares",
                "512",
                "--memory",
                "33554432",
                "-e",
                "A",
                "-e",
                "MESOS_ALLOCATION_ROLE",
                "-e",
                "MESOS_CONTAINER_NAME",
                "-e",
                "MESOS_SANDBOX",
                "-e",
                "SECRET",
                "-v",
                "/sb:/mnt/mesos/sandbox",
                "--net",
                "bridge",
                "-p",
                "31000:80/tcp",
                "--entrypoint",
                "/bin/sh",
                "--name",
                "mesos-c1",
                "--label=x=y",
                "busybox",
                "-c",
                "echo hi"
            ]
        );
        assert_eq!(run.env["A"], "from-flag");
        assert_eq!(run.env["SECRET"], "hunter2");
        assert_eq!(run.env["MESOS_ALLOCATION_ROLE"], "web");
        assert!(!run.argv.iter().any(|a| a.contains("hunter2")));
        assert!(!format!("{run:?}").contains("hunter2"));
    }

    #[test]
    fn plain_command_with_limits_and_volumes() {
        let task: TaskInfo = from_json_str(
            r#"{"name":"t","task_id":{"value":"t"},"agent_id":{"value":"S"},
                "resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":1}},{"name":"mem","type":"SCALAR","scalar":{"value":64}}],
                "limits":{"cpus":{"value":2.0},"mem":{"value":"Infinity"}},
                "command":{"shell":false,"value":"/bin/echo","arguments":["a","b"]},
                "container":{"type":"DOCKER","volumes":[{"mode":"RO","container_path":"/data","host_path":"/srv"},{"mode":"RW","container_path":"out","host_path":"rel"}],
                             "docker":{"image":"busybox","parameters":[{"key":"network","value":"none"}]}}}"#,
        )
        .unwrap();
        let run = run_args(&task, &ctx(&BTreeMap::new())).unwrap();
        let argv = run.argv.join(" ");
        assert!(
            argv.contains("--cpu-shares 1024 --cpu-quota 200000 --memory-reservation 67108864 -e"),
            "{argv}"
        );
        assert!(!argv.contains("--memory "), "{argv}");
        assert!(argv.contains("-v /srv:/data:ro -v /sb/rel:/mnt/mesos/sandbox/out:rw -v /sb:/mnt/mesos/sandbox --net none --name mesos-c1 busybox /bin/echo a b"), "{argv}");
    }

    #[test]
    fn missing_parts_are_errors() {
        let task: TaskInfo = from_json_str(r#"{"name":"t","command":{"value":"x"}}"#).unwrap();
        assert!(run_args(&task, &ctx(&BTreeMap::new()))
            .unwrap_err()
            .0
            .contains("container"));
    }
}
