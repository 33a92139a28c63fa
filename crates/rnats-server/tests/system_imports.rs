//! The service imports every account gets from the system account: `CONNZ` and `STATZ`
//! about the requester's own account, and `$SYS.REQ.USER.INFO`, compared side by side
//! with the reference server started with the same configuration.

#[path = "system/support.rs"]
mod support;

use std::net::SocketAddr;
use support::{key_paths, login, request};

use async_nats::{Client, ConnectOptions};
use nkeys::KeyPair;
use rnats_server::{
    AccountConfig, Authentication, Options, Permissions, ResponsePermission, Server,
    SubjectPermission, User,
};
use rnats_testkit::ReferenceServer;
use rnats_testkit::jwt::{Account, Operator, User as JwtUser, memory_resolver, now};
use serde_json::{Value, json};

/// Accounts SYS (the system account), A and B; `a` has permissions (and responses), `a2`
/// none, the NKey user is in B.
fn config(nkey: &str) -> String {
    format!(
        "accounts {{\n  SYS: {{ users: [{{user: sys, password: pw}}] }}\n  \
         A: {{ users: [{{user: a, password: pw, permissions: {{\
         publish: {{allow: [\"foo\", \"$SYS.REQ.>\", \"_INBOX.>\"], deny: [\"bar\"]}}, \
         subscribe: {{allow: [\"_INBOX.>\", \"foo\"], deny: [\"baz\"]}}, \
         allow_responses: true}}}}, {{user: a2, password: pw}}] }}\n  \
         B: {{ users: [{{user: b, password: pw}}, {{nkey: {nkey}}}] }}\n}}\n\
         system_account: SYS\n"
    )
}

/// The same as [`config`], as rnats options.
fn options(nkey: &str) -> Options {
    let account = |name: &str| AccountConfig {
        name: name.to_owned(),
        ..AccountConfig::default()
    };
    let permissions = Permissions {
        publish: Some(SubjectPermission {
            allow: vec!["foo".into(), "$SYS.REQ.>".into(), "_INBOX.>".into()],
            deny: vec!["bar".into()],
        }),
        subscribe: Some(SubjectPermission {
            allow: vec!["_INBOX.>".into(), "foo".into()],
            deny: vec!["baz".into()],
        }),
        allow_responses: Some(ResponsePermission::default()),
    };
    Options {
        users: vec![
            User::password("sys", "pw").in_account("SYS"),
            User::password("a", "pw")
                .in_account("A")
                .with_permissions(permissions),
            User::password("a2", "pw").in_account("A"),
            User::password("b", "pw").in_account("B"),
            User::nkey(nkey).in_account("B"),
        ],
        accounts: vec![account("SYS"), account("A"), account("B")],
        system_account: Some("SYS".to_owned()),
        ..Options::local()
    }
}

/// rnats and the reference with the same accounts and users; the NKey user's key pair.
async fn start_both() -> (Server, ReferenceServer, KeyPair) {
    let nkey = KeyPair::new_user();
    let reference = ReferenceServer::builder()
        .config(config(&nkey.public_key()))
        .start_async()
        .await;
    let server = Server::start(options(&nkey.public_key()))
        .await
        .expect("starts");
    (server, reference, nkey)
}

/// What each server tells one client, by server.
struct Both<T> {
    ours: T,
    theirs: T,
}

/// The same clients on both servers: A's `a2` (subscribed to `foo`), B's `b`, the system
/// user.
async fn clients(addr: SocketAddr) -> (Client, async_nats::Subscriber, Client, Client) {
    let a2 = login(addr, "a2").await;
    let on_foo = a2.subscribe("foo").await.expect("subscribes");
    a2.flush().await.expect("flushes");
    let b = login(addr, "b").await;
    b.flush().await.expect("flushes");
    let system = login(addr, "sys").await;
    (a2, on_foo, b, system)
}

#[tokio::test]
async fn a_user_pinging_connz_sees_its_own_account_only() {
    let (server, reference, _) = start_both().await;
    let ours = clients(server.client_addr()).await;
    let theirs = clients(reference.addr()).await;
    for subject in ["$SYS.REQ.SERVER.PING.CONNZ", "$SYS.REQ.ACCOUNT.PING.CONNZ"] {
        // Options naming another account do not widen the answer.
        let both = Both {
            ours: request(&ours.0, subject, r#"{"acc":"B"}"#).await,
            theirs: request(&theirs.0, subject, r#"{"acc":"B"}"#).await,
        };
        for answer in [&both.ours, &both.theirs] {
            let connections = answer["data"]["connections"].as_array().expect("listed");
            assert_eq!(connections.len(), 1, "{subject}: A's one connection");
            assert_eq!(
                connections[0]["subscriptions"], 2,
                "foo and the reply inbox"
            );
        }
        assert_eq!(key_paths(&both.ours), key_paths(&both.theirs), "{subject}");
        for key in ["num_connections", "total", "offset", "limit"] {
            assert_eq!(both.ours["data"][key], both.theirs["data"][key], "{key}");
        }
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_user_pinging_statz_gets_its_own_account_with_the_reference_counts() {
    let (server, reference, _) = start_both().await;
    let ours = clients(server.client_addr()).await;
    let theirs = clients(reference.addr()).await;
    let subject = "$SYS.REQ.ACCOUNT.PING.STATZ";
    let both = Both {
        ours: request(&ours.0, subject, "").await,
        theirs: request(&theirs.0, subject, "").await,
    };
    assert_eq!(key_paths(&both.ours), key_paths(&both.theirs));
    let stat = |answer: &Value| answer["data"]["account_statz"].clone();
    let (stats, ref_stats) = (stat(&both.ours), stat(&both.theirs));
    assert_eq!(stats.as_array().map(Vec::len), Some(1));
    for key in ["acc", "name", "conns", "total_conns", "num_subscriptions"] {
        assert_eq!(stats[0][key], ref_stats[0][key], "{key}");
    }
    assert_eq!(stats[0]["acc"], "A");

    // A system user's view of every account counts the imports as the reference does.
    for account in ["A", "B"] {
        let subject = format!("$SYS.REQ.ACCOUNT.{account}.INFO");
        let count = |answer: Value| answer["data"]["subscriptions"].clone();
        assert_eq!(
            count(request(&ours.3, &subject, "").await),
            count(request(&theirs.3, &subject, "").await),
            "{account}"
        );
    }
    server.shutdown().await;
}

/// `data` of a `$SYS.REQ.USER.INFO` answer, with permission lists sorted: the reference
/// lists them from a hash map, in no fixed order.
fn user_info(answer: &Value) -> Value {
    let mut data = answer["data"].clone();
    if let Some(permissions) = data.get_mut("permissions") {
        for side in ["publish", "subscribe"] {
            for list in ["allow", "deny"] {
                if let Some(Value::Array(items)) = permissions[side].get_mut(list) {
                    items.sort_by_key(Value::to_string);
                }
            }
        }
    }
    data
}

async fn user_info_of(client: &Client) -> Value {
    let answer = request(client, "$SYS.REQ.USER.INFO", "").await;
    assert!(answer["server"]["id"].is_string(), "{answer}");
    user_info(&answer)
}

#[tokio::test]
async fn user_info_matches_the_reference_for_config_and_nkey_users() {
    let (server, reference, nkey) = start_both().await;
    let seed = nkey.seed().expect("seed");
    let mut answers = Vec::new();
    for addr in [server.client_addr(), reference.addr()] {
        let mut infos = Vec::new();
        for user in ["a", "a2", "sys"] {
            infos.push(user_info_of(&login(addr, user).await).await);
        }
        let by_nkey = ConnectOptions::with_nkey(seed.clone())
            .connect(addr.to_string())
            .await
            .expect("connects");
        infos.push(user_info_of(&by_nkey).await);
        answers.push(infos);
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0][0]["permissions"]["responses"]["max"], 1);
    assert!(answers[0][1].get("permissions").is_none());
    assert_eq!(answers[0][3]["user"], nkey.public_key());
    server.shutdown().await;
}

#[tokio::test]
async fn user_info_matches_the_reference_for_token_and_anonymous_users() {
    let token = Options {
        auth: Authentication::Token("s3cr3t".into()),
        ..Options::local()
    };
    for (options, config, connect) in [
        (
            token,
            "authorization { token: s3cr3t }\n",
            ConnectOptions::with_token("s3cr3t".into()),
        ),
        (Options::local(), "", ConnectOptions::new()),
    ] {
        let reference = ReferenceServer::builder()
            .config(config)
            .start_async()
            .await;
        let server = Server::start(options).await.expect("starts");
        let mut answers = Vec::new();
        for addr in [server.client_addr(), reference.addr()] {
            let client = (connect.clone())
                .connect(addr.to_string())
                .await
                .expect("connects");
            answers.push(user_info_of(&client).await);
        }
        assert_eq!(answers[0], answers[1], "{config}");
        assert_eq!(answers[0]["account"], "$G");
        server.shutdown().await;
    }
}

#[tokio::test]
async fn user_info_matches_the_reference_for_a_jwt_user_with_an_expiry() {
    let (operator, system) = Operator::with_system_account();
    let (system_key, system_jwt) = (system.key, system.jwt);
    let account = Account::new(&operator.key, json!({}));
    let preload = [
        (system_key.public_key(), system_jwt),
        (account.public_key(), account.jwt.clone()),
    ];
    let (options, config) = memory_resolver(&operator.jwt, &preload);
    let reference = ReferenceServer::builder()
        .config(config)
        .start_async()
        .await;
    let server = Server::start(options).await.expect("starts");
    let user = JwtUser::new(
        &account.key,
        json!({"pub": {"allow": ["foo", "$SYS.REQ.USER.INFO", "_INBOX.>"]},
               "sub": {"deny": ["bar"]}}),
        json!({"exp": now() + 3600}),
    );
    let plain = JwtUser::new(&account.key, json!({}), json!({}));
    let connect = async |user: &JwtUser, addr: SocketAddr| {
        ConnectOptions::with_credentials(&user.creds())
            .expect("creds parse")
            .connect(addr.to_string())
            .await
            .expect("connects")
    };
    let mut answers = Vec::new();
    let mut plain_answers = Vec::new();
    let mut statz = Vec::new();
    for addr in [server.client_addr(), reference.addr()] {
        let with_expiry = connect(&user, addr).await;
        answers.push(user_info_of(&with_expiry).await);
        let without = connect(&plain, addr).await;
        plain_answers.push(user_info_of(&without).await);
        // Accounts operator mode makes on first use get the imports too. (Not compared:
        // CONNZ, as `/connz?acc=` knows no account operator mode made.)
        let answer = request(&without, "$SYS.REQ.ACCOUNT.PING.STATZ", "").await;
        let stat = &answer["data"]["account_statz"][0];
        statz.push((
            key_paths(&answer),
            stat["conns"].clone(),
            stat["num_subscriptions"].clone(),
        ));
    }
    assert_eq!(
        plain_answers[0], plain_answers[1],
        "no permissions, no expiry"
    );
    assert_eq!(statz[0], statz[1]);
    assert_eq!(statz[0].1, 2, "the account's two connections");
    let mut theirs = answers.pop().expect("the reference's");
    let mut ours = answers.pop().expect("ours");
    // Read a moment apart, whole seconds: they may differ by one.
    let expires = |info: &Value| info["expires"].as_i64().expect("an expiry");
    let apart = (expires(&ours) - expires(&theirs)).abs();
    assert!(apart <= 1_000_000_000, "{ours} {theirs}");
    assert!(expires(&ours) > 3_500_000_000_000);
    ours["expires"] = Value::Null;
    theirs["expires"] = Value::Null;
    assert_eq!(ours, theirs);
    assert_eq!(ours["user"], user.key.public_key());
    assert_eq!(ours["account"], account.public_key());
    server.shutdown().await;
}

#[tokio::test]
async fn accounts_a_reload_adds_get_the_imports_and_the_others_keep_theirs_once() {
    let nkey = KeyPair::new_user().public_key();
    let server = Server::start(options(&nkey)).await.expect("starts");
    let system = login(server.client_addr(), "sys").await;
    let subscriptions = async |account: &str| {
        let subject = format!("$SYS.REQ.ACCOUNT.{account}.INFO");
        request(&system, &subject, "").await["data"]["subscriptions"].clone()
    };
    assert_eq!(subscriptions("A").await, 4, "the imports");
    let mut reloaded = options(&nkey);
    reloaded.accounts.push(AccountConfig {
        name: "C".to_owned(),
        ..AccountConfig::default()
    });
    reloaded
        .users
        .push(User::password("c", "pw").in_account("C"));
    server.handle().reload(reloaded).expect("reloads");
    assert_eq!(subscriptions("A").await, 4, "not wired twice");
    let c = login(server.client_addr(), "c").await;
    let statz = request(&c, "$SYS.REQ.ACCOUNT.PING.STATZ", "").await;
    assert_eq!(statz["data"]["account_statz"][0]["acc"], "C");
    assert_eq!(user_info_of(&c).await["account"], "C");
    server.shutdown().await;
}
