//! `mesos-example-executor`: the smallest useful custom executor, shipped as the image
//! `mesos-test/example-executor:latest` for the image-as-executor example (Path B: the
//! executor's image is the container, docs/containerizer.md).
//!
//! It speaks the Mesos v1 Executor HTTP API (JSON calls, a RecordIO event stream) over plain
//! HTTP/1.1 to `MESOS_AGENT_ENDPOINT`:
//! - SUBSCRIBE as `MESOS_FRAMEWORK_ID` / `MESOS_EXECUTOR_ID`;
//! - on LAUNCH: `TASK_STARTING`, `TASK_RUNNING`, then "run" the task by writing
//!   `executor-ran.txt` (the task id on the first line, then the task's `data`, if any) into
//!   `$MESOS_SANDBOX` (`$MESOS_DIRECTORY` when not in a container), print a line on stdout,
//!   and send `TASK_FINISHED`;
//! - on KILL of a task that has not ended: `TASK_KILLED`;
//! - once its terminal update is ACKNOWLEDGED (or [`ACK_WAIT`] later): exit 0;
//! - on SHUTDOWN: exit 0.
//!
//! It never resubscribes: losing the agent before the task ended exits non-zero. It resolves
//! no host names (the endpoint must be `ip:port`, as agents write it), which keeps glibc's
//! NSS out of the binary so it links statically and runs in a `FROM scratch` image.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use mesos_types::executor::{Call, Event, Subscribe};
use mesos_types::recordio::{Decoder, RecordIoError};
use mesos_types::status::{Source, TaskState, TaskStatus};
use mesos_types::task::TaskInfo;
use mesos_types::{ExecutorId, FrameworkId, TaskId};
use std::collections::{BTreeMap, VecDeque};
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::TcpStream;
use tracing::{debug, info, warn};

/// The file a launched task leaves in the sandbox.
pub const RAN_FILE: &str = "executor-ran.txt";

/// How long to wait for the ACKNOWLEDGED of the terminal update before exiting anyway: the
/// agent has the update by then or never will, and an executor must not linger.
pub const ACK_WAIT: Duration = Duration::from_secs(10);

/// The executor API path on the agent.
const API_PATH: &str = "/api/v1/executor";

/// Why the executor stopped early.
#[derive(Debug, thiserror::Error)]
enum Error {
    #[error(
        "environment variable {0} is not set (the agent sets it when it launches an executor)"
    )]
    MissingEnv(&'static str),
    #[error("MESOS_AGENT_ENDPOINT '{0}' is not an ip:port address")]
    BadEndpoint(String),
    #[error("cannot connect to the agent at {endpoint}: {source}")]
    Connect {
        endpoint: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("HTTP error talking to the agent: {0}")]
    Http(#[from] hyper::Error),
    #[error("the agent answered {status} to {call}: {body}")]
    Status {
        call: &'static str,
        status: u16,
        body: String,
    },
    #[error("the event stream is not RecordIO: {0}")]
    RecordIo(#[from] RecordIoError),
    #[error("an event is not valid Event JSON: {0}")]
    Event(#[from] serde_json::Error),
    #[error("the agent closed the event stream before the task ended")]
    StreamEnded,
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

/// What the agent told us through the environment.
#[derive(Debug, Clone, PartialEq)]
struct Config {
    endpoint: SocketAddr,
    framework_id: FrameworkId,
    executor_id: ExecutorId,
    /// Where the task's file goes: the sandbox as this process sees it.
    sandbox: PathBuf,
    /// `MESOS_EXECUTOR_AUTHENTICATION_TOKEN`, sent as a Bearer token. Secret: never logged.
    token: Option<String>,
}

impl Config {
    /// Reads the configuration through `get` (the process environment in `main`).
    fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let var = |name: &str| get(name).filter(|v| !v.is_empty());
        let need = |name: &'static str| var(name).ok_or(Error::MissingEnv(name));
        let raw = need("MESOS_AGENT_ENDPOINT")?;
        let endpoint = raw.parse().map_err(|_| Error::BadEndpoint(raw.clone()))?;
        let framework_id = FrameworkId::new(need("MESOS_FRAMEWORK_ID")?);
        let executor_id = ExecutorId::new(need("MESOS_EXECUTOR_ID")?);
        // In a container the sandbox is mounted at MESOS_SANDBOX; MESOS_DIRECTORY is the
        // host path, right only when running as a plain process on the host.
        let sandbox = var("MESOS_SANDBOX")
            .or_else(|| var("MESOS_DIRECTORY"))
            .map(PathBuf::from)
            .ok_or(Error::MissingEnv("MESOS_SANDBOX"))?;
        Ok(Self {
            endpoint,
            framework_id,
            executor_id,
            sandbox,
            token: var("MESOS_EXECUTOR_AUTHENTICATION_TOKEN"),
        })
    }
}

/// How to reach the agent.
#[derive(Clone)]
struct Agent {
    endpoint: SocketAddr,
    token: Option<String>,
}

impl Agent {
    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, Error> {
        let stream = TcpStream::connect(self.endpoint)
            .await
            .map_err(|source| Error::Connect {
                endpoint: self.endpoint,
                source,
            })?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                debug!(error = %e, "agent connection ended");
            }
        });
        Ok(sender)
    }

    fn request(&self, call: &Call, subscribe: bool) -> Request<Full<Bytes>> {
        let body = serde_json::to_vec(call).expect("a Call always serializes");
        let mut req = Request::post(API_PATH)
            .header(HOST, self.endpoint.to_string())
            // The agent compares the content type as an exact string.
            .header(CONTENT_TYPE, "application/json");
        if subscribe {
            req = req.header(ACCEPT, "application/json");
        }
        if let Some(token) = &self.token {
            req = req.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        req.body(Full::new(Bytes::from(body)))
            .expect("static request parts are valid")
    }

    /// SUBSCRIBE on a connection of its own: its response never ends, so nothing else may
    /// queue behind it.
    async fn subscribe(&self, call: &Call) -> Result<Events, Error> {
        let mut sender = self.connect().await?;
        let resp = sender.send_request(self.request(call, true)).await?;
        if resp.status() != StatusCode::OK {
            let status = resp.status().as_u16();
            return Err(Error::Status {
                call: "SUBSCRIBE",
                status,
                body: body_text(resp.into_body()).await,
            });
        }
        Ok(Events {
            _sender: sender,
            body: resp.into_body(),
            decoder: Decoder::default(),
            ready: VecDeque::new(),
        })
    }
}

async fn body_text(body: Incoming) -> String {
    match body.collect().await {
        Ok(b) => String::from_utf8_lossy(&b.to_bytes()).trim().to_string(),
        Err(e) => format!("<unreadable body: {e}>"),
    }
}

/// The events of the subscription, decoded from RecordIO across HTTP chunks.
struct Events {
    /// Keeps the connection's request side alive while the body is read.
    _sender: SendRequest<Full<Bytes>>,
    body: Incoming,
    decoder: Decoder,
    ready: VecDeque<Vec<u8>>,
}

impl Events {
    /// The next event; `Ok(None)` when the stream ended between records. Cancel-safe: a
    /// decoded record stays queued until it is returned.
    async fn next(&mut self) -> Result<Option<Event>, Error> {
        loop {
            if let Some(record) = self.ready.pop_front() {
                return Ok(Some(serde_json::from_slice(&record)?));
            }
            match self.body.frame().await {
                None => {
                    self.decoder.finish()?;
                    return Ok(None);
                }
                Some(Err(e)) => return Err(e.into()),
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        let mut out = Vec::new();
                        self.decoder.feed_into(&data, &mut out)?;
                        self.ready.extend(out);
                    }
                }
            }
        }
    }
}

/// The executor: the call connection and what became of each task.
struct Executor {
    config: Config,
    agent: Agent,
    /// Keep-alive connection for UPDATE calls, one at a time so the agent sees them in order.
    calls: SendRequest<Full<Bytes>>,
    /// Task id → whether its terminal update was sent.
    tasks: BTreeMap<String, bool>,
    /// The uuid of the terminal update we wait to see acknowledged.
    terminal_uuid: Option<[u8; 16]>,
}

/// A status update from this executor: fresh v4 uuid, source and executor id set.
fn status(
    executor_id: &ExecutorId,
    task_id: &TaskId,
    state: TaskState,
    message: Option<String>,
) -> TaskStatus {
    let mut s = TaskStatus::new(task_id.clone(), state);
    s.source = Some(Source::Executor);
    s.executor_id = Some(executor_id.clone());
    s.message = message;
    s.timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs_f64());
    // The agent wants the 16 raw bytes of an RFC 4122 UUID (version nibble 1-5).
    s.uuid = Some(uuid::Uuid::new_v4().into_bytes().to_vec());
    s
}

/// "Runs" the task: writes [`RAN_FILE`] into `sandbox` (task id line, then the data).
fn write_ran_file(sandbox: &Path, task: &TaskInfo) -> std::io::Result<PathBuf> {
    let path = sandbox.join(RAN_FILE);
    let mut file = std::fs::File::create(&path)?;
    writeln!(file, "{}", task.task_id.value)?;
    if let Some(data) = &task.data {
        file.write_all(data)?;
    }
    file.sync_all()?;
    Ok(path)
}

impl Executor {
    /// Sends an UPDATE and returns its uuid.
    async fn update(
        &mut self,
        task_id: &TaskId,
        state: TaskState,
        message: Option<String>,
    ) -> Result<[u8; 16], Error> {
        let status = status(&self.config.executor_id, task_id, state, message);
        let uuid = status.uuid_bytes().expect("status() sets a 16-byte uuid");
        let call = Call::update(
            self.config.executor_id.clone(),
            self.config.framework_id.clone(),
            status,
        );
        self.calls.ready().await?;
        let resp = self
            .calls
            .send_request(self.agent.request(&call, false))
            .await?;
        let code = resp.status();
        let body = body_text(resp.into_body()).await;
        if !code.is_success() {
            return Err(Error::Status {
                call: "UPDATE",
                status: code.as_u16(),
                body,
            });
        }
        info!(task_id = %task_id, state = %state, "sent status update");
        if state.is_terminal() {
            self.tasks.insert(task_id.value.clone(), true);
            self.terminal_uuid = Some(uuid);
        }
        Ok(uuid)
    }

    async fn launch(&mut self, task: TaskInfo) -> Result<(), Error> {
        let id = task.task_id.clone();
        info!(task_id = %id, "launching task");
        self.tasks.insert(id.value.clone(), false);
        self.update(&id, TaskState::Starting, None).await?;
        self.update(&id, TaskState::Running, None).await?;
        match write_ran_file(&self.config.sandbox, &task) {
            Ok(path) => {
                let data_len = task.data.as_ref().map_or(0, Vec::len);
                println!(
                    "example executor ran task {id}: wrote {} ({data_len} bytes of data)",
                    path.display()
                );
                let _ = std::io::stdout().flush();
                let message = format!("example executor finished {id}");
                self.update(&id, TaskState::Finished, Some(message)).await?;
            }
            Err(e) => {
                // The task failed, not the executor: report it and carry on to the ACK.
                let message = format!(
                    "example executor cannot write '{}': {e}",
                    self.config.sandbox.join(RAN_FILE).display()
                );
                warn!(task_id = %id, "{message}");
                self.update(&id, TaskState::Failed, Some(message)).await?;
            }
        }
        Ok(())
    }

    async fn kill(&mut self, task_id: &TaskId) -> Result<(), Error> {
        if self.tasks.get(&task_id.value) == Some(&true) {
            info!(task_id = %task_id, "kill of a task that already ended: nothing to do");
            return Ok(());
        }
        let message = format!("example executor killed {task_id}");
        self.update(task_id, TaskState::Killed, Some(message))
            .await
            .map(|_| ())
    }
}

/// Subscribes and handles events until the terminal update is acknowledged (or
/// [`ACK_WAIT`] has passed since it was sent), or SHUTDOWN arrives.
async fn run(config: Config) -> Result<(), Error> {
    let agent = Agent {
        endpoint: config.endpoint,
        token: config.token.clone(),
    };
    info!(endpoint = %config.endpoint, framework_id = %config.framework_id,
          executor_id = %config.executor_id, "subscribing");
    let subscribe = Call::subscribe(
        config.executor_id.clone(),
        config.framework_id.clone(),
        Subscribe::default(),
    );
    let mut events = agent.subscribe(&subscribe).await?;
    let calls = agent.connect().await?;
    let mut executor = Executor {
        config,
        agent,
        calls,
        tasks: BTreeMap::new(),
        terminal_uuid: None,
    };
    let ack_timer = tokio::time::sleep(ACK_WAIT);
    tokio::pin!(ack_timer);
    let mut timer_armed = false;

    loop {
        let event = tokio::select! {
            event = events.next() => event?,
            _ = &mut ack_timer, if timer_armed => {
                warn!("no ACKNOWLEDGED for the terminal update within {ACK_WAIT:?}; exiting");
                return Ok(());
            }
        };
        let Some(event) = event else {
            if executor.terminal_uuid.is_some() {
                warn!("the agent closed the stream before acknowledging the terminal update");
                return Ok(());
            }
            return Err(Error::StreamEnded);
        };
        match event {
            Event::Subscribed(s) => {
                info!(container_id = ?s.container_id.map(|c| c.value), "subscribed")
            }
            Event::Launch(launch) => executor.launch(launch.task).await?,
            Event::Kill(kill) => executor.kill(&kill.task_id).await?,
            Event::Acknowledged(ack) => {
                debug!(task_id = %ack.task_id, "acknowledged");
                if executor
                    .terminal_uuid
                    .is_some_and(|u| u.as_slice() == ack.uuid)
                {
                    info!(task_id = %ack.task_id, "terminal update acknowledged; exiting");
                    return Ok(());
                }
            }
            Event::Shutdown => {
                info!("shutdown requested; exiting");
                return Ok(());
            }
            Event::LaunchGroup(_) => warn!("ignoring LAUNCH_GROUP: task groups are not supported"),
            Event::Message(_) | Event::Heartbeat | Event::Unknown => {}
            Event::Error(e) => warn!(message = %e.message, "agent reported an error"),
        }
        if executor.terminal_uuid.is_some() && !timer_armed {
            ack_timer
                .as_mut()
                .reset(tokio::time::Instant::now() + ACK_WAIT);
            timer_armed = true;
        }
    }
}

fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MESOS_EXAMPLE_EXECUTOR_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let result = Config::from_env(|name| std::env::var(name).ok()).and_then(|config| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Error::Runtime)?
            .block_on(run(config))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mesos-example-executor: error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesos_types::status::is_valid_uuid;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    const FULL: &[(&str, &str)] = &[
        ("MESOS_AGENT_ENDPOINT", "127.0.0.1:5051"),
        ("MESOS_FRAMEWORK_ID", "fw"),
        ("MESOS_EXECUTOR_ID", "ex"),
        ("MESOS_SANDBOX", "/mnt/mesos/sandbox"),
        ("MESOS_DIRECTORY", "/host/sandbox"),
    ];

    #[test]
    fn config_reads_the_agent_environment() {
        let c = Config::from_env(env(FULL)).unwrap();
        assert_eq!(c.endpoint, "127.0.0.1:5051".parse().unwrap());
        assert_eq!(c.framework_id.value, "fw");
        assert_eq!(c.executor_id.value, "ex");
        assert_eq!(c.sandbox, Path::new("/mnt/mesos/sandbox"));
        assert_eq!(c.token, None);
    }

    #[test]
    fn sandbox_falls_back_to_the_host_directory() {
        let rest: Vec<_> = FULL
            .iter()
            .copied()
            .filter(|(k, _)| *k != "MESOS_SANDBOX")
            .collect();
        let c = Config::from_env(env(&rest)).unwrap();
        assert_eq!(c.sandbox, Path::new("/host/sandbox"));
    }

    #[test]
    fn missing_or_bad_variables_are_named() {
        for missing in [
            "MESOS_AGENT_ENDPOINT",
            "MESOS_FRAMEWORK_ID",
            "MESOS_EXECUTOR_ID",
        ] {
            let rest: Vec<_> = FULL
                .iter()
                .copied()
                .filter(|(k, _)| *k != missing)
                .collect();
            let e = Config::from_env(env(&rest)).unwrap_err().to_string();
            assert!(e.contains(missing), "{e}");
        }
        let rest: Vec<_> = FULL[..3].to_vec();
        let e = Config::from_env(env(&rest)).unwrap_err().to_string();
        assert!(e.contains("MESOS_SANDBOX"), "{e}");

        let mut bad = FULL.to_vec();
        bad[0] = ("MESOS_AGENT_ENDPOINT", "agent.example:5051");
        let e = Config::from_env(env(&bad)).unwrap_err().to_string();
        assert!(e.contains("not an ip:port"), "{e}");
    }

    #[test]
    fn updates_carry_a_v4_uuid_and_the_executor_source() {
        let s = status(
            &ExecutorId::new("ex"),
            &TaskId::new("t"),
            TaskState::Finished,
            Some("done".into()),
        );
        let uuid = s.uuid_bytes().unwrap();
        assert!(is_valid_uuid(&uuid));
        assert_eq!(uuid[6] >> 4, 4);
        assert_eq!(s.source, Some(Source::Executor));
        assert_eq!(s.executor_id, Some(ExecutorId::new("ex")));
        assert!(s.timestamp.is_some());
        let other = status(
            &ExecutorId::new("ex"),
            &TaskId::new("t"),
            TaskState::Running,
            None,
        );
        assert_ne!(other.uuid, s.uuid);
    }

    #[test]
    fn ran_file_holds_the_task_id_then_the_data() {
        let dir = tempfile::tempdir().unwrap();
        let mut task = TaskInfo::new("t", "task-1");
        task.data = Some(b"hello\nworld".to_vec());
        let path = write_ran_file(dir.path(), &task).unwrap();
        assert_eq!(
            std::fs::read_to_string(path).unwrap(),
            "task-1\nhello\nworld"
        );

        let task = TaskInfo::new("t", "task-2");
        let path = write_ran_file(dir.path(), &task).unwrap();
        assert_eq!(std::fs::read_to_string(path).unwrap(), "task-2\n");
    }
}
