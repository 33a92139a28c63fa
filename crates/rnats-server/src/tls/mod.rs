//! TLS for client connections and the monitoring port, with rustls.
//!
//! `config.rs` turns [`TlsOptions`] into a rustls `ServerConfig` (at start and at every
//! reload, so new connections get new certificates); `accept.rs` runs the part of a client
//! connection before the protocol starts (plaintext INFO, sniffing, the handshake, its
//! timeout); `transport.rs` is the TLS side of the connection's reader and writer;
//! `identity.rs` reads the client certificate's identities for `verify_and_map`;
//! `session.rs` keeps what monitoring reports of a TLS connection.

mod accept;
mod config;
mod identity;
mod session;
mod streams;

use std::sync::Arc;

use tokio_rustls::TlsAcceptor;

use crate::options::Options;

pub(crate) use accept::{Accepted, accept};
pub use config::{
    DEFAULT_HANDSHAKE_FIRST_FALLBACK, DEFAULT_TLS_TIMEOUT, HandshakeFirst, TlsError, TlsOptions,
    TlsVersion,
};
pub(crate) use identity::CertIdentity;
pub(crate) use session::{PeerCertificate, TlsSession};
pub(crate) use streams::split;

/// The TLS a server runs with: built from the options at start and at every reload.
pub(crate) struct TlsSetup {
    /// Completes client handshakes.
    pub(crate) acceptor: TlsAcceptor,
    /// Completes monitoring (HTTPS) handshakes: the same certificate, no client certificate.
    pub(crate) https: TlsAcceptor,
    /// The options it was built from.
    pub(crate) options: TlsOptions,
    /// Plaintext clients are welcome too (the first byte tells which).
    pub(crate) allow_non_tls: bool,
}

impl TlsSetup {
    /// The setup `options` ask for; `None` without a `tls` block.
    pub(crate) fn build(options: &Options) -> Result<Option<Arc<TlsSetup>>, TlsError> {
        let Some(tls) = &options.tls else {
            return Ok(None);
        };
        let client = tls.server_config()?;
        let https = TlsOptions {
            verify: false,
            verify_and_map: false,
            ca_file: None,
            ..tls.clone()
        }
        .server_config()?;
        Ok(Some(Arc::new(TlsSetup {
            acceptor: TlsAcceptor::from(client),
            https: TlsAcceptor::from(https),
            options: tls.clone(),
            allow_non_tls: options.allow_non_tls,
        })))
    }
}

/// The TLS version as the reference logs it (`1.3`).
fn version_name(version: Option<rustls::ProtocolVersion>) -> &'static str {
    match version {
        Some(rustls::ProtocolVersion::TLSv1_3) => "1.3",
        Some(rustls::ProtocolVersion::TLSv1_2) => "1.2",
        _ => "unknown",
    }
}

/// The cipher suite by its Go name (`TLS_AES_128_GCM_SHA256`).
fn suite_name(suite: Option<rustls::SupportedCipherSuite>) -> String {
    suite.map_or_else(String::new, |suite| {
        format!("{:?}", suite.suite()).replacen("TLS13_", "TLS_", 1)
    })
}
