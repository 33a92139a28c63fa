//! Every limit, hit over real sockets: the offender gets the reference's `-ERR` (or is cut
//! off) and everyone else carries on at full speed.

use std::time::Duration;

use futures::StreamExt;
use rnats_server::{Authentication, Options, Server};
use rnats_testkit::{RawConn, Stop};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const PATIENCE: Duration = Duration::from_secs(10);

async fn start(options: Options) -> Server {
    Server::start(options).await.expect("server starts")
}

async fn raw(server: &Server) -> RawConn {
    let mut conn = RawConn::connect(server.client_addr()).await;
    conn.read_info().await;
    conn
}

/// A client whose receive window is tiny and which never reads: the textbook slow consumer.
async fn stalled_subscriber(server: &Server, subject: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .set_recv_buffer_size(4096)
        .expect("small receive buffer");
    let mut stream = socket
        .connect(server.client_addr())
        .await
        .expect("connects");
    let subscribe = format!("CONNECT {{\"verbose\":false}}\r\nSUB {subject} 1\r\nPING\r\n");
    stream
        .write_all(subscribe.as_bytes())
        .await
        .expect("subscribes");
    stream
}

async fn wait_until(mut condition: impl FnMut() -> bool) {
    tokio::time::timeout(PATIENCE, async {
        while !condition() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("condition reached in time");
}

#[tokio::test]
async fn max_connections() {
    let server = start(Options {
        max_connections: 1,
        ..Options::local()
    })
    .await;
    let mut first = raw(&server).await;
    first.sync().await;
    let mut second = RawConn::connect(server.client_addr()).await;
    let (bytes, closed) = second.read_until_closed(PATIENCE).await;
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.starts_with("INFO {"), "{text}");
    assert!(
        text.ends_with(" \r\n-ERR 'maximum connections exceeded'\r\n"),
        "{text}"
    );
    assert!(closed);
    first.send(b"PUB x 0\r\n\r\n").await;
    assert_eq!(
        first.sync().await,
        b"+OK\r\n",
        "the first client is unaffected"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn max_subscriptions() {
    let server = start(Options {
        max_subscriptions: 2,
        ..Options::local()
    })
    .await;
    let mut conn = raw(&server).await;
    conn.send(b"CONNECT {\"verbose\":true}\r\nSUB a 1\r\nSUB b 2\r\nSUB c 3\r\n")
        .await;
    assert_eq!(
        conn.sync().await,
        b"+OK\r\n+OK\r\n+OK\r\n-ERR 'maximum subscriptions exceeded'\r\n",
    );
    conn.send(b"UNSUB 1\r\nSUB c 3\r\n").await;
    assert_eq!(
        conn.sync().await,
        b"+OK\r\n+OK\r\n",
        "a freed slot can be reused"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn authentication_timeout() {
    let options = Options {
        auth: Authentication::Token("t".into()),
        auth_timeout: Duration::from_millis(200),
        ..Options::local()
    };
    let server = start(options).await;
    let mut silent = raw(&server).await;
    let (bytes, closed) = silent.read_until_closed(PATIENCE).await;
    assert_eq!(bytes, b"-ERR 'Authentication Timeout'\r\n");
    assert!(closed);
    // A client that authenticates in time is not timed out later.
    let mut prompt = raw(&server).await;
    prompt
        .send(b"CONNECT {\"auth_token\":\"t\",\"verbose\":false}\r\n")
        .await;
    prompt.sync().await;
    assert!(prompt.read_for(Duration::from_millis(400)).await.is_empty());
    assert!(!prompt.is_closed());
    server.shutdown().await;
}

#[tokio::test]
async fn stale_connection_after_unanswered_pings() {
    let options = Options {
        ping_interval: Duration::from_millis(100),
        ping_max: 1,
        ..Options::local()
    };
    let server = start(options).await;
    let mut deaf = raw(&server).await;
    let (bytes, closed) = deaf.read_until_closed(PATIENCE).await;
    assert_eq!(bytes, b"PING\r\n-ERR 'Stale Connection'\r\n");
    assert!(closed);
    assert_eq!(server.stats().stale_connections, 1);
    server.shutdown().await;
}

#[tokio::test]
async fn answered_pings_keep_a_quiet_connection_alive() {
    // ping_max 3 leaves room for a loaded machine to answer late without going stale.
    let options = Options {
        ping_interval: Duration::from_millis(50),
        ping_max: 3,
        ..Options::local()
    };
    let server = start(options).await;
    let mut polite = raw(&server).await;
    for _ in 0..4 {
        let ping = polite.read_line_within(PATIENCE).await;
        assert_eq!(
            (ping.bytes.as_slice(), ping.stop),
            (&b"PING\r\n"[..], Stop::Matched)
        );
        polite.send(b"PONG\r\n").await;
    }
    assert!(!polite.is_closed());
    server.shutdown().await;
}

#[tokio::test]
async fn slow_consumer_over_max_pending_is_cut_off_alone() {
    let options = Options {
        max_pending: 2 * 1024 * 1024,
        ..Options::local()
    };
    let server = start(options).await;
    let fast = async_nats::connect(server.client_url())
        .await
        .expect("connects");
    let mut fast_subscription = fast.subscribe("firehose").await.expect("subscribe");
    fast.flush().await.expect("flush");
    let _stalled = stalled_subscriber(&server, "firehose").await;
    wait_until(|| server.num_subscriptions() == 2).await;

    let publisher = async_nats::connect(server.client_url())
        .await
        .expect("connects");
    let payload = bytes::Bytes::from(vec![b'x'; 16 * 1024]);
    // Rounds of 512 KiB: the fast subscriber reads each round before the next, so only the
    // stalled one falls behind; 64 MiB in all overflows its socket buffers and max_pending.
    for _round in 0..128 {
        for _ in 0..32 {
            publisher
                .publish("firehose", payload.clone())
                .await
                .expect("publish");
        }
        publisher
            .flush()
            .await
            .expect("the publisher is never blocked");
        for _ in 0..32 {
            let message = tokio::time::timeout(PATIENCE, fast_subscription.next())
                .await
                .expect("the fast subscriber keeps receiving")
                .expect("subscription open");
            assert_eq!(message.payload.len(), payload.len());
        }
    }
    assert_eq!(server.stats().slow_consumers, 1);
    wait_until(|| server.num_connections() == 2).await;
    server.shutdown().await;
}

#[tokio::test]
async fn unread_pongs_count_against_max_pending() {
    let server = start(Options {
        max_pending: 64 * 1024,
        ..Options::local()
    })
    .await;
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .set_recv_buffer_size(4096)
        .expect("small receive buffer");
    let mut flooder = socket
        .connect(server.client_addr())
        .await
        .expect("connects");
    let pings = b"PING\r\n".repeat(16 * 1024);
    // Keep sending PINGs, never reading a PONG, until the server gives up on this client.
    let flood = async {
        while flooder.write_all(&pings).await.is_ok() {
            if server.stats().slow_consumers == 1 {
                break;
            }
        }
    };
    tokio::time::timeout(PATIENCE, flood)
        .await
        .expect("cut off in time");
    wait_until(|| server.stats().slow_consumers == 1 && server.num_connections() == 0).await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_lagging_consumer_slows_the_publisher_instead_of_being_cut_off() {
    // The subscriber reads steadily but slower than the publisher writes: with the
    // fast-producer stall the publisher waits for it, so it stays connected and gets it all.
    // (A stall holds a publisher to at least 64 KiB per 10 ms; a reader slower than that is
    // cut off, as by the reference.)
    let options = Options {
        max_pending: 4 * 1024 * 1024,
        ..Options::local()
    };
    let server = start(options).await;
    let mut subscriber = TcpStream::connect(server.client_addr())
        .await
        .expect("connects");
    const MESSAGES: usize = 4000;
    const PAYLOAD: usize = 8 * 1024;
    // Skip the INFO line, then count the messages' bytes.
    let mut byte = [0u8; 1];
    let mut line = Vec::new();
    while !line.ends_with(b"\r\n") {
        subscriber
            .read_exact(&mut byte)
            .await
            .expect("INFO arrives");
        line.push(byte[0]);
    }
    let expected = MESSAGES * ("MSG lag 1 8192\r\n".len() + PAYLOAD + 2);
    subscriber
        .write_all(b"CONNECT {\"verbose\":false}\r\nSUB lag 1\r\n")
        .await
        .expect("subscribes");
    wait_until(|| server.num_subscriptions() == 1).await;
    let reading = tokio::spawn(async move {
        let mut buf = vec![0u8; 128 * 1024];
        let mut total = 0;
        while total < expected {
            // At most 128 KiB per 5 ms (25 MB/s): below what the publisher can send.
            tokio::time::sleep(Duration::from_millis(5)).await;
            match tokio::time::timeout(PATIENCE, subscriber.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
                Ok(Ok(n)) => total += n,
            }
        }
        total
    });
    let publisher = async_nats::connect(server.client_url())
        .await
        .expect("connects");
    let payload = bytes::Bytes::from(vec![b'z'; PAYLOAD]);
    for _ in 0..MESSAGES {
        publisher
            .publish("lag", payload.clone())
            .await
            .expect("publish");
    }
    publisher.flush().await.expect("flush");
    let received = reading.await.expect("reader finished");
    // The server PINGs every connection about 2 s after it opens (to measure its round-trip
    // time); on a slow machine that PING falls inside the stream.
    let extra = received.checked_sub(expected);
    assert!(
        extra.is_some_and(|extra| extra % b"PING\r\n".len() == 0 && extra <= 12),
        "every byte arrived: {received} of {expected}, {:?}",
        server.stats()
    );
    assert_eq!(server.stats().slow_consumers, 0);
    assert!(
        server.stats().stalled_clients > 0,
        "the publisher was paused"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn write_deadline_cuts_off_a_stalled_reader() {
    let options = Options {
        write_deadline: Duration::from_millis(200),
        ..Options::local()
    };
    let server = start(options).await;
    let _stalled = stalled_subscriber(&server, "stream").await;
    wait_until(|| server.num_subscriptions() == 1).await;
    let publisher = async_nats::connect(server.client_url())
        .await
        .expect("connects");
    let payload = bytes::Bytes::from(vec![b'y'; 64 * 1024]);
    // Publish until the server gives up on the stalled reader; max_pending (64 MiB) is far away.
    tokio::time::timeout(PATIENCE, async {
        while server.stats().slow_consumers == 0 {
            for _ in 0..64 {
                publisher
                    .publish("stream", payload.clone())
                    .await
                    .expect("publish");
            }
            publisher.flush().await.expect("flush");
        }
    })
    .await
    .expect("the write deadline fires");
    wait_until(|| server.num_connections() == 1).await;
    server.shutdown().await;
}

#[tokio::test]
async fn no_header_support() {
    let server = start(Options {
        no_header_support: true,
        ..Options::local()
    })
    .await;
    let mut conn = RawConn::connect(server.client_addr()).await;
    let info = conn.read_info().await;
    assert!(info.contains("\"headers\":false"), "{info}");
    conn.send(
        b"CONNECT {\"verbose\":false,\"headers\":true}\r\nHPUB foo 12 12\r\nNATS/1.0\r\n\r\n\r\n",
    )
    .await;
    let (_, closed) = conn.read_until_closed(PATIENCE).await;
    assert!(
        closed,
        "HPUB is refused when the server does not support headers"
    );
    server.shutdown().await;
}
