//! A typed wrapper over the Docker CLI, as the Mesos 1.11 Docker containerizer and docker
//! executor use it (docs/mesos-compat.md, docs/docker-cli.md), plus the pure `docker run`
//! argv builder.
//!
//! - [`Docker`]: the CLI handle (program, `-H unix://<socket>`, time limits). Every call is
//!   bounded in time and kills the CLI on timeout or when its future is dropped. One verb
//!   per module: [`version`], [`pull`], [`create`], [`inspect`], [`ps`], [`stop`], [`kill`], [`rm`],
//!   [`update`], [`exec`], [`run`], [`wait`].
//! - [`build_run_command`]: `RunOptions` → `docker run` args and environment, rule by rule.
//! - [`naming`]: `mesos-<cid>` names and their parsing; [`labels`]: the labels we put on
//!   every container.
//!
//! Secrets: environment values never appear on argv (`-e NAME`, the value in the CLI's
//! environment), and argv and docker's stderr are redacted before they reach an error or
//! a log line ([`redact`]).

pub mod config;
pub mod create;
pub mod dns;
pub mod error;
pub mod exec;
pub mod image;
pub mod inspect;
pub mod kill;
pub mod labels;
pub mod naming;
mod process;
pub mod ps;
pub mod pull;
pub mod redact;
pub mod rm;
pub mod run;
pub mod run_options;
pub mod run_parameters;
pub mod stop;
pub mod update;
pub mod version;
pub mod wait;

pub use config::{has_docker_config, pull_credentials, pull_home, DockerConfig, DockerConfigHome};
pub use dns::{ContainerDnsInfo, Dns, DnsNetworkMode, DockerDnsInfo};
pub use error::{DockerError, ObjectKind, Result};
pub use exec::ExecOutput;
pub use image::{normalize_image, Image};
pub use inspect::{Container, HostConfig, NetworkAddresses, PortBinding};
pub use labels::MesosLabels;
pub use naming::{
    container_name, executor_container_name, parse_container_name, validate_container_id,
    ParsedName,
};
pub use process::{Docker, Timeouts, DEFAULT_DOCKER_SOCKET};
pub use ps::{PsEntry, PsFilter};
pub use pull::{PullOptions, PullProgress};
pub use run::RunHandle;
pub use run_options::{build_run_command, Device, RunCommand, RunOptions};
pub use run_parameters::{check_parameter, ParameterRefusal, DOCKER_RUN_LONG_OPTIONS};
pub use update::UpdateOptions;
pub use version::{Version, MIN_DOCKER_VERSION};
