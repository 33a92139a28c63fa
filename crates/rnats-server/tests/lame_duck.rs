//! Lame duck mode: stop accepting, tell clients that can listen, close the rest gradually.

use std::time::{Duration, Instant};

use rnats_server::{Options, Server};
use rnats_testkit::RawConn;

const PATIENCE: Duration = Duration::from_secs(10);

async fn connected(server: &Server, protocol: u8) -> RawConn {
    let mut conn = RawConn::connect(server.client_addr()).await;
    conn.read_info().await;
    conn.send(format!("CONNECT {{\"verbose\":false,\"protocol\":{protocol}}}\r\n").as_bytes())
        .await;
    conn.sync().await;
    if protocol >= 1 {
        // The INFO that follows the first PONG of a protocol-1 client.
        let line = conn.read_line_within(PATIENCE).await;
        assert!(String::from_utf8_lossy(&line.bytes).contains("\"connect_info\":true"));
    }
    conn
}

#[tokio::test]
async fn lame_duck_mode_drains_clients_then_shuts_down() {
    let options = Options {
        lame_duck_duration: Duration::from_millis(900),
        lame_duck_grace_period: Duration::from_millis(300),
        ..Options::local()
    };
    let server = Server::start(options).await.expect("starts");
    let addr = server.client_addr();
    let mut modern = vec![connected(&server, 1).await, connected(&server, 1).await];
    let mut old = connected(&server, 0).await;
    let started = Instant::now();
    let lame_duck = tokio::spawn(server.lame_duck());

    // Clients that accept INFO updates learn about it; the connection stays open meanwhile.
    for conn in &mut modern {
        let line = conn.read_line_within(PATIENCE).await;
        let text = String::from_utf8_lossy(&line.bytes).into_owned();
        assert!(
            text.starts_with("INFO {") && text.contains("\"ldm\":true"),
            "{text}"
        );
    }
    // Nobody new gets in.
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still accepting"
    );
    // Everyone is closed after the grace period, and the server is gone at the end.
    for conn in modern.iter_mut().chain(std::iter::once(&mut old)) {
        let (bytes, closed) = conn.read_until_closed(PATIENCE).await;
        assert!(closed);
        assert!(
            !String::from_utf8_lossy(&bytes).contains("ldm"),
            "one announcement only"
        );
    }
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "the grace period was kept"
    );
    tokio::time::timeout(PATIENCE, lame_duck)
        .await
        .expect("ends")
        .expect("no panic");
}
