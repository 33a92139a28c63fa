//! Protocol tracing (`-V`): every op in (`<<-`) and out (`->>`), in nats-server's format.
//!
//! Callers check [`enabled`] first, so a server that does not trace pays one relaxed load
//! per op and formats nothing.

use std::fmt::Write as _;

use rnats_proto::{ClientOp, Delivery};

use super::ClientHandle;

/// Whether protocol tracing is on.
pub(super) fn enabled() -> bool {
    tracing::enabled!(target: "rnats_server::trace", tracing::Level::TRACE)
}

/// Traces an op a client sent.
pub(super) fn inbound(client: &ClientHandle, op: &ClientOp<'_>, max_payload_len: usize) {
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let line = match op {
        ClientOp::Connect(json) => {
            format!("CONNECT {}", super::redact::redact_connect(&text(json)))
        }
        ClientOp::Info(json) => format!("INFO {}", text(json)),
        ClientOp::Publish(publish) => {
            let op = if publish.headers.is_some() {
                "HPUB"
            } else {
                "PUB"
            };
            let (headers, payload) = (publish.headers, publish.payload);
            let line = message_line(op, publish.subject, None, publish.reply, headers, payload);
            emit(client, "<<-", &line);
            emit_payload(client, "<<-", headers, payload, max_payload_len);
            return;
        }
        ClientOp::Subscribe {
            subject,
            queue: Some(queue),
            sid,
        } => {
            format!("SUB {} {} {}", text(subject), text(queue), text(sid))
        }
        ClientOp::Subscribe {
            subject,
            queue: None,
            sid,
        } => {
            format!("SUB {} {}", text(subject), text(sid))
        }
        ClientOp::Unsubscribe {
            sid,
            max: Some(max),
        } => format!("UNSUB {} {max}", text(sid)),
        ClientOp::Unsubscribe { sid, max: None } => format!("UNSUB {}", text(sid)),
        ClientOp::Ping => "PING".to_owned(),
        ClientOp::Pong => "PONG".to_owned(),
        ClientOp::Ok => "OK".to_owned(),
        ClientOp::Err(message) => format!("-ERR {}", text(message)),
    };
    emit(client, "<<-", &line);
}

/// Traces a protocol line the server sends (`PING`, `PONG`, `OK`, `-ERR '...'`).
pub(super) fn outbound(client: &ClientHandle, line: &str) {
    emit(client, "->>", line);
}

/// Traces a message delivered to one subscription.
pub(super) fn delivery(
    client: &ClientHandle,
    message: &Delivery<'_>,
    sid: &[u8],
    max_payload_len: usize,
) {
    let (headers, payload) = (message.headers(), message.payload());
    let op = if headers.is_some() { "HMSG" } else { "MSG" };
    let line = message_line(
        op,
        message.subject(),
        Some(sid),
        message.reply(),
        headers,
        payload,
    );
    emit(client, "->>", &line);
    emit_payload(client, "->>", headers, payload, max_payload_len);
}

/// `OP <subject> [sid] [reply] [header size] <total size>`
fn message_line(
    op: &str,
    subject: &[u8],
    sid: Option<&[u8]>,
    reply: Option<&[u8]>,
    headers: Option<&[u8]>,
    payload: &[u8],
) -> String {
    let mut line = format!("{op} {}", String::from_utf8_lossy(subject));
    for part in [sid, reply].into_iter().flatten() {
        let _ = write!(line, " {}", String::from_utf8_lossy(part));
    }
    let header_len = headers.map_or(0, <[u8]>::len);
    if header_len > 0 {
        let _ = write!(line, " {header_len}");
    }
    let _ = write!(line, " {}", header_len + payload.len());
    line
}

fn emit(client: &ClientHandle, arrow: &str, line: &str) {
    tracing::trace!(
        target: "rnats_server::trace",
        cid = client.id,
        addr = %client.addr,
        client = %client.label(),
        user = %client.auth_label(),
        "{arrow} [{line}]"
    );
}

/// `MSG_PAYLOAD: ["..."]` of the headers and payload, cut to `max_len` bytes when not 0.
fn emit_payload(
    client: &ClientHandle,
    arrow: &str,
    headers: Option<&[u8]>,
    payload: &[u8],
    max_len: usize,
) {
    let body = [headers.unwrap_or_default(), payload].concat();
    let shown = if max_len > 0 && body.len() > max_len {
        &body[..max_len]
    } else {
        &body[..]
    };
    let ellipsis = if shown.len() < body.len() { "..." } else { "" };
    let quoted = format!("{:?}", String::from_utf8_lossy(shown));
    tracing::trace!(
        target: "rnats_server::trace",
        cid = client.id,
        addr = %client.addr,
        client = %client.label(),
        user = %client.auth_label(),
        "{arrow} MSG_PAYLOAD: [{quoted}{ellipsis}]"
    );
}
