//! The only flags `mesos-fetcher` takes: Mesos's logging flags, each from the command line
//! (`--name=value`) or from `MESOS_<NAME>`. The agent passes no arguments, so in practice
//! only the whitelisted environment variables matter.

use std::path::PathBuf;

/// glog's severities, as `--logging_level` names them, plus `DEBUG`, which the containerizer
/// accepts and passes on through `MESOS_LOGGING_LEVEL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LoggingLevel {
    Debug,
    Info,
    Warning,
    Error,
}

/// The logging flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flags {
    pub quiet: bool,
    pub logging_level: LoggingLevel,
    pub log_dir: Option<PathBuf>,
    pub logbufsecs: u32,
    pub initialize_driver_logging: bool,
    pub external_log_file: Option<PathBuf>,
}

impl Default for Flags {
    fn default() -> Self {
        Self {
            quiet: false,
            logging_level: LoggingLevel::Info,
            log_dir: None,
            logbufsecs: 0,
            initialize_driver_logging: true,
            external_log_file: None,
        }
    }
}

/// Why the flags could not be loaded; `Help` and `Version` are not errors (usage or
/// [`VERSION`] on stdout, exit 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagsOutcome {
    Help,
    Version,
    Error(String),
}

/// The version and the git commit this build came from, for `--version`.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("MESOS_DOCKER_GIT_COMMIT"),
    ")"
);

pub const USAGE: &str = "Usage: mesos-fetcher [options]

Fetches the URIs described by the FetcherInfo JSON in MESOS_FETCHER_INFO into the sandbox.
Every option can also be set as MESOS_<OPTION> in the environment.

  --[no-]quiet                       Disable logging to stderr (default: false)
  --logging_level=VALUE              DEBUG, INFO, WARNING or ERROR (default: INFO)
  --log_dir=VALUE                    Also write log files in this directory
  --logbufsecs=VALUE                 Accepted for compatibility (default: 0)
  --[no-]initialize_driver_logging   Accepted for compatibility (default: true)
  --external_log_file=VALUE          Accepted for compatibility
  --help                             Print this help
  --version                          Print the version and the git commit
";

fn parse_bool(name: &str, v: &str) -> Result<bool, FlagsOutcome> {
    match v {
        "true" | "1" | "" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(FlagsOutcome::Error(format!(
            "Failed to load flag '{name}': Failed to load value '{v}': Expecting a boolean (e.g., true or false)"
        ))),
    }
}

/// Loads the flags from `MESOS_*` variables in `env`, then from `args` (argv without the
/// program name), which win.
pub fn parse(
    args: impl IntoIterator<Item = String>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Flags, FlagsOutcome> {
    let mut settings: Vec<(String, Option<String>, bool)> = Vec::new();
    for (k, v) in env {
        if let Some(name) = k.strip_prefix("MESOS_") {
            settings.push((name.to_ascii_lowercase(), Some(v), true));
        }
    }
    for arg in args {
        let Some(body) = arg.strip_prefix("--") else {
            return Err(FlagsOutcome::Error(format!(
                "Failed to load unknown flag '{arg}'"
            )));
        };
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n.replace('-', "_"), Some(v.to_string())),
            None => (body.replace('-', "_"), None),
        };
        settings.push((name, value, false));
    }
    let mut flags = Flags::default();
    for (name, value, from_env) in settings {
        let (name, value) = match (name.strip_prefix("no_"), &value) {
            (Some(base), None) if !from_env => (base.to_string(), Some("false".to_string())),
            _ => (name, value),
        };
        let v = value.clone().unwrap_or_default();
        match name.as_str() {
            "help" => {
                if parse_bool("help", &v)? {
                    return Err(FlagsOutcome::Help);
                }
            }
            "version" if !from_env => {
                if parse_bool("version", &v)? {
                    return Err(FlagsOutcome::Version);
                }
            }
            "quiet" => flags.quiet = parse_bool("quiet", &v)?,
            "initialize_driver_logging" => {
                flags.initialize_driver_logging = parse_bool(&name, &v)?
            }
            "logging_level" => {
                flags.logging_level = match v.to_ascii_uppercase().as_str() {
                    "DEBUG" | "VERBOSE" => LoggingLevel::Debug,
                    "INFO" => LoggingLevel::Info,
                    "WARNING" | "WARN" => LoggingLevel::Warning,
                    "ERROR" => LoggingLevel::Error,
                    _ => {
                        return Err(FlagsOutcome::Error(format!(
                            "'{v}' is not a valid logging level. Possible values for 'logging_level' flag are: 'DEBUG', 'INFO', 'WARNING', 'ERROR'."
                        )))
                    }
                }
            }
            "log_dir" => flags.log_dir = Some(PathBuf::from(v)).filter(|p| !p.as_os_str().is_empty()),
            "external_log_file" => {
                flags.external_log_file = Some(PathBuf::from(v)).filter(|p| !p.as_os_str().is_empty())
            }
            "logbufsecs" => {
                flags.logbufsecs = v.parse().map_err(|_| {
                    FlagsOutcome::Error(format!(
                        "Failed to load flag 'logbufsecs': Failed to load value '{v}'"
                    ))
                })?
            }
            // Unknown MESOS_* variables (MESOS_FETCHER_INFO among them) are ignored.
            _ if from_env => {}
            _ => {
                return Err(FlagsOutcome::Error(format!(
                    "Failed to load unknown flag '{name}'"
                )))
            }
        }
    }
    Ok(flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn env_and_args_load_with_args_winning() {
        let f = parse(
            vec!["--logging_level=ERROR".to_string()],
            env(&[
                ("MESOS_LOGGING_LEVEL", "WARNING"),
                ("MESOS_QUIET", "true"),
                ("MESOS_FETCHER_INFO", "{}"),
            ]),
        )
        .unwrap();
        assert_eq!(f.logging_level, LoggingLevel::Error);
        assert!(f.quiet);
        // What the containerizer accepts reaches the fetcher through its environment.
        let f = parse(vec![], env(&[("MESOS_LOGGING_LEVEL", "debug")])).unwrap();
        assert_eq!(f.logging_level, LoggingLevel::Debug);
    }

    #[test]
    fn help_unknown_and_bad_values() {
        assert_eq!(
            parse(vec!["--help".into()], env(&[])).unwrap_err(),
            FlagsOutcome::Help
        );
        assert_eq!(
            parse(vec!["--version".into()], env(&[])).unwrap_err(),
            FlagsOutcome::Version
        );
        // MESOS_VERSION is not ours to read (only the command line asks for the version).
        assert!(parse(vec![], env(&[("MESOS_VERSION", "1.11.0")])).is_ok());
        assert!(matches!(
            parse(vec!["--bogus=1".into()], env(&[])).unwrap_err(),
            FlagsOutcome::Error(_)
        ));
        assert!(matches!(
            parse(vec![], env(&[("MESOS_LOGGING_LEVEL", "LOUD")])).unwrap_err(),
            FlagsOutcome::Error(_)
        ));
        assert!(
            !parse(vec!["--no-quiet".into()], env(&[("MESOS_QUIET", "1")]))
                .unwrap()
                .quiet
        );
    }
}
