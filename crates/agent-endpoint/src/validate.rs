//! `Executor::Call` validation, with the agent's checks and wording. The text returned goes
//! after `Failed to validate Executor::Call: ` in a `400` body.

use mesos_types::executor::{Call, CallType};
use mesos_types::health::CheckType;
use mesos_types::status::{is_valid_uuid, Source, TaskState, TaskStatus};

/// Checks `call` as the agent does before looking the executor up.
pub fn validate_call(call: &Call) -> Result<(), String> {
    let Some(kind) = call.r#type else {
        return Err("Expecting 'type' to be present".into());
    };
    match kind {
        CallType::Subscribe => {
            let Some(subscribe) = &call.subscribe else {
                return Err("Expecting 'subscribe' to be present".into());
            };
            // proto2 required fields of the nested TaskInfos (our TaskInfo lets the ids be
            // omitted in task files, so check here what the agent's parser would).
            let mut missing = Vec::new();
            for (i, task) in subscribe.unacknowledged_tasks.iter().enumerate() {
                if task.task_id.as_str().is_empty() {
                    missing.push(format!("subscribe.unacknowledged_tasks[{i}].task_id"));
                }
                if task.agent_id.as_str().is_empty() {
                    missing.push(format!("subscribe.unacknowledged_tasks[{i}].agent_id"));
                }
            }
            if !missing.is_empty() {
                return Err(format!("Not initialized: {}", missing.join(", ")));
            }
            Ok(())
        }
        CallType::Update => {
            let Some(update) = &call.update else {
                return Err("Expecting 'update' to be present".into());
            };
            validate_status(call, &update.status)
        }
        CallType::Message => match call.message {
            Some(_) => Ok(()),
            None => Err("Expecting 'message' to be present".into()),
        },
        CallType::Heartbeat | CallType::Unknown => Ok(()),
    }
}

fn validate_status(call: &Call, status: &TaskStatus) -> Result<(), String> {
    let Some(uuid) = &status.uuid else {
        return Err("Expecting 'uuid' to be present".into());
    };
    if !is_valid_uuid(uuid) {
        return Err("Not a valid UUID".into());
    }
    if let Some(eid) = &status.executor_id {
        if eid != &call.executor_id {
            return Err(format!(
                "ExecutorID in Call: {} does not match ExecutorID in TaskStatus: {}",
                call.executor_id, eid
            ));
        }
    }
    if status.source != Some(Source::Executor) {
        return Err(format!(
            "Received Call from executor {} of framework {} with invalid source, expecting 'SOURCE_EXECUTOR'",
            call.executor_id, call.framework_id
        ));
    }
    if status.state == TaskState::Staging {
        return Err(format!(
            "Received TASK_STAGING from executor {} of framework {} which is not allowed",
            call.executor_id, call.framework_id
        ));
    }
    if let Some(check) = &status.check_status {
        let (kind, present) = match check.r#type {
            None => return Err("CheckStatusInfo must specify 'type'".into()),
            Some(CheckType::Command) => ("command", check.command.is_some()),
            Some(CheckType::Http) => ("http", check.http.is_some()),
            Some(CheckType::Tcp) => ("tcp", check.tcp.is_some()),
            Some(CheckType::Unknown) => ("unknown", true),
        };
        if !present {
            return Err(format!(
                "Expecting '{kind}' to be set for {} check's status",
                kind.to_uppercase()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesos_types::executor::Subscribe;
    use mesos_types::task::TaskInfo;

    fn status(state: TaskState) -> TaskStatus {
        let mut s = TaskStatus::new("t", state);
        s.source = Some(Source::Executor);
        s.uuid = Some(uuid::Uuid::new_v4().as_bytes().to_vec());
        s
    }

    fn update(s: TaskStatus) -> Call {
        Call::update("e".into(), "f".into(), s)
    }

    #[test]
    fn valid_calls_pass() {
        validate_call(&update(status(TaskState::Running))).unwrap();
        validate_call(&Call::subscribe(
            "e".into(),
            "f".into(),
            Subscribe::default(),
        ))
        .unwrap();
        validate_call(&Call::heartbeat("e".into(), "f".into())).unwrap();
        validate_call(&Call::message("e".into(), "f".into(), vec![])).unwrap();
    }

    #[test]
    fn each_rule_has_the_agents_words() {
        let mut c = update(status(TaskState::Running));
        c.r#type = None;
        assert_eq!(
            validate_call(&c).unwrap_err(),
            "Expecting 'type' to be present"
        );
        let mut c = update(status(TaskState::Running));
        c.update = None;
        assert_eq!(
            validate_call(&c).unwrap_err(),
            "Expecting 'update' to be present"
        );
        let mut c = Call::subscribe("e".into(), "f".into(), Subscribe::default());
        c.subscribe = None;
        assert_eq!(
            validate_call(&c).unwrap_err(),
            "Expecting 'subscribe' to be present"
        );
        let mut c = Call::message("e".into(), "f".into(), vec![]);
        c.message = None;
        assert_eq!(
            validate_call(&c).unwrap_err(),
            "Expecting 'message' to be present"
        );

        let mut s = status(TaskState::Running);
        s.uuid = None;
        assert_eq!(
            validate_call(&update(s)).unwrap_err(),
            "Expecting 'uuid' to be present"
        );
        let mut s = status(TaskState::Running);
        s.uuid = Some(b"0123456789abcdef0123456789abcdef".to_vec());
        assert_eq!(validate_call(&update(s)).unwrap_err(), "Not a valid UUID");
        let mut s = status(TaskState::Running);
        s.executor_id = Some("other".into());
        assert_eq!(
            validate_call(&update(s)).unwrap_err(),
            "ExecutorID in Call: e does not match ExecutorID in TaskStatus: other"
        );
        let mut s = status(TaskState::Running);
        s.source = None;
        assert!(validate_call(&update(s))
            .unwrap_err()
            .contains("invalid source"));
        assert_eq!(
            validate_call(&update(status(TaskState::Staging))).unwrap_err(),
            "Received TASK_STAGING from executor e of framework f which is not allowed"
        );

        let sub = Subscribe {
            unacknowledged_tasks: vec![TaskInfo::new("web", "t")],
            ..Subscribe::default()
        };
        assert_eq!(
            validate_call(&Call::subscribe("e".into(), "f".into(), sub)).unwrap_err(),
            "Not initialized: subscribe.unacknowledged_tasks[0].agent_id"
        );
    }
}
