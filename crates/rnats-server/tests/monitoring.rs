//! The monitoring HTTP server over real sockets: every endpoint's document, `/connz` and
//! `/subsz` parameters, the reference's error answers, `/metrics`, and a differential test of
//! every endpoint's JSON shape against the reference nats-server.

#[path = "monitoring/accounts.rs"]
mod accounts;
#[path = "monitoring/differential.rs"]
mod differential;
#[path = "monitoring/errors.rs"]
mod errors;
#[path = "monitoring/metrics.rs"]
mod metrics;
#[path = "monitoring/support.rs"]
mod support;
#[path = "system/support.rs"]
mod system_support;

use std::time::Duration;

use rnats_server::Options;
use serde_json::Value;
use support::{eventually, get, keys_in_order, shape, start, start_with};

/// Top-level keys of each endpoint, in the reference's order (2.15, no system account).
const DOCUMENTS: &[(&str, &[&str])] = &[
    (
        "/connz",
        &[
            "server_id",
            "now",
            "num_connections",
            "total",
            "offset",
            "limit",
            "connections",
        ],
    ),
    (
        "/routez",
        &["server_id", "server_name", "now", "num_routes", "routes"],
    ),
    (
        "/gatewayz",
        &["server_id", "now", "outbound_gateways", "inbound_gateways"],
    ),
    ("/leafz", &["server_id", "now", "leafnodes", "leafs"]),
    (
        "/subsz",
        &[
            "server_id",
            "now",
            "num_subscriptions",
            "num_cache",
            "num_inserts",
            "num_removes",
            "num_matches",
            "cache_hit_rate",
            "max_fanout",
            "avg_fanout",
            "total",
            "offset",
            "limit",
        ],
    ),
    ("/accountz", &["server_id", "now", "accounts"]),
    ("/accountz?acc=$G", &["server_id", "now", "account_detail"]),
    ("/accstatz", &["server_id", "now", "account_statz"]),
    (
        "/jsz",
        &[
            "memory",
            "storage",
            "reserved_memory",
            "reserved_storage",
            "accounts",
            "ha_assets",
            "api",
            "server_id",
            "now",
            "disabled",
            "config",
            "streams",
            "consumers",
            "messages",
            "bytes",
            "total",
        ],
    ),
    ("/healthz", &["status"]),
    ("/ipqueuesz", &[]),
];

/// Keys of `/varz`, in order.
const VARZ_KEYS: &[&str] = &[
    "server_id",
    "server_name",
    "version",
    "proto",
    "go",
    "host",
    "port",
    "max_connections",
    "ping_interval",
    "ping_max",
    "http_host",
    "http_port",
    "http_base_path",
    "https_port",
    "auth_timeout",
    "max_control_line",
    "max_payload",
    "max_pending",
    "cluster",
    "gateway",
    "leaf",
    "mqtt",
    "websocket",
    "jetstream",
    "tls_timeout",
    "write_deadline",
    "start",
    "now",
    "uptime",
    "mem",
    "cores",
    "gomaxprocs",
    "cpu",
    "connections",
    "total_connections",
    "routes",
    "remotes",
    "leafnodes",
    "in_msgs",
    "in_bytes",
    "in_client_msgs",
    "in_client_bytes",
    "out_msgs",
    "out_bytes",
    "out_client_msgs",
    "out_client_bytes",
    "slow_consumers",
    "stale_connections",
    "stalled_clients",
    "subscriptions",
    "http_req_stats",
    "config_load_time",
    "config_digest",
    "feature_flags",
    "slow_consumer_stats",
    "stale_connection_stats",
    "disk_io_wait_stats",
];

/// A client with a subscription on `foo.*`, named `sub-client`.
async fn subscriber(server: &rnats_server::Server) -> (async_nats::Client, async_nats::Subscriber) {
    let client = async_nats::ConnectOptions::new()
        .name("sub-client")
        .connect(server.client_url())
        .await
        .expect("client connects");
    let subscription = client.subscribe("foo.*").await.expect("subscribe");
    client.flush().await.expect("flush");
    (client, subscription)
}

#[tokio::test]
async fn monitoring_is_off_unless_asked_for() {
    let server = rnats_server::Server::start(Options::local())
        .await
        .expect("starts");
    assert_eq!(server.monitoring_addr(), None);
    server.shutdown().await;
}

#[tokio::test]
async fn every_endpoint_has_the_reference_keys_and_headers() {
    let (server, http) = start().await;
    let (_client, _sub) = subscriber(&server).await;
    for (path, expected) in DOCUMENTS {
        let answer = get(http, path).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.text());
        assert_eq!(answer.header("content-type"), "application/json", "{path}");
        assert_eq!(answer.header("access-control-allow-origin"), "*", "{path}");
        assert_eq!(keys_in_order(&answer.text()), *expected, "{path}");
    }
    let varz = get(http, "/varz").await;
    assert_eq!(keys_in_order(&varz.text()), VARZ_KEYS);
    let varz = varz.json();
    assert_eq!(varz["server_id"], server.server_id());
    assert_eq!(varz["version"], rnats_server::COMPATIBLE_VERSION);
    assert_eq!(varz["port"], server.client_addr().port());
    assert_eq!(
        varz["http_port"], -1,
        "a free port is reported as the reference's -1"
    );
    assert_eq!(varz["connections"], 1);
    assert_eq!(varz["subscriptions"], 1);
    assert_eq!(varz["ping_interval"], 120_000_000_000u64);
    assert_eq!(varz["auth_timeout"], 2);
    assert!(varz["uptime"].as_str().is_some_and(|u| u.ends_with('s')));
    assert!(varz["http_req_stats"]["/connz"].as_u64() >= Some(1));

    let healthz = get(http, "/healthz").await;
    assert_eq!(healthz.text(), r#"{"status":"ok"}"#);
    let ipqueues = get(http, "/ipqueuesz").await;
    assert_eq!(ipqueues.text(), "{}");
    let raftz = get(http, "/raftz").await;
    assert_eq!(
        (raftz.status, raftz.text().as_str()),
        (404, "No Raft nodes registered")
    );
    let stacks = get(http, "/stacksz").await;
    assert_eq!(stacks.status, 200);
    assert!(stacks.text().contains("thread "), "{}", stacks.text());
    let vars = get(http, "/debug/vars").await;
    assert_eq!(
        vars.header("content-type"),
        "application/json; charset=utf-8"
    );
    assert!(vars.json()["cmdline"].is_array());
    let index = get(http, "/").await;
    assert_eq!(index.header("content-type"), "text/html; charset=utf-8");
    assert!(index.text().contains("href=\"/connz\""));
    for missing in ["/varz/", "/nope", "/expvarz", "//varz"] {
        let answer = get(http, missing).await;
        assert_eq!(
            (answer.status, answer.text().as_str()),
            (404, "404 page not found\n")
        );
        assert_eq!(answer.header("x-content-type-options"), "nosniff");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn connz_reports_clients_with_their_subscriptions() {
    let (server, http) = start().await;
    let (_client, _sub) = subscriber(&server).await;
    let connz = get(http, "/connz?subs=1").await.json();
    assert_eq!(
        (connz["num_connections"].clone(), connz["total"].clone()),
        (1.into(), 1.into())
    );
    let conn = &connz["connections"][0];
    assert_eq!(conn["kind"], "Client");
    assert_eq!(conn["type"], "nats");
    assert_eq!(conn["name"], "sub-client");
    assert_eq!(conn["lang"], "rust");
    assert_eq!(conn["subscriptions"], 1);
    assert_eq!(conn["subscriptions_list"], serde_json::json!(["foo.*"]));
    assert!(conn.get("subscriptions_list_detail").is_none());

    let detail = get(http, "/connz?subs=detail").await.json();
    let sub = &detail["connections"][0]["subscriptions_list_detail"][0];
    assert_eq!(sub["subject"], "foo.*");
    assert_eq!(sub["cid"], conn["cid"]);
    assert!(sub["sid"].is_string());
    assert!(
        sub.get("account").is_none(),
        "open connections do not name the account"
    );

    let auth = get(http, "/connz?auth=1").await.json();
    assert_eq!(auth["connections"][0]["name_tag"], "$G");
    server.shutdown().await;
}

#[tokio::test]
async fn connz_sorts_pages_and_finds_by_cid() {
    let (server, http) = start().await;
    let mut clients = Vec::new();
    for n in 0..3u32 {
        let client = async_nats::connect(server.client_url())
            .await
            .expect("connect");
        let mut subs = Vec::new();
        for s in 0..n {
            subs.push(client.subscribe(format!("s.{s}")).await.expect("subscribe"));
        }
        for _ in 0..n * 2 {
            client
                .publish("nobody", "12345".into())
                .await
                .expect("publish");
        }
        client.flush().await.expect("flush");
        clients.push((client, subs));
    }
    let cids = |doc: &Value| -> Vec<u64> {
        doc["connections"]
            .as_array()
            .map(|c| c.iter().filter_map(|c| c["cid"].as_u64()).collect())
            .unwrap_or_default()
    };
    let by_cid = get(http, "/connz").await.json();
    let ids = cids(&by_cid);
    assert_eq!(ids.len(), 3);
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    let by_subs = get(http, "/connz?sort=subs").await.json();
    assert_eq!(cids(&by_subs), [ids[2], ids[1], ids[0]]);
    let from = eventually("in_msgs counted", || async {
        let doc = get(http, "/connz?sort=msgs_from").await.json();
        (doc["connections"][0]["in_msgs"] == 4).then_some(doc)
    })
    .await;
    assert_eq!(cids(&from), [ids[2], ids[1], ids[0]]);
    let bytes = get(http, "/connz?sort=bytes_from").await.json();
    assert_eq!(cids(&bytes), [ids[2], ids[1], ids[0]]);
    for sort in [
        "start", "pending", "msgs_to", "bytes_to", "last", "idle", "uptime", "rtt",
    ] {
        let doc = get(http, &format!("/connz?sort={sort}")).await.json();
        assert_eq!(doc["num_connections"], 3, "sort={sort}");
    }

    let page = get(http, "/connz?offset=1&limit=1").await.json();
    assert_eq!(
        (page["offset"].clone(), page["limit"].clone()),
        (1.into(), 1.into())
    );
    assert_eq!(
        (page["total"].clone(), cids(&page)),
        (3.into(), vec![ids[1]])
    );
    let past = get(http, "/connz?offset=9223372036854775807").await.json();
    assert_eq!(
        (past["num_connections"].clone(), cids(&past)),
        (0.into(), vec![])
    );
    let negative = get(http, "/connz?offset=-4&limit=-1").await.json();
    assert_eq!(
        (negative["offset"].clone(), negative["limit"].clone()),
        (0.into(), 1024.into())
    );

    let one = get(http, &format!("/connz?cid={}", ids[1])).await.json();
    assert_eq!((cids(&one), one["limit"].clone()), (vec![ids[1]], 1.into()));
    let none = get(http, "/connz?cid=999999").await.json();
    assert_eq!(
        (none["num_connections"].clone(), none["total"].clone()),
        (0.into(), 3.into())
    );
    let other = get(http, "/connz?acc=nobody").await.json();
    assert_eq!(
        (other["server_id"].clone(), other["connections"].clone()),
        ("".into(), Value::Null)
    );
    let global = get(http, "/connz?acc=$G&user=nobody").await.json();
    assert_eq!(global["connections"], serde_json::json!([]));
    server.shutdown().await;
}

#[tokio::test]
async fn connz_remembers_closed_connections() {
    let (server, http) = start().await;
    let (client, _sub) = subscriber(&server).await;
    let cid = get(http, "/connz").await.json()["connections"][0]["cid"].clone();
    drop(_sub);
    drop(client);
    let closed = eventually("the connection to close", || async {
        let doc = get(http, "/connz?state=closed&subs=detail").await.json();
        (doc["num_connections"] == 1).then_some(doc)
    })
    .await;
    let conn = &closed["connections"][0];
    assert_eq!(conn["cid"], cid);
    assert!(conn["stop"].is_string());
    assert!(conn["reason"].is_string());
    let detail = &conn["subscriptions_list_detail"];
    assert!(
        detail
            .as_array()
            .is_none_or(|d| d.iter().all(|s| s["account"] == "$G"))
    );
    let any = get(http, "/connz?state=any").await.json();
    assert_eq!(any["total"], 1);
    let by_stop = get(http, "/connz?state=closed&sort=stop").await.json();
    assert_eq!(by_stop["num_connections"], 1);
    let by_reason = get(http, "/connz?state=closed&sort=reason").await.json();
    assert_eq!(by_reason["num_connections"], 1);
    let found = get(http, &format!("/connz?state=closed&cid={cid}"))
        .await
        .json();
    assert_eq!(found["connections"][0]["cid"], cid);
    let global = get(http, "/connz?state=closed&acc=$G").await.json();
    assert_eq!(global["total"], 0, "closed $G connections carry no account");
    let open = get(http, "/connz").await.json();
    assert_eq!(open["num_connections"], 0);
    server.shutdown().await;
}

#[tokio::test]
async fn subsz_lists_and_tests_subscriptions() {
    let (server, http) = start().await;
    let (client, _sub) = subscriber(&server).await;
    let _queue = client
        .queue_subscribe("bar", "q".into())
        .await
        .expect("queue subscribe");
    client.flush().await.expect("flush");
    let all = get(http, "/subsz?subs=1").await.json();
    assert_eq!(
        (all["num_subscriptions"].clone(), all["total"].clone()),
        (2.into(), 2.into())
    );
    let list = all["subscriptions_list"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        list.iter()
            .all(|s| s["account"] == "$G" && s["account_tag"] == "$G")
    );
    assert!(
        list.iter()
            .any(|s| s["subject"] == "bar" && s["qgroup"] == "q")
    );
    let tested = get(http, "/subsz?subs=1&test=foo.x").await.json();
    assert_eq!(tested["total"], 1);
    assert_eq!(tested["subscriptions_list"][0]["subject"], "foo.*");
    let missed = get(http, "/subsz?subs=1&test=nothing").await.json();
    assert_eq!(missed["total"], 0);
    assert!(missed.get("subscriptions_list").is_none());
    let paged = get(http, "/subsz?subs=1&offset=1&limit=1").await.json();
    assert_eq!(
        paged["subscriptions_list"].as_array().map(Vec::len),
        Some(1)
    );
    let alias = get(http, "/subscriptionsz").await.json();
    assert_eq!(alias["num_subscriptions"], 2);
    let other = get(http, "/subsz?acc=nobody").await.json();
    assert_eq!(other["num_subscriptions"], 0);
    server.shutdown().await;
}

#[tokio::test]
async fn the_base_path_prefixes_every_endpoint() {
    let (server, http) = start_with(Options {
        http_base_path: "/nats/".to_owned(),
        ..support::monitored()
    })
    .await;
    assert_eq!(
        get(http, "/nats/varz").await.json()["http_base_path"],
        "/nats/"
    );
    assert_eq!(get(http, "/nats").await.status, 200);
    assert_eq!(get(http, "/varz").await.status, 404);
    server.shutdown().await;
}

#[tokio::test]
async fn monitoring_stops_at_shutdown_but_not_in_lame_duck_mode() {
    let (server, http) = start_with(Options {
        lame_duck_grace_period: Duration::from_millis(200),
        lame_duck_duration: Duration::from_secs(1),
        ..support::monitored()
    })
    .await;
    let (_client, _sub) = subscriber(&server).await;
    let lame_duck = tokio::spawn(server.lame_duck());
    // While the server drains its clients, monitoring still answers.
    eventually("the client listener to close", || async {
        let varz = get(http, "/varz").await;
        assert_eq!(varz.status, 200);
        let client_port = varz.json()["port"].as_u64().unwrap_or_default() as u16;
        let refused = tokio::net::TcpStream::connect(("127.0.0.1", client_port))
            .await
            .is_err();
        refused.then_some(())
    })
    .await;
    assert_eq!(get(http, "/healthz").await.status, 200);
    tokio::time::timeout(support::DEADLINE, lame_duck)
        .await
        .expect("lame duck mode ends")
        .expect("no panic");
    assert!(
        tokio::net::TcpStream::connect(http).await.is_err(),
        "monitoring stopped"
    );
}

#[test]
fn shapes_ignore_values() {
    let a = serde_json::json!({"a": [1, 2], "b": {"c": "x"}});
    let b = serde_json::json!({"a": [3], "b": {"c": "y"}});
    assert_eq!(shape(&a), shape(&b));
}
