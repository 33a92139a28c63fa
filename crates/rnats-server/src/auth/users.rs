//! The users and permissions of the options, as configured (compiled in `permissions.rs`).

use std::time::Duration;

/// The default `allow_responses` limit: one reply per request received.
pub const DEFAULT_RESPONSE_MAX: u32 = 1;
/// The default `allow_responses` expiry: a request may be answered for two minutes.
pub const DEFAULT_RESPONSE_EXPIRES: Duration = Duration::from_secs(120);

/// One entry of the `authorization { users: [...] }` list.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// How the user proves who it is.
    pub credentials: UserCredentials,
    /// What the user may do; `None` takes `default_permissions`.
    pub permissions: Option<Permissions>,
    /// The account the user's connections are bound to; `None` is `$G`.
    pub account: Option<String>,
    /// The kinds of connection the user may make (`STANDARD`, `WEBSOCKET`, ...: see
    /// [`CONNECTION_TYPES`]); empty allows all.
    pub allowed_connection_types: Vec<String>,
}

/// The connection types users may be limited to, as the reference names them.
pub const CONNECTION_TYPES: [&str; 7] = [
    "STANDARD",
    "WEBSOCKET",
    "LEAFNODE",
    "LEAFNODE_WS",
    "MQTT",
    "MQTT_WS",
    "IN_PROCESS",
];

/// Whether a list of allowed connection types lets a client on the client port in (empty
/// allows every type); matched without regard to case.
pub fn allows_standard_connections(types: &[String]) -> bool {
    types.is_empty()
        || types
            .iter()
            .any(|kind| kind.eq_ignore_ascii_case("STANDARD"))
}

/// A user's identity and secret.
#[derive(Clone, PartialEq, Eq)]
pub enum UserCredentials {
    /// A name and a password, plain or a bcrypt hash (`$2a$...`).
    Password {
        /// The user name.
        user: String,
        /// The password or its bcrypt hash.
        password: String,
    },
    /// A public user NKey (`U...`): the client signs the INFO nonce with its seed.
    Nkey(String),
}

impl User {
    /// A user with a name and password and no permissions of its own.
    pub fn password(user: &str, password: &str) -> Self {
        User {
            credentials: UserCredentials::Password {
                user: user.to_owned(),
                password: password.to_owned(),
            },
            permissions: None,
            account: None,
            allowed_connection_types: Vec::new(),
        }
    }

    /// A user known by its public NKey, with no permissions of its own.
    pub fn nkey(public_key: &str) -> Self {
        User {
            credentials: UserCredentials::Nkey(public_key.to_owned()),
            permissions: None,
            account: None,
            allowed_connection_types: Vec::new(),
        }
    }

    /// The same user with these permissions.
    pub fn with_permissions(mut self, permissions: Permissions) -> Self {
        self.permissions = Some(permissions);
        self
    }

    /// The same user in `account`.
    pub fn in_account(mut self, account: &str) -> Self {
        self.account = Some(account.to_owned());
        self
    }

    /// The name `no_auth_user` and the logs know the user by: its name or its NKey.
    pub fn name(&self) -> &str {
        match &self.credentials {
            UserCredentials::Password { user, .. } => user,
            UserCredentials::Nkey(key) => key,
        }
    }
}

impl std::fmt::Debug for User {
    /// Never prints passwords.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = f.debug_struct("User");
        match &self.credentials {
            UserCredentials::Password { user, .. } => {
                out.field("user", user).field("password", &"<redacted>")
            }
            UserCredentials::Nkey(key) => out.field("nkey", key),
        };
        out.field("permissions", &self.permissions)
            .field("account", &self.account)
            .finish()
    }
}

/// What a user may publish and subscribe to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Permissions {
    /// Subjects the user may publish to; `None` is anything.
    pub publish: Option<SubjectPermission>,
    /// Subjects (and `"subject queue"` pairs) the user may subscribe to; `None` is anything.
    pub subscribe: Option<SubjectPermission>,
    /// Replies allowed to requests the user received, whatever `publish` says. With it and
    /// without `publish`, the user may publish nothing else.
    pub allow_responses: Option<ResponsePermission>,
}

/// Allow and deny lists of subjects, with wildcards; deny wins. An empty allow list
/// restricts nothing, as in the reference.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubjectPermission {
    /// Allowed subjects; empty allows all that are not denied.
    pub allow: Vec<String>,
    /// Denied subjects.
    pub deny: Vec<String>,
}

impl SubjectPermission {
    /// Only these subjects.
    pub fn allow<S: AsRef<str>>(subjects: &[S]) -> Self {
        SubjectPermission {
            allow: subjects.iter().map(|s| s.as_ref().to_owned()).collect(),
            deny: Vec::new(),
        }
    }

    /// Anything but these subjects.
    pub fn deny<S: AsRef<str>>(subjects: &[S]) -> Self {
        SubjectPermission {
            allow: Vec::new(),
            deny: subjects.iter().map(|s| s.as_ref().to_owned()).collect(),
        }
    }
}

/// `allow_responses`: how many replies per request, for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponsePermission {
    /// Replies allowed per request received.
    pub max: u32,
    /// How long after delivery a request may be answered.
    pub expires: Duration,
}

impl Default for ResponsePermission {
    fn default() -> Self {
        ResponsePermission {
            max: DEFAULT_RESPONSE_MAX,
            expires: DEFAULT_RESPONSE_EXPIRES,
        }
    }
}
