//! The agent side of the Mesos Docker containerizer: validates a TaskInfo, fetches its URIs
//! with `mesos-fetcher`, pulls its image, spawns `mesos-docker-executor` against an agent
//! endpoint hosted in this process, and checkpoints what it does so it can recover.

pub mod checkpoint;
pub mod cli;
pub mod client;
pub mod commands;
pub mod container_watch;
pub mod daemon;
pub mod docker_containerizer;
pub mod executor_container;
pub mod executor_launch;
pub mod executor_process;
pub mod explain;
pub mod files_wire;
pub mod flags;
pub mod gc;
pub mod launch_context;
pub mod logging;
pub mod mesos_image;
pub mod metrics;
pub mod paths;
pub mod prepare;
pub mod process_watch;
pub mod record;
pub mod run;
pub mod sandbox_path;
pub mod sandbox_volumes;
pub mod status_line;
pub mod validate;

/// The version and the git commit this build came from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("MESOS_DOCKER_GIT_COMMIT"),
    ")"
);

/// An error and its causes on one line, `outer: inner: ...`, leaving out a cause whose text
/// the line holds already: most errors here repeat their source in their own message, and
/// printing the chain as such would say the root cause (`No space left on device`) once per
/// layer.
pub fn error_chain<'a>(
    chain: impl IntoIterator<Item = &'a (dyn std::error::Error + 'static)>,
) -> String {
    let mut line = String::new();
    for cause in chain {
        let text = cause.to_string();
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cause_already_in_the_message_is_said_once() {
        let io = std::io::Error::from_raw_os_error(28);
        let inner = crate::checkpoint::CheckpointError::Write {
            path: "/w/meta/x".into(),
            source: io,
        };
        let outer = anyhow::Error::new(inner).context("container c did not start");
        let line = super::error_chain(outer.chain());
        assert_eq!(line.matches("No space left on device").count(), 1, "{line}");
        assert!(
            line.starts_with("container c did not start: failed to write checkpoint '/w/meta/x'"),
            "{line}"
        );
    }
}
