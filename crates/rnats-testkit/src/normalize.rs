//! Normalising server output so two servers' transcripts can be compared byte for byte.
//!
//! Server output is walked op by op: `MSG` and `HMSG` payloads are skipped by their declared
//! size (so a payload that happens to contain `INFO {..}` or `PONG` is never touched), and each
//! `INFO` line has its run-dependent JSON fields removed. Everything else is copied verbatim.

/// INFO fields that differ between two runs of the same server (or are not implemented by
/// rnats yet: `xkey`, `api_lvl`), and so are removed by [`normalize`].
pub const VOLATILE_INFO_KEYS: &[&str] = &[
    "server_id",
    "server_name",
    "version",
    "go",
    "git_commit",
    "client_id",
    "client_ip",
    "host",
    "port",
    "xkey",
    "api_lvl",
    "nonce",
];

/// What kind of server op a complete op span is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpKind {
    /// An `INFO ...` line.
    Info,
    /// Exactly `PONG\r\n`.
    Pong,
    /// `MSG`/`HMSG` line plus its payload and the `\r\n` after it.
    Msg,
    /// Any other line (`PING`, `+OK`, `-ERR ...`, garbage).
    Other,
}

/// Length and kind of the complete op at the start of `buf`, or `None` if `buf` does not yet
/// hold a whole op. A line ends at `\n`; for `MSG`/`HMSG` lines whose size parses, the payload
/// and two more bytes belong to the op too.
pub(crate) fn next_op(buf: &[u8]) -> Option<(usize, OpKind)> {
    let nl = buf.iter().position(|&b| b == b'\n')?;
    let line = &buf[..=nl];
    if line == b"PONG\r\n" {
        return Some((line.len(), OpKind::Pong));
    }
    if line.starts_with(b"INFO") {
        return Some((line.len(), OpKind::Info));
    }
    if (line.starts_with(b"MSG ") || line.starts_with(b"HMSG "))
        && let Some(size) = payload_size(line)
    {
        let total = line.len().checked_add(size)?.checked_add(2)?;
        return (buf.len() >= total).then_some((total, OpKind::Msg));
    }
    Some((line.len(), OpKind::Other))
}

/// The payload size of a `MSG`/`HMSG` line: its last argument (the total size for `HMSG`).
fn payload_size(line: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(line).ok()?;
    let last = text
        .split([' ', '\t', '\r', '\n'])
        .rfind(|s| !s.is_empty())?;
    if !last.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    last.parse().ok()
}

/// Splits server output into complete ops (each `MSG`/`HMSG` together with its payload and
/// trailing `\r\n`, every other op one line), returning them and the incomplete rest.
pub fn server_ops(bytes: &[u8]) -> (Vec<&[u8]>, &[u8]) {
    let mut ops = Vec::new();
    let mut rest = bytes;
    while let Some((len, _)) = next_op(rest) {
        let (op, tail) = rest.split_at(len);
        ops.push(op);
        rest = tail;
    }
    (ops, rest)
}

/// Server output as text without the server's own `PING`s: servers ping their clients on
/// timers of their own (the reference soon after CONNECT), so a transcript read over a
/// slow moment may hold one. Payloads are never touched.
pub fn without_server_pings(bytes: &[u8]) -> String {
    let (ops, rest) = server_ops(bytes);
    let mut kept = Vec::with_capacity(bytes.len());
    for op in ops.into_iter().filter(|op| *op != b"PING\r\n") {
        kept.extend_from_slice(op);
    }
    kept.extend_from_slice(rest);
    String::from_utf8_lossy(&kept).into_owned()
}

/// Normalises a whole transcript of server output: every `INFO` line goes through
/// [`normalize_info_line`], payloads and all other bytes are kept as they are. A trailing
/// incomplete op is kept verbatim.
pub fn normalize(transcript: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(transcript.len());
    let mut rest = transcript;
    while let Some((len, kind)) = next_op(rest) {
        let (op, tail) = rest.split_at(len);
        match kind {
            OpKind::Info => out.extend_from_slice(&normalize_info_line(op)),
            _ => out.extend_from_slice(op),
        }
        rest = tail;
    }
    out.extend_from_slice(rest);
    out
}

/// Removes the [`VOLATILE_INFO_KEYS`] from one `INFO {json} \r\n` line.
///
/// Kept members are copied byte for byte (key, colon, value, including any whitespace and the
/// server's JSON escaping) in their original order; only the dropped members and their commas
/// disappear. The bytes before `{` and after the final `}` (the `INFO ` prefix, the trailing space
/// and `\r\n`) are kept as they are, so they are still compared. A line whose JSON does not parse
/// as an object is returned unchanged, so the difference stays visible.
pub fn normalize_info_line(line: &[u8]) -> Vec<u8> {
    let (Some(open), Some(close)) = (
        line.iter().position(|&b| b == b'{'),
        line.iter().rposition(|&b| b == b'}'),
    ) else {
        return line.to_vec();
    };
    if close < open {
        return line.to_vec();
    }
    let Ok(json) = std::str::from_utf8(&line[open..=close]) else {
        return line.to_vec();
    };
    if !matches!(
        serde_json::from_str::<serde_json::Value>(json),
        Ok(serde_json::Value::Object(_))
    ) {
        return line.to_vec();
    }
    let Some(members) = split_members(&json[1..json.len() - 1]) else {
        return line.to_vec();
    };
    let mut out = Vec::with_capacity(line.len());
    out.extend_from_slice(&line[..open]);
    out.push(b'{');
    let mut first = true;
    for (key, member) in members {
        if VOLATILE_INFO_KEYS.contains(&key.as_str()) {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        out.extend_from_slice(member.as_bytes());
    }
    out.push(b'}');
    out.extend_from_slice(&line[close + 1..]);
    out
}

/// Splits the inside of a JSON object (already known to be valid) into its members, returning
/// each member's decoded key and its verbatim text (`"key":value`).
fn split_members(body: &str) -> Option<Vec<(String, &str)>> {
    if body.trim().is_empty() {
        return Some(Vec::new());
    }
    let mut members = Vec::new();
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let (mut start, mut colon) = (0usize, None);
    let bytes = body.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.checked_sub(1)?,
            b':' if depth == 0 && colon.is_none() => colon = Some(i),
            b',' if depth == 0 => {
                members.push(member(body, start, colon?, i)?);
                start = i + 1;
                colon = None;
            }
            _ => {}
        }
    }
    members.push(member(body, start, colon?, body.len())?);
    Some(members)
}

fn member(body: &str, start: usize, colon: usize, end: usize) -> Option<(String, &str)> {
    let key: String = serde_json::from_str(body[start..colon].trim()).ok()?;
    Some((key, &body[start..end]))
}

/// Renders bytes for a failure message: printable ASCII as is, everything else escaped
/// (`\r`, `\n`, `\t`, `\xNN`), wrapped in `b"..."`.
pub fn escape(bytes: &[u8]) -> String {
    format!("b\"{}\"", bytes.escape_ascii())
}

#[cfg(test)]
mod tests {
    use super::*;

    const REF_INFO: &[u8] = b"INFO {\"server_id\":\"NAGP\",\"server_name\":\"NAGP\",\"version\":\"2.15.0\",\"proto\":1,\"git_commit\":\"eb76367\",\"go\":\"go1.26.10\",\"host\":\"127.0.0.1\",\"port\":15555,\"headers\":true,\"auth_required\":true,\"max_payload\":1048576,\"client_id\":5,\"client_ip\":\"127.0.0.1\",\"api_lvl\":5,\"xkey\":\"XBCA\"} \r\n";

    #[test]
    fn server_pings_go_and_payloads_stay() {
        let output = b"PING\r\nMSG a 1 6\r\nPING\r\n\r\n-ERR 'x'\r\nPING\r\nPI";
        assert_eq!(
            without_server_pings(output),
            "MSG a 1 6\r\nPING\r\n\r\n-ERR 'x'\r\nPI"
        );
    }

    #[test]
    fn info_drops_volatile_keys_and_keeps_order_and_suffix() {
        assert_eq!(
            normalize_info_line(REF_INFO),
            b"INFO {\"proto\":1,\"headers\":true,\"auth_required\":true,\"max_payload\":1048576} \r\n"
        );
    }

    #[test]
    fn info_without_trailing_space_is_still_different() {
        let without = b"INFO {\"server_id\":\"A\",\"proto\":1}\r\n";
        let with = b"INFO {\"server_id\":\"B\",\"proto\":1} \r\n";
        assert_eq!(normalize_info_line(without), b"INFO {\"proto\":1}\r\n");
        assert_ne!(normalize_info_line(without), normalize_info_line(with));
    }

    #[test]
    fn info_differing_only_in_volatile_fields_compare_equal() {
        let a = b"INFO {\"server_id\":\"A\",\"port\":1,\"headers\":true,\"nonce\":\"x\"} \r\n";
        let b = b"INFO {\"server_id\":\"B\",\"port\":2,\"headers\":true} \r\n";
        assert_eq!(normalize_info_line(a), normalize_info_line(b));
    }

    #[test]
    fn kept_values_stay_byte_exact() {
        // Escaping, whitespace, nested values and number spelling are not re-serialised.
        let line = b"INFO {\"client_id\":3, \"name\":\"\\u003cx\\u003e\",\"urls\":[\"a,b\",{\"k\":1}],\"n\":1.0} \r\n";
        assert_eq!(
            normalize_info_line(line),
            b"INFO { \"name\":\"\\u003cx\\u003e\",\"urls\":[\"a,b\",{\"k\":1}],\"n\":1.0} \r\n"
        );
    }

    #[test]
    fn keys_are_matched_decoded_and_case_sensitively() {
        let line = b"INFO {\"Port\":1,\"p\\u006frt\":2} \r\n";
        assert_eq!(normalize_info_line(line), b"INFO {\"Port\":1} \r\n");
    }

    #[test]
    fn broken_or_non_object_json_is_left_alone() {
        for line in [
            &b"INFO {\"port\":1 \r\n"[..],
            b"INFO [1,2] \r\n",
            b"INFO {\"port\":1}} \r\n",
            b"INFO \r\n",
        ] {
            assert_eq!(normalize_info_line(line), line);
        }
    }

    #[test]
    fn empty_object_and_all_dropped() {
        assert_eq!(normalize_info_line(b"INFO {} \r\n"), b"INFO {} \r\n");
        assert_eq!(
            normalize_info_line(b"INFO {\"port\":1,\"host\":\"h\"} \r\n"),
            b"INFO {} \r\n"
        );
    }

    #[test]
    fn transcript_normalises_every_info_but_never_payloads() {
        let payload = b"INFO {\"port\":1} \r\n";
        let mut t = Vec::new();
        t.extend_from_slice(b"INFO {\"port\":1,\"proto\":1} \r\n+OK\r\n");
        t.extend_from_slice(format!("MSG foo 1 {}\r\n", payload.len()).as_bytes());
        t.extend_from_slice(payload);
        t.extend_from_slice(b"\r\nPONG\r\nINFO {\"port\":2,\"connect_info\":true} \r\n");
        let mut want = Vec::new();
        want.extend_from_slice(b"INFO {\"proto\":1} \r\n+OK\r\n");
        want.extend_from_slice(format!("MSG foo 1 {}\r\n", payload.len()).as_bytes());
        want.extend_from_slice(payload);
        want.extend_from_slice(b"\r\nPONG\r\nINFO {\"connect_info\":true} \r\n");
        assert_eq!(normalize(&t), want);
    }

    #[test]
    fn hmsg_payload_is_skipped_by_total_size() {
        let t = b"HMSG r 1 12 17\r\nNATS/1.0\r\n\r\nINFO\r\n\r\nINFO {\"port\":9} \r\n";
        assert_eq!(
            normalize(t),
            b"HMSG r 1 12 17\r\nNATS/1.0\r\n\r\nINFO\r\n\r\nINFO {} \r\n"
        );
    }

    #[test]
    fn incomplete_tail_is_kept_verbatim() {
        let t = b"+OK\r\nMSG foo 1 10\r\nabc";
        assert_eq!(normalize(t), t);
        assert_eq!(normalize(b"INFO {\"port\":1}"), b"INFO {\"port\":1}");
    }

    #[test]
    fn ops_are_split_by_kind() {
        assert_eq!(next_op(b"PONG\r\nx"), Some((6, OpKind::Pong)));
        assert_eq!(next_op(b"PONG\n"), Some((5, OpKind::Other)));
        assert_eq!(next_op(b"MSG a 1 r 3\r\nabc\r\n"), Some((18, OpKind::Msg)));
        assert_eq!(next_op(b"MSG a 1 3\r\nab"), None);
        assert_eq!(next_op(b"MSG a 1 x\r\nab"), Some((11, OpKind::Other)));
        assert_eq!(next_op(b"-ERR 'x'\r\n"), Some((10, OpKind::Other)));
        assert_eq!(next_op(b"+OK"), None);
    }

    #[test]
    fn server_ops_split_and_keep_rest() {
        let (ops, rest) = server_ops(b"+OK\r\nMSG a 1 2\r\nhi\r\nPONG\r\nMSG a 1 5\r\nab");
        assert_eq!(ops, [&b"+OK\r\n"[..], b"MSG a 1 2\r\nhi\r\n", b"PONG\r\n"]);
        assert_eq!(rest, b"MSG a 1 5\r\nab");
    }

    #[test]
    fn escape_is_readable() {
        assert_eq!(escape(b"PONG\r\n\x00\"a"), "b\"PONG\\r\\n\\x00\\\"a\"");
    }
}
