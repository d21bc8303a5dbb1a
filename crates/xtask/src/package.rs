//! `xtask package`: the `.deb` and the `.rpm` built from the cargo-deb and cargo-generate-rpm
//! metadata in crates/xtask/Cargo.toml, with the system's own tools (`dpkg-deb`, `rpmbuild`)
//! instead of the two cargo subcommands, which take minutes to compile on a fresh machine.
//!
//! The metadata stays the single source of truth: `cargo deb -p xtask` and
//! `cargo generate-rpm -p crates/xtask` build the same packages from it. So the asset rules
//! are the tools' own:
//!
//! * a source starting with `target/release/` is in the real target directory, under the
//!   profile's directory (`--profile dev` reads `<target>/debug/`);
//! * other sources are relative to this crate's directory for the .deb (cargo-deb) and to the
//!   workspace root for the .rpm (cargo-generate-rpm, run from there);
//! * a `*` or `?` in the file name matches files of that directory, each installed under the
//!   destination directory; a destination ending in `/` is a directory the source's file name
//!   is added to.
//!
//! A metadata key this module does not implement is an error rather than silently left out.

pub mod deb;
pub mod rpm;

use anyhow::{bail, Context};
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use toml::{Table, Value};

/// Where things are: the workspace, this crate, the target directory and the profile.
#[derive(Debug, Clone)]
pub struct Layout {
    pub workspace_root: PathBuf,
    pub crate_dir: PathBuf,
    pub target_dir: PathBuf,
    /// The cargo profile (`release`, `dev`, or a custom one).
    pub profile: String,
}

impl Layout {
    /// The layout of this workspace (the one xtask was built in). The target directory is
    /// `target_dir`, else `$CARGO_TARGET_DIR`, else `<workspace>/target`.
    pub fn of_workspace(profile: &str, target_dir: Option<PathBuf>) -> anyhow::Result<Self> {
        let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .canonicalize()
            .context("cannot find crates/xtask")?;
        let workspace_root = crate_dir
            .join("../..")
            .canonicalize()
            .context("cannot find the workspace root")?;
        let cwd = std::env::current_dir().context("no current directory")?;
        let target_dir = target_dir
            .or_else(|| std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from))
            .map(|d| cwd.join(d))
            .unwrap_or_else(|| workspace_root.join("target"));
        Ok(Self {
            crate_dir,
            workspace_root,
            target_dir,
            profile: profile.to_string(),
        })
    }

    /// The directory of the profile's build artifacts (`dev` builds into `debug`).
    pub fn profile_dir(&self) -> PathBuf {
        let name = match self.profile.as_str() {
            "dev" | "test" => "debug",
            "bench" => "release",
            other => other,
        };
        self.target_dir.join(name)
    }

    /// An asset source as both tools resolve it: `target/release/…` in the profile's
    /// directory, anything else relative to `base`.
    pub fn asset_source(&self, source: &str, base: &Path) -> PathBuf {
        match source.strip_prefix("target/release/") {
            Some(rest) => self.profile_dir().join(rest),
            None => base.join(source),
        }
    }

    /// Is `path` a build artifact (in the target directory)?
    pub fn is_built(&self, path: &Path) -> bool {
        path.starts_with(&self.target_dir)
    }
}

/// What a packaged path holds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// A copy of this file.
    File(PathBuf),
    /// These bytes (a file generated here, such as the .deb's copyright file).
    Data(Vec<u8>),
    /// An empty directory owned by the package.
    Dir,
}

/// One path of a package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    /// Absolute, without a trailing `/`: `/usr/bin/mesos-fetcher`.
    pub dest: String,
    pub source: Source,
    /// Permission bits, `0o755`.
    pub mode: u32,
}

impl Entry {
    pub fn size(&self) -> anyhow::Result<u64> {
        Ok(match &self.source {
            Source::File(path) => std::fs::metadata(path)
                .with_context(|| format!("cannot stat {}", path.display()))?
                .len(),
            Source::Data(data) => data.len() as u64,
            Source::Dir => 0,
        })
    }

    /// Writes the entry under `root` (`root` + `dest`), with its mode; parent directories are
    /// created with mode 0755.
    pub fn stage(&self, root: &Path) -> anyhow::Result<()> {
        let path = root.join(self.dest.trim_start_matches('/'));
        let parent = path.parent().expect("an entry has a parent directory");
        create_dirs(root, parent)?;
        match &self.source {
            Source::File(src) => {
                std::fs::copy(src, &path).with_context(|| {
                    format!("cannot copy {} to {}", src.display(), path.display())
                })?;
            }
            Source::Data(data) => std::fs::write(&path, data)
                .with_context(|| format!("cannot write {}", path.display()))?,
            Source::Dir => create_dirs(root, &path)?,
        }
        set_mode(&path, self.mode)
    }
}

/// Creates `dir` and its missing parents up to `root`, each with mode 0755 whatever the umask.
pub fn create_dirs(root: &Path, dir: &Path) -> anyhow::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        if parent != root && parent.starts_with(root) {
            create_dirs(root, parent)?;
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    set_mode(dir, 0o755)
}

pub fn set_mode(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot chmod {:o} {}", mode, path.display()))
}

/// Is this an ELF file (an executable or a shared library)?
pub fn is_elf(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == *b"\x7fELF"
}

/// The files an asset source names, each with its destination: a glob in the file name (`*`,
/// `?`) matches the regular files of its directory (sorted), each installed as
/// `dest/<name>`; a plain source is installed as `dest`, or as `dest<name>` when `dest` ends
/// in `/`. An asset that matches nothing is an error, as with both tools.
pub fn expand(source: &Path, dest: &str) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let name = source
        .file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("asset source {} has no file name", source.display()))?;
    let dir = source.parent().unwrap_or(Path::new("."));
    if dir.to_string_lossy().contains(['*', '?', '[']) || name.contains('[') {
        bail!(
            "asset source {}: only `*` and `?` in the file name are supported",
            source.display()
        );
    }
    let mut out = Vec::new();
    if name.contains(['*', '?']) {
        let entries = std::fs::read_dir(dir).with_context(|| {
            format!(
                "asset source {}: cannot list the directory",
                source.display()
            )
        })?;
        for entry in entries {
            let entry = entry?;
            let file_name = entry.file_name();
            let Some(file_name) = file_name.to_str() else {
                continue;
            };
            if glob_match(name, file_name) && !entry.path().is_dir() {
                out.push((entry.path(), join_dest(dest, file_name)));
            }
        }
        out.sort();
    } else if source.exists() {
        let dest = if dest.ends_with('/') {
            join_dest(dest, name)
        } else {
            dest.to_string()
        };
        out.push((source.to_path_buf(), dest));
    }
    if out.is_empty() {
        bail!(
            "asset source {} matches no file (was it built and staged? see scripts/package)",
            source.display()
        );
    }
    Ok(out)
}

/// `dir` + `/` + `name`, absolute.
fn join_dest(dir: &str, name: &str) -> String {
    normalize_dest(&format!("{}/{name}", dir.trim_end_matches('/')))
}

/// A destination as an absolute path without a trailing `/`.
pub fn normalize_dest(dest: &str) -> String {
    format!("/{}", dest.trim_matches('/'))
}

/// Shell-style matching of a file name: `*` any run of characters, `?` one character.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    fn rec(p: &[char], n: &[char]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some(('*', rest)) => (0..=n.len()).any(|i| rec(rest, &n[i..])),
            Some(('?', rest)) => !n.is_empty() && rec(rest, &n[1..]),
            Some((c, rest)) => n.first() == Some(c) && rec(rest, &n[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // A leading `*` does not match a leading dot, as in the shell and the glob crate.
    if name.starts_with('.') && !pattern.starts_with('.') {
        return false;
    }
    rec(&p, &n)
}

/// An octal mode string (`"755"`, `"0644"`).
pub fn parse_mode(mode: &str) -> anyhow::Result<u32> {
    let bits = u32::from_str_radix(mode, 8)
        .with_context(|| format!("mode {mode:?} is not an octal number"))?;
    if bits > 0o7777 {
        bail!("mode {mode:?} has bits beyond 07777");
    }
    Ok(bits)
}

/// The mode bits of a file on disk.
pub fn file_mode(path: &Path) -> anyhow::Result<u32> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::metadata(path)
        .with_context(|| format!("cannot stat {}", path.display()))?
        .permissions()
        .mode()
        & 0o7777)
}

/// crates/xtask/Cargo.toml with the workspace's Cargo.toml (for `key.workspace = true`).
#[derive(Debug, Clone)]
pub struct Manifest {
    package: Table,
    workspace_package: Table,
}

impl Manifest {
    pub fn read(layout: &Layout) -> anyhow::Result<Self> {
        let parse = |path: PathBuf| -> anyhow::Result<Table> {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            text.parse::<Table>()
                .with_context(|| format!("{} is not valid TOML", path.display()))
        };
        let krate = parse(layout.crate_dir.join("Cargo.toml"))?;
        let root = parse(layout.workspace_root.join("Cargo.toml"))?;
        Ok(Self {
            package: table_at(&krate, &["package"])?.cloned().unwrap_or_default(),
            workspace_package: table_at(&root, &["workspace", "package"])?
                .cloned()
                .unwrap_or_default(),
        })
    }

    /// `[package] key`, following `key.workspace = true` to `[workspace.package]`.
    pub fn package_str(&self, key: &str) -> anyhow::Result<Option<String>> {
        match self.package.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Table(t)) if t.get("workspace") == Some(&Value::Boolean(true)) => {
                match self.workspace_package.get(key) {
                    Some(Value::String(s)) => Ok(Some(s.clone())),
                    None => bail!(
                        "[package] {key}.workspace = true, but [workspace.package] has no {key}"
                    ),
                    Some(_) => bail!("[workspace.package] {key} is not a string"),
                }
            }
            Some(_) => bail!("[package] {key} is neither a string nor {{ workspace = true }}"),
        }
    }

    /// `[package] authors` (possibly inherited).
    pub fn authors(&self) -> anyhow::Result<Vec<String>> {
        let value = match self.package.get("authors") {
            Some(Value::Table(t)) if t.get("workspace") == Some(&Value::Boolean(true)) => {
                self.workspace_package.get("authors")
            }
            other => other,
        };
        match value {
            None => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(String::from)
                        .context("authors holds a non-string")
                })
                .collect(),
            Some(_) => bail!("[package] authors is not an array"),
        }
    }

    pub fn required(&self, key: &str) -> anyhow::Result<String> {
        self.package_str(key)?
            .with_context(|| format!("crates/xtask/Cargo.toml: [package] has no {key}"))
    }

    /// `[package.metadata.<tool>]`.
    pub fn metadata(&self, tool: &str) -> anyhow::Result<Meta> {
        let table = table_at(&self.package, &["metadata", tool])?
            .cloned()
            .with_context(|| format!("crates/xtask/Cargo.toml has no [package.metadata.{tool}]"))?;
        Ok(Meta {
            section: format!("package.metadata.{tool}"),
            table,
        })
    }
}

fn table_at<'a>(table: &'a Table, keys: &[&str]) -> anyhow::Result<Option<&'a Table>> {
    let mut t = table;
    for key in keys {
        match t.get(*key) {
            None => return Ok(None),
            Some(Value::Table(inner)) => t = inner,
            Some(_) => bail!("{} is not a table", keys.join(".")),
        }
    }
    Ok(Some(t))
}

/// One `[package.metadata.*]` table, with typed getters whose errors name the key.
#[derive(Debug, Clone)]
pub struct Meta {
    section: String,
    table: Table,
}

impl Meta {
    /// Fails on a key not in `supported`: a key this module would silently ignore would make
    /// its package differ from the tool's.
    pub fn check_keys(&self, supported: &[&str]) -> anyhow::Result<()> {
        let unknown: BTreeSet<&str> = self
            .table
            .keys()
            .map(String::as_str)
            .filter(|k| !supported.contains(k))
            .collect();
        if !unknown.is_empty() {
            bail!(
                "crates/xtask/Cargo.toml: [{}] has {}, which `xtask package` does not implement: \
                 implement it in crates/xtask/src/package/, or build with the cargo tool \
                 (docs/install.md)",
                self.section,
                unknown.into_iter().collect::<Vec<_>>().join(", ")
            );
        }
        Ok(())
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.table.get(key)
    }

    pub fn str(&self, key: &str) -> anyhow::Result<Option<String>> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => bail!("[{}] {key} must be a string", self.section),
        }
    }

    pub fn bool(&self, key: &str) -> anyhow::Result<Option<bool>> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Value::Boolean(b)) => Ok(Some(*b)),
            Some(_) => bail!("[{}] {key} must be true or false", self.section),
        }
    }

    pub fn array(&self, key: &str) -> anyhow::Result<&[Value]> {
        match self.table.get(key) {
            None => bail!("[{}] has no {key}", self.section),
            Some(Value::Array(a)) => Ok(a),
            Some(_) => bail!("[{}] {key} must be an array", self.section),
        }
    }

    pub fn section(&self) -> &str {
        &self.section
    }
}

/// The Debian and the RPM name of the machine's architecture (the binaries are built for it).
pub fn host_arch() -> anyhow::Result<(&'static str, &'static str)> {
    Ok(match std::env::consts::ARCH {
        "x86_64" => ("amd64", "x86_64"),
        "aarch64" => ("arm64", "aarch64"),
        "x86" => ("i386", "i686"),
        "powerpc64" if cfg!(target_endian = "little") => ("ppc64el", "ppc64le"),
        "riscv64" => ("riscv64", "riscv64"),
        "s390x" => ("s390x", "s390x"),
        "loongarch64" => ("loong64", "loongarch64"),
        other => bail!("no Debian/RPM architecture name known for {other}"),
    })
}

/// Runs `cmd`, failing with its stderr when it cannot start or fails.
pub fn run(cmd: &mut Command) -> anyhow::Result<Output> {
    let out = cmd
        .output()
        .with_context(|| format!("cannot run {:?} (is it installed?)", cmd.get_program()))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(out)
}

/// Is `program` on PATH?
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| {
            let path = dir.join(program);
            path.is_file() && file_mode(&path).is_ok_and(|m| m & 0o111 != 0)
        })
    })
}

/// The package formats to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Deb,
    Rpm,
}

/// Builds the packages into `out_dir` and returns their paths, in the order of `formats`.
/// `fast`: light compression (for the test suite) instead of the release one.
pub fn build(
    layout: &Layout,
    out_dir: &Path,
    formats: &[Format],
    fast: bool,
) -> anyhow::Result<Vec<PathBuf>> {
    let manifest = Manifest::read(layout)?;
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let out_dir = out_dir.canonicalize()?;
    // Scratch space next to the build artifacts (the same file system, not a small /tmp).
    std::fs::create_dir_all(&layout.target_dir)
        .with_context(|| format!("cannot create {}", layout.target_dir.display()))?;
    let work = tempfile::Builder::new()
        .prefix("xtask-package.")
        .tempdir_in(&layout.target_dir)
        .context("cannot create a scratch directory in the target directory")?;
    let mut built = Vec::new();
    for format in formats {
        let path = match format {
            Format::Deb => {
                deb::Deb::from_manifest(&manifest, layout)?.build(&out_dir, work.path(), fast)?
            }
            Format::Rpm => {
                rpm::Rpm::from_manifest(&manifest, layout)?.build(&out_dir, work.path(), fast)?
            }
        };
        built.push(path);
    }
    Ok(built)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_file_names_as_the_shell_does() {
        assert!(glob_match("*.1.gz", "mesos-fetcher.1.gz"));
        assert!(!glob_match("*.1.gz", "mesos-fetcher.1"));
        assert!(glob_match("*", "_mesos-fetcher"));
        assert!(!glob_match("*", ".hidden"));
        assert!(glob_match("?a*", "ba"));
        assert!(!glob_match("?a*", "a"));
        assert!(glob_match("*.md", "README.md"));
    }

    #[test]
    fn expand_maps_globs_and_directory_destinations() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.md", "a.md", "c.txt"] {
            std::fs::write(dir.path().join(name), name).unwrap();
        }
        std::fs::create_dir(dir.path().join("d.md")).unwrap();
        let got = expand(&dir.path().join("*.md"), "usr/share/doc/p/").unwrap();
        assert_eq!(
            got,
            vec![
                (dir.path().join("a.md"), "/usr/share/doc/p/a.md".to_string()),
                (dir.path().join("b.md"), "/usr/share/doc/p/b.md".to_string()),
            ]
        );
        let got = expand(&dir.path().join("c.txt"), "/etc/x/").unwrap();
        assert_eq!(got[0].1, "/etc/x/c.txt");
        let got = expand(&dir.path().join("c.txt"), "/etc/default/p").unwrap();
        assert_eq!(got[0].1, "/etc/default/p");
        assert!(expand(&dir.path().join("*.none"), "/x/").is_err());
        assert!(expand(&dir.path().join("missing"), "/x/").is_err());
    }

    #[test]
    fn target_release_sources_follow_the_target_dir_and_profile() {
        let layout = Layout {
            workspace_root: "/w".into(),
            crate_dir: "/w/crates/xtask".into(),
            target_dir: "/t".into(),
            profile: "dev".into(),
        };
        let base = Path::new("/w/crates/xtask");
        assert_eq!(
            layout.asset_source("target/release/dist/bin/x", base),
            Path::new("/t/debug/dist/bin/x")
        );
        assert_eq!(
            layout.asset_source("../../README.md", base),
            Path::new("/w/crates/xtask/../../README.md")
        );
        let release = Layout {
            profile: "release".into(),
            ..layout
        };
        assert_eq!(
            release.asset_source("target/release/x", base),
            Path::new("/t/release/x")
        );
    }

    /// (destination, canonical source or what it is, mode): comparable across path spellings.
    fn listing(entries: &[&Entry]) -> Vec<(String, String, u32)> {
        let mut out: Vec<_> = entries
            .iter()
            .map(|e| {
                let source = match &e.source {
                    Source::File(p) => p.canonicalize().unwrap().display().to_string(),
                    Source::Data(_) => "<generated>".to_string(),
                    Source::Dir => "<dir>".to_string(),
                };
                (e.dest.clone(), source, e.mode)
            })
            .collect();
        out.sort();
        out
    }

    /// The files both packages hold, derived from the metadata in crates/xtask/Cargo.toml
    /// with a staged `<target>/debug/dist`, are exactly the expected ones: the binaries, every
    /// man page and completion `xtask dist` writes, the unit, the settings file and the docs.
    #[test]
    fn staged_files_from_the_metadata_are_the_expected_ones() {
        const PKG: &str = "mesos-docker-containerizer";
        let target = tempfile::tempdir().unwrap();
        let mut layout = Layout::of_workspace("dev", Some(target.path().to_path_buf())).unwrap();
        layout.target_dir = target.path().canonicalize().unwrap();
        let dist = layout.target_dir.join("debug/dist");
        let written = crate::dist::write(&dist).unwrap();
        std::fs::create_dir_all(dist.join("bin")).unwrap();
        for bin in crate::commands::all_names() {
            std::fs::write(dist.join("bin").join(bin), b"not really a binary").unwrap();
        }
        let root = layout.workspace_root.clone();
        let canon = |p: &Path| p.canonicalize().unwrap().display().to_string();
        let docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        assert!(docs.len() >= 5, "{docs:?}");

        // What each package must hold; zsh's directory and the settings file differ.
        let expected = |zsh_dir: &str, settings: &str, flavour: &str| {
            let mut files: Vec<(String, String, u32)> = Vec::new();
            for bin in crate::commands::all_names() {
                files.push((
                    format!("/usr/bin/{bin}"),
                    canon(&dist.join("bin").join(bin)),
                    0o755,
                ));
            }
            for page in &written.man_pages {
                let name = page.file_name().unwrap().to_str().unwrap();
                files.push((format!("/usr/share/man/man1/{name}"), canon(page), 0o644));
            }
            for script in &written.completions {
                let name = script.file_name().unwrap().to_str().unwrap();
                let shell = script
                    .parent()
                    .unwrap()
                    .file_name()
                    .unwrap()
                    .to_str()
                    .unwrap();
                let dir = match shell {
                    "bash" => "/usr/share/bash-completion/completions",
                    "zsh" => zsh_dir,
                    "fish" => "/usr/share/fish/vendor_completions.d",
                    other => panic!("completion for {other}"),
                };
                files.push((format!("{dir}/{name}"), canon(script), 0o644));
            }
            let unit = root.join(format!("dist/{flavour}/{PKG}.service"));
            files.push((
                format!("/usr/lib/systemd/system/{PKG}.service"),
                canon(&unit),
                0o644,
            ));
            files.push((
                settings.to_string(),
                canon(&root.join(format!("dist/{PKG}.env"))),
                0o644,
            ));
            files.push((
                format!("/usr/share/doc/{PKG}/README.md"),
                canon(&root.join("README.md")),
                0o644,
            ));
            for doc in &docs {
                let name = doc.file_name().unwrap().to_str().unwrap();
                files.push((
                    format!("/usr/share/doc/{PKG}/docs/{name}"),
                    canon(doc),
                    0o644,
                ));
            }
            files
        };

        let manifest = Manifest::read(&layout).unwrap();
        let deb = deb::Deb::from_manifest(&manifest, &layout).unwrap();
        let mut want = expected(
            "/usr/share/zsh/vendor-completions",
            &format!("/etc/default/{PKG}"),
            "deb",
        );
        want.push((
            format!("/usr/share/doc/{PKG}/copyright"),
            "<generated>".into(),
            0o644,
        ));
        want.sort();
        assert_eq!(listing(&deb.entries.iter().collect::<Vec<_>>()), want);
        assert_eq!(deb.conffiles, [format!("/etc/default/{PKG}")]);
        assert_eq!(
            deb.control_files
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>(),
            ["postinst", "prerm", "postrm"]
        );

        let rpm = rpm::Rpm::from_manifest(&manifest, &layout).unwrap();
        let mut want = expected(
            "/usr/share/zsh/site-functions",
            &format!("/etc/sysconfig/{PKG}"),
            "rpm",
        );
        want.sort();
        assert_eq!(
            listing(&rpm.files.iter().map(|f| &f.entry).collect::<Vec<_>>()),
            want
        );
        let configs: Vec<(&str, Option<&str>)> = rpm
            .files
            .iter()
            .filter(|f| f.config.is_some())
            .map(|f| (f.entry.dest.as_str(), f.config.as_deref()))
            .collect();
        let sysconfig = format!("/etc/sysconfig/{PKG}");
        assert_eq!(configs, [(sysconfig.as_str(), Some("%config(noreplace)"))]);
        assert!(rpm
            .files
            .iter()
            .all(|f| f.user == "root" && f.group == "root"));
        assert_eq!(
            rpm.scriptlets.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
            ["%post", "%preun", "%postun"]
        );
    }

    #[test]
    fn unknown_metadata_keys_are_errors() {
        let meta = Meta {
            section: "package.metadata.deb".into(),
            table: "name = \"p\"\nlicense-file = \"LICENSE\"".parse().unwrap(),
        };
        assert!(meta.check_keys(&["name", "license-file"]).is_ok());
        let err = meta.check_keys(&["name"]).unwrap_err().to_string();
        assert!(
            err.contains("[package.metadata.deb] has license-file"),
            "{err}"
        );
    }

    #[test]
    fn modes_are_octal() {
        assert_eq!(parse_mode("755").unwrap(), 0o755);
        assert_eq!(parse_mode("0644").unwrap(), 0o644);
        assert!(parse_mode("9").is_err());
    }
}
