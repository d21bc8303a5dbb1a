//! Registry credentials for `docker pull`: the agent flag `--docker_config`, or a docker
//! config fetched into the sandbox, turned into a private temporary HOME, and the choice
//! between them (docs/private-registries.md).

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
    /// Read from a `config.json`: written back as one, whatever its keys (`credsStore`,
    /// `credHelpers` and no `auths` is a valid `config.json` too).
    config_json: bool,
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
            Ok(Value::Object(json)) => Ok(DockerConfig {
                json,
                config_json: false,
            }),
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

    /// The docker config fetched into `sandbox`, if any: `.docker/config.json` when it
    /// exists (the file the docker CLI reads first), else `.dockercfg`. Errors name the
    /// file and the position in it, never its content.
    pub fn from_sandbox(sandbox: &Path) -> Result<Option<DockerConfig>> {
        let candidates = [
            (Path::new(".docker/config.json"), true),
            (Path::new(".dockercfg"), false),
        ];
        let Some((relative, config_json)) = candidates
            .into_iter()
            .find(|(relative, _)| sandbox.join(relative).is_file())
        else {
            return Ok(None);
        };
        let path = sandbox.join(relative);
        let field = format!("{} in the sandbox", relative.display());
        let shown = path.display().to_string();
        // A symlink (an archive can leave one) must not lend the task credentials of the
        // host, e.g. the agent's own `~/.docker/config.json`.
        let inside = match (path.canonicalize(), sandbox.canonicalize()) {
            (Ok(real), Ok(root)) => real.starts_with(root),
            _ => false,
        };
        if !inside {
            return Err(DockerError::invalid(
                &field,
                &shown,
                format!(
                    "'{shown}' leads out of the sandbox (a symlink); fetch the docker config \
                     itself"
                ),
            ));
        }
        let text = mesos_types::input::read_input_file(&path).map_err(|e| {
            DockerError::invalid(
                &field,
                &shown,
                format!("Failed to read docker config file '{shown}': {e}"),
            )
        })?;
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(json)) => Ok(Some(DockerConfig { json, config_json })),
            Ok(_) => Err(DockerError::invalid(
                &field,
                &shown,
                "the docker config must be a JSON object; fix the file its URI points to",
            )),
            Err(e) => Err(DockerError::invalid(
                &field,
                &shown,
                format!(
                    "the docker config is not valid JSON (line {}, column {}); fix the file its \
                     URI points to",
                    e.line(),
                    e.column()
                ),
            )),
        }
    }

    /// True when the JSON has a top-level `auths` object (the `config.json` format) or was
    /// read from a `config.json`; otherwise it is the old `.dockercfg` format.
    pub fn is_auths_format(&self) -> bool {
        self.config_json || self.json.get("auths").is_some_and(Value::is_object)
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

/// The credentials of a pull for a task (docs/private-registries.md): a docker config fetched into the
/// sandbox wins over `flag` (`--docker_config`). Either is written into a private temporary
/// HOME ([`DockerConfig::materialize`]) rather than used in place: the sandbox is not
/// private, and a `.dockercfg` there is not read by docker CLIs from 28 on. `None`: there
/// are no credentials (pull with the sandbox as HOME, as Mesos does).
pub fn pull_credentials(
    sandbox: &Path,
    flag: Option<&DockerConfig>,
) -> Result<Option<DockerConfigHome>> {
    let fetched = DockerConfig::from_sandbox(sandbox)?;
    match fetched.as_ref().or(flag) {
        Some(config) => config.materialize().map(Some),
        None => Ok(None),
    }
}

/// The HOME of a pull given its credentials ([`pull_credentials`]): their private
/// directory, else the sandbox.
pub fn pull_home(sandbox: &Path, credentials: Option<&DockerConfigHome>) -> PathBuf {
    match credentials {
        Some(home) => home.path().to_path_buf(),
        None => sandbox.to_path_buf(),
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

    fn read_json(path: &Path) -> Value {
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    #[test]
    fn sandbox_config_wins_and_is_copied_into_a_private_home() {
        let sandbox = tempfile::tempdir().unwrap();
        let flag = DockerConfig::parse(r#"{"auths":{"flag:5000":{"auth":"ZmxhZw=="}}}"#).unwrap();
        let home = pull_credentials(sandbox.path(), Some(&flag))
            .unwrap()
            .unwrap();
        assert_ne!(home.path(), sandbox.path());
        assert_eq!(pull_home(sandbox.path(), Some(&home)), home.path());
        let json = read_json(&home.path().join(".docker/config.json"));
        assert_eq!(json["auths"]["flag:5000"]["auth"], "ZmxhZw==");
        assert!(pull_credentials(sandbox.path(), None).unwrap().is_none());
        assert_eq!(pull_home(sandbox.path(), None), sandbox.path());

        // A fetched `.dockercfg` wins, and reaches the CLI as `.docker/config.json` too.
        std::fs::write(
            sandbox.path().join(".dockercfg"),
            r#"{"box:5001":{"auth":"Ym94","email":""}}"#,
        )
        .unwrap();
        let home = pull_credentials(sandbox.path(), Some(&flag))
            .unwrap()
            .unwrap();
        let json = read_json(&home.path().join(".docker/config.json"));
        assert_eq!(json["auths"]["box:5001"]["auth"], "Ym94");
        assert!(json["auths"].get("flag:5000").is_none());
        assert_eq!(
            read_json(&home.path().join(".dockercfg"))["box:5001"]["auth"],
            "Ym94"
        );
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(home.path()), 0o700);
        assert_eq!(mode(&home.path().join(".docker/config.json")), 0o600);

        // A fetched `.docker/config.json` wins over a `.dockercfg`, copied as it is (a
        // credential helper and no `auths` included).
        std::fs::create_dir(sandbox.path().join(".docker")).unwrap();
        std::fs::write(
            sandbox.path().join(".docker/config.json"),
            r#"{"credHelpers":{"box:5001":"pass"}}"#,
        )
        .unwrap();
        let home = pull_credentials(sandbox.path(), None).unwrap().unwrap();
        let json = read_json(&home.path().join(".docker/config.json"));
        assert_eq!(
            json,
            serde_json::json!({"credHelpers": {"box:5001": "pass"}})
        );
        assert!(!home.path().join(".dockercfg").exists());
        let path = home.path().to_path_buf();
        drop(home);
        assert!(!path.exists(), "the private HOME must be removed");
    }

    #[test]
    fn a_sandbox_config_linking_out_of_the_sandbox_is_refused() {
        let sandbox = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("config.json"), r#"{"auths":{}}"#).unwrap();
        std::os::unix::fs::symlink(outside.path(), sandbox.path().join(".docker")).unwrap();
        let err = pull_credentials(sandbox.path(), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("leads out of the sandbox"), "{err}");
    }

    #[test]
    fn a_bad_sandbox_config_is_named_without_its_content() {
        let sandbox = tempfile::tempdir().unwrap();
        std::fs::write(
            sandbox.path().join(".dockercfg"),
            r#"{"r": {"auth": "c2VjcmV0"#,
        )
        .unwrap();
        let err = pull_credentials(sandbox.path(), None)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with(".dockercfg in the sandbox: "), "{err}");
        assert!(err.contains("not valid JSON (line 1, column"), "{err}");
        assert!(!err.contains("c2VjcmV0"), "{err}");
        std::fs::write(sandbox.path().join(".dockercfg"), "[]").unwrap();
        let err = pull_credentials(sandbox.path(), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("must be a JSON object"), "{err}");
    }
}
