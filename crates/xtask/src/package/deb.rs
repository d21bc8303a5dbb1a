//! The `.deb`: `[package.metadata.deb]` read as cargo-deb 3 reads it, built with
//! `dpkg-deb --root-owner-group --build`.
//!
//! Like cargo-deb: the version gets the revision (`-1` unless `revision` says otherwise);
//! every file under /etc is a conffile; `$auto` in `depends` is what `dpkg-shlibdeps` finds
//! for the packaged binaries, libgcc left out; a `copyright` file is generated into
//! /usr/share/doc/<name>; with `systemd-units`, the units found in the unit-scripts directory
//! are installed into /usr/lib/systemd/system and the maintainer scripts get debhelper's
//! systemd fragments (the same ones `dh_installsystemd` and cargo-deb add).

use super::{expand, host_arch, is_elf, normalize_dest, on_path, parse_mode, run};
use super::{file_mode, Entry, Layout, Manifest, Meta, Source};
use anyhow::{bail, Context};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use toml::Value;

const SUPPORTED_KEYS: &[&str] = &[
    "name",
    "maintainer",
    "copyright",
    "extended-description",
    "extended-description-file",
    "section",
    "priority",
    "revision",
    "depends",
    "pre-depends",
    "recommends",
    "suggests",
    "enhances",
    "conflicts",
    "breaks",
    "replaces",
    "provides",
    "assets",
    "conf-files",
    "maintainer-scripts",
    "systemd-units",
];

/// The relationship fields besides Depends: (metadata key, control field).
const RELATIONS: [(&str, &str); 7] = [
    ("pre-depends", "Pre-Depends"),
    ("recommends", "Recommends"),
    ("suggests", "Suggests"),
    ("enhances", "Enhances"),
    ("conflicts", "Conflicts"),
    ("breaks", "Breaks"),
    ("replaces", "Replaces"),
];

const SYSTEMD_DIR: &str = "/usr/lib/systemd/system";

/// A `.deb`, everything decided but the `$auto` dependencies (found when it is built).
#[derive(Debug, Clone)]
pub struct Deb {
    pub name: String,
    /// With the revision: `0.1.0-1`.
    pub version: String,
    pub architecture: String,
    pub maintainer: String,
    pub section: Option<String>,
    pub priority: String,
    pub homepage: Option<String>,
    /// As in the metadata, `$auto` included.
    pub depends: Vec<String>,
    /// Other relationship fields: (control field, value).
    pub relations: Vec<(&'static str, String)>,
    pub synopsis: String,
    pub extended_description: Option<String>,
    /// Every packaged path, sorted by destination.
    pub entries: Vec<Entry>,
    /// Absolute paths.
    pub conffiles: Vec<String>,
    /// Maintainer scripts and other control files: (name in DEBIAN/, contents).
    pub control_files: Vec<(String, String)>,
    target_dir: PathBuf,
}

impl Deb {
    pub fn from_manifest(manifest: &Manifest, layout: &Layout) -> anyhow::Result<Self> {
        let meta = manifest.metadata("deb")?;
        meta.check_keys(SUPPORTED_KEYS)?;
        let crate_name = manifest.required("name")?;
        let name = meta.str("name")?.unwrap_or_else(|| crate_name.clone());
        let version = deb_version(
            &manifest.required("version")?,
            meta.str("revision")?.as_deref(),
        );
        let authors = manifest.authors()?;
        let maintainer = meta
            .str("maintainer")?
            .or_else(|| authors.first().cloned())
            .context("[package.metadata.deb] needs a maintainer (or [package] authors)")?;
        let synopsis = manifest.required("description")?;
        let extended_description = match (
            meta.str("extended-description")?,
            meta.str("extended-description-file")?,
        ) {
            (Some(text), _) => Some(text),
            (None, Some(file)) => {
                let path = layout.crate_dir.join(file);
                Some(
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read {}", path.display()))?,
                )
            }
            (None, None) => None,
        };
        let depends = match meta.get("depends") {
            None => vec!["$auto".to_string()],
            Some(value) => dependency_list(&meta, "depends", value)?,
        };
        let mut relations = Vec::new();
        for (key, field) in RELATIONS {
            if let Some(value) = meta.get(key) {
                let list = dependency_list(&meta, key, value)?;
                if !list.is_empty() {
                    relations.push((field, list.join(", ")));
                }
            }
        }
        if let Some(provides) = meta.get("provides") {
            relations.push((
                "Provides",
                dependency_list(&meta, "provides", provides)?.join(", "),
            ));
        }

        let mut entries = assets(&meta, layout)?;
        let scripts_dir = meta
            .str("maintainer-scripts")?
            .map(|d| layout.crate_dir.join(d));
        let systemd = SystemdUnits::from_meta(&meta)?;
        if let Some(systemd) = &systemd {
            let units_dir = match (&systemd.unit_scripts, &scripts_dir) {
                (Some(dir), _) => layout.crate_dir.join(dir),
                (None, Some(dir)) => dir.clone(),
                (None, None) => layout.crate_dir.join("systemd"),
            };
            let units = find_units(&units_dir, &name);
            if units.is_empty() {
                bail!(
                    "[package.metadata.deb] systemd-units: no unit for {name} in {}",
                    units_dir.display()
                );
            }
            entries.extend(units);
        }
        let copyright_dest = format!("/usr/share/doc/{name}/copyright");
        if !entries.iter().any(|e| e.dest == copyright_dest) {
            let license = manifest.package_str("license")?;
            let copyright = meta
                .str("copyright")?
                .or_else(|| (!authors.is_empty()).then(|| authors.join(", ")));
            let source = manifest
                .package_str("repository")?
                .or(manifest.package_str("homepage")?);
            entries.push(Entry {
                dest: copyright_dest,
                source: Source::Data(
                    copyright_file(
                        &name,
                        source.as_deref(),
                        copyright.as_deref(),
                        &maintainer,
                        license.as_deref(),
                    )
                    .into_bytes(),
                ),
                mode: 0o644,
            });
        }
        let entries = first_wins(entries);

        // Debian makes every file in /etc a conffile; conf-files may name more.
        let mut conffiles: Vec<String> = entries
            .iter()
            .filter(|e| e.dest.starts_with("/etc/") && e.source != Source::Dir)
            .map(|e| e.dest.clone())
            .collect();
        if let Some(extra) = meta.get("conf-files") {
            for path in string_array(&meta, "conf-files", extra)? {
                let path = normalize_dest(&path);
                if !conffiles.contains(&path) {
                    conffiles.push(path);
                }
            }
        }

        let control_files = match &scripts_dir {
            None => Vec::new(),
            Some(dir) => maintainer_scripts(dir, &name, systemd.as_ref(), &entries)?,
        };

        Ok(Self {
            name,
            version,
            architecture: host_arch()?.0.to_string(),
            maintainer,
            section: meta.str("section")?,
            priority: meta.str("priority")?.unwrap_or_else(|| "optional".into()),
            homepage: manifest
                .package_str("homepage")?
                .or(manifest.package_str("documentation")?)
                .or(manifest.package_str("repository")?),
            depends,
            relations,
            synopsis,
            extended_description,
            entries,
            conffiles,
            control_files,
            target_dir: layout.target_dir.clone(),
        })
    }

    /// The file name cargo-deb gives it: `<name>_<version>_<arch>.deb`.
    pub fn file_name(&self) -> String {
        format!("{}_{}_{}.deb", self.name, self.version, self.architecture)
    }

    /// DEBIAN/control, with the `$auto` dependencies `resolved_auto` stands for.
    pub fn control(&self, resolved_auto: &[String]) -> anyhow::Result<String> {
        // Sorted and deduplicated, as cargo-deb writes them.
        let depends: BTreeSet<&str> = self
            .depends
            .iter()
            .flat_map(|dep| match dep.as_str() {
                "$auto" => resolved_auto.iter().map(String::as_str).collect(),
                other => vec![other],
            })
            .collect();
        // cargo-deb's estimate: the sizes, plus 1 KiB of file system overhead per file.
        let mut installed_size = 0;
        for entry in &self.entries {
            installed_size += (entry.size()? + 2047) / 1024;
        }
        let mut c = String::new();
        writeln!(c, "Package: {}", self.name)?;
        writeln!(c, "Version: {}", self.version)?;
        writeln!(c, "Architecture: {}", self.architecture)?;
        if let Some(homepage) = &self.homepage {
            writeln!(c, "Homepage: {homepage}")?;
        }
        if let Some(section) = &self.section {
            writeln!(c, "Section: {section}")?;
        }
        writeln!(c, "Priority: {}", self.priority)?;
        writeln!(c, "Maintainer: {}", self.maintainer)?;
        writeln!(c, "Installed-Size: {installed_size}")?;
        if !depends.is_empty() {
            writeln!(c, "Depends: {}", Vec::from_iter(depends).join(", "))?;
        }
        for (field, value) in &self.relations {
            writeln!(c, "{field}: {value}")?;
        }
        writeln!(c, "Description: {}", one_line(&self.synopsis))?;
        if let Some(extended) = &self.extended_description {
            for line in wrap_description(extended, 79) {
                writeln!(c, " {line}")?;
            }
        }
        Ok(c)
    }

    /// The ELF files taken from the target directory: what `$auto` looks at.
    fn binaries(&self) -> Vec<&Path> {
        self.entries
            .iter()
            .filter(|e| e.mode & 0o111 != 0)
            .filter_map(|e| match &e.source {
                Source::File(p) if p.starts_with(&self.target_dir) && is_elf(p) => {
                    Some(p.as_path())
                }
                _ => None,
            })
            .collect()
    }

    /// Stages the package in `work`, builds `<out_dir>/<file_name>` with dpkg-deb and returns
    /// its path. `fast`: gzip -1 instead of xz.
    pub fn build(&self, out_dir: &Path, work: &Path, fast: bool) -> anyhow::Result<PathBuf> {
        let root = work.join("deb");
        if root.exists() {
            std::fs::remove_dir_all(&root)?;
        }
        super::create_dirs(work, &root)?;
        for entry in &self.entries {
            entry.stage(&root)?;
        }
        let auto = if self.depends.iter().any(|d| d == "$auto") {
            shlib_depends(&self.binaries(), &self.architecture, work)?
        } else {
            Vec::new()
        };
        let debian = root.join("DEBIAN");
        super::create_dirs(&root, &debian)?;
        let mut control_files = vec![("control".to_string(), self.control(&auto)?)];
        if !self.conffiles.is_empty() {
            let mut list = self.conffiles.join("\n");
            list.push('\n');
            control_files.push(("conffiles".into(), list));
        }
        control_files.extend(self.control_files.iter().cloned());
        for (name, contents) in &control_files {
            let path = debian.join(name);
            std::fs::write(&path, contents)
                .with_context(|| format!("cannot write {}", path.display()))?;
            super::set_mode(&path, control_file_mode(name))?;
        }

        let deb = out_dir.join(self.file_name());
        let mut cmd = Command::new("dpkg-deb");
        cmd.arg("--root-owner-group");
        if fast {
            cmd.args(["-Zgzip", "-z1"]);
        } else {
            cmd.args(["-Zxz", "-z6"]);
        }
        cmd.arg("--build").arg(&root).arg(&deb);
        run(&mut cmd)?;
        std::fs::remove_dir_all(&root)?;
        Ok(deb)
    }
}

/// Debian Policy 10.9: maintainer scripts 0755, other control files 0644.
fn control_file_mode(name: &str) -> u32 {
    match name {
        "config" | "preinst" | "postinst" | "prerm" | "postrm" => 0o755,
        _ => 0o644,
    }
}

/// The package version as cargo-deb writes it: `1.0.0-beta.1` becomes `1.0.0~beta.1` (sorts
/// before `1.0.0`, as in semver), and the revision (default 1) is appended.
pub fn deb_version(version: &str, revision: Option<&str>) -> String {
    let mut v = version.to_string();
    if let Some((main, pre)) = version.split_once('-') {
        if pre.bytes().any(|c| !c.is_ascii_digit()) && pre.bytes().any(|c| c.is_ascii_digit()) {
            v = format!("{main}~{pre}");
        }
    }
    let revision = revision.unwrap_or("1");
    if !revision.is_empty() && revision != "0" {
        v.push('-');
        v.push_str(revision);
    }
    v
}

/// A relationship field: a string (`"a, b | c"`) or an array of strings.
fn dependency_list(meta: &Meta, key: &str, value: &Value) -> anyhow::Result<Vec<String>> {
    let items: Vec<String> = match value {
        Value::String(s) => s.split(',').map(String::from).collect(),
        Value::Array(_) => string_array(meta, key, value)?,
        _ => bail!("[{}] {key} must be a string or an array", meta.section()),
    };
    Ok(items
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect())
}

fn string_array(meta: &Meta, key: &str, value: &Value) -> anyhow::Result<Vec<String>> {
    let Value::Array(items) = value else {
        bail!("[{}] {key} must be an array of strings", meta.section());
    };
    items
        .iter()
        .map(|v| {
            v.as_str()
                .map(String::from)
                .with_context(|| format!("[{}] {key} must hold strings", meta.section()))
        })
        .collect()
}

/// The `assets`: `[source, dest, mode]`, `[source, dest]` (the file's own mode) or
/// `{ source, dest, mode }`, sources relative to this crate's directory.
fn assets(meta: &Meta, layout: &Layout) -> anyhow::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for (idx, asset) in meta.array("assets")?.iter().enumerate() {
        let (source, dest, mode) = match asset {
            Value::Array(a) if a.len() == 2 || a.len() == 3 => {
                (a[0].as_str(), a[1].as_str(), a.get(2).map(|m| m.as_str()))
            }
            Value::Table(t) => (
                t.get("source").and_then(Value::as_str),
                t.get("dest").and_then(Value::as_str),
                t.get("mode").map(|m| m.as_str()),
            ),
            _ => bail!(
                "[package.metadata.deb] assets[{idx}]: expected [source, dest, mode] or \
                 {{ source, dest, mode }} (`$auto` is not supported)"
            ),
        };
        let (Some(source), Some(dest)) = (source, dest) else {
            bail!("[package.metadata.deb] assets[{idx}]: source and dest must be strings");
        };
        let mode = match mode {
            None => None,
            Some(Some(m)) => Some(parse_mode(m)?),
            Some(None) => bail!("[package.metadata.deb] assets[{idx}]: mode must be a string"),
        };
        let path = layout.asset_source(source, &layout.crate_dir);
        for (file, dest) in expand(&path, dest)? {
            let mode = match mode {
                Some(m) => m,
                None => file_mode(&file)?,
            };
            entries.push(Entry {
                dest: normalize_dest(&dest),
                source: Source::File(file),
                mode,
            });
        }
    }
    Ok(entries)
}

/// Drops later entries with an already used destination (cargo-deb: "first one wins"), and
/// sorts by destination.
fn first_wins(entries: Vec<Entry>) -> Vec<Entry> {
    let mut by_dest: BTreeMap<String, Entry> = BTreeMap::new();
    for entry in entries {
        if let Some(first) = by_dest.get(&entry.dest) {
            eprintln!(
                "xtask: warning: two .deb assets install {}; the first ({:?}) wins",
                entry.dest, first.source
            );
            continue;
        }
        by_dest.insert(entry.dest.clone(), entry);
    }
    by_dest.into_values().collect()
}

/// /usr/share/doc/<name>/copyright in the machine-readable format, as cargo-deb writes it.
fn copyright_file(
    name: &str,
    source: Option<&str>,
    copyright: Option<&str>,
    maintainer: &str,
    license: Option<&str>,
) -> String {
    let mut c = String::new();
    c.push_str("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n");
    c.push_str(&format!("Upstream-Name: {name}\n"));
    if let Some(source) = source {
        c.push_str(&format!("Source: {source}\n"));
    }
    match copyright {
        Some(copyright) => c.push_str(&format!("Copyright: {copyright}\n")),
        None => c.push_str(&format!(
            "Comment: Copyright information missing (maintainer: {maintainer})\n"
        )),
    }
    if let Some(license) = license {
        c.push_str(&format!("License: {license}\n"));
    }
    c
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The extended description as control-file lines (without their leading space): words
/// wrapped at `width`, an empty line as `.`.
pub fn wrap_description(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph_line in text.lines() {
        if paragraph_line.trim().is_empty() {
            lines.push(".".to_string());
            continue;
        }
        let mut line = String::new();
        for word in paragraph_line.replace('\t', "  ").split_whitespace() {
            if !line.is_empty() && line.len() + 1 + word.len() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    while lines.last().is_some_and(|l| l == ".") {
        lines.pop();
    }
    lines
}

/// `$auto`: the shared-library dependencies of `binaries`, from `dpkg-shlibdeps` (dpkg-dev)
/// as cargo-deb does when it is installed, else from `readelf`.
fn shlib_depends(binaries: &[&Path], arch: &str, work: &Path) -> anyhow::Result<Vec<String>> {
    if binaries.is_empty() {
        Ok(Vec::new())
    } else if on_path("dpkg-shlibdeps") {
        dpkg_shlibdeps(binaries, arch, work)
    } else {
        glibc_depends(binaries)
    }
}

/// `dpkg-shlibdeps`' answer, without libgcc (LSB guarantees it; cargo-deb leaves it out too).
fn dpkg_shlibdeps(binaries: &[&Path], arch: &str, work: &Path) -> anyhow::Result<Vec<String>> {
    // It wants a debian/control in its working directory, even an empty one.
    let dir = work.join("shlibdeps");
    std::fs::create_dir_all(dir.join("debian"))?;
    std::fs::write(dir.join("debian/control"), "")?;
    let out = run(Command::new("dpkg-shlibdeps")
        .env("DEB_HOST_ARCH", arch)
        .arg("-xlibgcc")
        .arg("-O")
        .args(binaries)
        .current_dir(&dir))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let deps = stdout
        .lines()
        .find_map(|l| l.strip_prefix("shlibs:Depends="))
        .unwrap_or_default();
    Ok(deps
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .filter(|d| !d.starts_with("libgcc-") && !d.starts_with("libgcc1"))
        .map(String::from)
        .collect())
}

/// Without dpkg-dev: `libc6 (>= <newest GLIBC_ version needed>)` from `readelf`, for binaries
/// that link only glibc and libgcc_s (anything else needs dpkg-shlibdeps to name its package).
fn glibc_depends(binaries: &[&Path]) -> anyhow::Result<Vec<String>> {
    const GLIBC: [&str; 9] = [
        "libc.so.6",
        "libm.so.6",
        "libpthread.so.0",
        "libdl.so.2",
        "librt.so.1",
        "libutil.so.1",
        "ld-linux-x86-64.so.2",
        "ld-linux-aarch64.so.1",
        "libgcc_s.so.1",
    ];
    let mut newest: Option<Vec<u32>> = None;
    for binary in binaries {
        let out = run(Command::new("readelf")
            .args(["--dynamic", "--version-info", "--wide"])
            .arg(binary))?;
        let text = String::from_utf8_lossy(&out.stdout);
        for line in text.lines() {
            if let Some(lib) = line
                .split_once("Shared library: [")
                .and_then(|(_, rest)| rest.split_once(']'))
                .map(|(lib, _)| lib)
            {
                if !GLIBC.contains(&lib) {
                    bail!(
                        "{} links {lib}: install dpkg-dev (dpkg-shlibdeps) to find the \
                         package it needs",
                        binary.display()
                    );
                }
            }
            for word in line.split_whitespace() {
                if let Some(v) = word.strip_prefix("GLIBC_") {
                    let parsed: Option<Vec<u32>> = v.split('.').map(|n| n.parse().ok()).collect();
                    if let Some(parsed) = parsed {
                        if newest.as_ref().is_none_or(|n| parsed > *n) {
                            newest = Some(parsed);
                        }
                    }
                }
            }
        }
    }
    Ok(match newest {
        Some(v) => {
            let v: Vec<String> = v.iter().map(u32::to_string).collect();
            vec![format!("libc6 (>= {})", v.join("."))]
        }
        None => vec!["libc6".to_string()],
    })
}

/// `systemd-units = { … }`.
#[derive(Debug, Clone)]
struct SystemdUnits {
    unit_scripts: Option<String>,
    enable: bool,
    start: bool,
    restart_after_upgrade: bool,
    stop_on_upgrade: bool,
}

impl SystemdUnits {
    fn from_meta(meta: &Meta) -> anyhow::Result<Option<Self>> {
        let Some(value) = meta.get("systemd-units") else {
            return Ok(None);
        };
        let Value::Table(t) = value else {
            bail!(
                "[package.metadata.deb] systemd-units: only one table is supported by \
                 `xtask package` (not an array)"
            );
        };
        let known = [
            "unit-scripts",
            "enable",
            "start",
            "restart-after-upgrade",
            "stop-on-upgrade",
        ];
        if let Some(key) = t.keys().find(|k| !known.contains(&k.as_str())) {
            bail!("[package.metadata.deb] systemd-units.{key} is not supported by `xtask package`");
        }
        let flag = |key: &str, default: bool| -> anyhow::Result<bool> {
            match t.get(key) {
                None => Ok(default),
                Some(Value::Boolean(b)) => Ok(*b),
                Some(_) => bail!("[package.metadata.deb] systemd-units.{key} must be a boolean"),
            }
        };
        // dh_installsystemd's defaults, as cargo-deb has them.
        Ok(Some(Self {
            unit_scripts: match t.get("unit-scripts") {
                None => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => {
                    bail!("[package.metadata.deb] systemd-units.unit-scripts must be a string")
                }
            },
            enable: flag("enable", true)?,
            start: flag("start", true)?,
            restart_after_upgrade: flag("restart-after-upgrade", true)?,
            stop_on_upgrade: flag("stop-on-upgrade", true)?,
        }))
    }
}

/// The unit files of package `name` in `dir`, as dh_installsystemd finds them:
/// `<name>.<type>`, `<name>@.<type>`, or a bare `<type>` for the package itself.
fn find_units(dir: &Path, name: &str) -> Vec<Entry> {
    let mut units = Vec::new();
    for unit_type in ["mount", "path", "service", "socket", "target", "timer"] {
        for suffix in ["", "@"] {
            let mut candidates = vec![dir.join(format!("{name}{suffix}.{unit_type}"))];
            if suffix.is_empty() {
                candidates.push(dir.join(unit_type));
            }
            if let Some(source) = candidates.into_iter().find(|p| p.is_file()) {
                units.push(Entry {
                    dest: format!("{SYSTEMD_DIR}/{name}{suffix}.{unit_type}"),
                    source: Source::File(source),
                    mode: 0o644,
                });
            }
        }
    }
    units
}

/// The fragments debhelper adds for systemd units (dh_installsystemd's autoscripts, as
/// cargo-deb embeds them). `#UNITFILE#`, `#UNITFILES#` and `#RESTART_ACTION#` are replaced.
mod autoscripts {
    pub const POSTINST_DONT_ENABLE: &str = r#"if [ "$1" = "configure" ] || [ "$1" = "abort-upgrade" ] || [ "$1" = "abort-deconfigure" ] || [ "$1" = "abort-remove" ] ; then
	if deb-systemd-helper debian-installed #UNITFILE#; then
		# This will only remove masks created by d-s-h on package removal.
		deb-systemd-helper unmask #UNITFILE# >/dev/null || true

		if deb-systemd-helper --quiet was-enabled #UNITFILE#; then
			# Create new symlinks, if any.
			deb-systemd-helper enable #UNITFILE# >/dev/null || true
		fi
	fi

	# Update the statefile to add new symlinks (if any), which need to be cleaned
	# up on purge. Also remove old symlinks.
	deb-systemd-helper update-state #UNITFILE# >/dev/null || true
fi
"#;
    pub const POSTINST_ENABLE: &str = r#"if [ "$1" = "configure" ] || [ "$1" = "abort-upgrade" ] || [ "$1" = "abort-deconfigure" ] || [ "$1" = "abort-remove" ] ; then
	# This will only remove masks created by d-s-h on package removal.
	deb-systemd-helper unmask #UNITFILE# >/dev/null || true

	# was-enabled defaults to true, so new installations run enable.
	if deb-systemd-helper --quiet was-enabled #UNITFILE#; then
		# Enables the unit on first installation, creates new
		# symlinks on upgrades if the unit file has changed.
		deb-systemd-helper enable #UNITFILE# >/dev/null || true
	else
		# Update the statefile to add new symlinks (if any), which need to be
		# cleaned up on purge. Also remove old symlinks.
		deb-systemd-helper update-state #UNITFILE# >/dev/null || true
	fi
fi
"#;
    pub const POSTINST_RESTART_NO_START: &str = r#"if [ "$1" = "configure" ] || [ "$1" = "abort-upgrade" ] || [ "$1" = "abort-deconfigure" ] || [ "$1" = "abort-remove" ] ; then
	if [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null || true
		if [ -n "$2" ]; then
			deb-systemd-invoke #RESTART_ACTION# #UNITFILES# >/dev/null || true
		fi
	fi
fi
"#;
    pub const POSTINST_RESTART: &str = r#"if [ "$1" = "configure" ] || [ "$1" = "abort-upgrade" ] || [ "$1" = "abort-deconfigure" ] || [ "$1" = "abort-remove" ] ; then
	if [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null || true
		if [ -n "$2" ]; then
			_dh_action=#RESTART_ACTION#
		else
			_dh_action=start
		fi
		deb-systemd-invoke $_dh_action #UNITFILES# >/dev/null || true
	fi
fi
"#;
    pub const POSTINST_START: &str = r#"if [ "$1" = "configure" ] || [ "$1" = "abort-upgrade" ] || [ "$1" = "abort-deconfigure" ] || [ "$1" = "abort-remove" ] ; then
	if [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null || true
		deb-systemd-invoke start #UNITFILES# >/dev/null || true
	fi
fi
"#;
    pub const PRERM_RESTART: &str = r#"if [ -d /run/systemd/system ] && [ "$1" = remove ]; then
	deb-systemd-invoke stop #UNITFILES# >/dev/null || true
fi
"#;
    pub const PRERM: &str = r#"if [ -d /run/systemd/system ]; then
	deb-systemd-invoke stop #UNITFILES# >/dev/null || true
fi
"#;
    pub const POSTRM: &str = r#"if [ "$1" = "remove" ]; then
	if [ -x "/usr/bin/deb-systemd-helper" ]; then
		deb-systemd-helper mask #UNITFILES# >/dev/null || true
	fi
fi

if [ "$1" = "purge" ]; then
	if [ -x "/usr/bin/deb-systemd-helper" ]; then
		deb-systemd-helper purge #UNITFILES# >/dev/null || true
		deb-systemd-helper unmask #UNITFILES# >/dev/null || true
	fi
fi
"#;
    pub const POSTRM_RELOAD_ONLY: &str = r#"if [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || true
fi
"#;
}

/// The script fragments of one maintainer script, in debhelper's two groups: `service`
/// fragments (enable/start/stop) and the others (`debhelper`).
#[derive(Default)]
struct Fragments {
    service: String,
    debhelper: String,
}

/// Adds a fragment as debhelper's `autoscript` does: appended to postinst and preinst,
/// prepended to prerm and postrm (so removal undoes in reverse order).
fn autoscript(
    scripts: &mut BTreeMap<&'static str, Fragments>,
    script: &'static str,
    snippet: &str,
    replacements: &[(&str, &str)],
    service: bool,
) {
    let mut text = snippet.to_string();
    for (from, to) in replacements {
        text = text.replace(&format!("#{from}#"), to);
    }
    let block = format!(
        "# Automatically added by xtask package (debhelper's dh_installsystemd)\n{text}\
         # End automatically added section\n"
    );
    let fragments = scripts.entry(script).or_default();
    let group = if service {
        &mut fragments.service
    } else {
        &mut fragments.debhelper
    };
    if group.contains(&block) {
        return;
    }
    if script == "prerm" || script == "postrm" {
        group.insert_str(0, &block);
    } else {
        group.push_str(&block);
    }
}

/// The systemd fragments of each maintainer script, as dh_installsystemd (and cargo-deb)
/// generate them for the packaged units.
fn systemd_fragments(
    systemd: &SystemdUnits,
    entries: &[Entry],
) -> anyhow::Result<BTreeMap<&'static str, Fragments>> {
    let mut scripts = BTreeMap::new();
    let unit_of = |name: &str| {
        let dest = format!("{SYSTEMD_DIR}/{name}");
        entries.iter().find(|e| e.dest == dest)
    };
    let mut units: Vec<String> = entries
        .iter()
        .filter_map(|e| e.dest.strip_prefix(&format!("{SYSTEMD_DIR}/")))
        .filter(|name| !name.contains('/') && !name.contains('@'))
        .map(String::from)
        .collect();
    let mut enable = Vec::new();
    let mut start = Vec::new();
    let mut seen = BTreeSet::new();
    while !units.is_empty() {
        let mut also = Vec::new();
        for unit in &units {
            start.push(unit.clone());
            let entry = unit_of(unit).with_context(|| {
                format!("systemd unit {unit} is named by Also= but not packaged")
            })?;
            let text = match &entry.source {
                Source::File(p) => std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read {}", p.display()))?,
                Source::Data(d) => String::from_utf8_lossy(d).into_owned(),
                Source::Dir => continue,
            };
            for line in text.lines().filter(|l| !l.starts_with(['#', ';'])) {
                if let Some((key, value)) = line.split_once('=') {
                    if key.trim() == "Also" {
                        let other = value.trim().trim_matches(['"', '\'']).to_string();
                        if seen.insert(other.clone()) {
                            also.push(other);
                        }
                    }
                } else if line.starts_with("[Install]") && !enable.contains(unit) {
                    enable.push(unit.clone());
                }
            }
        }
        units = also;
    }
    enable.sort();
    start.sort();
    start.dedup();
    if !enable.is_empty() {
        let snippet = if systemd.enable {
            autoscripts::POSTINST_ENABLE
        } else {
            autoscripts::POSTINST_DONT_ENABLE
        };
        for unit in &enable {
            autoscript(
                &mut scripts,
                "postinst",
                snippet,
                &[("UNITFILE", unit)],
                true,
            );
        }
        let all = enable.join(" ");
        autoscript(
            &mut scripts,
            "postrm",
            autoscripts::POSTRM,
            &[("UNITFILES", &all)],
            false,
        );
    }
    if !start.is_empty() {
        let all = start.join(" ");
        if systemd.restart_after_upgrade {
            let (snippet, action) = if systemd.start {
                (autoscripts::POSTINST_RESTART, "restart")
            } else {
                (autoscripts::POSTINST_RESTART_NO_START, "try-restart")
            };
            let replace = [("UNITFILES", all.as_str()), ("RESTART_ACTION", action)];
            autoscript(&mut scripts, "postinst", snippet, &replace, true);
        } else if systemd.start {
            let replace = [("UNITFILES", all.as_str())];
            autoscript(
                &mut scripts,
                "postinst",
                autoscripts::POSTINST_START,
                &replace,
                true,
            );
        }
        if !systemd.stop_on_upgrade || systemd.restart_after_upgrade {
            let replace = [("UNITFILES", all.as_str())];
            autoscript(
                &mut scripts,
                "prerm",
                autoscripts::PRERM_RESTART,
                &replace,
                true,
            );
        } else if systemd.start {
            let replace = [("UNITFILES", all.as_str())];
            autoscript(&mut scripts, "prerm", autoscripts::PRERM, &replace, true);
        }
        let replace = [("UNITFILES", all.as_str())];
        autoscript(
            &mut scripts,
            "postrm",
            autoscripts::POSTRM_RELOAD_ONLY,
            &replace,
            false,
        );
    }
    Ok(scripts)
}

/// The control files from the maintainer-scripts directory (`<name>.<script>` or `<script>`),
/// with the systemd fragments in place of `#DEBHELPER#`; a script with fragments but no file
/// is generated.
fn maintainer_scripts(
    dir: &Path,
    name: &str,
    systemd: Option<&SystemdUnits>,
    entries: &[Entry],
) -> anyhow::Result<Vec<(String, String)>> {
    let mut fragments = match systemd {
        Some(systemd) => systemd_fragments(systemd, entries)?,
        None => BTreeMap::new(),
    };
    let mut out = Vec::new();
    for script in [
        "config",
        "preinst",
        "postinst",
        "prerm",
        "postrm",
        "templates",
    ] {
        let user = [dir.join(format!("{name}.{script}")), dir.join(script)]
            .into_iter()
            .find(|p| p.is_file());
        let generated = fragments.remove(script).map(|f| {
            if script == "prerm" || script == "postrm" {
                f.service + &f.debhelper
            } else {
                f.debhelper + &f.service
            }
        });
        let contents = match (user, generated) {
            (Some(path), generated) => {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                match generated {
                    Some(generated) if systemd.is_some() => {
                        if !text.contains("#DEBHELPER#") {
                            bail!(
                                "{} has no #DEBHELPER# line for the systemd fragments",
                                path.display()
                            );
                        }
                        text.replace("#DEBHELPER#", &generated)
                    }
                    _ => text.replace("#DEBHELPER#", ""),
                }
            }
            (None, Some(generated)) => format!("#!/bin/sh\nset -e\n{generated}"),
            (None, None) => continue,
        };
        out.push((script.to_string(), contents));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_as_cargo_deb_writes_them() {
        assert_eq!(deb_version("0.1.0", None), "0.1.0-1");
        assert_eq!(deb_version("0.1.0", Some("3")), "0.1.0-3");
        assert_eq!(deb_version("0.1.0", Some("")), "0.1.0");
        assert_eq!(deb_version("1.0.0-beta.1", None), "1.0.0~beta.1-1");
    }

    #[test]
    fn descriptions_wrap_with_dots_for_empty_lines() {
        let lines = wrap_description("aaa bbb ccc\n\nddd", 7);
        assert_eq!(lines, ["aaa bbb", "ccc", ".", "ddd"]);
    }

    /// Without dpkg-dev, $auto says what dpkg-shlibdeps says for a Rust binary (this test).
    #[test]
    fn glibc_depends_agrees_with_dpkg_shlibdeps() {
        let exe = std::env::current_exe().unwrap();
        if !on_path("readelf") {
            eprintln!("skipped: no readelf");
            return;
        }
        let ours = glibc_depends(&[&exe]).unwrap();
        assert!(ours[0].starts_with("libc6 (>= 2."), "{ours:?}");
        if on_path("dpkg-shlibdeps") {
            let work = tempfile::tempdir().unwrap();
            let theirs = dpkg_shlibdeps(&[&exe], host_arch().unwrap().0, work.path()).unwrap();
            assert_eq!(ours, theirs);
        }
    }

    fn unit(dir: &Path, text: &str) -> Vec<Entry> {
        std::fs::write(dir.join("pkg.service"), text).unwrap();
        find_units(dir, "pkg")
    }

    /// The scripts of the metadata's choice (enable = false, start = false,
    /// restart-after-upgrade = true) are the ones cargo-deb 3.8 writes, up to the comment.
    #[test]
    fn systemd_scripts_match_cargo_debs() {
        let dir = tempfile::tempdir().unwrap();
        let entries = unit(
            dir.path(),
            "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
        );
        assert_eq!(entries[0].dest, "/usr/lib/systemd/system/pkg.service");
        let systemd = SystemdUnits {
            unit_scripts: None,
            enable: false,
            start: false,
            restart_after_upgrade: true,
            stop_on_upgrade: true,
        };
        let scripts: BTreeMap<String, String> =
            maintainer_scripts(dir.path(), "pkg", Some(&systemd), &entries)
                .unwrap()
                .into_iter()
                .collect();
        assert_eq!(
            scripts.keys().collect::<Vec<_>>(),
            ["postinst", "postrm", "prerm"]
        );
        let postinst = &scripts["postinst"];
        assert!(postinst.starts_with("#!/bin/sh\nset -e\n"));
        let was_enabled = postinst.find("was-enabled pkg.service").unwrap();
        let try_restart = postinst
            .find("deb-systemd-invoke try-restart pkg.service")
            .unwrap();
        assert!(was_enabled < try_restart, "{postinst}");
        let postrm = &scripts["postrm"];
        assert!(
            postrm.find("daemon-reload").unwrap() < postrm.find("mask pkg.service").unwrap(),
            "{postrm}"
        );
        assert!(scripts["prerm"]
            .contains("[ \"$1\" = remove ]; then\n\tdeb-systemd-invoke stop pkg.service"));
    }

    #[test]
    fn user_scripts_get_the_fragments_at_debhelper() {
        let dir = tempfile::tempdir().unwrap();
        let entries = unit(dir.path(), "[Service]\nExecStart=/bin/true\n");
        std::fs::write(
            dir.path().join("postinst"),
            "#!/bin/sh\necho before\n#DEBHELPER#\necho after\n",
        )
        .unwrap();
        let systemd = SystemdUnits {
            unit_scripts: None,
            enable: true,
            start: true,
            restart_after_upgrade: false,
            stop_on_upgrade: true,
        };
        let scripts = maintainer_scripts(dir.path(), "pkg", Some(&systemd), &entries).unwrap();
        let (_, postinst) = scripts.iter().find(|(n, _)| n == "postinst").unwrap();
        assert!(postinst.starts_with("#!/bin/sh\necho before\n# Automatically added"));
        assert!(postinst.contains("deb-systemd-invoke start pkg.service"));
        // The line break after #DEBHELPER# stays, as with debhelper.
        assert!(postinst.ends_with("# End automatically added section\n\necho after\n"));
        // No [Install] section: nothing to enable, so no postrm mask fragment.
        let (_, postrm) = scripts.iter().find(|(n, _)| n == "postrm").unwrap();
        assert!(!postrm.contains("mask"), "{postrm}");
        let (_, prerm) = scripts.iter().find(|(n, _)| n == "prerm").unwrap();
        assert!(prerm.contains("if [ -d /run/systemd/system ]; then\n\tdeb-systemd-invoke stop"));
    }
}
