//! Fixtures prepared by `scripts/setup` for the integration tests, and small helpers to use
//! them. Tests that need Docker call [`require_docker`] first: it fails the test with a clear
//! message (never skips it) when the daemon does not answer, because `scripts/test` always
//! starts one.

pub mod archive;
pub mod docker_proxy;
pub mod http;

use std::io::Read;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Podman's Docker-compatible service, started by `scripts/setup`, holding [`BUSYBOX_IMAGE`].
pub const PODMAN_SOCKET: &str = "/run/mesos-test-podman.sock";

/// Plain busybox image (from Debian's busybox-static): no ENTRYPOINT, `CMD ["/bin/sh"]`.
pub const BUSYBOX_IMAGE: &str = "mesos-test/busybox:latest";
/// Busybox image with `ENTRYPOINT ["/bin/echo", "entrypoint"]` and `CMD ["default-cmd"]`.
pub const ENTRYPOINT_IMAGE: &str = "mesos-test/entrypoint:latest";
/// FROM-scratch image holding only the static `mesos-example-executor` (crates/example-executor)
/// as its ENTRYPOINT, plus `/tmp`: a custom executor for the image-as-executor path.
pub const EXAMPLE_EXECUTOR_IMAGE: &str = "mesos-test/example-executor:latest";

/// The open registry (no auth) on loopback.
pub const OPEN_REGISTRY: &str = "127.0.0.1:5000";
/// The htpasswd-protected registry on loopback.
pub const AUTH_REGISTRY: &str = "127.0.0.1:5001";
/// Credentials of [`AUTH_REGISTRY`]; test-only, never used anywhere else.
pub const AUTH_USER: &str = "mesos-test";
pub const AUTH_PASSWORD: &str = "mesos-test-password";

/// [`BUSYBOX_IMAGE`] as pushed to the open registry.
pub fn open_registry_image() -> String {
    format!("{OPEN_REGISTRY}/mesos-test/busybox:latest")
}

/// [`BUSYBOX_IMAGE`] as pushed to the auth registry (pull needs [`AUTH_USER`]).
pub fn auth_registry_image() -> String {
    format!("{AUTH_REGISTRY}/mesos-test/private:latest")
}

/// A docker config JSON (`{"auths": {...}}`) holding the auth registry's credentials.
pub fn auth_docker_config_json() -> String {
    let token = base64(&format!("{AUTH_USER}:{AUTH_PASSWORD}"));
    format!(r#"{{"auths":{{"{AUTH_REGISTRY}":{{"auth":"{token}"}}}}}}"#)
}

/// A fresh name with the given prefix, unique across concurrently running tests.
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

/// Panics with a clear message unless `docker info` answers within 10 seconds.
pub fn require_docker() {
    let ok = Command::new("timeout")
        .args(["10", "docker", "info", "--format", "{{.ServerVersion}}"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "no Docker daemon answers: run scripts/setup (it installs docker.io and starts dockerd)"
    );
}

/// Runs `docker <args>` and returns its stdout; panics with docker's stderr on failure.
pub fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("spawn docker");
    assert!(
        out.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether a container with exactly this name exists (running or not).
pub fn container_exists(name: &str) -> bool {
    Command::new("docker")
        .args(["inspect", "--type=container", name])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Removes the named container when dropped, so a failing test leaks nothing.
pub struct ContainerGuard(pub String);

impl Drop for ContainerGuard {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["rm", "-f", "-v", &self.0])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Waits for `child` and collects its output, killing it if it outlives `limit`: a hung
/// command fails its test with what it printed instead of hanging the suite. Its pipes are
/// drained while it runs, so a chatty child never blocks on a full pipe.
pub fn wait_bounded(mut child: Child, limit: Duration) -> Output {
    fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut buf);
            }
            buf
        })
    }
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for a child") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the command did not finish within {limit:?}; stdout: {}; stderr: {}",
                String::from_utf8_lossy(&stdout.join().unwrap_or_default()),
                String::from_utf8_lossy(&stderr.join().unwrap_or_default())
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

fn base64(input: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet() {
        assert_eq!(
            base64("mesos-test:mesos-test-password"),
            "bWVzb3MtdGVzdDptZXNvcy10ZXN0LXBhc3N3b3Jk"
        );
        assert_eq!(base64("a"), "YQ==");
        assert_eq!(base64("ab"), "YWI=");
    }
}
