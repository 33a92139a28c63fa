//! The server's accounts by name, built from the options: `$G` and every configured
//! account, with their imports wired as forwards.

use std::collections::HashMap;
use std::sync::Arc;

use super::config::{AccountConfig, Export, Import};
use super::wiring::{covers, kind_name, mapping, wire};
use super::{Account, GLOBAL_ACCOUNT};

/// Every account of the server.
pub(crate) struct Accounts {
    /// `$G`, where clients without an account go.
    pub(crate) global: Arc<Account>,
    by_name: HashMap<String, Arc<Account>>,
    /// Configured account names, in the configuration's order.
    names: Vec<String>,
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
/// exists, every import is authorized by an export, every mapping can be made. The error is
/// the reference's text.
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
    Ok(())
}

impl Accounts {
    /// `$G` and the configured accounts, their imports wired.
    pub(crate) fn build(configs: &[AccountConfig], sublist_cache: bool) -> Result<Self, String> {
        check_accounts(configs)?;
        let global = Arc::new(Account::new(GLOBAL_ACCOUNT, sublist_cache));
        let mut by_name = HashMap::new();
        by_name.insert(GLOBAL_ACCOUNT.to_owned(), global.clone());
        for config in configs {
            let account = Arc::new(Account::new(&config.name, sublist_cache));
            by_name.insert(config.name.clone(), account);
        }
        let get = |name: &str| {
            by_name
                .get(name)
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
                // Configured accounts live as long as the server: their imports stay.
                wire(importer, exporter, import, export)?;
            }
        }
        Ok(Accounts {
            global,
            by_name,
            names: configs.iter().map(|c| c.name.clone()).collect(),
        })
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
}
