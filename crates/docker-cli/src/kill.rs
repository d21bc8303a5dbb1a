//! `docker kill --signal=<n> <name>`, the signal by number as Mesos gives it.

use crate::error::{ObjectKind, Result};
use crate::process::{CliCall, Docker};

impl Docker {
    /// `docker kill --signal=<signal> <name>`, with the signal as a number (`15`, `9`)
    /// as Mesos passes it. A missing container is [`crate::DockerError::NotFound`].
    pub async fn kill(&self, name: &str, signal: i32) -> Result<()> {
        let call = CliCall::new(
            "kill",
            [
                "kill".to_string(),
                format!("--signal={signal}"),
                name.to_string(),
            ],
            self.timeouts().kill,
        )
        .target(ObjectKind::Container, name);
        self.checked(call).await.map(drop)
    }
}
