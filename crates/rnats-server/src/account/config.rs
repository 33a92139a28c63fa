//! The accounts of the options, as configured: exports, imports and their response types.

use std::time::Duration;

use crate::auth::Permissions;

/// How long a service export's responder may answer a request by default.
pub const DEFAULT_RESPONSE_THRESHOLD: Duration = Duration::from_secs(120);

/// One entry of the `accounts` block: a named subject space with what it shares.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountConfig {
    /// The account name (never `$G`).
    pub name: String,
    /// Subjects other accounts may import from this one.
    pub exports: Vec<Export>,
    /// Subjects this account takes from other accounts.
    pub imports: Vec<Import>,
    /// The account's own limits, below the server's.
    pub limits: AccountLimits,
    /// The permissions of the account's users that have none of their own (the
    /// `authorization` block's `default_permissions` are never theirs).
    pub default_permissions: Option<Permissions>,
}

/// An account's `limits`; `None` leaves the server's (negative values in the file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccountLimits {
    /// Most client connections bound to the account at once.
    pub max_connections: Option<usize>,
    /// Most subscriptions per connection.
    pub max_subscriptions: Option<usize>,
    /// Largest payload.
    pub max_payload: Option<u32>,
    /// Most leaf node connections (kept for when leaf nodes come).
    pub max_leafnodes: Option<usize>,
}

/// Whether an export or import is a stream (messages flow out) or a service (requests flow in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareKind {
    /// Messages published in the exporter reach the importer.
    Stream,
    /// Requests published in the importer reach the exporter, and their replies come back.
    Service,
}

/// How many responses a service request may get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResponseType {
    /// One response, then the reply route is gone.
    #[default]
    Singleton,
    /// Any number of responses until the threshold passes.
    Stream,
    /// A response in several parts until the threshold passes.
    Chunked,
}

impl AccountConfig {
    /// An account with these exports and imports, and nothing else set.
    pub fn new(name: &str, exports: Vec<Export>, imports: Vec<Import>) -> Self {
        AccountConfig {
            name: name.to_owned(),
            exports,
            imports,
            ..AccountConfig::default()
        }
    }
}

/// An `exports` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// Stream or service.
    pub kind: ShareKind,
    /// The subject (wildcards allowed) other accounts may import.
    pub subject: String,
    /// The accounts allowed to import it; empty is every account.
    pub accounts: Vec<String>,
    /// For services: how many responses a request may get.
    pub response_type: ResponseType,
    /// For services: how long responses are routed back after a request.
    pub response_threshold: Duration,
}

impl Export {
    /// A public stream export of `subject`.
    pub fn stream(subject: &str) -> Self {
        Export {
            kind: ShareKind::Stream,
            subject: subject.to_owned(),
            accounts: Vec::new(),
            response_type: ResponseType::Singleton,
            response_threshold: DEFAULT_RESPONSE_THRESHOLD,
        }
    }

    /// A public service export of `subject` with singleton responses.
    pub fn service(subject: &str) -> Self {
        Export {
            kind: ShareKind::Service,
            ..Export::stream(subject)
        }
    }
}

/// An `imports` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// Stream or service.
    pub kind: ShareKind,
    /// The exporting account.
    pub account: String,
    /// The exported subject (or a narrower one).
    pub subject: String,
    /// Streams: the subject messages arrive on in this account; services: the subject this
    /// account publishes requests to. Wildcards of `subject` map by position or `$N`.
    pub to: Option<String>,
    /// Streams only: prepended (with a dot) to the subject messages arrive on.
    pub prefix: Option<String>,
    /// Services only: requests carry the requester's details to the responder (a
    /// `Nats-Request-Info` header the server writes).
    pub share: bool,
}

impl Import {
    /// The subject this import uses in its importer (where a stream arrives, where a
    /// service is asked), its wildcard references (`$N`, `{{wildcard(N)}}`) shown as the
    /// wildcards they stand for: `u.$2.$1` of `t.*.*` is `u.*.*`.
    pub fn local_filter(&self) -> String {
        if let (ShareKind::Stream, Some(prefix)) = (self.kind, &self.prefix) {
            let prefix = prefix.strip_suffix('.').unwrap_or(prefix);
            return format!("{prefix}.{}", self.subject);
        }
        let Some(to) = &self.to else {
            return self.subject.clone();
        };
        to.split('.')
            .map(|token| {
                let reference = token.starts_with('$') || token.starts_with("{{");
                if reference { "*" } else { token }
            })
            .collect::<Vec<_>>()
            .join(".")
    }

    /// A stream import of `subject` from `account`, under its own name.
    pub fn stream(account: &str, subject: &str) -> Self {
        Import {
            kind: ShareKind::Stream,
            account: account.to_owned(),
            subject: subject.to_owned(),
            to: None,
            prefix: None,
            share: false,
        }
    }

    /// A service import of `subject` from `account`, under its own name.
    pub fn service(account: &str, subject: &str) -> Self {
        Import {
            kind: ShareKind::Service,
            ..Import::stream(account, subject)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_filters_show_wildcards() {
        let mapped = Import {
            to: Some("u.$2.{{wildcard(1)}}".into()),
            ..Import::stream("A", "t.*.*")
        };
        assert_eq!(mapped.local_filter(), "u.*.*");
        let prefixed = Import {
            prefix: Some("pfx.".into()),
            ..Import::stream("A", "s.>")
        };
        assert_eq!(prefixed.local_filter(), "pfx.s.>");
        assert_eq!(Import::stream("A", "s.>").local_filter(), "s.>");
        let renamed = Import {
            to: Some("zz".into()),
            ..Import::service("A", "q.z")
        };
        assert_eq!(renamed.local_filter(), "zz");
    }
}
