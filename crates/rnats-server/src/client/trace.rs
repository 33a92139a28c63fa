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
        ClientOp::Connect(json) => format!("CONNECT {}", text(json)),
        ClientOp::Info(json) => format!("INFO {}", text(json)),
        ClientOp::Publish(publish) => {
            let mut line = String::from(if publish.headers.is_some() {
                "HPUB "
            } else {
                "PUB "
            });
            line.push_str(&text(publish.subject));
            if let Some(reply) = publish.reply {
                let _ = write!(line, " {}", text(reply));
            }
            let header_len = publish.headers.map_or(0, <[u8]>::len);
            if header_len > 0 {
                let _ = write!(line, " {header_len}");
            }
            let _ = write!(line, " {}", header_len + publish.payload.len());
            emit(client, "<<-", &line);
            let body = [publish.headers.unwrap_or_default(), publish.payload].concat();
            emit_payload(client, "<<-", &body, max_payload_len);
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
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let op = if message.headers().is_some() {
        "HMSG"
    } else {
        "MSG"
    };
    let mut line = format!("{op} {} {}", text(message.subject()), text(sid));
    if let Some(reply) = message.reply() {
        let _ = write!(line, " {}", text(reply));
    }
    let header_len = message.headers().map_or(0, <[u8]>::len);
    if header_len > 0 {
        let _ = write!(line, " {header_len}");
    }
    let _ = write!(line, " {}", header_len + message.payload().len());
    emit(client, "->>", &line);
    let body = [message.headers().unwrap_or_default(), message.payload()].concat();
    emit_payload(client, "->>", &body, max_payload_len);
}

fn emit(client: &ClientHandle, arrow: &str, line: &str) {
    tracing::trace!(
        target: "rnats_server::trace",
        cid = client.id,
        addr = %client.addr,
        client = %client.label(),
        "{arrow} [{line}]"
    );
}

/// `MSG_PAYLOAD: ["..."]`, cut to `max_len` bytes when that is not 0.
fn emit_payload(client: &ClientHandle, arrow: &str, payload: &[u8], max_len: usize) {
    let shown = if max_len > 0 && payload.len() > max_len {
        &payload[..max_len]
    } else {
        payload
    };
    let ellipsis = if shown.len() < payload.len() {
        "..."
    } else {
        ""
    };
    let quoted = format!("{:?}", String::from_utf8_lossy(shown));
    tracing::trace!(
        target: "rnats_server::trace",
        cid = client.id,
        addr = %client.addr,
        client = %client.label(),
        "{arrow} MSG_PAYLOAD: [{quoted}{ellipsis}]"
    );
}
