//! The permission grammar: turning text into a [`Permission`].
//!
//! ```text
//! permission = ws [ name ws ":" ws ] name ws "=" ws name ws [ values ws ]
//! values     = "(" ws value ws *( "," ws value ws ) ")"
//! value      = quoted / "*"
//! quoted     = "'" 1*( char / "\" any ) "'"  /  DQUOTE 1*( char / "\" any ) DQUOTE
//! name       = "*" / 1*( ALPHA / DIGIT / "_" / "." / "-" )     ; ASCII only
//! ws         = *( Unicode white space )
//! ```
//!
//! The parser works on `char`s and reports every error with the 0-based
//! `char` offset where it was detected. It never panics.

use std::fmt;
use std::str::FromStr;

use crate::Permission;

/// A permission that could not be parsed.
///
/// `position` is a 0-based offset counted in `char`s (not bytes) into the
/// parsed text; `reason` says what was wrong there.
///
/// ```
/// use p6auth_permissions::Permission;
///
/// let err = "users#=read".parse::<Permission>().unwrap_err();
/// assert_eq!(err.position, 5);
/// assert_eq!(err.to_string(), "at position 5: unexpected character '#' in feature");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ParseError {
    /// 0-based `char` offset of the problem.
    pub position: usize,
    /// Human-readable description of the problem.
    pub reason: String,
}

impl ParseError {
    pub(crate) fn new(position: usize, reason: impl Into<String>) -> Self {
        ParseError {
            position,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at position {}: {}", self.position, self.reason)
    }
}

impl std::error::Error for ParseError {}

impl FromStr for Permission {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

/// Parses one permission, e.g. `acme:users=read('./*')`.
///
/// Same as `s.parse::<Permission>()`.
///
/// ```
/// use p6auth_permissions::parse;
///
/// let p = parse(r#"  acme : users = read ( './' , "x" ) "#).unwrap();
/// assert_eq!(p.instance.as_deref(), Some("acme"));
/// assert_eq!(p.values, ["./", "x"]);
/// assert_eq!(p.to_string(), "acme:users=read('./','x')");
/// ```
pub fn parse(s: &str) -> Result<Permission, ParseError> {
    Parser::new(s).permission()
}

/// Whether `c` may appear in an instance, feature or action name.
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// Whether `c` may directly follow a name.
fn ends_name(c: char) -> bool {
    c.is_whitespace() || matches!(c, ':' | '=' | '(')
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn new(s: &str) -> Self {
        Parser {
            chars: s.chars().collect(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn err<T>(&self, position: usize, reason: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError::new(position, reason))
    }

    fn permission(mut self) -> Result<Permission, ParseError> {
        self.skip_ws();
        if self.peek().is_none() {
            return self.err(0, "empty permission");
        }

        // The first name is the feature unless a ':' follows it.
        let first_start = self.pos;
        let first = self.name("feature")?;
        self.skip_ws();
        let (instance, feature) = if self.peek() == Some(':') {
            if first.is_empty() {
                return self.err(first_start, "missing instance before ':'");
            }
            self.pos += 1;
            self.skip_ws();
            let start = self.pos;
            let feature = self.name("feature")?;
            if feature.is_empty() {
                return self.missing(start, "feature");
            }
            self.skip_ws();
            (Some(first), feature)
        } else {
            if first.is_empty() {
                return self.missing(first_start, "feature");
            }
            (None, first)
        };

        match self.peek() {
            Some('=') => self.pos += 1,
            None => return self.err(self.pos, "missing '=' after feature"),
            Some(c) => return self.err(self.pos, format!("expected '=' but found {c:?}")),
        }
        self.skip_ws();
        let action_start = self.pos;
        let action = self.name("action")?;
        if action.is_empty() {
            return self.missing(action_start, "action");
        }
        self.skip_ws();

        let values = match self.peek() {
            None => Vec::new(),
            Some('(') => {
                self.pos += 1;
                let values = self.values()?;
                self.skip_ws();
                if let Some(c) = self.peek() {
                    return self.err(self.pos, format!("unexpected trailing {c:?} after ')'"));
                }
                values
            }
            Some(c) => {
                return self.err(self.pos, format!("expected '(' or end but found {c:?}"));
            }
        };

        Ok(Permission {
            instance,
            feature,
            action,
            values,
        })
    }

    /// Error for an empty name at `start`: either nothing is there (or a
    /// delimiter), or a character that cannot start a name.
    fn missing<T>(&self, start: usize, what: &str) -> Result<T, ParseError> {
        match self.chars.get(start) {
            None | Some(':' | '=' | '(' | ')' | ',') => self.err(start, format!("missing {what}")),
            Some(c) => self.err(start, format!("unexpected character {c:?} in {what}")),
        }
    }

    /// Reads a name (possibly empty: the caller reports that). A character
    /// that is glued to the name but cannot end it is an error.
    fn name(&mut self, what: &str) -> Result<String, ParseError> {
        let start = self.pos;
        if self.peek() == Some('*') {
            self.pos += 1;
        } else {
            while self.peek().is_some_and(is_name_char) {
                self.pos += 1;
            }
        }
        match self.peek() {
            Some(c) if self.pos > start && !ends_name(c) => {
                self.err(self.pos, format!("unexpected character {c:?} in {what}"))
            }
            _ => Ok(self.chars[start..self.pos].iter().collect()),
        }
    }

    /// Reads the values after the opening '(' up to and including ')'.
    fn values(&mut self) -> Result<Vec<String>, ParseError> {
        let mut values = Vec::new();
        loop {
            self.skip_ws();
            values.push(self.value()?);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(')') => {
                    self.pos += 1;
                    return Ok(values);
                }
                None => return self.err(self.pos, "missing ')'"),
                Some(c) => {
                    return self.err(self.pos, format!("expected ',' or ')' but found {c:?}"));
                }
            }
        }
    }

    /// Values are printed by the CLI and the portal: no terminal escapes or line breaks.
    fn control_character<T>(&self, c: char) -> Result<T, ParseError> {
        self.err(
            self.pos,
            format!("control character {c:?} in a value; values are printable text"),
        )
    }

    fn value(&mut self) -> Result<String, ParseError> {
        let open = self.pos;
        let quote = match self.peek() {
            Some('*') => {
                self.pos += 1;
                return Ok("*".to_owned());
            }
            Some(q @ ('\'' | '"')) => q,
            None | Some(')' | ',') => return self.err(self.pos, "expected a value"),
            Some(c) => {
                return self.err(
                    self.pos,
                    format!("unexpected character {c:?} in values: values must be quoted"),
                );
            }
        };
        self.pos += 1;
        let mut value = String::new();
        loop {
            match self.peek() {
                None => return self.err(open, "unterminated quote"),
                Some(c) if c.is_control() => return self.control_character(c),
                Some('\\') => {
                    self.pos += 1;
                    match self.peek() {
                        None => return self.err(open, "unterminated quote"),
                        Some(c) if c.is_control() => return self.control_character(c),
                        Some(c) => value.push(c),
                    }
                }
                Some(c) if c == quote => break,
                Some(c) => value.push(c),
            }
            self.pos += 1;
        }
        self.pos += 1;
        if value.is_empty() {
            return self.err(open, "empty value");
        }
        Ok(value)
    }
}
