//! Parser for the NATS server configuration file format.
//!
//! Turns configuration text into a tree of [`Value`]s with [`Position`]s, resolving
//! `include` directives and `$variable` references on the way. It knows nothing about
//! server options; the option layer interprets the tree.
//!
//! Behaviour follows the reference server (nats-server 2.15), established by
//! black-box experiments:
//! - `key: value`, `key = value` and `key value`; `#` and `//` comments;
//! - maps `{ }` whose entries end with a newline, `,` or `;`; arrays `[ ]` whose
//!   items end with a newline or `,`; braces around top-level entries are allowed;
//! - double-quoted strings with `\t \n \r \" \\ \xHH` escapes, raw single-quoted
//!   strings, bare strings, and block strings `(` ... a line holding only `)`;
//! - `true/false/yes/no/on/off` in any case are booleans;
//! - integers take size suffixes: `k m g t p e` are powers of 1000, and the forms
//!   `kb ki kib` (and so on) are powers of 1024, in any case; so a bare `2m` is the
//!   integer 2000000 while `2s` or `"2m"` is a string;
//! - `2016-05-04T18:53:41Z` is a date-time;
//! - `$name` copies the value of `name` from the nearest enclosing map that already
//!   defined it, else parses the environment variable `name` as a value.
//!
//! ```
//! let doc = rnats_conf::parse_str("port: 4222\nmax_payload: 1MB\n").unwrap();
//! let payload = doc.root.get("max_payload").map(|e| &e.value.kind);
//! assert_eq!(payload, Some(&rnats_conf::ValueKind::Integer(1 << 20)));
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cursor;
mod digest;
mod duration;
mod error;
mod include;
mod parser;
mod position;
mod scalar;
mod value;

use std::path::Path;
use std::sync::Arc;

pub use duration::parse_duration;
pub use error::ConfError;
pub use position::Position;
pub use value::{Entry, Map, Value, ValueKind};

/// A parsed configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Top-level entries, includes merged in.
    pub root: Map,
    /// `"sha256:<64 hex>"`, as the reference server prints for `-t` and reports in `/varz`.
    ///
    /// It is the SHA-256 of the parsed tree's JSON encoding (sorted keys), not of the
    /// file bytes, so comments and layout do not change it.
    pub digest: String,
}

impl Document {
    fn new(root: Map) -> Self {
        let digest = digest::digest(&root);
        Self { root, digest }
    }
}

/// Parses the configuration file at `path`; includes are resolved against its directory.
///
/// Positions name the file as `path` is written (as the reference server prints it).
pub fn parse_file(path: impl AsRef<Path>) -> Result<Document, ConfError> {
    let name = path.as_ref().to_string_lossy().into_owned();
    let text = include::read_text(&name)
        .map_err(|e| ConfError::plain(None, include::io_error_text(&name, &e)))?;
    let mut shared = parser::Shared::new();
    shared.include_chain.push(include::identity(&name));
    let file: Arc<str> = Arc::from(name.as_str());
    let root =
        parser::Parser::new(&text, Some(file), include::dir_of(&name), &mut shared).parse()?;
    Ok(Document::new(root))
}

/// Parses configuration text; includes are resolved against the current directory.
pub fn parse_str(text: &str) -> Result<Document, ConfError> {
    let mut shared = parser::Shared::new();
    let root = parser::Parser::new(text, None, ".".to_string(), &mut shared).parse()?;
    Ok(Document::new(root))
}
