//! The system account: advisories for client connections, requests about the server, and
//! isolation from other accounts; the advisories' JSON keys are compared with the reference's.

#[path = "system/support.rs"]
mod support;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;
use support::{WAIT, is_unanswered, key_paths, login, options, request, start_both};

use async_nats::Client;
use futures::StreamExt;
use rnats_server::{Options, Server};
use rnats_testkit::RawConn;
use serde_json::Value;

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

fn key_set(value: &Value) -> BTreeSet<String> {
    let mut set = key_paths(value);
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

/// What only the reference can report: Go runtime internals and its git commit.
fn without_reference_only(kind: &str, paths: BTreeSet<String>) -> BTreeSet<String> {
    match kind {
        "IPQUEUESZ" => paths
            .into_iter()
            .filter(|p| !p.starts_with("data."))
            .collect(),
        "EXPVARZ" => (paths.into_iter())
            .filter(|p| !p.starts_with("data.memstats."))
            .collect(),
        // rnats is not built from the reference's repository.
        "VARZ" => (paths.into_iter())
            .filter(|p| p != "data.git_commit")
            .collect(),
        _ => paths,
    }
}

#[tokio::test]
async fn every_server_request_has_the_reference_keys() {
    let (server, reference) = start_both().await;
    let ours = login(server.client_addr(), "sys").await;
    let theirs = login(reference.addr(), "sys").await;
    for kind in [
        "STATSZ",
        "IDZ",
        "VARZ",
        "CONNZ",
        "SUBSZ",
        "HEALTHZ",
        "ACCOUNTZ",
        "ROUTEZ",
        "GATEWAYZ",
        "LEAFZ",
        "JSZ",
        "IPQUEUESZ",
        "RAFTZ",
        "EXPVARZ",
    ] {
        let subject = format!("$SYS.REQ.SERVER.PING.{kind}");
        let (ours, theirs) = (
            request(&ours, &subject, "").await,
            request(&theirs, &subject, "").await,
        );
        // Values differ with the servers' histories; the documents' shapes must not.
        let varying = |paths: BTreeSet<String>| -> BTreeSet<String> {
            (paths.into_iter())
                .filter(|p| {
                    !p.starts_with("data.connections.")
                        && !p.starts_with("data.subscriptions_list.")
                })
                .collect()
        };
        assert_eq!(
            varying(without_reference_only(kind, key_set(&ours))),
            varying(without_reference_only(kind, key_set(&theirs))),
            "{kind}"
        );
    }
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
    let (server, reference) = start_both().await;
    let (ref_connect, ref_disconnect) = connect_and_disconnect(reference.addr()).await;
    let (connect, disconnect) = connect_and_disconnect(server.client_addr()).await;
    assert_eq!(key_set(&connect), key_set(&ref_connect));
    assert_eq!(key_set(&disconnect), key_set(&ref_disconnect));
    assert_eq!(disconnect["sent"], ref_disconnect["sent"]);
    assert_eq!(disconnect["reason"], ref_disconnect["reason"]);
    server.shutdown().await;
}

/// A client that fails to authenticate (a wrong password), then one that publishes before
/// CONNECT, then one that leaves before CONNECT: the advisories a system user gets, as
/// (subject with the server id made `<id>`, advisory).
async fn authentication_errors(addr: SocketAddr) -> Vec<(String, Value)> {
    let system = login(addr, "sys").await;
    let mut events = system
        .subscribe("$SYS.SERVER.*.CLIENT.AUTH.ERR")
        .await
        .expect("subscribes");
    let mut disconnects = system
        .subscribe("$SYS.ACCOUNT.$G.DISCONNECT")
        .await
        .expect("subscribes");
    request(&system, "$SYS.REQ.SERVER.PING.IDZ", "").await;
    let attempts: [&[u8]; 3] = [
        b"CONNECT {\"user\":\"a\",\"pass\":\"wrong\",\"name\":\"app\",\"lang\":\"raw\",\"version\":\"1.0\"}\r\n",
        b"PUB x 2\r\nhi\r\n",
        b"",
    ];
    let mut got = Vec::new();
    for (i, attempt) in attempts.iter().enumerate() {
        let mut client = RawConn::connect(addr).await;
        client.read_info().await;
        client.send(attempt).await;
        if !attempt.is_empty() {
            // The server closes the connection after its -ERR.
            let _ = client.read_until_closed(WAIT).await;
        }
        drop(client);
        // Every attempt but the last is an authentication error, then a disconnect.
        let streams = if i < 2 {
            vec![&mut events, &mut disconnects]
        } else {
            vec![&mut disconnects]
        };
        for stream in streams {
            let message = tokio::time::timeout(WAIT, stream.next())
                .await
                .expect("an advisory in time")
                .expect("subscription open");
            let subject = message
                .subject
                .replace(&*server_id_of(&message.subject), "<id>");
            let json: Value = serde_json::from_slice(&message.payload).expect("JSON advisory");
            got.push((subject, json));
        }
    }
    got
}

/// The server id in `$SYS.SERVER.<id>.CLIENT.AUTH.ERR` (empty for other subjects).
fn server_id_of(subject: &str) -> String {
    subject
        .strip_prefix("$SYS.SERVER.")
        .and_then(|rest| rest.split('.').next())
        .map(str::to_owned)
        .unwrap_or_else(|| "\u{0}".to_owned())
}

#[tokio::test]
async fn authentication_errors_are_advised_as_by_the_reference() {
    let (server, reference) = start_both().await;
    let theirs = authentication_errors(reference.addr()).await;
    let ours = authentication_errors(server.client_addr()).await;
    assert_eq!(ours.len(), theirs.len());
    for ((subject, ours), (ref_subject, theirs)) in ours.iter().zip(&theirs) {
        assert_eq!(subject, ref_subject);
        assert_eq!(key_set(ours), key_set(theirs), "{subject}");
        for field in ["acc", "user", "name", "lang", "ver", "kind", "client_type"] {
            assert_eq!(
                ours["client"][field], theirs["client"][field],
                "{subject} {field}"
            );
        }
        assert_eq!(ours["reason"], theirs["reason"], "{subject}");
        assert_eq!(ours["type"], theirs["type"], "{subject}");
    }
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

/// The kinds of `$SYS.REQ.ACCOUNT.<account>.<KIND>` requests.
const ACCOUNT_KINDS: [&str; 7] = ["CONNZ", "SUBSZ", "INFO", "CONNS", "STATZ", "LEAFZ", "JSZ"];

/// The clients an account request reports on: one of account A, subscribed to `foo`, that
/// published on `foo` (and received it) and on `bar` (nobody listens), and one of B.
struct AccountClients {
    _a: (Client, async_nats::Subscriber),
    _b: Client,
    system: Client,
}

async fn account_clients(addr: SocketAddr) -> AccountClients {
    let a = login(addr, "a").await;
    let mut on_foo = a.subscribe("foo").await.expect("subscribes");
    a.publish("foo", "hi".into()).await.expect("publishes");
    a.publish("bar", "abc".into()).await.expect("publishes");
    tokio::time::timeout(WAIT, on_foo.next())
        .await
        .expect("delivered in time")
        .expect("subscription open");
    a.flush().await.expect("flushes");
    let b = login(addr, "b").await;
    b.flush().await.expect("flushes");
    AccountClients {
        _a: (a, on_foo),
        _b: b,
        system: login(addr, "sys").await,
    }
}

/// Each kind's answer about account A, by kind.
async fn account_answers(system: &Client) -> Vec<(&'static str, Value)> {
    let mut answers = Vec::new();
    for kind in ACCOUNT_KINDS {
        let subject = format!("$SYS.REQ.ACCOUNT.A.{kind}");
        answers.push((kind, request(system, &subject, "").await));
    }
    answers
}

#[tokio::test]
async fn account_requests_report_on_the_named_account_only() {
    let server = Server::start(options()).await.expect("starts");
    let clients = account_clients(server.client_addr()).await;
    let system = &clients.system;
    let answers = account_answers(system).await;
    let answer = |kind: &str| -> &Value {
        let found = answers.iter().find(|(k, _)| *k == kind);
        &found.expect("asked").1
    };

    let connz = &answer("CONNZ")["data"];
    assert_eq!(
        connz["total"], 1,
        "B's and the system user's are not counted"
    );
    let connections = connz["connections"].as_array().expect("connections");
    assert_eq!(connections.len(), 1);
    assert_eq!(connections[0]["subscriptions"], 1);
    assert_eq!(connections[0]["in_msgs"], 2);

    // The client's `foo`, and one subscription per import of the system account's.
    let subsz = &answer("SUBSZ")["data"];
    let subscriptions = subsz["subscriptions_list"].as_array().expect("listed");
    assert_eq!(subscriptions.len(), 5);
    assert!(subscriptions.iter().all(|sub| sub["account"] == "A"));
    let foo = subscriptions.iter().find(|sub| sub["subject"] == "foo");
    assert!(foo.is_some(), "{subscriptions:?}");

    let info = &answer("INFO")["data"];
    assert_eq!(info["account_name"], "A");
    assert_eq!(info["client_connections"], 1);

    let conns = answer("CONNS");
    assert_eq!(
        conns["type"],
        "io.nats.server.advisory.v1.account_connections"
    );
    assert_eq!(conns["acc"], "A");
    assert_eq!(conns["conns"], 1);
    // Received from A's client: both messages; sent to it: the one on `foo`.
    assert_eq!(conns["received"]["msgs"], 2);
    assert_eq!(conns["received"]["bytes"], 5);
    assert_eq!(conns["sent"]["msgs"], 1);

    let statz = answer("STATZ")["data"]["account_statz"]
        .as_array()
        .expect("account_statz");
    assert_eq!(statz.len(), 1);
    assert_eq!(statz[0]["acc"], "A");
    assert_eq!(statz[0]["received"], conns["received"]);

    assert_eq!(answer("LEAFZ")["data"]["leafnodes"], 0);
    let jsz = answer("JSZ");
    assert!(jsz["data"].is_null());
    assert_eq!(jsz["error"]["code"], 500);
    assert_eq!(jsz["error"]["description"], "jetstream not enabled");

    // The subject's account wins over the options'.
    let connz_b = request(system, "$SYS.REQ.ACCOUNT.A.CONNZ", r#"{"acc":"B"}"#).await;
    assert_eq!(connz_b["data"]["connections"][0]["in_msgs"], 2);
    server.shutdown().await;
}

#[tokio::test]
async fn account_requests_for_unknown_or_idle_accounts() {
    let server = Server::start(options()).await.expect("starts");
    let clients = account_clients(server.client_addr()).await;
    let system = &clients.system;

    let connz = request(system, "$SYS.REQ.ACCOUNT.NOPE.CONNZ", "").await;
    assert!(connz["data"]["connections"].is_null());
    let info = request(system, "$SYS.REQ.ACCOUNT.NOPE.INFO", "").await;
    assert!(info["data"].is_null());
    assert_eq!(info["error"]["code"], 500);
    assert_eq!(info["error"]["description"], "Account NOPE does not exist");
    assert!(is_unanswered(system, "$SYS.REQ.ACCOUNT.NOPE.CONNS", "").await);
    assert!(is_unanswered(system, "$SYS.REQ.ACCOUNT.NOPE.STATZ", "").await);

    // `PING` reads the accounts from the options: SYS has a connection but is not asked for.
    let statz = request(
        system,
        "$SYS.REQ.ACCOUNT.PING.STATZ",
        r#"{"accounts":["A","B"],"include_unused":true}"#,
    )
    .await;
    let names: Vec<&Value> = statz["data"]["account_statz"]
        .as_array()
        .expect("account_statz")
        .iter()
        .map(|stat| &stat["acc"])
        .collect();
    assert_eq!(names, ["A", "B"]);

    let unused = request(
        system,
        "$SYS.REQ.ACCOUNT.NOPE.STATZ",
        r#"{"include_unused":true}"#,
    )
    .await;
    assert_eq!(unused["data"]["account_statz"], Value::Array(Vec::new()));
    let bad = request(
        system,
        "$SYS.REQ.ACCOUNT.A.STATZ",
        r#"{"include_unused":"x"}"#,
    )
    .await;
    assert_eq!(bad["error"]["code"], 400);

    let unknown_kind = tokio::time::timeout(
        WAIT,
        system.request("$SYS.REQ.ACCOUNT.A.NOPE".to_owned(), "".into()),
    )
    .await
    .expect("no hang");
    let error = unknown_kind.expect_err("nobody answers");
    assert_eq!(
        error.kind(),
        async_nats::client::RequestErrorKind::NoResponders
    );
    server.shutdown().await;
}

#[tokio::test]
async fn account_requests_have_the_reference_keys_and_values() {
    let (server, reference) = start_both().await;
    let ref_clients = account_clients(reference.addr()).await;
    let clients = account_clients(server.client_addr()).await;
    let ref_answers = account_answers(&ref_clients.system).await;
    let answers = account_answers(&clients.system).await;
    for ((kind, ref_answer), (_, answer)) in ref_answers.iter().zip(&answers) {
        assert_eq!(key_set(answer), key_set(ref_answer), "{kind}");
    }
    let answer = |answers: &[(&str, Value)], kind: &str| -> Value {
        let found = answers.iter().find(|(k, _)| *k == kind);
        found.expect("asked").1.clone()
    };
    let ref_connz = answer(&ref_answers, "CONNZ");
    let connz = answer(&answers, "CONNZ");
    let connection = |connz: &Value| key_set(&connz["data"]["connections"][0]);
    assert_eq!(connection(&connz), connection(&ref_connz));
    assert_eq!(connz["data"]["total"], ref_connz["data"]["total"]);

    let ref_subsz = answer(&ref_answers, "SUBSZ");
    let subsz = answer(&answers, "SUBSZ");
    let listed = |subsz: &Value| -> Vec<Value> {
        let list = subsz["data"]["subscriptions_list"].as_array().cloned();
        let mut list = list.expect("listed");
        // The reference's own subscriptions are in the other connection; `cid`s differ.
        list.retain(|sub| {
            !sub["subject"]
                .as_str()
                .is_some_and(|s| s.starts_with("$SYS"))
        });
        for sub in &mut list {
            sub["cid"] = Value::Null;
        }
        list
    };
    assert_eq!(listed(&subsz), listed(&ref_subsz));

    let ref_info = answer(&ref_answers, "INFO");
    let info = answer(&answers, "INFO");
    assert_eq!(
        info["data"]["subscriptions"],
        ref_info["data"]["subscriptions"]
    );
    assert_eq!(
        info["data"]["client_connections"],
        ref_info["data"]["client_connections"]
    );

    let ref_conns = answer(&ref_answers, "CONNS");
    let conns = answer(&answers, "CONNS");
    let ref_statz = answer(&ref_answers, "STATZ");
    let statz = answer(&answers, "STATZ");
    for (ours, theirs) in [
        (&conns, &ref_conns),
        (
            &statz["data"]["account_statz"][0],
            &ref_statz["data"]["account_statz"][0],
        ),
    ] {
        for key in [
            "acc",
            "name",
            "conns",
            "total_conns",
            "sent",
            "received",
            "num_subscriptions",
        ] {
            assert_eq!(ours[key], theirs[key], "{key}");
        }
    }
    let ref_jsz = answer(&ref_answers, "JSZ");
    let jsz = answer(&answers, "JSZ");
    assert_eq!(jsz["data"], ref_jsz["data"]);
    assert_eq!(jsz["error"], ref_jsz["error"]);
    server.shutdown().await;
}
