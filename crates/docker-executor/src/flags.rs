//! The executor's command line, exactly as the Mesos agent writes it (`--name=value` for every
//! flag, sorted, defaults included), plus `--name value` and dashes for people typing it.
//!
//! Unknown and repeated flags are errors. Errors (clap's included) exit with status 1, as
//! stout's flag parsing does; `--help` prints usage and exits 0.

use clap::Parser;
use mesos_types::duration::Duration;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The boolean flags, for [`mesos_types::flags::normalize_args`] (`--flag`, `--no-flag`).
pub const BOOL_FLAGS: &[&str] = &[
    "cgroups_enable_cfs",
    "quiet",
    "initialize_driver_logging",
    "help",
    "version",
];

/// The version and the git commit this build came from, for `--version`.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("MESOS_DOCKER_GIT_COMMIT"),
    ")"
);

fn parse_bool(s: &str) -> Result<bool, String> {
    match s {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(format!("expected 'true' or 'false', got '{s}'")),
    }
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    s.parse::<Duration>().map_err(|e| e.to_string())
}

/// What clap parses; [`Flags::parse_from`] turns it into validated [`Flags`].
#[derive(Debug, Parser)]
#[command(
    name = "mesos-docker-executor",
    about = "Runs one Mesos task as a Docker container, speaking the v1 Executor HTTP API to the agent",
    disable_help_flag = true,
    disable_version_flag = true
)]
struct RawFlags {
    /// The docker CLI to run (path or name on PATH).
    #[arg(long = "docker", value_name = "PATH")]
    docker: Option<String>,
    /// Name of the task's container (the agent passes `mesos-<ContainerID>`).
    #[arg(long = "container", value_name = "NAME")]
    container: Option<String>,
    /// The sandbox on the host; mounted into the container at --mapped_directory.
    #[arg(long = "sandbox_directory", value_name = "DIR")]
    sandbox_directory: Option<PathBuf>,
    /// Where the sandbox appears inside the container (`MESOS_SANDBOX` there).
    #[arg(long = "mapped_directory", value_name = "DIR")]
    mapped_directory: Option<String>,
    /// The Docker daemon's socket (absolute path).
    #[arg(long = "docker_socket", value_name = "PATH")]
    docker_socket: Option<PathBuf>,
    /// Directory of the Mesos helper binaries.
    #[arg(long = "launcher_dir", value_name = "DIR")]
    launcher_dir: Option<PathBuf>,
    /// Extra task environment: a JSON object of string values (highest precedence after
    /// the MESOS_* variables).
    #[arg(long = "task_environment", value_name = "JSON")]
    task_environment: Option<String>,
    /// Default DNS settings (`ContainerDNSInfo` JSON) for containers whose task sets none.
    #[arg(long = "default_container_dns", value_name = "JSON")]
    default_container_dns: Option<String>,
    /// Set a CPU quota (CFS) from the task's cpus.
    #[arg(long = "cgroups_enable_cfs", value_parser = parse_bool, action = clap::ArgAction::Set, default_value = "false", value_name = "BOOL")]
    cgroups_enable_cfs: bool,
    /// Lower bound of the grace period of kills without a kill policy (deprecated in Mesos).
    #[arg(long = "stop_timeout", value_parser = parse_duration, value_name = "DURATION")]
    stop_timeout: Option<Duration>,
    /// Accepted for compatibility (glog flag).
    #[arg(long = "quiet", value_parser = parse_bool, action = clap::ArgAction::Set, default_value = "false", value_name = "BOOL")]
    quiet: bool,
    /// Log level: INFO, WARNING or ERROR (glog names); RUST_LOG overrides.
    #[arg(long = "logging_level", default_value = "INFO", value_name = "LEVEL")]
    logging_level: String,
    /// Accepted for compatibility (glog flag; logs go to stderr).
    #[arg(long = "log_dir", value_name = "DIR")]
    log_dir: Option<String>,
    /// Accepted for compatibility (glog flag).
    #[arg(long = "logbufsecs", value_name = "SECS")]
    logbufsecs: Option<u32>,
    /// Accepted for compatibility (glog flag).
    #[arg(long = "initialize_driver_logging", value_parser = parse_bool, action = clap::ArgAction::Set, default_value = "true", value_name = "BOOL")]
    initialize_driver_logging: bool,
    /// Accepted for compatibility (glog flag).
    #[arg(long = "external_log_file", value_name = "PATH")]
    external_log_file: Option<String>,
    /// Log format on stderr: `human` (default) or `json` (beyond Mesos).
    #[arg(long = "log_format", value_name = "human|json")]
    log_format: Option<String>,
    /// Print this help and exit.
    #[arg(long = "help", value_parser = parse_bool, action = clap::ArgAction::Set, default_value = "false", value_name = "BOOL")]
    help: bool,
    /// Print the version and the git commit, and exit.
    #[arg(long = "version", value_parser = parse_bool, action = clap::ArgAction::Set, default_value = "false", value_name = "BOOL")]
    version: bool,
}

/// The clap definition of the command line, for man pages and shell completions.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    RawFlags::command()
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

/// The validated command line.
#[derive(Debug, Clone)]
pub struct Flags {
    pub docker: String,
    pub container: String,
    pub sandbox_directory: PathBuf,
    pub mapped_directory: String,
    pub docker_socket: Option<PathBuf>,
    pub launcher_dir: PathBuf,
    /// Values are secrets: never log them.
    pub task_environment: BTreeMap<String, String>,
    /// `ContainerDNSInfo`, untouched.
    pub default_container_dns: Option<docker_cli::ContainerDnsInfo>,
    pub cgroups_enable_cfs: bool,
    pub stop_timeout: Option<Duration>,
    pub logging_level: String,
    pub log_format: LogFormat,
}

/// The outcome of parsing the command line.
#[derive(Debug)]
pub enum Parsed {
    Run(Box<Flags>),
    /// `--help` or `--version`: print this and exit 0.
    Help(String),
}

/// A command line the executor cannot run with; the message names the flag.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FlagError(pub String);

impl Flags {
    /// Parses `args` (argv\[0\] first) and checks them in the agent's order.
    pub fn parse_from<I, S>(args: I) -> Result<Parsed, FlagError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut args = args.into_iter().map(Into::into);
        let argv0 = args
            .next()
            .unwrap_or_else(|| "mesos-docker-executor".into());
        let mut normalized = vec![argv0];
        normalized.extend(mesos_types::flags::normalize_args(args, BOOL_FLAGS));
        let raw = RawFlags::try_parse_from(&normalized).map_err(|e| {
            // clap's own text, without its "For more information" tail.
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid command line").trim();
            FlagError(format!(
                "{}\nRun with --help for the list of flags",
                first.trim_start_matches("error: ")
            ))
        })?;
        if raw.help {
            use clap::CommandFactory;
            return Ok(Parsed::Help(RawFlags::command().render_help().to_string()));
        }
        if raw.version {
            return Ok(Parsed::Help(format!("mesos-docker-executor {VERSION}")));
        }
        let required = |v: Option<String>, name: &str| {
            v.ok_or_else(|| FlagError(format!("Missing required flag --{name}")))
        };
        let docker = required(raw.docker, "docker")?;
        let container = required(raw.container, "container")?;
        let sandbox_directory = raw
            .sandbox_directory
            .ok_or_else(|| FlagError("Missing required flag --sandbox_directory".into()))?;
        let mapped_directory = required(raw.mapped_directory, "mapped_directory")?;

        let task_environment = match raw.task_environment {
            None => BTreeMap::new(),
            Some(text) => parse_task_environment(&text)?,
        };
        let default_container_dns = raw
            .default_container_dns
            .as_deref()
            .map(docker_cli::ContainerDnsInfo::parse)
            .transpose()
            .map_err(|e| FlagError(e.to_string()))?;
        let launcher_dir = raw
            .launcher_dir
            .ok_or_else(|| FlagError("Missing required flag --launcher_dir".into()))?;
        if let Some(socket) = &raw.docker_socket {
            if !socket.is_absolute() {
                return Err(FlagError(format!(
                    "--docker_socket must be an absolute path, got '{}'",
                    socket.display()
                )));
            }
        }
        let log_format = match raw.log_format.as_deref() {
            None | Some("human") => LogFormat::Human,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(FlagError(format!(
                    "--log_format must be 'human' or 'json', got '{other}'"
                )))
            }
        };
        Ok(Parsed::Run(Box::new(Flags {
            docker,
            container,
            sandbox_directory,
            mapped_directory,
            docker_socket: raw.docker_socket,
            launcher_dir,
            task_environment,
            default_container_dns,
            cgroups_enable_cfs: raw.cgroups_enable_cfs,
            stop_timeout: raw.stop_timeout,
            logging_level: raw.logging_level,
            log_format,
        })))
    }
}

/// `--task_environment`: a JSON object whose values are all strings. Errors never quote a
/// value (they may be secrets).
fn parse_task_environment(text: &str) -> Result<BTreeMap<String, String>, FlagError> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        FlagError(format!(
            "Failed to parse --task_environment as JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    let serde_json::Value::Object(map) = v else {
        return Err(FlagError("--task_environment must be a JSON object".into()));
    };
    map.into_iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => Ok((k, s)),
            _ => Err(FlagError(format!(
                "Value of key '{k}' in --task_environment is not a string"
            ))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent_argv() -> Vec<&'static str> {
        vec![
            "mesos-docker-executor",
            "--cgroups_enable_cfs=false",
            "--container=mesos-c1",
            "--docker=docker",
            "--docker_socket=/var/run/docker.sock",
            "--help=false",
            "--initialize_driver_logging=true",
            "--launcher_dir=/usr/libexec/mesos",
            "--logbufsecs=0",
            "--logging_level=INFO",
            "--mapped_directory=/mnt/mesos/sandbox",
            "--quiet=false",
            "--sandbox_directory=/w/sandboxes/c1",
            "--stop_timeout=0ns",
            r#"--task_environment={"A":"1"}"#,
        ]
    }

    fn run(args: Vec<&str>) -> Result<Flags, FlagError> {
        match Flags::parse_from(args)? {
            Parsed::Run(f) => Ok(*f),
            Parsed::Help(_) => panic!("help"),
        }
    }

    #[test]
    fn the_agents_command_line() {
        let f = run(agent_argv()).unwrap();
        assert_eq!(f.container, "mesos-c1");
        assert_eq!(f.mapped_directory, "/mnt/mesos/sandbox");
        assert_eq!(f.task_environment["A"], "1");
        assert_eq!(f.stop_timeout, Some(Duration::ZERO));
        assert!(!f.cgroups_enable_cfs);
        assert_eq!(f.log_format, LogFormat::Human);
    }

    #[test]
    fn space_separated_dashes_and_bare_booleans() {
        let f = run(vec![
            "x",
            "--docker",
            "docker",
            "--container",
            "mesos-c2",
            "--sandbox-directory",
            "/s",
            "--mapped-directory=/m",
            "--launcher-dir",
            "/l",
            "--cgroups-enable-cfs",
            "--stop-timeout",
            "10secs",
        ])
        .unwrap();
        assert_eq!(f.container, "mesos-c2");
        assert!(f.cgroups_enable_cfs);
        assert_eq!(f.stop_timeout, Some(Duration::from_secs(10)));
    }

    #[test]
    fn errors_name_the_flag() {
        let mut args = agent_argv();
        args.retain(|a| !a.starts_with("--container="));
        assert_eq!(
            run(args).unwrap_err().to_string(),
            "Missing required flag --container"
        );

        let mut args = agent_argv();
        args.push("--bogus=1");
        assert!(run(args).unwrap_err().to_string().contains("--bogus"));

        let mut args = agent_argv();
        args.push("--docker=again");
        assert!(run(args).unwrap_err().to_string().contains("--docker"));

        let mut args = agent_argv();
        args.retain(|a| !a.starts_with("--task_environment"));
        args.push(r#"--task_environment={"A":1}"#);
        assert_eq!(
            run(args).unwrap_err().to_string(),
            "Value of key 'A' in --task_environment is not a string"
        );

        let mut args = agent_argv();
        args.retain(|a| !a.starts_with("--stop_timeout"));
        args.push("--stop_timeout=10");
        assert!(run(args)
            .unwrap_err()
            .to_string()
            .contains("--stop_timeout"));

        let mut args = agent_argv();
        args.retain(|a| !a.starts_with("--docker_socket"));
        args.push("--docker_socket=docker.sock");
        assert!(run(args).unwrap_err().to_string().contains("absolute"));

        let mut args = agent_argv();
        args.retain(|a| !a.starts_with("--task_environment"));
        args.push(r#"--task_environment={"SECRET":"hunter2""#);
        let err = run(args).unwrap_err().to_string();
        assert!(
            err.contains("--task_environment") && !err.contains("hunter2"),
            "{err}"
        );
    }

    #[test]
    fn help() {
        let Parsed::Help(text) = Flags::parse_from(["x", "--help"]).unwrap() else {
            panic!("no help")
        };
        assert!(text.contains("--sandbox_directory"));
    }

    #[test]
    fn version() {
        let Parsed::Help(text) = Flags::parse_from(["x", "--version"]).unwrap() else {
            panic!("no version")
        };
        assert_eq!(text, format!("mesos-docker-executor {VERSION}"));
        assert!(text.contains(" (commit "), "{text}");
    }
}
