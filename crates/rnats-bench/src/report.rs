//! Text and JSON output: single runs, and the side-by-side comparison tables.

use std::fmt::Write as _;

use crate::metrics::{Better, METRICS, Metric, by_key};
use crate::scenario::RunResult;
use crate::stats::{median, min_max, ratio};

/// One run as a few lines of text.
pub fn run_text(r: &RunResult) -> String {
    let mut out = format!(
        "{}: {} published, {} delivered",
        r.scenario, r.published, r.delivered
    );
    if let Some(n) = r.requests {
        let _ = write!(out, ", {n} round trips");
    }
    out.push('\n');
    for m in METRICS {
        if let Some(v) = (m.get)(r) {
            let _ = writeln!(out, "  {:<28} {}", m.label, m.show(v));
        }
    }
    if let Some(l) = r.latency {
        let _ = writeln!(out, "  {:<28} {:.1}", "latency max µs", l.max_us);
    }
    out
}

/// One run as a single-line JSON object; `tags` are extra string fields (server, round).
pub fn run_json(r: &RunResult, tags: &[(&str, &str)]) -> String {
    let mut j = Json::new();
    j.str("scenario", r.scenario);
    for (k, v) in tags {
        j.str(k, v);
    }
    j.num("payload_bytes", r.payload as f64);
    j.num("published", r.published as f64);
    j.num("delivered", r.delivered as f64);
    j.num("publish_secs", r.publish_secs);
    j.num("deliver_secs", r.deliver_secs);
    if let Some(n) = r.requests {
        j.num("requests", n as f64);
    }
    for m in METRICS {
        if let Some(v) = (m.get)(r) {
            j.num(m.key, v);
        }
    }
    if let Some(l) = r.latency {
        j.num("max_us", l.max_us);
    }
    j.finish()
}

/// A JSON object built field by field (keys and strings escaped; non-finite numbers as null).
pub struct Json(String);

impl Default for Json {
    fn default() -> Self {
        Self::new()
    }
}

impl Json {
    /// An empty object.
    pub fn new() -> Self {
        Self(String::from("{"))
    }

    fn key(&mut self, key: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        escape_into(&mut self.0, key);
        self.0.push(':');
    }

    /// Adds a string field.
    pub fn str(&mut self, key: &str, value: &str) {
        self.key(key);
        escape_into(&mut self.0, value);
    }

    /// Adds a number field.
    pub fn num(&mut self, key: &str, value: f64) {
        self.key(key);
        if !value.is_finite() {
            self.0.push_str("null");
        } else if value.fract() == 0.0 && value.abs() < 1e15 {
            let _ = write!(self.0, "{}", value as i64);
        } else {
            let _ = write!(self.0, "{value}");
        }
    }

    /// The finished object.
    pub fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

fn escape_into(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Median and min-max of one metric on one side.
struct Summary {
    median: f64,
    lo: f64,
    hi: f64,
}

fn summarize(m: &Metric, runs: &[RunResult]) -> Option<Summary> {
    let values: Vec<f64> = runs.iter().filter_map(|r| (m.get)(r)).collect();
    let (lo, hi) = min_max(&values)?;
    Some(Summary {
        median: median(&values)?,
        lo,
        hi,
    })
}

fn side_cell(m: &Metric, s: Option<&Summary>) -> String {
    match s {
        Some(s) => format!(
            "{:>8} [{}-{}]",
            m.show(s.median),
            m.show(s.lo),
            m.show(s.hi)
        ),
        None => "-".to_string(),
    }
}

/// The comparison table of one scenario: per metric, each side's median with its min-max, and
/// the ratio of medians rnats/reference.
pub fn compare_table(scenario: &str, rnats: &[RunResult], reference: &[RunResult]) -> String {
    let mut out = format!(
        "\n{scenario}  ({} rnats runs, {} reference runs)\n",
        rnats.len(),
        reference.len()
    );
    let _ = writeln!(
        out,
        "  {:<28} {:<30} {:<30} {:>9}",
        "metric", "rnats median [min-max]", "reference median [min-max]", "rnats/ref"
    );
    for m in METRICS {
        let a = summarize(m, rnats);
        let b = summarize(m, reference);
        if a.is_none() && b.is_none() {
            continue;
        }
        let r = match (&a, &b) {
            (Some(a), Some(b)) => ratio(a.median, b.median),
            _ => None,
        };
        let direction = match m.better {
            Better::Higher => "higher is better",
            Better::Lower => "lower is better",
        };
        let _ = writeln!(
            out,
            "  {:<28} {:<30} {:<30} {:>9}  {direction}",
            m.label,
            side_cell(m, a.as_ref()),
            side_cell(m, b.as_ref()),
            r.map_or("-".to_string(), |r| format!("{r:.2}x")),
        );
    }
    out
}

/// Columns of the closing summary: a few ratios per scenario.
const SUMMARY_KEYS: &[(&str, &str)] = &[
    ("msgs_per_server_cpu_sec", "msgs/CPU-s"),
    ("published_msgs_per_sec", "pub msgs/s"),
    ("delivered_msgs_per_sec", "dlv msgs/s"),
    ("server_peak_rss_kib", "peak RSS"),
    ("p50_us", "p50"),
    ("p99_us", "p99"),
];

/// One line per scenario with the main rnats/reference ratios.
pub fn summary_table(rows: &[(&str, &[RunResult], &[RunResult])]) -> String {
    let mut out = String::from("\nSummary: ratio of medians rnats/reference\n");
    let _ = write!(out, "  {:<14}", "scenario");
    for (_, title) in SUMMARY_KEYS {
        let _ = write!(out, " {title:>11}");
    }
    out.push('\n');
    for (name, a, b) in rows {
        let _ = write!(out, "  {name:<14}");
        for (key, _) in SUMMARY_KEYS {
            let cell = by_key(key)
                .and_then(|m| ratio(summarize(m, a)?.median, summarize(m, b)?.median))
                .map_or("-".to_string(), |r| format!("{r:.2}x"));
            let _ = write!(out, " {cell:>11}");
        }
        out.push('\n');
    }
    out.push_str(
        "  (msgs/CPU-s, msgs/s: higher is better for rnats; peak RSS, latency: lower is better)\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(published: u64, cpu: f64) -> RunResult {
        RunResult {
            scenario: "pubsub-16",
            payload: 16,
            published,
            delivered: published,
            publish_secs: 1.0,
            deliver_secs: 1.0,
            requests: None,
            latency: None,
            server_cpu_secs: Some(cpu),
            server_peak_rss_kib: Some(1000),
            client_cpu_secs: 0.5,
        }
    }

    #[test]
    fn json_is_well_formed() {
        let j = run_json(&run(10, 0.5), &[("server", "a\"b")]);
        assert!(j.starts_with("{\"scenario\":\"pubsub-16\",\"server\":\"a\\\"b\""));
        assert!(j.contains("\"msgs_per_server_cpu_sec\":20"));
        assert!(j.ends_with('}'));
        let mut o = Json::new();
        o.num("x", f64::NAN);
        o.num("y", 0.25);
        assert_eq!(o.finish(), "{\"x\":null,\"y\":0.25}");
    }

    #[test]
    fn table_has_medians_and_ratio() {
        let a = [run(300, 1.0), run(100, 1.0), run(200, 1.0)];
        let b = [run(100, 1.0), run(100, 1.0), run(100, 1.0)];
        let t = compare_table("pubsub-16", &a, &b);
        let line = t
            .lines()
            .find(|l| l.trim_start().starts_with("published msgs/s"))
            .expect("row");
        assert!(line.contains("200 [100-300]"), "{line}");
        assert!(line.contains("2.00x"), "{line}");
        let s = summary_table(&[("pubsub-16", &a, &b)]);
        assert!(s.contains("2.00x"), "{s}");
    }
}
