//! Which `DockerInfo.parameters` a task may give. A parameter becomes `--<key>=<value>` on
//! the `docker run` line, after our own options, so it can override them: a `name` renames
//! the container (the executor never finds it, a kill cannot stop it), `rm` or `detach`
//! lose its exit status, `restart` keeps it running after the task ended, a `label` of
//! ours (`mesos.*`) hides it from recovery or claims another container's identity. Those
//! are refused, and so is any key that is not a long option of `docker run`, which docker
//! would refuse only once the task is on its way.

use std::fmt;

/// The long options of `docker run` (Docker CLI 28.2, `docker run --help`), plus the hidden
/// ones it still accepts (`net`, `net-alias`, `dns-opt`, `cpu-count`, `cpu-percent`,
/// `io-maxbandwidth`, `io-maxiops`, `annotation`, `health-start-interval`).
pub const DOCKER_RUN_LONG_OPTIONS: &[&str] = &[
    "add-host",
    "annotation",
    "attach",
    "blkio-weight",
    "blkio-weight-device",
    "cap-add",
    "cap-drop",
    "cgroup-parent",
    "cgroupns",
    "cidfile",
    "cpu-count",
    "cpu-percent",
    "cpu-period",
    "cpu-quota",
    "cpu-rt-period",
    "cpu-rt-runtime",
    "cpu-shares",
    "cpus",
    "cpuset-cpus",
    "cpuset-mems",
    "detach",
    "detach-keys",
    "device",
    "device-cgroup-rule",
    "device-read-bps",
    "device-read-iops",
    "device-write-bps",
    "device-write-iops",
    "disable-content-trust",
    "dns",
    "dns-opt",
    "dns-option",
    "dns-search",
    "domainname",
    "entrypoint",
    "env",
    "env-file",
    "expose",
    "gpus",
    "group-add",
    "health-cmd",
    "health-interval",
    "health-retries",
    "health-start-interval",
    "health-start-period",
    "health-timeout",
    "help",
    "hostname",
    "init",
    "interactive",
    "io-maxbandwidth",
    "io-maxiops",
    "ip",
    "ip6",
    "ipc",
    "isolation",
    "kernel-memory",
    "label",
    "label-file",
    "link",
    "link-local-ip",
    "log-driver",
    "log-opt",
    "mac-address",
    "memory",
    "memory-reservation",
    "memory-swap",
    "memory-swappiness",
    "mount",
    "name",
    "net",
    "net-alias",
    "network",
    "network-alias",
    "no-healthcheck",
    "oom-kill-disable",
    "oom-score-adj",
    "pid",
    "pids-limit",
    "platform",
    "privileged",
    "publish",
    "publish-all",
    "pull",
    "quiet",
    "read-only",
    "restart",
    "rm",
    "runtime",
    "security-opt",
    "shm-size",
    "sig-proxy",
    "stop-signal",
    "stop-timeout",
    "storage-opt",
    "sysctl",
    "tmpfs",
    "tty",
    "ulimit",
    "use-api-socket",
    "user",
    "userns",
    "uts",
    "volume",
    "volume-driver",
    "volumes-from",
    "workdir",
];

/// The short options of `docker run` and their long names.
const SHORT_OPTIONS: &[(&str, &str)] = &[
    ("a", "attach"),
    ("c", "cpu-shares"),
    ("d", "detach"),
    ("e", "env"),
    ("h", "hostname"),
    ("i", "interactive"),
    ("l", "label"),
    ("m", "memory"),
    ("p", "publish"),
    ("P", "publish-all"),
    ("q", "quiet"),
    ("t", "tty"),
    ("u", "user"),
    ("v", "volume"),
    ("w", "workdir"),
];

/// The prefix of the labels the containerizer puts on its containers.
pub const MESOS_LABEL_PREFIX: &str = "mesos.";

/// Why a parameter is refused, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterRefusal {
    pub problem: String,
    pub hint: String,
}

impl fmt::Display for ParameterRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.problem, self.hint)
    }
}

/// Why an option takes the container away from the containerizer.
fn taken_away(long: &str) -> Option<&'static str> {
    Some(match long {
        "name" => "the container is named mesos-<ContainerID> so that the executor can find, watch and kill it",
        "rm" => "the container is removed by the containerizer once its exit status is read; with --rm it can vanish first",
        "detach" => "the executor follows the container through its docker run, which a detached run leaves at once",
        "restart" => "a restart policy keeps the container running after the task was reported ended",
        "help" => "docker would print its help instead of running the container",
        _ => return None,
    })
}

/// Checks one parameter; `Ok` when it may go on the `docker run` line.
pub fn check_parameter(key: &str, value: &str) -> Result<(), ParameterRefusal> {
    let refuse = |problem: String, hint: &str| {
        Err(ParameterRefusal {
            problem,
            hint: hint.to_string(),
        })
    };
    if key.is_empty() || key.starts_with('-') {
        return refuse(
            format!("invalid docker parameter key {key:?}"),
            "give the option name without dashes, e.g. \"memory-swap\"",
        );
    }
    let (long, short) = match SHORT_OPTIONS.iter().find(|(s, _)| *s == key) {
        Some((short, long)) => (*long, Some(*short)),
        None => (key, None),
    };
    let shown = match short {
        Some(s) => format!("\"{s}\" (-{s}, --{long})"),
        None => format!("\"{key}\""),
    };
    if let Some(why) = taken_away(long) {
        return refuse(
            format!("docker parameter {shown} is refused: {why}"),
            "remove the parameter",
        );
    }
    if long == "label" {
        let label_key = value.split_once('=').map_or(value, |(k, _)| k);
        if label_key
            .to_ascii_lowercase()
            .starts_with(MESOS_LABEL_PREFIX)
        {
            return refuse(
                format!(
                    "docker parameter {shown} with the label {label_key:?} is refused: the \
                     {MESOS_LABEL_PREFIX}* labels are the containerizer's own, by which it \
                     tells its containers"
                ),
                "give the label a key of another prefix",
            );
        }
    }
    if let Some(short) = short {
        return refuse(
            format!("docker parameter \"{short}\" is a short option (-{short})"),
            &format!("give its long name \"{long}\""),
        );
    }
    if !DOCKER_RUN_LONG_OPTIONS.contains(&key) {
        return refuse(
            format!("docker parameter \"{key}\" is not an option of docker run"),
            "give a long option of `docker run --help` without its dashes, e.g. \"memory-swappiness\"",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(key: &str, value: &str) -> String {
        check_parameter(key, value).unwrap_err().to_string()
    }

    #[test]
    fn ordinary_options_pass() {
        for (key, value) in [
            ("memory-swappiness", "0"),
            ("user", "nobody"),
            ("ulimit", "nofile=1024:2048"),
            ("net", "bridge"),
            ("dns-opt", "ndots:2"),
            ("label", "team=web"),
            ("label", "mesosphere=1"),
            ("cap-add", "SYS_ADMIN"),
        ] {
            assert_eq!(check_parameter(key, value), Ok(()), "{key}={value}");
        }
    }

    #[test]
    fn options_that_take_the_container_away_are_refused() {
        assert!(refused("name", "x").starts_with(
            "docker parameter \"name\" is refused: the container is named mesos-<ContainerID>"
        ));
        for key in ["rm", "detach", "restart", "help"] {
            assert!(
                refused(key, "true")
                    .starts_with(&format!("docker parameter \"{key}\" is refused: ")),
                "{key}"
            );
        }
        assert!(
            refused("d", "true").starts_with("docker parameter \"d\" (-d, --detach) is refused: ")
        );
        assert!(refused("label", "mesos.container_id=other").contains(
            "docker parameter \"label\" with the label \"mesos.container_id\" is refused"
        ));
        assert!(refused("l", "MESOS.agent_id")
            .contains("\"l\" (-l, --label) with the label \"MESOS.agent_id\" is refused"));
    }

    #[test]
    fn unknown_and_short_keys_are_refused_with_the_fix() {
        assert_eq!(
            refused("frobnicate", "1"),
            "docker parameter \"frobnicate\" is not an option of docker run (give a long \
             option of `docker run --help` without its dashes, e.g. \"memory-swappiness\")"
        );
        assert_eq!(
            refused("e", "A=1"),
            "docker parameter \"e\" is a short option (-e) (give its long name \"env\")"
        );
        assert!(refused("--privileged", "true").contains("invalid docker parameter key"));
        assert!(refused("", "x").contains("invalid docker parameter key \"\""));
    }

    #[test]
    fn the_list_is_sorted_and_has_no_duplicates() {
        let mut sorted = DOCKER_RUN_LONG_OPTIONS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, DOCKER_RUN_LONG_OPTIONS);
    }
}
