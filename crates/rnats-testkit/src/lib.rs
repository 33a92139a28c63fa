//! Test support for rnats.
//!
//! * [`reference_server_path`] and [`ReferenceServer`]: the Go `nats-server` v2.15.0 that rnats
//!   must match byte for byte, installed on demand by `scripts/install-reference-server` and run
//!   on a random port.
//! * [`RawConn`]: a raw TCP client speaking bytes, not a NATS client library, so tests can send
//!   malformed input and see exactly what a server answers.
//! * [`jwt`]: operator, account and user JWTs and `.creds` files signed with fresh NKeys.
//! * [`normalize`]: makes two servers' transcripts comparable by dropping the INFO fields that
//!   differ from run to run.
//!
//! Everything here is test support: helpers panic with a message saying what failed, because a
//! panic is how a test fails.

pub mod jwt;
mod normalize;
mod raw;
mod reference;

pub use normalize::{
    VOLATILE_INFO_KEYS, escape, normalize, normalize_info_line, server_ops, without_server_pings,
};
pub use raw::{DEFAULT_TIMEOUT, RawConn, Received, Stop};
pub use reference::{
    REFERENCE_VERSION, ReferenceServer, ReferenceServerBuilder, reference_server_path,
    workspace_root,
};
