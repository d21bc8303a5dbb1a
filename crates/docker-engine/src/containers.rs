//! Container verbs of the Engine API, each bounded in time like the CLI call it replaces.

use crate::http::{bounded, call, error_message, read_body, segment, send};
use crate::{Engine, START_TIMEOUT};
use docker_cli::{Container, DockerError, ObjectKind};
use hyper::body::Incoming;
use hyper::Method;
use std::path::PathBuf;
use std::time::Duration;

impl Engine {
    /// `GET /containers/{id}/json`: the container as `docker inspect` shows it.
    pub async fn inspect_container(&self, container: &str) -> Result<Container, DockerError> {
        let op = format!("inspect container {container}");
        let path = format!("/containers/{}/json", segment(container));
        let (status, body) = bounded(
            &op,
            self.timeouts.inspect,
            call(&self.socket, Method::GET, &path, None, &op),
        )
        .await?;
        expect(&op, container, status, &body, &[200])?;
        let value: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| DockerError::parse("inspect", format!("not JSON: {e}")))?;
        Container::from_inspect(value)
    }

    /// `POST /containers/{id}/start`. Starting a running container is not an error.
    pub async fn start(&self, container: &str) -> Result<(), DockerError> {
        let op = format!("start container {container}");
        let path = format!("/containers/{}/start", segment(container));
        let (status, body) = bounded(
            &op,
            START_TIMEOUT,
            call(&self.socket, Method::POST, &path, None, &op),
        )
        .await?;
        expect(&op, container, status, &body, &[204, 304])
    }

    /// `POST /containers/{id}/stop?t=<grace>`: SIGTERM (or the image's stop signal), then
    /// SIGKILL after `grace`. Bounded by `grace` plus the stop slack. Stopping a stopped
    /// container is not an error.
    pub async fn stop(&self, container: &str, grace: Duration) -> Result<(), DockerError> {
        let op = format!("stop container {container}");
        // Docker takes whole seconds; round up so the grace is never shorter than asked.
        let secs = grace.as_secs() + u64::from(grace.subsec_nanos() > 0);
        let path = format!("/containers/{}/stop?t={secs}", segment(container));
        let (status, body) = bounded(
            &op,
            Duration::from_secs(secs) + self.timeouts.stop_slack,
            call(&self.socket, Method::POST, &path, None, &op),
        )
        .await?;
        expect(&op, container, status, &body, &[204, 304])
    }

    /// `POST /containers/{id}/kill?signal=<signal>`.
    pub async fn kill(&self, container: &str, signal: &str) -> Result<(), DockerError> {
        let op = format!("kill container {container}");
        let path = format!(
            "/containers/{}/kill?signal={}",
            segment(container),
            segment(signal)
        );
        let (status, body) = bounded(
            &op,
            self.timeouts.kill,
            call(&self.socket, Method::POST, &path, None, &op),
        )
        .await?;
        expect(&op, container, status, &body, &[204])
    }

    /// `DELETE /containers/{id}?v=1`: removes the container and its anonymous volumes;
    /// `force` kills it first if it runs. A missing container is [`DockerError::NotFound`].
    pub async fn remove(&self, container: &str, force: bool) -> Result<(), DockerError> {
        let op = format!("remove container {container}");
        let path = format!("/containers/{}?v=1&force={force}", segment(container));
        let (status, body) = bounded(
            &op,
            self.timeouts.rm,
            call(&self.socket, Method::DELETE, &path, None, &op),
        )
        .await?;
        expect(&op, container, status, &body, &[204])
    }

    /// `POST /containers/{id}/wait?condition=next-exit`, returned once the daemon has
    /// registered the wait (its answer's head has arrived): an exit after this returns is
    /// never missed, so call it before starting the container. [`ExitWait::exit_code`]
    /// then waits, unbounded, for the exit.
    pub async fn wait_next_exit(&self, container: &str) -> Result<ExitWait, DockerError> {
        self.register_wait(container, "next-exit").await
    }

    /// The exit code of `container` once it is not running (at once for a stopped one),
    /// bounded by `timeout`: [`DockerError::Timeout`] when it still runs then.
    pub async fn wait(&self, container: &str, timeout: Duration) -> Result<i32, DockerError> {
        let op = format!("wait for container {container}");
        bounded(&op, timeout, async {
            self.register_wait(container, "not-running")
                .await?
                .exit_code()
                .await
        })
        .await
    }

    async fn register_wait(
        &self,
        container: &str,
        condition: &str,
    ) -> Result<ExitWait, DockerError> {
        let op = format!("wait for container {container}");
        let path = format!(
            "/containers/{}/wait?condition={condition}",
            segment(container)
        );
        let response = bounded(
            &op,
            self.timeouts.inspect,
            send(&self.socket, Method::POST, &path, None, &op),
        )
        .await?;
        let status = response.status().as_u16();
        if status != 200 {
            let body = read_body(response.into_body(), &self.socket, &op).await?;
            return Err(expect(&op, container, status, &body, &[200]).unwrap_err());
        }
        Ok(ExitWait {
            body: response.into_body(),
            socket: self.socket.to_path_buf(),
            op,
        })
    }
}

/// A wait the daemon has registered; its answer comes when the container exits.
#[derive(Debug)]
pub struct ExitWait {
    body: Incoming,
    socket: PathBuf,
    op: String,
}

impl ExitWait {
    /// The container's exit code, once it has exited. Unbounded: bound it where a bound
    /// makes sense. A broken connection (the daemon stopped or restarted) is
    /// [`DockerError::Unreachable`]: the container may still run.
    pub async fn exit_code(self) -> Result<i32, DockerError> {
        let body = read_body(self.body, &self.socket, &self.op).await?;
        parse_wait_answer(&self.op, &body)
    }
}

/// The exit code from the wait answer (`{"StatusCode": N, "Error": {"Message": ...}}`).
fn parse_wait_answer(op: &str, body: &[u8]) -> Result<i32, DockerError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        DockerError::parse("wait", format!("the answer to '{op}' is not JSON: {e}"))
    })?;
    let error = value
        .pointer("/Error/Message")
        .and_then(|m| m.as_str())
        .filter(|m| !m.is_empty());
    if let Some(message) = error {
        return Err(DockerError::Api {
            op: op.to_string(),
            status: 200,
            message: error_message(
                serde_json::json!({ "message": message })
                    .to_string()
                    .as_bytes(),
            ),
        });
    }
    value
        .get("StatusCode")
        .and_then(|c| c.as_i64())
        .and_then(|c| i32::try_from(c).ok())
        .ok_or_else(|| {
            DockerError::parse(
                "wait",
                format!("the answer to '{op}' has no StatusCode: {value}"),
            )
        })
}

/// `Ok` for an expected status; 404 is [`DockerError::NotFound`]; anything else
/// [`DockerError::Api`] with the daemon's message.
fn expect(
    op: &str,
    container: &str,
    status: u16,
    body: &[u8],
    ok: &[u16],
) -> Result<(), DockerError> {
    if ok.contains(&status) {
        return Ok(());
    }
    let message = error_message(body);
    // The daemon answers 404 for any missing object: only a missing container is
    // NotFound here (a start can fail with "network x not found").
    if status == 404 && is_missing_container(&message) {
        return Err(DockerError::NotFound {
            kind: ObjectKind::Container,
            name: container.to_string(),
        });
    }
    Err(DockerError::Api {
        op: op.to_string(),
        status,
        message,
    })
}

/// Docker's words for a container that does not exist (`No such container: x`), and
/// podman's (`no container with name or ID "x" found: no such container`).
pub(crate) fn is_missing_container(message: &str) -> bool {
    message.to_ascii_lowercase().contains("no such container")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_answer_gives_the_exit_code_or_the_daemons_error() {
        assert_eq!(
            parse_wait_answer("w", br#"{"StatusCode":3,"Error":null}"#).unwrap(),
            3
        );
        assert_eq!(
            parse_wait_answer("w", br#"{"StatusCode":137,"Error":{"Message":""}}"#).unwrap(),
            137
        );
        let err = parse_wait_answer("w", br#"{"StatusCode":-1,"Error":{"Message":"boom"}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("boom"), "{err}");
        assert!(parse_wait_answer("w", b"{}").is_err());
        assert!(parse_wait_answer("w", b"nope").is_err());
    }

    #[test]
    fn statuses_map_to_typed_errors() {
        assert!(expect("op", "c", 204, b"", &[204]).is_ok());
        let missing = br#"{"message":"No such container: c"}"#;
        assert!(expect("op", "c", 404, missing, &[204])
            .unwrap_err()
            .is_not_found());
        let podman =
            br#"{"message":"no container with name or ID \"c\" found: no such container"}"#;
        assert!(expect("op", "c", 404, podman, &[204])
            .unwrap_err()
            .is_not_found());
        // Any other missing thing is the daemon's refusal, not a missing container.
        let network = br#"{"message":"network n not found"}"#;
        let err = expect("op", "c", 404, network, &[204]).unwrap_err();
        assert!(matches!(err, DockerError::Api { status: 404, .. }), "{err}");
        let err = expect("op", "c", 409, br#"{"message":"in use"}"#, &[204]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Docker daemon refused op: in use (HTTP 409)"
        );
    }
}
