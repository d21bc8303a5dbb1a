//! `mesos-docker-containerizer`: parse flags, set up logging, run the command, map the
//! result to an exit code. The work is in the library.

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};
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
    let parsed = Cli::command()
        .try_get_matches_from(std::iter::once(argv0).chain(args.iter().cloned()))
        .and_then(|matches| Cli::from_arg_matches(&matches).map(|cli| (cli, matches)));
    let cli = match parsed {
        Ok((mut cli, matches)) => {
            cli.flags.from_env = flags_from_env(&matches);
            cli
        }
        Err(e) => {
            let _ = e.print();
            if let Some(note) = env_source_note(&e, &args) {
                eprintln!("{note}");
            }
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
    // The commands that work on the work dir check its flags before anything is created.
    if matches!(
        cli.command,
        Command::Run(_) | Command::Explain(_) | Command::Serve(_) | Command::Recover(_)
    ) {
        if let Err(e) = cli.flags.validate() {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_NOT_STARTED as u8);
        }
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
    // ran), and so does `serve`, which only returns an error when it could not start; the
    // other commands with 1.
    let failure = match cli.command {
        Command::Run(_)
        | Command::Explain(_)
        | Command::Launch(_)
        | Command::Wait(_)
        | Command::Serve(_) => EXIT_NOT_STARTED as u8,
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
            eprintln!("error: {}", containerizer::error_chain(e.chain()));
            ExitCode::from(failure)
        }
    }
}

/// The ids of the arguments whose value came from their environment variable.
fn flags_from_env(matches: &clap::ArgMatches) -> std::collections::BTreeSet<String> {
    let mut ids: std::collections::BTreeSet<String> = matches
        .ids()
        .filter(|id| matches.value_source(id.as_str()) == Some(ValueSource::EnvVariable))
        .map(|id| id.as_str().to_string())
        .collect();
    if let Some((_, sub)) = matches.subcommand() {
        ids.extend(flags_from_env(sub));
    }
    ids
}

/// For a bad value that came from an environment variable rather than the command line,
/// which variable to fix: clap names only the flag.
fn env_source_note(e: &clap::Error, args: &[String]) -> Option<String> {
    use clap::error::{ContextKind, ContextValue};
    let ContextValue::String(arg) = e.get(ContextKind::InvalidArg)? else {
        return None;
    };
    // `--docker_stop_timeout <DOCKER_STOP_TIMEOUT>` → `docker_stop_timeout`.
    let long = arg
        .strip_prefix("--")?
        .split([' ', '='])
        .next()?
        .to_string();
    let on_command_line = args
        .iter()
        .any(|a| a == &format!("--{long}") || a.starts_with(&format!("--{long}=")));
    if on_command_line {
        return None;
    }
    let command = Cli::command();
    let found = command
        .get_arguments()
        .chain(command.get_subcommands().flat_map(|s| s.get_arguments()))
        .find(|a| a.get_long() == Some(long.as_str()))?;
    let var = found.get_env()?.to_string_lossy().into_owned();
    std::env::var_os(&var)?;
    Some(format!(
        "note: the value of --{long} comes from the environment variable {var}: fix or unset {var}"
    ))
}
