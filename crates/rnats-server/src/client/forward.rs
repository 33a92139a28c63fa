//! Routing a message across imports: into the importer for a stream, into the exporter
//! (with a reply it can answer) for a service request, and back to the requester for a
//! response. Only accounts with imports get here; the plain path never does.

use std::sync::Arc;

use rnats_proto::Delivery;
use rnats_subject::SublistResult;

use serde_json::Value;

use super::ClientHandle;
use super::delivery::Router;
use crate::account::Account;
use crate::account::forward::{ForwardKind, ForwardRef, new_reply};
use crate::monitor::format::rfc3339_nanos;

/// Most imports one message may cross, so imports that feed each other cannot loop forever.
const MAX_HOPS: u8 = 8;

/// The header that tells a responder which account a request came from.
const REQUEST_INFO: &[u8] = b"Nats-Request-Info:";

impl Router<'_> {
    /// Forwards a message published (or forwarded) into `account` across its imports; true
    /// if anyone received it.
    pub(super) fn forward(&mut self, account: &Account, message: &Delivery<'_>, hops: u8) -> bool {
        if hops >= MAX_HOPS {
            return false;
        }
        let forwards = account.forwards.matches(message.subject());
        self.forward_matched(account, &forwards, message, hops)
    }

    /// Like [`Router::forward`], with the forwards matching the subject already looked up
    /// (a publisher's match cache holds them).
    pub(super) fn forward_matched(
        &mut self,
        account: &Account,
        forwards: &SublistResult<ForwardRef>,
        message: &Delivery<'_>,
        hops: u8,
    ) -> bool {
        if hops >= MAX_HOPS {
            return false;
        }
        let mut delivered = false;
        for forward in &forwards.plain {
            delivered |= self.forward_one(account, forward, message, hops);
        }
        delivered
    }

    fn forward_one(
        &mut self,
        account: &Account,
        forward: &ForwardRef,
        message: &Delivery<'_>,
        hops: u8,
    ) -> bool {
        let forward = &forward.0;
        match &forward.kind {
            ForwardKind::Stream => {
                let Some(target) = forward.target.upgrade() else {
                    return false;
                };
                let subject = forward.transform.apply(&forward.filter, message.subject());
                let moved = Delivery::new(
                    &subject,
                    message.reply(),
                    message.headers(),
                    message.payload(),
                );
                self.deliver_into(&target, &moved, hops)
            }
            ForwardKind::Service {
                response_type,
                threshold,
                importer,
                share,
            } => {
                let Some(target) = forward.target.upgrade() else {
                    return false;
                };
                let subject = forward.transform.apply(&forward.filter, message.subject());
                let reply = message.reply().and_then(|original| {
                    let reply = new_reply(&account.reply_prefix);
                    target
                        .responses
                        .insert(
                            reply.clone(),
                            importer.clone(),
                            original,
                            *response_type,
                            *threshold,
                        )
                        .then_some(reply)
                });
                let headers = if *share {
                    let info = shared_info(self.publisher, &account.name);
                    request_headers(message.headers(), &info, true)
                } else {
                    let rtt = self.publisher.activity.rtt_nanos();
                    request_headers(message.headers(), &account_info(&account.name, rtt), false)
                };
                let request = Delivery::new(
                    &subject,
                    reply.as_deref(),
                    headers.as_deref(),
                    message.payload(),
                );
                self.deliver_into(&target, &request, hops)
            }
            ForwardKind::Responses => {
                let Some((to, reply)) = account.responses.take(message.subject()) else {
                    return false;
                };
                let Some(requester) = to.upgrade() else {
                    return false;
                };
                let response = Delivery::new(
                    &reply,
                    message.reply(),
                    message.headers(),
                    message.payload(),
                );
                self.deliver_into(&requester, &response, hops)
            }
        }
    }

    /// Delivers a message that crossed into `account`, and on across its own imports.
    fn deliver_into(&mut self, account: &Arc<Account>, message: &Delivery<'_>, hops: u8) -> bool {
        let result = account.sublist.matches(message.subject());
        let mut delivered = self.deliver_all(&result, message);
        if account.has_forwards() {
            delivered |= self.forward(account, message, hops + 1);
        }
        delivered
    }
}

/// The `Nats-Request-Info` of a request that does not share its requester: its account,
/// and its round-trip time when measured.
fn account_info(account: &str, rtt: u64) -> String {
    let account = serde_json::to_string(account).unwrap_or_else(|_| "\"\"".to_owned());
    if rtt > 0 {
        format!("{{\"acc\":{account},\"rtt\":{rtt}}}")
    } else {
        format!("{{\"acc\":{account}}}")
    }
}

/// The `Nats-Request-Info` of a request that shares its requester: who the client is, with
/// the reference's keys, empty ones left out. Its `id` lets a responder in this server find
/// the connection.
fn shared_info(publisher: &ClientHandle, account: &str) -> String {
    let identity = publisher.identity();
    let mut info = serde_json::Map::new();
    let mut text = |key: &str, value: &str| {
        if !value.is_empty() {
            info.insert(key.to_owned(), Value::from(value));
        }
    };
    text("start", &rfc3339_nanos(publisher.activity.started));
    text("host", &publisher.addr.ip().to_string());
    text("acc", account);
    // A token is a secret: the reference names its holder this way.
    let user = match (identity.user.as_deref(), identity.auth.as_deref()) {
        (Some(user), _) => user,
        (None, Some("token")) => "[REDACTED]",
        _ => "",
    };
    text("user", user);
    text("name", &identity.name);
    text("lang", &identity.lang);
    text("ver", &identity.version);
    text("name_tag", &identity.name_tag);
    text("kind", "Client");
    text("client_type", "nats");
    info.insert("id".to_owned(), Value::from(publisher.id));
    let rtt = publisher.activity.rtt_nanos();
    if rtt > 0 {
        info.insert("rtt".to_owned(), Value::from(rtt));
    }
    Value::Object(info).to_string()
}

/// The request's headers with `Nats-Request-Info: <info>`. A header of that name already
/// there is kept (a request crossing a second import keeps its first requester) unless
/// `replace`: a shared requester's details are the server's word, never the client's.
fn request_headers(headers: Option<&[u8]>, info: &str, replace: bool) -> Option<Vec<u8>> {
    let is_info = |line: &[u8]| {
        line.get(..REQUEST_INFO.len())
            .is_some_and(|name| name.eq_ignore_ascii_case(REQUEST_INFO))
    };
    let present = headers.is_some_and(|h| {
        h.windows(REQUEST_INFO.len())
            .any(|w| w.eq_ignore_ascii_case(REQUEST_INFO))
    });
    if present && !replace {
        return headers.map(<[u8]>::to_vec);
    }
    let base: &[u8] = match headers {
        Some(h) if h.ends_with(b"\r\n\r\n") => h.get(..h.len() - 2).unwrap_or(h),
        _ => b"NATS/1.0\r\n",
    };
    let mut out = Vec::with_capacity(base.len() + info.len() + 24);
    if present {
        for line in base.split_inclusive(|&b| b == b'\n') {
            if !is_info(line) {
                out.extend_from_slice(line);
            }
        }
    } else {
        out.extend_from_slice(base);
    }
    out.extend_from_slice(REQUEST_INFO);
    out.push(b' ');
    out.extend_from_slice(info.as_bytes());
    out.extend_from_slice(b"\r\n\r\n");
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_info_is_added_to_headers() {
        assert_eq!(
            request_headers(None, &account_info("B", 5), false).as_deref(),
            Some(&b"NATS/1.0\r\nNats-Request-Info: {\"acc\":\"B\",\"rtt\":5}\r\n\r\n"[..])
        );
        let with_x = b"NATS/1.0\r\nX: 1\r\n\r\n";
        assert_eq!(
            request_headers(Some(with_x), &account_info("B", 0), false).as_deref(),
            Some(&b"NATS/1.0\r\nX: 1\r\nNats-Request-Info: {\"acc\":\"B\"}\r\n\r\n"[..])
        );
    }

    #[test]
    fn a_shared_requester_replaces_a_forged_request_info() {
        let forged = b"NATS/1.0\r\nnats-request-info: {\"id\":1}\r\nX: 1\r\n\r\n";
        assert_eq!(
            request_headers(Some(forged), "{\"id\":7}", true).as_deref(),
            Some(&b"NATS/1.0\r\nX: 1\r\nNats-Request-Info: {\"id\":7}\r\n\r\n"[..])
        );
        assert_eq!(
            request_headers(Some(forged), "{\"id\":7}", false).as_deref(),
            Some(&forged[..])
        );
    }
}
