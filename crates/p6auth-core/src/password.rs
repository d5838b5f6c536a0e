//! User passwords: the policy, and argon2id hashing in PHC string form.
//!
//! Hashing and verifying cost tens of milliseconds of CPU on purpose; callers on an async
//! executor run them on a blocking thread.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::secret::random_bytes;

/// The shortest password accepted, in characters.
pub const MIN_LENGTH: usize = 10;
/// The longest, in bytes: bounds the work an attacker can ask of the hash.
pub const MAX_BYTES: usize = 1024;

/// The policy as shown on the forms.
pub const POLICY_TEXT: &str =
    "Use at least 10 characters. The password must not be your email address.";

/// Checks the policy; the error is a sentence for the form.
pub fn check_policy(password: &str, email: &str) -> Result<(), &'static str> {
    if password.chars().count() < MIN_LENGTH {
        return Err("The password must be at least 10 characters long.");
    }
    if password.len() > MAX_BYTES {
        return Err("The password must be at most 1024 bytes long.");
    }
    if password.trim().eq_ignore_ascii_case(email.trim()) {
        return Err("The password must not be your email address.");
    }
    Ok(())
}

/// argon2id with the OWASP-recommended minimum (19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string (`$argon2id$v=19$...`) of a password, with a fresh random salt.
pub fn hash(password: &str) -> String {
    let salt = SaltString::encode_b64(&random_bytes::<16>()).expect("16 bytes make a valid salt");
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing with valid parameters cannot fail")
        .to_string()
}

/// Whether `password` matches the PHC string `stored`. A malformed hash matches nothing.
pub fn verify(stored: &str, password: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash no password matches in practice, verified against for unknown accounts so that they
/// take as long to refuse as a wrong password.
pub const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$cDZhdXRoZGVjb3lzYWx0$Zh3Qb1YHZ1dm7ty2y8NuFu8QmvC6wBSb+dhT0u6LYiE";

/// Spends the time of one verification and answers `false`.
pub fn verify_decoy(password: &str) -> bool {
    let _ = verify(DECOY_HASH, password);
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_length_and_email() {
        assert_eq!(
            check_policy("short", "a@b.c"),
            Err("The password must be at least 10 characters long.")
        );
        assert_eq!(
            check_policy("ann@example.com", "ann@example.com"),
            Err("The password must not be your email address.")
        );
        assert_eq!(
            check_policy("Ann@Example.com", "ann@example.com"),
            Err("The password must not be your email address.")
        );
        assert_eq!(check_policy("correct horse", "ann@example.com"), Ok(()));
        assert_eq!(
            check_policy("ääääääääää", "a@b.c"),
            Ok(()),
            "characters, not bytes"
        );
    }

    #[test]
    fn hash_then_verify() {
        let h = hash("correct horse");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify(&h, "correct horse"));
        assert!(!verify(&h, "correct horsE"));
        assert!(!verify("not a hash", "x"));
        assert_ne!(hash("correct horse"), h, "salted");
        assert!(PasswordHash::new(DECOY_HASH).is_ok());
        assert!(!verify_decoy("anything"));
    }
}
