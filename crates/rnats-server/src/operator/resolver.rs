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

/// The answer to an update or a deletion: the account it names and the message or the
/// error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UpdateReply {
    /// The account's public key, or `n/a`; empty for deletions, which name none.
    pub(crate) account: String,
    /// `Ok(message)` (code 200) or `Err(description)` (code 500).
    pub(crate) outcome: Result<String, String>,
}

impl UpdateReply {
    fn ok(account: &str, message: &str) -> Self {
        UpdateReply {
            account: account.to_owned(),
            outcome: Ok(message.to_owned()),
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

    /// Whether the resolver answers `$SYS.REQ.CLAIMS.DELETE` (the directory resolvers do,
    /// refusing unless `allow_delete` is set).
    pub(crate) fn answers_deletions(&self) -> bool {
        self.answers_generic_updates()
    }

    /// Handles `$SYS.REQ.CLAIMS.DELETE`: a JWT an operator key signed about itself, listing
    /// in `nats.accounts` the accounts whose JWTs go. Their files are renamed
    /// `<key>.jwt.deleted`, and the clients of those in use are closed with `Account
    /// Authentication Expired`. `system_account` may not be deleted.
    pub(crate) fn delete_claims(
        &self,
        token: &[u8],
        clients: &[Arc<ClientHandle>],
        system_account: Option<&str>,
    ) -> UpdateReply {
        let text = String::from_utf8_lossy(token);
        let (issuer, checked) = match jwt::decode::<serde_json::Value>(text.trim(), Kind::Generic) {
            Err(error) => (String::new(), Err(decode_error(&error))),
            Ok(claims) => {
                let checked = self.deletion_list(&claims, system_account);
                (claims.sub, checked.map_err(str::to_owned))
            }
        };
        let accounts = match checked {
            Ok(accounts) => accounts,
            Err(why) => {
                let description = format!("delete accounts request by {issuer} failed - {why}");
                tracing::error!("{description}");
                return UpdateReply {
                    account: String::new(),
                    outcome: Err(description),
                };
            }
        };
        for key in &accounts {
            self.delete(key, clients);
        }
        let message = format!("deleted {} accounts", accounts.len());
        tracing::debug!("{message}");
        UpdateReply::ok("", &message)
    }

    /// The accounts a deletion request names, once it proves to come from a trusted
    /// operator key; the error is the reference's word for why not.
    fn deletion_list(
        &self,
        claims: &Claims<serde_json::Value>,
        system_account: Option<&str>,
    ) -> Result<Vec<String>, &'static str> {
        if !self.allow_delete {
            return Err("delete must be enabled in server config");
        }
        if claims.sub != claims.iss {
            return Err("not self signed");
        }
        if !self.trusted.contains(&claims.iss) {
            return Err("not trusted");
        }
        let entries = (claims.nats.get("accounts"))
            .and_then(serde_json::Value::as_array)
            .ok_or("malformed request")?;
        let mut accounts = Vec::with_capacity(entries.len());
        for entry in entries {
            let key = entry
                .as_str()
                .filter(|key| key.starts_with('A'))
                .filter(|key| nkeys::KeyPair::from_public_key(key).is_ok())
                .ok_or("malformed request")?;
            if Some(key) == system_account {
                return Err("not allowed to delete system account");
            }
            accounts.push(key.to_owned());
        }
        Ok(accounts)
    }

    /// Forgets the JWT of `key` (its file renamed `.jwt.deleted`) and ends the account's
    /// clients.
    fn delete(&self, key: &str, clients: &[Arc<ClientHandle>]) {
        self.jwts.write().remove(key);
        if let ResolverKind::Full(dir) | ResolverKind::Cache(dir) = &self.resolver {
            let path = dir.join(format!("{key}.jwt"));
            if path.exists()
                && let Err(error) = std::fs::rename(&path, dir.join(format!("{key}.jwt.deleted")))
            {
                tracing::error!("DirResolver - deleting {}: {error}", path.display());
            }
        }
        let Some(gone) = self.accounts.lock().remove(key) else {
            return;
        };
        gone.account.release_import_client();
        for client in clients {
            if Arc::ptr_eq(client.account(), &gone.account) {
                crate::client::expire_account(client);
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
