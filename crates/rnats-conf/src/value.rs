//! The value tree produced by the parser.

use std::collections::HashMap;

use crate::position::Position;

/// A parsed value and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    /// What the value is.
    pub kind: ValueKind,
    /// Where the value starts (for quoted strings: the first byte inside the quotes;
    /// for a variable reference: the `$`).
    pub position: Position,
}

/// The kinds of value the configuration format can express.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind {
    /// Quoted, bare or block string.
    String(String),
    /// Integer, with any size suffix already applied (`1k` = 1000, `1kb` = 1024).
    Integer(i64),
    /// Floating point number such as `1.5`.
    Float(f64),
    /// `true`/`false`/`yes`/`no`/`on`/`off`, in any letter case.
    Bool(bool),
    /// ISO8601 Zulu date-time, kept as written (`2016-05-04T18:53:41Z`).
    Datetime(String),
    /// `[ ... ]`.
    Array(Vec<Value>),
    /// `{ ... }`.
    Map(Map),
}

impl ValueKind {
    /// A short lowercase name of the kind, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            ValueKind::String(_) => "string",
            ValueKind::Integer(_) => "integer",
            ValueKind::Float(_) => "float",
            ValueKind::Bool(_) => "bool",
            ValueKind::Datetime(_) => "datetime",
            ValueKind::Array(_) => "array",
            ValueKind::Map(_) => "map",
        }
    }

    /// Number of nodes in this value (itself plus all nested values).
    pub(crate) fn node_count(&self) -> usize {
        match self {
            ValueKind::Array(items) => 1 + items.iter().map(|v| v.kind.node_count()).sum::<usize>(),
            ValueKind::Map(map) => 1 + map.iter().map(|e| e.value.kind.node_count()).sum::<usize>(),
            _ => 1,
        }
    }
}

/// One `key: value` assignment.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key as written (quotes removed, no escape processing).
    pub key: String,
    /// Where the key starts (for quoted keys: the first byte inside the quotes).
    pub key_position: Position,
    /// The assigned value.
    pub value: Value,
    /// True when the entry was referenced as `$key` somewhere in its scope.
    pub used_as_variable: bool,
}

/// An ordered map of entries; assigning an existing key again replaces the earlier entry
/// in place.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Map {
    entries: Vec<Entry>,
    index: HashMap<String, usize>,
}

impl Map {
    /// Creates an empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Inserts an entry; an entry with the same key is replaced (it keeps its place).
    pub fn insert(&mut self, entry: Entry) {
        match self.index.get(&entry.key) {
            Some(&i) => {
                if let Some(slot) = self.entries.get_mut(i) {
                    *slot = entry;
                }
            }
            None => {
                self.index.insert(entry.key.clone(), self.entries.len());
                self.entries.push(entry);
            }
        }
    }

    /// The entry for `key` (exact match).
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.index.get(key).and_then(|&i| self.entries.get(i))
    }

    /// Mutable access to the entry for `key`.
    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut Entry> {
        match self.index.get(key) {
            Some(&i) => self.entries.get_mut(i),
            None => None,
        }
    }

    /// The entry whose key equals `key` ignoring ASCII case; the last assigned one wins
    /// when several keys differ only in case.
    pub fn get_ignore_case(&self, key: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.key.eq_ignore_ascii_case(key))
    }

    /// Entries in file order.
    pub fn iter(&self) -> std::slice::Iter<'_, Entry> {
        self.entries.iter()
    }

    /// Number of distinct keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = &'a Entry;
    type IntoIter = std::slice::Iter<'a, Entry>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, n: i64) -> Entry {
        let position = Position::new(None, 1, 1);
        Entry {
            key: key.to_string(),
            key_position: position.clone(),
            value: Value {
                kind: ValueKind::Integer(n),
                position,
            },
            used_as_variable: false,
        }
    }

    #[test]
    fn later_assignment_replaces_in_place() {
        let mut map = Map::new();
        map.insert(entry("a", 1));
        map.insert(entry("b", 2));
        map.insert(entry("a", 3));
        assert_eq!(map.len(), 2);
        let keys: Vec<_> = map.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(
            map.get("a").map(|e| &e.value.kind),
            Some(&ValueKind::Integer(3))
        );
    }

    #[test]
    fn ignore_case_lookup() {
        let mut map = Map::new();
        map.insert(entry("Port", 1));
        assert!(map.get("port").is_none());
        assert_eq!(
            map.get_ignore_case("PORT").map(|e| e.key.as_str()),
            Some("Port")
        );
        assert!(!map.is_empty());
        assert_eq!(ValueKind::Bool(true).type_name(), "bool");
    }
}
