//! The `.rpm`: `[package.metadata.generate-rpm]` read as cargo-generate-rpm 0.21 reads it,
//! written out as a `.spec` and built with `rpmbuild -bb` in a scratch `_topdir`.
//!
//! The binaries are packaged as they are: no debuginfo subpackage, no stripping, none of the
//! `__os_install_post` scripts. rpmbuild's own dependency generator adds the shared-library
//! requirements (`libc.so.6(GLIBC_2.34)(64bit)`, …), as cargo-generate-rpm's `auto-req`
//! does.

use super::Source;
use super::{expand, host_arch, normalize_dest, parse_mode, run, Entry, Layout, Manifest, Meta};
use anyhow::{bail, Context};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use toml::Value;

const SUPPORTED_KEYS: &[&str] = &[
    "name",
    "version",
    "release",
    "epoch",
    "license",
    "summary",
    "description",
    "url",
    "vendor",
    "assets",
    "pre_install_script",
    "pre_uninstall_script",
    "post_install_script",
    "post_uninstall_script",
    "pre_trans_script",
    "post_trans_script",
    "requires",
    "obsoletes",
    "conflicts",
    "provides",
    "auto-req",
];

/// (metadata key, spec section).
const SCRIPTLETS: [(&str, &str); 6] = [
    ("pre_install_script", "%pre"),
    ("post_install_script", "%post"),
    ("pre_uninstall_script", "%preun"),
    ("post_uninstall_script", "%postun"),
    ("pre_trans_script", "%pretrans"),
    ("post_trans_script", "%posttrans"),
];

/// (metadata key, spec tag).
const RELATIONS: [(&str, &str); 4] = [
    ("requires", "Requires"),
    ("obsoletes", "Obsoletes"),
    ("conflicts", "Conflicts"),
    ("provides", "Provides"),
];

/// One packaged path with its RPM file attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmFile {
    pub entry: Entry,
    pub user: String,
    pub group: String,
    /// `%config`, `%config(noreplace)`, … or nothing.
    pub config: Option<String>,
    pub doc: bool,
}

/// An `.rpm`, everything decided.
#[derive(Debug, Clone)]
pub struct Rpm {
    pub name: String,
    pub version: String,
    pub release: String,
    pub epoch: Option<i64>,
    pub license: String,
    /// Summary and description (cargo-generate-rpm uses the one text for both).
    pub summary: String,
    pub url: Option<String>,
    pub vendor: Option<String>,
    pub auto_req: bool,
    /// (spec tag, value): `("Requires", "foo >= 1.0")`.
    pub relations: Vec<(&'static str, String)>,
    /// (spec section, body).
    pub scriptlets: Vec<(&'static str, String)>,
    /// Sorted by destination.
    pub files: Vec<RpmFile>,
    pub arch: String,
}

impl Rpm {
    pub fn from_manifest(manifest: &Manifest, layout: &Layout) -> anyhow::Result<Self> {
        let meta = manifest.metadata("generate-rpm")?;
        meta.check_keys(SUPPORTED_KEYS)?;
        let name = match meta.str("name")? {
            Some(n) => n,
            None => manifest.required("name")?,
        };
        let version = match meta.str("version")? {
            Some(v) => v,
            None => manifest.required("version")?,
        }
        .replace('-', "~");
        let release = match meta.get("release") {
            None => "1".to_string(),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Integer(i)) => i.to_string(),
            Some(_) => bail!(
                "[{}] release must be a string or an integer",
                meta.section()
            ),
        };
        let epoch = match meta.get("epoch") {
            None => None,
            Some(Value::Integer(i)) => Some(*i),
            Some(_) => bail!("[{}] epoch must be an integer", meta.section()),
        };
        let license = match meta.str("license")? {
            Some(l) => l,
            None => manifest.required("license")?,
        };
        let summary = match (meta.str("summary")?, meta.str("description")?) {
            (Some(s), _) | (None, Some(s)) => s,
            (None, None) => manifest.required("description")?,
        };
        let auto_req = match meta.str("auto-req")?.as_deref() {
            None | Some("auto" | "builtin" | "find-requires") => true,
            Some("no" | "disabled") => false,
            Some(other) => bail!(
                "[{}] auto-req = {other:?}: only auto, builtin, find-requires and no are \
                 supported by `xtask package`",
                meta.section()
            ),
        };
        let mut relations = Vec::new();
        for (key, tag) in RELATIONS {
            relations.extend(dependencies(&meta, key)?.into_iter().map(|d| (tag, d)));
        }
        let mut scriptlets = Vec::new();
        for (key, section) in SCRIPTLETS {
            if let Some(script) = meta.str(key)? {
                scriptlets.push((section, load_script_if_path(&script, layout)?));
            }
        }
        let mut files = assets(&meta, layout)?;
        files.sort_by(|a, b| a.entry.dest.cmp(&b.entry.dest));
        if let Some(w) = files
            .windows(2)
            .find(|w| w[0].entry.dest == w[1].entry.dest)
        {
            bail!(
                "[{}] assets: two install {}",
                meta.section(),
                w[0].entry.dest
            );
        }
        Ok(Self {
            name,
            version,
            release,
            epoch,
            license,
            summary,
            url: meta.str("url")?,
            vendor: meta.str("vendor")?,
            auto_req,
            relations,
            scriptlets,
            files,
            arch: host_arch()?.1.to_string(),
        })
    }

    /// The file name cargo-generate-rpm gives it: `<name>-<version>-<release>.<arch>.rpm`.
    pub fn file_name(&self) -> String {
        format!(
            "{}-{}-{}.{}.rpm",
            self.name, self.version, self.release, self.arch
        )
    }

    /// The `.spec`. `fast`: gzip -1 for the payload instead of zstd -19.
    pub fn spec(&self, fast: bool) -> anyhow::Result<String> {
        let mut s = String::new();
        writeln!(
            s,
            "# Generated by `cargo run -p xtask -- package` from \
             [package.metadata.generate-rpm] in crates/xtask/Cargo.toml."
        )?;
        // The binaries go in as they are: no -debuginfo package, no stripping or other
        // post-install processing (slow on big binaries, and changes them).
        for line in [
            "%global debug_package %{nil}",
            "%global __spec_install_post %{nil}",
            "%global __os_install_post %{nil}",
            "%global _build_id_links none",
            "%global _missing_build_ids_terminate_build 0",
        ] {
            writeln!(s, "{line}")?;
        }
        let payload = if fast { "w1.gzdio" } else { "w19.zstdio" };
        writeln!(s, "%global _binary_payload {payload}")?;
        writeln!(s)?;
        writeln!(s, "Name: {}", escape(&self.name))?;
        writeln!(s, "Version: {}", escape(&self.version))?;
        writeln!(s, "Release: {}", escape(&self.release))?;
        if let Some(epoch) = self.epoch {
            writeln!(s, "Epoch: {epoch}")?;
        }
        writeln!(s, "Summary: {}", escape(&one_line(&self.summary)))?;
        writeln!(s, "License: {}", escape(&self.license))?;
        if let Some(url) = &self.url {
            writeln!(s, "URL: {}", escape(url))?;
        }
        if let Some(vendor) = &self.vendor {
            writeln!(s, "Vendor: {}", escape(vendor))?;
        }
        if !self.auto_req {
            writeln!(s, "AutoReq: no")?;
        }
        for (tag, value) in &self.relations {
            writeln!(s, "{tag}: {}", escape(value))?;
        }
        writeln!(s, "\n%description\n{}\n", escape(self.summary.trim_end()))?;

        writeln!(s, "%install")?;
        for file in &self.files {
            let dest = format!("%{{buildroot}}{}", shell_quote(&escape(&file.entry.dest)));
            match &file.entry.source {
                Source::File(src) => writeln!(
                    s,
                    "install -D -p -m {:04o} {} {dest}",
                    file.entry.mode,
                    shell_quote(&escape(&src.to_string_lossy()))
                )?,
                Source::Dir => writeln!(s, "install -d -m {:04o} {dest}", file.entry.mode)?,
                Source::Data(_) => bail!(
                    "{}: generated .rpm files are not supported",
                    file.entry.dest
                ),
            }
        }
        writeln!(s)?;

        for (section, body) in &self.scriptlets {
            writeln!(s, "{section}\n{}\n", escape(body.trim_end()))?;
        }

        writeln!(s, "%files")?;
        for file in &self.files {
            let dest = &file.entry.dest;
            if dest.contains(['"', '\\', '*', '?', '[', ']', '{', '}', '\n']) {
                bail!("{dest}: a path rpm's %files would read as a pattern");
            }
            let mut line = String::new();
            if file.entry.source == Source::Dir {
                line.push_str("%dir ");
            }
            if let Some(config) = &file.config {
                line.push_str(config);
                line.push(' ');
            }
            if file.doc {
                line.push_str("%doc ");
            }
            write!(
                line,
                "%attr({:04o},{},{}) \"{}\"",
                file.entry.mode,
                file.user,
                file.group,
                escape(dest)
            )?;
            writeln!(s, "{line}")?;
        }
        Ok(s)
    }

    /// Builds `<out_dir>/<file_name>` with rpmbuild in `work` and returns its path.
    pub fn build(&self, out_dir: &Path, work: &Path, fast: bool) -> anyhow::Result<PathBuf> {
        let topdir = work.join("rpmbuild");
        if topdir.exists() {
            std::fs::remove_dir_all(&topdir)?;
        }
        std::fs::create_dir_all(topdir.join("SPECS"))?;
        let spec = topdir.join("SPECS").join(format!("{}.spec", self.name));
        std::fs::write(&spec, self.spec(fast)?)
            .with_context(|| format!("cannot write {}", spec.display()))?;
        let rpm = out_dir.join(self.file_name());
        let _ = std::fs::remove_file(&rpm);
        let define = |name: &str, value: &Path| format!("{name} {}", value.display());
        run(Command::new("rpmbuild")
            .args(["-bb", "--quiet", "--nodeps"])
            .arg("--target")
            .arg(&self.arch)
            .arg("--define")
            .arg(define("_topdir", &topdir))
            .arg("--define")
            .arg(define("_tmppath", &topdir.join("tmp")))
            .arg("--define")
            .arg(define("_rpmdir", out_dir))
            .arg("--define")
            .arg("_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm")
            .arg(&spec))?;
        if !rpm.is_file() {
            bail!("rpmbuild wrote no {}", rpm.display());
        }
        std::fs::remove_dir_all(&topdir)?;
        Ok(rpm)
    }
}

/// `%` is a macro everywhere in a spec: `%%` is a literal one.
fn escape(text: &str) -> String {
    text.replace('%', "%%")
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A scriptlet value: the contents of that file when it names one (relative to the workspace
/// root or this crate), else the script itself, as cargo-generate-rpm reads it.
fn load_script_if_path(value: &str, layout: &Layout) -> anyhow::Result<String> {
    if !value.contains('\n') {
        let rel = layout.asset_source(value, &layout.workspace_root);
        for path in [rel, layout.crate_dir.join(value)] {
            if path.is_file() {
                return std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()));
            }
        }
    }
    Ok(value.to_string())
}

/// `requires = { foo = ">= 1.0, < 2", bar = "*" }` as spec values.
fn dependencies(meta: &Meta, key: &str) -> anyhow::Result<Vec<String>> {
    let Some(value) = meta.get(key) else {
        return Ok(Vec::new());
    };
    let Value::Table(table) = value else {
        bail!("[{}] {key} must be a table", meta.section());
    };
    let mut out = Vec::new();
    for (name, version) in table {
        let version = version
            .as_str()
            .with_context(|| format!("[{}] {key}.{name} must be a string", meta.section()))?
            .trim();
        if version.is_empty() || version == "*" {
            out.push(name.clone());
            continue;
        }
        for part in version.split(',') {
            match part.split_whitespace().collect::<Vec<_>>().as_slice() {
                ["*"] => out.push(name.clone()),
                [op @ ("<" | "<=" | "=" | ">" | ">="), v] => out.push(format!("{name} {op} {v}")),
                _ => bail!("[{}] {key}.{name}: cannot read {part:?}", meta.section()),
            }
        }
    }
    Ok(out)
}

/// The `assets`, each `{ source, dest, mode, config, doc, user, group }` or
/// `{ dest, dir = true, mode }`; sources relative to the workspace root (then this crate).
fn assets(meta: &Meta, layout: &Layout) -> anyhow::Result<Vec<RpmFile>> {
    let section = meta.section().to_string();
    let mut files = Vec::new();
    for (idx, asset) in meta.array("assets")?.iter().enumerate() {
        let Value::Table(t) = asset else {
            bail!("[{section}] assets[{idx}] must be a table");
        };
        let known = [
            "source", "dest", "mode", "config", "doc", "user", "group", "dir",
        ];
        if let Some(key) = t.keys().find(|k| !known.contains(&k.as_str())) {
            bail!("[{section}] assets[{idx}].{key} is not supported by `xtask package`");
        }
        let string = |key: &str| -> anyhow::Result<Option<&str>> {
            match t.get(key) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.as_str())),
                Some(_) => bail!("[{section}] assets[{idx}].{key} must be a string"),
            }
        };
        let flag = |key: &str| -> anyhow::Result<bool> {
            match t.get(key) {
                None => Ok(false),
                Some(Value::Boolean(b)) => Ok(*b),
                Some(_) => bail!("[{section}] assets[{idx}].{key} must be a boolean"),
            }
        };
        let dest =
            string("dest")?.with_context(|| format!("[{section}] assets[{idx}] has no dest"))?;
        let dir = flag("dir")?;
        // cargo-generate-rpm's default modes.
        let mode = match string("mode")? {
            Some(m) => parse_mode(m)?,
            None if dir => 0o775,
            None => 0o664,
        };
        let config = match t.get("config") {
            None | Some(Value::Boolean(false)) => None,
            Some(Value::Boolean(true)) => Some("%config".to_string()),
            Some(Value::String(s)) if s == "noreplace" || s == "missingok" => {
                Some(format!("%config({s})"))
            }
            Some(Value::Array(items)) => {
                let mut opts = Vec::new();
                for item in items {
                    match item.as_str() {
                        Some(o @ ("noreplace" | "missingok")) => opts.push(o),
                        _ => bail!("[{section}] assets[{idx}].config: noreplace or missingok"),
                    }
                }
                Some(format!("%config({})", opts.join(",")))
            }
            Some(_) => bail!(
                "[{section}] assets[{idx}].config must be true, \"noreplace\", \"missingok\" \
                 or an array of those"
            ),
        };
        let user = string("user")?.unwrap_or("root").to_string();
        let group = string("group")?.unwrap_or("root").to_string();
        let doc = flag("doc")?;
        let attrs = |entry: Entry| RpmFile {
            entry,
            user: user.clone(),
            group: group.clone(),
            config: config.clone(),
            doc,
        };
        if dir {
            files.push(attrs(Entry {
                dest: normalize_dest(dest),
                source: Source::Dir,
                mode,
            }));
            continue;
        }
        let source = string("source")?
            .with_context(|| format!("[{section}] assets[{idx}] has no source"))?;
        let mut path = layout.asset_source(source, &layout.workspace_root);
        if !path.exists() && !source.contains(['*', '?']) {
            path = layout.crate_dir.join(source);
        }
        for (file, dest) in expand(&path, dest)? {
            files.push(attrs(Entry {
                dest: normalize_dest(&dest),
                source: Source::File(file),
                mode,
            }));
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dest: &str, source: Source, mode: u32) -> RpmFile {
        RpmFile {
            entry: Entry {
                dest: dest.into(),
                source,
                mode,
            },
            user: "root".into(),
            group: "root".into(),
            config: None,
            doc: false,
        }
    }

    #[test]
    fn spec_lists_files_with_attributes_and_escapes_percent() {
        let mut env = file("/etc/sysconfig/p", Source::File("/src/p.env".into()), 0o644);
        env.config = Some("%config(noreplace)".into());
        let mut doc = file(
            "/usr/share/doc/p/README.md",
            Source::File("/src/it's.md".into()),
            0o644,
        );
        doc.doc = true;
        let rpm = Rpm {
            name: "p".into(),
            version: "0.1.0".into(),
            release: "1".into(),
            epoch: None,
            license: "Apache-2.0".into(),
            summary: "100% Rust".into(),
            url: None,
            vendor: None,
            auto_req: true,
            relations: vec![("Requires", "docker-ce >= 20".into())],
            scriptlets: vec![("%post", "echo $1\n".into())],
            files: vec![
                env,
                file(
                    "/usr/bin/p",
                    Source::File("/t/debug/dist/bin/p".into()),
                    0o755,
                ),
                file("/usr/share/doc/p", Source::Dir, 0o755),
                doc,
            ],
            arch: "x86_64".into(),
        };
        let spec = rpm.spec(true).unwrap();
        assert!(spec.contains("%global debug_package %{nil}\n"), "{spec}");
        assert!(spec.contains("%global _binary_payload w1.gzdio\n"));
        assert!(spec.contains("Summary: 100%% Rust\n"));
        assert!(spec.contains("Requires: docker-ce >= 20\n"));
        assert!(
            spec.contains("install -D -p -m 0755 '/t/debug/dist/bin/p' %{buildroot}'/usr/bin/p'\n")
        );
        assert!(spec.contains(r"'/src/it'\''s.md'"));
        assert!(spec.contains("install -d -m 0755 %{buildroot}'/usr/share/doc/p'\n"));
        assert!(spec.contains("%post\necho $1\n"));
        assert!(spec.contains("%config(noreplace) %attr(0644,root,root) \"/etc/sysconfig/p\"\n"));
        assert!(spec.contains("%attr(0755,root,root) \"/usr/bin/p\"\n"));
        assert!(spec.contains("%dir %attr(0755,root,root) \"/usr/share/doc/p\"\n"));
        assert!(spec.contains("%doc %attr(0644,root,root) \"/usr/share/doc/p/README.md\"\n"));
        assert!(rpm.spec(false).unwrap().contains("w19.zstdio"));
    }
}
