//! `cargo run -p xtask -- dist [OUT_DIR]`: see the library.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Packaging tasks of the workspace.
#[derive(Debug, Parser)]
#[command(name = "xtask")]
struct Xtask {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Write the man pages (gzipped) and bash/zsh/fish completions of the three binaries
    /// into OUT_DIR/man and OUT_DIR/completions.
    Dist {
        #[arg(value_name = "OUT_DIR", default_value = "target/dist")]
        out_dir: PathBuf,
    },
}

fn main() -> ExitCode {
    let Task::Dist { out_dir } = Xtask::parse().task;
    match xtask::dist::write(&out_dir) {
        Ok(written) => {
            eprintln!(
                "xtask: wrote {} man pages and {} completion scripts to {}",
                written.man_pages.len(),
                written.completions.len(),
                out_dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
