//! Man pages: clap_mangen renders the name, synopsis, description, options and subcommands
//! from the clap definitions; the sections clap knows nothing of (environment, exit status,
//! files, see also) are added here.

use clap::Command;
use clap_mangen::roff::{bold, italic, roman, Roff};
use clap_mangen::Man;

/// One block of an extra section.
pub enum Block {
    /// A paragraph of plain text.
    Para(&'static str),
    /// A tagged paragraph: a bold term (a variable, a path, a status) and its meaning.
    Item(&'static str, &'static str),
}

/// The extra sections of one page, in order: (heading, blocks).
pub type Extra = Vec<(&'static str, Vec<Block>)>;

/// A rendered man page.
pub struct Page {
    /// The file name: `<name>.1`.
    pub file_name: String,
    pub roff: String,
}

/// The page of `cmd` and one page per (visible) subcommand, named `<cmd>-<sub>`.
pub fn pages(cmd: Command, extra: &Extra) -> Vec<Page> {
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let parent = cmd.get_name().to_string();
    let mut pages = vec![page(&cmd, extra, &[])];
    let subs: Vec<Command> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .cloned()
        .collect();
    for sub in subs {
        let see_also = [parent.as_str()];
        pages.push(page(&sub, extra, &see_also));
    }
    pages
}

fn page(cmd: &Command, extra: &Extra, see_also: &[&str]) -> Page {
    let man =
        Man::new(cmd.clone()).source(format!("mesos-docker-rs {}", env!("CARGO_PKG_VERSION")));
    let mut out = Vec::new();
    man.render(&mut out).expect("render to memory");
    let mut page = String::from_utf8(out).expect("roff is UTF-8");

    let mut roff = Roff::default();
    for (heading, blocks) in extra {
        roff.control("SH", [*heading]);
        for block in blocks {
            match block {
                Block::Para(text) => {
                    roff.control("PP", []);
                    roff.text([roman(*text)]);
                }
                Block::Item(term, text) => {
                    roff.control("TP", []);
                    roff.text([bold(*term)]);
                    roff.text([roman(*text)]);
                }
            }
        }
    }
    let mut refs: Vec<&str> = see_also.to_vec();
    for name in crate::commands::all_names() {
        if name != cmd.get_name() && !refs.contains(&name) {
            refs.push(name);
        }
    }
    refs.push("docker");
    roff.control("SH", ["SEE ALSO"]);
    let mut inline = Vec::new();
    for (i, r) in refs.iter().enumerate() {
        if i > 0 {
            inline.push(roman(", "));
        }
        inline.push(bold(*r));
        inline.push(roman("(1)"));
    }
    roff.text(inline);
    roff.control("PP", []);
    roff.text([
        roman("The operator documentation is in "),
        italic("/usr/share/doc/mesos-docker-containerizer/"),
        roman("."),
    ]);
    // Our sections go before clap_mangen's closing VERSION section; the apostrophe preamble
    // (the first two lines of every rendering) is already at the top of the page.
    let ours: String = roff.render().split_inclusive('\n').skip(2).collect();
    let at = page.find("\n.SH VERSION").map_or(page.len(), |i| i + 1);
    page.insert_str(at, &ours);

    let name = cmd.get_display_name().unwrap_or_else(|| cmd.get_name());
    Page {
        file_name: format!("{name}.1"),
        roff: page,
    }
}

pub fn containerizer_extra() -> Extra {
    use Block::*;
    vec![
        (
            "ENVIRONMENT",
            vec![
                Para(
                    "Every flag can also be set as MESOS_<FLAG>, the flag's name in upper case \
                     (MESOS_WORK_DIR for --work_dir, MESOS_DOCKER_SOCKET for --docker_socket); \
                     a flag on the command line wins. Flags are spelled as in Mesos \
                     (--work_dir=DIR or --work_dir DIR; dashes work too), and boolean flags \
                     also take the forms --flag and --no-flag.",
                ),
                Para(
                    "The packaged systemd unit reads these variables from \
                     /etc/default/mesos-docker-containerizer (Debian, Ubuntu) or \
                     /etc/sysconfig/mesos-docker-containerizer (RPM distributions).",
                ),
                Item(
                    "RUST_LOG",
                    "A tracing filter (info, containerizer=debug) that overrides \
                     --logging_level.",
                ),
                Item(
                    "DOCKER_CONFIG",
                    "Read by the docker CLI itself; registry credentials for pulls are better \
                     given with --docker_config.",
                ),
            ],
        ),
        (
            "EXIT STATUS",
            vec![
                Item(
                    "0",
                    "Success; for run and wait, the task finished (TASK_FINISHED, or exit 0 \
                     after a kill).",
                ),
                Item(
                    "N",
                    "run and wait: the task's container exited with N (TASK_FAILED); 128+N \
                     when it was ended by signal N.",
                ),
                Item(
                    "125",
                    "The command could not do its work: invalid flags or TaskInfo, a failed \
                     fetch or image pull, an executor that failed before the launch, or no \
                     daemon to talk to. The reason is on stderr.",
                ),
            ],
        ),
        (
            "FILES",
            vec![
                Item(
                    "/var/lib/mesos-docker",
                    "The default --work_dir when run as root: meta/ (the agent id and the \
                     checkpoints of every container), sandboxes/<ContainerID>/ and \
                     fetcher_cache/. As another user: $XDG_STATE_HOME/mesos-docker.",
                ),
                Item(
                    "/usr/bin/mesos-docker-executor, /usr/bin/mesos-fetcher",
                    "The helpers it runs, found next to its own binary unless --launcher_dir \
                     says otherwise.",
                ),
                Item(
                    "/etc/default/mesos-docker-containerizer, /etc/sysconfig/mesos-docker-containerizer",
                    "MESOS_* settings of the systemd service mesos-docker-containerizer.service.",
                ),
            ],
        ),
    ]
}

pub fn executor_extra() -> Extra {
    use Block::*;
    vec![
        (
            "ENVIRONMENT",
            vec![
                Para(
                    "mesos-docker-executor is started by the Mesos agent or by \
                     mesos-docker-containerizer, never by hand: they pass the flags above and \
                     the following variables.",
                ),
                Item(
                    "MESOS_AGENT_ENDPOINT",
                    "Required: ip:port of the agent's v1 Executor HTTP API.",
                ),
                Item(
                    "MESOS_FRAMEWORK_ID, MESOS_EXECUTOR_ID",
                    "Required: the executor's identity in every call.",
                ),
                Item(
                    "MESOS_DIRECTORY",
                    "The sandbox (informational; the flags carry it).",
                ),
                Item(
                    "MESOS_CHECKPOINT",
                    "1: survive agent restarts by reconnecting; otherwise the first \
                     disconnection stops the task.",
                ),
                Item(
                    "MESOS_RECOVERY_TIMEOUT",
                    "How long to keep reconnecting after a disconnection (default 15mins).",
                ),
                Item(
                    "MESOS_SUBSCRIPTION_BACKOFF_MAX",
                    "Upper bound of the pause between reconnection attempts (default 2secs).",
                ),
                Item(
                    "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD",
                    "The grace period of shutdowns (default 5secs, at least --stop_timeout).",
                ),
                Item(
                    "MESOS_EXECUTOR_AUTHENTICATION_TOKEN",
                    "Sent as a bearer token; removed from the environment at start.",
                ),
                Item(
                    "RUST_LOG",
                    "A tracing filter that overrides --logging_level.",
                ),
            ],
        ),
        (
            "EXIT STATUS",
            vec![
                Item(
                    "0",
                    "The task's terminal status update was acknowledged, or the executor was \
                     shut down before any task.",
                ),
                Item(
                    "1",
                    "A missing or invalid flag or variable (the message names it), or the \
                     agent was lost.",
                ),
            ],
        ),
    ]
}

pub fn fetcher_extra() -> Extra {
    use Block::*;
    vec![
        (
            "ENVIRONMENT",
            vec![
                Item(
                    "MESOS_FETCHER_INFO",
                    "Required: the FetcherInfo JSON described above.",
                ),
                Item(
                    "MESOS_<FLAG>",
                    "Every flag above, e.g. MESOS_LOGGING_LEVEL=WARNING; a flag on the command \
                     line wins. Other MESOS_* variables are ignored.",
                ),
                Item(
                    "http_proxy, https_proxy, all_proxy, no_proxy",
                    "Proxies for HTTP(S) downloads, as libcurl reads them for Mesos.",
                ),
                Item(
                    "HADOOP_HOME",
                    "Where the Hadoop client is ($HADOOP_HOME/bin/hadoop, else hadoop on PATH).",
                ),
            ],
        ),
        (
            "EXIT STATUS",
            vec![
                Item("0", "Every item is in place."),
                Item(
                    "1",
                    "A fetch failed, or MESOS_FETCHER_INFO is missing or invalid; the reason is \
                     the last line on stderr.",
                ),
            ],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands;

    fn all_pages() -> Vec<Page> {
        commands::all()
            .into_iter()
            .flat_map(|(cmd, extra)| pages(cmd, &extra))
            .collect()
    }

    #[test]
    fn one_page_per_binary_and_containerizer_subcommand() {
        let names: Vec<String> = all_pages().into_iter().map(|p| p.file_name).collect();
        for expected in [
            "mesos-docker-containerizer.1",
            "mesos-docker-containerizer-run.1",
            "mesos-docker-containerizer-explain.1",
            "mesos-docker-executor.1",
            "mesos-fetcher.1",
        ] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} in {names:?}"
            );
        }
    }

    #[test]
    fn pages_carry_flags_environment_and_version() {
        let pages = all_pages();
        let page = |name: &str| {
            &pages
                .iter()
                .find(|p| p.file_name == name)
                .unwrap_or_else(|| panic!("{name}"))
                .roff
        };
        let c = page("mesos-docker-containerizer.1");
        assert!(c.contains(".TH mesos-docker-containerizer 1"), "{c}");
        assert!(
            c.contains("work_dir") && c.contains("MESOS_WORK_DIR"),
            "{c}"
        );
        assert!(c.contains(".SH ENVIRONMENT") && c.contains(".SH \"EXIT STATUS\""));
        assert!(c.find(".SH ENVIRONMENT") < c.find(".SH VERSION"), "{c}");
        assert_eq!(c.matches(".ds Aq").count(), 2, "one preamble: {c}");
        assert!(c.contains(containerizer::VERSION), "{c}");
        // Global flags are on every subcommand's page too.
        assert!(page("mesos-docker-containerizer-run.1").contains("docker_socket"));
        let e = page("mesos-docker-executor.1");
        assert!(e.contains("sandbox_directory") && e.contains("MESOS_AGENT_ENDPOINT"));
        let f = page("mesos-fetcher.1");
        assert!(f.contains("MESOS_FETCHER_INFO") && f.contains("logging_level"));
    }
}
