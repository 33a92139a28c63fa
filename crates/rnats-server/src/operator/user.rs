//! A user's connection in operator mode: the user JWT, its issuer, the nonce signature, the
//! revocations, and the permissions and limits the claims give.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use data_encoding::{BASE64, BASE64URL_NOPAD};
use rnats_proto::ConnectOptions;

use super::{OperatorMode, ResolvedAccount};
use crate::auth::{CompiledPermissions, Permissions, ResponsePermission, SubjectPermission};
use crate::jwt::{self, Claims, Kind, SigningKey, UserClaims};

/// A user the JWT admitted, with what the claims allow it.
pub(crate) struct JwtUser {
    /// The user's public key.
    pub(crate) key: String,
    /// When the user JWT was issued (Unix seconds).
    pub(crate) issued_at: i64,
    /// The user JWT's claims, to grant them again when the account's claims change.
    pub(crate) claims: Arc<Claims<UserClaims>>,
    /// When the connection must end (the user's `exp` or the end of its connect-time
    /// window), Unix seconds.
    pub(crate) expires: Option<i64>,
    /// When the account's JWT expires, Unix seconds (its clients are closed then).
    pub(crate) account_expires: Option<i64>,
    /// What the account's claims grant the user.
    pub(crate) grant: Grant,
}

/// What a user JWT is granted under one version of its account's claims.
pub(crate) struct Grant {
    /// The account (its public key names it), as the claims granting this describe it.
    pub(crate) account: Arc<ResolvedAccount>,
    /// The permissions of the JWT (or of the scoped signing key's template).
    pub(crate) permissions: Option<Arc<CompiledPermissions>>,
    /// The most subscriptions of the connection (user and account limits).
    pub(crate) max_subscriptions: Option<usize>,
    /// The largest payload (user and account limits).
    pub(crate) max_payload: Option<u32>,
}

/// A positive limit; -1 (or any negative) is unlimited.
fn limit(value: i64) -> Option<u64> {
    u64::try_from(value).ok()
}

/// The smaller of two optional limits.
fn smaller(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl OperatorMode {
    /// Checks a CONNECT's user JWT and nonce signature; the error is the reference's debug
    /// line.
    pub(crate) fn authenticate(
        &self,
        connect: &ConnectOptions,
        nonce: Option<&str>,
        peer: IpAddr,
        now: i64,
    ) -> Result<JwtUser, String> {
        let token = connect.jwt.as_deref().unwrap_or_default();
        if token.is_empty() {
            return Err("Authentication requires a user JWT".to_owned());
        }
        let claims: Claims<UserClaims> = jwt::decode(token, Kind::User)
            .map_err(|error| format!("User JWT not valid: {error}"))?;
        claims
            .check_time(now)
            .map_err(|error| format!("User JWT no longer valid: {error}"))?;
        let account_key = if claims.nats.issuer_account.is_empty() {
            claims.iss.as_str()
        } else {
            claims.nats.issuer_account.as_str()
        };
        let account = self
            .account(account_key, now)
            .map_err(|error| format!("Account JWT lookup error: {error}"))?;
        let grant = grant(&claims, account)?;
        if claims.nats.bearer_token {
            if grant.account.claims.nats.limits.disallow_bearer {
                return Err("User JWT is a bearer token, which the account disallows".to_owned());
            }
        } else {
            let signature = connect.sig.as_deref().unwrap_or_default();
            if signature.is_empty() {
                return Err("Signature missing".to_owned());
            }
            if !verifies(&claims.sub, nonce.unwrap_or_default(), signature) {
                return Err("Signature not verified".to_owned());
            }
        }
        let restrictions = scope_of(&claims, &grant.account)?.unwrap_or(&claims.nats);
        let window_end = super::connect_rules::check(restrictions, peer, now)?;
        let expires = (claims.exp > 0)
            .then_some(claims.exp)
            .into_iter()
            .chain(window_end)
            .min();
        let account_exp = grant.account.claims.exp;
        let account_expires = (account_exp > 0).then_some(account_exp);
        Ok(JwtUser {
            key: claims.sub.clone(),
            issued_at: claims.iat,
            claims: Arc::new(claims),
            expires,
            account_expires,
            grant,
        })
    }
}

impl OperatorMode {
    /// The account with public key `key` as its latest claims describe it, if it is in use.
    pub(crate) fn resolved(&self, key: &str) -> Option<Arc<ResolvedAccount>> {
        self.accounts.lock().get(key).cloned()
    }
}

/// The template of the scoped signing key that issued `claims`, if it is one; an error when
/// the issuer is neither the account nor one of its signing keys.
fn scope_of<'a>(
    claims: &Claims<UserClaims>,
    account: &'a ResolvedAccount,
) -> Result<Option<&'a UserClaims>, String> {
    if claims.iss == account.claims.sub {
        return Ok(None);
    }
    let key = (account.claims.nats.signing_keys.iter())
        .find(|key| key.key() == claims.iss)
        .ok_or_else(|| "User JWT issuer is not known".to_owned())?;
    Ok(match key {
        SigningKey::Scoped { template, .. } => Some(template.as_ref()),
        SigningKey::Key(_) => None,
    })
}

/// What `account`'s claims grant the user of `claims`: its issuer must be the account or
/// one of its signing keys, it must not be revoked, and a scoped key's template replaces
/// the user's own permissions and limits. The error is the reference's debug line.
pub(crate) fn grant(
    claims: &Claims<UserClaims>,
    account: Arc<ResolvedAccount>,
) -> Result<Grant, String> {
    let scope = scope_of(claims, &account)?;
    if scope.is_some() && !claims.nats.grants_nothing() {
        return Err(
            "User JWT is not valid: scoped users require no permissions or limits set".to_owned(),
        );
    }
    if is_revoked(&account.claims.nats.revocations, &claims.sub, claims.iat) {
        return Err("User authentication revoked".to_owned());
    }
    let effective = scope.unwrap_or(&claims.nats);
    let limits = &account.claims.nats.limits;
    let max_subscriptions = smaller(limit(effective.limits.subs), limit(limits.subs))
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    let max_payload = smaller(limit(effective.limits.payload), limit(limits.payload))
        .map(|n| u32::try_from(n).unwrap_or(u32::MAX));
    Ok(Grant {
        permissions: CompiledPermissions::compile(&permissions(effective)),
        account,
        max_subscriptions,
        max_payload,
    })
}

/// Whether the account revoked `user`'s JWTs issued at `issued_at` (or its `*` entry did).
pub(crate) fn is_revoked(
    revocations: &std::collections::HashMap<String, i64>,
    user: &str,
    issued_at: i64,
) -> bool {
    [user, "*"]
        .iter()
        .filter_map(|key| revocations.get(*key))
        .any(|revoked_at| issued_at <= *revoked_at)
}

/// Whether `signature` (base64, RawURL or Std) is `user`'s signature of `nonce`.
fn verifies(user: &str, nonce: &str, signature: &str) -> bool {
    let Ok(key) = nkeys::KeyPair::from_public_key(user) else {
        return false;
    };
    let decoded = BASE64URL_NOPAD
        .decode(signature.trim_end_matches('=').as_bytes())
        .or_else(|_| BASE64.decode(signature.as_bytes()));
    decoded.is_ok_and(|bytes| key.verify(nonce.as_bytes(), &bytes).is_ok())
}

/// The permissions of user claims, in the configuration's terms.
fn permissions(claims: &UserClaims) -> Permissions {
    let rules = |rules: &jwt::SubjectRules| {
        (!rules.allow.is_empty() || !rules.deny.is_empty()).then(|| SubjectPermission {
            allow: rules.allow.clone(),
            deny: rules.deny.clone(),
        })
    };
    let allow_responses = claims.resp.as_ref().map(|resp| ResponsePermission {
        max: u32::try_from(resp.max.max(0)).unwrap_or(u32::MAX),
        expires: Duration::from_nanos(u64::try_from(resp.ttl.max(0)).unwrap_or_default()),
    });
    Permissions {
        publish: rules(&claims.publish),
        subscribe: rules(&claims.subscribe),
        allow_responses,
    }
}
