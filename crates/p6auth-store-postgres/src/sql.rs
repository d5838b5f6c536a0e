//! The few spots where the SQL of the directory differs between dialects. The queries of
//! `directory.rs` are written once with `?` placeholders and pass through [`sql`].

use std::borrow::Cow;

/// Numbers the `?` placeholders (`$1`, `$2`, ...). The directory's queries hold no `?` in
/// literals.
pub(crate) fn sql(text: &str) -> Cow<'_, str> {
    let mut out = String::with_capacity(text.len() + 16);
    let mut n = 0;
    for c in text.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Byte order, as SQLite sorts, whatever the database's collation.
pub(crate) const BYTE_ORDER: &str = " COLLATE \"C\"";

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_placeholders() {
        assert_eq!(super::sql("a = ? AND b > ?"), "a = $1 AND b > $2");
    }
}
