//! Archive extraction into a scratch sandbox (`fetcher::archive::{extract, gunzip}`), as the
//! fetcher does with a `.tar`, `.tar.gz`, `.tar.bz2`, `.tar.xz`, `.zip` or `.gz` it fetched.
//! Nothing may ever be created outside the sandbox (the scratch directory around it is
//! watched), no symlink left in it may lead out of it, no hard link may reach a file outside,
//! no setuid/setgid/sticky bit survives, the data written stays within the disk budget, and
//! a refused archive leaves the sandbox as it found it (empty).
//!
//! Input: one byte choosing how the rest is used, then the bytes.
//! - 0: the archive as it is (the format is sniffed from its first bytes, as the fetcher
//!   does: tar, gzip, bzip2, xz, zip);
//! - 1, 2, 3: the rest compressed with gzip, bzip2 or xz first, so that the fuzzer explores
//!   the tar reader behind each decompressor;
//! - 4: a single-file `.gz` as it is;
//! - 5: the rest gzip-compressed, as a single-file `.gz` (which must decompress to exactly
//!   the rest).

use fetcher::archive::{extract, gunzip};
use fetcher::budget::DiskBudget;
use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

/// The run's disk budget: enough for every seed, small enough that a bomb stops quickly.
pub const BUDGET: u64 = 4 << 20;
const UMASK: u32 = 0o022;

pub fn run(data: &[u8]) {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let scratch = Scratch::new();
    let sandbox = scratch.path().join("sandbox");
    // A sibling a `../outside/x` entry or a `../outside` symlink would reach.
    let outside = scratch.path().join("outside");
    let download = scratch.path().join("download");
    for dir in [&sandbox, &outside, &download] {
        fs::create_dir(dir).expect("scratch directories");
    }
    let archive = download.join("archive");
    let bytes = match mode % 6 {
        1 | 5 => compress_gzip(body),
        2 => compress_bzip2(body),
        3 => compress_xz(body),
        _ => body.to_vec(),
    };
    fs::write(&archive, &bytes).expect("write the archive");

    let budget = DiskBudget::new(Some(BUDGET));
    let single_file = matches!(mode % 6, 4 | 5);
    let outcome = if single_file {
        gunzip(&archive, &sandbox.join("archive"), UMASK, &budget)
    } else {
        extract(&archive, &sandbox, UMASK, &budget)
    };

    // Only the sandbox may have changed.
    let mut found = Vec::new();
    walk(scratch.path(), &mut found);
    for path in &found {
        let rel = path
            .strip_prefix(scratch.path())
            .expect("under the scratch dir");
        let allowed = rel.as_os_str().is_empty()
            || rel.starts_with("sandbox")
            || rel == Path::new("outside")
            || rel == Path::new("download")
            || rel == Path::new("download/archive");
        assert!(
            allowed,
            "the extraction created {rel:?} outside the sandbox"
        );
    }
    assert_eq!(
        fs::read(&archive).expect("the archive is still there"),
        bytes,
        "the extraction changed the archive itself"
    );

    let in_sandbox: Vec<&PathBuf> = found
        .iter()
        .filter(|p| p.starts_with(&sandbox) && **p != sandbox)
        .collect();
    if let Err(e) = &outcome {
        assert!(!e.to_string().is_empty());
        assert!(
            in_sandbox.is_empty(),
            "a refused archive ({e}) left {in_sandbox:?} in the sandbox"
        );
        return;
    }

    let sandbox_real = fs::canonicalize(&sandbox).expect("the sandbox resolves");
    let mut written = 0u64;
    let mut links: HashMap<(u64, u64), (u64, u64)> = HashMap::new();
    for path in &in_sandbox {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        assert!(
            !name.starts_with(".mesos-fetcher-"),
            "a staging file {path:?} was left behind"
        );
        let meta = fs::symlink_metadata(path).expect("stat");
        if meta.file_type().is_symlink() {
            if let Some(real) = resolve(path, 0) {
                assert!(
                    real.starts_with(&sandbox_real),
                    "symlink {path:?} leads out of the sandbox, to {real:?}"
                );
            }
            continue;
        }
        assert_eq!(
            meta.permissions().mode() & 0o7000,
            0,
            "{path:?} kept a setuid, setgid or sticky bit"
        );
        if meta.is_file() {
            assert_eq!(
                meta.permissions().mode() & UMASK,
                0,
                "{path:?} ignores the umask"
            );
            let seen = links.entry((meta.dev(), meta.ino())).or_insert_with(|| {
                written += meta.len();
                (meta.nlink(), 0)
            });
            seen.1 += 1;
        }
    }
    // Every name of every file lives in the sandbox: no hard link to a file elsewhere.
    for (nlink, names) in links.values() {
        assert_eq!(nlink, names, "a file in the sandbox has a name outside it");
    }
    assert!(
        written <= BUDGET,
        "{written} bytes written, beyond the budget of {BUDGET}"
    );
    assert!(budget.used() <= BUDGET);
    if mode % 6 == 5 {
        let out = fs::read(sandbox.join("archive")).expect("the decompressed file");
        assert_eq!(out, body, "gunzip did not give back what was compressed");
    }
}

/// A fresh directory under the temporary directory, removed (whatever the archive's modes)
/// when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("fuzz-archive-")
            .tempdir()
            .expect("a scratch directory");
        Self(dir.keep())
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let mut all = Vec::new();
        walk(&self.0, &mut all);
        for p in &all {
            if fs::symlink_metadata(p).is_ok_and(|m| m.is_dir()) {
                let _ = fs::set_permissions(p, fs::Permissions::from_mode(0o700));
            }
        }
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Every path under `dir` (not following symlinks), `dir` included.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    out.push(dir.to_path_buf());
    if !fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) {
        return;
    }
    let mut listing = fs::read_dir(dir);
    if listing.is_err() {
        // A directory the archive left without permissions (we are not root): we own it.
        let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
        listing = fs::read_dir(dir);
    }
    if let Ok(entries) = listing {
        for entry in entries.flatten() {
            walk(&entry.path(), out);
        }
    }
}

/// Where `path` leads on the real file system, following every symlink on the way
/// (components that do not exist are taken as plain names); `None` for a loop.
fn resolve(path: &Path, depth: u32) -> Option<PathBuf> {
    if depth > 40 {
        return None;
    }
    let mut here = PathBuf::from("/");
    for comp in path.components() {
        match comp {
            Component::RootDir | Component::Prefix(_) => here = PathBuf::from("/"),
            Component::CurDir => {}
            Component::ParentDir => {
                here.pop();
            }
            Component::Normal(name) => {
                let next = here.join(name);
                match fs::symlink_metadata(&next) {
                    Ok(m) if m.file_type().is_symlink() => {
                        let target = fs::read_link(&next).ok()?;
                        here = resolve(&here.join(target), depth + 1)?;
                    }
                    _ => here = next,
                }
            }
        }
    }
    Some(here)
}

fn compress_gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("in memory");
    e.finish().expect("in memory")
}

fn compress_bzip2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    e.write_all(data).expect("in memory");
    e.finish().expect("in memory")
}

fn compress_xz(data: &[u8]) -> Vec<u8> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 0);
    e.write_all(data).expect("in memory");
    e.finish().expect("in memory")
}
