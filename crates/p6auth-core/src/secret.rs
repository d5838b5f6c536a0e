//! Generated credentials and their keyed hashes.
//!
//! App Secrets carry 256 bits of entropy, so a slow password hash adds nothing: they are stored as
//! HMAC-SHA256 under a server key (the "pepper", derived from the master key) and compared in
//! constant time. A stolen database therefore yields neither secrets nor a way to test guesses.

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use subtle::ConstantTimeEq;

use crate::encoding::b64url;

/// Prefix of every generated App Secret; lets secret scanners recognise leaked ones.
pub const SECRET_PREFIX: &str = "p6s_";

/// A secret as presented by a client or freshly generated. Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct PlainSecret(String);

impl PlainSecret {
    pub fn new(value: String) -> Self {
        Self(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PlainSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlainSecret(<redacted>)")
    }
}

/// The stored form of a secret: HMAC-SHA256(pepper, secret).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretHash(pub [u8; 32]);

impl std::fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretHash(..)")
    }
}

impl SecretHash {
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }

    /// Constant-time equality.
    pub fn matches(&self, other: &SecretHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

/// Computes keyed hashes of secrets.
#[derive(Clone)]
pub struct SecretHasher {
    key: hmac::Key,
}

impl std::fmt::Debug for SecretHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretHasher(..)")
    }
}

impl SecretHasher {
    pub fn new(pepper: &[u8]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, pepper),
        }
    }

    pub fn hash(&self, secret: &str) -> SecretHash {
        let tag = hmac::sign(&self.key, secret.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        SecretHash(out)
    }
}

/// Fills `N` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // SystemRandom reads getrandom(2); it fails only on a broken kernel, where nothing is safe.
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the operating system's random number generator failed");
    bytes
}

/// A new App Secret: the prefix and 256 random bits in base64url, so only `A-Z a-z 0-9 - _`.
pub fn generate_app_secret() -> PlainSecret {
    PlainSecret(format!("{SECRET_PREFIX}{}", b64url(random_bytes::<32>())))
}

/// A new Application ID: a random (version 4) UUID. It never contains ':'.
pub fn generate_application_id() -> String {
    let mut b = random_bytes::<16>();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Whether `id` has the shape [`generate_application_id`] gives: a lower-case version 4 UUID.
pub fn is_generated_application_id(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
        && b[14] == b'4'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b')
}

/// Whether `secret` has the shape [`generate_app_secret`] gives: the prefix and 43 base64url
/// characters (256 bits), so a secret brought by a caller is as strong as a generated one.
pub fn is_generated_app_secret(secret: &str) -> bool {
    secret.strip_prefix(SECRET_PREFIX).is_some_and(|rest| {
        rest.len() == 43
            && rest
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secret_has_256_bits_in_the_unreserved_alphabet() {
        let s = generate_app_secret();
        let body = s.expose().strip_prefix(SECRET_PREFIX).unwrap();
        assert_eq!(body.len(), 43); // 32 bytes in unpadded base64
        assert_eq!(crate::encoding::b64url_decode(body).unwrap().len(), 32);
        assert!(
            s.expose()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"-._~".contains(&c))
        );
        assert_ne!(generate_app_secret(), s);
    }

    #[test]
    fn application_id_is_a_v4_uuid_without_colon() {
        let id = generate_application_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(!id.contains(':'));
        assert_eq!(id.matches('-').count(), 4);
    }

    #[test]
    fn keyed_hash_depends_on_key_and_secret() {
        let a = SecretHasher::new(b"key-a");
        let b = SecretHasher::new(b"key-b");
        assert!(a.hash("s").matches(&a.hash("s")));
        assert!(!a.hash("s").matches(&a.hash("t")));
        assert!(!a.hash("s").matches(&b.hash("s")));
        assert_eq!(
            format!("{:?}", PlainSecret::new("hunter2".into())),
            "PlainSecret(<redacted>)"
        );
    }

    #[test]
    fn generated_values_have_the_generated_shapes() {
        for _ in 0..50 {
            assert!(is_generated_application_id(&generate_application_id()));
            assert!(is_generated_app_secret(generate_app_secret().expose()));
        }
        assert!(!is_generated_application_id("not-a-uuid"));
        assert!(!is_generated_application_id(
            "6F9619FF-8B86-4011-B42D-00C04FC964FF"
        ));
        assert!(!is_generated_app_secret("p6s_short"));
        assert!(!is_generated_app_secret(&format!(
            "x{}",
            &generate_app_secret().expose()[1..]
        )));
    }
}
