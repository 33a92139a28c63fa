//! Reloading the `accounts` block over real TCP: accounts added and removed, users moved
//! between accounts, imports added and removed, as nats-server 2.15 does them (checked
//! against the reference binary with SIGHUP).
//!
//! "Nothing arrived" is proven with PING/PONG barriers: once the publisher's PONG is back its
//! message was routed, so the subscriber's next PONG comes after anything sent to it.

use std::net::SocketAddr;
use std::time::Duration;

use futures::StreamExt;
use rnats_server::{AccountConfig, Export, Import, Options, Server, User};
use rnats_testkit::RawConn;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TIMEOUT: Duration = Duration::from_secs(5);

/// Users with password `pw`, as `(user, account)` pairs.
fn users(pairs: &[(&str, &str)]) -> Vec<User> {
    pairs
        .iter()
        .map(|(user, account)| User::password(user, "pw").in_account(account))
        .collect()
}

/// A server with monitoring, so tests can read why connections closed.
async fn start(accounts: Vec<AccountConfig>, users: Vec<User>) -> Server {
    Server::start(Options {
        users,
        accounts,
        http_port: Some(0),
        ..Options::local()
    })
    .await
    .expect("server starts")
}

/// Reloads `server` with new accounts and users; returns the `Reloaded:` lines.
fn reload(server: &Server, accounts: Vec<AccountConfig>, users: Vec<User>) -> Vec<String> {
    let options = Options {
        users,
        accounts,
        ..(*server.options()).clone()
    };
    server.handle().reload(options).expect("reloadable")
}

/// A raw connection logged in as `user` with password `password`, its CONNECT handled.
async fn login_with(server: &Server, user: &str, password: &str) -> RawConn {
    let mut conn = RawConn::connect(server.client_addr()).await;
    conn.read_info().await;
    let connect =
        format!("CONNECT {{\"verbose\":false,\"user\":\"{user}\",\"pass\":\"{password}\"}}\r\n");
    conn.send(connect.as_bytes()).await;
    assert_eq!(text(&conn.sync().await), "", "{user} logs in");
    conn
}

async fn login(server: &Server, user: &str) -> RawConn {
    login_with(server, user, "pw").await
}

/// Server output as text, CR and LF written out.
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .replace('\r', "\\r")
        .replace('\n', "\\n")
}

/// Publishes `hi` on `subject` and waits until the server routed it.
async fn publish(publisher: &mut RawConn, subject: &str) {
    publisher
        .send(format!("PUB {subject} 2\r\nhi\r\n").as_bytes())
        .await;
    assert_eq!(text(&publisher.sync().await), "", "publish accepted");
}

/// The reasons `/connz?state=closed` gives, by the user each connection authenticated as.
async fn closed_reasons(monitoring: SocketAddr) -> Vec<(String, String)> {
    let mut stream = tokio::net::TcpStream::connect(monitoring)
        .await
        .expect("connect to monitoring");
    stream
        .write_all(b"GET /connz?state=closed&auth=1 HTTP/1.0\r\n\r\n")
        .await
        .expect("request sent");
    let mut answer = Vec::new();
    tokio::time::timeout(TIMEOUT, stream.read_to_end(&mut answer))
        .await
        .expect("answered in time")
        .expect("answer read");
    let body_start = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header end")
        + 4;
    let connz: Value = serde_json::from_slice(&answer[body_start..]).expect("JSON body");
    let mut reasons: Vec<(String, String)> = connz["connections"]
        .as_array()
        .expect("connections")
        .iter()
        .map(|c| {
            let field = |name: &str| c[name].as_str().unwrap_or_default().to_owned();
            (field("authorized_user"), field("reason"))
        })
        .collect();
    reasons.sort();
    reasons
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_added_account_admits_its_users_and_is_named_in_the_log_lines() {
    let server = start(
        vec![AccountConfig::new("A", vec![], vec![])],
        users(&[("a", "A")]),
    )
    .await;
    let lines = reload(
        &server,
        vec![
            AccountConfig::new("A", vec![], vec![]),
            AccountConfig::new("D", vec![], vec![]),
        ],
        users(&[("a", "A"), ("d", "D")]),
    );
    assert_eq!(
        lines,
        ["Reloaded: authorization users", "Reloaded: accounts"]
    );
    let d = async_nats::ConnectOptions::with_user_and_password("d".into(), "pw".into())
        .connect(server.client_url())
        .await
        .expect("d connects");
    let mut sub = d.subscribe("x").await.expect("subscribe");
    d.publish("x", "hi".into()).await.expect("publish");
    let message = tokio::time::timeout(TIMEOUT, sub.next())
        .await
        .expect("delivered in time")
        .expect("a message");
    assert_eq!(&message.payload[..], b"hi");
    // D is its own subject space: a client of A does not see D's messages.
    let mut a = login(&server, "a").await;
    a.send(b"SUB x 1\r\n").await;
    a.sync().await;
    d.publish("x", "again".into()).await.expect("publish");
    d.flush().await.expect("flush");
    tokio::time::timeout(TIMEOUT, sub.next())
        .await
        .expect("delivered in time")
        .expect("a message");
    assert_eq!(text(&a.sync().await), "");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_imports_added_by_a_reload_deliver_and_removed_ones_stop() {
    let exporter = || AccountConfig::new("A", vec![Export::stream("s.>")], vec![]);
    let people = || users(&[("a", "A"), ("b", "B")]);
    let server = start(
        vec![exporter(), AccountConfig::new("B", vec![], vec![])],
        people(),
    )
    .await;
    let mut a = login(&server, "a").await;
    let mut b = login(&server, "b").await;
    b.send(b"SUB s.> 1\r\n").await;
    b.sync().await;
    publish(&mut a, "s.1").await;
    assert_eq!(text(&b.sync().await), "", "no import yet");

    let importing = AccountConfig::new("B", vec![], vec![Import::stream("A", "s.>")]);
    reload(&server, vec![exporter(), importing], people());
    publish(&mut a, "s.2").await;
    assert_eq!(
        text(&b.sync().await),
        "MSG s.2 1 2\\r\\nhi\\r\\n",
        "the existing subscription gets the import"
    );

    reload(
        &server,
        vec![exporter(), AccountConfig::new("B", vec![], vec![])],
        people(),
    );
    publish(&mut a, "s.3").await;
    assert_eq!(text(&b.sync().await), "", "the removed import stopped");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_imports_follow_a_reload() {
    let people = || users(&[("a", "A"), ("b", "B")]);
    let server = start(
        vec![
            AccountConfig::new("A", vec![Export::service("help")], vec![]),
            AccountConfig::new("B", vec![], vec![]),
        ],
        people(),
    )
    .await;
    let a = async_nats::ConnectOptions::with_user_and_password("a".into(), "pw".into())
        .connect(server.client_url())
        .await
        .expect("a connects");
    let mut requests = a.subscribe("help").await.expect("subscribe");
    a.flush().await.expect("flush");
    tokio::spawn({
        let a = a.clone();
        async move {
            while let Some(request) = requests.next().await {
                if let Some(reply) = request.reply {
                    let _ = a.publish(reply, "helped".into()).await;
                }
            }
        }
    });
    reload(
        &server,
        vec![
            AccountConfig::new("A", vec![Export::service("help")], vec![]),
            AccountConfig::new("B", vec![], vec![Import::service("A", "help")]),
        ],
        people(),
    );
    let b = async_nats::ConnectOptions::with_user_and_password("b".into(), "pw".into())
        .connect(server.client_url())
        .await
        .expect("b connects");
    let answer = tokio::time::timeout(TIMEOUT, b.request("help", "".into()))
        .await
        .expect("answered in time")
        .expect("a response");
    assert_eq!(&answer.payload[..], b"helped");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moved_and_removed_users_are_closed_quietly_while_others_keep_their_subscriptions() {
    let monitoring = |server: &Server| server.monitoring_addr().expect("monitoring is on");
    let server = start(
        vec![
            AccountConfig::new("A", vec![], vec![]),
            AccountConfig::new("B", vec![], vec![]),
            AccountConfig::new("C", vec![], vec![]),
        ],
        users(&[
            ("a", "A"),
            ("m", "A"),
            ("r", "A"),
            ("p", "A"),
            ("b", "B"),
            ("c", "C"),
        ]),
    )
    .await;
    let mut conns = Vec::new();
    for user in ["a", "m", "r", "p", "b", "c"] {
        let mut conn = login(&server, user).await;
        conn.send(b"SUB x 1\r\n").await;
        conn.sync().await;
        conns.push(conn);
    }
    let [mut a, mut m, mut r, mut p, mut b, mut c] =
        <[RawConn; 6]>::try_from(conns).unwrap_or_else(|_| panic!("six connections"));
    // m moves to B, r is removed, p gets another password, C goes with its user.
    let mut moved = users(&[("a", "A"), ("b", "B"), ("m", "B")]);
    moved.push(User::password("p", "new").in_account("A"));
    reload(
        &server,
        vec![
            AccountConfig::new("A", vec![], vec![]),
            AccountConfig::new("B", vec![], vec![]),
        ],
        moved,
    );
    for (name, conn) in [("m", &mut m), ("r", &mut r), ("c", &mut c)] {
        let (bytes, closed) = conn.read_until_closed(TIMEOUT).await;
        assert_eq!((text(&bytes), closed), (String::new(), true), "{name}");
    }
    let (bytes, closed) = p.read_until_closed(TIMEOUT).await;
    assert_eq!(
        (text(&bytes), closed),
        ("-ERR 'Authorization Violation'\\r\\n".to_owned(), true)
    );
    // The clients that stay keep their subscriptions, each in its own account.
    for conn in [&mut a, &mut b] {
        conn.send(b"PUB x 1\r\na\r\n").await;
        assert_eq!(text(&conn.sync().await), "MSG x 1 1\\r\\na\\r\\n");
    }
    let mut moved_in = login(&server, "m").await;
    moved_in.send(b"SUB x 1\r\n").await;
    moved_in.sync().await;
    b.send(b"PUB x 1\r\nb\r\n").await;
    assert_eq!(text(&b.sync().await), "MSG x 1 1\\r\\nb\\r\\n");
    assert_eq!(text(&moved_in.sync().await), "MSG x 1 1\\r\\nb\\r\\n");
    assert_eq!(
        text(&a.sync().await),
        "",
        "A does not see B's messages any more"
    );
    let client_closed = |user: &str| (user.to_owned(), "Client Closed".to_owned());
    assert_eq!(
        closed_reasons(monitoring(&server)).await,
        [
            client_closed("c"),
            client_closed("m"),
            ("p".to_owned(), "Authentication Failure".to_owned()),
            client_closed("r"),
        ]
    );
    server.shutdown().await;
}
