//! `wait ID`: block until the container ends; print its termination JSON; exit with its exit
//! code (as `run`).

use crate::cli::WaitArgs;
use crate::client::OperatorClient;
use crate::flags::ContainerizerFlags;
use serde_json::json;

pub async fn wait(_flags: ContainerizerFlags, args: WaitArgs) -> anyhow::Result<i32> {
    let args = args.container;
    let client = OperatorClient::new(&args.endpoint.endpoint)?;
    let t = client
        .wait(&args.container_id, |m| eprintln!("note: {m}"))
        .await?;
    let termination = json!({
        "container_id": args.container_id,
        "state": t["state"],
        "reason": t["reason"],
        "message": t["message"],
        "exit_code": t["exit_code"],
    });
    println!("{termination}");
    Ok(t["exit_code"].as_i64().unwrap_or(1) as i32)
}
