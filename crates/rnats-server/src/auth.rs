//! Client authentication against the configured identity.

use rnats_proto::ConnectOptions;
use subtle::ConstantTimeEq;

use crate::options::Authentication;

impl Authentication {
    /// Whether a CONNECT carries the credentials this server requires.
    ///
    /// Secrets are compared in constant time so response timing reveals nothing about them.
    pub(crate) fn accepts(&self, connect: &ConnectOptions) -> bool {
        match self {
            Authentication::None => true,
            Authentication::Token(token) => connect
                .auth_token
                .as_deref()
                .is_some_and(|given| secret_eq(given, token)),
            Authentication::UserPassword { user, password } => {
                // Evaluate both comparisons so a wrong user costs the same as a wrong password.
                let user_ok = connect
                    .user
                    .as_deref()
                    .is_some_and(|given| secret_eq(given, user));
                let password_ok = connect
                    .pass
                    .as_deref()
                    .is_some_and(|given| secret_eq(given, password));
                user_ok & password_ok
            }
        }
    }
}

impl Authentication {
    /// The user a client authenticated as, for monitoring (`authorized_user`).
    pub(crate) fn user_of(&self, _connect: &ConnectOptions) -> Option<String> {
        match self {
            Authentication::UserPassword { user, .. } => Some(user.clone()),
            Authentication::None | Authentication::Token(_) => None,
        }
    }
}

fn secret_eq(given: &str, expected: &str) -> bool {
    bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connect(json: &str) -> ConnectOptions {
        let mut options = ConnectOptions::default();
        options
            .apply_json(json.as_bytes())
            .expect("valid test JSON");
        options
    }

    #[test]
    fn token_and_user_password() {
        let token = Authentication::Token("s3cret".into());
        assert!(token.accepts(&connect(r#"{"auth_token":"s3cret"}"#)));
        assert!(!token.accepts(&connect(r#"{"auth_token":"s3cre"}"#)));
        assert!(!token.accepts(&connect("{}")));
        let user = Authentication::UserPassword {
            user: "u".into(),
            password: "p".into(),
        };
        assert!(user.accepts(&connect(r#"{"user":"u","pass":"p"}"#)));
        assert!(!user.accepts(&connect(r#"{"user":"u","pass":"x"}"#)));
        assert!(!user.accepts(&connect(r#"{"user":"x","pass":"p"}"#)));
        assert!(!user.accepts(&connect(r#"{"pass":"p"}"#)));
        assert!(Authentication::None.accepts(&connect("{}")));
    }
}
