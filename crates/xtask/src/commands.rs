//! The command lines of the three binaries as clap [`Command`]s.
//!
//! `mesos-docker-containerizer` and `mesos-docker-executor` are their own clap definitions.
//! `mesos-fetcher` parses its few logging flags by hand, as stout does (the agent runs it with
//! no arguments at all), so its definition is written here and a test checks it against the
//! fetcher's own usage text.

use clap::{Arg, ArgAction, Command, CommandFactory, ValueHint};

pub const CONTAINERIZER: &str = "mesos-docker-containerizer";
pub const EXECUTOR: &str = "mesos-docker-executor";
pub const FETCHER: &str = "mesos-fetcher";

/// `mesos-docker-containerizer`, with its subcommands.
pub fn containerizer() -> Command {
    containerizer::cli::Cli::command()
}

/// `mesos-docker-executor`.
pub fn executor() -> Command {
    docker_executor::flags::command().version(docker_executor::flags::VERSION)
}

/// `mesos-fetcher`: its logging flags, each also read from `MESOS_<FLAG>`.
pub fn fetcher() -> Command {
    let bool_flag = |name: &'static str, env: &'static str, default: &'static str, help| {
        Arg::new(name)
            .long(name)
            .env(env)
            .value_name("BOOL")
            .value_parser(["true", "false"])
            .num_args(0..=1)
            .require_equals(true)
            .default_missing_value("true")
            .default_value(default)
            .help(help)
    };
    Command::new(FETCHER)
        .version(fetcher::flags::VERSION)
        .about("Fetches the URIs of a Mesos task into its sandbox")
        .long_about(FETCHER_LONG_ABOUT)
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args([
            bool_flag("quiet", "MESOS_QUIET", "false", "Disable logging to stderr"),
            Arg::new("logging_level")
                .long("logging_level")
                .env("MESOS_LOGGING_LEVEL")
                .value_name("LEVEL")
                .value_parser(["DEBUG", "INFO", "WARNING", "ERROR"])
                .default_value("INFO")
                .help("The lowest severity logged (glog names); RUST_LOG overrides"),
            Arg::new("log_dir")
                .long("log_dir")
                .env("MESOS_LOG_DIR")
                .value_name("DIR")
                .value_hint(ValueHint::DirPath)
                .help("Also write a glog-style log file in this directory"),
            Arg::new("logbufsecs")
                .long("logbufsecs")
                .env("MESOS_LOGBUFSECS")
                .value_name("SECS")
                .default_value("0")
                .help("Accepted for compatibility (glog flag)"),
            bool_flag(
                "initialize_driver_logging",
                "MESOS_INITIALIZE_DRIVER_LOGGING",
                "true",
                "Accepted for compatibility (glog flag)",
            ),
            Arg::new("external_log_file")
                .long("external_log_file")
                .env("MESOS_EXTERNAL_LOG_FILE")
                .value_name("PATH")
                .value_hint(ValueHint::FilePath)
                .help("Accepted for compatibility (glog flag)"),
            Arg::new("help")
                .long("help")
                .action(ArgAction::Help)
                .help("Print this help and exit"),
            Arg::new("version")
                .long("version")
                .action(ArgAction::Version)
                .help("Print the version and the git commit, and exit"),
        ])
}

const FETCHER_LONG_ABOUT: &str = "\
Fetches the URIs of a Mesos task into its sandbox before the task starts: HTTP(S) downloads, \
local files, relative paths under frameworks_home, and Hadoop URIs (hdfs://, s3a://, ...) \
through the hadoop client; archives (.tar, .tar.gz/.tgz, .tar.bz2, .tar.xz, .zip) are \
extracted into the sandbox, other .gz files decompressed, and URIs marked cache are kept in \
the fetcher cache.

mesos-fetcher takes no arguments in normal use: the Mesos agent (or \
mesos-docker-containerizer) runs it with one environment variable, MESOS_FETCHER_INFO, \
holding a FetcherInfo in JSON: sandbox_directory (required, an absolute host path), items \
(each a uri object with value, and optionally executable, extract, cache, output_file and \
checksum = \"sha256:<hex>\"; an action of BYPASS_CACHE, DOWNLOAD_AND_CACHE or \
RETRIEVE_FROM_CACHE; and a cache_filename), cache_directory, frameworks_home, user (the \
fetch runs as this user when started as root) and stall_timeout ({\"nanoseconds\": N}). \
Unknown keys are ignored and null means unset, as in Mesos. Example:

{\"sandbox_directory\": \"/var/lib/mesos-docker/sandboxes/c1\", \"items\": [{\"action\": \
\"BYPASS_CACHE\", \"uri\": {\"value\": \"https://example.org/app.tgz\", \"extract\": true}}]}

The process's stdout and stderr are the sandbox files stdout and stderr; the reason for a \
failure is the last line on stderr.";

/// The names of the three binaries.
pub fn all_names() -> [&'static str; 3] {
    [CONTAINERIZER, EXECUTOR, FETCHER]
}

/// The three binaries, each with what its man page says beyond the flags.
pub fn all() -> Vec<(Command, crate::man::Extra)> {
    vec![
        (containerizer(), crate::man::containerizer_extra()),
        (executor(), crate::man::executor_extra()),
        (fetcher(), crate::man::fetcher_extra()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn definitions_are_valid() {
        for (cmd, _) in all() {
            cmd.debug_assert();
        }
    }

    #[test]
    fn names_match_the_binaries() {
        let names: Vec<String> = all()
            .iter()
            .map(|(c, _)| c.get_name().to_string())
            .collect();
        assert_eq!(names, all_names());
    }

    /// The hand-written fetcher definition has exactly the flags the fetcher's usage lists.
    #[test]
    fn fetcher_definition_matches_its_usage() {
        let usage: BTreeSet<String> = fetcher::flags::USAGE
            .split_whitespace()
            .filter_map(|w| w.strip_prefix("--"))
            .map(|w| {
                let w = w.strip_prefix("[no-]").unwrap_or(w);
                w.split('=').next().unwrap_or(w).to_string()
            })
            .collect();
        let defined: BTreeSet<String> = fetcher()
            .get_arguments()
            .filter_map(|a| a.get_long())
            .map(String::from)
            .collect();
        assert_eq!(defined, usage);
    }

    #[test]
    fn fetcher_flags_parse_as_the_fetcher_does() {
        let m = fetcher()
            .try_get_matches_from(["mesos-fetcher", "--quiet", "--logging_level=WARNING"])
            .unwrap();
        assert_eq!(m.get_one::<String>("quiet").unwrap(), "true");
        assert_eq!(m.get_one::<String>("logging_level").unwrap(), "WARNING");
    }
}
