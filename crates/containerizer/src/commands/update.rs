//! `update ID --cpus N --mem MB`: change a running container's limits.

use crate::cli::UpdateArgs;
use crate::client::{OperatorClient, CALL_TIMEOUT};
use crate::flags::ContainerizerFlags;
use anyhow::Context as _;
use serde_json::json;

pub async fn update(_flags: ContainerizerFlags, args: UpdateArgs) -> anyhow::Result<i32> {
    let cid = &args.container.container_id;
    if args.cpus.is_none() && args.mem.is_none() {
        anyhow::bail!("give --cpus, --mem or both");
    }
    let client = OperatorClient::new(&args.container.endpoint.endpoint)?;
    let mut call = json!({ "container_id": cid });
    if let Some(cpus) = args.cpus {
        call["cpus"] = json!(cpus);
    }
    if let Some(mem) = args.mem {
        call["mem"] = json!(mem);
    }
    let answer = client
        .call("UPDATE_CONTAINER", call, CALL_TIMEOUT)
        .await
        .with_context(|| format!("failed to update container {cid}"))?;
    if args.container.output.json {
        println!("{answer}");
        return Ok(0);
    }
    let cpus = answer["cpus"]
        .as_f64()
        .map(|c| format!("{c}"))
        .unwrap_or("-".into());
    let mem = answer["mem_limit_bytes"]
        .as_u64()
        .map(|b| format!("{} MB", b >> 20))
        .unwrap_or("-".into());
    println!("{cid}: cpus {cpus}, memory limit {mem}");
    for note in answer["notes"].as_array().into_iter().flatten() {
        eprintln!("note: {}", note.as_str().unwrap_or(""));
    }
    Ok(0)
}
