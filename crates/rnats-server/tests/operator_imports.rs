//! Imports and exports of account JWTs in operator mode: streams and services shared
//! between accounts, activation tokens, and updates that change what is shared. Every
//! scenario runs against rnats and the reference server, and both must deliver the same.

use std::net::SocketAddr;
use std::time::Duration;

use nkeys::KeyPair;
use rnats_server::{OperatorOptions, Options, Resolver, Server};
use rnats_testkit::jwt::{Operator, User, account_jwt, activation_jwt, now};
use rnats_testkit::{RawConn, ReferenceServer};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(5);

/// An account: its key and the JWT the resolver is preloaded with.
struct Acct {
    key: KeyPair,
    jwt: String,
}

impl Acct {
    fn public_key(&self) -> String {
        self.key.public_key()
    }
}

/// An operator naming a system account, and the accounts of one scenario.
struct World {
    operator: Operator,
    system: Acct,
    accounts: Vec<Acct>,
}

impl World {
    fn new() -> World {
        let system = KeyPair::new_account();
        let operator = Operator::new(json!({"system_account": system.public_key()}));
        let system_jwt = account_jwt(&operator.key, &system.public_key(), json!({}), json!({}));
        World {
            operator,
            system: Acct {
                key: system,
                jwt: system_jwt,
            },
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
        self.accounts.push(Acct { key, jwt });
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
        Options {
            operator: Some(OperatorOptions {
                operators: vec![self.operator.jwt.clone()],
                resolver: Resolver::Memory,
                preload: self.preload(),
                ..OperatorOptions::default()
            }),
            ..Options::local()
        }
    }

    fn config(&self) -> String {
        let preload: String = (self.preload().iter())
            .map(|(key, jwt)| format!("  {key}: {jwt}\n"))
            .collect();
        format!(
            "operator: {}\nresolver: MEMORY\nresolver_preload: {{\n{preload}}}\n",
            self.operator.jwt
        )
    }

    /// rnats and the reference, both with this world.
    async fn servers(&self) -> (Server, ReferenceServer) {
        let ours = Server::start(self.options()).await.expect("server starts");
        let reference = ReferenceServer::builder()
            .config(self.config())
            .args(["-D"])
            .start_async()
            .await;
        (ours, reference)
    }
}

/// A raw client of one account.
struct Client(RawConn);

impl Client {
    async fn connect(addr: SocketAddr, account: &KeyPair) -> Client {
        let user = User::new(account, json!({}), json!({}));
        let mut conn = RawConn::connect(addr).await;
        let info = conn.read_info().await;
        conn.send(user.connect_line(&info).as_bytes()).await;
        let got = conn.read_pong_within(WAIT).await;
        assert_eq!(String::from_utf8_lossy(&got.bytes), "", "{addr}: connect");
        Client(conn)
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

    /// Everything received up to a PING/PONG barrier.
    async fn received(&mut self) -> String {
        String::from_utf8_lossy(&self.0.sync().await).into_owned()
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
