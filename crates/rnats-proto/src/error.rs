//! The errors a server reports to a client, and the errors the parser finds in client input.
//!
//! `ServerError`'s `Display` is the exact text nats-server puts between the quotes of
//! `-ERR '...'`; the lower-case ones are lower-case there too. Whether an error closes the
//! connection is decided here, in one place, so every caller agrees with the reference.

use std::fmt;

/// An error the server sends as `-ERR '<text>'\r\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerError {
    /// The parser met a byte no operation can start or continue with.
    UnknownOperation,
    /// Authentication failed, or an operation came before CONNECT when auth is required.
    AuthorizationViolation,
    /// No CONNECT arrived within the authentication timeout.
    AuthenticationTimeout,
    /// A control line was longer than `max_control_line`.
    MaxControlLineExceeded,
    /// A PUB/HPUB announced more bytes than `max_payload`.
    MaxPayloadViolation,
    /// The server is at `max_connections`.
    MaxConnectionsExceeded,
    /// CONNECT carried a `protocol` other than 0 or 1.
    InvalidClientProtocol,
    /// CONNECT asked for `no_responders` without `headers`.
    NoRespondersRequiresHeaders,
    /// The client did not answer `ping_max` PINGs.
    StaleConnection,
    /// A pedantic client published to a subject that is not a valid literal.
    InvalidPublishSubject,
    /// A SUB carried a subject the Sublist refuses.
    InvalidSubject,
    /// The connection holds `max_subscriptions` already.
    MaxSubscriptionsExceeded,
    /// The user JWT expired while the client was connected.
    AuthenticationExpired,
    /// The account's JWT expired, or was deleted, while the client was connected.
    AccountAuthenticationExpired,
    /// The account revoked the user JWT while the client was connected.
    AuthenticationRevoked,
    /// The account has all the connections its JWT allows.
    MaxAccountConnectionsExceeded,
    /// Publishing to this subject is not permitted.
    PublishViolation(String),
    /// Subscribing to this subject (optionally in this queue group) is not permitted.
    SubscribeViolation {
        /// The subject of the refused SUB.
        subject: String,
        /// The queue group, when the SUB named one.
        queue: Option<String>,
    },
    /// A reload took away the permission for an existing subscription, which was removed.
    SubscriptionRevoked {
        /// The subject of the removed subscription.
        subject: String,
        /// Its queue group, if any.
        queue: Option<String>,
        /// Its sid.
        sid: String,
    },
}

impl ServerError {
    /// Whether the reference closes the connection right after sending this error.
    pub fn closes_connection(&self) -> bool {
        match self {
            ServerError::UnknownOperation
            | ServerError::AuthorizationViolation
            | ServerError::AuthenticationTimeout
            | ServerError::MaxControlLineExceeded
            | ServerError::MaxPayloadViolation
            | ServerError::MaxConnectionsExceeded
            | ServerError::InvalidClientProtocol
            | ServerError::NoRespondersRequiresHeaders
            | ServerError::StaleConnection
            | ServerError::AuthenticationExpired
            | ServerError::AccountAuthenticationExpired
            | ServerError::AuthenticationRevoked
            | ServerError::MaxAccountConnectionsExceeded => true,
            ServerError::InvalidPublishSubject
            | ServerError::InvalidSubject
            | ServerError::MaxSubscriptionsExceeded
            | ServerError::PublishViolation(_)
            | ServerError::SubscribeViolation { .. }
            | ServerError::SubscriptionRevoked { .. } => false,
        }
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerError::UnknownOperation => f.write_str("Unknown Protocol Operation"),
            ServerError::AuthorizationViolation => f.write_str("Authorization Violation"),
            ServerError::AuthenticationTimeout => f.write_str("Authentication Timeout"),
            ServerError::MaxControlLineExceeded => f.write_str("maximum control line exceeded"),
            ServerError::MaxPayloadViolation => f.write_str("Maximum Payload Violation"),
            ServerError::MaxConnectionsExceeded => f.write_str("maximum connections exceeded"),
            ServerError::InvalidClientProtocol => f.write_str("invalid client protocol"),
            ServerError::NoRespondersRequiresHeaders => {
                f.write_str("no responders requires headers support")
            }
            ServerError::StaleConnection => f.write_str("Stale Connection"),
            ServerError::InvalidPublishSubject => f.write_str("Invalid Publish Subject"),
            ServerError::InvalidSubject => f.write_str("Invalid Subject"),
            ServerError::MaxSubscriptionsExceeded => f.write_str("maximum subscriptions exceeded"),
            ServerError::AuthenticationExpired => f.write_str("User Authentication Expired"),
            ServerError::AccountAuthenticationExpired => {
                f.write_str("Account Authentication Expired")
            }
            ServerError::AuthenticationRevoked => f.write_str("User Authentication Revoked"),
            ServerError::MaxAccountConnectionsExceeded => {
                f.write_str("maximum account active connections exceeded")
            }
            ServerError::PublishViolation(subject) => {
                write!(f, "Permissions Violation for Publish to \"{subject}\"")
            }
            ServerError::SubscribeViolation {
                subject,
                queue: None,
            } => {
                write!(f, "Permissions Violation for Subscription to \"{subject}\"")
            }
            ServerError::SubscribeViolation {
                subject,
                queue: Some(queue),
            } => write!(
                f,
                "Permissions Violation for Subscription to \"{subject}\" using queue \"{queue}\""
            ),
            ServerError::SubscriptionRevoked {
                subject,
                queue: None,
                sid,
            } => write!(
                f,
                "Permissions Violation for Subscription to \"{subject}\" (sid \"{sid}\")"
            ),
            ServerError::SubscriptionRevoked {
                subject,
                queue: Some(queue),
                sid,
            } => write!(
                f,
                "Permissions Violation for Subscription to \"{subject}\" using queue \"{queue}\" (sid \"{sid}\")"
            ),
        }
    }
}

/// The operation a parse error was found in, for log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// `CONNECT`
    Connect,
    /// `INFO`
    Info,
    /// `PUB`
    Pub,
    /// `HPUB`
    Hpub,
    /// `SUB`
    Sub,
    /// `UNSUB`
    Unsub,
    /// `-ERR`
    Err,
}

impl OpKind {
    /// The name the reference uses for this op's handler in its log lines.
    fn handler(self) -> &'static str {
        match self {
            OpKind::Connect => "processConnect",
            OpKind::Info => "processInfo",
            OpKind::Pub => "processPub",
            OpKind::Hpub => "processHeaderPub",
            OpKind::Sub => "processSub",
            OpKind::Unsub => "processUnsub",
            OpKind::Err => "processErr",
        }
    }
}

/// Invalid client input. Every variant ends the connection; some send an `-ERR` first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// No operation can start or continue with the byte at this offset of the given buffer.
    UnknownOperation,
    /// An operation other than CONNECT arrived while the server still waits for authentication.
    AuthorizationViolation,
    /// A control line (its arguments) grew past `max_control_line` bytes.
    MaxControlLine {
        /// The configured limit.
        max: usize,
    },
    /// A PUB/HPUB announced a payload above `max_payload`.
    MaxPayload {
        /// The announced size.
        size: usize,
        /// The configured limit.
        max: usize,
    },
    /// The wrong number of arguments for the operation.
    Arguments(OpKind),
    /// A size argument that is not a decimal number of at most nine digits.
    Size(OpKind),
    /// HPUB on a connection that did not negotiate `headers`.
    HeadersNotSupported,
    /// HPUB whose header size exceeds its total size.
    HeaderSizeExceedsTotal,
}

impl ParseError {
    /// The `-ERR` the reference sends before closing, or `None` when it closes silently.
    pub fn reply(&self) -> Option<ServerError> {
        match self {
            ParseError::UnknownOperation => Some(ServerError::UnknownOperation),
            ParseError::AuthorizationViolation => Some(ServerError::AuthorizationViolation),
            ParseError::MaxControlLine { .. } => Some(ServerError::MaxControlLineExceeded),
            ParseError::MaxPayload { .. } => Some(ServerError::MaxPayloadViolation),
            ParseError::Arguments(_)
            | ParseError::Size(_)
            | ParseError::HeadersNotSupported
            | ParseError::HeaderSizeExceedsTotal => None,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::UnknownOperation => f.write_str("client parser error"),
            ParseError::AuthorizationViolation => f.write_str("authentication required"),
            ParseError::MaxControlLine { .. } => f.write_str("maximum control line exceeded"),
            ParseError::MaxPayload { size, max } => {
                write!(f, "maximum payload exceeded: {size} vs {max}")
            }
            ParseError::Arguments(op) => write!(f, "{} Parse Error", op.handler()),
            ParseError::Size(op) => write!(f, "{} Bad or Missing Size", op.handler()),
            ParseError::HeadersNotSupported => f.write_str("message headers not supported"),
            ParseError::HeaderSizeExceedsTotal => {
                f.write_str("processHeaderPub Header Size larger then TotalSize")
            }
        }
    }
}

impl std::error::Error for ParseError {}
impl std::error::Error for ServerError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_match_the_reference() {
        let cases = [
            (ServerError::UnknownOperation, "Unknown Protocol Operation"),
            (
                ServerError::MaxControlLineExceeded,
                "maximum control line exceeded",
            ),
            (
                ServerError::InvalidClientProtocol,
                "invalid client protocol",
            ),
            (
                ServerError::MaxSubscriptionsExceeded,
                "maximum subscriptions exceeded",
            ),
            (
                ServerError::AuthenticationExpired,
                "User Authentication Expired",
            ),
            (
                ServerError::AccountAuthenticationExpired,
                "Account Authentication Expired",
            ),
            (
                ServerError::AuthenticationRevoked,
                "User Authentication Revoked",
            ),
            (
                ServerError::MaxAccountConnectionsExceeded,
                "maximum account active connections exceeded",
            ),
            (
                ServerError::PublishViolation("a.b".into()),
                "Permissions Violation for Publish to \"a.b\"",
            ),
            (
                ServerError::SubscribeViolation {
                    subject: "foo".into(),
                    queue: Some("_sys_".into()),
                },
                "Permissions Violation for Subscription to \"foo\" using queue \"_sys_\"",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
    }

    #[test]
    fn only_client_errors_keep_the_connection() {
        assert!(ServerError::UnknownOperation.closes_connection());
        assert!(ServerError::StaleConnection.closes_connection());
        assert!(!ServerError::InvalidSubject.closes_connection());
        assert!(!ServerError::InvalidPublishSubject.closes_connection());
        assert_eq!(ParseError::Size(OpKind::Pub).reply(), None);
        assert_eq!(
            ParseError::MaxPayload { size: 2, max: 1 }.reply(),
            Some(ServerError::MaxPayloadViolation)
        );
    }
}
