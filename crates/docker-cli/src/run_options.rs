//! The `docker run` argv builder (docs/mesos-compat.md, *The docker run argv*): a pure
//! function from the task's ContainerInfo, CommandInfo and resources to the argv and the
//! environment of the docker CLI.
//!
//! The argv follows Mesos 1.11's emission order rule by rule, with two deliberate
//! differences (docs/mesos-compat.md):
//! - environment variables are emitted as `-e NAME` only; the values go into
//!   [`RunCommand::env`], the docker CLI's own environment, from which docker reads them, so
//!   they never show in `ps` or logs;
//! - our labels ([`crate::labels`]) are emitted as `--label key=value` right after `--name`.
//!
//! Nothing here reads the machine: total host memory and the Docker version are inputs.
//! Errors are [`DockerError::InvalidInput`] with the JSON path of the offending field
//! (relative to the TaskInfo / ExecutorInfo) and Mesos's message, or
//! [`DockerError::FeatureNeedsVersion`].

use std::collections::BTreeMap;

use mesos_types::container::{ContainerInfo, DockerNetwork, VolumeMode, VolumeSourceType};
use mesos_types::resources::{self, Resource, Scalar};
use mesos_types::task::{CommandInfo, SecretType, VariableType};

use crate::dns::{ContainerDnsInfo, Dns};
use crate::error::{DockerError, Result};
use crate::labels::MesosLabels;
use crate::process::Docker;
use crate::redact::redact_argv;
use crate::run_parameters::check_parameter;
use crate::version::{Version, HOST_NETWORK_DNS_MIN_VERSION, USER_NETWORK_MIN_VERSION};

/// CPU shares per CPU (`CPU_SHARES_PER_CPU`).
pub const CPU_SHARES_PER_CPU: u64 = 1024;
/// Smallest `--cpu-shares` (`MIN_CPU_SHARES`).
pub const MIN_CPU_SHARES: u64 = 2;
/// CFS period in microseconds (`CPU_CFS_PERIOD` = 100 ms).
pub const CPU_CFS_PERIOD_US: u64 = 100_000;
/// Smallest `--cpu-quota` in microseconds (`MIN_CPU_CFS_QUOTA` = 1 ms).
pub const MIN_CPU_CFS_QUOTA_US: u64 = 1_000;
/// Smallest memory limit in bytes (`MIN_MEMORY` = 32 MiB).
pub const MIN_MEMORY_BYTES: u64 = 32 * MIB;
/// Largest `--cpu-shares` the kernel and runc accept (cgroup v1's `MAX_SHARES`, 2^18;
/// 256 cpus' worth): beyond it `docker run` fails after the container was created.
pub const MAX_CPU_SHARES: u64 = 262_144;
/// Largest `--cpu-quota` in microseconds the kernel accepts (2^44 - 1: its bandwidth
/// arithmetic has 44 bits for the quota).
pub const MAX_CPU_CFS_QUOTA_US: u64 = (1 << 44) - 1;
/// Largest memory size in bytes Docker takes (`--memory` is a signed 64-bit number; near
/// the top it overflows and reports the 6 MB minimum instead).
pub const MAX_MEMORY_BYTES: u64 = i64::MAX as u64;

const MIB: u64 = 1024 * 1024;

/// A host device to expose (`--device=<host>:<container>:<perms>`). Neither Mesos caller
/// passes any; kept for API parity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub host_path: String,
    pub container_path: String,
    pub read: bool,
    pub write: bool,
    pub mknod: bool,
}

/// Everything `docker run` is built from.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOptions {
    /// Must have `docker` set.
    pub container: ContainerInfo,
    pub command: CommandInfo,
    /// The docker container name (`mesos-<cid>`).
    pub name: String,
    /// The sandbox on the host.
    pub sandbox_dir: String,
    /// Where the sandbox appears in the container (`--sandbox_directory`,
    /// `/mnt/mesos/sandbox`).
    pub mapped_dir: String,
    /// Resource requests (`TaskInfo.resources`, plus the executor's for command tasks);
    /// `None` when there are none at all (which differs from an empty list only for
    /// port mappings' error message).
    pub resources: Option<Vec<Resource>>,
    /// Resource limits by name (`TaskInfo.limits`): `cpus`, `mem` (MB); may be infinite.
    pub limits: BTreeMap<String, Scalar>,
    /// `--cgroups_enable_cfs`: a CFS quota from the cpu request when no cpu limit is set.
    pub enable_cfs_quota: bool,
    /// Environment from the caller (`--task_environment`, or the executor environment for
    /// an executor container); wins over `CommandInfo.environment` on a name clash.
    pub env: BTreeMap<String, String>,
    pub devices: Vec<Device>,
    /// `--default_container_dns`.
    pub default_dns: Option<ContainerDnsInfo>,
    /// Our labels, emitted after `--name`.
    pub labels: MesosLabels,
    /// Total memory of the host in bytes, for `--oom-score-adj`; needed only when a memory
    /// limit above the request is set.
    pub host_memory_bytes: Option<u64>,
    /// The Docker found, for the version-gated rules; `None` skips those checks.
    pub docker_version: Option<Version>,
}

impl RunOptions {
    /// Options with the required parts and everything else empty.
    pub fn new(
        container: ContainerInfo,
        command: CommandInfo,
        name: impl Into<String>,
        sandbox_dir: impl Into<String>,
        mapped_dir: impl Into<String>,
    ) -> Self {
        Self {
            container,
            command,
            name: name.into(),
            sandbox_dir: sandbox_dir.into(),
            mapped_dir: mapped_dir.into(),
            resources: None,
            limits: BTreeMap::new(),
            enable_cfs_quota: false,
            env: BTreeMap::new(),
            devices: Vec::new(),
            default_dns: None,
            labels: MesosLabels::default(),
            host_memory_bytes: None,
            docker_version: None,
        }
    }
}

/// The result of [`build_run_command`]: docker CLI arguments (starting with `run`, without
/// the program and `-H` prefix) and the environment the CLI must be given.
#[derive(Clone, PartialEq, Eq)]
pub struct RunCommand {
    /// `run ... <image> <arguments...>`; environment appears as `-e NAME` only.
    pub args: Vec<String>,
    /// `(NAME, VALUE)` for every `-e NAME`, sorted by name. Secret: never log.
    pub env: Vec<(String, String)>,
    /// The image (`DockerInfo.image`).
    pub image: String,
    /// The container name.
    pub name: String,
}

impl std::fmt::Debug for RunCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunCommand")
            .field("args", &redact_argv(&self.args))
            .field("env_names", &self.env_names())
            .finish()
    }
}

impl RunCommand {
    /// The full argv: `<docker> [-H unix://<socket>] run ...`.
    pub fn argv(&self, docker: &Docker) -> Vec<String> {
        docker.argv(&self.args)
    }

    /// The full argv with anything that looks like a secret replaced by `***`, for logs and
    /// `explain` (our own env values are never in argv anyway).
    pub fn redacted(&self, docker: &Docker) -> Vec<String> {
        redact_argv(&self.argv(docker))
    }

    /// The names of the environment variables passed.
    pub fn env_names(&self) -> Vec<&str> {
        self.env.iter().map(|(k, _)| k.as_str()).collect()
    }

    /// The command with `--cidfile <path>` right after `run`: docker writes the id of the
    /// container it created there, and nothing when it created none (a name taken by
    /// another container, an option docker refuses), so the caller can tell its own
    /// container from another one of the same name. `path` must not exist yet.
    pub fn with_cidfile(mut self, path: &std::path::Path) -> Self {
        let at = usize::from(self.args.first().is_some_and(|a| a == "run"));
        self.args.splice(
            at..at,
            ["--cidfile".to_string(), path.display().to_string()],
        );
        self
    }
}

/// Network as computed from `DockerInfo.network` (before parameters).
fn network_name(container: &ContainerInfo, network: DockerNetwork) -> Result<String> {
    Ok(match network {
        DockerNetwork::Host => "host".into(),
        DockerNetwork::Bridge => "bridge".into(),
        DockerNetwork::None => "none".into(),
        DockerNetwork::User => {
            let field = "container.network_infos";
            match container.network_infos.as_slice() {
                [] => {
                    return Err(DockerError::invalid(
                        field,
                        "",
                        "No network info found in container info (USER network needs one network_infos entry naming the network)",
                    ))
                }
                [info] => info.name.clone().ok_or_else(|| {
                    DockerError::invalid(
                        "container.network_infos[0].name",
                        "",
                        "No network name found in network info",
                    )
                })?,
                more => {
                    return Err(DockerError::invalid(
                        field,
                        more.len().to_string(),
                        format!(
                            "Only a single network can be defined in Docker run, {} given",
                            more.len()
                        ),
                    ))
                }
            }
        }
    })
}

fn join_path(dir: &str, rel: &str) -> String {
    format!(
        "{}/{}",
        dir.trim_end_matches('/'),
        rel.trim_start_matches('/')
    )
}

fn mode_suffix(mode: VolumeMode) -> &'static str {
    match mode {
        VolumeMode::Rw => "rw",
        VolumeMode::Ro => "ro",
    }
}

/// What a volume mounts: a host path or a named Docker volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MountKind {
    Bind,
    Volume,
}

/// One volume of the container, before it is written as `-v` or `--mount`.
#[derive(Debug, Clone)]
struct Mount {
    kind: MountKind,
    source: String,
    target: String,
    /// `None` for the sandbox, which Mesos mounts without a mode (read-write).
    mode: Option<VolumeMode>,
}

impl Mount {
    /// `-v source:target[:mode]`, as Mesos writes it, unless a path contains ':': `-v`
    /// splits its value at every ':', so `docker run` fails on such a path (a sandbox
    /// under `--work_dir /tmp/x/work:1`, or a task id with ':' in a host path). Those
    /// go as `--mount type=bind,source=...,target=...`, whose fields are separated by ','
    /// instead (and quoted as CSV where a path holds ',' or '"'). A bind `--mount`, unlike
    /// `-v`, needs its host path to exist.
    fn flag(&self, volume_driver: Option<&str>) -> (&'static str, String) {
        if !self.source.contains(':') && !self.target.contains(':') {
            let mut spec = format!("{}:{}", self.source, self.target);
            if let Some(mode) = self.mode {
                spec.push(':');
                spec.push_str(mode_suffix(mode));
            }
            return ("-v", spec);
        }
        let mut fields = vec![
            match self.kind {
                MountKind::Bind => "type=bind".to_string(),
                MountKind::Volume => "type=volume".to_string(),
            },
            format!("source={}", self.source),
            format!("target={}", self.target),
        ];
        if self.mode == Some(VolumeMode::Ro) {
            fields.push("readonly".into());
        }
        if let (MountKind::Volume, Some(driver)) = (self.kind, volume_driver) {
            // `--volume-driver` applies to `-v` only; a volume `--mount` names its own.
            fields.push(format!("volume-driver={driver}"));
        }
        let value = fields
            .iter()
            .map(|f| csv_field(f))
            .collect::<Vec<_>>()
            .join(",");
        ("--mount", value)
    }
}

/// A field of the CSV line `--mount` takes: quoted when it holds ',', '"' or a line break.
fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// Megabytes (truncated to whole MB, as stout does) in bytes.
fn mb_to_bytes(mb: f64) -> u64 {
    (mb as u64).saturating_mul(MIB)
}

/// `max(period * cpus, 1 ms)` in whole microseconds.
fn cfs_quota_us(cpus: f64) -> u64 {
    ((CPU_CFS_PERIOD_US as f64 * cpus) as u64).max(MIN_CPU_CFS_QUOTA_US)
}

fn check_env_name(field: &str, name: &str) -> Result<()> {
    if name.is_empty() || name.contains('=') || name.chars().any(char::is_control) {
        return Err(DockerError::invalid(
            field,
            name,
            format!(
                "'{}' is not a usable environment variable name (it must be non-empty \
                 and contain no '=' or control character)",
                name.escape_debug()
            ),
        ));
    }
    Ok(())
}

fn check_env_value(field: &str, name: &str, value: &str) -> Result<()> {
    if value.contains('\0') {
        // Never echo the value: it may be a secret.
        return Err(DockerError::invalid(
            field,
            name,
            format!("the value of environment variable '{name}' contains a NUL byte"),
        ));
    }
    Ok(())
}

/// Builds the `docker run` arguments and environment from `options`, applying the argv
/// rules 1–24 of docs/mesos-compat.md in order.
pub fn build_run_command(options: &RunOptions) -> Result<RunCommand> {
    let container = &options.container;
    let docker = container.docker.as_ref().ok_or_else(|| {
        DockerError::invalid(
            "container.docker",
            "",
            "No docker info found in container info",
        )
    })?;
    if docker.image.starts_with('-') {
        return Err(DockerError::invalid(
            "container.docker.image",
            &docker.image,
            format!(
                "invalid image name {:?}: an image name starts with a letter or a digit",
                docker.image
            ),
        ));
    }
    let command = &options.command;
    let requests = options.resources.as_deref();

    // --- Resources (rules 3-7), computed in Mesos's order. ---------------------------
    let cpu_request = requests.and_then(resources::cpus);
    let mem_request = requests.and_then(resources::mem_mb).map(mb_to_bytes);
    let cpu_limit = options.limits.get("cpus").map(|s| s.value);
    let mem_limit = options.limits.get("mem").map(|s| s.value);

    let cpu_shares =
        cpu_request.map(|cpus| ((CPU_SHARES_PER_CPU as f64 * cpus) as u64).max(MIN_CPU_SHARES));
    let cpu_quota = match cpu_limit {
        Some(limit) if limit.is_infinite() => None,
        Some(limit) => Some(cfs_quota_us(limit)),
        None if options.enable_cfs_quota => cpu_request.map(cfs_quota_us),
        None => None,
    };
    let mut memory = None;
    let mut memory_reservation = None;
    let mut oom_score_adj = None;
    match mem_limit {
        Some(limit) => {
            if !limit.is_infinite() {
                memory = Some(mb_to_bytes(limit).max(MIN_MEMORY_BYTES));
            }
            if let Some(request) = mem_request {
                memory_reservation = Some(request.max(MIN_MEMORY_BYTES));
                if limit.is_infinite() || request < mb_to_bytes(limit) {
                    oom_score_adj = Some(oom_score_adjustment(request, options.host_memory_bytes)?);
                }
            }
        }
        None => memory = mem_request.map(|r| r.max(MIN_MEMORY_BYTES)),
    }

    check_resource_ranges(&ResourceValues {
        cpu_request,
        cpu_shares,
        cpu_limit,
        cpu_quota,
        mem_request_mb: requests.and_then(resources::mem_mb),
        mem_limit,
        memory,
        memory_reservation,
    })?;

    // --- Rule 8: environment. -----------------------------------------------------------
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in &options.env {
        check_env_name("env", name)?;
        check_env_value("env", name, value)?;
        env.insert(name.clone(), value.clone());
    }
    for (i, variable) in command.variables().iter().enumerate() {
        let field = format!("command.environment.variables[{i}]");
        check_env_name(&format!("{field}.name"), &variable.name)?;
        if options.env.contains_key(&variable.name) {
            continue; // The caller's environment wins (Mesos skips the task's value).
        }
        let value = variable_value(&field, variable)?;
        check_env_value(&field, &variable.name, &value)?;
        env.insert(variable.name.clone(), value);
    }
    env.insert("MESOS_SANDBOX".into(), options.mapped_dir.clone());
    env.insert("MESOS_CONTAINER_NAME".into(), options.name.clone());
    if let Some(first) = requests.and_then(<[Resource]>::first) {
        // Mesos reads `allocation_info.role` of the first resource; task files often
        // leave it out, so fall back to the legacy `role` and then `*` instead of "".
        let role = first
            .allocation_role()
            .or(first.role.as_deref())
            .unwrap_or("*");
        env.insert("MESOS_ALLOCATION_ROLE".into(), role.to_string());
    }

    // --- Rules 9-11: volumes, sandbox, volume driver. -----------------------------------
    let mut volumes = Vec::new();
    let mut volume_driver: Option<String> = None;
    for (i, volume) in container.volumes.iter().enumerate() {
        let field = format!("container.volumes[{i}]");
        let target = if volume.container_path.starts_with('/') {
            volume.container_path.clone()
        } else {
            join_path(&options.mapped_dir, &volume.container_path)
        };
        let spec = if let Some(host_path) = &volume.host_path {
            let host_absolute = host_path.starts_with('/');
            if !host_absolute && !volume.container_path.starts_with('/') {
                return Err(DockerError::invalid(
                    field,
                    host_path,
                    format!(
                        "Both host_path '{host_path}' and container_path '{}' of a volume are relative",
                        volume.container_path
                    ),
                ));
            }
            let source = if !host_absolute && docker.volume_driver.is_none() {
                join_path(&options.sandbox_dir, host_path)
            } else {
                host_path.clone()
            };
            Mount {
                // With a volume driver a relative host path names a volume of the driver.
                kind: if !host_absolute && docker.volume_driver.is_some() {
                    MountKind::Volume
                } else {
                    MountKind::Bind
                },
                source,
                target,
                mode: Some(volume.mode),
            }
        } else if let Some(source) = &volume.source {
            if source.kind() != VolumeSourceType::DockerVolume {
                tracing::debug!(
                    volume = i,
                    kind = %source.kind(),
                    "ignoring volume: only DOCKER_VOLUME sources are supported by docker"
                );
                continue;
            }
            let docker_volume = source.docker_volume.as_ref().ok_or_else(|| {
                DockerError::invalid(
                    format!("{field}.source.docker_volume"),
                    "",
                    "A DOCKER_VOLUME source needs docker_volume (name and optional driver)",
                )
            })?;
            if let Some(driver) = &docker_volume.driver {
                if volume_driver.as_ref().is_some_and(|d| d != driver) {
                    return Err(DockerError::invalid(
                        format!("{field}.source.docker_volume.driver"),
                        driver,
                        format!(
                            "Only one volume driver is supported: '{driver}' differs from '{}'",
                            volume_driver.as_deref().unwrap_or_default()
                        ),
                    ));
                }
                volume_driver = Some(driver.clone());
            }
            if docker_volume.name.starts_with('-') {
                return Err(DockerError::invalid(
                    format!("{field}.source.docker_volume.name"),
                    &docker_volume.name,
                    format!(
                        "invalid volume name {:?}: a Docker volume name starts with a letter or a digit",
                        docker_volume.name
                    ),
                ));
            }
            Mount {
                kind: MountKind::Volume,
                source: docker_volume.name.clone(),
                target,
                mode: Some(volume.mode),
            }
        } else {
            return Err(DockerError::invalid(
                field,
                &volume.container_path,
                "Host path or volume source is required",
            ));
        };
        volumes.push(spec);
    }
    volumes.push(Mount {
        kind: MountKind::Bind,
        source: options.sandbox_dir.clone(),
        target: options.mapped_dir.clone(),
        mode: None,
    });
    if let Some(legacy) = &docker.volume_driver {
        if volume_driver.as_ref().is_some_and(|d| d != legacy) {
            return Err(DockerError::invalid(
                "container.docker.volume_driver",
                legacy,
                format!(
                    "Only one volume driver per task is supported: '{legacy}' differs from '{}'",
                    volume_driver.as_deref().unwrap_or_default()
                ),
            ));
        }
        volume_driver = Some(legacy.clone());
    }

    // --- Rule 12 (first part): network from the proto; hostname and ports check it. -----
    let proto_network = docker.network();
    let base_network = network_name(container, proto_network)?;

    // Rule 16: hostname.
    let hostname = match &container.hostname {
        Some(hostname) if base_network == "host" => {
            return Err(DockerError::invalid(
                "container.hostname",
                hostname,
                "Unable to set hostname with host network mode (use BRIDGE or USER network)",
            ))
        }
        other => other.clone(),
    };

    // Rule 17: port mappings.
    let mut ports = Vec::new();
    if !docker.port_mappings.is_empty() {
        let field = "container.docker.port_mappings";
        if base_network == "host" || base_network == "none" {
            return Err(DockerError::invalid(
                field,
                &base_network,
                format!(
                    "Port mappings are only supported for bridge and user-defined networks, not '{base_network}'"
                ),
            ));
        }
        let requests = requests.ok_or_else(|| {
            DockerError::invalid("resources", "", "Port mappings require resources")
        })?;
        if !requests
            .iter()
            .any(|r| r.name == "ports" && !r.range_values().is_empty())
        {
            return Err(DockerError::invalid(
                "resources",
                "",
                "Port mappings require port resources (a RANGES resource named 'ports')",
            ));
        }
        for (i, mapping) in docker.port_mappings.iter().enumerate() {
            if !resources::contains_port(requests, u64::from(mapping.host_port)) {
                return Err(DockerError::invalid(
                    format!("{field}[{i}].host_port"),
                    mapping.host_port.to_string(),
                    format!("Port [{}] not included in resources", mapping.host_port),
                ));
            }
            let mut spec = format!("{}:{}", mapping.host_port, mapping.container_port);
            if let Some(protocol) = &mapping.protocol {
                spec.push('/');
                spec.push_str(&protocol.to_lowercase());
            }
            ports.push(spec);
        }
    }

    // --- Rule 21 (first part): parameters; the first net/network sets the network. -------
    let mut network = base_network;
    let mut network_overridden = false;
    let mut dns_parameter = false;
    let mut parameters = Vec::new();
    for (i, parameter) in docker.parameters.iter().enumerate() {
        check_parameter(&parameter.key, &parameter.value).map_err(|refusal| {
            DockerError::invalid(
                format!("container.docker.parameters[{i}].key"),
                &parameter.key,
                refusal.to_string(),
            )
        })?;
        if !network_overridden && (parameter.key == "net" || parameter.key == "network") {
            network = parameter.value.clone();
            network_overridden = true;
            continue;
        }
        parameters.push(format!("--{}={}", parameter.key, parameter.value));
        if matches!(
            parameter.key.as_str(),
            "dns" | "dns-search" | "dns-opt" | "dns-option"
        ) {
            dns_parameter = true;
        }
    }

    // --- Rule 22: default container DNS, by the proto network (USER: by effective name).
    let empty = Dns::default();
    let dns: &Dns = match (&options.default_dns, dns_parameter) {
        (Some(info), false) => match proto_network {
            DockerNetwork::Bridge => info.bridge(),
            DockerNetwork::User => info.user(&network),
            _ => None,
        }
        .unwrap_or(&empty),
        _ => &empty,
    };

    // Rule 24 validation happens in Mesos's create(), before any version check.
    let arguments = if command.shell() {
        let value = command.value.as_ref().ok_or_else(|| {
            DockerError::invalid(
                "command.value",
                "",
                "Shell specified but no command value provided (set command.value, or shell: false)",
            )
        })?;
        vec!["-c".to_string(), value.clone()]
    } else {
        command
            .value
            .iter()
            .chain(command.arguments.iter())
            .cloned()
            .collect()
    };

    // --- Version-gated rules (checked in `run` by Mesos). -------------------------------
    if let Some(found) = &options.docker_version {
        let needs = |feature: &str, min: &Version| -> Result<()> {
            if found < min {
                return Err(DockerError::FeatureNeedsVersion {
                    feature: feature.to_string(),
                    found: Box::new(found.clone()),
                    min: Box::new(min.clone()),
                });
            }
            Ok(())
        };
        if !matches!(network.as_str(), "host" | "bridge" | "none") {
            needs("User defined networks", &USER_NETWORK_MIN_VERSION)?;
        }
        if network == "host" && !dns.nameservers.is_empty() {
            needs(
                "--dns option with host network",
                &HOST_NETWORK_DNS_MIN_VERSION,
            )?;
        }
        if !dns.options.is_empty() {
            needs("--dns-opt option", &USER_NETWORK_MIN_VERSION)?;
        }
    }

    // --- Emission, in Mesos's order. ----------------------------------------------------
    let mut args: Vec<String> = vec!["run".into()]; // Rule 1 (`Docker` adds the prefix).
    fn pair(args: &mut Vec<String>, flag: &str, value: impl Into<String>) {
        args.push(flag.to_string());
        args.push(value.into());
    }
    if docker.privileged() {
        args.push("--privileged".into()); // Rule 2.
    }
    if let Some(shares) = cpu_shares {
        pair(&mut args, "--cpu-shares", shares.to_string()); // Rule 3.
    }
    if let Some(quota) = cpu_quota {
        pair(&mut args, "--cpu-quota", quota.to_string()); // Rule 4.
    }
    if let Some(reservation) = memory_reservation {
        pair(&mut args, "--memory-reservation", reservation.to_string()); // Rule 5.
    }
    if let Some(memory) = memory {
        pair(&mut args, "--memory", memory.to_string()); // Rule 6.
    }
    if let Some(adj) = oom_score_adj {
        pair(&mut args, "--oom-score-adj", adj.to_string()); // Rule 7.
    }
    for name in env.keys() {
        pair(&mut args, "-e", name.as_str()); // Rule 8: the name only; the value is in `env`.
    }
    for volume in &volumes {
        // Rules 9 and 10; `--mount` where `-v` would split a path at its ':'.
        let (flag, value) = volume.flag(volume_driver.as_deref());
        pair(&mut args, flag, value);
    }
    if let Some(driver) = &volume_driver {
        args.push(format!("--volume-driver={driver}")); // Rule 11.
    }
    pair(&mut args, "--net", network); // Rule 12.
    for ns in &dns.nameservers {
        pair(&mut args, "--dns", ns.as_str()); // Rule 13.
    }
    for search in &dns.search {
        pair(&mut args, "--dns-search", search.as_str()); // Rule 14.
    }
    for opt in &dns.options {
        pair(&mut args, "--dns-opt", opt.as_str()); // Rule 15.
    }
    if let Some(hostname) = hostname {
        pair(&mut args, "--hostname", hostname); // Rule 16.
    }
    for port in ports {
        pair(&mut args, "-p", port); // Rule 17.
    }
    for (i, device) in options.devices.iter().enumerate() {
        args.push(device_flag(i, device)?); // Rule 18.
    }
    if command.shell() {
        pair(&mut args, "--entrypoint", "/bin/sh"); // Rule 19.
    }
    pair(&mut args, "--name", options.name.as_str()); // Rule 20.
    for (key, value) in options.labels.pairs() {
        pair(&mut args, "--label", format!("{key}={value}")); // Ours, right after --name.
    }
    args.extend(parameters); // Rule 21.
                             // The end of the options: whatever the image is called, docker takes it as the image.
    args.push("--".into());
    args.push(docker.image.clone()); // Rule 23.
    args.extend(arguments); // Rule 24.

    Ok(RunCommand {
        args,
        env: env.into_iter().collect(),
        image: docker.image.clone(),
        name: options.name.clone(),
    })
}

/// A number for a message: huge ones in scientific notation rather than 300 digits.
fn number(v: f64) -> String {
    if v.abs() >= 1e15 {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}

/// What [`check_resource_ranges`] judges: the task's figures and the `docker run` values
/// computed from them.
struct ResourceValues {
    cpu_request: Option<f64>,
    cpu_shares: Option<u64>,
    cpu_limit: Option<f64>,
    cpu_quota: Option<u64>,
    mem_request_mb: Option<f64>,
    mem_limit: Option<f64>,
    memory: Option<u64>,
    memory_reservation: Option<u64>,
}

/// Refuses what Docker would refuse only after creating the container: cpu shares, a CPU
/// quota or a memory size out of its range, and a memory limit below the reservation.
/// Too little memory cannot happen: both are raised to [`MIN_MEMORY_BYTES`], above
/// Docker's 6 MB minimum.
fn check_resource_ranges(v: &ResourceValues) -> Result<()> {
    if let (Some(cpus), Some(shares)) = (v.cpu_request, v.cpu_shares) {
        if shares > MAX_CPU_SHARES {
            let cpus = number(cpus);
            return Err(DockerError::invalid(
                "resources",
                cpus.clone(),
                format!(
                    "a cpus request of {cpus} needs more than Docker's maximum of \
                     {MAX_CPU_SHARES} cpu shares ({} cpus, executor resources included, if any): \
                     request fewer cpus",
                    MAX_CPU_SHARES / CPU_SHARES_PER_CPU
                ),
            ));
        }
    }
    if let Some(quota) = v.cpu_quota.filter(|q| *q > MAX_CPU_CFS_QUOTA_US) {
        let (field, cpus) = match v.cpu_limit {
            Some(limit) => ("limits.cpus", number(limit)),
            None => ("resources", number(v.cpu_request.unwrap_or_default())),
        };
        return Err(DockerError::invalid(
            field,
            cpus.clone(),
            format!(
                "{cpus} cpus need a CPU quota of {quota} us, more than the kernel's maximum of \
                 {MAX_CPU_CFS_QUOTA_US} us: give fewer cpus (or \"Infinity\" as the limit for none)"
            ),
        ));
    }
    let max_mb = MAX_MEMORY_BYTES / MIB;
    let request_mb = number(v.mem_request_mb.unwrap_or_default());
    if v.memory.is_some_and(|b| b > MAX_MEMORY_BYTES) {
        let (field, what, mb, fix) = match v.mem_limit {
            Some(limit) => (
                "limits.mem",
                "limit",
                number(limit),
                "give a lower limit (or \"Infinity\" for none)",
            ),
            None => (
                "resources",
                "request",
                request_mb.clone(),
                "request less mem (executor resources included, if any)",
            ),
        };
        return Err(DockerError::invalid(
            field,
            mb.clone(),
            format!("a mem {what} of {mb} MB is more than Docker takes ({max_mb} MB): {fix}"),
        ));
    }
    if v.memory_reservation.is_some_and(|b| b > MAX_MEMORY_BYTES) {
        return Err(DockerError::invalid(
            "resources",
            request_mb.clone(),
            format!(
                "a mem request of {request_mb} MB is more than Docker takes ({max_mb} MB): \
                 request less mem (executor resources included, if any)"
            ),
        ));
    }
    if let (Some(limit), Some(reservation)) = (v.memory, v.memory_reservation) {
        if limit < reservation {
            return Err(DockerError::invalid(
                "limits.mem",
                limit.to_string(),
                format!(
                    "the memory limit of {} MB is below the container's memory reservation of \
                     {} MB (the mem request, executor resources included, if any), which Docker refuses: \
                     give a limit of at least {} MB",
                    limit / MIB,
                    reservation / MIB,
                    reservation / MIB
                ),
            ));
        }
    }
    Ok(())
}

/// A variable's value: plain values as they are; inline (`VALUE`) secrets decoded as UTF-8
/// (beyond Mesos, which passes an empty value: ours never reaches argv); secret references
/// need a secret resolver, which we do not have.
fn variable_value(field: &str, variable: &mesos_types::task::Variable) -> Result<String> {
    match variable.kind() {
        VariableType::Secret => {
            let secret = variable.secret.as_ref();
            match secret.map(|s| s.kind()) {
                Some(SecretType::Value) => {
                    let data = secret
                        .and_then(|s| s.value.as_ref())
                        .map(|v| v.data.clone())
                        .unwrap_or_default();
                    String::from_utf8(data).map_err(|_| {
                        DockerError::invalid(
                            format!("{field}.secret.value.data"),
                            &variable.name,
                            format!("the secret of '{}' is not UTF-8 text", variable.name),
                        )
                    })
                }
                _ => Err(DockerError::invalid(
                    format!("{field}.secret"),
                    &variable.name,
                    format!(
                        "secret references cannot be resolved (no secret resolver); give the \
                         value of '{}' inline (type VALUE)",
                        variable.name
                    ),
                )),
            }
        }
        _ => Ok(variable.value.clone().unwrap_or_default()),
    }
}

fn device_flag(i: usize, device: &Device) -> Result<String> {
    let field = format!("devices[{i}]");
    if !device.host_path.starts_with('/') {
        return Err(DockerError::invalid(
            field,
            &device.host_path,
            format!("Device path '{}' is not an absolute path", device.host_path),
        ));
    }
    let mut perms = String::new();
    for (on, letter) in [(device.read, 'r'), (device.write, 'w'), (device.mknod, 'm')] {
        if on {
            perms.push(letter);
        }
    }
    if perms.is_empty() {
        return Err(DockerError::invalid(
            field,
            &device.host_path,
            format!(
                "At least one access required for --devices: none specified for '{}'",
                device.host_path
            ),
        ));
    }
    Ok(format!(
        "--device={}:{}:{perms}",
        device.host_path, device.container_path
    ))
}

/// `1000 - 1000 * request / total`, clamped to the kernel's `[-1000, 1000]`.
fn oom_score_adjustment(request_bytes: u64, host_memory: Option<u64>) -> Result<i64> {
    let total = host_memory.filter(|t| *t > 0).ok_or_else(|| {
        DockerError::invalid(
            "host_memory_bytes",
            "",
            "Failed to calculate OOM score adjustment: the total memory of the host is unknown",
        )
    })?;
    let share = (1000u128 * u128::from(request_bytes)) / u128::from(total);
    let adj = 1000i64 - i64::try_from(share).unwrap_or(i64::MAX);
    Ok(adj.clamp(-1000, 1000))
}

#[cfg(test)]
#[path = "run_options_tests.rs"]
mod tests;
