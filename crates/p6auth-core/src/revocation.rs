//! Revoked access tokens (RFC 7009), remembered until they would have expired anyway.

use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedToken {
    pub jti: String,
    pub application_id: String,
    pub expires_at: i64,
    pub revoked_at: i64,
}

/// The set of revoked token ids a node checks at introspection.
#[derive(Debug, Default, Clone)]
pub struct RevocationList {
    jtis: HashSet<String>,
}

impl RevocationList {
    pub fn new(revoked: impl IntoIterator<Item = RevokedToken>) -> Self {
        Self {
            jtis: revoked.into_iter().map(|r| r.jti).collect(),
        }
    }

    pub fn contains(&self, jti: &str) -> bool {
        self.jtis.contains(jti)
    }

    pub fn len(&self) -> usize {
        self.jtis.len()
    }

    pub fn is_empty(&self) -> bool {
        self.jtis.is_empty()
    }
}
