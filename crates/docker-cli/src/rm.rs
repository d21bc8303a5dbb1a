//! `docker rm [-f] -v <name>`: `-v` always (anonymous volumes go too), `-f` on request.

use crate::error::{ObjectKind, Result};
use crate::process::{CliCall, Docker};

impl Docker {
    /// `docker rm [-f] -v <name>`: `-v` always (anonymous volumes go with the container),
    /// `-f` when `force` (kills a running container first). A missing container is
    /// [`crate::DockerError::NotFound`] without `force`; with `force` docker itself reports
    /// success, so forced removal is idempotent.
    pub async fn rm(&self, name: &str, force: bool) -> Result<()> {
        let mut args = vec!["rm".to_string()];
        if force {
            args.push("-f".into());
        }
        args.push("-v".into());
        args.push(name.into());
        let call = CliCall::new("rm", args, self.timeouts().rm).target(ObjectKind::Container, name);
        self.checked(call).await.map(drop)
    }
}
