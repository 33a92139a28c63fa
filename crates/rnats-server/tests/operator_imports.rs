//! Imports and exports of account JWTs in operator mode: streams and services shared
//! between accounts, activation tokens, and updates that change what is shared. Every
//! scenario runs against rnats and the reference server, and both must deliver the same.

use std::net::SocketAddr;
use std::time::Duration;

use nkeys::KeyPair;
use rnats_server::{Options, Server};
use rnats_testkit::jwt::{
    Account, Operator, User, account_jwt, activation_jwt, memory_resolver, now,
};
use rnats_testkit::{RawConn, ReferenceServer};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(5);

/// An account: its key and the JWT the resolver is preloaded with.
/// An operator naming a system account, and the accounts of one scenario.
struct World {
    operator: Operator,
    system: Account,
    accounts: Vec<Account>,
}

impl World {
    fn new() -> World {
        let (operator, system) = Operator::with_system_account();
        World {
            operator,
            system,
            accounts: Vec::new(),
        }
    }

    /// A fresh account key (its JWT comes later, when what it imports is known).
    fn key(&self) -> KeyPair {
        KeyPair::new_account()
    }

    /// Adds the account `key` with these claims; returns its index.
    fn add(&mut self, key: KeyPair, nats: Value) -> usize {
        let jwt = self.sign(&key, nats, json!({}));
        self.accounts.push(Account { key, jwt });
        self.accounts.len() - 1
    }

    /// An account JWT for `key`, signed by the operator.
    fn sign(&self, key: &KeyPair, nats: Value, extra: Value) -> String {
        account_jwt(&self.operator.key, &key.public_key(), nats, extra)
    }

    fn preload(&self) -> Vec<(String, String)> {
        std::iter::once(&self.system)
            .chain(&self.accounts)
            .map(|account| (account.public_key(), account.jwt.clone()))
            .collect()
    }

    fn options(&self) -> Options {
        memory_resolver(&self.operator.jwt, &self.preload()).0
    }

    fn config(&self) -> String {
        memory_resolver(&self.operator.jwt, &self.preload()).1
    }

    /// rnats and the reference, both with this world.
    async fn servers(&self) -> (Server, ReferenceServer) {
        let ours = Server::start(self.options()).await.expect("server starts");
        let reference = ReferenceServer::builder()
            .config(self.config())
            .start_async()
            .await;
        (ours, reference)
    }
}

/// A raw client of one account.
struct Client(RawConn);

impl Client {
    async fn connect(addr: SocketAddr, account: &KeyPair) -> Client {
        let connected = Client::try_connect(addr, account).await;
        connected.unwrap_or_else(|refused| panic!("{addr}: connect: {refused}"))
    }

    /// Connects a user of `account`; the error is what the server answered instead of PONG.
    async fn try_connect(addr: SocketAddr, account: &KeyPair) -> Result<Client, String> {
        let user = User::new(account, json!({}), json!({}));
        let mut conn = RawConn::connect(addr).await;
        let info = conn.read_info().await;
        conn.send(user.connect_line(&info).as_bytes()).await;
        let got = conn.read_pong_within(WAIT).await;
        match String::from_utf8_lossy(&got.bytes).as_ref() {
            "" => Ok(Client(conn)),
            refused => Err(refused.to_owned()),
        }
    }

    async fn send(&mut self, line: &str) {
        self.0.send(line.as_bytes()).await;
    }

    /// Subscribes and waits until the server has it.
    async fn subscribe(&mut self, subject: &str, sid: u32) {
        self.send(&format!("SUB {subject} {sid}\r\n")).await;
        self.received().await;
    }

    /// Publishes and waits until the server has routed it.
    async fn publish(&mut self, subject: &str, reply: Option<&str>, payload: &str) {
        let reply = reply.map(|r| format!(" {r}")).unwrap_or_default();
        self.send(&format!(
            "PUB {subject}{reply} {}\r\n{payload}\r\n",
            payload.len()
        ))
        .await;
        let got = self.received().await;
        assert_eq!(got, "", "publishing {subject}");
    }

    /// Everything received up to a PING/PONG barrier, but for the server's own PINGs.
    async fn received(&mut self) -> String {
        rnats_testkit::without_server_pings(&self.0.sync().await)
    }
}

/// `text` with every reply subject of a service import (`_R_.<token>.<token>`) made `_R_`.
fn without_reply_tokens(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            if word.starts_with("_R_.") {
                "_R_"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The reply subject of the first message in `text`.
fn reply_of(text: &str) -> Option<String> {
    text.split_whitespace()
        .find(|word| word.starts_with("_R_."))
        .map(str::to_owned)
}

/// A system account client's request: the reply's payload.
async fn update(addr: SocketAddr, world: &World, account: &KeyPair, jwt: &str) -> String {
    let mut system = Client::connect(addr, &world.system.key).await;
    system.subscribe("update.reply", 1).await;
    let subject = format!("$SYS.REQ.ACCOUNT.{}.CLAIMS.UPDATE", account.public_key());
    system
        .send(&format!(
            "PUB {subject} update.reply {}\r\n{jwt}\r\n",
            jwt.len()
        ))
        .await;
    let line = system.0.read_line_within(WAIT).await;
    let payload = system.0.read_line_within(WAIT).await;
    format!(
        "{}{}",
        String::from_utf8_lossy(&line.bytes),
        String::from_utf8_lossy(&payload.bytes)
    )
}

#[tokio::test]
async fn public_stream_imports_deliver_under_local_subjects_and_prefixes() {
    let mut world = World::new();
    let exporter = world.key();
    let e = exporter.public_key();
    let export = json!({"exports": [{"subject": "feed.>", "type": "stream"}]});
    let imports = [
        json!({"subject": "feed.>", "account": e, "type": "stream"}),
        json!({"subject": "feed.>", "account": e, "type": "stream", "local_subject": "mapped.>"}),
        json!({"subject": "feed.>", "account": e, "type": "stream", "to": "pfx"}),
        json!({"subject": "feed.a", "account": e, "type": "stream"}),
        json!({"subject": "other.>", "account": e, "type": "stream"}),
        json!({"subject": "feed.>", "account": e, "type": "service"}),
    ];
    world.add(exporter, export);
    for import in imports {
        let key = world.key();
        world.add(key, json!({ "imports": [import] }));
    }
    let (ours, reference) = world.servers().await;
    for addr in [reference.addr(), ours.client_addr()] {
        let mut subscribers = Vec::new();
        for account in &world.accounts[1..] {
            let mut client = Client::connect(addr, &account.key).await;
            client.subscribe(">", 1).await;
            subscribers.push(client);
        }
        let mut publisher = Client::connect(addr, &world.accounts[0].key).await;
        publisher.publish("feed.a", None, "x").await;
        publisher.publish("feed.b.c", None, "y").await;
        let mut got = Vec::new();
        for subscriber in &mut subscribers {
            got.push(subscriber.received().await);
        }
        assert_eq!(
            got,
            [
                "MSG feed.a 1 1\r\nx\r\nMSG feed.b.c 1 1\r\ny\r\n",
                "MSG mapped.a 1 1\r\nx\r\nMSG mapped.b.c 1 1\r\ny\r\n",
                "MSG pfx.feed.a 1 1\r\nx\r\nMSG pfx.feed.b.c 1 1\r\ny\r\n",
                "MSG feed.a 1 1\r\nx\r\n",
                "",
                "",
            ],
            "{addr}"
        );
    }
}

#[tokio::test]
async fn public_service_imports_answer_requests_across_accounts() {
    let mut world = World::new();
    let exporter = world.key();
    let e = exporter.public_key();
    world.add(
        exporter,
        json!({"exports": [{"subject": "svc.>", "type": "service"}]}),
    );
    let imports = [
        (
            "svc.time",
            json!({"subject": "svc.time", "account": e, "type": "service"}),
        ),
        (
            "ask.time",
            json!({"subject": "svc.time", "account": e, "type": "service",
                   "local_subject": "ask.time"}),
        ),
        (
            "ask.x.y",
            json!({"subject": "svc.*.*", "account": e, "type": "service",
                   "local_subject": "ask.$2.$1"}),
        ),
        (
            "svc.time",
            json!({"subject": "svc.time", "account": e, "type": "stream"}),
        ),
    ];
    for (_, import) in &imports {
        let key = world.key();
        world.add(key, json!({ "imports": [import] }));
    }
    let (ours, reference) = world.servers().await;
    for addr in [reference.addr(), ours.client_addr()] {
        let mut responder = Client::connect(addr, &world.accounts[0].key).await;
        responder.subscribe("svc.>", 1).await;
        let mut transcripts = Vec::new();
        for (account, (subject, _)) in world.accounts[1..].iter().zip(&imports) {
            let mut requester = Client::connect(addr, &account.key).await;
            requester.subscribe("inbox.>", 9).await;
            requester.publish(subject, Some("inbox.1"), "q").await;
            let request = responder.received().await;
            if let Some(reply) = reply_of(&request) {
                responder.publish(&reply, None, "a").await;
            }
            let response = requester.received().await;
            transcripts.push((without_reply_tokens(&request), response));
        }
        let answered = |request: &str| {
            (
                format!("MSG {request} 1 _R_ 1\r\nq\r\n"),
                "MSG inbox.1 9 1\r\na\r\n".to_owned(),
            )
        };
        assert_eq!(
            transcripts,
            [
                answered("svc.time"),
                answered("svc.time"),
                answered("svc.y.x"),
                (String::new(), String::new()),
            ],
            "{addr}"
        );
    }
}

#[tokio::test]
async fn token_required_exports_need_a_valid_activation() {
    let mut world = World::new();
    let (exporter, exporter_signing) = (world.key(), KeyPair::new_account());
    let e = exporter.public_key();
    let importers: Vec<KeyPair> = (0..11).map(|_| world.key()).collect();
    let key = |i: usize| importers[i].public_key();
    world.add(
        KeyPair::from_seed(&exporter.seed().expect("seed")).expect("key"),
        json!({
            "signing_keys": [exporter_signing.public_key()],
            "exports": [
                {"subject": "secret.>", "type": "stream", "token_req": true,
                 "revocations": {key(4): now() + 100}},
                {"subject": "per.*", "type": "stream", "account_token_position": 2},
            ],
        }),
    );
    let token = |issuer: &KeyPair, importer: &str, subject: &str, nats: Value, extra: Value| {
        activation_jwt(issuer, importer, subject, "stream", nats, extra)
    };
    let tokens = [
        String::new(),
        token(&exporter, &key(1), "secret.>", json!({}), json!({})),
        token(&exporter, &key(1), "secret.>", json!({}), json!({})),
        token(
            &exporter,
            &key(3),
            "secret.>",
            json!({}),
            json!({"exp": now() - 10}),
        ),
        token(&exporter, &key(4), "secret.>", json!({}), json!({})),
        token(
            &exporter_signing,
            &key(5),
            "secret.>",
            json!({"issuer_account": e}),
            json!({}),
        ),
        token(&exporter, &key(6), "secret.a", json!({}), json!({})),
        "not.a.token".to_owned(),
        token(
            &KeyPair::new_account(),
            &key(8),
            "secret.>",
            json!({}),
            json!({}),
        ),
    ];
    for (i, token) in tokens.iter().enumerate() {
        let import = json!({"subject": "secret.>", "account": e, "type": "stream", "token": token});
        world.add(
            KeyPair::from_seed(&importers[i].seed().expect("seed")).expect("key"),
            json!({ "imports": [import] }),
        );
    }
    for (i, named) in [(9, 9), (10, 1)] {
        let import =
            json!({"subject": format!("per.{}", key(named)), "account": e, "type": "stream"});
        world.add(
            KeyPair::from_seed(&importers[i].seed().expect("seed")).expect("key"),
            json!({ "imports": [import] }),
        );
    }
    let (ours, reference) = world.servers().await;
    for addr in [reference.addr(), ours.client_addr()] {
        let mut subscribers = Vec::new();
        for account in &world.accounts[1..] {
            let client = Client::try_connect(addr, &account.key).await;
            subscribers.push(match client {
                Ok(mut client) => {
                    client.subscribe(">", 1).await;
                    Ok(client)
                }
                Err(refused) => Err(refused),
            });
        }
        let mut publisher = Client::connect(addr, &exporter).await;
        publisher.publish("secret.x", None, "s").await;
        publisher
            .publish(&format!("per.{}", key(9)), None, "p")
            .await;
        publisher
            .publish(&format!("per.{}", key(1)), None, "p")
            .await;
        let mut got = Vec::new();
        for subscriber in &mut subscribers {
            got.push(match subscriber {
                Ok(client) => client.received().await,
                Err(refused) => refused.clone(),
            });
        }
        let secret = "MSG secret.x 1 1\r\ns\r\n".to_owned();
        let per = format!("MSG per.{} 1 1\r\np\r\n", key(9));
        // Tokens that do not fit their import make the importer's JWT invalid.
        let refused = "-ERR 'Authorization Violation'\r\n";
        let expected = [
            "", // no token
            &secret, refused, // a token for another account
            "",      // expired
            "",      // revoked by the export
            &secret, // issued by a signing key of the exporter
            refused, // a token for a narrower subject
            refused, // not a token
            refused, // a token from a stranger
            &per, "", // the token position names another account
        ];
        assert_eq!(got, expected, "{addr}");
    }
}

#[tokio::test]
async fn updates_of_exporter_and_importer_change_what_flows() {
    let mut world = World::new();
    let (exporter, importer) = (world.key(), world.key());
    let e = exporter.public_key();
    let export = json!({"exports": [{"subject": "feed.>", "type": "stream"}]});
    let import = json!({"imports": [{"subject": "feed.>", "account": e, "type": "stream"}]});
    let copy = |key: &KeyPair| KeyPair::from_seed(&key.seed().expect("seed")).expect("key");
    world.add(copy(&exporter), export.clone());
    world.add(copy(&importer), import);
    let (ours, reference) = world.servers().await;
    let updates = [
        (&exporter, json!({}), ""),
        (&exporter, export, "MSG feed.x 1 1\r\nx\r\n"),
        (&importer, json!({}), ""),
    ];
    for addr in [reference.addr(), ours.client_addr()] {
        let mut subscriber = Client::connect(addr, &importer).await;
        subscriber.subscribe(">", 1).await;
        let mut publisher = Client::connect(addr, &exporter).await;
        publisher.publish("feed.x", None, "x").await;
        assert_eq!(subscriber.received().await, "MSG feed.x 1 1\r\nx\r\n");
        for (step, (account, nats, expected)) in updates.iter().enumerate() {
            let issued = json!({"iat": now() + 1 + step as i64});
            let jwt = world.sign(account, nats.clone(), issued);
            let reply = update(addr, &world, account, &jwt).await;
            assert!(reply.contains("jwt updated"), "{addr} step {step}: {reply}");
            publisher.publish("feed.x", None, "x").await;
            assert_eq!(subscriber.received().await, *expected, "{addr} step {step}");
        }
    }
}
