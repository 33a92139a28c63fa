//! `/metrics`: parsed as Prometheus parses it, with values checked against the traffic sent.

use std::time::Duration;

use futures::StreamExt;

use super::subscriber;
use super::support::{eventually, get, start};

#[tokio::test]
async fn metrics_follow_the_traffic() {
    let (server, http) = start().await;
    let (client, mut sub) = subscriber(&server).await;
    for n in 0..5 {
        client
            .publish(format!("foo.{n}"), "0123456789".into())
            .await
            .expect("publish");
    }
    client.flush().await.expect("flush");
    for _ in 0..5 {
        tokio::time::timeout(Duration::from_secs(5), sub.next())
            .await
            .expect("delivery in time")
            .expect("a message");
    }
    let scrape = eventually("the counters to settle", || async {
        let answer = get(http, "/metrics").await;
        assert_eq!(
            answer.header("content-type"),
            "application/openmetrics-text; version=1.0.0; charset=utf-8"
        );
        let text = answer.text();
        assert!(text.ends_with("# EOF\n"), "{text}");
        let lines = text.lines().map(|l| Ok(l.to_owned()));
        let scrape = prometheus_parse::Scrape::parse(lines).expect("valid exposition");
        (value(&scrape, "rnats_out_messages_total", None) == Some(5.0)).then_some(scrape)
    })
    .await;
    let expect = |name: &str, account: Option<&str>, wanted: f64| {
        assert_eq!(value(&scrape, name, account), Some(wanted), "{name}");
    };
    expect("rnats_in_messages_total", None, 5.0);
    expect("rnats_in_bytes_total", None, 50.0);
    expect("rnats_out_bytes_total", None, 50.0);
    expect("rnats_connections", None, 1.0);
    expect("rnats_connections_accepted_total", None, 1.0);
    expect("rnats_subscriptions", None, 1.0);
    expect("rnats_slow_consumers_total", None, 0.0);
    expect("rnats_account_connections", Some("$G"), 1.0);
    expect("rnats_account_subscriptions", Some("$G"), 1.0);
    expect("rnats_account_in_messages_total", Some("$G"), 5.0);
    expect("rnats_account_out_bytes_total", Some("$G"), 50.0);
    let info = scrape
        .samples
        .iter()
        .find(|s| s.metric == "rnats_server_info")
        .expect("server info");
    assert_eq!(info.labels.get("server_id"), Some(server.server_id()));
    assert!(value(&scrape, "rnats_uptime_seconds", None).is_some_and(|v| v >= 0.0));
    assert!(value(&scrape, "rnats_start_time_seconds", None).is_some_and(|v| v > 1.6e9));
    server.shutdown().await;
}

/// The value of the sample `name` (with `account` as its account label, when given).
fn value(scrape: &prometheus_parse::Scrape, name: &str, account: Option<&str>) -> Option<f64> {
    use prometheus_parse::Value as V;
    let sample = scrape
        .samples
        .iter()
        .find(|s| s.metric == name && account.is_none_or(|a| s.labels.get("account") == Some(a)))?;
    match sample.value {
        V::Counter(v) | V::Gauge(v) | V::Untyped(v) => Some(v),
        _ => None,
    }
}
