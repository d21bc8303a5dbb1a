//! `inspect ID`: everything the daemon knows about a container, as JSON.

use crate::cli::ContainerArgs;
use crate::client::{OperatorClient, CALL_TIMEOUT};
use crate::flags::ContainerizerFlags;
use serde_json::json;

pub async fn inspect(_flags: ContainerizerFlags, args: ContainerArgs) -> anyhow::Result<i32> {
    let client = OperatorClient::new(&args.endpoint.endpoint)?;
    let answer = client
        .call(
            "GET_CONTAINERS",
            json!({ "container_id": args.container_id, "statistics": false }),
            CALL_TIMEOUT,
        )
        .await?;
    let container = answer["containers"].get(0).cloned().unwrap_or_default();
    if args.output.json {
        println!("{container}");
    } else {
        println!("{}", serde_json::to_string_pretty(&container)?);
    }
    Ok(0)
}
