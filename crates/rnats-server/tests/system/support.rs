//! What the system account's tests share: logging in with a password, asking for a JSON
//! answer, and the key paths of a JSON document to compare with the reference's.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use async_nats::{Client, ConnectOptions};
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
