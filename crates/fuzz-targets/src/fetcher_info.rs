//! `MESOS_FETCHER_INFO` (`fetcher::info::parse_fetcher_info`) and what the fetcher derives
//! from each item before touching the network or the disk: URI validation, basename, scheme
//! dispatch, archive recognition, checksum syntax, the cache file name, the output path rule
//! and the redaction of passwords in URIs and in the raw text.

use fetcher::info::parse_fetcher_info;
use fetcher::uri;
use std::path::{Component, Path};

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check_redaction(text, &uri::redact_all);
    let info = match parse_fetcher_info(text) {
        Ok(info) => info,
        Err(e) => {
            assert!(e
                .to_string()
                .starts_with("Failed to parse MESOS_FETCHER_INFO: "));
            return;
        }
    };
    // What the agent would write for this request parses back to it.
    let agent_json = info.to_agent_json();
    let again = parse_fetcher_info(&agent_json)
        .unwrap_or_else(|e| panic!("our own FetcherInfo JSON does not parse: {e}\n{agent_json}"));
    assert_eq!(info, again, "FetcherInfo JSON is not a round trip");

    for (i, item) in info.items.iter().enumerate() {
        let value = &item.uri.value;
        check_redaction(value, &uri::redact);
        // The password of a URI that appears once in the raw text is gone from its
        // redaction (what the fetcher logs when the document is refused later).
        if let Some(password) = password(value).filter(|p| p.len() >= 6) {
            if text.matches(password).count() == 1 {
                assert!(
                    !uri::redact_all(text).contains(password),
                    "the password of item {i} survives redact_all"
                );
            }
        }
        let valid = uri::validate(value).is_ok();
        let basename = uri::basename(value);
        if valid {
            assert!(basename.is_ok(), "a valid URI has a basename");
        }
        let _ = uri::classify(value, info.frameworks_home.as_deref());
        if let Ok(name) = &basename {
            let _ = uri::archive_kind(name);
        }
        let cache_name = fetcher::cache::cache_filename(i as u64, value);
        assert!(
            !cache_name.contains('/') && cache_name != "." && cache_name != "..",
            "cache file name {cache_name:?} is not a bare file name"
        );
        if let Some(sum) = &item.uri.checksum {
            let _ = fetcher::checksum::Checksum::parse(value, sum);
        }
        if fetcher::cache::validate_request_uri(&item.uri).is_ok() {
            if let Some(out) = &item.uri.output_file {
                let rel = fetcher::sandbox::normalize_relative(Path::new(out))
                    .expect("an accepted output_file normalises");
                assert!(
                    rel.components().all(|c| matches!(c, Component::Normal(_))),
                    "accepted output_file {out:?} normalises to {rel:?}, not a path below the sandbox"
                );
                assert!(!rel.as_os_str().is_empty());
            }
        }
    }
}

/// The password of `scheme://user:password@host/...`, as `redact` reads the authority.
fn password(uri: &str) -> Option<&str> {
    let start = uri.find("://")? + 3;
    let rest = &uri[start..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let at = authority.rfind('@')?;
    let colon = authority.find(':')?;
    (colon < at).then(|| &authority[colon + 1..at])
}

/// Redaction is idempotent and leaves no password other than `***` in any URI it rewrote.
fn check_redaction(text: &str, redact: &dyn Fn(&str) -> String) {
    let once = redact(text);
    assert_eq!(redact(&once), once, "redaction is not idempotent");
    if once != text {
        assert!(once.contains(":***@"), "a rewritten URI shows no ':***@'");
    }
}
