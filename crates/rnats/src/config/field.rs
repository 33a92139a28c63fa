//! Typed access to one configuration entry, with the reference's error texts.

use std::time::Duration;

use rnats_conf::{Entry, Map, ValueKind};

/// One `key: value` entry being turned into an option; errors and warnings carry its
/// position, as the reference reports them.
pub struct Field<'a> {
    /// The entry.
    pub entry: &'a Entry,
}

/// What went wrong with one field: an error stops the server, a warning does not (except
/// in `-t` mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The file cannot be used.
    Error(String),
    /// The value is used, but not as written.
    Warning(String),
}

impl<'a> Field<'a> {
    /// The key as written.
    pub fn key(&self) -> &'a str {
        &self.entry.key
    }

    /// The value.
    pub fn kind(&self) -> &'a ValueKind {
        &self.entry.value.kind
    }

    /// An error about this field, prefixed with its position.
    pub fn error(&self, message: impl std::fmt::Display) -> Problem {
        Problem::Error(format!("{}: {message}", self.entry.key_position))
    }

    /// A warning about this field, prefixed with its position.
    pub fn warning(&self, message: impl std::fmt::Display) -> Problem {
        Problem::Warning(format!("{}: {message}", self.entry.key_position))
    }

    /// The reference's error for a value of the wrong type.
    fn wrong_type(&self, expected: &str) -> Problem {
        self.error(format!(
            "interface conversion: interface {{}} is {}, not {expected}",
            go_type(self.kind())
        ))
    }

    /// An integer (sizes like `1MB` included).
    pub fn integer(&self) -> Result<i64, Problem> {
        match self.kind() {
            ValueKind::Integer(value) => Ok(*value),
            _ => Err(self.wrong_type("int64")),
        }
    }

    /// A non-negative integer that fits `T`; larger values are "too big", as the reference
    /// says of sizes.
    pub fn size<T: TryFrom<i64>>(&self) -> Result<T, Problem> {
        let value = self.integer()?.max(0);
        T::try_from(value).map_err(|_| self.error(format!("{} value is too big", self.key())))
    }

    /// A boolean.
    pub fn boolean(&self) -> Result<bool, Problem> {
        match self.kind() {
            ValueKind::Bool(value) => Ok(*value),
            _ => Err(self.wrong_type("bool")),
        }
    }

    /// A string.
    pub fn string(&self) -> Result<&'a str, Problem> {
        match self.kind() {
            ValueKind::String(value) => Ok(value),
            _ => Err(self.wrong_type("string")),
        }
    }

    /// A map.
    pub fn map(&self) -> Result<&'a Map, Problem> {
        match self.kind() {
            ValueKind::Map(map) => Ok(map),
            _ => Err(self.wrong_type("map[string]interface {}")),
        }
    }

    /// A duration: a string like `"2m"`, or (with a warning, as the reference gives) a
    /// number of seconds.
    pub fn duration(&self, warnings: &mut Vec<Problem>) -> Result<Duration, Problem> {
        match self.kind() {
            ValueKind::String(text) => rnats_conf::parse_duration(text)
                .map_err(|error| self.error(format!("error parsing {}: {error}", self.key()))),
            _ => {
                warnings.push(self.warning(format!(
                    "invalid use of field \"{key}\": {key} should be converted to a duration",
                    key = self.key()
                )));
                Ok(Duration::from_secs(self.integer()?.max(0).unsigned_abs()))
            }
        }
    }

    /// Seconds as a number, integer or not (`authorization { timeout: 1.5 }`).
    pub fn seconds(&self) -> Result<Duration, Problem> {
        let seconds = match self.kind() {
            ValueKind::Integer(value) => *value as f64,
            ValueKind::Float(value) => *value,
            _ => return Err(self.wrong_type("float64")),
        };
        Duration::try_from_secs_f64(seconds.max(0.0))
            .map_err(|_| self.error(format!("{} value is too big", self.key())))
    }
}

/// How the reference's error messages name a value's type.
pub fn go_type(kind: &ValueKind) -> &'static str {
    match kind {
        ValueKind::String(_) => "string",
        ValueKind::Integer(_) => "int64",
        ValueKind::Float(_) => "float64",
        ValueKind::Bool(_) => "bool",
        ValueKind::Datetime(_) => "time.Time",
        ValueKind::Array(_) => "[]interface {}",
        ValueKind::Map(_) => "map[string]interface {}",
    }
}
