//! The testkit against the real reference server.

use rnats_testkit::{RawConn, ReferenceServer, normalize};

#[tokio::test]
async fn default_server_greets_and_answers_ping() {
    let server = ReferenceServer::builder().start_async().await;
    assert!(server.logs().contains("Server is ready"));
    let mut conn = RawConn::connect(server.addr()).await;
    let info = conn.read_info().await;
    assert_eq!(
        normalize(info.as_bytes()),
        b"INFO {\"proto\":1,\"headers\":true,\"max_payload\":1048576} \r\n"
    );
    conn.send(b"CONNECT {\"verbose\":true}\r\n").await;
    assert_eq!(conn.sync().await, b"+OK\r\n");
}

#[tokio::test]
async fn config_text_and_arguments_are_applied() {
    let server = ReferenceServer::builder()
        .config("max_payload: 2048\n")
        .args(["--user", "u", "--pass", "p"])
        .start_async()
        .await;
    let mut conn = RawConn::connect(server.addr()).await;
    let info = conn.read_info().await;
    assert!(info.contains("\"auth_required\":true"), "{info}");
    assert!(info.contains("\"max_payload\":2048"), "{info}");
    conn.send(b"CONNECT {\"user\":\"u\",\"pass\":\"bad\"}\r\n")
        .await;
    let (bytes, closed) = conn.read_until_closed(rnats_testkit::DEFAULT_TIMEOUT).await;
    assert_eq!(bytes, b"-ERR 'Authorization Violation'\r\n");
    assert!(closed);
}

#[test]
#[should_panic(expected = "exited during startup")]
fn bad_arguments_fail_with_the_server_log() {
    let _ = ReferenceServer::start(&["--no-such-flag"]);
}
