//! The part of a connection's permissions that publishers check when they deliver to it:
//! subjects its wildcard subscriptions must not receive, and the replies it may send to the
//! requests it receives (`allow_responses`).
//!
//! Publishers read `active` first; for a connection without such permissions (the common
//! case) a delivery costs that one relaxed load and nothing else.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use hashbrown::HashMap;
use parking_lot::Mutex;
use rustc_hash::FxBuildHasher;

use super::permissions::CompiledPermissions;

/// Past this many replies remembered, expired ones are swept before adding one.
const SWEEP_AT: usize = 1024;
/// The most replies remembered per connection; requests past it cannot be answered until
/// older ones expire or are answered.
const MAX_REPLIES: usize = 64 * 1024;

/// Delivery-time permissions of one connection, shared with the publishers that reach it.
#[derive(Default)]
pub(crate) struct DeliveryRules {
    /// The connection has permissions publishers must check.
    active: AtomicBool,
    state: Mutex<Option<State>>,
}

struct State {
    permissions: Arc<CompiledPermissions>,
    /// Reply subjects of requests delivered, with answers left and deadline.
    replies: HashMap<Box<[u8]>, Reply, FxBuildHasher>,
}

struct Reply {
    left: u32,
    until: Instant,
}

impl DeliveryRules {
    /// Installs the permissions of the user the connection authenticated as (at CONNECT, or
    /// after a reload); replies remembered under earlier permissions are forgotten.
    pub(crate) fn set(&self, permissions: Option<&Arc<CompiledPermissions>>) {
        let relevant = permissions
            .filter(|p| p.filters_deliveries() || p.responses().is_some())
            .cloned();
        let active = relevant.is_some();
        *self.state.lock() = relevant.map(|permissions| State {
            permissions,
            replies: HashMap::default(),
        });
        self.active.store(active, Ordering::Release);
    }

    /// Whether a message on `subject` may be delivered to this connection's subscription
    /// (in `queue`); remembers its `reply` when the connection may answer it.
    #[inline]
    pub(crate) fn admit(&self, subject: &[u8], queue: Option<&[u8]>, reply: Option<&[u8]>) -> bool {
        if !self.active.load(Ordering::Relaxed) {
            return true;
        }
        self.admit_checked(subject, queue, reply)
    }

    fn admit_checked(&self, subject: &[u8], queue: Option<&[u8]>, reply: Option<&[u8]>) -> bool {
        let mut guard = self.state.lock();
        let Some(state) = guard.as_mut() else {
            return true;
        };
        if !state.permissions.can_receive(subject, queue) {
            return false;
        }
        if let (Some(reply), Some(limits)) = (reply, state.permissions.responses()) {
            let now = Instant::now();
            if state.replies.len() >= SWEEP_AT && !state.replies.contains_key(reply) {
                state.replies.retain(|_, entry| entry.until > now);
            }
            if state.replies.len() < MAX_REPLIES || state.replies.contains_key(reply) {
                state.replies.insert(
                    reply.into(),
                    Reply {
                        left: limits.max,
                        until: now + limits.expires,
                    },
                );
            }
        }
        true
    }

    /// Whether the connection may publish to `subject` as a reply to a request it received;
    /// uses up one of that request's answers.
    pub(crate) fn take_reply(&self, subject: &[u8]) -> bool {
        if !self.active.load(Ordering::Relaxed) {
            return false;
        }
        let mut guard = self.state.lock();
        let Some(state) = guard.as_mut() else {
            return false;
        };
        let Some(entry) = state.replies.get_mut(subject) else {
            return false;
        };
        let valid = entry.until > Instant::now() && entry.left > 0;
        if valid {
            entry.left -= 1;
        }
        if !valid || entry.left == 0 {
            state.replies.remove(subject);
        }
        valid
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::users::{Permissions, ResponsePermission, SubjectPermission};
    use std::time::Duration;

    fn rules(permissions: Permissions) -> DeliveryRules {
        let rules = DeliveryRules::default();
        rules.set(CompiledPermissions::compile(&permissions).as_ref());
        rules
    }

    #[test]
    fn without_permissions_everything_is_delivered_and_nothing_answered() {
        let rules = DeliveryRules::default();
        assert!(rules.admit(b"a", None, Some(b"r")));
        assert!(!rules.take_reply(b"r"));
    }

    #[test]
    fn replies_are_counted_and_expire() {
        let rules = rules(Permissions {
            allow_responses: Some(ResponsePermission {
                max: 2,
                expires: Duration::from_millis(50),
            }),
            ..Permissions::default()
        });
        assert!(rules.admit(b"req", None, Some(b"_INBOX.1")));
        assert!(rules.admit(b"req", Some(b"q"), Some(b"_INBOX.2")));
        assert!(!rules.take_reply(b"_INBOX.3"));
        assert!(rules.take_reply(b"_INBOX.1") && rules.take_reply(b"_INBOX.1"));
        assert!(!rules.take_reply(b"_INBOX.1"), "max 2");
        std::thread::sleep(Duration::from_millis(60));
        assert!(!rules.take_reply(b"_INBOX.2"), "expired");
    }

    #[test]
    fn denied_subjects_are_not_delivered() {
        let rules = rules(Permissions {
            subscribe: Some(SubjectPermission::deny(&["foo.bar"])),
            ..Permissions::default()
        });
        assert!(!rules.admit(b"foo.bar", None, None));
        assert!(!rules.admit(b"foo.bar", Some(b"q"), None));
        assert!(rules.admit(b"foo.baz", None, Some(b"r")));
        assert!(!rules.take_reply(b"r"), "no allow_responses");
        rules.set(None);
        assert!(rules.admit(b"foo.bar", None, None));
    }
}
