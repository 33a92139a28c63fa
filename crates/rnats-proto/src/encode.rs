//! Encoders for what a server sends: MSG, HMSG, PING, PONG, +OK and -ERR.
//!
//! A message usually goes to several subscriptions that differ only in their sid, so
//! [`Delivery`] formats the sizes once and each [`Delivery::encode`] is a few copies into the
//! subscriber's outbound buffer, with no allocation once that buffer has grown.

use bytes::buf::UninitSlice;
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
    /// ` <header len> <total len>\r\n` (HMSG) with headers, else ` <payload len>\r\n` (MSG).
    tail: SizeTail,
}

impl<'a> Delivery<'a> {
    /// Prepares a message; `headers` is the whole `NATS/1.0` block when there is one.
    pub fn new(
        subject: &'a [u8],
        reply: Option<&'a [u8]>,
        headers: Option<&'a [u8]>,
        payload: &'a [u8],
    ) -> Self {
        let tail = match headers {
            Some(h) => SizeTail::with_headers(h.len(), h.len() + payload.len()),
            None => SizeTail::plain(payload.len()),
        };
        Delivery {
            subject,
            reply,
            headers,
            payload,
            tail,
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
            Some(h) if client_headers => (5, usize::from(self.tail.len), h.len()),
            Some(_) => (4, SizeTail::plain(self.payload.len()).as_bytes().len(), 0),
            None => (4, usize::from(self.tail.len), 0),
        };
        op + self.subject.len() + 1 + sid.len() + reply + tail + headers + self.payload.len() + 2
    }

    /// Appends the message for one subscription.
    ///
    /// A client that did not negotiate headers gets a MSG with the payload alone, as the
    /// reference strips headers for such clients.
    pub fn encode(&self, sid: &[u8], client_headers: bool, out: &mut BytesMut) {
        let headers = self.headers.filter(|_| client_headers);
        // Headers stripped for this client: the rare case formats its own sizes.
        let stripped;
        let tail = match (self.headers, headers) {
            (Some(_), None) => {
                stripped = SizeTail::plain(self.payload.len());
                stripped.as_bytes()
            }
            _ => self.tail.as_bytes(),
        };
        let op: &[u8] = if headers.is_some() { b"HMSG " } else { b"MSG " };
        let reply = self.reply.unwrap_or_default();
        let headers = headers.unwrap_or_default();
        let len = op.len()
            + self.subject.len()
            + 1
            + sid.len()
            + if reply.is_empty() { 0 } else { reply.len() + 1 }
            + tail.len()
            + headers.len()
            + self.payload.len()
            + 2;
        out.reserve(len);
        let mut writer = SpareWriter {
            spare: &mut out.chunk_mut()[..len],
            at: 0,
        };
        writer.put(op);
        writer.put(self.subject);
        writer.put(b" ");
        writer.put(sid);
        if !reply.is_empty() {
            writer.put(b" ");
            writer.put(reply);
        }
        writer.put(tail);
        writer.put(headers);
        writer.put(self.payload);
        writer.put(b"\r\n");
        debug_assert_eq!(writer.at, len);
        let written = writer.at;
        // SAFETY: the writer initialised `written` bytes at the start of the spare capacity
        // (every byte of `len`, as it was sized), which is what advance_mut requires.
        unsafe { out.advance_mut(written) };
    }
}

/// Copies the pieces of a message into reserved, not yet initialised buffer space.
struct SpareWriter<'s> {
    spare: &'s mut UninitSlice,
    at: usize,
}

impl SpareWriter<'_> {
    /// Copies `part`; the short pieces of a MSG line (subject, sid, sizes) are copied with
    /// fixed-size moves instead of a call to `memcpy`, which would cost more than the copy.
    fn put(&mut self, part: &[u8]) {
        let dst = &mut self.spare[self.at..self.at + part.len()];
        let n = part.len();
        match n {
            0 => {}
            1..=3 => {
                for (i, &b) in part.iter().enumerate() {
                    dst.write_byte(i, b);
                }
            }
            // Two overlapping copies of a fixed size cover any length in the range.
            4..=7 => {
                dst[..4].copy_from_slice(&part[..4]);
                dst[n - 4..].copy_from_slice(&part[n - 4..]);
            }
            8..=16 => {
                dst[..8].copy_from_slice(&part[..8]);
                dst[n - 8..].copy_from_slice(&part[n - 8..]);
            }
            _ => dst.copy_from_slice(part),
        }
        self.at += n;
    }
}

/// Space-separated decimal sizes followed by CRLF, formatted on the stack.
#[derive(Debug, Clone, Copy)]
struct SizeTail {
    /// Room for ` <20 digits> <20 digits>\r\n`.
    bytes: [u8; 44],
    len: u8,
}

impl SizeTail {
    /// ` <size>\r\n`, the tail of a MSG line.
    fn plain(size: usize) -> Self {
        let mut tail = SizeTail {
            bytes: [0; 44],
            len: 0,
        };
        tail.push_number(size);
        tail.push_crlf();
        tail
    }

    /// ` <header size> <total size>\r\n`, the tail of an HMSG line.
    fn with_headers(header_len: usize, total_len: usize) -> Self {
        let mut tail = SizeTail {
            bytes: [0; 44],
            len: 0,
        };
        tail.push_number(header_len);
        tail.push_number(total_len);
        tail.push_crlf();
        tail
    }

    fn push_number(&mut self, number: usize) {
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(number).as_bytes();
        let at = usize::from(self.len);
        self.bytes[at] = b' ';
        self.bytes[at + 1..at + 1 + digits.len()].copy_from_slice(digits);
        self.len += 1 + digits.len() as u8;
    }

    fn push_crlf(&mut self) {
        let at = usize::from(self.len);
        self.bytes[at..at + 2].copy_from_slice(b"\r\n");
        self.len += 2;
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
