use p6auth_store::StoreError;

/// Wraps an unexpected database error. Callers map the expected ones (unique keys, missing rows)
/// to precise [`StoreError`]s first, with the same texts as the SQLite backend.
pub(crate) fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}
