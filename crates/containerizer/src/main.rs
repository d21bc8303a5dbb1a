//! `mesos-docker-containerizer`: parse flags, set up logging, run the command, map the
//! result to an exit code. The work is in the library.

use clap::Parser;
use containerizer::cli::{Cli, Command};
use containerizer::commands;
use containerizer::status_line::EXIT_NOT_STARTED;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut argv = std::env::args();
    let argv0 = argv
        .next()
        .unwrap_or_else(|| "mesos-docker-containerizer".into());
    let args = mesos_types::flags::normalize_args(argv, containerizer::flags::BOOL_FLAGS);
    let cli = match Cli::try_parse_from(std::iter::once(argv0).chain(args)) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                // Bad flags are bad input: the task never started.
                _ => ExitCode::from(EXIT_NOT_STARTED as u8),
            };
        }
    };
    if let Err(e) = containerizer::logging::init(&cli.flags.logging_level, &cli.flags.log_format) {
        eprintln!("error: {e}");
        return ExitCode::from(EXIT_NOT_STARTED as u8);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: failed to start the async runtime: {e}");
            return ExitCode::from(EXIT_NOT_STARTED as u8);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => commands::run::run(cli.flags, args).await,
            Command::Explain(args) => commands::explain::explain(cli.flags, args).await,
        }
    });
    match result {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_NOT_STARTED as u8)
        }
    }
}
