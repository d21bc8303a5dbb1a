//! `mesos-fetcher`: run with no arguments and `MESOS_FETCHER_INFO` in the environment, as the
//! Mesos agent runs it. Exit 0 when every item is in place; 1 otherwise, with the reason as
//! the last line on stderr. On SIGTERM, SIGINT or SIGHUP it removes its partial files and
//! then dies of that signal.

use anyhow::Context;
use std::process::ExitCode;

fn main() -> ExitCode {
    let flags = match fetcher::flags::parse(std::env::args().skip(1), std::env::vars()) {
        Ok(flags) => flags,
        Err(fetcher::flags::FlagsOutcome::Help) => {
            print!("{}", fetcher::flags::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(fetcher::flags::FlagsOutcome::Version) => {
            println!("mesos-fetcher {}", fetcher::flags::VERSION);
            return ExitCode::SUCCESS;
        }
        Err(fetcher::flags::FlagsOutcome::Error(e)) => {
            eprintln!("{}\n{e}", fetcher::flags::USAGE);
            return ExitCode::FAILURE;
        }
    };
    fetcher::log::init(&flags);
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(fetcher::RunError::Interrupted(signal)) = e.downcast_ref() {
                tracing::error!("EXIT by {}: {}", signal.as_str(), one_line(&e));
                die_of(*signal);
            }
            tracing::error!("EXIT with status 1: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let raw = std::env::var("MESOS_FETCHER_INFO")
        .context("Missing MESOS_FETCHER_INFO environment variable")?;
    tracing::info!("Fetcher Info: {}", fetcher::uri::redact_all(&raw));
    let info = fetcher::info::parse_fetcher_info(&raw)?;
    let disk_budget = match std::env::var(fetcher::budget::BUDGET_ENV) {
        Ok(v) => Some(
            fetcher::budget::parse_byte_size(fetcher::budget::BUDGET_ENV, &v)
                .map_err(anyhow::Error::msg)?,
        ),
        Err(std::env::VarError::NotPresent) => None,
        Err(e) => anyhow::bail!("Invalid {}: {e}", fetcher::budget::BUDGET_ENV),
    };
    if let Some(b) = disk_budget {
        tracing::info!(
            "Disk budget: {} ({})",
            mesos_types::flags::Bytes(b),
            fetcher::budget::BUDGET_ENV
        );
    }
    let opts = fetcher::FetchOptions {
        disk_budget,
        ..fetcher::FetchOptions::default()
    };
    fetcher::run(&info, &opts)?;
    Ok(())
}

/// Ends the process by `signal`, as if its default action had run, so the parent sees how
/// the fetcher ended.
fn die_of(signal: nix::sys::signal::Signal) -> ! {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet};
    let default = SigAction::new(SigHandler::SigDfl, SaFlags::empty(), SigSet::empty());
    // SAFETY: restoring the default disposition installs no handler code.
    let _ = unsafe { sigaction(signal, &default) };
    let _ = nix::sys::signal::raise(signal);
    std::process::exit(128 + signal as i32)
}

/// The error chain on one line, without repeating a cause already in its parent's message.
fn one_line(e: &anyhow::Error) -> String {
    let mut msg = String::new();
    for cause in e.chain() {
        let s = cause.to_string();
        if !msg.contains(&s) {
            if !msg.is_empty() {
                msg.push_str(": ");
            }
            msg.push_str(&s);
        }
    }
    msg.split_whitespace().collect::<Vec<_>>().join(" ")
}
