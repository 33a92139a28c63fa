//! An account's `limits` and `default_permissions` from a configuration file, on rnats and
//! on the reference: the same file, the same conversations, the same transcripts.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{Process, temp_dir};
use rnats_testkit::{RawConn, reference_server_path};

const CONFIG: &str = "\
authorization { default_permissions: { publish: \"g.>\" } }
accounts {
  A: {
    users: [{user: a, password: pw}]
    limits: { max_connections: 2, max_subscriptions: 3, max_payload: 100 }
    default_permissions: { publish: \"x.>\" }
  }
  B: { users: [{user: b, password: pw}] }
}
";

/// What a client of `user` gets for `then` (after CONNECT), and whether it was closed.
async fn conversation(addr: SocketAddr, user: &str, then: &str) -> (String, bool) {
    let mut conn = RawConn::connect(addr).await;
    conn.read_info().await;
    let connect = format!("CONNECT {{\"user\":\"{user}\",\"pass\":\"pw\",\"verbose\":false}}\r\n");
    conn.send(format!("{connect}{then}PING\r\n").as_bytes())
        .await;
    let (bytes, closed) = conn.read_until_closed(Duration::from_millis(300)).await;
    (rnats_testkit::without_server_pings(&bytes), closed)
}

/// Every conversation of the test on one server.
async fn transcripts(addr: SocketAddr) -> Vec<(String, bool)> {
    let big = format!("PUB x.1 200\r\n{}\r\n", "p".repeat(200));
    let mut seen = vec![
        conversation(addr, "a", "SUB s 1\r\nSUB t 2\r\nSUB u 3\r\nSUB v 4\r\n").await,
        conversation(addr, "a", &big).await,
        conversation(
            addr,
            "a",
            "PUB x.1 1\r\n1\r\nPUB g.1 1\r\n1\r\nPUB y 1\r\n1\r\n",
        )
        .await,
        conversation(addr, "b", "PUB x.1 1\r\n1\r\nPUB g.1 1\r\n1\r\n").await,
    ];
    // Two of A's connections held open; the third is one too many.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut conn = RawConn::connect(addr).await;
        conn.read_info().await;
        conn.send(b"CONNECT {\"user\":\"a\",\"pass\":\"pw\",\"verbose\":false}\r\nPING\r\n")
            .await;
        assert_eq!(
            conn.read_line_within(Duration::from_secs(5)).await.bytes,
            b"PONG\r\n"
        );
        held.push(conn);
    }
    seen.push(conversation(addr, "a", "").await);
    // B has no such limit.
    seen.push(conversation(addr, "b", "").await);
    seen
}

#[tokio::test]
async fn account_limits_and_default_permissions_match_the_reference() {
    let dir = temp_dir("account-limits");
    let path = dir.join("limits.conf");
    std::fs::write(&path, CONFIG).expect("config written");
    let path = path.to_string_lossy().into_owned();
    let args = ["-c", path.as_str(), "-a", "127.0.0.1", "-p", "-1"];
    let mut ours = Process::start(&args);
    let mut theirs = Process::start_program(&reference_server_path(), &args);
    let ours_addr = SocketAddr::from(([127, 0, 0, 1], ours.ready()));
    let theirs_addr = SocketAddr::from(([127, 0, 0, 1], theirs.ready()));
    let (ours_seen, theirs_seen) = (transcripts(ours_addr).await, transcripts(theirs_addr).await);
    assert_eq!(ours_seen, theirs_seen);
    let violation =
        |subject: &str| format!("-ERR 'Permissions Violation for Publish to \"{subject}\"'\r\n");
    assert_eq!(
        ours_seen,
        [
            (
                "-ERR 'maximum subscriptions exceeded'\r\nPONG\r\n".to_owned(),
                false
            ),
            ("-ERR 'Maximum Payload Violation'\r\n".to_owned(), true),
            (
                format!("{}{}PONG\r\n", violation("g.1"), violation("y")),
                false
            ),
            // The authorization block's default_permissions are not for account users.
            ("PONG\r\n".to_owned(), false),
            (
                "-ERR 'maximum account active connections exceeded'\r\n".to_owned(),
                true
            ),
            ("PONG\r\n".to_owned(), false),
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
