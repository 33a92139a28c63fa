//! Accounts over real TCP with async-nats: isolation, stream and service imports, response
//! types, restricted exports, users without an account, and a refused reload.
//!
//! "Nothing arrived" is proven with a barrier, not a wait: after the publisher's round trip the
//! server has routed its message, so a marker the subscriber then publishes to itself must
//! be the next message it sees.

use std::time::Duration;

use async_nats::{Client, ConnectOptions, Subscriber};
use futures::StreamExt;
use rnats_server::{AccountConfig, Export, Import, Options, ResponseType, Server, User};

const WAIT: Duration = Duration::from_secs(5);

async fn start(accounts: Vec<AccountConfig>) -> Server {
    let mut users: Vec<User> = accounts
        .iter()
        .map(|a| User::password(&a.name.to_lowercase(), "pw").in_account(&a.name))
        .collect();
    users.push(User::password("global", "pw"));
    Server::start(Options {
        users,
        accounts,
        ..Options::local()
    })
    .await
    .expect("server starts")
}

async fn login(server: &Server, user: &str) -> Client {
    ConnectOptions::with_user_and_password(user.to_owned(), "pw".to_owned())
        .connect(server.client_url())
        .await
        .expect("connects")
}

/// The next message, skipping the round trips of `sync`.
async fn next(subscriber: &mut Subscriber) -> async_nats::Message {
    loop {
        let message = tokio::time::timeout(WAIT, subscriber.next())
            .await
            .expect("a message in time")
            .expect("subscription open");
        if !message.subject.starts_with("_INBOX.") {
            return message;
        }
    }
}

/// A round trip through the server: everything `client` sent before was handled (its
/// subscriptions exist, its messages were routed). `flush` only empties the client's buffer.
async fn sync(client: &Client) {
    let inbox = client.new_inbox();
    let mut own = client.subscribe(inbox.clone()).await.expect("sub");
    client.publish(inbox, "".into()).await.expect("publish");
    tokio::time::timeout(WAIT, own.next())
        .await
        .expect("round trip in time")
        .expect("subscription open");
}

/// Asserts the next message `client`'s subscriber sees is a marker it publishes now.
async fn nothing_else(client: &Client, subscriber: &mut Subscriber, marker: &str) {
    client
        .publish(marker.to_owned(), "marker".into())
        .await
        .expect("publish");
    let message = next(subscriber).await;
    assert_eq!(
        message.subject.as_str(),
        marker,
        "nothing else arrived first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_are_isolated_both_ways_even_for_full_wildcards() {
    let server = start(vec![
        AccountConfig::new("A", vec![], vec![]),
        AccountConfig::new("B", vec![], vec![]),
    ])
    .await;
    let (a, b, g) = (
        login(&server, "a").await,
        login(&server, "b").await,
        login(&server, "global").await,
    );
    let mut sub_a = a.subscribe(">").await.expect("sub");
    let mut sub_b = b.subscribe(">").await.expect("sub");
    let mut sub_g = g.subscribe(">").await.expect("sub");
    for client in [&a, &b, &g] {
        sync(client).await;
    }
    a.publish("x.y", "from a".into()).await.expect("publish");
    sync(&a).await;
    assert_eq!(next(&mut sub_a).await.payload, "from a");
    b.publish("x.y", "from b".into()).await.expect("publish");
    sync(&b).await;
    assert_eq!(next(&mut sub_b).await.payload, "from b");
    nothing_else(&a, &mut sub_a, "marker.a").await;
    nothing_else(&g, &mut sub_g, "marker.g").await;
    g.publish("x.y", "from g".into()).await.expect("publish");
    sync(&g).await;
    assert_eq!(next(&mut sub_g).await.payload, "from g");
    nothing_else(&b, &mut sub_b, "marker.b").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_imports_map_subjects_with_prefix_or_to() {
    let prefixed = Import {
        prefix: Some("fromA".into()),
        ..Import::stream("A", "events.>")
    };
    let mapped = Import {
        to: Some("ev.$2.$1".into()),
        ..Import::stream("A", "events.*.*")
    };
    let server = start(vec![
        AccountConfig::new("A", vec![Export::stream("events.>")], vec![]),
        AccountConfig::new("B", vec![], vec![prefixed]),
        AccountConfig::new("C", vec![], vec![mapped]),
    ])
    .await;
    let (a, b, c) = (
        login(&server, "a").await,
        login(&server, "b").await,
        login(&server, "c").await,
    );
    let mut sub_b = b.subscribe("fromA.>").await.expect("sub");
    let mut sub_c = c.subscribe("ev.>").await.expect("sub");
    sync(&b).await;
    sync(&c).await;
    a.publish("events.x.y", "hi".into()).await.expect("publish");
    sync(&a).await;
    assert_eq!(next(&mut sub_b).await.subject.as_str(), "fromA.events.x.y");
    assert_eq!(next(&mut sub_c).await.subject.as_str(), "ev.y.x");
    // Nothing flows back from importer to exporter.
    let mut sub_a = a.subscribe(">").await.expect("sub");
    sync(&a).await;
    b.publish("events.x.y", "back".into())
        .await
        .expect("publish");
    sync(&b).await;
    nothing_else(&a, &mut sub_a, "marker").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_imports_answer_requests_through_a_rewritten_reply() {
    let import = Import {
        to: Some("single".into()),
        ..Import::service("A", "svc.single")
    };
    let server = start(vec![
        AccountConfig::new("A", vec![Export::service("svc.>")], vec![]),
        AccountConfig::new("B", vec![], vec![import]),
    ])
    .await;
    let (a, b) = (login(&server, "a").await, login(&server, "b").await);
    let mut requests = a.subscribe("svc.>").await.expect("sub");
    sync(&a).await;
    let responder = tokio::spawn(async move {
        let request = next(&mut requests).await;
        let reply = request.reply.clone().expect("a reply subject");
        assert!(reply.starts_with("_R_."), "rewritten reply {reply}");
        assert_eq!(reply.split('.').count(), 3, "rewritten reply {reply}");
        let info = request
            .headers
            .as_ref()
            .and_then(|h| h.get("Nats-Request-Info"))
            .map(|v| v.as_str().to_owned())
            .expect("request info header");
        assert!(info.starts_with("{\"acc\":\"B\""), "{info}");
        a.publish(reply, request.payload).await.expect("respond");
        sync(&a).await;
        (request.subject.to_string(), a, requests)
    });
    let response = tokio::time::timeout(WAIT, b.request("single", "ping".into()))
        .await
        .expect("in time")
        .expect("answered");
    assert_eq!(response.payload, "ping");
    let (subject, _a, _requests) = responder.await.expect("responder");
    assert_eq!(subject, "svc.single");
}

/// Sends one request from B through the import, answers it twice from A, and returns what
/// B's reply subscription saw before a marker.
async fn two_responses(response_type: ResponseType) -> Vec<String> {
    let server = start(vec![
        AccountConfig::new(
            "A",
            vec![Export {
                response_type,
                ..Export::service("svc")
            }],
            vec![],
        ),
        AccountConfig::new("B", vec![], vec![Import::service("A", "svc")]),
    ])
    .await;
    let (a, b) = (login(&server, "a").await, login(&server, "b").await);
    let mut requests = a.subscribe("svc").await.expect("sub");
    let mut replies = b.subscribe("inbox.>").await.expect("sub");
    sync(&a).await;
    sync(&b).await;
    b.publish_with_reply("svc", "inbox.1", "req".into())
        .await
        .expect("request");
    sync(&b).await;
    let reply = next(&mut requests).await.reply.expect("reply");
    for answer in ["one", "two"] {
        a.publish(reply.clone(), answer.into())
            .await
            .expect("respond");
    }
    sync(&a).await;
    b.publish("inbox.marker", "end".into())
        .await
        .expect("marker");
    sync(&b).await;
    let mut seen = Vec::new();
    loop {
        let message = next(&mut replies).await;
        if message.subject.as_str() == "inbox.marker" {
            return seen;
        }
        assert_eq!(message.subject.as_str(), "inbox.1", "{message:?}");
        seen.push(String::from_utf8_lossy(&message.payload).into_owned());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn singleton_responses_stop_after_one_and_streams_keep_going() {
    assert_eq!(two_responses(ResponseType::Singleton).await, ["one"]);
    assert_eq!(two_responses(ResponseType::Stream).await, ["one", "two"]);
    assert_eq!(two_responses(ResponseType::Chunked).await, ["one", "two"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_restricted_to_some_accounts_refuse_the_others() {
    let restricted = Export {
        accounts: vec!["B".into()],
        ..Export::stream("s")
    };
    let allowed = start(vec![
        AccountConfig::new("A", vec![restricted.clone()], vec![]),
        AccountConfig::new("B", vec![], vec![Import::stream("A", "s")]),
    ])
    .await;
    allowed.shutdown().await;
    let refused = Server::start(Options {
        accounts: vec![
            AccountConfig::new("A", vec![restricted], vec![]),
            AccountConfig::new("B", vec![], vec![]),
            AccountConfig::new("C", vec![], vec![Import::stream("A", "s")]),
        ],
        ..Options::local()
    })
    .await;
    assert_eq!(
        refused.err().map(|e| e.to_string()),
        Some("Error adding stream import \"s\": stream import not authorized".to_owned())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_without_an_account_land_in_the_global_account() {
    let server = start(vec![AccountConfig::new("A", vec![], vec![])]).await;
    let g = login(&server, "global").await;
    let info = g.server_info();
    assert!(info.client_id > 0);
    let mut sub = g.subscribe("x").await.expect("sub");
    sync(&g).await;
    let a = login(&server, "a").await;
    a.publish("x", "a".into()).await.expect("publish");
    sync(&a).await;
    nothing_else(&g, &mut sub, "x").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_with_an_unauthorized_import_changes_nothing() {
    let server = start(vec![
        AccountConfig::new("A", vec![Export::stream("s")], vec![]),
        AccountConfig::new("B", vec![], vec![Import::stream("A", "s")]),
    ])
    .await;
    let mut options = (*server.options()).clone();
    options.accounts = vec![
        AccountConfig::new("A", vec![], vec![]),
        AccountConfig::new("B", vec![], vec![Import::stream("A", "s")]),
    ];
    let error = server.handle().reload(options).expect_err("refused");
    assert_eq!(
        error.to_string(),
        "Error adding stream import \"s\": stream import not authorized"
    );
    // The refused reload left the import in place.
    let b = login(&server, "b").await;
    let mut sub = b.subscribe("s").await.expect("sub");
    sync(&b).await;
    let a = login(&server, "a").await;
    a.publish("s", "still".into()).await.expect("publish");
    assert_eq!(&next(&mut sub).await.payload[..], b"still");
}
