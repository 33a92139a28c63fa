//! Account JWT updates reaching open connections, on rnats and on the reference side by
//! side: the same clients, the same update, the same transcripts.

use std::net::SocketAddr;
use std::time::Duration;

use nkeys::KeyPair;
use rnats_server::{Options, Server};
use rnats_testkit::jwt::{Operator, User, account_jwt, memory_resolver, now};
use rnats_testkit::{RawConn, ReferenceServer};
use serde_json::{Value, json};

/// How long a transcript is read before the connection is taken to stay open.
const QUIET: Duration = Duration::from_millis(300);

/// An operator with a system account, and account `a` with a plain signing key and a
/// scoped one.
struct World {
    operator: Operator,
    system: KeyPair,
    system_jwt: String,
    a: KeyPair,
    plain_key: KeyPair,
    scoped_key: KeyPair,
}

impl World {
    fn new() -> World {
        let (operator, system) = Operator::with_system_account();
        let (system, system_jwt) = (system.key, system.jwt);
        World {
            operator,
            system,
            system_jwt,
            a: KeyPair::new_account(),
            plain_key: KeyPair::new_account(),
            scoped_key: KeyPair::new_account(),
        }
    }

    /// `a`'s JWT with these limits; `plain` keeps the plain signing key, `scope` is what
    /// the scoped key's users may publish to.
    fn a_jwt(&self, limits: Value, plain: bool, scope: &str, issued_at: i64) -> String {
        let mut keys = vec![json!({
            "kind": "user_scope", "key": self.scoped_key.public_key(), "role": "r",
            "template": {"pub": {"allow": [scope]}, "subs": -1, "payload": -1, "data": -1},
        })];
        if plain {
            keys.push(json!(self.plain_key.public_key()));
        }
        account_jwt(
            &self.operator.key,
            &self.a.public_key(),
            json!({"limits": limits, "signing_keys": keys}),
            json!({"iat": issued_at}),
        )
    }

    /// Four users of `a`: signed by the account, by the plain key, by the scoped key (whose
    /// users carry no permissions or limits of their own), and by the account again.
    fn users(&self) -> Vec<User> {
        let account = self.a.public_key();
        vec![
            User::new(&self.a, json!({}), json!({})),
            User::new(
                &self.plain_key,
                json!({"issuer_account": account}),
                json!({}),
            ),
            User::new(
                &self.scoped_key,
                json!({"issuer_account": account, "subs": 0, "data": 0, "payload": 0}),
                json!({}),
            ),
            User::new(&self.a, json!({}), json!({})),
        ]
    }
}

/// Connects every user (three subscriptions each), sends `update` as `a`'s new JWT through
/// the system account, then has each client publish and subscribe once more; returns every
/// client's transcript after the update and whether it was closed.
async fn run(world: &World, addr: SocketAddr, users: &[User], update: &str) -> Vec<(String, bool)> {
    let mut conns = Vec::new();
    for user in users {
        let mut conn = RawConn::connect(addr).await;
        let info = conn.read_info().await;
        let setup = format!(
            "{}SUB s1 1\r\nSUB s2 2\r\nSUB s3 3\r\nPING\r\n",
            user.connect_line(&info)
        );
        conn.send(setup.as_bytes()).await;
        let (bytes, closed) = conn.read_until_closed(QUIET).await;
        assert_eq!(
            (String::from_utf8_lossy(&bytes).as_ref(), closed),
            ("PONG\r\nPONG\r\n", false)
        );
        conns.push(conn);
    }
    let system_user = User::new(&world.system, json!({}), json!({}));
    let system = async_nats::ConnectOptions::with_credentials(&system_user.creds())
        .expect("creds")
        .connect(format!("nats://{addr}"))
        .await
        .expect("system user connects");
    let subject = format!("$SYS.REQ.ACCOUNT.{}.CLAIMS.UPDATE", world.a.public_key());
    let reply = system
        .request(subject, update.to_owned().into())
        .await
        .expect("update answered");
    let reply: Value = serde_json::from_slice(&reply.payload).expect("json reply");
    assert_eq!(reply["data"]["code"], 200, "{reply}");
    let mut transcripts = Vec::new();
    for conn in &mut conns {
        let (mut bytes, closed) = conn.read_until_closed(QUIET).await;
        if !closed {
            let more = b"PUB x.1 5\r\nhello\r\nPUB y.1 5\r\nhello\r\nSUB s4 4\r\nSUB s5 5\r\n\
                PUB s1 20\r\n01234567890123456789\r\nPING\r\n";
            conn.send(more).await;
            bytes.extend(conn.read_until_closed(QUIET).await.0);
        }
        // The servers' own PINGs come when their timers say: not part of the comparison.
        let all = rnats_testkit::without_server_pings(&bytes);
        transcripts.push((all, closed || conn.is_closed()));
    }
    transcripts
}

async fn side_by_side(world: &World, initial: &str, update: &str) -> Vec<(String, bool)> {
    let preload = vec![
        (world.system.public_key(), world.system_jwt.clone()),
        (world.a.public_key(), initial.to_owned()),
    ];
    // The operator JWT names the system account.
    let (options, config) = memory_resolver(&world.operator.jwt, &preload);
    let server = Server::start(options).await.expect("server starts");
    let reference = ReferenceServer::builder()
        .config(config)
        .start_async()
        .await;
    let users = world.users();
    let ours = run(world, server.client_addr(), &users, update).await;
    let theirs = run(world, reference.addr(), &users, update).await;
    assert_eq!(ours, theirs);
    server.shutdown().await;
    ours
}

#[tokio::test]
async fn lowered_limits_and_a_removed_signing_key_close_what_they_must() {
    let world = World::new();
    let limits = |conn: i64, subs: i64, payload: i64| json!({"conn": conn, "subs": subs, "payload": payload});
    let initial = world.a_jwt(limits(4, 5, 100), true, "x.>", now());
    // Two connections at most, and no plain signing key.
    let update = world.a_jwt(limits(2, 5, 100), false, "x.>", now() + 1);
    let transcripts = side_by_side(&world, &initial, &update).await;
    let over = "-ERR 'maximum account active connections exceeded'\r\n".to_owned();
    assert_eq!(
        transcripts,
        [
            // Still served: its five subscriptions are allowed, its PUB reaches its own s1.
            (
                "MSG s1 1 20\r\n01234567890123456789\r\nPONG\r\n".to_owned(),
                false
            ),
            // Its signing key is gone: closed without a word.
            (String::new(), true),
            // The newest two of four connections where two are allowed now (the closing
            // one above still counted).
            (over.clone(), true),
            (over, true),
        ]
    );
}

#[tokio::test]
async fn a_client_at_its_lowered_subscription_limit_is_closed() {
    let world = World::new();
    let limits = |subs: i64| json!({"conn": 10, "subs": subs, "payload": 100});
    let initial = world.a_jwt(limits(10), true, "x.>", now());
    // Three subscriptions each where three are allowed now: at the limit, as the
    // reference counts it.
    let update = world.a_jwt(limits(3), true, "x.>", now() + 1);
    let transcripts = side_by_side(&world, &initial, &update).await;
    let at_limit = ("-ERR 'maximum subscriptions exceeded'\r\n".to_owned(), true);
    assert_eq!(transcripts[0], at_limit);
    assert_eq!(transcripts[1], at_limit);
    assert_eq!(transcripts[3], at_limit);
}

#[tokio::test]
async fn lowered_subscription_and_payload_limits_apply_to_open_connections() {
    let world = World::new();
    let limits = |subs: i64, payload: i64| json!({"conn": 10, "subs": subs, "payload": payload});
    let initial = world.a_jwt(limits(10, 100), true, "x.>", now());
    // Payloads of 10 bytes at most, four subscriptions; the scoped key's scope changes.
    let update = world.a_jwt(limits(4, 10), true, "y.>", now() + 1);
    let transcripts = side_by_side(&world, &initial, &update).await;
    let payload = "-ERR 'maximum subscriptions exceeded'\r\n-ERR 'Maximum Payload Violation'\r\n";
    assert_eq!(transcripts[0], (payload.to_owned(), true));
    assert_eq!(transcripts[1], (payload.to_owned(), true));
    // A scoped key whose definition changed lets its users go.
    assert_eq!(transcripts[2], (String::new(), true));
    assert_eq!(transcripts[3], (payload.to_owned(), true));
}

/// A configuration reload resets the parser's limits to the server's: a JWT's lower payload
/// limit must survive it.
#[tokio::test]
async fn a_reload_keeps_the_jwt_payload_limit() {
    let world = World::new();
    let a_jwt = world.a_jwt(json!({"payload": 10}), true, "x.>", now());
    let preload = [
        (world.system.public_key(), world.system_jwt.clone()),
        (world.a.public_key(), a_jwt),
    ];
    let (options, _) = memory_resolver(&world.operator.jwt, &preload);
    let server = Server::start(options.clone()).await.expect("server starts");
    let user = &world.users()[0];
    let mut conn = RawConn::connect(server.client_addr()).await;
    let info = conn.read_info().await;
    conn.send(user.connect_line(&info).as_bytes()).await;
    assert_eq!(conn.read_line_within(QUIET).await.bytes, b"PONG\r\n");
    server
        .handle()
        .reload(Options {
            ping_interval: Duration::from_secs(600),
            ..options
        })
        .expect("reloadable");
    conn.send(b"PUB s 20\r\n01234567890123456789\r\n").await;
    let (bytes, closed) = conn.read_until_closed(Duration::from_secs(5)).await;
    let text = rnats_testkit::without_server_pings(&bytes);
    assert_eq!(
        (text.as_str(), closed),
        ("-ERR 'Maximum Payload Violation'\r\n", true)
    );
    server.shutdown().await;
}
