//! The error type returned when a configuration cannot be parsed.

use std::fmt;

use crate::position::Position;

/// A configuration parse error.
///
/// Its [`Display`](fmt::Display) form is the text the reference server prints
/// after `nats-server: ` when testing a configuration with `-t`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfError {
    text: String,
    message: String,
    position: Option<Position>,
}

impl ConfError {
    /// A lexical or structural error: "Parse error on line N: 'message'".
    pub(crate) fn syntax(position: Position, message: impl Into<String>) -> Self {
        let message = message.into();
        let text = format!("Parse error on line {}: '{}'", position.line, message);
        Self {
            text,
            message,
            position: Some(position),
        }
    }

    /// A key that has no value before the end of the input.
    pub(crate) fn missing_value(position: Position) -> Self {
        let message = "config is invalid".to_string();
        let file = position.file.as_deref().unwrap_or("");
        let text = format!(
            "{message} ({file}:{}:{})",
            position.line,
            position.reference_column()
        );
        Self {
            text,
            message,
            position: Some(position),
        }
    }

    /// An error whose full text is `text` (the reference prints no position for it).
    pub(crate) fn plain(position: Option<Position>, text: impl Into<String>) -> Self {
        let text = text.into();
        Self {
            message: text.clone(),
            text,
            position,
        }
    }

    /// Wraps an error from an included file or a variable's value with a prefix.
    pub(crate) fn wrap(self, prefix: &str, position: Option<Position>) -> Self {
        Self {
            text: format!("{prefix}{}", self.text),
            message: self.message,
            position: position.or(self.position),
        }
    }

    /// Where the error was found, when known.
    pub fn position(&self) -> Option<&Position> {
        self.position.as_ref()
    }

    /// The short description of the error, without position or wrapping context.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ConfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for ConfError {}
