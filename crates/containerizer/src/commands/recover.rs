//! `recover`: reconcile the checkpoints with Docker once and print what was done. Live
//! executors are left for `serve` to re-adopt.

use crate::cli::RecoverArgs;
use crate::docker_containerizer::{ContainerizerConfig, DockerContainerizer};
use crate::flags::ContainerizerFlags;
use crate::launch::context::RunContext;
use agent_endpoint::{AgentEndpoint, EndpointConfig};
use anyhow::Context as _;

pub async fn recover(flags: ContainerizerFlags, args: RecoverArgs) -> anyhow::Result<i32> {
    let ctx = RunContext::create(flags).await?;
    let remove_delay = ctx.flags.docker_remove_delay.to_std();
    // No executor is adopted, so the endpoint never serves: it only has to exist.
    let (endpoint, events) = AgentEndpoint::detached(EndpointConfig::new(
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
    ));
    let cz = DockerContainerizer::new(
        ctx,
        endpoint,
        events,
        ContainerizerConfig {
            checkpoint: true,
            remove_delay,
            show_progress: false,
        },
    );
    let report = cz.recover(false).await.context("recovery failed")?;
    if args.output.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(0);
    }
    println!("agent {}", report.agent_id);
    for c in &report.containers {
        let action = serde_json::to_value(c.action)?;
        println!(
            "container {}: {} {}{}",
            c.container_id,
            action.as_str().unwrap_or("?"),
            c.state,
            c.message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        );
    }
    for o in &report.orphans {
        println!(
            "orphan {} ({}): {}{}",
            o.name,
            o.docker_id.get(..12).unwrap_or(&o.docker_id),
            if o.removed {
                "removed"
            } else {
                "left (--docker_kill_orphans=false)"
            },
            o.error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        );
    }
    for e in &report.errors {
        println!("error: {e}");
    }
    if report.containers.is_empty() && report.orphans.is_empty() {
        println!("nothing to recover");
    }
    Ok(0)
}
