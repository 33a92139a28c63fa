//! Making NATS JWTs and `.creds` files for tests: operators, accounts and users signed with
//! fresh NKeys, in the format the NATS tools write.

use data_encoding::BASE64URL_NOPAD;
use nkeys::KeyPair;
use serde_json::{Value, json};

/// Signs `nats` claims about `subject` with `issuer`; `extra` adds top-level claims
/// (`exp`, `nbf`, `iat`, `name`...).
pub fn encode(issuer: &KeyPair, subject: &str, nats: Value, extra: Value) -> String {
    let header = json!({"typ": "JWT", "alg": "ed25519-nkey"});
    let mut claims = json!({
        "jti": format!("{:016x}", fastrand_like(subject)),
        "iat": now(),
        "iss": issuer.public_key(),
        "sub": subject,
        "name": subject.get(..8).unwrap_or(subject),
        "nats": nats,
    });
    if let (Some(claims), Value::Object(extra)) = (claims.as_object_mut(), extra) {
        claims.extend(extra);
    }
    let part = |value: &Value| BASE64URL_NOPAD.encode(value.to_string().as_bytes());
    let signed = format!("{}.{}", part(&header), part(&claims));
    let signature = issuer.sign(signed.as_bytes()).expect("sign a JWT");
    format!("{signed}.{}", BASE64URL_NOPAD.encode(&signature))
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or_default()
}

/// A stable value for `jti` (tests need no randomness there).
fn fastrand_like(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash: u64, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3)
    }) ^ std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos() as u64)
        .unwrap_or_default()
}

/// An operator: its key and self-signed JWT (with `signing_keys` and more in `nats`).
pub struct Operator {
    /// The operator's identity key.
    pub key: KeyPair,
    /// The operator JWT.
    pub jwt: String,
}

impl Operator {
    /// A new operator with these `nats` claims (`type` and `version` are added).
    pub fn new(mut nats: Value) -> Operator {
        let key = KeyPair::new_operator();
        add_type(&mut nats, "operator");
        let jwt = encode(&key, &key.public_key(), nats, json!({}));
        Operator { key, jwt }
    }

    /// A plain operator.
    pub fn plain() -> Operator {
        Operator::new(json!({}))
    }

    /// An operator naming a system account, and that account (its JWT signed by the
    /// operator).
    pub fn with_system_account() -> (Operator, Account) {
        let key = KeyPair::new_account();
        let operator = Operator::new(json!({"system_account": key.public_key()}));
        let jwt = account_jwt(&operator.key, &key.public_key(), json!({}), json!({}));
        (operator, Account { key, jwt })
    }
}

/// An account key and a JWT for it.
pub struct Account {
    /// The account's identity key.
    pub key: KeyPair,
    /// The account JWT.
    pub jwt: String,
}

impl Account {
    /// A new account signed by `issuer` (the operator or one of its signing keys).
    pub fn new(issuer: &KeyPair, nats: Value) -> Account {
        let key = KeyPair::new_account();
        let jwt = account_jwt(issuer, &key.public_key(), nats, json!({}));
        Account { key, jwt }
    }

    /// The account's public key.
    pub fn public_key(&self) -> String {
        self.key.public_key()
    }
}

/// An account JWT about `subject` with these claims.
pub fn account_jwt(issuer: &KeyPair, subject: &str, mut nats: Value, extra: Value) -> String {
    add_type(&mut nats, "account");
    encode(issuer, subject, nats, extra)
}

/// A user key and a JWT for it.
pub struct User {
    /// The user's key (its seed goes in the creds file).
    pub key: KeyPair,
    /// The user JWT.
    pub jwt: String,
}

impl User {
    /// A new user signed by `issuer` (the account or one of its signing keys); `extra` adds
    /// top-level claims such as `exp`.
    pub fn new(issuer: &KeyPair, nats: Value, extra: Value) -> User {
        let key = KeyPair::new_user();
        let jwt = user_jwt(issuer, &key.public_key(), nats, extra);
        User { key, jwt }
    }

    /// The `.creds` file text.
    pub fn creds(&self) -> String {
        creds(&self.jwt, &self.key.seed().expect("user seed"))
    }

    /// The base64url signature of `nonce` by the user's key.
    pub fn sign_nonce(&self, nonce: &str) -> String {
        BASE64URL_NOPAD.encode(&self.key.sign(nonce.as_bytes()).expect("sign nonce"))
    }

    /// The CONNECT with this user's JWT and its signature of the nonce in `info` (the
    /// server's INFO line), followed by a PING.
    pub fn connect_line(&self, info: &str) -> String {
        format!(
            "CONNECT {{\"verbose\":false,\"jwt\":\"{}\",\"sig\":\"{}\"}}\r\nPING\r\n",
            self.jwt,
            self.sign_nonce(&nonce_of(info))
        )
    }
}

/// The nonce of a server's INFO line (`INFO {...}`).
pub fn nonce_of(info: &str) -> String {
    let json = info.trim().strip_prefix("INFO").unwrap_or(info).trim();
    let info: Value = serde_json::from_str(json).expect("INFO JSON");
    info["nonce"].as_str().expect("a nonce in INFO").to_owned()
}

/// A user JWT about `subject` with these claims.
pub fn user_jwt(issuer: &KeyPair, subject: &str, mut nats: Value, extra: Value) -> String {
    add_type(&mut nats, "user");
    encode(issuer, subject, nats, extra)
}

/// An activation token: `issuer` (the exporting account or one of its signing keys, then
/// with `issuer_account` in `nats`) lets account `importer` import `subject` of kind `kind`
/// (`stream` or `service`); `extra` adds top-level claims such as `exp`.
pub fn activation_jwt(
    issuer: &KeyPair,
    importer: &str,
    subject: &str,
    kind: &str,
    mut nats: Value,
    extra: Value,
) -> String {
    if let Value::Object(map) = &mut nats {
        map.insert("subject".to_owned(), json!(subject));
        map.insert("kind".to_owned(), json!(kind));
    }
    add_type(&mut nats, "activation");
    encode(issuer, importer, nats, extra)
}

/// A `.creds` file: the user JWT and the user's seed, in the standard armour.
pub fn creds(jwt: &str, seed: &str) -> String {
    format!(
        "-----BEGIN NATS USER JWT-----\n{jwt}\n------END NATS USER JWT------\n\n\
         ************************* IMPORTANT *************************\n\
         NKEY Seed printed below can be used to sign and prove identity.\n\
         NKEYs are sensitive and should be treated as secrets.\n\n\
         -----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n\n\
         *************************************************************\n"
    )
}

/// Adds `type` and `version`, and the unlimited defaults the NATS tools write for limits
/// not given (a missing limit is zero for the servers: no connections, no subscriptions).
fn add_type(nats: &mut Value, kind: &str) {
    let Value::Object(map) = nats else {
        return;
    };
    map.entry("type").or_insert_with(|| json!(kind));
    map.entry("version").or_insert_with(|| json!(2));
    let unlimited = |map: &mut serde_json::Map<String, Value>, keys: &[&str]| {
        for key in keys {
            map.entry(*key).or_insert_with(|| json!(-1));
        }
    };
    match kind {
        "user" => unlimited(map, &["subs", "data", "payload"]),
        "account" => {
            let limits = map.entry("limits").or_insert_with(|| json!({}));
            if let Value::Object(limits) = limits {
                unlimited(
                    limits,
                    &[
                        "subs", "data", "payload", "imports", "exports", "leaf", "conn",
                    ],
                );
                limits.entry("wildcards").or_insert_with(|| json!(true));
            }
        }
        _ => {}
    }
}

/// Operator mode trusting `operator_jwt` with a `MEMORY` resolver preloaded with `accounts`
/// (public key, JWT): the rnats options, and the same as a reference configuration file.
pub fn memory_resolver(
    operator_jwt: &str,
    accounts: &[(String, String)],
) -> (rnats_server::Options, String) {
    let options = rnats_server::Options {
        operator: Some(rnats_server::OperatorOptions {
            operators: vec![operator_jwt.to_owned()],
            resolver: rnats_server::Resolver::Memory,
            preload: accounts.to_vec(),
            ..rnats_server::OperatorOptions::default()
        }),
        ..rnats_server::Options::local()
    };
    let preload: String = (accounts.iter())
        .map(|(key, jwt)| format!("  {key}: {jwt}\n"))
        .collect();
    let config =
        format!("operator: {operator_jwt}\nresolver: MEMORY\nresolver_preload: {{\n{preload}}}\n");
    (options, config)
}
