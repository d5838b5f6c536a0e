//! Reading back access tokens this server issued: signature, header and claims.

use serde::Deserialize;

use crate::encoding::b64url_decode;
use crate::signing_key::SigningKey;
use crate::token::AccessTokenClaims;

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: String,
    typ: String,
}

/// The claims of `token` if it is a well-formed `at+jwt` whose signature verifies with the key
/// its `kid` names. Expiry and revocation are the caller's business.
pub fn verify<'k>(
    token: &str,
    key_for: impl Fn(&str) -> Option<&'k SigningKey>,
) -> Option<AccessTokenClaims> {
    verify_with_kid(token, key_for).map(|(_, claims)| claims)
}

/// [`verify`], also giving the `kid` of the key that verified the token.
pub(crate) fn verify_with_kid<'k>(
    token: &str,
    key_for: impl Fn(&str) -> Option<&'k SigningKey>,
) -> Option<(String, AccessTokenClaims)> {
    if token.len() > crate::client_auth::MAX_PARAM_LEN {
        return None;
    }
    let (signed, signature) = token.rsplit_once('.')?;
    let (header_b64, claims_b64) = signed.split_once('.')?;
    let header: Header = serde_json::from_slice(&b64url_decode(header_b64)?).ok()?;
    if header.typ != "at+jwt" {
        return None;
    }
    let key = key_for(&header.kid)?;
    if key.algorithm().as_str() != header.alg
        || !key.verify(signed.as_bytes(), &b64url_decode(signature)?)
    {
        return None;
    }
    let claims = serde_json::from_slice(&b64url_decode(claims_b64)?).ok()?;
    Some((header.kid, claims))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing_key::{Algorithm, generate_pkcs8};
    use crate::token::TokenSettings;

    #[test]
    fn accepts_own_tokens_and_nothing_else() {
        let key =
            SigningKey::from_pkcs8(Algorithm::ES256, &generate_pkcs8(Algorithm::ES256).unwrap())
                .unwrap();
        let other =
            SigningKey::from_pkcs8(Algorithm::ES256, &generate_pkcs8(Algorithm::ES256).unwrap())
                .unwrap();
        let settings = TokenSettings {
            issuer: "i".into(),
            audience: "a".into(),
            access_token_lifetime: 60,
        };
        let claims = AccessTokenClaims::new(&settings, "s", "c", "x=y".into(), 100);
        let token = claims.sign(&key);
        let lookup = |kid: &str| (kid == key.kid()).then_some(&key);
        assert_eq!(verify(&token, lookup), Some(claims.clone()));
        assert_eq!(verify(&claims.sign(&other), lookup), None, "unknown kid");
        let mut forged = token.clone();
        forged.replace_range(token.len() - 5..token.len() - 4, "A");
        assert_eq!(verify(&forged, lookup), None);
        for junk in ["", "a.b", "a.b.c", "....", &"x".repeat(50_000)] {
            assert_eq!(verify(junk, lookup), None);
        }
    }
}
