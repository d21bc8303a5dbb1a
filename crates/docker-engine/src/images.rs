//! `GET /images/{name}/json`: is an image present, and what is in it. Pulls stay on the CLI
//! (credential helpers, private registries); only the look before a pull comes here, so a
//! present image costs no `docker` process.

use crate::http::{bounded, call, error_message};
use crate::Engine;
use docker_cli::{DockerError, Image, ObjectKind};
use hyper::Method;

impl Engine {
    /// The image `image` as `docker inspect --type=image` shows it, bounded by the image
    /// inspect limit ([`docker_cli::Timeouts::image_inspect`]). A missing image is
    /// [`DockerError::NotFound`]. Give the name as it will be pulled (tagged: see
    /// [`docker_cli::normalize_image`]).
    pub async fn inspect_image(&self, image: &str) -> Result<Image, DockerError> {
        let op = format!("inspect image {image}");
        let path = format!("/images/{}/json", image_path(image)?);
        let (status, body) = bounded(
            &op,
            self.timeouts.image_inspect,
            call(&self.socket, Method::GET, &path, None, &op),
        )
        .await?;
        match status {
            200 => {}
            404 => {
                return Err(DockerError::NotFound {
                    kind: ObjectKind::Image,
                    name: image.to_string(),
                })
            }
            _ => {
                return Err(DockerError::Api {
                    op,
                    status,
                    message: error_message(&body),
                })
            }
        }
        let value: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| DockerError::parse("image inspect", format!("not JSON: {e}")))?;
        Image::from_inspect(value)
    }
}

/// `image` as the path part the daemon expects: its `/`, `:` and `@` as they are (the
/// daemon's route takes the rest of the path as the name, as the docker CLI sends it),
/// anything that could end the path or change its meaning percent-encoded. A name with an
/// empty, `.` or `..` component names no image and could name another route once the
/// path is cleaned: refused.
fn image_path(image: &str) -> Result<String, DockerError> {
    if image.is_empty()
        || image
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return Err(DockerError::invalid(
            "image",
            image,
            format!("'{image}' is not an image name"),
        ));
    }
    let mut out = String::with_capacity(image.len());
    for b in image.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/' | b':' | b'@')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::image_path;

    #[test]
    fn an_image_name_stays_one_name_in_the_path() {
        assert_eq!(
            image_path("127.0.0.1:5000/mesos-test/busybox:latest").unwrap(),
            "127.0.0.1:5000/mesos-test/busybox:latest"
        );
        assert_eq!(
            image_path("busybox@sha256:abc").unwrap(),
            "busybox@sha256:abc"
        );
        assert_eq!(image_path("a?b#c d%").unwrap(), "a%3Fb%23c%20d%25");
        for bad in ["", "../containers/x", "a//b", "a/./b", "/a"] {
            assert!(image_path(bad).is_err(), "{bad}");
        }
    }
}
