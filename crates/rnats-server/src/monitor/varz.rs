//! `/varz`: the server's configuration and counters, with the reference's field names and
//! order.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::query::{BadRequest, Query};
use super::reply::Reply;
use super::router::paths;
use super::{Monitor, format, process};

/// The reference's default TLS timeout, reported even without TLS.
const TLS_TIMEOUT_SECONDS: f64 = 2.0;

/// The JetStream feature flags the reference reports with their 2.15 defaults; they describe
/// JetStream behaviour only, and are kept so the object has the reference's shape.
pub(crate) const FEATURE_FLAGS: [(&str, bool); 4] = [
    ("js_ack_fc_v2", false),
    ("js_api_reply_v2", false),
    ("js_raft_delete_range", true),
    ("js_snapshot_sources", false),
];

/// The `/varz` document. Fields the reference leaves out when empty are `Option`s here.
#[derive(Debug, Serialize)]
pub(crate) struct Varz {
    server_id: String,
    server_name: String,
    version: String,
    proto: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    git_commit: Option<String>,
    go: String,
    host: String,
    port: u16,
    #[serde(skip_serializing_if = "is_false")]
    auth_required: bool,
    max_connections: i64,
    #[serde(skip_serializing_if = "is_zero")]
    max_subscriptions: u32,
    ping_interval: u64,
    ping_max: u32,
    http_host: String,
    http_port: i32,
    http_base_path: String,
    https_port: u16,
    auth_timeout: f64,
    max_control_line: u32,
    max_payload: u32,
    max_pending: u64,
    cluster: Empty,
    gateway: Empty,
    leaf: Empty,
    mqtt: Empty,
    websocket: Empty,
    jetstream: Empty,
    tls_timeout: f64,
    write_deadline: u64,
    start: String,
    now: String,
    uptime: String,
    mem: u64,
    cores: usize,
    gomaxprocs: usize,
    cpu: f64,
    connections: usize,
    total_connections: u64,
    routes: u32,
    remotes: u32,
    leafnodes: u32,
    in_msgs: u64,
    in_bytes: u64,
    in_client_msgs: u64,
    in_client_bytes: u64,
    out_msgs: u64,
    out_bytes: u64,
    out_client_msgs: u64,
    out_client_bytes: u64,
    slow_consumers: u64,
    stale_connections: u64,
    stalled_clients: u64,
    subscriptions: usize,
    http_req_stats: BTreeMap<&'static str, u64>,
    config_load_time: String,
    config_digest: String,
    feature_flags: BTreeMap<&'static str, bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_account: Option<String>,
    slow_consumer_stats: ByKind,
    stale_connection_stats: ByKind,
    disk_io_wait_stats: DiskIoWaitStats,
}

/// An object with no fields: what the reference writes for cluster, gateway, leafnode, MQTT,
/// websocket and JetStream blocks that are not configured.
#[derive(Debug, Serialize)]
pub(crate) struct Empty {}

/// A counter split by connection kind; only clients exist in rnats.
#[derive(Debug, Serialize)]
struct ByKind {
    clients: u64,
    routes: u64,
    gateways: u64,
    leafs: u64,
}

impl ByKind {
    fn clients(clients: u64) -> Self {
        ByKind {
            clients,
            routes: 0,
            gateways: 0,
            leafs: 0,
        }
    }
}

/// JetStream disk I/O contention; always zero without JetStream.
#[derive(Debug, Serialize)]
struct DiskIoWaitStats {
    waiters: i64,
    waits: u64,
    wait_time: u64,
    max_wait_time: u64,
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// `GET /varz`.
pub(crate) fn handle(monitor: &Monitor, _query: &Query) -> Result<Reply, BadRequest> {
    monitor.count(paths::VARZ);
    Ok(Reply::json(&varz(monitor)))
}

/// The document as of now.
pub(crate) fn varz(monitor: &Monitor) -> Varz {
    let server = &monitor.server;
    let options = server.options();
    // The INFO clients get holds the advertised host and port; `/varz` reports those.
    let info = server.client_info(0, SocketAddr::from(([0, 0, 0, 0], 0)));
    let stats = server.stats.snapshot();
    let now = SystemTime::now();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    Varz {
        server_id: info.server_id,
        server_name: info.server_name,
        version: info.version,
        proto: info.proto,
        git_commit: info.git_commit,
        go: info.go,
        host: info.host,
        port: info.port,
        auth_required: info.auth_required,
        // A server that admits nobody says -1, as the reference does.
        max_connections: match options.max_connections {
            0 => -1,
            limit => i64::from(limit),
        },
        max_subscriptions: options.max_subscriptions,
        ping_interval: nanos(options.ping_interval),
        ping_max: options.ping_max,
        http_host: options
            .http_host
            .clone()
            .unwrap_or_else(|| options.host.clone()),
        // A free port is `-m -1` on the reference's command line, and it reports the -1.
        http_port: match options.http_port {
            Some(0) => -1,
            Some(port) => i32::from(port),
            None => 0,
        },
        http_base_path: options.http_base_path.clone(),
        https_port: 0,
        auth_timeout: options.auth_timeout.as_secs_f64(),
        max_control_line: options.max_control_line,
        max_payload: options.max_payload,
        max_pending: options.max_pending,
        cluster: Empty {},
        gateway: Empty {},
        leaf: Empty {},
        mqtt: Empty {},
        websocket: Empty {},
        jetstream: Empty {},
        tls_timeout: TLS_TIMEOUT_SECONDS,
        write_deadline: nanos(options.write_deadline),
        start: format::rfc3339_nanos(server.started),
        now: format::rfc3339_nanos(now),
        uptime: format::uptime(format::since(server.started, now)),
        mem: process::resident_memory(),
        cores,
        gomaxprocs: cores,
        cpu: monitor.cpu.percent(),
        connections: server.connection_count(),
        total_connections: stats.total_connections,
        routes: 0,
        remotes: 0,
        leafnodes: 0,
        in_msgs: stats.in_msgs,
        in_bytes: stats.in_bytes,
        in_client_msgs: stats.in_msgs,
        in_client_bytes: stats.in_bytes,
        out_msgs: stats.out_msgs,
        out_bytes: stats.out_bytes,
        out_client_msgs: stats.out_msgs,
        out_client_bytes: stats.out_bytes,
        slow_consumers: stats.slow_consumers,
        stale_connections: stats.stale_connections,
        stalled_clients: stats.stalled_clients,
        subscriptions: server.subscription_count(),
        http_req_stats: monitor.request_counts(),
        config_load_time: format::rfc3339_nanos(*server.config_loaded.lock()),
        config_digest: options.config_digest.clone(),
        feature_flags: FEATURE_FLAGS.into_iter().collect(),
        system_account: server.system.as_ref().map(|s| s.account.name.clone()),
        slow_consumer_stats: ByKind::clients(stats.slow_consumers),
        stale_connection_stats: ByKind::clients(stats.stale_connections),
        disk_io_wait_stats: DiskIoWaitStats {
            waiters: 0,
            waits: 0,
            wait_time: 0,
            max_wait_time: 0,
        },
    }
}
