//! The CONNECT options a client sends, decoded the way nats-server decodes them.
//!
//! nats-server unmarshals CONNECT JSON into the connection's current options, so a field the
//! client leaves out, or sends as `null`, keeps its current value (`verbose`, `pedantic` and
//! `echo` start out `true`). Keys match case-insensitively, later keys win, unknown keys are
//! ignored, and a value of the wrong type (a string for a bool, 1.5 for an int) is an error.
//! The top level may be an object or `null`; anything else is an error.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

/// The options of a client connection, as set by CONNECT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectOptions {
    /// Answer `+OK` to every operation.
    pub verbose: bool,
    /// Check published subjects strictly.
    pub pedantic: bool,
    /// The client requires TLS.
    pub tls_required: bool,
    /// Token for token authentication.
    pub auth_token: Option<String>,
    /// User for user/password authentication.
    pub user: Option<String>,
    /// Password for user/password authentication.
    pub pass: Option<String>,
    /// Client name, shown in monitoring.
    pub name: Option<String>,
    /// Client library language.
    pub lang: Option<String>,
    /// Client library version.
    pub version: Option<String>,
    /// Protocol level: 0 (original) or 1 (accepts async INFO).
    pub protocol: i64,
    /// Deliver the connection's own publications to its own subscriptions.
    pub echo: bool,
    /// Signature of the server nonce (NKey and JWT authentication).
    pub sig: Option<String>,
    /// User JWT (operator mode).
    pub jwt: Option<String>,
    /// Public NKey of the user.
    pub nkey: Option<String>,
    /// The client understands HPUB/HMSG.
    pub headers: bool,
    /// The client wants a 503 status message when a request has no responders.
    pub no_responders: bool,
    /// Deprecated account binding; the reference refuses it.
    pub account: Option<String>,
    /// Deprecated account creation; the reference refuses it.
    pub new_account: Option<bool>,
}

impl Default for ConnectOptions {
    /// The options of a connection that has not sent CONNECT yet.
    fn default() -> Self {
        ConnectOptions {
            verbose: true,
            pedantic: true,
            tls_required: false,
            auth_token: None,
            user: None,
            pass: None,
            name: None,
            lang: None,
            version: None,
            protocol: 0,
            echo: true,
            sig: None,
            jwt: None,
            nkey: None,
            headers: false,
            no_responders: false,
            account: None,
            new_account: None,
        }
    }
}

/// CONNECT JSON the server could not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectError(String);

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConnectError {}

impl ConnectOptions {
    /// Applies a CONNECT's JSON on top of the current options.
    ///
    /// On error the options are left unchanged.
    pub fn apply_json(&mut self, json: &[u8]) -> Result<(), ConnectError> {
        let mut updated = self.clone();
        let mut deserializer = serde_json::Deserializer::from_slice(json);
        Patch(&mut updated)
            .deserialize(&mut deserializer)
            .and_then(|()| deserializer.end())
            .map_err(|e| ConnectError(e.to_string()))?;
        *self = updated;
        Ok(())
    }
}

/// Deserializes a CONNECT object into existing options, field by field, in document order.
struct Patch<'o>(&'o mut ConnectOptions);

impl<'de> DeserializeSeed<'de> for Patch<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for Patch<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of connect options")
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let o = self.0;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let key = key.to_ascii_lowercase();
            match key.as_str() {
                "verbose" => set(&mut o.verbose, map.next_value()?),
                "pedantic" => set(&mut o.pedantic, map.next_value()?),
                "tls_required" => set(&mut o.tls_required, map.next_value()?),
                "echo" => set(&mut o.echo, map.next_value()?),
                "headers" => set(&mut o.headers, map.next_value()?),
                "no_responders" => set(&mut o.no_responders, map.next_value()?),
                "protocol" => set(&mut o.protocol, map.next_value()?),
                "auth_token" => set_some(&mut o.auth_token, map.next_value()?),
                "user" => set_some(&mut o.user, map.next_value()?),
                "pass" => set_some(&mut o.pass, map.next_value()?),
                "name" => set_some(&mut o.name, map.next_value()?),
                "lang" => set_some(&mut o.lang, map.next_value()?),
                "version" => set_some(&mut o.version, map.next_value()?),
                "sig" => set_some(&mut o.sig, map.next_value()?),
                "jwt" => set_some(&mut o.jwt, map.next_value()?),
                "nkey" => set_some(&mut o.nkey, map.next_value()?),
                "account" => set_some(&mut o.account, map.next_value()?),
                "new_account" => set_some(&mut o.new_account, map.next_value()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// A `null` leaves the field as it was, like Go's decoder.
fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}

fn set_some<T>(field: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *field = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(json: &str) -> Result<ConnectOptions, ConnectError> {
        let mut options = ConnectOptions::default();
        options.apply_json(json.as_bytes()).map(|()| options)
    }

    #[test]
    fn absent_and_null_fields_keep_their_defaults() {
        let o = apply(r#"{"verbose":false,"echo":null,"name":"n"}"#).expect("valid");
        assert!(!o.verbose && o.pedantic && o.echo);
        assert_eq!(o.name.as_deref(), Some("n"));
        assert_eq!(
            apply("null").expect("null is accepted"),
            ConnectOptions::default()
        );
        assert_eq!(
            apply("  {}  ").expect("blank space is fine"),
            ConnectOptions::default()
        );
    }

    #[test]
    fn keys_match_case_insensitively_and_the_last_one_wins() {
        let o = apply(r#"{"VERBOSE":false,"Headers":true}"#).expect("valid");
        assert!(!o.verbose && o.headers);
        assert!(
            apply(r#"{"verbose":false,"verbose":true}"#)
                .expect("valid")
                .verbose
        );
        assert!(
            !apply(r#"{"verbose":true,"VERBOSE":false}"#)
                .expect("valid")
                .verbose
        );
    }

    #[test]
    fn every_field_is_read() {
        let o = apply(
            r#"{"verbose":false,"pedantic":false,"tls_required":true,"auth_token":"t","user":"u",
                "pass":"p","name":"n","lang":"rust","version":"1.0","protocol":1,"echo":false,
                "sig":"s","jwt":"j","nkey":"k","headers":true,"no_responders":true,
                "account":"A","new_account":false,"unknown":{"nested":[1,2]}}"#,
        )
        .expect("valid");
        assert!(
            !o.verbose && !o.pedantic && o.tls_required && !o.echo && o.headers && o.no_responders
        );
        assert_eq!(o.protocol, 1);
        for (field, value) in [
            (&o.auth_token, "t"),
            (&o.user, "u"),
            (&o.pass, "p"),
            (&o.name, "n"),
            (&o.lang, "rust"),
            (&o.version, "1.0"),
            (&o.sig, "s"),
            (&o.jwt, "j"),
            (&o.nkey, "k"),
            (&o.account, "A"),
        ] {
            assert_eq!(field.as_deref(), Some(value));
        }
        assert_eq!(o.new_account, Some(false));
    }

    #[test]
    fn malformed_json_and_wrong_types_are_errors() {
        for json in [
            "",
            "{",
            "[]",
            "\"x\"",
            "{} junk",
            r#"{"verbose":"yes"}"#,
            r#"{"protocol":"1"}"#,
            r#"{"protocol":1.5}"#,
            r#"{"protocol":1e0}"#,
            r#"{"name":1}"#,
            r#"{"protocol":99999999999999999999}"#,
        ] {
            let mut options = ConnectOptions::default();
            assert!(options.apply_json(json.as_bytes()).is_err(), "{json}");
            assert_eq!(
                options,
                ConnectOptions::default(),
                "left unchanged by {json}"
            );
        }
    }
}
