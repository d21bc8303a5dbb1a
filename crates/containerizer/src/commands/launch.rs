//! `launch TASK.json`: ask the daemon to launch; print the container id once the task is
//! TASK_RUNNING, or fail (exit 125) with the reason it ended before.

use crate::cli::LaunchArgs;
use crate::client::{OperatorClient, CALL_TIMEOUT};
use crate::flags::ContainerizerFlags;
use crate::status_line::EXIT_NOT_STARTED;
use crate::task::prepare::prepare;
use anyhow::Context as _;
use mesos_types::status::{TaskState, TaskStatus};
use serde_json::{json, Value};

fn read_json(path: &std::path::Path) -> anyhow::Result<Value> {
    let text = mesos_types::input::read_input_file(path)
        .with_context(|| format!("cannot read '{}'", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("'{}' is not valid JSON", path.display()))
}

pub async fn launch(_flags: ContainerizerFlags, args: LaunchArgs) -> anyhow::Result<i32> {
    // Validated here first, so errors name the file and the JSON path as `run`'s do; the
    // daemon checks again.
    let spec = prepare(
        &args.task.task,
        args.task.executor.as_deref(),
        args.task.container_id.as_deref(),
        "<agent id>",
    )?;
    let mut call = json!({
        "task": read_json(&args.task.task)?,
        "container_id": spec.container_id,
    });
    if let Some(path) = &args.task.executor {
        call["executor"] = read_json(path)?;
    }
    let client = OperatorClient::new(&args.endpoint.endpoint)?;
    let launched = client
        .call("LAUNCH_TASK", call, CALL_TIMEOUT)
        .await
        .context("launch refused")?;
    let cid = launched["container_id"]["value"]
        .as_str()
        .unwrap_or(&spec.container_id)
        .to_string();
    let mut updates = client.updates(&cid).await?;
    while let Some(update) = updates.next().await? {
        let status: TaskStatus = mesos_types::from_json_value(update["status"].clone())
            .map_err(|e| anyhow::anyhow!("bad status update from the daemon: {e}"))?;
        if status.state == TaskState::Running {
            if args.output.json {
                println!(
                    "{}",
                    json!({ "container_id": cid, "task_id": status.task_id.value, "state": "TASK_RUNNING" })
                );
            } else {
                println!("{cid}");
            }
            return Ok(0);
        }
        if status.state.is_terminal() {
            eprintln!(
                "error: container {cid} ended before it ran: {}",
                crate::status_line::human(&status)
            );
            return Ok(EXIT_NOT_STARTED);
        }
    }
    eprintln!("error: container {cid} ended before it ran");
    Ok(EXIT_NOT_STARTED)
}
