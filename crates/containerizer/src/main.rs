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
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    // The daemon runs many containers at once; the other commands need little.
    if !matches!(cli.command, Command::Serve(_)) {
        builder.worker_threads(2);
    }
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: failed to start the async runtime: {e}");
            return ExitCode::from(EXIT_NOT_STARTED as u8);
        }
    };
    // `run`, `launch`, `wait` and `explain` fail like `docker run` (125: the task never
    // ran); the other commands with 1.
    let failure = match cli.command {
        Command::Run(_) | Command::Explain(_) | Command::Launch(_) | Command::Wait(_) => {
            EXIT_NOT_STARTED as u8
        }
        _ => 1,
    };
    let flags = cli.flags;
    let result = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => commands::run::run(flags, args).await,
            Command::Explain(args) => commands::explain::explain(flags, args).await,
            Command::Serve(args) => commands::serve::serve(flags, args).await,
            Command::Launch(args) => commands::launch::launch(flags, args).await,
            Command::Wait(args) => commands::wait::wait(flags, args).await,
            Command::Kill(args) => commands::kill::kill(flags, args).await,
            Command::Destroy(args) => commands::destroy::destroy(flags, args).await,
            Command::Ps(args) => commands::ps::ps(flags, args).await,
            Command::Inspect(args) => commands::inspect::inspect(flags, args).await,
            Command::Usage(args) => commands::usage::usage(flags, args).await,
            Command::Update(args) => commands::update::update(flags, args).await,
            Command::Logs(args) => commands::logs::logs(flags, args).await,
            Command::Recover(args) => commands::recover::recover(flags, args).await,
        }
    });
    // The daemon leaves its executors running; do not wait for the runtime's tasks.
    runtime.shutdown_background();
    match result {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(failure)
        }
    }
}
