//! The system account's requests that act on the server: `KICK` closes a client, `LDM`
//! tells one client the server is going into lame duck mode, `RELOAD` reloads the
//! configuration, each answered as the reference answers (compared side by side; a reload
//! without a configuration file is rnats's alone to check).

#[path = "system/support.rs"]
mod support;

use std::net::SocketAddr;

use rnats_server::Server;
use rnats_testkit::RawConn;
use serde_json::Value;
use support::{WAIT, is_unanswered, login, options, request, start_both};

/// An answer without the server's description, which differs between servers.
fn without_server(mut answer: Value) -> Value {
    if let Some(map) = answer.as_object_mut() {
        assert!(
            map.remove("server").is_some(),
            "a server object: {answer:?}"
        );
    }
    answer
}

/// What one server did, in order: the answers to LDM (known client, unknown client), KICK
/// (unknown, known), whether the malformed requests went unanswered, what the client got,
/// and the reason its connection closed.
async fn control(addr: SocketAddr) -> Vec<String> {
    let system = login(addr, "sys").await;
    let id = request(&system, "$SYS.REQ.SERVER.PING.IDZ", "").await["id"]
        .as_str()
        .expect("server id")
        .to_owned();
    let mut client = RawConn::connect(addr).await;
    client.read_info().await;
    client
        .send(b"CONNECT {\"user\":\"a\",\"pass\":\"pw\",\"verbose\":false,\"protocol\":1}\r\n")
        .await;
    client.sync().await;
    let connz = request(&system, "$SYS.REQ.ACCOUNT.A.CONNZ", "").await;
    let cid = connz["data"]["connections"][0]["cid"]
        .as_u64()
        .expect("a cid");
    let ask = async |kind: &str, payload: String| {
        let subject = format!("$SYS.REQ.SERVER.{id}.{kind}");
        without_server(request(&system, &subject, &payload).await).to_string()
    };
    let mut seen = vec![
        ask("LDM", format!("{{\"cid\":{cid}}}")).await,
        ask("LDM", "{\"cid\":999999}".to_owned()).await,
    ];
    let info = client.sync().await;
    let text = String::from_utf8_lossy(&info);
    seen.push(format!("lame duck INFO: {}", text.contains("\"ldm\":true")));
    seen.push(ask("KICK", "{\"cid\":999999}".to_owned()).await);
    for malformed in ["", "bad", "{\"cid\":\"x\"}"] {
        let subject = format!("$SYS.REQ.SERVER.{id}.KICK");
        seen.push(format!(
            "{malformed:?} unanswered: {}",
            is_unanswered(&system, &subject, malformed).await
        ));
    }
    seen.push(ask("KICK", format!("{{\"cid\":{cid}}}")).await);
    let (_, closed) = client.read_until_closed(WAIT).await;
    seen.push(format!("closed: {closed}"));
    // The closed connection is listed once its tasks are done, a moment after the socket
    // closed: asked again until it is.
    let deadline = tokio::time::Instant::now() + WAIT;
    let reasons = loop {
        let closed = request(&system, "$SYS.REQ.SERVER.PING.CONNZ", "{\"state\":1}").await;
        let reasons: Vec<Value> = (closed["data"]["connections"].as_array().into_iter())
            .flatten()
            .filter(|c| c["cid"].as_u64() == Some(cid))
            .map(|c| c["reason"].clone())
            .collect();
        if !reasons.is_empty() || tokio::time::Instant::now() > deadline {
            break reasons;
        }
        tokio::task::yield_now().await;
    };
    seen.push(format!("reason: {reasons:?}"));
    seen
}

#[tokio::test]
async fn kick_and_lame_duck_requests_match_the_reference() {
    let (server, reference) = start_both().await;
    let theirs = control(reference.addr()).await;
    let ours = control(server.client_addr()).await;
    assert_eq!(ours, theirs);
    assert_eq!(ours[0], "{}", "an LDM that worked: {ours:?}");
    assert_eq!(
        ours.last().map(String::as_str),
        Some("reason: [String(\"Kicked\")]")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_reload_request_goes_to_whoever_reloads_the_configuration() {
    let server = Server::start(options()).await.expect("starts");
    let system = login(server.client_addr(), "sys").await;
    let subject = format!("$SYS.REQ.SERVER.{}.RELOAD", server.server_id());
    // Nobody reads a configuration file: refused in the reference's words.
    let refused = request(&system, &subject, "").await;
    assert_eq!(refused["error"]["code"], 500);
    assert_eq!(
        refused["error"]["description"],
        "can only reload config when a file is provided using -c or --config"
    );
    // Whoever takes the requests decides the outcome, which is the answer.
    let mut requests = server.handle().reload_requests();
    let reloader = tokio::spawn(async move {
        for outcome in [
            Ok(()),
            Err("config reload not supported for port".to_owned()),
        ] {
            let done = requests.recv().await.expect("a reload request");
            let _ = done.send(outcome);
        }
    });
    let done = request(&system, &subject, "").await;
    assert!(
        done.get("error").is_none() && done.get("server").is_some(),
        "{done}"
    );
    let failed = request(&system, &subject, "").await;
    assert_eq!(
        failed["error"]["description"],
        "config reload not supported for port"
    );
    reloader.await.expect("reloader done");
    server.shutdown().await;
}
