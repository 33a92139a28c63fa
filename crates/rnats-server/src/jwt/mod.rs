//! NATS JWTs: decoding, signature checks and the validity window, for operator mode.
//!
//! A NATS JWT is `header.claims.signature`, each part base64url without padding. The header
//! names the algorithm `ed25519-nkey` (`ed25519` in version 1 tokens); the signature is an
//! ed25519 signature of `header.claims` by the key in the `iss` claim, an NKey. What a token
//! is (operator, account, user) is in `nats.type` and in the prefix of its subject key, and
//! who may issue it is a chain: operators sign accounts, accounts (or their signing keys)
//! sign users. This module checks one token at a time; the caller checks the chain against
//! what it trusts.

mod claims;

use std::fmt;

use data_encoding::BASE64URL_NOPAD;
use serde::Deserialize;

pub use claims::{
    AccountClaims, AccountLimits, ActivationClaims, Export, ExportKind, Import, OperatorClaims,
    ResponseRule, SigningKey, SourceNetworks, SubjectRules, UserClaims, UserLimits,
};

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtError {
    /// Not three base64url parts, or the header or claims are not the JSON expected.
    Malformed(String),
    /// The header's type or algorithm is not a NATS JWT's.
    UnsupportedHeader(String),
    /// The signature does not verify with the issuer's key.
    BadSignature,
    /// The token is of another kind than expected (e.g. a user JWT where an account's was
    /// needed), or its subject or issuer key has the wrong prefix.
    WrongKind(String),
    /// `exp` has passed.
    Expired,
    /// `nbf` has not come yet.
    NotYetValid,
}

impl fmt::Display for JwtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwtError::Malformed(why) => write!(f, "malformed JWT: {why}"),
            JwtError::UnsupportedHeader(why) => write!(f, "unsupported JWT header: {why}"),
            JwtError::BadSignature => f.write_str("JWT signature verification failed"),
            JwtError::WrongKind(why) => write!(f, "unexpected JWT: {why}"),
            JwtError::Expired => f.write_str("JWT has expired"),
            JwtError::NotYetValid => f.write_str("JWT is not yet valid"),
        }
    }
}

impl std::error::Error for JwtError {}

/// The claims every NATS JWT has, with the kind-specific part in `nats`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Claims<N> {
    /// Unique id of the token.
    #[serde(default)]
    pub jti: String,
    /// Issued at, seconds since the Unix epoch.
    #[serde(default)]
    pub iat: i64,
    /// The public NKey that signed the token.
    pub iss: String,
    /// The public NKey the token is about.
    pub sub: String,
    /// A human name.
    #[serde(default)]
    pub name: String,
    /// Expiry, seconds since the Unix epoch; 0 never expires.
    #[serde(default)]
    pub exp: i64,
    /// Not valid before, seconds since the Unix epoch; 0 is always valid.
    #[serde(default)]
    pub nbf: i64,
    /// The kind-specific claims.
    pub nats: N,
}

impl<N> Claims<N> {
    /// Checks the validity window at `now` (seconds since the Unix epoch).
    pub fn check_time(&self, now: i64) -> Result<(), JwtError> {
        if self.exp > 0 && now >= self.exp {
            return Err(JwtError::Expired);
        }
        if self.nbf > 0 && now < self.nbf {
            return Err(JwtError::NotYetValid);
        }
        Ok(())
    }
}

/// The header of a NATS JWT.
#[derive(Deserialize)]
struct Header {
    #[serde(default)]
    typ: String,
    #[serde(default)]
    alg: String,
}

/// The kinds of token, by `nats.type` and key prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Signed by an operator key for itself.
    Operator,
    /// An account, signed by an operator (identity or signing) key.
    Account,
    /// A user, signed by an account (identity or signing) key.
    User,
    /// An activation: an account (identity or signing) key lets another account import.
    Activation,
    /// Any kind, any keys (a request signed by an operator, such as a JWT deletion): only
    /// the shape and the signature are checked.
    Generic,
}

impl Kind {
    /// The `nats.type` value.
    fn type_name(self) -> &'static str {
        match self {
            Kind::Operator => "operator",
            Kind::Account => "account",
            Kind::User => "user",
            Kind::Activation => "activation",
            Kind::Generic => "any",
        }
    }

    /// The prefix of the subject's key, and of the issuer's; `None` for any.
    fn prefixes(self) -> Option<(char, char)> {
        match self {
            Kind::Operator => Some(('O', 'O')),
            Kind::Account => Some(('A', 'O')),
            Kind::User => Some(('U', 'A')),
            Kind::Activation => Some(('A', 'A')),
            Kind::Generic => None,
        }
    }
}

/// Decodes a token of `kind`: checks its shape, header, key prefixes and signature (not the
/// validity window, not who issued it: see `Claims::check_time` and the issuer checks).
pub fn decode<N: for<'de> Deserialize<'de>>(
    token: &str,
    kind: Kind,
) -> Result<Claims<N>, JwtError> {
    let token = token.trim();
    let mut parts = token.split('.');
    let (Some(header), Some(body), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed("expected three parts".to_owned()));
    };
    let header: Header = json(header, "header")?;
    if !header.typ.eq_ignore_ascii_case("jwt") {
        return Err(JwtError::UnsupportedHeader(format!(
            "type {:?}",
            header.typ
        )));
    }
    if !matches!(header.alg.as_str(), "ed25519-nkey" | "ed25519") {
        return Err(JwtError::UnsupportedHeader(format!(
            "algorithm {:?}",
            header.alg
        )));
    }
    let raw: serde_json::Value = json(body, "claims")?;
    let declared = raw
        .get("nats")
        .and_then(|nats| nats.get("type"))
        .and_then(serde_json::Value::as_str);
    // Version 1 tokens have no `nats.type`; their key prefixes still tell the kind.
    if kind != Kind::Generic && declared.is_some_and(|declared| declared != kind.type_name()) {
        return Err(JwtError::WrongKind(format!(
            "expected {} claims, got {:?}",
            kind.type_name(),
            declared.unwrap_or_default()
        )));
    }
    let claims: Claims<N> = serde_json::from_value(raw)
        .map_err(|error| JwtError::Malformed(format!("claims: {error}")))?;
    if let Some((subject_prefix, issuer_prefix)) = kind.prefixes() {
        if !claims.sub.starts_with(subject_prefix) {
            return Err(JwtError::WrongKind(format!("subject {:?}", claims.sub)));
        }
        if !claims.iss.starts_with(issuer_prefix) {
            return Err(JwtError::WrongKind(format!("issuer {:?}", claims.iss)));
        }
    }
    let signature = BASE64URL_NOPAD
        .decode(signature.as_bytes())
        .map_err(|_| JwtError::Malformed("signature is not base64url".to_owned()))?;
    let signed = &token[..header_and_body_len(token)];
    let issuer =
        nkeys::KeyPair::from_public_key(&claims.iss).map_err(|_| JwtError::BadSignature)?;
    issuer
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| JwtError::BadSignature)?;
    Ok(claims)
}

/// The length of `header.claims`, the signed part of a token with three parts.
fn header_and_body_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(token.len())
}

/// Decodes one base64url JSON part.
fn json<T: for<'de> Deserialize<'de>>(part: &str, what: &str) -> Result<T, JwtError> {
    let bytes = BASE64URL_NOPAD
        .decode(part.trim_end_matches('=').as_bytes())
        .map_err(|_| JwtError::Malformed(format!("{what} is not base64url")))?;
    serde_json::from_slice(&bytes).map_err(|error| JwtError::Malformed(format!("{what}: {error}")))
}

#[cfg(test)]
mod tests;
