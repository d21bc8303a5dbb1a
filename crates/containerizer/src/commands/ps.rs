//! `ps [--all] [--json]`: the containers the daemon manages.

use crate::cli::PsArgs;
use crate::client::{OperatorClient, CALL_TIMEOUT};
use crate::flags::ContainerizerFlags;
use serde_json::{json, Value};

fn age(since: f64) -> String {
    let secs = (crate::state::record::now() - since).max(0.0) as u64;
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

pub async fn ps(_flags: ContainerizerFlags, args: PsArgs) -> anyhow::Result<i32> {
    let client = OperatorClient::new(&args.endpoint.endpoint)?;
    let answer = client
        .call(
            "GET_CONTAINERS",
            json!({ "show_terminated": args.all, "statistics": false }),
            CALL_TIMEOUT,
        )
        .await?;
    let empty = Vec::new();
    let containers = answer["containers"].as_array().unwrap_or(&empty);
    if args.output.json {
        println!("{}", Value::Array(containers.clone()));
        return Ok(0);
    }
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    let rows: Vec<[String; 6]> = containers
        .iter()
        .map(|c| {
            [
                s(&c["container_id"]["value"]),
                s(&c["task_id"]["value"]),
                s(&c["task_state"]),
                s(&c["state"]),
                age(c["launched_at"].as_f64().unwrap_or(0.0)),
                s(&c["image"]),
            ]
        })
        .collect();
    let header = ["CONTAINER ID", "TASK", "STATE", "CONTAINER", "AGE", "IMAGE"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let print = |cells: [&str; 6]| {
        let line: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    };
    print(header);
    for row in &rows {
        print([&row[0], &row[1], &row[2], &row[3], &row[4], &row[5]]);
    }
    Ok(0)
}
