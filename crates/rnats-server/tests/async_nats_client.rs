//! The official async-nats client against rnats, over real TCP: every core messaging feature.

use std::collections::HashMap;
use std::time::Duration;

use async_nats::{ConnectOptions, HeaderMap};
use futures::StreamExt;
use rnats_server::{Authentication, Options, Server};

/// An upper bound for waiting on something the test expects to happen; never a pacing sleep.
const PATIENCE: Duration = Duration::from_secs(10);

async fn start() -> Server {
    Server::start(Options::local())
        .await
        .expect("server starts")
}

async fn connect(server: &Server) -> async_nats::Client {
    async_nats::connect(server.client_url())
        .await
        .expect("client connects")
}

async fn next(subscriber: &mut async_nats::Subscriber) -> async_nats::Message {
    tokio::time::timeout(PATIENCE, subscriber.next())
        .await
        .expect("a message arrives in time")
        .expect("subscription still open")
}

#[tokio::test]
async fn publish_and_subscribe() {
    let server = start().await;
    let client = connect(&server).await;
    let mut subscriber = client.subscribe("greet.joe").await.expect("subscribe");
    client.flush().await.expect("flush");
    client
        .publish("greet.joe", "hello".into())
        .await
        .expect("publish");
    let message = next(&mut subscriber).await;
    assert_eq!(message.subject.as_str(), "greet.joe");
    assert_eq!(&message.payload[..], b"hello");
    assert!(message.reply.is_none());
    server.shutdown().await;
}

#[tokio::test]
async fn wildcards_match_by_token() {
    let server = start().await;
    let client = connect(&server).await;
    let mut star = client.subscribe("orders.*.new").await.expect("subscribe");
    let mut tail = client.subscribe("orders.>").await.expect("subscribe");
    let mut exact = client.subscribe("orders.us.new").await.expect("subscribe");
    client.flush().await.expect("flush");
    for subject in [
        "orders.us.new",
        "orders.eu.cancelled",
        "orders.us.east.new",
        "other.us.new",
    ] {
        client
            .publish(subject, subject.into())
            .await
            .expect("publish");
    }
    // A marker that both wildcard subscriptions match proves nothing else was queued.
    client
        .publish("orders.x.new", "end".into())
        .await
        .expect("publish");
    assert_eq!(read_until_end(&mut star).await, vec!["orders.us.new"]);
    assert_eq!(
        read_until_end(&mut tail).await,
        vec!["orders.us.new", "orders.eu.cancelled", "orders.us.east.new"]
    );
    assert_eq!(next(&mut exact).await.subject.as_str(), "orders.us.new");
    server.shutdown().await;
}

/// Subjects received until the `end` marker.
async fn read_until_end(subscriber: &mut async_nats::Subscriber) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let message = next(subscriber).await;
        if &message.payload[..] == b"end" {
            return seen;
        }
        seen.push(message.subject.to_string());
    }
}

#[tokio::test]
async fn queue_group_delivers_each_message_to_exactly_one_member() {
    let server = start().await;
    let client = connect(&server).await;
    let mut members = Vec::new();
    for _ in 0..3 {
        members.push(
            client
                .queue_subscribe("work", "workers".into())
                .await
                .expect("subscribe"),
        );
    }
    let mut other_group = client
        .queue_subscribe("work", "auditors".into())
        .await
        .expect("subscribe");
    let mut monitor = client.subscribe("work").await.expect("subscribe");
    client.flush().await.expect("flush");
    const MESSAGES: usize = 3000;
    for i in 0..MESSAGES {
        client
            .publish("work", i.to_string().into())
            .await
            .expect("publish");
    }
    client.flush().await.expect("flush");
    // The plain subscriber and the other group each see every message once.
    for _ in 0..MESSAGES {
        next(&mut monitor).await;
        next(&mut other_group).await;
    }
    // The workers together see every message exactly once.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut per_member = vec![0usize; members.len()];
    while seen.len() < MESSAGES {
        let (index, message) = tokio::time::timeout(PATIENCE, async {
            let futures = members.iter_mut().map(|m| Box::pin(m.next()));
            let (message, index, _) = futures::future::select_all(futures).await;
            (index, message)
        })
        .await
        .expect("worker messages arrive");
        let message = message.expect("subscription open");
        per_member[index] += 1;
        *seen
            .entry(String::from_utf8_lossy(&message.payload).into_owned())
            .or_default() += 1;
    }
    assert!(
        seen.values().all(|&n| n == 1),
        "a message went to two workers"
    );
    // Random selection: each of 3 members gets about a third; allow a generous margin.
    for count in &per_member {
        assert!(
            (600..=1400).contains(count),
            "unfair distribution: {per_member:?}"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn request_reply() {
    let server = start().await;
    let service = connect(&server).await;
    let requester = connect(&server).await;
    let mut requests = service.subscribe("time.now").await.expect("subscribe");
    service.flush().await.expect("flush");
    let responder = tokio::spawn(async move {
        let request = next(&mut requests).await;
        let reply = request.reply.expect("requests carry a reply subject");
        service
            .publish(reply, "noon".into())
            .await
            .expect("respond");
        service.flush().await.expect("flush");
    });
    let response = tokio::time::timeout(PATIENCE, requester.request("time.now", "".into()))
        .await
        .expect("in time")
        .expect("a response");
    assert_eq!(&response.payload[..], b"noon");
    responder.await.expect("responder finished");
    server.shutdown().await;
}

#[tokio::test]
async fn request_without_responders_fails_fast() {
    let server = start().await;
    let client = connect(&server).await;
    let error = tokio::time::timeout(PATIENCE, client.request("nobody.home", "".into()))
        .await
        .expect("no-responders answer comes before any timeout")
        .expect_err("there is nobody to answer");
    assert_eq!(error.kind(), async_nats::RequestErrorKind::NoResponders);
    server.shutdown().await;
}

#[tokio::test]
async fn headers_travel_with_the_message() {
    let server = start().await;
    let client = connect(&server).await;
    let mut subscriber = client.subscribe("with.headers").await.expect("subscribe");
    client.flush().await.expect("flush");
    let mut headers = HeaderMap::new();
    headers.insert("X-Trace", "abc123");
    headers.append("X-Multi", "one");
    headers.append("X-Multi", "two");
    client
        .publish_with_headers("with.headers", headers, "body".into())
        .await
        .expect("publish");
    let message = next(&mut subscriber).await;
    let received = message.headers.expect("headers arrive");
    assert_eq!(received.get("X-Trace").map(|v| v.as_str()), Some("abc123"));
    let multi: Vec<&str> = received.get_all("X-Multi").map(|v| v.as_str()).collect();
    assert_eq!(multi, vec!["one", "two"]);
    assert_eq!(&message.payload[..], b"body");
    server.shutdown().await;
}

#[tokio::test]
async fn echo_off_skips_own_messages() {
    let server = start().await;
    let quiet = ConnectOptions::new()
        .no_echo()
        .connect(server.client_url())
        .await
        .expect("connects");
    let other = connect(&server).await;
    let mut own = quiet.subscribe("chatter").await.expect("subscribe");
    quiet.flush().await.expect("flush");
    quiet
        .publish("chatter", "mine".into())
        .await
        .expect("publish");
    quiet.flush().await.expect("flush");
    other
        .publish("chatter", "theirs".into())
        .await
        .expect("publish");
    other.flush().await.expect("flush");
    // The first message to arrive is the other client's: our own was never delivered.
    assert_eq!(&next(&mut own).await.payload[..], b"theirs");
    server.shutdown().await;
}

#[tokio::test]
async fn unsubscribe_after_a_number_of_messages() {
    let server = start().await;
    let client = connect(&server).await;
    let mut subscriber = client.subscribe("limited").await.expect("subscribe");
    subscriber
        .unsubscribe_after(3)
        .await
        .expect("unsubscribe_after");
    client.flush().await.expect("flush");
    for i in 0..10 {
        client
            .publish("limited", i.to_string().into())
            .await
            .expect("publish");
    }
    client.flush().await.expect("flush");
    let mut payloads = Vec::new();
    while let Some(message) = tokio::time::timeout(PATIENCE, subscriber.next())
        .await
        .expect("ends in time")
    {
        payloads.push(String::from_utf8_lossy(&message.payload).into_owned());
    }
    assert_eq!(payloads, vec!["0", "1", "2"]);
    assert_eq!(
        server.num_subscriptions(),
        0,
        "the subscription removed itself"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn each_publisher_is_delivered_in_order() {
    let server = start().await;
    let subscriber_client = connect(&server).await;
    let mut subscriber = subscriber_client
        .subscribe("seq.>")
        .await
        .expect("subscribe");
    subscriber_client.flush().await.expect("flush");
    const PER_PUBLISHER: u64 = 20_000;
    let mut publishers = Vec::new();
    for p in 0..3 {
        let client = connect(&server).await;
        publishers.push(tokio::spawn(async move {
            for i in 0..PER_PUBLISHER {
                client
                    .publish(format!("seq.{p}"), i.to_string().into())
                    .await
                    .expect("publish");
            }
            client.flush().await.expect("flush");
        }));
    }
    let mut expected = [0u64; 3];
    for _ in 0..3 * PER_PUBLISHER {
        let message = next(&mut subscriber).await;
        let publisher: usize = message.subject.as_str()[4..].parse().expect("seq.N");
        let number: u64 = std::str::from_utf8(&message.payload)
            .expect("utf-8")
            .parse()
            .expect("n");
        assert_eq!(
            number, expected[publisher],
            "publisher {publisher} out of order"
        );
        expected[publisher] += 1;
    }
    for publisher in publishers {
        publisher.await.expect("publisher finished");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn large_payloads_up_to_max_payload() {
    let server = start().await;
    let client = connect(&server).await;
    let mut subscriber = client.subscribe("big").await.expect("subscribe");
    client.flush().await.expect("flush");
    for size in [0usize, 1, 4095, 4096, 65_536, 1024 * 1024] {
        let payload: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        client
            .publish("big", payload.clone().into())
            .await
            .expect("publish");
        assert_eq!(
            next(&mut subscriber).await.payload.to_vec(),
            payload,
            "size {size}"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn user_password_and_token_authentication() {
    let options = Options {
        auth: Authentication::UserPassword {
            user: "joe".into(),
            password: "s3cret".into(),
        },
        ..Options::local()
    };
    let server = Server::start(options).await.expect("starts");
    let url = format!("nats://127.0.0.1:{}", server.client_addr().port());
    let good = ConnectOptions::with_user_and_password("joe".into(), "s3cret".into())
        .connect(&url)
        .await
        .expect("right password connects");
    good.flush().await.expect("works");
    let bad = ConnectOptions::with_user_and_password("joe".into(), "wrong".into())
        .retry_on_initial_connect()
        .max_reconnects(Some(1))
        .connect(&url)
        .await;
    if let Ok(client) = bad {
        assert!(
            client.flush().await.is_err(),
            "a wrong password must not work"
        );
    }
    assert!(
        async_nats::connect(&url).await.is_err(),
        "no credentials must fail"
    );
    server.shutdown().await;

    let options = Options {
        auth: Authentication::Token("t0ken".into()),
        ..Options::local()
    };
    let server = Server::start(options).await.expect("starts");
    let client = ConnectOptions::with_token("t0ken".into())
        .connect(server.client_url())
        .await
        .expect("right token connects");
    client.flush().await.expect("works");
    assert!(
        ConnectOptions::with_token("nope".into())
            .connect(server.client_url())
            .await
            .is_err(),
        "a wrong token must fail"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_disconnects_clients() {
    let server = start().await;
    let client = connect(&server).await;
    let mut events = {
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
        let _client = ConnectOptions::new()
            .event_callback(move |event| {
                let sender = sender.clone();
                async move {
                    let _ = sender.send(event.to_string());
                }
            })
            .connect(server.client_url())
            .await
            .expect("connects");
        (receiver, _client)
    };
    client.flush().await.expect("flush");
    assert_eq!(server.num_connections(), 2);
    server.shutdown().await;
    let disconnected = tokio::time::timeout(PATIENCE, async {
        while let Some(event) = events.0.recv().await {
            if event == "disconnected" {
                return true;
            }
        }
        false
    });
    assert!(disconnected.await.expect("the client notices in time"));
}

#[tokio::test]
async fn server_info_reaches_the_client() {
    let options = Options {
        server_name: Some("unit-1".into()),
        ..Options::local()
    };
    let server = Server::start(options).await.expect("starts");
    let client = connect(&server).await;
    let info = client.server_info();
    assert_eq!(info.server_name, "unit-1");
    assert_eq!(info.server_id, server.server_id());
    assert!(info.server_id.starts_with('N') && info.server_id.len() == 56);
    assert_eq!(info.version, rnats_server::COMPATIBLE_VERSION);
    assert!(info.headers);
    assert_eq!(info.max_payload, 1024 * 1024);
    assert_eq!(info.proto, 1);
    server.shutdown().await;
}
