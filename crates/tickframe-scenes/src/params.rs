//! Scene parameters as written in a scene file, read with typed getters that report where a bad
//! value was written.

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use tickframe_core::Rgba;

/// Where something was written: 1-based line and column in a scene file.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Location {
    /// Line, from 1.
    pub line: u32,
    /// Column in characters, from 1.
    pub column: u32,
}

/// A parameter value as written.
#[derive(Clone, PartialEq, Debug)]
pub enum Value {
    /// `true` / `false`.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A decimal number.
    Float(f64),
    /// A string.
    Str(String),
    /// An array.
    Array(Vec<Spanned>),
    /// A table, keys in file order.
    Table(Vec<(String, Spanned)>),
}

impl Value {
    /// A short name of the value's type for messages: `a string`, `a whole number`, …
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "a whole number",
            Value::Float(_) => "a decimal number",
            Value::Str(_) => "a string",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }
}

/// A value and where it was written (`None` when it did not come from a file).
#[derive(Clone, PartialEq, Debug)]
pub struct Spanned {
    /// The value.
    pub value: Value,
    /// Where it was written.
    pub at: Option<Location>,
}

impl Spanned {
    /// A value with no location.
    pub fn new(value: Value) -> Spanned {
        Spanned { value, at: None }
    }
}

/// Why a scene could not be built: a message and, when known, where the cause was written.
/// The scene-file loader adds the file name.
#[derive(Clone, PartialEq, Debug, thiserror::Error)]
#[error("{message}")]
pub struct BuildError {
    /// Where the offending value was written.
    pub at: Option<Location>,
    /// What was wrong and what was expected.
    pub message: String,
}

impl BuildError {
    /// An error at `at`.
    pub fn new(at: Option<Location>, message: impl Into<String>) -> BuildError {
        BuildError { at, message: message.into() }
    }
}

#[derive(Clone)]
struct Entry {
    key: String,
    key_at: Option<Location>,
    value: Spanned,
    used: bool,
}

/// The parameters of one scene node. Each getter marks its key as known; [`Params::finish`]
/// then rejects any key no getter asked for (unknown fields are errors, with the nearest known
/// name suggested).
#[derive(Clone)]
pub struct Params {
    scene: String,
    at: Option<Location>,
    entries: Vec<Entry>,
    asked: Vec<&'static str>,
}

impl std::fmt::Debug for Params {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Params").field("scene", &self.scene).field("keys", &self.keys()).finish()
    }
}

/// The edit distance between two strings (for "did you mean" suggestions).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The candidate nearest to `word`, when it is close enough to be a likely typo.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 2).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// ` (did you mean `x`?)` or nothing.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    nearest(word, candidates).map(|c| format!(" (did you mean `{c}`?)")).unwrap_or_default()
}

impl Params {
    /// No parameters, for scene `scene` (all defaults).
    pub fn new(scene: impl Into<String>, at: Option<Location>) -> Params {
        Params { scene: scene.into(), at, entries: Vec::new(), asked: Vec::new() }
    }

    /// Adds a parameter (the loader calls this for every key of the node, in file order).
    pub fn insert(&mut self, key: impl Into<String>, key_at: Option<Location>, value: Spanned) {
        self.entries.push(Entry { key: key.into(), key_at, value, used: false });
    }

    /// Builder form of [`Params::insert`] without locations, for code and tests.
    #[must_use]
    pub fn with(mut self, key: &str, value: Value) -> Params {
        self.insert(key, None, Spanned::new(value));
        self
    }

    /// Builder form that removes `key` (for code and tests).
    #[must_use]
    pub fn without(mut self, key: &str) -> Params {
        self.entries.retain(|e| e.key != key);
        self
    }

    /// The scene's name.
    pub fn scene(&self) -> &str {
        &self.scene
    }

    /// Where the scene node was written.
    pub fn location(&self) -> Option<Location> {
        self.at
    }

    /// The keys present, in file order.
    pub fn keys(&self) -> Vec<&str> {
        self.entries.iter().map(|e| e.key.as_str()).collect()
    }

    /// Where `key`'s value was written (falls back to the node).
    pub fn location_of(&self, key: &str) -> Option<Location> {
        self.entries.iter().find(|e| e.key == key).and_then(|e| e.value.at).or(self.at)
    }

    /// Takes the raw value of `key`, marking it known. `None` when absent.
    pub fn take(&mut self, key: &'static str) -> Option<Spanned> {
        self.asked.push(key);
        let e = self.entries.iter_mut().find(|e| e.key == key)?;
        e.used = true;
        Some(e.value.clone())
    }

    fn err(&self, at: Option<Location>, key: &str, expected: &str, found: &Value) -> BuildError {
        let found = match found {
            Value::Str(s) => format!("the string \"{s}\""),
            Value::Int(i) => format!("{i}"),
            // `1e300`, not three hundred digits.
            Value::Float(f) if *f != 0.0 && (f.abs() >= 1e15 || f.abs() < 1e-5) => format!("{f:e}"),
            Value::Float(f) => format!("{f}"),
            Value::Bool(b) => format!("{b}"),
            other => other.type_name().to_string(),
        };
        BuildError::new(at.or(self.at), format!("`{}.{key}`: expected {expected}, found {found}", self.scene))
    }

    /// A decimal number (whole numbers accepted too), default `default`, within `range`.
    ///
    /// # Errors
    /// Wrong type, not finite, or out of range.
    pub fn float_in(
        &mut self,
        key: &'static str,
        default: f64,
        range: RangeInclusive<f64>,
    ) -> Result<f64, BuildError> {
        let Some(v) = self.take(key) else { return Ok(default) };
        let x = match v.value {
            Value::Float(f) => f,
            Value::Int(i) => i as f64,
            ref other => {
                return Err(self.err(
                    v.at,
                    key,
                    &format!("a number in {}..={}", range.start(), range.end()),
                    other,
                ));
            }
        };
        if !x.is_finite() || !range.contains(&x) {
            return Err(self.err(
                v.at,
                key,
                &format!("a number in {}..={}", range.start(), range.end()),
                &v.value,
            ));
        }
        Ok(x)
    }

    /// A whole number, default `default`, within `range`.
    ///
    /// # Errors
    /// Wrong type or out of range.
    pub fn int_in(
        &mut self,
        key: &'static str,
        default: i64,
        range: RangeInclusive<i64>,
    ) -> Result<i64, BuildError> {
        let Some(v) = self.take(key) else { return Ok(default) };
        let expected = format!("a whole number in {}..={}", range.start(), range.end());
        match v.value {
            Value::Int(i) if range.contains(&i) => Ok(i),
            ref other => Err(self.err(v.at, key, &expected, other)),
        }
    }

    /// A whole number as `u32` (see [`Params::int_in`]).
    ///
    /// # Errors
    /// Wrong type or out of range.
    pub fn u32_in(
        &mut self,
        key: &'static str,
        default: u32,
        range: RangeInclusive<u32>,
    ) -> Result<u32, BuildError> {
        let r = i64::from(*range.start())..=i64::from(*range.end());
        self.int_in(key, i64::from(default), r).map(|v| v as u32)
    }

    /// `true` or `false`, default `default`.
    ///
    /// # Errors
    /// Wrong type.
    pub fn bool(&mut self, key: &'static str, default: bool) -> Result<bool, BuildError> {
        let Some(v) = self.take(key) else { return Ok(default) };
        match v.value {
            Value::Bool(b) => Ok(b),
            ref other => Err(self.err(v.at, key, "true or false", other)),
        }
    }

    /// A string, default `default`.
    ///
    /// # Errors
    /// Wrong type.
    pub fn string(&mut self, key: &'static str, default: &str) -> Result<String, BuildError> {
        Ok(self.opt_string(key)?.unwrap_or_else(|| default.to_string()))
    }

    /// A string, or `None` when absent.
    ///
    /// # Errors
    /// Wrong type.
    pub fn opt_string(&mut self, key: &'static str) -> Result<Option<String>, BuildError> {
        let Some(v) = self.take(key) else { return Ok(None) };
        match v.value {
            Value::Str(s) => Ok(Some(s)),
            ref other => Err(self.err(v.at, key, "a string", other)),
        }
    }

    /// One of `options` (a string), default `default`; a near miss suggests the nearest option.
    ///
    /// # Errors
    /// Wrong type or not one of the options.
    pub fn choice(
        &mut self,
        key: &'static str,
        default: &str,
        options: &[&str],
    ) -> Result<String, BuildError> {
        let Some(v) = self.take(key) else { return Ok(default.to_string()) };
        let list = options.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(", ");
        match v.value {
            Value::Str(ref s) if options.contains(&s.as_str()) => Ok(s.clone()),
            Value::Str(ref s) => Err(BuildError::new(
                v.at.or(self.at),
                format!(
                    "`{}.{key}`: unknown value \"{s}\"{}; expected one of {list}",
                    self.scene,
                    did_you_mean(s, options.iter().copied())
                ),
            )),
            ref other => Err(self.err(v.at, key, &format!("one of {list}"), other)),
        }
    }

    fn color_of(&self, key: &str, v: &Spanned) -> Result<Rgba, BuildError> {
        const EXPECTED: &str =
            "a colour: \"#rrggbb\", \"#rrggbbaa\" or [r, g, b] / [r, g, b, a] with 0..=255";
        match &v.value {
            Value::Str(s) => Rgba::parse_hex(s).ok_or_else(|| self.err(v.at, key, EXPECTED, &v.value)),
            Value::Array(items) if items.len() == 3 || items.len() == 4 => {
                let mut ch = [255u8; 4];
                for (c, item) in ch.iter_mut().zip(items) {
                    match item.value {
                        Value::Int(i) if (0..=255).contains(&i) => *c = i as u8,
                        _ => return Err(self.err(item.at.or(v.at), key, EXPECTED, &item.value)),
                    }
                }
                Ok(Rgba::new(ch[0], ch[1], ch[2], ch[3]))
            }
            other => Err(self.err(v.at, key, EXPECTED, other)),
        }
    }

    /// A colour (`"#rrggbb"`, `"#rrggbbaa"`, `[r, g, b]` or `[r, g, b, a]`), default `default`.
    ///
    /// # Errors
    /// Not a colour.
    pub fn color(&mut self, key: &'static str, default: Rgba) -> Result<Rgba, BuildError> {
        let Some(v) = self.take(key) else { return Ok(default) };
        self.color_of(key, &v)
    }

    /// A non-empty array of colours, default `default`.
    ///
    /// # Errors
    /// Not an array of colours, or empty.
    pub fn colors(&mut self, key: &'static str, default: &[Rgba]) -> Result<Vec<Rgba>, BuildError> {
        let Some(v) = self.take(key) else { return Ok(default.to_vec()) };
        match &v.value {
            Value::Array(items) if !items.is_empty() => items.iter().map(|i| self.color_of(key, i)).collect(),
            other => Err(self.err(v.at, key, "a non-empty array of colours", other)),
        }
    }

    /// A file path, resolved against `base_dir` (the scene file's folder) when relative.
    /// Required: absent is an error. Existence is not checked here.
    ///
    /// # Errors
    /// Absent or not a string.
    pub fn path(&mut self, key: &'static str, base_dir: &Path) -> Result<PathBuf, BuildError> {
        match self.opt_string(key)? {
            Some(p) => Ok(base_dir.join(p)),
            None => {
                Err(BuildError::new(self.at, format!("`{}`: missing required parameter `{key}`", self.scene)))
            }
        }
    }

    /// Ends reading: any key that no getter asked for is an unknown parameter.
    ///
    /// # Errors
    /// The first unknown key, with the nearest known name suggested.
    pub fn finish(self) -> Result<(), BuildError> {
        if let Some(e) = self.entries.iter().find(|e| !e.used) {
            let known = if self.asked.is_empty() {
                "it takes no parameters".to_string()
            } else {
                let mut names: Vec<&str> = self.asked.clone();
                names.sort_unstable();
                names.dedup();
                format!("known parameters: {}", names.join(", "))
            };
            return Err(BuildError::new(
                e.key_at.or(e.value.at).or(self.at),
                format!(
                    "unknown parameter `{}` for scene `{}`{}; {known}",
                    e.key,
                    self.scene,
                    did_you_mean(&e.key, self.asked.iter().copied())
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_getters_and_unknown_keys() {
        let mut p = Params::new("plasma", None)
            .with("speed", Value::Int(2))
            .with("color", Value::Str("#ff0000".into()))
            .with("sped", Value::Float(1.0));
        assert_eq!(p.float_in("speed", 1.0, 0.0..=10.0).unwrap(), 2.0);
        assert_eq!(p.color("color", Rgba::BLACK).unwrap(), Rgba::rgb(255, 0, 0));
        assert_eq!(p.u32_in("count", 5, 1..=10).unwrap(), 5);
        let e = p.finish().unwrap_err();
        assert!(e.message.contains("unknown parameter `sped`"), "{}", e.message);
        assert!(e.message.contains("did you mean `speed`?"), "{}", e.message);
    }

    #[test]
    fn type_and_range_errors() {
        let mut p = Params::new("x", None).with("n", Value::Int(0)).with("s", Value::Int(3));
        let e = p.u32_in("n", 1, 1..=10).unwrap_err();
        assert_eq!(e.message, "`x.n`: expected a whole number in 1..=10, found 0");
        let e = p.string("s", "").unwrap_err();
        assert_eq!(e.message, "`x.s`: expected a string, found 3");
        let mut p = Params::new("x", None).with("mode", Value::Str("mirorred".into()));
        let e = p.choice("mode", "linear", &["linear", "mirrored"]).unwrap_err();
        assert!(e.message.contains("did you mean `mirrored`?"), "{}", e.message);
    }

    #[test]
    fn suggestions() {
        assert_eq!(nearest("mandlebrot", ["mandelbrot", "plasma"]), Some("mandelbrot"));
        assert_eq!(nearest("zzzzzz", ["mandelbrot", "plasma"]), None);
    }
}
