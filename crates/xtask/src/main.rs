//! `cargo run -p xtask -- dist [OUT_DIR]` and `cargo run -p xtask -- package`: see the
//! library.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use xtask::package::{self, Format, Layout};

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
    /// Build the .deb (dpkg-deb) and the .rpm (rpmbuild) from [package.metadata.deb] and
    /// [package.metadata.generate-rpm] in crates/xtask/Cargo.toml, and print their paths, one
    /// a line. Packages what is staged: run scripts/package, which builds and stages first.
    Package {
        /// The cargo profile whose build is packaged (`target/release/` in the metadata
        /// means its directory); dev also means light, fast compression.
        #[arg(long, default_value = "release")]
        profile: String,
        /// The cargo target directory [default: $CARGO_TARGET_DIR, else <workspace>/target].
        #[arg(long, value_name = "DIR")]
        target_dir: Option<PathBuf>,
        /// Where the packages go [default: <target dir>/packages].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Which packages, in this order.
        #[arg(long, value_enum, value_delimiter = ',', default_value = "deb,rpm")]
        format: Vec<FormatArg>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Deb,
    Rpm,
}

fn main() -> ExitCode {
    let result = match Xtask::parse().task {
        Task::Dist { out_dir } => xtask::dist::write(&out_dir).map(|written| {
            eprintln!(
                "xtask: wrote {} man pages and {} completion scripts to {}",
                written.man_pages.len(),
                written.completions.len(),
                out_dir.display()
            );
        }),
        Task::Package {
            profile,
            target_dir,
            out,
            format,
        } => run_package(&profile, target_dir, out, &format),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_package(
    profile: &str,
    target_dir: Option<PathBuf>,
    out: Option<PathBuf>,
    formats: &[FormatArg],
) -> anyhow::Result<()> {
    let layout = Layout::of_workspace(profile, target_dir)?;
    let out = out.unwrap_or_else(|| layout.target_dir.join("packages"));
    let formats: Vec<Format> = formats
        .iter()
        .map(|f| match f {
            FormatArg::Deb => Format::Deb,
            FormatArg::Rpm => Format::Rpm,
        })
        .collect();
    for path in package::build(&layout, &out, &formats, profile == "dev")? {
        println!("{}", path.display());
    }
    Ok(())
}
