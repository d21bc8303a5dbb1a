//! The command line of `mesos-docker-containerizer`: only the clap definitions.

use crate::flags::ContainerizerFlags;
use clap::{Args, Parser, Subcommand};
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
