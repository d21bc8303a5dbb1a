//! Decoding with errors that name the JSON path of the offending value, and the
//! proto3-JSON encodings shared by several messages (`bytes` as base64).

use serde::de::DeserializeOwned;

/// A JSON document that does not decode into the expected Mesos message.
///
/// `path` is the dotted JSON path of the offending value (`container.docker.network`), or
/// `.` for the document itself (truncated or not JSON at all).
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct JsonError {
    pub path: String,
    pub message: String,
    /// 1-based line and column of the error in the input, when decoding from text.
    pub line: Option<usize>,
    pub column: Option<usize>,
}

fn convert(err: serde_path_to_error::Error<serde_json::Error>, from_text: bool) -> JsonError {
    let path = err.path().to_string();
    let inner = err.into_inner();
    let (line, column) = if from_text && inner.line() > 0 {
        (Some(inner.line()), Some(inner.column()))
    } else {
        (None, None)
    };
    // serde_json appends " at line L column C"; we carry those separately.
    let mut message = inner.to_string();
    if let Some(idx) = message.rfind(" at line ") {
        message.truncate(idx);
    }
    JsonError {
        path,
        message: in_json_terms(&message.replace("unknown variant", "unknown value")),
        line,
        column,
    }
}

/// serde's words for JSON values (`map`, `sequence`, `struct ContainerInfo with 9
/// elements`) are Rust's; say what the document should hold in JSON and Mesos terms.
fn in_json_terms(message: &str) -> String {
    // A struct fed an array: serde reads it positionally and complains about its length.
    if let Some(rest) = message.strip_prefix("invalid length ") {
        if let Some((_, expected)) = rest.split_once(", expected struct ") {
            let name = expected.split(" with ").next().unwrap_or(expected);
            return format!("invalid type: expected a JSON object ({name}), got a JSON array");
        }
        return message.to_string();
    }
    let Some(rest) = message.strip_prefix("invalid type: ") else {
        return message.to_string();
    };
    let Some((got, expected)) = rest.split_once(", expected ") else {
        return message.to_string();
    };
    let got = match got {
        "map" => "a JSON object".to_string(),
        "sequence" => "a JSON array".to_string(),
        "unit" | "null" => "null".to_string(),
        other => other.to_string(),
    };
    let expected = match expected {
        e if e.starts_with("struct ") => {
            format!("a JSON object ({})", &e["struct ".len()..])
        }
        "a sequence" => "a JSON array".to_string(),
        "a map" => "a JSON object".to_string(),
        "u8" | "u16" | "u32" | "u64" | "usize" => "a non-negative integer".to_string(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "an integer".to_string(),
        "f32" | "f64" => "a number".to_string(),
        other => other.to_string(),
    };
    format!("invalid type: expected {expected}, got {got}")
}

/// Decodes `text` into `T`, naming the JSON path of any value that does not fit.
pub fn from_json_str<T: DeserializeOwned>(text: &str) -> Result<T, JsonError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| convert(e, true))?;
    // Trailing garbage after the document is an error too.
    de.end().map_err(|e| JsonError {
        path: ".".into(),
        message: e.to_string(),
        line: Some(e.line()),
        column: Some(e.column()),
    })?;
    Ok(value)
}

/// Decodes `bytes` into `T`, naming the JSON path of any value that does not fit.
pub fn from_json_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => from_json_str(text),
        Err(e) => Err(JsonError {
            path: ".".into(),
            message: format!("not UTF-8: {e}"),
            line: None,
            column: None,
        }),
    }
}

/// Decodes an already parsed `value` into `T`, naming the JSON path of any value that does
/// not fit.
pub fn from_json_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, JsonError> {
    serde_path_to_error::deserialize(value).map_err(|e| convert(e, false))
}

/// Serde adapter for proto `bytes` fields, which the proto3 JSON mapping writes as
/// standard base64. Use as `#[serde(with = "mesos_types::json::base64_bytes")]`.
pub mod base64_bytes {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        decode(&text).map_err(serde::de::Error::custom)
    }

    /// Mesos's JSON parser accepts both the standard and the URL-safe alphabet, padded or not.
    pub fn decode(text: &str) -> Result<Vec<u8>, String> {
        use base64::engine::general_purpose::{
            STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD,
        };
        for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
            if let Ok(bytes) = engine.decode(text) {
                return Ok(bytes);
            }
        }
        Err(format!("invalid base64 value {text:?}"))
    }
}

/// Like [`base64_bytes`] for `optional bytes` fields.
pub mod base64_bytes_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => super::base64_bytes::serialize(b, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(text) => super::base64_bytes::decode(&text)
                .map(Some)
                .map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        inner: Inner,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        mode: Mode,
        count: u32,
    }

    #[derive(Debug, Deserialize)]
    enum Mode {
        #[serde(rename = "HOST")]
        Host,
    }

    #[test]
    fn serde_words_become_json_words() {
        let err = from_json_str::<Outer>(r#"{"inner":[]}"#).unwrap_err();
        assert_eq!(err.path, "inner");
        assert_eq!(
            err.message,
            "invalid type: expected a JSON object (Inner), got a JSON array"
        );
        let err = from_json_str::<Outer>(r#"{"inner":"x"}"#).unwrap_err();
        assert_eq!(
            err.message,
            "invalid type: expected a JSON object (Inner), got string \"x\""
        );
        let err =
            from_json_str::<Outer>(r#"{"inner":{"mode":"HOST","count":"many"}}"#).unwrap_err();
        assert_eq!(
            err.message,
            "invalid type: expected a non-negative integer, got string \"many\""
        );
    }

    #[test]
    fn unknown_enum_value_names_its_path() {
        let err = from_json_str::<Outer>(r#"{"inner":{"mode":"WORMHOLE","count":1}}"#).unwrap_err();
        assert_eq!(err.path, "inner.mode");
        assert!(
            err.to_string()
                .starts_with("inner.mode: unknown value `WORMHOLE`"),
            "{err}"
        );
    }

    #[test]
    fn wrong_type_names_its_path() {
        let err = from_json_str::<Outer>(r#"{"inner":{"mode":"HOST","count":"x"}}"#).unwrap_err();
        assert_eq!(err.path, "inner.count");
        assert!(err.message.contains("invalid type"), "{err}");
    }

    #[test]
    fn truncated_document_is_an_error_at_the_root() {
        let err = from_json_str::<Outer>(r#"{"inner":{"mode":"HOST""#).unwrap_err();
        assert!(err.message.contains("EOF"), "{err}");
        assert!(err.line.is_some());
    }

    #[test]
    fn trailing_garbage_is_an_error() {
        assert!(from_json_str::<serde_json::Value>("{} x").is_err());
    }

    #[test]
    fn base64_accepts_both_alphabets() {
        assert_eq!(base64_bytes::decode("aGk/Pg==").unwrap(), b"hi?>");
        assert_eq!(base64_bytes::decode("aGk_Pg").unwrap(), b"hi?>");
        assert!(base64_bytes::decode("***").is_err());
    }
}
