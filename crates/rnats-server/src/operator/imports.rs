//! Imports and exports of account JWTs: which export authorizes an import (public, or with
//! an activation token the exporter issued), and the wiring of an account's imports when it
//! is made or its claims (or an exporter's) change.
//!
//! Accounts are made lazily, so wiring an import may make its exporter, whose own imports
//! then need wiring: `install` works through such a batch with a list, not recursion, and
//! finds accounts of the batch before they are visible, so imports in a cycle (A from B,
//! B from A) find each other. The whole batch runs under `OperatorMode::wiring`, and its
//! accounts become visible only once wired, so a client never binds to a half-wired account.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::user::is_revoked;
use super::{LookupError, OperatorMode, ResolvedAccount};
use crate::account::config::{DEFAULT_RESPONSE_THRESHOLD, Export, Import, ResponseType, ShareKind};
use crate::account::wiring::{self, covers, kind_name};
use crate::jwt::{self, AccountClaims, ActivationClaims, Claims, ExportKind, Kind};

/// Accounts being made or given new claims in one batch, in the order they were met.
type Batch = Vec<Arc<ResolvedAccount>>;

impl OperatorMode {
    /// Makes `batch` (new accounts, or known ones with new claims) current: wires their
    /// imports, making the exporters they name on the way, re-wires the accounts that import
    /// from those whose claims changed, then makes them all visible. The caller holds
    /// `wiring`.
    pub(super) fn install(&self, mut batch: Batch, now: i64) {
        let mut changed = HashSet::new();
        let mut rewired = HashSet::new();
        let mut next = 0;
        loop {
            while let Some(account) = batch.get(next).cloned() {
                next += 1;
                let previous = self.accounts.lock().get(account.key()).cloned();
                if let Some(previous) = previous {
                    previous.unwire();
                    changed.insert(account.key().to_owned());
                }
                self.wire_imports(&account, &mut batch, now);
            }
            let dependents: Vec<_> = (self.accounts.lock().values())
                .filter(|known| {
                    !rewired.contains(known.key())
                        && !batch.iter().any(|made| made.key() == known.key())
                        && (known.claims.nats.imports.iter())
                            .any(|import| changed.contains(&import.account))
                })
                .cloned()
                .collect();
            if dependents.is_empty() {
                break;
            }
            for dependent in dependents {
                rewired.insert(dependent.key().to_owned());
                dependent.unwire();
                self.wire_imports(&dependent, &mut batch, now);
            }
        }
        // Before anyone can bind to them, as for the accounts of the configuration.
        if let Some(system) = self.system.get() {
            for made in &batch {
                crate::system::import_into(system, &made.account);
            }
        }
        let mut accounts = self.accounts.lock();
        for account in batch {
            accounts.insert(account.key().to_owned(), account);
        }
    }

    /// Wires each import of `importer` that an export authorizes; the others are skipped
    /// with the reference's debug line.
    fn wire_imports(&self, importer: &ResolvedAccount, batch: &mut Batch, now: i64) {
        let mut installed = Vec::new();
        for import in &importer.claims.nats.imports {
            match self.wire_import(importer, import, batch, now) {
                Ok(forward) => installed.push(forward),
                Err(why) => tracing::debug!(
                    "Error adding {} import to account [{}/{}]: {why}",
                    kind_name(share_kind(import.kind)),
                    importer.key(),
                    importer.claims.name
                ),
            }
        }
        importer.imports.lock().extend(installed);
    }

    fn wire_import(
        &self,
        importer: &ResolvedAccount,
        import: &jwt::Import,
        batch: &mut Batch,
        now: i64,
    ) -> Result<wiring::Installed, String> {
        let kind = share_kind(import.kind);
        let not_authorized = || format!("{} import not authorized", kind_name(kind));
        if import.account == importer.key() {
            return Err(not_authorized());
        }
        let exporter = self
            .find_or_make(&import.account, batch, now)
            .map_err(|error| error.to_string())?;
        let export = authorizing(&exporter.claims, importer.key(), import, now)
            .ok_or_else(not_authorized)?;
        wiring::wire(
            &importer.account,
            &exporter.account,
            &config_import(import),
            &config_export(export),
        )
    }

    /// The account `key` as this batch sees it: made in it, known and valid, or made now
    /// (and added to the batch, whose work list then wires its imports).
    fn find_or_make(
        &self,
        key: &str,
        batch: &mut Batch,
        now: i64,
    ) -> Result<Arc<ResolvedAccount>, LookupError> {
        if let Some(made) = batch.iter().find(|made| made.key() == key) {
            return Ok(made.clone());
        }
        if let Some(known) = self.live(key, now) {
            return Ok(known);
        }
        let made = self.make(key, now)?;
        batch.push(made.clone());
        Ok(made)
    }
}

/// What is wrong with the activation tokens of an account's imports, in the reference's
/// words; any of it makes the account JWT invalid (an expired token only fails its import).
pub(super) fn import_issues(claims: &Claims<AccountClaims>) -> Vec<String> {
    let mut issues = Vec::new();
    for import in claims.nats.imports.iter().filter(|i| !i.token.is_empty()) {
        let subject = &import.subject;
        let Ok(activation) = jwt::decode::<ActivationClaims>(&import.token, Kind::Activation)
        else {
            issues.push(format!(
                "import \"{subject}\" contains an invalid activation token"
            ));
            continue;
        };
        if activation.sub != claims.sub {
            issues.push(format!(
                "activation token doesn't match account it is being included in, \"{subject}\""
            ));
        }
        let issuer = if activation.nats.issuer_account.is_empty() {
            &activation.iss
        } else {
            &activation.nats.issuer_account
        };
        if *issuer != import.account {
            issues.push(format!(
                "activation token doesn't match account for import \"{subject}\""
            ));
        }
        if !covers(&activation.nats.subject, subject) {
            issues.push(format!(
                "activation token import subject \"{}\" doesn't match import \"{subject}\"",
                activation.nats.subject
            ));
        }
    }
    issues
}

impl ResolvedAccount {
    /// The account's public key.
    pub(crate) fn key(&self) -> &str {
        &self.claims.sub
    }

    /// Removes every forward this account's imports installed.
    pub(super) fn unwire(&self) {
        for installed in self.imports.lock().drain(..) {
            installed.remove();
        }
    }
}

fn share_kind(kind: ExportKind) -> ShareKind {
    match kind {
        ExportKind::Stream => ShareKind::Stream,
        ExportKind::Service => ShareKind::Service,
    }
}

/// The export of `exporter` that lets account `importer` import `import`, if any.
fn authorizing<'a>(
    exporter: &'a Claims<AccountClaims>,
    importer: &str,
    import: &jwt::Import,
    now: i64,
) -> Option<&'a jwt::Export> {
    exporter.nats.exports.iter().find(|export| {
        export.kind == import.kind
            && covers(&export.subject, &import.subject)
            && token_position_names(export, &import.subject, importer)
            && (!export.token_req || activation_allows(exporter, export, importer, import, now))
    })
}

/// Whether the import subject's token at the export's `account_token_position` is the
/// importer's key (always, without a position).
fn token_position_names(export: &jwt::Export, subject: &str, importer: &str) -> bool {
    let Some(index) = (export.account_token_position as usize).checked_sub(1) else {
        return true;
    };
    subject.split('.').nth(index) == Some(importer)
}

/// Whether the import's activation token lets `importer` import under `export`: issued by
/// the exporter (or a signing key of it, naming it), for the importer, covering the import
/// subject, within its validity window and not revoked by the export.
fn activation_allows(
    exporter: &Claims<AccountClaims>,
    export: &jwt::Export,
    importer: &str,
    import: &jwt::Import,
    now: i64,
) -> bool {
    if import.token.is_empty() {
        return false;
    }
    let Ok(activation) = jwt::decode::<ActivationClaims>(&import.token, Kind::Activation) else {
        return false;
    };
    let issuer_account = &activation.nats.issuer_account;
    let issuer_trusted = if activation.iss == exporter.sub {
        issuer_account.is_empty() || *issuer_account == exporter.sub
    } else {
        *issuer_account == exporter.sub
            && (exporter.nats.signing_keys.iter()).any(|key| key.key() == activation.iss)
    };
    issuer_trusted
        && activation.sub == importer
        && covers(&activation.nats.subject, &import.subject)
        && activation.check_time(now).is_ok()
        && !is_revoked(&export.revocations, importer, activation.iat)
}

/// An import of a JWT in the terms the wiring takes: a stream's `local_subject` maps like
/// a configured `to`, its older `to` is a prefix; a service's `local_subject` is the subject
/// the importer publishes requests to.
pub(crate) fn config_import(import: &jwt::Import) -> Import {
    let kind = share_kind(import.kind);
    let local = (!import.local_subject.is_empty()).then(|| import.local_subject.clone());
    let legacy = (!import.to.is_empty()).then(|| import.to.clone());
    let (to, prefix) = match kind {
        ShareKind::Stream if local.is_some() => (local, None),
        ShareKind::Stream => (None, legacy),
        ShareKind::Service => (local.or(legacy), None),
    };
    Import {
        kind,
        account: import.account.clone(),
        subject: import.subject.clone(),
        to,
        prefix,
        share: import.share,
    }
}

/// An export of a JWT in the terms the wiring takes.
pub(crate) fn config_export(export: &jwt::Export) -> Export {
    let response_type = match export.response_type.as_str() {
        "Stream" => ResponseType::Stream,
        "Chunked" => ResponseType::Chunked,
        _ => ResponseType::Singleton,
    };
    let response_threshold = u64::try_from(export.response_threshold)
        .ok()
        .filter(|nanos| *nanos > 0)
        .map_or(DEFAULT_RESPONSE_THRESHOLD, Duration::from_nanos);
    Export {
        kind: share_kind(export.kind),
        subject: export.subject.clone(),
        accounts: Vec::new(),
        response_type,
        response_threshold,
    }
}
