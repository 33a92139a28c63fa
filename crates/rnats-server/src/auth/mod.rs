//! Client authentication: who a CONNECT says it is, and what it may then do.
//!
//! The `Authenticator` is built once per set of options (at start and at every reload) and
//! shared by every connection. It checks, in the reference's order: the NKey users (a
//! signature of the INFO nonce), the users with passwords, the token, then the single user
//! of the command line. A client that sends no credentials at all connects as
//! `no_auth_user` when one is set.

mod delivery;
mod nkey;
mod permissions;
mod secret;
mod users;

use std::fmt;
use std::sync::Arc;

use rnats_proto::ConnectOptions;
use std::collections::HashMap;

use crate::options::{Authentication, Options};
use crate::tls::CertIdentity;
pub(crate) use delivery::DeliveryRules;
pub use nkey::is_valid_user_nkey;
pub(crate) use permissions::CompiledPermissions;
use secret::Secret;
pub use users::{
    CONNECTION_TYPES, DEFAULT_RESPONSE_EXPIRES, DEFAULT_RESPONSE_MAX, Permissions,
    ResponsePermission, SubjectPermission, User, UserCredentials, allows_standard_connections,
};

/// The warning the reference gives when a password is stored in the clear.
pub const PLAINTEXT_WARNING: &str = "Plaintext passwords detected, use nkeys or bcrypt";

/// Checks CONNECTs against the configured identities.
pub(crate) struct Authenticator {
    single: Single,
    /// Users with passwords, by name.
    users: HashMap<String, Arc<Identity>>,
    /// Users with NKeys, by public key.
    nkeys: HashMap<String, Arc<Identity>>,
    no_auth_user: Option<Arc<Identity>>,
    /// Operator mode: clients authenticate with user JWTs and sign the nonce.
    operator: bool,
}

/// The command line's identity (`--user/--pass`, `--auth`, or the `authorization` block's).
enum Single {
    None,
    Token(Secret),
    User { user: String, password: Secret },
}

/// One configured user, ready for checks.
struct Identity {
    /// `user:<name>` or `nkey:<key>`, as log lines show it after the account.
    label: String,
    /// The user for monitoring's `authorized_user`.
    name: String,
    proof: Proof,
    permissions: Option<Arc<CompiledPermissions>>,
    /// The account the user is bound to; `None` is `$G`.
    account: Option<String>,
    /// Its `allowed_connection_types` let it in on the client port.
    standard_allowed: bool,
}

enum Proof {
    Password(Secret),
    /// Boxed: a decoded key is much larger than a secret.
    Nkey(Box<nkey::PublicKey>),
}

/// A client that authenticated: who it is and what it may do.
#[derive(Debug, Default)]
pub(crate) struct Authenticated {
    /// The user, for monitoring (`authorized_user`).
    pub(crate) user: Option<String>,
    /// `user:<name>`, `nkey:<key>` or `token`; `None` when nothing was required.
    pub(crate) label: Option<String>,
    /// Its permissions; `None` when unrestricted.
    pub(crate) permissions: Option<Arc<CompiledPermissions>>,
    /// The account it is bound to; `None` is `$G`.
    pub(crate) account: Option<String>,
}

/// A CONNECT whose credentials were refused; displays as the reference's log line.
#[derive(Debug, Default)]
pub(crate) struct AuthFailure {
    /// What the client claimed to be, e.g. `User "alice"`.
    claimed: Option<String>,
    /// The credentials were good but the account has all the connections it may have.
    account_connections: bool,
}

impl AuthFailure {
    /// The account's connection limit refused the client.
    pub(crate) fn account_connections() -> Self {
        AuthFailure {
            claimed: None,
            account_connections: true,
        }
    }

    /// Whether the account's connection limit refused the client.
    pub(crate) fn is_account_connections(&self) -> bool {
        self.account_connections
    }
}

impl fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("authentication error")?;
        if let Some(claimed) = &self.claimed {
            write!(f, " - {claimed}")?;
        }
        Ok(())
    }
}

impl Authenticator {
    /// Compiles the identities and permissions the options configure.
    pub(crate) fn new(options: &Options) -> Self {
        let single = match &options.auth {
            Authentication::None => Single::None,
            Authentication::Token(token) => Single::Token(Secret::new(token)),
            Authentication::UserPassword { user, password } => Single::User {
                user: user.clone(),
                password: Secret::new(password),
            },
        };
        let default_permissions = options
            .default_permissions
            .as_ref()
            .and_then(CompiledPermissions::compile);
        // Users listed in an account take the account's default_permissions, not the
        // `authorization` block's, as in the reference.
        let account_defaults: HashMap<&str, Option<Arc<CompiledPermissions>>> =
            (options.accounts.iter())
                .filter_map(|account| {
                    let defaults = account.default_permissions.as_ref()?;
                    Some((
                        account.name.as_str(),
                        CompiledPermissions::compile(defaults),
                    ))
                })
                .collect();
        let (mut users, mut nkeys) = (HashMap::new(), HashMap::new());
        for user in &options.users {
            let defaults = match user.account.as_deref() {
                Some(account) => account_defaults.get(account).unwrap_or(&None),
                None => &default_permissions,
            };
            let permissions = match &user.permissions {
                Some(permissions) => CompiledPermissions::compile(permissions),
                None => defaults.clone(),
            };
            let account_user = user;
            let standard_allowed = allows_standard_connections(&user.allowed_connection_types);
            match &user.credentials {
                UserCredentials::Password { user, password } => {
                    let identity = Identity {
                        label: format!("user:{user}"),
                        name: user.clone(),
                        proof: Proof::Password(Secret::new(password)),
                        permissions,
                        account: account_user.account.clone(),
                        standard_allowed,
                    };
                    users.insert(user.clone(), Arc::new(identity));
                }
                UserCredentials::Nkey(key) => {
                    // A key that does not parse can never be proven: such a user cannot log in.
                    let Some(public) = nkey::PublicKey::parse(key) else {
                        continue;
                    };
                    let identity = Identity {
                        label: format!("nkey:{key}"),
                        name: key.clone(),
                        proof: Proof::Nkey(Box::new(public)),
                        permissions,
                        account: account_user.account.clone(),
                        standard_allowed,
                    };
                    nkeys.insert(key.clone(), Arc::new(identity));
                }
            }
        }
        let no_auth_user = options
            .no_auth_user
            .as_deref()
            .and_then(|name| users.get(name).or_else(|| nkeys.get(name)).cloned());
        Authenticator {
            single,
            users,
            nkeys,
            no_auth_user,
            operator: options.operator.is_some(),
        }
    }

    /// Whether clients must authenticate (and send CONNECT within the auth timeout).
    pub(crate) fn is_required(&self) -> bool {
        self.operator
            || !matches!(self.single, Single::None)
            || !self.users.is_empty()
            || !self.nkeys.is_empty()
    }

    /// Whether INFO says `auth_required`: not when anonymous clients get `no_auth_user`.
    pub(crate) fn info_auth_required(&self) -> bool {
        self.is_required() && self.no_auth_user.is_none()
    }

    /// Whether connections get a nonce in INFO to sign (NKey users exist, or operator mode).
    pub(crate) fn uses_nonce(&self) -> bool {
        self.operator || !self.nkeys.is_empty()
    }

    /// A fresh nonce for a connection's INFO, when NKey users exist.
    pub(crate) fn nonce(&self) -> Option<String> {
        self.uses_nonce().then(nkey::new_nonce)
    }

    /// Checks a CONNECT; `nonce` is the one this connection's INFO carried.
    pub(crate) fn authenticate(
        &self,
        connect: &ConnectOptions,
        nonce: Option<&str>,
    ) -> Result<Authenticated, AuthFailure> {
        if !self.is_required() {
            return Ok(Authenticated::default());
        }
        fn given(field: &Option<String>) -> Option<&str> {
            field.as_deref().filter(|text| !text.is_empty())
        }
        let (nkey, user, pass, token) = (
            given(&connect.nkey),
            given(&connect.user),
            given(&connect.pass),
            given(&connect.auth_token),
        );
        let claimed = match (nkey, user, token) {
            (Some(key), _, _) => Some(format!("Nkey \"{key}\"")),
            (None, Some(user), _) => Some(format!("User \"{user}\"")),
            (None, None, Some(_)) => Some("Token \"[REDACTED]\"".to_owned()),
            (None, None, None) => None,
        };
        let failure = || AuthFailure {
            claimed: claimed.clone(),
            account_connections: false,
        };
        let anonymous = nkey.is_none()
            && user.is_none()
            && pass.is_none()
            && token.is_none()
            && given(&connect.jwt).is_none();
        if let (true, Some(identity)) = (anonymous, &self.no_auth_user) {
            return identity.authenticated().ok_or_else(failure);
        }
        if let (Some(key), false) = (nkey, self.nkeys.is_empty()) {
            let identity = self.nkeys.get(key).ok_or_else(failure)?;
            let signature = given(&connect.sig).unwrap_or_default();
            return match (&identity.proof, nonce) {
                (Proof::Nkey(public), Some(nonce)) if public.verifies(nonce, signature) => {
                    identity.authenticated().ok_or_else(failure)
                }
                _ => Err(failure()),
            };
        }
        if let (Some(name), false) = (user, self.users.is_empty()) {
            let identity = self.users.get(name).ok_or_else(failure)?;
            return match &identity.proof {
                Proof::Password(secret) if secret.matches(pass.unwrap_or_default()) => {
                    identity.authenticated().ok_or_else(failure)
                }
                _ => Err(failure()),
            };
        }
        match &self.single {
            Single::Token(secret) if token.is_some_and(|t| secret.matches(t)) => {
                Ok(Authenticated {
                    user: None,
                    label: Some("token".to_owned()),
                    permissions: None,
                    account: None,
                })
            }
            Single::User {
                user: expected,
                password,
            } => {
                // Both checks run, so a wrong user costs the same as a wrong password.
                let user_ok = Secret::Plain(expected.as_bytes().into())
                    .matches(user.unwrap_or_default())
                    & user.is_some();
                let password_ok = password.matches(pass.unwrap_or_default()) & pass.is_some();
                if user_ok && password_ok {
                    Ok(Authenticated {
                        user: Some(expected.clone()),
                        label: Some(format!("user:{expected}")),
                        permissions: None,
                        account: None,
                    })
                } else {
                    Err(failure())
                }
            }
            _ => Err(failure()),
        }
    }
}

impl Authenticator {
    /// `verify_and_map`: the first user named by the client certificate's email addresses,
    /// then DNS names, then URIs, then subject; no password is asked for.
    pub(crate) fn authenticate_certificate(
        &self,
        certificate: Option<&CertIdentity>,
    ) -> Result<Authenticated, AuthFailure> {
        let failure = AuthFailure::default;
        let certificate = certificate.ok_or_else(failure)?;
        let names = (certificate.emails.iter())
            .chain(&certificate.dns_names)
            .chain(&certificate.uris)
            .chain([&certificate.subject, &certificate.subject_short]);
        names
            .filter(|name| !name.is_empty())
            .find_map(|name| self.users.get(name.as_str()))
            .and_then(|identity| identity.authenticated())
            .ok_or_else(failure)
    }
}

impl Authenticator {
    /// Where the listed user a client authenticated as (by its label, `user:<name>` or
    /// `nkey:<key>`) is: `None` when no such user is listed, else its account (`None` is
    /// `$G`). The single identity of `authorization` is not a listed user.
    pub(crate) fn listed_account(&self, label: &str) -> Option<Option<&str>> {
        let identity = match label.split_once(':') {
            Some(("user", name)) => self.users.get(name),
            Some(("nkey", key)) => self.nkeys.get(key),
            _ => None,
        }?;
        Some(identity.account.as_deref())
    }
}

impl Identity {
    /// The client this identity makes, once proven; `None` when the user may not connect
    /// on the client port.
    fn authenticated(&self) -> Option<Authenticated> {
        self.standard_allowed.then(|| Authenticated {
            user: Some(self.name.clone()),
            label: Some(self.label.clone()),
            permissions: self.permissions.clone(),
            account: self.account.clone(),
        })
    }
}

/// Whether the options store a password in the clear (tokens do not count, as in the
/// reference's warning).
pub fn has_plaintext_passwords(options: &Options) -> bool {
    let single = match &options.auth {
        Authentication::UserPassword { password, .. } => Secret::new(password).is_plain(),
        Authentication::None | Authentication::Token(_) => false,
    };
    single
        || options.users.iter().any(|user| match &user.credentials {
            UserCredentials::Password { password, .. } => Secret::new(password).is_plain(),
            UserCredentials::Nkey(_) => false,
        })
}

#[cfg(test)]
mod tests;
