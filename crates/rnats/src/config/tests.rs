//! What configuration files set, and the errors and warnings they give.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::*;
use rnats_server::Authentication;

/// Writes `text` to a fresh file and loads it.
fn load_text(text: &str, strict: bool) -> Result<FileConfig, ConfigError> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "rnats-config-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("t.conf");
    std::fs::write(&path, text).expect("write config");
    let result = load(&path, strict);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn loaded(text: &str) -> FileConfig {
    load_text(text, false).unwrap_or_else(|error| panic!("{text:?} should load: {error}"))
}

/// The problems of a file that does not load, without the temporary path.
fn problems(text: &str, strict: bool) -> Vec<String> {
    let error = load_text(text, strict).expect_err("should not load");
    error
        .problems
        .iter()
        .map(|line| match line.split_once("t.conf:") {
            Some((_, rest)) => rest.to_owned(),
            None => line.clone(),
        })
        .collect()
}

#[test]
fn core_options_and_sizes() {
    let file = loaded(
        "listen: 127.0.0.1:4333\nserver_name: edge-1\nmax_payload: 2MB\nmax_pending: 100MB\n\
         max_control_line: 8KB\nmax_connections: 10\nmax_subs: 5\nping_interval: \"30s\"\n\
         ping_max: 4\nwrite_deadline: \"3s\"\nlame_duck_duration: \"1m\"\n\
         lame_duck_grace_period: \"5s\"\nmax_closed_clients: 7\nmax_traced_msg_len: 64\n\
         no_header_support: true\nhttp: 127.0.0.1:8333\nhttp_base_path: /nats\n",
    );
    let options = &file.options;
    assert_eq!((options.host.as_str(), options.port), ("127.0.0.1", 4333));
    assert_eq!(options.server_name.as_deref(), Some("edge-1"));
    assert_eq!(options.max_payload, 2 * 1024 * 1024);
    assert_eq!(options.max_pending, 100 * 1024 * 1024);
    assert_eq!(options.max_control_line, 8 * 1024);
    assert_eq!(
        (options.max_connections, options.max_subscriptions),
        (10, 5)
    );
    assert_eq!(options.ping_interval, Duration::from_secs(30));
    assert_eq!(options.ping_max, 4);
    assert_eq!(options.write_deadline, Duration::from_secs(3));
    assert_eq!(options.lame_duck_duration, Duration::from_secs(60));
    assert_eq!(options.lame_duck_grace_period, Duration::from_secs(5));
    assert_eq!(options.max_closed_clients, 7);
    assert_eq!(options.max_traced_msg_len, 64);
    assert!(options.no_header_support);
    assert_eq!(options.http_host.as_deref(), Some("127.0.0.1"));
    assert_eq!(options.http_port, Some(8333));
    assert_eq!(options.http_base_path, "/nats");
    assert!(file.warnings.is_empty() && file.ignored_blocks.is_empty());
    assert!(file.digest.starts_with("sha256:"));
}

#[test]
fn keys_match_in_any_case_and_zero_means_the_default() {
    let file = loaded("PORT: -1\nDebug: true\nmax_payload: 0\nping_interval: \"0s\"\n");
    assert_eq!(file.options.port, 0, "-1 is a random port");
    assert!(file.log.debug);
    assert_eq!(file.options.max_payload, rnats_server::DEFAULT_MAX_PAYLOAD);
    assert_eq!(
        file.options.ping_interval,
        rnats_server::DEFAULT_PING_INTERVAL
    );
}

#[test]
fn logging_keys() {
    let file = loaded(
        "debug: true\ntrace: true\nlogtime: false\nlogtime_utc: true\nlog_file: \"/tmp/x.log\"\n\
         log_size_limit: 1KB\nlogfile_max_num: 3\nlog_json: true\n",
    );
    let log = &file.log;
    assert!(log.debug && log.trace && !log.time && log.utc && log.json);
    assert_eq!(
        log.file.as_deref(),
        Some(std::path::Path::new("/tmp/x.log"))
    );
    assert_eq!((log.size_limit, log.max_files), (1024, 3));
}

#[test]
fn authorization_block() {
    let file = loaded("authorization { user: a, password: b, timeout: 1.5 }");
    assert_eq!(
        file.options.auth,
        Authentication::UserPassword {
            user: "a".into(),
            password: "b".into()
        }
    );
    assert_eq!(file.options.auth_timeout, Duration::from_millis(1500));
    let file = loaded("authorization { token: s3cr3t }");
    assert_eq!(file.options.auth, Authentication::Token("s3cr3t".into()));
}

#[test]
fn variables_are_not_options() {
    let file = loaded("PAYLOAD = 2MB\nmax_payload: $PAYLOAD\n");
    assert_eq!(file.options.max_payload, 2 * 1024 * 1024);
}

#[test]
fn errors_use_the_reference_text() {
    assert_eq!(
        problems("port: 4222\nbogus_key: 1", false),
        ["2:1: unknown field \"bogus_key\""]
    );
    assert_eq!(
        problems("port: \"x\"", false),
        ["1:0: interface conversion: interface {} is string, not int64"]
    );
    assert_eq!(
        problems("debug: \"x\"", false),
        ["1:0: interface conversion: interface {} is string, not bool"]
    );
    assert_eq!(
        problems("max_payload: 100GB", false),
        ["1:0: max_payload value is too big"]
    );
    assert_eq!(
        problems("server_name: \"a b\"", false),
        ["1:0: server name cannot contain spaces"]
    );
    assert_eq!(
        problems("lame_duck_duration: \"5s\"", false),
        ["1:0: invalid lame_duck_duration of 5s, minimum is 30 seconds"]
    );
    assert_eq!(
        problems("lame_duck_grace_period: \"-1s\"", false),
        ["1:0: invalid lame_duck_grace_period, needs to be positive"]
    );
    assert_eq!(
        problems("write_deadline: \"2x\"", false),
        ["1:0: error parsing write_deadline: time: unknown unit \"x\" in duration \"2x\""]
    );
    assert_eq!(
        problems("max_payload: 1MB\nmax_pending: 1KB", false),
        ["max_payload (1048576) cannot be higher than max_pending (1024)"]
    );
    assert_eq!(
        problems("listen: \"localhost\"", false),
        ["1:0: could not parse address string \"localhost\""]
    );
    assert_eq!(
        problems("authorization { token: t, bogus: 1 }", false),
        ["1:26: unknown field \"bogus\""]
    );
}

#[test]
fn seconds_for_a_duration_warn_and_strict_mode_refuses_them() {
    let file = loaded("ping_interval: 5");
    assert_eq!(file.options.ping_interval, Duration::from_secs(5));
    assert_eq!(file.warnings.len(), 1);
    assert!(file.warnings[0].ends_with(
        "1:0: invalid use of field \"ping_interval\": ping_interval should be converted to a duration"
    ));
    assert_eq!(
        problems("bogus: 1\nport: \"x\"\nping_interval: 5", true),
        [
            "3:1: invalid use of field \"ping_interval\": ping_interval should be converted to a duration",
            "1:0: unknown field \"bogus\"",
            "2:1: interface conversion: interface {} is string, not int64",
        ],
        "warnings first, then errors, as the reference reports them"
    );
}

#[test]
fn later_capabilities_are_checked_then_ignored() {
    let file = loaded(
        "cluster { name: c, port: 6222, routes: [nats://a:6222] }\n\
         websocket { port: 8080, no_tls: true }\njetstream: enabled\nleafnodes { port: 7422 }\n\
         mqtt { port: 1883 }\ngateway { name: A, port: 7222 }\n",
    );
    let ignored: Vec<&str> = file
        .ignored_blocks
        .iter()
        .map(|(key, _)| key.as_str())
        .collect();
    assert_eq!(
        ignored,
        [
            "cluster",
            "websocket",
            "jetstream",
            "leafnodes",
            "mqtt",
            "gateway"
        ]
    );
    assert!(loaded("jetstream: disabled").ignored_blocks.is_empty());
    assert_eq!(
        problems("cluster { port: 6222, bogus: 1 }", false),
        ["1:22: unknown field \"bogus\""]
    );
}

#[test]
fn security_settings_rnats_lacks_stop_the_server() {
    for text in [
        "tls { cert_file: a, key_file: b, pinned_certs: [x] }",
        "accounts { A: { mappings: { a: b } } }",
        "authorization { auth_callout { issuer: x } }",
        "resolver_tls: { cert_file: x }",
    ] {
        let problems = problems(text, false);
        assert_eq!(problems.len(), 1, "{text}");
        assert!(
            problems[0].contains("not supported by rnats yet"),
            "{text}: {problems:?}"
        );
    }
}

#[test]
fn users_permissions_and_no_auth_user() {
    let file = loaded(
        "authorization {\n  users: [\n    {user: a, password: b, permissions: {\n      \
         publish: {allow: [\"foo.*\"], deny: \"foo.bar\"}, subscribe: \"q.* grp\",\n      \
         allow_responses: {max: 3, ttl: \"1m\"}}}\n    {username: c, pass: d}\n    \
         {nkey: UCVDMTZAX3KMCOT4NYMFC4JRIYNUPWNB4DWOB64TBLE5NK4SKCIVISRL, \
         permissions: {pub: x, sub: {deny: [y]}, publish_allow_responses: true}}\n  ]\n  \
         default_permissions: {import: \"default.>\"}\n}\nno_auth_user: c\n",
    );
    let options = &file.options;
    assert_eq!(options.users.len(), 3);
    let a = &options.users[0];
    assert_eq!(a.name(), "a");
    let permissions = a.permissions.as_ref().expect("a's permissions");
    assert_eq!(
        permissions.publish,
        Some(rnats_server::SubjectPermission {
            allow: vec!["foo.*".into()],
            deny: vec!["foo.bar".into()],
        })
    );
    assert_eq!(
        permissions.subscribe,
        Some(rnats_server::SubjectPermission::allow(&["q.* grp"]))
    );
    assert_eq!(
        permissions.allow_responses,
        Some(rnats_server::ResponsePermission {
            max: 3,
            expires: Duration::from_secs(60),
        })
    );
    assert!(options.users[1].permissions.is_none());
    assert!(
        options.users[2].credentials
            == rnats_server::UserCredentials::Nkey(
                "UCVDMTZAX3KMCOT4NYMFC4JRIYNUPWNB4DWOB64TBLE5NK4SKCIVISRL".into()
            )
    );
    let nkey_permissions = options.users[2].permissions.as_ref().expect("nkey's");
    assert_eq!(
        nkey_permissions.allow_responses,
        Some(rnats_server::ResponsePermission::default())
    );
    assert_eq!(
        nkey_permissions.subscribe,
        Some(rnats_server::SubjectPermission::deny(&["y"]))
    );
    assert_eq!(
        options
            .default_permissions
            .as_ref()
            .and_then(|p| p.publish.clone()),
        Some(rnats_server::SubjectPermission::allow(&["default.>"]))
    );
    assert_eq!(options.no_auth_user.as_deref(), Some("c"));
    assert!(rnats_server::has_plaintext_passwords(options));
}

#[test]
fn authorization_errors_in_the_reference_words() {
    let cases: &[(&str, &str)] = &[
        (
            "authorization { users: [ {user: a, password: b} ], token: x }",
            "1:0: Can not have a token and a users array",
        ),
        (
            "authorization { users: [ {nkey: UBAD} ] }",
            "1:26: Not a valid public nkey for a user",
        ),
        (
            "authorization { users: [ {user: a, password: b, permissions: {publish: 1}} ] }",
            "Expected subject permissions to be a subject, or array of subjects, got int64",
        ),
        (
            "authorization { users: [ {user: a, password: b, permissions: {sub: \"a..b\"}} ] }",
            "subject \"a..b\" is not a valid subject",
        ),
        (
            "authorization { users: [ {user: a, password: b}, {user: a, password: c} ] }",
            "1:0: Duplicate user \"a\" detected",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(problems(text, false), [*expected], "{text}");
    }
}

#[test]
fn no_auth_user_must_name_a_user_when_the_server_starts() {
    assert_eq!(
        problems("no_auth_user: z\n", false),
        ["no_auth_user: \"z\" present, but users/nkeys are not defined"]
    );
    assert_eq!(
        problems(
            "authorization { users: [ {user: a, password: b} ] }\nno_auth_user: z\n",
            false
        ),
        [
            "no_auth_user: \"z\" not present as user or nkey in authorization block or account \
             configuration"
        ]
    );
    // The check mode judges the file alone, as the reference's does.
    assert!(load_text("no_auth_user: z\n", true).is_ok());
}

#[test]
fn an_nkey_user_takes_no_password() {
    let problems = problems(
        "authorization { users: [ {user: a, password: b, nkey: \
         UCVDMTZAX3KMCOT4NYMFC4JRIYNUPWNB4DWOB64TBLE5NK4SKCIVISRL} ] }",
        false,
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].ends_with(": Nkey users do not take usernames or passwords"),
        "{problems:?}"
    );
}

#[test]
fn accounts_give_their_users_an_account_and_keep_exports_and_imports() {
    let config = loaded(
        "accounts {\n  A: { users: [{user: a, password: a}], exports: [{service: \"svc.>\", \
         response_type: stream, response_threshold: \"5s\", accounts: [B]}, {stream: e}] }\n  \
         B: { users: [{user: b, password: b}], imports: [{service: {account: A, subject: \
         \"svc.x\"}, to: x}, {stream: {account: A, subject: \"e\"}}] }\n}\n\
         authorization { users: [{user: g, password: g}] }\n",
    );
    let options = &config.options;
    let accounts: Vec<_> = options
        .users
        .iter()
        .map(|u| (u.name(), u.account.as_deref()))
        .collect();
    assert_eq!(accounts, [("a", Some("A")), ("b", Some("B")), ("g", None)]);
    let export = &options.accounts[0].exports[0];
    assert_eq!(export.response_type, rnats_server::ResponseType::Stream);
    assert_eq!(export.response_threshold, std::time::Duration::from_secs(5));
    assert_eq!(export.accounts, ["B"]);
    let import = &options.accounts[1].imports[0];
    assert_eq!(
        (import.subject.as_str(), import.to.as_deref()),
        ("svc.x", Some("x"))
    );
    assert_eq!(
        problems(
            "accounts { A: { imports: [{stream: {account: A, subject: s}}] } }",
            false
        ),
        ["1:0: Error adding stream import \"s\": stream import not authorized"]
    );
}

#[test]
fn system_account_keys() {
    let file =
        loaded("accounts { SYS: { users: [{user: s, password: s}] } }\nsystem_account: SYS\n");
    assert_eq!(file.options.system_account.as_deref(), Some("SYS"));
    assert!(!file.options.no_system_account);
    for key in ["no_system_account", "no_sys_acc", "no_system"] {
        let file = loaded(&format!("{key}: true\n"));
        assert!(file.options.no_system_account, "{key}");
    }
}
