//! The named scenarios, and running one of them with the server's CPU and memory measured
//! around it.

use std::net::SocketAddr;
use std::time::Duration;

use crate::bail;
use crate::error::{Context, Result};
use crate::latency::LatencySummary;
use crate::proc_stats;
use crate::reqrep::{self, Pacing};
use crate::throughput::{self, Shape};

/// What a scenario does.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Publishers and subscribers at full speed.
    Throughput(Shape),
    /// Request-reply through a responder connection.
    RequestReply(Pacing),
}

/// A named scenario.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// The name used on the command line and in reports.
    pub name: &'static str,
    /// What it does.
    pub kind: Kind,
}

const fn flow(
    name: &'static str,
    payload: usize,
    publishers: usize,
    subscribers: usize,
    queue: bool,
) -> Scenario {
    Scenario {
        name,
        kind: Kind::Throughput(Shape {
            payload,
            publishers,
            subscribers,
            queue,
        }),
    }
}

/// Every scenario, in the order reports list them.
pub const ALL: &[Scenario] = &[
    flow("pub-16", 16, 1, 0, false),
    flow("pubsub-16", 16, 1, 1, false),
    flow("pubsub-128", 128, 1, 1, false),
    flow("pubsub-1k", 1024, 1, 1, false),
    flow("pubsub-64k", 64 * 1024, 1, 1, false),
    flow("fanout-5", 128, 1, 5, false),
    flow("fanin-5", 128, 5, 1, false),
    flow("queue-3", 128, 1, 3, true),
    Scenario {
        name: "reqrep-2000",
        kind: Kind::RequestReply(Pacing::Rate(2000)),
    },
    Scenario {
        name: "reqrep-max-1",
        kind: Kind::RequestReply(Pacing::InFlight(1)),
    },
    Scenario {
        name: "reqrep-max-8",
        kind: Kind::RequestReply(Pacing::InFlight(8)),
    },
];

impl Scenario {
    /// Payload bytes per message.
    pub fn payload(&self) -> usize {
        match self.kind {
            Kind::Throughput(shape) => shape.payload,
            Kind::RequestReply(_) => reqrep::PAYLOAD,
        }
    }
}

/// Parses a comma-separated list of scenario names; `all` (or an empty list) means every one.
pub fn parse_list(text: &str) -> Result<Vec<Scenario>> {
    let mut out = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if name == "all" {
            out.extend_from_slice(ALL);
            continue;
        }
        match ALL.iter().find(|s| s.name == name) {
            Some(s) => out.push(*s),
            None => {
                let names: Vec<_> = ALL.iter().map(|s| s.name).collect();
                bail!("unknown scenario '{name}'; known: {}", names.join(", "));
            }
        }
    }
    if out.is_empty() {
        out.extend_from_slice(ALL);
    }
    Ok(out)
}

/// Everything measured in one run of one scenario.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// Scenario name.
    pub scenario: &'static str,
    /// Payload bytes per message.
    pub payload: usize,
    /// Messages the server received from publishers (requests and replies both count).
    pub published: u64,
    /// Messages the server delivered to subscribers.
    pub delivered: u64,
    /// Seconds over which `published` is counted.
    pub publish_secs: f64,
    /// Seconds over which `delivered` is counted.
    pub deliver_secs: f64,
    /// Request-reply round trips completed, for latency scenarios.
    pub requests: Option<u64>,
    /// Latency percentiles, for latency scenarios.
    pub latency: Option<LatencySummary>,
    /// Server CPU seconds (user + system) during the run, when its pid is known.
    pub server_cpu_secs: Option<f64>,
    /// Server peak RSS (VmHWM, KiB) at the end of the run, when its pid is known.
    pub server_peak_rss_kib: Option<u64>,
    /// This bench process's own CPU seconds during the run (all its threads).
    pub client_cpu_secs: f64,
}

impl RunResult {
    /// Published messages per second.
    pub fn publish_rate(&self) -> f64 {
        per_sec(self.published as f64, self.publish_secs)
    }

    /// Delivered messages per second.
    pub fn deliver_rate(&self) -> f64 {
        per_sec(self.delivered as f64, self.deliver_secs)
    }

    /// Published payload in MiB per second.
    pub fn publish_mib_rate(&self) -> f64 {
        self.publish_rate() * self.payload as f64 / (1024.0 * 1024.0)
    }

    /// Delivered payload in MiB per second.
    pub fn deliver_mib_rate(&self) -> f64 {
        self.deliver_rate() * self.payload as f64 / (1024.0 * 1024.0)
    }

    /// Completed requests per second, for latency scenarios.
    pub fn request_rate(&self) -> Option<f64> {
        self.requests.map(|r| per_sec(r as f64, self.deliver_secs))
    }

    /// Published messages per second of server CPU: the efficiency figure noise hurts least.
    pub fn msgs_per_server_cpu_sec(&self) -> Option<f64> {
        self.server_cpu_secs
            .filter(|s| *s > 0.0)
            .map(|s| self.published as f64 / s)
    }
}

fn per_sec(count: f64, secs: f64) -> f64 {
    if secs > 0.0 { count / secs } else { 0.0 }
}

/// Runs `scenario` against the server at `addr` for `duration`. With `server_pid`, the server's
/// CPU time is measured from after setup to after the final check.
pub fn run(
    addr: SocketAddr,
    scenario: &Scenario,
    duration: Duration,
    server_pid: Option<u32>,
) -> Result<RunResult> {
    let pid = server_pid.map(|p| p.to_string());
    let result = (|| -> Result<RunResult> {
        enum Ready {
            Flow(throughput::Prepared),
            Requests(reqrep::Prepared),
        }
        let ready = match scenario.kind {
            Kind::Throughput(shape) => Ready::Flow(throughput::prepare(addr, shape)?),
            Kind::RequestReply(pacing) => Ready::Requests(reqrep::prepare(addr, pacing)?),
        };
        let server_before = pid.as_deref().map(proc_stats::cpu_ticks).transpose()?;
        let client_before = proc_stats::cpu_ticks("self")?;
        let mut result = match ready {
            Ready::Flow(ready) => {
                let t = ready.run(duration)?;
                RunResult {
                    scenario: scenario.name,
                    payload: scenario.payload(),
                    published: t.published,
                    delivered: t.delivered,
                    publish_secs: t.publish_secs,
                    deliver_secs: t.deliver_secs,
                    requests: None,
                    latency: None,
                    server_cpu_secs: None,
                    server_peak_rss_kib: None,
                    client_cpu_secs: 0.0,
                }
            }
            Ready::Requests(ready) => {
                let o = ready.run(duration)?;
                // Each round trip is two messages published (request, reply) and two delivered.
                RunResult {
                    scenario: scenario.name,
                    payload: scenario.payload(),
                    published: 2 * o.requests,
                    delivered: 2 * o.requests,
                    publish_secs: o.secs,
                    deliver_secs: o.secs,
                    requests: Some(o.requests),
                    latency: Some(o.latency),
                    server_cpu_secs: None,
                    server_peak_rss_kib: None,
                    client_cpu_secs: 0.0,
                }
            }
        };
        result.client_cpu_secs =
            proc_stats::cpu_seconds_between(client_before, proc_stats::cpu_ticks("self")?);
        if let (Some(pid), Some(before)) = (pid.as_deref(), server_before) {
            let after = proc_stats::cpu_ticks(pid)?;
            result.server_cpu_secs = Some(proc_stats::cpu_seconds_between(before, after));
            result.server_peak_rss_kib = Some(proc_stats::status_kib(pid, "VmHWM")?);
        }
        Ok(result)
    })();
    result.context(format_args!("scenario {}", scenario.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse() {
        let all = parse_list("").expect("empty is all");
        assert_eq!(all.len(), ALL.len());
        let two = parse_list("pub-16, reqrep-max-8").expect("known names");
        assert_eq!(
            two.iter().map(|s| s.name).collect::<Vec<_>>(),
            ["pub-16", "reqrep-max-8"]
        );
        assert!(parse_list("pub-16,nope").is_err());
    }

    #[test]
    fn names_are_unique() {
        for (i, a) in ALL.iter().enumerate() {
            assert!(ALL[i + 1..].iter().all(|b| b.name != a.name), "{}", a.name);
        }
    }

    #[test]
    fn efficiency_needs_cpu() {
        let mut r = RunResult {
            scenario: "x",
            payload: 1024 * 1024,
            published: 300,
            delivered: 300,
            publish_secs: 3.0,
            deliver_secs: 3.0,
            requests: None,
            latency: None,
            server_cpu_secs: None,
            server_peak_rss_kib: None,
            client_cpu_secs: 0.0,
        };
        assert_eq!(r.msgs_per_server_cpu_sec(), None);
        r.server_cpu_secs = Some(1.5);
        assert_eq!(r.msgs_per_server_cpu_sec(), Some(200.0));
        assert_eq!(r.publish_rate(), 100.0);
        assert_eq!(r.publish_mib_rate(), 100.0);
    }
}
