//! `mesos-fetcher`: run with no arguments and `MESOS_FETCHER_INFO` in the environment, as the
//! Mesos agent runs it. Exit 0 when every item is in place; 1 otherwise, with the reason as
//! the last line on stderr.

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
    fetcher::run(&info, &fetcher::FetchOptions::default())?;
    Ok(())
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
