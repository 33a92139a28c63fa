//! Operator mode keys: `operator`/`operators`, `trusted_keys`/`trusted`, `resolver` and
//! `resolver_preload`, checked with the reference's texts.

use std::path::PathBuf;
use std::time::Duration;

use rnats_conf::ValueKind;
use rnats_server::jwt::{self, Kind, OperatorClaims};
use rnats_server::{OperatorOptions, Options, Resolver};

use super::entries;
use super::field::{Field, Problem, go_type};

/// The text of the resolver error, as the reference words it (two spaces included).
const RESOLVER_SHAPE: &str = "error parsing account resolver, should be MEM or  URL(\"url\") or a \
                              map containing dir and type state=[FULL|CACHE])";

/// Applies one operator mode key.
pub(super) fn apply(key: &str, field: &Field<'_>, options: &mut Options) -> Result<(), Problem> {
    let operator = options
        .operator
        .get_or_insert_with(OperatorOptions::default);
    match key {
        "operator" | "operators" => {
            for text in strings(field, "operators")? {
                operator.operators.push(operator_jwt(field, &text)?);
            }
        }
        "trusted" | "trusted_keys" => {
            let positions: Vec<String> = match field.kind() {
                ValueKind::Array(values) => values.iter().map(|v| v.position.to_string()).collect(),
                // A single key is reported at column 0 of its line, as the reference does.
                _ => vec![line_start(field)],
            };
            for (key, at) in strings(field, "trusted_keys")?.into_iter().zip(positions) {
                if !key.starts_with('O') || nkeys::KeyPair::from_public_key(&key).is_err() {
                    return Err(Problem::Error(format!(
                        "{at}: trust key \"{key}\" required to be a valid public operator nkey"
                    )));
                }
                operator.trusted_keys.push(key);
            }
        }
        "resolver" => operator.resolver = resolver(field)?,
        "resolver_preload" => {
            let map = field.map()?;
            for entry in entries(map) {
                let token = entry.string()?;
                if jwt::decode::<serde_json::Value>(token, Kind::Account).is_err() {
                    return Err(entry.error("invalid account JWT"));
                }
                operator
                    .preload
                    .push((entry.key().to_owned(), token.to_owned()));
            }
        }
        _ => return Err(field.error(format!("unknown field \"{}\"", field.key()))),
    }
    Ok(())
}

/// After the whole file: operator options without operators are not operator mode (the
/// reference ignores a lone resolver).
pub(super) fn finish(options: &mut Options) {
    if options
        .operator
        .as_ref()
        .is_some_and(|o| o.operators.is_empty() && o.trusted_keys.is_empty())
    {
        options.operator = None;
    }
}

/// A string or a list of strings.
fn strings(field: &Field<'_>, what: &str) -> Result<Vec<String>, Problem> {
    let unsupported = |kind: &ValueKind| {
        field.error(format!(
            "error parsing {what}: unsupported type {}",
            go_type(kind)
        ))
    };
    match field.kind() {
        ValueKind::String(text) => Ok(vec![text.clone()]),
        ValueKind::Array(values) => values
            .iter()
            .map(|value| match &value.kind {
                ValueKind::String(text) => Ok(text.clone()),
                kind => Err(unsupported(kind)),
            })
            .collect(),
        kind => Err(unsupported(kind)),
    }
}

/// An operator JWT given inline or by the path of a file holding it (maybe armoured).
fn operator_jwt(field: &Field<'_>, text: &str) -> Result<String, Problem> {
    let at = line_start(field);
    let failed = |why: String| Problem::Error(format!("{at}: error parsing operator JWT: {why}"));
    let token = if text.trim_start().starts_with("eyJ") {
        text.trim().to_owned()
    } else {
        let contents = std::fs::read_to_string(text)
            .map_err(|error| failed(format!("open {text}: {}", io_text(&error))))?;
        contents
            .lines()
            .map(str::trim)
            .find(|line| line.starts_with("eyJ"))
            .unwrap_or(contents.trim())
            .to_owned()
    };
    match jwt::decode::<OperatorClaims>(&token, Kind::Operator) {
        Ok(_) => Ok(token),
        Err(jwt::JwtError::WrongKind(_)) => Err(failed("not operator claim".to_owned())),
        Err(error) => Err(failed(error.to_string())),
    }
}

/// Column 0 of the key's line, where the reference reports some operator errors.
fn line_start(field: &Field<'_>) -> String {
    let position = &field.entry.key_position;
    match &position.file {
        Some(file) => format!("{file}:{}:0", position.line),
        None => format!("{}:0", position.line),
    }
}

/// An I/O error in Go's words.
fn io_text(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => error.to_string(),
    }
}

/// `resolver: MEMORY`, `URL(...)` (not supported) or `{type: full|cache, dir: ...}`.
fn resolver(field: &Field<'_>) -> Result<Resolver, Problem> {
    let map = match field.kind() {
        ValueKind::String(text) => {
            let upper = text.trim().to_ascii_uppercase();
            if upper == "MEM" || upper == "MEMORY" {
                return Ok(Resolver::Memory);
            }
            if upper.starts_with("URL(") {
                return Err(field.error(
                    "\"resolver: URL(...)\" is not supported by rnats yet: use MEMORY or a \
                     directory resolver",
                ));
            }
            return Err(field.error(RESOLVER_SHAPE));
        }
        ValueKind::Map(map) => map,
        _ => return Err(field.error(RESOLVER_SHAPE)),
    };
    let mut kind = String::new();
    let mut dir = String::new();
    let (mut allow_delete, mut limit) = (false, 1000);
    let mut interval = Duration::from_secs(120);
    let mut ttl = Duration::from_secs(120);
    let mut timeout = Duration::from_secs(1);
    let mut ignored = Vec::new();
    for entry in entries(map) {
        match entry.key().to_ascii_lowercase().as_str() {
            "type" => kind = entry.string()?.to_ascii_lowercase(),
            "dir" => dir = entry.string()?.to_owned(),
            "allow_delete" => allow_delete = entry.boolean()?,
            "limit" => limit = entry.size()?,
            "interval" => interval = entry.duration(&mut ignored)?,
            "ttl" => ttl = entry.duration(&mut ignored)?,
            "timeout" => timeout = entry.duration(&mut ignored)?,
            _ => {}
        }
    }
    let full = match kind.as_str() {
        "full" => true,
        "cache" => false,
        _ => return Err(field.error(RESOLVER_SHAPE)),
    };
    if dir.is_empty() {
        // The reference goes on to create the empty path, and reports that too.
        let at = &field.entry.key_position;
        return Err(Problem::Error(format!(
            "{at}: dir has no value and needs to point to a directory\n\
             {at}: mkdir : no such file or directory"
        )));
    }
    Ok(Resolver::Directory {
        dir: PathBuf::from(dir),
        full,
        allow_delete,
        interval,
        limit,
        ttl,
        timeout,
    })
}
