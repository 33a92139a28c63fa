//! The metrics a run reports, defined once for the text reports, the JSON and the comparison.

use crate::scenario::RunResult;

/// Which direction is an improvement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// More is better (throughput, efficiency).
    Higher,
    /// Less is better (CPU, memory, latency).
    Lower,
}

/// How a value is printed.
#[derive(Debug, Clone, Copy)]
pub enum Format {
    /// A rate with a k/M suffix.
    Rate,
    /// Fixed decimals.
    Fixed(usize),
}

/// One metric: name, meaning and how to get it from a [`RunResult`].
pub struct Metric {
    /// Key in the JSON output.
    pub key: &'static str,
    /// Label in the text reports.
    pub label: &'static str,
    /// Which direction is better.
    pub better: Better,
    /// How to print it.
    pub format: Format,
    /// The value, or `None` where it does not apply (no subscribers, no server pid, ...).
    pub get: fn(&RunResult) -> Option<f64>,
}

/// Every metric, in report order.
pub static METRICS: &[Metric] = &[
    Metric {
        key: "published_msgs_per_sec",
        label: "published msgs/s",
        better: Better::Higher,
        format: Format::Rate,
        get: |r| Some(r.publish_rate()),
    },
    Metric {
        key: "delivered_msgs_per_sec",
        label: "delivered msgs/s",
        better: Better::Higher,
        format: Format::Rate,
        get: |r| (r.delivered > 0).then(|| r.deliver_rate()),
    },
    Metric {
        key: "requests_per_sec",
        label: "requests/s",
        better: Better::Higher,
        format: Format::Rate,
        get: RunResult::request_rate,
    },
    Metric {
        key: "published_mib_per_sec",
        label: "published MiB/s (payload)",
        better: Better::Higher,
        format: Format::Fixed(1),
        get: |r| Some(r.publish_mib_rate()),
    },
    Metric {
        key: "delivered_mib_per_sec",
        label: "delivered MiB/s (payload)",
        better: Better::Higher,
        format: Format::Fixed(1),
        get: |r| (r.delivered > 0).then(|| r.deliver_mib_rate()),
    },
    Metric {
        key: "server_cpu_secs",
        label: "server CPU seconds",
        better: Better::Lower,
        format: Format::Fixed(2),
        get: |r| r.server_cpu_secs,
    },
    Metric {
        key: "msgs_per_server_cpu_sec",
        label: "msgs per server CPU-second",
        better: Better::Higher,
        format: Format::Rate,
        get: RunResult::msgs_per_server_cpu_sec,
    },
    Metric {
        key: "server_peak_rss_kib",
        label: "server peak RSS KiB",
        better: Better::Lower,
        format: Format::Fixed(0),
        get: |r| r.server_peak_rss_kib.map(|k| k as f64),
    },
    Metric {
        key: "p50_us",
        label: "latency p50 µs",
        better: Better::Lower,
        format: Format::Fixed(1),
        get: |r| r.latency.map(|l| l.p50_us),
    },
    Metric {
        key: "p90_us",
        label: "latency p90 µs",
        better: Better::Lower,
        format: Format::Fixed(1),
        get: |r| r.latency.map(|l| l.p90_us),
    },
    Metric {
        key: "p99_us",
        label: "latency p99 µs",
        better: Better::Lower,
        format: Format::Fixed(1),
        get: |r| r.latency.map(|l| l.p99_us),
    },
    Metric {
        key: "p999_us",
        label: "latency p99.9 µs",
        better: Better::Lower,
        format: Format::Fixed(1),
        get: |r| r.latency.map(|l| l.p999_us),
    },
    Metric {
        key: "client_cpu_secs",
        label: "bench client CPU seconds",
        better: Better::Lower,
        format: Format::Fixed(2),
        get: |r| Some(r.client_cpu_secs),
    },
];

impl Metric {
    /// The value as text.
    pub fn show(&self, value: f64) -> String {
        match self.format {
            Format::Rate => rate(value),
            Format::Fixed(decimals) => format!("{value:.decimals$}"),
        }
    }
}

/// A rate with a k/M suffix and three significant figures or so.
pub fn rate(value: f64) -> String {
    let abs = value.abs();
    if abs >= 1e6 {
        format!("{:.2}M", value / 1e6)
    } else if abs >= 1e4 {
        format!("{:.1}k", value / 1e3)
    } else {
        format!("{value:.0}")
    }
}

/// Looks a metric up by its JSON key.
pub fn by_key(key: &str) -> Option<&'static Metric> {
    METRICS.iter().find(|m| m.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        assert_eq!(rate(4_123_456.0), "4.12M");
        assert_eq!(rate(41_234.0), "41.2k");
        assert_eq!(rate(1999.6), "2000");
    }

    #[test]
    fn keys_are_unique() {
        for (i, m) in METRICS.iter().enumerate() {
            assert!(METRICS[i + 1..].iter().all(|o| o.key != m.key), "{}", m.key);
            assert!(std::ptr::eq(by_key(m.key).expect("found"), m));
        }
    }
}
