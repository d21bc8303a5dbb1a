//! A hand-written description of each message (field numbers, names, types, labels), and the
//! two small walkers that use it:
//!
//! - [`check`]: verifies that every `required` field is present, recursively. prost fills a
//!   missing required field with its default, but a real Mesos peer refuses such a message,
//!   and so do we.
//! - [`to_json`] / [`from_json`]: converts the *opaque* sub-messages (those `mesos_types`
//!   keeps as raw JSON) between their wire bytes and Mesos's JSON form (field names, enums as
//!   names, `bytes` as base64, maps as objects), the way Mesos's own JSON conversion does:
//!   unknown JSON keys are ignored, an unknown enum name drops an optional field and fails a
//!   required one, numbers and booleans may be given as strings.
//!
//! The tables live in [`crate::tables`]; they are a second transcription of the `.proto`
//! files next to the prost structs, and the crate's tests check the two against each other.

use crate::error::ConvertError;
use base64::Engine as _;
use serde_json::{Map, Number, Value};

/// Nesting deeper than this is refused (protobuf's own default limit is 100).
const MAX_DEPTH: u32 = 100;

/// The description of one message type. Opaque to users of the crate.
#[derive(Debug)]
pub struct Schema {
    /// The full proto name, e.g. `mesos.TaskInfo`.
    pub(crate) name: &'static str,
    pub(crate) fields: &'static [Field],
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub tag: u32,
    pub name: &'static str,
    pub label: Label,
    pub kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Label {
    Optional,
    Required,
    Repeated,
}

/// An enum's values: (name, number).
pub(crate) type EnumValues = &'static [(&'static str, i32)];

#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Str,
    Bytes,
    Bool,
    F64,
    I32,
    I64,
    U32,
    U64,
    Enum(EnumValues),
    Msg(&'static Schema),
    /// `map<string, V>`: a repeated entry message with `key = 1` and `value = 2`; an object in
    /// JSON.
    Map(&'static Schema),
}

pub(crate) const fn req(tag: u32, name: &'static str, kind: Kind) -> Field {
    Field {
        tag,
        name,
        label: Label::Required,
        kind,
    }
}

pub(crate) const fn opt(tag: u32, name: &'static str, kind: Kind) -> Field {
    Field {
        tag,
        name,
        label: Label::Optional,
        kind,
    }
}

pub(crate) const fn rep(tag: u32, name: &'static str, kind: Kind) -> Field {
    Field {
        tag,
        name,
        label: Label::Repeated,
        kind,
    }
}

/// A map field (`map<string, V>`).
pub(crate) const fn map(tag: u32, name: &'static str, entry: &'static Schema) -> Field {
    Field {
        tag,
        name,
        label: Label::Repeated,
        kind: Kind::Map(entry),
    }
}

/// The number of the enum value named `name`.
pub(crate) fn enum_number(values: EnumValues, name: &str) -> Option<i32> {
    values.iter().find(|(n, _)| *n == name).map(|&(_, v)| v)
}

/// The name of the enum value numbered `number`.
pub(crate) fn enum_name(values: EnumValues, number: i32) -> Option<&'static str> {
    values.iter().find(|(_, v)| *v == number).map(|&(n, _)| n)
}

impl Schema {
    fn field(&self, tag: u32) -> Option<(usize, &Field)> {
        self.fields.iter().enumerate().find(|(_, f)| f.tag == tag)
    }

    fn missing_required(&self, seen: u64) -> Option<&'static str> {
        self.fields
            .iter()
            .enumerate()
            .find(|(i, f)| f.label == Label::Required && seen & (1 << i) == 0)
            .map(|(_, f)| f.name)
    }
}

// ---------------------------------------------------------------------------------------
// Wire reading.

const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LEN: u8 = 2;
const FIXED32: u8 = 5;

fn malformed(what: &str) -> ConvertError {
    ConvertError::invalid(format!("malformed protobuf: {what}"))
}

fn read_varint(buf: &mut &[u8]) -> Result<u64, ConvertError> {
    let mut value = 0u64;
    for i in 0..10 {
        let (&byte, rest) = buf
            .split_first()
            .ok_or_else(|| malformed("truncated varint"))?;
        *buf = rest;
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(malformed("varint longer than 10 bytes"))
}

fn read_bytes<'a>(buf: &mut &'a [u8], len: usize) -> Result<&'a [u8], ConvertError> {
    if buf.len() < len {
        return Err(malformed("truncated field"));
    }
    let (head, rest) = buf.split_at(len);
    *buf = rest;
    Ok(head)
}

/// One field occurrence: its tag, wire type and raw value.
pub(crate) enum Raw<'a> {
    Varint(u64),
    Fixed64([u8; 8]),
    /// Skipped: no field described here is a fixed32 or float.
    Fixed32,
    Len(&'a [u8]),
}

pub(crate) fn read_field<'a>(buf: &mut &'a [u8]) -> Result<(u32, Raw<'a>), ConvertError> {
    let key = read_varint(buf)?;
    let tag = u32::try_from(key >> 3).map_err(|_| malformed("field number out of range"))?;
    if tag == 0 {
        return Err(malformed("field number 0"));
    }
    let raw = match (key & 7) as u8 {
        VARINT => Raw::Varint(read_varint(buf)?),
        FIXED64 => Raw::Fixed64(read_bytes(buf, 8)?.try_into().expect("8 bytes")),
        LEN => {
            let len =
                usize::try_from(read_varint(buf)?).map_err(|_| malformed("length out of range"))?;
            Raw::Len(read_bytes(buf, len)?)
        }
        FIXED32 => {
            read_bytes(buf, 4)?;
            Raw::Fixed32
        }
        other => return Err(malformed(&format!("unsupported wire type {other}"))),
    };
    Ok((tag, raw))
}

fn wrong_wire_type() -> ConvertError {
    malformed("wrong wire type for the field's type")
}

// ---------------------------------------------------------------------------------------
// Required-field check.

/// Checks that `buf`, an encoded `schema` message, has every required field, recursively.
/// The error names the path of the first missing field (`update.status.task_id`).
pub(crate) fn check(schema: &Schema, buf: &[u8]) -> Result<(), ConvertError> {
    check_at(schema, buf, 0)
}

fn check_at(schema: &Schema, mut buf: &[u8], depth: u32) -> Result<(), ConvertError> {
    if depth > MAX_DEPTH {
        return Err(malformed("nested too deeply"));
    }
    let mut seen = 0u64;
    let mut counts = [0u32; 64];
    while !buf.is_empty() {
        let (tag, raw) = read_field(&mut buf)?;
        let Some((index, field)) = schema.field(tag) else {
            continue;
        };
        seen |= 1 << index;
        let nth = counts[index];
        counts[index] += 1;
        let nested = match field.kind {
            Kind::Msg(s) | Kind::Map(s) => s,
            _ => continue,
        };
        let Raw::Len(bytes) = raw else {
            return Err(wrong_wire_type().at(field.name));
        };
        check_at(nested, bytes, depth + 1).map_err(|e| {
            if field.label == Label::Repeated {
                e.at_index(nth).at(field.name)
            } else {
                e.at(field.name)
            }
        })?;
    }
    match schema.missing_required(seen) {
        Some(name) => Err(ConvertError::missing().at(name)),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------
// Wire bytes -> JSON.

/// The JSON form of `buf`, an encoded `schema` message.
pub(crate) fn to_json(schema: &Schema, buf: &[u8]) -> Result<Value, ConvertError> {
    to_json_at(schema, buf, 0).map(Value::Object)
}

fn number_i64(v: i64) -> Value {
    Value::Number(Number::from(v))
}

fn double(v: f64) -> Value {
    match Number::from_f64(v) {
        Some(n) => Value::Number(n),
        // JSON has no NaN or infinities; Mesos's parser reads these names back.
        None if v.is_nan() => Value::String("NaN".into()),
        None if v > 0.0 => Value::String("Infinity".into()),
        None => Value::String("-Infinity".into()),
    }
}

/// One scalar value of `kind` from a non-length-delimited occurrence, or `None` to drop it
/// (an enum number this build does not know).
fn scalar_json(kind: Kind, raw: &Raw<'_>) -> Result<Option<Value>, ConvertError> {
    Ok(Some(match (kind, raw) {
        (Kind::Bool, Raw::Varint(v)) => Value::Bool(*v != 0),
        // int32 and enums are sign-extended to 64 bits on the wire; truncation is the rule.
        (Kind::I32, Raw::Varint(v)) => number_i64(i64::from(*v as i32)),
        (Kind::I64, Raw::Varint(v)) => number_i64(*v as i64),
        (Kind::U32, Raw::Varint(v)) => Value::Number(Number::from(*v as u32)),
        (Kind::U64, Raw::Varint(v)) => Value::Number(Number::from(*v)),
        (Kind::F64, Raw::Fixed64(b)) => double(f64::from_le_bytes(*b)),
        (Kind::Enum(values), Raw::Varint(v)) => match enum_name(values, *v as i32) {
            Some(name) => Value::String(name.into()),
            None => return Ok(None),
        },
        _ => return Err(wrong_wire_type()),
    }))
}

fn is_packable(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Bool | Kind::I32 | Kind::I64 | Kind::U32 | Kind::U64 | Kind::F64 | Kind::Enum(_)
    )
}

fn to_json_at(
    schema: &Schema,
    mut buf: &[u8],
    depth: u32,
) -> Result<Map<String, Value>, ConvertError> {
    if depth > MAX_DEPTH {
        return Err(malformed("nested too deeply"));
    }
    let mut object = Map::new();
    let mut seen = 0u64;
    while !buf.is_empty() {
        let (tag, raw) = read_field(&mut buf)?;
        let Some((index, field)) = schema.field(tag) else {
            continue;
        };
        let mut values = Vec::new();
        match (field.kind, raw) {
            (Kind::Str, Raw::Len(b)) => values
                .push(Value::String(String::from_utf8(b.to_vec()).map_err(
                    |_| ConvertError::invalid("string is not UTF-8").at(field.name),
                )?)),
            (Kind::Bytes, Raw::Len(b)) => values.push(Value::String(
                base64::engine::general_purpose::STANDARD.encode(b),
            )),
            (Kind::Msg(s), Raw::Len(b)) => values.push(Value::Object(
                to_json_at(s, b, depth + 1).map_err(|e| e.at(field.name))?,
            )),
            (Kind::Map(entry), Raw::Len(b)) => {
                let mut e = to_json_at(entry, b, depth + 1).map_err(|e| e.at(field.name))?;
                let key = match e.remove("key") {
                    Some(Value::String(k)) => k,
                    _ => String::new(),
                };
                let value = e.remove("value").unwrap_or_else(|| map_default(entry));
                let target = object
                    .entry(field.name)
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(m) = target {
                    m.insert(key, value);
                }
                seen |= 1 << index;
                continue;
            }
            (kind, Raw::Len(mut packed)) if field.label == Label::Repeated && is_packable(kind) => {
                while !packed.is_empty() {
                    let raw = match kind {
                        Kind::F64 => Raw::Fixed64(
                            read_bytes(&mut packed, 8)
                                .map_err(|e| e.at(field.name))?
                                .try_into()
                                .expect("8 bytes"),
                        ),
                        _ => Raw::Varint(read_varint(&mut packed).map_err(|e| e.at(field.name))?),
                    };
                    values.extend(scalar_json(kind, &raw).map_err(|e| e.at(field.name))?);
                }
            }
            (kind, raw) => values.extend(scalar_json(kind, &raw).map_err(|e| e.at(field.name))?),
        }
        if values.is_empty() {
            continue;
        }
        seen |= 1 << index;
        if field.label == Label::Repeated {
            let target = object
                .entry(field.name)
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(a) = target {
                a.extend(values);
            }
        } else if let Some(v) = values.pop() {
            // proto2: the last occurrence of a singular field wins.
            object.insert(field.name.to_string(), v);
        }
    }
    match schema.missing_required(seen) {
        Some(name) => Err(ConvertError::missing().at(name)),
        None => Ok(object),
    }
}

/// The value of a map entry that has none on the wire: the type's default.
fn map_default(entry: &Schema) -> Value {
    match entry.fields.iter().find(|f| f.tag == 2).map(|f| f.kind) {
        Some(Kind::Str) | Some(Kind::Bytes) => Value::String(String::new()),
        _ => Value::Object(Map::new()),
    }
}

// ---------------------------------------------------------------------------------------
// JSON -> wire bytes.

/// Encodes `value`, the JSON form of a `schema` message.
pub(crate) fn from_json(schema: &Schema, value: &Value) -> Result<Vec<u8>, ConvertError> {
    let mut out = Vec::new();
    from_json_at(schema, value, &mut out, 0)?;
    Ok(out)
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_key(out: &mut Vec<u8>, tag: u32, wire_type: u8) {
    put_varint(out, (u64::from(tag) << 3) | u64::from(wire_type));
}

fn put_len(out: &mut Vec<u8>, tag: u32, bytes: &[u8]) {
    put_key(out, tag, LEN);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn from_json_at(
    schema: &Schema,
    value: &Value,
    out: &mut Vec<u8>,
    depth: u32,
) -> Result<(), ConvertError> {
    if depth > MAX_DEPTH {
        return Err(ConvertError::invalid("nested too deeply"));
    }
    let Value::Object(object) = value else {
        return Err(ConvertError::invalid(format!(
            "expected a JSON object, got {}",
            json_type(value)
        )));
    };
    for field in schema.fields {
        let v = match object.get(field.name) {
            None | Some(Value::Null) if field.label == Label::Required => {
                return Err(ConvertError::missing().at(field.name))
            }
            None | Some(Value::Null) => continue,
            Some(v) => v,
        };
        match (field.label, field.kind) {
            (_, Kind::Map(entry)) => {
                let Value::Object(m) = v else {
                    return Err(ConvertError::invalid(format!(
                        "expected a JSON object, got {}",
                        json_type(v)
                    ))
                    .at(field.name));
                };
                for (key, item) in m {
                    let mut e = Vec::new();
                    put_len(&mut e, 1, key.as_bytes());
                    if let Some(vf) = entry.fields.iter().find(|f| f.tag == 2) {
                        put_value(&mut e, vf, item, depth)
                            .map_err(|err| err.at_key(key).at(field.name))?;
                    }
                    put_len(out, field.tag, &e);
                }
            }
            (Label::Repeated, _) => {
                let Value::Array(items) = v else {
                    return Err(ConvertError::invalid(format!(
                        "expected a JSON array, got {}",
                        json_type(v)
                    ))
                    .at(field.name));
                };
                for (i, item) in items.iter().enumerate() {
                    put_value(out, field, item, depth)
                        .map_err(|e| e.at_index(i as u32).at(field.name))?;
                }
            }
            _ => put_value(out, field, v, depth).map_err(|e| e.at(field.name))?,
        }
    }
    Ok(())
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn expected(what: &str, v: &Value) -> ConvertError {
    ConvertError::invalid(format!("expected {what}, got {}", json_type(v)))
}

/// A JSON number, or a string holding one (Mesos accepts both).
fn json_i128(v: &Value) -> Result<i128, ConvertError> {
    let number = match v {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 1.9e19)
                    .map(|f| f as i128)
            }),
        Value::String(s) => s.trim().parse::<i128>().ok(),
        _ => None,
    };
    number.ok_or_else(|| expected("an integer", v))
}

fn json_int<T: TryFrom<i128>>(v: &Value) -> Result<T, ConvertError> {
    let n = json_i128(v)?;
    T::try_from(n).map_err(|_| ConvertError::invalid(format!("{n} is out of range")))
}

fn put_value(out: &mut Vec<u8>, field: &Field, v: &Value, depth: u32) -> Result<(), ConvertError> {
    let tag = field.tag;
    match field.kind {
        Kind::Str => match v {
            Value::String(s) => put_len(out, tag, s.as_bytes()),
            _ => return Err(expected("a string", v)),
        },
        Kind::Bytes => match v {
            Value::String(s) => {
                let bytes =
                    mesos_types::json::base64_bytes::decode(s).map_err(ConvertError::invalid)?;
                put_len(out, tag, &bytes)
            }
            _ => return Err(expected("a base64 string", v)),
        },
        Kind::Bool => {
            let b = match v {
                Value::Bool(b) => *b,
                Value::String(s) if s == "true" => true,
                Value::String(s) if s == "false" => false,
                _ => return Err(expected("a boolean", v)),
            };
            put_key(out, tag, VARINT);
            put_varint(out, u64::from(b));
        }
        Kind::F64 => {
            let f = match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            }
            .ok_or_else(|| expected("a number", v))?;
            put_key(out, tag, FIXED64);
            out.extend_from_slice(&f.to_le_bytes());
        }
        Kind::I32 => {
            let n: i32 = json_int(v)?;
            put_key(out, tag, VARINT);
            put_varint(out, i64::from(n) as u64);
        }
        Kind::I64 => {
            let n: i64 = json_int(v)?;
            put_key(out, tag, VARINT);
            put_varint(out, n as u64);
        }
        Kind::U32 => {
            let n: u32 = json_int(v)?;
            put_key(out, tag, VARINT);
            put_varint(out, u64::from(n));
        }
        Kind::U64 => {
            let n: u64 = json_int(v)?;
            put_key(out, tag, VARINT);
            put_varint(out, n);
        }
        Kind::Enum(values) => {
            let Value::String(name) = v else {
                return Err(expected("an enum value name", v));
            };
            match enum_number(values, name) {
                Some(n) => {
                    put_key(out, tag, VARINT);
                    put_varint(out, i64::from(n) as u64);
                }
                // As Mesos's parser: an unknown name leaves an optional field unset and
                // fails a required one.
                None if field.label == Label::Required => {
                    return Err(ConvertError::invalid(format!("unknown value '{name}'")))
                }
                None => {}
            }
        }
        Kind::Msg(s) => {
            let mut nested = Vec::new();
            from_json_at(s, v, &mut nested, depth + 1)?;
            put_len(out, tag, &nested);
        }
        Kind::Map(_) => unreachable!("maps are handled by from_json_at"),
    }
    Ok(())
}
