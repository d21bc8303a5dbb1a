//! The operator API: `POST /api/v1` with a JSON call `{"type": "<CALL>", "<call>": {...}}`,
//! named after the Mesos agent operator calls where one fits, answered with
//! `{"type": "<CALL>", "<call>": {...}}`. Errors are plain text with the status code
//! saying whose fault it is: 400 (the call; the message names the field), 404 (no such
//! container), 409 (conflicts with what runs), 415 (not JSON), 500 (ours).
//!
//! | call | does |
//! |---|---|
//! | `GET_HEALTH`, `GET_VERSION`, `GET_FLAGS` | about the daemon |
//! | `LAUNCH_TASK` | `{"task": TaskInfo, "executor": ExecutorInfo?, "container_id": ID?}` |
//! | `GET_TASKS` | launched and terminated tasks |
//! | `GET_CONTAINERS` | containers, with `resource_statistics` when running |
//! | `WAIT_CONTAINER` | long poll until the container ends (`timeout` optional) |
//! | `KILL_CONTAINER` | graceful kill (`grace_period` optional) |
//! | `REMOVE_CONTAINER` | destroy: kill, remove the docker container, sandbox, checkpoints |
//! | `UPDATE_CONTAINER` | new `cpus` / `mem` limits through the cgroups |
//!
//! `GET /api/v1/updates[?container_id=ID]` streams status updates (`stream.rs`).
//! Container ids are accepted as `"id"` or `{"value": "id"}` and returned as the latter.

use super::response::{full, text, Body};
use super::{stream, Daemon};
use crate::docker_containerizer::{
    Container, ContainerSnapshot, KillResult, LaunchError, UsageError,
};
use crate::state::record::Termination;
use crate::task::prepare::{prepare_values, InputOrigin, TaskIdDefault};
use agent_endpoint::AgentEndpoint;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use mesos_types::duration::{Duration, DurationInfo};
use mesos_types::task::KillPolicy;
use serde_json::{json, Value};
use std::sync::Arc;

/// Largest operator call accepted.
const MAX_CALL_BODY: usize = 16 << 20;

/// Every call type, for error messages.
const CALLS: &[&str] = &[
    "GET_HEALTH",
    "GET_VERSION",
    "GET_FLAGS",
    "LAUNCH_TASK",
    "GET_TASKS",
    "GET_CONTAINERS",
    "WAIT_CONTAINER",
    "KILL_CONTAINER",
    "REMOVE_CONTAINER",
    "UPDATE_CONTAINER",
];

/// A failed call: status code and a plain-text message.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    fn not_found(container_id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            format!("Container '{container_id}' not found"),
        )
    }
}

fn json_response(value: &Value) -> Response<Body> {
    let mut bytes = serde_json::to_vec(value).unwrap_or_default();
    bytes.push(b'\n');
    let mut r = Response::new(full(bytes));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// Routes one request of the daemon's port.
pub(crate) async fn route(
    daemon: Arc<Daemon>,
    endpoint: AgentEndpoint,
    req: Request<Incoming>,
) -> Response<Body> {
    let path = req.uri().path().to_string();
    if agent_endpoint::is_executor_api_path(&path) {
        return endpoint.handle(req).await.map(BodyExt::boxed_unsync);
    }
    match (req.method(), path.as_str()) {
        (&Method::POST, "/api/v1") => match call(&daemon, req).await {
            Ok(value) => json_response(&value),
            Err(e) => text(e.status, e.message),
        },
        (&Method::GET, "/api/v1/updates") => stream::updates(&daemon, req.uri().query()),
        (&Method::GET, "/health") => text(StatusCode::OK, "OK"),
        (_, p) if p.starts_with("/files/") => super::files::route(daemon, p, req.uri().query()).await,
        (&Method::GET, "/metrics/snapshot") => super::metrics::snapshot(&daemon),
        (&Method::GET, "/metrics") => super::metrics::prometheus(&daemon),
        (_, "/api/v1") | (_, "/api/v1/updates") | (_, "/health") => text(
            StatusCode::METHOD_NOT_ALLOWED,
            format!(
                "Expecting a '{}' request, received '{}'",
                if path == "/api/v1" { "POST" } else { "GET" },
                req.method()
            ),
        ),
        _ => text(
            StatusCode::NOT_FOUND,
            format!(
                "No route for '{path}': the operator API is POST /api/v1 and GET /api/v1/updates, the executor API /api/v1/executor, the files API /files/{{browse,read,download,debug}}, metrics /metrics/snapshot and /metrics"
            ),
        ),
    }
}

/// Reads and answers one operator call.
async fn call(daemon: &Daemon, req: Request<Incoming>) -> Result<Value, ApiError> {
    // As the agent's operator API: the media type is required, not guessed.
    let Some(ct) = req.headers().get(CONTENT_TYPE) else {
        return Err(ApiError::bad(
            "Expecting 'Content-Type' to be present (send 'Content-Type: application/json')",
        ));
    };
    let ct = ct.to_str().unwrap_or("");
    if !ct
        .trim()
        .to_ascii_lowercase()
        .starts_with("application/json")
    {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Expecting 'Content-Type' of application/json, got '{ct}'"),
        ));
    }
    let body = Limited::new(req.into_body(), MAX_CALL_BODY)
        .collect()
        .await
        .map_err(|e| ApiError::bad(format!("Failed to read the request body: {e}")))?
        .to_bytes();
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad(format!("Failed to parse body into JSON: {e}")))?;
    let Some(kind) = value.get("type").and_then(Value::as_str) else {
        return Err(ApiError::bad(format!(
            "Expecting 'type' to be present (one of {})",
            CALLS.join(", ")
        )));
    };
    let kind = kind.to_string();
    let cz = &daemon.cz;
    let field = kind.to_ascii_lowercase();
    let args = value.get(&field).cloned().unwrap_or(Value::Null);
    if !args.is_null() && !args.is_object() {
        return Err(ApiError::bad(format!("'{field}' must be a JSON object")));
    }
    let answer = match kind.as_str() {
        "GET_HEALTH" => json!({ "healthy": true }),
        "GET_VERSION" => json!({
            "version_info": {
                "version": env!("CARGO_PKG_VERSION"),
                "build_git_sha": env!("MESOS_DOCKER_GIT_COMMIT"),
                "mesos_version": "1.11.0",
                "start_time": daemon.started_at,
            }
        }),
        "GET_FLAGS" => {
            let mut flags: Vec<Value> = cz
                .context()
                .flags
                .to_pairs()
                .into_iter()
                .chain(daemon.serve_flags.get().cloned().unwrap_or_default())
                .map(|(name, value)| json!({ "name": name, "value": value }))
                .collect();
            flags.push(json!({ "name": "ip", "value": daemon.local_addr.ip().to_string() }));
            flags.push(json!({ "name": "port", "value": daemon.local_addr.port().to_string() }));
            flags.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
            json!({ "flags": flags })
        }
        "LAUNCH_TASK" => launch_task(daemon, &args).await?,
        "GET_TASKS" => get_tasks(daemon),
        "GET_CONTAINERS" => get_containers(daemon, &args).await?,
        "WAIT_CONTAINER" => wait_container(daemon, &args).await?,
        "KILL_CONTAINER" => kill_container(daemon, &args)?,
        "REMOVE_CONTAINER" => remove_container(daemon, &args).await?,
        "UPDATE_CONTAINER" => update_container(daemon, &args).await?,
        other => {
            return Err(ApiError::bad(format!(
                "Unknown call type '{other}': use one of {}",
                CALLS.join(", ")
            )))
        }
    };
    let mut response = serde_json::Map::new();
    response.insert("type".into(), json!(kind));
    response.insert(field, answer);
    Ok(Value::Object(response))
}

/// `{"value": v}`, as Mesos writes ids.
fn id(v: &str) -> Value {
    json!({ "value": v })
}

/// The container id in `args` (`"id"` or `{"value": "id"}`), checked.
fn container_id_arg(args: &Value, call: &str, required: bool) -> Result<Option<String>, ApiError> {
    let field = format!("{call}.container_id");
    let id = match args.get("container_id") {
        None | Some(Value::Null) if required => {
            return Err(ApiError::bad(format!("{field}: missing")))
        }
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(o)) => match o.get("value") {
            Some(Value::String(s)) => s.clone(),
            _ => {
                return Err(ApiError::bad(format!(
                    "{field}.value: missing or not a string"
                )))
            }
        },
        Some(other) => {
            return Err(ApiError::bad(format!(
                "{field}: expected a string or {{\"value\": \"...\"}}, got {other}"
            )))
        }
    };
    crate::task::validate::container_id(&id).map_err(|p| {
        ApiError::bad(format!(
            "{field}: {}{}",
            p.problem,
            if p.hint.is_empty() {
                String::new()
            } else {
                format!(" ({})", p.hint)
            }
        ))
    })?;
    Ok(Some(id))
}

fn container_of(daemon: &Daemon, id: &str) -> Result<Arc<Container>, ApiError> {
    daemon.cz.get(id).ok_or_else(|| ApiError::not_found(id))
}

/// A duration argument: a stout string (`"5secs"`) or `{"nanoseconds": N}`.
fn duration_arg(args: &Value, name: &str, call: &str) -> Result<Option<Duration>, ApiError> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => s.parse::<Duration>().map(Some).map_err(|e| {
            ApiError::bad(format!(
                "{call}.{name}: {e} (use e.g. \"10secs\", \"500ms\")"
            ))
        }),
        Some(v @ Value::Object(_)) => mesos_types::from_json_value::<DurationInfo>(v.clone())
            .map(|d| Some(Duration::from(d)))
            .map_err(|e| ApiError::bad(format!("{call}.{name}.{}: {}", e.path, e.message))),
        Some(other) => Err(ApiError::bad(format!(
            "{call}.{name}: expected a duration like \"10secs\", got {other}"
        ))),
    }
}

fn launch_error(e: LaunchError) -> ApiError {
    match e {
        LaunchError::BadInput(b) => ApiError::bad(b.0),
        LaunchError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, m),
        other => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
    }
}

async fn launch_task(daemon: &Daemon, args: &Value) -> Result<Value, ApiError> {
    let task = match args.get("task") {
        Some(t) if !t.is_null() => t.clone(),
        _ => {
            return Err(ApiError::bad(
                "launch_task.task: missing (a Mesos TaskInfo in JSON)",
            ))
        }
    };
    let executor = args.get("executor").filter(|e| !e.is_null()).cloned();
    let container_id = container_id_arg(args, "launch_task", false)?;
    let cz = &daemon.cz;
    let spec = prepare_values(
        task,
        InputOrigin::Field("launch_task.task"),
        executor.map(|e| (e, InputOrigin::Field("launch_task.executor"))),
        container_id.as_deref(),
        &cz.context().agent_id.value,
        TaskIdDefault::ContainerId,
    )
    .map_err(|e| ApiError::bad(e.0))?;
    let container = cz.launch(spec).await.map_err(launch_error)?;
    Ok(json!({
        "container_id": id(&container.id),
        "task_id": id(&container.spec.task.task_id.value),
        "executor_id": id(&container.spec.executor_id.value),
        "sandbox": container.sandbox.display().to_string(),
    }))
}

fn termination_json(t: &Termination) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

/// A Mesos `Task` for GET_TASKS.
fn task_json(c: &Container, snap: &ContainerSnapshot) -> Value {
    let task = &c.spec.task;
    json!({
        "name": task.name,
        "task_id": id(&task.task_id.value),
        "framework_id": id(&snap.record.framework_id),
        "executor_id": id(&snap.record.executor_id),
        "agent_id": id(&snap.record.agent_id),
        "state": snap.task_state().as_str(),
        "resources": task.resources,
        "statuses": snap.statuses,
        "container_id": id(&c.id),
    })
}

fn get_tasks(daemon: &Daemon) -> Value {
    let mut launched = Vec::new();
    let mut terminated = Vec::new();
    for c in daemon.cz.list() {
        let snap = c.snapshot();
        if snap.task_state().is_terminal() || c.termination().is_some() {
            terminated.push(task_json(&c, &snap));
        } else {
            launched.push(task_json(&c, &snap));
        }
    }
    json!({ "launched_tasks": launched, "terminated_tasks": terminated })
}

/// One container for GET_CONTAINERS; `statuses` for a single container's details.
fn container_json(
    c: &Container,
    snap: &ContainerSnapshot,
    stats: Option<Result<mesos_types::statistics::ResourceStatistics, UsageError>>,
    statuses: bool,
) -> Value {
    let r = &snap.record;
    let executor_name = c
        .spec
        .executor
        .as_ref()
        .and_then(|e| e.name.clone())
        .unwrap_or_else(|| format!("Command Executor (Task: {})", r.task_id));
    let mut v = json!({
        "container_id": id(&c.id),
        "framework_id": id(&r.framework_id),
        "executor_id": id(&r.executor_id),
        "executor_name": executor_name,
        "task_id": id(&r.task_id),
        "task_name": c.spec.task.name,
        "state": r.state,
        "task_state": snap.task_state().as_str(),
        "docker_name": c.docker_name(),
        "image": c.spec.image(),
        "sandbox": c.sandbox.display().to_string(),
        "launched_at": r.launched_at,
        "recovered": c.recovered,
        "ip_addresses": snap.ip_addresses(),
        "limits": { "cpus": snap.limits.cpus, "mem_mb": snap.limits.mem_mb },
    });
    let o = v.as_object_mut().expect("an object");
    if let Some(pid) = r.executor_pid {
        o.insert("executor_pid".into(), json!(pid));
    }
    if let Some(name) = &r.executor_container {
        o.insert("executor_container".into(), json!(name));
    }
    if let Some(ended) = r.ended_at {
        o.insert("ended_at".into(), json!(ended));
    }
    if let Some(t) = c.termination() {
        o.insert("termination".into(), termination_json(&t));
    }
    match stats {
        Some(Ok(s)) => {
            o.insert("resource_statistics".into(), json!(s));
        }
        Some(Err(e)) => {
            o.insert("statistics_error".into(), json!(e.to_string()));
        }
        None => {}
    }
    if statuses {
        o.insert("statuses".into(), json!(snap.statuses));
    }
    v
}

async fn get_containers(daemon: &Daemon, args: &Value) -> Result<Value, ApiError> {
    let one = container_id_arg(args, "get_containers", false)?;
    let show_terminated = args
        .get("show_terminated")
        .and_then(Value::as_bool)
        .unwrap_or(one.is_some());
    let with_stats = args
        .get("statistics")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let containers: Vec<Arc<Container>> = match &one {
        Some(cid) => vec![container_of(daemon, cid)?],
        None => daemon.cz.list(),
    };
    let mut samples = tokio::task::JoinSet::new();
    let mut out = Vec::new();
    for (i, c) in containers.into_iter().enumerate() {
        let running = c.termination().is_none();
        if !running && !show_terminated {
            continue;
        }
        let sample = with_stats
            && running
            && c.snapshot().record.state == crate::state::record::ContainerState::Running;
        if sample {
            let cz = daemon.cz.clone();
            samples.spawn(async move {
                let stats = cz.usage(&c).await;
                (i, c, Some(stats))
            });
        } else {
            out.push((i, c, None));
        }
    }
    while let Some(done) = samples.join_next().await {
        if let Ok(item) = done {
            out.push(item);
        }
    }
    out.sort_by_key(|(i, _, _)| *i);
    let list: Vec<Value> = out
        .into_iter()
        .map(|(_, c, stats)| {
            let snap = c.snapshot();
            container_json(&c, &snap, stats, one.is_some())
        })
        .collect();
    Ok(json!({ "containers": list }))
}

async fn wait_container(daemon: &Daemon, args: &Value) -> Result<Value, ApiError> {
    let cid = container_id_arg(args, "wait_container", true)?.expect("required");
    let timeout = duration_arg(args, "timeout", "wait_container")?;
    let container = container_of(daemon, &cid)?;
    let waited = match timeout {
        None => Some(container.wait().await),
        Some(t) => tokio::time::timeout(t.to_std(), container.wait())
            .await
            .ok(),
    };
    Ok(match waited {
        Some(t) => {
            let mut v = termination_json(&t);
            v["container_id"] = id(&cid);
            v["terminated"] = json!(true);
            v
        }
        None => json!({ "container_id": id(&cid), "terminated": false }),
    })
}

fn kill_container(daemon: &Daemon, args: &Value) -> Result<Value, ApiError> {
    let cid = container_id_arg(args, "kill_container", true)?.expect("required");
    let mut policy = match args.get("kill_policy") {
        Some(v) if !v.is_null() => Some(
            mesos_types::from_json_value::<KillPolicy>(v.clone()).map_err(|e| {
                ApiError::bad(format!(
                    "kill_container.kill_policy.{}: {}",
                    e.path, e.message
                ))
            })?,
        ),
        _ => None,
    };
    if let Some(grace) = duration_arg(args, "grace_period", "kill_container")? {
        policy = Some(KillPolicy {
            grace_period: Some(DurationInfo::from(grace)),
        });
    }
    match daemon.cz.kill(&cid, policy) {
        None => Err(ApiError::not_found(&cid)),
        Some(KillResult::Killing) => Ok(json!({ "container_id": id(&cid), "killing": true })),
        Some(KillResult::AlreadyTerminated(t)) => Ok(json!({
            "container_id": id(&cid),
            "killing": false,
            "termination": termination_json(&t),
        })),
    }
}

async fn remove_container(daemon: &Daemon, args: &Value) -> Result<Value, ApiError> {
    let cid = container_id_arg(args, "remove_container", true)?.expect("required");
    let outcome = daemon.cz.destroy(&cid).await.map_err(launch_error)?;
    let mut v = json!({
        "container_id": id(&cid),
        "removed": outcome.termination.is_some(),
    });
    if let Some(t) = &outcome.termination {
        v["termination"] = termination_json(t);
    }
    Ok(v)
}

fn positive(args: &Value, name: &str) -> Result<Option<f64>, ApiError> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_f64() {
            Some(n) if n.is_finite() && n > 0.0 => Ok(Some(n)),
            _ => Err(ApiError::bad(format!(
                "update_container.{name}: must be a positive number, got {v}"
            ))),
        },
    }
}

/// A memory limit beyond the host's memory limits nothing (and beyond 16 EiB it does not
/// even fit the cgroup's counter): refused, naming the most the host has.
fn within_host_memory(mem_mb: f64, host_bytes: Option<u64>) -> Result<(), ApiError> {
    let Some(host) = host_bytes else {
        return Ok(());
    };
    let host_mb = host >> 20;
    if mem_mb > host_mb as f64 {
        return Err(ApiError::bad(format!(
            "update_container.mem: {mem_mb} MB is more than this host's memory ({host_mb} MB); give at most {host_mb}"
        )));
    }
    Ok(())
}

async fn update_container(daemon: &Daemon, args: &Value) -> Result<Value, ApiError> {
    let cid = container_id_arg(args, "update_container", true)?.expect("required");
    let cpus = positive(args, "cpus")?;
    let mem = positive(args, "mem")?;
    if cpus.is_none() && mem.is_none() {
        return Err(ApiError::bad(
            "update_container: give 'cpus' (CPUs), 'mem' (MB) or both",
        ));
    }
    if let Some(mem) = mem {
        within_host_memory(mem, docker_executor::task_container::host_memory_bytes())?;
    }
    let container = container_of(daemon, &cid)?;
    match daemon.cz.update(&container, cpus, mem).await {
        Ok(outcome) => {
            let mut v = serde_json::to_value(&outcome).unwrap_or(Value::Null);
            v["container_id"] = id(&cid);
            Ok(v)
        }
        Err(e @ UsageError::NotRunning(_)) => {
            Err(ApiError::new(StatusCode::CONFLICT, e.to_string()))
        }
        Err(e) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            e.to_string(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_ids_are_strings_or_values_and_are_checked() {
        let got = |v: Value| container_id_arg(&v, "kill_container", true);
        assert_eq!(
            got(json!({"container_id": "c1"})).unwrap(),
            Some("c1".into())
        );
        assert_eq!(
            got(json!({"container_id": {"value": "c1"}})).unwrap(),
            Some("c1".into())
        );
        let e = got(json!({})).unwrap_err();
        assert_eq!(e.message, "kill_container.container_id: missing");
        let e = got(json!({"container_id": "a.b"})).unwrap_err();
        assert!(
            e.message
                .starts_with("kill_container.container_id: invalid container id"),
            "{}",
            e.message
        );
        let e = got(json!({"container_id": 7})).unwrap_err();
        assert!(e.message.contains("expected a string"), "{}", e.message);
        assert_eq!(
            container_id_arg(&json!({}), "get_containers", false).unwrap(),
            None
        );
    }

    #[test]
    fn durations_are_stout_strings_or_duration_infos() {
        let got = |v: Value| duration_arg(&v, "timeout", "wait_container");
        assert_eq!(
            got(json!({"timeout": "2secs"})).unwrap().unwrap().to_std(),
            std::time::Duration::from_secs(2)
        );
        assert_eq!(
            got(json!({"timeout": {"nanoseconds": 5}}))
                .unwrap()
                .unwrap()
                .to_std(),
            std::time::Duration::from_nanos(5)
        );
        assert!(got(json!({})).unwrap().is_none());
        let e = got(json!({"timeout": "soon"})).unwrap_err();
        assert!(
            e.message.starts_with("wait_container.timeout:"),
            "{}",
            e.message
        );
    }

    #[test]
    fn memory_beyond_the_host_is_refused() {
        within_host_memory(1024.0, Some(8 << 30)).unwrap();
        within_host_memory(8192.0, Some(8 << 30)).unwrap();
        let e = within_host_memory(99_999_999_999.0, Some(8 << 30)).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert!(
            e.message.contains("more than this host's memory (8192 MB)"),
            "{}",
            e.message
        );
        within_host_memory(99_999_999_999.0, None).unwrap();
    }

    #[test]
    fn limits_must_be_positive_numbers() {
        assert_eq!(positive(&json!({"cpus": 0.5}), "cpus").unwrap(), Some(0.5));
        assert_eq!(positive(&json!({}), "cpus").unwrap(), None);
        for bad in [json!(-1), json!(0), json!("1")] {
            let e = positive(&json!({ "mem": bad }), "mem").unwrap_err();
            assert!(
                e.message
                    .starts_with("update_container.mem: must be a positive number"),
                "{}",
                e.message
            );
        }
    }
}
