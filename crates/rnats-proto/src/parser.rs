//! The client protocol parser: bytes in, operations out, no I/O.
//!
//! The caller owns the read buffer. It passes the unconsumed bytes to [`ClientParser::parse`]
//! and advances by what the parser reports. An operation is returned only once it is complete,
//! as slices into the caller's buffer, so nothing is copied. When the buffer ends inside an
//! operation the parser answers [`Parsed::Incomplete`] and the caller keeps those bytes and
//! appends the next read to them. The result is the same however the stream was split.
//!
//! The grammar follows nats-server: op names are case-insensitive; `PUB`, `HPUB`, `SUB`,
//! `UNSUB` and `-ERR` need a blank (space or tab) after the name while `CONNECT` and `INFO`
//! do not; blanks before the arguments are skipped; arguments are split on runs of space,
//! tab, CR and LF; a line ends at LF (a CR before it is optional); the rest of a `PING`,
//! `PONG` or `+OK` line is ignored; a payload must be followed by exactly CRLF.

use memchr::memchr;

use crate::error::{OpKind, ParseError};

/// The default `max_control_line` of nats-server, in bytes.
pub const DEFAULT_MAX_CONTROL_LINE: usize = 4096;
/// The default `max_payload` of nats-server, in bytes.
pub const DEFAULT_MAX_PAYLOAD: usize = 1024 * 1024;

/// The largest size argument the reference accepts: nine decimal digits.
const MAX_SIZE_DIGITS: usize = 9;

/// An operation a client sent, borrowing from the read buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientOp<'a> {
    /// `CONNECT <json>`: the raw JSON, not yet decoded.
    Connect(&'a [u8]),
    /// `INFO <json>` sent by a client: the raw JSON.
    Info(&'a [u8]),
    /// `PUB` or `HPUB` with its payload.
    Publish(Publish<'a>),
    /// `SUB <subject> [queue] <sid>`
    Subscribe {
        /// The subject or wildcard filter.
        subject: &'a [u8],
        /// The queue group, if any.
        queue: Option<&'a [u8]>,
        /// The client's subscription id.
        sid: &'a [u8],
    },
    /// `UNSUB <sid> [max]`
    Unsubscribe {
        /// The client's subscription id.
        sid: &'a [u8],
        /// Deliver this many messages in total before removing; `None` removes now.
        max: Option<u64>,
    },
    /// `PING`
    Ping,
    /// `PONG`
    Pong,
    /// `+OK` (ignored by servers)
    Ok,
    /// `-ERR <text>` sent by a client (the server closes the connection).
    Err(&'a [u8]),
}

/// A message a client published with `PUB` or `HPUB`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publish<'a> {
    /// The subject published to (not validated here).
    pub subject: &'a [u8],
    /// The reply subject, if any.
    pub reply: Option<&'a [u8]>,
    /// The header block (`NATS/1.0...\r\n\r\n`) when HPUB announced a non-zero header size.
    pub headers: Option<&'a [u8]>,
    /// The payload after the headers.
    pub payload: &'a [u8],
}

/// What one call to [`ClientParser::parse`] found at the front of the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed<'a> {
    /// A complete operation that occupied the first `len` bytes.
    Op {
        /// The operation.
        op: ClientOp<'a>,
        /// How many bytes to consume.
        len: usize,
    },
    /// The first `n` bytes (never zero) carried nothing to act on; consume them.
    Skipped(usize),
    /// The buffer ends inside an operation: keep the bytes and call again with more.
    Incomplete {
        /// The buffer length that completes the operation, when known (a payload), else 0.
        needed: usize,
    },
}

/// A resumable parser for the client side of the NATS protocol.
#[derive(Debug, Clone)]
pub struct ClientParser {
    max_control_line: usize,
    max_payload: usize,
    headers: bool,
    awaiting_connect: bool,
    pending: Pending,
}

/// State carried between calls; only needed where the parser consumed part of an op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    None,
    /// Inside a PING/PONG/+OK line whose rest is discarded up to LF.
    Discard(Discarded),
    /// The op name was consumed; blanks and then the arguments follow.
    Args(OpKind),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Discarded {
    Ping,
    Pong,
    Ok,
}

impl Discarded {
    fn op(self) -> ClientOp<'static> {
        match self {
            Discarded::Ping => ClientOp::Ping,
            Discarded::Pong => ClientOp::Pong,
            Discarded::Ok => ClientOp::Ok,
        }
    }
}

/// What the op name at the front of a buffer turned out to be.
enum Head {
    Discard(Discarded),
    Args(OpKind),
}

impl Default for ClientParser {
    fn default() -> Self {
        ClientParser::new(DEFAULT_MAX_CONTROL_LINE, DEFAULT_MAX_PAYLOAD)
    }
}

impl ClientParser {
    /// A parser enforcing these limits, for a connection without headers or pending auth.
    pub fn new(max_control_line: usize, max_payload: usize) -> Self {
        ClientParser {
            max_control_line,
            max_payload,
            headers: false,
            awaiting_connect: false,
            pending: Pending::None,
        }
    }

    /// Allows or refuses HPUB; set from the `headers` field of CONNECT.
    pub fn set_headers(&mut self, headers: bool) {
        self.headers = headers;
    }

    /// While set, any op but CONNECT is an authorization violation.
    pub fn set_awaiting_connect(&mut self, awaiting: bool) {
        self.awaiting_connect = awaiting;
    }

    /// Changes the longest control line accepted from now on (a configuration reload).
    pub fn set_max_control_line(&mut self, max_control_line: usize) {
        self.max_control_line = max_control_line;
    }

    /// Changes the payload limit (a reload, or a user's limit lower than the server's).
    pub fn set_max_payload(&mut self, max_payload: usize) {
        self.max_payload = max_payload;
    }

    /// Parses the operation at the front of `buf`.
    pub fn parse<'a>(&mut self, buf: &'a [u8]) -> Result<Parsed<'a>, ParseError> {
        if buf.is_empty() {
            return Ok(Parsed::Incomplete { needed: 0 });
        }
        match self.pending {
            Pending::Discard(kind) => return Ok(self.discard_line(kind, buf, 0)),
            Pending::Args(op) => return self.parse_args(op, buf, 0),
            Pending::None => {}
        }
        if self.awaiting_connect && !matches!(buf[0], b'C' | b'c') {
            return Err(ParseError::AuthorizationViolation);
        }
        if buf.starts_with(b"PUB ")
            && let Some(parsed) = fast_publish::parse(buf, self.max_control_line, self.max_payload)
        {
            return Ok(parsed);
        }
        match recognize(buf)? {
            None => Ok(Parsed::Incomplete { needed: 0 }),
            Some((Head::Discard(kind), at)) => Ok(self.discard_line(kind, buf, at)),
            Some((Head::Args(op), at)) => self.parse_args(op, buf, at),
        }
    }

    /// Ends a PING/PONG/+OK line at the next LF, consuming whatever precedes it.
    fn discard_line<'a>(&mut self, kind: Discarded, buf: &'a [u8], from: usize) -> Parsed<'a> {
        match memchr(b'\n', &buf[from..]) {
            Some(offset) => {
                self.pending = Pending::None;
                Parsed::Op {
                    op: kind.op(),
                    len: from + offset + 1,
                }
            }
            None => {
                self.pending = Pending::Discard(kind);
                Parsed::Skipped(buf.len())
            }
        }
    }

    /// Parses the arguments of `op`, which start at `from` after optional blanks.
    fn parse_args<'a>(
        &mut self,
        op: OpKind,
        buf: &'a [u8],
        from: usize,
    ) -> Result<Parsed<'a>, ParseError> {
        let Some(start) = buf[from..].iter().position(|&b| b != b' ' && b != b'\t') else {
            // Only blanks so far: consume them so a stream of blanks cannot grow the buffer.
            self.pending = Pending::Args(op);
            return Ok(Parsed::Skipped(buf.len()));
        };
        let start = from + start;
        // The first argument byte is taken unconditionally, even a CR or LF, as the reference does.
        let Some(offset) = find_newline(&buf[start + 1..]) else {
            let seen = &buf[start..];
            let carriage = usize::from(memchr(b'\r', &seen[1..]).is_some());
            if seen.len() - carriage > self.max_control_line {
                return Err(ParseError::MaxControlLine {
                    max: self.max_control_line,
                });
            }
            return Ok(self.keep_from(op, start, Parsed::Incomplete { needed: 0 }));
        };
        let newline = start + 1 + offset;
        // A CR anywhere after the first byte drops the last byte before LF (normally that CR,
        // so look there first).
        let after_first = &buf[start + 1..newline];
        let carriage =
            usize::from(after_first.last() == Some(&b'\r') || memchr(b'\r', after_first).is_some());
        let arg = &buf[start..newline - carriage];
        if arg.len() > self.max_control_line {
            return Err(ParseError::MaxControlLine {
                max: self.max_control_line,
            });
        }
        let line_len = newline + 1;
        let parsed = match op {
            OpKind::Connect => Parsed::Op {
                op: ClientOp::Connect(arg),
                len: line_len,
            },
            OpKind::Info => Parsed::Op {
                op: ClientOp::Info(arg),
                len: line_len,
            },
            OpKind::Err => Parsed::Op {
                op: ClientOp::Err(arg),
                len: line_len,
            },
            OpKind::Sub => Parsed::Op {
                op: subscribe(arg)?,
                len: line_len,
            },
            OpKind::Unsub => Parsed::Op {
                op: unsubscribe(arg)?,
                len: line_len,
            },
            OpKind::Pub => {
                let (subject, reply, size) =
                    publish_args(arg).ok_or(ParseError::Arguments(OpKind::Pub))?;
                let size = parse_size(size).ok_or(ParseError::Size(OpKind::Pub))?;
                self.check_payload(size)?;
                let head = PublishHead {
                    subject,
                    reply,
                    header_len: 0,
                    total_len: size,
                };
                head.with_payload(buf, line_len)?
            }
            OpKind::Hpub => {
                if !self.headers {
                    return Err(ParseError::HeadersNotSupported);
                }
                let args = Args::split(arg);
                let (subject, reply, header_len, total_len) = match args.as_slice() {
                    [subject, header, total] => (*subject, None, *header, *total),
                    [subject, reply, header, total] => (*subject, Some(*reply), *header, *total),
                    _ => return Err(ParseError::Arguments(OpKind::Hpub)),
                };
                let header_len = parse_size(header_len).ok_or(ParseError::Size(OpKind::Hpub))?;
                let total_len = parse_size(total_len).ok_or(ParseError::Size(OpKind::Hpub))?;
                if header_len > total_len {
                    return Err(ParseError::HeaderSizeExceedsTotal);
                }
                self.check_payload(total_len)?;
                let head = PublishHead {
                    subject,
                    reply,
                    header_len,
                    total_len,
                };
                head.with_payload(buf, line_len)?
            }
        };
        if matches!(parsed, Parsed::Incomplete { .. }) {
            return Ok(self.keep_from(op, start, parsed));
        }
        self.pending = Pending::None;
        Ok(parsed)
    }

    /// An incomplete op: consume its name and blanks, so the caller keeps only the arguments
    /// (at most one control line, plus a payload) however many blanks preceded them.
    fn keep_from<'a>(&mut self, op: OpKind, start: usize, incomplete: Parsed<'a>) -> Parsed<'a> {
        if start == 0 {
            return incomplete;
        }
        self.pending = Pending::Args(op);
        Parsed::Skipped(start)
    }

    fn check_payload(&self, size: usize) -> Result<(), ParseError> {
        if size > self.max_payload {
            return Err(ParseError::MaxPayload {
                size,
                max: self.max_payload,
            });
        }
        Ok(())
    }
}

/// The parsed control line of a PUB or HPUB, before its payload is located.
struct PublishHead<'a> {
    subject: &'a [u8],
    reply: Option<&'a [u8]>,
    header_len: usize,
    total_len: usize,
}

impl<'a> PublishHead<'a> {
    /// Locates the payload after the control line (`line_len` bytes) and checks its CRLF.
    fn with_payload(self, buf: &'a [u8], line_len: usize) -> Result<Parsed<'a>, ParseError> {
        let payload_end = line_len + self.total_len;
        let needed = payload_end + 2;
        // Check the terminator bytes that have arrived, so a bad one fails as early as it can.
        if buf.len() > payload_end && buf[payload_end] != b'\r' {
            return Err(ParseError::UnknownOperation);
        }
        if buf.len() > payload_end + 1 && buf[payload_end + 1] != b'\n' {
            return Err(ParseError::UnknownOperation);
        }
        if buf.len() < needed {
            return Ok(Parsed::Incomplete { needed });
        }
        let body = &buf[line_len..payload_end];
        let (headers, payload) = match self.header_len {
            0 => (None, body),
            n => (Some(&body[..n]), &body[n..]),
        };
        let publish = Publish {
            subject: self.subject,
            reply: self.reply,
            headers,
            payload,
        };
        Ok(Parsed::Op {
            op: ClientOp::Publish(publish),
            len: needed,
        })
    }
}

/// Recognises the op name at the front of `buf`, returning where its arguments start.
///
/// `Ok(None)` means the buffer ends inside the name, or right where a blank must follow.
fn recognize(buf: &[u8]) -> Result<Option<(Head, usize)>, ParseError> {
    // The op a busy connection sends over and over, as clients write it.
    if buf.starts_with(b"PUB ") {
        return Ok(Some((Head::Args(OpKind::Pub), 4)));
    }
    let (name, head, blank): (&[u8], Head, bool) = match buf[0].to_ascii_uppercase() {
        b'C' => (b"CONNECT", Head::Args(OpKind::Connect), false),
        b'I' => (b"INFO", Head::Args(OpKind::Info), false),
        b'H' => (b"HPUB", Head::Args(OpKind::Hpub), true),
        b'S' => (b"SUB", Head::Args(OpKind::Sub), true),
        b'U' => (b"UNSUB", Head::Args(OpKind::Unsub), true),
        b'+' => (b"+OK", Head::Discard(Discarded::Ok), false),
        b'-' => (b"-ERR", Head::Args(OpKind::Err), true),
        b'P' => match buf.get(1).map(u8::to_ascii_uppercase) {
            None => return Ok(None),
            Some(b'U') => (b"PUB", Head::Args(OpKind::Pub), true),
            Some(b'I') => (b"PING", Head::Discard(Discarded::Ping), false),
            Some(b'O') => (b"PONG", Head::Discard(Discarded::Pong), false),
            Some(_) => return Err(ParseError::UnknownOperation),
        },
        _ => return Err(ParseError::UnknownOperation),
    };
    for (i, &expected) in name.iter().enumerate() {
        match buf.get(i) {
            None => return Ok(None),
            Some(b) if b.to_ascii_uppercase() == expected => {}
            Some(_) => return Err(ParseError::UnknownOperation),
        }
    }
    if !blank {
        return Ok(Some((head, name.len())));
    }
    match buf.get(name.len()) {
        None => Ok(None),
        Some(b' ' | b'\t') => Ok(Some((head, name.len() + 1))),
        Some(_) => Err(ParseError::UnknownOperation),
    }
}

/// The subject, reply and size arguments of a PUB.
type PublishArgs<'a> = (&'a [u8], Option<&'a [u8]>, &'a [u8]);

/// `<subject> [reply] <size>`: the arguments of PUB, the op a busy client sends most.
///
/// Equivalent to splitting the line into two or three arguments, but it takes the size from
/// the end and searches the rest for at most one separator, instead of collecting every
/// argument first. `None` means the wrong number of arguments.
fn publish_args(arg: &[u8]) -> Option<PublishArgs<'_>> {
    let line = trim_separators(arg);
    let size_start = line.iter().rposition(|&b| is_separator(b))? + 1;
    let size = &line[size_start..];
    let head = trim_separators(&line[..size_start]);
    let Some(end) = find_separator(head) else {
        return Some((head, None, size));
    };
    let reply = trim_separators(&head[end..]);
    // A separator inside what is left means a fourth argument.
    if find_separator(reply).is_some() {
        return None;
    }
    Some((&head[..end], Some(reply), size))
}

/// `bytes` without separators at either end.
fn trim_separators(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| !is_separator(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| !is_separator(b))
        .map_or(start, |i| i + 1);
    &bytes[start..end.max(start)]
}

fn subscribe(arg: &[u8]) -> Result<ClientOp<'_>, ParseError> {
    let args = Args::split(arg);
    match args.as_slice() {
        [subject, sid] => Ok(ClientOp::Subscribe {
            subject,
            queue: None,
            sid,
        }),
        [subject, queue, sid] => Ok(ClientOp::Subscribe {
            subject,
            queue: Some(*queue),
            sid,
        }),
        _ => Err(ParseError::Arguments(OpKind::Sub)),
    }
}

fn unsubscribe(arg: &[u8]) -> Result<ClientOp<'_>, ParseError> {
    let args = Args::split(arg);
    match args.as_slice() {
        [sid] => Ok(ClientOp::Unsubscribe { sid, max: None }),
        // An unparsable or zero max means "remove now", as in the reference.
        [sid, max] => {
            let max = parse_size(max).filter(|&n| n > 0).map(|n| n as u64);
            Ok(ClientOp::Unsubscribe { sid, max })
        }
        _ => Err(ParseError::Arguments(OpKind::Unsub)),
    }
}

/// Parses a size argument: one to nine decimal digits.
pub fn parse_size(digits: &[u8]) -> Option<usize> {
    if digits.is_empty() || digits.len() > MAX_SIZE_DIGITS {
        return None;
    }
    digits.iter().try_fold(0usize, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + usize::from(d - b'0'))
    })
}

/// Up to four arguments of a control line, split on blanks, CR and LF, without allocating.
struct Args<'a> {
    found: [&'a [u8]; 4],
    count: usize,
}

impl<'a> Args<'a> {
    /// Splits `line`, which holds no LF (it ends at one), so only blanks and CR separate.
    fn split(line: &'a [u8]) -> Self {
        let mut args = Args {
            found: [&[]; 4],
            count: 0,
        };
        let mut rest = line;
        // Runs of separators are usually a single space: skip them byte by byte...
        while let Some(start) = rest.iter().position(|&b| !is_separator(b)) {
            rest = &rest[start..];
            // ...and jump over the argument itself eight bytes at a time.
            let end = find_separator(rest).unwrap_or(rest.len());
            args.push(&rest[..end]);
            rest = &rest[end..];
        }
        args
    }

    fn push(&mut self, arg: &'a [u8]) {
        if let Some(slot) = self.found.get_mut(self.count) {
            *slot = arg;
        }
        self.count += 1;
    }

    /// The arguments, or an empty slice when there were more than four (always an error).
    fn as_slice(&self) -> &[&'a [u8]] {
        if self.count > self.found.len() {
            &[]
        } else {
            &self.found[..self.count]
        }
    }
}

mod fast_publish;
mod scan;

use scan::{find_newline, find_separator, is_separator};

#[cfg(test)]
mod tests;
