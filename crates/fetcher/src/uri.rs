//! URI strings as Mesos treats them: validation, the basename rule (no URL decoding, query
//! and fragment kept), scheme dispatch by case-sensitive prefix, and archive recognition by
//! case-sensitive suffix.

use crate::error::FetchError;
use std::path::{Path, PathBuf};

/// Where the bytes of a URI come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `file://` or a plain path, resolved to an absolute path.
    Local(PathBuf),
    /// `http://` or `https://`.
    Http(String),
    /// `hdfs://`, `hftp://`, `s3://`, `s3n://`, `s3a://`: through `hadoop fs -copyToLocal`.
    Hadoop(String),
}

/// The archive types we extract, recognised by the suffix of the local file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    /// `.tar`, `.tgz`, `.tar.gz`, `.tbz2`, `.tar.bz2`, `.txz`, `.tar.xz`, `.zip`: the
    /// container format and compression are then sniffed from the content.
    Archive,
    /// A single gzip-compressed file (`.gz` that is not `.tar.gz`).
    Gzip,
}

const HADOOP_SCHEMES: &[&str] = &["hdfs://", "hftp://", "s3://", "s3n://", "s3a://"];

/// Mesos strips leading (not trailing) whitespace before dispatching.
pub fn trim_leading(uri: &str) -> &str {
    uri.trim_start_matches([' ', '\t', '\n', '\r'])
}

/// `Fetcher::validateUri`: illegal characters, then the basename rule.
pub fn validate(uri: &str) -> Result<(), FetchError> {
    if uri.contains(['\\', '\'', '\0']) {
        return Err(FetchError::InvalidUri {
            uri: uri.to_string(),
            reason: "Illegal characters in URI".into(),
        });
    }
    basename(uri).map(|_| ())
}

/// `Fetcher::basename`: the text after the last `/` of the URI string, with no URL decoding;
/// for plain paths, the POSIX basename.
pub fn basename(uri: &str) -> Result<String, FetchError> {
    if let Some(idx) = uri.find("://").filter(|&i| i > 1) {
        let rest = &uri[idx + 3..];
        match rest.find('/') {
            Some(first) if first + 1 < rest.len() => {
                let last = rest.rfind('/').unwrap_or(first);
                Ok(rest[last + 1..].to_string())
            }
            _ => Err(FetchError::InvalidUri {
                uri: uri.to_string(),
                reason: format!("Malformed URI (missing path): {uri}"),
            }),
        }
    } else {
        let path = uri.strip_prefix("file://").unwrap_or(uri);
        let trimmed = path.trim_end_matches('/');
        if trimmed.is_empty() {
            return Ok(if path.is_empty() {
                ".".into()
            } else {
                "/".into()
            });
        }
        Ok(trimmed.rsplit('/').next().unwrap_or(trimmed).to_string())
    }
}

/// Scheme dispatch on the (leading-whitespace-trimmed) URI.
pub fn classify(uri: &str, frameworks_home: Option<&str>) -> Result<Source, FetchError> {
    let uri = trim_leading(uri);
    if let Some(rest) = uri.strip_prefix("file://") {
        let path = rest.strip_prefix("localhost").unwrap_or(rest);
        if !path.starts_with('/') {
            return Err(FetchError::InvalidUri {
                uri: uri.to_string(),
                reason: "File URI only supports absolute paths".into(),
            });
        }
        return Ok(Source::Local(PathBuf::from(path)));
    }
    if !uri.contains("://") {
        let path = uri.strip_prefix("localhost").unwrap_or(uri);
        if path.starts_with('/') {
            return Ok(Source::Local(PathBuf::from(path)));
        }
        return match frameworks_home.filter(|h| !h.is_empty()) {
            Some(home) => {
                let joined = Path::new(home).join(path);
                tracing::info!(
                    "Prepended Mesos frameworks home to relative path, making it: '{}'",
                    joined.display()
                );
                Ok(Source::Local(joined))
            }
            None => Err(FetchError::RelativePathWithoutFrameworksHome {
                path: path.to_string(),
            }),
        };
    }
    if uri.starts_with("http://") || uri.starts_with("https://") {
        return Ok(Source::Http(uri.to_string()));
    }
    if HADOOP_SCHEMES.iter().any(|s| uri.starts_with(s)) {
        return Ok(Source::Hadoop(uri.to_string()));
    }
    let scheme = uri.split("://").next().unwrap_or_default().to_string();
    Err(FetchError::UnsupportedScheme {
        uri: uri.to_string(),
        scheme,
    })
}

/// Archive recognition by the case-sensitive suffix of a local file name. A query string in
/// the name (`app.tgz?sig=x`) is ignored for this check only (beyond Mesos, which would not
/// extract such a file); the file keeps its full name.
pub fn archive_kind(name: &str) -> Option<ArchiveKind> {
    let name = name.split('?').next().unwrap_or(name);
    const ARCHIVES: &[&str] = &[
        ".tar", ".tgz", ".tar.gz", ".tbz2", ".tar.bz2", ".txz", ".tar.xz", ".zip",
    ];
    if ARCHIVES.iter().any(|s| name.ends_with(s)) {
        Some(ArchiveKind::Archive)
    } else if name.ends_with(".gz") {
        Some(ArchiveKind::Gzip)
    } else {
        None
    }
}

/// The URI with any `user:password@` password replaced, for logs and messages.
pub fn redact(uri: &str) -> String {
    let Some(scheme_end) = uri.find("://") else {
        return uri.to_string();
    };
    let authority_start = scheme_end + 3;
    let authority_end = uri[authority_start..]
        .find(['/', '?', '#'])
        .map_or(uri.len(), |i| authority_start + i);
    let authority = &uri[authority_start..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:***{}",
            &uri[..authority_start],
            &authority[..colon],
            &uri[authority_start + at..]
        ),
        _ => uri.to_string(),
    }
}

/// [`redact`] applied to every `scheme://user:password@` in a text (the raw FetcherInfo
/// JSON). An authority ends where [`redact`] ends it, or at the `"` that closes its JSON
/// string; not at whitespace or an escaped `\"`, which a password may hold (redacting too
/// much is harmless, too little is not).
pub fn redact_all(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let start = i + 3;
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = tail
            .char_indices()
            .find(|&(at, c)| {
                matches!(c, '/' | '?' | '#') || (c == '"' && !tail[..at].ends_with('\\'))
            })
            .map_or(tail.len(), |(at, _)| at);
        let authority = &tail[..end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(at), Some(colon)) if colon < at => {
                out.push_str(&authority[..colon]);
                out.push_str(":***");
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basename_follows_the_mesos_table() {
        let ok = |u: &str| basename(u).unwrap();
        assert_eq!(ok("http://h/a/b/app.tar.gz"), "app.tar.gz");
        assert_eq!(ok("http://h/a/app.tar.gz?sig=x"), "app.tar.gz?sig=x");
        assert_eq!(ok("http://h/get?f=a/b.tgz"), "b.tgz");
        assert_eq!(ok("http://h/my%20file.txt"), "my%20file.txt");
        assert_eq!(ok("http://h/dir/"), "");
        assert_eq!(ok("file:///tmp/x.txt"), "x.txt");
        assert_eq!(ok("file://localhost/tmp/x.txt"), "x.txt");
        assert_eq!(ok("/tmp/x.txt"), "x.txt");
        assert_eq!(ok("x.txt"), "x.txt");
        assert_eq!(ok("/tmp/dir/"), "dir");
        for bad in ["http://h", "http://h/", "lala://nopath"] {
            let err = basename(bad).unwrap_err().to_string();
            assert!(err.contains("Malformed URI (missing path)"), "{err}");
        }
    }

    #[test]
    fn illegal_characters_are_refused() {
        assert!(validate("http://h/a'b").is_err());
        assert!(validate("/a\\b").is_err());
        assert!(validate("http://h/ok").is_ok());
    }

    #[test]
    fn scheme_dispatch_is_by_case_sensitive_prefix() {
        assert_eq!(
            classify(" \t\r\nhttp://h/x", None).unwrap(),
            Source::Http("http://h/x".into())
        );
        assert_eq!(
            classify("file://localhost/tmp/x", None).unwrap(),
            Source::Local("/tmp/x".into())
        );
        assert!(classify("file://otherhost/x", None).is_err());
        assert_eq!(
            classify("rel/x", Some("/fw")).unwrap(),
            Source::Local("/fw/rel/x".into())
        );
        let err = classify("rel/x", None).unwrap_err().to_string();
        assert!(err.contains("framework home was not specified"), "{err}");
        assert!(matches!(
            classify("hdfs://nn/x", None).unwrap(),
            Source::Hadoop(_)
        ));
        for unsupported in ["HTTP://h/x", "ftp://h/x", "gopher://h/x"] {
            let err = classify(unsupported, None).unwrap_err().to_string();
            assert!(err.contains("Unsupported URI scheme"), "{err}");
        }
    }

    #[test]
    fn archive_suffixes_are_case_sensitive_and_ignore_a_query() {
        assert_eq!(archive_kind("a.tar.gz"), Some(ArchiveKind::Archive));
        assert_eq!(archive_kind("a.tgz?sig=1/2"), Some(ArchiveKind::Archive));
        assert_eq!(archive_kind("a.zip"), Some(ArchiveKind::Archive));
        assert_eq!(archive_kind("a.txt.gz"), Some(ArchiveKind::Gzip));
        assert_eq!(archive_kind("a.TGZ"), None);
        assert_eq!(archive_kind("a.bz2"), None);
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("https://u:secret@h/p?x=1"), "https://u:***@h/p?x=1");
        assert_eq!(redact("https://h/p@x:y"), "https://h/p@x:y");
        assert_eq!(redact("/plain/path"), "/plain/path");
        assert_eq!(
            redact_all(r#"{"value":"http://a:b@h/x","v2":"s3://k:s@b/y"}"#),
            r#"{"value":"http://a:***@h/x","v2":"s3://k:***@b/y"}"#
        );
        // A password with a space or a quote in it is gone whole.
        assert_eq!(
            redact_all(r#"{"value":"https://u:pass word@h/x"}"#),
            r#"{"value":"https://u:***@h/x"}"#
        );
        assert_eq!(
            redact_all(r#"{"value":"https://u:pa\"ss@h/x"}"#),
            r#"{"value":"https://u:***@h/x"}"#
        );
        assert_eq!(redact_all(r#"{"v":"http://h"}"#), r#"{"v":"http://h"}"#);
    }
}
