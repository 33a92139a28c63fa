//! What the system account's tests share: accounts SYS, A and B with one user each (`sys`,
//! `a`, `b`, password `pw`) for both servers, logging in, asking for a JSON answer or
//! checking that none comes, and the key paths of a JSON document to compare with the
//! reference's.

// Each test binary uses its own part of what is here.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use async_nats::{Client, ConnectOptions};
use futures::StreamExt;
use rnats_server::{AccountConfig, Options, User};
use serde_json::Value;

/// Bound on any answer a correct server gives at once.
pub const WAIT: Duration = Duration::from_secs(5);

/// A client of `user`, whose password is `pw`.
pub async fn login(addr: SocketAddr, user: &str) -> Client {
    ConnectOptions::with_user_and_password(user.to_owned(), "pw".to_owned())
        .connect(addr.to_string())
        .await
        .expect("connects")
}

/// The JSON answer to a request.
pub async fn request(client: &Client, subject: &str, payload: &str) -> Value {
    let reply = tokio::time::timeout(
        WAIT,
        client.request(subject.to_owned(), payload.to_owned().into()),
    )
    .await
    .expect("an answer in time")
    .expect("answered");
    serde_json::from_slice(&reply.payload).expect("JSON answer")
}

/// Every key path of a JSON document (`a.b` for nested objects, `a[].b` in arrays).
pub fn key_paths(value: &Value) -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    collect(value, "", &mut paths);
    paths
}

fn collect(value: &Value, prefix: &str, into: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let path = format!("{prefix}{key}");
                collect(inner, &format!("{path}."), into);
                into.insert(path);
            }
        }
        Value::Array(items) => {
            for item in items {
                collect(item, &format!("{prefix}[]."), into);
            }
        }
        _ => {}
    }
}

/// The reference's configuration of the same accounts and users as [`options`].
pub const REFERENCE_CONFIG: &str = "accounts {\n  SYS: { users: [{user: sys, password: pw}] }\n  \
     A: { users: [{user: a, password: pw}] }\n  B: { users: [{user: b, password: pw}] }\n}\n\
     system_account: SYS\n";

pub fn options() -> Options {
    Options {
        users: vec![
            User::password("sys", "pw").in_account("SYS"),
            User::password("a", "pw").in_account("A"),
            User::password("b", "pw").in_account("B"),
        ],
        accounts: vec![
            AccountConfig::new("SYS", vec![], vec![]),
            AccountConfig::new("A", vec![], vec![]),
            AccountConfig::new("B", vec![], vec![]),
        ],
        system_account: Some("SYS".to_owned()),
        ..Options::local()
    }
}

/// The first answer on an inbox to a request with no answer due, then one that is answered:
/// the server answers in order, so the second one's arriving first proves the first got none.
pub async fn is_unanswered(system: &Client, subject: &str, payload: &str) -> bool {
    let inbox = system.new_inbox();
    let mut answers = system
        .subscribe(format!("{inbox}.*"))
        .await
        .expect("subscribes");
    system
        .publish_with_reply(
            subject.to_owned(),
            format!("{inbox}.1"),
            payload.to_owned().into(),
        )
        .await
        .expect("publishes");
    system
        .publish_with_reply("$SYS.REQ.SERVER.PING.IDZ", format!("{inbox}.2"), "".into())
        .await
        .expect("publishes");
    let first = tokio::time::timeout(WAIT, answers.next())
        .await
        .expect("an answer in time")
        .expect("subscription open");
    first.subject.as_str() == format!("{inbox}.2")
}

/// rnats with [`options`] and the reference with [`REFERENCE_CONFIG`].
pub async fn start_both() -> (rnats_server::Server, rnats_testkit::ReferenceServer) {
    let reference = rnats_testkit::ReferenceServer::builder()
        .config(REFERENCE_CONFIG)
        .start_async()
        .await;
    let server = rnats_server::Server::start(options())
        .await
        .expect("starts");
    (server, reference)
}
