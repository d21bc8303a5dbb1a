//! The files API's path resolution (`containerizer::daemon::sandbox_path`): whatever bytes a client
//! sends as `path=`, `parse` answers the same way every time, and either names a file that
//! lies below the sandbox it names or refuses with the `PathRefusal` the documented rules
//! call for. The rules are checked against a model written here as a walk over the
//! components: a `..` that climbs above `/` is an escape; once a `..` is written inside a
//! sandbox (the path so far, normalised, is `<prefix>/<ContainerID>/...`), the answer must be
//! that sandbox, else it is an escape; a `..` written before any sandbox only spells the path
//! differently. `within` is checked against a component-wise comparison of its own.
//!
//! Input: the first byte picks the prefixes sandboxes are attached under (the alias and a
//! host path, a work dir nested under the alias, a work dir reached through a symlink, or a
//! prefix the fuzzer writes as the first line); the rest is the request path.

use containerizer::daemon::sandbox_path::{parse, within, PathRefusal, SandboxPath};
use containerizer::task::validate;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

const ALIAS: &[u8] = b"/sandboxes";

pub fn run(data: &[u8]) {
    let Some((&knob, rest)) = data.split_first() else {
        return;
    };
    let (prefixes, request): (Vec<&[u8]>, &[u8]) = match knob % 4 {
        0 => (vec![ALIAS, b"/var/lib/mesos-docker/sandboxes"], rest),
        1 => (vec![ALIAS, b"/sandboxes/w/sandboxes"], rest),
        2 => (
            vec![ALIAS, b"/tmp/work/sandboxes", b"/real/work/sandboxes"],
            rest,
        ),
        _ => {
            let (prefix, request) = match rest.iter().position(|b| *b == b'\n') {
                Some(at) => (&rest[..at], &rest[at + 1..]),
                None => (rest, &b""[..]),
            };
            // The daemon attaches absolute directories; one with `..` in it is outside what
            // the rules speak of.
            if !prefix.starts_with(b"/")
                || prefix.contains(&0)
                || components(prefix).contains(&&b".."[..])
            {
                return;
            }
            (vec![ALIAS, prefix], request)
        }
    };

    let answer = parse(request, &prefixes);
    assert_eq!(
        parse(request, &prefixes),
        answer,
        "parse is not deterministic"
    );

    let expected = model(request, &prefixes);
    match (&answer, &expected) {
        (Ok(p), Expected::Found { prefix, id, below }) => {
            check_found(p, &prefixes, prefix, id, below, request)
        }
        (Err(PathRefusal::Invalid(message)), Expected::Invalid) => {
            assert!(!message.is_empty(), "an Invalid refusal without a message")
        }
        (Err(PathRefusal::Escapes), Expected::Escapes) => {}
        (Err(PathRefusal::NotFound), Expected::NotFound) => {}
        _ => panic!(
            "{:?} under {:?}: parse answers {answer:?}, the rules say {expected:?}",
            String::from_utf8_lossy(request),
            prefixes
                .iter()
                .map(|p| String::from_utf8_lossy(p))
                .collect::<Vec<_>>()
        ),
    }

    check_within(request, &prefixes);
}

/// What the documented rules say of a request.
#[derive(Debug)]
enum Expected {
    Invalid,
    Escapes,
    NotFound,
    /// The sandbox `<prefix>/<id>` (the longest prefix) and the components below it.
    Found {
        prefix: Vec<u8>,
        id: String,
        below: Vec<Vec<u8>>,
    },
}

fn components(path: &[u8]) -> Vec<&[u8]> {
    path.split(|b| *b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
        .collect()
}

/// The sandbox a normalised path is in, by the longest prefix followed by a valid
/// ContainerID: (the prefix's components, the id).
fn sandbox_at<'a>(path: &[&'a [u8]], prefixes: &[&'a [u8]]) -> Option<(Vec<&'a [u8]>, String)> {
    let mut best: Option<Vec<&[u8]>> = None;
    for prefix in prefixes {
        let prefix = components(prefix);
        let longer = best.as_ref().is_none_or(|b| prefix.len() > b.len());
        if path.len() > prefix.len() && path[..prefix.len()] == prefix[..] && longer {
            best = Some(prefix);
        }
    }
    let prefix = best?;
    let id = std::str::from_utf8(path[prefix.len()]).ok()?;
    validate::container_id(id).ok()?;
    Some((prefix, id.to_string()))
}

fn model(request: &[u8], prefixes: &[&[u8]]) -> Expected {
    let request = request.strip_prefix(b"file://").unwrap_or(request);
    if request.is_empty() || request.contains(&0) {
        return Expected::Invalid;
    }
    if request[0] != b'/' {
        return Expected::NotFound;
    }
    let mut stack: Vec<&[u8]> = Vec::new();
    // The sandbox the first `..` written inside a sandbox was written in.
    let mut bound: Option<String> = None;
    for part in components(request) {
        if part == b".." {
            if bound.is_none() {
                bound = sandbox_at(&stack, prefixes).map(|(_, id)| id);
            }
            if stack.pop().is_none() {
                return Expected::Escapes;
            }
        } else {
            stack.push(part);
        }
    }
    match (sandbox_at(&stack, prefixes), bound) {
        (Some((_, id)), Some(from)) if id != from => Expected::Escapes,
        (None, Some(_)) => Expected::Escapes,
        (None, None) => Expected::NotFound,
        (Some((prefix, id)), _) => Expected::Found {
            below: stack[prefix.len() + 1..]
                .iter()
                .map(|c| c.to_vec())
                .collect(),
            prefix: prefix.join(&b'/'),
            id,
        },
    }
}

fn check_found(
    p: &SandboxPath,
    prefixes: &[&[u8]],
    prefix: &[u8],
    id: &str,
    below: &[Vec<u8>],
    request: &[u8],
) {
    assert!(
        validate::container_id(&p.container_id).is_ok(),
        "accepted container id {:?} is not valid",
        p.container_id
    );
    for c in &p.components {
        assert!(
            !c.is_empty() && c != b"." && c != b".." && !c.contains(&b'/') && !c.contains(&0),
            "component {:?} of {:?} can climb or is malformed",
            String::from_utf8_lossy(c),
            String::from_utf8_lossy(request)
        );
    }
    assert_eq!(p.container_id, id, "the wrong sandbox");
    assert_eq!(p.components, below, "the wrong file below the sandbox");
    let relative = p.relative();
    assert!(
        relative
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_))),
        "relative() {relative:?} is not a plain path below the sandbox"
    );
    assert_eq!(relative.components().count(), p.components.len());

    // The plain spelling of the answer names the same file.
    let mut plain = b"/".to_vec();
    plain.extend_from_slice(prefix);
    let root = Path::new(std::ffi::OsStr::from_bytes(&plain)).join(&p.container_id);
    let file = root.join(&relative);
    assert_eq!(
        parse(file.as_os_str().as_bytes(), prefixes).as_ref(),
        Ok(p),
        "{file:?} does not name what {:?} named",
        String::from_utf8_lossy(request)
    );
    // What the daemon checks after resolving symlinks: the file is within its sandbox, and
    // not within a sibling whose id the sandbox's id starts.
    assert!(within(&root, &file), "{file:?} is not within {root:?}");
    let sibling = root.with_file_name(format!("{}x", p.container_id));
    assert!(!within(&sibling, &file), "{file:?} is within {sibling:?}");
    assert!(
        !within(&file.join("x"), &file),
        "{file:?} is within a path below it"
    );
}

/// `within(root, resolved)` holds exactly when `resolved`'s components start with
/// `root`'s, for resolved paths (absolute, no `..`): the sandbox of each prefix against the
/// request as given.
fn check_within(request: &[u8], prefixes: &[&[u8]]) {
    if !request.starts_with(b"/") || request.contains(&0) {
        return;
    }
    let resolved = Path::new(std::ffi::OsStr::from_bytes(request));
    let parts = components(request);
    if parts.contains(&&b".."[..]) {
        return;
    }
    for prefix in prefixes {
        let mut root_parts = components(prefix);
        if let Some(first) = parts.get(root_parts.len()) {
            root_parts.push(first);
        }
        let mut root = b"/".to_vec();
        root.extend_from_slice(&root_parts.join(&b'/'));
        let root_path = Path::new(std::ffi::OsStr::from_bytes(&root));
        let below = parts.len() >= root_parts.len() && parts[..root_parts.len()] == root_parts[..];
        assert_eq!(
            within(root_path, resolved),
            below,
            "within({root_path:?}, {resolved:?})"
        );
    }
}
