//! The server's accounts by name, built from the options: `$G` and every configured
//! account, with their imports wired as forwards.

use std::collections::HashMap;
use std::sync::Arc;

use super::config::{AccountConfig, Export, Import};
use super::wiring::{Installed, covers, kind_name, mapping, remove_response_route, wire};
use super::{Account, GLOBAL_ACCOUNT};

/// Every account of the server.
pub(crate) struct Accounts {
    /// `$G`, where clients without an account go.
    pub(crate) global: Arc<Account>,
    by_name: HashMap<String, Arc<Account>>,
    /// Configured account names, in the configuration's order.
    names: Vec<String>,
    /// The forwards the imports installed, so a reload can keep or take them out.
    installed: Vec<WiredImport>,
}

/// One import as wired: what it was wired from and the forward it installed. A reload
/// that wires the same import between the same accounts keeps the forward rather than
/// adding a second one, which would deliver twice until the first is gone.
struct WiredImport {
    importer: Arc<Account>,
    exporter: Arc<Account>,
    import: Import,
    export: Export,
    installed: Installed,
}

impl WiredImport {
    /// Whether this is `import` of `importer` from `exporter` under `export`.
    fn is(
        &self,
        importer: &Arc<Account>,
        exporter: &Arc<Account>,
        import: &Import,
        export: &Export,
    ) -> bool {
        Arc::ptr_eq(&self.importer, importer)
            && Arc::ptr_eq(&self.exporter, exporter)
            && self.import == *import
            && self.export == *export
    }
}

/// The export of `exporter` that lets `importer` import `import`, if any.
fn authorizing<'a>(
    exporter: &'a AccountConfig,
    importer: &str,
    import: &Import,
) -> Option<&'a Export> {
    exporter.exports.iter().find(|export| {
        export.kind == import.kind
            && covers(&export.subject, &import.subject)
            && (export.accounts.is_empty() || export.accounts.iter().any(|a| a == importer))
    })
}

/// Checks what the accounts share, as the server does at start: every account named
/// exists, every import is authorized by an export, every mapping can be made, and no
/// import forms a cycle. The error is the reference's text.
pub fn check_accounts(accounts: &[AccountConfig]) -> Result<(), String> {
    let find = |name: &str| accounts.iter().find(|a| a.name == name);
    for account in accounts {
        for export in &account.exports {
            if let Some(missing) = export.accounts.iter().find(|name| find(name).is_none()) {
                return Err(format!(
                    "\"{missing}\" account not defined for {} export",
                    kind_name(export.kind)
                ));
            }
        }
        for import in &account.imports {
            let kind = kind_name(import.kind);
            let Some(exporter) = find(&import.account) else {
                return Err(format!(
                    "\"{}\" account not defined for {kind} import",
                    import.account
                ));
            };
            if authorizing(exporter, &account.name, import).is_none() {
                return Err(format!(
                    "Error adding {kind} import \"{}\": {kind} import not authorized",
                    import.subject
                ));
            }
            mapping(import)?;
        }
    }
    super::cycles::check(accounts)
}

impl Accounts {
    /// `$G` and the configured accounts, their imports wired.
    pub(crate) fn build(configs: &[AccountConfig], sublist_cache: bool) -> Result<Self, String> {
        check_accounts(configs)?;
        let global = Arc::new(Account::new(GLOBAL_ACCOUNT, sublist_cache));
        Self::assemble(global, configs, sublist_cache, |_| None, &[])
    }

    /// The accounts `configs` describe after a reload: an account whose name survives keeps
    /// its `Account` (its clients and subscriptions stay), a new one starts empty, and
    /// `keep` (the system account) stays even when no longer configured. An import wired
    /// before between the same accounts in the same way keeps its forward; others are wired
    /// anew, and the caller removes the old ones with [`Accounts::unwire_replaced`] once
    /// this succeeded.
    pub(crate) fn rebuild(
        &self,
        configs: &[AccountConfig],
        sublist_cache: bool,
        keep: Option<&Arc<Account>>,
    ) -> Result<Self, String> {
        check_accounts(configs)?;
        let mut accounts = Self::assemble(
            self.global.clone(),
            configs,
            sublist_cache,
            |name| self.by_name.get(name).cloned(),
            &self.installed,
        )?;
        if let Some(kept) = keep
            && !accounts.by_name.contains_key(&kept.name)
        {
            accounts.by_name.insert(kept.name.clone(), kept.clone());
            accounts.names.push(kept.name.clone());
        }
        Ok(accounts)
    }

    /// `global` and one account per config (the one `existing` gives, else a new one), with
    /// every import wired or, if `previous` has it, kept. On error nothing new stays wired.
    fn assemble(
        global: Arc<Account>,
        configs: &[AccountConfig],
        sublist_cache: bool,
        existing: impl Fn(&str) -> Option<Arc<Account>>,
        previous: &[WiredImport],
    ) -> Result<Self, String> {
        let mut by_name = HashMap::new();
        by_name.insert(GLOBAL_ACCOUNT.to_owned(), global.clone());
        for config in configs {
            let account = existing(&config.name)
                .unwrap_or_else(|| Arc::new(Account::new(&config.name, sublist_cache)));
            by_name.insert(config.name.clone(), account);
        }
        let mut accounts = Accounts {
            global,
            by_name,
            names: configs.iter().map(|c| c.name.clone()).collect(),
            installed: Vec::new(),
        };
        if let Err(error) = accounts.wire_imports(configs, previous) {
            accounts.unwire_unless_in(previous);
            return Err(error);
        }
        Ok(accounts)
    }

    /// Wires every import of `configs` between the accounts (keeping those `previous`
    /// wired the same way), remembering what is installed.
    fn wire_imports(
        &mut self,
        configs: &[AccountConfig],
        previous: &[WiredImport],
    ) -> Result<(), String> {
        let get = |name: &str| {
            self.by_name
                .get(name)
                .cloned()
                .ok_or_else(|| format!("no account {name}"))
        };
        for config in configs {
            let importer = get(&config.name)?;
            for import in &config.imports {
                let exporter = get(&import.account)?;
                let exporter_config = configs.iter().find(|c| c.name == import.account);
                let export = exporter_config
                    .and_then(|c| authorizing(c, &config.name, import))
                    .ok_or_else(|| format!("import of {} not authorized", import.subject))?;
                let installed = match previous
                    .iter()
                    .find(|wired| wired.is(&importer, &exporter, import, export))
                {
                    Some(kept) => kept.installed.clone(),
                    None => wire(&importer, &exporter, import, export)?,
                };
                self.installed.push(WiredImport {
                    importer: importer.clone(),
                    exporter,
                    import: import.clone(),
                    export: export.clone(),
                    installed,
                });
            }
        }
        Ok(())
    }

    /// Removes the imports these accounts wired that `replacement` (the accounts a reload
    /// made) did not keep.
    pub(crate) fn unwire_replaced(&self, replacement: &Accounts) {
        self.unwire_unless_in(&replacement.installed);
        // Accounts the reload removed get no more responses from those that stay.
        for removed in self.by_name.values() {
            if replacement
                .by_name
                .values()
                .any(|a| Arc::ptr_eq(a, removed))
            {
                continue;
            }
            for remaining in replacement.by_name.values() {
                remove_response_route(remaining, removed);
            }
            removed.release_import_client();
        }
    }

    /// Removes the imports these accounts wired, except those `kept` holds too.
    fn unwire_unless_in(&self, kept: &[WiredImport]) {
        for wired in &self.installed {
            if !kept.iter().any(|k| k.installed.is(&wired.installed)) {
                wired.installed.remove();
            }
        }
    }

    /// The account named `name` (`$G` included).
    pub(crate) fn get(&self, name: &str) -> Option<&Arc<Account>> {
        self.by_name.get(name)
    }

    /// Adds an account that is not configured (the system account); it has no imports.
    pub(crate) fn add(&mut self, name: &str, sublist_cache: bool) -> Arc<Account> {
        let account = Arc::new(Account::new(name, sublist_cache));
        self.by_name.insert(name.to_owned(), account.clone());
        self.names.push(name.to_owned());
        account
    }

    /// `$G` then the configured accounts, by name.
    pub(crate) fn all(&self) -> impl Iterator<Item = &Arc<Account>> {
        std::iter::once(&self.global).chain(self.names.iter().filter_map(|n| self.by_name.get(n)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_need_an_export() {
        let mut a = AccountConfig {
            name: "A".into(),
            ..Default::default()
        };
        let b = AccountConfig {
            name: "B".into(),
            imports: vec![Import::service("A", "s")],
            ..Default::default()
        };
        let both = |a: &AccountConfig| check_accounts(&[a.clone(), b.clone()]);
        assert_eq!(
            both(&a),
            Err("Error adding service import \"s\": service import not authorized".into())
        );
        a.exports.push(Export::service("s"));
        assert_eq!(both(&a), Ok(()));
        a.exports[0].accounts = vec!["C".into()];
        assert_eq!(
            both(&a),
            Err("\"C\" account not defined for service export".into())
        );
    }

    #[test]
    fn an_import_both_configurations_have_keeps_its_one_forward() {
        let exporter = AccountConfig {
            name: "A".into(),
            exports: vec![Export::stream("s"), Export::service("q")],
            ..Default::default()
        };
        let importer = AccountConfig {
            name: "B".into(),
            imports: vec![Import::stream("A", "s"), Import::service("A", "q")],
            ..Default::default()
        };
        let configs = [exporter.clone(), importer.clone()];
        let before = Accounts::build(&configs, true).expect("valid");
        let forwards = |accounts: &Accounts, account: &str, subject: &[u8]| {
            let holder = accounts.get(account).expect("account");
            holder.forwards.matches(subject).plain.len()
        };
        let changed_export = AccountConfig {
            exports: vec![Export::stream(">"), Export::service("q")],
            ..exporter
        };
        let after = before
            .rebuild(&[changed_export, importer], true, None)
            .expect("valid");
        // Between the rebuild and the removal of the old wiring, messages are routed by
        // both: the unchanged service import has one forward, the changed stream two.
        assert_eq!(forwards(&after, "B", b"q"), 1);
        assert_eq!(forwards(&after, "A", b"s"), 2);
        before.unwire_replaced(&after);
        assert_eq!(forwards(&after, "B", b"q"), 1, "the kept forward stays");
        assert_eq!(forwards(&after, "A", b"s"), 1);

        // Removing the importer takes its response route out of the exporter too.
        let b = after.get("B").expect("B").clone();
        let responses = format!("{}x", b.reply_prefix);
        assert_eq!(forwards(&after, "A", responses.as_bytes()), 1);
        let exporter_only = AccountConfig {
            name: "A".into(),
            ..Default::default()
        };
        let last = after.rebuild(&[exporter_only], true, None).expect("valid");
        after.unwire_replaced(&last);
        assert_eq!(forwards(&last, "A", responses.as_bytes()), 0);
        assert_eq!(forwards(&last, "A", b"s"), 0);
    }

    #[test]
    fn a_rebuild_keeps_surviving_accounts_and_rewires_imports() {
        let exporter = AccountConfig {
            name: "A".into(),
            exports: vec![Export::stream("s")],
            ..Default::default()
        };
        let importer = AccountConfig {
            name: "B".into(),
            imports: vec![Import::stream("A", "s")],
            ..Default::default()
        };
        let before = Accounts::build(&[exporter.clone(), importer], true).expect("valid");
        let system = Arc::new(Account::new("$SYS", true));
        let added = AccountConfig {
            name: "C".into(),
            ..Default::default()
        };
        let after = before
            .rebuild(&[exporter, added], true, Some(&system))
            .expect("valid");
        before.unwire_replaced(&after);
        let same = |name: &str| {
            let (old, new) = (before.get(name), after.get(name));
            old.zip(new).is_some_and(|(old, new)| Arc::ptr_eq(old, new))
        };
        assert!(same("$G") && same("A"));
        assert!(after.get("B").is_none() && after.get("C").is_some());
        assert!(
            after
                .get("$SYS")
                .is_some_and(|kept| Arc::ptr_eq(kept, &system))
        );
        let a = after.get("A").expect("A");
        assert!(
            a.forwards.matches(b"s").plain.is_empty(),
            "B's import is gone"
        );
    }
}
