//! Mesos flag syntax and values: stout durations and byte sizes (parse ∘ print = id, and
//! printing what was parsed is stable), `normalize_args` (idempotent), the containerizer's
//! flags through clap (what `GET_FLAGS` prints parses back to the same flags), and the flag
//! values with their own parsers (`--docker_config`, whose errors must never show the
//! credentials, and `--default_container_dns`).
//!
//! Input: text, one argument per line.

use containerizer::flags::{ContainerizerFlags, BOOL_FLAGS};
use mesos_types::duration::Duration;
use mesos_types::flags::{normalize_args, Bytes};

#[derive(clap::Parser, Debug)]
struct Flags {
    #[command(flatten)]
    flags: ContainerizerFlags,
}

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let args: Vec<&str> = text.split('\n').collect();
    for arg in &args {
        // A value as it would follow `--name=`.
        let value = arg.split_once('=').map_or(*arg, |(_, v)| v);
        for v in [*arg, value] {
            duration(v);
            bytes(v);
        }
    }

    let normalized = normalize_args(args.iter().copied(), BOOL_FLAGS);
    assert_eq!(
        normalize_args(normalized.iter().cloned(), BOOL_FLAGS),
        normalized,
        "normalize_args is not idempotent"
    );

    let argv = std::iter::once("fuzz".to_string()).chain(normalized);
    let Ok(parsed) = <Flags as clap::Parser>::try_parse_from(argv) else {
        return;
    };
    let flags = parsed.flags;
    let pairs = flags.to_pairs();
    // A value that is not a path is the config itself (what `validate` and `GET_FLAGS`
    // treat as secret).
    let inline_config = flags.docker_config.as_deref().is_some_and(|c| {
        let c = c.trim();
        !(c.starts_with('/') || c.starts_with("file://"))
    });
    // `GET_FLAGS` hides an inline docker config; everything else it prints is the flag.
    let reprinted: Vec<String> = pairs
        .iter()
        .filter(|(name, _)| !(inline_config && *name == "docker_config"))
        .map(|(name, value)| format!("--{name}={value}"))
        .collect();
    let argv = std::iter::once("fuzz".to_string()).chain(reprinted);
    let again = <Flags as clap::Parser>::try_parse_from(argv)
        .unwrap_or_else(|e| panic!("the flags as GET_FLAGS prints them do not parse: {e}"))
        .flags;
    let mut again_pairs = again.to_pairs();
    if inline_config {
        again_pairs.push(("docker_config", "***".into()));
        again_pairs.sort_by_key(|(name, _)| *name);
    }
    assert_eq!(
        pairs, again_pairs,
        "GET_FLAGS output does not parse back to the same flags"
    );

    // `validate` reads files named by `--docker_config` and checks `--launcher_dir` on
    // disk; those paths are not the input's business here.
    let dns_is_path = flags
        .default_container_dns
        .as_deref()
        .is_some_and(|d| d.trim().starts_with('/') || d.trim().starts_with("file://"));
    if flags.launcher_dir.is_none()
        && (flags.docker_config.is_none() || inline_config)
        && !dns_is_path
    {
        // Another flag's value may hold the same text: only docker_config's error is judged.
        if let Err(e) = flags.validate().map_err(|e| (e.flag == "docker_config", e)) {
            let (about_config, e) = e;
            if let Some(secret) = flags
                .docker_config
                .as_deref()
                .filter(|c| about_config && looks_like_json(c))
            {
                assert!(
                    !e.to_string().contains(secret.trim()),
                    "an invalid --docker_config is echoed in its error"
                );
            }
        }
    }
    if let Some(config) = flags.docker_config.as_deref().filter(|_| inline_config) {
        if let Err(e) = docker_cli::DockerConfig::parse(config) {
            if looks_like_json(config) {
                assert!(
                    !e.to_string().contains(config.trim()),
                    "an invalid --docker_config is echoed in its error"
                );
            }
        }
    }
    if let Some(dns) = flags
        .default_container_dns
        .as_deref()
        .filter(|_| !dns_is_path)
    {
        let _ = docker_cli::ContainerDnsInfo::parse(dns);
    }
}

/// A parsed duration prints to text that parses back to it.
fn duration(text: &str) {
    let Ok(d) = text.parse::<Duration>() else {
        return;
    };
    let printed = d.to_string();
    let back: Duration = printed
        .parse()
        .unwrap_or_else(|e| panic!("{text:?} parsed, but its printing {printed:?} does not: {e}"));
    assert_eq!(
        d, back,
        "{text:?} -> {printed:?} -> {back:?}: parse . print is not the identity"
    );
}

/// A parsed byte size prints to text that parses back to it.
fn bytes(text: &str) {
    let Ok(b) = text.parse::<Bytes>() else {
        return;
    };
    let printed = b.to_string();
    let back: Bytes = printed
        .parse()
        .unwrap_or_else(|e| panic!("{text:?} parsed, but its printing {printed:?} does not: {e}"));
    assert_eq!(
        b, back,
        "{text:?} -> {printed:?} -> {back:?}: parse . print is not the identity"
    );
}

/// A `--docker_config` value that cannot be a file name: JSON text, which holds credentials.
/// (A value that could be a path is shown in errors, so that a typo in a path can be seen.)
fn looks_like_json(config: &str) -> bool {
    let c = config.trim();
    c.len() >= 8 && c.contains(|ch: char| ch.is_whitespace() || "{}\"':,".contains(ch))
}
