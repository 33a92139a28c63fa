//! The system account (`$SYS` unless `system_account` names another): where the server
//! publishes its advisories (client connects and disconnects, account connection counts,
//! shutdown) and answers requests about itself (`$SYS.REQ.SERVER.PING`, `...<id>.VARZ`, ...).
//!
//! The server speaks through an internal client (`client/internal.rs`): it publishes like a
//! client, and its subscriptions' deliveries are queued like anyone's, then read back by the
//! task here, which answers them. Only users of the system account can see any of it, by
//! account isolation, except what the system account's imports (`imports.rs`) let every
//! account ask about itself.

pub(crate) mod accounts;
mod claims;
mod control;
pub(crate) mod events;
pub use control::ReloadRequest;
pub(crate) use control::reload_channel;
pub(crate) mod imports;
mod requests;
mod user_info;
mod wire;

pub(crate) use imports::import_into;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use crate::account::Account;
use crate::account::forward::random_token;
use crate::account::registry::Accounts;
use crate::client::info::ConnectionSnapshot;
use crate::client::{ClientHandle, CloseReason, publish_internal};
use crate::monitor::format::rfc3339_nanos;
use crate::monitor::json;
use crate::options::Options;
use crate::server::ServerState;
use events::{
    CONNECT_TYPE, ClientInfoJson, ConnectEvent, DISCONNECT_TYPE, DisconnectEvent, MsgBytes,
    ServerInfoJson,
};

/// The system account's name when the options name none.
pub(crate) const DEFAULT_SYSTEM_ACCOUNT: &str = "$SYS";
/// Characters in an advisory's `id`.
const EVENT_ID_LEN: usize = 22;

/// The system account and the server's client in it.
pub(crate) struct System {
    /// The system account.
    pub(crate) account: Arc<Account>,
    /// The server's internal client, bound to the system account.
    client: Arc<ClientHandle>,
    /// The number of the last message the server sent (`server.seq`).
    seq: AtomicU64,
    /// The host the server listens on, as the `server` object reports it.
    host: String,
}

/// The system account the options ask for, creating `$SYS` when it is not configured; none
/// with `no_system_account`. In operator mode (`operator` given) the system account is the
/// one the options or the operator JWT name, made here and bound to by its JWT users; none
/// when neither names one. The error is the reference's text.
pub(crate) fn resolve(
    options: &Options,
    accounts: &mut Accounts,
    sublist_cache: bool,
    operator: Option<&crate::operator::OperatorMode>,
) -> Result<Option<System>, String> {
    if options.no_system_account {
        return Ok(None);
    }
    let named = options
        .system_account
        .as_deref()
        .or(operator.and_then(|mode| mode.system_account.as_deref()));
    if operator.is_some() && named.is_none() {
        // Operator mode without a system account (the start logged a warning): `$SYS`
        // exists as an account, as in the reference, but nothing makes it the system
        // account, so the server has no events and answers no requests.
        if accounts.get(DEFAULT_SYSTEM_ACCOUNT).is_none() {
            accounts.add(DEFAULT_SYSTEM_ACCOUNT, sublist_cache);
        }
        return Ok(None);
    }
    let name = named.unwrap_or(DEFAULT_SYSTEM_ACCOUNT);
    let account = match accounts.get(name) {
        Some(account) => account.clone(),
        None if name == DEFAULT_SYSTEM_ACCOUNT || operator.is_some() => {
            accounts.add(name, sublist_cache)
        }
        None => return Err("error resolving system account: account missing".to_owned()),
    };
    if let Some(mode) = operator {
        mode.pin_system_account(account.clone());
    }
    import_into_all(&account, accounts);
    Ok(Some(System {
        client: ClientHandle::internal(account.clone()),
        account,
        seq: AtomicU64::new(0),
        host: options.host.clone(),
    }))
}

/// Wires the system account's imports into every account of `accounts` that lacks them
/// (all at start; after a reload, the new ones).
fn import_into_all(system: &Arc<Account>, accounts: &Accounts) {
    import_into(system, system);
    for account in accounts.all() {
        import_into(system, account);
    }
}

impl System {
    /// Wires the system account's imports into the accounts a reload added.
    pub(crate) fn import_into_new(&self, accounts: &Accounts) {
        import_into_all(&self.account, accounts);
    }

    /// The `server` object of the next message.
    pub(super) fn server_info(&self, server: &ServerState) -> ServerInfoJson {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        ServerInfoJson::new(&server.server_name, &self.host, &server.server_id, seq)
    }

    /// Publishes `payload` on `subject` in the system account.
    /// Whether a message on `subject` would reach anyone: events nobody listens to are not
    /// even built, so a server without system users pays nothing per connection.
    pub(super) fn has_listeners(&self, subject: &str) -> bool {
        let subject = subject.as_bytes();
        !self.account.sublist.matches(subject).is_empty()
            || (self.account.has_forwards()
                && !self.account.forwards.matches(subject).plain.is_empty())
    }

    pub(super) fn publish(
        &self,
        server: &ServerState,
        subject: &str,
        reply: Option<&[u8]>,
        payload: &[u8],
    ) {
        publish_internal(
            &server.stats,
            &self.client,
            subject.as_bytes(),
            reply,
            payload,
        );
    }
}

/// Subscribes the request handlers and starts the task that answers them.
pub(crate) fn start(server: &Arc<ServerState>) {
    let Some(system) = &server.system else {
        return;
    };
    let operator = server.operator();
    let table = requests::subscribe(&system.client, &server.server_id, operator.as_deref());
    server.tasks.spawn(requests::serve(server.clone(), table));
}

/// Publishes the CONNECT advisory of a client that authenticated, and its account's
/// connection count.
pub(crate) fn client_connected(server: &ServerState, client: &ClientHandle) {
    let Some(system) = &server.system else {
        return;
    };
    let account = client.account().name.clone();
    account_connections(server, system, &account);
    let subject = format!("$SYS.ACCOUNT.{account}.CONNECT");
    if !system.has_listeners(&subject) {
        return;
    }
    let snapshot = client.snapshot(false);
    let event = ConnectEvent {
        kind: CONNECT_TYPE,
        id: random_token(EVENT_ID_LEN),
        timestamp: rfc3339_nanos(SystemTime::now()),
        server: system.server_info(server),
        client: ClientInfoJson::new(&snapshot, None),
    };
    system.publish(server, &subject, None, &json::to_vec(&event, None));
}

/// Publishes the DISCONNECT advisory of a closed client, from its last snapshot (in `$G`
/// when it never authenticated, as the reference does), its account's connection count if
/// it was bound to the account, and for a failed authentication the server's
/// `CLIENT.AUTH.ERR` advisory, of the same shape.
pub(crate) fn client_disconnected(
    server: &ServerState,
    client: &ClientHandle,
    last: &ConnectionSnapshot,
) {
    let Some(system) = &server.system else {
        return;
    };
    let (stop, reason) = last
        .closed
        .map_or((SystemTime::now(), None), |(stop, reason)| {
            (stop, Some(reason))
        });
    if client.is_bound() {
        account_connections(server, system, &last.account);
    }
    let auth_error = (reason == Some(CloseReason::AuthenticationViolation))
        .then(|| format!("$SYS.SERVER.{}.CLIENT.AUTH.ERR", server.server_id));
    let disconnect = format!("$SYS.ACCOUNT.{}.DISCONNECT", last.account);
    for subject in auth_error.iter().chain([&disconnect]) {
        if !system.has_listeners(subject) {
            continue;
        }
        let event = DisconnectEvent {
            event: ConnectEvent {
                kind: DISCONNECT_TYPE,
                id: random_token(EVENT_ID_LEN),
                timestamp: rfc3339_nanos(stop),
                server: system.server_info(server),
                client: ClientInfoJson::new(last, Some(stop)),
            },
            sent: MsgBytes {
                msgs: last.in_msgs,
                bytes: last.in_bytes,
            },
            received: MsgBytes {
                msgs: last.out_msgs,
                bytes: last.out_bytes,
            },
            reason: reason.map(|r| r.to_string()).unwrap_or_default(),
        };
        system.publish(server, subject, None, &json::to_vec(&event, None));
    }
}

/// Publishes `$SYS.SERVER.<id>.SHUTDOWN`.
pub(crate) fn shutting_down(server: &ServerState) {
    let Some(system) = &server.system else {
        return;
    };
    let info = system.server_info(server);
    let subject = format!("$SYS.SERVER.{}.SHUTDOWN", server.server_id);
    system.publish(server, &subject, None, &json::to_vec(&info, None));
    // The subscriptions hold the internal client; let both go.
    system.client.remove_all_subscriptions();
}

/// Publishes an account's connection count on `$SYS.ACCOUNT.<account>.SERVER.CONNS` and on
/// the older `$SYS.SERVER.ACCOUNT.<account>.CONNS`.
fn account_connections(server: &ServerState, system: &System, account: &str) {
    let subjects = [
        format!("$SYS.SERVER.ACCOUNT.{account}.CONNS"),
        format!("$SYS.ACCOUNT.{account}.SERVER.CONNS"),
    ];
    if !subjects.iter().any(|subject| system.has_listeners(subject)) {
        return;
    }
    let Some(account) = server.find_account(account) else {
        return;
    };
    let stat = accounts::account_stat(server, &account);
    let payload = accounts::connections_document(server, system, stat);
    for subject in &subjects {
        system.publish(server, subject, None, &payload);
    }
}
