//! TLS options, and the rustls server configuration made from them.
//!
//! Files are read and checked here, with the reference's error texts, both when the server
//! starts and when a reload brings new options; the configuration check (`-t`) uses the same
//! function, so a bad certificate is reported before the server runs.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::crypto::{CryptoProvider, SupportedKxGroup};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::danger::ClientCertVerifier;
use rustls::server::{ResolvesServerCert, WebPkiClientVerifier};
use rustls::{RootCertStore, ServerConfig, SupportedCipherSuite};

/// The default time a client has to complete the TLS handshake.
pub const DEFAULT_TLS_TIMEOUT: Duration = Duration::from_secs(2);
/// The wait before a `handshake_first: auto` server falls back to a plaintext INFO.
pub const DEFAULT_HANDSHAKE_FIRST_FALLBACK: Duration = Duration::from_millis(50);

/// The `tls {}` block: the server's certificate and how clients are checked.
#[derive(Debug, Clone, PartialEq)]
pub struct TlsOptions {
    /// PEM file with the server's certificate chain.
    pub cert_file: Option<PathBuf>,
    /// PEM file with the server's private key.
    pub key_file: Option<PathBuf>,
    /// PEM file with the certificate authorities client certificates must chain to.
    pub ca_file: Option<PathBuf>,
    /// Require a client certificate signed by `ca_file` (mutual TLS).
    pub verify: bool,
    /// Require a client certificate and let its identity select the user.
    pub verify_and_map: bool,
    /// Longest a TLS handshake may take.
    pub timeout: Duration,
    /// Whether the handshake comes before the server's INFO.
    pub handshake_first: HandshakeFirst,
    /// TLS 1.2 cipher suites allowed, by their Go names; empty is rustls' defaults.
    pub cipher_suites: Vec<String>,
    /// Key exchange groups in order of preference, by their Go names; empty is the defaults.
    pub curve_preferences: Vec<String>,
    /// The lowest TLS version accepted.
    pub min_version: TlsVersion,
}

impl Default for TlsOptions {
    fn default() -> Self {
        TlsOptions {
            cert_file: None,
            key_file: None,
            ca_file: None,
            verify: false,
            verify_and_map: false,
            timeout: DEFAULT_TLS_TIMEOUT,
            handshake_first: HandshakeFirst::Off,
            cipher_suites: Vec::new(),
            curve_preferences: Vec::new(),
            min_version: TlsVersion::Tls12,
        }
    }
}

/// When the TLS handshake happens relative to the server's INFO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HandshakeFirst {
    /// INFO in plaintext, then the client upgrades.
    #[default]
    Off,
    /// The handshake first; INFO goes over TLS.
    On,
    /// The handshake first, unless the client says nothing for this long: then a plaintext
    /// INFO and an upgrade, for clients that wait for INFO.
    Fallback(Duration),
}

/// A TLS protocol version, for `min_version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

/// Why TLS options cannot be used; `Display` is the reference's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsError {
    /// `cert_file` without `key_file`.
    MissingKey,
    /// `key_file` without `cert_file`.
    MissingCert,
    /// The certificate or key could not be read or do not belong together.
    KeyPair(String),
    /// The CA file could not be read.
    CaFile(String),
    /// The CA file holds no usable certificate.
    CaParse,
    /// A setting rnats cannot honour (e.g. a cipher rustls does not implement).
    Unsupported(String),
    /// rustls refused the configuration.
    Config(String),
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::MissingKey => f.write_str("missing 'key_file' in TLS configuration"),
            TlsError::MissingCert => f.write_str("missing 'cert_file' in TLS configuration"),
            TlsError::KeyPair(detail) => {
                write!(f, "error parsing X509 certificate/key pair: {detail}")
            }
            TlsError::CaFile(detail) => f.write_str(detail),
            TlsError::CaParse => f.write_str("failed to parse root ca certificate"),
            TlsError::Unsupported(detail) | TlsError::Config(detail) => f.write_str(detail),
        }
    }
}

impl std::error::Error for TlsError {}

/// Cipher suite names the reference knows, and the rustls suite for those rnats supports.
const CIPHERS: &[(&str, Option<SupportedCipherSuite>)] = {
    use rustls::crypto::ring::cipher_suite as cs;
    &[
        ("TLS_AES_128_GCM_SHA256", Some(cs::TLS13_AES_128_GCM_SHA256)),
        ("TLS_AES_256_GCM_SHA384", Some(cs::TLS13_AES_256_GCM_SHA384)),
        (
            "TLS_CHACHA20_POLY1305_SHA256",
            Some(cs::TLS13_CHACHA20_POLY1305_SHA256),
        ),
        (
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            Some(cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
        ),
        (
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            Some(cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384),
        ),
        (
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            Some(cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256),
        ),
        (
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
            Some(cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256),
        ),
        (
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            Some(cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
        ),
        (
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            Some(cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384),
        ),
        (
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            Some(cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256),
        ),
        (
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
            Some(cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256),
        ),
        ("TLS_RSA_WITH_RC4_128_SHA", None),
        ("TLS_RSA_WITH_3DES_EDE_CBC_SHA", None),
        ("TLS_RSA_WITH_AES_128_CBC_SHA", None),
        ("TLS_RSA_WITH_AES_256_CBC_SHA", None),
        ("TLS_RSA_WITH_AES_128_CBC_SHA256", None),
        ("TLS_RSA_WITH_AES_128_GCM_SHA256", None),
        ("TLS_RSA_WITH_AES_256_GCM_SHA384", None),
        ("TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", None),
        ("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", None),
        ("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", None),
        ("TLS_ECDHE_RSA_WITH_RC4_128_SHA", None),
        ("TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", None),
        ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", None),
        ("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", None),
        ("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", None),
        ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", None),
    ]
};

/// Curve names the reference knows, and the rustls group for those rnats supports.
const CURVES: &[(&str, Option<&dyn SupportedKxGroup>)] = {
    use rustls::crypto::ring::kx_group as kx;
    &[
        ("X25519", Some(kx::X25519)),
        ("CurveP256", Some(kx::SECP256R1)),
        ("CurveP384", Some(kx::SECP384R1)),
        ("CurveP521", None),
        ("X25519MLKEM768", None),
        ("SecP256r1MLKEM768", None),
        ("SecP384r1MLKEM1024", None),
    ]
};

impl TlsOptions {
    /// The reference's error for a cipher suite name it does not know, or rnats' for one
    /// rustls does not implement; `None` when the name is usable.
    pub fn cipher_problem(name: &str) -> Option<String> {
        match CIPHERS.iter().find(|(known, _)| *known == name) {
            None => Some(format!("unrecognized cipher {name}")),
            Some((_, None)) => Some(format!("cipher {name} is not supported by rnats")),
            Some(_) => None,
        }
    }

    /// Like [`TlsOptions::cipher_problem`], for `curve_preferences`.
    pub fn curve_problem(name: &str) -> Option<String> {
        match CURVES.iter().find(|(known, _)| *known == name) {
            None => Some(format!("unrecognized curve preference {name}")),
            Some((_, None)) => Some(format!("curve preference {name} is not supported by rnats")),
            Some(_) => None,
        }
    }

    /// Reads the files and builds the server configuration: what `Server::start`, a reload
    /// and the configuration check all run.
    pub fn validate(&self) -> Result<(), TlsError> {
        self.server_config().map(drop)
    }

    /// The rustls configuration these options describe.
    pub(crate) fn server_config(&self) -> Result<Arc<ServerConfig>, TlsError> {
        let provider = Arc::new(self.provider()?);
        let versions: &[&rustls::SupportedProtocolVersion] = match self.min_version {
            TlsVersion::Tls12 => &[&rustls::version::TLS13, &rustls::version::TLS12],
            TlsVersion::Tls13 => &[&rustls::version::TLS13],
        };
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .map_err(|e| TlsError::Config(format!("error parsing tls config: {e}")))?;
        let builder = match self.client_verifier(&provider)? {
            Some(verifier) => builder.with_client_cert_verifier(verifier),
            None => builder.with_no_client_auth(),
        };
        let mut config = match (&self.cert_file, &self.key_file) {
            (Some(cert), Some(key)) => {
                let (certs, key) = load_key_pair(cert, key)?;
                builder
                    .with_single_cert(certs, key)
                    .map_err(|e| TlsError::KeyPair(rustls_key_error(&e)))?
            }
            (Some(_), None) => return Err(TlsError::MissingKey),
            (None, Some(_)) => return Err(TlsError::MissingCert),
            // The reference accepts an empty block and then fails every handshake.
            (None, None) => builder.with_cert_resolver(Arc::new(NoCertificate)),
        };
        // The server's order of cipher suites decides, as in the reference.
        config.ignore_client_order = true;
        Ok(Arc::new(config))
    }

    /// Whether clients must present a certificate.
    pub(crate) fn requires_client_cert(&self) -> bool {
        self.verify || self.verify_and_map
    }

    /// The ring provider, narrowed to the configured suites and groups.
    fn provider(&self) -> Result<CryptoProvider, TlsError> {
        let mut provider = rustls::crypto::ring::default_provider();
        if !self.cipher_suites.is_empty() {
            // As in the reference, the list narrows TLS 1.2; TLS 1.3 suites always stay.
            let mut suites: Vec<SupportedCipherSuite> = provider
                .cipher_suites
                .iter()
                .copied()
                .filter(|suite| suite.tls13().is_some())
                .collect();
            for name in &self.cipher_suites {
                if let Some(problem) = Self::cipher_problem(name) {
                    return Err(TlsError::Unsupported(problem));
                }
                if let Some((_, Some(suite))) = CIPHERS.iter().find(|(known, _)| known == name)
                    && suite.tls13().is_none()
                    && !suites.contains(suite)
                {
                    suites.push(*suite);
                }
            }
            provider.cipher_suites = suites;
        }
        if !self.curve_preferences.is_empty() {
            let mut groups: Vec<&'static dyn SupportedKxGroup> = Vec::new();
            for name in &self.curve_preferences {
                if let Some(problem) = Self::curve_problem(name) {
                    return Err(TlsError::Unsupported(problem));
                }
                if let Some((_, Some(group))) = CURVES.iter().find(|(known, _)| known == name) {
                    groups.push(*group);
                }
            }
            provider.kx_groups = groups;
        }
        // AES-128-GCM first, as the reference negotiates it on hardware with AES support.
        provider
            .cipher_suites
            .sort_by_key(|suite| !format!("{:?}", suite.suite()).contains("AES_128"));
        Ok(provider)
    }

    /// The client certificate check `verify` asks for, if any.
    fn client_verifier(
        &self,
        provider: &Arc<CryptoProvider>,
    ) -> Result<Option<Arc<dyn ClientCertVerifier>>, TlsError> {
        let roots = match &self.ca_file {
            Some(path) => Some(load_roots(path)?),
            None => None,
        };
        if !self.requires_client_cert() {
            return Ok(None);
        }
        let Some(roots) = roots else {
            return Err(TlsError::Unsupported(
                "TLS verify requires ca_file: rnats does not read the system certificate store"
                    .to_owned(),
            ));
        };
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map(Some)
            .map_err(|e| TlsError::Config(format!("error parsing tls config: {e}")))
    }
}

/// A certificate resolver with nothing to offer: every handshake fails.
#[derive(Debug)]
struct NoCertificate;

impl ResolvesServerCert for NoCertificate {
    fn resolve(
        &self,
        _hello: rustls::server::ClientHello<'_>,
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        None
    }
}

/// The certificate chain and private key, with the reference's errors.
fn load_key_pair(
    cert: &Path,
    key: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
    let cert_pem = std::fs::read(cert).map_err(|e| TlsError::KeyPair(open_error(cert, &e)))?;
    let key_pem = std::fs::read(key).map_err(|e| TlsError::KeyPair(open_error(key, &e)))?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&cert_pem)
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(TlsError::KeyPair(
            "tls: failed to find any PEM data in certificate input".to_owned(),
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| {
        TlsError::KeyPair("tls: failed to find any PEM data in key input".to_owned())
    })?;
    Ok((certs, key))
}

/// The trust anchors of a CA file.
fn load_roots(path: &Path) -> Result<RootCertStore, TlsError> {
    let pem = std::fs::read(path).map_err(|e| TlsError::CaFile(open_error(path, &e)))?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem).filter_map(Result::ok) {
        roots.add(cert).map_err(|_| TlsError::CaParse)?;
    }
    if roots.is_empty() {
        return Err(TlsError::CaParse);
    }
    Ok(roots)
}

/// `open PATH: no such file or directory`, as Go words a failed open.
fn open_error(path: &Path, error: &std::io::Error) -> String {
    let text = error.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text);
    let mut chars = text.chars();
    let text: String = match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    };
    format!("open {}: {text}", path.display())
}

/// The reference's words for a key rustls refused.
fn rustls_key_error(error: &rustls::Error) -> String {
    match error {
        rustls::Error::InconsistentKeys(_) => "tls: private key does not match public key".into(),
        other => format!("tls: {other}"),
    }
}
