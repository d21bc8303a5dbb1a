//! What the endpoint knows about each executor: its registration, its subscription stream,
//! its tasks and the status updates it sent. All methods run under one mutex and never
//! block (the channels are unbounded), which keeps events in a single, total order.

use crate::body::{OnDrop, ResponseBody};
use crate::http::Format;
use crate::{EndpointError, EndpointEvent, KillOutcome, StatusUpdate};
use bytes::Bytes;
use mesos_types::executor::{
    Acknowledged, Call, Event, Kill, Launch, Message, Subscribe, Subscribed,
};
use mesos_types::status::{ContainerStatus, Source, TaskStatus};
use mesos_types::task::{ExecutorInfo, FrameworkInfo, KillPolicy, TaskInfo};
use mesos_types::{AgentId, ContainerId, ExecutorId, FrameworkId, TaskId};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, Weak};
use std::time::Duration;
use tokio::sync::mpsc;

/// An executor's identity: (framework id, executor id).
pub(crate) type Key = (FrameworkId, ExecutorId);

/// A rejected request: status code and plain-text body.
#[derive(Debug)]
pub(crate) struct Reject {
    pub status: u16,
    pub body: String,
}

impl Reject {
    fn new(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            body: body.into(),
        }
    }
}

struct Stream {
    generation: u64,
    records: mpsc::UnboundedSender<Bytes>,
    format: Format,
}

struct TaskEntry {
    info: TaskInfo,
    /// LAUNCH written to a subscription stream.
    delivered: bool,
    /// At least one update received (the task is no longer STAGING).
    got_update: bool,
    terminal: bool,
    /// Known from recovery or from an update, not launched through this endpoint: never
    /// declared lost.
    adopted: bool,
}

struct UpdateEntry {
    acknowledged: bool,
}

pub(crate) struct ExecutorEntry {
    framework_info: FrameworkInfo,
    executor_info: ExecutorInfo,
    container_id: ContainerId,
    subscribed_once: bool,
    terminating: bool,
    stream: Option<Stream>,
    /// Events waiting for a subscription, in order (LAUNCHes first queued, then kills etc.).
    queued: Vec<Event>,
    tasks: BTreeMap<TaskId, TaskEntry>,
    updates: HashMap<[u8; 16], UpdateEntry>,
}

impl ExecutorEntry {
    fn new(fi: FrameworkInfo, ei: ExecutorInfo, cid: ContainerId) -> Self {
        Self {
            framework_info: fi,
            executor_info: ei,
            container_id: cid,
            subscribed_once: false,
            terminating: false,
            stream: None,
            queued: Vec::new(),
            tasks: BTreeMap::new(),
            updates: HashMap::new(),
        }
    }

    /// Writes `event` to the current stream; false when there is none (or it just broke).
    fn send(&mut self, event: &Event) -> bool {
        let Some(stream) = &self.stream else {
            return false;
        };
        if stream.records.send(encode(event, stream.format)).is_ok() {
            if let Event::Launch(l) = event {
                if let Some(t) = self.tasks.get_mut(&l.task.task_id) {
                    t.delivered = true;
                }
            }
            true
        } else {
            false
        }
    }

    /// Sends `event` now or keeps it for the next subscription.
    fn send_or_queue(&mut self, event: Event) -> bool {
        if self.send(&event) {
            true
        } else {
            self.queued.push(event);
            false
        }
    }
}

/// One RecordIO record holding `event` in `format`.
pub(crate) fn encode(event: &Event, format: Format) -> Bytes {
    let payload = match format {
        // Our types always serialize; a failure would be a bug worth a loud panic in tests,
        // but an empty object keeps the stream framed in production.
        Format::Json => serde_json::to_vec(event).unwrap_or_else(|_| b"{}".to_vec()),
        Format::Protobuf => encode_protobuf(event),
    };
    Bytes::from(mesos_types::recordio::encode(&payload))
}

/// `event` as a protobuf `mesos.v1.executor.Event`. Fields kept as raw JSON (a task's
/// `discovery`, `agent_info`, ...) are encoded through their message description; one that
/// does not fit its message (which Mesos would have refused when the task was given) turns
/// the event into an ERROR naming the field, so the executor learns why.
fn encode_protobuf(event: &Event) -> Vec<u8> {
    use mesos_proto::ProtoConvert;
    match event.clone().into_proto() {
        Ok(proto) => mesos_proto::encode(&proto),
        Err(e) => {
            let message = format!("cannot encode {} as protobuf: {e}", event.kind());
            tracing::error!(%message, "event not sent");
            let error = Event::Error(mesos_types::executor::ErrorEvent { message });
            error
                .into_proto()
                .map(|p| mesos_proto::encode(&p))
                .unwrap_or_default()
        }
    }
}

pub(crate) struct Registry {
    executors: HashMap<Key, ExecutorEntry>,
    next_generation: u64,
    events: mpsc::UnboundedSender<EndpointEvent>,
    pub(crate) agent_info: serde_json::Value,
    agent_id: Option<AgentId>,
    auto_acknowledge: bool,
    heartbeat_interval: Duration,
    pub(crate) closed: bool,
}

impl Registry {
    pub(crate) fn new(
        events: mpsc::UnboundedSender<EndpointEvent>,
        agent_info: serde_json::Value,
        auto_acknowledge: bool,
        heartbeat_interval: Duration,
    ) -> Self {
        let agent_id = agent_info
            .get("id")
            .and_then(|id| id.get("value"))
            .and_then(|v| v.as_str())
            .map(AgentId::new);
        Self {
            executors: HashMap::new(),
            next_generation: 1,
            events,
            agent_info,
            agent_id,
            auto_acknowledge,
            heartbeat_interval,
            closed: false,
        }
    }

    fn emit(&self, event: EndpointEvent) {
        // The owner dropped its receiver: nothing to tell anyone.
        let _ = self.events.send(event);
    }

    fn entry(
        &mut self,
        fid: &FrameworkId,
        eid: &ExecutorId,
    ) -> Result<&mut ExecutorEntry, EndpointError> {
        if self.closed {
            return Err(EndpointError::Closed);
        }
        self.executors
            .get_mut(&(fid.clone(), eid.clone()))
            .ok_or_else(|| EndpointError::UnknownExecutor {
                framework_id: fid.clone(),
                executor_id: eid.clone(),
            })
    }

    pub(crate) fn register(
        &mut self,
        fi: FrameworkInfo,
        ei: ExecutorInfo,
        cid: ContainerId,
    ) -> Result<&mut ExecutorEntry, EndpointError> {
        if self.closed {
            return Err(EndpointError::Closed);
        }
        let fid = fi
            .id
            .clone()
            .ok_or_else(|| EndpointError::MissingFrameworkId {
                executor_id: ei.executor_id.clone(),
            })?;
        let key = (fid.clone(), ei.executor_id.clone());
        if self.executors.contains_key(&key) {
            return Err(EndpointError::AlreadyRegistered {
                framework_id: fid,
                executor_id: ei.executor_id,
            });
        }
        Ok(self
            .executors
            .entry(key)
            .or_insert_with(|| ExecutorEntry::new(fi, ei, cid)))
    }

    pub(crate) fn recover(
        &mut self,
        fi: FrameworkInfo,
        ei: ExecutorInfo,
        cid: ContainerId,
        tasks: Vec<TaskInfo>,
        acknowledged: Vec<[u8; 16]>,
    ) -> Result<(), EndpointError> {
        let entry = self.register(fi, ei, cid)?;
        // A recovered executor was subscribed to our previous incarnation: its UPDATEs are
        // accepted even before it resubscribes, as the agent does for RUNNING executors.
        entry.subscribed_once = true;
        for info in tasks {
            entry.tasks.insert(
                info.task_id.clone(),
                TaskEntry {
                    info,
                    delivered: true,
                    got_update: true,
                    terminal: false,
                    adopted: true,
                },
            );
        }
        for uuid in acknowledged {
            entry
                .updates
                .insert(uuid, UpdateEntry { acknowledged: true });
        }
        Ok(())
    }

    pub(crate) fn unregister(
        &mut self,
        fid: &FrameworkId,
        eid: &ExecutorId,
    ) -> Result<(), EndpointError> {
        self.entry(fid, eid)?;
        // Dropping the entry drops the stream sender, which ends the subscription response.
        self.executors.remove(&(fid.clone(), eid.clone()));
        Ok(())
    }

    pub(crate) fn launch(
        &mut self,
        fid: &FrameworkId,
        eid: &ExecutorId,
        task: TaskInfo,
    ) -> Result<bool, EndpointError> {
        let entry = self.entry(fid, eid)?;
        if entry.terminating {
            return Err(EndpointError::Terminating {
                executor_id: eid.clone(),
            });
        }
        if entry.tasks.contains_key(&task.task_id) {
            return Err(EndpointError::DuplicateTask {
                executor_id: eid.clone(),
                task_id: task.task_id,
            });
        }
        entry.tasks.insert(
            task.task_id.clone(),
            TaskEntry {
                info: task.clone(),
                delivered: false,
                got_update: false,
                terminal: false,
                adopted: false,
            },
        );
        // LAUNCH only goes to a subscribed executor; before that it waits in the queue.
        Ok(entry.send_or_queue(Event::Launch(Box::new(Launch { task }))))
    }

    pub(crate) fn kill(
        &mut self,
        fid: &FrameworkId,
        eid: &ExecutorId,
        task_id: &TaskId,
        kill_policy: Option<KillPolicy>,
    ) -> Result<KillOutcome, EndpointError> {
        let entry = self.entry(fid, eid)?;
        let Some(task) = entry.tasks.get(task_id) else {
            return Err(EndpointError::UnknownTask {
                executor_id: eid.clone(),
                task_id: task_id.clone(),
            });
        };
        if !task.delivered {
            // Never reached the executor: take it back, as the agent does (the owner reports
            // TASK_KILLED with REASON_TASK_KILLED_DURING_LAUNCH).
            let info = entry.tasks.remove(task_id).map(|t| t.info);
            entry
                .queued
                .retain(|e| !matches!(e, Event::Launch(l) if &l.task.task_id == task_id));
            return Ok(KillOutcome::NotLaunched(Box::new(
                info.expect("task present"),
            )));
        }
        let event = Event::Kill(Kill {
            task_id: task_id.clone(),
            kill_policy,
        });
        Ok(if entry.send_or_queue(event) {
            KillOutcome::Sent
        } else {
            KillOutcome::Queued
        })
    }

    pub(crate) fn shutdown(
        &mut self,
        fid: &FrameworkId,
        eid: &ExecutorId,
    ) -> Result<bool, EndpointError> {
        let entry = self.entry(fid, eid)?;
        entry.terminating = true;
        if entry.send(&Event::Shutdown) {
            return Ok(true);
        }
        // Its next SUBSCRIBE is answered with SHUTDOWN (and the stream closed); queued
        // launches are moot.
        entry.queued.clear();
        Ok(false)
    }

    pub(crate) fn message(
        &mut self,
        fid: &FrameworkId,
        eid: &ExecutorId,
        data: Vec<u8>,
    ) -> Result<bool, EndpointError> {
        let entry = self.entry(fid, eid)?;
        // Scheduler messages carry no delivery guarantee: not queued while disconnected.
        Ok(entry.send(&Event::Message(Message { data })))
    }

    pub(crate) fn acknowledge(
        &mut self,
        fid: &FrameworkId,
        eid: &ExecutorId,
        task_id: &TaskId,
        uuid: [u8; 16],
    ) -> Result<bool, EndpointError> {
        let entry = self.entry(fid, eid)?;
        let Some(update) = entry.updates.get_mut(&uuid) else {
            return Err(EndpointError::UnknownUpdate {
                executor_id: eid.clone(),
                uuid: uuid::Uuid::from_bytes(uuid).to_string(),
            });
        };
        update.acknowledged = true;
        // Without a stream the ACK is lost; the executor resends the update on resubscribe
        // and then gets its ACK at once (the update is known as acknowledged).
        Ok(entry.send(&ack_event(task_id, uuid)))
    }

    pub(crate) fn is_connected(&self, fid: &FrameworkId, eid: &ExecutorId) -> Option<bool> {
        self.executors
            .get(&(fid.clone(), eid.clone()))
            .map(|e| e.stream.is_some())
    }

    /// Called when the subscription body of `generation` is dropped.
    pub(crate) fn stream_closed(&mut self, key: &Key, generation: u64) {
        let Some(entry) = self.executors.get_mut(key) else {
            return;
        };
        if entry.stream.as_ref().map(|s| s.generation) != Some(generation) {
            // Replaced by a newer subscription: not a disconnection.
            return;
        }
        entry.stream = None;
        tracing::info!(framework_id = %key.0, executor_id = %key.1, "executor disconnected");
        self.emit(EndpointEvent::Disconnected {
            framework_id: key.0.clone(),
            executor_id: key.1.clone(),
        });
    }

    /// Looks the call's executor up, with the agent's status codes.
    fn lookup(&mut self, call: &Call) -> Result<&mut ExecutorEntry, Reject> {
        if !self.executors.keys().any(|(f, _)| f == &call.framework_id) {
            return Err(Reject::new(400, "Framework cannot be found"));
        }
        self.executors
            .get_mut(&(call.framework_id.clone(), call.executor_id.clone()))
            .ok_or_else(|| Reject::new(400, "Executor cannot be found"))
    }

    /// UPDATE: answered 202 unless the executor is unknown or never subscribed.
    pub(crate) fn handle_update(&mut self, call: Call) -> Result<(), Reject> {
        let entry = self.lookup(&call)?;
        if !entry.subscribed_once {
            return Err(Reject::new(403, "Executor is not subscribed"));
        }
        let status = call.update.expect("validated").status;
        self.process_update(&call.framework_id, &call.executor_id, status);
        Ok(())
    }

    /// MESSAGE: forwarded to the owner.
    pub(crate) fn handle_message(&mut self, call: Call) -> Result<(), Reject> {
        let entry = self.lookup(&call)?;
        if !entry.subscribed_once {
            return Err(Reject::new(403, "Executor is not subscribed"));
        }
        self.emit(EndpointEvent::Message {
            framework_id: call.framework_id,
            executor_id: call.executor_id,
            data: call.message.expect("validated").data,
        });
        Ok(())
    }

    /// The status update path shared by UPDATE and the replay of a SUBSCRIBE's
    /// `unacknowledged_updates`, as the agent's: answered at once, acknowledged only once the
    /// owner has stored the update.
    fn process_update(&mut self, fid: &FrameworkId, eid: &ExecutorId, mut status: TaskStatus) {
        let key = (fid.clone(), eid.clone());
        let agent_id = self.agent_id.clone();
        let auto_ack = self.auto_acknowledge;
        let Some(entry) = self.executors.get_mut(&key) else {
            return;
        };
        let Some(uuid) = status.uuid_bytes() else {
            tracing::warn!(executor_id = %eid, task_id = %status.task_id, "dropping a status update without a valid uuid");
            return;
        };
        if let (Some(ours), Some(theirs)) = (&agent_id, &status.agent_id) {
            if ours != theirs {
                // As the agent: accepted (202) and then dropped without an ACK.
                tracing::warn!(executor_id = %eid, task_id = %status.task_id, agent_id = %theirs,
                    "dropping a status update for another agent");
                return;
            }
        }
        if status.agent_id.is_none() {
            status.agent_id = agent_id;
        }
        status.source = Some(Source::Executor);
        let container_status = status
            .container_status
            .get_or_insert_with(ContainerStatus::default);
        container_status.container_id = Some(entry.container_id.clone());

        if let Some(seen) = entry.updates.get(&uuid) {
            // A resend: not forwarded twice; ACKed again once the owner has accepted it.
            tracing::debug!(executor_id = %eid, task_id = %status.task_id, "duplicate status update");
            if seen.acknowledged {
                entry.send(&ack_event(&status.task_id, uuid));
            }
            return;
        }
        let task = entry
            .tasks
            .entry(status.task_id.clone())
            .or_insert_with(|| {
                // Not launched through us (an endpoint restarted without recovery data):
                // adopt it rather than lose the update.
                TaskEntry {
                    info: TaskInfo::new("", status.task_id.clone()),
                    delivered: true,
                    got_update: false,
                    terminal: false,
                    adopted: true,
                }
            });
        if task.terminal {
            tracing::warn!(executor_id = %eid, task_id = %status.task_id, state = %status.state,
                "dropping a status update after the terminal one");
            entry
                .updates
                .insert(uuid, UpdateEntry { acknowledged: true });
            entry.send(&ack_event(&status.task_id, uuid));
            return;
        }
        task.got_update = true;
        task.terminal = status.state.is_terminal();
        entry.updates.insert(
            uuid,
            UpdateEntry {
                acknowledged: auto_ack,
            },
        );
        let task_id = status.task_id.clone();
        self.emit(EndpointEvent::Update(Box::new(StatusUpdate {
            framework_id: fid.clone(),
            executor_id: eid.clone(),
            uuid,
            status,
        })));
        if auto_ack {
            if let Some(entry) = self.executors.get_mut(&key) {
                entry.send(&ack_event(&task_id, uuid));
            }
        }
    }

    /// SUBSCRIBE: the response body, or a rejection. As the agent: an older stream of the
    /// executor is closed, its unacknowledged updates replayed, the tasks it no longer knows
    /// declared lost, then SUBSCRIBED and the queued LAUNCHes.
    pub(crate) fn handle_subscribe(
        &mut self,
        call: Call,
        me: Weak<Mutex<Registry>>,
        format: Format,
    ) -> Result<ResponseBody, Reject> {
        let generation = self.next_generation;
        self.next_generation += 1;
        let heartbeat = self.heartbeat_interval;
        let agent_info = self.agent_info.clone();
        let key: Key = (call.framework_id.clone(), call.executor_id.clone());
        let entry = self.lookup(&call)?;
        let subscribe: Subscribe = call.subscribe.expect("validated");

        let (tx, rx) = mpsc::unbounded_channel();
        let on_drop = {
            let me = me.clone();
            let key = key.clone();
            OnDrop::new(move || {
                if let Some(registry) = me.upgrade() {
                    if let Ok(mut r) = registry.lock() {
                        r.stream_closed(&key, generation);
                    }
                }
            })
        };
        let body = ResponseBody::Stream {
            records: rx,
            _on_drop: on_drop,
        };

        if entry.terminating {
            // One SHUTDOWN, then the stream ends (tx dropped here).
            let _ = tx.send(encode(&Event::Shutdown, format));
            return Ok(body);
        }

        let reconnected = entry.subscribed_once;
        entry.subscribed_once = true;
        // A newer subscription replaces the old one: dropping its sender ends that response.
        entry.stream = Some(Stream {
            generation,
            records: tx,
            format,
        });

        if entry.tasks.is_empty() {
            // Nothing was ever launched and nothing is queued (all killed before delivery):
            // the agent sends SHUTDOWN instead of SUBSCRIBED and keeps the stream open.
            entry.send(&Event::Shutdown);
            entry.terminating = true;
        } else {
            entry.send(&Event::Subscribed(Box::new(Subscribed {
                executor_info: entry.executor_info.clone(),
                framework_info: entry.framework_info.clone(),
                agent_info,
                container_id: Some(entry.container_id.clone()),
            })));
        }
        tracing::info!(framework_id = %key.0, executor_id = %key.1, reconnected, "executor subscribed");

        // Tasks delivered before but still STAGING, that the executor does not list, never
        // reached it: declared lost (the owner reports TASK_LOST / TASK_DROPPED).
        let listed: HashSet<&TaskId> = subscribe
            .unacknowledged_tasks
            .iter()
            .map(|t| &t.task_id)
            .collect();
        let lost: Vec<TaskId> = entry
            .tasks
            .iter()
            .filter(|(id, t)| {
                t.delivered && !t.got_update && !t.adopted && !t.terminal && !listed.contains(id)
            })
            .map(|(id, _)| id.clone())
            .collect();
        let mut lost_tasks = Vec::new();
        for id in lost {
            if let Some(t) = entry.tasks.get_mut(&id) {
                t.terminal = true;
                lost_tasks.push(t.info.clone());
            }
        }
        let queued = std::mem::take(&mut entry.queued);

        self.emit(EndpointEvent::Subscribed {
            framework_id: key.0.clone(),
            executor_id: key.1.clone(),
            reconnected,
        });
        for task in lost_tasks {
            self.emit(EndpointEvent::TaskLost {
                framework_id: key.0.clone(),
                executor_id: key.1.clone(),
                task: Box::new(task),
            });
        }
        for update in subscribe.unacknowledged_updates {
            self.process_update(&key.0, &key.1, update.status);
        }
        if let Some(entry) = self.executors.get_mut(&key) {
            for event in queued {
                entry.send_or_queue(event);
            }
        }
        spawn_heartbeats(me, key, generation, heartbeat);
        Ok(body)
    }

    /// Ends every stream and forgets every executor.
    pub(crate) fn close(&mut self) {
        self.closed = true;
        self.executors.clear();
    }
}

fn ack_event(task_id: &TaskId, uuid: [u8; 16]) -> Event {
    Event::Acknowledged(Acknowledged {
        task_id: task_id.clone(),
        uuid: uuid.to_vec(),
    })
}

/// HEARTBEAT on `generation`'s stream every `interval`, the first one after one interval,
/// until that stream is gone.
fn spawn_heartbeats(me: Weak<Mutex<Registry>>, key: Key, generation: u64, interval: Duration) {
    if interval.is_zero() {
        return;
    }
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            let Some(registry) = me.upgrade() else { return };
            let Ok(mut r) = registry.lock() else { return };
            let Some(entry) = r.executors.get_mut(&key) else {
                return;
            };
            if entry.stream.as_ref().map(|s| s.generation) != Some(generation) {
                return;
            }
            if !entry.send(&Event::Heartbeat) {
                return;
            }
        }
    });
}
