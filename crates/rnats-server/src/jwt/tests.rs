use data_encoding::BASE64URL_NOPAD;
use nkeys::KeyPair;
use serde_json::json;

use super::*;

/// Signs `claims` (with `iss` and `sub` filled in) as `issuer`.
fn token(claims: serde_json::Value, issuer: &KeyPair, subject: &str) -> String {
    let mut claims = claims;
    claims["iss"] = json!(issuer.public_key());
    claims["sub"] = json!(subject);
    let header = BASE64URL_NOPAD.encode(br#"{"typ":"JWT","alg":"ed25519-nkey"}"#);
    let body = BASE64URL_NOPAD.encode(claims.to_string().as_bytes());
    let signed = format!("{header}.{body}");
    let signature = issuer.sign(signed.as_bytes()).expect("signs");
    format!("{signed}.{}", BASE64URL_NOPAD.encode(&signature))
}

#[test]
fn a_user_signed_by_its_account_decodes_with_its_permissions() {
    let account = KeyPair::new_account();
    let user = KeyPair::new_user();
    let jwt = token(
        json!({
            "jti": "X", "iat": 1, "name": "alice",
            "nats": {
                "type": "user", "version": 2,
                "pub": {"allow": ["orders.>"], "deny": ["orders.secret"]},
                "sub": {"allow": ["_INBOX.>"]},
                "resp": {"max": 1, "ttl": 1000},
                "src": ["10.0.0.0/8"],
                "subs": 10, "payload": 1024,
                "bearer_token": true
            }
        }),
        &account,
        &user.public_key(),
    );
    let claims: Claims<UserClaims> = decode(&jwt, Kind::User).expect("valid");
    assert_eq!(claims.sub, user.public_key());
    assert_eq!(claims.iss, account.public_key());
    assert_eq!(claims.name, "alice");
    assert_eq!(claims.nats.publish.allow, ["orders.>"]);
    assert_eq!(claims.nats.publish.deny, ["orders.secret"]);
    assert_eq!(claims.nats.subscribe.allow, ["_INBOX.>"]);
    assert_eq!(
        claims.nats.resp,
        Some(claims::ResponseRule { max: 1, ttl: 1000 })
    );
    assert_eq!(claims.nats.src.networks(), ["10.0.0.0/8"]);
    assert_eq!(claims.nats.limits.subs, 10);
    assert_eq!(claims.nats.limits.payload, 1024);
    assert_eq!(claims.nats.limits.data, -1, "absent limits are unlimited");
    assert!(claims.nats.bearer_token);
}

#[test]
fn an_account_with_exports_imports_and_scoped_keys_decodes() {
    let operator = KeyPair::new_operator();
    let account = KeyPair::new_account();
    let scoped = KeyPair::new_account();
    let jwt = token(
        json!({
            "nats": {
                "type": "account", "version": 2,
                "exports": [
                    {"name": "svc", "subject": "help.>", "type": "service",
                     "response_type": "Stream", "response_threshold": 5_000_000_000_i64},
                    {"subject": "events.>", "type": "stream"}
                ],
                "imports": [{"subject": "prices.>", "account": "AXYZ", "type": "stream",
                             "local_subject": "ext.prices.>"}],
                "limits": {"conn": 5, "subs": -1},
                "signing_keys": [
                    "AKEY",
                    {"kind": "user_scope", "key": scoped.public_key(), "role": "r",
                     "template": {"pub": {"allow": ["a.>"]}}}
                ],
                "revocations": {"UREVOKED": 100}
            }
        }),
        &operator,
        &account.public_key(),
    );
    let claims: Claims<AccountClaims> = decode(&jwt, Kind::Account).expect("valid");
    let nats = &claims.nats;
    assert_eq!(nats.exports.len(), 2);
    assert_eq!(nats.exports[0].kind, ExportKind::Service);
    assert_eq!(nats.exports[0].response_type, "Stream");
    assert_eq!(nats.exports[1].kind, ExportKind::Stream);
    assert_eq!(nats.imports[0].local_subject, "ext.prices.>");
    assert_eq!(
        (nats.limits.conn, nats.limits.subs, nats.limits.data),
        (5, -1, -1)
    );
    assert_eq!(nats.signing_keys[0].key(), "AKEY");
    match &nats.signing_keys[1] {
        SigningKey::Scoped { key, template, .. } => {
            assert_eq!(key, &scoped.public_key());
            assert_eq!(template.publish.allow, ["a.>"]);
        }
        other => panic!("scoped key expected, got {other:?}"),
    }
    assert_eq!(nats.revocations.get("UREVOKED"), Some(&100));
}

#[test]
fn an_operator_signs_itself() {
    let operator = KeyPair::new_operator();
    let jwt = token(
        json!({"nats": {"type": "operator", "signing_keys": ["OKEY"],
                        "system_account": "ASYS"}}),
        &operator,
        &operator.public_key(),
    );
    let claims: Claims<OperatorClaims> = decode(&jwt, Kind::Operator).expect("valid");
    assert_eq!(claims.nats.system_account, "ASYS");
    assert_eq!(claims.nats.signing_keys, ["OKEY"]);
}

#[test]
fn tampering_and_wrong_kinds_are_refused() {
    let account = KeyPair::new_account();
    let user = KeyPair::new_user();
    let jwt = token(
        json!({"nats": {"type": "user"}}),
        &account,
        &user.public_key(),
    );
    // Another body under the same signature.
    let mut parts: Vec<&str> = jwt.split('.').collect();
    let forged = BASE64URL_NOPAD.encode(
        json!({"iss": account.public_key(), "sub": user.public_key(),
               "nats": {"type": "user", "bearer_token": true}})
        .to_string()
        .as_bytes(),
    );
    parts[1] = &forged;
    assert_eq!(
        decode::<UserClaims>(&parts.join("."), Kind::User),
        Err(JwtError::BadSignature)
    );
    // A user token is not an account token.
    assert!(matches!(
        decode::<AccountClaims>(&jwt, Kind::Account),
        Err(JwtError::WrongKind(_))
    ));
    // A user signed by another user key is refused by prefix.
    let impostor = KeyPair::new_user();
    let jwt = token(
        json!({"nats": {"type": "user"}}),
        &impostor,
        &user.public_key(),
    );
    assert!(matches!(
        decode::<UserClaims>(&jwt, Kind::User),
        Err(JwtError::WrongKind(_))
    ));
}

#[test]
fn malformed_tokens_are_errors_not_panics() {
    for text in [
        "",
        ".",
        "a.b",
        "a.b.c.d",
        "!!!.???.***",
        "eyJ0eXAiOiJKV1QifQ.e30.AAAA",
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.e30.AAAA",
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.bm90IGpzb24.AAAA",
    ] {
        assert!(decode::<UserClaims>(text, Kind::User).is_err(), "{text:?}");
    }
}

#[test]
fn the_validity_window_is_checked() {
    let claims = Claims {
        jti: String::new(),
        iat: 0,
        iss: String::new(),
        sub: String::new(),
        name: String::new(),
        exp: 200,
        nbf: 100,
        nats: UserClaims::default(),
    };
    assert_eq!(claims.check_time(50), Err(JwtError::NotYetValid));
    assert_eq!(claims.check_time(150), Ok(()));
    assert_eq!(claims.check_time(200), Err(JwtError::Expired));
}

#[test]
fn random_and_mangled_tokens_never_panic() {
    let account = KeyPair::new_account();
    let user = KeyPair::new_user();
    let valid = token(
        json!({"nats": {"type": "user"}}),
        &account,
        &user.public_key(),
    );
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=";
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..500 {
        let mut bytes = valid.clone().into_bytes();
        for _ in 0..rng.usize(1..6) {
            let at = rng.usize(..bytes.len());
            bytes[at] = alphabet[rng.usize(..alphabet.len())];
        }
        let mangled = String::from_utf8_lossy(&bytes).into_owned();
        let _ = decode::<UserClaims>(&mangled, Kind::User);
        let random: String = (0..rng.usize(0..200))
            .map(|_| alphabet[rng.usize(..alphabet.len())] as char)
            .collect();
        let _ = decode::<AccountClaims>(&random, Kind::Account);
    }
}
