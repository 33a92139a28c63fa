//! Account JWT updates and lookups, as the system account's requests ask for them
//! (`$SYS.REQ.CLAIMS.UPDATE`, `$SYS.REQ.ACCOUNT.<key>.CLAIMS.UPDATE` and
//! `$SYS.REQ.ACCOUNT.<key>.CLAIMS.LOOKUP`).
//!
//! What each resolver does, as the reference does it:
//! - `full`: every well-formed account JWT is stored (in memory and as `<dir>/<key>.jwt`)
//!   unless the stored one is newer; an account in use takes the new claims when its issuer
//!   is trusted and it is within its validity window. Lookups answer the stored JWT.
//! - `cache`: only accounts in use are updated (and stored); others are skipped.
//! - `MEMORY`: only the per-account subject, only for accounts in use, which must validate.

use std::path::PathBuf;
use std::sync::Arc;

use super::{OperatorMode, ResolvedAccount};
use crate::client::ClientHandle;
use crate::jwt::{self, AccountClaims, Claims, JwtError, Kind};

/// The account an update reply names when the JWT could not be read.
const UNKNOWN_ACCOUNT: &str = "n/a";

/// Which resolver holds the account JWTs, as far as updates are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ResolverKind {
    /// `MEMORY` (or none): preloaded JWTs.
    Memory,
    /// `full`: a directory holding every JWT.
    Full(PathBuf),
    /// `cache`: a directory holding the JWTs of accounts in use.
    Cache(PathBuf),
}

/// The answer to an update: the account it names and the message or the error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UpdateReply {
    /// The account's public key, or `n/a`.
    pub(crate) account: String,
    /// `Ok(message)` (code 200) or `Err(description)` (code 500).
    pub(crate) outcome: Result<&'static str, String>,
}

impl UpdateReply {
    fn ok(account: &str, message: &'static str) -> Self {
        UpdateReply {
            account: account.to_owned(),
            outcome: Ok(message),
        }
    }
}

/// The reference's words for why a JWT could not be read.
fn decode_error(error: &JwtError) -> String {
    match error {
        JwtError::Malformed(why) if why == "expected three parts" => "expected 3 chunks".into(),
        JwtError::WrongKind(why) if why.starts_with("expected") => "not account claim".into(),
        other => other.to_string(),
    }
}

impl OperatorMode {
    /// Whether the resolver answers `$SYS.REQ.CLAIMS.UPDATE` (the directory resolvers do).
    pub(crate) fn answers_generic_updates(&self) -> bool {
        !matches!(self.resolver, ResolverKind::Memory)
    }

    /// Whether the resolver answers lookups (`full` does).
    pub(crate) fn answers_lookups(&self) -> bool {
        matches!(self.resolver, ResolverKind::Full(_))
    }

    /// Handles an update; `subject_key` is the account the subject names, if any, and
    /// `clients` the server's clients (those whose users the new claims revoke are closed).
    pub(crate) fn update_claims(
        &self,
        subject_key: Option<&str>,
        token: &[u8],
        clients: &[Arc<ClientHandle>],
        now: i64,
    ) -> UpdateReply {
        let cache = matches!(self.resolver, ResolverKind::Cache(_));
        let prefix = if cache {
            "jwt update cache resulted in error - "
        } else {
            "jwt update resulted in error - "
        };
        let fail = |account: &str, why: &str| {
            tracing::error!("{prefix}{account} - {why}");
            UpdateReply {
                account: account.to_owned(),
                outcome: Err(format!("{prefix}{why}")),
            }
        };
        let text = String::from_utf8_lossy(token);
        let token = text.trim();
        let claims: Claims<AccountClaims> = match jwt::decode(token, Kind::Account) {
            Ok(claims) => claims,
            Err(error) => {
                // The full resolver does not say which account it could not read.
                let account = match (&self.resolver, subject_key) {
                    (ResolverKind::Full(_), _) | (_, None) => UNKNOWN_ACCOUNT,
                    (_, Some(key)) => key,
                };
                return fail(account, &decode_error(&error));
            }
        };
        let key = claims.sub.clone();
        if let Some(named) = subject_key
            && named != key
        {
            return fail(named, "subject does not match jwt content");
        }
        let live = self.accounts.lock().contains_key(&key);
        match &self.resolver {
            ResolverKind::Full(dir) => {
                if self.store(&key, token, claims.iat, dir) && live {
                    if self.validate(&claims, now).is_ok() {
                        self.apply(claims, clients, now);
                    } else {
                        tracing::error!(
                            "DirResolver - Update for account \"{key}\" resulted in error \
                             account validation failed"
                        );
                    }
                }
                UpdateReply::ok(&key, "jwt updated")
            }
            ResolverKind::Cache(dir) => {
                if !live {
                    return UpdateReply::ok(&key, "jwt update cache skipped");
                }
                if self.store(&key, token, claims.iat, dir) {
                    if self.validate(&claims, now).is_ok() {
                        self.apply(claims, clients, now);
                    } else {
                        tracing::error!(
                            "DirResolver - Update resulted in error account validation failed"
                        );
                    }
                }
                UpdateReply::ok(&key, "jwt updated cache")
            }
            ResolverKind::Memory => {
                if !live {
                    return UpdateReply::ok(&key, "jwt update skipped");
                }
                if self.validate(&claims, now).is_err() {
                    return fail(&key, "account validation failed");
                }
                self.jwts.write().insert(key.clone(), token.to_owned());
                self.apply(claims, clients, now);
                UpdateReply::ok(&key, "jwt updated")
            }
        }
    }

    /// The stored JWT of `key` for a lookup: `None` (no answer) when `key` is not an
    /// account key, an empty text when nothing is stored.
    pub(crate) fn lookup_claims(&self, key: &str) -> Option<String> {
        if !key.starts_with('A') || nkeys::KeyPair::from_public_key(key).is_err() {
            tracing::error!("DirResolver - Error looking up account \"{key}\": invalid public key");
            return None;
        }
        Some(self.jwts.read().get(key).cloned().unwrap_or_default())
    }

    /// Keeps `token` unless the stored JWT of `key` is newer, writing `<dir>/<key>.jwt`;
    /// returns whether it was kept.
    fn store(&self, key: &str, token: &str, issued_at: i64, dir: &std::path::Path) -> bool {
        let mut jwts = self.jwts.write();
        let newer_stored = jwts.get(key).is_some_and(|stored| {
            jwt::decode::<AccountClaims>(stored, Kind::Account)
                .is_ok_and(|stored| stored.iat > issued_at)
        });
        if newer_stored {
            return false;
        }
        jwts.insert(key.to_owned(), token.to_owned());
        drop(jwts);
        let path = dir.join(format!("{key}.jwt"));
        if let Err(error) = std::fs::write(&path, token) {
            tracing::error!("DirResolver - writing {}: {error}", path.display());
        }
        true
    }

    /// Gives an account in use its new claims: new connections see them at once; its
    /// imports, and those of accounts importing from it, are wired anew; open connections
    /// take them as `live.rs` says.
    fn apply(&self, claims: Claims<AccountClaims>, clients: &[Arc<ClientHandle>], now: i64) {
        let wiring = self.wiring.lock();
        let Some(account) = (self.accounts.lock().get(&claims.sub)).map(|k| k.account.clone())
        else {
            return;
        };
        let resolved = Arc::new(ResolvedAccount::new(account, claims));
        self.install(vec![resolved.clone()], now);
        drop(wiring);
        self.enforce(&resolved, clients);
    }
}
