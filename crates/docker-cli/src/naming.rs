//! Docker container names of Mesos containers, and their parsing back.
//!
//! Current names: `mesos-<ContainerID>` for task and executor containers, and
//! `mesos-<ContainerID>.executor` for the executor container of a command task when the
//! agent runs in Docker. Legacy names (Mesos 0.23–1.3): `mesos-<AgentID>.<ContainerID>` and
//! `mesos-<AgentID>.<ContainerID>.executor`. Unlike Mesos, the current `.executor` form is
//! parsed to its ContainerID (Mesos takes `executor` for the id and drops the container).

use crate::error::{DockerError, Result};

/// Prefix of every Mesos container name (`DOCKER_NAME_PREFIX`).
pub const NAME_PREFIX: &str = "mesos-";
/// Separator before `executor` and in legacy names (`DOCKER_NAME_SEPERATOR`).
pub const NAME_SEPARATOR: &str = ".";
/// Suffix of executor container names.
pub const EXECUTOR_SUFFIX: &str = ".executor";
/// Longest ContainerID we accept (docs/design.md, *State on disk*).
pub const MAX_CONTAINER_ID_LEN: usize = 64;

/// Checks a ContainerID: non-empty, at most 64 characters of `[A-Za-z0-9_-]`.
/// No `.`: it separates the `.executor` suffix in container names.
pub fn validate_container_id(id: &str) -> Result<()> {
    let hint = if id.is_empty() {
        "a ContainerID must not be empty".to_string()
    } else if id.len() > MAX_CONTAINER_ID_LEN {
        format!(
            "a ContainerID has at most {MAX_CONTAINER_ID_LEN} characters, this one has {}",
            id.len()
        )
    } else if let Some(bad) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        format!("a ContainerID may only hold letters, digits, '_' and '-', not {bad:?}")
    } else {
        return Ok(());
    };
    Err(DockerError::invalid("container_id", id, hint))
}

fn is_valid_container_id(id: &str) -> bool {
    validate_container_id(id).is_ok()
}

/// `mesos-<cid>`: the docker name of a task container (and of a custom executor's).
pub fn container_name(container_id: &str) -> String {
    format!("{NAME_PREFIX}{container_id}")
}

/// `mesos-<cid>.executor`: the docker name of a command task's executor container when the
/// agent runs in Docker (`--docker_mesos_image`).
pub fn executor_container_name(container_id: &str) -> String {
    format!("{NAME_PREFIX}{container_id}{EXECUTOR_SUFFIX}")
}

/// A docker container name understood as a Mesos container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedName {
    pub container_id: String,
    /// The name ends in `.executor`.
    pub executor: bool,
    /// The AgentID of a legacy `mesos-<AgentID>.<cid>` name.
    pub legacy_agent_id: Option<String>,
}

/// Parses a docker container name (with or without docker's leading `/`) back to its
/// ContainerID, or `None` when it is not a Mesos container name.
///
/// Accepted: `mesos-<cid>`, `mesos-<cid>.executor`, `mesos-<agent>.<cid>`,
/// `mesos-<agent>.<cid>.executor`, where `<cid>` passes [`validate_container_id`].
pub fn parse_container_name(name: &str) -> Option<ParsedName> {
    let name = name.strip_prefix('/').unwrap_or(name);
    let rest = name.strip_prefix(NAME_PREFIX)?;
    let parts: Vec<&str> = rest.split(NAME_SEPARATOR).collect();
    let parsed = match parts.as_slice() {
        [cid] => ParsedName {
            container_id: cid.to_string(),
            executor: false,
            legacy_agent_id: None,
        },
        // Ours: `mesos-<cid>.executor`. A legacy name always has a ContainerID (a UUID)
        // after the agent id, never the word `executor`.
        [cid, "executor"] => ParsedName {
            container_id: cid.to_string(),
            executor: true,
            legacy_agent_id: None,
        },
        [agent, cid] => ParsedName {
            container_id: cid.to_string(),
            executor: false,
            legacy_agent_id: Some(agent.to_string()),
        },
        [agent, cid, "executor"] => ParsedName {
            container_id: cid.to_string(),
            executor: true,
            legacy_agent_id: Some(agent.to_string()),
        },
        _ => return None,
    };
    if !is_valid_container_id(&parsed.container_id) {
        return None;
    }
    if parsed.legacy_agent_id.as_deref().is_some_and(str::is_empty) {
        return None;
    }
    Some(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "0f2c5b54-4d38-4b9e-9d2c-2a5f0e8b1c3d";

    fn parsed(cid: &str, executor: bool, agent: Option<&str>) -> Option<ParsedName> {
        Some(ParsedName {
            container_id: cid.into(),
            executor,
            legacy_agent_id: agent.map(Into::into),
        })
    }

    #[test]
    fn names() {
        assert_eq!(container_name("abc"), "mesos-abc");
        assert_eq!(executor_container_name("abc"), "mesos-abc.executor");
    }

    #[test]
    fn current_forms_round_trip() {
        assert_eq!(
            parse_container_name(&container_name(UUID)),
            parsed(UUID, false, None)
        );
        assert_eq!(
            parse_container_name("/mesos-my_task-1"),
            parsed("my_task-1", false, None)
        );
        // Mesos 1.11 drops this one (it takes "executor" as the id); we do not.
        assert_eq!(
            parse_container_name(&executor_container_name(UUID)),
            parsed(UUID, true, None)
        );
        assert_eq!(
            parse_container_name(&format!("/mesos-{UUID}.executor")),
            parsed(UUID, true, None)
        );
    }

    #[test]
    fn legacy_forms() {
        let agent = "20150101-000000-16777343-5050-1234-S0";
        assert_eq!(
            parse_container_name(&format!("mesos-{agent}.{UUID}")),
            parsed(UUID, false, Some(agent))
        );
        assert_eq!(
            parse_container_name(&format!("/mesos-{agent}.{UUID}.executor")),
            parsed(UUID, true, Some(agent))
        );
    }

    #[test]
    fn not_mesos() {
        for name in [
            "nginx",
            "/nginx",
            "mesos-",
            "mesos-a.b.c",
            "mesos-a.b.c.d",
            "mesos-.x",
            "mesos-a b",
            "xmesos-abc",
            "mesos-abc.",
        ] {
            assert_eq!(parse_container_name(name), None, "{name}");
        }
        let long = "a".repeat(65);
        assert_eq!(parse_container_name(&format!("mesos-{long}")), None);
    }

    #[test]
    fn container_id_validation() {
        validate_container_id(UUID).unwrap();
        validate_container_id(&"x".repeat(64)).unwrap();
        let err = validate_container_id("").unwrap_err();
        assert!(err.to_string().contains("must not be empty"), "{err}");
        let err = validate_container_id("a.b").unwrap_err();
        assert_eq!(
            err.to_string(),
            "container_id: a ContainerID may only hold letters, digits, '_' and '-', not '.'"
        );
        let err = validate_container_id(&"x".repeat(65)).unwrap_err();
        assert!(err.to_string().contains("at most 64"), "{err}");
    }
}
