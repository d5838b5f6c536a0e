//! Signing keys for JWT access tokens.
//!
//! A key pair is parsed once and kept, so minting a token costs one signature. The key id is the
//! RFC 7638 thumbprint of the public key, so it is unique and stable.

use ring::digest::{SHA256, digest};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::encoding::b64url;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Algorithm {
    ES256,
    EdDSA,
    RS256,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ES256 => "ES256",
            Self::EdDSA => "EdDSA",
            Self::RS256 => "RS256",
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Algorithm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ES256" => Ok(Self::ES256),
            "EdDSA" => Ok(Self::EdDSA),
            "RS256" => Ok(Self::RS256),
            other => Err(format!(
                "unknown signing algorithm {other:?}; choose ES256, EdDSA or RS256"
            )),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("the {0} private key could not be parsed")]
    Parse(Algorithm),
    #[error("{0}")]
    Generation(String),
}

enum KeyPairKind {
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
    Rsa(RsaKeyPair),
}

/// A parsed private key with its precomputed JWS header and public JWK.
pub struct SigningKey {
    kid: String,
    alg: Algorithm,
    pair: KeyPairKind,
    /// The public key in ring's format for this algorithm, for verifying our own tokens.
    public_key: Vec<u8>,
    header_b64: String,
    public_jwk: Value,
    rng: SystemRandom,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// A new private key in PKCS#8 DER form.
pub fn generate_pkcs8(alg: Algorithm) -> Result<Vec<u8>, KeyError> {
    let rng = SystemRandom::new();
    let doc = match alg {
        Algorithm::ES256 => {
            EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        }
        Algorithm::EdDSA => Ed25519KeyPair::generate_pkcs8(&rng),
        Algorithm::RS256 => return generate_rsa_pkcs8(),
    };
    doc.map(|d| d.as_ref().to_vec())
        .map_err(|_| KeyError::Parse(alg))
}

/// ring signs with RSA but cannot generate RSA keys; the `rsa` crate does that, once per key.
fn generate_rsa_pkcs8() -> Result<Vec<u8>, KeyError> {
    use rsa::pkcs8::EncodePrivateKey;
    let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, RSA_BITS)
        .map_err(|e| KeyError::Generation(format!("RSA key generation failed: {e}")))?;
    let der = key
        .to_pkcs8_der()
        .map_err(|e| KeyError::Generation(format!("RSA key encoding failed: {e}")))?;
    Ok(der.as_bytes().to_vec())
}

/// RSA modulus size of generated keys.
pub const RSA_BITS: usize = 2048;

impl SigningKey {
    pub fn from_pkcs8(alg: Algorithm, der: &[u8]) -> Result<Self, KeyError> {
        let rng = SystemRandom::new();
        let bad = |_| KeyError::Parse(alg);
        let public_key;
        let (pair, thumbprint_members) = match alg {
            Algorithm::ES256 => {
                let kp = EcdsaKeyPair::from_pkcs8(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    der,
                    &rng,
                )
                .map_err(bad)?;
                let point = kp.public_key().as_ref();
                public_key = point.to_vec();
                let members = json!({
                    "crv": "P-256", "kty": "EC",
                    "x": b64url(&point[1..33]), "y": b64url(&point[33..65]),
                });
                (KeyPairKind::Ecdsa(kp), members)
            }
            Algorithm::EdDSA => {
                let kp = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(bad)?;
                public_key = kp.public_key().as_ref().to_vec();
                let members = json!({
                    "crv": "Ed25519", "kty": "OKP", "x": b64url(kp.public_key().as_ref()),
                });
                (KeyPairKind::Ed25519(kp), members)
            }
            Algorithm::RS256 => {
                let kp = RsaKeyPair::from_pkcs8(der).map_err(bad)?;
                public_key = kp.public_key().as_ref().to_vec();
                let public: signature::RsaPublicKeyComponents<Vec<u8>> = kp.public().into();
                let members =
                    json!({ "e": b64url(&public.e), "kty": "RSA", "n": b64url(&public.n) });
                (KeyPairKind::Rsa(kp), members)
            }
        };
        // serde_json's map is ordered by key, which is the RFC 7638 canonical order.
        let canonical = thumbprint_members.to_string();
        let kid = b64url(digest(&SHA256, canonical.as_bytes()));
        let mut public_jwk = thumbprint_members;
        public_jwk["kid"] = json!(kid);
        public_jwk["alg"] = json!(alg.as_str());
        public_jwk["use"] = json!("sig");
        let header = json!({ "alg": alg.as_str(), "kid": kid, "typ": "at+jwt" });
        Ok(Self {
            header_b64: b64url(header.to_string()),
            kid,
            alg,
            pair,
            public_key,
            public_jwk,
            rng,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The public JWK (RFC 7517) with `kid`, `alg` and `use: sig`; no private members.
    pub fn public_jwk(&self) -> &Value {
        &self.public_jwk
    }

    /// Signs `claims` (JSON bytes) as a compact JWS with the `at+jwt` header.
    pub fn sign_jwt(&self, claims: &[u8]) -> String {
        let mut out = String::with_capacity(self.header_b64.len() + claims.len() * 4 / 3 + 110);
        out.push_str(&self.header_b64);
        out.push('.');
        out.push_str(&b64url(claims));
        let signature = self.sign(out.as_bytes());
        out.push('.');
        out.push_str(&b64url(signature));
        out
    }

    /// Checks a signature made by this key (for introspection of our own tokens).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let alg: &dyn signature::VerificationAlgorithm = match self.alg {
            Algorithm::ES256 => &signature::ECDSA_P256_SHA256_FIXED,
            Algorithm::EdDSA => &signature::ED25519,
            Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        };
        signature::UnparsedPublicKey::new(alg, &self.public_key)
            .verify(message, signature)
            .is_ok()
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        // Signing fails only if the system RNG fails, where no safe answer exists.
        match &self.pair {
            KeyPairKind::Ecdsa(kp) => kp
                .sign(&self.rng, message)
                .expect("ECDSA signing failed")
                .as_ref()
                .to_vec(),
            KeyPairKind::Ed25519(kp) => kp.sign(message).as_ref().to_vec(),
            KeyPairKind::Rsa(kp) => {
                let mut sig = vec![0u8; kp.public().modulus_len()];
                kp.sign(&signature::RSA_PKCS1_SHA256, &self.rng, message, &mut sig)
                    .expect("RSA signing failed");
                sig
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::b64url_decode;

    fn verify(key: &SigningKey, jwt: &str) -> bool {
        let (signed, sig) = jwt.rsplit_once('.').unwrap();
        let sig = b64url_decode(sig).unwrap();
        let jwk = key.public_jwk();
        let field = |k: &str| b64url_decode(jwk[k].as_str().unwrap()).unwrap();
        match key.algorithm() {
            Algorithm::ES256 => {
                let mut point = vec![4u8];
                point.extend(field("x"));
                point.extend(field("y"));
                signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(signed.as_bytes(), &sig)
                    .is_ok()
            }
            Algorithm::EdDSA => signature::UnparsedPublicKey::new(&signature::ED25519, field("x"))
                .verify(signed.as_bytes(), &sig)
                .is_ok(),
            Algorithm::RS256 => {
                let key = signature::RsaPublicKeyComponents {
                    n: field("n"),
                    e: field("e"),
                };
                key.verify(
                    &signature::RSA_PKCS1_2048_8192_SHA256,
                    signed.as_bytes(),
                    &sig,
                )
                .is_ok()
            }
        }
    }

    #[test]
    fn every_algorithm_signs_verifiable_jwts() {
        for alg in [Algorithm::ES256, Algorithm::EdDSA, Algorithm::RS256] {
            let der = generate_pkcs8(alg).unwrap();
            let key = SigningKey::from_pkcs8(alg, &der).unwrap();
            let jwt = key.sign_jwt(br#"{"sub":"x"}"#);
            assert!(verify(&key, &jwt), "{alg}");
            let (signed, sig) = jwt.rsplit_once('.').unwrap();
            assert!(key.verify(signed.as_bytes(), &b64url_decode(sig).unwrap()));
            assert!(!key.verify(b"other", &b64url_decode(sig).unwrap()));
            let header: Value =
                serde_json::from_slice(&b64url_decode(jwt.split('.').next().unwrap()).unwrap())
                    .unwrap();
            assert_eq!(
                header,
                json!({"alg": alg.as_str(), "kid": key.kid(), "typ": "at+jwt"})
            );
            assert_eq!(key.public_jwk()["use"], "sig");
            assert!(key.public_jwk().get("d").is_none());
            // the kid is the thumbprint: the same key parsed again has the same kid
            assert_eq!(SigningKey::from_pkcs8(alg, &der).unwrap().kid(), key.kid());
            let mut tampered = jwt.clone();
            tampered.insert(jwt.find('.').unwrap() + 2, 'A');
            assert!(!verify(&key, &tampered));
        }
    }

    #[test]
    fn rejects_garbage_keys() {
        assert_eq!(
            SigningKey::from_pkcs8(Algorithm::ES256, b"nope").unwrap_err(),
            KeyError::Parse(Algorithm::ES256)
        );
        assert!("HS256".parse::<Algorithm>().is_err());
    }
}

/// A signing key as the store keeps it: the private key sealed under the master key.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSigningKey {
    pub kid: String,
    pub alg: Algorithm,
    /// PKCS#8 DER sealed with [`crate::master_key::MasterKey::seal`], the kid as context.
    pub sealed_private_key: Vec<u8>,
    pub public_jwk: String,
    pub created_at: i64,
    /// Published from creation; signs from this time on.
    pub activates_at: i64,
}

impl std::fmt::Debug for StoredSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("created_at", &self.created_at)
            .field("activates_at", &self.activates_at)
            .finish_non_exhaustive()
    }
}
