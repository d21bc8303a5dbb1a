//! The containerizer's counters, gauges and latency windows, and their two renderings:
//! Mesos's flat JSON (`/metrics/snapshot`) and the Prometheus text format (`/metrics`).
//!
//! Counting is an atomic add, or a push under a lock held for that push alone: nothing here
//! is held across a launch, a fetch or a pull.
//!
//! Names follow Mesos's agent where it has the metric (`containerizer/fetcher/
//! task_fetches_succeeded`, `containerizer/docker/image_pull_ms`, `gc/path_removals_*`,
//! `slave/executor_directory_max_allowed_age_secs`); a latency is a window of its last
//! [`WINDOW`] samples, shown as Mesos shows a timer: the last value under its own name, and
//! `/count`, `/min`, `/max`, `/p50`, `/p90`, `/p95`, `/p99`, `/p999`, `/p9999` of the window.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// How many samples a latency window keeps.
pub const WINDOW: usize = 1000;

/// The percentiles of a window, as Mesos names them.
const PERCENTILES: &[(&str, f64)] = &[
    ("p50", 0.5),
    ("p90", 0.9),
    ("p95", 0.95),
    ("p99", 0.99),
    ("p999", 0.999),
    ("p9999", 0.9999),
];

/// The last [`WINDOW`] samples of a latency, with the count and sum of all of them.
#[derive(Debug, Default)]
pub struct Window {
    inner: Mutex<WindowInner>,
}

#[derive(Debug, Default)]
struct WindowInner {
    samples: VecDeque<f64>,
    last: f64,
    count: u64,
    sum: f64,
}

impl Window {
    /// Adds one sample.
    pub fn record(&self, value: f64) {
        let mut w = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if w.samples.len() == WINDOW {
            w.samples.pop_front();
        }
        w.samples.push_back(value);
        w.last = value;
        w.count += 1;
        w.sum += value;
    }

    fn summary(&self, name: &'static str, help: &'static str) -> Summary {
        // Copied out under the lock; sorted after it is released.
        let (mut window, last, total_count, total_sum) = {
            let w = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            (
                w.samples.iter().copied().collect::<Vec<f64>>(),
                w.last,
                w.count,
                w.sum,
            )
        };
        window.sort_by(f64::total_cmp);
        Summary {
            name,
            help,
            last,
            total_count,
            total_sum,
            window,
        }
    }
}

/// The value at `p` (0..=1) of `sorted`, linearly interpolated as Mesos computes it.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            if p <= 0.0 {
                return sorted[0];
            }
            if p >= 1.0 {
                return sorted[n - 1];
            }
            let position = p * (n - 1) as f64;
            let index = position.floor() as usize;
            let delta = position - index as f64;
            sorted[index] + (sorted[index + 1] - sorted[index]) * delta
        }
    }
}

fn add(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

fn get(counter: &AtomicU64) -> f64 {
    counter.load(Ordering::Relaxed) as f64
}

/// What the containerizer counts. One per containerizer, shared by its launches.
#[derive(Debug, Default)]
pub struct Metrics {
    launches: AtomicU64,
    launch_failures: AtomicU64,
    fetches_succeeded: AtomicU64,
    fetches_failed: AtomicU64,
    pulls: AtomicU64,
    pull_failures: AtomicU64,
    gc_removals_succeeded: AtomicU64,
    gc_removals_failed: AtomicU64,
    gc_pending: AtomicU64,
    /// The bits of an `f64`: seconds.
    gc_max_age_secs: AtomicU64,
    pull_ms: Window,
    launch_ms: Window,
}

impl Metrics {
    /// A launch was accepted (its lifecycle runs).
    pub fn launched(&self) {
        add(&self.launches);
    }

    /// A launch failed before its task ran (TASK_FAILED with
    /// REASON_CONTAINER_LAUNCH_FAILED).
    pub fn launch_failed(&self) {
        add(&self.launch_failures);
    }

    /// A launch reached TASK_RUNNING `ms` milliseconds after it was accepted.
    pub fn running_after(&self, ms: f64) {
        self.launch_ms.record(ms);
    }

    /// A launch's fetch step ended (with no URIs it succeeds at once, as in Mesos).
    pub fn fetched(&self, ok: bool) {
        add(if ok {
            &self.fetches_succeeded
        } else {
            &self.fetches_failed
        });
    }

    /// A launch's image step ended after `ms` milliseconds: the image was found or pulled
    /// (`ok`), or could not be had.
    pub fn pulled(&self, ms: f64, ok: bool) {
        add(&self.pulls);
        if !ok {
            add(&self.pull_failures);
        }
        self.pull_ms.record(ms);
    }

    /// Garbage collection removed a path (`ok`) or failed to.
    pub fn gc_removed(&self, ok: bool) {
        add(if ok {
            &self.gc_removals_succeeded
        } else {
            &self.gc_removals_failed
        });
    }

    /// Garbage collection's last look: paths scheduled, and the age beyond which the
    /// sandboxes of ended containers are removed.
    pub fn gc_state(&self, pending: u64, max_age_secs: f64) {
        self.gc_pending.store(pending, Ordering::Relaxed);
        self.gc_max_age_secs
            .store(max_age_secs.to_bits(), Ordering::Relaxed);
    }

    /// Every metric now; `running` is the number of containers that have not ended.
    pub fn snapshot(&self, running: usize) -> Snapshot {
        use Kind::{Counter, Gauge};
        let values = vec![
            Value {
                name: "containerizer/launches",
                kind: Counter,
                help: "Containers launched: launch requests accepted.",
                value: get(&self.launches),
            },
            Value {
                name: "containerizer/launch_failures",
                kind: Counter,
                help: "Launches that failed before the task ran (TASK_FAILED with REASON_CONTAINER_LAUNCH_FAILED).",
                value: get(&self.launch_failures),
            },
            Value {
                name: "containerizer/running",
                kind: Gauge,
                help: "Containers that have not ended.",
                value: running as f64,
            },
            Value {
                name: "containerizer/fetcher/task_fetches_succeeded",
                kind: Counter,
                help: "Fetch steps of launches that succeeded (a task without URIs counts).",
                value: get(&self.fetches_succeeded),
            },
            Value {
                name: "containerizer/fetcher/task_fetches_failed",
                kind: Counter,
                help: "Fetch steps of launches that failed.",
                value: get(&self.fetches_failed),
            },
            Value {
                name: "containerizer/docker/pulls",
                kind: Counter,
                help: "Image steps of launches: the image was looked up and pulled when missing (or always, with force_pull_image).",
                value: get(&self.pulls),
            },
            Value {
                name: "containerizer/docker/pull_failures",
                kind: Counter,
                help: "Image steps of launches that failed.",
                value: get(&self.pull_failures),
            },
            Value {
                name: "gc/path_removals_succeeded",
                kind: Counter,
                help: "Sandboxes and checkpoint directories of ended containers removed by garbage collection.",
                value: get(&self.gc_removals_succeeded),
            },
            Value {
                name: "gc/path_removals_failed",
                kind: Counter,
                help: "Paths garbage collection failed to remove.",
                value: get(&self.gc_removals_failed),
            },
            Value {
                name: "gc/path_removals_pending",
                kind: Gauge,
                help: "Paths of ended containers waiting for garbage collection.",
                value: get(&self.gc_pending),
            },
            Value {
                name: "slave/executor_directory_max_allowed_age_secs",
                kind: Gauge,
                help: "Age beyond which the sandbox of an ended container is removed: gc_delay * max(0, 1 - gc_disk_headroom - disk usage).",
                value: f64::from_bits(self.gc_max_age_secs.load(Ordering::Relaxed)),
            },
        ];
        let summaries = vec![
            self.pull_ms.summary(
                "containerizer/docker/image_pull_ms",
                "Milliseconds an image step took (lookup, and pull when needed).",
            ),
            self.launch_ms.summary(
                "containerizer/launch_ms",
                "Milliseconds from a launch request to its TASK_RUNNING.",
            ),
        ];
        Snapshot { values, summaries }
    }
}

/// What kind of number a metric is, for Prometheus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
}

/// One counter or gauge.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub name: &'static str,
    pub kind: Kind,
    pub help: &'static str,
    pub value: f64,
}

/// One latency window.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub name: &'static str,
    pub help: &'static str,
    /// The latest sample.
    pub last: f64,
    /// Samples and their sum since the start.
    pub total_count: u64,
    pub total_sum: f64,
    /// The window, sorted.
    pub window: Vec<f64>,
}

/// Every metric at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub values: Vec<Value>,
    pub summaries: Vec<Summary>,
}

impl Snapshot {
    /// Mesos's `/metrics/snapshot`: one flat object, keys sorted, every value a number. A
    /// window with no sample yet is left out, as Mesos leaves out a timer never used.
    pub fn to_json(&self) -> serde_json::Value {
        let mut out: BTreeMap<String, serde_json::Value> = BTreeMap::new();
        for v in &self.values {
            out.insert(v.name.to_string(), number(v.value));
        }
        for s in &self.summaries {
            if s.window.is_empty() {
                continue;
            }
            out.insert(s.name.to_string(), number(s.last));
            out.insert(format!("{}/count", s.name), number(s.window.len() as f64));
            out.insert(format!("{}/min", s.name), number(s.window[0]));
            out.insert(
                format!("{}/max", s.name),
                number(s.window[s.window.len() - 1]),
            );
            for (label, p) in PERCENTILES {
                out.insert(
                    format!("{}/{label}", s.name),
                    number(percentile(&s.window, *p)),
                );
            }
        }
        serde_json::Value::Object(out.into_iter().collect())
    }

    /// The Prometheus text format (0.0.4): each name prefixed `mesos_docker_` with `/` as
    /// `_`, with `# HELP` and `# TYPE`; a window is a summary (quantiles of the window,
    /// `_sum` and `_count` since the start).
    pub fn to_prometheus(&self) -> String {
        let mut out = String::new();
        let mut values: Vec<&Value> = self.values.iter().collect();
        values.sort_by_key(|v| v.name);
        for v in values {
            let name = prometheus_name(v.name);
            let kind = match v.kind {
                Kind::Counter => "counter",
                Kind::Gauge => "gauge",
            };
            let _ = writeln!(out, "# HELP {name} {}", escape_help(v.help));
            let _ = writeln!(out, "# TYPE {name} {kind}");
            let _ = writeln!(out, "{name} {}", prometheus_number(v.value));
        }
        for s in &self.summaries {
            let name = prometheus_name(s.name);
            let _ = writeln!(out, "# HELP {name} {}", escape_help(s.help));
            let _ = writeln!(out, "# TYPE {name} summary");
            if !s.window.is_empty() {
                for q in [0.5, 0.9, 0.99] {
                    let _ = writeln!(
                        out,
                        "{name}{{quantile=\"{q}\"}} {}",
                        prometheus_number(percentile(&s.window, q))
                    );
                }
            }
            let _ = writeln!(out, "{name}_sum {}", prometheus_number(s.total_sum));
            let _ = writeln!(out, "{name}_count {}", s.total_count);
        }
        out
    }
}

fn number(v: f64) -> serde_json::Value {
    serde_json::Number::from_f64(v)
        .map(serde_json::Value::Number)
        .unwrap_or(serde_json::Value::Null)
}

/// `containerizer/docker/pulls` → `mesos_docker_containerizer_docker_pulls`.
pub fn prometheus_name(name: &str) -> String {
    let mut out = String::from("mesos_docker_");
    out.extend(name.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '_' {
            c
        } else {
            '_'
        }
    }));
    out
}

fn prometheus_number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_as_mesos_does() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 5.5);
        assert!((percentile(&v, 0.9) - 9.1).abs() < 1e-9);
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&v, 1.0), 10.0);
        assert_eq!(percentile(&[7.0], 0.99), 7.0);
        assert!(percentile(&[], 0.5).is_nan());
    }

    #[test]
    fn a_window_keeps_the_last_thousand() {
        let w = Window::default();
        for i in 0..2500 {
            w.record(f64::from(i));
        }
        let s = w.summary("x", "h");
        assert_eq!(s.window.len(), WINDOW);
        assert_eq!(s.window[0], 1500.0);
        assert_eq!(s.last, 2499.0);
        assert_eq!(s.total_count, 2500);
    }

    #[test]
    fn json_is_flat_and_named_as_mesos_names_it() {
        let m = Metrics::default();
        m.launched();
        m.launched();
        m.launch_failed();
        m.fetched(true);
        m.fetched(false);
        m.pulled(100.0, true);
        m.pulled(300.0, false);
        m.gc_state(4, 60.0);
        let j = m.snapshot(1).to_json();
        assert_eq!(j["containerizer/launches"], 2.0);
        assert_eq!(j["containerizer/launch_failures"], 1.0);
        assert_eq!(j["containerizer/running"], 1.0);
        assert_eq!(j["containerizer/fetcher/task_fetches_succeeded"], 1.0);
        assert_eq!(j["containerizer/fetcher/task_fetches_failed"], 1.0);
        assert_eq!(j["containerizer/docker/pulls"], 2.0);
        assert_eq!(j["containerizer/docker/pull_failures"], 1.0);
        assert_eq!(j["containerizer/docker/image_pull_ms"], 300.0);
        assert_eq!(j["containerizer/docker/image_pull_ms/count"], 2.0);
        assert_eq!(j["containerizer/docker/image_pull_ms/p50"], 200.0);
        assert_eq!(j["containerizer/docker/image_pull_ms/max"], 300.0);
        assert_eq!(j["gc/path_removals_pending"], 4.0);
        assert_eq!(j["slave/executor_directory_max_allowed_age_secs"], 60.0);
        // No launch reached TASK_RUNNING: its window is left out.
        assert!(j.get("containerizer/launch_ms").is_none());
        let keys: Vec<&String> = j.as_object().unwrap().keys().collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }

    #[test]
    fn prometheus_has_help_type_and_prefixed_names() {
        let m = Metrics::default();
        m.launched();
        m.running_after(250.0);
        let text = m.snapshot(3).to_prometheus();
        assert!(text.contains("# TYPE mesos_docker_containerizer_launches counter\nmesos_docker_containerizer_launches 1\n"), "{text}");
        assert!(text.contains("# TYPE mesos_docker_containerizer_running gauge\nmesos_docker_containerizer_running 3\n"), "{text}");
        assert!(text.contains("# HELP mesos_docker_containerizer_fetcher_task_fetches_failed "));
        assert!(text.contains("mesos_docker_containerizer_launch_ms{quantile=\"0.99\"} 250\n"));
        assert!(text.contains("mesos_docker_containerizer_launch_ms_count 1\n"));
        // A window with no sample still says it exists.
        assert!(text.contains("mesos_docker_containerizer_docker_image_pull_ms_count 0\n"));
        assert!(!text.contains("image_pull_ms{quantile"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split([' ', '{']).next().unwrap();
            assert!(name.starts_with("mesos_docker_"), "{line}");
            assert!(
                name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{line}"
            );
        }
    }
}
