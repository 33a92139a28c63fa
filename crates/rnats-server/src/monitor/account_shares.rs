//! The `exports` and `imports` of an account's detail (`/accountz?acc=`, the system
//! account's `INFO`), as the reference lists them: what the configuration or the account's
//! JWT declares, then the imports every account has from the system account (and the
//! system account's exports they take).

use serde::Serialize;

use crate::account::config::{Export, Import, ResponseType, ShareKind};
use crate::account::{Account, wiring};
use crate::server::ServerState;

/// One `exports` entry.
#[derive(Debug, Serialize)]
pub(super) struct ExportJson {
    subject: String,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    token_req: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    approved_accounts: Vec<String>,
}

/// One `imports` entry. For a service, `subject` is the exporter's and `to` (repeated as
/// `local_subject`) the importer's; for a stream, `local_subject` is where it arrives.
#[derive(Debug, Serialize)]
pub(super) struct ImportJson {
    subject: String,
    account: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<String>,
    local_subject: String,
    #[serde(rename = "type")]
    kind: &'static str,
    invalid: bool,
    share: bool,
    tracking: bool,
}

/// What `account` exports and imports: services before streams, as the reference orders
/// them, each in the order declared.
pub(super) fn shares_of(
    server: &ServerState,
    account: &Account,
) -> (Vec<ExportJson>, Vec<ImportJson>) {
    let (mut exports, mut imports, token_required) = declared(server, account);
    let mut export_list = Vec::new();
    let system = server.system.as_ref().map(|s| &s.account);
    if let Some(system) = system
        && std::ptr::eq(system.as_ref(), account)
    {
        exports.extend(crate::system::imports::exports());
    }
    for kind in [ShareKind::Service, ShareKind::Stream] {
        for (i, export) in exports.iter().enumerate() {
            if export.kind == kind {
                let token_req = token_required.get(i).copied().unwrap_or(false);
                export_list.push(export_json(export, token_req));
            }
        }
    }
    let mut import_list = Vec::new();
    imports.sort_by_key(|import| import.kind == ShareKind::Service);
    for import in &imports {
        import_list.push(import_json(import));
    }
    if let Some(system) = system {
        for (local, remote, share) in crate::system::imports::imports_of(system, account) {
            import_list.push(ImportJson {
                subject: remote,
                account: system.name.clone(),
                to: Some(local.clone()),
                local_subject: local,
                kind: "service",
                invalid: false,
                share,
                tracking: false,
            });
        }
    }
    (export_list, import_list)
}

/// The exports and imports the configuration or the account's JWT declares, and which
/// exports require an activation token.
fn declared(server: &ServerState, account: &Account) -> (Vec<Export>, Vec<Import>, Vec<bool>) {
    let options = server.options();
    if let Some(config) = options.accounts.iter().find(|c| c.name == account.name) {
        let tokens = vec![false; config.exports.len()];
        return (config.exports.clone(), config.imports.clone(), tokens);
    }
    let claims = server
        .operator
        .get()
        .and_then(|operator| operator.account_claims(&account.name));
    let Some(claims) = claims else {
        return (Vec::new(), Vec::new(), Vec::new());
    };
    let exports = claims.nats.exports.iter();
    (
        exports
            .clone()
            .map(crate::operator::config_export)
            .collect(),
        (claims.nats.imports.iter())
            .map(crate::operator::config_import)
            .collect(),
        exports.map(|export| export.token_req).collect(),
    )
}

fn export_json(export: &Export, token_req: bool) -> ExportJson {
    ExportJson {
        subject: export.subject.clone(),
        kind: wiring::kind_name(export.kind),
        token_req,
        response_type: (export.kind == ShareKind::Service).then_some(match export.response_type {
            ResponseType::Singleton => "Singleton",
            ResponseType::Stream => "Streamed",
            ResponseType::Chunked => "Chunked",
        }),
        approved_accounts: export.accounts.clone(),
    }
}

fn import_json(import: &Import) -> ImportJson {
    let (to, local_subject) = match import.kind {
        ShareKind::Service => {
            let local = import.to.clone().unwrap_or_else(|| import.subject.clone());
            (Some(local.clone()), local)
        }
        ShareKind::Stream => (None, import.local_filter()),
    };
    ImportJson {
        subject: import.subject.clone(),
        account: import.account.clone(),
        to,
        local_subject,
        kind: wiring::kind_name(import.kind),
        invalid: false,
        share: import.share,
        tracking: false,
    }
}
