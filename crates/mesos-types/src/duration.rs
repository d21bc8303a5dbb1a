//! Time on the wire: the `TimeInfo` and `DurationInfo` messages, the stout duration strings
//! Mesos uses in flags and environment variables (`10secs`, `500ms`), and the lenient number
//! decoding that Mesos's JSON parser applies to every numeric and boolean field.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// `mesos.TimeInfo`: a point in time as nanoseconds since the Unix epoch.
///
/// Decoding accepts the `int64` as a JSON number or a numeric string (the proto3 JSON mapping
/// quotes 64-bit integers, Mesos does not); encoding always writes a number, as Mesos does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TimeInfo {
    #[serde(with = "lenient")]
    pub nanoseconds: i64,
}

/// `mesos.DurationInfo`: a span of time in nanoseconds. Same number leniency as [`TimeInfo`].
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct DurationInfo {
    #[serde(with = "lenient")]
    pub nanoseconds: i64,
}

impl DurationInfo {
    /// A `DurationInfo` of `nanoseconds`.
    pub fn from_nanos(nanoseconds: i64) -> Self {
        Self { nanoseconds }
    }

    /// The same span as a [`Duration`].
    /// The duration as a std duration; negative values read as zero.
    pub fn to_std(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(u64::try_from(self.nanoseconds).unwrap_or(0))
    }

    /// A std duration, saturating at the largest representable value.
    pub fn from_std(d: std::time::Duration) -> Self {
        Self::from_nanos(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
    }

    pub fn duration(&self) -> Duration {
        Duration::from_nanos(self.nanoseconds)
    }
}

impl From<Duration> for DurationInfo {
    fn from(d: Duration) -> Self {
        Self {
            nanoseconds: d.as_nanos(),
        }
    }
}

impl From<DurationInfo> for Duration {
    fn from(d: DurationInfo) -> Self {
        Duration::from_nanos(d.nanoseconds)
    }
}

const NANOSECONDS: i64 = 1;
const MICROSECONDS: i64 = 1000 * NANOSECONDS;
const MILLISECONDS: i64 = 1000 * MICROSECONDS;
const SECONDS: i64 = 1000 * MILLISECONDS;
const MINUTES: i64 = 60 * SECONDS;
const HOURS: i64 = 60 * MINUTES;
const DAYS: i64 = 24 * HOURS;
const WEEKS: i64 = 7 * DAYS;

/// The units of a stout duration string, smallest first, with their length in nanoseconds.
const UNITS: [(&str, i64); 8] = [
    ("ns", NANOSECONDS),
    ("us", MICROSECONDS),
    ("ms", MILLISECONDS),
    ("secs", SECONDS),
    ("mins", MINUTES),
    ("hrs", HOURS),
    ("days", DAYS),
    ("weeks", WEEKS),
];

/// A signed span of time with nanosecond resolution, as stout's `Duration`: parsed from and
/// printed as the strings Mesos uses in flags and environment variables (`10secs`, `1.5ms`).
///
/// Parsing follows stout: a non-negative decimal number (digits and `.`) directly followed by
/// one of `ns`, `us`, `ms`, `secs`, `mins`, `hrs`, `days`, `weeks`; fractions are truncated
/// to whole nanoseconds. stout cannot parse a leading `-`, so neither do we, but negative
/// values exist (differences of times) and print with a leading `-`.
///
/// Serde encodes it as that string, which is the form Mesos uses for duration flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Duration {
    nanos: i64,
}

impl Duration {
    /// The zero duration.
    pub const ZERO: Duration = Duration { nanos: 0 };
    /// The longest representable duration (about 292 years).
    pub const MAX: Duration = Duration { nanos: i64::MAX };
    /// The most negative representable duration.
    pub const MIN: Duration = Duration { nanos: i64::MIN };

    /// A duration of `nanos` nanoseconds.
    pub const fn from_nanos(nanos: i64) -> Self {
        Self { nanos }
    }

    /// A duration of `millis` milliseconds, saturating at the bounds.
    pub const fn from_millis(millis: i64) -> Self {
        Self {
            nanos: millis.saturating_mul(MILLISECONDS),
        }
    }

    /// A duration of `secs` seconds, saturating at the bounds.
    pub const fn from_secs(secs: i64) -> Self {
        Self {
            nanos: secs.saturating_mul(SECONDS),
        }
    }

    /// A duration of `secs` (fractional) seconds, truncated to whole nanoseconds and
    /// saturating at the bounds (NaN gives zero), like the `double` seconds of
    /// `HealthCheck` timings turned into stout durations.
    pub fn from_secs_f64(secs: f64) -> Self {
        // `as` saturates and maps NaN to 0, which is what we want for out-of-range input.
        Self {
            nanos: (secs * SECONDS as f64) as i64,
        }
    }

    /// The length in nanoseconds.
    pub const fn as_nanos(&self) -> i64 {
        self.nanos
    }

    /// The length in (fractional) seconds.
    pub fn as_secs_f64(&self) -> f64 {
        self.nanos as f64 / SECONDS as f64
    }

    /// True for a negative duration.
    pub const fn is_negative(&self) -> bool {
        self.nanos < 0
    }

    /// The same span as a [`std::time::Duration`], with negative durations clamped to zero.
    pub fn to_std(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(self.nanos.max(0).unsigned_abs())
    }
}

impl From<std::time::Duration> for Duration {
    /// Saturates at [`Duration::MAX`] (about 292 years), which no real timeout reaches.
    fn from(d: std::time::Duration) -> Self {
        Self {
            nanos: i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
        }
    }
}

impl TryFrom<Duration> for std::time::Duration {
    type Error = NegativeDuration;

    fn try_from(d: Duration) -> Result<Self, Self::Error> {
        u64::try_from(d.nanos)
            .map(std::time::Duration::from_nanos)
            .map_err(|_| NegativeDuration(d))
    }
}

/// A negative [`Duration`] has no [`std::time::Duration`] equivalent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("negative duration {0} cannot be a std::time::Duration")]
pub struct NegativeDuration(pub Duration);

/// A string that is not a stout duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseDurationError {
    /// No number, a malformed number, or no unit at all.
    #[error("invalid duration '{input}': expected a number followed by one of the units 'ns', 'us', 'ms', 'secs', 'mins', 'hrs', 'days', 'weeks' (e.g. '10secs')")]
    Invalid { input: String },
    /// A number followed by something that is not a unit.
    #[error("invalid duration '{input}': unknown unit '{unit}'; supported units are 'ns', 'us', 'ms', 'secs', 'mins', 'hrs', 'days', and 'weeks'")]
    UnknownUnit { input: String, unit: String },
    /// More nanoseconds than an `i64` holds.
    #[error(
        "invalid duration '{input}': out of the range a duration can represent (about 292 years)"
    )]
    OutOfRange { input: String },
}

impl FromStr for Duration {
    type Err = ParseDurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| ParseDurationError::Invalid { input: s.into() })?;
        let (number, unit) = s.split_at(split);
        // stout's syntax: digits with at most one '.', and at least one digit.
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if fraction.contains('.') || (whole.is_empty() && fraction.is_empty()) {
            return Err(ParseDurationError::Invalid { input: s.into() });
        }
        let factor = UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, factor)| *factor)
            .ok_or_else(|| ParseDurationError::UnknownUnit {
                input: s.into(),
                unit: unit.into(),
            })?;
        let nanos = exact_nanos(whole, fraction, factor)
            .ok_or_else(|| ParseDurationError::OutOfRange { input: s.into() })?;
        Ok(Self { nanos })
    }
}

/// `whole.fraction` units of `factor` nanoseconds, truncated toward zero to whole
/// nanoseconds, computed exactly in decimal (stout multiplies doubles, which turns
/// `4.35secs` into 4349999999ns and loses the low digits of long values; the exact value is
/// what was written, and what makes every printed duration parse back to itself). `None`
/// beyond `i64::MAX`.
fn exact_nanos(whole: &str, fraction: &str, factor: i64) -> Option<i64> {
    // The digits of whole·10^len(fraction) + fraction, times factor, least significant first.
    let mut product: Vec<u8> = Vec::with_capacity(whole.len() + fraction.len() + 20);
    let mut carry: u64 = 0;
    for digit in whole.bytes().chain(fraction.bytes()).rev() {
        let x = u64::from(digit - b'0') * factor as u64 + carry;
        product.push((x % 10) as u8);
        carry = x / 10;
    }
    while carry > 0 {
        product.push((carry % 10) as u8);
        carry /= 10;
    }
    // Dropping the fraction's digits divides by 10^len(fraction), truncating.
    let mut nanos: i64 = 0;
    for &digit in product.iter().skip(fraction.len()).rev() {
        nanos = nanos.checked_mul(10)?.checked_add(i64::from(digit))?;
    }
    Some(nanos)
}

impl fmt::Display for Duration {
    /// Prints as stout does: the largest unit in which the value is at least 1, unless one
    /// unit smaller gives a whole number where this one does not (`90secs` prints as
    /// `1.5mins`, `1500ms` as `1500ms`), with up to 15 significant digits. Where those 15
    /// digits do not give the value back (`1000000000001ns` would be `16.6666666666833mins`)
    /// it prints the exact seconds instead (`1000.000000001secs`), so that what is printed
    /// always parses back to the same duration.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nanos < 0 {
            f.write_str("-")?;
        }
        // stout prints MIN as "-" followed by MAX, since -MIN does not fit.
        let nanos = self.nanos.checked_abs().unwrap_or(i64::MAX);
        let stout = stout_text(nanos);
        let exact = stout.parse::<Duration>().is_ok_and(|d| d.nanos == nanos);
        if exact {
            return f.write_str(&stout);
        }
        let (secs, sub) = (nanos / SECONDS, nanos % SECONDS);
        let digits = format!("{sub:09}");
        write!(f, "{secs}.{}secs", digits.trim_end_matches('0'))
    }
}

/// `nanos` (non-negative) as stout prints it.
fn stout_text(nanos: i64) -> String {
    if nanos < MICROSECONDS {
        return format!("{nanos}ns");
    }
    // Index of the largest unit whose length is <= nanos (at least "us" here).
    let bucket = UNITS
        .iter()
        .rposition(|(_, len)| nanos >= *len)
        .unwrap_or(0);
    let (unit, len) = UNITS[bucket];
    let (lower_unit, lower_len) = UNITS[bucket - 1];
    let (unit, len) = if nanos % len != 0 && nanos % lower_len == 0 {
        (lower_unit, lower_len)
    } else if bucket == 1 && nanos % len != 0 {
        // Below a millisecond and not whole microseconds: whole nanoseconds instead.
        return format!("{nanos}ns");
    } else {
        (unit, len)
    };
    format!("{}{unit}", format_g15(nanos as f64 / len as f64))
}

/// Formats `v` like C's `%.15g` (15 significant digits, trailing zeros dropped), which is what
/// a C++ stream with `precision(digits10)` and default float formatting prints.
fn format_g15(v: f64) -> String {
    const PRECISION: i32 = 15;
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    // The decimal exponent after rounding to 15 significant digits.
    let sci = format!("{:.*e}", (PRECISION - 1) as usize, v);
    let exp: i32 = sci
        .rsplit_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0);
    if !(-4..PRECISION).contains(&exp) {
        let (mantissa, _) = sci.split_once('e').unwrap_or((&sci, ""));
        let mantissa = trim_fraction(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.unsigned_abs());
    }
    let decimals = (PRECISION - 1 - exp).max(0) as usize;
    trim_fraction(&format!("{v:.decimals$}")).to_string()
}

fn trim_fraction(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Serde adapters for proto scalar fields, decoded as leniently as Mesos's JSON parser does:
/// integers from numbers or numeric strings, doubles also from `"Infinity"`/`"-Infinity"`,
/// bools from `true`/`false` or those strings. Encoding writes plain JSON numbers and bools,
/// except non-finite doubles, which Mesos writes as the strings `"Infinity"`, `"-Infinity"`
/// (and `"NaN"`), since JSON has no such numbers.
///
/// Use `#[serde(with = "lenient")]` on required fields,
/// `#[serde(default, with = "lenient::opt", skip_serializing_if = "Option::is_none")]` on
/// optional ones and `#[serde(default, with = "lenient::vec", skip_serializing_if =
/// "Vec::is_empty")]` on repeated ones.
pub mod lenient {
    use serde::de::{self, Deserialize, Deserializer, Unexpected, Visitor};
    use serde::{Serialize, Serializer};
    use std::fmt;
    use std::marker::PhantomData;

    /// A proto scalar type (`int32`, `uint32`, `int64`, `uint64`, `double`, `bool`).
    pub trait ProtoScalar: Sized + Copy {
        /// What the decoder expected, for error messages.
        const EXPECTING: &'static str;
        fn from_i64(v: i64) -> Option<Self>;
        fn from_u64(v: u64) -> Option<Self>;
        fn from_f64(v: f64) -> Option<Self>;
        fn from_bool(_v: bool) -> Option<Self> {
            None
        }
        fn parse(s: &str) -> Option<Self>;
        fn write<S: Serializer>(self, s: S) -> Result<S::Ok, S::Error>;
        /// Numbers do not become bools nor bools numbers.
        const IS_BOOL: bool = false;
    }

    macro_rules! int_scalar {
        ($t:ty, $what:literal) => {
            impl ProtoScalar for $t {
                const EXPECTING: &'static str = $what;
                fn from_i64(v: i64) -> Option<Self> {
                    <$t>::try_from(v).ok()
                }
                fn from_u64(v: u64) -> Option<Self> {
                    <$t>::try_from(v).ok()
                }
                fn from_f64(v: f64) -> Option<Self> {
                    // Only whole numbers within range: `80.0` is a port, `80.5` is not.
                    if v.fract() == 0.0 && v >= <$t>::MIN as f64 && v <= <$t>::MAX as f64 {
                        Some(v as $t)
                    } else {
                        None
                    }
                }
                fn parse(s: &str) -> Option<Self> {
                    s.parse().ok()
                }
                fn write<S: Serializer>(self, s: S) -> Result<S::Ok, S::Error> {
                    self.serialize(s)
                }
            }
        };
    }

    int_scalar!(i32, "a 32-bit integer");
    int_scalar!(u32, "an unsigned 32-bit integer");
    int_scalar!(i64, "a 64-bit integer (number or numeric string)");
    int_scalar!(u64, "an unsigned 64-bit integer (number or numeric string)");

    impl ProtoScalar for f64 {
        const EXPECTING: &'static str = "a number";
        fn from_i64(v: i64) -> Option<Self> {
            Some(v as f64)
        }
        fn from_u64(v: u64) -> Option<Self> {
            Some(v as f64)
        }
        fn from_f64(v: f64) -> Option<Self> {
            Some(v)
        }
        fn parse(s: &str) -> Option<Self> {
            match s {
                "Infinity" => Some(f64::INFINITY),
                "-Infinity" => Some(f64::NEG_INFINITY),
                "NaN" => Some(f64::NAN),
                // Rust also takes "inf"/"nan" spellings; only the JSON names above are meant.
                _ if s
                    .chars()
                    .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E') =>
                {
                    None
                }
                _ => s.parse().ok(),
            }
        }
        fn write<S: Serializer>(self, s: S) -> Result<S::Ok, S::Error> {
            if self.is_finite() {
                s.serialize_f64(self)
            } else if self.is_nan() {
                s.serialize_str("NaN")
            } else if self > 0.0 {
                s.serialize_str("Infinity")
            } else {
                s.serialize_str("-Infinity")
            }
        }
    }

    impl ProtoScalar for bool {
        const EXPECTING: &'static str = "a boolean";
        const IS_BOOL: bool = true;
        fn from_i64(_: i64) -> Option<Self> {
            None
        }
        fn from_u64(_: u64) -> Option<Self> {
            None
        }
        fn from_f64(_: f64) -> Option<Self> {
            None
        }
        fn from_bool(v: bool) -> Option<Self> {
            Some(v)
        }
        fn parse(s: &str) -> Option<Self> {
            match s {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            }
        }
        fn write<S: Serializer>(self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bool(self)
        }
    }

    /// A proto scalar decoded leniently and encoded as Mesos does; the building block of the
    /// adapter functions, also usable directly as a field type.
    #[derive(Debug, Clone, Copy, PartialEq, Default)]
    pub struct Lenient<T>(pub T);

    struct ScalarVisitor<T>(PhantomData<T>);

    impl<T: ProtoScalar> Visitor<'_> for ScalarVisitor<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(T::EXPECTING)
        }

        fn visit_bool<E: de::Error>(self, v: bool) -> Result<T, E> {
            T::from_bool(v).ok_or_else(|| E::invalid_type(Unexpected::Bool(v), &self))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
            if T::IS_BOOL {
                return Err(E::invalid_type(Unexpected::Signed(v), &self));
            }
            T::from_i64(v).ok_or_else(|| E::invalid_value(Unexpected::Signed(v), &self))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
            if T::IS_BOOL {
                return Err(E::invalid_type(Unexpected::Unsigned(v), &self));
            }
            T::from_u64(v).ok_or_else(|| E::invalid_value(Unexpected::Unsigned(v), &self))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
            if T::IS_BOOL {
                return Err(E::invalid_type(Unexpected::Float(v), &self));
            }
            T::from_f64(v).ok_or_else(|| E::invalid_value(Unexpected::Float(v), &self))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            T::parse(v).ok_or_else(|| E::invalid_value(Unexpected::Str(v), &self))
        }
    }

    impl<'de, T: ProtoScalar> Deserialize<'de> for Lenient<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(ScalarVisitor(PhantomData)).map(Lenient)
        }
    }

    impl<T: ProtoScalar> Serialize for Lenient<T> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            self.0.write(s)
        }
    }

    /// Encodes a required scalar field.
    pub fn serialize<T: ProtoScalar, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        v.write(s)
    }

    /// Decodes a required scalar field.
    pub fn deserialize<'de, T: ProtoScalar, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        Lenient::<T>::deserialize(d).map(|l| l.0)
    }

    /// For `optional` scalar fields; `null` decodes as absent, as Mesos treats it.
    pub mod opt {
        use super::{Lenient, ProtoScalar};
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<T: ProtoScalar, S: Serializer>(
            v: &Option<T>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match v {
                Some(v) => v.write(s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, T: ProtoScalar, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<T>, D::Error> {
            Option::<Lenient<T>>::deserialize(d).map(|o| o.map(|l| l.0))
        }
    }

    /// For `repeated` scalar fields.
    pub mod vec {
        use super::{Lenient, ProtoScalar};
        use serde::ser::SerializeSeq;
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<T: ProtoScalar, S: Serializer>(v: &[T], s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(Some(v.len()))?;
            for item in v {
                seq.serialize_element(&Lenient(*item))?;
            }
            seq.end()
        }

        pub fn deserialize<'de, T: ProtoScalar, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Vec<T>, D::Error> {
            Vec::<Lenient<T>>::deserialize(d).map(|v| v.into_iter().map(|l| l.0).collect())
        }
    }
}

/// Declares a closed proto enum: serde by value name, an `as_str` giving that name, and
/// `Display`. An unknown name fails to decode ("unknown variant", which
/// [`crate::json`] reports as "unknown value" with its path).
macro_rules! proto_enum {
    (
        $(#[$doc:meta])*
        $name:ident {
            $( $(#[$vdoc:meta])* $variant:ident = $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
        )]
        pub enum $name {
            $( $(#[$vdoc])* #[serde(rename = $wire)] $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The proto value name, as on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $wire ),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use proto_enum;

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Duration {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_every_unit() {
        let table: &[(&str, i64)] = &[
            ("0ns", 0),
            ("100ns", 100),
            ("100us", 100_000),
            ("500ms", 500_000_000),
            ("10secs", 10_000_000_000),
            ("1.5secs", 1_500_000_000),
            ("2mins", 120_000_000_000),
            ("1hrs", 3_600_000_000_000),
            ("3days", 3 * 86_400_000_000_000),
            ("1weeks", 604_800_000_000_000),
            (".5secs", 500_000_000),
            ("1.secs", 1_000_000_000),
            ("0.0000000015secs", 1),
            // Exact decimal, where stout's double product gives 4349999999.
            ("4.35secs", 4_350_000_000),
            ("1713525363.29secs", 1_713_525_363_290_000_000),
            ("0009223372036.854775807secs", i64::MAX),
        ];
        for (text, nanos) in table {
            assert_eq!(d(text).as_nanos(), *nanos, "{text}");
        }
    }

    #[test]
    fn rejects_what_stout_rejects() {
        for bad in [
            "",
            "10",
            "secs",
            "-1secs",
            "10 secs",
            "10sec",
            "1e3secs",
            "1.2.3secs",
            ".secs",
            "10SECS",
        ] {
            assert!(bad.parse::<Duration>().is_err(), "{bad:?} parsed");
        }
        let err = "10sec".parse::<Duration>().unwrap_err().to_string();
        assert!(err.contains("'10sec'") && err.contains("'sec'"), "{err}");
        assert!(err.contains("'weeks'"), "{err}");
        let err = "x".parse::<Duration>().unwrap_err().to_string();
        assert!(err.contains("'x'") && err.contains("'secs'"), "{err}");
        for too_long in ["100000000weeks", "9223372036.854775808secs"] {
            assert!(matches!(
                too_long.parse::<Duration>(),
                Err(ParseDurationError::OutOfRange { .. })
            ));
        }
    }

    #[test]
    fn prints_as_stout() {
        let table: &[(i64, &str)] = &[
            (0, "0ns"),
            (999, "999ns"),
            (1_000, "1us"),
            (1_500, "1500ns"),
            (100_000, "100us"),
            (1_500_000, "1500us"),
            (500_000_000, "500ms"),
            (1_000_000_001, "1.000000001secs"),
            (1_500_000_000, "1500ms"),
            (10_000_000_000, "10secs"),
            (90_000_000_000, "90secs"),
            (60_000_000_000, "1mins"),
            (3_600_000_000_000, "1hrs"),
            (5_400_000_000_000, "90mins"),
            (86_400_000_000_000, "1days"),
            (10 * 86_400_000_000_000, "10days"),
            (604_800_000_000_000, "1weeks"),
            (-10_000_000_000, "-10secs"),
            // stout: "15250.2844524715weeks", which does not parse back to MAX.
            (i64::MAX, "9223372036.854775807secs"),
            (i64::MIN, "-9223372036.854775807secs"),
        ];
        for (nanos, text) in table {
            assert_eq!(Duration::from_nanos(*nanos).to_string(), *text, "{nanos}");
        }
        // A fraction in the bucket's unit when a smaller unit would not be whole either.
        assert_eq!(d("1.0000001secs").to_string(), "1.0000001secs");
        assert_eq!(
            Duration::from_nanos(100_000_000_123).to_string(),
            "1.66666666871667mins"
        );
        // Where stout's 15 digits are not the duration, the exact seconds.
        assert_eq!(
            Duration::from_nanos(1_000_000_000_001).to_string(),
            "1000.000000001secs"
        );
    }

    #[test]
    fn printed_values_parse_back() {
        for nanos in [
            0,
            7,
            1_000,
            1_234_567,
            61_000_000_000,
            3 * 604_800_000_000_000,
            100_000_000_123,
            1_713_525_363_289_999_872,
            i64::MAX,
        ] {
            let dur = Duration::from_nanos(nanos);
            assert_eq!(d(&dur.to_string()), dur);
        }
    }

    #[test]
    fn converts_to_and_from_std() {
        let std = std::time::Duration::from_millis(1500);
        let dur = Duration::from(std);
        assert_eq!(dur.as_nanos(), 1_500_000_000);
        assert_eq!(std::time::Duration::try_from(dur), Ok(std));
        assert_eq!(dur.to_std(), std);
        let neg = Duration::from_nanos(-1);
        assert!(std::time::Duration::try_from(neg).is_err());
        assert_eq!(neg.to_std(), std::time::Duration::ZERO);
        assert_eq!(Duration::from(std::time::Duration::MAX), Duration::MAX);
        assert_eq!(Duration::from_secs_f64(20.0), Duration::from_secs(20));
    }

    #[test]
    fn duration_info_accepts_numbers_and_strings() {
        let a: DurationInfo = crate::from_json_str(r#"{"nanoseconds":5000000000}"#).unwrap();
        let b: DurationInfo = crate::from_json_str(r#"{"nanoseconds":"5000000000"}"#).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.duration(), Duration::from_secs(5));
        assert_eq!(
            serde_json::to_string(&b).unwrap(),
            r#"{"nanoseconds":5000000000}"#
        );
        let t: TimeInfo = crate::from_json_str(r#"{"nanoseconds":"-1"}"#).unwrap();
        assert_eq!(t.nanoseconds, -1);
        let err = crate::from_json_str::<DurationInfo>(r#"{"nanoseconds":"5s"}"#).unwrap_err();
        assert_eq!(err.path, "nanoseconds");
        let err = crate::from_json_str::<DurationInfo>(r#"{}"#).unwrap_err();
        assert!(err.message.contains("missing field `nanoseconds`"), "{err}");
    }

    #[test]
    fn lenient_scalars() {
        use lenient::Lenient;
        let de = |s: &str| serde_json::from_str::<Lenient<f64>>(s).map(|l| l.0);
        assert_eq!(de("1").unwrap(), 1.0);
        assert_eq!(de("\"0.5\"").unwrap(), 0.5);
        assert_eq!(de("\"Infinity\"").unwrap(), f64::INFINITY);
        assert_eq!(de("\"-Infinity\"").unwrap(), f64::NEG_INFINITY);
        assert!(de("\"inf\"").is_err());
        assert!(de("true").is_err());
        let ser = |v: f64| serde_json::to_string(&Lenient(v)).unwrap();
        assert_eq!(ser(15.0), "15.0");
        assert_eq!(ser(f64::INFINITY), "\"Infinity\"");
        assert_eq!(ser(f64::NEG_INFINITY), "\"-Infinity\"");

        let de = |s: &str| serde_json::from_str::<Lenient<u32>>(s).map(|l| l.0);
        assert_eq!(de("80").unwrap(), 80);
        assert_eq!(de("\"80\"").unwrap(), 80);
        assert_eq!(de("80.0").unwrap(), 80);
        assert!(de("80.5").is_err());
        assert!(de("-1").is_err());
        assert!(de("4294967296").is_err());
        assert!(de("true").is_err());

        let de = |s: &str| serde_json::from_str::<Lenient<bool>>(s).map(|l| l.0);
        assert!(de("true").unwrap());
        assert!(!de("\"false\"").unwrap());
        assert!(de("1").is_err());
        assert!(de("\"yes\"").is_err());
    }
}
