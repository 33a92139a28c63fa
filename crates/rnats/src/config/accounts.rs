//! The `accounts` block: named subject spaces with their users, exports and imports, with
//! the reference's errors for the shapes it refuses.

use rnats_conf::{Map, ValueKind};
use rnats_server::{
    AccountConfig, AccountLimits, DEFAULT_RESPONSE_THRESHOLD, Export, Import, Options,
    ResponseType, ShareKind, User,
};

use super::authorization::{self, go_value};
use super::entries;
use super::field::{Field, Problem, go_type};

/// The name reserved for the global account.
const GLOBAL: &str = "$G";

/// Account keys the reference knows that rnats does not enforce yet: refused.
const UNSUPPORTED: &[&str] = &[
    "nkey",
    "jetstream",
    "js",
    "mappings",
    "maps",
    "msg_trace",
    "trace_dest",
    "cluster_traffic",
];

/// Reads the `accounts` block into `options`: the accounts, and their users into `users`.
pub(super) fn read(field: &Field<'_>, options: &mut Options) -> Result<(), Problem> {
    let mut accounts = Vec::new();
    match field.kind() {
        ValueKind::Map(map) => {
            for entry in entries(map) {
                accounts.push(read_account(&entry, options)?);
            }
        }
        ValueKind::Array(values) => {
            for value in values {
                if let ValueKind::String(name) = &value.kind {
                    accounts.push(AccountConfig {
                        name: name.clone(),
                        ..AccountConfig::default()
                    });
                }
            }
        }
        // The reference accepts and ignores anything else.
        _ => {}
    }
    rnats_server::check_accounts(&accounts).map_err(|error| field.error(error))?;
    options.accounts = accounts;
    Ok(())
}

fn read_account(field: &Field<'_>, options: &mut Options) -> Result<AccountConfig, Problem> {
    let name = field.key();
    if name == GLOBAL {
        return Err(field.error(format!("\"{name}\" is a Reserved Account")));
    }
    let ValueKind::Map(map) = field.kind() else {
        return Err(field.error("Expected map entries for accounts"));
    };
    let mut account = AccountConfig {
        name: name.to_owned(),
        ..AccountConfig::default()
    };
    for inner in entries(map) {
        let key = inner.key().to_ascii_lowercase();
        match key.as_str() {
            "users" => {
                let users: Vec<User> = authorization::read_users(&inner)?
                    .into_iter()
                    .map(|user| user.in_account(name))
                    .collect();
                for user in &users {
                    if options.users.iter().any(|u| u.name() == user.name()) {
                        return Err(
                            inner.error(format!("Duplicate user \"{}\" detected", user.name()))
                        );
                    }
                }
                options.users.extend(users);
            }
            "exports" => {
                for entry in array(&inner, "Exports")? {
                    account.exports.push(read_export(entry)?);
                }
            }
            "imports" => {
                for entry in array(&inner, "Imports")? {
                    account.imports.push(read_import(entry)?);
                }
            }
            "limits" => account.limits = read_limits(&inner)?,
            "default_permissions" => {
                account.default_permissions = Some(authorization::permissions(&inner)?);
            }
            _ if UNSUPPORTED.contains(&key.as_str()) => return Err(unsupported(&inner, name)),
            _ => return Err(inner.error(format!("unknown field \"{}\"", inner.key()))),
        }
    }
    Ok(account)
}

/// An account's `limits` map; negative values leave the server's limit.
fn read_limits(field: &Field<'_>) -> Result<AccountLimits, Problem> {
    let ValueKind::Map(map) = field.kind() else {
        return Err(field.error(format!(
            "Expected account limits to be a map/struct, got {}",
            go_value(field.kind())
        )));
    };
    let mut limits = AccountLimits::default();
    for inner in entries(map) {
        let value = match inner.kind() {
            ValueKind::Integer(value) => *value,
            other => {
                return Err(inner.error(format!(
                    "interface conversion: interface {{}} is {}, not int64",
                    go_type(other)
                )));
            }
        };
        let limit = |value: i64| usize::try_from(value).ok();
        match inner.key().to_ascii_lowercase().as_str() {
            "max_connections" | "max_conn" => limits.max_connections = limit(value),
            "max_subscriptions" | "max_subs" => limits.max_subscriptions = limit(value),
            "max_payload" | "max_pay" => {
                limits.max_payload = u64::try_from(value)
                    .ok()
                    .map(|v| u32::try_from(v).unwrap_or(u32::MAX));
            }
            "max_leafnodes" | "max_leafs" => limits.max_leafnodes = limit(value),
            _ => {
                return Err(inner.error(format!(
                    "Unknown field \"{}\" parsing account limits",
                    inner.key()
                )));
            }
        }
    }
    Ok(limits)
}

/// The error for an account setting rnats does not have yet.
fn unsupported(field: &Field<'_>, account: &str) -> Problem {
    field.error(format!(
        "\"{}\" in account \"{account}\" is not supported by rnats yet",
        field.key()
    ))
}

/// The maps of an `exports` or `imports` array.
fn array<'a>(field: &Field<'a>, what: &str) -> Result<Vec<&'a Map>, Problem> {
    let ValueKind::Array(values) = field.kind() else {
        return Err(field.error(format!(
            "{what} should be an array, got {}",
            go_type(field.kind())
        )));
    };
    values
        .iter()
        .map(|value| match &value.kind {
            ValueKind::Map(map) => Ok(map),
            kind => Err(Problem::Error(format!(
                "{}: {what} entry should be a map, got {}",
                value.position,
                go_type(kind)
            ))),
        })
        .collect()
}

fn read_export(map: &Map) -> Result<Export, Problem> {
    let mut export: Option<Export> = None;
    let mut response: Option<(ResponseType, Problem)> = None;
    let mut threshold = None;
    let mut accounts = Vec::new();
    for inner in entries(map) {
        let key = inner.key().to_ascii_lowercase();
        match key.as_str() {
            "stream" | "service" => {
                let kind = if key == "stream" {
                    ShareKind::Stream
                } else {
                    ShareKind::Service
                };
                let subject = inner.string()?;
                if let Some(seen) = &export {
                    let (this, other) = match seen.kind {
                        ShareKind::Stream => ("service", "stream"),
                        ShareKind::Service => ("stream", "service"),
                    };
                    return Err(inner.error(format!(
                        "Detected {this} \"{subject}\" but already saw a {other}"
                    )));
                }
                if kind == ShareKind::Stream
                    && let Some((_, problem)) = response.take()
                {
                    return Err(problem);
                }
                export = Some(match kind {
                    ShareKind::Stream => Export::stream(subject),
                    ShareKind::Service => Export::service(subject),
                });
            }
            "response" | "response_type" => {
                let text = inner.string()?;
                let kind = match text.to_ascii_lowercase().as_str() {
                    "single" | "singleton" => ResponseType::Singleton,
                    "stream" | "streamed" => ResponseType::Stream,
                    "chunk" | "chunked" => ResponseType::Chunked,
                    _ => return Err(inner.error(format!("Unknown response type: \"{text}\""))),
                };
                let misplaced = inner.error("Detected response directive on non-service");
                if export.as_ref().is_some_and(|e| e.kind == ShareKind::Stream) {
                    return Err(misplaced);
                }
                response = Some((kind, misplaced));
            }
            "threshold" | "response_threshold" | "response_max_time" | "response_time" => {
                let text = inner.string()?;
                threshold = Some(rnats_conf::parse_duration(text).map_err(|_| {
                    inner.error(format!(
                        "Expected response threshold to be a parseable time duration, got \
                         \"{text}\""
                    ))
                })?);
            }
            "accounts" => accounts = names(&inner)?,
            "latency"
            | "account_token_position"
            | "advertise"
            | "allow_trace"
            | "name"
            | "description"
            | "info_url" => {
                return Err(inner.error(format!(
                    "\"{}\" in exports is not supported by rnats yet",
                    inner.key()
                )));
            }
            _ => return Err(inner.error(format!("unknown field \"{}\"", inner.key()))),
        }
    }
    let mut export = export.ok_or_else(|| {
        Problem::Error("Expected an export to have a stream or service subject".to_owned())
    })?;
    export.accounts = accounts;
    if let Some((kind, _)) = response {
        export.response_type = kind;
    }
    export.response_threshold = threshold.unwrap_or(DEFAULT_RESPONSE_THRESHOLD);
    Ok(export)
}

/// An `accounts: [A, B]` list of names.
fn names(field: &Field<'_>) -> Result<Vec<String>, Problem> {
    let ValueKind::Array(values) = field.kind() else {
        return Err(field.error(format!(
            "interface conversion: interface {{}} is {}, not []interface {{}}",
            go_type(field.kind())
        )));
    };
    values
        .iter()
        .map(|value| match &value.kind {
            ValueKind::String(name) => Ok(name.clone()),
            kind => Err(field.error(format!(
                "Expected account name to be a string, got {}",
                go_type(kind)
            ))),
        })
        .collect()
}

fn read_import(map: &Map) -> Result<Import, Problem> {
    let mut import: Option<Import> = None;
    let (mut to, mut prefix, mut share) = (None, None, false);
    for inner in entries(map) {
        let key = inner.key().to_ascii_lowercase();
        match key.as_str() {
            "stream" | "service" => {
                let ValueKind::Map(source) = inner.kind() else {
                    return Err(inner.error("Expect an account name and a subject"));
                };
                let text = |name: &str| match source.get_ignore_case(name).map(|e| &e.value.kind) {
                    Some(ValueKind::String(text)) if !text.is_empty() => Some(text.clone()),
                    _ => None,
                };
                let (Some(account), Some(subject)) = (text("account"), text("subject")) else {
                    return Err(inner.error("Expect an account name and a subject"));
                };
                import = Some(if key == "stream" {
                    Import::stream(&account, &subject)
                } else {
                    Import::service(&account, &subject)
                });
            }
            "to" => {
                if prefix.is_some() {
                    return Err(
                        inner.error("Stream import can not have a 'prefix' and a 'to' property")
                    );
                }
                to = Some(inner.string()?.to_owned());
            }
            "prefix" => prefix = Some(inner.string()?.to_owned()),
            "share" => share = inner.boolean()?,
            "allow_trace" => {
                return Err(inner.error(format!(
                    "\"{}\" in imports is not supported by rnats yet",
                    inner.key()
                )));
            }
            _ => return Err(inner.error(format!("unknown field \"{}\"", inner.key()))),
        }
    }
    let mut import = import.ok_or_else(|| {
        Problem::Error("Expected an import to have a stream or service".to_owned())
    })?;
    import.to = to;
    import.share = share;
    if import.kind == ShareKind::Stream {
        import.prefix = prefix;
    }
    Ok(import)
}
