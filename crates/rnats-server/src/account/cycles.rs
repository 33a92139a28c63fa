//! Import cycles, refused at start as the reference refuses them: an import is added after
//! the ones before it, and if following the imports of the account it reaches, on subjects
//! that collide, leads back to its importer, it forms a cycle. (A message could still only
//! cross a bounded number of imports at run time; this is about the same configurations
//! being accepted and refused.)

use std::collections::HashSet;

use rnats_subject::subjects_collide;

use super::config::{AccountConfig, ShareKind};
use super::wiring::{covers, kind_name};

/// How many accounts a search may visit, as in the reference.
const MAX_DEPTH: usize = 1024;

/// One import already added.
struct Added<'a> {
    importer: &'a str,
    exporter: &'a str,
    kind: ShareKind,
    /// The subject in the importer: where a stream arrives, where a service is asked.
    local: String,
    /// The subject in the exporter.
    remote: &'a str,
}

/// The error for the first import, in the order configured, that forms a cycle.
pub(super) fn check(accounts: &[AccountConfig]) -> Result<(), String> {
    let mut added: Vec<Added<'_>> = Vec::new();
    for account in accounts {
        for import in &account.imports {
            let local = import.local_filter();
            let mut visited = HashSet::from([account.name.as_str()]);
            let exporter = import.account.as_str();
            let cycle = match import.kind {
                ShareKind::Stream => {
                    let mut again = visited.clone();
                    leads_back(
                        accounts,
                        &added,
                        import.kind,
                        exporter,
                        &local,
                        &mut visited,
                    ) || leads_back(
                        accounts,
                        &added,
                        import.kind,
                        exporter,
                        &import.subject,
                        &mut again,
                    )
                }
                ShareKind::Service => leads_back(
                    accounts,
                    &added,
                    import.kind,
                    exporter,
                    &local,
                    &mut visited,
                ),
            };
            if cycle {
                return Err(format!(
                    "Error adding {} import \"{}\": import forms a cycle",
                    kind_name(import.kind),
                    import.subject
                ));
            }
            added.push(Added {
                importer: &account.name,
                exporter: &import.account,
                kind: import.kind,
                local,
                remote: &import.subject,
            });
        }
    }
    Ok(())
}

/// Whether `subject`, reaching `account` by an import of `kind`, leads back to a visited
/// account through `account`'s own imports of that kind: a stream on the subject it
/// arrives on (if `account` exports it at all), a request on the subject it goes out on.
fn leads_back<'a>(
    accounts: &[AccountConfig],
    added: &[Added<'a>],
    kind: ShareKind,
    account: &'a str,
    subject: &str,
    visited: &mut HashSet<&'a str>,
) -> bool {
    if visited.len() >= MAX_DEPTH {
        return false;
    }
    if kind == ShareKind::Stream {
        let exports = accounts.iter().find(|a| a.name == account);
        let exported = exports.is_some_and(|a| {
            (a.exports.iter()).any(|e| e.kind == ShareKind::Stream && covers(&e.subject, subject))
        });
        if !exported {
            return false;
        }
    }
    for import in (added.iter()).filter(|i| i.importer == account && i.kind == kind) {
        let meets = match kind {
            ShareKind::Stream => import.local.as_str(),
            ShareKind::Service => import.remote,
        };
        if !subjects_collide(subject.as_bytes(), meets.as_bytes()) {
            continue;
        }
        if visited.contains(import.exporter) {
            return true;
        }
        visited.insert(account);
        let narrower = if covers(subject, &import.local) {
            import.local.as_str()
        } else {
            subject
        };
        if leads_back(accounts, added, kind, import.exporter, narrower, visited) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::config::{Export, Import};

    #[test]
    fn imports_that_lead_back_on_colliding_subjects_form_a_cycle() {
        let streams = [
            AccountConfig::new(
                "A",
                vec![Export::stream("x.>")],
                vec![Import::stream("B", "x.>")],
            ),
            AccountConfig::new(
                "B",
                vec![Export::stream("x.>")],
                vec![Import::stream("A", "x.>")],
            ),
        ];
        assert_eq!(
            check(&streams),
            Err("Error adding stream import \"x.>\": import forms a cycle".into())
        );
        let services = [
            AccountConfig::new(
                "A",
                vec![Export::service("q.>")],
                vec![Import::service("B", "q.>")],
            ),
            AccountConfig::new(
                "B",
                vec![Export::service("q.>")],
                vec![Import::service("A", "q.>")],
            ),
        ];
        assert_eq!(
            check(&services),
            Err("Error adding service import \"q.>\": import forms a cycle".into())
        );
        // Subjects that never meet are no cycle.
        let apart = [
            AccountConfig::new(
                "A",
                vec![Export::stream("a.>")],
                vec![Import::stream("B", "b.>")],
            ),
            AccountConfig::new(
                "B",
                vec![Export::stream("b.>")],
                vec![Import::stream("A", "a.>")],
            ),
        ];
        assert_eq!(check(&apart), Ok(()));
        // Nor is a prefix that moves the subject away.
        let prefixed = Import {
            prefix: Some("from_b".into()),
            ..Import::stream("B", "x.>")
        };
        let moved = [
            AccountConfig::new("A", vec![Export::stream("x.>")], vec![prefixed]),
            AccountConfig::new(
                "B",
                vec![Export::stream("x.>")],
                vec![Import::stream("A", "x.>")],
            ),
        ];
        assert_eq!(check(&moved), Ok(()));
    }
}
