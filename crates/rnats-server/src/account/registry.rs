//! The server's accounts by name, built from the options: `$G` and every configured
//! account, with their imports wired as forwards.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::config::{AccountConfig, Export, Import, ShareKind};
use super::forward::{Forward, ForwardKind};
use super::transform::Transform;
use super::{Account, GLOBAL_ACCOUNT};

/// Every account of the server.
pub(crate) struct Accounts {
    /// `$G`, where clients without an account go.
    pub(crate) global: Arc<Account>,
    by_name: HashMap<String, Arc<Account>>,
    /// Configured account names, in the configuration's order.
    names: Vec<String>,
}

fn kind_name(kind: ShareKind) -> &'static str {
    match kind {
        ShareKind::Stream => "stream",
        ShareKind::Service => "service",
    }
}

/// Whether every subject `import` matches is one `export` matches.
fn covers(export: &str, import: &str) -> bool {
    let mut exported = export.split('.');
    let mut imported = import.split('.');
    loop {
        match (exported.next(), imported.next()) {
            (Some(">"), Some(_)) => return true,
            (Some("*"), Some(token)) => {
                if token == ">" {
                    return false;
                }
            }
            (Some(e), Some(i)) => {
                if e != i {
                    return false;
                }
            }
            (None, None) => return true,
            _ => return false,
        }
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

/// How one import maps subjects: the filter its forward sits under and the transform.
fn mapping(import: &Import) -> Result<(String, Transform), String> {
    let subject = &import.subject;
    let kind = kind_name(import.kind);
    let failed = |from: &str, to: &str, error: String| {
        format!(
            "Error adding {kind} import \"{subject}\": failed to create mapping transform for \
             {kind} import subject from \"{from}\" to \"{to}\": {error}"
        )
    };
    match (import.kind, &import.to, &import.prefix) {
        (ShareKind::Stream, _, Some(prefix)) => {
            let prefix = prefix.strip_suffix('.').unwrap_or(prefix);
            Ok((subject.clone(), Transform::Prefix(prefix.as_bytes().into())))
        }
        (ShareKind::Stream, Some(to), None) if to != subject => {
            let transform =
                Transform::new(subject, to, false).map_err(|e| failed(subject, to, e))?;
            Ok((subject.clone(), transform))
        }
        (ShareKind::Service, Some(to), _) if to != subject => {
            Transform::inverse(subject, to).map_err(|e| failed(to, subject, e))
        }
        _ => Ok((subject.clone(), Transform::Identity)),
    }
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
        let mut routed = HashSet::new();
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
                let (filter, transform) = mapping(import)?;
                let added = match import.kind {
                    ShareKind::Stream => exporter.add_forward(Forward {
                        filter: filter.into_bytes().into(),
                        target: Arc::downgrade(importer),
                        transform,
                        kind: ForwardKind::Stream,
                    }),
                    ShareKind::Service => {
                        let pair = (import.account.clone(), config.name.clone());
                        (!routed.insert(pair) || add_response_route(exporter, importer))
                            && importer.add_forward(Forward {
                                filter: filter.into_bytes().into(),
                                target: Arc::downgrade(exporter),
                                transform,
                                kind: ForwardKind::Service {
                                    response_type: export.response_type,
                                    threshold: export.response_threshold,
                                    importer: Arc::downgrade(importer),
                                },
                            })
                    }
                };
                if !added {
                    return Err(format!("invalid import subject {}", import.subject));
                }
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

/// Makes `exporter` route responses under `importer`'s reply prefix back to it.
fn add_response_route(exporter: &Arc<Account>, importer: &Arc<Account>) -> bool {
    exporter.add_forward(Forward {
        filter: format!("{}>", importer.reply_prefix).into_bytes().into(),
        target: Arc::downgrade(importer),
        transform: Transform::Identity,
        kind: ForwardKind::Responses,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_cover_narrower_imports() {
        assert!(covers("s.>", "s.x"));
        assert!(covers("s.*", "s.*"));
        assert!(!covers("s.x", "s.>"));
        assert!(!covers("s.*", "s.>"));
        assert!(!covers("s", "s.x"));
    }

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
