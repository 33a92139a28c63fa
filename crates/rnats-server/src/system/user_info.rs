//! `$SYS.REQ.USER.INFO`: a user asks who it is. The request reaches the system account
//! through the `USER.INFO` import (`imports.rs`), which shares the requester's details in
//! `Nats-Request-Info`; the connection's id there finds what the server granted it.

use std::time::{Duration, UNIX_EPOCH};

use serde::Serialize;
use serde_json::Value;

use super::System;
use super::requests::with_data;
use crate::monitor::json;
use crate::server::ServerState;

/// The header a shared import puts the requester in.
const REQUEST_INFO: &str = "Nats-Request-Info";

/// The `data` of the answer, with the reference's keys.
#[derive(Serialize)]
struct UserInfo {
    /// The user name, NKey or user JWT key the client authenticated with.
    user: String,
    /// The account's name (its key in operator mode).
    account: String,
    /// The account's name for humans (its JWT's name in operator mode).
    #[serde(skip_serializing_if = "String::is_empty")]
    account_name: String,
    /// The user JWT's name.
    #[serde(skip_serializing_if = "String::is_empty")]
    user_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    permissions: Option<Value>,
    /// Nanoseconds until the credentials expire, in whole seconds.
    #[serde(skip_serializing_if = "is_zero")]
    expires: u64,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// `{"server":{...},"error":{"code":400}}`: no requester to answer about.
#[derive(Serialize)]
struct NoRequester {
    server: super::events::ServerInfoJson,
    error: Code,
}

#[derive(Serialize)]
struct Code {
    code: u16,
}

/// The answer to a `$SYS.REQ.USER.<account>.INFO` request with these headers.
pub(super) fn answer(server: &ServerState, system: &System, headers: &[u8]) -> Vec<u8> {
    let Some(requester) = request_info(headers) else {
        let error = NoRequester {
            server: system.server_info(server),
            error: Code { code: 400 },
        };
        return json::to_vec(&error, None);
    };
    let text = |key: &str| requester[key].as_str().unwrap_or_default().to_owned();
    let account = text("acc");
    let client = requester["id"].as_u64().and_then(|id| server.client(id));
    let info = UserInfo {
        user: text("user"),
        account_name: account_name(server, &account),
        account,
        user_name: text("name_tag"),
        permissions: client
            .as_ref()
            .and_then(|client| client.granted())
            .map(|granted| granted.public()),
        expires: client.map_or(0, |client| until(client.identity().expires)),
    };
    with_data(system.server_info(server), &json::to_vec(&info, None))
}

/// The JSON of the `Nats-Request-Info` header, if there is one.
fn request_info(headers: &[u8]) -> Option<Value> {
    let text = std::str::from_utf8(headers).ok()?;
    text.split("\r\n").find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case(REQUEST_INFO)
            .then(|| serde_json::from_str(value.trim()).ok())
            .flatten()
    })
}

/// The account's name for humans: its JWT's `name` in operator mode, else its name.
fn account_name(server: &ServerState, account: &str) -> String {
    if account.is_empty() {
        return String::new();
    }
    let named = server
        .operator()
        .and_then(|operator| operator.account_name(account));
    named
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| account.to_owned())
}

/// Nanoseconds from now until `expires` (Unix seconds), in whole seconds; 0 without one.
fn until(expires: i64) -> u64 {
    let Ok(expires) = u64::try_from(expires) else {
        return 0;
    };
    if expires == 0 {
        return 0;
    }
    let now = UNIX_EPOCH.elapsed().unwrap_or_default();
    let left = Duration::from_secs(expires).saturating_sub(now);
    left.as_secs().saturating_mul(1_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_requester_is_read_from_its_header() {
        let headers = b"NATS/1.0\r\nX: 1\r\nNats-Request-Info: {\"acc\":\"A\",\"id\":3}\r\n\r\n";
        let info = request_info(headers).unwrap_or_default();
        assert_eq!(info["acc"], "A");
        assert_eq!(info["id"], 3);
        assert!(request_info(b"NATS/1.0\r\n\r\n").is_none());
        assert_eq!(until(0), 0);
        assert_eq!(until(1), 0, "expired already");
    }
}
