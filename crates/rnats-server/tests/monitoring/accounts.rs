//! `/accountz`, `/accstatz`, `/subsz` and `/connz?acc=` over several accounts, beside the
//! reference: configured accounts and accounts made from JWTs in operator mode are all
//! reported, and `/subsz` without `acc` adds every account's subscriptions up.
//!
//! The reference's system account holds more internal subscriptions than rnats's, so totals
//! are checked for consistency within each server, and accounts, connections and client
//! subscriptions are compared across the two.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use async_nats::{Client, ConnectOptions};
use rnats_server::Options;
use rnats_testkit::ReferenceServer;
use rnats_testkit::jwt::{Account, Operator, User as JwtUser, memory_resolver};
use serde_json::{Value, json};

use super::support::{self, get};
use super::system_support::{self, login};

/// Both servers' monitoring addresses.
struct Pair {
    rnats: SocketAddr,
    reference: SocketAddr,
}

impl Pair {
    /// The same question to both: (rnats, reference).
    async fn ask(&self, question: &str) -> (Value, Value) {
        (
            get(self.rnats, question).await.json(),
            get(self.reference, question).await.json(),
        )
    }
}

/// The account names `/accountz` lists, in order of name.
fn account_names(accountz: &Value) -> BTreeSet<String> {
    accountz["accounts"]
        .as_array()
        .expect("accounts listed")
        .iter()
        .filter_map(|name| name.as_str().map(str::to_owned))
        .collect()
}

/// (account, subject) of every subscription a `/subsz?subs=1` lists.
fn listed_subscriptions(subsz: &Value) -> BTreeSet<(String, String)> {
    subsz["subscriptions_list"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|sub| {
                    (
                        sub["account"].as_str().unwrap_or_default().to_owned(),
                        sub["subject"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// (account, connections) of every `/accstatz` entry.
fn account_connections(accstatz: &Value) -> BTreeSet<(String, u64)> {
    accstatz["account_statz"]
        .as_array()
        .expect("account_statz")
        .iter()
        .map(|stat| {
            (
                stat["acc"].as_str().unwrap_or_default().to_owned(),
                stat["conns"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

/// The sum of every listed account's `num_subscriptions`: what `/subsz` must report.
async fn subscriptions_of_every_account(http: SocketAddr) -> u64 {
    let mut total = 0;
    for name in account_names(&get(http, "/accountz").await.json()) {
        let detail = get(http, &format!("/accountz?acc={name}")).await.json();
        total += detail["account_detail"]["sublist_stats"]["num_subscriptions"]
            .as_u64()
            .expect("num_subscriptions");
    }
    total
}

async fn subscribe(client: &Client, subjects: &[&str]) -> Vec<async_nats::Subscriber> {
    let mut subscribers = Vec::new();
    for subject in subjects {
        subscribers.push(client.subscribe(subject.to_string()).await.expect("sub"));
    }
    client.flush().await.expect("flush");
    subscribers
}

#[tokio::test]
async fn configured_accounts_are_all_reported() {
    // The accounts and users the system account's tests use, with monitoring on.
    let options = Options {
        http_port: Some(0),
        ..system_support::options()
    };
    let (rnats, rnats_http) = support::start_with(options).await;
    let reference = ReferenceServer::builder()
        .args(["-m", "-1"])
        .config(system_support::REFERENCE_CONFIG)
        .start_async()
        .await;
    let pair = Pair {
        rnats: rnats_http,
        reference: super::differential::reference_http(&reference),
    };
    let mut clients = Vec::new();
    for addr in [rnats.client_addr(), reference.addr()] {
        let a = login(addr, "a").await;
        let b = login(addr, "b").await;
        let subs = (
            subscribe(&a, &["foo", "bar"]).await,
            subscribe(&b, &["foo", "baz"]).await,
        );
        clients.push((a, b, subs));
    }

    let (ours, theirs) = pair.ask("/accountz").await;
    assert_eq!(account_names(&ours), account_names(&theirs));
    for question in ["/subsz?subs=1&test=foo", "/subsz?subs=1&test=baz"] {
        let (ours, theirs) = pair.ask(question).await;
        assert_eq!(
            listed_subscriptions(&ours),
            listed_subscriptions(&theirs),
            "{question}"
        );
    }
    // Every account's subscriptions, those of imports from the system account included,
    // are listed as by the reference; the system account's own internal ones differ.
    let (ours, theirs) = pair.ask("/subsz?subs=1").await;
    let outside_system = |subsz: &Value| -> BTreeSet<(String, String)> {
        (listed_subscriptions(subsz).into_iter())
            .filter(|(account, _)| account != "SYS")
            .collect()
    };
    assert_eq!(outside_system(&ours), outside_system(&theirs));
    assert_eq!(
        outside_system(&ours).len(),
        4 + 3 * 4,
        "clients' and imports'"
    );
    assert_eq!(
        listed_subscriptions(&get(rnats_http, "/subsz?subs=1&test=foo").await.json()),
        BTreeSet::from([("A".into(), "foo".into()), ("B".into(), "foo".into())])
    );
    for question in ["/accstatz", "/accstatz?unused=1"] {
        let (ours, theirs) = pair.ask(question).await;
        assert_eq!(
            account_connections(&ours),
            account_connections(&theirs),
            "{question}"
        );
    }
    // The same figures per account in /metrics (rnats only).
    let metrics = get(rnats_http, "/metrics").await.text();
    for (account, subscriptions) in [("A", 6), ("B", 6), ("$G", 4)] {
        let connections = if account == "$G" { 0 } else { 1 };
        for line in [
            format!("rnats_account_connections{{account=\"{account}\"}} {connections}"),
            format!("rnats_account_subscriptions{{account=\"{account}\"}} {subscriptions}"),
        ] {
            assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
        }
    }
    for http in [pair.rnats, pair.reference] {
        let subsz = get(http, "/subsz").await.json();
        assert_eq!(
            subsz["num_subscriptions"].as_u64(),
            Some(subscriptions_of_every_account(http).await),
            "/subsz adds every account up"
        );
    }
    rnats.shutdown().await;
}

#[tokio::test]
async fn operator_mode_accounts_are_reported_once_in_use() {
    let operator = Operator::new(json!({}));
    let account = Account::new(&operator.key, json!({}));
    let key = account.public_key();
    let (options, config) = memory_resolver(&operator.jwt, &[(key.clone(), account.jwt.clone())]);
    let (rnats, rnats_http) = support::start_with(Options {
        http_port: Some(0),
        ..options
    })
    .await;
    let reference = ReferenceServer::builder()
        .args(["-m", "-1"])
        .config(config)
        .start_async()
        .await;
    let pair = Pair {
        rnats: rnats_http,
        reference: super::differential::reference_http(&reference),
    };
    let user = JwtUser::new(&account.key, json!({}), json!({}));
    let mut clients = Vec::new();
    for url in [rnats.client_url(), format!("nats://{}", reference.addr())] {
        let client = ConnectOptions::with_credentials(&user.creds())
            .expect("creds parse")
            .connect(url)
            .await
            .expect("connects");
        let subs = subscribe(&client, &["orders.>"]).await;
        clients.push((client, subs));
    }

    let (ours, theirs) = pair.ask("/accountz").await;
    assert!(account_names(&ours).contains(&key), "{ours}");
    assert_eq!(account_names(&ours), account_names(&theirs));
    // The operator names no system account: `$SYS` exists, but as no system account, so
    // there are no internal subscriptions and no imports from it.
    assert_eq!(ours.get("system_account"), theirs.get("system_account"));
    let (ours, theirs) = pair.ask("/subsz?subs=1").await;
    assert_eq!(listed_subscriptions(&ours), listed_subscriptions(&theirs));
    let (ours, theirs) = pair.ask(&format!("/accountz?acc={key}")).await;
    for field in ["account_name", "client_connections"] {
        assert_eq!(
            ours["account_detail"][field], theirs["account_detail"][field],
            "{field}"
        );
    }
    let (ours, theirs) = pair.ask(&format!("/connz?acc={key}")).await;
    assert_eq!(ours["num_connections"], 1);
    assert_eq!(ours["num_connections"], theirs["num_connections"]);
    let (ours, theirs) = pair.ask(&format!("/subsz?acc={key}&subs=1")).await;
    assert_eq!(
        listed_subscriptions(&ours),
        BTreeSet::from([(key.clone(), "orders.>".to_owned())])
    );
    assert_eq!(listed_subscriptions(&ours), listed_subscriptions(&theirs));
    let (ours, theirs) = pair.ask("/accstatz").await;
    assert_eq!(account_connections(&ours), account_connections(&theirs));
    rnats.shutdown().await;
}
