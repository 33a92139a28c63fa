//! Time and duration text exactly as nats-server's monitoring writes it.
//!
//! Dashboards parse these strings, so they follow Go's formats rather than Rust's: RFC 3339
//! timestamps with trailing zeros trimmed from the nanoseconds, Go's `Duration.String()` for
//! round-trip times, and the reference's compact day/hour/minute format for `uptime` and `idle`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};

/// `2026-11-21T21:31:03.47533683Z`: Go's `time.RFC3339Nano` in UTC, as `encoding/json`
/// writes a `time.Time`.
pub(crate) fn rfc3339_nanos(time: SystemTime) -> String {
    let time: DateTime<Utc> = time.into();
    let mut text = time.format("%Y-%m-%dT%H:%M:%S").to_string();
    text.push_str(&fraction(u64::from(time.timestamp_subsec_nanos()), 9));
    text.push('Z');
    text
}

/// Seconds since the Unix epoch, for Prometheus.
pub(crate) fn unix_seconds(time: SystemTime) -> f64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64())
}

/// `uptime` and `idle` text: whole seconds as `5s`, `1m2s`, `1h2m3s`, `1d2h3m4s`,
/// `1y2d3h4m5s`.
pub(crate) fn uptime(elapsed: Duration) -> String {
    let secs = elapsed.as_secs();
    let (mins, hours, days) = (secs / 60, secs / 3600, secs / 86_400);
    let years = days / 365;
    let (s, m, h) = (secs % 60, mins % 60, hours % 24);
    if years > 0 {
        format!("{years}y{}d{h}h{m}m{s}s", days % 365)
    } else if days > 0 {
        format!("{days}d{h}h{m}m{s}s")
    } else if hours > 0 {
        format!("{hours}h{m}m{s}s")
    } else if mins > 0 {
        format!("{mins}m{s}s")
    } else {
        format!("{secs}s")
    }
}

/// `later - earlier`, or zero when the clock went backwards.
pub(crate) fn since(earlier: SystemTime, later: SystemTime) -> Duration {
    later.duration_since(earlier).unwrap_or_default()
}

/// Go's `time.Duration.String()`: `0s`, `850ns`, `575µs`, `1.234ms`, `2.5s`, `1h0m3s`.
pub(crate) fn go_duration(duration: Duration) -> String {
    let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return "0s".to_owned();
    }
    if nanos < 1_000_000_000 {
        let (precision, unit) = match nanos {
            n if n < 1_000 => (0, "ns"),
            n if n < 1_000_000 => (3, "µs"),
            _ => (6, "ms"),
        };
        let scale = 10u64.pow(precision);
        return format!(
            "{}{}{unit}",
            nanos / scale,
            fraction(nanos % scale, precision)
        );
    }
    let secs = nanos / 1_000_000_000;
    let frac = fraction(nanos % 1_000_000_000, 9);
    let (hours, mins, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if hours > 0 {
        format!("{hours}h{mins}m{s}{frac}s")
    } else if mins > 0 {
        format!("{mins}m{s}{frac}s")
    } else {
        format!("{s}{frac}s")
    }
}

/// A connection's round-trip time as `/connz` shows it: whole microseconds between 1µs and
/// 1ms, nanoseconds otherwise (what the reference prints).
pub(crate) fn rtt(rtt: Option<Duration>) -> String {
    let Some(rtt) = rtt else {
        return "0s".to_owned();
    };
    let micros = Duration::from_micros(1);
    let shown = if rtt > micros && rtt < Duration::from_millis(1) {
        Duration::from_micros(u64::try_from(rtt.as_micros()).unwrap_or(u64::MAX))
    } else {
        rtt
    };
    go_duration(shown)
}

/// `.5` for 500 with 3 digits: the digits of `value` as a decimal fraction of `digits`
/// places, trailing zeros (and the point itself, for 0) left out, as Go writes them.
fn fraction(value: u64, digits: u32) -> String {
    if value == 0 || digits == 0 {
        return String::new();
    }
    let text = format!(".{value:0width$}", width = digits as usize);
    text.trim_end_matches('0').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_trim_trailing_zeros_like_go() {
        let at = |secs, nanos| UNIX_EPOCH + Duration::new(secs, nanos);
        assert_eq!(
            rfc3339_nanos(at(1_700_000_000, 475_336_830)),
            "2023-11-14T22:13:20.47533683Z"
        );
        assert_eq!(rfc3339_nanos(at(1_700_000_000, 0)), "2023-11-14T22:13:20Z");
        assert_eq!(
            rfc3339_nanos(at(1_700_000_000, 5)),
            "2023-11-14T22:13:20.000000005Z"
        );
    }

    #[test]
    fn uptime_is_compact() {
        let s = Duration::from_secs;
        assert_eq!(uptime(Duration::from_millis(999)), "0s");
        assert_eq!(uptime(s(59)), "59s");
        assert_eq!(uptime(s(62)), "1m2s");
        assert_eq!(uptime(s(3600)), "1h0m0s");
        assert_eq!(uptime(s(3723)), "1h2m3s");
        assert_eq!(uptime(s(93_784)), "1d2h3m4s");
        assert_eq!(
            uptime(s(365 * 86_400 + 2 * 86_400 + 3 * 3600 + 4 * 60 + 5)),
            "1y2d3h4m5s"
        );
    }

    #[test]
    fn durations_match_go_duration_string() {
        let ns = Duration::from_nanos;
        assert_eq!(go_duration(Duration::ZERO), "0s");
        assert_eq!(go_duration(ns(850)), "850ns");
        assert_eq!(go_duration(ns(575_000)), "575µs");
        assert_eq!(go_duration(ns(575_123)), "575.123µs");
        assert_eq!(go_duration(ns(1_234_000)), "1.234ms");
        assert_eq!(go_duration(ns(1_000_000)), "1ms");
        assert_eq!(go_duration(ns(2_500_000_000)), "2.5s");
        assert_eq!(go_duration(ns(62_000_000_000)), "1m2s");
        assert_eq!(go_duration(ns(3_603_000_000_001)), "1h0m3.000000001s");
    }

    #[test]
    fn rtt_truncates_to_microseconds_below_a_millisecond() {
        assert_eq!(rtt(None), "0s");
        assert_eq!(rtt(Some(Duration::from_nanos(547_891))), "547µs");
        assert_eq!(rtt(Some(Duration::from_nanos(999))), "999ns");
        assert_eq!(rtt(Some(Duration::from_nanos(1_234_567))), "1.234567ms");
    }
}
