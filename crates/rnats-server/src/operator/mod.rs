//! Operator mode (decentralised authentication with JWTs).
//!
//! The configuration names trusted operators (their JWTs, or bare keys with
//! `trusted_keys`) and a resolver that holds account JWTs: `MEMORY` with
//! `resolver_preload`, or a directory of `<account key>.jwt` files (`full` or `cache`). An
//! account comes to life the first time a user of it connects: its JWT is looked up, its
//! issuer must be a trusted operator key (the identity key or a signing key) and it must be
//! within its validity window; then an `Account` is made for it, named by its public key.
//! Users prove who they are with a user JWT issued by the account (or one of its signing
//! keys) and, unless it is a bearer token, a signature of the INFO nonce (`user.rs`).
//!
//! An account's JWT imports are wired when it is made (`imports.rs`): each import whose
//! exporter (made too, if need be) has an export of the same kind covering the subject,
//! public or with a valid activation token, becomes forwards between the two accounts, as
//! configured accounts' imports do. Imports not authorized are skipped.
//!
//! Account JWT updates, lookups and deletions over the system account are in `resolver.rs`; an account
//! in use takes an update's claims, its imports are wired anew, and so are those of the
//! accounts importing from it; its open connections take the new claims (`live.rs`).
//!
//! Not here yet: fetching a JWT the directory resolver lacks from other servers, activation
//! tokens given as URLs, and the limits on the number of imports and exports.

mod config;
mod connect_rules;
mod imports;
mod live;
mod resolver;
mod user;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use parking_lot::{Mutex, RwLock};

use crate::account::Account;
use crate::account::wiring::Installed;
use crate::jwt::{self, AccountClaims, Claims, Kind, OperatorClaims};
use crate::options::Options;
use crate::server::ServerState;
pub use config::{OperatorOptions, Resolver};
pub(crate) use imports::{config_export, config_import};
pub(crate) use resolver::{ResolverKind, UpdateReply};
pub(crate) use user::{Grant, JwtUser, grant};

/// The trusted operators and the accounts known through them; one per server.
pub(crate) struct OperatorMode {
    /// Keys that may sign account JWTs: each operator's own and its signing keys.
    trusted: HashSet<String>,
    /// The system account the operator JWT names, if any.
    pub(crate) system_account: Option<String>,
    /// The resolver's account JWTs, by account public key.
    jwts: RwLock<HashMap<String, String>>,
    /// Accounts made so far, by public key.
    accounts: Mutex<HashMap<String, Arc<ResolvedAccount>>>,
    /// Held while accounts are made or their claims replaced, so imports are wired by one
    /// at a time and no account is made twice.
    wiring: Mutex<()>,
    /// The system account's `Account`, which its users bind to (set at start).
    system: OnceLock<Arc<Account>>,
    /// Which resolver holds the JWTs.
    resolver: ResolverKind,
    /// The directory resolver's `allow_delete`: operators may delete account JWTs.
    allow_delete: bool,
    sublist_cache: bool,
}

/// An account of operator mode: the `Account` clients bind to and the claims it was made
/// from.
pub(crate) struct ResolvedAccount {
    pub(crate) account: Arc<Account>,
    pub(crate) claims: Claims<AccountClaims>,
    /// The forwards the claims' imports installed (in this account or its exporters).
    imports: Mutex<Vec<Installed>>,
}

impl ResolvedAccount {
    /// `account` with `claims`, its imports not wired yet.
    fn new(account: Arc<Account>, claims: Claims<AccountClaims>) -> Self {
        ResolvedAccount {
            account,
            claims,
            imports: Mutex::new(Vec::new()),
        }
    }
}

/// Why an account could not be resolved, as the reference's debug line says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LookupError {
    /// The resolver has no JWT for the account.
    Missing,
    /// The JWT does not decode, is not about the account, is expired or has an issuer that
    /// is not trusted.
    Invalid,
}

impl std::fmt::Display for LookupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LookupError::Missing => "account missing",
            LookupError::Invalid => "account validation failed",
        })
    }
}

/// Why a reload that changes operator mode is refused.
pub(crate) const RELOAD_REFUSED: &str =
    "config reload not supported for operator mode (operator, trusted_keys, resolver) by rnats yet";

/// The warning when operator mode runs without a system account, as the reference's.
const NO_SYSTEM_ACCOUNT: &str = "Trusted Operators should utilize a System Account";

/// Builds operator mode from the options at start, after the start-time checks; `None`
/// without operators.
pub(crate) fn start(options: &Options) -> Result<Option<Arc<OperatorMode>>, String> {
    let Some(operator) = &options.operator else {
        return Ok(None);
    };
    let mode = OperatorMode::new(operator, !options.no_sublist_cache)?;
    let system_account = options
        .system_account
        .as_deref()
        .or(mode.system_account.as_deref());
    operator.check(system_account, !options.accounts.is_empty())?;
    if system_account.is_none() {
        tracing::warn!("{NO_SYSTEM_ACCOUNT}");
    }
    Ok(Some(Arc::new(mode)))
}

impl ServerState {
    /// Operator mode, when the server runs in it.
    pub(crate) fn operator(&self) -> Option<Arc<OperatorMode>> {
        self.operator.get().cloned()
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

impl OperatorMode {
    /// Decodes the operators and loads the resolver's JWTs; the error is for the start
    /// failure.
    pub(crate) fn new(options: &OperatorOptions, sublist_cache: bool) -> Result<Self, String> {
        let mut trusted: HashSet<String> = options.trusted_keys.iter().cloned().collect();
        let mut system_account = None;
        for token in &options.operators {
            let claims: Claims<OperatorClaims> = jwt::decode(token, Kind::Operator)
                .map_err(|error| format!("error parsing operator JWT: {error}"))?;
            if !claims.nats.strict_signing_key_usage {
                trusted.insert(claims.sub.clone());
            }
            trusted.extend(claims.nats.signing_keys.iter().cloned());
            if !claims.nats.system_account.is_empty() {
                system_account.get_or_insert(claims.nats.system_account);
            }
        }
        let mut jwts: HashMap<String, String> = options
            .preload
            .iter()
            .map(|(key, token)| (key.clone(), token.trim().to_owned()))
            .collect();
        let resolver = match &options.resolver {
            Resolver::Directory { dir, full, .. } => {
                jwts.extend(config::read_directory(dir)?);
                if *full {
                    ResolverKind::Full(dir.clone())
                } else {
                    ResolverKind::Cache(dir.clone())
                }
            }
            Resolver::Memory | Resolver::None => ResolverKind::Memory,
        };
        let allow_delete = matches!(
            options.resolver,
            Resolver::Directory {
                allow_delete: true,
                ..
            }
        );
        Ok(OperatorMode {
            trusted,
            system_account,
            jwts: RwLock::new(jwts),
            accounts: Mutex::new(HashMap::new()),
            wiring: Mutex::new(()),
            system: OnceLock::new(),
            resolver,
            allow_delete,
            sublist_cache,
        })
    }

    /// Makes `account` (the server's system account) the one the system account's users
    /// bind to.
    pub(crate) fn pin_system_account(&self, account: Arc<Account>) {
        let _ = self.system.set(account);
    }

    /// The accounts made so far from their JWTs.
    pub(crate) fn made_accounts(&self) -> Vec<Arc<Account>> {
        let accounts = self.accounts.lock();
        accounts
            .values()
            .map(|known| known.account.clone())
            .collect()
    }

    /// The name the JWT of account `key` gives it, if the account is made.
    pub(crate) fn account_name(&self, key: &str) -> Option<String> {
        let accounts = self.accounts.lock();
        accounts.get(key).map(|known| known.claims.name.clone())
    }

    /// Whether claims may make (or update) an account: a trusted issuer, within the
    /// validity window, activation tokens that fit their imports.
    fn validate(&self, claims: &Claims<AccountClaims>, now: i64) -> Result<(), LookupError> {
        if !self.trusted.contains(&claims.iss) {
            return Err(LookupError::Invalid);
        }
        claims.check_time(now).map_err(|_| LookupError::Invalid)?;
        let issues = imports::import_issues(claims);
        if issues.is_empty() {
            return Ok(());
        }
        tracing::warn!("Account [{}] has validation issues:", claims.sub);
        for issue in issues {
            tracing::warn!("  - {issue}");
        }
        Err(LookupError::Invalid)
    }

    /// The claims of account `key`, if it is made.
    pub(crate) fn account_claims(&self, key: &str) -> Option<Claims<AccountClaims>> {
        self.accounts.lock().get(key).map(|r| r.claims.clone())
    }

    /// The account with public key `key` if a client or an import has made it already.
    pub(crate) fn made_account(&self, key: &str) -> Option<Arc<Account>> {
        self.accounts.lock().get(key).map(|r| r.account.clone())
    }

    /// The account with public key `key`: made on first use from the resolver's JWT, its
    /// imports wired.
    pub(crate) fn account(&self, key: &str, now: i64) -> Result<Arc<ResolvedAccount>, LookupError> {
        if let Some(known) = self.live(key, now) {
            return Ok(known);
        }
        let _wiring = self.wiring.lock();
        // A client of the same account may have made it meanwhile: share one.
        if let Some(known) = self.live(key, now) {
            return Ok(known);
        }
        let made = self.make(key, now)?;
        self.install(vec![made.clone()], now);
        Ok(made)
    }

    /// The account `key` if it is made and its claims are within their validity window.
    fn live(&self, key: &str, now: i64) -> Option<Arc<ResolvedAccount>> {
        let accounts = self.accounts.lock();
        let known = accounts.get(key)?;
        known.claims.check_time(now).is_ok().then(|| known.clone())
    }

    /// A `ResolvedAccount` from the resolver's JWT for `key`, not yet wired nor visible; an
    /// account already made keeps its `Account` (and its clients).
    fn make(&self, key: &str, now: i64) -> Result<Arc<ResolvedAccount>, LookupError> {
        let token = self
            .jwts
            .read()
            .get(key)
            .cloned()
            .ok_or(LookupError::Missing)?;
        let claims: Claims<AccountClaims> =
            jwt::decode(&token, Kind::Account).map_err(|_| LookupError::Invalid)?;
        if claims.sub != key {
            return Err(LookupError::Invalid);
        }
        self.validate(&claims, now)?;
        let account = match (self.accounts.lock().get(key), self.system.get()) {
            (Some(known), _) => known.account.clone(),
            (None, Some(system)) if system.name == key => system.clone(),
            (None, _) => Arc::new(Account::new(key, self.sublist_cache)),
        };
        Ok(Arc::new(ResolvedAccount::new(account, claims)))
    }
}

#[cfg(test)]
mod tests;
