//! Why a connection closed, in the words nats-server's monitoring uses.

use std::fmt;

/// Why a connection closed. `Display` is the reference's text (e.g. in `/connz?state=closed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CloseReason {
    /// The client closed its side.
    ClientClosed,
    /// No CONNECT within the authentication timeout.
    AuthenticationTimeout,
    /// Wrong credentials or an op before CONNECT.
    AuthenticationViolation,
    /// More than `max_pending` bytes queued for the client.
    SlowConsumerPendingBytes,
    /// A write made no progress within `write_deadline`.
    SlowConsumerWriteDeadline,
    /// Writing to the socket failed.
    WriteError,
    /// Reading from the socket failed.
    ReadError,
    /// The client sent `-ERR`.
    ParseError,
    /// The client did not answer PINGs.
    StaleConnection,
    /// Malformed input.
    ProtocolViolation,
    /// CONNECT with an unknown protocol level.
    BadClientProtocolVersion,
    /// The server is at `max_connections`.
    MaxConnectionsExceeded,
    /// A payload over `max_payload`.
    MaxPayloadExceeded,
    /// A control line over `max_control_line`.
    MaxControlLineExceeded,
    /// `no_responders` without `headers`.
    NoRespondersRequiresHeaders,
    /// The server is shutting down.
    ServerShutdown,
    /// The TLS handshake failed or timed out.
    TlsHandshakeError,
    /// The user JWT expired.
    AuthenticationExpired,
    /// The account JWT revoked the user JWT.
    AuthenticationRevoked,
    /// The account has all the connections its JWT allows.
    MaxAccountConnectionsExceeded,
    /// The JWT allows no subscriptions at all.
    MaxSubscriptionsExceeded,
    /// A system user asked for it (`$SYS.REQ.SERVER.<id>.KICK`).
    Kicked,
}

impl CloseReason {
    /// Whether queued bytes (typically the `-ERR` that explains the close) are sent first.
    ///
    /// A client that closed its side may still read (a half-close), so it gets what was
    /// queued for it, as from the reference; a broken or stalled writer gets nothing more.
    pub(crate) fn flushes_first(self) -> bool {
        !matches!(
            self,
            CloseReason::ServerShutdown
                | CloseReason::WriteError
                | CloseReason::SlowConsumerPendingBytes
                | CloseReason::SlowConsumerWriteDeadline
        )
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CloseReason::ClientClosed => "Client Closed",
            CloseReason::AuthenticationTimeout => "Authentication Timeout",
            CloseReason::AuthenticationViolation => "Authentication Failure",
            CloseReason::SlowConsumerPendingBytes => "Slow Consumer (Pending Bytes)",
            CloseReason::SlowConsumerWriteDeadline => "Slow Consumer (Write Deadline)",
            CloseReason::WriteError => "Write Error",
            CloseReason::ReadError => "Read Error",
            CloseReason::ParseError => "Parse Error",
            CloseReason::StaleConnection => "Stale Connection",
            CloseReason::ProtocolViolation => "Protocol Violation",
            CloseReason::BadClientProtocolVersion => "Bad Client Protocol Version",
            CloseReason::MaxConnectionsExceeded => "Maximum Connections Exceeded",
            CloseReason::MaxPayloadExceeded => "Maximum Message Payload Exceeded",
            CloseReason::MaxControlLineExceeded => "Maximum Control Line Exceeded",
            CloseReason::NoRespondersRequiresHeaders => "No Responders Requires Headers",
            CloseReason::ServerShutdown => "Server Shutdown",
            CloseReason::TlsHandshakeError => "TLS Handshake Failure",
            CloseReason::AuthenticationExpired => "Authentication Expired",
            CloseReason::AuthenticationRevoked => "Authentication Revoked",
            CloseReason::MaxAccountConnectionsExceeded => "Maximum Account Connections Exceeded",
            CloseReason::MaxSubscriptionsExceeded => "Maximum Subscriptions Exceeded",
            CloseReason::Kicked => "Kicked",
        })
    }
}
