//! The two text formats cgroup files share across controllers and versions: a single value,
//! and "flat keyed" `<key> <value>` lines (`cpu.stat`, `memory.stat`, `cpuacct.stat`).

use std::collections::HashMap;

use crate::error::ParseError;

/// A file holding one unsigned number (`memory.current`, `cpu.shares`, `pids.current`).
pub fn parse_u64(text: &str) -> Result<u64, ParseError> {
    let value = text.trim();
    if value.is_empty() {
        return Err(ParseError::Empty);
    }
    value.parse().map_err(|_| ParseError::BadNumber {
        what: "value".into(),
        value: value.into(),
    })
}

/// A file holding one signed number (`cpu.cfs_quota_us`, where `-1` means no quota).
pub fn parse_i64(text: &str) -> Result<i64, ParseError> {
    let value = text.trim();
    if value.is_empty() {
        return Err(ParseError::Empty);
    }
    value.parse().map_err(|_| ParseError::BadNumber {
        what: "value".into(),
        value: value.into(),
    })
}

/// `<key> <u64>` lines, blank lines ignored.
pub fn parse_flat_keyed(text: &str) -> Result<HashMap<&str, u64>, ParseError> {
    let mut entries = HashMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut fields = line.split_whitespace();
        let (Some(key), Some(value), None) = (fields.next(), fields.next(), fields.next()) else {
            return Err(ParseError::BadLine { line: line.into() });
        };
        let value = value.parse().map_err(|_| ParseError::BadNumber {
            what: format!("'{key}'"),
            value: value.into(),
        })?;
        entries.insert(key, value);
    }
    Ok(entries)
}

/// The value of a key that the format always carries.
pub(crate) fn required(entries: &HashMap<&str, u64>, key: &'static str) -> Result<u64, ParseError> {
    entries
        .get(key)
        .copied()
        .ok_or(ParseError::MissingKey { key })
}

/// The first of `keys` that is present (`total_rss` before `rss`).
pub(crate) fn first_of(entries: &HashMap<&str, u64>, keys: &[&str]) -> Option<u64> {
    keys.iter().find_map(|k| entries.get(k).copied())
}

/// The sum of `keys` when all are present.
pub(crate) fn sum_of(entries: &HashMap<&str, u64>, keys: &[&str]) -> Option<u64> {
    keys.iter()
        .map(|k| entries.get(k).copied())
        .try_fold(0u64, |acc, v| v.map(|v| acc.saturating_add(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_values_tolerate_the_trailing_newline() {
        assert_eq!(parse_u64("67108864\n"), Ok(67_108_864));
        assert_eq!(parse_i64("-1\n"), Ok(-1));
        assert_eq!(parse_u64("\n"), Err(ParseError::Empty));
        assert!(matches!(
            parse_u64("max\n"),
            Err(ParseError::BadNumber { value, .. }) if value == "max"
        ));
        assert!(parse_u64("-1").is_err());
    }

    #[test]
    fn flat_keyed_lines_become_a_map() {
        let map = parse_flat_keyed("user 2\nsystem 1\n\n").unwrap();
        assert_eq!(map.len(), 2);
        assert_eq!(map["user"], 2);
        assert_eq!(required(&map, "system"), Ok(1));
        assert_eq!(
            required(&map, "nope"),
            Err(ParseError::MissingKey { key: "nope" })
        );
        assert_eq!(first_of(&map, &["total_user", "user"]), Some(2));
        assert_eq!(sum_of(&map, &["user", "system"]), Some(3));
        assert_eq!(sum_of(&map, &["user", "idle"]), None);
    }

    #[test]
    fn flat_keyed_rejects_odd_lines() {
        assert_eq!(
            parse_flat_keyed("user 2 3\n"),
            Err(ParseError::BadLine {
                line: "user 2 3".into()
            })
        );
        assert_eq!(
            parse_flat_keyed("user\n"),
            Err(ParseError::BadLine {
                line: "user".into()
            })
        );
        assert!(matches!(
            parse_flat_keyed("user x\n"),
            Err(ParseError::BadNumber { what, .. }) if what == "'user'"
        ));
    }
}
