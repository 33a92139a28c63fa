//! Authentication over real TCP: async-nats with a token, users with plain and bcrypt
//! passwords, and NKeys made at test time; raw lines for the exact errors; bad credentials
//! and garbage never take the server down for others.

use std::time::Duration;

use futures::StreamExt;
use rnats_server::{Authentication, Options, Permissions, Server, SubjectPermission, User};
use rnats_testkit::RawConn;

const TIMEOUT: Duration = Duration::from_secs(5);

/// Server output as text, CR and LF written out.
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .replace('\r', "\\r")
        .replace('\n', "\\n")
}

async fn start(options: Options) -> Server {
    Server::start(options).await.expect("server starts")
}

/// Publishes and receives one message on a connected client: the connection works.
async fn round_trip(client: &async_nats::Client, subject: &'static str) {
    let mut sub = client.subscribe(subject).await.expect("subscribe");
    client.flush().await.expect("flush");
    client.publish(subject, "hi".into()).await.expect("publish");
    let message = tokio::time::timeout(TIMEOUT, sub.next())
        .await
        .expect("delivered in time")
        .expect("a message");
    assert_eq!(&message.payload[..], b"hi");
}

/// The raw reply to a CONNECT: what the server sent after INFO, and whether it closed.
async fn raw_connect(server: &Server, connect: &str) -> (String, bool) {
    let mut conn = RawConn::connect(server.client_addr()).await;
    conn.read_info().await;
    conn.send(format!("CONNECT {connect}\r\nPING\r\n").as_bytes())
        .await;
    let (bytes, closed) = conn.read_until_closed(Duration::from_millis(500)).await;
    (text(&bytes), closed)
}

const VIOLATION: &str = "-ERR 'Authorization Violation'\\r\\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_authentication() {
    let server = start(Options {
        auth: Authentication::Token("s3cret".into()),
        ..Options::local()
    })
    .await;
    let client = async_nats::ConnectOptions::with_token("s3cret".into())
        .connect(server.client_url())
        .await
        .expect("token accepted");
    round_trip(&client, "token.ok").await;
    let refused = async_nats::ConnectOptions::with_token("wrong".into())
        .connect(server.client_url())
        .await;
    assert!(refused.is_err(), "wrong token refused");
    assert_eq!(
        raw_connect(&server, r#"{"auth_token":"wrong"}"#).await,
        (VIOLATION.to_owned(), true)
    );
    round_trip(&client, "token.still").await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_with_plain_and_bcrypt_passwords() {
    let hash = bcrypt::hash("hashed-pw", 4).expect("bcrypt");
    let server = start(Options {
        users: vec![
            User::password("plain", "plain-pw"),
            User::password("hashed", &hash),
        ],
        ..Options::local()
    })
    .await;
    for (user, password) in [("plain", "plain-pw"), ("hashed", "hashed-pw")] {
        let client =
            async_nats::ConnectOptions::with_user_and_password(user.into(), password.into())
                .connect(server.client_url())
                .await
                .unwrap_or_else(|e| panic!("{user} accepted: {e}"));
        round_trip(&client, "users.ok").await;
    }
    for (user, password) in [
        ("plain", "wrong"),
        ("hashed", hash.as_str()),
        ("nobody", "plain-pw"),
    ] {
        let connect = format!(r#"{{"verbose":false,"user":"{user}","pass":"{password}"}}"#);
        assert_eq!(
            raw_connect(&server, &connect).await,
            (VIOLATION.to_owned(), true),
            "{user}/{password}"
        );
    }
    // INFO asks for authentication, and carries no nonce without NKey users.
    let mut conn = RawConn::connect(server.client_addr()).await;
    let info = conn.read_info().await;
    assert!(info.contains("\"auth_required\":true") && !info.contains("nonce"));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nkey_users_sign_the_nonce() {
    let key = nkeys::KeyPair::new_user();
    let other = nkeys::KeyPair::new_user();
    let seed = key.seed().expect("seed");
    let server = start(Options {
        users: vec![User::nkey(&key.public_key()).with_permissions(Permissions {
            publish: Some(SubjectPermission::allow(&["nkey.>"])),
            ..Permissions::default()
        })],
        ..Options::local()
    })
    .await;
    let mut conn = RawConn::connect(server.client_addr()).await;
    let info = conn.read_info().await;
    let json: serde_json::Value =
        serde_json::from_str(info.trim_start_matches("INFO ").trim()).expect("INFO JSON");
    let nonce = json["nonce"].as_str().expect("nonce in INFO");
    assert_eq!(nonce.len(), 15);
    let client = async_nats::ConnectOptions::with_nkey(seed)
        .connect(server.client_url())
        .await
        .expect("nkey accepted");
    round_trip(&client, "nkey.ok").await;
    let other_seed = other.seed().expect("seed");
    let refused = async_nats::ConnectOptions::with_nkey(other_seed)
        .connect(server.client_url())
        .await;
    assert!(refused.is_err(), "unknown key refused");
    let public = key.public_key();
    for sig in ["", "garbage", "%%%%", "AAAA"] {
        let connect = format!(r#"{{"verbose":false,"nkey":"{public}","sig":"{sig}"}}"#);
        assert_eq!(
            raw_connect(&server, &connect).await,
            (VIOLATION.to_owned(), true),
            "sig {sig:?}"
        );
    }
    let garbage_key = r#"{"verbose":false,"nkey":"U\u0000garbage","sig":"AAAA"}"#;
    assert_eq!(
        raw_connect(&server, garbage_key).await,
        (VIOLATION.to_owned(), true)
    );
    round_trip(&client, "nkey.still").await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_auth_user_and_auth_timeout() {
    let server = start(Options {
        users: vec![User::password("guest", "pw").with_permissions(Permissions {
            publish: Some(SubjectPermission::allow(&["public.>"])),
            ..Permissions::default()
        })],
        no_auth_user: Some("guest".into()),
        auth_timeout: Duration::from_millis(300),
        ..Options::local()
    })
    .await;
    let mut conn = RawConn::connect(server.client_addr()).await;
    let info = conn.read_info().await;
    assert!(!info.contains("auth_required"), "{info}");
    conn.send(b"CONNECT {\"verbose\":false}\r\nPUB public.x 0\r\n\r\nPUB private 0\r\n\r\n")
        .await;
    assert_eq!(
        text(&conn.sync().await),
        "-ERR 'Permissions Violation for Publish to \"private\"'\\r\\n"
    );
    // A client that never sends CONNECT is still timed out.
    let mut silent = RawConn::connect(server.client_addr()).await;
    silent.read_info().await;
    let (bytes, closed) = silent.read_until_closed(TIMEOUT).await;
    assert_eq!(
        (text(&bytes), closed),
        ("-ERR 'Authentication Timeout'\\r\\n".to_owned(), true)
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_checks_connected_clients_again() {
    let server = start(Options {
        users: vec![User::password("a", "pw"), User::password("b", "pw")],
        ..Options::local()
    })
    .await;
    let mut a = RawConn::connect(server.client_addr()).await;
    let mut b = RawConn::connect(server.client_addr()).await;
    for (conn, user) in [(&mut a, "a"), (&mut b, "b")] {
        conn.read_info().await;
        let connect =
            format!("CONNECT {{\"verbose\":false,\"user\":\"{user}\",\"pass\":\"pw\"}}\r\n");
        conn.send(connect.as_bytes()).await;
        conn.send(b"SUB x.> 1\r\nSUB y 2\r\n").await;
        conn.sync().await;
    }
    let restricted = Permissions {
        subscribe: Some(SubjectPermission::allow(&["y"])),
        publish: Some(SubjectPermission::allow(&["x.>"])),
        ..Permissions::default()
    };
    let reloaded = Options {
        users: vec![User::password("a", "pw").with_permissions(restricted)],
        ..(*server.options()).clone()
    };
    server.handle().reload(reloaded).expect("reloadable");
    // A removed user is closed without an error, as the reference does.
    let (bytes, closed) = b.read_until_closed(TIMEOUT).await;
    assert_eq!((text(&bytes), closed), (String::new(), true));
    assert_eq!(
        text(&a.sync().await),
        "-ERR 'Permissions Violation for Subscription to \"x.>\" (sid \"1\")'\\r\\n"
    );
    a.send(b"PUB x.1 1\r\na\r\nPUB y 1\r\nb\r\n").await;
    assert_eq!(
        text(&a.sync().await),
        "-ERR 'Permissions Violation for Publish to \"y\"'\\r\\n"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn allowed_connection_types_keep_other_kinds_of_user_off_the_client_port() {
    let types = |list: &[&str]| list.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>();
    let server = start(Options {
        users: vec![
            User {
                allowed_connection_types: types(&["WEBSOCKET", "MQTT"]),
                ..User::password("web", "pw")
            },
            User {
                allowed_connection_types: types(&["standard"]),
                ..User::password("std", "pw")
            },
            User::password("any", "pw"),
        ],
        ..Options::local()
    })
    .await;
    let connect = |user: &str| format!(r#"{{"user":"{user}","pass":"pw","verbose":false}}"#);
    assert_eq!(
        raw_connect(&server, &connect("web")).await,
        (VIOLATION.to_owned(), true)
    );
    for user in ["std", "any"] {
        assert_eq!(
            raw_connect(&server, &connect(user)).await,
            ("PONG\\r\\n".to_owned(), false),
            "{user}"
        );
    }
    server.shutdown().await;
}
