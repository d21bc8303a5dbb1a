//! `explain TASK.json`: print what `run` would do; create nothing.

pub mod plan;

use crate::cli::ExplainArgs;
use crate::flags::ContainerizerFlags;
use crate::state::paths::WorkDir;
use crate::task::prepare::prepare;
use plan::{explain as explain_task, render};

pub async fn explain(flags: ContainerizerFlags, args: ExplainArgs) -> anyhow::Result<i32> {
    let docker = flags.docker()?;
    let work = WorkDir::new(flags.work_dir());
    // The agent id is read, never created, so that explain leaves nothing behind.
    let agent_id = mesos_types::input::read_input_file(&work.agent_id_file())
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "<agent id>".into());
    let spec = prepare(
        &args.task.task,
        args.task.executor.as_deref(),
        args.task.container_id.as_deref(),
        &agent_id,
    )?;
    let sandbox = work.sandbox(&spec.container_id);
    let explanation = explain_task(&spec, &flags, &docker, &sandbox).await?;
    if args.output.json {
        println!("{}", serde_json::to_string_pretty(&explanation)?);
    } else {
        print!("{}", render(&explanation));
    }
    Ok(0)
}
