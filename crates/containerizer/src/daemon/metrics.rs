//! `GET /metrics/snapshot` (Mesos's flat JSON object) and `GET /metrics` (the same in the
//! Prometheus text format). The numbers are [`crate::docker_containerizer::metrics`]'s; `containerizer/running`
//! is counted here, at the time of the request.

use super::response::{full, Body};
use super::Daemon;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::Response;

fn snapshot_now(daemon: &Daemon) -> crate::docker_containerizer::metrics::Snapshot {
    let running = daemon
        .cz
        .list()
        .iter()
        .filter(|c| c.termination().is_none())
        .count();
    daemon.cz.metrics().snapshot(running)
}

/// `GET /metrics/snapshot`.
pub(crate) fn snapshot(daemon: &Daemon) -> Response<Body> {
    let mut bytes = serde_json::to_vec(&snapshot_now(daemon).to_json()).unwrap_or_default();
    bytes.push(b'\n');
    let mut r = Response::new(full(bytes));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// `GET /metrics`.
pub(crate) fn prometheus(daemon: &Daemon) -> Response<Body> {
    let mut r = Response::new(full(snapshot_now(daemon).to_prometheus()));
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}
