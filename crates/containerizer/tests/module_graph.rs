//! The containerizer's modules must form layers: the core (`docker_containerizer`, `daemon`,
//! `launch`, ...) never depends on the commands (`commands`), and no two top-level modules
//! depend on each other, directly or around a longer loop. Read off the source: every `use crate::...` (multi-line brace groups too)
//! and every inline `crate::x::...` path of every `.rs` file under `src`, outside comments.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The modules that implement commands: the core may not depend on them.
const COMMAND_MODULES: &[&str] = &["commands"];
/// The one module that may depend on the command modules (besides each other).
const COMMAND_DRIVER: &str = "commands";

type Graph = BTreeMap<String, BTreeSet<String>>;

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file under `src` belongs to; `None` for the crate roots.
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).expect("a file under src");
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    match name.as_str() {
        "lib" | "main" => None,
        _ => Some(name),
    }
}

/// `text` with comments blanked out; string and char literals are kept as they are but
/// never mistaken for comments.
fn strip_comments(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < c.len() {
        if c[i] == '/' && c.get(i + 1) == Some(&'/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c[i] == 'r'
            && (c.get(i + 1) == Some(&'"') || c.get(i + 1) == Some(&'#'))
            && (i == 0 || !is_ident(c[i - 1]))
        {
            // A raw string: r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while c.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= c.len() {
                    break;
                }
                if c[j] == '"' && (1..=hashes).all(|h| c.get(j + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.extend(&c[i..j.min(c.len())]);
            i = j;
        } else if c[i] == '"' {
            let start = i;
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.extend(&c[start..i.min(c.len())]);
        } else if c[i] == '\'' {
            // A char literal ('x', '\n', '\'', '\u{..}'); anything else is a lifetime.
            let end = if c.get(i + 1) == Some(&'\\') {
                (i + 2..c.len()).find(|&k| c[k] == '\'' && k > i + 2)
            } else if c.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(e) => {
                    out.extend(&c[i..=e]);
                    i = e + 1;
                }
                None => {
                    out.push('\'');
                    i += 1;
                }
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn ident_at(c: &[char], mut i: usize) -> (String, usize) {
    while i < c.len() && c[i].is_whitespace() {
        i += 1;
    }
    let start = i;
    while i < c.len() && is_ident(c[i]) {
        i += 1;
    }
    (c[start..i].iter().collect(), i)
}

/// The first path segment after every `crate::` in `code` (comments already stripped):
/// `crate::a::b` gives `a`, `crate::{a, b::{c}, d}` gives `a`, `b` and `d`.
fn crate_references(code: &str) -> BTreeSet<String> {
    let c: Vec<char> = code.chars().collect();
    let needle: Vec<char> = "crate".chars().collect();
    let mut refs = BTreeSet::new();
    let mut i = 0;
    while i + needle.len() <= c.len() {
        let at_word = c[i..i + needle.len()] == needle[..]
            && (i == 0 || !(is_ident(c[i - 1]) || c[i - 1] == '$'))
            && c.get(i + needle.len()).is_none_or(|&n| !is_ident(n));
        if !at_word {
            i += 1;
            continue;
        }
        let mut j = i + needle.len();
        while j < c.len() && c[j].is_whitespace() {
            j += 1;
        }
        if c.get(j) != Some(&':') || c.get(j + 1) != Some(&':') {
            i = j;
            continue;
        }
        j += 2;
        while j < c.len() && c[j].is_whitespace() {
            j += 1;
        }
        if c.get(j) == Some(&'{') {
            // The first segment of every path at depth one of the group.
            let mut depth = 0;
            let mut expect_segment = true;
            while j < c.len() {
                match c[j] {
                    '{' => {
                        depth += 1;
                        expect_segment = depth == 1;
                        j += 1;
                    }
                    '}' => {
                        depth -= 1;
                        j += 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => {
                        expect_segment = true;
                        j += 1;
                    }
                    ch if expect_segment && is_ident(ch) => {
                        let (name, next) = ident_at(&c, j);
                        refs.insert(name);
                        expect_segment = false;
                        j = next;
                    }
                    _ => j += 1,
                }
            }
        } else {
            let (name, next) = ident_at(&c, j);
            if !name.is_empty() {
                refs.insert(name);
            }
            j = next;
        }
        i = j;
    }
    refs
}

/// Top-level module -> the other top-level modules it refers to.
fn module_graph() -> Graph {
    let src = src_dir();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| top_module(&src, f)).collect();
    let mut graph: Graph = modules
        .iter()
        .map(|m| (m.clone(), BTreeSet::new()))
        .collect();
    for file in &files {
        let Some(module) = top_module(&src, file) else {
            continue;
        };
        let text = std::fs::read_to_string(file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        for target in crate_references(&strip_comments(&text)) {
            // Items of the crate root (`crate::VERSION`) are no module.
            if target != module && modules.contains(&target) {
                graph.get_mut(&module).expect("known").insert(target);
            }
        }
    }
    graph
}

/// Every cycle's members, one cycle per strongly connected component, as
/// `a -> b -> ... -> a`.
fn cycles(graph: &Graph) -> Vec<String> {
    let mut found = Vec::new();
    let mut reported: BTreeSet<String> = BTreeSet::new();
    for start in graph.keys() {
        if reported.contains(start) {
            continue;
        }
        // The shortest path from `start` back to itself, breadth first.
        let mut previous: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start.as_str()]);
        let mut closing = None;
        while let Some(m) = queue.pop_front() {
            for next in &graph[m] {
                if next == start {
                    closing = Some(m);
                    break;
                }
                if !previous.contains_key(next.as_str()) {
                    previous.insert(next, m);
                    queue.push_back(next);
                }
            }
            if closing.is_some() {
                break;
            }
        }
        if let Some(mut m) = closing {
            let mut chain = vec![m];
            while m != start.as_str() {
                m = previous[m];
                chain.push(m);
            }
            chain.reverse();
            chain.push(start);
            reported.extend(chain.iter().map(|s| s.to_string()));
            found.push(chain.join(" -> "));
        }
    }
    found
}

/// Edges from the core into the command modules.
fn layer_violations(graph: &Graph) -> Vec<String> {
    let mut bad = Vec::new();
    for (from, tos) in graph {
        if COMMAND_MODULES.contains(&from.as_str()) {
            continue;
        }
        for to in tos {
            if COMMAND_MODULES.contains(&to.as_str()) {
                bad.push(format!("{from} -> {to}"));
            }
        }
    }
    bad
}

#[test]
fn the_module_graph_has_no_cycle() {
    let graph = module_graph();
    let cycles = cycles(&graph);
    assert!(
        cycles.is_empty(),
        "the containerizer's modules depend on each other in a cycle: {}\n\
         move what both sides need into a module of its own that depends on neither",
        cycles.join("; ")
    );
}

#[test]
fn the_core_depends_on_no_command_module() {
    let graph = module_graph();
    let bad = layer_violations(&graph);
    assert!(
        bad.is_empty(),
        "core modules depend on a command's module ({}): only `{COMMAND_DRIVER}` may; \
         move what they share into the core (e.g. launch::context)",
        bad.join(", ")
    );
}

#[test]
fn the_graph_is_read_off_the_source() {
    // A graph read wrongly would pass the checks above with nothing in it.
    let graph = module_graph();
    for (from, to) in [
        ("commands", "launch"),
        ("commands", "task"),
        ("docker_containerizer", "launch"),
        ("docker_containerizer", "state"),
        ("daemon", "docker_containerizer"),
    ] {
        assert!(
            graph.get(from).is_some_and(|t| t.contains(to)),
            "expected the edge {from} -> {to}; the graph read: {graph:?}"
        );
    }
}

#[test]
fn references_are_found_in_every_form() {
    let code = r##"
        use crate::a::{X, Y};
        pub use crate::{b, c::{D, E}, d::F};
        use crate::e::{
            G,
            H,
        };
        fn f() { crate::g::h(); let s = "crate::inside_a_string"; }
        let x = my_crate::not_this();
        // crate::in_a_comment
        /* crate::in_a_block /* nested */ crate::still_in_it */
        let c = '"'; crate::after_a_char::k();
        fn l<'a>(x: &'a str) -> &'a str { crate::after_a_lifetime::m(x) }
        let r = r#"crate::raw"#;
    "##;
    let refs = crate_references(&strip_comments(code));
    let want: BTreeSet<String> = [
        "a",
        "b",
        "c",
        "d",
        "e",
        "g",
        "after_a_char",
        "after_a_lifetime",
        // Strings are not parsed: a string naming a module is an (harmless) extra edge.
        "inside_a_string",
        "raw",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(refs, want);
}

#[test]
fn cycles_and_layer_violations_are_named() {
    let edges = |list: &[(&str, &str)]| {
        let mut g = Graph::new();
        for (a, b) in list {
            g.entry(a.to_string()).or_default().insert(b.to_string());
            g.entry(b.to_string()).or_default();
        }
        g
    };
    let g = edges(&[
        ("docker_containerizer", "commands"),
        ("commands", "docker_containerizer"),
        ("commands", "task"),
        ("daemon", "commands"),
    ]);
    assert_eq!(
        cycles(&g),
        vec!["commands -> docker_containerizer -> commands"]
    );
    assert_eq!(
        layer_violations(&g),
        vec!["daemon -> commands", "docker_containerizer -> commands"]
    );
    let g = edges(&[("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]);
    assert_eq!(cycles(&g), vec!["a -> b -> c -> a"]);
    assert!(cycles(&edges(&[("commands", "run"), ("run", "prepare")])).is_empty());
}
