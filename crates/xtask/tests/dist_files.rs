//! The hand-written files under dist/ against the clap definitions they describe, so they
//! cannot drift: the env file lists every flag of `serve` with its real default, and the
//! systemd units run a real subcommand and read the env file from the right place.

use std::collections::BTreeMap;
use std::path::PathBuf;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo_root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// `serve`'s flags, global ones included: environment variable -> default value.
fn serve_env_vars() -> BTreeMap<String, Option<String>> {
    let mut cmd = xtask::commands::containerizer();
    cmd.build();
    let serve = cmd
        .get_subcommands()
        .find(|s| s.get_name() == "serve")
        .expect("mesos-docker-containerizer has a serve subcommand");
    serve
        .get_arguments()
        .filter_map(|a| {
            let env = a.get_env()?.to_str()?.to_string();
            let default = a
                .get_default_values()
                .first()
                .map(|v| v.to_string_lossy().into_owned());
            Some((env, default))
        })
        .collect()
}

/// The `#NAME=value` lines of the env file.
fn env_file_settings() -> BTreeMap<String, String> {
    read("dist/mesos-docker-containerizer.env")
        .lines()
        .filter_map(|l| l.strip_prefix('#'))
        .filter_map(|l| l.split_once('='))
        .filter(|(name, _)| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[test]
fn env_file_lists_every_serve_flag_with_its_default() {
    let flags = serve_env_vars();
    let listed = env_file_settings();
    assert!(flags.contains_key("MESOS_WORK_DIR"), "{flags:?}");
    for (env, default) in &flags {
        let value = listed.get(env).unwrap_or_else(|| {
            panic!("{env} is a flag of serve: add it to dist/mesos-docker-containerizer.env")
        });
        if let Some(default) = default {
            assert_eq!(
                value, default,
                "dist/mesos-docker-containerizer.env: {env} is shown as '{value}' but defaults \
                 to '{default}'"
            );
        }
    }
    for name in listed.keys() {
        assert!(
            flags.contains_key(name) || name == "RUST_LOG",
            "dist/mesos-docker-containerizer.env lists {name}, which serve does not read"
        );
    }
}

#[test]
fn env_file_sets_nothing_by_default() {
    for line in read("dist/mesos-docker-containerizer.env").lines() {
        let line = line.trim();
        assert!(
            line.is_empty() || line.starts_with('#'),
            "dist/mesos-docker-containerizer.env should only hold comments: {line}"
        );
    }
}

#[test]
fn units_run_serve_with_their_distributions_env_file() {
    for (unit, env_file) in [
        (
            "dist/deb/mesos-docker-containerizer.service",
            "/etc/default/mesos-docker-containerizer",
        ),
        (
            "dist/rpm/mesos-docker-containerizer.service",
            "/etc/sysconfig/mesos-docker-containerizer",
        ),
    ] {
        let text = read(unit);
        let key = |k: &str| -> Vec<&str> {
            text.lines()
                .filter_map(|l| l.strip_prefix(k)?.strip_prefix('='))
                .collect()
        };
        assert_eq!(
            key("ExecStart"),
            ["/usr/bin/mesos-docker-containerizer serve"],
            "{unit}"
        );
        assert_eq!(key("EnvironmentFile"), [format!("-{env_file}")], "{unit}");
        // Tasks outlive the daemon: only the daemon is signalled on stop and restart.
        assert_eq!(key("KillMode"), ["process"], "{unit}");
        assert_eq!(key("WantedBy"), ["multi-user.target"], "{unit}");
    }
    // The two differ only in where the settings come from.
    let deb = read("dist/deb/mesos-docker-containerizer.service");
    let rpm = read("dist/rpm/mesos-docker-containerizer.service");
    let strip = |s: &str| {
        s.lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with("EnvironmentFile="))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&deb), strip(&rpm));
}
