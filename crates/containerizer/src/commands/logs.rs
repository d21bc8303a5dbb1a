//! `logs ID [--stderr] [--follow]`: print the sandbox stdout (or stderr) file, read through
//! the daemon's files API (`/files/read` of `/sandboxes/<ID>/stdout` by offset), so it works
//! against a daemon on another host too and each poll costs what it reads.

use crate::cli::LogsArgs;
use crate::client::{OperatorClient, CALL_TIMEOUT};
use crate::flags::ContainerizerFlags;
use serde_json::json;
use std::io::Write;
use std::time::Duration;

/// How often `--follow` looks for more output.
const FOLLOW_INTERVAL: Duration = Duration::from_millis(200);
/// How often `--follow` asks whether the container has ended.
const END_CHECK_INTERVAL: Duration = Duration::from_secs(1);

async fn ended(client: &OperatorClient, cid: &str) -> anyhow::Result<bool> {
    let answer = client
        .call(
            "GET_CONTAINERS",
            json!({ "container_id": cid, "statistics": false }),
            CALL_TIMEOUT,
        )
        .await?;
    Ok(answer["containers"][0]["termination"].is_object())
}

/// Prints everything from `offset` to the current end of the file; returns the new offset.
/// A file now shorter than `offset` (truncated, or rotated by the task) starts over.
async fn copy_new(client: &OperatorClient, path: &str, mut offset: u64) -> anyhow::Result<u64> {
    loop {
        let (data, _) = client.read_file(path, Some(offset)).await?;
        if data.is_empty() {
            let (_, size) = client.read_file(path, None).await?;
            if size < offset {
                offset = 0;
                continue;
            }
            return Ok(offset);
        }
        let mut out = std::io::stdout().lock();
        out.write_all(&data)?;
        out.flush()?;
        offset += data.len() as u64;
    }
}

pub async fn logs(_flags: ContainerizerFlags, args: LogsArgs) -> anyhow::Result<i32> {
    let cid = &args.container_id;
    crate::task::validate::container_id(cid)
        .map_err(|p| anyhow::anyhow!("{}: {}", p.problem, p.hint))?;
    let client = OperatorClient::new(&args.endpoint.endpoint)?;
    // Whether it ended, asked first: what is read after that is all there will be.
    let mut done = ended(&client, cid).await?;
    let path = format!(
        "/sandboxes/{cid}/{}",
        if args.stderr { "stderr" } else { "stdout" }
    );
    let mut offset = copy_new(&client, &path, 0).await?;
    if !args.follow {
        return Ok(0);
    }
    let mut checked = tokio::time::Instant::now();
    while !done {
        tokio::time::sleep(FOLLOW_INTERVAL).await;
        if checked.elapsed() >= END_CHECK_INTERVAL {
            checked = tokio::time::Instant::now();
            done = ended(&client, cid).await?;
        }
        offset = copy_new(&client, &path, offset).await?;
    }
    Ok(0)
}
