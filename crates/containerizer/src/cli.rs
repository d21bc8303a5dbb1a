//! The command line of `mesos-docker-containerizer`: only the clap definitions.

use crate::flags::ContainerizerFlags;
use clap::{Args, Parser, Subcommand};
use mesos_types::duration::Duration;
use std::net::IpAddr;
use std::path::PathBuf;

/// Runs Mesos tasks as Docker containers: fetches their URIs with `mesos-fetcher`, pulls
/// their images and runs them under `mesos-docker-executor`, which it talks to over the
/// Mesos v1 Executor HTTP API.
#[derive(Debug, Parser)]
#[command(name = "mesos-docker-containerizer", version = crate::VERSION, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub flags: ContainerizerFlags,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Launch one task end to end, print its status updates until it ends, and clean up.
    /// Exits with the container's exit code (128+N when killed by signal N, 125 when the
    /// task could not be started).
    Run(RunArgs),
    /// Print what `run` would do (the docker run argv with values redacted, the mounts, the
    /// image pull decision) without touching anything.
    Explain(ExplainArgs),
    /// Run the daemon: the executor API and the operator API on one port, many containers,
    /// checkpoints, recovery on start.
    Serve(ServeArgs),
    /// Ask the daemon to launch a task; print its container id once it is TASK_RUNNING
    /// (exit 125 with the reason when it ends before).
    Launch(LaunchArgs),
    /// Wait until a container ends; print its termination JSON and exit with its exit code.
    Wait(WaitArgs),
    /// Kill a container's task gracefully (TASK_KILLING, then TASK_KILLED) and wait for it.
    Kill(KillArgs),
    /// Kill a container and remove everything of it (docker container, sandbox,
    /// checkpoints). Idempotent.
    Destroy(ContainerArgs),
    /// List the containers the daemon manages.
    Ps(PsArgs),
    /// Print everything the daemon knows about a container (JSON).
    Inspect(ContainerArgs),
    /// Print a running container's ResourceStatistics (JSON), read from its cgroups.
    Usage(ContainerArgs),
    /// Change a running container's cpu and memory limits.
    Update(UpdateArgs),
    /// Print a container's sandbox stdout (or stderr).
    Logs(LogsArgs),
    /// Reconcile the checkpoints with `docker ps -a` once (as serve does on start, without
    /// re-adopting executors) and print what was done.
    Recover(RecoverArgs),
}

/// Where the daemon is.
#[derive(Debug, Clone, Args)]
pub struct EndpointArg {
    /// The daemon's address.
    #[arg(
        long = "endpoint",
        env = "MESOS_CONTAINERIZER_ENDPOINT",
        default_value = "http://127.0.0.1:5051",
        value_name = "URL"
    )]
    pub endpoint: String,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long = "ip", env = "MESOS_IP", default_value = "127.0.0.1")]
    pub ip: IpAddr,

    /// The port to listen on (0: any free port; the address is printed on stdout's first
    /// line).
    #[arg(long = "port", env = "MESOS_PORT", default_value = "5051")]
    pub port: u16,

    /// Close a connection whose request head does not arrive within this time of its first
    /// byte.
    #[arg(long = "http_header_read_timeout", env = "MESOS_HTTP_HEADER_READ_TIMEOUT", default_value = "30secs", value_name = "DURATION", value_parser = parse_duration)]
    pub http_header_read_timeout: Duration,

    /// Close a connection with no request in flight after this long (never an executor's).
    #[arg(long = "http_idle_timeout", env = "MESOS_HTTP_IDLE_TIMEOUT", default_value = "2mins", value_name = "DURATION", value_parser = parse_duration)]
    pub http_idle_timeout: Duration,

    /// Most connections open at once; beyond it the longest idle one is closed [default:
    /// half the open-file limit].
    #[arg(long = "http_max_connections", env = "MESOS_HTTP_MAX_CONNECTIONS", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub http_max_connections: Option<u32>,

    /// How long after its end a container's sandbox and checkpoints are removed (sooner as
    /// the disk fills; see --gc_disk_headroom).
    #[arg(long = "gc_delay", env = "MESOS_GC_DELAY", default_value = crate::docker_containerizer::gc::DEFAULT_GC_DELAY, value_name = "DURATION", value_parser = parse_duration)]
    pub gc_delay: Duration,

    /// How often the disk usage of the work dir is checked to shorten --gc_delay.
    #[arg(long = "disk_watch_interval", env = "MESOS_DISK_WATCH_INTERVAL", default_value = crate::docker_containerizer::gc::DEFAULT_DISK_WATCH_INTERVAL, value_name = "DURATION", value_parser = parse_positive_duration)]
    pub disk_watch_interval: Duration,

    /// Free disk fraction garbage collection keeps: ended containers older than
    /// gc_delay * max(0.0, 1.0 - gc_disk_headroom - disk usage) are removed.
    #[arg(long = "gc_disk_headroom", env = "MESOS_GC_DISK_HEADROOM", default_value = crate::docker_containerizer::gc::DEFAULT_GC_DISK_HEADROOM, value_name = "FRACTION", value_parser = parse_headroom)]
    pub gc_disk_headroom: f64,
}

impl ServeArgs {
    /// The flags of `serve` as `GET_FLAGS` shows them (`ip` and `port` are shown as bound,
    /// by the daemon itself); `http_max_connections` as given, or `default` when not.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "http_header_read_timeout",
                self.http_header_read_timeout.to_string(),
            ),
            ("http_idle_timeout", self.http_idle_timeout.to_string()),
            (
                "http_max_connections",
                self.http_max_connections
                    .map_or_else(|| "default".to_string(), |n| n.to_string()),
            ),
            ("gc_delay", self.gc_delay.to_string()),
            ("disk_watch_interval", self.disk_watch_interval.to_string()),
            ("gc_disk_headroom", self.gc_disk_headroom.to_string()),
        ]
    }

    /// The garbage collection these flags ask for.
    pub fn gc_config(&self) -> crate::docker_containerizer::gc::GcConfig {
        crate::docker_containerizer::gc::GcConfig {
            gc_delay: self.gc_delay.to_std(),
            disk_watch_interval: self.disk_watch_interval.to_std(),
            gc_disk_headroom: self.gc_disk_headroom,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct LaunchArgs {
    #[command(flatten)]
    pub task: TaskArgs,

    #[command(flatten)]
    pub endpoint: EndpointArg,

    #[command(flatten)]
    pub output: JsonOutput,
}

/// A container of the daemon.
#[derive(Debug, Clone, Args)]
pub struct ContainerArgs {
    /// The ContainerID.
    #[arg(value_name = "ID")]
    pub container_id: String,

    #[command(flatten)]
    pub endpoint: EndpointArg,

    #[command(flatten)]
    pub output: JsonOutput,
}

#[derive(Debug, Clone, Args)]
pub struct WaitArgs {
    #[command(flatten)]
    pub container: ContainerArgs,
}

#[derive(Debug, Clone, Args)]
pub struct KillArgs {
    #[command(flatten)]
    pub container: ContainerArgs,

    /// Grace period between SIGTERM and SIGKILL [default: the task's kill policy, else
    /// --executor_shutdown_grace_period].
    #[arg(long = "grace_period", value_name = "DURATION", value_parser = parse_duration)]
    pub grace_period: Option<Duration>,
}

#[derive(Debug, Clone, Args)]
pub struct PsArgs {
    /// Also list containers that have ended.
    #[arg(
        long = "all",
        default_value = "false",
        value_parser = clap::builder::BoolishValueParser::new(),
        action = clap::ArgAction::Set,
        value_name = "BOOL"
    )]
    pub all: bool,

    #[command(flatten)]
    pub endpoint: EndpointArg,

    #[command(flatten)]
    pub output: JsonOutput,
}

#[derive(Debug, Clone, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub container: ContainerArgs,

    /// CPUs (cpu shares, and the CFS quota with --cgroups_enable_cfs).
    #[arg(long = "cpus", value_name = "N")]
    pub cpus: Option<f64>,

    /// Memory limit in MB (raised only: a limit is never lowered).
    #[arg(long = "mem", value_name = "MB")]
    pub mem: Option<f64>,
}

#[derive(Debug, Clone, Args)]
pub struct LogsArgs {
    /// The ContainerID.
    #[arg(value_name = "ID")]
    pub container_id: String,

    /// Print the sandbox stderr instead of stdout.
    #[arg(
        long = "stderr",
        default_value = "false",
        value_parser = clap::builder::BoolishValueParser::new(),
        action = clap::ArgAction::Set,
        value_name = "BOOL"
    )]
    pub stderr: bool,

    /// Keep printing what is appended until the container ends.
    #[arg(
        long = "follow",
        default_value = "false",
        value_parser = clap::builder::BoolishValueParser::new(),
        action = clap::ArgAction::Set,
        value_name = "BOOL"
    )]
    pub follow: bool,

    #[command(flatten)]
    pub endpoint: EndpointArg,
}

#[derive(Debug, Clone, Args)]
pub struct RecoverArgs {
    #[command(flatten)]
    pub output: JsonOutput,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    s.parse::<Duration>().map_err(|e| e.to_string())
}

fn parse_positive_duration(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d.to_std().is_zero() {
        return Err("must be longer than zero, e.g. 1mins".into());
    }
    Ok(d)
}

/// Mesos's check of `--gc_disk_headroom`, in its words.
fn parse_headroom(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "Invalid value '{s}' for --gc_disk_headroom. Must be between 0.0 and 1.0"
        )),
    }
}

/// What to launch.
#[derive(Debug, Clone, Args)]
pub struct TaskArgs {
    /// A Mesos TaskInfo in JSON (`task_id` and `agent_id` may be left out).
    #[arg(value_name = "TASK.json")]
    pub task: PathBuf,

    /// An ExecutorInfo in JSON whose DOCKER container runs a custom executor image.
    #[arg(long = "executor", value_name = "EXECUTOR.json")]
    pub executor: Option<PathBuf>,

    /// The ContainerID: 1-64 characters of A-Z a-z 0-9 _ - [default: a fresh UUID].
    #[arg(long = "container_id", env = "MESOS_CONTAINER_ID", value_name = "ID")]
    pub container_id: Option<String>,
}

/// `--json`: machine-readable output.
#[derive(Debug, Clone, Args)]
pub struct JsonOutput {
    /// Print JSON (for `run`: one status update a line) instead of text.
    #[arg(
        long = "json",
        default_value = "false",
        value_parser = clap::builder::BoolishValueParser::new(),
        action = clap::ArgAction::Set,
        value_name = "BOOL"
    )]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub task: TaskArgs,

    #[command(flatten)]
    pub output: JsonOutput,
}

#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub task: TaskArgs,

    #[command(flatten)]
    pub output: JsonOutput,
}
