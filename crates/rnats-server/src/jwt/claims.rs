//! The kind-specific claims (`nats`) of operator, account and user JWTs.
//!
//! Only what the server acts on is typed; everything is optional with the defaults the JWT
//! tools write (limits of -1 are unlimited).

use std::collections::HashMap;

use serde::Deserialize;

/// An operator's claims: the keys it signs accounts with, and its system account.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct OperatorClaims {
    /// Keys besides the operator's own that may sign account JWTs.
    pub signing_keys: Vec<String>,
    /// The account the servers of this operator use as the system account.
    pub system_account: String,
    /// Only signing keys may sign accounts, not the operator's identity key.
    pub strict_signing_key_usage: bool,
}

/// An account's claims: its limits, signing keys, exports, imports and revocations.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct AccountClaims {
    /// Subjects the account offers other accounts.
    pub exports: Vec<Export>,
    /// Subjects the account takes from other accounts.
    pub imports: Vec<Import>,
    /// Connection, subscription and data limits.
    pub limits: AccountLimits,
    /// Keys besides the account's own that may sign its users.
    pub signing_keys: Vec<SigningKey>,
    /// Revoked users: public key (or `*` for all) to the time before which their JWTs are
    /// revoked, in seconds since the Unix epoch.
    pub revocations: HashMap<String, i64>,
}

/// A key that may sign users, alone or with a scope that fixes their permissions.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum SigningKey {
    /// A plain signing key.
    Key(String),
    /// A scoped signing key: users it signs get `template`'s permissions and limits.
    Scoped {
        /// The public key.
        key: String,
        /// `user_scope`.
        #[serde(default)]
        kind: String,
        /// A name for the role.
        #[serde(default)]
        role: String,
        /// The permissions and limits of every user this key signs.
        #[serde(default)]
        template: Box<UserClaims>,
    },
}

impl SigningKey {
    /// The public key.
    pub fn key(&self) -> &str {
        match self {
            SigningKey::Key(key) | SigningKey::Scoped { key, .. } => key,
        }
    }
}

/// An account's limits; -1 is unlimited.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct AccountLimits {
    /// Most subscriptions.
    pub subs: i64,
    /// Most connections.
    pub conn: i64,
    /// Most leaf node connections.
    pub leaf: i64,
    /// Most bytes of messages.
    pub data: i64,
    /// Largest payload.
    pub payload: i64,
    /// Most imports.
    pub imports: i64,
    /// Most exports.
    pub exports: i64,
    /// Whether exports may use wildcards.
    pub wildcards: bool,
    /// Users may not be bearer tokens.
    pub disallow_bearer: bool,
}

impl Default for AccountLimits {
    fn default() -> Self {
        AccountLimits {
            subs: -1,
            conn: -1,
            leaf: -1,
            data: -1,
            payload: -1,
            imports: -1,
            exports: -1,
            wildcards: true,
            disallow_bearer: false,
        }
    }
}

/// Whether an export or import is a stream or a service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportKind {
    /// Messages flow from the exporter to importers.
    #[default]
    Stream,
    /// Requests flow to the exporter, responses back.
    Service,
}

/// A subject an account offers.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Export {
    /// A name for humans.
    pub name: String,
    /// The subject (wildcards allowed).
    pub subject: String,
    /// Stream or service.
    #[serde(rename = "type")]
    pub kind: ExportKind,
    /// Importers need an activation token.
    pub token_req: bool,
    /// For services: `Singleton`, `Stream` or `Chunked`.
    pub response_type: String,
    /// For services: how long responses may come, in nanoseconds.
    pub response_threshold: i64,
    /// Revoked activations: importing account (or `*` for all) to the time at or before
    /// which activation tokens issued are revoked, in seconds since the Unix epoch.
    pub revocations: HashMap<String, i64>,
    /// When not 0, the subject's token at this 1-based position must be the importing
    /// account's public key.
    pub account_token_position: u32,
}

/// An activation's claims: the exporter lets the account in `sub` import `subject`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ActivationClaims {
    /// The subject (wildcards allowed) the importer may import.
    pub subject: String,
    /// Stream or service.
    pub kind: ExportKind,
    /// The exporting account, when one of its signing keys issued the token.
    pub issuer_account: String,
}

/// A subject an account takes from another.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Import {
    /// A name for humans.
    pub name: String,
    /// The subject in the exporting account.
    pub subject: String,
    /// The exporting account's public key.
    pub account: String,
    /// An activation token, when the export requires one.
    pub token: String,
    /// Where the subject appears in this account (older tokens use `to`).
    pub local_subject: String,
    /// The older name of `local_subject`.
    pub to: String,
    /// Stream or service.
    #[serde(rename = "type")]
    pub kind: ExportKind,
    /// Services: the responder learns who asked.
    pub share: bool,
}

/// A user's claims: permissions, limits and the account that issued it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct UserClaims {
    /// Publish permissions.
    #[serde(rename = "pub")]
    pub publish: SubjectRules,
    /// Subscribe permissions.
    #[serde(rename = "sub")]
    pub subscribe: SubjectRules,
    /// Permission to answer requests received.
    pub resp: Option<ResponseRule>,
    /// Networks (CIDR) the user may connect from.
    pub src: SourceNetworks,
    /// Times of day the user may connect (`{"start": "hh:mm:ss", "end": ...}` entries).
    pub times: Vec<serde_json::Value>,
    /// The time zone `times` are in.
    pub locale: String,
    /// Limits of the user's connections.
    #[serde(flatten)]
    pub limits: UserLimits,
    /// The token is the credential: no nonce signature is needed.
    pub bearer_token: bool,
    /// `STANDARD`, `WEBSOCKET`, `MQTT`, `LEAFNODE`, ...; empty allows all.
    pub allowed_connection_types: Vec<String>,
    /// The account, when a signing key of it issued the token.
    pub issuer_account: String,
}

impl UserClaims {
    /// Whether the claims set no permission and no limit at all (limits of 0, as the NATS
    /// tools write them for users of scoped signing keys; a missing limit is unlimited).
    pub fn grants_nothing(&self) -> bool {
        let rules_empty = |rules: &SubjectRules| rules.allow.is_empty() && rules.deny.is_empty();
        rules_empty(&self.publish)
            && rules_empty(&self.subscribe)
            && self.resp.is_none()
            && self.src.networks().is_empty()
            && self.times.is_empty()
            && self.locale.is_empty()
            && self.limits.subs == 0
            && self.limits.data == 0
            && self.limits.payload == 0
            && !self.bearer_token
            && self.allowed_connection_types.is_empty()
    }
}

/// Allow and deny lists of subjects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SubjectRules {
    /// Subjects allowed; empty allows all.
    pub allow: Vec<String>,
    /// Subjects denied; deny wins.
    pub deny: Vec<String>,
}

/// How many responses a user may send to a request it received, and for how long.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ResponseRule {
    /// Responses per request.
    pub max: i64,
    /// Nanoseconds after the request.
    pub ttl: i64,
}

/// Source networks: a list in current tokens, a comma-separated string in older ones.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum SourceNetworks {
    /// `["10.0.0.0/8", ...]`.
    List(Vec<String>),
    /// `"10.0.0.0/8,192.168.1.0/24"`.
    Text(String),
}

impl Default for SourceNetworks {
    fn default() -> Self {
        SourceNetworks::List(Vec::new())
    }
}

impl SourceNetworks {
    /// The networks, one per entry.
    pub fn networks(&self) -> Vec<&str> {
        match self {
            SourceNetworks::List(list) => list.iter().map(String::as_str).collect(),
            SourceNetworks::Text(text) => text
                .split(',')
                .map(str::trim)
                .filter(|network| !network.is_empty())
                .collect(),
        }
    }
}

/// A user's limits; -1 is unlimited.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct UserLimits {
    /// Most subscriptions.
    pub subs: i64,
    /// Most bytes of messages.
    pub data: i64,
    /// Largest payload.
    pub payload: i64,
}

impl Default for UserLimits {
    fn default() -> Self {
        UserLimits {
            subs: -1,
            data: -1,
            payload: -1,
        }
    }
}
