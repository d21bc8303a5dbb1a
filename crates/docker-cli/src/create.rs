//! `docker create`: the container exactly as `docker run` would make it, without a client
//! staying attached. Whatever follows (attach, start, wait) goes through the Engine API.
//!
//! Creating with the CLI rather than the API keeps every `docker run` option working as
//! docker itself parses it, `DockerInfo.parameters` included: translating them all into API
//! fields would be a second docker CLI to maintain.

use std::time::Duration;

use tracing::info;

use crate::error::Result;
use crate::process::{CliCall, Docker};
use crate::redact::display_argv;
use crate::run_options::RunCommand;

/// Options only a `docker run` client acts on; `docker create` refuses them, and without a
/// client attached they mean nothing.
const RUN_CLIENT_ONLY: &[&str] = &["sig-proxy", "detach-keys"];

impl RunCommand {
    /// The `docker create` arguments of this `docker run`: `create` for `run`, without
    /// the options only a `docker run` client acts on (`--sig-proxy`, `--detach-keys`).
    pub fn create_args(&self) -> Vec<String> {
        let mut args = Vec::with_capacity(self.args.len());
        let mut options_end = false;
        for (i, arg) in self.args.iter().enumerate() {
            if i == 0 && arg == "run" {
                args.push("create".to_string());
                continue;
            }
            if arg == "--" {
                options_end = true;
            }
            let client_only = !options_end
                && RUN_CLIENT_ONLY.iter().any(|o| {
                    arg.strip_prefix("--")
                        .and_then(|a| a.strip_prefix(o))
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('='))
                });
            if !client_only {
                args.push(arg.clone());
            }
        }
        args
    }
}

impl Docker {
    /// `docker create` for `command`: returns the new container's id. Bounded by `timeout`
    /// (the CLI is killed after it; a container may then exist under the command's name).
    /// A refusal (an option docker rejects, a name in use, an unknown network) is
    /// [`DockerError::Failed`] with docker's stderr, exit code 125 as `docker run` gives.
    pub async fn create(&self, command: &RunCommand, timeout: Duration) -> Result<String> {
        let args = command.create_args();
        info!(argv = %display_argv(&self.argv(&args)), env = ?command.env_names(), "docker create");
        let call = CliCall::new("create", args, timeout).env(command.env.clone());
        let output = self.checked(call).await?;
        crate::run::created_id(&output.stdout, "create")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(args: &[&str]) -> RunCommand {
        RunCommand {
            args: args.iter().map(|a| a.to_string()).collect(),
            env: Vec::new(),
            image: "img".into(),
            name: "mesos-c".into(),
        }
    }

    #[test]
    fn create_takes_the_run_options_but_the_clients_own() {
        let run = command(&[
            "run",
            "--memory",
            "33554432",
            "--sig-proxy=false",
            "--detach-keys=ctrl-x",
            "--sig-proxyish=1",
            "--name",
            "mesos-c",
            "--",
            "img",
            "--sig-proxy=false",
        ]);
        assert_eq!(
            run.create_args(),
            [
                "create",
                "--memory",
                "33554432",
                "--sig-proxyish=1",
                "--name",
                "mesos-c",
                "--",
                "img",
                "--sig-proxy=false"
            ]
        );
    }
}
