//! The service imports every account gets from the system account, as in the reference:
//! `$SYS.REQ.SERVER.PING.CONNZ` and `$SYS.REQ.ACCOUNT.PING.CONNZ` answer with the account's
//! own connections, `$SYS.REQ.ACCOUNT.PING.STATZ` with its own statistics, and
//! `$SYS.REQ.USER.INFO` tells the requesting user who it is (the system account imports that
//! one from itself, so its users can ask too).
//!
//! Each import is a forward like any configured service import, and counts as one
//! subscription of the importing account as they all do (`wiring.rs`).

use std::sync::Arc;

use crate::account::Account;
use crate::account::config::{Export, ResponseType};
use crate::account::wiring::wire_fixed_service;

/// What a user asks the system account for, and what the system account answers.
struct SystemImport {
    /// The subject the importing account's users publish to.
    local: &'static str,
    /// The system account's subject, `{}` standing for the importing account's name.
    remote: &'static str,
    /// Several servers may answer (`CONNZ`, `STATZ`); one does for `USER.INFO`.
    response_type: ResponseType,
    /// Whether the responder learns who asked.
    share: bool,
}

/// The imports, in the order the reference subscribes them (their sids follow it).
const IMPORTS: [SystemImport; 4] = [
    SystemImport {
        local: "$SYS.REQ.ACCOUNT.PING.CONNZ",
        remote: "$SYS.REQ.ACCOUNT.{}.CONNZ",
        response_type: ResponseType::Stream,
        share: false,
    },
    SystemImport {
        local: "$SYS.REQ.SERVER.PING.CONNZ",
        remote: "$SYS.REQ.ACCOUNT.{}.CONNZ",
        response_type: ResponseType::Stream,
        share: false,
    },
    SystemImport {
        local: "$SYS.REQ.ACCOUNT.PING.STATZ",
        remote: "$SYS.REQ.ACCOUNT.{}.STATZ",
        response_type: ResponseType::Stream,
        share: false,
    },
    USER_INFO,
];

/// `$SYS.REQ.USER.INFO`, the one import the system account has from itself.
const USER_INFO: SystemImport = SystemImport {
    local: "$SYS.REQ.USER.INFO",
    remote: "$SYS.REQ.USER.{}.INFO",
    response_type: ResponseType::Singleton,
    share: true,
};

/// Wires the system account's imports into `account` unless it has them already: the four
/// of every account, or `USER.INFO` alone for the system account itself. Called for every
/// account as it appears (at start, after a reload, when operator mode makes one).
pub(crate) fn import_into(system: &Arc<Account>, account: &Arc<Account>) {
    if !account.claim_system_imports() {
        return;
    }
    let imports: &[SystemImport] = if Arc::ptr_eq(system, account) {
        &[USER_INFO]
    } else {
        &IMPORTS
    };
    for import in imports {
        let remote = import.remote.replace("{}", &account.name);
        if let Err(error) = wire_one(system, account, import, &remote) {
            // An account name that makes no valid subject cannot be asked about anyway.
            tracing::error!(
                "Error setting up system service import {} -> {remote} for account: {error}",
                import.local
            );
        }
    }
}

/// What `/accountz` lists of the system account's imports into `account`: (the subject
/// its users publish to, the system account's subject, whether the requester is shared).
pub(crate) fn imports_of(system: &Account, account: &Account) -> Vec<(String, String, bool)> {
    if !account.has_system_imports() {
        return Vec::new();
    }
    let imports: &[SystemImport] = if std::ptr::eq(system, account) {
        &[USER_INFO]
    } else {
        &IMPORTS
    };
    (imports.iter())
        .map(|i| {
            (
                i.local.to_owned(),
                i.remote.replace("{}", &account.name),
                i.share,
            )
        })
        .collect()
}

/// The system account's exports the imports above take: one per subject, any account.
pub(crate) fn exports() -> Vec<Export> {
    let mut exports: Vec<Export> = Vec::new();
    for import in &IMPORTS {
        let subject = import.remote.replace("{}", "*");
        if !exports.iter().any(|e| e.subject == subject) {
            exports.push(Export {
                response_type: import.response_type,
                ..Export::service(&subject)
            });
        }
    }
    exports
}

fn wire_one(
    system: &Arc<Account>,
    account: &Arc<Account>,
    import: &SystemImport,
    remote: &str,
) -> Result<(), String> {
    let export = Export {
        response_type: import.response_type,
        ..Export::service(remote)
    };
    // Kept for the account's life: the system account and its exports never change.
    wire_fixed_service(account, system, import.local, remote, &export, import.share)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_released_account_is_freed() {
        let system = Arc::new(Account::new("SYS", true));
        let account = Arc::new(Account::new("A", true));
        import_into(&system, &account);
        let weak = Arc::downgrade(&account);
        account.release_import_client();
        assert_eq!(account.sublist.count(), 0);
        drop(account);
        assert!(
            weak.upgrade().is_none(),
            "nothing holds the account any more"
        );
    }

    #[test]
    fn every_account_gets_four_imports_and_the_system_account_one() {
        let system = Arc::new(Account::new("SYS", true));
        let account = Arc::new(Account::new("A", true));
        import_into(&system, &account);
        import_into(&system, &account);
        import_into(&system, &system);
        assert_eq!(account.sublist.count(), 4, "counted once, as subscriptions");
        assert_eq!(account.client_subscriptions(), 0);
        assert_eq!(system.sublist.count(), 1);
        assert_eq!(
            (account
                .forwards
                .matches(b"$SYS.REQ.SERVER.PING.CONNZ")
                .plain)
                .len(),
            1
        );
        assert_eq!(
            (system.forwards.matches(b"$SYS.REQ.USER.INFO").plain).len(),
            1
        );
        // The requests' answers come back through the system account's response routes.
        let reply = format!("{}x", account.reply_prefix);
        assert_eq!(system.forwards.matches(reply.as_bytes()).plain.len(), 1);
    }
}
