//! What an account forwards to other accounts: stream imports (in the exporter), service
//! imports (in the importer) and the routes their responses take back (in the exporter).
//!
//! Forwards live in an account's own `forwards` Sublist, apart from the client
//! subscriptions, so a publish in an account without imports never looks at them.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rustc_hash::FxHashMap;

use super::Account;
use super::config::ResponseType;
use super::transform::Transform;

/// The prefix of the reply subjects service imports put on requests.
pub(crate) const REPLY_PREFIX: &str = "_R_.";
/// Random characters per reply token: one per account, then one per request.
const REPLY_TOKEN_LEN: usize = 6;
/// Most response routes an account keeps at once; past it new requests get no route.
const MAX_RESPONSE_ROUTES: usize = 1 << 20;
/// Response routes kept before the first sweep of expired ones.
const FIRST_SWEEP: usize = 1024;

/// One import seen from the account that forwards messages across it.
pub(crate) struct Forward {
    /// The subject filter the forward is stored under, which its transform reads.
    pub(crate) filter: Box<[u8]>,
    /// The account messages go to.
    pub(crate) target: Weak<Account>,
    /// How a subject becomes the target's.
    pub(crate) transform: Transform,
    /// What kind of import this is.
    pub(crate) kind: ForwardKind,
}

/// The three roles a forward plays.
pub(crate) enum ForwardKind {
    /// A stream import: messages go to the importer.
    Stream,
    /// A service import: requests go to the exporter with a reply it can answer.
    Service {
        /// How many responses a request may get.
        response_type: ResponseType,
        /// How long responses are routed back.
        threshold: Duration,
        /// The importing account, where responses go.
        importer: Weak<Account>,
        /// Whether the responder learns who the requester is (`Nats-Request-Info` with the
        /// client's details, not only its account).
        share: bool,
    },
    /// The responses to one importer's requests: looked up in the exporter's routes.
    Responses,
}

/// A forward as the Sublist stores it, equal only to itself.
#[derive(Clone)]
pub(crate) struct ForwardRef(pub(crate) Arc<Forward>);

impl PartialEq for ForwardRef {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for ForwardRef {}

/// Where a response goes: the requester's account and its own reply subject.
pub(crate) struct ResponseRoute {
    /// The requester's account.
    pub(crate) to: Weak<Account>,
    /// The reply subject the requester gave.
    pub(crate) reply: Box<[u8]>,
    single: bool,
    expires: Instant,
}

/// An exporter's routes for responses to imported requests, by rewritten reply subject.
#[derive(Default)]
pub(crate) struct ResponseRoutes {
    inner: Mutex<Routes>,
}

#[derive(Default)]
struct Routes {
    by_reply: FxHashMap<Box<[u8]>, ResponseRoute>,
    next_sweep: usize,
}

impl ResponseRoutes {
    /// Remembers where responses to `reply` go; false when the table is full.
    pub(crate) fn insert(
        &self,
        reply: Box<[u8]>,
        to: Weak<Account>,
        original: &[u8],
        response_type: ResponseType,
        threshold: Duration,
    ) -> bool {
        let now = Instant::now();
        let mut routes = self.inner.lock();
        if routes.by_reply.len() >= routes.next_sweep.max(FIRST_SWEEP) {
            routes.by_reply.retain(|_, route| route.expires > now);
            routes.next_sweep = routes.by_reply.len() * 2;
            if routes.by_reply.len() >= MAX_RESPONSE_ROUTES {
                return false;
            }
        }
        routes.by_reply.insert(
            reply,
            ResponseRoute {
                to,
                reply: original.into(),
                single: response_type == ResponseType::Singleton,
                expires: now + threshold,
            },
        );
        true
    }

    /// Where a response on `reply` goes, if it still may; a singleton's route is used up.
    pub(crate) fn take(&self, reply: &[u8]) -> Option<(Weak<Account>, Box<[u8]>)> {
        let mut routes = self.inner.lock();
        let route = routes.by_reply.get(reply)?;
        if route.expires <= Instant::now() {
            routes.by_reply.remove(reply);
            return None;
        }
        if route.single {
            return routes.by_reply.remove(reply).map(|r| (r.to, r.reply));
        }
        Some((route.to.clone(), route.reply.clone()))
    }

    /// Routes waiting for responses (expired ones not yet swept included).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.inner.lock().by_reply.len()
    }
}

/// `len` random letters and digits.
pub(crate) fn random_token(len: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    (0..len)
        .map(|_| char::from(ALPHABET[fastrand::usize(..ALPHABET.len())]))
        .collect()
}

/// A new account's reply prefix: `_R_.` and a random token and a dot.
pub(crate) fn new_reply_prefix() -> Box<str> {
    format!("{REPLY_PREFIX}{}.", random_token(REPLY_TOKEN_LEN)).into_boxed_str()
}

/// A fresh reply subject under `prefix`.
pub(crate) fn new_reply(prefix: &str) -> Box<[u8]> {
    let mut reply = String::with_capacity(prefix.len() + REPLY_TOKEN_LEN);
    reply.push_str(prefix);
    reply.push_str(&random_token(REPLY_TOKEN_LEN));
    reply.into_bytes().into_boxed_slice()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singleton_routes_are_used_once_and_streams_until_expiry() {
        let routes = ResponseRoutes::default();
        let reply = new_reply("_R_.abcdef.");
        assert_eq!(reply.len(), "_R_.abcdef.123456".len());
        let long = Duration::from_secs(60);
        assert!(routes.insert(
            reply.clone(),
            Weak::new(),
            b"in.1",
            ResponseType::Singleton,
            long
        ));
        assert_eq!(
            routes.take(&reply).map(|(_, r)| r),
            Some(b"in.1"[..].into())
        );
        assert!(routes.take(&reply).is_none());
        assert!(routes.insert(
            reply.clone(),
            Weak::new(),
            b"in.2",
            ResponseType::Stream,
            long
        ));
        assert!(routes.take(&reply).is_some());
        assert!(routes.take(&reply).is_some());
        assert!(routes.insert(
            reply.clone(),
            Weak::new(),
            b"in.3",
            ResponseType::Chunked,
            Duration::ZERO
        ));
        assert!(routes.take(&reply).is_none());
        assert_eq!(routes.len(), 0);
    }
}
