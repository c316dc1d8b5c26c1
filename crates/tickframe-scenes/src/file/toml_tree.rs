//! A plain tree of TOML values with 1-based line/column locations, converted once from
//! `toml_edit`'s spanned document so the loader never deals with byte offsets.

use crate::params::Location;

/// Maps byte offsets of a source text to 1-based line and column (columns count characters).
pub(crate) struct LineIndex<'s> {
    source: &'s str,
    starts: Vec<usize>,
}

impl<'s> LineIndex<'s> {
    pub(crate) fn new(source: &'s str) -> LineIndex<'s> {
        let starts = std::iter::once(0).chain(source.match_indices('\n').map(|(i, _)| i + 1)).collect();
        LineIndex { source, starts }
    }

    /// The location of byte `offset` (clamped to the text; a byte inside a character counts
    /// as that character).
    pub(crate) fn locate(&self, offset: usize) -> Location {
        let offset = offset.min(self.source.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let column = self.source[start..].char_indices().take_while(|(i, _)| start + i < offset).count();
        Location { line: line as u32 + 1, column: column as u32 + 1 }
    }
}

/// A TOML value.
#[derive(Debug)]
pub(crate) enum Node {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// Offset date-times and friends: not used by scene files.
    DateTime,
    Array(Vec<Item>),
    Table(Table),
}

/// A value and where it was written.
#[derive(Debug)]
pub(crate) struct Item {
    pub(crate) node: Node,
    pub(crate) at: Location,
}

/// One `key = value` of a table.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) key_at: Location,
    pub(crate) item: Item,
}

/// A table: its entries in file order and where it starts (its header, `{`, or the file start).
#[derive(Debug)]
pub(crate) struct Table {
    pub(crate) entries: Vec<Entry>,
    pub(crate) at: Location,
}

impl Table {
    pub(crate) fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }
}

impl Node {
    /// How a value is named in messages: `0`, `-5`, `"abc"`, `true`, `a table`, ...
    pub(crate) fn describe(&self) -> String {
        match self {
            Node::Bool(b) => b.to_string(),
            Node::Int(i) => i.to_string(),
            Node::Float(f) => format_float(*f),
            Node::Str(s) => format!("{s:?}"),
            Node::DateTime => "a date-time".to_string(),
            Node::Array(a) if a.is_empty() => "an empty array".to_string(),
            Node::Array(_) => "an array".to_string(),
            Node::Table(_) => "a table".to_string(),
        }
    }
}

/// A float as written in TOML (`1.0`, `2.5`, `inf`, `nan`).
pub(crate) fn format_float(f: f64) -> String {
    if f.is_nan() {
        "nan".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { "inf".to_string() } else { "-inf".to_string() }
    } else if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.1}")
    } else if f.abs() >= 1e15 || f.abs() < 1e-5 {
        // `1e300`, not three hundred digits.
        format!("{f:e}")
    } else {
        format!("{f}")
    }
}

struct Converter<'i, 's> {
    index: &'i LineIndex<'s>,
}

impl Converter<'_, '_> {
    fn loc(&self, span: Option<std::ops::Range<usize>>, fallback: Location) -> Location {
        span.map_or(fallback, |s| self.index.locate(s.start))
    }

    fn item(&self, item: &toml_edit::Item, fallback: Location) -> Item {
        match item {
            toml_edit::Item::Value(v) => self.value(v, fallback),
            toml_edit::Item::Table(t) => {
                let at = self.loc(t.span(), fallback);
                Item { node: Node::Table(self.table(t, at)), at }
            }
            toml_edit::Item::ArrayOfTables(a) => {
                let at = self.loc(a.span(), fallback);
                let items = a
                    .iter()
                    .map(|t| {
                        let tat = self.loc(t.span(), at);
                        Item { node: Node::Table(self.table(t, tat)), at: tat }
                    })
                    .collect();
                Item { node: Node::Array(items), at }
            }
            toml_edit::Item::None => {
                Item { node: Node::Table(Table { entries: Vec::new(), at: fallback }), at: fallback }
            }
        }
    }

    fn table(&self, t: &toml_edit::Table, at: Location) -> Table {
        let entries = t
            .iter()
            .map(|(k, v)| {
                let key_at = self.loc(t.key(k).and_then(|key| key.span()), at);
                Entry { key: k.to_string(), key_at, item: self.item(v, key_at) }
            })
            .collect();
        Table { entries, at }
    }

    fn value(&self, v: &toml_edit::Value, fallback: Location) -> Item {
        use toml_edit::Value as V;
        let at = self.loc(v.span(), fallback);
        let node = match v {
            V::String(s) => Node::Str(s.value().clone()),
            V::Integer(i) => Node::Int(*i.value()),
            V::Float(f) => Node::Float(*f.value()),
            V::Boolean(b) => Node::Bool(*b.value()),
            V::Datetime(_) => Node::DateTime,
            V::Array(a) => Node::Array(a.iter().map(|x| self.value(x, at)).collect()),
            V::InlineTable(t) => {
                let entries = t
                    .iter()
                    .map(|(k, x)| {
                        let key_at = self.loc(t.key(k).and_then(|key| key.span()), at);
                        Entry { key: k.to_string(), key_at, item: self.value(x, key_at) }
                    })
                    .collect();
                Node::Table(Table { entries, at })
            }
        };
        Item { node, at }
    }
}

/// Parses `source` into a tree.
///
/// # Errors
/// The TOML parser's message and where it was found.
pub(crate) fn parse(source: &str) -> Result<Table, (Location, String)> {
    let index = LineIndex::new(source);
    let doc = toml_edit::Document::parse(source).map_err(|e| {
        let at = index.locate(e.span().map_or(0, |s| s.start));
        (at, format!("invalid TOML: {}", e.message()))
    })?;
    let start = Location { line: 1, column: 1 };
    Ok(Converter { index: &index }.table(doc.as_table(), start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_one_based_characters() {
        let idx = LineIndex::new("ab\nçd = 1\n");
        assert_eq!(idx.locate(0), Location { line: 1, column: 1 });
        assert_eq!(idx.locate(3), Location { line: 2, column: 1 });
        // 'ç' is two bytes: byte 5 is the third character of line 2.
        assert_eq!(idx.locate(5), Location { line: 2, column: 2 });
        assert_eq!(idx.locate(6), Location { line: 2, column: 3 });
        assert_eq!(idx.locate(100), Location { line: 3, column: 1 });
    }
}
