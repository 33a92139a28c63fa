//! Differential test of the monitoring endpoints: the reference nats-server and rnats are put
//! in the same state (one client with a subscription, one message, one closed connection) and
//! asked the same questions in the same order; every JSON answer must have the same recursive
//! key set and value types, and every error answer the same status and body.
//!
//! The reference runs with `no_sys_acc: true`: rnats has no system account, and the system
//! account's own subscriptions and `system_account` fields would otherwise differ.

use std::net::SocketAddr;
use std::time::Duration;

use rnats_testkit::ReferenceServer;
use serde_json::Value;

use super::support::{self, Answer, eventually, get, shape};

/// What the reference logs when its monitoring listener is up.
const MONITOR_LINE: &str = "Starting http monitor on ";

/// Every question, in the order asked. JSON answers compare by shape; others by status, the
/// monitoring headers and (for errors) the body.
const QUESTIONS: &[&str] = &[
    "/varz",
    "/connz",
    "/connz?subs=1",
    "/connz?subs=detail",
    "/connz?auth=1",
    "/connz?state=closed",
    "/connz?state=closed&subs=detail&auth=1",
    "/connz?state=any&sort=cid",
    "/connz?sort=uptime&limit=1&offset=0",
    "/connz?cid=999999",
    "/connz?acc=nobody",
    "/routez",
    "/gatewayz",
    "/leafz",
    "/subsz",
    "/subsz?subs=1",
    "/subsz?subs=1&test=foo.bar",
    "/subscriptionsz",
    "/accountz",
    "/accountz?acc=$G",
    "/accstatz",
    "/accstatz?unused=1",
    "/jsz",
    "/jsz?accounts=true",
    "/healthz",
    "/healthz?js-enabled-only=true",
    "/healthz?js-server-only=true",
    "/healthz?stream=s",
    "/healthz?stream=s&details=true",
    "/ipqueuesz",
    "/raftz",
    "/connz?sort=bogus",
    "/connz?limit=x",
    "/subsz?test=a.*",
    "/accountz?acc=nobody",
    "/jsz?leader-only=true",
    "/nothing-here",
    // Asked last, so that its `http_req_stats` covers every question above.
    "/varz",
];

/// Keys rnats leaves out on purpose: (endpoint, key path, why).
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[(
    "/varz",
    "git_commit",
    "rnats is not built from the reference's repository",
)];

/// One server under test: its client URL and monitoring address.
struct Side {
    client_url: String,
    http: SocketAddr,
}

/// Puts a server in the common state: a client with a subscription that got one message,
/// and one connection that came and went.
async fn prepare(side: &Side) -> (async_nats::Client, async_nats::Subscriber) {
    let client = async_nats::ConnectOptions::new()
        .name("sub-client")
        .connect(&side.client_url)
        .await
        .expect("client connects");
    let mut subscription = client.subscribe("foo.*").await.expect("subscribe");
    client
        .publish("foo.bar", "hello".into())
        .await
        .expect("publish");
    client.flush().await.expect("flush");
    tokio::time::timeout(
        Duration::from_secs(5),
        futures::StreamExt::next(&mut subscription),
    )
    .await
    .expect("delivery in time");
    let passing = async_nats::connect(&side.client_url)
        .await
        .expect("connect");
    passing.flush().await.expect("flush");
    drop(passing);
    eventually("the passing connection to be closed", || async {
        let closed = get(side.http, "/connz?state=closed").await.json();
        (closed["num_connections"] == 1).then_some(())
    })
    .await;
    (client, subscription)
}

/// The reference's monitoring address, read from its log.
pub fn reference_http(server: &ReferenceServer) -> SocketAddr {
    let logs = server.logs();
    logs.lines()
        .find_map(|line| line.split_once(MONITOR_LINE).map(|(_, addr)| addr.trim()))
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("no `{MONITOR_LINE}` in the reference's log:\n{logs}"))
}

/// Removes the keys listed in [`KNOWN_DIFFERENCES`] for `question`.
fn without_known_differences(question: &str, mut value: Value) -> Value {
    let path = question.split('?').next().unwrap_or(question);
    for (endpoint, key, _why) in KNOWN_DIFFERENCES {
        if *endpoint == path
            && let Some(map) = value.as_object_mut()
        {
            map.remove(*key);
        }
    }
    value
}

/// What must be equal between the two answers to `question`.
fn comparable(question: &str, answer: &Answer) -> Value {
    let headers = serde_json::json!({
        "status": answer.status,
        "content-type": answer.header("content-type"),
        "cors": answer.header("access-control-allow-origin"),
    });
    let body = if answer.header("content-type") == "application/json" {
        let json = without_known_differences(question, answer.json());
        shape(&json)
    } else {
        Value::String(answer.text())
    };
    serde_json::json!({"headers": headers, "body": body})
}

#[tokio::test]
async fn every_endpoint_matches_the_reference_in_shape() {
    let reference = ReferenceServer::builder()
        .args(["-m", "-1"])
        .config("no_sys_acc: true\n")
        .start_async()
        .await;
    let reference_side = Side {
        client_url: format!("nats://{}", reference.addr()),
        http: reference_http(&reference),
    };
    let (rnats, rnats_http) = support::start().await;
    let rnats_side = Side {
        client_url: rnats.client_url(),
        http: rnats_http,
    };
    let _reference_client = prepare(&reference_side).await;
    let _rnats_client = prepare(&rnats_side).await;

    let mut differences = Vec::new();
    for question in QUESTIONS {
        let expected = comparable(question, &get(reference_side.http, question).await);
        let actual = comparable(question, &get(rnats_side.http, question).await);
        if expected != actual {
            differences.push(format!(
                "{question}\n  reference: {expected}\n  rnats:     {actual}"
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {} answers differ:\n{}",
        differences.len(),
        QUESTIONS.len(),
        differences.join("\n")
    );
    rnats.shutdown().await;
}
