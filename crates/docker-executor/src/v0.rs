//! The v0 (libprocess) transport: the protocol Mesos's own docker executor speaks, and the
//! only one a real Mesos agent's Docker containerizer recovers after the agent restarts (it
//! recovers only executors whose libprocess process id it checkpointed, and it checkpoints
//! that id only for executors that registered this way).
//!
//! The executor is the libprocess peer `executor(1)@<ip>:<port>`: an [`Inbox`] where the
//! agent delivers `mesos.internal` messages, and a [`Link`] to the agent on which we send
//! ours and whose end tells us the agent went away. Above that it behaves as Mesos's
//! executor driver: register, run/kill/acknowledge/message/shutdown; on losing the agent,
//! wait for its `ReconnectExecutorMessage` (checkpointing frameworks, up to
//! `MESOS_RECOVERY_TIMEOUT`) and re-register with every unacknowledged task and update, or
//! stop (others). Updates are sent once; the agent's status update manager owns retries.
//!
//! It feeds the task logic the same [`AgentMsg`]s as the v1 transport: the runner cannot
//! tell the two apart.

use crate::connection::{AgentMsg, Outbox, Outgoing};
use crate::env::Libprocess;
use libprocess::{wire, Inbox, Link, Message, Upid};
use mesos_proto::internal as pb;
use mesos_proto::mesos as m;
use mesos_proto::{Named, ProtoConvert};
use mesos_types::executor::{Acknowledged, Event, Kill, Launch, Subscribed};
use mesos_types::status::{Source, TaskState, TaskStatus};
use mesos_types::task::{ExecutorInfo, FrameworkInfo, KillPolicy, TaskInfo};
use mesos_types::{AgentId, ExecutorId, FrameworkId, TaskId};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Our actor name, as libprocess names the first executor process.
pub const EXECUTOR_ACTOR: &str = "executor(1)";
/// Bound of connecting to the agent and of writing one message.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause between attempts to reach the agent before the first registration.
const CONNECT_RETRY: Duration = Duration::from_millis(200);

/// How the v0 transport behaves.
#[derive(Debug, Clone)]
pub struct V0Config {
    pub slave: Upid,
    pub listen: Libprocess,
    pub agent_id: Option<AgentId>,
    pub framework_id: FrameworkId,
    pub executor_id: ExecutorId,
    pub checkpoint: bool,
    pub recovery_timeout: Duration,
    /// How long the first registration may take before we give up.
    pub registration_timeout: Duration,
}

/// Why the transport could not start.
#[derive(Debug, thiserror::Error)]
pub enum V0Error {
    #[error("cannot listen for the agent's messages on {addr} (LIBPROCESS_IP/LIBPROCESS_PORT): {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// Starts listening and returns the outbox and the future that keeps the executor registered;
/// spawn the future.
pub async fn start<M: From<AgentMsg> + Send + 'static>(
    config: V0Config,
    to_task: mpsc::UnboundedSender<M>,
) -> Result<(Outbox, impl std::future::Future<Output = ()> + Send), V0Error> {
    let addr = SocketAddr::new(config.listen.ip, config.listen.port);
    let inbox = Inbox::bind(addr)
        .await
        .map_err(|source| V0Error::Bind { addr, source })?;
    let (outbox, queue) = Outbox::new(config.framework_id.clone(), config.executor_id.clone());
    let driver = Driver {
        me: None,
        slave: config.slave.clone(),
        agent_id: config.agent_id.clone(),
        link: None,
        connected: false,
        registered: false,
        aborted: false,
        raw_tasks: HashMap::new(),
        config,
        outbox: outbox.clone(),
    };
    let tell = move |m: AgentMsg| to_task.send(M::from(m)).is_ok();
    Ok((outbox, driver.run(inbox, queue, tell)))
}

struct Driver {
    /// Our process id; known once the first link tells which local address the agent sees.
    me: Option<Upid>,
    slave: Upid,
    agent_id: Option<AgentId>,
    link: Option<Link>,
    /// Registered (or re-registered) with the current agent.
    connected: bool,
    /// The agent accepted our first registration.
    registered: bool,
    /// SHUTDOWN received, or the agent is gone: no message is acted on any more.
    aborted: bool,
    /// The TaskInfos as the agent sent them, re-sent byte for byte when re-registering.
    raw_tasks: HashMap<TaskId, Vec<u8>>,
    config: V0Config,
    outbox: Outbox,
}

enum Wake {
    Inbox(Option<Message>),
    LinkClosed,
    Outgoing(Option<Outgoing>),
    Deadline,
}

impl Driver {
    async fn run(
        mut self,
        mut inbox: Inbox,
        mut queue: mpsc::UnboundedReceiver<Outgoing>,
        tell: impl Fn(AgentMsg) -> bool,
    ) {
        let registration_deadline = Instant::now() + self.config.registration_timeout;
        if let Err(why) = self.register(&inbox, registration_deadline).await {
            tell(AgentMsg::Gone(why));
            return;
        }
        // Armed while the agent is away (checkpointing frameworks only).
        let mut recovery_deadline: Option<Instant> = None;
        loop {
            let deadline = match (self.aborted || self.connected, recovery_deadline) {
                (true, _) => None,
                (false, Some(d)) => Some(d),
                (false, None) if !self.registered => Some(registration_deadline),
                (false, None) => None,
            };
            let link_closed = self.link.as_ref().map(|l| l.closed());
            let wake = tokio::select! {
                m = inbox.recv() => Wake::Inbox(m),
                _ = async { link_closed.unwrap().await }, if link_closed.is_some() => Wake::LinkClosed,
                out = queue.recv() => Wake::Outgoing(out),
                _ = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => Wake::Deadline,
            };
            match wake {
                Wake::Inbox(None) | Wake::Outgoing(None) => return,
                Wake::Inbox(Some(message)) => {
                    if !self.on_message(message, &mut queue, &tell).await {
                        return;
                    }
                    if self.connected {
                        recovery_deadline = None;
                    }
                }
                Wake::LinkClosed => {
                    self.link = None;
                    if self.aborted {
                        continue;
                    }
                    if !self.config.checkpoint {
                        tell(AgentMsg::Gone(
                            "the agent exited and the framework does not checkpoint (MESOS_CHECKPOINT is not 1)".into(),
                        ));
                        self.aborted = true;
                        continue;
                    }
                    if self.connected {
                        self.connected = false;
                        tracing::warn!(
                            agent = %self.slave,
                            recovery_timeout = %mesos_types::duration::Duration::from(self.config.recovery_timeout),
                            "the agent exited; the framework checkpoints, so waiting for it to reconnect"
                        );
                        recovery_deadline = Some(Instant::now() + self.config.recovery_timeout);
                        if !tell(AgentMsg::Disconnected) {
                            return;
                        }
                    }
                    // Not connected (a re-registration in flight broke): keep waiting for
                    // the next reconnect within the same deadline.
                }
                Wake::Outgoing(Some(out)) => self.send_outgoing(out).await,
                Wake::Deadline => {
                    let why = if recovery_deadline.is_some() {
                        format!(
                            "the agent did not reconnect within MESOS_RECOVERY_TIMEOUT ({})",
                            mesos_types::duration::Duration::from(self.config.recovery_timeout)
                        )
                    } else {
                        format!(
                            "the agent at {} did not answer our registration within {}",
                            self.slave,
                            mesos_types::duration::Duration::from(self.config.registration_timeout)
                        )
                    };
                    tell(AgentMsg::Gone(why));
                    self.aborted = true;
                }
            }
        }
    }

    /// Connects to the agent (retrying until `deadline`) and sends RegisterExecutorMessage.
    async fn register(&mut self, inbox: &Inbox, deadline: Instant) -> Result<(), String> {
        loop {
            match Link::connect(self.slave.addr, IO_TIMEOUT).await {
                Ok(link) => {
                    self.me = Some(self.my_pid(inbox, &link));
                    self.link = Some(link);
                    let message = pb::RegisterExecutorMessage {
                        framework_id: framework_id(self.outbox.framework_id()),
                        executor_id: executor_id(self.outbox.executor_id()),
                    };
                    if self.send(&message).await {
                        tracing::info!(
                            me = %self.me.as_ref().map(ToString::to_string).unwrap_or_default(),
                            agent = %self.slave,
                            "registering with the agent (v0)"
                        );
                        return Ok(());
                    }
                }
                Err(e) => tracing::info!(error = %e, "agent not reachable yet; retrying"),
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "could not reach the agent at {} within {}",
                    self.slave,
                    mesos_types::duration::Duration::from(self.config.registration_timeout)
                ));
            }
            tokio::time::sleep(CONNECT_RETRY).await;
        }
    }

    /// Our process id: the advertised address when given, else the listening address, else
    /// (listening on every address) the address the agent sees our link come from.
    fn my_pid(&self, inbox: &Inbox, link: &Link) -> Upid {
        let listen = &self.config.listen;
        let ip = listen
            .advertise_ip
            .unwrap_or(if listen.ip.is_unspecified() {
                link.local_addr().ip()
            } else {
                listen.ip
            });
        let port = listen.advertise_port.unwrap_or(inbox.local_addr().port());
        Upid::new(EXECUTOR_ACTOR, SocketAddr::new(ip, port))
    }

    /// Sends `message` on the current link; false (and the link dropped) when that fails.
    async fn send<T: mesos_proto::Message + Named>(&mut self, message: &T) -> bool {
        let (Some(link), Some(me)) = (self.link.as_mut(), self.me.as_ref()) else {
            return false;
        };
        let bytes = wire::encode(me, &self.slave, T::NAME, &mesos_proto::encode(message));
        match link.send(&bytes, IO_TIMEOUT).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, message = T::NAME, "sending to the agent failed");
                false
            }
        }
    }

    async fn send_outgoing(&mut self, out: Outgoing) {
        if !self.connected {
            // Kept in the outbox; the re-registration carries what is unacknowledged.
            return;
        }
        match out {
            Outgoing::Update(uuid) => {
                let Some(status) = self.outbox.status(uuid) else {
                    return;
                };
                let Some(update) = self.status_update(status) else {
                    return;
                };
                let message = pb::StatusUpdateMessage {
                    update,
                    pid: self.me.as_ref().map(ToString::to_string),
                };
                self.send(&message).await;
            }
            Outgoing::Message(data) => {
                let message = pb::ExecutorToFrameworkMessage {
                    slave_id: agent_id(self.agent_id.as_ref()),
                    framework_id: framework_id(self.outbox.framework_id()),
                    executor_id: executor_id(self.outbox.executor_id()),
                    data,
                };
                self.send(&message).await;
            }
        }
    }

    /// The StatusUpdate of a stored status, as Mesos's driver builds it: the update's
    /// timestamp and uuid are the status's own, so a re-sent update is the same update.
    fn status_update(&self, mut status: TaskStatus) -> Option<pb::StatusUpdate> {
        if status.agent_id.is_none() {
            status.agent_id = self.agent_id.clone();
        }
        let timestamp = status.timestamp.unwrap_or_default();
        let uuid = status.uuid.clone();
        let task_id = status.task_id.clone();
        let status = match status.into_proto() {
            Ok(s) => s,
            Err(e) => {
                // Only a raw-JSON field that does not fit its message gets here: our bug.
                tracing::error!(error = %e, %task_id, "cannot encode a status update; dropping it");
                return None;
            }
        };
        Some(pb::StatusUpdate {
            framework_id: framework_id(self.outbox.framework_id()),
            executor_id: Some(executor_id(self.outbox.executor_id())),
            slave_id: self.agent_id.as_ref().map(|a| agent_id(Some(a))),
            status,
            timestamp,
            uuid,
            latest_state: None,
        })
    }

    /// Acts on one message; false when the task side is gone.
    async fn on_message(
        &mut self,
        message: Message,
        queue: &mut mpsc::UnboundedReceiver<Outgoing>,
        tell: &impl Fn(AgentMsg) -> bool,
    ) -> bool {
        if message.to != EXECUTOR_ACTOR {
            tracing::warn!(to = %message.to, name = %message.name, from = %message.from, "ignoring a message for another actor");
            return true;
        }
        if self.aborted {
            tracing::debug!(name = %message.name, "ignoring a message: the executor is shutting down");
            return true;
        }
        let name = message.name.as_str();
        let body = message.body.as_slice();
        macro_rules! decode {
            ($t:ty) => {
                match mesos_proto::decode::<$t>(body) {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::error!(error = %e, name, "cannot decode a message from the agent; ignoring it");
                        return true;
                    }
                }
            };
        }
        match name {
            n if n == pb::ExecutorRegisteredMessage::NAME => {
                let msg = decode!(pb::ExecutorRegisteredMessage);
                self.connected = true;
                self.registered = true;
                self.agent_id = Some(AgentId::new(msg.slave_id.value.clone()));
                tracing::info!(agent_id = %msg.slave_id.value, "registered with the agent (v0)");
                match subscribed(msg) {
                    Ok(s) => tell(AgentMsg::Event(Event::Subscribed(Box::new(s)))),
                    Err(e) => {
                        // The registration is accepted all the same; only what it tells us
                        // (the framework's capabilities) is lost.
                        tracing::error!(error = %e, "cannot read the agent's registration message");
                        true
                    }
                }
            }
            n if n == pb::ExecutorReregisteredMessage::NAME => {
                let msg = decode!(pb::ExecutorReregisteredMessage);
                self.connected = true;
                tracing::info!(agent_id = %msg.slave_id.value, "re-registered with the agent (v0)");
                true
            }
            n if n == pb::ReconnectExecutorMessage::NAME => {
                let msg = decode!(pb::ReconnectExecutorMessage);
                tracing::info!(agent_id = %msg.slave_id.value, from = %message.from, "the agent asks us to reconnect");
                self.reregister(message.from, queue).await;
                true
            }
            n if n == pb::RunTaskMessage::NAME => {
                if !self.connected {
                    tracing::warn!("ignoring a task: not registered with the agent");
                    return true;
                }
                let (message, raw) = match pb::run_task_raw(body) {
                    Ok(decoded) => decoded,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot decode the task the agent sent; ignoring it");
                        return true;
                    }
                };
                let task_id = TaskId::new(message.task.task_id.value.clone());
                match TaskInfo::from_proto(message.task) {
                    Ok(task) => {
                        self.raw_tasks.insert(task.task_id.clone(), raw);
                        tell(AgentMsg::Event(Event::Launch(Box::new(Launch { task }))))
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "cannot read the task the agent sent");
                        {
                            let mut s = TaskStatus::new(task_id, TaskState::Failed);
                            s.source = Some(Source::Executor);
                            s.message = Some(format!("The executor cannot read the TaskInfo: {e}"));
                            s.executor_id = Some(self.outbox.executor_id().clone());
                            s.uuid = Some(uuid::Uuid::new_v4().as_bytes().to_vec());
                            s.timestamp = Some(crate::runner::now_secs());
                            self.outbox.push_update(s);
                        }
                        true
                    }
                }
            }
            n if n == pb::KillTaskMessage::NAME => {
                let msg = decode!(pb::KillTaskMessage);
                let kill = Kill {
                    task_id: TaskId::new(msg.task_id.value.clone()),
                    kill_policy: msg.kill_policy.and_then(|p| {
                        KillPolicy::from_proto(p)
                            .map_err(|e| tracing::warn!(error = %e, "ignoring an unreadable kill policy"))
                            .ok()
                    }),
                };
                tell(AgentMsg::Event(Event::Kill(kill)))
            }
            n if n == pb::StatusUpdateAcknowledgementMessage::NAME => {
                let msg = decode!(pb::StatusUpdateAcknowledgementMessage);
                if !self.connected {
                    tracing::warn!("ignoring an acknowledgement: not registered with the agent");
                    return true;
                }
                let task_id = TaskId::new(msg.task_id.value.clone());
                self.outbox.acknowledge(&task_id, &msg.uuid);
                self.raw_tasks.remove(&task_id);
                tell(AgentMsg::Event(Event::Acknowledged(Acknowledged {
                    task_id,
                    uuid: msg.uuid,
                })))
            }
            n if n == pb::FrameworkToExecutorMessage::NAME => {
                let msg = decode!(pb::FrameworkToExecutorMessage);
                tell(AgentMsg::Event(Event::Message(
                    mesos_types::executor::Message { data: msg.data },
                )))
            }
            n if n == pb::ShutdownExecutorMessage::NAME => {
                self.aborted = true;
                tell(AgentMsg::Event(Event::Shutdown))
            }
            other => {
                tracing::debug!(
                    name = other,
                    "ignoring a message this executor does not handle"
                );
                true
            }
        }
    }

    /// Answers the restarted agent's ReconnectExecutorMessage: a new link to it, and
    /// ReregisterExecutorMessage with every unacknowledged task and update, oldest first.
    async fn reregister(&mut self, from: Upid, queue: &mut mpsc::UnboundedReceiver<Outgoing>) {
        self.slave = from;
        self.link = None;
        match Link::connect(self.slave.addr, IO_TIMEOUT).await {
            Ok(link) => self.link = Some(link),
            Err(e) => {
                tracing::warn!(error = %e, "cannot reach the agent that asked us to reconnect");
                return;
            }
        }
        let (tasks, statuses) = self.outbox.unacknowledged(queue);
        let message = pb::ReregisterExecutorMessage {
            executor_id: executor_id(self.outbox.executor_id()),
            framework_id: framework_id(self.outbox.framework_id()),
            tasks: tasks
                .iter()
                .filter_map(|t| self.raw_tasks.get(&t.task_id).cloned())
                .collect(),
            updates: statuses
                .into_iter()
                .filter_map(|s| self.status_update(s))
                .collect(),
        };
        let updates = message.updates.len();
        if self.send(&message).await {
            tracing::info!(
                updates,
                tasks = message.tasks.len(),
                "re-registering with the agent (v0)"
            );
        }
    }
}

/// What the v1 SUBSCRIBED event would have told: the registration's ExecutorInfo,
/// FrameworkInfo and agent.
fn subscribed(
    registered: pb::ExecutorRegisteredMessage,
) -> Result<Subscribed, mesos_proto::ConvertError> {
    Ok(Subscribed {
        executor_info: ExecutorInfo::from_proto(registered.executor_info)?,
        framework_info: FrameworkInfo::from_proto(registered.framework_info)?,
        agent_info: mesos_proto::opaque::agent_info_to_json(&registered.slave_info)?,
        container_id: None,
    })
}

fn framework_id(id: &FrameworkId) -> m::FrameworkId {
    m::FrameworkId::new(id.value.clone())
}

fn executor_id(id: &ExecutorId) -> m::ExecutorId {
    m::ExecutorId::new(id.value.clone())
}

fn agent_id(id: Option<&AgentId>) -> m::AgentId {
    m::AgentId::new(id.map(|a| a.value.clone()).unwrap_or_default())
}
