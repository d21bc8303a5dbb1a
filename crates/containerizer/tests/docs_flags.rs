//! `docs/flags.md` cannot drift from the binaries: every flag that the real
//! `mesos-docker-containerizer` (and each of its subcommands), `mesos-docker-executor` and
//! `mesos-fetcher` print in their `--help` must be documented in that binary's section of
//! `docs/flags.md` as `` `--flag_name` ``, and every flag row of a section's tables must be a
//! flag the binary still has.
//!
//! The executor and the fetcher are found next to the containerizer binary (as
//! `tests/examples.rs` finds its `--launcher_dir`): `cargo build --workspace` (or `cargo build
//! -p containerizer -p docker-executor -p fetcher`) puts them there; `scripts/test` does.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_mesos-docker-containerizer");

fn flags_md_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/flags.md")
}

fn flags_md() -> String {
    let path = flags_md_path();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A binary that lives next to the containerizer (the launcher dir).
fn sibling(name: &str) -> PathBuf {
    let path = Path::new(BIN).parent().unwrap().join(name);
    assert!(
        path.exists(),
        "{name} is not in {}: run `cargo build -p containerizer -p docker-executor -p fetcher` \
         (or `cargo build --workspace`) first",
        path.parent().unwrap().display()
    );
    path
}

/// `<bin> <args...> --help`, which must succeed; its stdout.
fn help(bin: &Path, args: &[&str]) -> String {
    let out = Command::new(bin)
        .args(args)
        .arg("--help")
        .env_remove("RUST_LOG")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
    assert!(
        out.status.success(),
        "`{} {} --help` failed ({}): {}",
        bin.display(),
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("help is UTF-8")
}

/// The long flag names a help text defines: lines whose first word is an option
/// (`--work_dir <DIR>`, `-h, --help`, `--[no-]quiet`, `--logging_level=VALUE`).
/// Mentions of flags inside descriptions are not definitions and are skipped.
fn defined_flags(help: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in help.lines() {
        let mut t = line.trim_start();
        // `-h, --help`: a short option first.
        if t.len() > 2 && t.starts_with('-') && !t.starts_with("--") {
            match t.split_once(", ") {
                Some((_, rest)) => t = rest,
                None => continue,
            }
        }
        let Some(rest) = t.strip_prefix("--") else {
            continue;
        };
        let rest = rest.strip_prefix("[no-]").unwrap_or(rest);
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        if !name.is_empty() {
            names.insert(name);
        }
    }
    names
}

/// The subcommands listed under `Commands:` in clap's help (without `help`).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// The part of flags.md from the `## <binary>` heading to the next `## ` heading.
fn section<'a>(doc: &'a str, binary: &str) -> &'a str {
    let heading = format!("\n## {binary}");
    let start = doc.find(&heading).unwrap_or_else(|| {
        panic!(
            "docs/flags.md has no `## {binary}` section: add one documenting the flags of {binary}"
        )
    });
    let body = &doc[start + heading.len()..];
    let end = body.find("\n## ").unwrap_or(body.len());
    &body[..end]
}

/// The flags named in the first cell of the section's table rows (`` | `--flag` | ... ``,
/// also `` `--flag=VALUE` ``).
fn table_flags(section: &str) -> BTreeSet<String> {
    section
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("| `--"))
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// What one binary defines, with where each flag was found (for the failure message).
struct Binary {
    name: &'static str,
    /// (flag, where: `mesos-docker-containerizer run`, ...)
    flags: Vec<(String, String)>,
}

impl Binary {
    fn names(&self) -> BTreeSet<String> {
        self.flags.iter().map(|(f, _)| f.clone()).collect()
    }
}

fn binaries() -> Vec<Binary> {
    let containerizer = Path::new(BIN);
    let top = help(containerizer, &[]);
    let commands = subcommands(&top);
    assert!(
        commands.len() >= 10 && commands.iter().any(|c| c == "serve"),
        "could not read the subcommands from `mesos-docker-containerizer --help`: {commands:?}"
    );
    let mut flags: Vec<(String, String)> = defined_flags(&top)
        .into_iter()
        .map(|f| (f, "mesos-docker-containerizer".to_string()))
        .collect();
    for command in &commands {
        for f in defined_flags(&help(containerizer, &[command])) {
            flags.push((f, format!("mesos-docker-containerizer {command}")));
        }
    }
    let mut out = vec![Binary {
        name: "mesos-docker-containerizer",
        flags,
    }];
    for name in ["mesos-docker-executor", "mesos-fetcher"] {
        let text = help(&sibling(name), &[]);
        out.push(Binary {
            name,
            flags: defined_flags(&text)
                .into_iter()
                .map(|f| (f, name.to_string()))
                .collect(),
        });
    }
    for b in &out {
        assert!(
            b.flags.len() >= 5,
            "found only {} flags in the help of {}: has its format changed?",
            b.flags.len(),
            b.name
        );
    }
    out
}

#[test]
fn every_flag_of_every_binary_is_documented() {
    let doc = flags_md();
    let mut missing: Vec<String> = Vec::new();
    for binary in binaries() {
        let text = section(&doc, binary.name);
        let mut seen = BTreeSet::new();
        for (flag, place) in &binary.flags {
            if !text.contains(&format!("`--{flag}`")) && seen.insert(flag.clone()) {
                missing.push(format!("  --{flag}  (`{place} --help`)"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/flags.md does not document these flags (each must appear as `--flag_name` in its \
         binary's `## <binary>` section, with its default, MESOS_<FLAG> variable and meaning):\n{}\n\
         Update docs/flags.md.",
        missing.join("\n")
    );
}

#[test]
fn every_documented_flag_exists() {
    let doc = flags_md();
    let mut stale: Vec<String> = Vec::new();
    for binary in binaries() {
        let real = binary.names();
        for flag in table_flags(section(&doc, binary.name)) {
            if !real.contains(&flag) {
                stale.push(format!("  --{flag}  (section `## {}`)", binary.name));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "docs/flags.md documents flags the binaries no longer have:\n{}\nUpdate docs/flags.md.",
        stale.join("\n")
    );
}

#[test]
fn the_help_parser_finds_definitions_only() {
    let clap_style = "Usage: x [OPTIONS]\n\nOptions:\n      --work_dir <DIR>\n          Where things live; see --launcher_dir\n  -h, --help\n          Print help\n  -V, --version\n";
    assert_eq!(
        defined_flags(clap_style),
        ["help", "version", "work_dir"]
            .map(String::from)
            .into_iter()
            .collect()
    );
    let stout_style = "Usage: f [options]\n\n  --[no-]quiet      Disable logging (default: false)\n  --logging_level=VALUE   INFO\n  --help            Print this help\n";
    assert_eq!(
        defined_flags(stout_style),
        ["help", "logging_level", "quiet"]
            .map(String::from)
            .into_iter()
            .collect()
    );
    let commands = "Commands:\n  run      Launch\n  serve    Run the daemon\n  help     Print this\n\nOptions:\n";
    assert_eq!(subcommands(commands), ["run", "serve"]);
    let doc = "# F\n\n## a-bin\n\n| `--x` | 1 |\n| `--y=V` | 2 |\n\n## b-bin\n\n| `--z` |\n";
    assert_eq!(
        table_flags(section(doc, "a-bin")),
        ["x", "y"].map(String::from).into_iter().collect()
    );
}
