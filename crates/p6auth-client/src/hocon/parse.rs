//! The HOCON subset's syntax: text to a tree of entries, substitutions left unresolved.

use super::HoconError;

/// One `key: value` of an object, after dotted keys were expanded (`a.b: 1` is `a { b: 1 }`).
/// Entries stay in file order, duplicates included: a later entry wins, objects merge, and an
/// unset `${?X}` leaves the earlier value in place (see `super::Document`).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Entry {
    pub key: String,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    Object(Vec<Entry>),
    Array(Vec<Value>),
    /// A scalar: pieces on one line concatenated (`"http://"${HOST}":8080"`, `foo bar`).
    Concat(Vec<Piece>),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Piece {
    Text(String),
    /// White space between two other pieces; kept only when it is between them.
    Space(String),
    Subst {
        path: Vec<String>,
        optional: bool,
        line: usize,
    },
}

/// Characters that end an unquoted string (HOCON §"Unquoted strings"), besides white space.
const FORBIDDEN: &[char] = &[
    '$', '"', '{', '}', '[', ']', ':', '=', ',', '+', '#', '`', '^', '?', '!', '@', '*', '&', '\\',
];

pub(super) struct Parser {
    chars: Vec<char>,
    pos: usize,
    line: usize,
    line_start: usize,
    pub includes: usize,
}

impl Parser {
    pub fn new(text: &str) -> Self {
        Self {
            chars: text.trim_start_matches('\u{feff}').chars().collect(),
            pos: 0,
            line: 1,
            line_start: 0,
            includes: 0,
        }
    }

    fn error(&self, message: impl Into<String>) -> HoconError {
        HoconError {
            line: self.line,
            column: self.pos - self.line_start + 1,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn starts_with(&self, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(i, c)| self.peek_at(i) == Some(c))
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
            self.line_start = self.pos;
        }
        Some(c)
    }

    fn at_comment(&self) -> bool {
        self.peek() == Some('#') || self.starts_with("//")
    }

    fn skip_comment(&mut self) {
        while let Some(c) = self.peek() {
            if c == '\n' {
                break;
            }
            self.bump();
        }
    }

    /// Spaces and tabs (and comments, up to the end of the line), but not newlines.
    fn skip_inline_space(&mut self) {
        loop {
            match self.peek() {
                Some(c) if c != '\n' && c.is_whitespace() => {
                    self.bump();
                }
                Some(_) if self.at_comment() => self.skip_comment(),
                _ => return,
            }
        }
    }

    /// White space of every kind, newlines and comments.
    fn skip_space(&mut self) {
        loop {
            match self.peek() {
                Some(c) if c.is_whitespace() => {
                    self.bump();
                }
                Some(_) if self.at_comment() => self.skip_comment(),
                _ => return,
            }
        }
    }

    /// The whole document: either `{ fields }` or bare fields.
    pub fn document(&mut self) -> Result<Vec<Entry>, HoconError> {
        self.skip_space();
        let entries = if self.peek() == Some('{') {
            self.bump();
            let entries = self.fields(Some('}'))?;
            self.bump();
            entries
        } else {
            self.fields(None)?
        };
        self.skip_space();
        match self.peek() {
            None => Ok(entries),
            Some(c) => Err(self.error(format!("unexpected {c:?} after the end of the document"))),
        }
    }

    /// Fields up to `close` (not consumed) or the end of the text.
    fn fields(&mut self, close: Option<char>) -> Result<Vec<Entry>, HoconError> {
        let mut entries = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                None if close.is_none() => return Ok(entries),
                None => return Err(self.error("missing '}' before the end of the file")),
                Some(c) if Some(c) == close => return Ok(entries),
                Some(',') => return Err(self.error("unexpected ','")),
                _ => {}
            }
            if self.at_include() {
                self.skip_comment();
                self.includes += 1;
                continue;
            }
            entries.push(self.field()?);
            self.skip_inline_space();
            match self.peek() {
                Some(',') | Some('\n') => {
                    self.bump();
                }
                None => {}
                Some(c) if Some(c) == close => {}
                Some(c) => {
                    return Err(self.error(format!(
                        "unexpected {c:?} after a value; put one field per line or separate them with ','"
                    )));
                }
            }
        }
    }

    /// `include "file"`, `include required(...)` and the like: skipped (not followed).
    fn at_include(&self) -> bool {
        self.starts_with("include")
            && matches!(self.peek_at(7), Some(c) if c == ' ' || c == '\t' || c == '"')
    }

    fn field(&mut self) -> Result<Entry, HoconError> {
        let path = self.key()?;
        self.skip_inline_space();
        let value = match self.peek() {
            Some('{') => self.value()?,
            Some(':') | Some('=') => {
                self.bump();
                self.skip_inline_space();
                self.value()?
            }
            Some('+') if self.peek_at(1) == Some('=') => {
                self.pos += 2;
                self.skip_inline_space();
                // `a += x` appends to an array; this subset keeps `[x]` (earlier items are not
                // carried over, which matters only for keys p6auth does not read).
                Value::Array(vec![self.value()?])
            }
            Some(c) => {
                return Err(self.error(format!(
                    "expected ':', '=' or '{{' after the key {:?}, found {c:?}",
                    path.join(".")
                )));
            }
            None => return Err(self.error("missing value at the end of the file")),
        };
        // a.b.c: v  is  a { b { c: v } }
        let mut iter = path.into_iter().rev();
        let mut entry = Entry {
            key: iter.next().expect("a key has at least one segment"),
            value,
        };
        for key in iter {
            entry = Entry {
                key,
                value: Value::Object(vec![entry]),
            };
        }
        Ok(entry)
    }

    /// A path expression: segments, quoted or not, joined by '.'.
    fn key(&mut self) -> Result<Vec<String>, HoconError> {
        let mut segments = Vec::new();
        loop {
            let segment = match self.peek() {
                Some('"') => self.quoted()?,
                _ => {
                    let mut s = String::new();
                    while let Some(c) = self.peek() {
                        if c.is_whitespace()
                            || c == '.'
                            || FORBIDDEN.contains(&c)
                            || self.starts_with("//")
                        {
                            break;
                        }
                        s.push(c);
                        self.bump();
                    }
                    if s.is_empty() {
                        let found = self.peek().map_or("the end".into(), |c| format!("{c:?}"));
                        return Err(self.error(format!("expected a key, found {found}")));
                    }
                    s
                }
            };
            segments.push(segment);
            if self.peek() == Some('.') {
                self.bump();
            } else {
                return Ok(segments);
            }
        }
    }

    fn value(&mut self) -> Result<Value, HoconError> {
        match self.peek() {
            Some('{') => {
                self.bump();
                let entries = self.fields(Some('}'))?;
                self.bump();
                Ok(Value::Object(entries))
            }
            Some('[') => self.array(),
            _ => self.concat(),
        }
    }

    fn array(&mut self) -> Result<Value, HoconError> {
        self.bump();
        let mut items = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                Some(']') => {
                    self.bump();
                    return Ok(Value::Array(items));
                }
                None => return Err(self.error("missing ']' before the end of the file")),
                _ => items.push(self.value()?),
            }
            self.skip_inline_space();
            match self.peek() {
                Some(',') | Some('\n') => {
                    self.bump();
                }
                Some(']') => {}
                Some(c) => return Err(self.error(format!("unexpected {c:?} in an array"))),
                None => return Err(self.error("missing ']' before the end of the file")),
            }
        }
    }

    /// Scalar pieces up to the end of the line, a ',', a closing bracket or a comment.
    fn concat(&mut self) -> Result<Value, HoconError> {
        let mut pieces = Vec::new();
        loop {
            match self.peek() {
                None | Some('\n' | ',' | '}' | ']') => break,
                Some(_) if self.at_comment() => break,
                Some(c) if c.is_whitespace() => {
                    let mut s = String::new();
                    while let Some(c) = self.peek().filter(|c| *c != '\n' && c.is_whitespace()) {
                        s.push(c);
                        self.bump();
                    }
                    pieces.push(Piece::Space(s));
                }
                Some('"') if self.starts_with("\"\"\"") => pieces.push(Piece::Text(self.triple()?)),
                Some('"') => pieces.push(Piece::Text(self.quoted()?)),
                Some('$') if self.peek_at(1) == Some('{') => pieces.push(self.substitution()?),
                Some('{' | '[') => {
                    return Err(self.error(
                        "an object or array cannot be concatenated with other values here",
                    ));
                }
                Some(c) if FORBIDDEN.contains(&c) => {
                    return Err(self.error(format!(
                        "{c:?} is not allowed in an unquoted value; put the value in double quotes"
                    )));
                }
                Some(_) => {
                    let mut s = String::new();
                    while let Some(c) = self.peek() {
                        if c.is_whitespace() || FORBIDDEN.contains(&c) || self.starts_with("//") {
                            break;
                        }
                        s.push(c);
                        self.bump();
                    }
                    pieces.push(Piece::Text(s));
                }
            }
        }
        while matches!(pieces.last(), Some(Piece::Space(_))) {
            pieces.pop();
        }
        if pieces.is_empty() {
            return Err(self.error("missing value"));
        }
        Ok(Value::Concat(pieces))
    }

    fn substitution(&mut self) -> Result<Piece, HoconError> {
        let line = self.line;
        self.pos += 2; // "${", never a newline
        let optional = self.peek() == Some('?');
        if optional {
            self.bump();
        }
        let path = self.key()?;
        if self.peek() != Some('}') {
            return Err(self.error("missing '}' at the end of a substitution"));
        }
        self.bump();
        Ok(Piece::Subst {
            path,
            optional,
            line,
        })
    }

    /// A JSON string: `"..."` with backslash escapes.
    fn quoted(&mut self) -> Result<String, HoconError> {
        self.bump();
        let mut s = String::new();
        loop {
            match self.bump() {
                None | Some('\n') => return Err(self.error("unterminated string")),
                Some('"') => return Ok(s),
                Some('\\') => {
                    let c = match self.bump() {
                        Some('"') => '"',
                        Some('\\') => '\\',
                        Some('/') => '/',
                        Some('b') => '\u{8}',
                        Some('f') => '\u{c}',
                        Some('n') => '\n',
                        Some('r') => '\r',
                        Some('t') => '\t',
                        Some('u') => self.unicode_escape()?,
                        _ => return Err(self.error("invalid escape in a string")),
                    };
                    s.push(c);
                }
                Some(c) => s.push(c),
            }
        }
    }

    fn unicode_escape(&mut self) -> Result<char, HoconError> {
        let mut code = 0u32;
        for _ in 0..4 {
            let digit = self
                .bump()
                .and_then(|c| c.to_digit(16))
                .ok_or_else(|| self.error("invalid \\u escape"))?;
            code = code * 16 + digit;
        }
        char::from_u32(code).ok_or_else(|| self.error("invalid \\u escape"))
    }

    /// `"""..."""`: raw, may span lines.
    fn triple(&mut self) -> Result<String, HoconError> {
        self.pos += 3;
        let mut s = String::new();
        loop {
            if self.starts_with("\"\"\"") && self.peek_at(3) != Some('"') {
                self.pos += 3;
                return Ok(s);
            }
            match self.bump() {
                Some(c) => s.push(c),
                None => return Err(self.error("unterminated \"\"\" string")),
            }
        }
    }
}
