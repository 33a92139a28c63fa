//! New account claims reaching the account's open connections, as the reference applies
//! them: connections over a lowered connection limit are closed (the newest first), users
//! the claims revoke are closed, and every other connection is nudged to grant its user
//! JWT again under the new claims (`ClientConnection::refresh_jwt_grant`).

use std::sync::Arc;

use super::{OperatorMode, ResolvedAccount};
use crate::client::{ClientHandle, refuse_over_account_limit, revoke_jwt_user};

impl OperatorMode {
    /// Applies `resolved` (an account's new claims) to `clients`, the server's clients.
    pub(super) fn enforce(&self, resolved: &ResolvedAccount, clients: &[Arc<ClientHandle>]) {
        let mut members: Vec<&Arc<ClientHandle>> = clients
            .iter()
            .filter(|client| Arc::ptr_eq(client.account(), &resolved.account))
            .collect();
        // Connection ids grow with time: the oldest connections keep their places.
        members.sort_by_key(|client| client.id);
        let nats = &resolved.claims.nats;
        let allowed = usize::try_from(nats.limits.conn).unwrap_or(usize::MAX);
        for (index, client) in members.into_iter().enumerate() {
            if index >= allowed {
                refuse_over_account_limit(client);
                continue;
            }
            let identity = client.identity();
            let revoked = identity.jwt_issued_at > 0
                && identity.user.as_deref().is_some_and(|user| {
                    super::user::is_revoked(&nats.revocations, user, identity.jwt_issued_at)
                });
            if revoked {
                revoke_jwt_user(client);
            } else {
                client.wake_reader();
            }
        }
    }
}
