//! The agent side of the Mesos Docker containerizer: validates a TaskInfo, fetches its URIs
//! with `mesos-fetcher`, pulls its image, spawns `mesos-docker-executor` against an agent
//! endpoint hosted in this process, and checkpoints what it does so it can recover.
//!
//! The modules follow a task's path: [`task`] (the input), [`launch`] (the stages that start
//! an executor), [`state`] (the work dir), [`watch`] (supervision), [`docker_containerizer`]
//! (each container from launch to end, recovery), [`daemon`] (`serve`), and [`commands`], the
//! verbs, which depend on the rest and nothing on them (docs/design.md, *Inside the
//! containerizer*).

pub mod cli;
pub mod client;
pub mod commands;
pub mod daemon;
pub mod docker_containerizer;
pub mod flags;
pub mod launch;
pub mod logging;
pub mod state;
pub mod status_line;
pub mod task;
pub mod watch;

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
        let inner = crate::state::checkpoint::CheckpointError::Write {
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
