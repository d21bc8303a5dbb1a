//! `destroy ID`: kill the container and remove everything of it; idempotent.

use crate::cli::ContainerArgs;
use crate::client::OperatorClient;
use crate::flags::ContainerizerFlags;
use anyhow::Context as _;
use serde_json::json;
use std::time::Duration;

/// Destroy kills without grace, then removes: bounded by the daemon's kill slack.
const DESTROY_TIMEOUT: Duration = Duration::from_secs(120);

pub async fn destroy(_flags: ContainerizerFlags, args: ContainerArgs) -> anyhow::Result<i32> {
    let cid = &args.container_id;
    let client = OperatorClient::new(&args.endpoint.endpoint)?;
    let answer = client
        .call(
            "REMOVE_CONTAINER",
            json!({ "container_id": cid }),
            DESTROY_TIMEOUT,
        )
        .await
        .with_context(|| format!("failed to destroy container {cid}"))?;
    if args.output.json {
        println!("{answer}");
    } else if answer["removed"] == json!(true) {
        println!("{cid}: destroyed");
    } else {
        println!("{cid}: not known (nothing to destroy)");
    }
    Ok(0)
}
