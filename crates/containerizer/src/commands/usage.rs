//! `usage ID`: a running container's ResourceStatistics (JSON), from its cgroups.

use crate::cli::ContainerArgs;
use crate::client::{OperatorClient, CALL_TIMEOUT};
use crate::flags::ContainerizerFlags;
use serde_json::json;

pub async fn usage(_flags: ContainerizerFlags, args: ContainerArgs) -> anyhow::Result<i32> {
    let cid = &args.container_id;
    let client = OperatorClient::new(&args.endpoint.endpoint)?;
    let answer = client
        .call(
            "GET_CONTAINERS",
            json!({ "container_id": cid, "statistics": true }),
            CALL_TIMEOUT,
        )
        .await?;
    let container = &answer["containers"][0];
    if let Some(error) = container["statistics_error"].as_str() {
        anyhow::bail!("{error}");
    }
    let stats = &container["resource_statistics"];
    if stats.is_null() {
        anyhow::bail!(
            "container '{cid}' is not running (it is {})",
            container["state"].as_str().unwrap_or("unknown")
        );
    }
    if args.output.json {
        println!("{stats}");
    } else {
        println!("{}", serde_json::to_string_pretty(stats)?);
    }
    Ok(0)
}
