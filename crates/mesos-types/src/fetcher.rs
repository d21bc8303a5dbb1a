//! `mesos.fetcher.FetcherInfo`: what the agent hands `mesos-fetcher` in the
//! `MESOS_FETCHER_INFO` environment variable (docs/fetcher.md).
//!
//! Decoding is as lenient as stout's protobuf JSON parser, which a drop-in must match:
//! unknown keys are ignored, `null` means unset, and a string is accepted where a number or a
//! bool is expected (`"true"`, `"123"`). Enums must be name strings. Encoding writes the keys
//! of every object in alphabetical order, as the agent does.
//!
//! The URI and duration messages are the shared ones from [`crate::task`] and
//! [`crate::duration`].

use serde::{Deserialize, Deserializer, Serialize};

/// `mesos.fetcher.FetcherInfo`. Fields are declared in alphabetical order so that the JSON we
/// write has the key order a Mesos agent writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetcherInfo {
    /// `<fetcher_cache_dir>/<user>` or `<fetcher_cache_dir>`; the agent always sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_directory: Option<String>,
    /// `--frameworks_home`, against which relative paths are resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frameworks_home: Option<String>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub items: Vec<FetcherItem>,
    /// The container sandbox: an absolute host path, never empty.
    pub sandbox_directory: String,
    /// `--fetcher_stall_timeout`; a missing value means no stall limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall_timeout: Option<FetcherDuration>,
    /// The user the fetch runs as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

impl FetcherInfo {
    /// The one-line JSON the agent puts in `MESOS_FETCHER_INFO`: keys sorted at every level,
    /// as the agent's JSON writer does. (serde_json's `Value` map is ordered by key.)
    pub fn to_agent_json(&self) -> String {
        serde_json::to_value(self)
            .and_then(|v| serde_json::to_string(&v))
            .expect("FetcherInfo has only string keys and finite numbers")
    }

    /// A request with no items, no cache and no user.
    pub fn new(sandbox_directory: impl Into<String>) -> Self {
        Self {
            cache_directory: None,
            frameworks_home: None,
            items: Vec::new(),
            sandbox_directory: sandbox_directory.into(),
            stall_timeout: None,
            user: None,
        }
    }
}

/// `mesos.fetcher.FetcherInfo.Item`: one URI and what to do with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetcherItem {
    pub action: FetchAction,
    /// A bare file name inside `cache_directory`; set for the two cache actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_filename: Option<String>,
    pub uri: FetcherUri,
}

/// `mesos.fetcher.FetcherInfo.Item.Action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FetchAction {
    /// Fetch straight into the sandbox.
    #[serde(rename = "BYPASS_CACHE")]
    BypassCache,
    /// Download into the cache file (unless it exists), then retrieve it from there.
    #[serde(rename = "DOWNLOAD_AND_CACHE")]
    DownloadAndCache,
    /// The cache file is there: copy (or link, or extract) it into the sandbox.
    #[serde(rename = "RETRIEVE_FROM_CACHE")]
    RetrieveFromCache,
}

impl FetchAction {
    /// The proto enum name, as written in the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            FetchAction::BypassCache => "BYPASS_CACHE",
            FetchAction::DownloadAndCache => "DOWNLOAD_AND_CACHE",
            FetchAction::RetrieveFromCache => "RETRIEVE_FROM_CACHE",
        }
    }
}

/// The URI of an item: `mesos.CommandInfo.URI` with our optional `checksum`.
pub type FetcherUri = crate::task::Uri;

/// `stall_timeout` is a `mesos.DurationInfo`.
pub type FetcherDuration = crate::duration::DurationInfo;

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::from_json_str;

    const AGENT_JSON: &str = r#"{"cache_directory":"/tmp/mesos/fetch/nobody","frameworks_home":"/opt/fw","items":[{"action":"BYPASS_CACHE","uri":{"executable":true,"extract":true,"value":"http://h/bin/run.sh"}},{"action":"DOWNLOAD_AND_CACHE","cache_filename":"c7-spark-3.5._adoop3.tgz","uri":{"cache":true,"extract":true,"value":"https://d/spark.tgz"}},{"action":"RETRIEVE_FROM_CACHE","cache_filename":"c3-app.conf","uri":{"cache":true,"extract":false,"output_file":"conf/app.conf","value":"/srv/config/app.conf"}}],"sandbox_directory":"/var/lib/mesos/s","stall_timeout":{"nanoseconds":60000000000},"user":"nobody"}"#;

    #[test]
    fn agent_json_decodes_and_re_encodes_byte_for_byte() {
        let info: FetcherInfo = from_json_str(AGENT_JSON).unwrap();
        assert_eq!(info.items.len(), 3);
        assert_eq!(info.items[1].action, FetchAction::DownloadAndCache);
        assert_eq!(
            info.items[2].uri.output_file.as_deref(),
            Some("conf/app.conf")
        );
        assert!(!info.items[2].uri.extract());
        assert_eq!(
            info.stall_timeout.unwrap().to_std(),
            std::time::Duration::from_secs(60)
        );
        assert_eq!(info.to_agent_json(), AGENT_JSON);
    }

    #[test]
    fn stout_leniency_is_matched() {
        let json = r#"{"sandbox_directory":"\/s","items":[{"action":"BYPASS_CACHE","uri":{"value":"x","executable":"true","extract":null,"unknown":1}}],"stall_timeout":{"nanoseconds":"5"},"user":null,"extra":[1]}"#;
        let info: FetcherInfo = from_json_str(json).unwrap();
        assert_eq!(info.sandbox_directory, "/s");
        assert!(info.items[0].uri.executable());
        assert!(info.items[0].uri.extract(), "extract defaults to true");
        assert_eq!(info.stall_timeout.unwrap().nanoseconds, 5);
        assert_eq!(info.user, None);
    }

    #[test]
    fn enum_numbers_unknown_names_and_missing_required_fields_are_errors() {
        let numeric = r#"{"sandbox_directory":"/s","items":[{"action":0,"uri":{"value":"x"}}]}"#;
        assert_eq!(
            from_json_str::<FetcherInfo>(numeric).unwrap_err().path,
            "items[0].action"
        );
        let unknown =
            r#"{"sandbox_directory":"/s","items":[{"action":"MAYBE","uri":{"value":"x"}}]}"#;
        assert!(from_json_str::<FetcherInfo>(unknown).is_err());
        let no_value = r#"{"sandbox_directory":"/s","items":[{"action":"BYPASS_CACHE","uri":{}}]}"#;
        assert!(from_json_str::<FetcherInfo>(no_value).is_err());
        assert!(from_json_str::<FetcherInfo>(r#"{"items":[]}"#).is_err());
        let bad_bool = r#"{"sandbox_directory":"/s","items":[{"action":"BYPASS_CACHE","uri":{"value":"x","extract":"yes"}}]}"#;
        assert!(from_json_str::<FetcherInfo>(bad_bool).is_err());
    }

    #[test]
    fn checksum_rides_next_to_the_mesos_fields() {
        let json = r#"{"sandbox_directory":"/s","items":[{"action":"BYPASS_CACHE","uri":{"value":"x","checksum":"sha256:ab"}}]}"#;
        let info: FetcherInfo = from_json_str(json).unwrap();
        assert_eq!(info.items[0].uri.checksum.as_deref(), Some("sha256:ab"));
    }
}
