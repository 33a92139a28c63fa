//! Account JWT updates and lookups over the system account in operator mode, with the
//! reference's replies.

use std::path::PathBuf;
use std::time::Duration;

use nkeys::KeyPair;
use rnats_server::{OperatorOptions, Options, Resolver, Server};
use rnats_testkit::jwt::{Account, Operator, User, account_jwt, encode, now};
use rnats_testkit::{RawConn, ReferenceServer};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(5);

/// An operator whose JWT names a system account, and account `a` (one connection at most).
struct World {
    operator: Operator,
    system: KeyPair,
    system_jwt: String,
    a: Account,
}

/// A fresh directory under the system temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let path = std::env::temp_dir().join(format!(
            "rnats-resolver-{tag}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path).expect("temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl World {
    fn new() -> World {
        let (operator, system) = Operator::with_system_account();
        let (system, system_jwt) = (system.key, system.jwt);
        let a = Account::new(&operator.key, json!({"limits": {"conn": 1}}));
        World {
            operator,
            system,
            system_jwt,
            a,
        }
    }

    /// A directory holding the system account's and `a`'s JWTs.
    fn directory(&self, tag: &str) -> TempDir {
        let dir = TempDir::new(tag);
        for (key, jwt) in [
            (self.system.public_key(), &self.system_jwt),
            (self.a.public_key(), &self.a.jwt),
        ] {
            std::fs::write(dir.0.join(format!("{key}.jwt")), jwt).expect("write jwt");
        }
        dir
    }

    fn options(&self, resolver: Resolver) -> Options {
        let preload = match resolver {
            Resolver::Memory => vec![
                (self.system.public_key(), self.system_jwt.clone()),
                (self.a.public_key(), self.a.jwt.clone()),
            ],
            _ => Vec::new(),
        };
        Options {
            operator: Some(OperatorOptions {
                operators: vec![self.operator.jwt.clone()],
                resolver,
                preload,
                ..OperatorOptions::default()
            }),
            ..Options::local()
        }
    }

    fn directory_resolver(dir: &TempDir, full: bool) -> Resolver {
        Resolver::Directory {
            dir: dir.0.clone(),
            full,
            allow_delete: false,
            interval: Duration::from_secs(120),
            limit: 1000,
            ttl: Duration::from_secs(120),
            timeout: Duration::from_secs(2),
        }
    }

    /// The reference's configuration for a directory resolver.
    fn config(&self, dir: &TempDir, kind: &str) -> String {
        format!(
            "operator: {}\nresolver: {{type: {kind}, dir: \"{}\"}}\n",
            self.operator.jwt,
            dir.0.display()
        )
    }

    /// A client of the system account.
    async fn system_client(&self, url: &str) -> async_nats::Client {
        let user = User::new(&self.system, json!({}), json!({}));
        connect(&user, url).await.expect("system user connects")
    }

    fn a_user(&self) -> User {
        User::new(&self.a.key, json!({}), json!({}))
    }
}

async fn connect(user: &User, url: &str) -> Result<async_nats::Client, String> {
    async_nats::ConnectOptions::with_credentials(&user.creds())
        .expect("creds")
        .max_reconnects(Some(0))
        .connect(url)
        .await
        .map_err(|error| error.to_string())
}

/// The reply to a request, as text.
async fn request(client: &async_nats::Client, subject: String, payload: String) -> String {
    let reply = tokio::time::timeout(WAIT, client.request(subject, payload.into()))
        .await
        .expect("a reply in time");
    match reply {
        Ok(message) => String::from_utf8_lossy(&message.payload).into_owned(),
        Err(error) => format!("error: {}", error.kind()),
    }
}

/// An update reply without its `server` object.
fn outcome(reply: &str) -> Value {
    let mut value: Value = serde_json::from_str(reply).expect("JSON reply");
    let server = value.as_object_mut().and_then(|o| o.remove("server"));
    assert!(server.is_some_and(|s| s["id"].is_string()), "{reply}");
    value
}

fn update_subject(key: &str) -> String {
    format!("$SYS.REQ.ACCOUNT.{key}.CLAIMS.UPDATE")
}

#[tokio::test]
async fn a_full_resolver_update_raises_the_connection_limit_and_is_stored() {
    let world = World::new();
    let dir = world.directory("full");
    let options = world.options(World::directory_resolver(&dir, true));
    let server = Server::start(options).await.expect("starts");
    let url = server.client_url();
    let system = world.system_client(&url).await;
    let key = world.a.public_key();
    let _first = connect(&world.a_user(), &url).await.expect("first");
    let refused = connect(&world.a_user(), &url).await;
    assert!(refused.is_err(), "the limit is one connection");

    let raised = account_jwt(
        &world.operator.key,
        &key,
        json!({"limits": {"conn": 2}}),
        json!({}),
    );
    let reply = request(&system, update_subject(&key), raised.clone()).await;
    assert_eq!(
        outcome(&reply),
        json!({"data": {"account": key, "code": 200, "message": "jwt updated"}})
    );
    let stored = std::fs::read_to_string(dir.0.join(format!("{key}.jwt"))).expect("file");
    assert_eq!(stored, raised);
    connect(&world.a_user(), &url)
        .await
        .expect("the raised limit admits a second connection");

    // Lookups answer the stored JWT, and nothing for an unknown account.
    let lookup = format!("$SYS.REQ.ACCOUNT.{key}.CLAIMS.LOOKUP");
    assert_eq!(request(&system, lookup, String::new()).await, raised);
    let unknown = KeyPair::new_account().public_key();
    let lookup = format!("$SYS.REQ.ACCOUNT.{unknown}.CLAIMS.LOOKUP");
    assert_eq!(request(&system, lookup, String::new()).await, "");

    // A new account through the generic subject: stored, then usable.
    let b = Account::new(&world.operator.key, json!({}));
    let reply = request(&system, "$SYS.REQ.CLAIMS.UPDATE".into(), b.jwt.clone()).await;
    assert_eq!(outcome(&reply)["data"]["message"], "jwt updated");
    assert!(dir.0.join(format!("{}.jwt", b.public_key())).exists());
    let b_user = User::new(&b.key, json!({}), json!({}));
    connect(&b_user, &url)
        .await
        .expect("the new account's user connects");
}

#[tokio::test]
async fn a_revocation_closes_the_revoked_users_connection() {
    let world = World::new();
    let dir = world.directory("revoke");
    let options = world.options(World::directory_resolver(&dir, true));
    let server = Server::start(options).await.expect("starts");
    let system = world.system_client(&server.client_url()).await;
    let user = world.a_user();
    let mut conn = RawConn::connect(server.client_addr()).await;
    let info = conn.read_info().await;
    conn.send(user.connect_line(&info).as_bytes()).await;
    conn.read_pong_within(WAIT).await;
    let key = world.a.public_key();
    let revoking = account_jwt(
        &world.operator.key,
        &key,
        json!({"revocations": {user.key.public_key(): now() + 1}}),
        json!({}),
    );
    let reply = request(&system, update_subject(&key), revoking).await;
    assert_eq!(outcome(&reply)["data"]["message"], "jwt updated");
    let (bytes, closed) = conn.read_until_closed(WAIT).await;
    let text = rnats_testkit::without_server_pings(&bytes);
    assert_eq!(text, "-ERR 'User Authentication Revoked'\r\n");
    assert!(closed);
}

/// The same updates on both servers; the replies without their `server` objects.
async fn bad_updates(world: &World, url: &str) -> Vec<Value> {
    let system = world.system_client(url).await;
    let key = world.a.public_key();
    let other = Account::new(&world.operator.key, json!({}));
    let user = world.a_user();
    let mut out = Vec::new();
    for (subject, payload) in [
        ("$SYS.REQ.CLAIMS.UPDATE".to_owned(), "abc".to_owned()),
        ("$SYS.REQ.CLAIMS.UPDATE".to_owned(), String::new()),
        ("$SYS.REQ.CLAIMS.UPDATE".to_owned(), user.jwt.clone()),
        (update_subject(&key), other.jwt.clone()),
        (update_subject(&key), "abc".to_owned()),
    ] {
        out.push(outcome(&request(&system, subject, payload).await));
    }
    out
}

#[tokio::test]
async fn bad_updates_are_refused_as_the_reference_refuses_them() {
    let world = World::new();
    let (ours_dir, theirs_dir) = (world.directory("ours"), world.directory("theirs"));
    let options = world.options(World::directory_resolver(&ours_dir, true));
    let server = Server::start(options).await.expect("starts");
    let reference = ReferenceServer::builder()
        .config(world.config(&theirs_dir, "full"))
        .start_async()
        .await;
    let ours = bad_updates(&world, &server.client_url()).await;
    let theirs = bad_updates(&world, &format!("nats://{}", reference.addr())).await;
    assert_eq!(ours, theirs);
    let error = |account: &str, why: &str| {
        json!({"error": {"account": account, "code": 500,
                         "description": format!("jwt update resulted in error - {why}")}})
    };
    let key = world.a.public_key();
    assert_eq!(ours[0], error("n/a", "expected 3 chunks"));
    assert_eq!(ours[2], error("n/a", "not account claim"));
    assert_eq!(ours[3], error(&key, "subject does not match jwt content"));
}

#[tokio::test]
async fn cache_and_memory_resolvers_answer_as_the_reference_does() {
    let world = World::new();
    let dir = world.directory("cache");
    let server = Server::start(world.options(World::directory_resolver(&dir, false)))
        .await
        .expect("starts");
    let system = world.system_client(&server.client_url()).await;
    let stranger = Account::new(&world.operator.key, json!({}));
    let reply = request(
        &system,
        "$SYS.REQ.CLAIMS.UPDATE".into(),
        stranger.jwt.clone(),
    )
    .await;
    assert_eq!(
        outcome(&reply)["data"]["message"],
        "jwt update cache skipped"
    );
    assert!(
        !dir.0
            .join(format!("{}.jwt", stranger.public_key()))
            .exists()
    );
    let lookup = format!("$SYS.REQ.ACCOUNT.{}.CLAIMS.LOOKUP", world.a.public_key());
    assert_eq!(
        request(&system, lookup, String::new()).await,
        "error: no responders"
    );

    let server = Server::start(world.options(Resolver::Memory))
        .await
        .expect("starts");
    let url = server.client_url();
    let system = world.system_client(&url).await;
    let reply = request(
        &system,
        "$SYS.REQ.CLAIMS.UPDATE".into(),
        stranger.jwt.clone(),
    )
    .await;
    assert_eq!(reply, "error: no responders");
    let subject = update_subject(&stranger.public_key());
    let reply = request(&system, subject, stranger.jwt.clone()).await;
    assert_eq!(
        outcome(&reply),
        json!({"data": {"account": stranger.public_key(), "code": 200,
                        "message": "jwt update skipped"}})
    );
    // An account in use takes a trusted update; an untrusted one is refused.
    let key = world.a.public_key();
    let _first = connect(&world.a_user(), &url).await.expect("first");
    let raised = account_jwt(
        &world.operator.key,
        &key,
        json!({"limits": {"conn": 2}}),
        json!({}),
    );
    let reply = request(&system, update_subject(&key), raised).await;
    assert_eq!(outcome(&reply)["data"]["message"], "jwt updated");
    connect(&world.a_user(), &url)
        .await
        .expect("second connects");
    let untrusted = account_jwt(&Operator::plain().key, &key, json!({}), json!({}));
    let reply = request(&system, update_subject(&key), untrusted).await;
    assert_eq!(
        outcome(&reply)["error"]["description"],
        "jwt update resulted in error - account validation failed"
    );
}

/// `$SYS.REQ.CLAIMS.DELETE` on both servers with the same directory contents: the same
/// replies, the same files left, the same end for a client of the deleted account.
#[tokio::test]
async fn deletions_match_the_reference() {
    let world = World::new();
    let key = world.a.public_key();
    let operator = &world.operator.key;
    let op_key = operator.public_key();
    let stranger = KeyPair::new_operator();
    let deletion = |signer: &KeyPair, subject: &str, accounts: Value| {
        encode(signer, subject, json!({"accounts": accounts}), json!({}))
    };
    let requests = [
        "garbage".to_owned(),
        deletion(operator, &key, json!([key])),
        deletion(&stranger, &stranger.public_key(), json!([key])),
        encode(operator, &op_key, json!({}), json!({})),
        deletion(operator, &op_key, json!(["x"])),
        deletion(operator, &op_key, json!([world.system.public_key()])),
        deletion(
            operator,
            &op_key,
            json!([KeyPair::new_account().public_key()]),
        ),
        deletion(operator, &op_key, json!([key])),
    ];
    let ours_dir = world.directory("delete-ours");
    let theirs_dir = world.directory("delete-theirs");
    let allowing = |dir: &TempDir| match World::directory_resolver(dir, true) {
        Resolver::Directory {
            dir,
            full,
            interval,
            limit,
            ttl,
            timeout,
            ..
        } => Resolver::Directory {
            dir,
            full,
            allow_delete: true,
            interval,
            limit,
            ttl,
            timeout,
        },
        other => other,
    };
    let server = Server::start(world.options(allowing(&ours_dir)))
        .await
        .expect("starts");
    let reference = ReferenceServer::builder()
        .config(format!(
            "operator: {}\nresolver: {{type: full, dir: \"{}\", allow_delete: true}}\n",
            world.operator.jwt,
            theirs_dir.0.display()
        ))
        .start_async()
        .await;
    let mut seen = Vec::new();
    for (addr, dir) in [
        (server.client_addr(), &ours_dir),
        (reference.addr(), &theirs_dir),
    ] {
        let url = format!("nats://{addr}");
        let mut member = RawConn::connect(addr).await;
        let info = member.read_info().await;
        member
            .send(world.a_user().connect_line(&info).as_bytes())
            .await;
        assert_eq!(member.read_line_within(WAIT).await.bytes, b"PONG\r\n");
        let system = world.system_client(&url).await;
        let mut replies = Vec::new();
        for token in &requests {
            let reply = request(&system, "$SYS.REQ.CLAIMS.DELETE".into(), token.clone()).await;
            replies.push(outcome(&reply));
        }
        let (bytes, closed) = member.read_until_closed(WAIT).await;
        let mut files: Vec<String> = std::fs::read_dir(&dir.0)
            .expect("dir")
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .collect();
        files.sort();
        let refused = connect(&world.a_user(), &url).await.is_err();
        let text = rnats_testkit::without_server_pings(&bytes);
        seen.push((replies, files, text, closed, refused));
    }
    assert_eq!(seen[0], seen[1]);
    let (replies, files, text, closed, refused) = &seen[0];
    assert_eq!(
        replies.last(),
        Some(&json!({"data": {"code": 200, "message": "deleted 1 accounts"}}))
    );
    assert_eq!(
        replies[2],
        json!({"error": {"code": 500, "description": format!(
            "delete accounts request by {} failed - not trusted", stranger.public_key())}})
    );
    assert!(files.contains(&format!("{key}.jwt.deleted")), "{files:?}");
    assert_eq!(text, "-ERR 'Account Authentication Expired'\r\n");
    assert!(*closed && *refused);
}
