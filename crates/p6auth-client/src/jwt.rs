//! Compact JWS parsing, JWK parsing and signature checks with ring.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED, ED25519, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents,
    UnparsedPublicKey,
};
use serde_json::Value;

use crate::verifier::VerifyError;

/// The signature algorithms a verifier may accept; no `none`, no HMAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    ES256,
    EdDSA,
    RS256,
}

impl Algorithm {
    pub const ALL: [Algorithm; 3] = [Self::ES256, Self::EdDSA, Self::RS256];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ES256 => "ES256",
            Self::EdDSA => "EdDSA",
            Self::RS256 => "RS256",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A public key from a JWKS, parsed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PublicKey {
    alg: Algorithm,
    material: Material,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Material {
    /// The uncompressed P-256 point, `04 || x || y`.
    Ec(Vec<u8>),
    Ed25519(Vec<u8>),
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
}

fn b64(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

impl PublicKey {
    /// Parses one JWK. Its algorithm comes from `alg`, or from `kty`/`crv` when absent.
    pub fn from_jwk(jwk: &Value) -> Result<(String, PublicKey), String> {
        let field = |name: &str| jwk.get(name).and_then(Value::as_str);
        let bytes = |name: &str| {
            field(name)
                .and_then(b64)
                .ok_or_else(|| format!("member {name} is missing or not base64url"))
        };
        let kid = field("kid").ok_or("no kid")?.to_string();
        if field("use").is_some_and(|u| u != "sig") {
            return Err(format!("key {kid} is not for signatures"));
        }
        let (derived, material) = match (field("kty"), field("crv")) {
            (Some("EC"), Some("P-256")) => {
                let (x, y) = (bytes("x")?, bytes("y")?);
                if x.len() != 32 || y.len() != 32 {
                    return Err(format!("key {kid}: bad P-256 coordinates"));
                }
                let mut point = vec![4u8];
                point.extend(x);
                point.extend(y);
                (Algorithm::ES256, Material::Ec(point))
            }
            (Some("OKP"), Some("Ed25519")) => (Algorithm::EdDSA, Material::Ed25519(bytes("x")?)),
            (Some("RSA"), _) => (
                Algorithm::RS256,
                Material::Rsa {
                    n: bytes("n")?,
                    e: bytes("e")?,
                },
            ),
            (kty, crv) => return Err(format!("key {kid}: unsupported kty {kty:?} / crv {crv:?}")),
        };
        let alg = match field("alg") {
            None => derived,
            Some(a) => match Algorithm::parse(a) {
                Some(alg) if alg == derived => alg,
                _ => return Err(format!("key {kid}: alg {a} does not fit the key type")),
            },
        };
        Ok((kid, PublicKey { alg, material }))
    }

    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.material {
            Material::Ec(point) => UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                .verify(message, signature)
                .is_ok(),
            Material::Ed25519(x) => UnparsedPublicKey::new(&ED25519, x)
                .verify(message, signature)
                .is_ok(),
            Material::Rsa { n, e } => RsaPublicKeyComponents { n, e }
                .verify(&RSA_PKCS1_2048_8192_SHA256, message, signature)
                .is_ok(),
        }
    }
}

/// The keys of a JWKS document, by kid. Keys that do not parse are skipped and reported.
pub(crate) fn parse_jwks(
    document: &[u8],
) -> Result<(HashMap<String, PublicKey>, Vec<String>), String> {
    let value: Value =
        serde_json::from_slice(document).map_err(|e| format!("the JWKS is not JSON: {e}"))?;
    let keys = value
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("the JWKS has no keys array")?;
    let mut parsed = HashMap::new();
    let mut skipped = Vec::new();
    for jwk in keys {
        match PublicKey::from_jwk(jwk) {
            Ok((kid, key)) => {
                parsed.insert(kid, key);
            }
            Err(e) => skipped.push(e),
        }
    }
    Ok((parsed, skipped))
}

/// A compact JWS split into its parts, nothing checked yet but the syntax.
pub(crate) struct Jws<'a> {
    pub header: Value,
    pub payload: Vec<u8>,
    /// `header.payload`, the signed bytes.
    pub signed: &'a str,
    pub signature: Vec<u8>,
}

impl<'a> Jws<'a> {
    pub fn parse(token: &'a str) -> Result<Self, VerifyError> {
        let malformed = |why: &str| VerifyError::Malformed(why.to_string());
        let (signed, signature) = token
            .rsplit_once('.')
            .ok_or_else(|| malformed("not a JWT"))?;
        let (header, payload) = signed
            .split_once('.')
            .ok_or_else(|| malformed("not a JWT"))?;
        if payload.contains('.') {
            return Err(malformed(
                "not a compact JWS (encrypted tokens are not accepted)",
            ));
        }
        let header = b64(header)
            .and_then(|h| serde_json::from_slice::<Value>(&h).ok())
            .filter(Value::is_object)
            .ok_or_else(|| malformed("the header is not base64url JSON"))?;
        Ok(Self {
            header,
            payload: b64(payload).ok_or_else(|| malformed("the payload is not base64url"))?,
            signed,
            signature: b64(signature).ok_or_else(|| malformed("the signature is not base64url"))?,
        })
    }

    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }

    /// The header's `alg`, if it is one this crate knows.
    pub fn algorithm(&self) -> Result<Algorithm, VerifyError> {
        let alg = self.header_str("alg").unwrap_or("");
        Algorithm::parse(alg).ok_or_else(|| VerifyError::AlgorithmNotAllowed(alg.to_string()))
    }
}

#[cfg(test)]
pub(crate) mod test_keys {
    //! Keys and tokens made here, for unit tests that need no server.
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
    use serde_json::{Value, json};

    use super::*;

    pub enum Signer {
        Ec(EcdsaKeyPair),
        Ed(Ed25519KeyPair),
    }

    pub struct TestKey {
        pub kid: String,
        pub signer: Signer,
    }

    impl TestKey {
        pub fn es256(kid: &str) -> Self {
            let rng = SystemRandom::new();
            let der = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
            let pair =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der.as_ref(), &rng)
                    .unwrap();
            Self {
                kid: kid.into(),
                signer: Signer::Ec(pair),
            }
        }

        pub fn ed25519(kid: &str) -> Self {
            let der = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
            Self {
                kid: kid.into(),
                signer: Signer::Ed(Ed25519KeyPair::from_pkcs8(der.as_ref()).unwrap()),
            }
        }

        pub fn jwk(&self) -> Value {
            let e = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
            match &self.signer {
                Signer::Ec(p) => {
                    let pt = p.public_key().as_ref();
                    json!({"kty": "EC", "crv": "P-256", "x": e(&pt[1..33]), "y": e(&pt[33..]),
                           "kid": self.kid, "alg": "ES256", "use": "sig"})
                }
                Signer::Ed(p) => json!({"kty": "OKP", "crv": "Ed25519",
                    "x": e(p.public_key().as_ref()), "kid": self.kid, "alg": "EdDSA", "use": "sig"}),
            }
        }

        pub fn sign(&self, header: &Value, claims: &Value) -> String {
            let e = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
            let signed = format!("{}.{}", e(header), e(claims));
            let sig = match &self.signer {
                Signer::Ec(p) => p
                    .sign(&SystemRandom::new(), signed.as_bytes())
                    .unwrap()
                    .as_ref()
                    .to_vec(),
                Signer::Ed(p) => p.sign(signed.as_bytes()).as_ref().to_vec(),
            };
            format!("{signed}.{}", URL_SAFE_NO_PAD.encode(sig))
        }

        pub fn alg(&self) -> &'static str {
            match self.signer {
                Signer::Ec(_) => "ES256",
                Signer::Ed(_) => "EdDSA",
            }
        }

        /// An `at+jwt` with this key's kid and alg.
        pub fn token(&self, claims: &Value) -> String {
            self.sign(
                &json!({"alg": self.alg(), "kid": self.kid, "typ": "at+jwt"}),
                claims,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_keys::TestKey;
    use super::*;
    use serde_json::json;

    #[test]
    fn jwks_keys_verify_their_signatures() {
        for key in [TestKey::es256("a"), TestKey::ed25519("b")] {
            let jwks = json!({"keys": [key.jwk(), {"kty": "oct", "kid": "h", "k": "AA"}]});
            let (keys, skipped) = parse_jwks(jwks.to_string().as_bytes()).unwrap();
            assert_eq!(skipped.len(), 1, "symmetric keys are skipped");
            let token = key.token(&json!({"sub": "x"}));
            let jws = Jws::parse(&token).unwrap();
            let public = &keys[&key.kid];
            assert!(public.verify(jws.signed.as_bytes(), &jws.signature));
            assert!(!public.verify(b"other", &jws.signature));
        }
    }

    #[test]
    fn a_jwk_alg_must_fit_its_key() {
        let key = TestKey::es256("a");
        let mut jwk = key.jwk();
        jwk["alg"] = json!("RS256");
        assert!(
            PublicKey::from_jwk(&jwk)
                .unwrap_err()
                .contains("does not fit")
        );
        jwk["alg"] = json!("HS256");
        assert!(PublicKey::from_jwk(&jwk).is_err());
        jwk.as_object_mut().unwrap().remove("alg");
        assert_eq!(
            PublicKey::from_jwk(&jwk).unwrap().1.algorithm(),
            Algorithm::ES256
        );
        jwk["use"] = json!("enc");
        assert!(PublicKey::from_jwk(&jwk).is_err());
    }

    #[test]
    fn malformed_tokens() {
        for bad in [
            "",
            "a",
            "a.b",
            "a.b.c.d.e",
            "!!.e30.AA",
            "e30.!!.AA",
            "e30.e30.!!",
        ] {
            assert!(
                matches!(Jws::parse(bad), Err(VerifyError::Malformed(_))),
                "{bad}"
            );
        }
    }
}
