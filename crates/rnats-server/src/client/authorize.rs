//! Authentication and permissions of one connection: the CONNECT check, the SUB check, the
//! publish violation, and what a reload changes for a connected client.

use std::sync::Arc;

use rnats_proto::ServerError;

use super::connection::ClientConnection;
use super::info::ClientIdentity;
use super::limits::ConnectionLimits;
use super::{BindRefused, CloseReason};
use crate::account::Account;
use crate::account::config::AccountLimits;
use crate::auth::{AuthFailure, Authenticated, Authenticator, CompiledPermissions};
use crate::subscription::BySid;

impl ClientConnection {
    /// Who the client is: with `verify_and_map`, the user its TLS certificate names (the
    /// CONNECT's credentials are not looked at, as in the reference); otherwise the CONNECT's.
    pub(super) fn check_credentials(&self) -> Result<Authenticated, AuthFailure> {
        let maps_certificates = self
            .settings
            .tls
            .as_ref()
            .is_some_and(|tls| tls.verify_and_map);
        if maps_certificates {
            return self.auth.authenticate_certificate(self.peer_identity());
        }
        self.auth
            .authenticate(&self.options, self.handle.nonce.as_deref())
    }

    /// Checks the CONNECT's credentials; on success records who the client is and installs
    /// its permissions.
    pub(super) fn authenticate(&mut self) -> Result<(), AuthFailure> {
        if let Some(operator) = self.server.operator() {
            return self.authenticate_jwt(&operator);
        }
        let authenticated = self.check_credentials()?;
        self.admit(authenticated)
    }

    /// Records who an authenticated client is and installs its permissions.
    pub(super) fn admit(&mut self, authenticated: Authenticated) -> Result<(), AuthFailure> {
        let text = |field: &Option<String>| field.clone().unwrap_or_default();
        let Authenticated {
            user,
            label,
            permissions,
            account,
        } = authenticated;
        // An account a reload removed since the user was checked admits nobody.
        let Some(account) = self.account_named(account.as_deref()) else {
            return Err(AuthFailure::default());
        };
        let limits = self.configured_limits(&account.name);
        self.bind(account, limits.max_connections)?;
        self.set_limits(ConnectionLimits {
            max_subscriptions: limits.max_subscriptions,
            max_payload: limits.max_payload,
        });
        self.handle.set_identity(ClientIdentity {
            name: text(&self.options.name),
            lang: text(&self.options.lang),
            version: text(&self.options.version),
            user,
            auth: label,
            protocol: self.options.protocol,
            ..ClientIdentity::default()
        });
        self.install_permissions(permissions);
        crate::system::client_connected(&self.server, &self.handle);
        Ok(())
    }

    /// Binds the client to `account`, refused when it is full or another is bound already.
    pub(super) fn bind(
        &self,
        account: Arc<Account>,
        max_connections: Option<usize>,
    ) -> Result<(), AuthFailure> {
        self.handle
            .bind_account(account, max_connections)
            .map_err(|refused| match refused {
                BindRefused::AccountFull => AuthFailure::account_connections(),
                BindRefused::OtherAccount => AuthFailure::default(),
            })
    }

    /// The `limits` the configuration gives account `name` (none for `$G` and the accounts
    /// not configured).
    fn configured_limits(&self, name: &str) -> AccountLimits {
        (self.settings.accounts.iter())
            .find(|account| account.name == name)
            .map(|account| account.limits)
            .unwrap_or_default()
    }

    /// The account a user is bound to: the one it names (`None` if there is no such
    /// account), else `$G`.
    fn account_named(&self, name: Option<&str>) -> Option<Arc<Account>> {
        match name {
            Some(name) => self.server.accounts().get(name).cloned(),
            None => Some(self.server.global_account.clone()),
        }
    }

    /// Whether the client is bound to the account `name` names.
    fn bound_to(&self, name: Option<&str>) -> bool {
        self.account_named(name)
            .is_some_and(|account| Arc::ptr_eq(&account, self.handle.account()))
    }

    /// After a reload: whether the listed user the client authenticated as (under
    /// `previous`) is gone from the users, or now belongs to another account.
    fn user_removed_or_moved(&self, previous: &Authenticator) -> bool {
        let Some(label) = self.handle.identity().auth else {
            return false;
        };
        if previous.listed_account(&label).is_none() {
            return false;
        }
        match self.auth.listed_account(&label) {
            None => true,
            Some(account) => !self.bound_to(account),
        }
    }

    /// Makes `permissions` the connection's: for its publishes, and for publishers that
    /// deliver to it.
    pub(super) fn install_permissions(&mut self, permissions: Option<Arc<CompiledPermissions>>) {
        self.handle.delivery_rules.set(permissions.as_ref());
        self.handle.set_granted(permissions.clone());
        self.permissions = permissions;
        // Publish decisions cached under the old permissions no longer hold.
        self.cache.clear();
    }

    /// Logs and reports a refused CONNECT.
    pub(super) fn authentication_failed(&mut self, failure: &AuthFailure) -> CloseReason {
        if failure.is_account_connections() {
            let error = ServerError::MaxAccountConnectionsExceeded;
            client_log!(error, self.handle, "{error}");
            self.send_err(&error);
            return CloseReason::MaxAccountConnectionsExceeded;
        }
        client_log!(error, self.handle, "{failure}");
        // Who the client claimed to be, for the closed connection and the system account's
        // authentication error advisory, as the reference reports them.
        let text = |field: &Option<String>| field.clone().unwrap_or_default();
        self.handle.set_identity(ClientIdentity {
            name: text(&self.options.name),
            lang: text(&self.options.lang),
            version: text(&self.options.version),
            user: self.options.user.clone().filter(|user| !user.is_empty()),
            protocol: self.options.protocol,
            ..ClientIdentity::default()
        });
        self.send_err(&ServerError::AuthorizationViolation);
        CloseReason::AuthenticationViolation
    }

    /// Whether the client may subscribe to `subject` (in `queue`); reports a violation.
    pub(super) fn may_subscribe(
        &mut self,
        subject: &[u8],
        queue: Option<&[u8]>,
        sid: &[u8],
    ) -> bool {
        let Some(permissions) = &self.permissions else {
            return true;
        };
        if permissions.can_subscribe(subject, queue) {
            return true;
        }
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        let (subject, sid) = (text(subject), text(sid));
        match queue.map(text) {
            Some(queue) => client_log!(
                error,
                self.handle,
                "Subscription Violation - Subject \"{subject}\", Queue: \"{queue}\", SID {sid}"
            ),
            None => client_log!(
                error,
                self.handle,
                "Subscription Violation - Subject \"{subject}\", SID {sid}"
            ),
        }
        self.send_err(&ServerError::SubscribeViolation {
            subject,
            queue: queue.map(text),
        });
        false
    }

    /// Reports a publish the permissions refused.
    pub(super) fn publish_violation(&mut self, subject: &[u8]) {
        let subject = String::from_utf8_lossy(subject).into_owned();
        client_log!(
            error,
            self.handle,
            "Publish Violation - Subject \"{subject}\""
        );
        self.send_err(&ServerError::PublishViolation(subject));
    }

    /// After a reload: checks the client's credentials against the new configuration,
    /// installs its new permissions and drops the subscriptions they no longer allow.
    pub(super) fn reauthenticate(&mut self) -> Result<(), CloseReason> {
        let previous = std::mem::replace(&mut self.auth, self.server.authenticator());
        // A JWT user keeps what its JWT gave it: operator mode cannot change by a reload.
        if self.jwt.is_some() {
            return Ok(());
        }
        // As in the reference, a user that is gone or changed account is closed without an
        // error, as if it had left; only credentials that no longer pass get one.
        if self.user_removed_or_moved(&previous) {
            return Err(CloseReason::ClientClosed);
        }
        let checked = self.check_credentials().and_then(|authenticated| {
            if self.bound_to(authenticated.account.as_deref()) {
                Ok(authenticated)
            } else {
                Err(AuthFailure::default())
            }
        });
        match checked {
            Ok(authenticated) => {
                self.install_permissions(authenticated.permissions);
                self.drop_forbidden_subscriptions();
                let limits = self.configured_limits(&self.handle.account().name);
                self.set_limits(ConnectionLimits {
                    max_subscriptions: limits.max_subscriptions,
                    max_payload: limits.max_payload,
                });
                Ok(())
            }
            Err(failure) => {
                client_log!(error, self.handle, "{failure}");
                self.send_err(&ServerError::AuthorizationViolation);
                Err(CloseReason::AuthenticationViolation)
            }
        }
    }

    /// Removes the subscriptions the current permissions do not allow, telling the client.
    pub(super) fn drop_forbidden_subscriptions(&mut self) {
        let Some(permissions) = self.permissions.clone() else {
            return;
        };
        let forbidden: Vec<_> = self
            .handle
            .subscriptions
            .lock()
            .iter()
            .filter(|BySid(s)| !permissions.can_subscribe(s.subject(), s.queue()))
            .map(|BySid(s)| s.clone())
            .collect();
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        for subscription in forbidden {
            if let Some(BySid(removed)) = self.handle.subscriptions.lock().take(subscription.sid())
            {
                self.handle.account().remove_subscription(&removed);
            }
            let error = ServerError::SubscriptionRevoked {
                subject: text(subscription.subject()),
                queue: subscription.queue().map(text),
                sid: text(subscription.sid()),
            };
            client_log!(
                debug,
                self.handle,
                "Removed sub \"{}\" for user - not authorized",
                text(subscription.subject())
            );
            self.send_err(&error);
        }
    }
}
