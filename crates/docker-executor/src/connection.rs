//! The v1 (HTTP) transport: staying subscribed, and the reliability of status updates. Every
//! update is stored in the [`Outbox`] before it is sent, removed only by its ACKNOWLEDGED,
//! and resent — oldest first, byte-identical — in the `unacknowledged_updates` of the next
//! SUBSCRIBE. Updates go one at a time over a single call connection so the agent sees them
//! in order. The [`Outbox`] and [`AgentMsg`] are shared with the v0 transport ([`crate::v0`]).

use crate::client::{AgentClient, CallConnection, ClientError, EventStream};
use mesos_types::executor::{Call, Event, Subscribe, Update};
use mesos_types::status::TaskStatus;
use mesos_types::task::TaskInfo;
use mesos_types::{ExecutorId, FrameworkId};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// One call waiting for the connection to the agent.
#[derive(Debug)]
pub(crate) enum Outgoing {
    Update([u8; 16]),
    Message(Vec<u8>),
}

struct OutboxState {
    updates: Vec<([u8; 16], Update)>,
    tasks: Vec<TaskInfo>,
    queue: mpsc::UnboundedSender<Outgoing>,
}

/// The unacknowledged updates and tasks, shared by the task logic and the connection.
#[derive(Clone)]
pub struct Outbox {
    state: Arc<Mutex<OutboxState>>,
    framework_id: FrameworkId,
    executor_id: ExecutorId,
}

impl Outbox {
    fn lock(&self) -> std::sync::MutexGuard<'_, OutboxState> {
        // A panic while holding this lock is a bug; the data is still consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores `status` (which must have its uuid set) and queues it for sending.
    pub fn push_update(&self, status: TaskStatus) {
        let Some(uuid) = status.uuid_bytes() else {
            tracing::error!(task_id = %status.task_id, "refusing to send an update without a uuid");
            return;
        };
        let mut s = self.lock();
        s.updates.push((uuid, Update { status }));
        let _ = s.queue.send(Outgoing::Update(uuid));
    }

    /// Remembers a task received in LAUNCH until an ACK for its id arrives.
    pub fn push_task(&self, task: TaskInfo) {
        self.lock().tasks.push(task);
    }

    /// Queues a MESSAGE for the scheduler (no delivery guarantee).
    pub fn push_message(&self, data: Vec<u8>) {
        let _ = self.lock().queue.send(Outgoing::Message(data));
    }

    /// Creates an empty outbox and the queue the transport sends from.
    pub(crate) fn new(
        framework_id: FrameworkId,
        executor_id: ExecutorId,
    ) -> (Self, mpsc::UnboundedReceiver<Outgoing>) {
        let (queue, queue_rx) = mpsc::unbounded_channel();
        let outbox = Outbox {
            state: Arc::new(Mutex::new(OutboxState {
                updates: Vec::new(),
                tasks: Vec::new(),
                queue,
            })),
            framework_id,
            executor_id,
        };
        (outbox, queue_rx)
    }

    /// The stored status of the update `uuid`, if not acknowledged yet.
    pub(crate) fn status(&self, uuid: [u8; 16]) -> Option<TaskStatus> {
        let s = self.lock();
        s.updates
            .iter()
            .find(|(u, _)| *u == uuid)
            .map(|(_, update)| update.status.clone())
    }

    /// Everything not acknowledged yet, oldest first: the tasks and the updates' statuses.
    /// Drops the queued sends of those updates in the same critical section (the caller
    /// sends them all at once).
    pub(crate) fn unacknowledged(
        &self,
        queue: &mut mpsc::UnboundedReceiver<Outgoing>,
    ) -> (Vec<TaskInfo>, Vec<TaskStatus>) {
        let s = self.lock();
        while queue.try_recv().is_ok() {}
        (
            s.tasks.clone(),
            s.updates.iter().map(|(_, u)| u.status.clone()).collect(),
        )
    }

    pub(crate) fn framework_id(&self) -> &FrameworkId {
        &self.framework_id
    }

    pub(crate) fn executor_id(&self) -> &ExecutorId {
        &self.executor_id
    }

    /// Applies an ACKNOWLEDGED: the update leaves the list, and so does its task.
    pub(crate) fn acknowledge(&self, task_id: &mesos_types::TaskId, uuid: &[u8]) {
        let mut s = self.lock();
        s.updates.retain(|(u, _)| u.as_slice() != uuid);
        s.tasks.retain(|t| &t.task_id != task_id);
    }

    fn forget(&self, uuid: [u8; 16]) {
        self.lock().updates.retain(|(u, _)| *u != uuid);
    }

    /// Number of updates not acknowledged yet.
    pub fn pending_updates(&self) -> usize {
        self.lock().updates.len()
    }

    fn update_call(&self, uuid: [u8; 16]) -> Option<Call> {
        let s = self.lock();
        s.updates
            .iter()
            .find(|(u, _)| *u == uuid)
            .map(|(_, update)| {
                Call::update(
                    self.executor_id.clone(),
                    self.framework_id.clone(),
                    update.status.clone(),
                )
            })
    }

    /// The SUBSCRIBE call carrying everything unacknowledged; drops the queued sends of
    /// those updates (the SUBSCRIBE carries them) in the same critical section.
    fn subscribe_call(&self, queue: &mut mpsc::UnboundedReceiver<Outgoing>) -> Call {
        let s = self.lock();
        while queue.try_recv().is_ok() {}
        Call::subscribe(
            self.executor_id.clone(),
            self.framework_id.clone(),
            Subscribe {
                unacknowledged_tasks: s.tasks.clone(),
                unacknowledged_updates: s.updates.iter().map(|(_, u)| u.clone()).collect(),
            },
        )
    }
}

/// What the connection tells the task logic.
#[derive(Debug)]
pub enum AgentMsg {
    /// An event from the agent (ACKNOWLEDGED already applied to the outbox).
    Event(Event),
    /// The subscription broke; reconnecting (if checkpointing).
    Disconnected,
    /// The agent is gone for good: not checkpointing, or not back within the recovery
    /// timeout, or never reachable. Stop the task and exit.
    Gone(String),
}

/// How the connection behaves.
#[derive(Debug, Clone)]
pub struct ConnectionPolicy {
    pub checkpoint: bool,
    pub recovery_timeout: Duration,
    pub backoff_max: Duration,
    /// How long to keep trying the very first subscription.
    pub registration_timeout: Duration,
    /// Bound of one call (a hung agent counts as a disconnection).
    pub call_timeout: Duration,
}

/// Creates the outbox and the future that keeps the executor subscribed; spawn the future.
pub fn start<M: From<AgentMsg> + Send + 'static>(
    client: AgentClient,
    framework_id: FrameworkId,
    executor_id: ExecutorId,
    policy: ConnectionPolicy,
    to_task: mpsc::UnboundedSender<M>,
) -> (Outbox, impl std::future::Future<Output = ()> + Send) {
    let (outbox, queue_rx) = Outbox::new(framework_id, executor_id);
    let fut = run(client, policy, outbox.clone(), queue_rx, to_task);
    (outbox, fut)
}

/// A uniformly random duration in `[0, max]` (the agent's re-registration window is short:
/// retry soon, but not in lockstep with other executors).
pub(crate) fn jitter(max: Duration) -> Duration {
    let r = uuid::Uuid::new_v4().as_u128() as u64;
    let nanos = max.as_nanos().min(u64::MAX as u128) as u64;
    if nanos == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(r % (nanos + 1))
}

/// A subscription that ends sooner than this after it began counts as refused: the next
/// attempt backs off instead of following at once.
const SHORT_SESSION: Duration = Duration::from_secs(1);

enum SessionEnd {
    Disconnected(String),
    /// The agent sent SHUTDOWN: the executor is ending; subscribing again would only be
    /// answered with another SHUTDOWN.
    ShutDown,
    /// The task side is gone: nothing left to do.
    Closed,
}

async fn run<M: From<AgentMsg>>(
    client: AgentClient,
    policy: ConnectionPolicy,
    outbox: Outbox,
    mut queue: mpsc::UnboundedReceiver<Outgoing>,
    to_task: mpsc::UnboundedSender<M>,
) {
    let tell = |m: AgentMsg| to_task.send(M::from(m)).is_ok();
    let started = Instant::now();
    let mut subscribed_once = false;
    // Armed at the first disconnection; not re-armed by failed attempts.
    let mut recovery_deadline: Option<Instant> = None;
    let mut previous_session_short = false;
    loop {
        let call = outbox.subscribe_call(&mut queue);
        match connect(&client, &call).await {
            Ok((stream, calls)) => {
                subscribed_once = true;
                let session_start = Instant::now();
                match session(
                    stream,
                    calls,
                    &outbox,
                    &mut queue,
                    &tell,
                    policy.call_timeout,
                )
                .await
                {
                    SessionEnd::Closed => return,
                    SessionEnd::ShutDown => {
                        tracing::info!("the agent asked us to shut down; not subscribing again");
                        return;
                    }
                    SessionEnd::Disconnected(why) => {
                        tracing::warn!(reason = %why, "disconnected from the agent");
                        if !tell(AgentMsg::Disconnected) {
                            return;
                        }
                    }
                }
                if !policy.checkpoint {
                    tell(AgentMsg::Gone(
                        "disconnected from the agent and the framework does not checkpoint (MESOS_CHECKPOINT is not 1)".into(),
                    ));
                    return;
                }
                recovery_deadline = Some(Instant::now() + policy.recovery_timeout);
                let short = session_start.elapsed() < SHORT_SESSION;
                // First attempt at once, as the Mesos library does; after a subscription
                // that ended at once, back off like a failed attempt.
                if !(short && previous_session_short) {
                    previous_session_short = short;
                    continue;
                }
                previous_session_short = short;
            }
            Err(e) => match &e {
                ClientError::NotReady { .. } | ClientError::Connect { .. } => {
                    tracing::info!(error = %e, "agent not reachable yet; retrying")
                }
                _ => tracing::warn!(error = %e, "subscribing failed; retrying"),
            },
        }
        let now = Instant::now();
        if let Some(deadline) = recovery_deadline {
            if now >= deadline {
                tell(AgentMsg::Gone(format!(
                    "the agent did not come back within MESOS_RECOVERY_TIMEOUT ({})",
                    mesos_types::duration::Duration::from(policy.recovery_timeout)
                )));
                return;
            }
        } else if !subscribed_once && now.duration_since(started) >= policy.registration_timeout {
            tell(AgentMsg::Gone(format!(
                "could not subscribe with the agent within {}",
                mesos_types::duration::Duration::from(policy.registration_timeout)
            )));
            return;
        }
        let mut pause = jitter(policy.backoff_max);
        if let Some(deadline) = recovery_deadline {
            pause = pause.min(deadline.saturating_duration_since(now));
        }
        // Before the first subscription the agent may simply be slow to start: poll a bit.
        if !subscribed_once {
            pause = pause.max(Duration::from_millis(100));
        }
        tokio::time::sleep(pause).await;
    }
}

async fn connect(
    client: &AgentClient,
    call: &Call,
) -> Result<(EventStream, CallConnection), ClientError> {
    let stream = client.subscribe(call).await?;
    let calls = client.calls().await?;
    tracing::info!(
        unacknowledged_updates = call
            .subscribe
            .as_ref()
            .map_or(0, |s| s.unacknowledged_updates.len()),
        "subscribed to the agent"
    );
    Ok((stream, calls))
}

async fn session(
    mut stream: EventStream,
    mut calls: CallConnection,
    outbox: &Outbox,
    queue: &mut mpsc::UnboundedReceiver<Outgoing>,
    tell: &impl Fn(AgentMsg) -> bool,
    call_timeout: Duration,
) -> SessionEnd {
    let mut shut_down = false;
    loop {
        tokio::select! {
            event = stream.next() => match event {
                Ok(Some(event)) => {
                    if let Event::Acknowledged(ack) = &event {
                        outbox.acknowledge(&ack.task_id, &ack.uuid);
                    }
                    shut_down |= matches!(event, Event::Shutdown);
                    if !tell(AgentMsg::Event(event)) {
                        return SessionEnd::Closed;
                    }
                }
                Ok(None) if shut_down => return SessionEnd::ShutDown,
                Ok(None) => return SessionEnd::Disconnected("the event stream ended".into()),
                Err(_) if shut_down => return SessionEnd::ShutDown,
                Err(e) => return SessionEnd::Disconnected(e.to_string()),
            },
            out = queue.recv() => {
                let Some(out) = out else { return SessionEnd::Closed };
                let (call, uuid, what) = match out {
                    Outgoing::Update(uuid) => match outbox.update_call(uuid) {
                        Some(call) => (call, Some(uuid), "UPDATE"),
                        // Acknowledged in the meantime (e.g. via a resubscribe).
                        None => continue,
                    },
                    Outgoing::Message(data) => (
                        Call::message(outbox.executor_id.clone(), outbox.framework_id.clone(), data),
                        None,
                        "MESSAGE",
                    ),
                };
                match tokio::time::timeout(call_timeout, calls.send(&call, what)).await {
                    Err(_) => return SessionEnd::Disconnected(format!("{what} not answered within {call_timeout:?}")),
                    Ok(Ok(())) => {}
                    Ok(Err(ClientError::Status { status: 400, body, .. })) => {
                        // Our bug, not the network's: resending it would be refused again.
                        tracing::error!(%body, "the agent rejected our {what} call");
                        if let Some(uuid) = uuid {
                            outbox.forget(uuid);
                        }
                    }
                    Ok(Err(e @ (ClientError::Status { .. } | ClientError::NotReady { .. }))) => {
                        // 403/503: not subscribed (any more); the next SUBSCRIBE carries it.
                        tracing::warn!(error = %e, "{what} not accepted");
                    }
                    Ok(Err(e)) => return SessionEnd::Disconnected(e.to_string()),
                }
                if calls.is_closed() {
                    return SessionEnd::Disconnected("the call connection closed".into());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_in_bounds() {
        for _ in 0..100 {
            assert!(jitter(Duration::from_millis(5)) <= Duration::from_millis(5));
        }
        assert_eq!(jitter(Duration::ZERO), Duration::ZERO);
    }
}
