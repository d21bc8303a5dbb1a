//! `serve`: start the daemon, announce its address on stdout's first line, serve until
//! SIGTERM/SIGINT.

use crate::cli::ServeArgs;
use crate::daemon::Server;
use crate::flags::ContainerizerFlags;
use anyhow::Context as _;
use std::io::Write;

pub async fn serve(flags: ContainerizerFlags, args: ServeArgs) -> anyhow::Result<i32> {
    let server = Server::start(flags, args.ip, args.port)
        .await
        .context("failed to start serve")?;
    for c in &server.recovery.containers {
        tracing::info!(container_id = %c.container_id, action = ?c.action, state = %c.state, "recovered");
    }
    for o in &server.recovery.orphans {
        tracing::info!(name = %o.name, removed = o.removed, "orphan container");
    }
    for e in &server.recovery.errors {
        tracing::warn!("recovery: {e}");
    }
    tokio::spawn(crate::docker_containerizer::gc::run(
        server.containerizer(),
        args.gc_config(),
    ));
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{}", server.local_addr())?;
        out.flush()?;
    }
    server
        .serve(crate::daemon::http_config(&args), args.to_pairs())
        .await
        .context("serve failed")?;
    Ok(0)
}
