//! Encoders for what a server sends: MSG, HMSG, PING, PONG, +OK and -ERR.
//!
//! A message usually goes to several subscriptions that differ only in their sid, so
//! [`Delivery`] formats the sizes once and each [`Delivery::encode`] is a few copies into the
//! subscriber's outbound buffer, with no allocation once that buffer has grown.

use bytes::{BufMut, BytesMut};

use crate::error::ServerError;

/// `PING\r\n`
pub const PING: &[u8] = b"PING\r\n";
/// `PONG\r\n`
pub const PONG: &[u8] = b"PONG\r\n";
/// `+OK\r\n`
pub const OK: &[u8] = b"+OK\r\n";

/// Appends `-ERR '<text>'\r\n`.
pub fn encode_err(error: &ServerError, out: &mut BytesMut) {
    use std::fmt::Write as _;
    // Writing into a BytesMut cannot fail.
    let _ = write!(ByteWriter(out), "-ERR '{error}'\r\n");
}

struct ByteWriter<'a>(&'a mut BytesMut);

impl std::fmt::Write for ByteWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.put_slice(s.as_bytes());
        Ok(())
    }
}

/// A message about to be delivered, with its size fields formatted once.
#[derive(Debug, Clone)]
pub struct Delivery<'a> {
    subject: &'a [u8],
    reply: Option<&'a [u8]>,
    headers: Option<&'a [u8]>,
    payload: &'a [u8],
    /// ` <payload len>\r\n`, the tail of a MSG line.
    plain_tail: SizeTail,
    /// ` <header len> <total len>\r\n`, the tail of an HMSG line.
    header_tail: SizeTail,
}

impl<'a> Delivery<'a> {
    /// Prepares a message; `headers` is the whole `NATS/1.0` block when there is one.
    pub fn new(
        subject: &'a [u8],
        reply: Option<&'a [u8]>,
        headers: Option<&'a [u8]>,
        payload: &'a [u8],
    ) -> Self {
        let header_len = headers.map_or(0, <[u8]>::len);
        Delivery {
            subject,
            reply,
            headers,
            payload,
            plain_tail: SizeTail::new(&[payload.len()]),
            header_tail: SizeTail::new(&[header_len, header_len + payload.len()]),
        }
    }

    /// The subject the message is delivered on.
    pub fn subject(&self) -> &'a [u8] {
        self.subject
    }

    /// The reply subject, if any.
    pub fn reply(&self) -> Option<&'a [u8]> {
        self.reply
    }

    /// The payload, without headers.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// The header block, if the message has one.
    pub fn headers(&self) -> Option<&'a [u8]> {
        self.headers
    }

    /// Bytes [`Delivery::encode`] appends for a subscription with this sid.
    pub fn encoded_len(&self, sid: &[u8], client_headers: bool) -> usize {
        let reply = self.reply.map_or(0, |r| r.len() + 1);
        let (op, tail, headers) = match self.headers {
            Some(h) if client_headers => (5, self.header_tail.len, h.len()),
            _ => (4, self.plain_tail.len, 0),
        };
        op + self.subject.len()
            + 1
            + sid.len()
            + reply
            + usize::from(tail)
            + headers
            + self.payload.len()
            + 2
    }

    /// Appends the message for one subscription.
    ///
    /// A client that did not negotiate headers gets a MSG with the payload alone, as the
    /// reference strips headers for such clients.
    pub fn encode(&self, sid: &[u8], client_headers: bool, out: &mut BytesMut) {
        out.reserve(self.encoded_len(sid, client_headers));
        let headers = self.headers.filter(|_| client_headers);
        out.put_slice(if headers.is_some() { b"HMSG " } else { b"MSG " });
        out.put_slice(self.subject);
        out.put_u8(b' ');
        out.put_slice(sid);
        if let Some(reply) = self.reply {
            out.put_u8(b' ');
            out.put_slice(reply);
        }
        match headers {
            Some(headers) => {
                out.put_slice(self.header_tail.as_bytes());
                out.put_slice(headers);
            }
            None => out.put_slice(self.plain_tail.as_bytes()),
        }
        out.put_slice(self.payload);
        out.put_slice(b"\r\n");
    }
}

/// Space-separated decimal sizes followed by CRLF, formatted on the stack.
#[derive(Debug, Clone, Copy)]
struct SizeTail {
    bytes: [u8; 48],
    len: u8,
}

impl SizeTail {
    fn new(sizes: &[usize]) -> Self {
        debug_assert!(sizes.len() <= 2);
        let mut tail = SizeTail {
            bytes: [0; 48],
            len: 0,
        };
        let mut digits = itoa::Buffer::new();
        for &size in sizes {
            tail.push(b" ");
            tail.push(digits.format(size).as_bytes());
        }
        tail.push(b"\r\n");
        tail
    }

    fn push(&mut self, part: &[u8]) {
        let start = usize::from(self.len);
        self.bytes[start..start + part.len()].copy_from_slice(part);
        self.len += part.len() as u8;
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// The header block of a no-responders status for a request on `subject`.
///
/// `NATS/1.0 503\r\nNats-Subject: <subject>\r\n\r\n`, delivered with an empty payload.
pub fn no_responders_headers(subject: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(b"NATS/1.0 503\r\nNats-Subject: ");
    out.extend_from_slice(subject);
    out.extend_from_slice(b"\r\n\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(delivery: &Delivery<'_>, sid: &[u8], headers: bool) -> Vec<u8> {
        let mut out = BytesMut::new();
        delivery.encode(sid, headers, &mut out);
        assert_eq!(out.len(), delivery.encoded_len(sid, headers));
        out.to_vec()
    }

    #[test]
    fn msg_and_hmsg_lines() {
        let plain = Delivery::new(b"foo", None, None, b"hello");
        assert_eq!(encode(&plain, b"1", true), b"MSG foo 1 5\r\nhello\r\n");
        let reply = Delivery::new(b"foo", Some(b"_INBOX.1"), None, b"");
        assert_eq!(
            encode(&reply, b"22", false),
            b"MSG foo 22 _INBOX.1 0\r\n\r\n"
        );
        let headers = Delivery::new(b"foo", None, Some(b"NATS/1.0\r\n\r\n"), b"hi");
        assert_eq!(
            encode(&headers, b"1", true),
            b"HMSG foo 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"
        );
        // A client without headers gets the payload alone.
        assert_eq!(encode(&headers, b"1", false), b"MSG foo 1 2\r\nhi\r\n");
    }

    #[test]
    fn no_responders_status_matches_the_reference() {
        let mut block = Vec::new();
        no_responders_headers(b"nobody", &mut block);
        let delivery = Delivery::new(b"_INBOX.x", None, Some(&block), b"");
        assert_eq!(
            encode(&delivery, b"1", true),
            b"HMSG _INBOX.x 1 38 38\r\nNATS/1.0 503\r\nNats-Subject: nobody\r\n\r\n\r\n"
        );
    }

    #[test]
    fn errors() {
        let mut out = BytesMut::new();
        encode_err(&ServerError::InvalidSubject, &mut out);
        assert_eq!(&out[..], b"-ERR 'Invalid Subject'\r\n");
    }
}
