//! Redaction of anything that looks like a secret before argv or docker's stderr reach a log,
//! an error message or `explain` output.
//!
//! Our own argv never carries environment values (they travel in the CLI's environment), but
//! a task can still smuggle secrets in through `DockerInfo.parameters` (`--env=TOKEN=x`), a
//! shell command (`-c "PASSWORD=x ./run"`) or a registry URL with user info. Redaction is
//! best-effort by shape; the real protection is that values never go on argv.

/// What replaces a redacted value.
pub const REDACTED: &str = "***";

/// Substrings of a key (compared lower-case) that mark its value as a secret.
const SECRET_KEY_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "credential",
    "auth",
    "private_key",
    "private-key",
];

/// Shortest environment value we scrub from free text: shorter values (`1`, `on`) would
/// blank out unrelated parts of a message and are not credentials anyway.
const MIN_SCRUBBED_VALUE_LEN: usize = 4;

fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_KEY_WORDS.iter().any(|w| key.contains(w))
}

/// Returns `argv` with environment values and secret-looking values replaced by `***`.
///
/// Handles `-e NAME=VALUE` / `--env NAME=VALUE` pairs, `--env=NAME=VALUE` / `-eNAME=VALUE`
/// single tokens, `KEY=VALUE` pairs whose key looks like a secret anywhere in a token, and
/// `scheme://user:password@host` URLs. `-e NAME` (no value) is kept as is.
pub fn redact_argv<S: AsRef<str>>(argv: &[S]) -> Vec<String> {
    let mut out = Vec::with_capacity(argv.len());
    let mut env_value_next = false;
    for token in argv {
        let token = token.as_ref();
        if env_value_next {
            env_value_next = false;
            out.push(redact_env_assignment(token));
            continue;
        }
        if token == "-e" || token == "--env" {
            env_value_next = true;
            out.push(token.to_string());
            continue;
        }
        if let Some(rest) = token.strip_prefix("--env=") {
            out.push(format!("--env={}", redact_env_assignment(rest)));
            continue;
        }
        if let Some(rest) = token.strip_prefix("-e").filter(|r| r.contains('=')) {
            out.push(format!("-e{}", redact_env_assignment(rest)));
            continue;
        }
        out.push(redact_text(token, &[]));
    }
    out
}

/// `NAME=VALUE` → `NAME=***`; a bare `NAME` stays.
fn redact_env_assignment(token: &str) -> String {
    match token.split_once('=') {
        Some((name, _)) => format!("{name}={REDACTED}"),
        None => token.to_string(),
    }
}

/// Joins a redacted argv with spaces, for logs and error messages.
pub fn display_argv<S: AsRef<str>>(argv: &[S]) -> String {
    redact_argv(argv).join(" ")
}

/// Returns `text` with every given secret value (of at least 4 bytes) and every
/// secret-looking `KEY=VALUE` / URL password replaced by `***`.
pub fn redact_text(text: &str, secrets: &[&str]) -> String {
    let mut text = text.to_string();
    // Longest first, so a value containing another value is replaced whole.
    let mut secrets: Vec<&str> = secrets
        .iter()
        .copied()
        .filter(|s| s.len() >= MIN_SCRUBBED_VALUE_LEN)
        .collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for secret in secrets {
        if text.contains(secret) {
            text = text.replace(secret, REDACTED);
        }
    }
    let text = redact_url_passwords(&text);
    redact_secret_assignments(&text)
}

/// `scheme://user:pass@host` → `scheme://user:***@host`.
fn redact_url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(idx) = rest.find("://") {
        let (head, tail) = rest.split_at(idx + 3);
        out.push_str(head);
        // The authority ends at the first '/', whitespace or quote.
        let end = tail
            .find(|c: char| c == '/' || c.is_whitespace() || c == '\'' || c == '"')
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) if authority[..at].contains(':') => {
                let colon = authority[..at].find(':').unwrap_or(at);
                out.push_str(&authority[..=colon]);
                out.push_str(REDACTED);
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// `...PASSWORD=hunter2 ...` → `...PASSWORD=*** ...` for keys that look like secrets.
fn redact_secret_assignments(text: &str) -> String {
    let is_key_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.';
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    let mut last = 0;
    while let Some((idx, c)) = chars.next() {
        if c != '=' && c != ':' {
            continue;
        }
        // Find the key: the run of key characters right before the separator.
        let key_start = text[..idx]
            .char_indices()
            .rev()
            .take_while(|(_, k)| is_key_char(*k))
            .last()
            .map(|(i, _)| i)
            .unwrap_or(idx);
        let key = &text[key_start..idx];
        // `:` only counts when followed by a space-free value and the key is secret-ish, so
        // `host:port` stays; URLs were handled before.
        if key.is_empty() || !is_secret_key(key) {
            continue;
        }
        let value_start = idx + c.len_utf8();
        let value_end = text[value_start..]
            .find(|v: char| v.is_whitespace() || v == '\'' || v == '"' || v == ',' || v == ';')
            .map(|e| value_start + e)
            .unwrap_or(text.len());
        if value_end == value_start {
            continue;
        }
        out.push_str(&text[last..value_start]);
        out.push_str(REDACTED);
        last = value_end;
        while chars.peek().is_some_and(|(i, _)| *i < value_end) {
            chars.next();
        }
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_values_are_redacted_in_every_spelling() {
        let argv = [
            "docker",
            "run",
            "-e",
            "NAME",
            "-e",
            "FOO=bar",
            "--env",
            "A=b",
            "--env=C=d",
            "-eE=f",
            "img",
        ];
        assert_eq!(
            display_argv(&argv),
            "docker run -e NAME -e FOO=*** --env A=*** --env=C=*** -eE=*** img"
        );
    }

    #[test]
    fn secret_looking_assignments_and_urls() {
        assert_eq!(
            redact_text("sh -c 'DB_PASSWORD=hunter2 ./run --api-token=xyz'", &[]),
            "sh -c 'DB_PASSWORD=*** ./run --api-token=***'"
        );
        assert_eq!(
            redact_text("pull https://user:pa55@registry:5000/x", &[]),
            "pull https://user:***@registry:5000/x"
        );
        assert_eq!(
            redact_text("--label=mesos.task_id=t1 host:5000 PATH=/bin", &[]),
            "--label=mesos.task_id=t1 host:5000 PATH=/bin"
        );
    }

    #[test]
    fn known_values_are_scrubbed_from_text() {
        assert_eq!(
            redact_text(
                "error: bad value s3cr3t-value for x=1",
                &["s3cr3t-value", "1"]
            ),
            "error: bad value *** for x=1"
        );
    }
}
