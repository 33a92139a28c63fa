use serde_json::json;

use super::*;

fn encode(issuer: &nkeys::KeyPair, subject: &str, nats: serde_json::Value) -> String {
    use data_encoding::BASE64URL_NOPAD;
    let header = BASE64URL_NOPAD.encode(br#"{"typ":"JWT","alg":"ed25519-nkey"}"#);
    let claims = json!({"iss": issuer.public_key(), "sub": subject, "iat": 1, "nats": nats});
    let body = BASE64URL_NOPAD.encode(claims.to_string().as_bytes());
    let signed = format!("{header}.{body}");
    let signature = issuer.sign(signed.as_bytes()).expect("sign");
    format!("{signed}.{}", BASE64URL_NOPAD.encode(&signature))
}

fn mode(preload: Vec<(String, String)>, operator: &str) -> OperatorMode {
    let options = OperatorOptions {
        operators: vec![operator.to_owned()],
        resolver: Resolver::Memory,
        preload,
        ..OperatorOptions::default()
    };
    OperatorMode::new(&options, true).expect("operator mode")
}

#[test]
fn accounts_resolve_only_from_trusted_issuers() {
    let operator = nkeys::KeyPair::new_operator();
    let signing = nkeys::KeyPair::new_operator();
    let operator_jwt = encode(
        &operator,
        &operator.public_key(),
        json!({"type": "operator", "signing_keys": [signing.public_key()]}),
    );
    let (a, b, c) = (
        nkeys::KeyPair::new_account(),
        nkeys::KeyPair::new_account(),
        nkeys::KeyPair::new_account(),
    );
    let stranger = nkeys::KeyPair::new_operator();
    let account = json!({"type": "account"});
    let preload = vec![
        (
            a.public_key(),
            encode(&operator, &a.public_key(), account.clone()),
        ),
        (
            b.public_key(),
            encode(&signing, &b.public_key(), account.clone()),
        ),
        (c.public_key(), encode(&stranger, &c.public_key(), account)),
    ];
    let mode = mode(preload, &operator_jwt);
    let now = unix_now();
    let first = mode.account(&a.public_key(), now).expect("a");
    let again = mode.account(&a.public_key(), now).expect("a again");
    assert!(Arc::ptr_eq(&first.account, &again.account));
    assert_eq!(first.account.name, a.public_key());
    assert!(mode.account(&b.public_key(), now).is_ok());
    assert_eq!(
        mode.account(&c.public_key(), now).err(),
        Some(LookupError::Invalid)
    );
    let missing = nkeys::KeyPair::new_account().public_key();
    assert_eq!(
        mode.account(&missing, now).err(),
        Some(LookupError::Missing)
    );
}

#[test]
fn imports_in_a_cycle_are_wired_when_either_account_is_first_used() {
    let operator = nkeys::KeyPair::new_operator();
    let operator_jwt = encode(
        &operator,
        &operator.public_key(),
        json!({"type": "operator"}),
    );
    let (a, b) = (nkeys::KeyPair::new_account(), nkeys::KeyPair::new_account());
    let shares = |own: &str, other: &nkeys::KeyPair, imported: &[&str]| {
        let imports: Vec<_> = (imported.iter())
            .map(|subject| json!({"subject": subject, "account": other.public_key(), "type": "stream"}))
            .collect();
        json!({
            "type": "account",
            "exports": [{"subject": format!("{own}.>"), "type": "stream"}],
            "imports": imports,
        })
    };
    // A's import of `>` is wider than B's export: skipped, the rest still works.
    let preload = vec![
        (
            a.public_key(),
            encode(&operator, &a.public_key(), shares("a", &b, &["b.>", ">"])),
        ),
        (
            b.public_key(),
            encode(&operator, &b.public_key(), shares("b", &a, &["a.>"])),
        ),
    ];
    let mode = mode(preload, &operator_jwt);
    let now = unix_now();
    let first = mode.account(&a.public_key(), now).expect("a");
    let second = mode.account(&b.public_key(), now).expect("b made with a");
    assert!(Arc::ptr_eq(
        &first,
        &mode.account(&a.public_key(), now).expect("a")
    ));
    // A stream import is a forward in the exporter.
    assert_eq!(second.account.forwards.matches(b"b.x").plain.len(), 1);
    assert_eq!(first.account.forwards.matches(b"a.x").plain.len(), 1);
    assert_eq!(first.imports.lock().len(), 1);
    assert_eq!(second.imports.lock().len(), 1);
}

#[test]
fn bad_operator_jwts_stop_the_start() {
    let options = OperatorOptions {
        operators: vec!["not.a.jwt".to_owned()],
        resolver: Resolver::Memory,
        ..OperatorOptions::default()
    };
    let error = OperatorMode::new(&options, true).err().expect("refused");
    assert!(error.starts_with("error parsing operator JWT"), "{error}");
    let checked = OperatorOptions::default().check(None, false);
    assert!(checked.is_err_and(|e| e.contains("needs a resolver")));
    let accounts = OperatorOptions {
        resolver: Resolver::Memory,
        ..OperatorOptions::default()
    };
    assert_eq!(
        accounts.check(None, true),
        Err("operators do not allow Accounts to be configured directly".to_owned())
    );
}
