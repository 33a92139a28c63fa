//! Permissions compiled for checking: what a user may publish, subscribe to and receive.
//!
//! Lists are short (a handful of subjects per user), so each check walks them; the publish
//! path does it once per new subject, as connections remember decisions in their match
//! cache. Subjects in a SUB may hold wildcards: a wildcard token there is matched as a token
//! like any other, so `foo.*` allows `SUB foo.>` (a `*` pattern token takes any one token)
//! but `foo.bar` does not allow `SUB foo.*`, as in the reference.

use std::sync::Arc;

use super::users::{Permissions, ResponsePermission, SubjectPermission};

/// One allow or deny entry: a subject pattern, and for subscriptions maybe a queue group.
#[derive(Debug)]
struct Rule {
    subject: Box<[u8]>,
    /// `"subject queue"` entries apply to that queue group only.
    queue: Option<Box<[u8]>>,
}

impl Rule {
    fn new(entry: &str) -> Self {
        let mut parts = entry.split_whitespace();
        let subject = parts.next().unwrap_or_default();
        Rule {
            subject: subject.as_bytes().into(),
            queue: parts.next().map(|queue| queue.as_bytes().into()),
        }
    }

    /// Whether this entry covers a subscription to `subject` in `queue`.
    fn covers_subscription(&self, subject: &[u8], queue: Option<&[u8]>) -> bool {
        covers(&self.subject, subject)
            && match &self.queue {
                None => true,
                Some(wanted) => queue == Some(&wanted[..]),
            }
    }
}

/// An allow list (`None`: everything) and a deny list.
#[derive(Debug)]
struct Rules {
    allow: Option<Vec<Rule>>,
    deny: Vec<Rule>,
}

impl Rules {
    fn compile(permission: &SubjectPermission) -> Self {
        let list = |entries: &[String]| entries.iter().map(|e| Rule::new(e)).collect();
        Rules {
            allow: (!permission.allow.is_empty()).then(|| list(&permission.allow)),
            deny: list(&permission.deny),
        }
    }

    fn allows_subject(&self, subject: &[u8]) -> bool {
        let allowed = self
            .allow
            .as_ref()
            .is_none_or(|allow| allow.iter().any(|rule| covers(&rule.subject, subject)));
        allowed && !self.deny.iter().any(|rule| covers(&rule.subject, subject))
    }

    fn allows_subscription(&self, subject: &[u8], queue: Option<&[u8]>) -> bool {
        let allowed = self.allow.as_ref().is_none_or(|allow| {
            allow
                .iter()
                .any(|rule| rule.covers_subscription(subject, queue))
        });
        allowed
            && !self
                .deny
                .iter()
                .any(|rule| rule.covers_subscription(subject, queue))
    }
}

/// A user's permissions, ready for checks; shared by all of its connections.
#[derive(Debug)]
pub(crate) struct CompiledPermissions {
    publish: Option<Rules>,
    subscribe: Option<Rules>,
    responses: Option<ResponsePermission>,
}

impl CompiledPermissions {
    /// Compiles `permissions`; `None` if they restrict nothing.
    pub(crate) fn compile(permissions: &Permissions) -> Option<Arc<Self>> {
        let responses = permissions.allow_responses.map(|r| ResponsePermission {
            max: if r.max == 0 {
                super::users::DEFAULT_RESPONSE_MAX
            } else {
                r.max
            },
            expires: if r.expires.is_zero() {
                super::users::DEFAULT_RESPONSE_EXPIRES
            } else {
                r.expires
            },
        });
        let publish = match &permissions.publish {
            Some(publish) => Some(Rules::compile(publish)),
            // Responses alone: nothing else may be published.
            None if responses.is_some() => Some(Rules {
                allow: Some(Vec::new()),
                deny: Vec::new(),
            }),
            None => None,
        };
        let restricts = |rules: &Rules| rules.allow.is_some() || !rules.deny.is_empty();
        let compiled = CompiledPermissions {
            publish: publish.filter(restricts),
            subscribe: permissions
                .subscribe
                .as_ref()
                .map(Rules::compile)
                .filter(restricts),
            responses,
        };
        let unrestricted = compiled.publish.is_none() && compiled.subscribe.is_none();
        (!unrestricted || compiled.responses.is_some()).then(|| Arc::new(compiled))
    }

    /// Whether the lists allow publishing to `subject` (replies to requests aside).
    pub(crate) fn can_publish(&self, subject: &[u8]) -> bool {
        self.publish
            .as_ref()
            .is_none_or(|rules| rules.allows_subject(subject))
    }

    /// Whether the user may subscribe to `subject`, in `queue` if given.
    pub(crate) fn can_subscribe(&self, subject: &[u8], queue: Option<&[u8]>) -> bool {
        self.subscribe
            .as_ref()
            .is_none_or(|rules| rules.allows_subscription(subject, queue))
    }

    /// Whether a message on `subject` may be delivered to a subscription of this user (in
    /// `queue`): a wildcard subscription does not receive what the deny list names.
    pub(crate) fn can_receive(&self, subject: &[u8], queue: Option<&[u8]>) -> bool {
        self.subscribe.as_ref().is_none_or(|rules| {
            !rules
                .deny
                .iter()
                .any(|rule| rule.covers_subscription(subject, queue))
        })
    }

    /// Whether deliveries must be filtered (the subscribe deny list has entries).
    pub(crate) fn filters_deliveries(&self) -> bool {
        self.subscribe
            .as_ref()
            .is_some_and(|rules| !rules.deny.is_empty())
    }

    /// The permissions as `$SYS.REQ.USER.INFO` tells the user: each list in its
    /// configuration's order (queue groups left out, as the reference reports subjects
    /// only), `responses` with its time to live in nanoseconds.
    pub(crate) fn public(&self) -> serde_json::Value {
        let side = |rules: Option<&Rules>| {
            let mut side = serde_json::Map::new();
            let subjects = |list: &[Rule]| {
                (list.iter())
                    .map(|rule| String::from_utf8_lossy(&rule.subject).into_owned())
                    .collect::<Vec<_>>()
            };
            if let Some(rules) = rules {
                if let Some(allow) = rules.allow.as_deref().filter(|a| !a.is_empty()) {
                    side.insert("allow".to_owned(), subjects(allow).into());
                }
                if !rules.deny.is_empty() {
                    side.insert("deny".to_owned(), subjects(&rules.deny).into());
                }
            }
            serde_json::Value::Object(side)
        };
        let mut public = serde_json::Map::new();
        public.insert("publish".to_owned(), side(self.publish.as_ref()));
        public.insert("subscribe".to_owned(), side(self.subscribe.as_ref()));
        if let Some(responses) = self.responses {
            let ttl = u64::try_from(responses.expires.as_nanos()).unwrap_or(u64::MAX);
            public.insert(
                "responses".to_owned(),
                serde_json::json!({"max": responses.max, "ttl": ttl}),
            );
        }
        serde_json::Value::Object(public)
    }

    /// The `allow_responses` limits, if the user has them.
    pub(crate) fn responses(&self) -> Option<ResponsePermission> {
        self.responses
    }
}

/// Whether `pattern` (with `*` and `>`) covers `subject`, whose tokens are taken as they are.
pub(crate) fn covers(pattern: &[u8], subject: &[u8]) -> bool {
    let mut patterns = pattern.split(|&b| b == b'.');
    let mut tokens = subject.split(|&b| b == b'.');
    loop {
        match (patterns.next(), tokens.next()) {
            (Some(b">"), Some(_)) => return true,
            (Some(b"*"), Some(_)) => {}
            (Some(expected), Some(token)) if expected == token => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn compiled(permissions: Permissions) -> Arc<CompiledPermissions> {
        CompiledPermissions::compile(&permissions).expect("restricts something")
    }

    #[test]
    fn pattern_covering() {
        assert!(covers(b"foo.*", b"foo.bar") && covers(b"foo.*", b"foo.>"));
        assert!(covers(b"foo.>", b"foo.a.b") && covers(b">", b"a") && covers(b"foo", b"foo"));
        assert!(!covers(b"foo.bar", b"foo.*") && !covers(b"foo.>", b"foo"));
        assert!(!covers(b"bar.>", b">") && !covers(b"foo.*", b"foo.a.b"));
        assert!(!covers(b"foo", b"foo.bar") && !covers(b"foo.bar", b"foo"));
    }

    #[test]
    fn publish_allow_and_deny() {
        let p = compiled(Permissions {
            publish: Some(SubjectPermission {
                allow: vec!["foo.*".into(), "req.>".into()],
                deny: vec!["foo.bar".into()],
            }),
            ..Permissions::default()
        });
        assert!(p.can_publish(b"foo.baz") && p.can_publish(b"req.a.b"));
        assert!(!p.can_publish(b"foo.bar") && !p.can_publish(b"bar"));
        assert!(p.can_subscribe(b"anything", None), "no subscribe rules");
    }

    #[test]
    fn subscribe_queues_and_wildcards() {
        let p = compiled(Permissions {
            subscribe: Some(SubjectPermission {
                allow: vec!["foo.*".into(), "q.* grp".into(), "baz.x".into()],
                deny: vec!["foo.bar grp".into(), "foo.deny".into()],
            }),
            ..Permissions::default()
        });
        assert!(p.can_subscribe(b"foo.x", None) && p.can_subscribe(b"foo.>", None));
        assert!(p.can_subscribe(b"q.x", Some(b"grp")));
        assert!(!p.can_subscribe(b"q.x", None) && !p.can_subscribe(b"q.x", Some(b"other")));
        assert!(p.can_subscribe(b"foo.bar", None) && p.can_subscribe(b"foo.bar", Some(b"g2")));
        assert!(!p.can_subscribe(b"foo.bar", Some(b"grp")));
        assert!(!p.can_subscribe(b"baz.*", None) && p.can_subscribe(b"baz.x", Some(b"q")));
        assert!(!p.can_subscribe(b"foo.deny", None) && !p.can_subscribe(b">", None));
        assert!(p.filters_deliveries());
        assert!(!p.can_receive(b"foo.deny", None) && p.can_receive(b"foo.bar", None));
        assert!(!p.can_receive(b"foo.bar", Some(b"grp")) && p.can_receive(b"foo.bar", Some(b"g")));
    }

    #[test]
    fn empty_lists_restrict_nothing_and_responses_alone_deny_publishing() {
        let empty = Permissions {
            publish: Some(SubjectPermission::default()),
            subscribe: Some(SubjectPermission::default()),
            allow_responses: None,
        };
        assert!(CompiledPermissions::compile(&empty).is_none());
        let responses = compiled(Permissions {
            allow_responses: Some(ResponsePermission {
                max: 0,
                expires: Duration::ZERO,
            }),
            ..Permissions::default()
        });
        assert!(!responses.can_publish(b"anything"));
        assert_eq!(responses.responses(), Some(ResponsePermission::default()));
        assert!(!responses.filters_deliveries());
    }
}
