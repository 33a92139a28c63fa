//! A byte cursor over the configuration text that tracks lines and columns.

use std::sync::Arc;

use crate::position::Position;

/// Reads the input one byte at a time, keeping the current line and column.
pub(crate) struct Cursor<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    line: usize,
    line_start: usize,
    file: Option<Arc<str>>,
}

impl<'a> Cursor<'a> {
    /// Starts at the beginning of `src`.
    pub(crate) fn new(src: &'a str, file: Option<Arc<str>>) -> Self {
        Self {
            src,
            bytes: src.as_bytes(),
            pos: 0,
            line: 1,
            line_start: 0,
            file,
        }
    }

    /// Byte offset of the cursor.
    pub(crate) fn offset(&self) -> usize {
        self.pos
    }

    /// The byte under the cursor, or `None` at the end.
    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// The byte `n` places after the cursor.
    pub(crate) fn peek_at(&self, n: usize) -> Option<u8> {
        self.bytes.get(self.pos.saturating_add(n)).copied()
    }

    /// True at the end of the input.
    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// Moves past the current byte, counting lines.
    pub(crate) fn bump(&mut self) {
        if let Some(b) = self.peek() {
            self.pos += 1;
            if b == b'\n' {
                self.line += 1;
                self.line_start = self.pos;
            }
        }
    }

    /// Consumes bytes while `pred` holds.
    pub(crate) fn bump_while(&mut self, mut pred: impl FnMut(u8) -> bool) {
        while let Some(b) = self.peek() {
            if !pred(b) {
                break;
            }
            self.bump();
        }
    }

    /// Text between two byte offsets, replacing invalid boundaries with nothing.
    pub(crate) fn slice(&self, from: usize, to: usize) -> String {
        let to = to.min(self.bytes.len());
        let from = from.min(to);
        String::from_utf8_lossy(&self.bytes[from..to]).into_owned()
    }

    /// Position of the cursor.
    pub(crate) fn position(&self) -> Position {
        Position::new(self.file.clone(), self.line, self.pos - self.line_start + 1)
    }

    /// Position used for errors about the current byte: a newline is reported on the
    /// line it starts, as the reference server does.
    pub(crate) fn error_position(&self) -> Position {
        let mut p = self.position();
        if self.peek() == Some(b'\n') {
            p.line += 1;
            p.column = 0;
        }
        p
    }

    /// The current character as the reference server shows it in messages.
    pub(crate) fn show_current(&self) -> String {
        match self.peek() {
            None => "\0".to_string(),
            Some(b'\n') => "\\n".to_string(),
            Some(b'\t') => "\\t".to_string(),
            Some(b'\r') => "\\r".to_string(),
            Some(b) if b < 0x80 => (b as char).to_string(),
            Some(_) => match self.src.get(self.pos..).and_then(|s| s.chars().next()) {
                Some(c) => c.to_string(),
                None => "\u{fffd}".to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_lines_and_columns() {
        let mut c = Cursor::new("ab\ncd", None);
        c.bump();
        assert_eq!((c.position().line, c.position().column), (1, 2));
        c.bump();
        assert_eq!(c.show_current(), "\\n");
        assert_eq!(c.error_position().line, 2);
        c.bump();
        assert_eq!((c.position().line, c.position().column), (2, 1));
        c.bump_while(|b| b != b'x');
        assert!(c.at_end());
        assert_eq!(c.show_current(), "\0");
        assert_eq!(c.slice(0, 2), "ab");
    }
}
