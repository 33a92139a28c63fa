//! One error type for the whole tool: a message with its context, printed to the user.
//!
//! The bench is a command-line tool, so an error only needs to say clearly what went wrong
//! where; a string built up with [`Context::context`] does that without a dependency.

use std::fmt;

/// An error message, with the context it happened in prefixed (`connecting to X: refused`).
#[derive(Debug)]
pub struct BenchError(String);

impl BenchError {
    /// An error with just this message.
    pub fn msg(text: impl Into<String>) -> Self {
        Self(text.into())
    }
}

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BenchError {}

impl From<std::io::Error> for BenchError {
    fn from(e: std::io::Error) -> Self {
        Self(e.to_string())
    }
}

/// Result with a [`BenchError`].
pub type Result<T> = std::result::Result<T, BenchError>;

/// Adds context to an error, like `anyhow::Context`, without the dependency.
pub trait Context<T> {
    /// Prefixes the error with `what: `.
    fn context(self, what: impl fmt::Display) -> Result<T>;
}

impl<T, E: fmt::Display> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl fmt::Display) -> Result<T> {
        self.map_err(|e| BenchError(format!("{what}: {e}")))
    }
}

/// Returns early with a formatted [`BenchError`].
#[macro_export]
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::BenchError::msg(format!($($arg)*)))
    };
}
