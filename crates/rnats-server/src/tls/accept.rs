//! The start of a client connection on a TLS port: the plaintext INFO (unless the handshake
//! comes first), the choice between TLS and plaintext when both are allowed, and the
//! handshake, bounded by the TLS timeout. The protocol proper starts once this returns.

use std::io;
use std::time::Duration;

use bytes::BytesMut;
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

use super::{CertIdentity, HandshakeFirst, TlsSetup, suite_name, version_name};
use crate::client::{ClientHandle, CloseReason};
use crate::server::ServerState;

/// The first byte of a TLS record carrying a handshake message.
const HANDSHAKE_RECORD: u8 = 0x16;

/// Logs an event about one client, with the fields the client log lines carry.
macro_rules! tls_log {
    ($level:ident, $client:expr, $($message:tt)+) => {
        tracing::$level!(
            cid = $client.id,
            addr = %$client.addr,
            client = %$client.label(),
            $($message)+
        )
    };
}

/// A connection ready for the protocol.
pub(crate) enum Accepted {
    /// A plaintext client (`allow_non_tls`).
    Plain {
        /// The socket.
        stream: TcpStream,
    },
    /// A client that completed the TLS handshake.
    Tls {
        /// The TLS stream.
        stream: Box<TlsStream<TcpStream>>,
        /// Whether INFO still has to be sent (the handshake came first).
        send_info: bool,
        /// The identities of the client's certificate, when it presented one.
        peer: Option<Box<CertIdentity>>,
        /// What monitoring reports of the session.
        session: Box<super::TlsSession>,
    },
}

/// Why a handshake failed, as the log line words it.
enum Failure {
    /// No handshake within the timeout.
    Timeout(String),
    /// Something other than TLS arrived.
    NotTls,
    /// The handshake went wrong.
    Error(String),
    /// The server is shutting down, or the socket failed before the handshake.
    Quiet(CloseReason),
}

/// Runs the TLS part of a new connection; `None` when it closed (already logged).
pub(crate) async fn accept(
    server: &ServerState,
    setup: &TlsSetup,
    handle: &ClientHandle,
    stream: TcpStream,
) -> Option<Accepted> {
    let options = server.options();
    let outcome = async {
        // INFO goes out in plaintext first, unless the handshake comes first.
        let info_first = match setup.options.handshake_first {
            HandshakeFirst::On => false,
            HandshakeFirst::Fallback(wait) => {
                let mut byte = [0u8; 1];
                tokio::time::timeout(wait, stream.peek(&mut byte))
                    .await
                    .is_err()
            }
            HandshakeFirst::Off => true,
        };
        if info_first {
            let mut info = BytesMut::new();
            server.first_info(handle).encode(&mut info);
            write_plain(&stream, &info, options.write_deadline).await?;
            if setup.allow_non_tls && !wants_tls(&stream, setup.options.timeout).await {
                return Ok(None);
            }
        }
        tls_log!(debug, handle, "Starting TLS client connection handshake");
        handshake(setup, handle, &stream).await?;
        Ok(Some(!info_first))
    };
    let outcome = tokio::select! {
        outcome = outcome => outcome,
        () = server.shutdown.cancelled() => Err(Failure::Quiet(CloseReason::ServerShutdown)),
    };
    match outcome {
        Ok(None) => Some(Accepted::Plain { stream }),
        Ok(Some(send_info)) => finish(setup, handle, stream, send_info).await,
        Err(failure) => {
            report(handle, &failure);
            None
        }
    }
}

/// Completes the handshake whose first byte was seen, and logs the outcome.
async fn finish(
    setup: &TlsSetup,
    handle: &ClientHandle,
    stream: TcpStream,
    send_info: bool,
) -> Option<Accepted> {
    let local = stream.local_addr().ok();
    let accepting = setup.acceptor.accept(stream);
    let result = match tokio::time::timeout(setup.options.timeout, accepting).await {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(error)) => Err(Failure::Error(handshake_error(&error))),
        Err(_) => Err(Failure::Timeout(timeout_text(local, handle))),
    };
    let stream = match result {
        Ok(stream) => stream,
        Err(failure) => {
            report(handle, &failure);
            return None;
        }
    };
    let (_, connection) = stream.get_ref();
    tls_log!(debug, handle, "TLS handshake complete");
    tls_log!(
        debug,
        handle,
        "TLS version {}, cipher suite {}",
        version_name(connection.protocol_version()),
        suite_name(connection.negotiated_cipher_suite())
    );
    let peer = connection
        .peer_certificates()
        .and_then(|chain| chain.first())
        .and_then(|cert| CertIdentity::from_der(cert))
        .map(Box::new);
    let session = Box::new(super::session::describe(connection, send_info));
    Some(Accepted::Tls {
        stream: Box::new(stream),
        send_info,
        peer,
        session,
    })
}

/// Waits for the client's first byte and checks it starts a TLS record, within the timeout.
async fn handshake(
    setup: &TlsSetup,
    handle: &ClientHandle,
    stream: &TcpStream,
) -> Result<(), Failure> {
    let mut byte = [0u8; 1];
    match tokio::time::timeout(setup.options.timeout, stream.peek(&mut byte)).await {
        Err(_) => Err(Failure::Timeout(timeout_text(
            stream.local_addr().ok(),
            handle,
        ))),
        Ok(Ok(0)) => Err(Failure::Error("EOF".to_owned())),
        Ok(Ok(_)) if byte[0] != HANDSHAKE_RECORD => Err(Failure::NotTls),
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(Failure::Error(error.to_string())),
    }
}

/// With `allow_non_tls`: whether the client's first byte starts a TLS handshake. A client
/// silent for the TLS timeout is taken for a plaintext one; its reader applies the usual
/// authentication and ping timers.
async fn wants_tls(stream: &TcpStream, wait: Duration) -> bool {
    let mut byte = [0u8; 1];
    matches!(
        tokio::time::timeout(wait, stream.peek(&mut byte)).await,
        Ok(Ok(1)) if byte[0] == HANDSHAKE_RECORD
    )
}

/// Writes the plaintext INFO, within the write deadline.
async fn write_plain(stream: &TcpStream, bytes: &[u8], deadline: Duration) -> Result<(), Failure> {
    let mut written = 0;
    let write = async {
        while written < bytes.len() {
            stream.writable().await?;
            match stream.try_write(&bytes[written..]) {
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    };
    match tokio::time::timeout(deadline, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(Failure::Quiet(CloseReason::WriteError)),
        Err(_) => Err(Failure::Quiet(CloseReason::SlowConsumerWriteDeadline)),
    }
}

/// The reference's words for a failed handshake.
fn handshake_error(error: &io::Error) -> String {
    if let Some(tls) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return match tls {
            rustls::Error::NoCertificatesPresented => {
                "tls: client didn't provide a certificate".to_owned()
            }
            other => format!("tls: {other}"),
        };
    }
    match error.kind() {
        io::ErrorKind::UnexpectedEof => "unexpected EOF".to_owned(),
        _ => error.to_string(),
    }
}

/// `read tcp LOCAL->PEER: i/o timeout`, as the reference logs a handshake timeout.
fn timeout_text(local: Option<std::net::SocketAddr>, handle: &ClientHandle) -> String {
    match local {
        Some(local) => format!("read tcp {local}->{}: i/o timeout", handle.addr),
        None => "i/o timeout".to_owned(),
    }
}

/// Logs a failed start the way the reference does.
fn report(handle: &ClientHandle, failure: &Failure) {
    let reason = CloseReason::TlsHandshakeError;
    match failure {
        Failure::Timeout(text) => {
            tls_log!(debug, handle, "TLS handshake error: {text}");
            tls_log!(debug, handle, "Client connection closed: {reason}");
            tls_log!(debug, handle, "TLS handshake timeout");
        }
        Failure::NotTls => {
            tls_log!(
                debug,
                handle,
                "TLS handshake error: tls: first record does not look like a TLS handshake"
            );
            tls_log!(debug, handle, "Client connection closed: {reason}");
        }
        Failure::Error(text) => {
            tls_log!(error, handle, "TLS handshake error: {text}");
            tls_log!(debug, handle, "Client connection closed: {reason}");
        }
        Failure::Quiet(reason) => {
            tls_log!(debug, handle, "Client connection closed: {reason}");
        }
    }
}
