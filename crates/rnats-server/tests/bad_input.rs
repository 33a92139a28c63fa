//! Bad input never hurts the server: while a publisher and a subscriber exchange a numbered
//! stream, hundreds of connections send malformed, oversized, truncated and random input. Each
//! gets the reference's answer, and afterwards the stream arrived whole and in order.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::StreamExt;
use rnats_server::{Options, Server};
use rnats_testkit::RawConn;
use tokio::io::AsyncWriteExt;
use tokio::sync::Semaphore;

const PATIENCE: Duration = Duration::from_secs(10);
/// Random inputs, from a fixed seed so a failure can be replayed.
const RANDOM_CASES: usize = 300;
const SEED: u64 = 0x6e61_7473;

/// What the server must do with a malformed input.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Send exactly this and close.
    ErrThenClose(&'static str),
    /// Close without a word.
    SilentClose,
}

fn scripted_cases() -> Vec<(Vec<u8>, Expect)> {
    use Expect::*;
    let unknown = ErrThenClose("-ERR 'Unknown Protocol Operation'\r\n");
    let long_line = ErrThenClose("-ERR 'maximum control line exceeded'\r\n");
    let mut cases: Vec<(Vec<u8>, Expect)> = vec![
        (b"X".to_vec(), unknown),
        (b"\x00\x01\x02".to_vec(), unknown),
        (b"\r\n".to_vec(), unknown),
        (b"MSG foo 1 2\r\nhi\r\n".to_vec(), unknown),
        (b"PUB foo 1\r\nabc\r\n".to_vec(), unknown),
        (b"PUB foo 3\r\nabc\n".to_vec(), unknown),
        (b"UNSUB\r\n".to_vec(), unknown),
        (b"-ERRX\r\n".to_vec(), unknown),
        (b"PUB foo\r\n".to_vec(), SilentClose),
        (b"PUB foo bar baz 1\r\n".to_vec(), SilentClose),
        (b"PUB foo -1\r\n".to_vec(), SilentClose),
        (b"PUB foo 9999999999\r\n".to_vec(), SilentClose),
        (b"SUB foo\r\n".to_vec(), SilentClose),
        (b"UNSUB 1 2 3\r\n".to_vec(), SilentClose),
        (
            b"HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n".to_vec(),
            SilentClose,
        ),
        (b"CONNECT {\r\n".to_vec(), SilentClose),
        (b"CONNECT {\"verbose\":\"yes\"}\r\n".to_vec(), SilentClose),
        (b"CONNECT []\r\n".to_vec(), SilentClose),
        (b"INFO x\r\n".to_vec(), SilentClose),
        (b"-ERR 'bye'\r\n".to_vec(), SilentClose),
        (
            b"CONNECT {\"protocol\":7}\r\n".to_vec(),
            ErrThenClose("-ERR 'invalid client protocol'\r\n"),
        ),
        (
            b"CONNECT {\"no_responders\":true}\r\n".to_vec(),
            ErrThenClose("-ERR 'no responders requires headers support'\r\n"),
        ),
        (
            b"PUB foo 1048577\r\n".to_vec(),
            ErrThenClose("-ERR 'Maximum Payload Violation'\r\n"),
        ),
    ];
    let mut line = b"SUB ".to_vec();
    line.extend(std::iter::repeat_n(b'x', 8000));
    cases.push((line.clone(), long_line));
    line.extend_from_slice(b" 1\r\n");
    cases.push((line, long_line));
    // A huge announced payload that never comes, then a disconnect: nothing to answer.
    cases.push((b"PUB foo 1048576\r\npartial".to_vec(), SilentClose));
    cases
}

/// Arbitrary bytes, often starting with a real op name so the parser goes deeper.
fn random_case(rng: &mut fastrand::Rng) -> Vec<u8> {
    const PREFIXES: [&[u8]; 9] = [
        b"",
        b"PUB ",
        b"HPUB ",
        b"SUB ",
        b"UNSUB ",
        b"CONNECT ",
        b"PING",
        b"pub foo ",
        b"INFO ",
    ];
    let mut bytes = PREFIXES[rng.usize(..PREFIXES.len())].to_vec();
    let len = rng.usize(..200);
    let alphabet = b" \t\r\n0123456789abcPUBSx.*>{}\":";
    for _ in 0..len {
        if rng.bool() {
            bytes.push(alphabet[rng.usize(..alphabet.len())]);
        } else {
            bytes.push(rng.u8(..));
        }
    }
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_clients_never_disturb_others() {
    let server = Server::start(Options::local())
        .await
        .expect("server starts");
    let url = server.client_url();

    // The steady pair: numbered messages, published in paced rounds until told to stop.
    let subscriber_client = async_nats::connect(&url).await.expect("connects");
    let mut subscription = subscriber_client
        .subscribe("steady")
        .await
        .expect("subscribe");
    subscriber_client.flush().await.expect("flush");
    let publisher = async_nats::connect(&url).await.expect("connects");
    let stop = Arc::new(AtomicBool::new(false));
    let publishing = {
        let stop = stop.clone();
        let publisher = publisher.clone();
        tokio::spawn(async move {
            let mut sent = 0u64;
            while !stop.load(Ordering::Relaxed) {
                for _ in 0..100 {
                    publisher
                        .publish("steady", sent.to_string().into())
                        .await
                        .expect("publish");
                    sent += 1;
                }
                publisher
                    .flush()
                    .await
                    .expect("the publisher is never disturbed");
            }
            sent
        })
    };
    let (total_sender, mut total) = tokio::sync::watch::channel(None::<u64>);
    let receiving = tokio::spawn(async move {
        let mut next = 0u64;
        // Until the publisher has stopped and everything it sent has arrived.
        while total.borrow().is_none_or(|total| next < total) {
            let message = tokio::select! {
                message = subscription.next() => message.expect("subscription open"),
                _ = total.changed() => continue,
            };
            let number: u64 = std::str::from_utf8(&message.payload)
                .expect("utf-8")
                .parse()
                .expect("a number");
            assert_eq!(number, next, "a message was lost or reordered");
            next += 1;
        }
        next
    });

    // The attackers, a few at a time.
    let mut cases: Vec<(Vec<u8>, Option<Expect>)> = scripted_cases()
        .into_iter()
        .map(|(bytes, expect)| (bytes, Some(expect)))
        .collect();
    let mut rng = fastrand::Rng::with_seed(SEED);
    cases.extend((0..RANDOM_CASES).map(|_| (random_case(&mut rng), None)));
    let limit = Arc::new(Semaphore::new(16));
    let mut attacks = tokio::task::JoinSet::new();
    let addr = server.client_addr();
    for (index, (bytes, expect)) in cases.into_iter().enumerate() {
        let permit = limit.clone().acquire_owned().await.expect("semaphore open");
        attacks.spawn(async move {
            let _permit = permit;
            let mut conn = RawConn::connect(addr).await;
            conn.read_info().await;
            conn.send(&bytes).await;
            match expect {
                Some(Expect::ErrThenClose(error)) => {
                    let (reply, closed) = conn.read_until_closed(PATIENCE).await;
                    assert_eq!(
                        String::from_utf8_lossy(&reply),
                        error,
                        "case {index}: {bytes:?}"
                    );
                    assert!(closed, "case {index} must close");
                }
                Some(Expect::SilentClose) if bytes.ends_with(b"partial") => {
                    // Waiting for a payload that never comes: the client gives up.
                    drop(conn);
                }
                Some(Expect::SilentClose) => {
                    let (reply, closed) = conn.read_until_closed(PATIENCE).await;
                    assert!(reply.is_empty() && closed, "case {index}: {reply:?}");
                }
                // Random input: any answer is fine as long as the server stays up. Hang up
                // abruptly, sometimes mid-op.
                None => drop(conn),
            }
        });
    }
    while let Some(result) = attacks.join_next().await {
        result.expect("attack case behaved as expected");
    }

    // A raw client that disconnects in the middle of a payload write.
    let mut truncated = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    truncated
        .write_all(b"PUB steady 100\r\nonly part")
        .await
        .expect("write");
    drop(truncated);

    stop.store(true, Ordering::Relaxed);
    let sent = publishing.await.expect("publisher finished");
    total_sender.send(Some(sent)).expect("receiver running");
    // Every attacker is gone; only the pair is left.
    tokio::time::timeout(PATIENCE, async {
        while server.num_connections() != 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("attacker connections are cleaned up");
    // The server still serves new clients, and the pair saw the whole stream.
    let late = async_nats::connect(&url)
        .await
        .expect("a new client connects");
    late.flush().await.expect("and works");
    let received = tokio::time::timeout(PATIENCE, receiving)
        .await
        .expect("the whole stream arrives in time")
        .expect("subscriber finished");
    assert_eq!(
        received, sent,
        "every message published was received, in order"
    );
    assert!(sent > 0);
    drop(publisher);
    server.shutdown().await;
}
