//! `run TASK.json`: launch one task end to end and exit with its exit code.

pub mod foreground;

use crate::cli::RunArgs;
use crate::flags::ContainerizerFlags;
use crate::launch::context::RunContext;
use crate::task::prepare::prepare;
use anyhow::Context as _;
use foreground::{run as run_task, Output};

pub async fn run(flags: ContainerizerFlags, args: RunArgs) -> anyhow::Result<i32> {
    let ctx = RunContext::create(flags).await?;
    let spec = prepare(
        &args.task.task,
        args.task.executor.as_deref(),
        args.task.container_id.as_deref(),
        &ctx.agent_id.value,
    )?;
    eprintln!(
        "container {} (task {}), sandbox {}",
        spec.container_name(),
        spec.task.task_id,
        ctx.work.sandbox(&spec.container_id).display()
    );
    let output = if args.output.json {
        Output::Json
    } else {
        Output::Human
    };
    let cid = spec.container_id.clone();
    run_task(&ctx, spec, output)
        .await
        .with_context(|| format!("container {cid} did not start"))
}
