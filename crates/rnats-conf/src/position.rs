//! Source positions attached to keys, values and errors.

use std::fmt;
use std::sync::Arc;

/// A place in a configuration file: file name (if any), 1-based line and 1-based column.
///
/// `column` counts bytes from the start of the line, starting at 1. The
/// [`Display`](fmt::Display) form follows the reference server's printed
/// convention instead, which is off by one on the first line of a file only
/// (see [`Position::reference_column`]), so that messages built from it match
/// the reference server byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Position {
    /// File the position belongs to, as the reference server would print it
    /// (the path given on the command line, or an include path joined to it).
    pub file: Option<Arc<str>>,
    /// 1-based line number.
    pub line: usize,
    /// 1-based byte column.
    pub column: usize,
}

impl Position {
    /// Creates a position.
    pub fn new(file: Option<Arc<str>>, line: usize, column: usize) -> Self {
        Self { file, line, column }
    }

    /// The column the reference server prints: 0-based on line 1, 1-based on later lines.
    pub fn reference_column(&self) -> usize {
        if self.line <= 1 {
            self.column.saturating_sub(1)
        } else {
            self.column
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(file) => write!(f, "{file}:{}:{}", self.line, self.reference_column()),
            None => write!(f, "{}:{}", self.line, self.reference_column()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_uses_reference_columns() {
        let file: Arc<str> = Arc::from("t.conf");
        assert_eq!(
            Position::new(Some(file.clone()), 1, 1).to_string(),
            "t.conf:1:0"
        );
        assert_eq!(Position::new(Some(file), 2, 4).to_string(), "t.conf:2:4");
        assert_eq!(Position::new(None, 1, 3).to_string(), "1:2");
    }
}
