//! Authentication and permission errors, byte for byte against the reference nats-server:
//! the same users and permissions on both servers, the same raw conversations, and the
//! transcripts (INFO normalized) and closes must match.

use std::net::SocketAddr;
use std::time::Duration;

use rnats_server::{Options, Permissions, ResponsePermission, Server, SubjectPermission, User};
use rnats_testkit::{RawConn, ReferenceServer, escape, normalize};

const TIMEOUT: Duration = Duration::from_secs(5);

const CONFIG: &str = r#"
authorization {
  timeout: 1
  users: [
    {user: alice, password: pw, permissions: {
      publish: {allow: ["foo.*", "req.>", "_INBOX.>"], deny: "foo.bar"},
      subscribe: {allow: ["foo.*", "q.* grp", "_INBOX.>"], deny: "foo.bar"}}}
    {user: bob, password: pw, permissions: {subscribe: "req.>", allow_responses: {max: 2}}}
    {user: carol, password: pw}
    {user: dave, password: pw, permissions: {sub: {deny: "foo.bar"}}}
  ]
  default_permissions: {publish: "default.>", subscribe: {allow: "default.>"}}
}
"#;

fn rnats_options() -> Options {
    let alice = Permissions {
        publish: Some(SubjectPermission {
            allow: vec!["foo.*".into(), "req.>".into(), "_INBOX.>".into()],
            deny: vec!["foo.bar".into()],
        }),
        subscribe: Some(SubjectPermission {
            allow: vec!["foo.*".into(), "q.* grp".into(), "_INBOX.>".into()],
            deny: vec!["foo.bar".into()],
        }),
        allow_responses: None,
    };
    let bob = Permissions {
        subscribe: Some(SubjectPermission::allow(&["req.>"])),
        allow_responses: Some(ResponsePermission {
            max: 2,
            expires: Duration::ZERO,
        }),
        ..Permissions::default()
    };
    let dave = Permissions {
        subscribe: Some(SubjectPermission::deny(&["foo.bar"])),
        ..Permissions::default()
    };
    Options {
        auth_timeout: Duration::from_secs(1),
        users: vec![
            User::password("alice", "pw").with_permissions(alice),
            User::password("bob", "pw").with_permissions(bob),
            User::password("carol", "pw"),
            User::password("dave", "pw").with_permissions(dave),
        ],
        default_permissions: Some(Permissions {
            publish: Some(SubjectPermission::allow(&["default.>"])),
            subscribe: Some(SubjectPermission::allow(&["default.>"])),
            allow_responses: None,
        }),
        ..Options::local()
    }
}

fn login(user: &str) -> String {
    format!("CONNECT {{\"verbose\":false,\"user\":\"{user}\",\"pass\":\"pw\"}}\r\n")
}

/// One connection's script: what it sends; the transcript is what it got until it finished.
async fn run_script(addr: SocketAddr, script: &str) -> (String, bool) {
    let mut conn = RawConn::connect(addr).await;
    conn.send(script.as_bytes()).await;
    let (bytes, closed) = conn.finish(TIMEOUT).await;
    (escape(&normalize(&bytes)), closed)
}

/// Requests from alice answered by bob, who may publish nothing but two replies each.
async fn run_responses(addr: SocketAddr) -> (String, String) {
    let mut requester = RawConn::connect(addr).await;
    let mut responder = RawConn::connect(addr).await;
    requester.read_info().await;
    responder.read_info().await;
    requester.send(login("alice").as_bytes()).await;
    requester.send(b"SUB _INBOX.> 1\r\n").await;
    requester.sync().await;
    responder.send(login("bob").as_bytes()).await;
    responder.send(b"SUB req.> 1\r\n").await;
    responder.sync().await;
    requester
        .send(b"PUB req.a _INBOX.1 1\r\nx\r\nPUB req.b 1\r\ny\r\n")
        .await;
    requester.sync().await;
    let mut got = responder.sync().await;
    responder
        .send(
            b"PUB _INBOX.1 2\r\nr1\r\nPUB _INBOX.1 2\r\nr2\r\nPUB _INBOX.1 2\r\nr3\r\n\
              PUB _INBOX.2 2\r\nno\r\nPUB req.b 2\r\nno\r\n",
        )
        .await;
    got.extend(responder.sync().await);
    let delivered = requester.sync().await;
    (escape(&got), escape(&delivered))
}

const SCRIPTS: &[(&str, &str)] = &[
    (
        "alice publish and subscribe violations",
        "CONNECT {\"verbose\":false,\"user\":\"alice\",\"pass\":\"pw\"}\r\n\
         SUB foo.* 1\r\nSUB foo.bar 2\r\nSUB q.x 3\r\nSUB q.x grp 4\r\nSUB q.x other 5\r\n\
         SUB foo.> 6\r\nSUB > 7\r\nPUB foo.bar 1\r\nx\r\nPUB foo.baz 1\r\ny\r\nPUB bar 1\r\nz\r\n\
         PUB q.x 1\r\nq\r\n",
    ),
    (
        "verbose acknowledgements skip denied operations",
        "CONNECT {\"verbose\":true,\"user\":\"carol\",\"pass\":\"pw\"}\r\n\
         SUB default.x 1\r\nSUB other 2\r\nPUB default.x 1\r\na\r\nPUB foo 0\r\n\r\n",
    ),
    (
        "subscribe deny filters wildcard and queue deliveries",
        "CONNECT {\"verbose\":false,\"user\":\"dave\",\"pass\":\"pw\"}\r\n\
         SUB foo.* grp 1\r\nSUB foo.bar grp 2\r\nSUB > 3\r\nPUB foo.bar 1\r\na\r\n\
         PUB foo.x 1\r\nb\r\n",
    ),
    (
        "wrong password",
        "CONNECT {\"verbose\":false,\"user\":\"alice\",\"pass\":\"bad\"}\r\nPING\r\n",
    ),
    (
        "unknown user",
        "CONNECT {\"verbose\":false,\"user\":\"nobody\",\"pass\":\"pw\"}\r\n",
    ),
    ("no credentials", "CONNECT {\"verbose\":false}\r\n"),
    (
        "token where users are configured",
        "CONNECT {\"verbose\":false,\"auth_token\":\"pw\"}\r\n",
    ),
    ("ping before connect", "PING\r\n"),
    ("sub before connect", "SUB foo 1\r\n"),
    (
        "nkey where no nkeys are configured",
        "CONNECT {\"verbose\":false,\"nkey\":\"UABC\",\"sig\":\"garbage\"}\r\n",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_and_permission_errors_match_the_reference() {
    let reference = ReferenceServer::builder()
        .config(CONFIG)
        .start_async()
        .await;
    let rnats = Server::start(rnats_options()).await.expect("rnats starts");
    for (name, script) in SCRIPTS {
        let expected = run_script(reference.addr(), script).await;
        let actual = run_script(rnats.client_addr(), script).await;
        assert_eq!(actual, expected, "case {name:?}: rnats vs reference");
    }
    let expected = run_responses(reference.addr()).await;
    let actual = run_responses(rnats.client_addr()).await;
    assert_eq!(actual, expected, "allow_responses: rnats vs reference");
    rnats.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_timeout_matches_the_reference() {
    let reference = ReferenceServer::builder()
        .config(CONFIG)
        .start_async()
        .await;
    let rnats = Server::start(rnats_options()).await.expect("rnats starts");
    let mut transcripts = Vec::new();
    for addr in [reference.addr(), rnats.client_addr()] {
        let mut conn = RawConn::connect(addr).await;
        let (bytes, closed) = conn.read_until_closed(TIMEOUT).await;
        transcripts.push((escape(&normalize(&bytes)), closed));
    }
    assert_eq!(transcripts[1], transcripts[0]);
    let (transcript, closed) = &transcripts[0];
    assert!(
        transcript.contains("Authentication Timeout"),
        "{transcript}"
    );
    assert!(closed, "the reference closes");
    rnats.shutdown().await;
}
