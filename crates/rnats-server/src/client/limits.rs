//! The limits a connection takes from its account (configured, or its JWT) and its user
//! JWT, below the server's own: subscriptions and payload size.

use rnats_proto::ServerError;

use super::connection::ClientConnection;

/// A connection's own limits; `None` leaves the server's.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConnectionLimits {
    /// The most subscriptions.
    pub(crate) max_subscriptions: Option<usize>,
    /// The largest payload.
    pub(crate) max_payload: Option<u32>,
}

impl ClientConnection {
    /// Makes `limits` the connection's; the payload limit applies from the next PUB.
    pub(super) fn set_limits(&mut self, limits: ConnectionLimits) {
        self.limits = limits;
        self.apply_payload_limit();
    }

    /// Makes the parser take the smaller of the server's and the connection's payload
    /// limits (after a reload reset the parser to the server's, too).
    pub(super) fn apply_payload_limit(&mut self) {
        let server_max = self.settings.max_payload;
        let max = (self.limits.max_payload).map_or(server_max, |own| own.min(server_max));
        self.parser.set_max_payload(max as usize);
    }

    /// Whether the connection's own subscription limit allows `sid` as a new subscription;
    /// reports it when not.
    pub(super) fn within_subscription_limit(&mut self, sid: &[u8]) -> bool {
        let Some(max) = self.limits.max_subscriptions else {
            return true;
        };
        let subscriptions = self.handle.subscriptions.lock();
        if subscriptions.len() < max || subscriptions.contains(sid) {
            return true;
        }
        drop(subscriptions);
        client_log!(error, self.handle, "maximum subscriptions exceeded");
        self.send_err(&ServerError::MaxSubscriptionsExceeded);
        false
    }

    /// Whether the connection holds as many subscriptions as its own limit allows, or more.
    pub(super) fn at_subscription_limit(&self) -> bool {
        (self.limits.max_subscriptions)
            .is_some_and(|max| self.handle.subscriptions.lock().len() >= max)
    }
}
