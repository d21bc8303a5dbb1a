//! Checks a TaskInfo (and an optional ExecutorInfo) before anything is created, so bad input
//! never reaches the fetcher or Docker. Each problem names the JSON path, the value and what
//! to do about it.
//!
//! Decoding already rejects wrong JSON types and unknown enum values (with their path); the
//! rules of `docker run` itself (volumes, ports, networks, hostname, shell) are checked by
//! the argv builder in `docker-cli`, which the launch runs as a dry run before it starts. What
//! is left is here: required fields, numbers that must be finite and non-negative, ids, and
//! fields we cannot honour.

use mesos_types::container::{ContainerInfo, ContainerType};
use mesos_types::duration::DurationInfo;
use mesos_types::resources::Resource;
use mesos_types::task::{CommandInfo, ExecutorInfo, TaskInfo};
use std::fmt;

/// One problem with the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// JSON path of the offending field, e.g. `container.docker.image`.
    pub path: String,
    /// What is wrong, including the value where there is one.
    pub problem: String,
    /// What to do about it.
    pub hint: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.problem)?;
        if !self.hint.is_empty() {
            write!(f, " ({})", self.hint)?;
        }
        Ok(())
    }
}

/// All problems found in one input; empty means valid.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    fn push(
        &mut self,
        path: impl Into<String>,
        problem: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.0.push(Problem {
            path: path.into(),
            problem: problem.into(),
            hint: hint.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<(), Problems> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// The longest ContainerID we accept (design.md §4).
pub const MAX_CONTAINER_ID_LEN: usize = 64;

/// Checks a ContainerID: a non-empty string of `[A-Za-z0-9_-]` of at most 64 characters.
/// `.` is excluded because it separates the `.executor` suffix in container names.
pub fn container_id(id: &str) -> Result<(), Problem> {
    let ok = !id.is_empty()
        && id.len() <= MAX_CONTAINER_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Problem {
            path: "--container_id".into(),
            problem: format!("invalid container id {id:?}"),
            hint: format!(
                "use 1 to {MAX_CONTAINER_ID_LEN} characters of A-Z, a-z, 0-9, '_' and '-', or leave it out to get a UUID"
            ),
        })
    }
}

/// The longest id Mesos accepts (`NAME_MAX`: ids become file names).
pub const MAX_ID_LEN: usize = 255;

/// Mesos's rules for a task, executor, framework or agent id (`validateID`): not empty, at
/// most 255 bytes, not `.` or `..`, and no control character, `/` or `\`, because ids are
/// mapped to directories and written into logs, labels and checkpoints. `None` when valid;
/// else the problem, in Mesos's words.
pub fn id_problem(id: &str) -> Option<String> {
    if id.is_empty() {
        return Some("ID must not be empty".into());
    }
    if id.len() > MAX_ID_LEN {
        return Some(format!(
            "ID must not be greater than {MAX_ID_LEN} characters"
        ));
    }
    // Control characters are shown escaped: the message goes to a terminal and a log.
    let shown = id.escape_debug();
    if id == "." || id == ".." {
        return Some(format!("'{shown}' is disallowed"));
    }
    if id.chars().any(|c| c.is_control() || c == '/' || c == '\\') {
        return Some(format!("'{shown}' contains invalid characters"));
    }
    None
}

const ID_HINT: &str = "use an id without control characters, '/' or '\\', other than '.' and '..', of at most 255 bytes";

fn id(p: &mut Problems, path: &str, value: &str) {
    if let Some(problem) = id_problem(value) {
        p.push(path, problem, ID_HINT);
    }
}

/// Checks a task launched as a command task (our executor runs it), or with `executor` as a
/// custom executor in an image.
pub fn task(task: &TaskInfo, executor: Option<&ExecutorInfo>) -> Result<(), Problems> {
    let mut p = Problems::default();
    if task.task_id.value.is_empty() {
        p.push(
            "task_id.value",
            "is empty",
            "give the task an id or leave task_id out to get one",
        );
    } else {
        id(&mut p, "task_id.value", &task.task_id.value);
    }
    resources(&mut p, "resources", &task.resources);
    for (name, scalar) in &task.limits {
        let path = format!("limits.{name}");
        if !(name == "cpus" || name == "mem") {
            p.push(
                &path,
                format!("unsupported limit {name:?}"),
                "only cpus and mem limits are supported",
            );
        } else if scalar.value.is_nan()
            || scalar.value < 0.0
            || (scalar.value.is_finite() && scalar.value > MAX_SCALAR)
        {
            p.push(
                &path,
                format!("invalid limit {}", number(scalar.value)),
                format!(
                    "a limit must be a non-negative number of at most {MAX_SCALAR:e} (or Infinity)"
                ),
            );
        } else {
            // Mesos's master rules, in its words.
            let (request, noun, unit) = match name.as_str() {
                "cpus" => (mesos_types::resources::cpus(&task.resources), "cpu", "CPU"),
                _ => (
                    mesos_types::resources::mem_mb(&task.resources),
                    "memory",
                    "memory",
                ),
            };
            match request {
                None => p.push(
                    &path,
                    format!(
                        "When a {unit} limit is specified, a {unit} request must also be specified"
                    ),
                    format!("add a {name} resource to the task's resources"),
                ),
                Some(request) if scalar.value < request => p.push(
                    &path,
                    format!("The {noun} limit must be greater than or equal to the {noun} request"),
                    format!(
                        "the limit is {}, the request {}",
                        number(scalar.value),
                        number(request)
                    ),
                ),
                Some(_) => {}
            }
        }
    }
    if let Some(kp) = &task.kill_policy {
        duration(&mut p, "kill_policy.grace_period", kp.grace_period.as_ref());
    }
    duration(
        &mut p,
        "max_completion_time",
        task.max_completion_time.as_ref(),
    );

    match executor {
        None => {
            if task.executor.is_some() {
                p.push(
                    "executor",
                    "a task with its own executor must be launched with --executor",
                    "put the ExecutorInfo in a file and pass --executor FILE, or remove the field",
                );
            }
            match &task.container {
                None => p.push(
                    "container",
                    "is missing",
                    r#"add "container": {"type": "DOCKER", "docker": {"image": "..."}}"#,
                ),
                Some(c) => container(&mut p, "container", c),
            }
            match &task.command {
                None => p.push(
                    "command",
                    "is missing",
                    r#"add "command": {"value": "..."} (or {"shell": false} to run the image's entrypoint)"#,
                ),
                Some(cmd) => command(&mut p, "command", cmd),
            }
        }
        Some(exec) => {
            if exec.executor_id.value.is_empty() {
                p.push(
                    "executor.executor_id.value",
                    "is empty",
                    "give the executor an id",
                );
            } else {
                id(
                    &mut p,
                    "executor.executor_id.value",
                    &exec.executor_id.value,
                );
            }
            if let Some(framework_id) = &exec.framework_id {
                id(&mut p, "executor.framework_id.value", &framework_id.value);
            }
            resources(&mut p, "executor.resources", &exec.resources);
            match &exec.container {
                None => p.push(
                    "executor.container",
                    "is missing",
                    "an executor run as an image needs a DOCKER container",
                ),
                Some(c) => container(&mut p, "executor.container", c),
            }
            if let Some(cmd) = &exec.command {
                command(&mut p, "executor.command", cmd);
            }
            if let Some(cmd) = &task.command {
                command(&mut p, "command", cmd);
            }
        }
    }
    command_line(&mut p, task, executor);
    p.into_result()
}

/// The most bytes one string that becomes a single argument or environment entry of
/// `docker run` may have. Linux refuses to start a program (E2BIG, "Argument list too
/// long") with any one argv or environment string over MAX_ARG_STRLEN (32 pages, 128 KiB),
/// and with all of them together over ARG_MAX (a quarter of the stack limit: 2 MiB with
/// the usual 8 MiB). The command value is one such string (`-c <value>`); half of the
/// per-string cap leaves room for what is added around it.
pub const MAX_ARGUMENT_BYTES: usize = 64 * 1024;

/// The most bytes the command, its arguments, its environment and the docker parameters
/// of a task may have together: a quarter of the usual ARG_MAX, since `docker run` also
/// gets our own options, labels and environment, and the docker CLI inherits ours.
pub const MAX_COMMAND_LINE_BYTES: usize = 512 * 1024;

/// Checks that what reaches `docker run`'s argv and environment from the task (the command
/// of the container that runs, its environment and the docker parameters) can be passed.
fn command_line(p: &mut Problems, task: &TaskInfo, executor: Option<&ExecutorInfo>) {
    let (prefix, cmd, container) = match executor {
        None => ("", task.command.as_ref(), task.container.as_ref()),
        Some(e) => ("executor.", e.command.as_ref(), e.container.as_ref()),
    };
    // (JSON path, what it is, bytes); values are never shown, they may be secrets.
    let mut strings: Vec<(String, String, usize)> = Vec::new();
    if let Some(cmd) = cmd {
        if let Some(value) = &cmd.value {
            strings.push((
                format!("{prefix}command.value"),
                "the command".into(),
                value.len(),
            ));
        }
        for (i, a) in cmd.arguments.iter().enumerate() {
            strings.push((
                format!("{prefix}command.arguments[{i}]"),
                "the argument".into(),
                a.len(),
            ));
        }
        for (i, v) in cmd.variables().iter().enumerate() {
            let value = match &v.secret {
                Some(secret) => secret.value.as_ref().map_or(0, |d| d.data.len()),
                None => v.value.as_ref().map_or(0, String::len),
            };
            strings.push((
                format!("{prefix}command.environment.variables[{i}]"),
                format!("variable {}", v.name.escape_debug()),
                v.name.len() + 1 + value,
            ));
        }
    }
    if let Some(docker) = container.and_then(|c| c.docker.as_ref()) {
        for (i, param) in docker.parameters.iter().enumerate() {
            strings.push((
                format!("{prefix}container.docker.parameters[{i}].value"),
                format!("parameter {}", param.key.escape_debug()),
                param.key.len() + 3 + param.value.len(),
            ));
        }
    }
    for (path, what, bytes) in &strings {
        if *bytes > MAX_ARGUMENT_BYTES {
            p.push(
                path,
                format!("{what} is {bytes} bytes long, more than the {MAX_ARGUMENT_BYTES} one argument of docker run may have"),
                "Linux refuses arguments over 128 KiB ('Argument list too long'): put large content in a file fetched with uris and read it from the sandbox",
            );
        }
    }
    let total: usize = strings.iter().map(|(_, _, b)| b).sum();
    if total > MAX_COMMAND_LINE_BYTES {
        p.push(
            format!("{prefix}command"),
            format!("the command, its arguments, its environment and the docker parameters are {total} bytes together, more than the {MAX_COMMAND_LINE_BYTES} a docker run may be given"),
            "Linux caps a program's arguments and environment at 2 MiB together ('Argument list too long'): put large content in files fetched with uris",
        );
    }
}

/// The largest scalar amount: Mesos keeps scalars as thousandths in a signed 64-bit
/// integer. (What Docker can give a container is less, and checked with the argv.)
pub const MAX_SCALAR: f64 = i64::MAX as f64 / 1000.0;

/// A number for a message: huge ones in scientific notation rather than 300 digits.
fn number(v: f64) -> String {
    if v.is_finite() && v.abs() >= 1e15 {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}

fn resources(p: &mut Problems, path: &str, resources: &[Resource]) {
    for (i, r) in resources.iter().enumerate() {
        let at = format!("{path}[{i}]");
        if r.name.is_empty() {
            p.push(
                format!("{at}.name"),
                "is empty",
                "name the resource (cpus, mem, disk, ports, ...)",
            );
            continue;
        }
        if let Some(s) = &r.scalar {
            if !s.value.is_finite() || s.value < 0.0 || s.value > MAX_SCALAR {
                p.push(
                    format!("{at}.scalar.value"),
                    format!("invalid {} amount {}", r.name, number(s.value)),
                    format!("use a finite, non-negative number of at most {MAX_SCALAR:e}"),
                );
            }
        }
        for (j, range) in r.range_values().iter().enumerate() {
            if range.begin > range.end {
                p.push(
                    format!("{at}.ranges.range[{j}]"),
                    format!("begin {} is after end {}", range.begin, range.end),
                    "use begin <= end",
                );
            }
        }
        let expected_scalar = matches!(r.name.as_str(), "cpus" | "mem" | "disk" | "gpus");
        if expected_scalar && r.scalar.is_none() {
            p.push(
                format!("{at}.scalar"),
                format!("{} needs a scalar value", r.name),
                format!(
                    r#"write {{"name": "{}", "type": "SCALAR", "scalar": {{"value": N}}}}"#,
                    r.name
                ),
            );
        }
        if r.name == "ports" && r.ranges.is_none() {
            p.push(
                format!("{at}.ranges"),
                "ports needs ranges",
                r#"write {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": B, "end": E}]}}"#,
            );
        }
    }
}

fn container(p: &mut Problems, path: &str, c: &ContainerInfo) {
    if c.r#type != ContainerType::Docker {
        p.push(
            format!("{path}.type"),
            format!("unsupported container type {}", c.r#type),
            "the Docker containerizer runs DOCKER containers only",
        );
        return;
    }
    match &c.docker {
        None => p.push(
            format!("{path}.docker"),
            "is missing",
            r#"add "docker": {"image": "..."}"#,
        ),
        Some(d) => {
            if d.image.trim().is_empty() {
                p.push(
                    format!("{path}.docker.image"),
                    "is empty",
                    "name the image to run, e.g. \"busybox:latest\"",
                );
            } else if d.image.chars().any(char::is_whitespace) {
                p.push(
                    format!("{path}.docker.image"),
                    format!("invalid image name {:?}", d.image),
                    "image names contain no white space",
                );
            } else if d.image.starts_with('-') {
                // It would reach docker's argv as an option (`--privileged`).
                p.push(
                    format!("{path}.docker.image"),
                    format!("invalid image name {:?}", d.image),
                    "an image name starts with a letter or a digit, e.g. \"busybox:latest\"",
                );
            }
            for (i, pm) in d.port_mappings.iter().enumerate() {
                for (field, port) in [
                    ("host_port", pm.host_port),
                    ("container_port", pm.container_port),
                ] {
                    if port == 0 || port > 65535 {
                        p.push(
                            format!("{path}.docker.port_mappings[{i}].{field}"),
                            format!("invalid port {port}"),
                            "use 1..65535",
                        );
                    }
                }
                if let Some(proto) = &pm.protocol {
                    if !matches!(proto.to_ascii_lowercase().as_str(), "tcp" | "udp" | "sctp") {
                        p.push(
                            format!("{path}.docker.port_mappings[{i}].protocol"),
                            format!("unsupported protocol {proto:?}"),
                            "use tcp, udp or sctp",
                        );
                    }
                }
            }
            for (i, param) in d.parameters.iter().enumerate() {
                if let Err(refusal) = docker_cli::check_parameter(&param.key, &param.value) {
                    p.push(
                        format!("{path}.docker.parameters[{i}].key"),
                        refusal.problem,
                        refusal.hint,
                    );
                }
            }
        }
    }
    let volume_driver = c.docker.as_ref().is_some_and(|d| d.volume_driver.is_some());
    for (i, v) in c.volumes.iter().enumerate() {
        if v.container_path.is_empty() {
            p.push(
                format!("{path}.volumes[{i}].container_path"),
                "is empty",
                "give the path inside the container",
            );
        }
        if let Some(name) = v
            .source
            .as_ref()
            .and_then(|s| s.docker_volume.as_ref())
            .map(|d| &d.name)
            .filter(|n| n.starts_with('-'))
        {
            p.push(
                format!("{path}.volumes[{i}].source.docker_volume.name"),
                format!("invalid volume name {name:?}"),
                "a Docker volume name starts with a letter or a digit",
            );
        }
        if let Some(host_path) = &v.host_path {
            // A relative host path is a path in the sandbox (with a volume driver: the
            // name of one of its volumes); what it resolves to after the fetch is checked
            // again before the container starts.
            if !volume_driver && !host_path.starts_with('/') && climbs_out(host_path) {
                p.push(
                    format!("{path}.volumes[{i}].host_path"),
                    format!("{host_path:?} leads out of the sandbox"),
                    "a relative host_path is a path in the sandbox; to mount a host directory give its absolute path",
                );
            }
        }
    }
}

/// Whether the relative `path`'s `..` components climb above where it starts.
fn climbs_out(path: &str) -> bool {
    let mut depth = 0i64;
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            _ => depth += 1,
        }
    }
    false
}

fn command(p: &mut Problems, path: &str, cmd: &CommandInfo) {
    if cmd.shell() && cmd.value.as_deref().is_none_or(|v| v.trim().is_empty()) {
        p.push(
            format!("{path}.value"),
            "shell is true (the default) but there is no command value",
            r#"give "value": "<shell command>", or set "shell": false to run the image's entrypoint"#,
        );
    }
    for (i, var) in cmd.variables().iter().enumerate() {
        let at = format!("{path}.environment.variables[{i}]");
        if var.name.is_empty() || var.name.contains('=') || var.name.chars().any(char::is_control) {
            p.push(
                format!("{at}.name"),
                format!("invalid variable name {:?}", var.name),
                "use a non-empty name without '=' or control characters",
            );
            continue;
        }
        use mesos_types::task::VariableType;
        match var.kind() {
            VariableType::Secret => match &var.secret {
                Some(secret) if secret.value.is_some() => {}
                Some(_) => p.push(
                    format!("{at}.secret"),
                    format!("secret references cannot be resolved here (variable {})", var.name),
                    "give the secret inline as {\"type\": \"VALUE\", \"value\": {\"data\": \"<base64>\"}}",
                ),
                None => p.push(format!("{at}.secret"), format!("is missing for SECRET variable {}", var.name), "add the secret or use type VALUE"),
            },
            _ => {
                if var.value.is_none() {
                    p.push(format!("{at}.value"), format!("is missing for variable {}", var.name), "give a value (an empty string is fine)");
                }
            }
        }
    }
    for (i, uri) in cmd.uris.iter().enumerate() {
        let at = format!("{path}.uris[{i}]");
        if uri.value.trim().is_empty() {
            p.push(format!("{at}.value"), "is empty", "give the URI to fetch");
        }
        if let Some(out) = &uri.output_file {
            let escapes =
                out.starts_with('/') || out.split('/').any(|c| c == "..") || out.is_empty();
            if escapes {
                p.push(
                    format!("{at}.output_file"),
                    format!("{out:?} is not a path inside the sandbox"),
                    "use a relative path without '..'",
                );
            }
        }
    }
}

fn duration(p: &mut Problems, path: &str, d: Option<&DurationInfo>) {
    if let Some(d) = d {
        if d.nanoseconds < 0 {
            p.push(
                format!("{path}.nanoseconds"),
                format!("negative duration {}", d.nanoseconds),
                "use a duration of 0 or more nanoseconds",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task_from(json: &str) -> TaskInfo {
        mesos_types::from_json_str(json).unwrap()
    }

    const OK: &str = r#"{"name":"t","task_id":{"value":"t"},"agent_id":{"value":"a"},
        "resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":0.5}}],
        "command":{"value":"true"},
        "container":{"type":"DOCKER","docker":{"image":"busybox"}}}"#;

    fn problems(json: &str) -> String {
        task(&task_from(json), None).unwrap_err().to_string()
    }

    #[test]
    fn a_plain_docker_task_is_valid() {
        task(&task_from(OK), None).unwrap();
    }

    #[test]
    fn container_ids_follow_the_design() {
        assert!(container_id("0f1e-AZ_09").is_ok());
        assert!(container_id(&"a".repeat(64)).is_ok());
        for bad in ["", "a.b", "a/b", "a b", &"a".repeat(65)] {
            let e = container_id(bad).unwrap_err();
            assert_eq!(e.path, "--container_id", "{bad}");
        }
    }

    #[test]
    fn each_problem_names_its_path() {
        let cases: &[(&str, &str, &str)] = &[
            (
                r#""container":{"type":"DOCKER","docker":{"image":"busybox"}}"#,
                r#""container":{"type":"MESOS"}"#,
                "container.type: unsupported container type MESOS",
            ),
            (
                r#""image":"busybox""#,
                r#""image":"""#,
                "container.docker.image: is empty",
            ),
            (
                r#""image":"busybox""#,
                r#""image":"bad image""#,
                "container.docker.image: invalid image name",
            ),
            (
                r#""command":{"value":"true"}"#,
                r#""command":{"shell":true}"#,
                "command.value: shell is true",
            ),
            (
                r#""scalar":{"value":0.5}"#,
                r#""scalar":{"value":-1}"#,
                "resources[0].scalar.value: invalid cpus amount -1",
            ),
            (
                r#""command":{"value":"true"}"#,
                r#""command":{"value":"x","uris":[{"value":"http://h/f","output_file":"../x"}]}"#,
                "command.uris[0].output_file",
            ),
            (
                r#""command":{"value":"true"}"#,
                r#""command":{"value":"x","environment":{"variables":[{"name":"A=B","value":"v"}]}}"#,
                "command.environment.variables[0].name",
            ),
            (
                r#""command":{"value":"true"}"#,
                r#""command":{"value":"x","environment":{"variables":[{"name":"P","type":"SECRET","secret":{"type":"REFERENCE","reference":{"name":"s"}}}]}}"#,
                "secret references cannot be resolved",
            ),
            (
                r#""command":{"value":"true"}"#,
                r#""command":{"value":"true"},"kill_policy":{"grace_period":{"nanoseconds":-5}}"#,
                "kill_policy.grace_period.nanoseconds: negative duration",
            ),
            (
                r#""image":"busybox""#,
                r#""image":"busybox","network":"BRIDGE","port_mappings":[{"host_port":0,"container_port":80}]"#,
                "port_mappings[0].host_port: invalid port 0",
            ),
            (
                r#""image":"busybox""#,
                r#""image":"--privileged""#,
                r#"container.docker.image: invalid image name "--privileged" (an image name starts with a letter or a digit"#,
            ),
            (
                r#""docker":{"image":"busybox"}"#,
                r#""docker":{"image":"busybox"},"volumes":[{"container_path":"/v","mode":"RW","source":{"type":"DOCKER_VOLUME","docker_volume":{"name":"-v=/:/host"}}}]"#,
                r#"container.volumes[0].source.docker_volume.name: invalid volume name "-v=/:/host""#,
            ),
            (
                r#""image":"busybox""#,
                r#""image":"busybox","parameters":[{"key":"name","value":"other"}]"#,
                r#"container.docker.parameters[0].key: docker parameter "name" is refused"#,
            ),
            (
                r#""docker":{"image":"busybox"}"#,
                r#""docker":{"image":"busybox"},"volumes":[{"host_path":"../../../../etc","container_path":"/e","mode":"RO"}]"#,
                r#"container.volumes[0].host_path: "../../../../etc" leads out of the sandbox"#,
            ),
            (
                r#""docker":{"image":"busybox"}"#,
                r#""docker":{"image":"busybox"},"volumes":[{"host_path":"a/../../b","container_path":"/e","mode":"RO"}]"#,
                r#"container.volumes[0].host_path: "a/../../b" leads out"#,
            ),
        ];
        for (from, to, expected) in cases {
            assert!(OK.contains(from), "fixture lacks {from}");
            let msg = problems(&OK.replacen(from, to, 1));
            assert!(msg.contains(expected), "expected {expected:?} in {msg:?}");
        }
    }

    #[test]
    fn relative_host_paths_may_move_inside_the_sandbox_only() {
        for ok in ["a", "a/../b", "./a/./b/..", ".", "a/b/../../c"] {
            assert!(!climbs_out(ok), "{ok}");
        }
        for bad in ["..", "../a", "a/../..", "a/b/../../../c", "./../x"] {
            assert!(climbs_out(bad), "{bad}");
        }
        // Absolute host paths stay the operator's business, as in Mesos; so do the names
        // a volume driver is given.
        let with = |volume: &str, driver: &str| {
            OK.replacen(
                r#""docker":{"image":"busybox"}"#,
                &format!(
                    r#""docker":{{"image":"busybox"{driver}}},"volumes":[{{"host_path":"{volume}","container_path":"/e","mode":"RO"}}]"#
                ),
                1,
            )
        };
        task(&task_from(&with("/etc", "")), None).unwrap();
        task(
            &task_from(&with("../x", r#","volume_driver":"local""#)),
            None,
        )
        .unwrap();
    }

    #[test]
    fn ids_follow_mesos_rules() {
        for ok in ["t", "web-1", "a b", "a.b", "a:b", &"x".repeat(255)] {
            assert_eq!(id_problem(ok), None, "{ok}");
        }
        assert_eq!(id_problem("").as_deref(), Some("ID must not be empty"));
        assert_eq!(
            id_problem(&"x".repeat(256)).as_deref(),
            Some("ID must not be greater than 255 characters")
        );
        assert_eq!(id_problem("..").as_deref(), Some("'..' is disallowed"));
        assert_eq!(
            id_problem("a\nb").as_deref(),
            Some("'a\\nb' contains invalid characters")
        );
        for bad in ["../../etc", "a/b", "a\\b", "a\u{7f}", "\tx"] {
            assert!(
                id_problem(bad)
                    .unwrap()
                    .ends_with("contains invalid characters"),
                "{bad}"
            );
        }
        let msg = problems(&OK.replacen(
            r#""task_id":{"value":"t"}"#,
            r#""task_id":{"value":"../../etc"}"#,
            1,
        ));
        assert!(
            msg.contains("task_id.value: '../../etc' contains invalid characters (use an id without control characters"),
            "{msg}"
        );
    }

    #[test]
    fn executor_and_framework_ids_follow_mesos_rules() {
        let executor: ExecutorInfo = mesos_types::from_json_str(
            r#"{"executor_id":{"value":"e/1"},"framework_id":{"value":"f\u0007"},
                "container":{"type":"DOCKER","docker":{"image":"busybox"}}}"#,
        )
        .unwrap();
        let msg = task(&task_from(OK), Some(&executor))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("executor.executor_id.value: 'e/1' contains invalid characters"),
            "{msg}"
        );
        assert!(
            msg.contains("executor.framework_id.value: 'f\\u{7}' contains invalid characters"),
            "{msg}"
        );
    }

    #[test]
    fn what_reaches_docker_runs_argv_is_bounded() {
        let big = "x".repeat(MAX_ARGUMENT_BYTES + 1);
        let msg = problems(&OK.replacen(
            r#""command":{"value":"true"}"#,
            &format!(r#""command":{{"value":"{big}"}}"#),
            1,
        ));
        assert!(
            msg.contains(&format!(
                "command.value: the command is {} bytes long, more than the 65536 one argument of docker run may have",
                MAX_ARGUMENT_BYTES + 1
            )),
            "{msg}"
        );
        let at_limit = "x".repeat(MAX_ARGUMENT_BYTES);
        task(
            &task_from(&OK.replacen(
                r#""command":{"value":"true"}"#,
                &format!(r#""command":{{"value":"{at_limit}"}}"#),
                1,
            )),
            None,
        )
        .unwrap();
        // A secret's value is never shown, only its size.
        let secret = "s".repeat(MAX_ARGUMENT_BYTES);
        let msg = problems(&OK.replacen(
            r#""command":{"value":"true"}"#,
            &format!(r#""command":{{"value":"true","environment":{{"variables":[{{"name":"P","value":"{secret}"}}]}}}}"#),
            1,
        ));
        assert!(
            msg.contains("command.environment.variables[0]: variable P is 65538 bytes long"),
            "{msg}"
        );
        assert!(!msg.contains("sss"), "{msg}");
        // Many strings each under the limit, too many together.
        let args: Vec<String> = (0..9).map(|_| format!("\"{at_limit}\"")).collect();
        let msg = problems(&OK.replacen(
            r#""command":{"value":"true"}"#,
            &format!(
                r#""command":{{"value":"true","arguments":[{}]}}"#,
                args.join(",")
            ),
            1,
        ));
        assert!(msg.contains("command: the command, its arguments, its environment and the docker parameters are 589828 bytes together, more than the 524288"), "{msg}");
    }

    #[test]
    fn resource_amounts_and_limits_follow_mesos() {
        let msg = problems(&OK.replacen(
            r#""scalar":{"value":0.5}"#,
            r#""scalar":{"value":1e308}"#,
            1,
        ));
        assert!(
            msg.contains("resources[0].scalar.value: invalid cpus amount 1e308 (use a finite, non-negative number of at most 9.223372036854776e15)"),
            "{msg}"
        );
        let msg = problems(&OK.replacen(
            r#""scalar":{"value":0.5}"#,
            r#""scalar":{"value":"NaN"}"#,
            1,
        ));
        assert!(msg.contains("invalid cpus amount NaN"), "{msg}");
        let with_limits = |limits: &str| {
            OK.replacen(
                r#""command":{"value":"true"}"#,
                &format!(r#""command":{{"value":"true"}},"limits":{limits}"#),
                1,
            )
        };
        let msg = problems(&with_limits(r#"{"cpus":{"value":0.25}}"#));
        assert!(
            msg.contains("limits.cpus: The cpu limit must be greater than or equal to the cpu request (the limit is 0.25, the request 0.5)"),
            "{msg}"
        );
        let msg = problems(&with_limits(r#"{"mem":{"value":64}}"#));
        assert!(
            msg.contains("limits.mem: When a memory limit is specified, a memory request must also be specified"),
            "{msg}"
        );
        let msg = problems(&with_limits(r#"{"cpus":{"value":1e300}}"#));
        assert!(msg.contains("limits.cpus: invalid limit 1e300"), "{msg}");
        task(&task_from(&with_limits(r#"{"cpus":{"value":0.5}}"#)), None).unwrap();
        task(
            &task_from(&with_limits(r#"{"cpus":{"value":"Infinity"}}"#)),
            None,
        )
        .unwrap();
    }

    #[test]
    fn missing_container_and_command_are_reported_together() {
        let json = r#"{"name":"t","task_id":{"value":"t"},"agent_id":{"value":"a"}}"#;
        let msg = problems(json);
        assert!(msg.contains("container: is missing"), "{msg}");
        assert!(msg.contains("command: is missing"), "{msg}");
    }
}
