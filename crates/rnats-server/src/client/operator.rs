//! Operator mode on one connection: authentication by user JWT, the account's connection
//! limit, the JWT's subscription and payload limits, and the close when the JWT expires.
//!
//! When the account's claims change, the resolver nudges the account's readers; each grants
//! its user JWT again under the new claims (`refresh_jwt_grant`): new permissions and
//! limits, or a close when the key that signed the user is gone.

use std::sync::{Arc, Weak};
use std::time::Duration;

use rnats_proto::ServerError;
use rnats_proto::encode::encode_err;

use super::connection::ClientConnection;
use super::info::ClientIdentity;
use super::limits::ConnectionLimits;
use super::{ClientHandle, CloseReason};
use crate::auth::AuthFailure;
use crate::jwt::{Claims, UserClaims};
use crate::operator::{Grant, JwtUser, OperatorMode, ResolvedAccount, grant, unix_now};

/// How long a client at its JWT's subscription limit is served before it is closed.
const CLOSE_AT_LIMIT_DELAY: Duration = Duration::from_millis(20);

/// A JWT user's connection: what it needs to grant its JWT again when the account's
/// claims change.
pub(crate) struct JwtSession {
    /// The user JWT's claims.
    user: Arc<Claims<UserClaims>>,
    /// The account claims the current grant comes from.
    account: Arc<ResolvedAccount>,
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
        let peer = self.handle.addr.ip();
        let user = match operator.authenticate(&self.options, nonce.as_deref(), peer, unix_now()) {
            Ok(user) => user,
            Err(reason) => {
                client_log!(debug, self.handle, "{reason}");
                return Err(match self.check_credentials() {
                    Err(failure) => failure,
                    Ok(_) => AuthFailure::default(),
                });
            }
        };
        let account = user.grant.account.account.clone();
        let max_connections = usize::try_from(user.grant.account.claims.nats.limits.conn).ok();
        self.bind(account, max_connections)?;
        self.start_session(user);
        Ok(())
    }

    /// Records who the JWT user is and applies what its claims say.
    fn start_session(&mut self, user: JwtUser) {
        let text = |field: &Option<String>| field.clone().unwrap_or_default();
        let name = &user.grant.account.claims.name;
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
            name_tag: user.claims.name.clone(),
            expires: user.expires.unwrap_or_default(),
        });
        client_log!(
            debug,
            self.handle,
            "Authenticated JWT: Client \"{}\" by Account \"{}\"",
            user.key,
            user.grant.account.claims.sub
        );
        // Whichever comes first closes the client, each with its own words.
        match (user.expires, user.account_expires) {
            (Some(user_end), Some(account_end)) if account_end < user_end => {
                self.expire_at(account_end, ServerError::AccountAuthenticationExpired);
            }
            (Some(user_end), _) => self.expire_at(user_end, ServerError::AuthenticationExpired),
            (None, Some(account_end)) => {
                self.expire_at(account_end, ServerError::AccountAuthenticationExpired);
            }
            (None, None) => {}
        }
        self.jwt = Some(Box::new(JwtSession {
            user: user.claims,
            account: user.grant.account.clone(),
        }));
        self.apply_grant(user.grant);
    }

    /// Installs what the account's claims grant the user; a client at its subscription
    /// limit already is told, and closed shortly after (what it sent meanwhile is still
    /// answered, as by the reference).
    fn apply_grant(&mut self, grant: Grant) {
        let Some(session) = self.jwt.as_mut() else {
            return;
        };
        session.account = grant.account;
        self.install_permissions(grant.permissions);
        self.drop_forbidden_subscriptions();
        self.set_limits(ConnectionLimits {
            max_subscriptions: grant.max_subscriptions,
            max_payload: grant.max_payload,
        });
        if self.at_subscription_limit() {
            client_log!(error, self.handle, "maximum subscriptions exceeded");
            self.send_err(&ServerError::MaxSubscriptionsExceeded);
            self.close_after(CLOSE_AT_LIMIT_DELAY, CloseReason::MaxSubscriptionsExceeded);
        }
    }

    /// Grants the user JWT again if its account's claims changed since; closes the client
    /// when they no longer admit it.
    pub(super) fn refresh_jwt_grant(&mut self) -> Result<(), CloseReason> {
        let Some(session) = self.jwt.as_ref() else {
            return Ok(());
        };
        let Some(current) = self
            .server
            .operator()
            .and_then(|operator| operator.resolved(&session.account.claims.sub))
        else {
            return Ok(());
        };
        if Arc::ptr_eq(&current, &session.account) {
            return Ok(());
        }
        // A user signed by a signing key that changed (a new scope, say) is let go, as by
        // the reference, rather than granted under the new definition.
        let signer = |account: &ResolvedAccount| {
            (account.claims.nats.signing_keys.iter())
                .find(|key| key.key() == session.user.iss)
                .cloned()
        };
        if session.user.iss != current.claims.sub && signer(&current) != signer(&session.account) {
            client_log!(debug, self.handle, "User JWT signing key changed");
            return Err(CloseReason::AuthenticationViolation);
        }
        match grant(&session.user, current) {
            Ok(grant) => {
                self.apply_grant(grant);
                Ok(())
            }
            Err(why) => {
                // The reference closes such a client without a word to it.
                client_log!(debug, self.handle, "{why}");
                Err(CloseReason::AuthenticationViolation)
            }
        }
    }

    /// Runs `action` on the client after `delay`, unless the server shuts down first or the
    /// client is gone.
    fn later(&self, delay: Duration, action: impl FnOnce(&ClientHandle) + Send + 'static) {
        let handle: Weak<ClientHandle> = Arc::downgrade(&self.handle);
        let shutdown = self.server.shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(delay) => {
                    if let Some(handle) = handle.upgrade() {
                        action(&handle);
                    }
                }
            }
        });
    }

    /// Closes the client for `reason` after `delay`, unless it closed meanwhile.
    fn close_after(&self, delay: Duration, reason: CloseReason) {
        self.later(delay, move |handle| {
            handle.close(reason);
        });
    }

    /// Closes the client with `error` (`User Authentication Expired` or `Account
    /// Authentication Expired`) at `expires` (Unix seconds).
    fn expire_at(&self, expires: i64, error: ServerError) {
        let delay = Duration::from_secs(u64::try_from(expires - unix_now()).unwrap_or_default());
        self.later(delay, move |handle| expire(handle, error));
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

/// Ends a client over its account's lowered connection limit, telling it why.
pub(crate) fn refuse_over_account_limit(handle: &ClientHandle) {
    if handle.close_reason().is_some() {
        return;
    }
    let error = ServerError::MaxAccountConnectionsExceeded;
    client_log!(error, handle, "{error}");
    handle.enqueue_protocol(|buf| encode_err(&error, buf));
    handle.close(CloseReason::MaxAccountConnectionsExceeded);
}

/// Ends a client whose user JWT (or account JWT) expired, telling it why.
fn expire(handle: &ClientHandle, error: ServerError) {
    if handle.close_reason().is_some() {
        return;
    }
    client_log!(debug, handle, "{error}");
    handle.enqueue_protocol(|buf| encode_err(&error, buf));
    handle.close(CloseReason::AuthenticationExpired);
}

/// Ends a client whose account JWT is gone (deleted), telling it why.
pub(crate) fn expire_account(handle: &ClientHandle) {
    expire(handle, ServerError::AccountAuthenticationExpired);
}
