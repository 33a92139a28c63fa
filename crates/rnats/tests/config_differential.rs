//! Configuration files read by both servers: the same verdict and messages in check mode
//! (`-t -c`, digest included), and the same effective values in `/varz` when they run.
//! Files with security settings rnats refuses on purpose are not in the corpus (see
//! `config::blocks`).

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

use common::{Process, temp_dir};
use rnats_testkit::reference_server_path;

/// Files next to the main one (name, contents), for `include`.
type Others = &'static [(&'static str, &'static str)];

/// An operator JWT for the operator mode cases (no expiry).
const OPERATOR_JWT: &str = "eyJhbGciOiJlZDI1NTE5LW5rZXkiLCJ0eXAiOiJKV1QifQ.eyJpYXQiOjE3OTUzMjA2NDEsImlzcyI6I\
     k9DQUhNSEtQWFpJUkpQVElYWFZQSkRRRVo3UEtMWFk3RDNVVUM1VU5FRDc2Sk02R0NBMlZVUFRXIiwia\
     nRpIjoiMmU0YjFiYTk1MmYzMDM3YSIsIm5hbWUiOiJPQ0FITUhLUCIsIm5hdHMiOnsic2lnbmluZ19rZ\
     XlzIjpbIk9DS0lRVk9CUjZPVVpLRDNYUTJYUkJCS05STUVQU0tITEw2N0tOMlRKWExTMk9XVjcyTVRUN\
     0tNIl0sInR5cGUiOiJvcGVyYXRvciIsInZlcnNpb24iOjJ9LCJzdWIiOiJPQ0FITUhLUFhaSVJKUFRJW\
     FhWUEpEUUVaN1BLTFhZN0QzVVVDNVVORUQ3NkpNNkdDQTJWVVBUVyJ9.4e1yT-uX68oKEYLt-FVB_YGd\
     WqO5HYCDTlYcch5ivw_-iFSlD5lpK9Dwwez5jYVkX3kOUwkz8_OIGZMXdqF0Bw";
/// `op.jwt` beside the configuration.
/// An account JWT (account ACTFBG2Y...) the operator of `OPERATOR_JWT` signed, for files
/// that inline it; a macro so that `concat!` can take it.
macro_rules! account_jwt {
    () => {
        "eyJhbGciOiJlZDI1NTE5LW5rZXkiLCJ0eXAiOiJKV1QifQ.eyJpYXQiOjE3OTUzMjA2NDEsImlzcyI6I\
     k9DQUhNSEtQWFpJUkpQVElYWFZQSkRRRVo3UEtMWFk3RDNVVUM1VU5FRDc2Sk02R0NBMlZVUFRXIiwia\
     nRpIjoiNGRlY2FiYjUxM2ZkNjUwZiIsIm5hbWUiOiJBQ1RGQkcyWSIsIm5hdHMiOnsibGltaXRzIjp7I\
     mNvbm4iOjEsImRhdGEiOi0xLCJleHBvcnRzIjotMSwiaW1wb3J0cyI6LTEsImxlYWYiOi0xLCJwYXlsb\
     2FkIjoxMCwic3VicyI6Miwid2lsZGNhcmRzIjp0cnVlfSwicmV2b2NhdGlvbnMiOnsiVUNCNEVUTklSW\
     E1HUTNEVURFTUFWU1BKRURUVDdDNURMUFlJRTZOTjRKRE9UUlJaWTVCRjJTR0oiOjE3OTUzMjA2NDZ9L\
     CJzaWduaW5nX2tleXMiOlsiQUNRRFFKM0c3MkE2NlRWRFpLWDM2NU5QWjdYTlZKREJMS1lTN0xHV0JMS\
     0NXVEZKNEdUQklGT0siLHsia2V5IjoiQUMyRENaNVRLUU4zUUFGUlpTMjVJRTdMQjVETlZPQUY0QkEzS\
     EpOTDMyUUhKSllXTkU3TUVWTDQiLCJraW5kIjoidXNlcl9zY29wZSIsInJvbGUiOiJyIiwidGVtcGxhd\
     GUiOnsicHViIjp7ImFsbG93IjpbIngiXX0sInN1YiI6eyJhbGxvdyI6WyJ5Il19fX1dLCJ0eXBlIjoiY\
     WNjb3VudCIsInZlcnNpb24iOjJ9LCJzdWIiOiJBQ1RGQkcyWVk1VkY1VzVYSExWQkdRSTdHRFBWVldGQ\
     jRISkRVSUdTWVFEWE9OWk9VNVk3TlFLSiJ9.Q2-2V5N7EKw2rfGZG2LZmFjp2-RbR--WxKbvQbwOu86g\
     O3_L8klMXkrGIqSjKUfa5tKDa6gxfqoFUJMgLGkCCw"
    };
}

const OPERATOR_FILE: Others = &[("op.jwt", OPERATOR_JWT)];

/// (name, main file, other files next to it).
const CORPUS: &[(&str, &str, Others)] = &[
    // The reference reads account maps in random order, so cases where that order picks the
    // error (duplicate users across accounts, `prefix` with `to`) are left out.
    (
        "accounts with imports",
        "accounts {\n  A: { users: [{user: a, password: a}], exports: [{stream: \"events.>\"}, {service: \"svc.>\", response_type: stream}] }\n  B: { users: [{user: b, password: b}], imports: [{stream: {account: A, subject: \"events.>\"}, prefix: p}, {service: {account: A, subject: \"svc.x\"}, to: x}] }\n}\n",
        &[],
    ),
    (
        "stream imports in a cycle",
        "accounts {\n  A: { exports: [{stream: \"x.>\"}], imports: [{stream: {account: B, subject: \"x.>\"}}] }\n  B: { exports: [{stream: \"x.>\"}], imports: [{stream: {account: A, subject: \"x.>\"}}] }\n}\n",
        &[],
    ),
    (
        "service imports in a cycle of three",
        "accounts {\n  A: { exports: [{service: \"q.>\"}], imports: [{service: {account: B, subject: \"q.>\"}}] }\n  B: { exports: [{service: \"q.>\"}], imports: [{service: {account: C, subject: \"q.>\"}}] }\n  C: { exports: [{service: \"q.>\"}], imports: [{service: {account: A, subject: \"q.>\"}}] }\n}\n",
        &[],
    ),
    (
        "imports both ways on subjects that never meet",
        "accounts {\n  A: { exports: [{stream: \"a.>\"}, {service: \"qa\"}], imports: [{stream: {account: B, subject: \"b.>\"}}, {service: {account: B, subject: \"qb\"}}] }\n  B: { exports: [{stream: \"b.>\"}, {service: \"qb\"}], imports: [{stream: {account: A, subject: \"a.>\"}}, {service: {account: A, subject: \"qa\"}}] }\n}\n",
        &[],
    ),
    (
        "account import not authorized",
        "accounts {\n  A: { exports: [{service: \"s\", accounts: [B]}] }\n  B: {}\n  C: { imports: [{service: {account: A, subject: \"s\"}}] }\n}\n",
        &[],
    ),
    (
        "account import of unknown account",
        "accounts { C: { imports: [{service: {account: Z, subject: \"s\"}}] } }\n",
        &[],
    ),
    (
        "account bad response type",
        "accounts { A: {exports: [{service: \"s\", response_type: bogus}] } }\n",
        &[],
    ),
    (
        "account bad mapping",
        "accounts { A: {exports: [{stream: \"s.*\"}] }, C: { imports: [{stream: {account: A, subject: \"s.*\"}, to: \"t.$2\"}] } }\n",
        &[],
    ),
    ("account reserved name", "accounts { $G: {} }\n", &[]),
    ("minimal", "port: 4222\n", &[]),
    (
        "separators",
        "port = 4222\nhost 127.0.0.1\nserver_name: \"edge 1\"\n",
        &[],
    ),
    ("spaces in name", "server_name: \"a b\"\n", &[]),
    (
        "sizes and durations",
        "max_payload: 2MB\nmax_pending: 64MB\nmax_control_line: 8KB\nping_interval: \"30s\"\n\
         write_deadline: \"3s\"\nlame_duck_duration: \"1m\"\nlame_duck_grace_period: \"5s\"\n",
        &[],
    ),
    (
        "seconds for durations",
        "ping_interval: 5\nwrite_deadline: 3\n",
        &[],
    ),
    ("bad duration", "write_deadline: \"2x\"\n", &[]),
    ("short lame duck", "lame_duck_duration: \"5s\"\n", &[]),
    ("negative grace", "lame_duck_grace_period: \"-1s\"\n", &[]),
    (
        "payload over pending",
        "max_payload: 1MB\nmax_pending: 1KB\n",
        &[],
    ),
    ("payload too big", "max_payload: 100GB\n", &[]),
    ("unknown key", "port: 4222\nbogus_key: 1\n", &[]),
    ("wrong types", "port: \"x\"\ndebug: \"y\"\n", &[]),
    (
        "unknown and warning",
        "bogus: 1\nport: \"x\"\nping_interval: 5\n",
        &[],
    ),
    ("listen", "listen: 127.0.0.1:4333\n", &[]),
    ("listen without port", "listen: \"localhost\"\n", &[]),
    (
        "comments and maps",
        "# a comment\n// another\nauthorization {\n  user: a\n  password: b // trailing\n  \
         timeout: 1.5\n}\n",
        &[],
    ),
    (
        "unknown in authorization",
        "authorization { token: t, bogus: 1 }\n",
        &[],
    ),
    (
        "logging",
        "debug: true\ntrace: false\nlogtime: true\nlogtime_utc: false\nlog_file: \"/tmp/x.log\"\n\
         log_size_limit: 1MB\nlogfile_max_num: 3\nmax_traced_msg_len: 10\n",
        &[],
    ),
    ("variables", "PORT = 4333\nport: $PORT\n", &[]),
    ("missing variable", "port: $NOPE_RNATS_TEST\n", &[]),
    (
        "include",
        "port: 4222\ninclude \"./limits.conf\"\n",
        &[("limits.conf", "max_payload: 2MB\nmax_connections: 100\n")],
    ),
    ("missing include", "include \"./nope.conf\"\n", &[]),
    (
        "later blocks",
        "cluster { name: c, port: 6222, routes: [\"nats://127.0.0.1:6223\"] }\n\
         gateway { name: g, port: 7222 }\nleafnodes { port: 7422 }\n\
         websocket { port: 8080, no_tls: true }\nmqtt { port: 1883 }\njetstream: enabled\n",
        &[],
    ),
    (
        "unknown in cluster",
        "cluster { port: 6222, bogus: 1 }\n",
        &[],
    ),
    // Operator mode: a fixed operator JWT (no expiry) in op.jwt and an account it signed.
    (
        "operator file",
        "operator: op.jwt\nresolver: MEMORY\n",
        OPERATOR_FILE,
    ),
    (
        "operator inline",
        concat!(
            "operator: ",
            "eyJhbGciOiJlZDI1NTE5LW5rZXkiLCJ0eXAiOiJKV1QifQ.eyJpYXQiOjE3OTUzMjA2NDEsImlzcyI6I\
     k9DQUhNSEtQWFpJUkpQVElYWFZQSkRRRVo3UEtMWFk3RDNVVUM1VU5FRDc2Sk02R0NBMlZVUFRXIiwia\
     nRpIjoiMmU0YjFiYTk1MmYzMDM3YSIsIm5hbWUiOiJPQ0FITUhLUCIsIm5hdHMiOnsic2lnbmluZ19rZ\
     XlzIjpbIk9DS0lRVk9CUjZPVVpLRDNYUTJYUkJCS05STUVQU0tITEw2N0tOMlRKWExTMk9XVjcyTVRUN\
     0tNIl0sInR5cGUiOiJvcGVyYXRvciIsInZlcnNpb24iOjJ9LCJzdWIiOiJPQ0FITUhLUFhaSVJKUFRJW\
     FhWUEpEUUVaN1BLTFhZN0QzVVVDNVVORUQ3NkpNNkdDQTJWVVBUVyJ9.4e1yT-uX68oKEYLt-FVB_YGd\
     WqO5HYCDTlYcch5ivw_-iFSlD5lpK9Dwwez5jYVkX3kOUwkz8_OIGZMXdqF0Bw",
            "\nresolver: MEMORY\n"
        ),
        &[],
    ),
    (
        "operator file missing",
        "operator: missing.jwt\nresolver: MEMORY\n",
        &[],
    ),
    ("operator of a number", "operator: 42\n", &[]),
    (
        "operator list",
        "operators: [op.jwt]\nresolver: MEM\n",
        OPERATOR_FILE,
    ),
    (
        "account JWT as operator",
        concat!("operator: ", account_jwt!(), "\n"),
        &[],
    ),
    (
        "resolver bogus",
        "operator: op.jwt\nresolver: BOGUS\n",
        OPERATOR_FILE,
    ),
    (
        "resolver bad type",
        "operator: op.jwt\nresolver: { type: x, dir: d }\n",
        OPERATOR_FILE,
    ),
    (
        "resolver without dir",
        "operator: op.jwt\nresolver: { type: full }\n",
        OPERATOR_FILE,
    ),
    (
        "resolver full",
        "operator: op.jwt\nresolver: { type: full, dir: jwt, allow_delete: true, interval: \"2m\", limit: 10 }\n",
        OPERATOR_FILE,
    ),
    (
        "resolver cache",
        "operator: op.jwt\nresolver: { type: cache, dir: jwt, ttl: \"2m\" }\n",
        OPERATOR_FILE,
    ),
    (
        "preload",
        concat!(
            "operator: op.jwt\nresolver: MEMORY\nresolver_preload: {\n  ",
            "ACTFBG2YY5VF5W5XHLVBGQI7GDPVVWFB4HJDUIGSYQDXONZOU5Y7NQKJ",
            ": ",
            account_jwt!(),
            "\n}\n"
        ),
        OPERATOR_FILE,
    ),
    (
        "preload not a JWT",
        concat!(
            "operator: op.jwt\nresolver: MEMORY\nresolver_preload: { ",
            "ACTFBG2YY5VF5W5XHLVBGQI7GDPVVWFB4HJDUIGSYQDXONZOU5Y7NQKJ",
            ": nope }\n"
        ),
        OPERATOR_FILE,
    ),
    ("trusted key bad", "trusted_keys: [OAAA]\n", &[]),
    ("trusted key bad single", "trusted: OAAA\n", &[]),
    ("resolver alone", "resolver: MEMORY\n", &[]),
    ("unknown in jetstream", "jetstream { bogus: 1 }\n", &[]),
    ("unbalanced map", "authorization { user: a\n", &[]),
    ("unterminated string", "server_name: \"abc\n", &[]),
    (
        "monitoring",
        "http: 127.0.0.1:8222\nhttp_base_path: /nats\n",
        &[],
    ),
    (
        "users and permissions",
        "authorization {\n  timeout: 2\n  users: [\n    {user: a, password: b, permissions: {\n      \
         publish: {allow: [\"foo.*\", \"req.>\"], deny: \"foo.bar\"}\n      \
         subscribe: [\"q.* grp\", \"_INBOX.>\"]\n      allow_responses: {max: 2, expires: \"1m\"}\n    }}\n    \
         {username: c, pass: \"$2a$11$PWIFAL8RsWyGI3jVZtO9Nu8.6jOxzxfZo7c/W0eLk017hjgUKWrhy\", \
         permissions: {pub: \"x\", import: \"y\", sub: {deny: \"z\"}, publish_allow_responses: true}}\n    \
         {nkey: UCVDMTZAX3KMCOT4NYMFC4JRIYNUPWNB4DWOB64TBLE5NK4SKCIVISRL}\n  ]\n  \
         default_permissions: {publish: \"default.>\"}\n}\nno_auth_user: a\n",
        &[],
    ),
    (
        "account limits and default permissions",
        "accounts { A: { users: [{user: a, password: a}], limits: {max_connections: 2, max_subs: 3, max_payload: 1KB, max_leafs: 1}, default_permissions: {publish: \"x.>\"} }, B: { limits: {max_conn: -1, max_subscriptions: 0, max_pay: 5, max_leafnodes: 0} } }\n",
        &[],
    ),
    (
        "account limits unknown",
        "accounts { A: { limits: {max_connections: 2, bogus: 1} } }\n",
        &[],
    ),
    (
        "account limits of a string",
        "accounts { A: { limits: {max_payload: \"abc\"} } }\n",
        &[],
    ),
    (
        "account limits not a map",
        "accounts { A: { limits: 5 } }\n",
        &[],
    ),
    (
        "connection types",
        "authorization { users: [ {user: a, password: a, allowed_connection_types: [\"websocket\", \"STANDARD\"]}, {user: b, password: b, allowed_connection_types: \"MQTT\"} ] }\n",
        &[],
    ),
    (
        "unknown connection types",
        "authorization { users: [ {user: a, password: a, allowed_connection_types: [\"STANDARD\", \"bogus\", \"other\"]} ] }\n",
        &[],
    ),
    (
        "connection types of a number",
        "authorization { users: [ {user: a, password: a, allowed_connection_types: 1} ] }\n",
        &[],
    ),
    (
        "users with a single user",
        "authorization { users: [ {user: a, password: b} ], user: x, password: y }\n",
        &[],
    ),
    (
        "users with a token",
        "authorization { users: [ {user: a, password: b} ], token: x }\n",
        &[],
    ),
    // An NKey user with a password is refused too, but the reference's position for it
    // names whichever key it met first in its (unordered) map: not comparable.
    (
        "bad nkey",
        "authorization { users: [ {nkey: UBAD} ] }\n",
        &[],
    ),
    (
        "user without name",
        "authorization { users: [ {password: b} ] }\n",
        &[],
    ),
    (
        "unknown user field",
        "authorization { users: [ {user: a, password: b, account: A} ] }\n",
        &[],
    ),
    (
        "unknown permission",
        "authorization { users: [ {user: a, password: b, permissions: {foo: 1}} ] }\n",
        &[],
    ),
    (
        "bad subject permissions",
        "authorization { users: [ {user: a, password: b, permissions: {publish: 1}} ] }\n",
        &[],
    ),
    (
        "bad allow",
        "authorization { users: [ {user: a, password: b, permissions: {publish: {allow: 1}}} ] }\n",
        &[],
    ),
    (
        "invalid permission subject",
        "authorization { users: [ {user: a, password: b, permissions: {subscribe: \"a b c\"}} ] }\n",
        &[],
    ),
    (
        "bad allow_responses",
        "authorization { users: [ {user: a, password: b, permissions: {allow_responses: \"x\"}} ] }\n",
        &[],
    ),
    (
        "bad expires",
        "authorization { users: [ {user: a, password: b, permissions: \
         {allow_responses: {expires: 5}}} ] }\n",
        &[],
    ),
    (
        "unknown subject permission key",
        "authorization { users: [ {user: a, password: b, permissions: \
         {publish: {allow: \"x\", foo: 1}}} ] }\n",
        &[],
    ),
    (
        "duplicate user",
        "authorization { users: [ {user: a, password: b}, {user: a, password: c} ] }\n",
        &[],
    ),
    (
        "user entry not a map",
        "authorization { users: [ \"a\" ] }\n",
        &[],
    ),
    (
        "default permissions not a map",
        "authorization { users: [ {user: a, password: b} ], default_permissions: 1 }\n",
        &[],
    ),
];

/// Runs `program -t -c path` and returns the exit code and stderr with the program's name
/// prefix and the directory removed.
fn check(program: &Path, path: &Path, dir: &Path) -> (Option<i32>, String) {
    let output = Command::new(program)
        .arg("-t")
        .arg("-c")
        .arg(path)
        .current_dir(dir)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr)
        .replace("nats-server: ", "")
        .replace("rnats: ", "")
        .replace(&format!("{}/", dir.display()), "");
    // The reference reports several errors in no fixed order: compare them as a set.
    let mut lines: Vec<&str> = stderr.split('\n').collect();
    lines.sort_unstable();
    (output.status.code(), lines.join("\n"))
}

#[test]
fn both_servers_judge_configuration_files_alike() {
    let reference = reference_server_path();
    let rnats = Path::new(env!("CARGO_BIN_EXE_rnats"));
    let dir = temp_dir("config-differential");
    let mut differences = Vec::new();
    for (name, text, others) in CORPUS {
        for (file, contents) in *others {
            std::fs::write(dir.join(file), contents).expect("write include");
        }
        let path = dir.join("main.conf");
        std::fs::write(&path, text).expect("write config");
        let expected = check(&reference, &path, &dir);
        let actual = check(rnats, &path, &dir);
        if expected != actual {
            differences.push(format!(
                "{name}:\n  reference: {expected:?}\n  rnats:     {actual:?}"
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// Files whose effective values are compared while both servers run.
const RUNNING: &[&str] = &[
    "server_name: edge-1\nmax_payload: 2MB\nmax_pending: 64MB\nmax_control_line: 8KB\n\
     max_connections: 100\nmax_subs: 10\nping_interval: \"30s\"\nping_max: 4\n\
     write_deadline: \"3s\"\nhttp_base_path: /nats\n",
    "ping_interval: 5\nwrite_deadline: 3\nmax_payload: 0\nmax_connections: 0\n",
    "PAYLOAD = 512KB\nmax_payload: $PAYLOAD\nauthorization { user: a, password: b, timeout: 1.5 }\n",
    "authorization { token: t }\nlisten: 127.0.0.1:-1\nhttp: 127.0.0.1:-1\n",
    "cluster { name: c, port: -1 }\njetstream: disabled\n",
];

/// The `/varz` fields a configuration file decides.
const CONFIGURED: &[&str] = &[
    "server_name",
    "host",
    "auth_required",
    "max_connections",
    "max_subscriptions",
    "ping_interval",
    "ping_max",
    "http_base_path",
    "auth_timeout",
    "max_control_line",
    "max_payload",
    "max_pending",
    "write_deadline",
    "config_digest",
];

/// Starts a server with the file and random ports, and returns its `/varz`.
fn varz_of(program: &Path, config: &Path) -> serde_json::Value {
    let base = std::fs::read_to_string(config)
        .ok()
        .filter(|text| text.contains("http_base_path"))
        .map_or("", |_| "/nats");
    let mut answers = monitor_of(program, config, &[&format!("{base}/varz")]);
    answers.pop().expect("one answer")
}

/// Starts a server with the file and random ports, and returns its JSON answers to `paths`.
fn monitor_of(program: &Path, config: &Path, paths: &[&str]) -> Vec<serde_json::Value> {
    let config = config.to_str().expect("utf-8 path");
    let mut process = Process::start_program(program, &["-c", config, "-p", "-1", "-m", "-1"]);
    let line = process.wait_for("Starting http monitor on ");
    let port: u16 = line
        .rsplit(':')
        .next()
        .and_then(|port| port.trim().parse().ok())
        .expect("a port ends the line");
    process.wait_for("Server is ready");
    let get = |path: &str| {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("monitor port");
        stream
            .write_all(format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").as_bytes())
            .expect("request");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("response");
        let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body);
        serde_json::from_str(body).unwrap_or_else(|error| panic!("{error}: {response}"))
    };
    paths.iter().map(|path| get(path)).collect()
}

#[test]
fn both_servers_run_a_file_with_the_same_values() {
    let reference = reference_server_path();
    let rnats = Path::new(env!("CARGO_BIN_EXE_rnats"));
    let dir = temp_dir("config-values");
    let mut differences = Vec::new();
    for text in RUNNING {
        let path = dir.join("main.conf");
        std::fs::write(&path, text).expect("write config");
        let expected = varz_of(&reference, &path);
        let actual = varz_of(rnats, &path);
        for field in CONFIGURED {
            // Without a name in the file, each server makes up its own.
            let generated = *field == "server_name" && !text.contains("server_name");
            if !generated && expected[field] != actual[field] {
                differences.push(format!(
                    "{text:?} {field}: reference {} rnats {}",
                    expected[field], actual[field]
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// Accounts with every kind of export and import, for their `/accountz` details.
const SHARING: &[&str] = &[
    "accounts {\n  A: { exports: [{stream: \"s.>\"}, {stream: \"t.*.*\"}, {service: \"q.>\", response_type: stream, accounts: [B]}, {service: \"r\"}] }\n  \
     B: { imports: [{stream: {account: A, subject: \"s.>\"}, prefix: pfx}, {stream: {account: A, subject: \"t.*.*\"}, to: \"u.$2.$1\"}, \
     {service: {account: A, subject: \"q.y\"}}, {service: {account: A, subject: \"q.z\"}, to: zz, share: true}, {service: {account: A, subject: \"r\"}}] }\n  \
     SYS: {}\n}\nsystem_account: SYS\n",
    "accounts {\n  A: { exports: [{service: \"q\"}] }\n  B: { imports: [{service: {account: A, subject: \"q\"}}] }\n}\nno_sys_acc: true\n",
];

/// An account detail's lists as sorted JSON texts, so that map order does not matter.
fn sorted_entries(detail: &serde_json::Value, list: &str) -> Vec<String> {
    let mut entries: Vec<String> = (detail[list].as_array().into_iter().flatten())
        .map(|entry| entry.to_string())
        .collect();
    entries.sort();
    entries
}

#[test]
fn both_servers_describe_exports_and_imports_alike() {
    let reference = reference_server_path();
    let rnats = Path::new(env!("CARGO_BIN_EXE_rnats"));
    let dir = temp_dir("config-shares");
    let questions = ["/accountz?acc=A", "/accountz?acc=B", "/accountz?acc=$G"];
    let mut differences = Vec::new();
    for text in SHARING {
        let path = dir.join("main.conf");
        std::fs::write(&path, text).expect("write config");
        let expected = monitor_of(&reference, &path, &questions);
        let actual = monitor_of(rnats, &path, &questions);
        for ((question, theirs), ours) in questions.iter().zip(&expected).zip(&actual) {
            let (theirs, ours) = (&theirs["account_detail"], &ours["account_detail"]);
            for list in ["exports", "imports"] {
                if sorted_entries(theirs, list) != sorted_entries(ours, list) {
                    differences.push(format!(
                        "{question} {list}\n  reference {}\n  rnats     {}",
                        theirs[list], ours[list]
                    ));
                }
            }
            for field in ["subscriptions", "is_system"] {
                if theirs[field] != ours[field] {
                    differences.push(format!(
                        "{question} {field}: reference {} rnats {}",
                        theirs[field], ours[field]
                    ));
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
