//! One connection as `/connz` reports it, its subscriptions, and the sort orders of
//! `/connz?sort=`.

use std::cmp::Reverse;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::format;
use crate::account::GLOBAL_ACCOUNT;
use crate::client::info::{ConnectionSnapshot, SubscriptionSnapshot};
use crate::tls::PeerCertificate;

/// A subscription in `/connz?subs=detail` and `/subsz?subs=1`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SubDetail {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) account_tag: Option<String>,
    pub(crate) subject: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) qgroup: Option<String>,
    pub(crate) sid: String,
    pub(crate) msgs: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub(crate) max: u64,
    pub(crate) cid: u64,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

fn is_false(value: &bool) -> bool {
    !*value
}

impl SubDetail {
    /// The detail, with the account named when `with_account` (the reference names it for
    /// `/subsz` and for closed connections, not for open ones).
    pub(crate) fn new(sub: &SubscriptionSnapshot, with_account: bool) -> Self {
        SubDetail {
            // Without account tags, the tag is the account name.
            account: with_account.then(|| sub.account.clone()),
            account_tag: with_account.then(|| sub.account.clone()),
            subject: sub.subject.clone(),
            qgroup: sub.queue.clone(),
            sid: sub.sid.clone(),
            msgs: sub.msgs,
            max: sub.max,
            cid: sub.cid,
        }
    }
}

/// Subscriptions in a stable order (by sid, numerically when they are numbers): the
/// reference walks a hash map, so any order is compatible, and a fixed one pages reliably.
pub(crate) fn sorted_subscriptions(subs: &[SubscriptionSnapshot]) -> Vec<&SubscriptionSnapshot> {
    let mut sorted: Vec<_> = subs.iter().collect();
    sorted.sort_by(|a, b| {
        let number = |s: &SubscriptionSnapshot| s.sid.parse::<u64>().ok();
        (a.cid, number(a), &a.sid).cmp(&(b.cid, number(b), &b.sid))
    });
    sorted
}

/// Which subscription data a `/connz` entry carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubsShown {
    None,
    Subjects,
    Detail,
}

/// One entry of `/connz` `connections`.
#[derive(Debug, Serialize)]
pub(crate) struct ConnInfo {
    cid: u64,
    kind: &'static str,
    #[serde(rename = "type")]
    connection_type: &'static str,
    ip: String,
    port: u16,
    start: String,
    last_activity: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    rtt: String,
    uptime: String,
    idle: String,
    pending_bytes: u64,
    in_msgs: u64,
    out_msgs: u64,
    in_bytes: u64,
    out_bytes: u64,
    subscriptions: usize,
    #[serde(skip_serializing_if = "String::is_empty")]
    name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    lang: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_version: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_cipher_suite: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tls_peer_certs: Vec<PeerCertificate>,
    #[serde(skip_serializing_if = "is_false")]
    tls_first: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorized_user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    subscriptions_list: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    subscriptions_list_detail: Vec<SubDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name_tag: Option<String>,
    /// Sort keys, not reported.
    #[serde(skip)]
    keys: SortKeys,
}

#[derive(Debug, Default)]
struct SortKeys {
    start: Option<SystemTime>,
    last: Option<SystemTime>,
    stop: Option<SystemTime>,
    rtt: Duration,
}

impl ConnInfo {
    /// The entry for a connection snapshot. Open connections measure `uptime` and `idle` up
    /// to `now`; closed ones up to when they closed, as the reference fixes them at close.
    pub(crate) fn new(
        snapshot: &ConnectionSnapshot,
        now: SystemTime,
        subs: SubsShown,
        auth: bool,
    ) -> Self {
        let closed = snapshot.closed.as_ref();
        let until = closed.map_or(now, |(stop, _)| *stop);
        let is_global = snapshot.account == GLOBAL_ACCOUNT;
        let listed = sorted_subscriptions(&snapshot.subscriptions_list);
        let (subscriptions_list, subscriptions_list_detail) = match subs {
            SubsShown::None => (Vec::new(), Vec::new()),
            SubsShown::Subjects => (
                listed.iter().map(|s| s.subject.clone()).collect(),
                Vec::new(),
            ),
            SubsShown::Detail => (
                Vec::new(),
                listed
                    .iter()
                    .map(|s| SubDetail::new(s, closed.is_some()))
                    .collect(),
            ),
        };
        let identity = &snapshot.identity;
        let tls = snapshot.tls.as_ref();
        ConnInfo {
            cid: snapshot.cid,
            kind: "Client",
            connection_type: "nats",
            ip: snapshot.addr.ip().to_string(),
            port: snapshot.addr.port(),
            start: format::rfc3339_nanos(snapshot.start),
            last_activity: format::rfc3339_nanos(snapshot.last_activity),
            stop: closed.map(|(stop, _)| format::rfc3339_nanos(*stop)),
            reason: closed.map(|(_, reason)| reason.to_string()),
            rtt: format::rtt(snapshot.rtt),
            uptime: format::uptime(format::since(snapshot.start, until)),
            idle: format::uptime(format::since(snapshot.last_activity, until)),
            pending_bytes: snapshot.pending_bytes,
            in_msgs: snapshot.in_msgs,
            out_msgs: snapshot.out_msgs,
            in_bytes: snapshot.in_bytes,
            out_bytes: snapshot.out_bytes,
            subscriptions: snapshot.subscriptions,
            name: identity.name.clone(),
            lang: identity.lang.clone(),
            version: identity.version.clone(),
            tls_version: tls.map(|t| t.version),
            tls_cipher_suite: tls.map(|t| t.cipher_suite.clone()),
            // Who the client proved to be is for authorized eyes only, as its user name is.
            tls_peer_certs: tls
                .filter(|_| auth)
                .map(|t| t.peer_certificates.clone())
                .unwrap_or_default(),
            tls_first: tls.is_some_and(|t| t.handshake_first),
            authorized_user: auth
                .then(|| identity.user.clone())
                .flatten()
                .filter(|u| !u.is_empty()),
            account: (auth && !is_global).then(|| snapshot.account.clone()),
            subscriptions_list,
            subscriptions_list_detail,
            // Open connections name their account's tag; closed ones only outside `$G`.
            name_tag: (auth && (closed.is_none() || !is_global)).then(|| snapshot.account.clone()),
            keys: SortKeys {
                start: Some(snapshot.start),
                last: Some(snapshot.last_activity),
                stop: closed.map(|(stop, _)| *stop),
                rtt: snapshot.rtt.unwrap_or_default(),
            },
        }
    }
}

/// `/connz?sort=`: the reference's sort options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortBy {
    Cid,
    Start,
    Subs,
    Pending,
    MsgsTo,
    MsgsFrom,
    BytesTo,
    BytesFrom,
    Last,
    Idle,
    Uptime,
    Stop,
    Reason,
    Rtt,
}

impl SortBy {
    /// The option named `text`; empty is by connection id.
    pub(crate) fn parse(text: &str) -> Option<SortBy> {
        Some(match text {
            "" | "cid" => SortBy::Cid,
            "start" => SortBy::Start,
            "subs" => SortBy::Subs,
            "pending" => SortBy::Pending,
            "msgs_to" => SortBy::MsgsTo,
            "msgs_from" => SortBy::MsgsFrom,
            "bytes_to" => SortBy::BytesTo,
            "bytes_from" => SortBy::BytesFrom,
            "last" => SortBy::Last,
            "idle" => SortBy::Idle,
            "uptime" => SortBy::Uptime,
            "stop" => SortBy::Stop,
            "reason" => SortBy::Reason,
            "rtt" => SortBy::Rtt,
            _ => return None,
        })
    }

    /// Sorts as the reference does: ascending by cid, start, uptime and reason, descending by
    /// everything else. Ties keep their order (open connections by cid, then closed ones in
    /// closing order), where the reference's unstable sort leaves them in any order.
    pub(crate) fn sort(self, infos: &mut [ConnInfo], now: SystemTime) {
        match self {
            SortBy::Cid | SortBy::Start => infos.sort_by_key(|c| c.cid),
            SortBy::Subs => infos.sort_by_key(|c| Reverse(c.subscriptions)),
            SortBy::Pending => infos.sort_by_key(|c| Reverse(c.pending_bytes)),
            SortBy::MsgsTo => infos.sort_by_key(|c| Reverse(c.out_msgs)),
            SortBy::MsgsFrom => infos.sort_by_key(|c| Reverse(c.in_msgs)),
            SortBy::BytesTo => infos.sort_by_key(|c| Reverse(c.out_bytes)),
            SortBy::BytesFrom => infos.sort_by_key(|c| Reverse(c.in_bytes)),
            SortBy::Last => infos.sort_by_key(|c| Reverse(c.keys.last)),
            // Longest idle first is the oldest last activity first.
            SortBy::Idle => infos.sort_by_key(|c| c.keys.last),
            SortBy::Uptime => infos.sort_by_key(|c| {
                let start = c.keys.start.unwrap_or(now);
                format::since(start, c.keys.stop.unwrap_or(now))
            }),
            SortBy::Stop => infos.sort_by_key(|c| Reverse(c.keys.stop)),
            SortBy::Reason => infos.sort_by(|a, b| a.reason.cmp(&b.reason)),
            SortBy::Rtt => infos.sort_by_key(|c| Reverse(c.keys.rtt)),
        }
    }
}
