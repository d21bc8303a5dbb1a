//! `docker --version`: parsing the version line and checking it against a minimum.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::error::{DockerError, Result};
use crate::process::{CliCall, Docker};

/// The oldest Docker the containerizer works with, as in Mesos.
pub const MIN_DOCKER_VERSION: Version = Version::new(1, 8, 0);
/// User-defined networks and `--dns-opt` need this much (argv rules 12 and 15).
pub const USER_NETWORK_MIN_VERSION: Version = Version::new(1, 9, 0);
/// `--dns` together with the host network needs this much (argv rule 12).
pub const HOST_NETWORK_DNS_MIN_VERSION: Version = Version::new(1, 12, 0);

/// A semantic version as stout parses it: missing minor/patch default to 0, leading zeros
/// are accepted, a prerelease sorts below its release, build metadata is ignored when
/// comparing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
    /// Dot-separated prerelease identifiers (`ce` in `17.03.0-ce`).
    pub prerelease: Vec<String>,
    /// Dot-separated build metadata (`dfsg1` in `20.10.24+dfsg1`).
    pub build: Vec<String>,
}

impl Version {
    /// `major.minor.patch` with no prerelease or build.
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
            prerelease: Vec::new(),
            build: Vec::new(),
        }
    }

    /// Parses the output of `docker --version` as Mesos does: the last space-separated
    /// token of the text before the first `,`, cut to its first three dot-separated
    /// components.
    ///
    /// `Docker version 20.10.7, build f0df350` → 20.10.7; `1.7.1.fc22` → 1.7.1;
    /// `17.03.0-ce` → 17.3.0-ce; `podman version 4.3.1` → 4.3.1.
    pub fn from_version_output(output: &str) -> Result<Version> {
        let first = output.trim().split(',').next().unwrap_or("").trim();
        let token = first.split(' ').next_back().unwrap_or("");
        if token.is_empty() {
            return Err(DockerError::parse(
                "--version",
                format!(
                    "Unable to find docker version in output '{}'",
                    output.trim()
                ),
            ));
        }
        // Keep at most three components; like Mesos this happens before the prerelease is
        // split off, so `1.7.1.fc22` loses its distribution suffix.
        let truncated = token.split('.').take(3).collect::<Vec<_>>().join(".");
        truncated.parse().map_err(|reason: String| {
            DockerError::parse(
                "--version",
                format!("Failed to parse docker version '{token}': {reason}"),
            )
        })
    }
}

impl FromStr for Version {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (rest, build) = match text.split_once('+') {
            Some((rest, build)) => (rest, split_identifiers(build)),
            None => (text, Vec::new()),
        };
        let (core, prerelease) = match rest.split_once('-') {
            Some((core, pre)) => (core, split_identifiers(pre)),
            None => (rest, Vec::new()),
        };
        let parts: Vec<&str> = core.split('.').collect();
        if parts.len() > 3 {
            return Err(format!(
                "version '{text}' has more than 3 numeric components"
            ));
        }
        let mut numbers = [0u32; 3];
        for (slot, part) in numbers.iter_mut().zip(&parts) {
            *slot = part
                .parse()
                .map_err(|_| format!("'{part}' in '{text}' is not a number"))?;
        }
        Ok(Version {
            major: numbers[0],
            minor: numbers[1],
            patch: numbers[2],
            prerelease,
            build,
        })
    }
}

fn split_identifiers(text: &str) -> Vec<String> {
    text.split('.').map(str::to_string).collect()
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.prerelease.is_empty() {
            write!(f, "-{}", self.prerelease.join("."))?;
        }
        if !self.build.is_empty() {
            write!(f, "+{}", self.build.join("."))?;
        }
        Ok(())
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| compare_prerelease(&self.prerelease, &other.prerelease))
    }
}

/// Semver precedence of prerelease identifiers: none sorts above any; numeric identifiers
/// compare as numbers and below alphanumeric ones; a shorter list of equal prefix is lower.
fn compare_prerelease(a: &[String], b: &[String]) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    for (x, y) in a.iter().zip(b) {
        let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => x.cmp(y),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a.len().cmp(&b.len())
}

impl Docker {
    /// Runs `docker --version` (with the `-H` prefix, as Mesos does) and parses it.
    ///
    /// Unlike Mesos this runs the argv directly, not through `sh -c`, so a docker path with
    /// spaces works. Time limit: [`crate::Timeouts::version`] (5 s by default).
    pub async fn version(&self) -> Result<Version> {
        let call = CliCall::new("--version", ["--version"], self.timeouts().version);
        let output = self.checked(call).await?;
        Version::from_version_output(&String::from_utf8_lossy(&output.stdout))
    }

    /// Fails with [`DockerError::VersionTooOld`] unless the Docker found is at least `min`.
    pub async fn validate_version(&self, min: &Version) -> Result<Version> {
        let found = self.version().await?;
        check_version(&found, min)?;
        Ok(found)
    }
}

/// [`DockerError::VersionTooOld`] unless `found >= min`.
pub fn check_version(found: &Version, min: &Version) -> Result<()> {
    if found < min {
        return Err(DockerError::VersionTooOld {
            found: Box::new(found.clone()),
            min: Box::new(min.clone()),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(output: &str) -> Version {
        Version::from_version_output(output).unwrap()
    }

    #[test]
    fn docker_ce_line() {
        assert_eq!(
            parse("Docker version 20.10.7, build f0df350\n"),
            Version::new(20, 10, 7)
        );
    }

    #[test]
    fn fourth_component_is_cut() {
        let v = parse("Docker version 1.7.1.fc22, build 446ad9b/1.7.1");
        assert_eq!(v, Version::new(1, 7, 1));
        assert_eq!(v.to_string(), "1.7.1");
    }

    #[test]
    fn ce_suffix_is_a_prerelease_and_leading_zeros_are_fine() {
        let v = parse("Docker version 17.03.0-ce, build 3a232c8");
        assert_eq!((v.major, v.minor, v.patch), (17, 3, 0));
        assert_eq!(v.prerelease, vec!["ce".to_string()]);
        assert_eq!(v.to_string(), "17.3.0-ce");
        assert!(v < Version::new(17, 3, 0));
        assert!(v > Version::new(1, 8, 0));
    }

    #[test]
    fn podman_and_build_metadata() {
        assert_eq!(parse("podman version 4.3.1"), Version::new(4, 3, 1));
        let v = parse("Docker version 20.10.24+dfsg1, build 297e128");
        assert_eq!(v.build, vec!["dfsg1".to_string()]);
        assert_eq!(v.cmp(&Version::new(20, 10, 24)), Ordering::Equal);
    }

    #[test]
    fn missing_components_default_to_zero() {
        assert_eq!(parse("Docker version 1.9"), Version::new(1, 9, 0));
        assert_eq!(parse("Docker version 2"), Version::new(2, 0, 0));
    }

    #[test]
    fn garbage_is_a_parse_error() {
        let err = Version::from_version_output("").unwrap_err();
        assert!(
            err.to_string().contains("Unable to find docker version"),
            "{err}"
        );
        let err = Version::from_version_output("Docker version x.y.z").unwrap_err();
        assert!(
            err.to_string().contains("'x' in 'x.y.z' is not a number"),
            "{err}"
        );
    }

    #[test]
    fn too_old_message_is_clear() {
        let err = check_version(&Version::new(1, 7, 0), &MIN_DOCKER_VERSION).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Insufficient version '1.7.0' of Docker. Please upgrade to >= '1.8.0'"
        );
        check_version(&Version::new(1, 8, 0), &MIN_DOCKER_VERSION).unwrap();
    }

    #[test]
    fn prerelease_ordering() {
        let rc1: Version = "1.12.0-rc1".parse().unwrap();
        let rc2: Version = "1.12.0-rc2".parse().unwrap();
        let n2: Version = "1.12.0-2".parse().unwrap();
        assert!(rc1 < rc2);
        assert!(n2 < rc1);
        assert!(rc2 < Version::new(1, 12, 0));
    }
}
