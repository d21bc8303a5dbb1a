//! Image inspect (Mesos's `Image::create`), reading `Config.*` first and falling back to
//! `ContainerConfig.*` (Docker 26+ and BuildKit images no longer have the latter, which
//! breaks Mesos 1.11).

use serde_json::Value;

use crate::error::{DockerError, ObjectKind, Result};
use crate::process::{CliCall, Docker};

/// What we need of an image: its default entrypoint, command and environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// `Id` (`sha256:...`) when docker reports it.
    pub id: Option<String>,
    /// `Entrypoint`; `None` when unset or empty.
    pub entrypoint: Option<Vec<String>>,
    /// `Cmd`; `None` when unset or empty.
    pub cmd: Option<Vec<String>>,
    /// `Env` split on the first `=`, in image order; `None` when unset or empty.
    pub env: Option<Vec<(String, String)>>,
    /// The whole inspect object.
    pub raw: Value,
}

impl Image {
    /// Parses the stdout of an image inspect: a JSON array of exactly one object.
    pub fn from_inspect_output(stdout: &[u8]) -> Result<Image> {
        let value: Value = serde_json::from_slice(stdout)
            .map_err(|e| DockerError::parse("image inspect", format!("not JSON: {e}")))?;
        match value {
            Value::Array(mut items) if items.len() == 1 => Image::from_inspect(items.remove(0)),
            _ => Err(DockerError::parse(
                "image inspect",
                "Failed to find image: expected an array of one object",
            )),
        }
    }

    /// Builds an image from one inspect object.
    pub fn from_inspect(raw: Value) -> Result<Image> {
        let entrypoint = string_list(&raw, "Entrypoint")?;
        let cmd = string_list(&raw, "Cmd")?;
        let env = match config_field(&raw, "Env") {
            Some((section, Value::Array(items))) => {
                let mut env: Vec<(String, String)> = Vec::with_capacity(items.len());
                for item in items {
                    let text = item.as_str().unwrap_or_default();
                    let (name, value) = text.split_once('=').ok_or_else(|| {
                        DockerError::parse(
                            "image inspect",
                            format!("Unexpected Env format for '{section}.Env'"),
                        )
                    })?;
                    if env.iter().any(|(n, _)| n == name) {
                        return Err(DockerError::parse(
                            "image inspect",
                            format!("Unexpected duplicate environment variables '{name}'"),
                        ));
                    }
                    env.push((name.to_string(), value.to_string()));
                }
                Some(env).filter(|e| !e.is_empty())
            }
            _ => None,
        };
        Ok(Image {
            id: raw.get("Id").and_then(Value::as_str).map(str::to_string),
            entrypoint,
            cmd,
            env,
            raw,
        })
    }
}

/// `Config.<key>` when `Config` has the key (even `null`), else `ContainerConfig.<key>`.
fn config_field<'a>(raw: &'a Value, key: &str) -> Option<(&'static str, &'a Value)> {
    ["Config", "ContainerConfig"]
        .into_iter()
        .find_map(|section| {
            raw.get(section)
                .and_then(|s| s.get(key))
                .map(|value| (section, value))
        })
}

fn string_list(raw: &Value, key: &str) -> Result<Option<Vec<String>>> {
    match config_field(raw, key) {
        None | Some((_, Value::Null)) => Ok(None),
        Some((_, Value::Array(items))) => Ok(Some(
            items
                .iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect::<Vec<_>>(),
        )
        .filter(|l| !l.is_empty())),
        // Very old images stored a shell-form string.
        Some((_, Value::String(s))) => Ok(Some(vec![s.clone()])),
        Some((section, _)) => Err(DockerError::parse(
            "image inspect",
            format!("Unexpected type of '{section}.{key}'"),
        )),
    }
}

impl Docker {
    /// `docker inspect --type=image <image>`; a missing image is [`DockerError::NotFound`].
    ///
    /// Mesos omits `--type=image`, so a container named like the image would be found
    /// instead; `--type` exists since Docker 1.8, our minimum.
    pub async fn inspect_image(&self, image: &str) -> Result<Image> {
        let call = CliCall::new(
            "image inspect",
            // `--`: an image is never taken for an option, whatever it is called.
            ["inspect", "--type=image", "--", image],
            self.timeouts().image_inspect,
        )
        .target(ObjectKind::Image, image);
        let output = self.checked(call).await?;
        Image::from_inspect_output(&output.stdout)
    }
}

/// Appends `:latest` when the last `/`-separated segment has no `:`, as Mesos does:
/// `localhost:5000/foo` → `localhost:5000/foo:latest`; `foo@sha256:..` stays.
pub fn normalize_image(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    if last.contains(':') {
        image.to_string()
    } else {
        format!("{image}:latest")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tag_normalisation() {
        assert_eq!(normalize_image("busybox"), "busybox:latest");
        assert_eq!(normalize_image("busybox:1"), "busybox:1");
        assert_eq!(
            normalize_image("localhost:5000/foo"),
            "localhost:5000/foo:latest"
        );
        assert_eq!(
            normalize_image("localhost:5000/foo:2"),
            "localhost:5000/foo:2"
        );
        assert_eq!(normalize_image("foo@sha256:abc"), "foo@sha256:abc");
    }

    #[test]
    fn config_first_then_container_config() {
        let img = Image::from_inspect(json!({
            "Id": "sha256:1",
            "Config": {"Entrypoint": ["/bin/echo", "entrypoint"], "Cmd": ["x"], "Env": ["PATH=/bin", "A=b=c"]},
            "ContainerConfig": {"Entrypoint": ["/old"], "Env": []}
        }))
        .unwrap();
        assert_eq!(
            img.entrypoint,
            Some(vec!["/bin/echo".into(), "entrypoint".into()])
        );
        assert_eq!(img.cmd, Some(vec!["x".into()]));
        assert_eq!(
            img.env,
            Some(vec![
                ("PATH".into(), "/bin".into()),
                ("A".into(), "b=c".into())
            ])
        );

        // Docker < 26 with an empty Config: ContainerConfig is used.
        let img = Image::from_inspect(json!({
            "ContainerConfig": {"Entrypoint": ["/old"], "Env": null}
        }))
        .unwrap();
        assert_eq!(img.entrypoint, Some(vec!["/old".into()]));
        assert_eq!(img.env, None);

        // Docker 26+: no ContainerConfig at all, null entrypoint.
        let img =
            Image::from_inspect(json!({"Config": {"Entrypoint": null, "Env": ["A=1"]}})).unwrap();
        assert_eq!(img.entrypoint, None);
        assert_eq!(img.env, Some(vec![("A".into(), "1".into())]));
    }

    #[test]
    fn env_errors() {
        let err = Image::from_inspect(json!({"Config": {"Env": ["NOEQUALS"]}})).unwrap_err();
        assert!(
            err.to_string()
                .contains("Unexpected Env format for 'Config.Env'"),
            "{err}"
        );
        let err = Image::from_inspect(json!({"Config": {"Env": ["A=1", "A=2"]}})).unwrap_err();
        assert!(
            err.to_string()
                .contains("duplicate environment variables 'A'"),
            "{err}"
        );
        let err = Image::from_inspect_output(b"[]").unwrap_err();
        assert!(err.to_string().contains("Failed to find image"), "{err}");
    }
}
