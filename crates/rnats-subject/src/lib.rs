//! NATS subjects: validation, wildcard matching and the [`Sublist`] that
//! routes published subjects to subscriptions.
//!
//! Subjects are handled as raw bytes because they arrive straight from the
//! network and the reference server does not require them to be UTF-8.
//!
//! Semantics follow nats-server 2.15:
//! - tokens are separated by `.`, and an empty token makes a subject invalid;
//! - `*` (one token) and `>` (one or more trailing tokens) are wildcards only
//!   as whole tokens, and `>` must be last;
//! - a published subject is always literal: a published `*` or `>` token is
//!   matched by wildcard subscriptions only, and a published subject with an
//!   empty token matches nothing.
//!
//! ```
//! use rnats_subject::Sublist;
//!
//! let subs = Sublist::new();
//! subs.insert(b"orders.*", None, 1)?;
//! subs.insert(b"orders.>", Some(b"workers"), 2)?;
//! let result = subs.matches(b"orders.new");
//! assert_eq!(result.plain, [1]);
//! assert_eq!(result.queues[0].members, [2]);
//! # Ok::<(), rnats_subject::InvalidSubject>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod sublist;
mod token;
pub mod validate;

pub use sublist::{InvalidSubject, QueueGroup, Sublist, SublistResult, SublistStats};
pub use validate::{
    is_literal, is_valid_literal_subject, is_valid_queue_name, is_valid_subject, subject_matches,
    subjects_collide,
};
