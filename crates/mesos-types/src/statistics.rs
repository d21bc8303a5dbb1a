//! `mesos.ResourceStatistics`: a container's resource usage sample, as the `usage` command
//! and the agent's `/monitor/statistics` report it.

use crate::duration::lenient;
use crate::resources::Range;
use serde::{Deserialize, Serialize};

/// `mesos.ResourceStatistics`, fields in proto declaration order. Every field but
/// `timestamp` is optional; a sampler fills what its cgroup files provide. The nested
/// statistics messages (disk, blkio, perf, network rates, traffic control, SNMP) are kept as
/// raw JSON.
///
/// Units follow the proto: CPU times and limits in seconds and CPUs, memory and disk in
/// bytes, `cpus_throttled_time_secs` in seconds.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ResourceStatistics {
    /// Seconds since the Unix epoch when the sample was taken (required by the proto;
    /// absent decodes as 0).
    #[serde(default, with = "lenient")]
    pub timestamp: f64,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub processes: Option<u32>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub threads: Option<u32>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub cpus_user_time_secs: Option<f64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub cpus_system_time_secs: Option<f64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub cpus_limit: Option<f64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub cpus_soft_limit: Option<f64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub cpus_nr_periods: Option<u32>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub cpus_nr_throttled: Option<u32>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub cpus_throttled_time_secs: Option<f64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub mem_total_bytes: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub mem_total_memsw_bytes: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub mem_kmem_usage_bytes: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub mem_kmem_tcp_usage_bytes: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub mem_limit_bytes: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub mem_soft_limit_bytes: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub mem_file_bytes: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub mem_anon_bytes: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub mem_cache_bytes: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub mem_rss_bytes: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub mem_mapped_file_bytes: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub mem_swap_bytes: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub mem_unevictable_bytes: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub mem_low_pressure_counter: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub mem_medium_pressure_counter: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub mem_critical_pressure_counter: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub disk_limit_bytes: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub disk_used_bytes: Option<u64>,
    /// Kept as raw JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disk_statistics: Vec<serde_json::Value>,
    /// Kept as raw JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blkio_statistics: Option<serde_json::Value>,
    /// Kept as raw JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perf: Option<serde_json::Value>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub net_rx_packets: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub net_rx_bytes: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub net_rx_errors: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub net_rx_dropped: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub net_tx_packets: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub net_tx_bytes: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub net_tx_errors: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub net_tx_dropped: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub net_tx_rate_limit: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub net_tx_burst_rate_limit: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub net_tx_burst_size: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub net_rx_rate_limit: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub net_rx_burst_rate_limit: Option<u64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub net_rx_burst_size: Option<u64>,
    /// Kept as raw JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_rate_statistics: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_ephemeral_ports: Option<Range>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub net_tcp_rtt_microsecs_p50: Option<f64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub net_tcp_rtt_microsecs_p90: Option<f64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub net_tcp_rtt_microsecs_p95: Option<f64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub net_tcp_rtt_microsecs_p99: Option<f64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub net_tcp_active_connections: Option<f64>,
    #[serde(
        default,
        with = "lenient::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub net_tcp_time_wait_connections: Option<f64>,
    /// Kept as raw JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub net_traffic_control_statistics: Vec<serde_json::Value>,
    /// Kept as raw JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_snmp_statistics: Option<serde_json::Value>,
}

impl ResourceStatistics {
    /// An empty sample taken at `timestamp` (seconds since the Unix epoch).
    pub fn at(timestamp: f64) -> Self {
        Self {
            timestamp,
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::from_json_str;

    #[test]
    fn round_trips_and_skips_absent_fields() {
        let mut s = ResourceStatistics::at(1724430000.125);
        s.cpus_limit = Some(1.5);
        s.mem_limit_bytes = Some(268_435_456);
        s.mem_rss_bytes = Some(1024);
        s.processes = Some(2);
        s.cpus_nr_throttled = Some(0);
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(
            text,
            r#"{"timestamp":1724430000.125,"processes":2,"cpus_limit":1.5,"cpus_nr_throttled":0,"mem_limit_bytes":268435456,"mem_rss_bytes":1024}"#
        );
        assert_eq!(from_json_str::<ResourceStatistics>(&text).unwrap(), s);
    }

    #[test]
    fn tolerates_nested_statistics_and_string_numbers() {
        let s: ResourceStatistics = from_json_str(
            r#"{"timestamp":"1700000000","mem_total_bytes":"123","perf":{"timestamp":1.0,"duration":1.0},
                "net_traffic_control_statistics":[{"id":"x"}],"net_ephemeral_ports":{"begin":1,"end":2},"unknown_field":1}"#,
        )
        .unwrap();
        assert_eq!(s.timestamp, 1_700_000_000.0);
        assert_eq!(s.mem_total_bytes, Some(123));
        assert!(s.perf.is_some());
        assert_eq!(s.net_traffic_control_statistics.len(), 1);
        let err = from_json_str::<ResourceStatistics>(r#"{"timestamp":1,"mem_rss_bytes":-5}"#)
            .unwrap_err();
        assert_eq!(err.path, "mem_rss_bytes");
    }
}
