//! The containerizer's flags: Mesos agent flag names where Mesos has one, each also read
//! from `MESOS_<FLAG>`, with embedded defaults so every command runs with no flags at all.

use clap::Args;
use mesos_types::duration::Duration;
use mesos_types::flags::Bytes;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// The environment variable a flag is read from: `MESOS_<FLAG>`.
pub fn env_var(flag: &str) -> String {
    format!("MESOS_{}", flag.to_ascii_uppercase())
}

/// Boolean flags, for [`mesos_types::flags::normalize_args`].
pub const BOOL_FLAGS: &[&str] = &[
    "docker_kill_orphans",
    "cgroups_enable_cfs",
    "json",
    "all",
    "stderr",
    "follow",
];

fn duration(s: &str) -> Result<Duration, String> {
    s.parse::<Duration>().map_err(|e| e.to_string())
}

fn bytes(s: &str) -> Result<Bytes, String> {
    s.parse::<Bytes>()
}

/// Flags shared by every command.
#[derive(Debug, Clone, Args)]
pub struct ContainerizerFlags {
    /// Where sandboxes, checkpoints and the fetcher cache live
    /// [default: /var/lib/mesos-docker as root, else $XDG_STATE_HOME/mesos-docker].
    #[arg(
        long = "work_dir",
        env = "MESOS_WORK_DIR",
        global = true,
        value_name = "DIR"
    )]
    pub work_dir: Option<PathBuf>,

    /// The docker CLI to run (`podman` works too).
    #[arg(
        long = "docker",
        env = "MESOS_DOCKER",
        global = true,
        default_value = "docker"
    )]
    pub docker: String,

    /// The Docker daemon's socket; must be an absolute path.
    #[arg(
        long = "docker_socket",
        env = "MESOS_DOCKER_SOCKET",
        global = true,
        default_value = "/var/run/docker.sock",
        value_name = "PATH"
    )]
    pub docker_socket: PathBuf,

    /// Registry credentials for image pulls: a path to a docker config JSON file, or the JSON
    /// itself (`{"auths": {...}}` or the old `.dockercfg` format). Never put on any argv.
    #[arg(
        long = "docker_config",
        env = "MESOS_DOCKER_CONFIG",
        global = true,
        value_name = "PATH|JSON"
    )]
    pub docker_config: Option<String>,

    /// Run executors in containers of this image (for a containerizer that itself runs in a
    /// container).
    #[arg(
        long = "docker_mesos_image",
        env = "MESOS_DOCKER_MESOS_IMAGE",
        global = true,
        value_name = "IMAGE"
    )]
    pub docker_mesos_image: Option<String>,

    /// Remove containers with our labels and this agent id that no checkpoint knows.
    #[arg(
        long = "docker_kill_orphans",
        env = "MESOS_DOCKER_KILL_ORPHANS",
        global = true,
        default_value = "true",
        value_parser = clap::builder::BoolishValueParser::new(),
        action = clap::ArgAction::Set,
        value_name = "BOOL"
    )]
    pub docker_kill_orphans: bool,

    /// How long an exited container is kept before `docker rm -v`.
    #[arg(long = "docker_remove_delay", env = "MESOS_DOCKER_REMOVE_DELAY", global = true, default_value = "6hrs", value_parser = duration)]
    pub docker_remove_delay: Duration,

    /// Grace period of `docker stop` when a container is destroyed (deprecated in Mesos;
    /// prefer the task's kill policy).
    #[arg(long = "docker_stop_timeout", env = "MESOS_DOCKER_STOP_TIMEOUT", global = true, default_value = "0ns", value_parser = duration)]
    pub docker_stop_timeout: Duration,

    /// Overall deadline of one image pull (beyond Mesos, which has none).
    #[arg(long = "docker_pull_timeout", env = "MESOS_DOCKER_PULL_TIMEOUT", global = true, default_value = "10mins", value_parser = duration)]
    pub docker_pull_timeout: Duration,

    /// Abort an image pull that shows no progress for this long (beyond Mesos).
    #[arg(long = "docker_pull_stall_timeout", env = "MESOS_DOCKER_PULL_STALL_TIMEOUT", global = true, default_value = "2mins", value_parser = duration)]
    pub docker_pull_stall_timeout: Duration,

    /// Time limit of one `docker inspect` of an image (is it present, or must it be pulled?);
    /// inspects of containers get at most 5secs, as in Mesos. A CLI that does not answer in
    /// time is killed and the launch fails (beyond Mesos, which has no such flag).
    #[arg(long = "docker_inspect_timeout", env = "MESOS_DOCKER_INSPECT_TIMEOUT", global = true, default_value = "30secs", value_parser = duration)]
    pub docker_inspect_timeout: Duration,

    /// Where `mesos-fetcher` and `mesos-docker-executor` are [default: the directory of this
    /// binary].
    #[arg(
        long = "launcher_dir",
        env = "MESOS_LAUNCHER_DIR",
        global = true,
        value_name = "DIR"
    )]
    pub launcher_dir: Option<PathBuf>,

    /// The fetcher cache [default: <work_dir>/fetcher_cache].
    #[arg(
        long = "fetcher_cache_dir",
        env = "MESOS_FETCHER_CACHE_DIR",
        global = true,
        value_name = "DIR"
    )]
    pub fetcher_cache_dir: Option<PathBuf>,

    /// Size bound of the fetcher cache.
    #[arg(long = "fetcher_cache_size", env = "MESOS_FETCHER_CACHE_SIZE", global = true, default_value = "2GB", value_parser = bytes)]
    pub fetcher_cache_size: Bytes,

    /// Abort a download that makes no progress for this long.
    #[arg(long = "fetcher_stall_timeout", env = "MESOS_FETCHER_STALL_TIMEOUT", global = true, default_value = "1mins", value_parser = duration)]
    pub fetcher_stall_timeout: Duration,

    /// Base directory for relative URIs.
    #[arg(
        long = "frameworks_home",
        env = "MESOS_FRAMEWORKS_HOME",
        global = true,
        value_name = "DIR"
    )]
    pub frameworks_home: Option<PathBuf>,

    /// Default DNS for containers on BRIDGE and USER networks (JSON `ContainerDNSInfo`).
    #[arg(
        long = "default_container_dns",
        env = "MESOS_DEFAULT_CONTAINER_DNS",
        global = true,
        value_name = "JSON"
    )]
    pub default_container_dns: Option<String>,

    /// Set a CFS quota from the cpu request (hard cpu cap).
    #[arg(
        long = "cgroups_enable_cfs",
        env = "MESOS_CGROUPS_ENABLE_CFS",
        global = true,
        default_value = "false",
        value_parser = clap::builder::BoolishValueParser::new(),
        action = clap::ArgAction::Set,
        value_name = "BOOL"
    )]
    pub cgroups_enable_cfs: bool,

    /// How long an executor may take to subscribe, counted from launch (covers fetch and
    /// pull in Mesos; here the pull has its own deadlines).
    #[arg(long = "executor_registration_timeout", env = "MESOS_EXECUTOR_REGISTRATION_TIMEOUT", global = true, default_value = "1mins", value_parser = duration)]
    pub executor_registration_timeout: Duration,

    /// Default grace period an executor gets to shut down.
    #[arg(long = "executor_shutdown_grace_period", env = "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", global = true, default_value = "5secs", value_parser = duration)]
    pub executor_shutdown_grace_period: Duration,

    /// Where the sandbox is mounted inside containers (`MESOS_SANDBOX`).
    #[arg(
        long = "sandbox_directory",
        env = "MESOS_SANDBOX_DIRECTORY",
        global = true,
        default_value = "/mnt/mesos/sandbox",
        value_name = "PATH"
    )]
    pub sandbox_directory: String,

    /// Log level: ERROR, WARNING, INFO or DEBUG (RUST_LOG overrides).
    #[arg(
        long = "logging_level",
        env = "MESOS_LOGGING_LEVEL",
        global = true,
        default_value = "INFO"
    )]
    pub logging_level: String,

    /// Log format: `human` or `json`.
    #[arg(
        long = "log_format",
        env = "MESOS_LOG_FORMAT",
        global = true,
        default_value = "human"
    )]
    pub log_format: String,

    /// The flags whose value came from their `MESOS_<FLAG>` environment variable (filled
    /// by the binary after parsing), so that errors can name the variable to fix.
    #[arg(skip)]
    pub from_env: BTreeSet<String>,
}

/// A flag value that cannot work: which flag (and environment variable), the value, and
/// what to do instead.
#[derive(Debug, thiserror::Error)]
#[error("invalid --{flag} '{value}'{}: {problem}", .env.as_ref().map(|v| format!(" (from the environment variable {v})")).unwrap_or_default())]
pub struct FlagError {
    /// The flag's name, without dashes.
    pub flag: String,
    /// The environment variable the value came from, if it did.
    pub env: Option<String>,
    pub value: String,
    pub problem: String,
}

impl ContainerizerFlags {
    /// `--name`, or `--name (from MESOS_NAME)` when the value came from the environment.
    pub fn label(&self, name: &str) -> String {
        if self.from_env.contains(name) {
            format!("--{name} (from {})", env_var(name))
        } else {
            format!("--{name}")
        }
    }

    fn invalid(
        &self,
        name: &str,
        value: impl Into<String>,
        problem: impl Into<String>,
    ) -> FlagError {
        FlagError {
            flag: name.to_string(),
            env: self.from_env.contains(name).then(|| env_var(name)),
            value: value.into(),
            problem: problem.into(),
        }
    }

    /// Checks the flags that name local paths and files, before anything is created: every
    /// command that works on the work dir (`run`, `explain`, `serve`, `recover`) calls it
    /// first, so a value that could only fail later (after a sandbox exists, or in the
    /// executor) is refused at once.
    pub fn validate(&self) -> Result<(), FlagError> {
        if let Some(dir) = &self.work_dir {
            let shown = dir.display().to_string();
            if dir.as_os_str().is_empty() {
                return Err(self.invalid(
                    "work_dir",
                    shown,
                    "is empty; give an absolute directory path",
                ));
            }
            if !dir.is_absolute() {
                return Err(self.invalid(
                    "work_dir",
                    shown.clone(),
                    format!(
                        "must be an absolute path (sandbox paths are bind-mounted into containers); give e.g. '{}'",
                        crate::task::prepare::absolute(dir).display()
                    ),
                ));
            }
            if dir.exists() && !dir.is_dir() {
                return Err(self.invalid(
                    "work_dir",
                    shown,
                    "exists and is not a directory; give a directory (it is created if missing)",
                ));
            }
        }
        let mapped = &self.sandbox_directory;
        if mapped.is_empty() {
            return Err(self.invalid(
                "sandbox_directory",
                mapped.clone(),
                "is empty; give the absolute path where the sandbox appears inside containers, e.g. /mnt/mesos/sandbox",
            ));
        }
        if !mapped.starts_with('/') {
            return Err(self.invalid(
                "sandbox_directory",
                mapped.clone(),
                "must be an absolute path inside the container, e.g. /mnt/mesos/sandbox",
            ));
        }
        if mapped.contains(':') {
            return Err(self.invalid(
                "sandbox_directory",
                mapped.clone(),
                "must not contain ':' (docker's volume separator); pick another path, e.g. /mnt/mesos/sandbox",
            ));
        }
        if mapped.trim_end_matches('/').is_empty() {
            return Err(self.invalid(
                "sandbox_directory",
                mapped.clone(),
                "the sandbox cannot be mounted over the container's root; pick a directory, e.g. /mnt/mesos/sandbox",
            ));
        }
        if let Some(config) = &self.docker_config {
            let trimmed = config.trim();
            let inline = trimmed.starts_with('{') || trimmed.starts_with('[');
            if !inline && !trimmed.starts_with('/') && !trimmed.starts_with("file://") {
                // Never echo what may be credentials: only a path-looking value is shown.
                let path_like = trimmed.len() <= 256
                    && !trimmed.contains(|c: char| c.is_whitespace() || "{}\"':,".contains(c));
                return Err(self.invalid(
                    "docker_config",
                    if path_like { trimmed } else { "<not shown>" },
                    "is a relative path (or not JSON); give an absolute path (or file:///path) to a docker config JSON file, or the JSON itself",
                ));
            }
            docker_cli::DockerConfig::parse(config).map_err(|e| {
                let shown = if inline {
                    "<inline JSON>".to_string()
                } else {
                    trimmed.to_string()
                };
                let problem = match e {
                    docker_cli::DockerError::InvalidInput { hint, .. } => hint,
                    other => other.to_string(),
                };
                self.invalid("docker_config", shown, problem)
            })?;
        }
        if !self.docker_socket.is_absolute() {
            return Err(self.invalid(
                "docker_socket",
                self.docker_socket.display().to_string(),
                format!(
                    "Invalid Docker socket path: {} (it must be an absolute path)",
                    self.docker_socket.display()
                ),
            ));
        }
        for (name, dir) in [
            ("launcher_dir", &self.launcher_dir),
            ("fetcher_cache_dir", &self.fetcher_cache_dir),
        ] {
            if let Some(dir) = dir {
                if !dir.is_absolute() {
                    return Err(self.invalid(
                        name,
                        dir.display().to_string(),
                        format!(
                            "must be an absolute path; give e.g. '{}'",
                            crate::task::prepare::absolute(dir).display()
                        ),
                    ));
                }
            }
        }
        if let Some(dir) = &self.launcher_dir {
            if !dir.is_dir() {
                return Err(self.invalid(
                    "launcher_dir",
                    dir.display().to_string(),
                    "is not a directory; give the directory that holds mesos-docker-executor and mesos-fetcher",
                ));
            }
        }
        if let Some(dns) = &self.default_container_dns {
            docker_cli::ContainerDnsInfo::parse(dns)
                .map_err(|e| self.invalid("default_container_dns", dns.clone(), e.to_string()))?;
        }
        Ok(())
    }

    /// The time limits of docker calls under these flags, CLI and Engine API alike.
    fn docker_timeouts(&self) -> docker_cli::Timeouts {
        let image_inspect = self.docker_inspect_timeout.to_std();
        docker_cli::Timeouts {
            image_inspect,
            inspect: image_inspect.min(docker_cli::Timeouts::default().inspect),
            ..docker_cli::Timeouts::default()
        }
    }

    /// The docker CLI handle of these flags, with their time limits.
    pub fn docker(&self) -> Result<docker_cli::Docker, docker_cli::DockerError> {
        docker_cli::Docker::with_timeouts(
            &self.docker,
            Some(&self.docker_socket),
            self.docker_timeouts(),
        )
    }

    /// The Engine API client of the daemon at `--docker_socket`, with the time limits of
    /// the CLI calls it replaces.
    pub fn engine(&self) -> docker_engine::Engine {
        docker_engine::Engine::new(&self.docker_socket, self.docker_timeouts())
    }

    /// The effective work dir.
    pub fn work_dir(&self) -> PathBuf {
        self.work_dir
            .clone()
            .unwrap_or_else(crate::state::paths::default_work_dir)
    }

    /// The effective launcher dir: the flag, else the directory of the running binary.
    pub fn launcher_dir(&self) -> PathBuf {
        if let Some(dir) = &self.launcher_dir {
            return dir.clone();
        }
        std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("."))
    }
    /// Every flag with its effective value, as `GET_FLAGS` reports them. An inline
    /// `--docker_config` (it holds credentials) is shown as `***`: anything but a path is.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let opt_path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        // Only a path is shown: anything else is (or may be) the JSON with the credentials,
        // whatever it starts with.
        let docker_config = self.docker_config.as_ref().map(|c| {
            let trimmed = c.trim();
            if trimmed.starts_with('/') || trimmed.starts_with("file://") {
                c.clone()
            } else {
                "***".to_string()
            }
        });
        let mut pairs: Vec<(&'static str, Option<String>)> = vec![
            ("work_dir", Some(self.work_dir().display().to_string())),
            ("docker", Some(self.docker.clone())),
            (
                "docker_socket",
                Some(self.docker_socket.display().to_string()),
            ),
            ("docker_config", docker_config),
            ("docker_mesos_image", self.docker_mesos_image.clone()),
            (
                "docker_kill_orphans",
                Some(self.docker_kill_orphans.to_string()),
            ),
            (
                "docker_remove_delay",
                Some(self.docker_remove_delay.to_string()),
            ),
            (
                "docker_stop_timeout",
                Some(self.docker_stop_timeout.to_string()),
            ),
            (
                "docker_pull_timeout",
                Some(self.docker_pull_timeout.to_string()),
            ),
            (
                "docker_pull_stall_timeout",
                Some(self.docker_pull_stall_timeout.to_string()),
            ),
            (
                "docker_inspect_timeout",
                Some(self.docker_inspect_timeout.to_string()),
            ),
            (
                "launcher_dir",
                Some(self.launcher_dir().display().to_string()),
            ),
            ("fetcher_cache_dir", opt_path(&self.fetcher_cache_dir)),
            (
                "fetcher_cache_size",
                Some(self.fetcher_cache_size.to_string()),
            ),
            (
                "fetcher_stall_timeout",
                Some(self.fetcher_stall_timeout.to_string()),
            ),
            ("frameworks_home", opt_path(&self.frameworks_home)),
            ("default_container_dns", self.default_container_dns.clone()),
            (
                "cgroups_enable_cfs",
                Some(self.cgroups_enable_cfs.to_string()),
            ),
            (
                "executor_registration_timeout",
                Some(self.executor_registration_timeout.to_string()),
            ),
            (
                "executor_shutdown_grace_period",
                Some(self.executor_shutdown_grace_period.to_string()),
            ),
            ("sandbox_directory", Some(self.sandbox_directory.clone())),
            ("logging_level", Some(self.logging_level.clone())),
            ("log_format", Some(self.log_format.clone())),
        ];
        pairs.sort_by_key(|(name, _)| *name);
        pairs
            .into_iter()
            .filter_map(|(name, value)| value.map(|v| (name, v)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        flags: ContainerizerFlags,
    }

    fn parse(args: &[&str]) -> Result<ContainerizerFlags, clap::Error> {
        let mut argv = vec!["mesos-docker-containerizer".to_string()];
        argv.extend(mesos_types::flags::normalize_args(
            args.iter().copied(),
            BOOL_FLAGS,
        ));
        Cli::try_parse_from(argv).map(|c| c.flags)
    }

    #[test]
    fn defaults_need_no_flags() {
        let f = parse(&[]).unwrap();
        assert_eq!(f.docker, "docker");
        assert_eq!(f.docker_socket, PathBuf::from("/var/run/docker.sock"));
        assert!(f.docker_kill_orphans);
        assert!(!f.cgroups_enable_cfs);
        assert_eq!(f.docker_remove_delay.to_string(), "6hrs");
        assert_eq!(f.fetcher_cache_size, Bytes(2 << 30));
        assert_eq!(f.sandbox_directory, "/mnt/mesos/sandbox");
    }

    #[test]
    fn mesos_spellings_are_accepted() {
        let f = parse(&[
            "--work-dir=/w",
            "--docker_stop_timeout",
            "10secs",
            "--no-docker_kill_orphans",
            "--cgroups_enable_cfs",
            "--fetcher_cache_size=1GB",
        ])
        .unwrap();
        assert_eq!(f.work_dir(), PathBuf::from("/w"));
        assert_eq!(
            f.docker_stop_timeout.to_std(),
            std::time::Duration::from_secs(10)
        );
        assert!(!f.docker_kill_orphans);
        assert!(f.cgroups_enable_cfs);
        assert_eq!(f.fetcher_cache_size, Bytes(1 << 30));
    }

    #[test]
    fn bad_values_name_the_flag() {
        let err = parse(&["--docker_remove_delay=soon"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--docker_remove_delay"), "{err}");
        let err = parse(&["--fetcher_cache_size=2XB"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown unit"), "{err}");
    }
}
