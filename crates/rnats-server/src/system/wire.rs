//! Reading back the `MSG`/`HMSG` protocol the server queued for its internal client.
//!
//! The bytes are the server's own encoding, so they are well formed; still, anything that
//! does not parse ends the batch rather than panicking.

/// One message delivered to the internal client.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Received<'a> {
    pub(crate) subject: &'a [u8],
    pub(crate) sid: &'a [u8],
    pub(crate) reply: Option<&'a [u8]>,
    /// The header block (`NATS/1.0\r\n...\r\n\r\n`); empty for a `MSG`.
    pub(crate) headers: &'a [u8],
    pub(crate) payload: &'a [u8],
}

/// The messages in `bytes`, in order; stops at the first thing that is not a message.
pub(crate) fn messages(mut bytes: &[u8]) -> Vec<Received<'_>> {
    let mut out = Vec::new();
    while let Some((message, rest)) = next(bytes) {
        out.push(message);
        bytes = rest;
    }
    out
}

fn number(token: &[u8]) -> Option<usize> {
    std::str::from_utf8(token).ok()?.parse().ok()
}

fn next(bytes: &[u8]) -> Option<(Received<'_>, &[u8])> {
    let end = bytes.windows(2).position(|w| w == b"\r\n")?;
    let line = bytes.get(..end)?;
    let body = bytes.get(end + 2..)?;
    let mut tokens = line.split(|&b| b == b' ').filter(|t| !t.is_empty());
    let op = tokens.next()?;
    let rest: Vec<&[u8]> = tokens.collect();
    let (subject, sid, reply, header_len, total) = match (op, rest.as_slice()) {
        (b"MSG", [subject, sid, size]) => (*subject, *sid, None, 0, number(size)?),
        (b"MSG", [subject, sid, reply, size]) => (*subject, *sid, Some(*reply), 0, number(size)?),
        (b"HMSG", [subject, sid, h, size]) => (*subject, *sid, None, number(h)?, number(size)?),
        (b"HMSG", [subject, sid, reply, h, size]) => {
            (*subject, *sid, Some(*reply), number(h)?, number(size)?)
        }
        _ => return None,
    };
    let headers = body.get(..header_len.min(total))?;
    let payload = body.get(header_len.min(total)..total)?;
    let rest = body.get(total + 2..)?;
    Some((
        Received {
            subject,
            sid,
            reply,
            headers,
            payload,
        },
        rest,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_with_and_without_headers_and_replies() {
        let bytes = b"MSG a 1 5\r\nhello\r\nHMSG b 2 r 12 14\r\nNATS/1.0\r\n\r\nhi\r\nMSG c";
        let got = messages(bytes);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].payload, b"hello");
        assert_eq!(got[0].reply, None);
        assert_eq!(got[1].subject, b"b");
        assert_eq!(got[1].reply, Some(&b"r"[..]));
        assert_eq!(got[1].payload, b"hi");
        assert_eq!(got[1].headers, b"NATS/1.0\r\n\r\n");
        assert!(got[0].headers.is_empty());
        assert!(messages(b"MSG a 1 99\r\nshort\r\n").is_empty());
    }
}
