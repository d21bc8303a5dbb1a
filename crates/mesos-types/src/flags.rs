//! Mesos (stout) command-line flag syntax, so our binaries accept what the Mesos agent and
//! operators type: `--name=value`, `--name value`, dashes or underscores in names
//! (`--work-dir` = `--work_dir`), a bare boolean `--flag` meaning true, and `--no-flag`
//! meaning `--flag=false`.
//!
//! [`normalize_args`] rewrites argv into the one spelling the clap definitions use
//! (underscores, explicit boolean values) before clap parses it.

/// Rewrites `args` (without argv\[0\]) into canonical Mesos spelling:
/// - flag names use underscores (`--work-dir=x` → `--work_dir=x`);
/// - `--no-<bool flag>` → `--<bool flag>=false`;
/// - a bare `--<bool flag>` → `--<bool flag>=true`.
///
/// `bool_flags` lists the canonical (underscore) names of the boolean flags. Everything after
/// a `--` separator is left alone, and so are values and positional arguments.
pub fn normalize_args<I, S>(args: I, bool_flags: &[&str]) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut out = Vec::new();
    let mut passthrough = false;
    for arg in args {
        let arg: String = arg.into();
        if passthrough || !arg.starts_with("--") || arg == "--" {
            passthrough |= arg == "--";
            out.push(arg);
            continue;
        }
        let body = &arg[2..];
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n.replace('-', "_"), Some(v.to_string())),
            None => (body.replace('-', "_"), None),
        };
        if value.is_none() {
            if let Some(negated) = name.strip_prefix("no_") {
                if bool_flags.contains(&negated) {
                    out.push(format!("--{negated}=false"));
                    continue;
                }
            }
            if bool_flags.contains(&name.as_str()) {
                out.push(format!("--{name}=true"));
                continue;
            }
        }
        match value {
            Some(v) => out.push(format!("--{name}={v}")),
            None => out.push(format!("--{name}")),
        }
    }
    out
}

/// A byte size in stout's syntax: `<number><unit>` with unit `B`, `KB`, `MB`, `GB` or `TB`
/// (powers of 1024), e.g. `2GB`, `512MB`, `100B`. A bare number is bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bytes(pub u64);

impl Bytes {
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl std::str::FromStr for Bytes {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let multiplier: u64 = match unit.trim().to_ascii_uppercase().as_str() {
            "" | "B" => 1,
            "KB" => 1 << 10,
            "MB" => 1 << 20,
            "GB" => 1 << 30,
            "TB" => 1 << 40,
            other => {
                return Err(format!(
                    "invalid byte size '{s}': unknown unit '{other}' (use B, KB, MB, GB or TB, e.g. 2GB)"
                ))
            }
        };
        let value: f64 = num.parse().map_err(|_| {
            format!("invalid byte size '{s}': expected a number and a unit such as 2GB")
        })?;
        if !value.is_finite() || value < 0.0 {
            return Err(format!("invalid byte size '{s}': must not be negative"));
        }
        let bytes = value * multiplier as f64;
        // `as u64` would saturate silently: a size beyond 16 EiB is a typo, not a bound.
        if bytes >= u64::MAX as f64 {
            return Err(format!(
                "invalid byte size '{s}': too large (at most {}TB)",
                u64::MAX >> 40
            ));
        }
        Ok(Bytes(bytes as u64))
    }
}

impl std::fmt::Display for Bytes {
    /// Prints the largest unit that divides the value exactly, as stout does (`2GB`, `100B`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const UNITS: [(&str, u64); 4] = [
            ("TB", 1 << 40),
            ("GB", 1 << 30),
            ("MB", 1 << 20),
            ("KB", 1 << 10),
        ];
        for (unit, size) in UNITS {
            if self.0 >= size && self.0.is_multiple_of(size) {
                return write!(f, "{}{unit}", self.0 / size);
            }
        }
        write!(f, "{}B", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashes_become_underscores_and_booleans_get_values() {
        let got = normalize_args(
            [
                "run",
                "--work-dir=/w",
                "--docker_socket",
                "/s",
                "--cgroups-enable-cfs",
                "--no-docker_kill_orphans",
                "--help=false",
                "task.json",
                "--",
                "--no-cgroups_enable_cfs",
            ],
            &["cgroups_enable_cfs", "docker_kill_orphans", "help"],
        );
        assert_eq!(
            got,
            [
                "run",
                "--work_dir=/w",
                "--docker_socket",
                "/s",
                "--cgroups_enable_cfs=true",
                "--docker_kill_orphans=false",
                "--help=false",
                "task.json",
                "--",
                "--no-cgroups_enable_cfs",
            ]
        );
    }

    #[test]
    fn no_prefix_of_a_non_boolean_flag_is_left_for_clap_to_reject() {
        assert_eq!(normalize_args(["--no-work_dir"], &["x"]), ["--no_work_dir"]);
    }

    #[test]
    fn byte_sizes_parse_and_print_like_stout() {
        assert_eq!("2GB".parse::<Bytes>().unwrap(), Bytes(2 << 30));
        assert_eq!("512MB".parse::<Bytes>().unwrap(), Bytes(512 << 20));
        assert_eq!("100".parse::<Bytes>().unwrap(), Bytes(100));
        assert_eq!("1.5KB".parse::<Bytes>().unwrap(), Bytes(1536));
        assert!("2XB".parse::<Bytes>().unwrap_err().contains("unknown unit"));
        assert!("GB".parse::<Bytes>().is_err());
        let err = "99999999999999TB".parse::<Bytes>().unwrap_err();
        assert!(err.contains("too large"), "{err}");
        assert_eq!(Bytes(2 << 30).to_string(), "2GB");
        assert_eq!(Bytes(1536).to_string(), "1536B");
    }
}
