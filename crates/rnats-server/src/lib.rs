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
mod listener;
mod options;
mod process_files;
mod server;
mod stats;
mod subscription;

pub use options::{Authentication, Options};
pub use options::{
    DEFAULT_AUTH_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONTROL_LINE, DEFAULT_MAX_PAYLOAD,
    DEFAULT_MAX_PENDING, DEFAULT_PING_INTERVAL, DEFAULT_PING_MAX, DEFAULT_PORT,
    DEFAULT_WRITE_DEADLINE,
};
pub use server::{COMPATIBLE_VERSION, Server, StartError};
pub use stats::StatsSnapshot;
