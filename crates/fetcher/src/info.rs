//! Reading `MESOS_FETCHER_INFO`, with errors in Mesos terms: what was expected and where,
//! rather than the JSON library's internals.

use mesos_types::fetcher::FetcherInfo;

/// What every error about the document's shape ends with.
pub const EXPECTED: &str = "expected a FetcherInfo object with \"items\" and \"sandbox_directory\", e.g. {\"sandbox_directory\":\"/abs/sandbox\",\"items\":[{\"action\":\"BYPASS_CACHE\",\"uri\":{\"value\":\"http://host/file\"}}]}";

/// Why `MESOS_FETCHER_INFO` could not be used. The `Display` text follows Mesos's
/// `Failed to parse MESOS_FETCHER_INFO: …`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Failed to parse MESOS_FETCHER_INFO: {0}")]
pub struct InfoError(pub String);

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a JSON array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// serde's words for JSON types, in JSON's.
fn in_json_words(message: &str) -> String {
    message
        .replace("invalid type: map", "invalid type: object")
        .replace("invalid type: sequence", "invalid type: JSON array")
        .replace("expected a sequence", "expected a JSON array")
        .replace("expected a map", "expected an object")
}

/// Parses the agent's FetcherInfo JSON: Mesos's lenient decoding (see
/// [`mesos_types::fetcher`]), with errors that say what was expected, naming the field
/// path (`items[0].action`) when one is at fault.
pub fn parse_fetcher_info(raw: &str) -> Result<FetcherInfo, InfoError> {
    if raw.trim().is_empty() {
        return Err(InfoError(format!("the variable is empty; {EXPECTED}")));
    }
    let value: serde_json::Value = serde_json::from_str(raw).map_err(|e| {
        let why = match e.classify() {
            serde_json::error::Category::Eof => " (the text ends too early)",
            _ if e.to_string().starts_with("trailing") => " (text follows the JSON document)",
            _ => "",
        };
        InfoError(format!(
            "not valid JSON at line {} column {}{why}; {EXPECTED}",
            e.line(),
            e.column().max(1)
        ))
    })?;
    if !value.is_object() {
        return Err(InfoError(format!(
            "the document is {}, not an object; {EXPECTED}",
            json_kind(&value)
        )));
    }
    mesos_types::json::from_json_value::<FetcherInfo>(value).map_err(|e| {
        let message = in_json_words(&e.message);
        if e.path.is_empty() || e.path == "." {
            InfoError(format!("{message}; {EXPECTED}"))
        } else {
            InfoError(format!("at `{}`: {message}", e.path))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_info_parses() {
        let info =
            parse_fetcher_info(r#"{"sandbox_directory":"/s","items":[],"unknown":1}"#).unwrap();
        assert_eq!(info.sandbox_directory, "/s");
    }

    #[test]
    fn syntax_errors_give_the_position_and_what_was_expected() {
        let e = parse_fetcher_info("{").unwrap_err().to_string();
        assert!(
            e.starts_with("Failed to parse MESOS_FETCHER_INFO: not valid JSON at line 1 column 1 (the text ends too early); expected a FetcherInfo object"),
            "{e}"
        );
        let e = parse_fetcher_info("{x}").unwrap_err().to_string();
        assert!(e.contains("at line 1 column 2; expected"), "{e}");
        assert!(!e.contains("ident"), "{e}");
    }

    #[test]
    fn shape_errors_name_the_field_path() {
        let e = parse_fetcher_info(
            r#"{"sandbox_directory":"/s","items":[{"action":"X","uri":{"value":"u"}}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("at `items[0].action`: unknown value `X`, expected one of"),
            "{e}"
        );
        let e = parse_fetcher_info(r#"{"sandbox_directory":"/s","items":{}}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("at `items`: invalid type: expected a JSON array, got a JSON object"),
            "{e}"
        );
        let e = parse_fetcher_info("[1]").unwrap_err().to_string();
        assert!(
            e.contains("the document is a JSON array, not an object"),
            "{e}"
        );
        let e = parse_fetcher_info("{}").unwrap_err().to_string();
        assert!(
            e.contains("missing field `sandbox_directory`; expected"),
            "{e}"
        );
    }
}
