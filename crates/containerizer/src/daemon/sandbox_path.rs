//! Which sandbox file a path of the files API (`/files/browse`, `/files/read`,
//! `/files/download`) names, decided on the path alone: no file system access, so that any
//! byte string can be thrown at [`parse`] (a fuzz target does).
//!
//! A sandbox is reachable as `<prefix>/<ContainerID>` for each prefix the daemon attaches:
//! `/sandboxes` (the alias) and `<work_dir>/sandboxes` (the host path, as Mesos attaches
//! each sandbox under its own absolute path). Everything below it is the file inside the
//! sandbox. The answer is only lexical; [`within`] then judges the path as the file system
//! resolves it (symlinks), which the caller must check too.
//!
//! - `.` and empty components are dropped; `..` is applied lexically. Once a `..` is written
//!   inside a sandbox, the path must end in that sandbox: leaving it (`/sandboxes/c1/../c2`,
//!   `/sandboxes/c1/../../etc`, also after an earlier `..` outside any sandbox:
//!   `/x/../sandboxes/c1/../c2`) is an escape ([`PathRefusal::Escapes`], 403), and so is a
//!   `..` that climbs above `/`.
//! - A path under no prefix, or with a malformed ContainerID, names nothing
//!   ([`PathRefusal::NotFound`], 404): every other path on the host is simply not there.
//! - A NUL byte is malformed ([`PathRefusal::Invalid`], 400).
//!
//! The caller decodes the query string once (`%2e%2e` is `..`, `%2F` is `/`, as the agent's
//! URL decoder does); a path decoded twice would let `%252e%252e` through as a name, which
//! is harmless: a file called `%2e%2e` is looked up and not found.

use std::path::Path;

/// Why a path names no file of a sandbox.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathRefusal {
    /// The path is malformed (400).
    #[error("{0}")]
    Invalid(String),
    /// The path leaves the sandbox it names (403).
    #[error("the path leaves the sandbox")]
    Escapes,
    /// The path is under no sandbox (404).
    #[error("no sandbox holds this path")]
    NotFound,
}

/// A file inside one sandbox, named lexically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxPath {
    /// The container whose sandbox it is.
    pub container_id: String,
    /// The components below the sandbox directory: none for the sandbox itself; never
    /// empty, `.` or `..`, never containing `/` or NUL.
    pub components: Vec<Vec<u8>>,
}

impl SandboxPath {
    /// The path below the sandbox directory (empty for the sandbox itself).
    pub fn relative(&self) -> std::path::PathBuf {
        use std::os::unix::ffi::OsStrExt;
        self.components
            .iter()
            .map(|c| std::ffi::OsStr::from_bytes(c))
            .collect()
    }
}

/// `path` without Mesos's optional `file://` prefix, as the agent strips it.
pub fn strip_file_uri(path: &[u8]) -> &[u8] {
    path.strip_prefix(b"file://").unwrap_or(path)
}

/// The components of `path`, without empty ones and `.`.
fn components(path: &[u8]) -> Vec<&[u8]> {
    path.split(|b| *b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
        .collect()
}

/// The sandbox `path` (already normalized) is in: its ContainerID and the index of its
/// first component below the sandbox. The longest matching prefix wins.
fn sandbox_of(path: &[&[u8]], prefixes: &[Vec<&[u8]>]) -> Option<(String, usize)> {
    prefixes
        .iter()
        .filter(|prefix| path.len() > prefix.len() && path.starts_with(prefix))
        .max_by_key(|prefix| prefix.len())
        .and_then(|prefix| {
            let id = std::str::from_utf8(path[prefix.len()]).ok()?;
            crate::task::validate::container_id(id).ok()?;
            Some((id.to_string(), prefix.len() + 1))
        })
}

/// Names the sandbox file of the request path `request` (the decoded `path=` parameter),
/// given the `prefixes` sandboxes are attached under (each an absolute path such as
/// `/sandboxes`). See the module docs for the rules.
pub fn parse(request: &[u8], prefixes: &[&[u8]]) -> Result<SandboxPath, PathRefusal> {
    let request = strip_file_uri(request);
    if request.is_empty() {
        return Err(PathRefusal::Invalid(
            "Expecting 'path=value' in query".into(),
        ));
    }
    if request.contains(&0) {
        return Err(PathRefusal::Invalid("the path contains a NUL byte".into()));
    }
    if request[0] != b'/' {
        return Err(PathRefusal::NotFound);
    }
    let prefixes: Vec<Vec<&[u8]>> = prefixes
        .iter()
        .map(|p| components(p))
        .filter(|p| !p.contains(&&b".."[..]))
        .collect();
    let parts = components(request);
    // The sandbox the first `..` written inside a sandbox was written in: the path may move
    // within it, never out of it. It is judged on the path normalised so far, not as
    // written, so that a `..` before any sandbox (`/x/../sandboxes/c1/../c2`) does not hide
    // a later one that leaves.
    let mut entered: Option<String> = None;
    let mut normalized: Vec<&[u8]> = Vec::with_capacity(parts.len());
    for part in parts {
        if part == b".." {
            if entered.is_none() {
                entered = sandbox_of(&normalized, &prefixes).map(|(id, _)| id);
            }
            if normalized.pop().is_none() {
                return Err(PathRefusal::Escapes);
            }
        } else {
            normalized.push(part);
        }
    }
    let found = sandbox_of(&normalized, &prefixes);
    match (entered, found) {
        (Some(from), Some((to, _))) if from != to => Err(PathRefusal::Escapes),
        (Some(_), None) => Err(PathRefusal::Escapes),
        (_, None) => Err(PathRefusal::NotFound),
        (_, Some((container_id, below))) => Ok(SandboxPath {
            container_id,
            components: normalized[below..].iter().map(|c| c.to_vec()).collect(),
        }),
    }
}

/// Whether `resolved` (a path with every symlink resolved) is `root` or lies below it,
/// compared component by component (`/w/sandboxes/c10` is not below `/w/sandboxes/c1`).
pub fn within(root: &Path, resolved: &Path) -> bool {
    resolved.starts_with(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREFIXES: &[&[u8]] = &[b"/sandboxes", b"/var/lib/mesos-docker/sandboxes"];

    fn ok(path: &str) -> (String, String) {
        let p = parse(path.as_bytes(), PREFIXES).unwrap_or_else(|e| panic!("{path}: {e:?}"));
        (p.container_id.clone(), p.relative().display().to_string())
    }

    fn refused(path: &[u8]) -> PathRefusal {
        parse(path, PREFIXES).expect_err(&String::from_utf8_lossy(path))
    }

    #[test]
    fn a_sandbox_is_reached_by_its_alias_and_its_host_path() {
        assert_eq!(ok("/sandboxes/c1"), ("c1".into(), "".into()));
        assert_eq!(ok("/sandboxes/c1/"), ("c1".into(), "".into()));
        assert_eq!(ok("/sandboxes/c1/stdout"), ("c1".into(), "stdout".into()));
        assert_eq!(
            ok("/var/lib/mesos-docker/sandboxes/c-2_x/dir/file.txt"),
            ("c-2_x".into(), "dir/file.txt".into())
        );
        assert_eq!(
            ok("file:///sandboxes/c1/stdout"),
            ("c1".into(), "stdout".into())
        );
        assert_eq!(
            ok("//sandboxes///c1/./stdout"),
            ("c1".into(), "stdout".into())
        );
    }

    #[test]
    fn dot_dot_may_move_inside_a_sandbox_only() {
        assert_eq!(
            ok("/sandboxes/c1/a/../stdout"),
            ("c1".into(), "stdout".into())
        );
        assert_eq!(
            ok("/sandboxes/c1/a/b/../../stdout"),
            ("c1".into(), "stdout".into())
        );
        // Before any sandbox was entered, `..` only spells the path differently.
        assert_eq!(
            ok("/x/../sandboxes/c1/stdout"),
            ("c1".into(), "stdout".into())
        );
        assert_eq!(ok("/sandboxes/../sandboxes/c1"), ("c1".into(), "".into()));
        assert_eq!(
            ok("/x/../sandboxes/c1/a/../stdout"),
            ("c1".into(), "stdout".into())
        );
    }

    #[test]
    fn every_way_out_is_refused() {
        for path in [
            &b"/sandboxes/c1/.."[..],
            b"/sandboxes/c1/../",
            b"/sandboxes/c1/../c2/stdout",
            b"/sandboxes/c1/../../etc/passwd",
            b"/sandboxes/c1/a/../../../meta/containers/c1/task.json",
            b"/var/lib/mesos-docker/sandboxes/c1/../../meta/agent_id",
            b"/var/lib/mesos-docker/sandboxes/c1/../c1x/stdout",
            b"/..",
            b"/../sandboxes/c1/stdout",
            b"/sandboxes/../../etc",
            // A `..` before any sandbox does not excuse a later one that leaves.
            b"/x/../sandboxes/c1/../c2",
            b"/x/../sandboxes/c1/../../sandboxes/c2/stdout",
        ] {
            assert_eq!(
                refused(path),
                PathRefusal::Escapes,
                "{}",
                String::from_utf8_lossy(path)
            );
        }
    }

    #[test]
    fn paths_under_no_sandbox_name_nothing() {
        for path in [
            &b"/etc/passwd"[..],
            b"/sandboxes",
            b"/sandboxes/",
            b"/",
            b"sandboxes/c1/stdout",
            b"/var/lib/mesos-docker",
            b"/var/lib/mesos-docker/meta/containers/c1/task.json",
            b"/sandboxes/c.1/stdout",
            b"/sandboxes/%2e%2e/stdout",
            b"/sandboxes/\xff/stdout",
            b"/sandboxes1/c1",
            b"/x/../etc",
        ] {
            assert_eq!(
                refused(path),
                PathRefusal::NotFound,
                "{}",
                String::from_utf8_lossy(path)
            );
        }
        let long = format!("/sandboxes/{}/stdout", "a".repeat(65));
        assert_eq!(refused(long.as_bytes()), PathRefusal::NotFound);
    }

    #[test]
    fn malformed_paths_are_bad_requests() {
        assert!(matches!(refused(b""), PathRefusal::Invalid(_)));
        assert!(matches!(refused(b"file://"), PathRefusal::Invalid(_)));
        assert!(matches!(
            refused(b"/sandboxes/c1/std\0out"),
            PathRefusal::Invalid(_)
        ));
    }

    #[test]
    fn names_are_bytes_not_text() {
        let p = parse(b"/sandboxes/c1/caf\xe9/%2e%2e", PREFIXES).unwrap();
        assert_eq!(p.components, vec![b"caf\xe9".to_vec(), b"%2e%2e".to_vec()]);
    }

    #[test]
    fn the_longest_prefix_wins() {
        // A work dir under the alias: its host paths are not read as the alias.
        let prefixes: &[&[u8]] = &[b"/sandboxes", b"/sandboxes/w/sandboxes"];
        let p = parse(b"/sandboxes/w/sandboxes/c1/stdout", prefixes).unwrap();
        assert_eq!(p.container_id, "c1");
        assert_eq!(p.relative(), Path::new("stdout"));
    }

    #[test]
    fn any_bytes_give_an_answer_and_answers_stay_inside() {
        // A cheap stand-in for the fuzz target: random paths, half of them starting in a
        // sandbox. Every answer names a sandbox with components that cannot climb out of
        // it, and names the same file when asked again in its plain form.
        let parts: &[&[u8]] = &[
            b"..",
            b".",
            b"",
            b"sandboxes",
            b"c1",
            b"c2",
            b"%2e",
            b"\0",
            b"x",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let (mut found, mut escapes) = (0, 0);
        for _ in 0..20_000 {
            let mut path: Vec<u8> = match next() % 4 {
                0 => b"/sandboxes/c1".to_vec(),
                1 => b"/var/lib/mesos-docker/sandboxes/c2".to_vec(),
                2 => Vec::new(),
                _ => b"file://".to_vec(),
            };
            for _ in 0..next() % 6 {
                path.push(b'/');
                path.extend_from_slice(parts[(next() % parts.len() as u64) as usize]);
            }
            match parse(&path, PREFIXES) {
                Ok(p) => {
                    found += 1;
                    assert!(
                        p.components.iter().all(|c| !c.is_empty()
                            && c != b"."
                            && c != b".."
                            && !c.contains(&b'/')
                            && !c.contains(&0)),
                        "{:?} -> {p:?}",
                        String::from_utf8_lossy(&path)
                    );
                    let plain = Path::new("/sandboxes")
                        .join(&p.container_id)
                        .join(p.relative());
                    assert_eq!(
                        parse(plain.as_os_str().as_encoded_bytes(), PREFIXES).as_ref(),
                        Ok(&p)
                    );
                }
                Err(PathRefusal::Escapes) => escapes += 1,
                Err(_) => {}
            }
        }
        assert!(
            found > 1000 && escapes > 1000,
            "{found} found, {escapes} escapes"
        );
    }

    #[test]
    fn within_compares_components() {
        let root = Path::new("/w/sandboxes/c1");
        assert!(within(root, Path::new("/w/sandboxes/c1")));
        assert!(within(root, Path::new("/w/sandboxes/c1/stdout")));
        assert!(!within(root, Path::new("/w/sandboxes/c10/stdout")));
        assert!(!within(root, Path::new("/w/sandboxes")));
        assert!(!within(root, Path::new("/etc/passwd")));
    }
}
