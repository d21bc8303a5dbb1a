//! `docker stop -t <secs> <name>`: the timeout in whole seconds, as Mesos gives it.

use mesos_types::duration::Duration as MesosDuration;
use std::time::Duration;

use crate::error::{DockerError, ObjectKind, Result};
use crate::process::{CliCall, Docker};

impl Docker {
    /// `docker stop -t <whole seconds> <name>`: SIGTERM (or the image's stop signal), then
    /// SIGKILL after `timeout`. The timeout is truncated to whole seconds like Mesos does;
    /// a negative one is rejected. The call itself is bounded by `timeout` plus
    /// [`crate::Timeouts::stop_slack`]. A missing container is [`DockerError::NotFound`].
    ///
    /// Unlike Mesos's `stop(remove=true)` this never removes: call [`Docker::rm`] after.
    pub async fn stop(&self, name: &str, timeout: impl Into<MesosDuration>) -> Result<()> {
        let timeout = timeout.into();
        if timeout.is_negative() {
            return Err(DockerError::invalid(
                "stop_timeout",
                timeout.to_string(),
                format!("A negative timeout cannot be applied to docker stop: {timeout}"),
            ));
        }
        let secs = timeout.to_std().as_secs();
        let limit = Duration::from_secs(secs) + self.timeouts().stop_slack;
        let call = CliCall::new(
            "stop",
            [
                "stop".to_string(),
                "-t".into(),
                secs.to_string(),
                name.into(),
            ],
            limit,
        )
        .target(ObjectKind::Container, name);
        self.checked(call).await.map(drop)
    }
}
