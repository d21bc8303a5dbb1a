//! `logs ID [--stderr] [--follow]`: print the sandbox stdout (or stderr) file, read directly
//! from the sandbox path the daemon reports.

use crate::cli::LogsArgs;
use crate::client::{OperatorClient, CALL_TIMEOUT};
use crate::flags::ContainerizerFlags;
use anyhow::Context as _;
use serde_json::{json, Value};
use std::io::{Read, Seek, SeekFrom, Write};
use std::time::Duration;

/// How often `--follow` looks for more output.
const FOLLOW_INTERVAL: Duration = Duration::from_millis(200);

async fn container(client: &OperatorClient, cid: &str) -> anyhow::Result<Value> {
    let answer = client
        .call(
            "GET_CONTAINERS",
            json!({ "container_id": cid, "statistics": false }),
            CALL_TIMEOUT,
        )
        .await?;
    Ok(answer["containers"][0].clone())
}

/// Copies what was appended to `file` since `offset` to stdout; returns the new offset.
fn copy_new(file: &mut std::fs::File, offset: u64) -> anyhow::Result<u64> {
    let len = file.metadata()?.len();
    // A rotated or truncated file starts over.
    let from = if len < offset { 0 } else { offset };
    file.seek(SeekFrom::Start(from))?;
    let mut buf = Vec::new();
    file.read_to_end(&mut buf)?;
    let mut out = std::io::stdout().lock();
    out.write_all(&buf)?;
    out.flush()?;
    Ok(from + buf.len() as u64)
}

pub async fn logs(_flags: ContainerizerFlags, args: LogsArgs) -> anyhow::Result<i32> {
    let cid = &args.container_id;
    let client = OperatorClient::new(&args.endpoint.endpoint)?;
    let info = container(&client, cid).await?;
    let sandbox = info["sandbox"]
        .as_str()
        .with_context(|| format!("the daemon reports no sandbox for container {cid}"))?;
    let path = std::path::Path::new(sandbox).join(if args.stderr { "stderr" } else { "stdout" });
    let mut file =
        std::fs::File::open(&path).with_context(|| format!("cannot open '{}'", path.display()))?;
    let mut offset = copy_new(&mut file, 0)?;
    if !args.follow {
        return Ok(0);
    }
    let mut ended = info["termination"].is_object();
    let mut checked = tokio::time::Instant::now();
    loop {
        if ended {
            // Whatever was written before the end.
            copy_new(&mut file, offset)?;
            return Ok(0);
        }
        tokio::time::sleep(FOLLOW_INTERVAL).await;
        offset = copy_new(&mut file, offset)?;
        if checked.elapsed() >= Duration::from_secs(1) {
            checked = tokio::time::Instant::now();
            ended = container(&client, cid).await?["termination"].is_object();
        }
    }
}
