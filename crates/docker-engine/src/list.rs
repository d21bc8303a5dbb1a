//! `GET /containers/json`: the containers `docker ps -a` lists, with its filters, then each
//! one inspected; one process-free request per container instead of a `docker ps` and a
//! `docker inspect` process.

use crate::http::{bounded, call, error_message, segment};
use crate::Engine;
use docker_cli::{Container, DockerError, PsEntry, PsFilter};
use hyper::Method;

impl Engine {
    /// The containers matching `filter`, as [`docker_cli::Docker::ps`] lists them: names
    /// without `/`, only those starting with the prefix (checked exactly here; the
    /// daemon's name filter is an unanchored regular expression), and every label
    /// condition applied by the daemon. Bounded by [`docker_cli::Timeouts::ps`].
    pub async fn ps(&self, filter: &PsFilter) -> Result<Vec<PsEntry>, DockerError> {
        let op = "list containers".to_string();
        let path = format!(
            "/containers/json?all={}&filters={}",
            u8::from(filter.all),
            segment(&filters(filter).to_string())
        );
        let (status, body) = bounded(
            &op,
            self.timeouts.ps,
            call(&self.socket, Method::GET, &path, None, &op),
        )
        .await?;
        if status != 200 {
            return Err(DockerError::Api {
                op,
                status,
                message: error_message(&body),
            });
        }
        parse_list(&body, filter)
    }

    /// [`Engine::ps`], then each container inspected, in list order. A container removed
    /// in between is left out.
    pub async fn ps_inspect(&self, filter: &PsFilter) -> Result<Vec<Container>, DockerError> {
        let mut containers = Vec::new();
        for entry in self.ps(filter).await? {
            match self.inspect_container(&entry.id).await {
                Ok(c) => containers.push(c),
                Err(e) if e.is_not_found() => {
                    tracing::debug!(name = %entry.name, "container vanished before inspect")
                }
                Err(e) => return Err(e),
            }
        }
        Ok(containers)
    }
}

/// The daemon's `filters` object for `filter`.
fn filters(filter: &PsFilter) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    if let Some(prefix) = &filter.name_prefix {
        // Only a prefix without regular expression syntax narrows the list on the daemon
        // side; the exact test is ours.
        if prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            map.insert("name".into(), serde_json::json!([prefix]));
        }
    }
    let labels: Vec<String> = filter
        .labels
        .iter()
        .map(|(key, value)| match value {
            Some(value) => format!("{key}={value}"),
            None => key.clone(),
        })
        .collect();
    if !labels.is_empty() {
        map.insert("label".into(), serde_json::json!(labels));
    }
    serde_json::Value::Object(map)
}

fn parse_list(body: &[u8], filter: &PsFilter) -> Result<Vec<PsEntry>, DockerError> {
    let items: Vec<serde_json::Value> = serde_json::from_slice(body)
        .map_err(|e| DockerError::parse("ps", format!("not a JSON array: {e}")))?;
    let mut entries = Vec::with_capacity(items.len());
    for item in items {
        let id = item
            .get("Id")
            .and_then(|v| v.as_str())
            .ok_or_else(|| DockerError::parse("ps", format!("a container without Id: {item}")))?;
        // A container linked from others lists `/other/alias` names too; its own name is
        // the one with no `/` past the first.
        let name = item
            .get("Names")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
            .filter_map(|n| n.as_str())
            .map(|n| n.trim_start_matches('/'))
            .find(|n| !n.contains('/'))
            .unwrap_or_default();
        if let Some(prefix) = &filter.name_prefix {
            if !name.starts_with(prefix.as_str()) {
                continue;
            }
        }
        entries.push(PsEntry {
            id: id.to_string(),
            name: name.to_string(),
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filters_are_dockers_own() {
        let f = PsFilter::all_with_prefix("mesos-").label("mesos.agent_id", "a1");
        assert_eq!(
            filters(&f),
            serde_json::json!({"name": ["mesos-"], "label": ["mesos.agent_id=a1"]})
        );
        // A prefix with regular expression syntax is only checked here.
        let f = PsFilter::all_with_prefix("a.b");
        assert_eq!(filters(&f), serde_json::json!({}));
    }

    #[test]
    fn names_are_exact_prefixes_and_links_are_not_names() {
        let body = br#"[
            {"Id": "1", "Names": ["/other/alias", "/mesos-c1"]},
            {"Id": "2", "Names": ["/xmesos-c2"]},
            {"Id": "3", "Names": ["/mesos-c3.executor"]}
        ]"#;
        let entries = parse_list(body, &PsFilter::all_with_prefix("mesos-")).unwrap();
        assert_eq!(
            entries,
            [
                PsEntry {
                    id: "1".into(),
                    name: "mesos-c1".into()
                },
                PsEntry {
                    id: "3".into(),
                    name: "mesos-c3.executor".into()
                }
            ]
        );
        assert!(parse_list(b"{}", &PsFilter::default()).is_err());
    }
}
