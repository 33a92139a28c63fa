//! The `authorization` block and `no_auth_user`: users, passwords, tokens, NKeys and
//! permissions, with the reference's errors for each shape it refuses.

use std::time::Duration;

use rnats_conf::{Entry, Map, Value, ValueKind};
use rnats_server::{
    Authentication, Options, Permissions, ResponsePermission, SubjectPermission, User,
    UserCredentials,
};

use super::blocks;
use super::field::{Field, Problem, go_type};

/// Reads the `authorization` block into `options`.
pub(super) fn read(field: &Field<'_>, options: &mut Options) -> Result<(), Problem> {
    let map = field.map()?;
    let (mut user, mut password, mut token) = (None, None, None);
    let mut users = Vec::new();
    for entry in map.iter() {
        let inner = Field { entry };
        match entry.key.to_ascii_lowercase().as_str() {
            "user" | "username" => user = Some(inner.string()?.to_owned()),
            "pass" | "password" => password = Some(inner.string()?.to_owned()),
            "token" => token = Some(inner.string()?.to_owned()),
            "timeout" => options.auth_timeout = inner.seconds()?,
            "users" => users = read_users(&inner)?,
            // At this level `permissions` means the same as `default_permissions`.
            "default_permissions" | "default_permission" | "permissions" => {
                options.default_permissions = Some(permissions(&inner)?);
            }
            "auth_callout" => return Err(blocks::unsupported_security(&inner)),
            _ => return Err(inner.error(format!("unknown field \"{}\"", entry.key))),
        }
    }
    if !users.is_empty() {
        if user.is_some() {
            return Err(field.error("Can not have a single user/pass and a users array"));
        }
        if token.is_some() {
            return Err(field.error("Can not have a token and a users array"));
        }
    }
    // Users of accounts stay; this block's users replace any it gave before.
    options.users.retain(|user| user.account.is_some());
    let mut seen: std::collections::HashSet<&str> = options.users.iter().map(User::name).collect();
    if let Some(duplicate) = users.iter().find(|u: &&User| !seen.insert(u.name())) {
        return Err(field.error(format!("Duplicate user \"{}\" detected", duplicate.name())));
    }
    options.users.extend(users);
    options.auth = match (user, token) {
        (Some(user), _) => Authentication::UserPassword {
            user,
            password: password.unwrap_or_default(),
        },
        (None, Some(token)) => Authentication::Token(token),
        (None, None) => Authentication::None,
    };
    Ok(())
}

/// The checks the reference makes when the server starts, once every key is read.
pub(super) fn cross_checks(options: &Options) -> Option<Problem> {
    let name = options.no_auth_user.as_deref()?;
    if options.users.is_empty() {
        return Some(Problem::Error(format!(
            "no_auth_user: \"{name}\" present, but users/nkeys are not defined"
        )));
    }
    if !options.users.iter().any(|user| user.name() == name) {
        return Some(Problem::Error(format!(
            "no_auth_user: \"{name}\" not present as user or nkey in authorization block or \
             account configuration"
        )));
    }
    None
}

/// `users: [ {user, password, nkey, permissions}, ... ]`.
pub(super) fn read_users(field: &Field<'_>) -> Result<Vec<User>, Problem> {
    let ValueKind::Array(values) = field.kind() else {
        return Err(field.error(format!(
            "Expected users field to be an array, got {}",
            go_value(field.kind())
        )));
    };
    values.iter().map(read_user).collect()
}

fn read_user(value: &Value) -> Result<User, Problem> {
    let ValueKind::Map(map) = &value.kind else {
        return Err(at(
            value,
            format!(
                "Expected user entry to be a map/struct, got {}",
                go_value(&value.kind)
            ),
        ));
    };
    let (mut name, mut password, mut nkey, mut permissions) = (None, None, None, None);
    let mut allowed_connection_types = Vec::new();
    for entry in map.iter() {
        let inner = Field { entry };
        match entry.key.to_ascii_lowercase().as_str() {
            "user" | "username" => name = Some(inner.string()?.to_owned()),
            "pass" | "password" => password = Some(inner.string()?.to_owned()),
            "nkey" => nkey = Some((inner.string()?.to_owned(), entry)),
            "permission" | "permissions" => permissions = Some(self::permissions(&inner)?),
            "allowed_connection_types" => allowed_connection_types = connection_types(&inner)?,
            _ => return Err(inner.error(format!("unknown field \"{}\"", entry.key))),
        }
    }
    let credentials = match (nkey, name) {
        (Some((_, entry)), _) if password.is_some() || map_has_user(map) => {
            return Err(Field { entry }.error("Nkey users do not take usernames or passwords"));
        }
        (Some((key, entry)), None) => {
            if !rnats_server::is_valid_user_nkey(&key) {
                return Err(Field { entry }.error("Not a valid public nkey for a user"));
            }
            UserCredentials::Nkey(key)
        }
        (None, Some(user)) => UserCredentials::Password {
            user,
            password: password.unwrap_or_default(),
        },
        (_, _) => {
            let position = map
                .iter()
                .last()
                .map_or(&value.position, |e| &e.key_position);
            return Err(Problem::Error(format!(
                "{position}: User entry requires a user"
            )));
        }
    };
    Ok(User {
        credentials,
        permissions,
        account: None,
        allowed_connection_types,
    })
}

/// `allowed_connection_types`: a list of known types, kept in capitals.
fn connection_types(field: &Field<'_>) -> Result<Vec<String>, Problem> {
    let unsupported = |kind: &ValueKind| {
        field.error(format!(
            "error parsing allowed connection types: unsupported type {}",
            go_type(kind)
        ))
    };
    let types: Vec<String> = match field.kind() {
        ValueKind::String(kind) => vec![kind.to_ascii_uppercase()],
        ValueKind::Array(values) => values
            .iter()
            .map(|value| match &value.kind {
                ValueKind::String(kind) => Ok(kind.to_ascii_uppercase()),
                other => Err(unsupported(other)),
            })
            .collect::<Result<_, _>>()?,
        other => return Err(unsupported(other)),
    };
    let unknown: Vec<&String> = (types.iter())
        .filter(|kind| !rnats_server::CONNECTION_TYPES.contains(&kind.as_str()))
        .collect();
    if unknown.is_empty() {
        return Ok(types);
    }
    let quoted: Vec<String> = unknown.iter().map(|kind| format!("{kind:?}")).collect();
    Err(field.error(format!("invalid connection types [{}]", quoted.join(" "))))
}

fn map_has_user(map: &Map) -> bool {
    map.get_ignore_case("user").is_some() || map.get_ignore_case("username").is_some()
}

/// A `permissions` map: publish and subscribe lists and `allow_responses`.
pub(super) fn permissions(field: &Field<'_>) -> Result<Permissions, Problem> {
    let ValueKind::Map(map) = field.kind() else {
        return Err(field.error(format!(
            "Expected permissions to be a map/struct, got {}",
            go_value(field.kind())
        )));
    };
    let mut permissions = Permissions::default();
    for entry in map.iter() {
        let inner = Field { entry };
        match entry.key.to_ascii_lowercase().as_str() {
            "pub" | "publish" | "import" => {
                permissions.publish = Some(subject_permission(&inner)?);
            }
            "sub" | "subscribe" | "export" => {
                permissions.subscribe = Some(subject_permission(&inner)?);
            }
            "allow_responses" | "publish_allow_responses" => {
                permissions.allow_responses = responses(&inner)?;
            }
            _ => {
                return Err(inner.error(format!(
                    "Unknown field \"{}\" parsing permissions",
                    entry.key
                )));
            }
        }
    }
    Ok(permissions)
}

/// A subject list (allow), or a map of `allow` and `deny` lists.
fn subject_permission(field: &Field<'_>) -> Result<SubjectPermission, Problem> {
    let ValueKind::Map(map) = field.kind() else {
        // The reference gives no position for a list that is neither string nor array here.
        let allow =
            subjects(field.kind()).ok_or_else(|| Problem::Error(not_subjects(field.kind())))??;
        return Ok(SubjectPermission {
            allow,
            deny: Vec::new(),
        });
    };
    let mut permission = SubjectPermission::default();
    for entry in map.iter() {
        let inner = Field { entry };
        let list =
            || subjects(inner.kind()).ok_or_else(|| inner.error(not_subjects(inner.kind())))?;
        match entry.key.to_ascii_lowercase().as_str() {
            "allow" => permission.allow = list()?,
            "deny" => permission.deny = list()?,
            _ => {
                return Err(inner.error(format!(
                    "Unknown field name \"{}\" parsing subject permissions, only 'allow' or \
                     'deny' are permitted",
                    entry.key
                )));
            }
        }
    }
    Ok(permission)
}

fn not_subjects(kind: &ValueKind) -> String {
    format!(
        "Expected subject permissions to be a subject, or array of subjects, got {}",
        super::field::go_type(kind)
    )
}

/// A subject or an array of subjects (`"subject queue"` entries included), each checked;
/// `None` when the value is neither.
fn subjects(kind: &ValueKind) -> Option<Result<Vec<String>, Problem>> {
    let list: Vec<&str> = match kind {
        ValueKind::String(subject) => vec![subject.as_str()],
        ValueKind::Array(values) => {
            let strings: Option<Vec<&str>> = values
                .iter()
                .map(|value| match &value.kind {
                    ValueKind::String(subject) => Some(subject.as_str()),
                    _ => None,
                })
                .collect();
            strings?
        }
        _ => return None,
    };
    Some(
        list.into_iter()
            .map(|entry| {
                if valid_entry(entry) {
                    Ok(entry.to_owned())
                } else {
                    Err(Problem::Error(format!(
                        "subject \"{entry}\" is not a valid subject"
                    )))
                }
            })
            .collect(),
    )
}

/// A subject, or a subject and a queue group separated by a space.
fn valid_entry(entry: &str) -> bool {
    let mut parts = entry.split(' ').filter(|part| !part.is_empty());
    let subject = parts.next().unwrap_or_default();
    let queue = parts.next();
    parts.next().is_none()
        && rnats_subject::is_valid_subject(subject.as_bytes())
        && queue.is_none_or(|queue| rnats_subject::is_valid_queue_name(queue.as_bytes()))
}

/// `allow_responses: true`, or `{max, expires|ttl}`.
fn responses(field: &Field<'_>) -> Result<Option<ResponsePermission>, Problem> {
    let map = match field.kind() {
        ValueKind::Bool(true) => return Ok(Some(ResponsePermission::default())),
        ValueKind::Bool(false) => return Ok(None),
        ValueKind::Map(map) => map,
        _ => {
            return Err(
                field.error("error parsing response permissions, expected a boolean or a map")
            );
        }
    };
    let mut permission = ResponsePermission {
        max: 0,
        expires: Duration::ZERO,
    };
    for entry in map.iter() {
        let inner = Field { entry };
        match entry.key.to_ascii_lowercase().as_str() {
            "max" | "max_msgs" | "max_messages" | "max_responses" => {
                permission.max = inner.size()?;
            }
            "expires" | "expiration" | "ttl" => {
                let ValueKind::String(text) = inner.kind() else {
                    return Err(inner.error("error parsing expires, not a duration string"));
                };
                permission.expires = rnats_conf::parse_duration(text)
                    .map_err(|_| inner.error("error parsing expires, not a duration string"))?;
            }
            _ => {
                return Err(inner.error(format!(
                    "Unknown field \"{}\" parsing permissions",
                    entry.key
                )));
            }
        }
    }
    Ok(Some(permission))
}

/// An error at a value's position (array elements have no key).
fn at(value: &Value, message: String) -> Problem {
    Problem::Error(format!("{}: {message}", value.position))
}

/// A value as Go's `%v` prints the simple ones.
pub(super) fn go_value(kind: &ValueKind) -> String {
    match kind {
        ValueKind::String(text) | ValueKind::Datetime(text) => text.clone(),
        ValueKind::Integer(value) => value.to_string(),
        ValueKind::Float(value) => value.to_string(),
        ValueKind::Bool(value) => value.to_string(),
        ValueKind::Array(_) => "[...]".to_owned(),
        ValueKind::Map(map) => {
            let keys: Vec<&str> = map.iter().map(|e: &Entry| e.key.as_str()).collect();
            format!("map[{}]", keys.join(" "))
        }
    }
}
