//! Cases about message flow: subscriptions, wildcards, queue groups, UNSUB, echo,
//! request/reply, headers and no-responders. Each connection subscribes to at most one
//! matching subject per publish, so no case depends on the order in which a server delivers
//! one message to several subscriptions of the same connection.

use crate::case::{
    CONNECT, CONNECT_HEADERS, CONNECT_NO_RESPONDERS, CONNECT_VERBOSE, Case, QUIET_MS, cat,
    hpublish, publish,
};

const NATS_HDR: &str = "NATS/1.0\r\nA: 1\r\n\r\n";

/// The message-flow cases.
pub fn cases() -> Vec<Case> {
    let mut cases = subscriptions();
    cases.extend(queues_and_unsub());
    cases.extend(headers());
    cases.extend(replies());
    cases
}

fn subscriptions() -> Vec<Case> {
    vec![
        Case::new("sub_pub_same_connection_verbose").sync(
            0,
            cat(&[
                CONNECT_VERBOSE,
                "SUB foo 1\r\n",
                &publish("foo", None, "hello"),
            ]),
        ),
        Case::new("sub_pub_two_connections")
            .sync(0, cat(&[CONNECT, "SUB foo 7\r\n"]))
            .sync(1, cat(&[CONNECT, &publish("foo", None, "hello")]))
            .sync(0, ""),
        Case::new("sub_zero_length_payload")
            .sync(0, cat(&[CONNECT, "SUB foo 1\r\n"]))
            .sync(1, cat(&[CONNECT, "PUB foo 0\r\n\r\n"])),
        Case::new("sub_before_connect_gets_messages")
            .sync(0, cat(&["SUB foo 1\r\n", &publish("foo", None, "a")])),
        Case::new("msg_with_reply_subject")
            .sync(0, cat(&[CONNECT, "SUB a 1\r\n"]))
            .sync(1, cat(&[CONNECT, &publish("a", Some("b"), "x")])),
        Case::new("wildcard_publish_reaches_no_one_or_wildcards")
            .sync(0, cat(&[CONNECT, "SUB foo.* 1\r\n"]))
            .sync(1, cat(&[CONNECT, "SUB foo.> 2\r\n"]))
            .sync(2, cat(&[CONNECT, "SUB foo.bar 3\r\n"]))
            .sync(3, cat(&[CONNECT, &publish("foo.*", None, "w")])),
        Case::new("wildcard_subscriptions_each_conn")
            .sync(0, cat(&[CONNECT, "SUB foo.* 1\r\n"]))
            .sync(1, cat(&[CONNECT, "SUB foo.> 2\r\n"]))
            .sync(2, cat(&[CONNECT, "SUB > 3\r\n"]))
            .sync(3, cat(&[CONNECT, "SUB *.bar.* 4\r\n"]))
            .sync(
                4,
                cat(&[
                    CONNECT,
                    &publish("foo.bar", None, "1"),
                    &publish("foo.bar.baz", None, "2"),
                    &publish("foo", None, "3"),
                    &publish("x.bar.y", None, "4"),
                ]),
            ),
        Case::new("literal_star_in_token_is_not_wildcard").sync(
            0,
            cat(&[
                CONNECT_VERBOSE,
                "SUB foo* 1\r\n",
                &publish("foo*", None, "a"),
            ]),
        ),
        Case::new("sub_invalid_subjects").sync(
            0,
            cat(&[
                CONNECT_VERBOSE,
                "SUB foo.>.bar 1\r\nSUB foo. 2\r\nSUB .foo 3\r\nSUB foo..bar 4\r\nSUB foo.*x 5\r\n",
            ]),
        ),
        Case::new("sub_whitespace_variants").sync(
            0,
            cat(&[
                CONNECT_VERBOSE,
                "SUB foo  q  1 \r\nSUB foo 2 \r\nSUB\tfoo\t3\r\nSUB foo\r4\r\n",
            ]),
        ),
        Case::new("sub_queue_names").sync(
            0,
            cat(&[
                CONNECT_VERBOSE,
                "SUB foo q.x 1\r\nSUB foo q* 2\r\nSUB foo > 3\r\nSUB foo.* q 4\r\n",
            ]),
        ),
        Case::new("sub_sys_queue_rejected").sync(
            0,
            cat(&[CONNECT_VERBOSE, "SUB foo _sys_ 1\r\nSUB foo _SYS_ 2\r\n"]),
        ),
        Case::new("sub_duplicate_sid_same_subject").sync(
            0,
            cat(&[
                CONNECT,
                "SUB foo 1\r\nSUB foo 1\r\n",
                &publish("foo", None, "a"),
            ]),
        ),
        Case::new("sub_duplicate_sid_other_subject").sync(
            0,
            cat(&[
                CONNECT_VERBOSE,
                "SUB foo 1\r\nSUB bar 1\r\n",
                &publish("foo", None, "a"),
                &publish("bar", None, "b"),
            ]),
        ),
        Case::new("echo_off_skips_own_messages")
            .sync(
                0,
                cat(&[
                    "CONNECT {\"verbose\":false,\"echo\":false}\r\n",
                    "SUB a 1\r\n",
                ]),
            )
            .sync(1, cat(&[CONNECT, "SUB a 2\r\n"]))
            .sync(0, publish("a", None, "x"))
            .sync(1, ""),
        Case::new("echo_null_keeps_echo").sync(
            0,
            cat(&[
                "CONNECT {\"verbose\":false,\"echo\":null}\r\n",
                "SUB a 1\r\n",
                &publish("a", None, "x"),
            ]),
        ),
        Case::new("echo_off_with_protocol_1").sync(
            0,
            cat(&[
                "CONNECT {\"verbose\":false,\"echo\":false,\"protocol\":1}\r\n",
                "SUB a 1\r\n",
                &publish("a", None, "x"),
            ]),
        ),
    ]
}

fn queues_and_unsub() -> Vec<Case> {
    let four = [
        publish("q", None, "1"),
        publish("q", None, "2"),
        publish("q", None, "3"),
        publish("q", None, "4"),
    ]
    .concat();
    vec![
        Case::new("queue_single_member_gets_all")
            .sync(0, cat(&[CONNECT, "SUB q grp 1\r\n"]))
            .sync(1, cat(&[CONNECT, &four])),
        Case::new("queue_two_groups_each_get_all")
            .sync(0, cat(&[CONNECT, "SUB q g1 1\r\n"]))
            .sync(1, cat(&[CONNECT, "SUB q g2 1\r\n"]))
            .sync(2, cat(&[CONNECT, &four])),
        Case::new("queue_members_share_plain_sub_gets_all")
            .sync(0, cat(&[CONNECT, "SUB q 1\r\n"]))
            .sync(1, cat(&[CONNECT, "SUB q grp 1\r\n"]))
            .sync(2, cat(&[CONNECT, "SUB q grp 1\r\n"]))
            .sync(3, cat(&[CONNECT, &four]))
            .pool(&[1, 2]),
        Case::new("unsub_removes_subscription").sync(
            0,
            cat(&[
                CONNECT_VERBOSE,
                "SUB foo 1\r\n",
                &publish("foo", None, "a"),
                "UNSUB 1\r\n",
                &publish("foo", None, "b"),
            ]),
        ),
        Case::new("unsub_max_delivers_exactly_max")
            .sync(0, cat(&[CONNECT, "SUB foo 1\r\nUNSUB 1 2\r\n"]))
            .sync(1, cat(&[CONNECT, &publish("foo", None, "a")]))
            .sync(
                1,
                cat(&[&publish("foo", None, "b"), &publish("foo", None, "c")]),
            )
            .sync(0, ""),
        Case::new("unsub_max_same_connection_verbose").sync(
            0,
            cat(&[
                CONNECT_VERBOSE,
                "SUB foo 1\r\nUNSUB 1 2\r\n",
                &publish("foo", None, "a"),
                &publish("foo", None, "b"),
                &publish("foo", None, "c"),
            ]),
        ),
        Case::new("unsub_max_zero_unsubscribes").sync(
            0,
            cat(&[
                CONNECT_VERBOSE,
                "SUB foo 1\r\nUNSUB 1 0\r\n",
                &publish("foo", None, "a"),
            ]),
        ),
        Case::new("unsub_max_already_reached").sync(
            0,
            cat(&[
                CONNECT,
                "SUB foo 1\r\n",
                &publish("foo", None, "a"),
                &publish("foo", None, "b"),
                "UNSUB 1 1\r\n",
                &publish("foo", None, "c"),
            ]),
        ),
        Case::new("unsub_max_on_queue_member")
            .sync(0, cat(&[CONNECT, "SUB q grp 1\r\nUNSUB 1 3\r\n"]))
            .sync(1, cat(&[CONNECT, &four])),
        Case::new("no_responders_gone_after_unsub_max").sync(
            0,
            cat(&[
                CONNECT_NO_RESPONDERS,
                "SUB r 1\r\nSUB svc 2\r\nUNSUB 2 1\r\n",
                &publish("svc", Some("r"), "a"),
                &publish("svc", Some("r"), "b"),
            ]),
        ),
    ]
}

fn headers() -> Vec<Case> {
    vec![
        Case::new("hpub_to_headers_subscriber").sync(
            0,
            cat(&[
                CONNECT_HEADERS,
                "SUB foo 1\r\n",
                &hpublish("foo", None, NATS_HDR, "hi"),
            ]),
        ),
        Case::new("hpub_with_reply").sync(
            0,
            cat(&[
                CONNECT_HEADERS,
                "SUB foo 1\r\n",
                &hpublish("foo", Some("r"), NATS_HDR, "hi"),
            ]),
        ),
        Case::new("hpub_headers_only").sync(
            0,
            cat(&[
                CONNECT_HEADERS,
                "SUB foo 1\r\n",
                &hpublish("foo", None, "NATS/1.0\r\n\r\n", ""),
            ]),
        ),
        Case::new("hpub_header_size_zero").sync(
            0,
            cat(&[CONNECT_HEADERS, "SUB foo 1\r\nHPUB foo 0 3\r\nabc\r\n"]),
        ),
        Case::new("hpub_opaque_header_bytes").sync(
            0,
            cat(&[CONNECT_HEADERS, "SUB foo 1\r\nHPUB foo 2 3\r\nabc\r\n"]),
        ),
        Case::new("hpub_stripped_for_non_headers_subscriber")
            .sync(0, cat(&[CONNECT, "SUB foo 1\r\n"]))
            .sync(
                1,
                cat(&[
                    CONNECT_HEADERS,
                    &hpublish("foo", Some("r"), NATS_HDR, "body"),
                ]),
            )
            .sync(0, ""),
        Case::new("hpub_verbose_ok").sync(
            0,
            cat(&[
                "CONNECT {\"verbose\":true,\"headers\":true}\r\n",
                &hpublish("foo", None, NATS_HDR, "x"),
            ]),
        ),
        Case::new("hpub_without_headers_closes")
            .close(0, cat(&[CONNECT, &hpublish("foo", None, NATS_HDR, "hi")])),
        Case::new("hpub_before_connect_closes").close(0, hpublish("foo", None, NATS_HDR, "hi")),
        Case::new("hpub_header_larger_than_total").close(
            0,
            cat(&[CONNECT_HEADERS, "HPUB foo 12 10\r\nNATS/1.0\r\n\r\nhi\r\n"]),
        ),
        Case::new("hpub_one_size_only").close(0, cat(&[CONNECT_HEADERS, "HPUB foo 1\r\n"])),
        Case::new("hpub_partial_payload_waits")
            .quiet(
                0,
                cat(&[
                    CONNECT_HEADERS,
                    "SUB foo 1\r\nHPUB foo 12 14\r\nNATS/1.0\r\n",
                ]),
                QUIET_MS,
            )
            .sync(0, "\r\nhi\r\n"),
        // The final PING of the client-side close completes the payload: headers
        // "NATS/1.0\r\nPI", body "NG".
        Case::new("hpub_partial_payload_then_client_eof").quiet(
            0,
            cat(&[
                CONNECT_HEADERS,
                "SUB foo 1\r\nHPUB foo 12 14\r\nNATS/1.0\r\n",
            ]),
            QUIET_MS,
        ),
        Case::new("hpub_split_across_writes").chunked(
            0,
            &[
                CONNECT_HEADERS.as_bytes(),
                b"SUB foo 1\r\nHP",
                b"UB foo 12 14\r\nNATS/",
                b"1.0\r\n\r",
                b"\nh",
                b"i\r\n",
            ],
        ),
    ]
}

fn replies() -> Vec<Case> {
    vec![
        Case::new("request_reply_round_trip")
            .sync(0, cat(&[CONNECT, "SUB svc 1\r\n"]))
            .sync(
                1,
                cat(&[
                    CONNECT,
                    "SUB _INBOX.abc 9\r\n",
                    &publish("svc", Some("_INBOX.abc"), "ask"),
                ]),
            )
            .sync(0, publish("_INBOX.abc", None, "answer"))
            .sync(1, ""),
        Case::new("no_responders_503").sync(
            0,
            cat(&[
                CONNECT_NO_RESPONDERS,
                "SUB r 1\r\n",
                &publish("nobody", Some("r"), "x"),
            ]),
        ),
        Case::new("no_responders_wildcard_reply_sub").sync(
            0,
            cat(&[
                CONNECT_NO_RESPONDERS,
                "SUB r.* 1\r\n",
                &publish("nobody", Some("r.x"), "x"),
            ]),
        ),
        Case::new("no_responders_hpub_request").sync(
            0,
            cat(&[
                CONNECT_NO_RESPONDERS,
                "SUB r 1\r\n",
                &hpublish("nobody", Some("r"), NATS_HDR, "x"),
            ]),
        ),
        Case::new("no_responders_reply_not_subscribed").sync(
            0,
            cat(&[
                CONNECT_NO_RESPONDERS,
                "SUB r 1\r\n",
                &publish("nobody", Some("r.x"), "x"),
            ]),
        ),
        Case::new("no_responders_off_without_flag").sync(
            0,
            cat(&[
                CONNECT_HEADERS,
                "SUB r 1\r\n",
                &publish("nobody", Some("r"), "x"),
            ]),
        ),
        Case::new("no_responders_headers_false").sync(
            0,
            cat(&[
                "CONNECT {\"verbose\":false,\"headers\":false}\r\n",
                "SUB r 1\r\n",
                &publish("nobody", Some("r"), "x"),
            ]),
        ),
        Case::new("no_responders_not_sent_when_responder_exists")
            .sync(0, cat(&[CONNECT, "SUB svc q 1\r\n"]))
            .sync(
                1,
                cat(&[
                    CONNECT_NO_RESPONDERS,
                    "SUB r 1\r\n",
                    &publish("svc", Some("r"), "x"),
                ]),
            )
            .sync(0, ""),
        Case::new("no_responders_without_reply_is_silent").sync(
            0,
            cat(&[
                CONNECT_NO_RESPONDERS,
                "SUB r 1\r\n",
                &publish("nobody", None, "x"),
            ]),
        ),
    ]
}
