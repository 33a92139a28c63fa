//! Requests about one account, `$SYS.REQ.ACCOUNT.<account>.<X>`, answered to system users
//! as the reference answers them: `CONNZ`, `SUBSZ`, `INFO` and `LEAFZ` wrap a monitoring
//! document in `{"server":{...},"data":...}`; `STATZ` lists account statistics (every
//! account's for `PING`); `CONNS` is the account-connections advisory itself; `JSZ` says
//! JetStream is not enabled. The account in the subject wins over any in the options.
//!
//! Other accounts reach `CONNZ` and `STATZ` about themselves through the system account's
//! imports (`imports.rs`), whose subscriptions these answers count as the reference does.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use serde_json::Value;

use super::System;
use super::events::{ACCOUNT_CONNECTIONS_TYPE, AccountConnections, AccountStat, AccountTraffic};
use super::requests::{self, Request};
use crate::account::forward::random_token;
use crate::account::{Account, Traffic};
use crate::monitor::format::rfc3339_nanos;
use crate::monitor::{Monitor, json};
use crate::server::ServerState;

/// What a `$SYS.REQ.ACCOUNT.<account>.<X>` request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AccountRequest {
    /// The account's connections (`/connz?acc=`).
    Connz,
    /// The account's subscriptions (`/subsz?acc=&subs=1`).
    Subsz,
    /// The account's details (`/accountz?acc=` `account_detail`).
    Info,
    /// The account-connections advisory, answered.
    Conns,
    /// The account's statistics; every account's for the `PING` account.
    Statz,
    /// The leafnodes (there are none).
    Leafz,
    /// JetStream usage: never enabled.
    Jsz,
}

/// The subject suffixes and what answers them.
const SUFFIXES: [(&str, AccountRequest); 7] = [
    ("CONNZ", AccountRequest::Connz),
    ("SUBSZ", AccountRequest::Subsz),
    ("INFO", AccountRequest::Info),
    ("CONNS", AccountRequest::Conns),
    ("STATZ", AccountRequest::Statz),
    ("LEAFZ", AccountRequest::Leafz),
    ("JSZ", AccountRequest::Jsz),
];

/// The account `STATZ` reads as "every account".
const PING: &str = "PING";

/// The subjects the internal client answers, one wildcard per kind.
pub(crate) fn subjects() -> Vec<(String, Request)> {
    SUFFIXES
        .iter()
        .map(|&(suffix, request)| {
            (
                format!("$SYS.REQ.ACCOUNT.*.{suffix}"),
                Request::Account(request),
            )
        })
        .collect()
}

/// The account name (or key) in `$SYS.REQ.ACCOUNT.<account>.<X>`.
pub(super) fn subject_account(subject: &[u8]) -> Option<&str> {
    let rest = subject.strip_prefix(b"$SYS.REQ.ACCOUNT.")?;
    let end = rest.iter().position(|&b| b == b'.')?;
    std::str::from_utf8(rest.get(..end)?).ok()
}

/// The answer to one request; `None` when the reference sends none (`CONNS` and `STATZ` of
/// an account without connections, `CONNS` with options that do not decode).
pub(crate) fn answer(
    monitor: &Monitor,
    system: &System,
    request: AccountRequest,
    subject: &[u8],
    payload: &[u8],
) -> Option<Vec<u8>> {
    let server = &monitor.server;
    let account = subject_account(subject)?;
    let path = match request {
        AccountRequest::Connz => "/connz",
        AccountRequest::Subsz => "/subsz",
        AccountRequest::Leafz => "/leafz",
        AccountRequest::Info => return Some(info(monitor, system, account, payload)),
        AccountRequest::Conns => return conns(server, system, account, payload),
        AccountRequest::Statz => return statz(server, system, account, payload),
        AccountRequest::Jsz => {
            return Some(match options(payload) {
                Ok(_) => requests::failure_answer(
                    system.server_info(server),
                    "jetstream not enabled".to_owned(),
                ),
                Err(description) => bad_request(server, system, description),
            });
        }
    };
    let outcome = requests::query(path, payload).and_then(|mut query| {
        query.set_first("acc", account);
        if request == AccountRequest::Subsz {
            // The reference lists the subscriptions whatever the options say.
            query.set_first("subs", "true");
        }
        requests::monitor_data(monitor, path, &query)
    });
    Some(match outcome {
        Ok(data) => requests::with_data(system.server_info(server), &data),
        Err(description) => bad_request(server, system, description),
    })
}

fn bad_request(server: &ServerState, system: &System, description: String) -> Vec<u8> {
    requests::error_answer(system.server_info(server), 400, description)
}

/// The request's JSON options; none when the payload is empty.
fn options(payload: &[u8]) -> Result<serde_json::Map<String, Value>, String> {
    if payload.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    serde_json::from_slice(payload).map_err(|error| error.to_string())
}

fn info(monitor: &Monitor, system: &System, account: &str, payload: &[u8]) -> Vec<u8> {
    let server = &monitor.server;
    if let Err(description) = options(payload) {
        return bad_request(server, system, description);
    }
    match crate::monitor::account_detail(monitor, account) {
        Ok(detail) => requests::with_data(system.server_info(server), &detail),
        Err(error) => requests::failure_answer(system.server_info(server), error.0),
    }
}

fn conns(server: &ServerState, system: &System, account: &str, payload: &[u8]) -> Option<Vec<u8>> {
    options(payload).ok()?;
    let account = server.find_account(account)?;
    let stat = account_stat(server, &account);
    (stat.conns > 0).then(|| connections_document(server, system, stat))
}

/// `STATZ` options: `accounts` (read for `PING` only) and `include_unused`.
#[derive(Debug, Default, PartialEq, Eq)]
struct StatzOptions {
    accounts: Vec<String>,
    include_unused: bool,
}

/// Decodes `STATZ` options; the error names the field and type as the reference does.
fn statz_options(payload: &[u8]) -> Result<StatzOptions, String> {
    let mut decoded = StatzOptions::default();
    for (key, value) in options(payload)? {
        match (key.as_str(), value) {
            (_, Value::Null) => {}
            ("include_unused", Value::Bool(flag)) => decoded.include_unused = flag,
            ("include_unused", other) => return Err(type_error(&other, "include_unused", "bool")),
            ("accounts", Value::Array(names)) => {
                for name in names {
                    match name {
                        Value::String(name) => decoded.accounts.push(name),
                        other => return Err(type_error(&other, "accounts", "string")),
                    }
                }
            }
            ("accounts", other) => return Err(type_error(&other, "accounts", "[]string")),
            _ => {}
        }
    }
    Ok(decoded)
}

/// The reference's text for an option of the wrong JSON type.
fn type_error(value: &Value, field: &str, expected: &str) -> String {
    let found = match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    format!(
        "json: cannot unmarshal {found} into Go struct field \
         AccountStatzEventOptions.AccountStatzOptions.{field} of type {expected}"
    )
}

fn statz(server: &ServerState, system: &System, account: &str, payload: &[u8]) -> Option<Vec<u8>> {
    let options = match statz_options(payload) {
        Ok(options) => options,
        Err(description) => return Some(bad_request(server, system, description)),
    };
    let chosen: Vec<Arc<Account>> = if account == PING {
        server
            .every_account()
            .into_iter()
            .filter(|a| options.accounts.is_empty() || options.accounts.contains(&a.name))
            .collect()
    } else {
        server.find_account(account).into_iter().collect()
    };
    let document = account_statz(server, &chosen, options.include_unused);
    // Nobody to report on: the reference stays silent unless asked for unused accounts.
    if document.account_statz.is_empty() && !options.include_unused {
        return None;
    }
    let data = json::to_vec(&document, None);
    Some(requests::with_data(system.server_info(server), &data))
}

/// The `STATZ` document (also `/accstatz`): statistics of those of `accounts` that have
/// connections, or of all of them with `include_unused`.
pub(crate) fn account_statz(
    server: &ServerState,
    accounts: &[Arc<Account>],
    include_unused: bool,
) -> AccountStatz {
    AccountStatz {
        server_id: server.server_id.clone(),
        now: rfc3339_nanos(SystemTime::now()),
        account_statz: account_stats(server, accounts)
            .into_iter()
            .filter(|stat| include_unused || stat.conns > 0)
            .collect(),
    }
}

/// The `STATZ` document.
#[derive(serde::Serialize)]
pub(crate) struct AccountStatz {
    server_id: String,
    now: String,
    account_statz: Vec<AccountStat>,
}

/// An account's connections and traffic: its open connections' counters (read live, no
/// snapshot per connection) plus those of its connections that closed. `received` is what
/// the server received from the account's clients, `sent` what it sent them.
pub(crate) fn account_stat(server: &ServerState, account: &Arc<Account>) -> AccountStat {
    account_stats(server, std::slice::from_ref(account))
        .pop()
        .unwrap_or_else(|| stat_of(account, 0, account.closed_traffic()))
}

/// [`account_stat`] of each of `accounts`, in order, from one pass over the clients.
pub(crate) fn account_stats(server: &ServerState, accounts: &[Arc<Account>]) -> Vec<AccountStat> {
    let mut live: Vec<(usize, Traffic)> = accounts
        .iter()
        .map(|account| (0, account.closed_traffic()))
        .collect();
    let index: HashMap<&str, usize> = (accounts.iter().enumerate())
        .map(|(i, account)| (account.name.as_str(), i))
        .collect();
    for client in server.client_handles() {
        let Some(&i) = index.get(client.account().name.as_str()) else {
            continue;
        };
        let (in_msgs, in_bytes) = client.activity.inbound();
        let (out_msgs, out_bytes, _) = client.outbound_counts();
        let (conns, traffic) = &mut live[i];
        *conns += 1;
        *traffic = traffic.plus(Traffic {
            in_msgs,
            in_bytes,
            out_msgs,
            out_bytes,
        });
    }
    (accounts.iter().zip(live))
        .map(|(account, (conns, traffic))| stat_of(account, conns, traffic))
        .collect()
}

fn stat_of(account: &Account, conns: usize, traffic: Traffic) -> AccountStat {
    AccountStat {
        acc: account.name.clone(),
        name: account.name.clone(),
        conns,
        leafnodes: 0,
        total_conns: conns,
        num_subscriptions: account.sublist.count(),
        sent: AccountTraffic::clients(traffic.out_msgs, traffic.out_bytes),
        received: AccountTraffic::clients(traffic.in_msgs, traffic.in_bytes),
        slow_consumers: 0,
    }
}

/// The `io.nats.server.advisory.v1.account_connections` document for `stat`.
pub(super) fn connections_document(
    server: &ServerState,
    system: &System,
    stat: AccountStat,
) -> Vec<u8> {
    let document = AccountConnections {
        kind: ACCOUNT_CONNECTIONS_TYPE,
        id: random_token(super::EVENT_ID_LEN),
        timestamp: rfc3339_nanos(SystemTime::now()),
        server: system.server_info(server),
        stat,
    };
    json::to_vec(&document, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_comes_from_the_subject() {
        assert_eq!(subject_account(b"$SYS.REQ.ACCOUNT.A.CONNZ"), Some("A"));
        assert_eq!(subject_account(b"$SYS.REQ.ACCOUNT.A"), None);
        assert_eq!(subject_account(b"$SYS.REQ.SERVER.PING"), None);
    }

    #[test]
    fn statz_options_decode_or_name_the_field() {
        let options = statz_options(br#"{"accounts":["A","B"],"include_unused":true}"#);
        assert_eq!(
            options,
            Ok(StatzOptions {
                accounts: vec!["A".to_owned(), "B".to_owned()],
                include_unused: true,
            })
        );
        assert_eq!(statz_options(b""), Ok(StatzOptions::default()));
        assert_eq!(
            statz_options(br#"{"include_unused":"x"}"#),
            Err("json: cannot unmarshal string into Go struct field \
                 AccountStatzEventOptions.AccountStatzOptions.include_unused of type bool"
                .to_owned())
        );
        assert!(statz_options(br#"{"accounts":"A"}"#).is_err());
        assert!(statz_options(b"{bad").is_err());
    }
}
