//! v1 executor `Call` and `Event` JSON (`mesos_types::executor`), as the agent endpoint reads
//! calls and the executor reads events: whatever decodes must encode, decode again to the
//! same message, and survive the trip through protobuf that the endpoint makes for a
//! protobuf client (or fail that trip with a typed error).

use mesos_proto::ProtoConvert;
use mesos_types::executor::{Call, Event};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub fn run(data: &[u8]) {
    if let Some(call) = json_round_trip::<Call>(data) {
        proto_round_trip::<Call, mesos_proto::v1::executor::Call>(call);
    }
    if let Some(event) = json_round_trip::<Event>(data) {
        proto_round_trip::<Event, mesos_proto::v1::executor::Event>(event);
    }
}

/// Decodes `data` as a `T`; if it is one, checks that its encoding decodes to the same
/// message (compared by encoding: a NaN is not equal to itself).
pub(crate) fn json_round_trip<T: Serialize + DeserializeOwned>(data: &[u8]) -> Option<T> {
    let first: T = mesos_types::from_json_slice(data).ok()?;
    let text = serde_json::to_string(&first).expect("a decoded message encodes");
    let second: T = mesos_types::from_json_str(&text)
        .unwrap_or_else(|e| panic!("our own encoding does not decode: {e}\n{text}"));
    let again = serde_json::to_string(&second).expect("a decoded message encodes");
    assert_eq!(text, again, "JSON encode/decode is not a round trip");
    Some(first)
}

/// The typed message through protobuf and back: the conversion may refuse (a raw-JSON part
/// that does not fit its message), but what it produces must decode (every required field
/// written) and convert back to the same message. Only the raw-JSON parts (sub-messages the
/// typed form keeps as JSON, such as `discovery`) may lose something on the way, their
/// unknown keys, which protobuf cannot carry; a second trip changes nothing.
pub(crate) fn proto_round_trip<T, P>(typed: T)
where
    T: ProtoConvert<Proto = P> + Serialize + Clone,
    P: mesos_proto::ProtoMessage,
{
    let before = serde_json::to_value(&typed).expect("encodes");
    let Some(once) = proto_trip(typed) else {
        return;
    };
    let after = serde_json::to_value(&once).expect("encodes");
    assert_eq!(
        without_raw_json(before),
        without_raw_json(after.clone()),
        "JSON -> protobuf -> JSON changed the message"
    );
    let twice = proto_trip(once).expect("what came back from protobuf goes again");
    assert_eq!(
        after,
        serde_json::to_value(&twice).expect("encodes"),
        "a second trip through protobuf changed the message"
    );
}

fn proto_trip<T, P>(typed: T) -> Option<T>
where
    T: ProtoConvert<Proto = P> + Serialize + Clone,
    P: mesos_proto::ProtoMessage,
{
    let shown = serde_json::to_string(&typed).expect("encodes");
    let proto = typed.into_proto().ok()?;
    let bytes = mesos_proto::encode(&proto);
    let decoded: P = mesos_proto::decode(&bytes)
        .unwrap_or_else(|e| panic!("our own protobuf encoding does not decode: {e}\n{shown}"));
    Some(
        T::from_proto(decoded)
            .unwrap_or_else(|e| panic!("our own protobuf does not convert back: {e}\n{shown}")),
    )
}

/// The fields the typed messages keep as raw JSON (always objects, or maps of objects).
const RAW_JSON: &[&str] = &[
    "agent_info",
    "cgroup_info",
    "csi_volume",
    "discovery",
    "disk",
    "image",
    "limitation",
    "linux_info",
    "mesos",
    "mount_propagation",
    "offer_filters",
    "rlimit_info",
    "tty_info",
];

/// `value` with every raw-JSON part removed (a string `image` is DockerInfo's, and stays).
fn without_raw_json(mut value: serde_json::Value) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                map.retain(|k, v| !(RAW_JSON.contains(&k.as_str()) && v.is_object()));
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut value);
    value
}
