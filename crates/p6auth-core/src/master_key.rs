//! The master key: 32 random bytes kept outside the database (a 0600 file in the data dir, or
//! supplied by the operator). Two keys are derived from it: the pepper for secret hashes and the
//! key that seals signing keys at rest, so a copy of the database alone reveals neither.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hmac;

use crate::secret::{SecretHasher, random_bytes};

pub const MASTER_KEY_LEN: usize = 32;

#[derive(Clone)]
pub struct MasterKey([u8; MASTER_KEY_LEN]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("the master key must be exactly {MASTER_KEY_LEN} bytes")]
    BadLength,
    #[error("sealed data could not be opened: wrong master key or corrupted data")]
    Open,
}

impl MasterKey {
    pub fn generate() -> Self {
        Self(random_bytes())
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SealError> {
        Ok(Self(bytes.try_into().map_err(|_| SealError::BadLength)?))
    }

    pub fn as_bytes(&self) -> &[u8; MASTER_KEY_LEN] {
        &self.0
    }

    fn derive(&self, label: &str) -> [u8; 32] {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.0);
        let mut out = [0u8; 32];
        out.copy_from_slice(hmac::sign(&key, label.as_bytes()).as_ref());
        out
    }

    pub fn secret_hasher(&self) -> SecretHasher {
        SecretHasher::new(&self.derive("p6auth secret pepper v1"))
    }

    fn sealing_key(&self) -> LessSafeKey {
        let unbound = UnboundKey::new(&AES_256_GCM, &self.derive("p6auth key sealing v1"))
            .expect("AES-256 takes a 32-byte key");
        LessSafeKey::new(unbound)
    }

    /// Encrypts `plain` with AES-256-GCM; `context` is authenticated (for example the key id).
    pub fn seal(&self, context: &str, plain: &[u8]) -> Vec<u8> {
        let nonce_bytes: [u8; NONCE_LEN] = random_bytes();
        let mut data = plain.to_vec();
        self.sealing_key()
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(context.as_bytes()),
                &mut data,
            )
            .expect("sealing a small buffer cannot fail");
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&data);
        out
    }

    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        if sealed.len() < NONCE_LEN {
            return Err(SealError::Open);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Open)?;
        let mut data = body.to_vec();
        let plain = self
            .sealing_key()
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut data)
            .map_err(|_| SealError::Open)?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_roundtrip_and_tamper_detection() {
        let k = MasterKey::generate();
        let sealed = k.seal("kid-1", b"private");
        assert_eq!(k.open("kid-1", &sealed).unwrap(), b"private");
        assert_eq!(k.open("kid-2", &sealed), Err(SealError::Open));
        assert_eq!(
            MasterKey::generate().open("kid-1", &sealed),
            Err(SealError::Open)
        );
        let mut bad = sealed.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert_eq!(k.open("kid-1", &bad), Err(SealError::Open));
        assert_eq!(
            MasterKey::from_bytes(b"short").unwrap_err(),
            SealError::BadLength
        );
    }
}
