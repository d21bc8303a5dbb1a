//! The packages end to end, with the real tools: `scripts/package --profile dev` builds the
//! .deb and the .rpm, their file lists are checked with `dpkg-deb -c` and `rpm -qpl`, the
//! .deb is installed with dpkg, examples/hello.json runs with the installed binaries against
//! the real Docker daemon (scripts/setup), and the package is removed again.
//!
//! Needs root (it installs a package): skipped otherwise. It removes any installed
//! `mesos-docker-containerizer` package first (one left by a crashed run, say) and on the way
//! out, whether it passes or fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PACKAGE: &str = "mesos-docker-containerizer";
const BINARIES: [&str; 3] = [
    "mesos-docker-containerizer",
    "mesos-docker-executor",
    "mesos-fetcher",
];

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// Runs `cmd`, panicking with its output when it cannot start or fails.
fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout_of(cmd: &mut Command) -> String {
    String::from_utf8(run_ok(cmd).stdout).expect("UTF-8 output")
}

/// The files every package must hold (besides the generated ones checked by pattern).
fn expected_files(zsh_dir: &str, unit_dir: &str, env_file: &str) -> Vec<String> {
    let mut files = Vec::new();
    for bin in BINARIES {
        files.push(format!("/usr/bin/{bin}"));
        files.push(format!("/usr/share/man/man1/{bin}.1.gz"));
        files.push(format!("/usr/share/bash-completion/completions/{bin}"));
        files.push(format!("{zsh_dir}/_{bin}"));
        files.push(format!("/usr/share/fish/vendor_completions.d/{bin}.fish"));
    }
    for sub in ["run", "serve"] {
        files.push(format!("/usr/share/man/man1/{PACKAGE}-{sub}.1.gz"));
    }
    files.push(format!("{unit_dir}/{PACKAGE}.service"));
    files.push(env_file.to_string());
    files.push(format!("/usr/share/doc/{PACKAGE}/README.md"));
    let docs = repo_root().join("docs");
    for entry in std::fs::read_dir(&docs).expect("docs/") {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".md") {
            files.push(format!("/usr/share/doc/{PACKAGE}/docs/{name}"));
        }
    }
    files
}

fn assert_lists(what: &str, listed: &[String], expected: &[String]) {
    let missing: Vec<&String> = expected.iter().filter(|f| !listed.contains(f)).collect();
    assert!(
        missing.is_empty(),
        "{what} lacks {missing:?}; it holds:\n{}",
        listed.join("\n")
    );
}

/// `dpkg -s`: is the package known to dpkg in any state (installed, half-installed, ...)?
fn dpkg_knows_package() -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", PACKAGE])
        .output()
        .map(|o| {
            o.status.success() && !String::from_utf8_lossy(&o.stdout).contains("not-installed")
        })
        .unwrap_or(false)
}

/// Removes the package, whatever state an earlier run left it in.
fn purge_package() {
    if dpkg_knows_package() {
        let _ = Command::new("dpkg").args(["--purge", PACKAGE]).output();
    }
}

/// Purges the package when the test ends, passed or failed.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        purge_package();
    }
}

/// Is one of the .deb's alternatives for Docker installed?
fn docker_package_installed() -> bool {
    ["docker.io", "docker-ce"].iter().any(|p| {
        Command::new("dpkg-query")
            .args(["-W", "-f=${Status}", p])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout) == "install ok installed")
            .unwrap_or(false)
    })
}

fn install_deb(deb: &Path) {
    if docker_package_installed() {
        run_ok(Command::new("dpkg").arg("-i").arg(deb));
    } else {
        // dpkg alone would leave the package unconfigured for want of docker.io | docker-ce;
        // apt installs the .deb with what it depends on.
        eprintln!("neither docker.io nor docker-ce is installed: installing the .deb with apt");
        let _ = Command::new("apt-get").arg("update").arg("-qq").output();
        run_ok(
            Command::new("apt-get")
                .args(["install", "-y", "-qq", "--no-install-recommends"])
                .arg(deb)
                .env("DEBIAN_FRONTEND", "noninteractive"),
        );
    }
}

#[test]
fn deb_and_rpm_hold_everything_and_the_deb_installs_runs_and_removes() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!(
            "skipped: this test installs the .deb with dpkg and needs root (run it as root, \
             as scripts/test does)"
        );
        return;
    }
    let repo = repo_root();
    let out = tempfile::tempdir().unwrap();

    // --- build -----------------------------------------------------------------------------
    let paths = stdout_of(
        Command::new("bash")
            .arg(repo.join("scripts/package"))
            .args(["--profile", "dev"])
            .arg(out.path())
            .current_dir(&repo),
    );
    let paths: Vec<&str> = paths.lines().collect();
    assert_eq!(paths.len(), 2, "scripts/package printed {paths:?}");
    let (deb, rpm) = (PathBuf::from(paths[0]), PathBuf::from(paths[1]));
    assert!(
        deb.extension().is_some_and(|e| e == "deb") && deb.is_file(),
        "{deb:?}"
    );
    assert!(
        rpm.extension().is_some_and(|e| e == "rpm") && rpm.is_file(),
        "{rpm:?}"
    );
    assert!(deb.starts_with(out.path()) && rpm.starts_with(out.path()));

    // --- contents --------------------------------------------------------------------------
    // `dpkg-deb -c` lines end in `./path`; directories end in `/`.
    let deb_files: Vec<String> = stdout_of(Command::new("dpkg-deb").arg("-c").arg(&deb))
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .filter(|p| !p.ends_with('/'))
        .map(|p| p.trim_start_matches('.').to_string())
        .collect();
    assert_lists(
        "the .deb",
        &deb_files,
        &expected_files(
            "/usr/share/zsh/vendor-completions",
            "/usr/lib/systemd/system",
            &format!("/etc/default/{PACKAGE}"),
        ),
    );
    let conffiles = stdout_of(
        Command::new("dpkg-deb")
            .args(["-I"])
            .arg(&deb)
            .arg("conffiles"),
    );
    assert_eq!(conffiles.trim(), format!("/etc/default/{PACKAGE}"));
    let depends = stdout_of(
        Command::new("dpkg-deb")
            .args(["-f"])
            .arg(&deb)
            .arg("Depends"),
    );
    assert!(depends.contains("docker.io | docker-ce"), "{depends}");

    let rpm_files: Vec<String> = stdout_of(Command::new("rpm").arg("-qpl").arg(&rpm))
        .lines()
        .map(String::from)
        .collect();
    assert_lists(
        "the .rpm",
        &rpm_files,
        &expected_files(
            "/usr/share/zsh/site-functions",
            "/usr/lib/systemd/system",
            &format!("/etc/sysconfig/{PACKAGE}"),
        ),
    );
    let rpm_config = stdout_of(Command::new("rpm").arg("-qpc").arg(&rpm));
    assert_eq!(rpm_config.trim(), format!("/etc/sysconfig/{PACKAGE}"));
    let scripts = stdout_of(Command::new("rpm").arg("-qp").arg("--scripts").arg(&rpm));
    assert!(scripts.contains("systemctl daemon-reload"), "{scripts}");

    // --- install ---------------------------------------------------------------------------
    purge_package();
    let _installed = Installed;
    install_deb(&deb);
    for bin in BINARIES {
        let path = Path::new("/usr/bin").join(bin);
        assert!(path.is_file(), "{path:?} not installed");
        let version = stdout_of(Command::new(&path).arg("--version"));
        assert!(
            version.starts_with(&format!("{bin} {} (commit ", env!("CARGO_PKG_VERSION"))),
            "{bin} --version: {version}"
        );
        let commit = version
            .split("(commit ")
            .nth(1)
            .and_then(|s| s.strip_suffix(")\n"))
            .unwrap_or_default();
        assert!(
            !commit.is_empty() && commit.chars().all(|c| c.is_ascii_hexdigit()),
            "{bin} --version names no git commit: {version}"
        );
    }
    assert!(Path::new("/usr/share/man/man1/mesos-fetcher.1.gz").is_file());

    // --- run -------------------------------------------------------------------------------
    // The installed containerizer finds the installed executor and fetcher next to itself.
    let work = tempfile::tempdir().unwrap();
    let container_id = format!("pkgtest-{}", std::process::id());
    let status = run_ok(
        Command::new("/usr/bin/mesos-docker-containerizer")
            .arg("--work_dir")
            .arg(work.path())
            .arg("run")
            .arg(repo.join("examples/hello.json"))
            .args(["--container_id", &container_id])
            .env_remove("MESOS_LAUNCHER_DIR"),
    );
    let printed = String::from_utf8_lossy(&status.stdout);
    assert!(printed.contains("TASK_FINISHED"), "{printed}");
    let sandbox_stdout = work
        .path()
        .join("sandboxes")
        .join(&container_id)
        .join("stdout");
    let sandbox = std::fs::read_to_string(&sandbox_stdout)
        .unwrap_or_else(|e| panic!("{}: {e}", sandbox_stdout.display()));
    assert!(
        sandbox.contains("Hello from hello: the task environment works"),
        "sandbox stdout:\n{sandbox}"
    );

    // --- remove ----------------------------------------------------------------------------
    run_ok(Command::new("dpkg").args(["-r", PACKAGE]));
    for bin in BINARIES {
        let path = Path::new("/usr/bin").join(bin);
        assert!(!path.exists(), "{path:?} is still there after dpkg -r");
    }
    // A conffile stays until purge, as Debian wants.
    assert!(Path::new("/etc/default").join(PACKAGE).exists());
    run_ok(Command::new("dpkg").args(["--purge", PACKAGE]));
    assert!(!Path::new("/etc/default").join(PACKAGE).exists());
    assert!(!dpkg_knows_package());
}
