//! What `/connz` reports of a TLS connection: the version, the cipher suite, whether the
//! handshake came before INFO, and the certificates the client presented.

use data_encoding::HEXLOWER;
use rustls_pki_types::CertificateDer;
use serde::Serialize;
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::der::{Decode, Encode};

use super::identity::CertIdentity;

/// A TLS connection's parameters, fixed at the end of its handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TlsSession {
    /// `1.3` or `1.2`.
    pub(crate) version: &'static str,
    /// The cipher suite by its Go name (`TLS_AES_128_GCM_SHA256`).
    pub(crate) cipher_suite: String,
    /// The handshake came before the server's INFO (`handshake_first`).
    pub(crate) handshake_first: bool,
    /// The certificates the client presented, its own first.
    pub(crate) peer_certificates: Vec<PeerCertificate>,
}

/// One presented certificate, as `/connz?auth=true` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PeerCertificate {
    /// The subject as the reference prints it (`CN=alice,O=Acme`).
    pub(crate) subject: String,
    /// Hex SHA-256 of the DER SubjectPublicKeyInfo.
    pub(crate) spki_sha256: String,
    /// Hex SHA-256 of the whole DER certificate.
    pub(crate) cert_sha256: String,
}

impl PeerCertificate {
    /// The entry for a DER certificate; `None` if it does not decode.
    pub(crate) fn from_der(der: &[u8]) -> Option<PeerCertificate> {
        let cert = Certificate::from_der(der).ok()?;
        let spki = cert.tbs_certificate.subject_public_key_info.to_der().ok()?;
        Some(PeerCertificate {
            subject: CertIdentity::from_der(der)?.subject,
            spki_sha256: HEXLOWER.encode(&Sha256::digest(&spki)),
            cert_sha256: HEXLOWER.encode(&Sha256::digest(der)),
        })
    }
}

/// The session of a finished handshake.
pub(crate) fn describe(connection: &rustls::ServerConnection, handshake_first: bool) -> TlsSession {
    let chain: &[CertificateDer<'_>] = connection.peer_certificates().unwrap_or_default();
    TlsSession {
        version: super::version_name(connection.protocol_version()),
        cipher_suite: super::suite_name(connection.negotiated_cipher_suite()),
        handshake_first,
        peer_certificates: chain
            .iter()
            .filter_map(|cert| PeerCertificate::from_der(cert))
            .collect(),
    }
}
