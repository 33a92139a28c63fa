//! `/connz`: open and recently closed connections, filtered, sorted and paged.
//!
//! A request goes through four steps: pick the candidates (`state`), count them (`total`),
//! keep those the filters accept (`cid`, `acc`, `user`), then sort and cut one page.

use std::time::SystemTime;

use serde::Serialize;

use super::conn_info::{ConnInfo, SortBy, SubsShown};
use super::query::{BadRequest, Query};
use super::reply::Reply;
use super::router::paths;
use super::{Monitor, format};
use crate::account::GLOBAL_ACCOUNT;
use crate::client::info::ConnectionSnapshot;

/// Connections per page unless `limit` says otherwise.
const DEFAULT_LIMIT: i64 = 1024;

/// The `/connz` document.
#[derive(Debug, Serialize)]
pub(crate) struct Connz {
    server_id: String,
    now: String,
    num_connections: usize,
    total: usize,
    offset: i64,
    limit: i64,
    /// `null` only for an unknown account, as the reference answers.
    connections: Option<Vec<ConnInfo>>,
}

/// `/connz?state=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnState {
    /// Connections open now (the default).
    Open,
    /// Connections remembered after they closed.
    Closed,
    /// Both.
    All,
}

impl ConnState {
    fn parse(text: &str) -> Result<ConnState, BadRequest> {
        match text.to_ascii_lowercase().as_str() {
            "" | "open" => Ok(ConnState::Open),
            "closed" => Ok(ConnState::Closed),
            "any" | "all" => Ok(ConnState::All),
            _ => Err(BadRequest(format!("Error decoding state for {text}"))),
        }
    }

    fn includes_open(self) -> bool {
        self != ConnState::Closed
    }

    fn includes_closed(self) -> bool {
        self != ConnState::Open
    }
}

/// What a `/connz` request asks for.
#[derive(Debug)]
pub(crate) struct ConnzRequest<'a> {
    pub(crate) sort: &'a str,
    pub(crate) auth: bool,
    pub(crate) subs: SubsShown,
    pub(crate) offset: i64,
    pub(crate) limit: i64,
    pub(crate) cid: u64,
    pub(crate) state: ConnState,
    pub(crate) user: &'a str,
    pub(crate) account: &'a str,
    pub(crate) mqtt_client: &'a str,
}

impl<'a> ConnzRequest<'a> {
    /// Decodes the parameters; the first one that does not decode names the error, in the
    /// order the reference checks them.
    fn decode(query: &'a Query) -> Result<Self, BadRequest> {
        let auth = query.bool("auth")?;
        let (names, detail) = query.subs()?;
        let subs = if detail {
            SubsShown::Detail
        } else if names {
            SubsShown::Subjects
        } else {
            SubsShown::None
        };
        Ok(ConnzRequest {
            sort: query.get("sort"),
            auth,
            subs,
            offset: query.int("offset")?,
            limit: query.int("limit")?,
            cid: query.uint64("cid")?,
            state: ConnState::parse(query.get("state"))?,
            user: query.get("user"),
            account: query.get("acc"),
            mqtt_client: query.get("mqtt_client"),
        })
    }

    /// Whether a connection passes the `acc`, `user` and `mqtt_client` filters. No rnats
    /// connection is an MQTT client, so asking for one matches nothing.
    fn accepts(&self, connection: &ConnectionSnapshot) -> bool {
        let user = connection.identity.user.as_deref().unwrap_or_default();
        (self.account.is_empty() || recorded_account(connection) == self.account)
            && (self.user.is_empty() || user == self.user)
            && self.mqtt_client.is_empty()
    }
}

/// `GET /connz`: counted once the parameters decode.
pub(crate) fn handle(monitor: &Monitor, query: &Query) -> Result<Reply, BadRequest> {
    let request = ConnzRequest::decode(query)?;
    monitor.count(paths::CONNZ);
    Ok(Reply::json(&connz(monitor, &request)?))
}

/// The document for `request`, or the reference's 400 text.
pub(crate) fn connz(monitor: &Monitor, request: &ConnzRequest<'_>) -> Result<Connz, BadRequest> {
    let sort = SortBy::parse(request.sort)
        .ok_or_else(|| BadRequest(format!("invalid sorting option: {}", request.sort)))?;
    if request.state != ConnState::Closed {
        match sort {
            SortBy::Stop => return Err(closed_only("stop")),
            SortBy::Reason => return Err(closed_only("reason")),
            _ => {}
        }
    }
    let offset = request.offset.max(0);
    let limit = if request.cid > 0 {
        1
    } else if request.limit <= 0 {
        DEFAULT_LIMIT
    } else {
        request.limit
    };
    let now = SystemTime::now();
    let mut document = Connz {
        server_id: String::new(),
        now: format::rfc3339_nanos(now),
        num_connections: 0,
        total: 0,
        offset,
        limit,
        connections: None,
    };
    let server = &monitor.server;
    if !request.account.is_empty() && server.find_account(request.account).is_none() {
        // An account that does not exist: the reference answers with an empty document.
        return Ok(document);
    }
    document.server_id = server.server_id.clone();

    let mut candidates = Vec::new();
    if request.state.includes_open() {
        // Like closed ones, open connections count only in the account asked for.
        candidates.extend(
            server
                .open_connections(request.subs != SubsShown::None)
                .into_iter()
                .filter(|c| request.account.is_empty() || recorded_account(c) == request.account),
        );
    }
    if request.state.includes_closed() {
        // Closed connections count only when they match the account asked for.
        candidates.extend(
            server
                .closed_connections()
                .into_iter()
                .filter(|c| request.account.is_empty() || recorded_account(c) == request.account),
        );
    }
    document.total = candidates.len();

    candidates.retain(|c| (request.cid == 0 || c.cid == request.cid) && request.accepts(c));
    let mut infos: Vec<ConnInfo> = candidates
        .iter()
        .map(|c| ConnInfo::new(c, now, request.subs, request.auth))
        .collect();
    sort.sort(&mut infos, now);
    let page = page(infos, offset, limit);
    document.num_connections = page.len();
    document.connections = Some(page);
    Ok(document)
}

/// The entries from `offset` on, at most `limit` of them; empty past the end.
pub(crate) fn page<T>(items: Vec<T>, offset: i64, limit: i64) -> Vec<T> {
    let skip = usize::try_from(offset).unwrap_or(usize::MAX);
    let take = usize::try_from(limit).unwrap_or(usize::MAX);
    items.into_iter().skip(skip).take(take).collect()
}

fn closed_only(key: &str) -> BadRequest {
    BadRequest(format!("sort by {key} only valid on closed connections"))
}

/// The account a connection is filtered by. Open connections name theirs; closed ones of the
/// global account name none (so `acc=$G` leaves them out, as the reference does).
fn recorded_account(connection: &ConnectionSnapshot) -> &str {
    if connection.closed.is_some() && connection.account == GLOBAL_ACCOUNT {
        ""
    } else {
        &connection.account
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_never_overflow() {
        assert_eq!(page(vec![1, 2, 3], 1, 1), [2]);
        assert_eq!(page(vec![1, 2, 3], 0, 1024), [1, 2, 3]);
        assert!(page(vec![1, 2, 3], i64::MAX, i64::MAX).is_empty());
        assert!(page(Vec::<u8>::new(), 5, 5).is_empty());
    }

    #[test]
    fn states_decode_in_any_case() {
        assert_eq!(ConnState::parse("CLOSED"), Ok(ConnState::Closed));
        assert_eq!(ConnState::parse("any"), Ok(ConnState::All));
        assert_eq!(ConnState::parse(""), Ok(ConnState::Open));
        assert_eq!(
            ConnState::parse("bogus"),
            Err(BadRequest("Error decoding state for bogus".into()))
        );
    }
}
