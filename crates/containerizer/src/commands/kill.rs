//! `kill ID [--grace_period D]`: kill the task gracefully and wait for its end.

use crate::cli::KillArgs;
use crate::client::{OperatorClient, CALL_TIMEOUT};
use crate::flags::ContainerizerFlags;
use anyhow::Context as _;
use serde_json::json;

pub async fn kill(_flags: ContainerizerFlags, args: KillArgs) -> anyhow::Result<i32> {
    let cid = &args.container.container_id;
    let client = OperatorClient::new(&args.container.endpoint.endpoint)?;
    let mut call = json!({ "container_id": cid });
    if let Some(grace) = args.grace_period {
        call["grace_period"] = json!(grace.to_string());
    }
    let answer = client
        .call("KILL_CONTAINER", call, CALL_TIMEOUT)
        .await
        .with_context(|| format!("failed to kill container {cid}"))?;
    let t = if answer["killing"] == json!(true) {
        client.wait(cid, |m| eprintln!("note: {m}")).await?
    } else {
        answer["termination"].clone()
    };
    if args.container.output.json {
        println!(
            "{}",
            json!({ "container_id": cid, "state": t["state"], "reason": t["reason"], "message": t["message"], "exit_code": t["exit_code"] })
        );
    } else {
        let message = t["message"].as_str().unwrap_or("");
        println!("{cid}: {} {message}", t["state"].as_str().unwrap_or("?"));
    }
    Ok(0)
}
