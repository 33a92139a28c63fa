//! A small incremental parser for what a NATS server sends a client.
//!
//! Used where the bench must look inside messages (the request-reply responder needs each
//! request's reply subject, the requester the sequence number in the reply) and for handshakes.
//! Bulk subscribers do not use it: they count bytes with [`crate::frame_counter`].
//!
//! Reads go straight into the parser's own buffer ([`MsgParser::read_from`]), so the only copy
//! is moving a partial frame at the end of a read to the front of the buffer.

use std::io::{self, Read};

use crate::error::{BenchError, Result};

/// The most a control line may grow to before the input is declared garbage.
const MAX_CONTROL_LINE: usize = 64 * 1024;

/// The least free space offered to each `read` call: reads should be large.
const MIN_READ_SPACE: usize = 256 * 1024;

/// One `MSG` delivered by the server; the slices borrow the parser's buffer.
#[derive(Debug, PartialEq, Eq)]
pub struct Msg<'a> {
    /// Subject the message was published to.
    pub subject: &'a [u8],
    /// Subscription id it was delivered for.
    pub sid: &'a [u8],
    /// Reply subject, if the publisher gave one.
    pub reply: Option<&'a [u8]>,
    /// Payload bytes.
    pub payload: &'a [u8],
}

/// One complete frame from the server.
#[derive(Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// A delivered message.
    Msg(Msg<'a>),
    /// The server asks for a `PONG`.
    Ping,
    /// The answer to our `PING`.
    Pong,
    /// An `INFO` line (content ignored: they may come at any time).
    Info,
    /// `+OK` (only in verbose mode, which the bench does not use).
    Ok,
    /// `-ERR` with the server's text.
    Err(&'a [u8]),
}

/// Incremental parser over a growable buffer; see the module docs.
pub struct MsgParser {
    buf: Vec<u8>,
    /// Start of the first unparsed byte.
    start: usize,
    /// End of the bytes read so far.
    end: usize,
}

impl Default for MsgParser {
    fn default() -> Self {
        Self::new()
    }
}

impl MsgParser {
    /// An empty parser.
    pub fn new() -> Self {
        Self {
            buf: vec![0; MIN_READ_SPACE],
            start: 0,
            end: 0,
        }
    }

    /// Makes at least `MIN_READ_SPACE` bytes free after `end`, moving unparsed bytes to the front.
    fn make_room(&mut self) {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.start > 0 && self.buf.len() - self.end < MIN_READ_SPACE {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() - self.end < MIN_READ_SPACE {
            self.buf.resize(self.end + MIN_READ_SPACE, 0);
        }
    }

    /// Reads once from `src` into the buffer; returns the byte count (0 at end of stream).
    pub fn read_from<R: Read>(&mut self, src: &mut R) -> io::Result<usize> {
        self.make_room();
        let n = src.read(&mut self.buf[self.end..])?;
        self.end += n;
        Ok(n)
    }

    /// Appends bytes as if they had been read.
    #[cfg(test)]
    pub fn push(&mut self, data: &[u8]) {
        self.make_room();
        if self.buf.len() - self.end < data.len() {
            self.buf.resize(self.end + data.len(), 0);
        }
        self.buf[self.end..self.end + data.len()].copy_from_slice(data);
        self.end += data.len();
    }

    /// Bytes read but not yet parsed (a partial frame, or everything if `parse` was not called).
    pub fn unparsed(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Hands every complete frame in the buffer to `on_event`, keeping a trailing partial frame.
    ///
    /// Stops at the first frame for which `on_event` returns `false` (that frame counts as
    /// consumed), so a caller can stop right after, say, a `PONG` and keep what follows.
    pub fn parse(&mut self, mut on_event: impl FnMut(Event<'_>) -> bool) -> Result<()> {
        loop {
            let data = &self.buf[self.start..self.end];
            let Some(nl) = data.iter().position(|&b| b == b'\n') else {
                if data.len() > MAX_CONTROL_LINE {
                    return Err(garbage(data));
                }
                return Ok(());
            };
            let line = strip_cr(&data[..nl]);
            let (op, args) = split_op(line);
            let (event, used) = match op {
                b"MSG" | b"msg" => {
                    let (subject, sid, reply, size) = parse_msg_args(args, line)?;
                    let payload_start = nl + 1;
                    // The payload is followed by CRLF; wait until all of it is here.
                    if data.len() < payload_start + size + 2 {
                        return Ok(());
                    }
                    if &data[payload_start + size..payload_start + size + 2] != b"\r\n" {
                        return Err(BenchError::msg(format!(
                            "server sent a MSG whose payload is not followed by CRLF: {}",
                            printable(line)
                        )));
                    }
                    let msg = Msg {
                        subject,
                        sid,
                        reply,
                        payload: &data[payload_start..payload_start + size],
                    };
                    (Event::Msg(msg), payload_start + size + 2)
                }
                b"PING" | b"ping" => (Event::Ping, nl + 1),
                b"PONG" | b"pong" => (Event::Pong, nl + 1),
                b"INFO" | b"info" => (Event::Info, nl + 1),
                b"+OK" | b"+ok" => (Event::Ok, nl + 1),
                b"-ERR" | b"-err" => (Event::Err(args), nl + 1),
                _ => return Err(garbage(line)),
            };
            let keep_going = on_event(event);
            self.start += used;
            if !keep_going {
                return Ok(());
            }
        }
    }
}

/// Drops a trailing `\r`.
fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Splits a control line into its operation and the rest (leading blanks trimmed).
fn split_op(line: &[u8]) -> (&[u8], &[u8]) {
    let op_end = line
        .iter()
        .position(|b| *b == b' ' || *b == b'\t')
        .unwrap_or(line.len());
    let args = &line[op_end..];
    let skip = args
        .iter()
        .position(|b| *b != b' ' && *b != b'\t')
        .unwrap_or(args.len());
    (&line[..op_end], &args[skip..])
}

type MsgArgs<'a> = (&'a [u8], &'a [u8], Option<&'a [u8]>, usize);

/// Parses `<subject> <sid> [reply] <size>`.
fn parse_msg_args<'a>(args: &'a [u8], line: &[u8]) -> Result<MsgArgs<'a>> {
    let mut parts: [&[u8]; 4] = [&[]; 4];
    let mut count = 0;
    for part in args
        .split(|b| *b == b' ' || *b == b'\t')
        .filter(|p| !p.is_empty())
    {
        if count == 4 {
            return Err(bad_msg(line));
        }
        parts[count] = part;
        count += 1;
    }
    let (reply, size) = match count {
        3 => (None, parts[2]),
        4 => (Some(parts[2]), parts[3]),
        _ => return Err(bad_msg(line)),
    };
    let size = parse_usize(size).ok_or_else(|| bad_msg(line))?;
    Ok((parts[0], parts[1], reply, size))
}

/// Parses a non-empty run of ASCII digits.
pub fn parse_usize(digits: &[u8]) -> Option<usize> {
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    digits.iter().try_fold(0usize, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + usize::from(b - b'0'))
    })
}

fn bad_msg(line: &[u8]) -> BenchError {
    BenchError::msg(format!(
        "malformed MSG line from server: {}",
        printable(line)
    ))
}

fn garbage(data: &[u8]) -> BenchError {
    BenchError::msg(format!(
        "unexpected data from server: {}",
        printable(&data[..data.len().min(120)])
    ))
}

/// Bytes as text for an error message, with control characters escaped.
pub fn printable(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b == b' ' || b.is_ascii_graphic() {
            out.push(char::from(b));
        } else {
            out.extend(std::ascii::escape_default(b).map(char::from));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything parsed from `input` fed in pieces of `step` bytes, as owned strings.
    fn parse_in_steps(input: &[u8], step: usize) -> Vec<String> {
        let mut parser = MsgParser::new();
        let mut out = Vec::new();
        for chunk in input.chunks(step) {
            parser.push(chunk);
            parser
                .parse(|ev| {
                    out.push(describe(&ev));
                    true
                })
                .expect("valid input");
        }
        assert!(parser.unparsed().is_empty(), "all input consumed");
        out
    }

    fn describe(ev: &Event<'_>) -> String {
        match ev {
            Event::Msg(m) => format!(
                "MSG {} {} {} [{}]",
                printable(m.subject),
                printable(m.sid),
                m.reply.map(printable).unwrap_or_else(|| "-".into()),
                printable(m.payload)
            ),
            Event::Ping => "PING".into(),
            Event::Pong => "PONG".into(),
            Event::Info => "INFO".into(),
            Event::Ok => "+OK".into(),
            Event::Err(t) => format!("-ERR {}", printable(t)),
        }
    }

    const STREAM: &[u8] = b"INFO {\"server_id\":\"x\"} \r\nMSG foo.bar 1 5\r\nhello\r\n\
        MSG req 22 _INBOX.abc 3\r\nq\r\n\r\nPING\r\nMSG a 1 0\r\n\r\nPONG\r\n\
        -ERR 'Slow Consumer'\r\n+OK\r\n";

    fn expected() -> Vec<String> {
        [
            "INFO",
            "MSG foo.bar 1 - [hello]",
            "MSG req 22 _INBOX.abc [q\\r\\n]",
            "PING",
            "MSG a 1 - []",
            "PONG",
            "-ERR 'Slow Consumer'",
            "+OK",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn whole_stream() {
        assert_eq!(parse_in_steps(STREAM, STREAM.len()), expected());
    }

    #[test]
    fn every_split_point() {
        // A payload holding CRLF, and frames split anywhere, must parse the same.
        for step in 1..STREAM.len() {
            assert_eq!(parse_in_steps(STREAM, step), expected(), "step {step}");
        }
        for cut in 1..STREAM.len() {
            let mut parser = MsgParser::new();
            let mut out = Vec::new();
            for part in [&STREAM[..cut], &STREAM[cut..]] {
                parser.push(part);
                parser
                    .parse(|ev| {
                        out.push(describe(&ev));
                        true
                    })
                    .expect("valid");
            }
            assert_eq!(out, expected(), "cut at {cut}");
        }
    }

    #[test]
    fn stop_keeps_the_rest() {
        let mut parser = MsgParser::new();
        parser.push(b"PONG\r\nINFO {}\r\nMSG a 1 1\r\n");
        let mut seen = 0;
        parser
            .parse(|ev| {
                seen += 1;
                ev != Event::Pong
            })
            .expect("valid");
        assert_eq!(seen, 1);
        assert_eq!(parser.unparsed(), b"INFO {}\r\nMSG a 1 1\r\n");
    }

    #[test]
    fn reads_large_payload_across_buffer_growth() {
        let payload = vec![b'z'; 3 * MIN_READ_SPACE];
        let mut input = format!("MSG big 9 {}\r\n", payload.len()).into_bytes();
        input.extend_from_slice(&payload);
        input.extend_from_slice(b"\r\n");
        let mut src = &input[..];
        let mut parser = MsgParser::new();
        let mut sizes = Vec::new();
        while parser.read_from(&mut src).expect("read") > 0 {
            parser
                .parse(|ev| {
                    if let Event::Msg(m) = ev {
                        sizes.push(m.payload.len());
                    }
                    true
                })
                .expect("valid");
        }
        assert_eq!(sizes, vec![payload.len()]);
    }

    #[test]
    fn rejects_garbage_and_bad_frames() {
        for bad in [
            &b"HELLO\r\n"[..],
            b"MSG a\r\n",
            b"MSG a 1 b c d\r\n",
            b"MSG a 1 x\r\n",
            b"MSG a 1 2\r\nabcd\r\n",
        ] {
            let mut parser = MsgParser::new();
            parser.push(bad);
            assert!(parser.parse(|_| true).is_err(), "{}", printable(bad));
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_usize(b"0"), Some(0));
        assert_eq!(parse_usize(b"65536"), Some(65536));
        assert_eq!(parse_usize(b""), None);
        assert_eq!(parse_usize(b"1x"), None);
        assert_eq!(parse_usize(b"-1"), None);
    }
}
