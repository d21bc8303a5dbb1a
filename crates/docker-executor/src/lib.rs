//! `mesos-docker-executor`: runs one Mesos task as a Docker container and reports it to the
//! agent, over the libprocess (v0) protocol when the agent gives `MESOS_SLAVE_PID` (a real
//! Mesos agent) and over the v1 Executor HTTP API otherwise (docs/executor.md).
//!
//! Layout: [`flags`] and [`env`] read the agent's command line and environment; the
//! transports keep the executor connected and its status updates reliable — [`client`] and
//! [`connection`] for v1, [`v0`] for libprocess — and hand the same events to [`runner`], the
//! task's life; [`task_container`] the `docker run` options; [`health`] the health checks.

pub mod client;
pub mod connection;
pub mod env;
pub mod flags;
pub mod health;
pub mod runner;
pub mod task_container;
pub mod v0;

use anyhow::Context as _;
use connection::ConnectionPolicy;
use flags::{Flags, LogFormat, Parsed};
use std::collections::HashMap;
use std::time::Duration;

/// How long the first subscription may take (the agent's `--executor_registration_timeout`
/// default); after that the executor gives up.
const REGISTRATION_TIMEOUT: Duration = Duration::from_secs(60);
/// Bound of one UPDATE/MESSAGE call.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the executor with the process's arguments and environment; returns the exit status.
pub fn main_entry() -> i32 {
    let flags = match Flags::parse_from(std::env::args()) {
        Ok(Parsed::Run(flags)) => *flags,
        Ok(Parsed::Help(text)) => {
            println!("{text}");
            return 0;
        }
        Err(e) => {
            eprintln!("mesos-docker-executor: {e}");
            return 1;
        }
    };
    let vars: HashMap<String, String> = std::env::vars().collect();
    let env = match env::AgentEnv::from_vars(&vars) {
        Ok(env) => env,
        Err(e) => {
            eprintln!("mesos-docker-executor: {e}");
            return 1;
        }
    };
    // The token is ours alone: keep it out of every child's environment. Single-threaded
    // here, before the runtime starts.
    std::env::remove_var("MESOS_EXECUTOR_AUTHENTICATION_TOKEN");
    init_logging(&flags);

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mesos-docker-executor: cannot start the runtime: {e}");
            return 1;
        }
    };
    match runtime.block_on(run(flags, env)) {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e:#}");
            1
        }
    }
}

fn init_logging(flags: &Flags) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let level = match flags.logging_level.to_ascii_uppercase().as_str() {
        "WARNING" | "WARN" => LevelFilter::WARN,
        "ERROR" | "FATAL" => LevelFilter::ERROR,
        "DEBUG" => LevelFilter::DEBUG,
        _ => LevelFilter::INFO,
    };
    // RUST_LOG as `level` or `target=level,...` directives. `Targets` rather than EnvFilter:
    // no regex engine in the binary keeps the executor's footprint small.
    let mut bad_rust_log = None;
    let filter = match std::env::var("RUST_LOG") {
        Ok(text) if !text.trim().is_empty() => text.parse::<Targets>().unwrap_or_else(|e| {
            bad_rust_log = Some(e.to_string());
            Targets::new().with_default(level)
        }),
        _ => Targets::new().with_default(level),
    };
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false);
    let _ = match flags.log_format {
        LogFormat::Json => tracing_subscriber::registry()
            .with(fmt.json().with_filter(filter))
            .try_init(),
        LogFormat::Human => tracing_subscriber::registry()
            .with(fmt.with_filter(filter))
            .try_init(),
    };
    if let Some(e) = bad_rust_log {
        tracing::warn!("ignoring RUST_LOG: {e}");
    }
}

/// The executor's main loop.
pub async fn run(flags: Flags, env: env::AgentEnv) -> anyhow::Result<i32> {
    tracing::info!(
        container = %flags.container,
        agent = %env.transport,
        framework_id = %env.framework_id,
        executor_id = %env.executor_id,
        checkpoint = env.checkpoint,
        "mesos-docker-executor starting"
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<runner::Msg>();
    let outbox = match &env.transport {
        env::AgentTransport::V1 { agent_endpoint } => {
            let client =
                client::AgentClient::new(agent_endpoint.clone(), env.authentication_token.clone());
            let policy = ConnectionPolicy {
                checkpoint: env.checkpoint,
                recovery_timeout: env.recovery_timeout.to_std(),
                backoff_max: env.subscription_backoff_max.to_std(),
                registration_timeout: REGISTRATION_TIMEOUT,
                call_timeout: CALL_TIMEOUT,
            };
            let (outbox, connection) = connection::start(
                client,
                env.framework_id.clone(),
                env.executor_id.clone(),
                policy,
                tx.clone(),
            );
            tokio::spawn(connection);
            outbox
        }
        env::AgentTransport::V0 { slave_pid, listen } => {
            let config = v0::V0Config {
                slave: slave_pid.clone(),
                listen: listen.clone(),
                agent_id: env.agent_id.clone(),
                framework_id: env.framework_id.clone(),
                executor_id: env.executor_id.clone(),
                checkpoint: env.checkpoint,
                recovery_timeout: env.recovery_timeout.to_std(),
                registration_timeout: REGISTRATION_TIMEOUT,
            };
            let (outbox, driver) = v0::start(config, tx.clone()).await?;
            tokio::spawn(driver);
            outbox
        }
    };

    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let signals = tx.clone();
    tokio::spawn(async move {
        loop {
            let name = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            };
            if signals.send(runner::Msg::Signal(name)).is_err() {
                return;
            }
        }
    });

    let mut runner = runner::Runner::new(flags, env, outbox, tx);
    while let Some(msg) = rx.recv().await {
        if let Some(code) = runner.handle(msg) {
            tracing::info!(code, "mesos-docker-executor exiting");
            return Ok(code);
        }
    }
    Ok(1)
}
