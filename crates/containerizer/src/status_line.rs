//! How `run` shows status updates, and the exit code a terminal update maps to.

use mesos_types::status::{TaskState, TaskStatus};
use serde_json::json;

/// One human line: `TASK_FAILED reason=REASON_COMMAND_EXECUTOR_FAILED healthy=false: message`.
pub fn human(status: &TaskStatus) -> String {
    let mut line = status.state.to_string();
    if let Some(reason) = status.reason {
        line.push_str(&format!(" reason={reason}"));
    }
    if let Some(healthy) = status.healthy {
        line.push_str(&format!(" healthy={healthy}"));
    }
    let ips = ip_addresses(status);
    if !ips.is_empty() {
        line.push_str(&format!(" ip={}", ips.join(",")));
    }
    if let Some(message) = status.message.as_deref().filter(|m| !m.is_empty()) {
        line.push_str(": ");
        line.push_str(message);
    }
    line
}

/// One JSON object (a line of `run --json`): the fields a user acts on, not the raw update.
pub fn json_line(status: &TaskStatus) -> String {
    let mut v = json!({
        "task_id": status.task_id.value,
        "state": status.state.to_string(),
    });
    let o = v.as_object_mut().expect("an object");
    if let Some(r) = status.reason {
        o.insert("reason".into(), json!(r.to_string()));
    }
    if let Some(m) = &status.message {
        o.insert("message".into(), json!(m));
    }
    if let Some(h) = status.healthy {
        o.insert("healthy".into(), json!(h));
    }
    if let Some(s) = status.source {
        o.insert("source".into(), json!(s.to_string()));
    }
    if let Some(t) = status.timestamp {
        o.insert("timestamp".into(), json!(t));
    }
    let ips = ip_addresses(status);
    if !ips.is_empty() {
        o.insert("ip_addresses".into(), json!(ips));
    }
    v.to_string()
}

fn ip_addresses(status: &TaskStatus) -> Vec<String> {
    status
        .container_status
        .iter()
        .flat_map(|c| c.network_infos.iter())
        .flat_map(|n| n.ip_addresses.iter())
        .filter_map(|ip| ip.ip_address.clone())
        .collect()
}

/// The exit code for a failure before the container ran (bad input, pull or fetch failure),
/// as `docker run` uses it.
pub const EXIT_NOT_STARTED: i32 = 125;

/// The exit code `run` ends with for a terminal update: 0 for TASK_FINISHED; the container's
/// own code when the message says how it exited (`Container exited with status N`); 128+N for
/// `terminated with signal N`; 125 when the task never ran (TASK_ERROR, TASK_DROPPED, or no
/// exit information).
pub fn exit_code(status: &TaskStatus) -> i32 {
    if status.state == TaskState::Finished {
        return 0;
    }
    let message = status.message.as_deref().unwrap_or("");
    if let Some(code) = exited_with(message) {
        return code;
    }
    if let Some(signal) = terminated_by(message) {
        return 128 + signal;
    }
    match status.state {
        // Killed before the exit status was known: the default SIGTERM of `docker stop`.
        TaskState::Killed => 128 + libc::SIGTERM,
        TaskState::Failed => 1,
        _ => EXIT_NOT_STARTED,
    }
}

fn exited_with(message: &str) -> Option<i32> {
    // Only the container's own end counts: "Executor terminated (exited with status 1)"
    // says nothing about the task's exit code.
    const MARK: &str = "Container exited with status ";
    let rest = &message[message.find(MARK)? + MARK.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn terminated_by(message: &str) -> Option<i32> {
    const MARK: &str = "Container terminated with signal ";
    let rest = &message[message.find(MARK)? + MARK.len()..];
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == ' ')
        .collect();
    let word = word.trim();
    if let Ok(n) = word.parse() {
        return Some(n);
    }
    // strsignal(3) descriptions, as Mesos's WSTRINGIFY prints them, and SIG names.
    const NAMES: &[(&str, &str, i32)] = &[
        ("Hangup", "SIGHUP", libc::SIGHUP),
        ("Interrupt", "SIGINT", libc::SIGINT),
        ("Quit", "SIGQUIT", libc::SIGQUIT),
        ("Aborted", "SIGABRT", libc::SIGABRT),
        ("Killed", "SIGKILL", libc::SIGKILL),
        ("Segmentation fault", "SIGSEGV", libc::SIGSEGV),
        ("Terminated", "SIGTERM", libc::SIGTERM),
        ("User defined signal 1", "SIGUSR1", libc::SIGUSR1),
        ("User defined signal 2", "SIGUSR2", libc::SIGUSR2),
    ];
    NAMES
        .iter()
        .find(|(text, name, _)| word.starts_with(text) || word.starts_with(name))
        .map(|(_, _, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesos_types::status::Reason;

    fn status(state: TaskState, message: Option<&str>) -> TaskStatus {
        let mut s = TaskStatus::new("t", state);
        s.message = message.map(str::to_string);
        s
    }

    #[test]
    fn exit_codes_follow_docker_run() {
        assert_eq!(exit_code(&status(TaskState::Finished, None)), 0);
        assert_eq!(
            exit_code(&status(
                TaskState::Failed,
                Some("Container exited with status 3")
            )),
            3
        );
        assert_eq!(
            exit_code(&status(
                TaskState::Killed,
                Some("Container exited with status 143")
            )),
            143
        );
        assert_eq!(
            exit_code(&status(
                TaskState::Failed,
                Some("Container terminated with signal Killed")
            )),
            137
        );
        assert_eq!(
            exit_code(&status(
                TaskState::Failed,
                Some("Container terminated with signal 6")
            )),
            134
        );
        // The executor's end is not the container's.
        assert_eq!(
            exit_code(&status(
                TaskState::Failed,
                Some("Executor terminated (terminated with signal 9) before the task ended")
            )),
            1
        );
        assert_eq!(exit_code(&status(TaskState::Error, Some("bad"))), 125);
        assert_eq!(exit_code(&status(TaskState::Killed, None)), 143);
    }

    #[test]
    fn human_line_shows_reason_health_and_message() {
        let mut s = status(TaskState::Running, Some("healthy now"));
        s.reason = Some(Reason::TaskHealthCheckStatusUpdated);
        s.healthy = Some(true);
        assert_eq!(
            human(&s),
            "TASK_RUNNING reason=REASON_TASK_HEALTH_CHECK_STATUS_UPDATED healthy=true: healthy now"
        );
        let v: serde_json::Value = serde_json::from_str(&json_line(&s)).unwrap();
        assert_eq!(v["state"], "TASK_RUNNING");
        assert_eq!(v["healthy"], true);
        assert_eq!(v["task_id"], "t");
    }
}
