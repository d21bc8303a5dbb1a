//! Registry credentials for `docker pull`: the agent flag `--docker_config` turned into a
//! private temporary HOME, and the choice of HOME for a pull, as Mesos makes them.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::{DockerError, Result};

/// The parsed `--docker_config` flag: a docker config JSON object. Its `Debug` does not
/// show the content (it holds registry credentials).
#[derive(Clone, PartialEq)]
pub struct DockerConfig {
    json: Map<String, Value>,
}

impl std::fmt::Debug for DockerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerConfig")
            .field(
                "format",
                &if self.is_auths_format() {
                    "config.json"
                } else {
                    ".dockercfg"
                },
            )
            .finish_non_exhaustive()
    }
}

impl DockerConfig {
    /// Parses the flag value: an absolute path (or `file://` path) to a JSON file, or the
    /// JSON itself. It must be a JSON object.
    pub fn parse(flag: &str) -> Result<DockerConfig> {
        let trimmed = flag.trim();
        let path = trimmed
            .strip_prefix("file://")
            .or_else(|| trimmed.starts_with('/').then_some(trimmed));
        let (text, source) = match path {
            Some(path) => {
                let text = mesos_types::input::read_input_file(Path::new(path)).map_err(|e| {
                    DockerError::invalid(
                        "--docker_config",
                        path,
                        format!("Failed to read docker config file '{path}': {e}"),
                    )
                })?;
                (text, path.to_string())
            }
            None => (trimmed.to_string(), "<inline JSON>".to_string()),
        };
        // The content is secret: errors name the source and the position, never the text.
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(json)) => Ok(DockerConfig { json }),
            Ok(_) => Err(DockerError::invalid(
                "--docker_config",
                source,
                "the docker config must be a JSON object (an absolute path to a file, or the JSON itself)",
            )),
            Err(e) => Err(DockerError::invalid(
                "--docker_config",
                source,
                format!(
                    "the docker config is not valid JSON (line {}, column {}); give an absolute \
                     path to a file or the JSON itself",
                    e.line(),
                    e.column()
                ),
            )),
        }
    }

    /// True when the JSON has a top-level `auths` object (the `config.json` format);
    /// otherwise it is the old `.dockercfg` format.
    pub fn is_auths_format(&self) -> bool {
        self.json.get("auths").is_some_and(Value::is_object)
    }

    /// Writes the config into a new private (0700) temporary directory usable as HOME:
    /// `auths` format → `<tmp>/.docker/config.json`; otherwise `<tmp>/.dockercfg` as Mesos
    /// does, plus the same entries as `<tmp>/.docker/config.json` (`{"auths": ...}`) because
    /// current docker CLIs no longer read `.dockercfg`. Files are 0600. The directory is
    /// removed when the returned value is dropped.
    pub fn materialize(&self) -> Result<DockerConfigHome> {
        self.materialize_in(&std::env::temp_dir())
    }

    /// [`DockerConfig::materialize`] under `parent` instead of the system temp dir.
    pub fn materialize_in(&self, parent: &Path) -> Result<DockerConfigHome> {
        use std::os::unix::fs::PermissionsExt;
        // Private from the start: the directory will hold credentials.
        let dir = tempfile::Builder::new()
            .prefix("mesos-docker-config-")
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir_in(parent)
            .map_err(|e| {
                DockerError::io("Failed to create a temporary docker config directory", e)
            })?;
        let docker_dir = dir.path().join(".docker");
        std::fs::create_dir(&docker_dir)
            .map_err(|e| DockerError::io("Failed to create the .docker directory", e))?;
        if self.is_auths_format() {
            write_private(
                &docker_dir.join("config.json"),
                &Value::Object(self.json.clone()),
            )?;
        } else {
            write_private(
                &dir.path().join(".dockercfg"),
                &Value::Object(self.json.clone()),
            )?;
            let mut auths = Map::new();
            auths.insert("auths".into(), Value::Object(self.json.clone()));
            write_private(&docker_dir.join("config.json"), &Value::Object(auths))?;
        }
        Ok(DockerConfigHome { dir })
    }
}

fn write_private(path: &Path, json: &Value) -> Result<()> {
    let context = || format!("Failed to write '{}'", path.display());
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| DockerError::io(context(), e))?;
    let bytes = serde_json::to_vec(json).map_err(|e| DockerError::io(context(), e))?;
    file.write_all(&bytes)
        .map_err(|e| DockerError::io(context(), e))
}

/// A private temporary HOME holding the `--docker_config` credentials; removed on drop.
#[derive(Debug)]
pub struct DockerConfigHome {
    dir: tempfile::TempDir,
}

impl DockerConfigHome {
    /// The directory to use as HOME for `docker pull`.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// True when `dir` holds docker credentials of its own (`.docker/config.json` or
/// `.dockercfg`), e.g. fetched into the sandbox as a URI.
pub fn has_docker_config(dir: &Path) -> bool {
    dir.join(".docker").join("config.json").is_file() || dir.join(".dockercfg").is_file()
}

/// The HOME of a pull, as in Mesos: the sandbox, unless it has no docker config of its own
/// and a `--docker_config` home exists, in which case that one (sandbox-fetched config
/// wins).
pub fn pull_home(sandbox: &Path, config_home: Option<&DockerConfigHome>) -> PathBuf {
    match config_home {
        Some(home) if !has_docker_config(sandbox) => home.path().to_path_buf(),
        _ => sandbox.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn auths_format_goes_to_config_json() {
        let config = DockerConfig::parse(r#"{"auths":{"r:5000":{"auth":"dTpw"}}}"#).unwrap();
        assert!(config.is_auths_format());
        assert!(!format!("{config:?}").contains("dTpw"));
        let home = config.materialize().unwrap();
        let file = home.path().join(".docker/config.json");
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains("dTpw"));
        assert!(!home.path().join(".dockercfg").exists());
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(home.path()), 0o700);
        assert_eq!(mode(&file), 0o600);
        let path = home.path().to_path_buf();
        drop(home);
        assert!(!path.exists(), "temporary HOME must be removed");
    }

    #[test]
    fn old_format_goes_to_dockercfg_and_config_json() {
        let config = DockerConfig::parse(r#"{"r:5000":{"auth":"dTpw","email":""}}"#).unwrap();
        let home = config.materialize().unwrap();
        let old: Value =
            serde_json::from_slice(&std::fs::read(home.path().join(".dockercfg")).unwrap())
                .unwrap();
        assert_eq!(old["r:5000"]["auth"], "dTpw");
        let new: Value = serde_json::from_slice(
            &std::fs::read(home.path().join(".docker/config.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(new["auths"]["r:5000"]["auth"], "dTpw");
    }

    #[test]
    fn path_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cfg.json");
        std::fs::write(&file, r#"{"auths":{}}"#).unwrap();
        assert!(DockerConfig::parse(file.to_str().unwrap())
            .unwrap()
            .is_auths_format());
        assert!(DockerConfig::parse(&format!("file://{}", file.display())).is_ok());
        let err = DockerConfig::parse("/no/such/file").unwrap_err();
        assert!(
            err.to_string()
                .contains("Failed to read docker config file"),
            "{err}"
        );
        let err = DockerConfig::parse(r#"{"auths": "secret-stuff"#).unwrap_err();
        assert!(!err.to_string().contains("secret-stuff"), "{err}");
        assert!(err.to_string().contains("not valid JSON"), "{err}");
        let err = DockerConfig::parse("[1]").unwrap_err();
        assert!(err.to_string().contains("must be a JSON object"), "{err}");
    }

    #[test]
    fn sandbox_config_wins() {
        let sandbox = tempfile::tempdir().unwrap();
        let home = DockerConfig::parse("{}").unwrap().materialize().unwrap();
        assert_eq!(pull_home(sandbox.path(), Some(&home)), home.path());
        assert_eq!(pull_home(sandbox.path(), None), sandbox.path());
        std::fs::write(sandbox.path().join(".dockercfg"), "{}").unwrap();
        assert_eq!(pull_home(sandbox.path(), Some(&home)), sandbox.path());
    }
}
