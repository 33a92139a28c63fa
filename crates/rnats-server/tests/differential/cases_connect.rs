//! Cases about CONNECT: its JSON, the options it sets, the async INFO of protocol 1,
//! authentication, and server options visible to clients.

use crate::case::{CONNECT, Case, Setup, cat, publish};

/// The CONNECT, INFO and auth cases.
pub fn cases() -> Vec<Case> {
    let mut cases = connect_json();
    cases.extend(protocol_and_info());
    cases.extend(auth());
    cases.extend(server_options());
    cases
}

fn connect_json() -> Vec<Case> {
    let sync =
        |name: &'static str, json: &str| Case::new(name).sync(0, format!("CONNECT {json}\r\n"));
    let close = |name: &'static str, json: &str| {
        Case::new(name).close(0, format!("CONNECT {json}\r\nPING\r\n"))
    };
    vec![
        sync("connect_verbose_true_ok", "{\"verbose\":true}"),
        sync("connect_verbose_false_silent", "{\"verbose\":false}"),
        sync("connect_empty_object_keeps_verbose_default", "{}"),
        Case::new("connect_without_space").sync(0, "CONNECT{}\r\n"),
        sync("connect_null_is_accepted", "null"),
        sync("connect_verbose_null", "{\"verbose\":null}"),
        sync("connect_upper_case_key", "{\"VERBOSE\":false}"),
        sync(
            "connect_duplicate_key_last_wins",
            "{\"verbose\":false,\"verbose\":true}",
        ),
        sync(
            "connect_unknown_field_ignored",
            "{\"verbose\":false,\"foo\":1}",
        ),
        sync(
            "connect_client_fields_accepted",
            "{\"verbose\":false,\"lang\":\"x\",\"version\":\"1\",\"name\":\"n\",\"user\":\"u\",\"pass\":\"p\",\"auth_token\":\"t\",\"tls_required\":true, \"jwt\":\"x\"}",
        ),
        Case::new("connect_twice_second_wins")
            .sync(0, cat(&[CONNECT, "CONNECT {\"verbose\":true}\r\n"])),
        Case::new("connect_unterminated_json").close(0, "CONNECT {\r\n"),
        Case::new("connect_no_json").close(0, "CONNECT \r\n"),
        close("connect_verbose_string", "{\"verbose\":\"yes\"}"),
        close("connect_trailing_junk", "{\"verbose\":false} junk"),
        close("connect_array", "[]"),
        close(
            "connect_protocol_float",
            "{\"verbose\":false,\"protocol\":1.5}",
        ),
        close(
            "connect_protocol_string",
            "{\"verbose\":false,\"protocol\":\"1\"}",
        ),
        close("connect_name_number", "{\"verbose\":false,\"name\":1}"),
        close(
            "connect_protocol_negative",
            "{\"verbose\":false,\"protocol\":-1}",
        ),
        close("connect_protocol_two", "{\"protocol\":2}"),
        close(
            "connect_account_field",
            "{\"verbose\":false,\"account\":\"A\"}",
        ),
        close(
            "connect_no_responders_without_headers",
            "{\"no_responders\":true}",
        ),
    ]
}

fn protocol_and_info() -> Vec<Case> {
    vec![
        Case::new("protocol1_async_info_after_first_ping")
            .sync(0, "CONNECT {\"verbose\":false,\"protocol\":1}\r\n")
            .sync(0, ""),
        Case::new("protocol1_headers_async_info")
            .sync(
                0,
                "CONNECT {\"verbose\":false,\"protocol\":1,\"headers\":true}\r\n",
            )
            .sync(0, ""),
        Case::new("protocol0_no_async_info")
            .sync(0, "CONNECT {\"verbose\":false,\"protocol\":0}\r\n")
            .sync(0, ""),
        Case::new("protocol1_ping_before_connect")
            .sync(0, "")
            .sync(0, "CONNECT {\"verbose\":false,\"protocol\":1}\r\n")
            .sync(0, ""),
        Case::new("protocol1_two_pings_in_one_write").sync(
            0,
            "CONNECT {\"verbose\":false,\"protocol\":1}\r\nPING\r\nPING\r\n",
        ),
    ]
}

fn auth() -> Vec<Case> {
    let user = |name: &'static str| Case::new(name).with(Setup::USER_PASS);
    let token = |name: &'static str| Case::new(name).with(Setup::TOKEN);
    vec![
        user("auth_user_pass_good").sync(
            0,
            "CONNECT {\"verbose\":true,\"user\":\"u\",\"pass\":\"p\"}\r\n",
        ),
        user("auth_user_pass_wrong_password").close(
            0,
            "CONNECT {\"verbose\":false,\"user\":\"u\",\"pass\":\"x\"}\r\n",
        ),
        user("auth_user_pass_missing").close(0, "CONNECT {\"verbose\":false}\r\n"),
        user("auth_user_pass_token_instead")
            .close(0, "CONNECT {\"verbose\":false,\"auth_token\":\"p\"}\r\n"),
        user("auth_ping_before_connect").close(0, "PING\r\n"),
        user("auth_pub_before_connect").close(0, publish("foo", None, "a")),
        user("auth_then_pubsub").sync(
            0,
            cat(&[
                "CONNECT {\"verbose\":false,\"user\":\"u\",\"pass\":\"p\"}\r\n",
                "SUB foo 1\r\n",
                &publish("foo", None, "a"),
            ]),
        ),
        token("auth_token_good").sync(
            0,
            "CONNECT {\"verbose\":true,\"auth_token\":\"s3cr3t\"}\r\n",
        ),
        token("auth_token_bad").close(0, "CONNECT {\"verbose\":true,\"auth_token\":\"nope\"}\r\n"),
        token("auth_token_as_password").close(
            0,
            "CONNECT {\"verbose\":true,\"user\":\"x\",\"pass\":\"s3cr3t\"}\r\n",
        ),
        token("auth_token_sub_before_connect").close(0, "SUB foo 1\r\n"),
    ]
}

fn server_options() -> Vec<Case> {
    let small = |name: &'static str| Case::new(name).with(Setup::MAX_PAYLOAD_1K);
    let short = |name: &'static str| Case::new(name).with(Setup::MAX_CONTROL_LINE_64);
    vec![
        small("max_payload_1k_exact").sync(
            0,
            format!("{CONNECT}PUB foo 1024\r\n{}\r\n", "z".repeat(1024)),
        ),
        small("max_payload_1k_exceeded").close(0, cat(&[CONNECT, "PUB foo 1025\r\n"])),
        small("max_payload_1k_hpub_exceeded").close(
            0,
            cat(&[
                "CONNECT {\"verbose\":false,\"headers\":true}\r\n",
                "HPUB foo 12 1025\r\n",
            ]),
        ),
        short("max_control_line_64_ok").sync(0, format!("{CONNECT}SUB {} 1\r\n", "s".repeat(60))),
        short("max_control_line_64_exceeded")
            .close(0, format!("{CONNECT}SUB {} 1\r\n", "s".repeat(63))),
    ]
}
