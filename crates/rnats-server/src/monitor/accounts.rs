//! `/accountz` and `/accstatz`: the accounts and their traffic. Both cover every account in
//! use: `$G`, the configured ones, the system account and, in operator mode, those made
//! from JWTs so far. `/accstatz` entries are those of the system account's `STATZ` request.

use std::time::SystemTime;

use serde::Serialize;

use super::account_shares::{ExportJson, ImportJson, shares_of};
use super::query::{BadRequest, Query};
use super::reply::Reply;
use super::router::paths;
use super::subsz::SublistStatsJson;
use super::{Monitor, format};
use crate::account::Account;
use crate::system::accounts::account_statz;

/// The `/accountz` document.
#[derive(Debug, Serialize)]
struct Accountz {
    server_id: String,
    now: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_account: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    accounts: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_detail: Option<AccountInfo>,
}

/// `/accountz?acc=NAME` `account_detail`; empty lists are left out, as the reference does
/// (there are no mappings yet).
#[derive(Debug, Serialize)]
struct AccountInfo {
    account_name: String,
    update_time: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    is_system: bool,
    expired: bool,
    complete: bool,
    jetstream_enabled: bool,
    leafnode_connections: u32,
    client_connections: usize,
    subscriptions: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    exports: Vec<ExportJson>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    imports: Vec<ImportJson>,
    name_tag: String,
    sublist_stats: SublistStatsJson,
}

/// `GET /accountz`: the account names, or one account's details with `acc`.
pub(crate) fn accountz(monitor: &Monitor, query: &Query) -> Result<Reply, BadRequest> {
    monitor.count(paths::ACCOUNTZ);
    let server = &monitor.server;
    let mut document = Accountz {
        server_id: server.server_id.clone(),
        now: format::rfc3339_nanos(SystemTime::now()),
        system_account: server.system.as_ref().map(|s| s.account.name.clone()),
        accounts: Vec::new(),
        account_detail: None,
    };
    match query.get("acc") {
        "" => {
            document.accounts = server
                .every_account()
                .iter()
                .map(|a| a.name.clone())
                .collect();
        }
        name => {
            let Some(account) = server.find_account(name) else {
                return Err(BadRequest(format!("Account {name} does not exist")));
            };
            document.account_detail = Some(account_info(monitor, &account));
        }
    }
    Ok(Reply::json(&document))
}

/// `account_detail` for `account`.
fn account_info(monitor: &Monitor, account: &Account) -> AccountInfo {
    let server = &monitor.server;
    let sublist = &account.sublist;
    let client_connections = server
        .open_connections(false)
        .iter()
        .filter(|c| c.account == account.name)
        .count();
    let (exports, imports) = shares_of(server, account);
    let system = server.system.as_ref().map(|s| &s.account);
    AccountInfo {
        account_name: account.name.clone(),
        // Accounts are created with the server and never updated.
        update_time: format::rfc3339_nanos(server.started),
        is_system: system.is_some_and(|system| std::ptr::eq(system.as_ref(), account)),
        expired: false,
        complete: true,
        jetstream_enabled: false,
        leafnode_connections: 0,
        client_connections,
        subscriptions: sublist.count(),
        exports,
        imports,
        name_tag: account.name.clone(),
        sublist_stats: SublistStatsJson::from(&sublist.stats()),
    }
}

/// The `account_detail` of `/accountz?acc=<name>` as JSON, for the system account's
/// `INFO` request; the error is the reference's text for an unknown account.
pub(crate) fn account_detail(monitor: &Monitor, name: &str) -> Result<Vec<u8>, BadRequest> {
    let account = monitor
        .server
        .find_account(name)
        .ok_or_else(|| BadRequest(format!("Account {name} does not exist")))?;
    Ok(super::json::to_vec(&account_info(monitor, &account), None))
}

/// `GET /accstatz`: accounts with connections, or all with `unused=1`. Like the reference's
/// HTTP handler, it does not read `acc`.
pub(crate) fn accstatz(monitor: &Monitor, query: &Query) -> Result<Reply, BadRequest> {
    monitor.count(paths::ACCSTATZ);
    let include_unused = query.bool("unused")?;
    let server = &monitor.server;
    let document = account_statz(server, &server.every_account(), include_unused);
    Ok(Reply::json(&document))
}
