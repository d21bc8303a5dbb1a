//! The containerizer's modules must form layers, read at two granularities: the top-level
//! modules and folders (`task`, `launch`, `state`, `watch`, `docker_containerizer`,
//! `daemon`, `commands`, `flags`, ...), and the files inside each folder (`launch::context`,
//! `commands::run`, ...).
//!
//! - Nothing outside `commands` depends on `commands`: the commands use the core, never the
//!   other way.
//! - One verb of `commands` does not depend on another: what two share belongs in the core
//!   (or in `commands/mod.rs`).
//! - No cycle, at either granularity: no two modules depend on each other, directly or
//!   around a longer loop. A folder's `mod.rs` and its own files are one unit and may use
//!   each other.
//!
//! The graph is read off the source: every path that starts with `crate::`, `super::` or
//! `self::`, in a `use` (brace groups, nested, over several lines) or inline in code, of
//! every `.rs` file under `src`, outside comments and string literals. `super::` inside an
//! inline `mod tests { ... }` resolves to the file's own module, as the compiler does it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The module of the commands: the core may not depend on it.
const COMMANDS: &str = "commands";

type Graph = BTreeMap<String, BTreeSet<String>>;

/// A module path from the crate root, e.g. `["launch", "context"]`.
type ModPath = Vec<String>;

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

/// The module a file under `src` is: `launch/context.rs` is `launch::context`,
/// `launch/mod.rs` is `launch`. `None` for the crate roots (`lib.rs`, and `main.rs`, whose
/// `crate` is the binary).
fn module_of(src: &Path, file: &Path) -> Option<ModPath> {
    let rel = file.strip_prefix(src).expect("a file under src");
    let mut path: ModPath = rel
        .components()
        .map(|c| c.as_os_str().to_str().expect("a UTF-8 path").to_string())
        .collect();
    let last = path.pop()?;
    let stem = last.strip_suffix(".rs").unwrap_or(&last).to_string();
    if path.is_empty() && (stem == "lib" || stem == "main") {
        return None;
    }
    if stem != "mod" {
        path.push(stem);
    }
    Some(path)
}

/// `text` with comments blanked out and the contents of string literals blanked out (their
/// quotes kept), so neither is read as code. Char literals are kept and never mistaken for
/// the start of a string or a comment.
fn code_only(text: &str) -> String {
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
        } else if (c[i] == 'r' || c[i] == 'b')
            && (i == 0 || !is_ident(c[i - 1]))
            && raw_string_at(&c, i).is_some()
        {
            let end = raw_string_at(&c, i).expect("checked");
            out.push_str("\"\"");
            i = end;
        } else if c[i] == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
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
                    out.push_str("' '");
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

/// Where the raw string literal starting at `i` (`r"…"`, `r#"…"#`, `br"…"`) ends.
fn raw_string_at(c: &[char], i: usize) -> Option<usize> {
    let mut j = i;
    if c.get(j) == Some(&'b') {
        j += 1;
    }
    if c.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while c.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    if c.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < c.len() {
        if c[j] == '"' && (1..=hashes).all(|h| c.get(j + h) == Some(&'#')) {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(c.len())
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    PathSep,
    Punct(char),
}

fn tokens(code: &str) -> Vec<Token> {
    let c: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if c[i].is_whitespace() {
            i += 1;
        } else if is_ident(c[i]) {
            let start = i;
            while i < c.len() && is_ident(c[i]) {
                i += 1;
            }
            out.push(Token::Ident(c[start..i].iter().collect()));
        } else if c[i] == ':' && c.get(i + 1) == Some(&':') {
            out.push(Token::PathSep);
            i += 2;
        } else {
            out.push(Token::Punct(c[i]));
            i += 1;
        }
    }
    out
}

fn ident(t: Option<&Token>) -> Option<&str> {
    match t {
        Some(Token::Ident(s)) => Some(s),
        _ => None,
    }
}

/// Reads the path tree at `t[*i]` (after its anchor and `::`): `a::b`, `a::{b, c::{d}}`,
/// `a::*`, `{self, a}`; pushes every path it names, each prefixed with `prefix`.
fn path_tree(t: &[Token], i: &mut usize, prefix: &ModPath, out: &mut Vec<ModPath>) {
    let mut path = prefix.clone();
    loop {
        match t.get(*i) {
            Some(Token::Punct('{')) => {
                *i += 1;
                loop {
                    match t.get(*i) {
                        Some(Token::Punct('}')) => {
                            *i += 1;
                            return;
                        }
                        Some(Token::Punct(',')) => *i += 1,
                        // `F as G`: the alias names no module.
                        Some(Token::Ident(s)) if s == "as" => *i += 2,
                        None => return,
                        _ => {
                            let before = *i;
                            path_tree(t, i, &path, out);
                            if *i == before {
                                *i += 1;
                            }
                        }
                    }
                }
            }
            Some(Token::Ident(s)) if s == "self" && path.len() == prefix.len() => {
                *i += 1;
                out.push(path);
                return;
            }
            Some(Token::Ident(s)) => {
                path.push(s.clone());
                *i += 1;
                if t.get(*i) == Some(&Token::PathSep) {
                    *i += 1;
                } else {
                    out.push(path);
                    return;
                }
            }
            Some(Token::Punct('*')) => {
                *i += 1;
                out.push(path);
                return;
            }
            _ => {
                if path.len() > prefix.len() {
                    out.push(path);
                }
                return;
            }
        }
    }
}

/// Every module path the code of the module `module` names, resolved from the crate root.
fn references(code: &str, module: &ModPath) -> Vec<ModPath> {
    let t = tokens(code);
    let mut out = Vec::new();
    // One entry per open brace: the name of the inline module it opens, if it does.
    let mut braces: Vec<Option<String>> = Vec::new();
    let mut i = 0;
    while i < t.len() {
        match &t[i] {
            Token::Punct('{') => {
                let opens = match (i.checked_sub(2).map(|k| &t[k]), i.checked_sub(1)) {
                    (Some(Token::Ident(m)), Some(k)) if m == "mod" => {
                        ident(t.get(k)).map(String::from)
                    }
                    _ => None,
                };
                braces.push(opens);
                i += 1;
            }
            Token::Punct('}') => {
                braces.pop();
                i += 1;
            }
            Token::Ident(anchor)
                if matches!(anchor.as_str(), "crate" | "super" | "self")
                    && t.get(i + 1) == Some(&Token::PathSep)
                    && !matches!(
                        i.checked_sub(1).map(|k| &t[k]),
                        Some(Token::PathSep) | Some(Token::Punct('$'))
                    ) =>
            {
                let mut here: ModPath = module.clone();
                here.extend(braces.iter().flatten().cloned());
                let mut base = match anchor.as_str() {
                    "crate" => ModPath::new(),
                    "super" => {
                        here.pop();
                        here
                    }
                    _ => here,
                };
                i += 2;
                while ident(t.get(i)) == Some("super") && t.get(i + 1) == Some(&Token::PathSep) {
                    base.pop();
                    i += 2;
                }
                path_tree(&t, &mut i, &base, &mut out);
            }
            _ => i += 1,
        }
    }
    out
}

/// `path` cut to its first `depth` segments, joined with `::`.
fn node(path: &[String], depth: usize) -> String {
    path[..path.len().min(depth)].join("::")
}

/// Module -> the modules it refers to, with modules cut to `depth` segments: 1 for the
/// top-level modules and folders, 2 for the files inside each folder. A folder's `mod.rs`
/// and the files inside it are never an edge of each other.
fn module_graph(depth: usize) -> Graph {
    let src = src_dir();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: Vec<(PathBuf, ModPath)> = files
        .into_iter()
        .filter_map(|f| module_of(&src, &f).map(|m| (f, m)))
        .collect();
    let nodes: BTreeSet<String> = modules.iter().map(|(_, m)| node(m, depth)).collect();
    let mut graph: Graph = nodes.iter().map(|n| (n.clone(), BTreeSet::new())).collect();
    for (file, module) in &modules {
        let from = node(module, depth);
        let text = std::fs::read_to_string(file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        for path in references(&code_only(&text), module) {
            // The longest known module the path goes through; items of the crate root
            // (`crate::VERSION`) are in none.
            let Some(to) = (1..=path.len().min(depth))
                .rev()
                .map(|d| node(&path, d))
                .find(|n| nodes.contains(n))
            else {
                continue;
            };
            let nested = |a: &str, b: &str| a == b || a.starts_with(&format!("{b}::"));
            if !nested(&to, &from) && !nested(&from, &to) {
                graph.get_mut(&from).expect("known").insert(to);
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

/// The top-level module of a node (`launch::context` -> `launch`).
fn top(node: &str) -> &str {
    node.split("::").next().expect("a node")
}

/// Edges from the core into `commands`.
fn layer_violations(graph: &Graph) -> Vec<String> {
    let mut bad = Vec::new();
    for (from, tos) in graph {
        if top(from) == COMMANDS {
            continue;
        }
        for to in tos {
            if top(to) == COMMANDS {
                bad.push(format!("{from} -> {to}"));
            }
        }
    }
    bad
}

/// Edges from one verb of `commands` to another (`commands::run -> commands::launch`).
fn verb_to_verb(graph: &Graph) -> Vec<String> {
    let is_verb = |n: &str| top(n) == COMMANDS && n != COMMANDS;
    let mut bad = Vec::new();
    for (from, tos) in graph {
        for to in tos {
            if is_verb(from) && is_verb(to) {
                bad.push(format!("{from} -> {to}"));
            }
        }
    }
    bad
}

#[test]
fn the_module_graph_has_no_cycle() {
    for (depth, what) in [(1, "top-level modules"), (2, "files of a folder")] {
        let cycles = cycles(&module_graph(depth));
        assert!(
            cycles.is_empty(),
            "the containerizer's {what} depend on each other in a cycle: {}\n\
             move what both sides need into a module of its own that depends on neither",
            cycles.join("; ")
        );
    }
}

#[test]
fn the_core_depends_on_no_command() {
    for depth in [1, 2] {
        let bad = layer_violations(&module_graph(depth));
        assert!(
            bad.is_empty(),
            "core modules depend on `{COMMANDS}` ({}): the commands use the core, never the \
             other way; move what they share into the core (e.g. launch::context)",
            bad.join(", ")
        );
    }
}

#[test]
fn no_command_depends_on_another() {
    let bad = verb_to_verb(&module_graph(2));
    assert!(
        bad.is_empty(),
        "a command depends on another command ({}): move what they share into the core, \
         or into commands/mod.rs",
        bad.join(", ")
    );
}

#[test]
fn the_graph_is_read_off_the_source() {
    // A graph read wrongly would pass the checks above with nothing in it.
    for (depth, from, to) in [
        (1, "commands", "launch"),
        (1, "commands", "task"),
        (1, "docker_containerizer", "watch"),
        (1, "docker_containerizer", "state"),
        (1, "daemon", "docker_containerizer"),
        // `use crate::launch::context::RunContext;`
        (2, "commands::run", "launch::context"),
        // `use crate::state::checkpoint;` beside another `use`.
        (2, "launch::context", "state::checkpoint"),
        // `use crate::task::validate;`
        (2, "task::prepare", "task::validate"),
        // An inline path: `crate::task::validate::container_id(&id)`.
        (2, "daemon::api", "task::validate"),
        // `use super::lifecycle::{...}` between two files of one folder.
        (
            2,
            "docker_containerizer::recover",
            "docker_containerizer::lifecycle",
        ),
        // `use crate::docker_containerizer::ContainerUpdate;`: an item of a folder's mod.rs.
        (2, "daemon::stream", "docker_containerizer"),
    ] {
        let graph = module_graph(depth);
        assert!(
            graph.get(from).is_some_and(|t| t.contains(to)),
            "expected the edge {from} -> {to} at depth {depth}; the graph read: {graph:?}"
        );
    }
}

#[test]
fn references_are_found_in_every_form() {
    let code = r##"
        use crate::a::{X, Y};
        pub use crate::{b, c::{D, E}, d::F as G};
        use crate::e::{
            self,
            f::{g, h::{I}},
        };
        fn f() { crate::i::j(); let s = "crate::inside_a_string"; }
        let x = my_crate::not_this();
        // crate::in_a_comment
        /* crate::in_a_block /* nested */ crate::still_in_it */
        let c = '"'; crate::after_a_char::k();
        fn l<'a>(x: &'a str) -> &'a str { crate::after_a_lifetime::m(x) }
        let r = r#"crate::raw " still raw"#; crate::after_raw::n();
        macro_rules! m { () => { $crate::in_a_macro() } }
        use super::sibling::O;
        use super::super::uncle;
        use self::child::P;
        mod tests {
            use super::*;
            use super::super::in_tests;
            fn t() { self::helper(); }
        }
        use super::after_the_inline_module;
        let v = crate::o::Q { field: 1 };
    "##;
    let module: ModPath = vec!["folder".into(), "file".into()];
    let got: BTreeSet<String> = references(&code_only(code), &module)
        .iter()
        .map(|p| p.join("::"))
        .collect();
    let want: BTreeSet<String> = [
        "a::X",
        "a::Y",
        "b",
        "c::D",
        "c::E",
        "d::F",
        "e",
        "e::f::g",
        "e::f::h::I",
        "i::j",
        "after_a_char::k",
        "after_a_lifetime::m",
        "after_raw::n",
        "folder::sibling::O",
        "uncle",
        "folder::file::child::P",
        // Inside `mod tests`, `super` is the file's own module.
        "folder::file",
        "folder::in_tests",
        "folder::file::tests::helper",
        "folder::after_the_inline_module",
        "o::Q",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(got, want);
}

#[test]
fn modules_are_named_after_their_files() {
    let src = Path::new("/s");
    let m = |f: &str| module_of(src, &src.join(f)).map(|p| p.join("::"));
    assert_eq!(m("lib.rs"), None);
    assert_eq!(m("main.rs"), None);
    assert_eq!(m("flags.rs").as_deref(), Some("flags"));
    assert_eq!(m("launch/mod.rs").as_deref(), Some("launch"));
    assert_eq!(m("launch/context.rs").as_deref(), Some("launch::context"));
    assert_eq!(
        m("commands/run/foreground.rs").as_deref(),
        Some("commands::run::foreground")
    );
    assert_eq!(
        node(&["commands".into(), "run".into(), "x".into()], 2),
        "commands::run"
    );
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
        ("docker_containerizer", "commands::run"),
        ("commands::run", "docker_containerizer"),
        ("commands::run", "commands::explain"),
        ("commands", "commands::run"),
        ("daemon::api", "commands"),
    ]);
    assert_eq!(
        cycles(&g),
        vec!["commands::run -> docker_containerizer -> commands::run"]
    );
    assert_eq!(
        layer_violations(&g),
        vec![
            "daemon::api -> commands",
            "docker_containerizer -> commands::run"
        ]
    );
    assert_eq!(verb_to_verb(&g), vec!["commands::run -> commands::explain"]);
    let g = edges(&[("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]);
    assert_eq!(cycles(&g), vec!["a -> b -> c -> a"]);
    assert!(cycles(&edges(&[("commands", "task"), ("task", "state")])).is_empty());
}
