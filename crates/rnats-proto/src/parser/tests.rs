use proptest::prelude::*;

use super::*;

/// An owned copy of what the parser produced, so runs can be compared.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    Connect(Vec<u8>),
    Info(Vec<u8>),
    Publish {
        subject: Vec<u8>,
        reply: Option<Vec<u8>>,
        headers: Option<Vec<u8>>,
        payload: Vec<u8>,
    },
    Subscribe {
        subject: Vec<u8>,
        queue: Option<Vec<u8>>,
        sid: Vec<u8>,
    },
    Unsubscribe {
        sid: Vec<u8>,
        max: Option<u64>,
    },
    Ping,
    Pong,
    Ok,
    Err(Vec<u8>),
    Failed(ParseError),
}

impl Event {
    fn from_op(op: ClientOp<'_>) -> Event {
        match op {
            ClientOp::Connect(json) => Event::Connect(json.to_vec()),
            ClientOp::Info(json) => Event::Info(json.to_vec()),
            ClientOp::Publish(p) => Event::Publish {
                subject: p.subject.to_vec(),
                reply: p.reply.map(<[u8]>::to_vec),
                headers: p.headers.map(<[u8]>::to_vec),
                payload: p.payload.to_vec(),
            },
            ClientOp::Subscribe {
                subject,
                queue,
                sid,
            } => Event::Subscribe {
                subject: subject.to_vec(),
                queue: queue.map(<[u8]>::to_vec),
                sid: sid.to_vec(),
            },
            ClientOp::Unsubscribe { sid, max } => Event::Unsubscribe {
                sid: sid.to_vec(),
                max,
            },
            ClientOp::Ping => Event::Ping,
            ClientOp::Pong => Event::Pong,
            ClientOp::Ok => Event::Ok,
            ClientOp::Err(text) => Event::Err(text.to_vec()),
        }
    }
}

/// Feeds `stream` to a fresh parser in the given chunks, the way a connection's reader does:
/// unconsumed bytes stay at the front of the buffer and each read is appended to them.
fn drive(parser: &mut ClientParser, chunks: &[&[u8]]) -> (Vec<Event>, usize) {
    let mut buffer: Vec<u8> = Vec::new();
    let mut events = Vec::new();
    for chunk in chunks {
        buffer.extend_from_slice(chunk);
        let mut pos = 0;
        loop {
            match parser.parse(&buffer[pos..]) {
                Ok(Parsed::Op { op, len }) => {
                    events.push(Event::from_op(op));
                    pos += len;
                }
                Ok(Parsed::Skipped(n)) => {
                    assert!(n > 0, "Skipped(0) would loop forever");
                    pos += n;
                }
                Ok(Parsed::Incomplete { .. }) => break,
                Err(error) => {
                    events.push(Event::Failed(error));
                    return (events, 0);
                }
            }
        }
        buffer.drain(..pos);
    }
    (events, buffer.len())
}

fn parse_whole(input: &[u8]) -> Vec<Event> {
    drive(&mut ClientParser::default(), &[input]).0
}

fn parse_with(parser: &mut ClientParser, input: &[u8]) -> Vec<Event> {
    drive(parser, &[input]).0
}

fn publish(subject: &str, reply: Option<&str>, payload: &str) -> Event {
    Event::Publish {
        subject: subject.into(),
        reply: reply.map(Into::into),
        headers: None,
        payload: payload.into(),
    }
}

#[test]
fn parses_every_client_op() {
    let input = b"CONNECT {\"verbose\":false}\r\nPUB foo 5\r\nhello\r\nPUB foo bar 0\r\n\r\n\
SUB foo 1\r\nSUB foo q 2\r\nUNSUB 1\r\nUNSUB 2 10\r\nPING\r\nPONG\r\n+OK\r\nINFO {}\r\n-ERR 'x'\r\n";
    assert_eq!(
        parse_whole(input),
        vec![
            Event::Connect(b"{\"verbose\":false}".to_vec()),
            publish("foo", None, "hello"),
            publish("foo", Some("bar"), ""),
            Event::Subscribe {
                subject: "foo".into(),
                queue: None,
                sid: "1".into()
            },
            Event::Subscribe {
                subject: "foo".into(),
                queue: Some("q".into()),
                sid: "2".into()
            },
            Event::Unsubscribe {
                sid: "1".into(),
                max: None
            },
            Event::Unsubscribe {
                sid: "2".into(),
                max: Some(10)
            },
            Event::Ping,
            Event::Pong,
            Event::Ok,
            Event::Info(b"{}".to_vec()),
            Event::Err(b"'x'".to_vec()),
        ]
    );
}

#[test]
fn op_names_are_case_insensitive_and_blanks_are_flexible() {
    assert_eq!(
        parse_whole(b"ping\r\npInG\r\n"),
        vec![Event::Ping, Event::Ping]
    );
    assert_eq!(
        parse_whole(b"pub\tfoo \t 1\r\na\r\n"),
        vec![publish("foo", None, "a")]
    );
    assert_eq!(
        parse_whole(b"PUB  foo 1 \r\na\r\n"),
        vec![publish("foo", None, "a")]
    );
    assert_eq!(
        parse_whole(b"PUB foo 1\na\r\n"),
        vec![publish("foo", None, "a")]
    );
    assert_eq!(
        parse_whole(b"sub foo  q  1 \r\n"),
        vec![Event::Subscribe {
            subject: "foo".into(),
            queue: Some("q".into()),
            sid: "1".into()
        }]
    );
    assert_eq!(
        parse_whole(b"CONNECT{}\r\n"),
        vec![Event::Connect(b"{}".to_vec())]
    );
    assert_eq!(
        parse_whole(b"INFO{}\r\n"),
        vec![Event::Info(b"{}".to_vec())]
    );
}

#[test]
fn rest_of_ping_pong_and_ok_lines_is_ignored() {
    assert_eq!(
        parse_whole(b"PINGXYZ\r\nPONG junk\r\n+OKAY\r\n"),
        vec![Event::Ping, Event::Pong, Event::Ok]
    );
    // A long tail after PING is discarded as it arrives, never buffered.
    let mut parser = ClientParser::default();
    let tail = vec![b'x'; 100_000];
    let (events, kept) = drive(&mut parser, &[b"PING ", &tail]);
    assert!(events.is_empty());
    assert_eq!(kept, 0);
    assert_eq!(drive(&mut parser, &[b"\r\n"]).0, vec![Event::Ping]);
}

#[test]
fn unknown_operations_fail_at_the_first_wrong_byte() {
    for input in [
        &b"X"[..],
        b"\r\n",
        b"\n",
        b" PING\r\n",
        b"P\r\n",
        b"PUBX foo 1\r\n",
        b"MSG foo 1 2\r\nhi\r\n",
        b"+X\r\n",
        b"-ERRX\r\n",
        b"-ERR\r\n",
        b"UNSUB\r\n",
        b"HMSG foo 1 2\r\n",
    ] {
        assert_eq!(
            parse_whole(input),
            vec![Event::Failed(ParseError::UnknownOperation)],
            "{input:?}"
        );
    }
    // Prefixes of valid names wait for more bytes.
    for input in [&b"P"[..], b"PU", b"PUB", b"CONNEC", b"UNSUB", b"-ER", b"+O"] {
        assert_eq!(
            drive(&mut ClientParser::default(), &[input]).0,
            vec![],
            "{input:?}"
        );
    }
}

#[test]
fn payload_must_end_with_crlf() {
    assert_eq!(
        parse_whole(b"PUB foo 1\r\nabc\r\n"),
        vec![Event::Failed(ParseError::UnknownOperation)]
    );
    assert_eq!(
        parse_whole(b"PUB foo 1\r\na\n"),
        vec![Event::Failed(ParseError::UnknownOperation)]
    );
    assert_eq!(
        parse_whole(b"PUB foo 1\r\na\rX"),
        vec![Event::Failed(ParseError::UnknownOperation)]
    );
    assert_eq!(parse_whole(b"PUB foo 1\r\na\r"), vec![]);
}

#[test]
fn argument_errors_close_silently() {
    let cases: [(&[u8], ParseError); 9] = [
        (b"PUB foo\r\n", ParseError::Arguments(OpKind::Pub)),
        (b"PUB foo bar baz 1\r\n", ParseError::Arguments(OpKind::Pub)),
        (b"SUB foo\r\n", ParseError::Arguments(OpKind::Sub)),
        (b"SUB foo bar baz 1\r\n", ParseError::Arguments(OpKind::Sub)),
        (b"UNSUB 1 2 3\r\n", ParseError::Arguments(OpKind::Unsub)),
        (b"PUB foo -1\r\n", ParseError::Size(OpKind::Pub)),
        (b"PUB foo +1\r\n", ParseError::Size(OpKind::Pub)),
        (b"PUB foo 1x\r\n", ParseError::Size(OpKind::Pub)),
        (b"PUB foo 0000000001\r\n", ParseError::Size(OpKind::Pub)),
    ];
    for (input, error) in cases {
        assert_eq!(error.reply(), None);
        assert_eq!(parse_whole(input), vec![Event::Failed(error)], "{input:?}");
    }
    assert_eq!(
        parse_whole(b"PUB foo 000000001\r\na\r\n"),
        vec![publish("foo", None, "a")]
    );
}

#[test]
fn unsub_max_that_is_not_positive_removes_now() {
    assert_eq!(
        parse_whole(b"UNSUB 1 x\r\nUNSUB 2 0\r\n"),
        vec![
            Event::Unsubscribe {
                sid: "1".into(),
                max: None
            },
            Event::Unsubscribe {
                sid: "2".into(),
                max: None
            },
        ]
    );
}

#[test]
fn max_payload_is_checked_before_the_payload_arrives() {
    assert_eq!(
        parse_whole(b"PUB foo 1048577\r\n"),
        vec![Event::Failed(ParseError::MaxPayload {
            size: 1_048_577,
            max: 1_048_576
        })]
    );
    assert_eq!(parse_whole(b"PUB foo 1048576\r\n"), vec![]);
    let mut small = ClientParser::new(DEFAULT_MAX_CONTROL_LINE, 4);
    assert_eq!(
        parse_with(&mut small, b"PUB foo 4\r\nabcd\r\n"),
        vec![publish("foo", None, "abcd")]
    );
    assert!(matches!(
        parse_with(&mut small, b"PUB foo 5\r\n")[..],
        [Event::Failed(ParseError::MaxPayload { .. })]
    ));
}

#[test]
fn max_control_line_counts_only_the_arguments() {
    let line = |n: usize| {
        let mut v = b"SUB ".to_vec();
        v.extend(std::iter::repeat_n(b'x', n));
        v.extend_from_slice(b" 1\r\n");
        v
    };
    // "x..x 1" is n + 2 bytes long.
    assert_eq!(parse_whole(&line(4094)).len(), 1);
    assert!(!matches!(parse_whole(&line(4094))[0], Event::Failed(_)));
    assert!(matches!(
        parse_whole(&line(4095))[..],
        [Event::Failed(ParseError::MaxControlLine { .. })]
    ));
    // Blanks before the arguments are not counted.
    let mut connect = b"CONNECT ".to_vec();
    connect.extend(std::iter::repeat_n(b' ', 5000));
    connect.extend_from_slice(b"{}\r\n");
    assert_eq!(parse_whole(&connect), vec![Event::Connect(b"{}".to_vec())]);
    // A partial line that is already too long fails without waiting for its end.
    let mut partial = b"PUB foo ".to_vec();
    partial.extend(std::iter::repeat_n(b'x', 5000));
    assert!(matches!(
        parse_whole(&partial)[..],
        [Event::Failed(ParseError::MaxControlLine { .. })]
    ));
}

#[test]
fn a_carriage_return_inside_the_arguments_separates_them() {
    assert_eq!(
        parse_whole(b"PUB foo\rX 1\r\na\r\n"),
        vec![publish("foo", Some("X"), "a")]
    );
    assert_eq!(
        parse_whole(b"SUB foo\r1\r\n"),
        vec![Event::Subscribe {
            subject: "foo".into(),
            queue: None,
            sid: "1".into()
        }]
    );
    // An empty argument line: the CR is the argument, as in the reference.
    assert_eq!(
        parse_whole(b"CONNECT \r\n"),
        vec![Event::Connect(b"\r".to_vec())]
    );
}

#[test]
fn headers_need_negotiation_and_consistent_sizes() {
    let hpub = b"HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n";
    assert_eq!(
        parse_whole(hpub),
        vec![Event::Failed(ParseError::HeadersNotSupported)]
    );
    let mut parser = ClientParser::default();
    parser.set_headers(true);
    assert_eq!(
        parse_with(&mut parser, hpub),
        vec![Event::Publish {
            subject: "foo".into(),
            reply: None,
            headers: Some(b"NATS/1.0\r\n\r\n".to_vec()),
            payload: b"hi".to_vec(),
        }]
    );
    assert_eq!(
        parse_with(&mut parser, b"HPUB foo r 0 3\r\nabc\r\n"),
        vec![publish("foo", Some("r"), "abc")]
    );
    assert_eq!(
        parse_with(&mut parser, b"HPUB foo 12 10\r\n"),
        vec![Event::Failed(ParseError::HeaderSizeExceedsTotal)]
    );
    assert_eq!(
        parse_with(
            &mut ClientParser {
                headers: true,
                ..ClientParser::default()
            },
            b"HPUB foo 1\r\n"
        ),
        vec![Event::Failed(ParseError::Arguments(OpKind::Hpub))]
    );
}

#[test]
fn only_connect_may_come_first_when_auth_is_required() {
    let mut parser = ClientParser::default();
    parser.set_awaiting_connect(true);
    assert_eq!(
        parse_with(&mut parser, b"PING\r\n"),
        vec![Event::Failed(ParseError::AuthorizationViolation)]
    );
    let mut parser = ClientParser::default();
    parser.set_awaiting_connect(true);
    assert_eq!(
        parse_with(&mut parser, b"connect {}\r\n"),
        vec![Event::Connect(b"{}".to_vec())]
    );
}

#[test]
fn incomplete_payload_reports_the_length_it_needs() {
    let mut parser = ClientParser::default();
    let input = b"PUB foo 10\r\nabc";
    // The op name is consumed first; the rest is kept and reports the length it needs.
    assert_eq!(parser.parse(input), Ok(Parsed::Skipped(4)));
    assert_eq!(
        parser.parse(&input[4..]),
        Ok(Parsed::Incomplete { needed: 8 + 10 + 2 })
    );
}

#[test]
fn blanks_before_arguments_are_never_kept() {
    let mut input = b"SUB".to_vec();
    input.extend(std::iter::repeat_n(b' ', 100_000));
    input.extend_from_slice(b"foo");
    let (events, kept) = drive(&mut ClientParser::default(), &[&input]);
    assert!(events.is_empty());
    assert_eq!(kept, 3, "only the partial argument is kept");
}

/// Well-formed and malformed operations to build streams from.
fn fragment() -> impl Strategy<Value = Vec<u8>> {
    let word = "[a-z*>.]{1,6}";
    prop_oneof![
        (word, 0usize..40)
            .prop_map(|(s, n)| format!("PUB {s} {n}\r\n{}\r\n", "p".repeat(n)).into_bytes()),
        (word, word, 0usize..8).prop_map(|(s, r, n)| format!(
            "pub {s}\t{r}  {n}\r\n{}\r\n",
            "z".repeat(n)
        )
        .into_bytes()),
        (word, 0usize..20).prop_map(|(s, n)| format!(
            "HPUB {s} 12 {}\r\nNATS/1.0\r\n\r\n{}\r\n",
            12 + n,
            "h".repeat(n)
        )
        .into_bytes()),
        (word, "[0-9]{1,3}").prop_map(|(s, sid)| format!("SUB {s} {sid}\r\n").into_bytes()),
        (word, word, "[0-9]{1,3}")
            .prop_map(|(s, q, sid)| format!("SUB {s} {q} {sid}\n").into_bytes()),
        ("[0-9]{1,3}", "[0-9a-z]{0,3}")
            .prop_map(|(sid, max)| format!("UNSUB {sid} {max}\r\n").into_bytes()),
        Just(b"PING\r\n".to_vec()),
        Just(b"PONG trailing junk\r\n".to_vec()),
        Just(b"+OK\r\n".to_vec()),
        Just(b"CONNECT {\"verbose\":false}\r\n".to_vec()),
        Just(b"INFO {}\r\n".to_vec()),
        prop::collection::vec(any::<u8>(), 0..12),
    ]
}

proptest! {}

proptest! {
    /// Whenever the PUB fast path answers, the general parser gives the same answer.
    #[test]
    fn the_publish_fast_path_agrees_with_the_general_parser(
        line in prop::collection::vec(prop_oneof![
            6 => b'a'..=b'e', 3 => Just(b' '), 1 => Just(b'\t'), 2 => Just(b'\r'), 1 => Just(b'\n'),
            2 => b'0'..=b'9', 1 => Just(b'!'), 1 => 0u8..0x20u8,
        ], 0..40),
        payload_len in 0usize..12,
        tail in prop_oneof![Just(b"\r\n".to_vec()), Just(b"\n\r".to_vec()), Just(b"\r".to_vec()), Just(Vec::new())],
        max_control_line in prop_oneof![Just(4096usize), 1usize..24],
        max_payload in prop_oneof![Just(1usize << 20), 0usize..8],
    ) {
        let mut buf = b"PUB ".to_vec();
        buf.extend_from_slice(&line);
        buf.extend(std::iter::repeat_n(b'p', payload_len));
        buf.extend_from_slice(&tail);
        if let Some(fast) = super::fast_publish::parse(&buf, max_control_line, max_payload) {
            let mut general = ClientParser::new(max_control_line, max_payload);
            prop_assert_eq!(Ok(fast), general.parse_args(OpKind::Pub, &buf, 4));
        }
    }

    /// The PUB argument splitter finds what the general split finds, or refuses the same lines.
    #[test]
    fn publish_args_match_the_general_split(bytes in prop::collection::vec(prop_oneof![
        6 => b'a'..=b'e', 2 => Just(b' '), 1 => Just(b'\t'), 1 => Just(b'\r'), 1 => b'0'..=b'9',
    ], 0..24)) {
        let args = super::Args::split(&bytes);
        let expected = match args.as_slice() {
            [subject, size] => Some((*subject, None, *size)),
            [subject, reply, size] => Some((*subject, Some(*reply), *size)),
            _ => None,
        };
        prop_assert_eq!(super::publish_args(&bytes), expected);
    }

    /// Ordinary PUBs do take the fast path (so the test above is not vacuous).
    #[test]
    fn ordinary_publishes_take_the_fast_path(
        subject in "[a-z.]{1,12}", reply in proptest::option::of("[A-Z_.]{1,12}"), payload_len in 0usize..64,
    ) {
        let reply_part = reply.as_ref().map(|r| format!(" {r}")).unwrap_or_default();
        let mut buf = format!("PUB {subject}{reply_part} {payload_len}\r\n").into_bytes();
        buf.extend(std::iter::repeat_n(b'x', payload_len));
        buf.extend_from_slice(b"\r\n");
        prop_assert!(super::fast_publish::parse(&buf, 4096, 1 << 20).is_some());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// However a stream is split into reads, the parser yields the same ops and errors.
    #[test]
    fn splitting_a_stream_never_changes_the_result(
        fragments in prop::collection::vec(fragment(), 0..24),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..16),
        headers in any::<bool>(),
        max_control_line in prop_oneof![Just(4096usize), 4usize..32],
    ) {
        let stream: Vec<u8> = fragments.concat();
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(stream.len() + 1)).collect();
        points.sort_unstable();
        let mut chunks = Vec::new();
        let mut last = 0;
        for point in points {
            chunks.push(&stream[last..point]);
            last = point;
        }
        chunks.push(&stream[last..]);
        let fresh = || {
            let mut parser = ClientParser::new(max_control_line, 64);
            parser.set_headers(headers);
            parser
        };
        let whole = drive(&mut fresh(), &[&stream]);
        let split = drive(&mut fresh(), &chunks);
        prop_assert_eq!(whole, split);
    }

    /// Byte-at-a-time delivery is the worst split of all.
    #[test]
    fn one_byte_reads_match_one_read(fragments in prop::collection::vec(fragment(), 0..12)) {
        let stream: Vec<u8> = fragments.concat();
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        prop_assert_eq!(drive(&mut ClientParser::default(), &[&stream]), drive(&mut ClientParser::default(), &bytes));
    }

    /// Arbitrary bytes never panic the parser, and it always makes progress or asks for more.
    #[test]
    fn arbitrary_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..512)) {
        let mut parser = ClientParser::new(64, 64);
        let _ = drive(&mut parser, &[&input]);
    }
}
