//! The repository explains itself: no tracked file sends its reader to material outside the
//! checkout (the directory `shared` beside it, the spec files there, numbered sections of
//! them). The design and the Mesos behaviour are in `docs/design.md` and
//! `docs/mesos-compat.md`; comments cite those or say the fact inline.
//!
//! The one exception is the real Mesos build in that directory (`mesos/`), which the
//! compatibility tests and benchmark use when it is there (and skip when it is not). This
//! file spells the patterns it looks for in pieces, so that it does not match itself.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The files that may use the real Mesos build beside the checkout, and only that.
const MAY_USE_MESOS_BUILD: &[&str] = &[
    "tests/tests/mesos_compat.rs",
    "scripts/bench/mesos-compat",
    "scripts/setup",
];

/// The directory beside the checkout, spelled so that this file does not name it.
fn shared() -> String {
    ["..", "shared"].join("/")
}

/// The section sign, which only ever cited sections of the outside spec files.
const SECTION_SIGN: char = '\u{a7}';

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("the repository root")
}

/// The tracked files (`git ls-files`); outside a git checkout (a source tarball), every
/// file under the root but `target/` and `.git`.
fn tracked_files(root: &Path) -> Vec<PathBuf> {
    let listed = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["ls-files", "-z"])
        .output();
    if let Ok(out) = listed {
        if out.status.success() {
            return out
                .stdout
                .split(|b| *b == 0)
                .filter(|p| !p.is_empty())
                .map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned()))
                .collect();
        }
    }
    let mut files = Vec::new();
    walk(root, root, &mut files);
    files
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name == ".git" {
            continue;
        }
        if path.is_dir() {
            walk(root, &path, out);
        } else {
            out.push(
                path.strip_prefix(root)
                    .expect("under the root")
                    .to_path_buf(),
            );
        }
    }
}

/// Every line of `text` (the file `path`, relative to the root) that refers outside the
/// repository, as `path:line: text`.
fn outside_references(path: &str, text: &str) -> Vec<String> {
    let shared = shared();
    let mesos_build = format!("{shared}/mesos");
    let spec_files = [
        "docker-containerizer.md",
        "docker-executor.md",
        "fetcher.md",
    ]
    .map(|f| ["spec", f].join("/"));
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let uses_shared = line.match_indices(&shared).any(|(at, _)| {
            !(MAY_USE_MESOS_BUILD.contains(&path) && line[at..].starts_with(&mesos_build))
        });
        let bad = uses_shared
            || line.contains(SECTION_SIGN)
            || line.contains(&["shared", "spec"].join("/"))
            || line.contains(&["shared", "design"].join("/"))
            || spec_files.iter().any(|f| line.contains(f.as_str()));
        if bad {
            found.push(format!("{path}:{}: {}", n + 1, line.trim()));
        }
    }
    found
}

#[test]
fn no_tracked_file_refers_outside_the_repository() {
    let root = repo_root();
    let files = tracked_files(&root);
    assert!(
        files.iter().any(|f| f == Path::new("docs/design.md")),
        "the file list is wrong: docs/design.md is not in it ({} files)",
        files.len()
    );
    let mut found = Vec::new();
    for file in &files {
        // Binary files (images, archives) are no documentation.
        let Ok(text) = std::fs::read_to_string(root.join(file)) else {
            continue;
        };
        found.extend(outside_references(&file.to_string_lossy(), &text));
    }
    assert!(
        found.is_empty(),
        "these lines refer to material outside the repository; cite docs/design.md or \
         docs/mesos-compat.md instead, or say the fact inline:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_kind_of_outside_reference_is_caught() {
    let shared = shared();
    let section = SECTION_SIGN;
    for line in [
        format!("see {shared}/design.md"),
        format!("the behaviour is in `{shared}/spec/`"),
        format!("as Mesos does (spec {section}1.10)"),
        format!("(design.md {section}4)"),
        format!("(see `{}`)", ["spec", "fetcher.md"].join("/")),
        format!("{shared}/mesos/cluster in a file that may not use it"),
    ] {
        assert_eq!(
            outside_references("crates/x/src/lib.rs", &line).len(),
            1,
            "not caught: {line}"
        );
    }
    // The Mesos build, where it is allowed; but nothing else of the directory there.
    let script = "tests/tests/mesos_compat.rs";
    let use_of_build = format!("let script = root.join(\"{shared}/mesos/cluster\");");
    assert!(outside_references(script, &use_of_build).is_empty());
    let other = format!("{shared}/mesos/cluster, then {shared}/design.md");
    assert_eq!(outside_references(script, &other).len(), 1);
    // What the repository's own documents look like.
    assert!(outside_references(
        "crates/x/src/lib.rs",
        "//! Where things live (docs/design.md, *State on disk*); see docs/fetcher.md."
    )
    .is_empty());
}
