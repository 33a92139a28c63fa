//! Operator mode: user JWTs checked against trusted operators and the accounts of the
//! resolver, with the reference's errors.

use std::time::Duration;

use futures::StreamExt;
use nkeys::KeyPair;
use rnats_server::{Options, Server};
use rnats_testkit::jwt::{
    Account, Operator, User, account_jwt, memory_resolver, nonce_of, now, user_jwt,
};
use rnats_testkit::{RawConn, ReferenceServer};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(5);

/// An operator with a signing key, and accounts signed by either.
struct World {
    operator: Operator,
    /// Signs `b`.
    operator_signing: KeyPair,
    /// Unlimited; has a plain and a scoped signing key and revokes `revoked`.
    a: Account,
    a_signing: KeyPair,
    a_scoped: KeyPair,
    revoked: KeyPair,
    /// At most one connection.
    b: Account,
    /// Signed by another operator.
    stranger: Account,
}

impl World {
    fn new() -> World {
        let operator_signing = KeyPair::new_operator();
        let operator = Operator::new(json!({"signing_keys": [operator_signing.public_key()]}));
        let (a_signing, a_scoped, revoked) = (
            KeyPair::new_account(),
            KeyPair::new_account(),
            KeyPair::new_user(),
        );
        let a = Account::new(
            &operator.key,
            json!({
                "signing_keys": [a_signing.public_key(), {
                    "kind": "user_scope", "key": a_scoped.public_key(), "role": "r",
                    "template": {"pub": {"allow": ["scoped.>"]}, "sub": {"allow": ["scoped.>"]},
                                 "subs": -1, "data": -1, "payload": -1}
                }],
                "revocations": {revoked.public_key(): now() + 5},
            }),
        );
        let b = Account::new(&operator_signing, json!({"limits": {"conn": 1}}));
        let stranger = Account::new(&Operator::plain().key, json!({}));
        World {
            operator,
            operator_signing,
            a,
            a_signing,
            a_scoped,
            revoked,
            b,
            stranger,
        }
    }

    fn preload(&self) -> Vec<(String, String)> {
        [&self.a, &self.b, &self.stranger]
            .iter()
            .map(|account| (account.public_key(), account.jwt.clone()))
            .collect()
    }

    fn options(&self) -> Options {
        memory_resolver(&self.operator.jwt, &self.preload()).0
    }

    /// The same configuration as a file for the reference.
    fn config(&self) -> String {
        memory_resolver(&self.operator.jwt, &self.preload()).1
    }

    fn user(&self, nats: serde_json::Value) -> User {
        User::new(&self.a.key, nats, json!({}))
    }
}

async fn start(world: &World) -> Server {
    Server::start(world.options()).await.expect("server starts")
}

/// rnats and the reference with the world's configuration.
async fn start_both(world: &World) -> (Server, ReferenceServer) {
    let reference = ReferenceServer::builder()
        .config(world.config())
        .start_async()
        .await;
    (start(world).await, reference)
}

/// CONNECT with `jwt` and the nonce signed by `signer` (none when `None`), then PING;
/// returns what came back and whether the connection closed.
async fn attempt(
    addr: std::net::SocketAddr,
    jwt: &str,
    signer: Option<&User>,
    then: &str,
) -> (String, bool) {
    let mut conn = RawConn::connect(addr).await;
    let nonce = nonce_of(&conn.read_info().await);
    let sig = signer
        .map(|user| format!(",\"sig\":\"{}\"", user.sign_nonce(&nonce)))
        .unwrap_or_default();
    let connect = format!("CONNECT {{\"verbose\":false,\"jwt\":\"{jwt}\"{sig}}}\r\n{then}PING\r\n");
    conn.send(connect.as_bytes()).await;
    let (bytes, closed) = conn.read_until_closed(Duration::from_millis(300)).await;
    (String::from_utf8_lossy(&bytes).into_owned(), closed)
}

const VIOLATION: &str = "-ERR 'Authorization Violation'\r\n";

#[tokio::test]
async fn valid_credentials_connect_with_async_nats() {
    let world = World::new();
    let server = start(&world).await;
    let user = world.user(json!({}));
    let client = async_nats::ConnectOptions::with_credentials(&user.creds())
        .expect("creds parse")
        .connect(server.client_url())
        .await
        .expect("connects");
    let mut sub = client.subscribe("greet").await.expect("sub");
    client.publish("greet", "hi".into()).await.expect("pub");
    let message = tokio::time::timeout(WAIT, sub.next())
        .await
        .expect("in time");
    assert_eq!(message.expect("message").payload.as_ref(), b"hi");
    // The same via a creds file.
    let path = std::env::temp_dir().join(format!("rnats-op-{}.creds", std::process::id()));
    std::fs::write(&path, user.creds()).expect("write creds");
    let from_file = async_nats::ConnectOptions::with_credentials_file(&path)
        .await
        .expect("creds file")
        .connect(server.client_url())
        .await;
    let _ = std::fs::remove_file(&path);
    from_file.expect("connects with the creds file");
}

#[tokio::test]
async fn bad_credentials_are_refused_and_others_still_served() {
    let world = World::new();
    let server = start(&world).await;
    let addr = server.client_addr();
    let good = world.user(json!({}));
    let other = world.user(json!({}));
    let expired = User::new(&world.a.key, json!({}), json!({"exp": now() - 10}));
    let revoked = User {
        jwt: user_jwt(
            &world.a.key,
            &world.revoked.public_key(),
            json!({}),
            json!({}),
        ),
        key: KeyPair::from_seed(&world.revoked.seed().expect("seed")).expect("key"),
    };
    let untrusted = User::new(&world.stranger.key, json!({}), json!({}));
    let missing = User::new(&KeyPair::new_account(), json!({}), json!({}));
    let cases: [(&str, &str, Option<&User>); 7] = [
        ("wrong signature", &good.jwt, Some(&other)),
        ("no signature", &good.jwt, None),
        ("expired", &expired.jwt, Some(&expired)),
        ("revoked", &revoked.jwt, Some(&revoked)),
        ("untrusted operator", &untrusted.jwt, Some(&untrusted)),
        ("account not in the resolver", &missing.jwt, Some(&missing)),
        ("malformed", "abc.def.ghi", Some(&good)),
    ];
    for (name, jwt, signer) in cases {
        let (reply, closed) = attempt(addr, jwt, signer, "").await;
        assert_eq!(reply, VIOLATION, "{name}");
        assert!(closed, "{name}");
    }
    let (reply, closed) = attempt(addr, &good.jwt, Some(&good), "").await;
    assert_eq!((reply.as_str(), closed), ("PONG\r\n", false));
    // No JWT at all.
    let mut conn = RawConn::connect(addr).await;
    conn.read_info().await;
    conn.send(b"CONNECT {\"user\":\"a\",\"pass\":\"b\"}\r\n")
        .await;
    let (bytes, closed) = conn.read_until_closed(WAIT).await;
    assert_eq!(
        (String::from_utf8_lossy(&bytes).as_ref(), closed),
        (VIOLATION, true)
    );
}

#[tokio::test]
async fn permissions_and_limits_come_from_the_jwt() {
    let world = World::new();
    let server = start(&world).await;
    let addr = server.client_addr();
    let user = world.user(json!({"pub": {"allow": ["foo"]}, "sub": {"deny": ["bar"]}}));
    let (reply, closed) = attempt(
        addr,
        &user.jwt,
        Some(&user),
        "PUB foo 1\r\nx\r\nPUB baz 1\r\nx\r\nSUB bar 1\r\n",
    )
    .await;
    assert_eq!(
        reply,
        "-ERR 'Permissions Violation for Publish to \"baz\"'\r\n\
         -ERR 'Permissions Violation for Subscription to \"bar\"'\r\nPONG\r\n"
    );
    assert!(!closed);
    let limited = world.user(json!({"subs": 1, "payload": 4}));
    let (reply, closed) = attempt(
        addr,
        &limited.jwt,
        Some(&limited),
        "SUB a 1\r\nSUB b 2\r\nPUB a 5\r\nhello\r\n",
    )
    .await;
    assert_eq!(
        reply,
        "-ERR 'maximum subscriptions exceeded'\r\n-ERR 'Maximum Payload Violation'\r\n"
    );
    assert!(closed);
}

#[tokio::test]
async fn account_signing_keys_plain_and_scoped() {
    let world = World::new();
    let server = start(&world).await;
    let addr = server.client_addr();
    let account = world.a.public_key();
    let plain = User::new(
        &world.a_signing,
        json!({"issuer_account": account}),
        json!({}),
    );
    let (reply, closed) = attempt(addr, &plain.jwt, Some(&plain), "PUB any 0\r\n\r\n").await;
    assert_eq!((reply.as_str(), closed), ("PONG\r\n", false));
    // The scoped key's template gives the permissions; its users carry none of their own
    // and limits of 0, as the NATS tools write them.
    let scoped = User::new(
        &world.a_scoped,
        json!({"issuer_account": account, "subs": 0, "data": 0, "payload": 0}),
        json!({}),
    );
    let (reply, closed) = attempt(
        addr,
        &scoped.jwt,
        Some(&scoped),
        "PUB scoped.x 0\r\n\r\nPUB any 0\r\n\r\n",
    )
    .await;
    assert_eq!(
        (reply.as_str(), closed),
        (
            "-ERR 'Permissions Violation for Publish to \"any\"'\r\nPONG\r\n",
            false
        )
    );
    // A scoped user with limits (missing ones are unlimited) or permissions of its own.
    for claims in [
        json!({"issuer_account": account}),
        json!({"issuer_account": account, "subs": 0, "data": 0, "payload": 0,
               "pub": {"allow": ["scoped.x"]}}),
    ] {
        let user = User::new(&world.a_scoped, claims, json!({}));
        assert_eq!(
            attempt(addr, &user.jwt, Some(&user), "").await,
            (VIOLATION.into(), true)
        );
    }
    // A signing key without `issuer_account` names no account the resolver has.
    let orphan = User::new(&world.a_signing, json!({}), json!({}));
    let (reply, closed) = attempt(addr, &orphan.jwt, Some(&orphan), "").await;
    assert_eq!((reply.as_str(), closed), (VIOLATION, true));
    // A key the account does not list.
    let unknown = User::new(
        &KeyPair::new_account(),
        json!({"issuer_account": account}),
        json!({}),
    );
    let (reply, closed) = attempt(addr, &unknown.jwt, Some(&unknown), "").await;
    assert_eq!((reply.as_str(), closed), (VIOLATION, true));
    // Bearer tokens need no signature.
    let bearer = world.user(json!({"bearer_token": true}));
    let (reply, closed) = attempt(addr, &bearer.jwt, None, "").await;
    assert_eq!((reply.as_str(), closed), ("PONG\r\n", false));
}

#[tokio::test]
async fn the_account_connection_limit_holds() {
    let world = World::new();
    let server = start(&world).await;
    let user = User::new(&world.b.key, json!({}), json!({}));
    let first = async_nats::ConnectOptions::with_credentials(&user.creds())
        .expect("creds")
        .connect(server.client_url())
        .await
        .expect("first connects");
    let (reply, closed) = attempt(server.client_addr(), &user.jwt, Some(&user), "").await;
    assert_eq!(
        reply,
        "-ERR 'maximum account active connections exceeded'\r\n"
    );
    assert!(closed);
    first.flush().await.expect("the first is still served");
    // Its place is free once the first closes: a new connection gets in.
    drop(first);
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (reply, closed) = attempt(server.client_addr(), &user.jwt, Some(&user), "").await;
        if (reply.as_str(), closed) == ("PONG\r\n", false) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the place is never freed: {reply}"
        );
    }
    let _ = &world.operator_signing;
}

#[tokio::test]
async fn an_expiring_jwt_closes_the_connection() {
    let world = World::new();
    let server = start(&world).await;
    let user = User::new(&world.a.key, json!({}), json!({"exp": now() + 2}));
    let mut conn = RawConn::connect(server.client_addr()).await;
    let info = conn.read_info().await;
    conn.send(user.connect_line(&info).as_bytes()).await;
    let (bytes, closed) = conn.read_until_closed(Duration::from_secs(6)).await;
    // The server's first PING may come before the expiry: it does not matter here.
    let text = rnats_testkit::without_server_pings(&bytes);
    assert_eq!(text, "PONG\r\n-ERR 'User Authentication Expired'\r\n");
    assert!(closed);
}

#[tokio::test]
async fn refusals_match_the_reference() {
    let world = World::new();
    let (server, reference) = start_both(&world).await;
    let good = world.user(json!({"pub": {"deny": ["no"]}}));
    let other = world.user(json!({}));
    let limited = User::new(&world.b.key, json!({}), json!({}));
    let scoped_with_limits = User::new(
        &world.a_scoped,
        json!({"issuer_account": world.a.public_key()}),
        json!({}),
    );
    for addr in [server.client_addr(), reference.addr()] {
        let mut transcripts = Vec::new();
        transcripts.push(attempt(addr, &good.jwt, Some(&good), "PUB no 0\r\n\r\n").await);
        transcripts.push(attempt(addr, &good.jwt, Some(&other), "").await);
        transcripts.push(attempt(addr, "a.b.c", None, "").await);
        transcripts.push(attempt(addr, &limited.jwt, Some(&limited), "").await);
        let scoped = &scoped_with_limits;
        transcripts.push(attempt(addr, &scoped.jwt, Some(scoped), "").await);
        let expected = [
            (
                "-ERR 'Permissions Violation for Publish to \"no\"'\r\nPONG\r\n",
                false,
            ),
            (VIOLATION, true),
            (VIOLATION, true),
            ("PONG\r\n", false),
            (VIOLATION, true),
        ];
        let got: Vec<_> = transcripts.iter().map(|(t, c)| (t.as_str(), *c)).collect();
        assert_eq!(got, expected, "{addr}");
    }
}

/// Limits at their edges, on both servers: missing limits are unlimited, `data` is not
/// enforced, a payload limit of 0 refuses any payload, and a subscription limit of 0 gets
/// the client closed right after CONNECT. The reference reports the closing `-ERR` from
/// another goroutine, so lines are compared in sorted order.
#[tokio::test]
async fn edge_limits_match_the_reference() {
    let operator = Operator::plain();
    let cases = [
        (json!({}), json!({})),
        (json!({"limits": {}}), json!({})),
        (json!({}), json!({"subs": 0})),
        (json!({"limits": {"subs": 0}}), json!({})),
        (json!({}), json!({"payload": 0})),
        (json!({"limits": {"payload": 0}}), json!({})),
        (json!({"limits": {"conn": 0}}), json!({})),
        (json!({"limits": {"data": 1}}), json!({"data": 1})),
    ];
    for (account_claims, user_claims) in cases {
        let label = format!("account {account_claims} user {user_claims}");
        let account = Account::new(&operator.key, account_claims);
        let (server, reference) =
            both_with_account(&operator, &account.public_key(), &account.jwt).await;
        let user = User::new(&account.key, user_claims, json!({}));
        let mut seen = Vec::new();
        for addr in [server.client_addr(), reference.addr()] {
            let then = "SUB s 1\r\nSUB t 2\r\nPUB s 5\r\nhello\r\nPUB s 5\r\nhello\r\n";
            let (text, closed) = attempt(addr, &user.jwt, Some(&user), then).await;
            let mut lines: Vec<String> = text.split_inclusive("\r\n").map(str::to_owned).collect();
            lines.sort();
            seen.push((lines, closed));
        }
        assert_eq!(seen[0], seen[1], "{label}");
        server.shutdown().await;
    }
}

/// rnats and the reference trusting `operator`, with one account's JWT preloaded.
async fn both_with_account(operator: &Operator, key: &str, jwt: &str) -> (Server, ReferenceServer) {
    let (options, config) = memory_resolver(&operator.jwt, &[(key.to_owned(), jwt.to_owned())]);
    let server = Server::start(options).await.expect("server starts");
    let reference = ReferenceServer::builder()
        .config(config)
        .start_async()
        .await;
    (server, reference)
}

/// `hh:mm:ss` in UTC, `offset` seconds from now.
fn utc_time_of_day(offset: i64) -> String {
    let seconds = (now() + offset).rem_euclid(86_400);
    format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// Source networks, connect times and connection types of user JWTs, on both servers.
#[tokio::test]
async fn connect_rules_match_the_reference() {
    let world = World::new();
    let (server, reference) = start_both(&world).await;
    let window = |from: i64, to: i64| {
        json!({"times": [{"start": utc_time_of_day(from), "end": utc_time_of_day(to)}],
               "locale": "UTC"})
    };
    // Windows are hours away from now: the cases take seconds.
    let cases = [
        ("src elsewhere", json!({"src": ["10.0.0.0/8"]})),
        ("src loopback", json!({"src": ["127.0.0.0/8"]})),
        ("src as text", json!({"src": "10.0.0.0/8,127.0.0.1/32"})),
        ("src garbage", json!({"src": ["garbage"]})),
        ("src bare address", json!({"src": ["127.0.0.1"]})),
        ("times later", window(3600, 7200)),
        ("times began yesterday", window(3600, 1800)),
        ("times ended", window(3600, -3600)),
        (
            "times without seconds",
            json!({"times": [{"start": "00:00", "end": "23:59"}]}),
        ),
        (
            "types websocket",
            json!({"allowed_connection_types": ["WEBSOCKET"]}),
        ),
        (
            "types standard",
            json!({"allowed_connection_types": ["standard"]}),
        ),
        (
            "types unknown",
            json!({"allowed_connection_types": ["BOGUS"]}),
        ),
        (
            "types mixed",
            json!({"allowed_connection_types": ["STANDARD", "BOGUS"]}),
        ),
    ];
    for (label, claims) in cases {
        let user = world.user(claims);
        let (ours, theirs) = tokio::join!(
            attempt(server.client_addr(), &user.jwt, Some(&user), ""),
            attempt(reference.addr(), &user.jwt, Some(&user), ""),
        );
        assert_eq!(ours, theirs, "{label}");
    }
    // Inside a window that ends in two seconds: admitted, then closed when it ends.
    let ours = world.user(window(-60, 2));
    let theirs = world.user(window(-60, 2));
    let run = |addr, user: User| async move {
        let mut conn = RawConn::connect(addr).await;
        let info = conn.read_info().await;
        conn.send(user.connect_line(&info).as_bytes()).await;
        let (bytes, closed) = conn.read_until_closed(Duration::from_secs(6)).await;
        (rnats_testkit::without_server_pings(&bytes), closed)
    };
    let (ours, theirs) = tokio::join!(
        run(server.client_addr(), ours),
        run(reference.addr(), theirs)
    );
    assert_eq!(ours, theirs);
    assert_eq!(
        ours,
        (
            "PONG\r\n-ERR 'User Authentication Expired'\r\n".to_owned(),
            true
        )
    );
}

/// An account JWT that expires while its users are connected closes them with the
/// reference's words, on both servers at once.
#[tokio::test]
async fn an_expiring_account_jwt_closes_its_clients() {
    let operator = Operator::plain();
    let key = KeyPair::new_account();
    let jwt = account_jwt(
        &operator.key,
        &key.public_key(),
        json!({}),
        json!({"exp": now() + 2}),
    );
    let (server, reference) = both_with_account(&operator, &key.public_key(), &jwt).await;
    let user = User::new(&key, json!({}), json!({}));
    let run = |addr| {
        let user = &user;
        async move {
            let mut conn = RawConn::connect(addr).await;
            let info = conn.read_info().await;
            conn.send(user.connect_line(&info).as_bytes()).await;
            let (bytes, closed) = conn.read_until_closed(Duration::from_secs(6)).await;
            (rnats_testkit::without_server_pings(&bytes), closed)
        }
    };
    let (ours, theirs) = tokio::join!(run(server.client_addr()), run(reference.addr()));
    assert_eq!(ours, theirs);
    assert_eq!(
        ours,
        (
            "PONG\r\n-ERR 'Account Authentication Expired'\r\n".to_owned(),
            true
        )
    );
}
