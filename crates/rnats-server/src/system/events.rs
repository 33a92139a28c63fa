//! The JSON documents the system account publishes, with the reference's field names and
//! order: the `server` object every message carries, and the connect, disconnect and
//! account-connections advisories.

use std::time::SystemTime;

use serde::Serialize;

use crate::client::info::ConnectionSnapshot;
use crate::monitor::format::rfc3339_nanos;

use crate::monitor::varz::FEATURE_FLAGS;

/// Which server sent a message, and its sequence number among this server's messages.
#[derive(Debug, Serialize)]
pub(crate) struct ServerInfoJson {
    pub(crate) name: String,
    pub(crate) host: String,
    pub(crate) id: String,
    pub(crate) ver: &'static str,
    pub(crate) feature_flags: std::collections::BTreeMap<&'static str, bool>,
    pub(crate) jetstream: bool,
    pub(crate) flags: u64,
    pub(crate) seq: u64,
    pub(crate) time: String,
}

impl ServerInfoJson {
    /// The object for a message sent now as number `seq`.
    pub(crate) fn new(name: &str, host: &str, id: &str, seq: u64) -> Self {
        ServerInfoJson {
            name: name.to_owned(),
            host: host.to_owned(),
            id: id.to_owned(),
            ver: crate::server::COMPATIBLE_VERSION,
            feature_flags: FEATURE_FLAGS.into_iter().collect(),
            jetstream: false,
            flags: 0,
            seq,
            time: rfc3339_nanos(SystemTime::now()),
        }
    }
}

/// A client as the advisories describe it.
#[derive(Debug, Serialize)]
pub(crate) struct ClientInfoJson {
    start: String,
    host: String,
    id: u64,
    acc: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    user: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    lang: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    ver: String,
    #[serde(skip_serializing_if = "is_zero")]
    rtt: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop: Option<String>,
    name_tag: String,
    kind: &'static str,
    client_type: &'static str,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

impl ClientInfoJson {
    /// The client of `snapshot`; with its round-trip time and end when `closed`.
    pub(crate) fn new(snapshot: &ConnectionSnapshot, stop: Option<SystemTime>) -> Self {
        let identity = &snapshot.identity;
        let rtt = match stop {
            Some(_) => snapshot
                .rtt
                .map_or(0, |rtt| u64::try_from(rtt.as_nanos()).unwrap_or(u64::MAX)),
            None => 0,
        };
        ClientInfoJson {
            start: rfc3339_nanos(snapshot.start),
            host: snapshot.addr.ip().to_string(),
            id: snapshot.cid,
            acc: snapshot.account.clone(),
            user: identity.user.clone().unwrap_or_default(),
            name: identity.name.clone(),
            lang: identity.lang.clone(),
            ver: identity.version.clone(),
            rtt,
            stop: stop.map(rfc3339_nanos),
            name_tag: snapshot.account.clone(),
            kind: "Client",
            client_type: "nats",
        }
    }
}

/// Messages and bytes.
#[derive(Debug, Serialize)]
pub(crate) struct MsgBytes {
    pub(crate) msgs: u64,
    pub(crate) bytes: u64,
}

/// `$SYS.ACCOUNT.<account>.CONNECT`.
#[derive(Debug, Serialize)]
pub(crate) struct ConnectEvent {
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) id: String,
    pub(crate) timestamp: String,
    pub(crate) server: ServerInfoJson,
    pub(crate) client: ClientInfoJson,
}

/// `$SYS.ACCOUNT.<account>.DISCONNECT`: the connect event's fields, then what the client
/// sent and received, and why it closed.
#[derive(Debug, Serialize)]
pub(crate) struct DisconnectEvent {
    #[serde(flatten)]
    pub(crate) event: ConnectEvent,
    pub(crate) sent: MsgBytes,
    pub(crate) received: MsgBytes,
    pub(crate) reason: String,
}

/// Traffic of an account: its clients' only, as there are no routes, gateways or leafs.
#[derive(Debug, Serialize)]
pub(crate) struct AccountTraffic {
    pub(crate) msgs: u64,
    pub(crate) bytes: u64,
    pub(crate) gateways: MsgBytes,
    pub(crate) routes: MsgBytes,
    pub(crate) leafs: MsgBytes,
}

impl AccountTraffic {
    /// `msgs` and `bytes` with clients.
    pub(crate) fn clients(msgs: u64, bytes: u64) -> Self {
        let none = || MsgBytes { msgs: 0, bytes: 0 };
        AccountTraffic {
            msgs,
            bytes,
            gateways: none(),
            routes: none(),
            leafs: none(),
        }
    }
}

/// An account's connections and traffic on this server, as `STATZ` lists them.
#[derive(Debug, Serialize)]
pub(crate) struct AccountStat {
    pub(crate) acc: String,
    pub(crate) name: String,
    pub(crate) conns: usize,
    pub(crate) leafnodes: u32,
    pub(crate) total_conns: usize,
    pub(crate) num_subscriptions: usize,
    pub(crate) sent: AccountTraffic,
    pub(crate) received: AccountTraffic,
    pub(crate) slow_consumers: u64,
}

/// `$SYS.ACCOUNT.<account>.SERVER.CONNS`: an account's connections on this server.
#[derive(Debug, Serialize)]
pub(crate) struct AccountConnections {
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) id: String,
    pub(crate) timestamp: String,
    pub(crate) server: ServerInfoJson,
    #[serde(flatten)]
    pub(crate) stat: AccountStat,
}

/// The advisory types.
pub(crate) const CONNECT_TYPE: &str = "io.nats.server.advisory.v1.client_connect";
/// See [`CONNECT_TYPE`].
pub(crate) const DISCONNECT_TYPE: &str = "io.nats.server.advisory.v1.client_disconnect";
/// See [`CONNECT_TYPE`].
pub(crate) const ACCOUNT_CONNECTIONS_TYPE: &str = "io.nats.server.advisory.v1.account_connections";
