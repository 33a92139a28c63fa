//! Latency recording with an HDR histogram, and the percentiles the reports print.

use std::time::Duration;

use hdrhistogram::Histogram;

use crate::error::{Context, Result};

/// Percentiles of one run, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencySummary {
    /// Samples recorded.
    pub count: u64,
    /// Median.
    pub p50_us: f64,
    /// 90th percentile.
    pub p90_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// 99.9th percentile.
    pub p999_us: f64,
    /// Largest sample.
    pub max_us: f64,
}

/// Collects latencies; one per requester thread, no locking.
pub struct Recorder {
    hist: Histogram<u64>,
}

impl Recorder {
    /// A recorder for latencies from 1 ns to 60 s at 3 significant digits (0.1% precision).
    pub fn new() -> Result<Self> {
        let hist = Histogram::new_with_bounds(1, 60_000_000_000, 3)
            .context("creating latency histogram")?;
        Ok(Self { hist })
    }

    /// Records one latency; values beyond the range are clamped rather than dropped, so a
    /// pathological outlier still shows up in the top percentiles.
    pub fn record(&mut self, latency: Duration) {
        let ns = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX).max(1);
        self.hist.saturating_record(ns);
    }

    /// Samples recorded so far.
    #[cfg(test)]
    pub fn len(&self) -> u64 {
        self.hist.len()
    }

    /// The percentiles of everything recorded.
    pub fn summary(&self) -> LatencySummary {
        let us = |ns: u64| ns as f64 / 1000.0;
        LatencySummary {
            count: self.hist.len(),
            p50_us: us(self.hist.value_at_quantile(0.50)),
            p90_us: us(self.hist.value_at_quantile(0.90)),
            p99_us: us(self.hist.value_at_quantile(0.99)),
            p999_us: us(self.hist.value_at_quantile(0.999)),
            max_us: us(self.hist.max()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_spread() {
        let mut r = Recorder::new().expect("histogram");
        // 1..=1000 µs, one sample each.
        for us in 1..=1000u64 {
            r.record(Duration::from_micros(us));
        }
        let s = r.summary();
        assert_eq!(s.count, 1000);
        let close = |got: f64, want: f64| (got - want).abs() <= want * 0.002;
        assert!(close(s.p50_us, 500.0), "{s:?}");
        assert!(close(s.p90_us, 900.0), "{s:?}");
        assert!(close(s.p99_us, 990.0), "{s:?}");
        assert!(close(s.p999_us, 999.0), "{s:?}");
        assert!(close(s.max_us, 1000.0), "{s:?}");
    }

    #[test]
    fn huge_values_are_clamped_not_lost() {
        let mut r = Recorder::new().expect("histogram");
        r.record(Duration::from_secs(3600));
        r.record(Duration::ZERO);
        assert_eq!(r.len(), 2);
    }
}
