//! The few spots where the SQL of the directory differs between dialects. The queries of
//! `directory.rs` are written once with `?` placeholders and pass through [`sql`].

use std::borrow::Cow;

/// SQLite takes `?` placeholders as they are.
pub(crate) fn sql(text: &str) -> Cow<'_, str> {
    Cow::Borrowed(text)
}

/// Byte order, as the PostgreSQL backend's `COLLATE "C"`: SQLite's default already is.
pub(crate) const BYTE_ORDER: &str = "";
