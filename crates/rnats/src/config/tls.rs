//! The `tls {}` block and the top-level keys that go with it (`allow_non_tls`,
//! `https_port`, `https`), with the reference's errors.
//!
//! The certificate files are read here too, so `-t` reports a missing or mismatched key as
//! the reference does, at the position of the `tls` key.

use std::path::PathBuf;
use std::time::Duration;

use rnats_conf::{Map, ValueKind};
use rnats_server::{
    DEFAULT_HANDSHAKE_FIRST_FALLBACK, HandshakeFirst, Options, TlsOptions, TlsVersion,
};

use super::field::{Field, Problem, go_type};
use super::{entries, host_port, port};

/// Applies `tls`, `allow_non_tls`, `https_port` or `https`.
pub(super) fn apply(
    key: &str,
    field: &Field<'_>,
    options: &mut Options,
    problems: &mut Vec<Problem>,
) -> Result<(), Problem> {
    match key {
        "allow_non_tls" => options.allow_non_tls = field.boolean()?,
        "https_port" => options.https_port = Some(port(field)?),
        "https" => {
            let (host, port) = host_port(field)?;
            options.http_host = host.or(options.http_host.take());
            options.https_port = Some(port);
        }
        _ => {
            let tls = block(field, problems)?;
            tls.validate().map_err(|error| field.error(error))?;
            options.tls = Some(tls);
        }
    }
    Ok(())
}

/// When TLS is on and the file sets no `authorization { timeout }`, clients get the TLS
/// timeout plus a second to authenticate, as in the reference.
pub(super) fn default_auth_timeout(root: &Map, options: &mut Options) {
    let Some(tls) = &options.tls else {
        return;
    };
    let explicit =
        root.get_ignore_case("authorization")
            .is_some_and(|entry| match &entry.value.kind {
                ValueKind::Map(map) => map.get_ignore_case("timeout").is_some(),
                _ => false,
            });
    if !explicit {
        options.auth_timeout = tls.timeout + Duration::from_secs(1);
    }
}

/// Reads the block's keys; files are checked by the caller.
fn block(field: &Field<'_>, problems: &mut Vec<Problem>) -> Result<TlsOptions, Problem> {
    let map = field.map()?;
    let mut tls = TlsOptions::default();
    for inner in entries(map) {
        let flag = |inner: &Field<'_>| match inner.kind() {
            ValueKind::Bool(value) => Ok(*value),
            _ => Err(inner.error(format!(
                "error parsing tls config, expected '{}' to be a boolean",
                inner.key()
            ))),
        };
        let path = |inner: &Field<'_>| {
            inner.string().map(PathBuf::from).map_err(|_| {
                inner.error(format!(
                    "error parsing tls config, expected '{}' to be a filename",
                    inner.key()
                ))
            })
        };
        match inner.key().to_ascii_lowercase().as_str() {
            "cert_file" => tls.cert_file = Some(path(&inner)?),
            "key_file" => tls.key_file = Some(path(&inner)?),
            "ca_file" => tls.ca_file = Some(path(&inner)?),
            "verify" => tls.verify = flag(&inner)?,
            "verify_and_map" => tls.verify_and_map = flag(&inner)?,
            // A client-side setting; the server side has nothing to skip.
            "insecure" => {
                flag(&inner)?;
            }
            "timeout" => tls.timeout = timeout(&inner)?,
            "handshake_first" | "first" | "immediate" => {
                tls.handshake_first = handshake_first(&inner)?;
            }
            "cipher_suites" => {
                tls.cipher_suites = names(&inner, TlsOptions::cipher_problem, problems)?;
            }
            "curve_preferences" => {
                tls.curve_preferences = names(&inner, TlsOptions::curve_problem, problems)?;
            }
            "min_version" => tls.min_version = min_version(&inner)?,
            "verify_cert_and_check_known_urls"
            | "pinned_certs"
            | "connection_rate_limit"
            | "ocsp_peer"
            | "cert_store"
            | "cert_match_by"
            | "cert_match"
            | "cert_match_skip_invalid"
            | "ca_certs_match"
            | "certs" => {
                return Err(inner.error(format!(
                    "tls \"{}\" is not supported by rnats yet: refusing to run without it",
                    inner.key()
                )));
            }
            _ => {
                return Err(inner.error(format!(
                    "error parsing tls config, unknown field \"{}\"",
                    inner.key()
                )));
            }
        }
    }
    Ok(tls)
}

/// `timeout`: seconds as a number, or a duration string.
fn timeout(field: &Field<'_>) -> Result<Duration, Problem> {
    match field.kind() {
        ValueKind::String(text) => rnats_conf::parse_duration(text)
            .map_err(|error| field.error(format!("error parsing tls config, 'timeout' {error}"))),
        _ => field.seconds(),
    }
}

/// `handshake_first`: a boolean, `auto`, or the fallback delay as a duration.
fn handshake_first(field: &Field<'_>) -> Result<HandshakeFirst, Problem> {
    match field.kind() {
        ValueKind::Bool(true) => Ok(HandshakeFirst::On),
        ValueKind::Bool(false) => Ok(HandshakeFirst::Off),
        ValueKind::String(text) => match text.to_ascii_lowercase().as_str() {
            "true" | "on" => Ok(HandshakeFirst::On),
            "false" | "off" => Ok(HandshakeFirst::Off),
            "auto" | "auto_fallback" => {
                Ok(HandshakeFirst::Fallback(DEFAULT_HANDSHAKE_FIRST_FALLBACK))
            }
            _ => match rnats_conf::parse_duration(text) {
                Ok(delay) => Ok(HandshakeFirst::Fallback(delay)),
                Err(_) => Err(field.error(format!(
                    "field \"{}\"'s value \"{text}\" is invalid",
                    field.key()
                ))),
            },
        },
        kind => Err(field.error(format!(
            "field \"{}\" should be a boolean or a string, got {}",
            field.key(),
            go_type(kind)
        ))),
    }
}

/// A list of cipher or curve names, each checked where it is written.
fn names(
    field: &Field<'_>,
    problem_of: fn(&str) -> Option<String>,
    problems: &mut Vec<Problem>,
) -> Result<Vec<String>, Problem> {
    let ValueKind::Array(values) = field.kind() else {
        return Err(field.error(format!(
            "error parsing tls config, expected '{}' to be an array",
            field.key()
        )));
    };
    let mut names = Vec::new();
    for value in values {
        let ValueKind::String(name) = &value.kind else {
            problems.push(Problem::Error(format!(
                "{}: error parsing tls config, expected a string, got {}",
                value.position,
                go_type(&value.kind)
            )));
            continue;
        };
        if let Some(problem) = problem_of(name) {
            return Err(Problem::Error(format!("{}: {problem}", value.position)));
        }
        names.push(name.clone());
    }
    Ok(names)
}

/// `min_version`: `1.2` or `1.3`.
fn min_version(field: &Field<'_>) -> Result<TlsVersion, Problem> {
    let text = field.string()?;
    match text {
        "1.2" => Ok(TlsVersion::Tls12),
        "1.3" => Ok(TlsVersion::Tls13),
        "1.0" | "1.1" => Err(field.error(format!(
            "error parsing tls config: unsupported TLS version: TLS {text}"
        ))),
        _ => Err(field.error(format!("error parsing tls config: unknown version: {text}"))),
    }
}
