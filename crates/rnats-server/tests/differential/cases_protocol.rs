//! Cases about parsing: op names, whitespace, line endings, split writes, argument counts and
//! sizes, limits, and what the server does with ops it does not accept from clients.

use crate::case::{CONNECT, CONNECT_VERBOSE, Case, QUIET_MS, cat, publish};

/// The parsing cases.
pub fn cases() -> Vec<Case> {
    let mut cases = ping_and_whitespace();
    cases.extend(unknown_ops());
    cases.extend(bad_arguments());
    cases.extend(limits());
    cases.extend(split_writes());
    cases
}

fn ping_and_whitespace() -> Vec<Case> {
    vec![
        Case::new("info_on_accept_then_pong").sync(0, ""),
        Case::new("ping_lowercase").sync(0, cat(&[CONNECT, "ping\r\n"])),
        Case::new("ping_mixed_case").sync(0, cat(&[CONNECT, "PiNg\r\n"])),
        Case::new("ping_with_trailing_garbage_pingxyz").sync(0, cat(&[CONNECT, "PINGXYZ\r\n"])),
        Case::new("ping_with_trailing_space").sync(0, cat(&[CONNECT, "PING \r\n"])),
        Case::new("ping_bare_newline").sync(0, cat(&[CONNECT, "PING\n"])),
        Case::new("ping_with_long_argument")
            .sync(0, format!("{CONNECT}PING {}\r\n", "x".repeat(5000))),
        Case::new("pong_from_client_is_silent").sync(0, cat(&[CONNECT, "PONG\r\n"])),
        Case::new("connect_bare_newline_verbose").sync(0, "CONNECT {\"verbose\":true}\n"),
        Case::new("pub_control_line_bare_newline")
            .sync(0, cat(&[CONNECT_VERBOSE, "PUB foo 1\na\r\n"])),
        Case::new("pub_tabs_and_spaces").sync(0, cat(&[CONNECT_VERBOSE, "PUB\tfoo \t 1\r\na\r\n"])),
        Case::new("pub_double_space_after_op")
            .sync(0, cat(&[CONNECT_VERBOSE, "PUB  foo 1\r\na\r\n"])),
        Case::new("pub_trailing_space_before_crlf")
            .sync(0, cat(&[CONNECT_VERBOSE, "PUB foo 1 \r\na\r\n"])),
        Case::new("pub_carriage_return_inside_control_line")
            .sync(0, cat(&[CONNECT_VERBOSE, "PUB foo\rX 1\r\na\r\n"])),
        Case::new("pub_leading_zero_sizes").sync(
            0,
            cat(&[
                CONNECT_VERBOSE,
                "PUB foo 01\r\na\r\nPUB foo 000000001\r\nb\r\n",
            ]),
        ),
        Case::new("pub_zero_length_payload").sync(0, cat(&[CONNECT_VERBOSE, "PUB foo 0\r\n\r\n"])),
        Case::new("pub_reply_subject_verbose").sync(
            0,
            cat(&[CONNECT_VERBOSE, &publish("foo", Some("bar"), "x")]),
        ),
        Case::new("ops_before_connect_are_verbose").sync(0, publish("foo", None, "hi")),
        Case::new("pedantic_before_connect_rejects_wildcard_publish")
            .sync(0, publish("foo.*", None, "a")),
        Case::new("pub_wildcard_subject_not_pedantic").sync(
            0,
            cat(&[
                CONNECT,
                &publish("foo.*", None, "a"),
                &publish("foo.>", None, "b"),
            ]),
        ),
        Case::new("connect_without_pedantic_stays_pedantic").sync(
            0,
            cat(&[
                "CONNECT {\"verbose\":false}\r\n",
                &publish("foo.*", None, "a"),
            ]),
        ),
        Case::new("pub_wildcard_subject_pedantic_verbose").sync(
            0,
            cat(&[
                "CONNECT {\"verbose\":true,\"pedantic\":true}\r\n",
                &publish("foo.*", None, "a"),
            ]),
        ),
        Case::new("pub_invalid_subjects_pedantic").sync(
            0,
            cat(&[
                "CONNECT {\"verbose\":false,\"pedantic\":true}\r\n",
                &publish("foo..bar", None, "a"),
                &publish(".foo", None, "b"),
                &publish("foo.", None, "c"),
                &publish("foo.>.bar", None, "d"),
            ]),
        ),
    ]
}

fn unknown_ops() -> Vec<Case> {
    let close = |name: &'static str, bytes: &str| Case::new(name).close(0, cat(&[CONNECT, bytes]));
    vec![
        Case::new("unknown_op_lone_x_partial").close(0, "X"),
        close("unknown_op_crlf", "\r\n"),
        close("unknown_op_bare_newline", "\n"),
        close("unknown_op_leading_space_ping", " PING\r\n"),
        close("unknown_op_single_p", "P\r\n"),
        close("unknown_op_pubx", "PUBX foo 1\r\n"),
        close("unknown_op_msg_from_client", "MSG foo 1 2\r\nhi\r\n"),
        close("unknown_op_plus_x", "+X\r\n"),
        close("unknown_op_minus_errx", "-ERRX\r\n"),
        close("unknown_op_bare_minus_err", "-ERR\r\n"),
        close("unknown_op_infox", "INFOX\r\n"),
        close("client_err_closes_silently", "-ERR 'x'\r\n"),
        Case::new("client_info_is_ignored").sync(0, cat(&[CONNECT, "INFO {}\r\nINFO{}\r\n"])),
        Case::new("client_ok_is_ignored").sync(0, cat(&[CONNECT, "+OK\r\n+OKXYZ\r\n"])),
        close("unknown_op_after_sync", "PING\r\nQ\r\n"),
        Case::new("unknown_op_in_second_write")
            .sync(0, CONNECT)
            .close(0, "SUBX foo 1\r\n"),
    ]
}

fn bad_arguments() -> Vec<Case> {
    let close =
        |name: &'static str, bytes: &str| Case::new(name).close(0, cat(&[CONNECT_VERBOSE, bytes]));
    vec![
        close("pub_missing_size", "PUB foo\r\n"),
        close("pub_too_many_args", "PUB foo bar baz 1\r\na\r\n"),
        close("pub_negative_size", "PUB foo -1\r\n"),
        close("pub_size_with_suffix", "PUB foo 1x\r\n"),
        close("pub_size_with_plus_sign", "PUB foo +1\r\na\r\n"),
        close("pub_size_ten_digits", "PUB foo 0000000001\r\na\r\n"),
        close("pub_no_args", "PUB\r\n"),
        close("sub_missing_sid", "SUB foo\r\n"),
        close("sub_too_many_args", "SUB foo bar baz 1\r\n"),
        close("unsub_no_args", "UNSUB\r\n"),
        close("unsub_too_many_args", "UNSUB 1 2 3\r\n"),
        close("payload_longer_than_size", "PUB foo 1\r\nabc\r\n"),
        close("payload_then_bare_newline", "PUB foo 1\r\na\n"),
        close("payload_then_cr_and_junk", "PUB foo 1\r\na\rX"),
        Case::new("payload_then_lone_cr_waits")
            .quiet(0, cat(&[CONNECT_VERBOSE, "PUB foo 1\r\na\r"]), QUIET_MS)
            .sync(0, "\n"),
        Case::new("payload_then_lone_cr_then_ping").quiet(
            0,
            cat(&[CONNECT_VERBOSE, "PUB foo 1\r\na\r"]),
            QUIET_MS,
        ),
        Case::new("partial_payload_waits")
            .quiet(0, cat(&[CONNECT_VERBOSE, "PUB foo 5\r\nab"]), QUIET_MS)
            .sync(0, "cde\r\n"),
        Case::new("unsub_non_numeric_max_accepted")
            .sync(0, cat(&[CONNECT_VERBOSE, "UNSUB 1 x\r\n"])),
        Case::new("unsub_unknown_sid_verbose").sync(0, cat(&[CONNECT_VERBOSE, "UNSUB 99\r\n"])),
    ]
}

fn limits() -> Vec<Case> {
    let big = "y".repeat(1_048_576);
    vec![
        Case::new("max_payload_exceeded_by_one")
            .close(0, cat(&[CONNECT_VERBOSE, "PUB foo 1048577\r\n"])),
        Case::new("max_payload_far_exceeded").close(0, cat(&[CONNECT, "PUB foo 2000000\r\n"])),
        Case::new("max_payload_exact_accepted")
            .sync(0, format!("{CONNECT_VERBOSE}PUB foo 1048576\r\n{big}\r\n")),
        Case::new("control_line_just_under_limit").sync(
            0,
            format!("{CONNECT_VERBOSE}SUB {} 1\r\n", "x".repeat(4090)),
        ),
        Case::new("control_line_arg_4096").sync(
            0,
            format!("{CONNECT_VERBOSE}SUB {} 1\r\n", "x".repeat(4094)),
        ),
        Case::new("control_line_arg_4097").close(
            0,
            format!("{CONNECT_VERBOSE}SUB {} 1\r\n", "x".repeat(4095)),
        ),
        Case::new("control_line_over_limit").close(
            0,
            format!("{CONNECT_VERBOSE}PUB foo {} 1\r\na\r\n", "x".repeat(5000)),
        ),
        Case::new("control_line_partial_over_limit")
            .close(0, format!("{CONNECT_VERBOSE}PUB foo {}", "x".repeat(5000))),
        Case::new("control_line_spaces_before_connect_json").sync(
            0,
            format!("CONNECT {}{{\"verbose\":true}}\r\n", " ".repeat(5000)),
        ),
        Case::new("control_line_long_connect_json").close(
            0,
            format!("CONNECT {{\"name\":\"{}\"}}\r\n", "x".repeat(5000)),
        ),
        Case::new("payload_garbage_after_size")
            .close(0, format!("{CONNECT}PUB foo 1\r\n{}", "x".repeat(5000))),
    ]
}

fn split_writes() -> Vec<Case> {
    vec![
        Case::new("split_pub_everywhere").chunked(
            0,
            &[
                CONNECT_VERBOSE.as_bytes(),
                b"PU",
                b"B foo 1\r",
                b"\na",
                b"\r",
                b"\n",
            ],
        ),
        Case::new("split_connect_json").chunked(
            0,
            &[b"CONN", b"ECT {\"verb", b"ose\":tr", b"ue}", b"\r", b"\n"],
        ),
        Case::new("split_ping_by_byte").chunked(
            0,
            &[CONNECT.as_bytes(), b"P", b"I", b"N", b"G", b"\r", b"\n"],
        ),
        Case::new("split_pub_then_partial_op").chunked(
            0,
            &[
                CONNECT_VERBOSE.as_bytes(),
                b"PUB foo 1\r\na\r\nPUB",
                b" bar 2\r\nhi\r\n",
            ],
        ),
        Case::new("split_unknown_op_after_newline")
            .sync(0, cat(&[CONNECT, "PING\r\n"]))
            .close(0, "X"),
        Case::new("split_control_line_over_limit")
            .quiet(0, format!("{CONNECT}SUB {}", "x".repeat(3000)), 20)
            .close(0, format!("{} 1\r\n", "x".repeat(3000))),
    ]
}
