//! `/metrics`: rnats' own Prometheus endpoint, in the OpenMetrics text format.
//!
//! Every value is read from the live counters when a scrape arrives: one collector, registered
//! once, walks the server's statistics, its account and the process, and writes them through
//! `prometheus-client`'s encoder. Nothing is sampled in the background and nothing on the
//! message path knows that Prometheus exists.

use std::sync::Arc;
use std::time::SystemTime;

use hyper::StatusCode;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, text};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

use super::query::{BadRequest, Query};
use super::reply::Reply;
use super::{Monitor, format, process};
use crate::server::{COMPATIBLE_VERSION, ServerState};
use crate::system::accounts::account_stats;
use crate::system::events::AccountStat;
use rnats_subject::SublistStats;

/// What Prometheus asks for and reads when it scrapes OpenMetrics.
pub(crate) const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Every metric name starts with this (then `_`).
const PREFIX: &str = "rnats";

/// The registry `/metrics` encodes.
pub(crate) struct Metrics {
    registry: Registry,
}

impl Metrics {
    /// A registry whose only member reads `server` at each scrape.
    pub(crate) fn new(server: Arc<ServerState>) -> Self {
        let mut registry = Registry::with_prefix(PREFIX);
        registry.register_collector(Box::new(ServerCollector { server }));
        Metrics { registry }
    }

    /// The exposition text, ending with `# EOF`.
    pub(crate) fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::with_capacity(4096);
        text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// `GET /metrics`.
pub(crate) fn handle(monitor: &Monitor, _query: &Query) -> Result<Reply, BadRequest> {
    Ok(match monitor.metrics.encode() {
        Ok(body) => Reply::without_cors(StatusCode::OK, CONTENT_TYPE, body),
        Err(std::fmt::Error) => Reply::text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "metrics could not be encoded\n",
        ),
    })
}

/// Reads the server's figures at scrape time.
struct ServerCollector {
    server: Arc<ServerState>,
}

impl std::fmt::Debug for ServerCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerCollector")
            .field("server_id", &self.server.server_id)
            .finish()
    }
}

/// Writes one metric without labels.
fn write(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    metric: &impl EncodeMetric,
) -> Result<(), std::fmt::Error> {
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

fn counter(value: u64) -> ConstCounter<u64> {
    ConstCounter::new(value)
}

fn gauge(value: i64) -> ConstGauge<i64> {
    ConstGauge::new(value)
}

fn gauge_of(value: usize) -> ConstGauge<i64> {
    gauge(i64::try_from(value).unwrap_or(i64::MAX))
}

impl Collector for ServerCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let server = &self.server;
        let stats = server.stats.snapshot();
        let accounts = server.every_account();
        let mut sublist = SublistStats::default();
        for account in &accounts {
            sublist.add(&account.sublist.stats());
        }
        let connections = server.connection_count();
        let subscriptions = usize::try_from(sublist.subscriptions).unwrap_or(usize::MAX);
        let e = &mut encoder;

        let info = Info::new(vec![
            ("server_id", server.server_id.clone()),
            ("server_name", server.server_name.clone()),
            ("version", env!("CARGO_PKG_VERSION").to_owned()),
            ("nats_version", COMPATIBLE_VERSION.to_owned()),
        ]);
        write(e, "server", "The server's identity and version.", &info)?;
        let started = format::unix_seconds(server.started);
        let uptime = format::unix_seconds(SystemTime::now()) - started;
        write(
            e,
            "start_time_seconds",
            "When the server started, in seconds since the Unix epoch.",
            &ConstGauge::new(started),
        )?;
        write(
            e,
            "uptime_seconds",
            "Seconds since the server started.",
            &ConstGauge::new(uptime.max(0.0)),
        )?;

        write(
            e,
            "connections",
            "Client connections open now.",
            &gauge_of(connections),
        )?;
        write(
            e,
            "connections_accepted",
            "Client connections accepted since start.",
            &counter(stats.total_connections),
        )?;
        write(
            e,
            "subscriptions",
            "Subscriptions held now.",
            &gauge_of(subscriptions),
        )?;
        write(
            e,
            "in_messages",
            "Messages received from clients.",
            &counter(stats.in_msgs),
        )?;
        write(
            e,
            "in_bytes",
            "Payload bytes received from clients.",
            &counter(stats.in_bytes),
        )?;
        write(
            e,
            "out_messages",
            "Messages sent to clients.",
            &counter(stats.out_msgs),
        )?;
        write(
            e,
            "out_bytes",
            "Payload bytes sent to clients.",
            &counter(stats.out_bytes),
        )?;
        write(
            e,
            "slow_consumers",
            "Clients cut off as slow consumers.",
            &counter(stats.slow_consumers),
        )?;
        write(
            e,
            "stale_connections",
            "Clients cut off for not answering PINGs.",
            &counter(stats.stale_connections),
        )?;
        write(
            e,
            "stalled_clients",
            "Times a publisher paused for a consumer that fell behind.",
            &counter(stats.stalled_clients),
        )?;

        write(
            e,
            "sublist_matches",
            "Subject lookups in the subscription index.",
            &counter(sublist.matches),
        )?;
        write(
            e,
            "sublist_cache_hits",
            "Subject lookups answered from the index's result cache.",
            &counter(sublist.cache_hits),
        )?;
        write(
            e,
            "sublist_cache_entries",
            "Results held in the index's cache.",
            &gauge(i64::try_from(sublist.cache_entries).unwrap_or(i64::MAX)),
        )?;

        write(
            e,
            "process_resident_memory_bytes",
            "Resident memory of the process.",
            &gauge(i64::try_from(process::resident_memory()).unwrap_or(i64::MAX)),
        )?;
        write(
            e,
            "process_cpu_seconds",
            "User and system CPU time used by the process.",
            &ConstCounter::new(process::cpu_seconds()),
        )?;

        let per_account_stats = account_stats(server, &accounts);
        type Read = fn(&AccountStat) -> u64;
        let per_account: [(&str, &str, MetricType, Read); 7] = [
            (
                "account_connections",
                "Client connections open now, per account.",
                MetricType::Gauge,
                |stat| stat.conns as u64,
            ),
            (
                "account_subscriptions",
                "Subscriptions held now, per account.",
                MetricType::Gauge,
                |stat| stat.num_subscriptions as u64,
            ),
            (
                "account_in_messages",
                "Messages received from the account's clients.",
                MetricType::Counter,
                |stat| stat.received.msgs,
            ),
            (
                "account_in_bytes",
                "Payload bytes received from the account's clients.",
                MetricType::Counter,
                |stat| stat.received.bytes,
            ),
            (
                "account_out_messages",
                "Messages sent to the account's clients.",
                MetricType::Counter,
                |stat| stat.sent.msgs,
            ),
            (
                "account_out_bytes",
                "Payload bytes sent to the account's clients.",
                MetricType::Counter,
                |stat| stat.sent.bytes,
            ),
            (
                "account_slow_consumers",
                "The account's clients cut off as slow consumers.",
                MetricType::Counter,
                |stat| stat.slow_consumers,
            ),
        ];
        for (name, help, kind, read) in per_account {
            let mut family = e.encode_descriptor(name, help, None, kind)?;
            for stat in &per_account_stats {
                let labels = [("account", stat.name.as_str())];
                let sample = family.encode_family(&labels)?;
                let value = read(stat);
                match kind {
                    MetricType::Counter => counter(value).encode(sample)?,
                    _ => gauge(i64::try_from(value).unwrap_or(i64::MAX)).encode(sample)?,
                }
            }
        }
        Ok(())
    }
}
