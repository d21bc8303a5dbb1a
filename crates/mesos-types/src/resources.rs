//! `mesos.Resource` and the `mesos.Value` family, plus pure helpers to read the amounts a
//! container is given (`cpus`, `mem`, `ports`).

use crate::duration::{lenient, proto_enum};
use crate::task::Labels;
use serde::{Deserialize, Serialize};

proto_enum!(
    /// `mesos.Value.Type`.
    ValueType {
        Scalar = "SCALAR",
        Ranges = "RANGES",
        Set = "SET",
        Text = "TEXT",
    }
);

/// `mesos.Value.Scalar`. The value may be `"Infinity"` on the wire (`TaskInfo.limits`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Scalar {
    #[serde(with = "lenient")]
    pub value: f64,
}

impl Scalar {
    /// A scalar of `value`.
    pub fn new(value: f64) -> Self {
        Self { value }
    }
}

/// `mesos.Value.Range`: the inclusive range `begin..=end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Range {
    #[serde(with = "lenient")]
    pub begin: u64,
    #[serde(with = "lenient")]
    pub end: u64,
}

impl Range {
    /// True when `value` lies in the range (both ends included).
    pub fn contains(&self, value: u64) -> bool {
        self.begin <= value && value <= self.end
    }
}

/// `mesos.Value.Ranges`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ranges {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub range: Vec<Range>,
}

/// `mesos.Value.Set`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Set {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub item: Vec<String>,
}

/// `mesos.Value.Text`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Text {
    pub value: String,
}

/// `mesos.Value`: a typed value; which of the optional members is meaningful follows `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Value {
    pub r#type: ValueType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scalar: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranges: Option<Ranges>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<Set>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Text>,
}

/// `mesos.ResourceProviderID` (`{"value": ...}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResourceProviderId {
    pub value: String,
}

/// `mesos.Resource.AllocationInfo`: the role the resource is allocated to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AllocationInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

proto_enum!(
    /// `mesos.Resource.ReservationInfo.Type`.
    ReservationType {
        Unknown = "UNKNOWN",
        Static = "STATIC",
        Dynamic = "DYNAMIC",
    }
);

/// `mesos.Resource.ReservationInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReservationInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<ReservationType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Labels>,
}

/// `mesos.Resource.RevocableInfo`: a marker with no fields.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RevocableInfo {}

/// `mesos.Resource.SharedInfo`: a marker with no fields.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SharedInfo {}

/// `mesos.Resource`, fields in proto declaration order.
///
/// `disk` (persistence, volume, source) is kept as raw JSON: the Docker containerizer only
/// passes it through, and its tree is deep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<ResourceProviderId>,
    pub name: String,
    pub r#type: ValueType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scalar: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranges: Option<Ranges>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<Set>,
    /// Deprecated pre-reservation-refinement role; `"*"` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocation_info: Option<AllocationInfo>,
    /// Deprecated single reservation (pre-refinement format).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservation: Option<ReservationInfo>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reservations: Vec<ReservationInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocable: Option<RevocableInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared: Option<SharedInfo>,
}

impl Resource {
    /// A `SCALAR` resource, e.g. `Resource::scalar("cpus", 0.5)`.
    pub fn scalar(name: impl Into<String>, value: f64) -> Self {
        Self {
            scalar: Some(Scalar::new(value)),
            ..Self::empty(name, ValueType::Scalar)
        }
    }

    /// A `RANGES` resource, e.g. `Resource::ranges("ports", [(31000, 31009)])`.
    pub fn ranges(name: impl Into<String>, ranges: impl IntoIterator<Item = (u64, u64)>) -> Self {
        let range = ranges
            .into_iter()
            .map(|(begin, end)| Range { begin, end })
            .collect();
        Self {
            ranges: Some(Ranges { range }),
            ..Self::empty(name, ValueType::Ranges)
        }
    }

    fn empty(name: impl Into<String>, r#type: ValueType) -> Self {
        Self {
            provider_id: None,
            name: name.into(),
            r#type,
            scalar: None,
            ranges: None,
            set: None,
            role: None,
            allocation_info: None,
            reservation: None,
            reservations: Vec::new(),
            disk: None,
            revocable: None,
            shared: None,
        }
    }

    /// The scalar amount if this is a `SCALAR` resource that carries one.
    pub fn scalar_value(&self) -> Option<f64> {
        match self.r#type {
            ValueType::Scalar => self.scalar.map(|s| s.value),
            _ => None,
        }
    }

    /// The ranges if this is a `RANGES` resource (empty otherwise).
    pub fn range_values(&self) -> &[Range] {
        match (&self.r#type, &self.ranges) {
            (ValueType::Ranges, Some(r)) => &r.range,
            _ => &[],
        }
    }

    /// The role the resource is allocated to (`allocation_info.role`), if any.
    pub fn allocation_role(&self) -> Option<&str> {
        self.allocation_info.as_ref()?.role.as_deref()
    }
}

/// Rounds to Mesos's scalar resolution: Mesos stores scalars as fixed point with three
/// decimal places so that sums like `0.1 + 0.2` compare equal to `0.3`.
fn fixed_point(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// The sum of every `SCALAR` resource named `name`, or `None` when there is none.
pub fn sum_scalar(resources: &[Resource], name: &str) -> Option<f64> {
    let mut found = false;
    let mut total = 0.0;
    for value in resources
        .iter()
        .filter(|r| r.name == name)
        .filter_map(Resource::scalar_value)
    {
        found = true;
        total += value;
    }
    found.then(|| fixed_point(total))
}

/// CPUs (`cpus`), if any are given.
pub fn cpus(resources: &[Resource]) -> Option<f64> {
    sum_scalar(resources, "cpus")
}

/// Memory in MB (`mem`), if any is given.
pub fn mem_mb(resources: &[Resource]) -> Option<f64> {
    sum_scalar(resources, "mem")
}

/// Disk in MB (`disk`), if any is given.
pub fn disk_mb(resources: &[Resource]) -> Option<f64> {
    sum_scalar(resources, "disk")
}

/// Every range of every `RANGES` resource named `ports`, in order.
pub fn port_ranges(resources: &[Resource]) -> Vec<Range> {
    resources
        .iter()
        .filter(|r| r.name == "ports")
        .flat_map(|r| r.range_values().iter().copied())
        .collect()
}

/// True when `port` lies in one of the `ports` ranges.
pub fn contains_port(resources: &[Resource], port: u64) -> bool {
    resources
        .iter()
        .filter(|r| r.name == "ports")
        .flat_map(Resource::range_values)
        .any(|range| range.contains(port))
}

/// The allocation role of the first resource, which is the role the whole task or executor
/// was allocated to (Mesos allocates every resource of one task to a single role).
pub fn allocation_role(resources: &[Resource]) -> Option<&str> {
    resources.first()?.allocation_role()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::from_json_str;

    const RESOURCES: &str = r#"[
        {"name":"cpus","type":"SCALAR","scalar":{"value":0.1},"allocation_info":{"role":"web"}},
        {"name":"cpus","type":"SCALAR","scalar":{"value":"0.2"}},
        {"name":"mem","type":"SCALAR","scalar":{"value":128}},
        {"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":31002},{"begin":"32000","end":"32000"}]}},
        {"name":"gpus","type":"SET","set":{"item":["a","b"]},"role":"*","revocable":{},"shared":{}},
        {"name":"disk","type":"SCALAR","scalar":{"value":10},"reservations":[{"type":"DYNAMIC","role":"web","principal":"p","labels":{"labels":[{"key":"k"}]}}],"disk":{"persistence":{"id":"v1"},"volume":{"mode":"RW","container_path":"data"}},"provider_id":{"value":"rp"}}
    ]"#;

    #[test]
    fn helpers_read_amounts() {
        let resources: Vec<Resource> = from_json_str(RESOURCES).unwrap();
        assert_eq!(cpus(&resources), Some(0.3));
        assert_eq!(mem_mb(&resources), Some(128.0));
        assert_eq!(disk_mb(&resources), Some(10.0));
        assert_eq!(sum_scalar(&resources, "gpus"), None);
        assert_eq!(sum_scalar(&resources, "nope"), None);
        assert_eq!(port_ranges(&resources).len(), 2);
        assert!(contains_port(&resources, 31000));
        assert!(contains_port(&resources, 31002));
        assert!(contains_port(&resources, 32000));
        assert!(!contains_port(&resources, 31003));
        assert_eq!(allocation_role(&resources), Some("web"));
        assert_eq!(allocation_role(&resources[1..]), None);
        assert_eq!(allocation_role(&[]), None);
    }

    #[test]
    fn round_trips() {
        let resources: Vec<Resource> = from_json_str(RESOURCES).unwrap();
        let text = serde_json::to_string(&resources).unwrap();
        let again: Vec<Resource> = from_json_str(&text).unwrap();
        assert_eq!(resources, again);
        // Numeric strings come back as numbers.
        assert!(text.contains(r#""begin":32000"#), "{text}");
    }

    #[test]
    fn constructors() {
        let r = Resource::scalar("cpus", 1.5);
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"name":"cpus","type":"SCALAR","scalar":{"value":1.5}}"#
        );
        let p = Resource::ranges("ports", [(80, 81)]);
        assert!(contains_port(&[p], 81));
    }

    #[test]
    fn bad_type_names_its_path() {
        let err =
            from_json_str::<Vec<Resource>>(r#"[{"name":"cpus","type":"FLOAT"}]"#).unwrap_err();
        assert_eq!(err.path, "[0].type");
        assert!(err.message.starts_with("unknown value `FLOAT`"), "{err}");
        let err = from_json_str::<Vec<Resource>>(
            r#"[{"name":"cpus","type":"SCALAR","scalar":{"value":"lots"}}]"#,
        )
        .unwrap_err();
        assert_eq!(err.path, "[0].scalar.value");
    }
}
