//! `run`: one task through the whole path — sandbox and checkpoint, fetch, pull, an agent
//! endpoint on an ephemeral loopback port, `mesos-docker-executor`, status updates until the
//! task ends — then clean up and report the exit code. The work is the containerizer's
//! ([`DockerContainerizer`]), with one container on a private endpoint.

use crate::docker_containerizer::{ContainerizerConfig, DockerContainerizer};
use crate::launch::context::{RunContext, RunError};
use crate::status_line;
use crate::task::prepare::LaunchSpec;
use agent_endpoint::{AgentEndpoint, EndpointConfig};
use mesos_types::status::{Reason, TaskStatus};
use std::io::Write;
use tokio::signal::unix::{signal, SignalKind};

/// How status updates are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Human,
    Json,
}

/// Runs the task of `spec` to its end and returns the exit code. Errors before the container
/// ran are returned as [`RunError`] (exit code 125); everything after is a status update.
pub async fn run(ctx: &RunContext, spec: LaunchSpec, output: Output) -> Result<i32, RunError> {
    // The agent endpoint, on an ephemeral loopback port.
    let mut config = EndpointConfig::new(std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
    config.agent_info = serde_json::json!({ "id": { "value": ctx.agent_id.value } });
    let (endpoint, events) = AgentEndpoint::bind(config)
        .await
        .map_err(|e| RunError::Endpoint(e.to_string()))?;
    let cz = DockerContainerizer::new(
        ctx.clone(),
        endpoint.clone(),
        events,
        ContainerizerConfig {
            checkpoint: false,
            remove_delay: std::time::Duration::ZERO,
            show_progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        },
    );
    // Every update is printed, a launch failure's too: a script reading `--json` sees the
    // TASK_FAILED a framework would get; the error line on stderr and exit code 125 follow.
    cz.on_update(move |update| print_status(&update.status, output));
    let container = cz.launch(spec).await?;
    let cid = container.id.clone();

    let mut sigint =
        signal(SignalKind::interrupt()).map_err(|e| RunError::Endpoint(e.to_string()))?;
    let mut sigterm =
        signal(SignalKind::terminate()).map_err(|e| RunError::Endpoint(e.to_string()))?;
    let mut kills_requested = 0u32;
    let termination = loop {
        tokio::select! {
            termination = container.wait() => break termination,
            _ = async { tokio::select! { _ = sigint.recv() => {}, _ = sigterm.recv() => {} } } => {
                kills_requested += 1;
                if kills_requested == 1 {
                    eprintln!("killing the task (again to force)");
                    cz.kill(&cid, None);
                } else {
                    eprintln!("forcing: stopping the executor and removing the container");
                    cz.force_kill(&cid);
                }
            }
        }
    };
    endpoint.shutdown().await;
    if termination.reason.as_deref() == Some(Reason::ContainerLaunchFailed.as_str()) {
        return Err(RunError::Launch(termination.message.unwrap_or_default()));
    }
    Ok(termination.exit_code)
}

fn print_status(status: &TaskStatus, output: Output) {
    let line = match output {
        Output::Human => status_line::human(status),
        Output::Json => status_line::json_line(status),
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}
