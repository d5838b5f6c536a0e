//! A bounded memory of access tokens whose signature this node has already verified, so that a
//! token introspected or presented again skips its signature check, the dearest step of reading
//! it back (about 60 µs for ES256, three times the cost of signing it).
//!
//! Only the signature is remembered. Expiry, revocation and the owner's state stay the caller's
//! business on every use, exactly as after [`own_token::verify`]. A remembered token counts only
//! while the key that signed it is still in the ring: its `kid` is the key's thumbprint, so the
//! same `kid` means the same public key. Entries are keyed by the SHA-256 of the whole token, so
//! any change to a token, however small, is a miss and a full check.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use ring::digest::{SHA256, digest};

use crate::own_token;
use crate::signing_key::SigningKey;
use crate::token::AccessTokenClaims;

/// How many tokens a node remembers by default: a few megabytes at most.
pub const DEFAULT_CAPACITY: usize = 16_384;

struct Remembered {
    kid: String,
    claims: Arc<AccessTokenClaims>,
}

pub struct VerifiedTokens {
    capacity: usize,
    entries: Mutex<HashMap<[u8; 32], Remembered>>,
}

impl VerifiedTokens {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: Mutex::default(),
        }
    }

    /// The claims of `token` if [`own_token::verify`] accepts it, or accepted it before with a
    /// key `key_for` still knows. `now` (Unix seconds) only decides which entries to drop when
    /// the memory is full: expired tokens first, then everything.
    pub fn verify<'k>(
        &self,
        token: &str,
        now: i64,
        key_for: impl Fn(&str) -> Option<&'k SigningKey>,
    ) -> Option<Arc<AccessTokenClaims>> {
        if token.len() > crate::client_auth::MAX_PARAM_LEN {
            return None;
        }
        let id: [u8; 32] = digest(&SHA256, token.as_bytes()).as_ref().try_into().ok()?;
        if let Some(hit) = self.lookup(&id, &key_for) {
            return Some(hit);
        }
        let (kid, claims) = own_token::verify_with_kid(token, &key_for)?;
        let claims = Arc::new(claims);
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= self.capacity {
            entries.retain(|_, r| r.claims.exp > now);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        let remembered = Remembered {
            kid,
            claims: Arc::clone(&claims),
        };
        entries.insert(id, remembered);
        Some(claims)
    }

    fn lookup<'k>(
        &self,
        id: &[u8; 32],
        key_for: &impl Fn(&str) -> Option<&'k SigningKey>,
    ) -> Option<Arc<AccessTokenClaims>> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let hit = entries.get(id)?;
        if key_for(&hit.kid).is_some() {
            return Some(Arc::clone(&hit.claims));
        }
        entries.remove(id); // its key has left the ring
        None
    }

    /// How many tokens are remembered now.
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for VerifiedTokens {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing_key::{Algorithm, generate_pkcs8};
    use crate::token::TokenSettings;

    fn key() -> SigningKey {
        SigningKey::from_pkcs8(Algorithm::ES256, &generate_pkcs8(Algorithm::ES256).unwrap())
            .unwrap()
    }

    fn claims(sub: &str, iat: i64) -> AccessTokenClaims {
        let settings = TokenSettings {
            issuer: "i".into(),
            audience: "a".into(),
            access_token_lifetime: 60,
        };
        AccessTokenClaims::new(&settings, sub, "c", "x=y".into(), iat)
    }

    #[test]
    fn a_token_seen_again_is_answered_from_memory() {
        let key = key();
        let lookup = |kid: &str| (kid == key.kid()).then_some(&key);
        let memory = VerifiedTokens::new(8);
        let original = claims("s", 100);
        let token = original.sign(&key);
        let first = memory.verify(&token, 100, lookup).unwrap();
        assert_eq!(*first, original);
        let second = memory.verify(&token, 100, lookup).unwrap();
        assert!(
            Arc::ptr_eq(&first, &second),
            "the second answer is the remembered one"
        );
        assert_eq!(memory.len(), 1);
    }

    #[test]
    fn a_changed_token_is_checked_in_full_even_when_the_original_is_remembered() {
        let key = key();
        let lookup = |kid: &str| (kid == key.kid()).then_some(&key);
        let memory = VerifiedTokens::new(8);
        let token = claims("s", 100).sign(&key);
        assert!(memory.verify(&token, 100, lookup).is_some());
        let mut forged = token.clone();
        forged.replace_range(token.len() - 5..token.len() - 4, "A");
        if forged == token {
            forged.replace_range(token.len() - 5..token.len() - 4, "B");
        }
        assert_eq!(memory.verify(&forged, 100, lookup), None);
        let (header, rest) = token.split_once('.').unwrap();
        let (_, signature) = rest.rsplit_once('.').unwrap();
        let other_claims = crate::encoding::b64url(br#"{"sub":"admin"}"#);
        let spliced = format!("{header}.{other_claims}.{signature}");
        assert_eq!(memory.verify(&spliced, 100, lookup), None);
        assert_eq!(memory.len(), 1, "refused tokens are not remembered");
    }

    #[test]
    fn a_remembered_token_is_refused_once_its_key_leaves_the_ring() {
        let key = key();
        let memory = VerifiedTokens::new(8);
        let token = claims("s", 100).sign(&key);
        assert!(
            memory
                .verify(&token, 100, |kid| (kid == key.kid()).then_some(&key))
                .is_some()
        );
        assert_eq!(memory.verify(&token, 100, |_| None), None);
        assert!(memory.is_empty(), "the entry of a retired key is dropped");
    }

    #[test]
    fn when_full_expired_tokens_go_first_then_everything() {
        let key = key();
        let lookup = |kid: &str| (kid == key.kid()).then_some(&key);
        let memory = VerifiedTokens::new(3);
        // tokens issued at 0 expire at 60, those issued at 100 at 160
        memory
            .verify(&claims("old", 0).sign(&key), 0, lookup)
            .unwrap();
        memory
            .verify(&claims("a", 100).sign(&key), 100, lookup)
            .unwrap();
        memory
            .verify(&claims("b", 100).sign(&key), 100, lookup)
            .unwrap();
        assert_eq!(memory.len(), 3);
        memory
            .verify(&claims("c", 100).sign(&key), 100, lookup)
            .unwrap();
        assert_eq!(memory.len(), 3, "the expired token made room");
        memory
            .verify(&claims("d", 100).sign(&key), 100, lookup)
            .unwrap();
        assert_eq!(
            memory.len(),
            1,
            "nothing had expired: the memory was emptied"
        );
    }

    #[test]
    fn junk_and_oversized_tokens_are_refused() {
        let key = key();
        let lookup = |kid: &str| (kid == key.kid()).then_some(&key);
        let memory = VerifiedTokens::new(8);
        for junk in ["", "a.b", "a.b.c", "....", &"x".repeat(50_000)] {
            assert_eq!(memory.verify(junk, 100, lookup), None);
        }
        assert!(memory.is_empty());
    }
}
