//! Log set-up for the binary: human-readable lines on stderr by default, JSON with
//! `--log_format=json`; the level from `--logging_level` (Mesos names) unless RUST_LOG is set.

use tracing_subscriber::EnvFilter;

/// Maps a Mesos/glog level name to a tracing filter directive.
pub fn filter_for(level: &str) -> Result<&'static str, String> {
    match level.to_ascii_uppercase().as_str() {
        "ERROR" | "FATAL" => Ok("error"),
        "WARNING" | "WARN" => Ok("warn"),
        "INFO" => Ok("info"),
        "DEBUG" | "VERBOSE" => Ok("debug"),
        "TRACE" => Ok("trace"),
        other => Err(format!(
            "invalid --logging_level '{other}': use ERROR, WARNING, INFO or DEBUG"
        )),
    }
}

/// Installs the global subscriber. Call once, first thing in `main`.
pub fn init(level: &str, format: &str) -> Result<(), String> {
    let default = filter_for(level)?;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    match format {
        "human" => builder.init(),
        "json" => builder.json().flatten_event(true).init(),
        other => return Err(format!("invalid --log_format '{other}': use human or json")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mesos_level_names_map_to_filters() {
        assert_eq!(filter_for("INFO").unwrap(), "info");
        assert_eq!(filter_for("warning").unwrap(), "warn");
        assert!(filter_for("LOUD").unwrap_err().contains("--logging_level"));
    }
}
