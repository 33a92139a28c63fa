//! Recursive-descent parser turning configuration text into a [`Map`].
//!
//! Structure handled here: key/value entries, maps, arrays, top-level braces,
//! the separators and terminators after a value, variables and includes.
//! Scalars are lexed by [`crate::scalar`].

use std::sync::Arc;

use crate::cursor::Cursor;
use crate::error::ConfError;
use crate::include;
use crate::position::Position;
use crate::scalar;
use crate::value::{Entry, Map, Value, ValueKind};

/// Deepest allowed nesting of maps, arrays and top-level braces.
pub(crate) const MAX_DEPTH: usize = 128;
/// Deepest allowed chain of environment variables whose values reference variables.
const MAX_ENV_DEPTH: usize = 16;
/// Total number of value nodes that variable references may copy in one document.
const VARIABLE_BUDGET: usize = 100_000;

/// State shared by a document's parser and the parsers of its includes and variables.
pub(crate) struct Shared {
    /// Canonical paths of the files currently being parsed, outermost first.
    pub(crate) include_chain: Vec<std::path::PathBuf>,
    /// Environment variable names whose values are being parsed.
    env_chain: Vec<String>,
    /// Remaining value nodes that variable references may copy.
    budget: usize,
}

impl Shared {
    /// Fresh state for a new document.
    pub(crate) fn new() -> Self {
        Self {
            include_chain: Vec::new(),
            env_chain: Vec::new(),
            budget: VARIABLE_BUDGET,
        }
    }
}

/// Where a value sits, which decides what may follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// Directly in the document.
    Top,
    /// Inside braces that wrap top-level entries.
    TopBlock,
    /// Inside a map value.
    Map,
    /// Inside an array.
    Array,
}

/// Parses one text (a file, an included file or a variable's value).
pub(crate) struct Parser<'a, 's> {
    cur: Cursor<'a>,
    shared: &'s mut Shared,
    /// Directory include paths are joined to.
    base_dir: String,
    /// Maps being built, outermost first; variables are looked up innermost first.
    scopes: Vec<Map>,
    depth: usize,
    /// Name of the environment variable whose value this parser reads, if any.
    env_name: Option<String>,
}

impl<'a, 's> Parser<'a, 's> {
    /// A parser for `text`, reporting positions against `file`.
    pub(crate) fn new(
        text: &'a str,
        file: Option<Arc<str>>,
        base_dir: String,
        shared: &'s mut Shared,
    ) -> Self {
        Self {
            cur: Cursor::new(text, file),
            shared,
            base_dir,
            scopes: vec![Map::new()],
            depth: 0,
            env_name: None,
        }
    }

    /// Parses the whole text into its top-level map.
    pub(crate) fn parse(mut self) -> Result<Map, ConfError> {
        let mut blocks = 0usize;
        loop {
            self.skip_blank();
            match self.cur.peek() {
                None if blocks > 0 => {
                    return Err(self.syntax("Unexpected EOF processing map.".into()));
                }
                None => break,
                Some(b'{') => {
                    if blocks >= MAX_DEPTH {
                        return Err(self.too_deep());
                    }
                    self.cur.bump();
                    blocks += 1;
                }
                Some(b'}') => {
                    self.cur.bump();
                    blocks = blocks.saturating_sub(1);
                }
                Some(_) => self.entry(if blocks > 0 { Ctx::TopBlock } else { Ctx::Top })?,
            }
        }
        Ok(self.scopes.pop().unwrap_or_default())
    }

    fn syntax(&self, message: String) -> ConfError {
        ConfError::syntax(self.cur.error_position(), message)
    }

    fn too_deep(&self) -> ConfError {
        self.syntax(format!("Maximum nesting depth of {MAX_DEPTH} exceeded."))
    }

    /// Skips spaces and tabs (and carriage returns) but not newlines.
    fn skip_space(&mut self) {
        self.cur.bump_while(|b| matches!(b, b' ' | b'\t' | b'\r'));
    }

    /// Skips whitespace, newlines and `#` / `//` comments.
    fn skip_blank(&mut self) {
        loop {
            self.cur
                .bump_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
            match (self.cur.peek(), self.cur.peek_at(1)) {
                (Some(b'#'), _) | (Some(b'/'), Some(b'/')) => self.cur.bump_while(|b| b != b'\n'),
                _ => break,
            }
        }
    }

    fn insert(&mut self, entry: Entry) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(entry);
        }
    }

    /// Reads a key; returns it with its position and whether it was quoted.
    fn key(&mut self) -> Result<(String, Position, bool), ConfError> {
        match self.cur.peek() {
            Some(q @ (b'"' | b'\'')) => {
                self.cur.bump();
                let position = self.cur.position();
                let start = self.cur.offset();
                self.cur.bump_while(|b| b != q);
                if self.cur.at_end() {
                    return Err(self.syntax("Unexpected EOF.".into()));
                }
                let key = self.cur.slice(start, self.cur.offset());
                self.cur.bump();
                Ok((key, position, true))
            }
            _ => {
                let position = self.cur.position();
                let start = self.cur.offset();
                self.cur
                    .bump_while(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b':' | b'='));
                Ok((self.cur.slice(start, self.cur.offset()), position, false))
            }
        }
    }

    /// One `key [sep] value` entry, or an `include`.
    fn entry(&mut self, ctx: Ctx) -> Result<(), ConfError> {
        let (key, key_position, quoted) = self.key()?;
        let blank_follows = matches!(self.cur.peek(), Some(b' ' | b'\t' | b'\r' | b'\n'));
        if !quoted && blank_follows && key.eq_ignore_ascii_case("include") {
            return self.include(ctx);
        }
        self.cur
            .bump_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
        if self.cur.at_end() {
            return Err(match ctx {
                Ctx::Map => self.syntax("Unexpected EOF processing map key.".into()),
                _ => ConfError::missing_value(self.cur.position()),
            });
        }
        if matches!(self.cur.peek(), Some(b':' | b'=')) {
            self.cur.bump();
            self.skip_space();
            if self.cur.peek() == Some(b'\n') {
                return Err(self.syntax("Expected value but found new line".into()));
            }
        }
        let value = self.value()?;
        self.insert(Entry {
            key,
            key_position,
            value,
            used_as_variable: false,
        });
        self.end_value(ctx)
    }

    /// `include <path>`: parses the file and merges its entries into the current map.
    fn include(&mut self, ctx: Ctx) -> Result<(), ConfError> {
        self.skip_space();
        match self.cur.peek() {
            Some(b'\n') => {
                return Err(self.syntax("Expected include value but found new line".into()));
            }
            None => return Err(ConfError::missing_value(self.cur.position())),
            _ => {}
        }
        let path = match self.cur.peek() {
            Some(b'"') => scalar::double_quoted(&mut self.cur)?,
            Some(b'\'') => scalar::single_quoted(&mut self.cur)?,
            _ => {
                let start = self.cur.offset();
                scalar::bare_string(&mut self.cur, start)
            }
        };
        let map = include::parse_included(&self.base_dir, &path, self.shared)?;
        for entry in map.iter() {
            self.insert(entry.clone());
        }
        self.end_value(ctx)
    }

    /// Checks what follows a value: a separator, newline, comment or closing bracket.
    fn end_value(&mut self, ctx: Ctx) -> Result<(), ConfError> {
        self.skip_space();
        let ok = match (self.cur.peek(), self.cur.peek_at(1)) {
            (None, _) => ctx == Ctx::Top,
            (Some(b'\n' | b'#'), _) | (Some(b'/'), Some(b'/')) => true,
            (Some(b'/'), _) => {
                // A lone slash is dropped when only blanks follow it on the line.
                self.cur.bump();
                self.skip_space();
                matches!(self.cur.peek(), None | Some(b'\n'))
            }
            (Some(b','), _) => {
                self.cur.bump();
                true
            }
            (Some(b';'), _) if ctx != Ctx::Array => {
                self.cur.bump();
                true
            }
            (Some(b'}'), _) => ctx != Ctx::Array,
            (Some(b']'), _) => ctx == Ctx::Array,
            _ => false,
        };
        if ok {
            return Ok(());
        }
        let got = self.cur.show_current();
        let message = match ctx {
            Ctx::Top => format!(
                "Expected a top-level value to end with a new line, comment or EOF, but got \
                 '{got}' instead."
            ),
            Ctx::TopBlock => format!(
                "Expected a block-level value to end with a new line, comment or EOF, but got \
                 '{got}' instead."
            ),
            Ctx::Map => format!(
                "Expected a map value terminator \",\" or a map terminator \"}}\", but got \
                 '{got}' instead."
            ),
            Ctx::Array => format!(
                "Expected an array value terminator \",\" or an array terminator \"]\", but \
                 got '{got}' instead."
            ),
        };
        Err(self.syntax(message))
    }

    /// Any value.
    fn value(&mut self) -> Result<Value, ConfError> {
        let mut position = self.cur.position();
        let kind = match self.cur.peek() {
            Some(b'{') => self.map()?,
            Some(b'[') => self.array()?,
            Some(b'"') => {
                position.column += 1;
                ValueKind::String(scalar::double_quoted(&mut self.cur)?)
            }
            Some(b'\'') => {
                position.column += 1;
                ValueKind::String(scalar::single_quoted(&mut self.cur)?)
            }
            Some(b'(') => ValueKind::String(scalar::block_string(&mut self.cur)?),
            Some(b'$') => return self.variable(position),
            Some(b'.') => return Err(self.syntax("Floats must start with a digit".into())),
            Some(b) if b == b'-' || b.is_ascii_digit() => scalar::number_like(&mut self.cur)?,
            _ => scalar::bare_value(&mut self.cur),
        };
        Ok(Value { kind, position })
    }

    fn enter(&mut self) -> Result<(), ConfError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.too_deep());
        }
        self.depth += 1;
        self.cur.bump();
        Ok(())
    }

    /// `{ ... }` (cursor on the brace).
    fn map(&mut self) -> Result<ValueKind, ConfError> {
        self.enter()?;
        self.scopes.push(Map::new());
        loop {
            self.skip_blank();
            match self.cur.peek() {
                None => return Err(self.syntax("Unexpected EOF processing map.".into())),
                Some(b'}') => {
                    self.cur.bump();
                    break;
                }
                Some(_) => self.entry(Ctx::Map)?,
            }
        }
        self.depth -= 1;
        Ok(ValueKind::Map(self.scopes.pop().unwrap_or_default()))
    }

    /// `[ ... ]` (cursor on the bracket).
    fn array(&mut self) -> Result<ValueKind, ConfError> {
        self.enter()?;
        let mut items = Vec::new();
        loop {
            self.skip_blank();
            match self.cur.peek() {
                None => {
                    return self
                        .end_value(Ctx::Array)
                        .map(|()| ValueKind::Array(Vec::new()));
                }
                Some(b']') => {
                    self.cur.bump();
                    break;
                }
                Some(b',') => {
                    return Err(self.syntax("Unexpected array value terminator ','.".into()));
                }
                Some(_) => {
                    items.push(self.value()?);
                    self.end_value(Ctx::Array)?;
                }
            }
        }
        self.depth -= 1;
        Ok(ValueKind::Array(items))
    }

    /// `$name`: a value from an enclosing map, else from the environment.
    fn variable(&mut self, position: Position) -> Result<Value, ConfError> {
        self.cur.bump();
        let start = self.cur.offset();
        let name = scalar::bare_string(&mut self.cur, start);
        if name.starts_with("2a$") {
            // A bcrypt hash, not a variable.
            return Ok(Value {
                kind: ValueKind::String(format!("${name}")),
                position,
            });
        }
        let found = self
            .scopes
            .iter_mut()
            .rev()
            .find_map(|scope| scope.get_mut(&name));
        let kind = match found {
            Some(entry) => {
                entry.used_as_variable = true;
                let kind = entry.value.kind.clone();
                self.charge(&kind, &name, &position)?;
                kind
            }
            None => self.env_variable(&name, &position)?,
        };
        Ok(Value { kind, position })
    }

    /// Counts copied nodes against the document's variable budget.
    fn charge(&mut self, kind: &ValueKind, name: &str, at: &Position) -> Result<(), ConfError> {
        let nodes = kind.node_count();
        if nodes > self.shared.budget {
            return Err(ConfError::plain(
                Some(at.clone()),
                format!(
                    "variable reference for '{name}' on line {} expands too much",
                    at.line
                ),
            ));
        }
        self.shared.budget -= nodes;
        Ok(())
    }

    /// Looks `name` up in the environment and parses its text as a value.
    fn env_variable(&mut self, name: &str, at: &Position) -> Result<ValueKind, ConfError> {
        let usable = !name.is_empty() && !name.contains(['=', '\0']);
        let text = match usable.then(|| std::env::var_os(name)).flatten() {
            Some(text) => text.to_string_lossy().into_owned(),
            None => {
                return Err(ConfError::plain(
                    Some(at.clone()),
                    format!(
                        "variable reference for '{name}' on line {} can not be found",
                        at.line
                    ),
                ));
            }
        };
        if self.shared.env_chain.iter().any(|n| n == name) {
            return Err(ConfError::plain(
                Some(at.clone()),
                format!("variable reference cycle for '{name}'"),
            ));
        }
        let prefix = format!(
            "variable reference for '{name}' on line {} could not be parsed: ",
            at.line
        );
        if self.shared.env_chain.len() >= MAX_ENV_DEPTH {
            let err = ConfError::plain(Some(at.clone()), "variable references nest too deeply");
            return Err(err.wrap(&prefix, None));
        }
        let pushed = self.env_name.clone();
        if let Some(own) = &pushed {
            self.shared.env_chain.push(own.clone());
        }
        let source = format!("pk={text}");
        let mut child = Parser::new(&source, None, self.base_dir.clone(), self.shared);
        child.env_name = Some(name.to_string());
        let result = child.parse();
        if pushed.is_some() {
            self.shared.env_chain.pop();
        }
        let map = result.map_err(|e| e.wrap(&prefix, None))?;
        Ok(map
            .get("pk")
            .map_or(ValueKind::String(String::new()), |e| e.value.kind.clone()))
    }
}
