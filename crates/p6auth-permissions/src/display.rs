//! The canonical display form of a [`Permission`].
//!
//! No white space; the instance only when it is `Some`; values always
//! single-quoted, with `'` and `\` escaped by a backslash, in the order they
//! were given (never sorted nor deduplicated). For every valid permission
//! `p`, `parse(&p.to_string()) == Ok(p)`.

use std::fmt::{self, Write};

use crate::Permission;

impl fmt::Display for Permission {
    /// ```
    /// use p6auth_permissions::Permission;
    ///
    /// let p: Permission = r#" acme : workflow = role ( "O'Brien" , 'a\\b' ) "#.parse().unwrap();
    /// assert_eq!(p.to_string(), r"acme:workflow=role('O\'Brien','a\\b')");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(instance) = &self.instance {
            f.write_str(instance)?;
            f.write_char(':')?;
        }
        f.write_str(&self.feature)?;
        f.write_char('=')?;
        f.write_str(&self.action)?;
        if !self.values.is_empty() {
            f.write_char('(')?;
            for (i, value) in self.values.iter().enumerate() {
                if i > 0 {
                    f.write_char(',')?;
                }
                write_quoted(f, value)?;
            }
            f.write_char(')')?;
        }
        Ok(())
    }
}

/// Writes `value` single-quoted, escaping `'` and `\`.
fn write_quoted(f: &mut impl Write, value: &str) -> fmt::Result {
    f.write_char('\'')?;
    for c in value.chars() {
        if matches!(c, '\'' | '\\') {
            f.write_char('\\')?;
        }
        f.write_char(c)?;
    }
    f.write_char('\'')
}
