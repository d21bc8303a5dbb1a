//! In-process, sandbox-safe extraction of tar (plain, gzip, bzip2, xz), zip and single-file
//! gzip archives.
//!
//! An archive is first extracted into a fresh staging directory inside the sandbox and only
//! moved into the sandbox root once every entry has passed the checks, so nothing of a
//! rejected archive stays behind. Refused: entries with an absolute path or any `..`
//! component, symlinks whose target (after following the links already extracted) leaves the
//! sandbox, hard links to anything but a regular file of the same archive, and writes
//! through a symlink that leads outside. Modes come from the archive minus the umask, without
//! setuid, setgid or sticky bits; mtimes are restored (libarchive's `ARCHIVE_EXTRACT_TIME`).
//! Every byte of file data written is charged to the run's [`DiskBudget`] first, so an
//! archive that expands beyond it stops there (and leaves nothing, as a rejected one).

use crate::budget::{DiskBudget, Metered};
use crate::error::FetchError;
use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The compression or container detected from an archive's first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Tar,
    TarGzip,
    TarBzip2,
    TarXz,
    Zip,
}

/// Sniffs the format from the content (libarchive detects it the same way, so a `.tgz` that
/// is really an uncompressed tar works).
pub fn detect(path: &Path) -> io::Result<Format> {
    let mut head = [0u8; 6];
    let mut f = File::open(path)?;
    let n = read_up_to(&mut f, &mut head)?;
    let head = &head[..n];
    Ok(if head.starts_with(&[0x1f, 0x8b]) {
        Format::TarGzip
    } else if head.starts_with(b"BZh") {
        Format::TarBzip2
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Format::TarXz
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Format::Zip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "zstd-compressed archives are not supported",
        ));
    } else {
        Format::Tar
    })
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Extracts `archive` into `dest_root` (the sandbox root). `umask` is applied to the
/// archive's modes; the data written is charged to `budget`.
pub fn extract(
    archive: &Path,
    dest_root: &Path,
    umask: u32,
    budget: &DiskBudget,
) -> Result<(), FetchError> {
    let fail = |reason: String| FetchError::Extract {
        archive: archive.to_path_buf(),
        dir: dest_root.to_path_buf(),
        reason,
    };
    let format = detect(archive).map_err(|e| fail(e.to_string()))?;
    let staging = tempfile::Builder::new()
        .prefix(".mesos-fetcher-extract-")
        .tempdir_in(dest_root)
        .map_err(|e| fail(format!("cannot create a staging directory: {e}")))?;
    let mut x = Extractor {
        archive: archive.to_path_buf(),
        budget,
        root: staging.path().to_path_buf(),
        umask,
        symlinks: HashSet::new(),
        known_dirs: HashSet::new(),
        dirs: Vec::new(),
    };
    let file = File::open(archive).map_err(|e| fail(e.to_string()))?;
    match format {
        Format::Zip => x.zip(file)?,
        Format::Tar => x.tar(BufReader::with_capacity(1 << 16, file))?,
        Format::TarGzip => x.tar(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(
            1 << 16,
            file,
        )))?,
        Format::TarBzip2 => x.tar(bzip2::read::MultiBzDecoder::new(BufReader::with_capacity(
            1 << 16,
            file,
        )))?,
        Format::TarXz => x.tar(liblzma::read::XzDecoder::new_multi_decoder(
            BufReader::with_capacity(1 << 16, file),
        ))?,
    }
    x.recheck_symlinks()?;
    merge(staging.path(), dest_root)
        .map_err(|e| fail(format!("cannot move entries into place: {e}")))?;
    x.apply_dir_metadata(dest_root);
    Ok(())
}

/// Decompresses a single-file gzip `src` into `dest` (written whole, then renamed into
/// place), charging the output to `budget`. Concatenated members are read like `gunzip`
/// does.
pub fn gunzip(src: &Path, dest: &Path, umask: u32, budget: &DiskBudget) -> Result<(), FetchError> {
    let fail = |reason: String| FetchError::Extract {
        archive: src.to_path_buf(),
        dir: dest.to_path_buf(),
        reason,
    };
    let dir = dest.parent().unwrap_or(Path::new("."));
    let input = File::open(src).map_err(|e| fail(e.to_string()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".mesos-fetcher-gunzip-")
        .tempfile_in(dir)
        .map_err(|e| fail(e.to_string()))?;
    let mut decoder = flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 16, input));
    io::copy(&mut decoder, &mut Metered::new(tmp.as_file_mut(), budget)).map_err(|e| {
        match DiskBudget::refusal_of(&e) {
            Some(r) => budget.error(r, format!("decompressing '{}'", display_name(src))),
            None => fail(format!("gunzip failed: {e}")),
        }
    })?;
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(0o644 & !umask))
        .map_err(|e| fail(e.to_string()))?;
    tmp.persist(dest).map_err(|e| fail(e.error.to_string()))?;
    Ok(())
}

/// The file name of `path`, for messages.
fn display_name(path: &Path) -> String {
    path.file_name()
        .unwrap_or(path.as_os_str())
        .to_string_lossy()
        .into_owned()
}

struct Extractor<'a> {
    archive: PathBuf,
    budget: &'a DiskBudget,
    /// The staging directory, standing in for the sandbox root.
    root: PathBuf,
    umask: u32,
    /// Symlinks created so far, relative to `root`.
    symlinks: HashSet<PathBuf>,
    /// Directories known to exist (relative), to save syscalls.
    known_dirs: HashSet<PathBuf>,
    /// Directory entries: modes and mtimes are applied last, once their content is written.
    dirs: Vec<(PathBuf, u32, Option<u64>)>,
}

enum Kind {
    File,
    Dir,
    Symlink(PathBuf),
    Hardlink(PathBuf),
    Skip(&'static str),
}

impl Extractor<'_> {
    fn hostile(&self, entry: &Path, reason: impl Into<String>) -> FetchError {
        FetchError::HostileArchive {
            archive: self.archive.clone(),
            entry: entry.display().to_string(),
            reason: reason.into(),
        }
    }

    fn failed(&self, reason: String) -> FetchError {
        FetchError::Extract {
            archive: self.archive.clone(),
            dir: self.root.parent().unwrap_or(&self.root).to_path_buf(),
            reason,
        }
    }

    /// The entry path relative to the root, refusing absolute paths and `..` (libarchive's
    /// `SECURE_NODOTDOT`, and more). `None` for the root itself (`./`).
    fn entry_path(&self, raw: &Path) -> Result<Option<PathBuf>, FetchError> {
        let mut out = PathBuf::new();
        for comp in raw.components() {
            match comp {
                Component::Normal(c) => out.push(c),
                Component::CurDir => {}
                Component::ParentDir => {
                    return Err(self.hostile(raw, "contains '..'"));
                }
                Component::RootDir | Component::Prefix(_) => {
                    return Err(self.hostile(raw, "has an absolute path"));
                }
            }
        }
        Ok(if out.as_os_str().is_empty() {
            None
        } else {
            Some(out)
        })
    }

    /// Where `rel` really lives under the root: its parent directory with any symlinks
    /// extracted earlier followed (and checked to stay inside), created if missing.
    fn place(&mut self, rel: &Path) -> Result<PathBuf, FetchError> {
        let parent = rel.parent().unwrap_or(Path::new(""));
        let name = rel.file_name().expect("entry paths have a final component");
        let real_parent =
            if !self.symlinks.is_empty() && parent.ancestors().any(|a| self.symlinks.contains(a)) {
                resolve_within(&self.root, Path::new(""), parent, 0).ok_or_else(|| {
                    self.hostile(
                        rel,
                        "is written through a symlink that leads outside the sandbox",
                    )
                })?
            } else {
                parent.to_path_buf()
            };
        if !real_parent.as_os_str().is_empty() && !self.known_dirs.contains(&real_parent) {
            let abs = self.root.join(&real_parent);
            fs::create_dir_all(&abs).map_err(|e| {
                self.failed(format!("cannot create '{}': {e}", real_parent.display()))
            })?;
            for a in real_parent.ancestors() {
                if a.as_os_str().is_empty() || !self.known_dirs.insert(a.to_path_buf()) {
                    break;
                }
            }
        }
        Ok(real_parent.join(name))
    }

    /// Removes whatever non-directory is at `abs` so a new entry can take its place.
    fn clear(&self, abs: &Path) -> Result<(), FetchError> {
        match fs::symlink_metadata(abs) {
            Ok(m) if m.is_dir() => fs::remove_dir(abs).map_err(|e| {
                self.failed(format!("cannot replace directory '{}': {e}", abs.display()))
            }),
            Ok(_) => fs::remove_file(abs)
                .map_err(|e| self.failed(format!("cannot replace '{}': {e}", abs.display()))),
            Err(_) => Ok(()),
        }
    }

    fn entry(
        &mut self,
        raw: &Path,
        kind: Kind,
        mode: u32,
        mtime: Option<u64>,
        data: &mut dyn Read,
    ) -> Result<(), FetchError> {
        let Some(rel) = self.entry_path(raw)? else {
            return Ok(());
        };
        match kind {
            Kind::Skip(what) => {
                tracing::warn!(
                    "Skipping {what} entry '{}' of archive '{}'",
                    raw.display(),
                    self.archive.display()
                );
            }
            Kind::Dir => {
                let real = self.place(&rel)?;
                let abs = self.root.join(&real);
                if fs::symlink_metadata(&abs).is_ok_and(|m| !m.is_dir()) {
                    self.clear(&abs)?;
                    self.symlinks.remove(&real);
                }
                if self.known_dirs.insert(real.clone()) {
                    fs::create_dir_all(&abs).map_err(|e| {
                        self.failed(format!("cannot create '{}': {e}", rel.display()))
                    })?;
                }
                self.dirs.push((real, mode, mtime));
            }
            Kind::File => {
                let real = self.place(&rel)?;
                let abs = self.root.join(&real);
                let open = || {
                    OpenOptions::new()
                        .write(true)
                        .create(true)
                        .truncate(true)
                        .mode(0o600)
                        .custom_flags(libc::O_NOFOLLOW)
                        .open(&abs)
                };
                let mut file = match open() {
                    Ok(f) => f,
                    Err(_) => {
                        self.clear(&abs)?;
                        self.symlinks.remove(&real);
                        self.known_dirs.remove(&real);
                        open().map_err(|e| {
                            self.failed(format!("cannot create '{}': {e}", rel.display()))
                        })?
                    }
                };
                io::copy(data, &mut Metered::new(&mut file, self.budget)).map_err(|e| {
                    match DiskBudget::refusal_of(&e) {
                        Some(r) => self
                            .budget
                            .error(r, format!("extracting '{}'", display_name(&self.archive))),
                        None => {
                            self.failed(format!("cannot read data of '{}': {e}", rel.display()))
                        }
                    }
                })?;
                file.set_permissions(fs::Permissions::from_mode(mode & 0o777 & !self.umask))
                    .map_err(|e| self.failed(format!("cannot chmod '{}': {e}", rel.display())))?;
                if let Some(t) = mtime {
                    let _ = file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(t));
                }
            }
            Kind::Symlink(target) => {
                let real = self.place(&rel)?;
                let from = real.parent().unwrap_or(Path::new(""));
                if target.is_absolute() {
                    return Err(self.hostile(
                        &rel,
                        format!(
                            "is a symlink to the absolute path '{}', outside the sandbox",
                            target.display()
                        ),
                    ));
                }
                if resolve_within(&self.root, from, &target, 0).is_none() {
                    return Err(self.hostile(
                        &rel,
                        format!(
                            "is a symlink to '{}', which points outside the sandbox",
                            target.display()
                        ),
                    ));
                }
                let abs = self.root.join(&real);
                self.clear(&abs)?;
                self.known_dirs.remove(&real);
                std::os::unix::fs::symlink(&target, &abs).map_err(|e| {
                    self.failed(format!("cannot create symlink '{}': {e}", rel.display()))
                })?;
                self.symlinks.insert(real);
            }
            Kind::Hardlink(target) => {
                let Some(target_rel) = self.entry_path(&target).map_err(|_| {
                    self.hostile(
                        &rel,
                        format!(
                            "is a hard link to '{}', which points outside the sandbox",
                            target.display()
                        ),
                    )
                })?
                else {
                    return Err(self.hostile(&rel, "is a hard link to the archive root"));
                };
                let target_parent = target_rel.parent().unwrap_or(Path::new(""));
                let real_target_parent =
                    resolve_within(&self.root, Path::new(""), target_parent, 0).ok_or_else(
                        || {
                            self.hostile(
                                &rel,
                                "is a hard link through a symlink leading outside the sandbox",
                            )
                        },
                    )?;
                let target_abs = self
                    .root
                    .join(real_target_parent)
                    .join(target_rel.file_name().unwrap_or_default());
                match fs::symlink_metadata(&target_abs) {
                    Ok(m) if m.is_file() => {}
                    _ => {
                        return Err(self.hostile(
                            &rel,
                            format!(
                                "is a hard link to '{}', which is not a regular file earlier in the archive",
                                target.display()
                            ),
                        ))
                    }
                }
                let real = self.place(&rel)?;
                let abs = self.root.join(&real);
                if abs != target_abs {
                    self.clear(&abs)?;
                    fs::hard_link(&target_abs, &abs).map_err(|e| {
                        self.failed(format!("cannot create hard link '{}': {e}", rel.display()))
                    })?;
                }
            }
        }
        Ok(())
    }

    fn tar<R: Read>(&mut self, reader: R) -> Result<(), FetchError> {
        let mut archive = tar::Archive::new(reader);
        let entries = archive
            .entries()
            .map_err(|e| self.failed(format!("Failed to read archive header: {e}")))?;
        let mut seen = 0usize;
        for entry in entries {
            let mut entry =
                entry.map_err(|e| self.failed(format!("Failed to read archive header: {e}")))?;
            seen += 1;
            let path = entry
                .path()
                .map_err(|e| self.failed(format!("bad entry path: {e}")))?
                .into_owned();
            let header = entry.header();
            let mode = header.mode().unwrap_or(0o644);
            let mtime = header.mtime().ok();
            let et = header.entry_type();
            let link = || -> Result<PathBuf, FetchError> {
                Ok(entry
                    .link_name()
                    .map_err(|e| self.failed(format!("bad link name: {e}")))?
                    .ok_or_else(|| self.hostile(&path, "is a link without a target"))?
                    .into_owned())
            };
            let kind = match et {
                tar::EntryType::Regular
                | tar::EntryType::Continuous
                | tar::EntryType::GNUSparse => Kind::File,
                tar::EntryType::Directory => Kind::Dir,
                tar::EntryType::Symlink => Kind::Symlink(link()?),
                tar::EntryType::Link => Kind::Hardlink(link()?),
                tar::EntryType::Char => Kind::Skip("character device"),
                tar::EntryType::Block => Kind::Skip("block device"),
                tar::EntryType::Fifo => Kind::Skip("fifo"),
                tar::EntryType::XGlobalHeader
                | tar::EntryType::XHeader
                | tar::EntryType::GNULongName
                | tar::EntryType::GNULongLink => continue,
                _ => Kind::Skip("unknown"),
            };
            self.entry(&path, kind, mode, mtime, &mut entry)?;
        }
        if seen == 0 {
            return Err(
                self.failed("Failed to read archive header: Unrecognized archive format".into())
            );
        }
        Ok(())
    }

    fn zip<R: Read + Seek>(&mut self, mut reader: R) -> Result<(), FetchError> {
        reader
            .seek(SeekFrom::Start(0))
            .map_err(|e| self.failed(e.to_string()))?;
        let mut zip = zip::ZipArchive::new(reader)
            .map_err(|e| self.failed(format!("Failed to read archive header: {e}")))?;
        for i in 0..zip.len() {
            let mut file = zip
                .by_index(i)
                .map_err(|e| self.failed(format!("Failed to read archive header: {e}")))?;
            let name = file
                .name()
                .map_err(|e| self.failed(format!("bad entry name: {e}")))?
                .into_owned();
            let path = PathBuf::from(&name);
            let mtime = file.last_modified().and_then(zip_time);
            let kind = if file.is_dir() {
                Kind::Dir
            } else if file.is_symlink() {
                let mut target = Vec::new();
                file.read_to_end(&mut target)
                    .map_err(|e| self.failed(format!("cannot read '{name}': {e}")))?;
                Kind::Symlink(PathBuf::from(OsString::from(
                    String::from_utf8_lossy(&target).into_owned(),
                )))
            } else {
                Kind::File
            };
            let default_mode = if matches!(kind, Kind::Dir) {
                0o755
            } else {
                0o644
            };
            let mode = file.unix_mode().map_or(default_mode, |m| m & 0o7777);
            self.entry(&path, kind, mode, mtime, &mut file)?;
        }
        Ok(())
    }

    /// A later entry can change what an earlier symlink resolves to; check them all again.
    fn recheck_symlinks(&self) -> Result<(), FetchError> {
        for link in &self.symlinks {
            let abs = self.root.join(link);
            let Ok(target) = fs::read_link(&abs) else {
                continue;
            };
            let from = link.parent().unwrap_or(Path::new(""));
            if resolve_within(&self.root, from, &target, 0).is_none() {
                return Err(self.hostile(
                    link,
                    format!(
                        "is a symlink to '{}', which points outside the sandbox",
                        target.display()
                    ),
                ));
            }
        }
        Ok(())
    }

    fn apply_dir_metadata(&mut self, dest_root: &Path) {
        // Deepest first, so a read-only parent does not block its children.
        self.dirs
            .sort_by_key(|(p, _, _)| std::cmp::Reverse(p.components().count()));
        for (rel, mode, mtime) in &self.dirs {
            let abs = dest_root.join(rel);
            if fs::symlink_metadata(&abs).is_ok_and(|m| m.is_dir()) {
                let _ = fs::set_permissions(
                    &abs,
                    fs::Permissions::from_mode(mode & 0o777 & !self.umask),
                );
                if let Some(t) = mtime {
                    let ts = nix::sys::time::TimeSpec::new(*t as i64, 0);
                    let _ = nix::sys::stat::utimensat(
                        nix::fcntl::AT_FDCWD,
                        &abs,
                        &ts,
                        &ts,
                        nix::sys::stat::UtimensatFlags::NoFollowSymlink,
                    );
                }
            }
        }
    }
}

/// Resolves `target` as seen from directory `from` (both relative to `root`), following the
/// symlinks that exist under `root`, and returns where it lands relative to `root`; `None`
/// when it leaves `root` (or loops).
pub fn resolve_within(root: &Path, from: &Path, target: &Path, depth: u32) -> Option<PathBuf> {
    if depth > 40 {
        return None;
    }
    let mut stack: Vec<OsString> = from
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            _ => None,
        })
        .collect();
    for comp in target.components() {
        match comp {
            Component::RootDir | Component::Prefix(_) => return None,
            Component::CurDir => {}
            Component::ParentDir => {
                stack.pop()?;
            }
            Component::Normal(n) => {
                stack.push(n.to_os_string());
                let here: PathBuf = stack.iter().collect();
                let abs = root.join(&here);
                if let Ok(m) = fs::symlink_metadata(&abs) {
                    if m.file_type().is_symlink() {
                        let link = fs::read_link(&abs).ok()?;
                        if link.is_absolute() {
                            return None;
                        }
                        stack.pop();
                        let dir: PathBuf = stack.iter().collect();
                        let resolved = resolve_within(root, &dir, &link, depth + 1)?;
                        stack = resolved
                            .components()
                            .map(|c| c.as_os_str().to_os_string())
                            .collect();
                    }
                }
            }
        }
    }
    Some(stack.iter().collect())
}

/// Moves everything under `from` into `to`, merging directories that exist on both sides
/// and replacing anything else.
fn merge(from: &Path, to: &Path) -> io::Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let src_is_dir = entry.file_type()?.is_dir();
        match fs::symlink_metadata(&dst) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => fs::rename(&src, &dst)?,
            Err(e) => return Err(e),
            Ok(m) if m.is_dir() && src_is_dir => merge(&src, &dst)?,
            Ok(m) if m.is_dir() => {
                fs::remove_dir(&dst).map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!("cannot replace directory '{}': {e}", dst.display()),
                    )
                })?;
                fs::rename(&src, &dst)?;
            }
            Ok(_) => {
                // rename(2) replaces a file or symlink atomically; a directory needs the
                // old entry gone first.
                if src_is_dir {
                    fs::remove_file(&dst)?;
                }
                fs::rename(&src, &dst)?;
            }
        }
    }
    Ok(())
}

/// A zip (DOS) timestamp as seconds since the epoch, read as UTC.
fn zip_time(t: zip::DateTime) -> Option<u64> {
    let (y, m, d) = (
        i64::from(t.year()),
        i64::from(t.month()),
        i64::from(t.day()),
    );
    if !(1..=12).contains(&m) || d < 1 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400
        + i64::from(t.hour()) * 3600
        + i64::from(t.minute()) * 60
        + i64::from(t.second());
    u64::try_from(secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_within_follows_links_and_catches_escapes() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        fs::create_dir_all(r.join("a/b")).unwrap();
        std::os::unix::fs::symlink("..", r.join("a/b/up")).unwrap();
        assert_eq!(
            resolve_within(r, Path::new(""), Path::new("a/b/up"), 0),
            Some(PathBuf::from("a"))
        );
        assert_eq!(
            resolve_within(r, Path::new(""), Path::new("a/b/up/../.."), 0),
            None
        );
        std::os::unix::fs::symlink("/etc", r.join("abs")).unwrap();
        assert_eq!(
            resolve_within(r, Path::new(""), Path::new("abs/x"), 0),
            None
        );
        std::os::unix::fs::symlink("loop", r.join("loop")).unwrap();
        assert_eq!(resolve_within(r, Path::new(""), Path::new("loop"), 0), None);
    }

    #[test]
    fn zip_times_convert() {
        let t = zip::DateTime::from_date_and_time(2000, 1, 2, 3, 4, 6).unwrap();
        assert_eq!(zip_time(t), Some(946_782_246));
    }
}
