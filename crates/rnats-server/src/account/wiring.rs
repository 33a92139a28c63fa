//! Wiring one import between two accounts as forwards. Configured accounts (`registry.rs`)
//! and the accounts of operator mode (`operator/imports.rs`) decide differently whether an
//! import is authorized, then both wire it here.

use std::sync::Arc;

use super::Account;
use super::config::{Export, Import, ShareKind};
use super::forward::{Forward, ForwardKind, ForwardRef};
use super::transform::Transform;
use crate::subscription::SubscriptionRef;

/// A forward an import installed and the account whose `forwards` hold it, and for a
/// service the subscription that stands for it in the importer: what goes when the import
/// does.
#[derive(Clone)]
pub(crate) struct Installed {
    account: Arc<Account>,
    forward: ForwardRef,
    subscription: Option<(Arc<Account>, SubscriptionRef)>,
}

impl Installed {
    /// Takes the forward out of its account, and the import's subscription out of the
    /// importer.
    pub(crate) fn remove(&self) {
        self.account.remove_forward(&self.forward);
        if let Some((importer, subscription)) = &self.subscription {
            importer.remove_import_subscription(subscription);
        }
    }

    /// Whether both are the same forward.
    pub(crate) fn is(&self, other: &Installed) -> bool {
        self.forward == other.forward
    }
}

/// `stream` or `service`, as the reference's texts say it.
pub(crate) fn kind_name(kind: ShareKind) -> &'static str {
    match kind {
        ShareKind::Stream => "stream",
        ShareKind::Service => "service",
    }
}

/// Whether every subject `import` matches is one `export` matches.
pub(crate) fn covers(export: &str, import: &str) -> bool {
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

/// How one import maps subjects: the filter its forward sits under and the transform.
pub(crate) fn mapping(import: &Import) -> Result<(String, Transform), String> {
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

/// Wires `import` of `importer`, which `export` of `exporter` authorizes: a stream becomes
/// a forward in the exporter to the importer; a service a forward in the importer to the
/// exporter, and the exporter routes the responses back (one route per pair of accounts,
/// kept for the accounts' life: without requests it carries nothing).
pub(crate) fn wire(
    importer: &Arc<Account>,
    exporter: &Arc<Account>,
    import: &Import,
    export: &Export,
) -> Result<Installed, String> {
    let (filter, transform) = mapping(import)?;
    install(
        importer,
        exporter,
        import.kind,
        filter,
        transform,
        export,
        import.share,
    )
    .ok_or_else(|| format!("invalid import subject {}", import.subject))
}

/// Wires a service import that sends requests published on `local` in `importer` to the
/// one subject `remote` of `exporter`, sharing the requester's details when `share`. The
/// server's own imports take this way: their subjects are literal, so no mapping can fail
/// (a `$` token is a name there, not a wildcard reference).
pub(crate) fn wire_fixed_service(
    importer: &Arc<Account>,
    exporter: &Arc<Account>,
    local: &str,
    remote: &str,
    export: &Export,
    share: bool,
) -> Result<Installed, String> {
    let transform = Transform::fixed(remote);
    let kind = ShareKind::Service;
    install(
        importer,
        exporter,
        kind,
        local.to_owned(),
        transform,
        export,
        share,
    )
    .ok_or_else(|| format!("invalid import subject {local}"))
}

/// Adds the forwards of one import; `None` when a subject is not valid.
fn install(
    importer: &Arc<Account>,
    exporter: &Arc<Account>,
    kind: ShareKind,
    filter: String,
    transform: Transform,
    export: &Export,
    share: bool,
) -> Option<Installed> {
    let (holder, forward) = match kind {
        ShareKind::Stream => (
            exporter,
            Forward {
                filter: filter.into_bytes().into(),
                target: Arc::downgrade(importer),
                transform,
                kind: ForwardKind::Stream,
            },
        ),
        ShareKind::Service => {
            if !ensure_response_route(exporter, importer) {
                return None;
            }
            let forward = Forward {
                filter: filter.into_bytes().into(),
                target: Arc::downgrade(exporter),
                transform,
                kind: ForwardKind::Service {
                    response_type: export.response_type,
                    threshold: export.response_threshold,
                    importer: Arc::downgrade(importer),
                    share,
                },
            };
            (importer, forward)
        }
    };
    let forward = holder.add_forward(forward)?;
    // The reference counts a service import as a subscription of the importer, on the
    // subject its clients publish requests to.
    let subscription = match kind {
        ShareKind::Service => {
            let filter = std::str::from_utf8(&forward.0.filter).unwrap_or_default();
            importer
                .add_import_subscription(filter)
                .map(|subscription| (importer.clone(), subscription))
        }
        ShareKind::Stream => None,
    };
    Some(Installed {
        account: holder.clone(),
        forward,
        subscription,
    })
}

/// The route in `exporter` that takes responses back to `importer`, if there is one.
fn response_route(exporter: &Account, importer: &Arc<Account>) -> Option<ForwardRef> {
    let probe = format!("{}x", importer.reply_prefix);
    exporter
        .forwards
        .matches(probe.as_bytes())
        .plain
        .iter()
        .find(|forward| {
            matches!(forward.0.kind, ForwardKind::Responses)
                && std::ptr::eq(forward.0.target.as_ptr(), Arc::as_ptr(importer))
        })
        .cloned()
}

/// Takes out the route in `exporter` that takes responses back to `importer` (an account
/// a reload removed).
pub(crate) fn remove_response_route(exporter: &Account, importer: &Arc<Account>) {
    if let Some(route) = response_route(exporter, importer) {
        exporter.remove_forward(&route);
    }
}

/// Makes `exporter` route responses under `importer`'s reply prefix back to it, unless it
/// does already (two routes would deliver stream responses twice).
fn ensure_response_route(exporter: &Arc<Account>, importer: &Arc<Account>) -> bool {
    response_route(exporter, importer).is_some()
        || exporter
            .add_forward(Forward {
                filter: format!("{}>", importer.reply_prefix).into_bytes().into(),
                target: Arc::downgrade(importer),
                transform: Transform::Identity,
                kind: ForwardKind::Responses,
            })
            .is_some()
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
    fn removed_imports_stop_forwarding_and_response_routes_are_shared() {
        let (importer, exporter) = (
            Arc::new(Account::new("I", true)),
            Arc::new(Account::new("E", true)),
        );
        let stream = wire(
            &importer,
            &exporter,
            &Import::stream("E", "s.>"),
            &Export::stream("s.>"),
        )
        .expect("stream wired");
        assert_eq!(exporter.forwards.matches(b"s.x").plain.len(), 1);
        stream.remove();
        assert!(exporter.forwards.matches(b"s.x").plain.is_empty());
        for subject in ["a", "b"] {
            wire(
                &importer,
                &exporter,
                &Import::service("E", subject),
                &Export::service(">"),
            )
            .expect("service wired");
        }
        let reply = format!("{}abc", importer.reply_prefix);
        assert_eq!(exporter.forwards.matches(reply.as_bytes()).plain.len(), 1);
    }
}
