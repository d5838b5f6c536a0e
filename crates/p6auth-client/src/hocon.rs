//! A small parser for the subset of HOCON that platform `application.conf` files use.
//!
//! Supported: objects with `{}` nesting and a root without braces, `key: value`, `key = value`,
//! `key { ... }`, dotted keys (`p6auth.client.id: x`), quoted (`"..."` with JSON escapes) and
//! unquoted strings, `"""triple-quoted"""` strings, numbers, booleans and `null` (read as text),
//! arrays, `#` and `//` comments, `,` or newlines between fields, duplicate keys (the later one
//! wins, objects merge), value concatenation on one line (`"http://"${HOST}":8080"`), and the
//! substitutions `${path}` and `${?path}`: a path is looked up in the file first, then as an
//! environment variable; an unset `${?X}` leaves the field as it was before (or unset).
//!
//! Not supported: `include` (the statement is skipped, and [`Document::includes`] counts it, so
//! that a missing key can say the file has includes that were not followed), substitutions that
//! yield objects or arrays, self-referential substitutions (`path: ${path}":x"`), and `+=`
//! beyond replacing the key with a one-item array. Keys that p6auth does not read may use them
//! freely as long as they parse.
//!
//! ```
//! use p6auth_client::hocon::Document;
//!
//! let doc = Document::parse(r#"
//!     p6auth {
//!         url = "https://auth.example.com"   # the issuer
//!         client.id: "73705350"
//!         client { secret: ${?APP_SECRET} }
//!     }
//! "#)?;
//! let env = |name: &str| (name == "APP_SECRET").then(|| "s3cret".to_string());
//! assert_eq!(doc.get_string("p6auth.client.id", &env)?.as_deref(), Some("73705350"));
//! assert_eq!(doc.get_string("p6auth.client.secret", &env)?.as_deref(), Some("s3cret"));
//! assert_eq!(doc.get_string("p6auth.client.secret", &|_| None)?, None);
//! # Ok::<(), p6auth_client::hocon::HoconError>(())
//! ```

mod parse;

use parse::{Entry, Parser, Piece, Value};

/// A syntax or resolution error, with its 1-based position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct HoconError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// How a substitution that the file does not define is looked up: by its path, as written.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// A parsed document. Values are resolved when read.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    root: Vec<Entry>,
    includes: usize,
}

/// What a path resolves to.
enum Resolved {
    Text(String),
    Object,
    Array,
}

/// Substitutions nest at most this deep; deeper means a cycle.
const MAX_DEPTH: usize = 32;

impl Document {
    pub fn parse(text: &str) -> Result<Self, HoconError> {
        let mut parser = Parser::new(text);
        let root = parser.document()?;
        Ok(Self {
            root,
            includes: parser.includes,
        })
    }

    /// How many `include` statements were skipped.
    pub fn includes(&self) -> usize {
        self.includes
    }

    /// The value at a dotted `path` as text (numbers and booleans as written), or `None` when it
    /// is not set. An object or an array there is an error.
    pub fn get_string(&self, path: &str, env: EnvLookup<'_>) -> Result<Option<String>, HoconError> {
        let segments: Vec<String> = path.split('.').map(str::to_owned).collect();
        match self.lookup(&self.root, &segments, env, 0)? {
            None => Ok(None),
            Some(Resolved::Text(s)) => Ok(Some(s)),
            Some(Resolved::Object) => Err(not_text(path, "an object")),
            Some(Resolved::Array) => Err(not_text(path, "an array")),
        }
    }

    /// Whether `path` is set to anything.
    pub fn contains(&self, path: &str, env: EnvLookup<'_>) -> Result<bool, HoconError> {
        let segments: Vec<String> = path.split('.').map(str::to_owned).collect();
        Ok(self.lookup(&self.root, &segments, env, 0)?.is_some())
    }

    /// Later entries win; objects under the same key merge; an entry whose value is an unset
    /// optional substitution does not count.
    fn lookup(
        &self,
        entries: &[Entry],
        path: &[String],
        env: EnvLookup<'_>,
        depth: usize,
    ) -> Result<Option<Resolved>, HoconError> {
        let (first, rest) = path.split_first().expect("paths are not empty");
        for entry in entries.iter().rev().filter(|e| &e.key == first) {
            if rest.is_empty() {
                if let Some(v) = self.resolve(&entry.value, env, depth)? {
                    return Ok(Some(v));
                }
                continue;
            }
            match &entry.value {
                Value::Object(inner) => {
                    if let Some(v) = self.lookup(inner, rest, env, depth)? {
                        return Ok(Some(v));
                    }
                }
                other => {
                    // a scalar or array set later hides earlier objects, unless it is unset
                    if self.resolve(other, env, depth)?.is_some() {
                        return Ok(None);
                    }
                }
            }
        }
        Ok(None)
    }

    fn resolve(
        &self,
        value: &Value,
        env: EnvLookup<'_>,
        depth: usize,
    ) -> Result<Option<Resolved>, HoconError> {
        let pieces = match value {
            Value::Object(_) => return Ok(Some(Resolved::Object)),
            Value::Array(_) => return Ok(Some(Resolved::Array)),
            Value::Concat(pieces) => pieces,
        };
        let lone = pieces.len() == 1;
        let mut text = String::new();
        for piece in pieces {
            match piece {
                Piece::Text(s) | Piece::Space(s) => text.push_str(s),
                Piece::Subst {
                    path,
                    optional,
                    line,
                } => match self.substitute(path, *line, env, depth)? {
                    Some(s) => text.push_str(&s),
                    // `key: ${?X}` with X unset: the field is not set at all
                    None if *optional && lone => return Ok(None),
                    None if *optional => {}
                    None => {
                        return Err(HoconError {
                            line: *line,
                            column: 1,
                            message: format!(
                                "${{{0}}} is not set, neither in the file nor as an environment variable; write ${{?{0}}} to make it optional",
                                path.join(".")
                            ),
                        });
                    }
                },
            }
        }
        Ok(Some(Resolved::Text(text)))
    }

    fn substitute(
        &self,
        path: &[String],
        line: usize,
        env: EnvLookup<'_>,
        depth: usize,
    ) -> Result<Option<String>, HoconError> {
        if depth >= MAX_DEPTH {
            return Err(HoconError {
                line,
                column: 1,
                message: format!("${{{}}} refers to itself", path.join(".")),
            });
        }
        match self.lookup(&self.root, path, env, depth + 1)? {
            Some(Resolved::Text(s)) => Ok(Some(s)),
            Some(_) => Err(HoconError {
                line,
                column: 1,
                message: format!(
                    "${{{}}} is an object or an array; only text can be substituted here",
                    path.join(".")
                ),
            }),
            None => Ok(env(&path.join("."))),
        }
    }
}

fn not_text(path: &str, found: &str) -> HoconError {
    HoconError {
        line: 0,
        column: 0,
        message: format!("{path} is {found}, not a value"),
    }
}

#[cfg(test)]
mod tests;
