//! rnats: a NATS server, compatible with nats-server on the wire, usable as a library.
//!
//! ```no_run
//! # async fn example() -> Result<(), rnats_server::StartError> {
//! let server = rnats_server::Server::start(rnats_server::Options::local()).await?;
//! println!("clients connect to {}", server.client_url());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod account;
mod auth;
mod client;
pub mod jwt;
mod lame_duck;
mod listener;
mod monitor;
mod operator;
mod options;
mod process_files;
mod reload;
mod server;
mod stats;
mod subscription;
mod system;
mod tls;

pub use account::config::{
    AccountConfig, AccountLimits, DEFAULT_RESPONSE_THRESHOLD, Export, Import, ResponseType,
    ShareKind,
};
pub use account::registry::check_accounts;
pub use auth::{
    CONNECTION_TYPES, DEFAULT_RESPONSE_EXPIRES, DEFAULT_RESPONSE_MAX, PLAINTEXT_WARNING,
    Permissions, ResponsePermission, SubjectPermission, User, UserCredentials,
    has_plaintext_passwords, is_valid_user_nkey,
};
pub use operator::{OperatorOptions, Resolver};
pub use options::{Authentication, Options};
pub use options::{
    DEFAULT_AUTH_TIMEOUT, DEFAULT_LAME_DUCK_DURATION, DEFAULT_LAME_DUCK_GRACE_PERIOD,
    DEFAULT_MAX_CLOSED_CLIENTS, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONTROL_LINE,
    DEFAULT_MAX_PAYLOAD, DEFAULT_MAX_PENDING, DEFAULT_PING_INTERVAL, DEFAULT_PING_MAX,
    DEFAULT_PORT, DEFAULT_WRITE_DEADLINE,
};
pub use reload::ReloadError;
pub use server::{COMPATIBLE_VERSION, Server, ServerHandle, StartError};
pub use stats::StatsSnapshot;
pub use system::ReloadRequest;
pub use tls::{
    DEFAULT_HANDSHAKE_FIRST_FALLBACK, DEFAULT_TLS_TIMEOUT, HandshakeFirst, TlsError, TlsOptions,
    TlsVersion,
};

/// A duration as the reference prints it in logs and errors: `2m0s`, `30s`, `1.5s`, `100ms`.
pub fn format_duration(duration: std::time::Duration) -> String {
    monitor::format::go_duration(duration)
}
