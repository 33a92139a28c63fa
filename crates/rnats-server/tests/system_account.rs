//! The system account: advisories for client connections, requests about the server, and
//! isolation from other accounts; the advisories' JSON keys are compared with the reference's.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use async_nats::{Client, ConnectOptions};
use futures::StreamExt;
use rnats_server::{AccountConfig, Options, Server, User};
use rnats_testkit::{RawConn, ReferenceServer};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(5);

/// The reference's configuration of the same accounts and users as [`options`].
const REFERENCE_CONFIG: &str = "accounts {\n  SYS: { users: [{user: sys, password: pw}] }\n  \
     A: { users: [{user: a, password: pw}] }\n}\nsystem_account: SYS\n";

fn options() -> Options {
    let account = |name: &str| AccountConfig {
        name: name.to_owned(),
        exports: Vec::new(),
        imports: Vec::new(),
        ..AccountConfig::default()
    };
    Options {
        users: vec![
            User::password("sys", "pw").in_account("SYS"),
            User::password("a", "pw").in_account("A"),
        ],
        accounts: vec![account("SYS"), account("A")],
        system_account: Some("SYS".to_owned()),
        ..Options::local()
    }
}

async fn login(addr: SocketAddr, user: &str) -> Client {
    ConnectOptions::with_user_and_password(user.to_owned(), "pw".to_owned())
        .connect(addr.to_string())
        .await
        .expect("connects")
}

async fn request(client: &Client, subject: &str, payload: &str) -> Value {
    let reply = tokio::time::timeout(
        WAIT,
        client.request(subject.to_owned(), payload.to_owned().into()),
    )
    .await
    .expect("an answer in time")
    .expect("answered");
    serde_json::from_slice(&reply.payload).expect("JSON answer")
}

/// Connects a client of account A with raw protocol, then closes it; returns the CONNECT and
/// DISCONNECT advisories a system user received.
async fn connect_and_disconnect(addr: SocketAddr) -> (Value, Value) {
    let system = login(addr, "sys").await;
    let mut events = system
        .subscribe("$SYS.ACCOUNT.A.*")
        .await
        .expect("subscribes");
    // A round trip on the same connection: the subscription is in place after it.
    request(&system, "$SYS.REQ.SERVER.PING.IDZ", "").await;
    let mut client = RawConn::connect(addr).await;
    client.read_info().await;
    client
        .send(b"CONNECT {\"user\":\"a\",\"pass\":\"pw\",\"name\":\"app\",\"lang\":\"raw\",\"version\":\"1.0\"}\r\nPUB x 2\r\nhi\r\n")
        .await;
    client.sync().await;
    drop(client);
    let mut next = async || {
        let message = tokio::time::timeout(WAIT, events.next())
            .await
            .expect("an advisory in time")
            .expect("subscription open");
        let json: Value = serde_json::from_slice(&message.payload).expect("JSON advisory");
        (message.subject.to_string(), json)
    };
    let (connect_subject, connect) = next().await;
    let (disconnect_subject, disconnect) = next().await;
    assert_eq!(connect_subject, "$SYS.ACCOUNT.A.CONNECT");
    assert_eq!(disconnect_subject, "$SYS.ACCOUNT.A.DISCONNECT");
    (connect, disconnect)
}

/// Every key path of a JSON document (`a.b` for nested objects).
fn keys(value: &Value, prefix: &str, into: &mut BTreeSet<String>) {
    if let Value::Object(map) = value {
        for (key, inner) in map {
            let path = format!("{prefix}{key}");
            keys(inner, &format!("{path}."), into);
            into.insert(path);
        }
    }
}

fn key_set(value: &Value) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    keys(value, "", &mut set);
    // Present only once a round trip was measured, which depends on timing.
    set.remove("client.rtt");
    set
}

#[tokio::test]
async fn system_users_see_connects_and_disconnects_of_other_accounts() {
    let server = Server::start(options()).await.expect("starts");
    let (connect, disconnect) = connect_and_disconnect(server.client_addr()).await;
    assert_eq!(connect["type"], "io.nats.server.advisory.v1.client_connect");
    assert_eq!(connect["client"]["acc"], "A");
    assert_eq!(connect["client"]["user"], "a");
    assert_eq!(connect["client"]["name"], "app");
    assert_eq!(connect["server"]["id"], server.server_id());
    assert_eq!(
        disconnect["type"],
        "io.nats.server.advisory.v1.client_disconnect"
    );
    assert_eq!(disconnect["reason"], "Client Closed");
    assert_eq!(disconnect["sent"]["msgs"], 1);
    assert_eq!(disconnect["sent"]["bytes"], 2);
    assert!(disconnect["client"]["stop"].is_string());
    server.shutdown().await;
}

#[tokio::test]
async fn ping_and_server_requests_are_answered() {
    let server = Server::start(options()).await.expect("starts");
    let system = login(server.client_addr(), "sys").await;
    let id = server.server_id().to_owned();

    let ping = request(&system, "$SYS.REQ.SERVER.PING", "").await;
    assert_eq!(ping["server"]["id"], id.as_str());
    assert_eq!(ping["statsz"]["connections"], 1);

    let idz = request(&system, "$SYS.REQ.SERVER.PING.IDZ", "").await;
    assert_eq!(idz["id"], id.as_str());

    let varz = request(&system, &format!("$SYS.REQ.SERVER.{id}.VARZ"), "").await;
    assert_eq!(varz["data"]["server_id"], id.as_str());
    assert_eq!(varz["data"]["system_account"], "SYS");

    let connz = request(
        &system,
        "$SYS.REQ.SERVER.PING.CONNZ",
        r#"{"subscriptions":true}"#,
    )
    .await;
    let connections = connz["data"]["connections"]
        .as_array()
        .expect("connections");
    assert_eq!(connections.len(), 1);
    assert!(connections[0]["subscriptions_list"].is_array());

    let healthz = request(&system, &format!("$SYS.REQ.SERVER.{id}.HEALTHZ"), "").await;
    assert_eq!(healthz["data"]["status"], "ok");
    assert_eq!(healthz["data"]["status_code"], 200);

    let accountz = request(&system, "$SYS.REQ.SERVER.PING.ACCOUNTZ", "").await;
    assert_eq!(accountz["data"]["system_account"], "SYS");

    let bad = request(&system, "$SYS.REQ.SERVER.PING.SUBSZ", "{bad").await;
    assert_eq!(bad["error"]["code"], 400);
    server.shutdown().await;
}

#[tokio::test]
async fn other_accounts_cannot_reach_the_system_account() {
    let server = Server::start(options()).await.expect("starts");
    let client = login(server.client_addr(), "a").await;
    let answer = tokio::time::timeout(
        WAIT,
        client.request("$SYS.REQ.SERVER.PING".to_owned(), "".into()),
    )
    .await
    .expect("no hang");
    let error = answer.expect_err("nobody answers in account A");
    assert_eq!(
        error.kind(),
        async_nats::client::RequestErrorKind::NoResponders
    );
    server.shutdown().await;
}

#[tokio::test]
async fn the_global_account_is_not_the_system_account_and_a_missing_one_is_refused() {
    let server = Server::start(Options::local()).await.expect("starts");
    let client = async_nats::connect(server.client_url())
        .await
        .expect("connects");
    // `$G` is not the system account: nobody answers there.
    let answer = client
        .request("$SYS.REQ.SERVER.PING".to_owned(), "".into())
        .await;
    assert!(answer.is_err());
    server.shutdown().await;

    let missing = Server::start(Options {
        system_account: Some("NOPE".to_owned()),
        ..Options::local()
    })
    .await;
    let error = missing.err().expect("refused").to_string();
    assert_eq!(error, "error resolving system account: account missing");
}

#[tokio::test]
async fn advisories_have_the_reference_keys() {
    let reference = ReferenceServer::builder()
        .config(REFERENCE_CONFIG)
        .start_async()
        .await;
    let server = Server::start(options()).await.expect("starts");
    let (ref_connect, ref_disconnect) = connect_and_disconnect(reference.addr()).await;
    let (connect, disconnect) = connect_and_disconnect(server.client_addr()).await;
    assert_eq!(key_set(&connect), key_set(&ref_connect));
    assert_eq!(key_set(&disconnect), key_set(&ref_disconnect));
    assert_eq!(disconnect["sent"], ref_disconnect["sent"]);
    assert_eq!(disconnect["reason"], ref_disconnect["reason"]);
    server.shutdown().await;
}

#[tokio::test]
async fn the_server_publishes_its_statistics_on_a_heartbeat() {
    let server = Server::start(options()).await.expect("starts");
    let system = login(server.client_addr(), "sys").await;
    let mut heartbeats = system
        .subscribe("$SYS.SERVER.*.STATSZ")
        .await
        .expect("subscribe");
    // The first heartbeats come within seconds of the start (250 ms, then twice as late).
    let heartbeat = tokio::time::timeout(Duration::from_secs(5), heartbeats.next())
        .await
        .expect("a heartbeat in time")
        .expect("a message");
    let id = server.server_id();
    assert_eq!(
        heartbeat.subject.as_str(),
        format!("$SYS.SERVER.{id}.STATSZ")
    );
    let heartbeat: Value = serde_json::from_slice(&heartbeat.payload).expect("json");
    let ping = request(&system, "$SYS.REQ.SERVER.PING", "").await;
    assert_eq!(heartbeat["server"]["id"], id);
    assert_eq!(
        key_set(&heartbeat["statsz"]).len(),
        key_set(&ping["statsz"]).len()
    );
    server.shutdown().await;
}
