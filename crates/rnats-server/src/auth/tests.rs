//! The Authenticator's decisions, without a network.

use super::*;

fn connect(json: &str) -> ConnectOptions {
    let mut options = ConnectOptions::default();
    options
        .apply_json(json.as_bytes())
        .expect("valid test JSON");
    options
}

fn authenticator(options: Options) -> Authenticator {
    Authenticator::new(&options)
}

#[test]
fn token_and_single_user() {
    let token = authenticator(Options {
        auth: Authentication::Token("s3cret".into()),
        ..Options::default()
    });
    let ok = token
        .authenticate(&connect(r#"{"auth_token":"s3cret"}"#), None)
        .expect("token");
    assert_eq!(ok.label.as_deref(), Some("token"));
    let error = token
        .authenticate(&connect(r#"{"auth_token":"s3cre"}"#), None)
        .expect_err("wrong token");
    assert_eq!(
        error.to_string(),
        "authentication error - Token \"[REDACTED]\""
    );
    assert!(token.authenticate(&connect("{}"), None).is_err());
    let user = authenticator(Options {
        auth: Authentication::UserPassword {
            user: "u".into(),
            password: "p".into(),
        },
        ..Options::default()
    });
    assert!(
        user.authenticate(&connect(r#"{"user":"u","pass":"p"}"#), None)
            .is_ok()
    );
    let error = user
        .authenticate(&connect(r#"{"user":"x","pass":"p"}"#), None)
        .expect_err("wrong user");
    assert_eq!(error.to_string(), "authentication error - User \"x\"");
    assert!(
        user.authenticate(&connect(r#"{"user":"u","pass":"x"}"#), None)
            .is_err()
    );
    assert!(
        user.authenticate(&connect(r#"{"pass":"p"}"#), None)
            .is_err()
    );
    assert!(
        authenticator(Options::default())
            .authenticate(&connect("{}"), None)
            .is_ok()
    );
}

#[test]
fn users_bcrypt_and_default_permissions() {
    let hash = bcrypt::hash("pw", 4).expect("hash");
    let options = Options {
        users: vec![
            User::password("plain", "pw"),
            User::password("hashed", &hash),
            User::password("limited", "pw").with_permissions(Permissions {
                publish: Some(SubjectPermission::allow(&["a"])),
                ..Permissions::default()
            }),
        ],
        default_permissions: Some(Permissions {
            subscribe: Some(SubjectPermission::deny(&["secret"])),
            ..Permissions::default()
        }),
        ..Options::default()
    };
    assert!(has_plaintext_passwords(&options));
    let auth = authenticator(options);
    assert!(auth.is_required() && auth.info_auth_required() && !auth.uses_nonce());
    let plain = auth
        .authenticate(&connect(r#"{"user":"plain","pass":"pw"}"#), None)
        .expect("plain");
    assert_eq!(plain.label.as_deref(), Some("user:plain"));
    let defaults = plain.permissions.expect("default permissions");
    assert!(!defaults.can_subscribe(b"secret", None) && defaults.can_publish(b"x"));
    assert!(
        auth.authenticate(&connect(r#"{"user":"hashed","pass":"pw"}"#), None)
            .is_ok()
    );
    let hash_as_password = format!(r#"{{"user":"hashed","pass":"{hash}"}}"#);
    assert!(
        auth.authenticate(&connect(&hash_as_password), None)
            .is_err()
    );
    let limited = auth
        .authenticate(&connect(r#"{"user":"limited","pass":"pw"}"#), None)
        .expect("limited");
    let own = limited.permissions.expect("own permissions");
    assert!(own.can_publish(b"a") && !own.can_publish(b"b"));
    assert!(
        own.can_subscribe(b"secret", None),
        "own replace the defaults"
    );
    let error = auth
        .authenticate(&connect("{}"), None)
        .expect_err("no credentials");
    assert_eq!(error.to_string(), "authentication error");
}

#[test]
fn nkeys_sign_the_nonce() {
    let key = nkeys::KeyPair::new_user();
    let public = key.public_key();
    let auth = authenticator(Options {
        users: vec![User::nkey(&public), User::nkey("UNOTAKEY")],
        ..Options::default()
    });
    assert!(auth.uses_nonce());
    let nonce = auth.nonce().expect("nonce");
    let signature = key.sign(nonce.as_bytes()).expect("sign");
    let sig = data_encoding::BASE64URL_NOPAD.encode(&signature);
    let json = format!(r#"{{"nkey":"{public}","sig":"{sig}"}}"#);
    let ok = auth
        .authenticate(&connect(&json), Some(&nonce))
        .expect("signed");
    assert_eq!(ok.label, Some(format!("nkey:{public}")));
    assert!(auth.authenticate(&connect(&json), Some("other")).is_err());
    assert!(auth.authenticate(&connect(&json), None).is_err());
    let unsigned = format!(r#"{{"nkey":"{public}"}}"#);
    let error = auth
        .authenticate(&connect(&unsigned), Some(&nonce))
        .expect_err("no signature");
    assert_eq!(
        error.to_string(),
        format!("authentication error - Nkey \"{public}\"")
    );
    let garbage = r#"{"nkey":"UNOTAKEY","sig":"%%%"}"#;
    assert!(auth.authenticate(&connect(garbage), Some(&nonce)).is_err());
}

#[test]
fn no_auth_user_serves_clients_without_credentials() {
    let auth = authenticator(Options {
        users: vec![User::password("guest", "pw").with_permissions(Permissions {
            publish: Some(SubjectPermission::allow(&["public.>"])),
            ..Permissions::default()
        })],
        no_auth_user: Some("guest".into()),
        ..Options::default()
    });
    assert!(auth.is_required() && !auth.info_auth_required());
    let guest = auth.authenticate(&connect("{}"), None).expect("guest");
    assert_eq!(guest.label.as_deref(), Some("user:guest"));
    assert!(guest.permissions.expect("guest's").can_publish(b"public.x"));
    assert!(
        auth.authenticate(&connect(r#"{"user":"guest","pass":"no"}"#), None)
            .is_err(),
        "credentials given are checked"
    );
    assert!(
        auth.authenticate(&connect(r#"{"pass":"x"}"#), None)
            .is_err()
    );
}
