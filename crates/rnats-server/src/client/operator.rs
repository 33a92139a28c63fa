//! Operator mode on one connection: authentication by user JWT, the account's connection
//! limit, the JWT's subscription and payload limits, and the close when the JWT expires.

use std::sync::{Arc, Weak};
use std::time::Duration;

use rnats_proto::ServerError;
use rnats_proto::encode::encode_err;

use super::connection::ClientConnection;
use super::info::ClientIdentity;
use super::{ClientHandle, CloseReason};
use crate::auth::AuthFailure;
use crate::operator::{JwtUser, OperatorMode, unix_now};

/// How long a client whose JWT allows no subscriptions is served before it is closed.
const CLOSE_AT_LIMIT_DELAY: Duration = Duration::from_millis(20);

/// What the JWT limits on a connection.
#[derive(Debug, Default)]
pub(crate) struct JwtLimits {
    /// The most subscriptions.
    max_subscriptions: Option<usize>,
}

impl ClientConnection {
    /// Authenticates the CONNECT's user JWT. Without one, the configured users may still
    /// match.
    pub(super) fn authenticate_jwt(&mut self, operator: &OperatorMode) -> Result<(), AuthFailure> {
        let no_jwt = self.options.jwt.as_deref().is_none_or(str::is_empty);
        if no_jwt && let Ok(authenticated) = self.check_credentials() {
            return self.admit(authenticated);
        }
        let nonce = self.handle.nonce.clone();
        let user = match operator.authenticate(&self.options, nonce.as_deref(), unix_now()) {
            Ok(user) => user,
            Err(reason) => {
                client_log!(debug, self.handle, "{reason}");
                return Err(match self.check_credentials() {
                    Err(failure) => failure,
                    Ok(_) => AuthFailure::default(),
                });
            }
        };
        let account = user.account.account.clone();
        if let Some(max) = u64::try_from(user.account.claims.nats.limits.conn)
            .ok()
            .map(|max| usize::try_from(max).unwrap_or(usize::MAX))
        {
            let active = (self.server.client_handles().iter())
                .filter(|client| Arc::ptr_eq(client.account(), &account))
                .count();
            if active >= max {
                return Err(AuthFailure::account_connections());
            }
        }
        if !self.handle.bind_account(account) {
            return Err(AuthFailure::default());
        }
        self.start_session(&user);
        Ok(())
    }

    /// Records who the JWT user is and applies what its claims say.
    fn start_session(&mut self, user: &JwtUser) {
        let text = |field: &Option<String>| field.clone().unwrap_or_default();
        let name = &user.account.claims.name;
        let auth = if name.is_empty() {
            format!("jwt:{}", user.key)
        } else {
            format!("{name}/jwt:{}", user.key)
        };
        self.handle.set_identity(ClientIdentity {
            name: text(&self.options.name),
            lang: text(&self.options.lang),
            version: text(&self.options.version),
            user: Some(user.key.clone()),
            auth: Some(auth),
            protocol: self.options.protocol,
            jwt_issued_at: user.issued_at,
        });
        self.install_permissions(user.permissions.clone());
        if let Some(payload) = user.max_payload {
            let max = payload.min(self.settings.max_payload);
            self.parser.set_max_payload(max as usize);
        }
        self.jwt = Some(Box::new(JwtLimits {
            max_subscriptions: user.max_subscriptions,
        }));
        client_log!(
            debug,
            self.handle,
            "Authenticated JWT: Client \"{}\" by Account \"{}\"",
            user.key,
            user.account.claims.sub
        );
        if let Some(expires) = user.expires {
            self.expire_at(expires);
        }
        if user.max_subscriptions == Some(0) {
            // At its limit from the start: the reference reports it and closes the client
            // shortly after, so what the client sent meanwhile is still answered.
            client_log!(error, self.handle, "maximum subscriptions exceeded");
            self.send_err(&ServerError::MaxSubscriptionsExceeded);
            self.close_after(CLOSE_AT_LIMIT_DELAY, CloseReason::MaxSubscriptionsExceeded);
        }
    }

    /// Closes the client for `reason` after `delay`, unless it closed meanwhile.
    fn close_after(&self, delay: Duration, reason: CloseReason) {
        let handle: Weak<ClientHandle> = Arc::downgrade(&self.handle);
        let shutdown = self.server.shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(delay) => {
                    if let Some(handle) = handle.upgrade() {
                        handle.close(reason);
                    }
                }
            }
        });
    }

    /// Closes the client with `User Authentication Expired` at `expires` (Unix seconds).
    fn expire_at(&self, expires: i64) {
        let delay = Duration::from_secs(u64::try_from(expires - unix_now()).unwrap_or_default());
        let handle: Weak<ClientHandle> = Arc::downgrade(&self.handle);
        let shutdown = self.server.shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(delay) => {
                    if let Some(handle) = handle.upgrade() {
                        expire(&handle);
                    }
                }
            }
        });
    }

    /// Whether the JWT's subscription limit allows one more; reports it when not.
    pub(super) fn within_jwt_subscription_limit(&mut self, sid: &[u8]) -> bool {
        let Some(max) = self
            .jwt
            .as_ref()
            .and_then(|limits| limits.max_subscriptions)
        else {
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
}

/// Ends a client whose user JWT its account revoked, telling it why; false when it was
/// closed already.
pub(crate) fn revoke(handle: &ClientHandle) -> bool {
    if handle.close_reason().is_some() {
        return false;
    }
    client_log!(debug, handle, "User Authentication Revoked");
    let error = ServerError::AuthenticationRevoked;
    handle.enqueue_protocol(|buf| encode_err(&error, buf));
    handle.close(CloseReason::AuthenticationRevoked)
}

/// Ends a client whose JWT expired, telling it why.
fn expire(handle: &ClientHandle) {
    if handle.close_reason().is_some() {
        return;
    }
    client_log!(debug, handle, "User Authentication Expired");
    let error = ServerError::AuthenticationExpired;
    handle.enqueue_protocol(|buf| encode_err(&error, buf));
    handle.close(CloseReason::AuthenticationExpired);
}
