//! The HTTP side: routes, the agent's status codes in the agent's order
//! (docs/mesos-compat.md, *As in Mesos* of the containerizer), and the connection loop.

use crate::body::ResponseBody;
use crate::registry::{Registry, Reject};
use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Body;
use hyper::header::{HeaderValue, ACCEPT, ALLOW, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use mesos_types::executor::{Call, CallType};
use std::sync::{Arc, Mutex};

/// The two paths the agent serves the executor API on.
pub const EXECUTOR_API_PATHS: [&str; 2] = ["/api/v1/executor", "/slave(1)/api/v1/executor"];

const JSON: &str = "application/json";
const PROTOBUF: &str = "application/x-protobuf";

fn text(status: u16, body: impl Into<String>) -> Response<ResponseBody> {
    let mut r = Response::new(ResponseBody::text(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn accepted() -> Response<ResponseBody> {
    let mut r = Response::new(ResponseBody::empty());
    *r.status_mut() = StatusCode::ACCEPTED;
    r
}

impl From<Reject> for Response<ResponseBody> {
    fn from(r: Reject) -> Self {
        text(r.status, r.body)
    }
}

/// Whether an `Accept` header value allows `wanted` (`type/subtype`): exact, `type/*` or
/// `*/*`, case-insensitive, blanks ignored, `q=0` meaning "not acceptable".
pub(crate) fn accepts(header: Option<&str>, wanted: &str) -> bool {
    let Some(header) = header else {
        return true;
    };
    let (wanted_type, _) = wanted.split_once('/').unwrap_or((wanted, ""));
    header.split(',').any(|range| {
        let mut parts = range.split(';');
        let media: String = parts
            .next()
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        let q_zero = parts.any(|p| {
            let p: String = p.chars().filter(|c| !c.is_whitespace()).collect();
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f64>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        let matches = media == wanted || media == "*/*" || media == format!("{wanted_type}/*");
        matches && !q_zero
    })
}

/// Whether `path` is one of the executor API's routes ([`EXECUTOR_API_PATHS`]).
pub fn is_executor_api_path(path: &str) -> bool {
    EXECUTOR_API_PATHS.contains(&path)
}

/// How a subscription's events are encoded: the `Accept` of its SUBSCRIBE decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// RecordIO of JSON `Event`s.
    Json,
    /// RecordIO of protobuf-encoded `mesos.v1.executor.Event`s.
    Protobuf,
}

impl Format {
    fn media_type(self) -> &'static str {
        match self {
            Format::Json => JSON,
            Format::Protobuf => PROTOBUF,
        }
    }
}

/// A protobuf `mesos.v1.executor.Call` body as the typed call. A missing required field
/// fails here, as in the agent's protobuf parser; the error names the field.
fn parse_protobuf(body: &[u8]) -> Result<Call, String> {
    use mesos_proto::ProtoConvert;
    let call: mesos_proto::v1::executor::Call = mesos_proto::decode(body).map_err(|e| match e {
        mesos_proto::DecodeError::Wire { source, .. } => source.to_string(),
        mesos_proto::DecodeError::Field { error, .. } => error.to_string(),
    })?;
    Call::from_proto(call).map_err(|e| e.to_string())
}

/// Answers one request.
pub(crate) async fn handle<B>(
    registry: Arc<Mutex<Registry>>,
    max_body: usize,
    req: Request<B>,
) -> Response<ResponseBody>
where
    B: Body,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    if !is_executor_api_path(req.uri().path()) {
        return text(
            404,
            format!(
                "No route for '{}'; the executor API is at /api/v1/executor",
                req.uri().path()
            ),
        );
    }
    if req.method() != Method::POST {
        let mut r = text(
            405,
            format!("Expecting a 'POST' request, received '{}'", req.method()),
        );
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    let Some(content_type) = req.headers().get(CONTENT_TYPE) else {
        return text(400, "Expecting 'Content-Type' to be present");
    };
    // Compared as an exact string, as the agent does.
    let content_type = content_type.to_str().unwrap_or("").to_string();
    if content_type != JSON && content_type != PROTOBUF {
        return text(
            415,
            "Expecting 'Content-Type' of application/json or application/x-protobuf",
        );
    }
    let accept = req
        .headers()
        .get(ACCEPT)
        .map(|v| v.to_str().unwrap_or("").to_string());

    let body: Bytes = match Limited::new(req.into_body(), max_body).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                return text(
                    413,
                    format!("Request body exceeds the limit of {max_body} bytes"),
                );
            }
            return text(400, format!("Failed to read the request body: {e}"));
        }
    };
    let call = if content_type == PROTOBUF {
        match parse_protobuf(&body) {
            Ok(c) => c,
            Err(detail) => {
                return text(
                    400,
                    format!("Failed to parse body into Call protobuf: {detail}"),
                )
            }
        }
    } else {
        let value: serde_json::Value = match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => return text(400, format!("Failed to parse body into JSON: {e}")),
        };
        match mesos_types::from_json_value::<Call>(value) {
            Ok(c) => c,
            Err(e) => {
                return text(
                    400,
                    format!("Failed to convert JSON into Call protobuf: {e}"),
                )
            }
        }
    };
    if let Err(detail) = crate::validate::validate_call(&call) {
        return text(400, format!("Failed to validate Executor::Call: {detail}"));
    }
    let kind = call.r#type.unwrap_or(CallType::Unknown);
    // As the agent: JSON whenever the client accepts it, else protobuf.
    let format = if accepts(accept.as_deref(), JSON) {
        Format::Json
    } else if accepts(accept.as_deref(), PROTOBUF) {
        Format::Protobuf
    } else if kind == CallType::Subscribe {
        return text(
            406,
            "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'",
        );
    } else {
        Format::Json
    };
    if kind == CallType::Heartbeat {
        return accepted();
    }

    let weak = Arc::downgrade(&registry);
    let Ok(mut r) = registry.lock() else {
        return text(500, "agent endpoint state is poisoned");
    };
    if r.closed {
        return text(503, "Agent endpoint is shutting down");
    }
    let result = match kind {
        CallType::Subscribe => r.handle_subscribe(call, weak, format).map(|body| {
            let mut resp = Response::new(body);
            resp.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(format.media_type()));
            resp
        }),
        CallType::Update => r.handle_update(call).map(|()| accepted()),
        CallType::Message => r.handle_message(call).map(|()| accepted()),
        CallType::Heartbeat | CallType::Unknown => {
            Ok(text(501, "Received 'UNKNOWN' call; not implemented"))
        }
    };
    result.unwrap_or_else(Response::from)
}

#[cfg(test)]
mod tests {
    use super::accepts;

    #[test]
    fn accept_matching() {
        assert!(accepts(None, "application/json"));
        assert!(accepts(Some("*/*"), "application/json"));
        assert!(accepts(Some("application/*"), "application/json"));
        assert!(accepts(Some(" Application/JSON "), "application/json"));
        assert!(accepts(
            Some("application/x-protobuf, application/json;q=0.5"),
            "application/json"
        ));
        assert!(!accepts(Some("application/json;q=0"), "application/json"));
        assert!(!accepts(Some("application/recordio"), "application/json"));
        assert!(!accepts(Some("text/*"), "application/json"));
    }
}
