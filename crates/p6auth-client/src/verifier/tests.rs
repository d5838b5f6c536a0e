use serde_json::{Value, json};

use super::*;
use crate::clock::ManualClock;
use crate::jwt::test_keys::TestKey;

const ISS: &str = "https://auth.example";
const NOW: i64 = 1_800_000_000;

struct Fixture {
    key: TestKey,
    clock: ManualClock,
    verifier: Verifier,
}

fn fixture(options: impl FnOnce(&mut VerifierOptions)) -> Fixture {
    let key = TestKey::es256("k1");
    let other = TestKey::ed25519("k2");
    let clock = ManualClock::new(NOW);
    let mut o = VerifierOptions::new(ISS);
    options(&mut o);
    let jwks = json!({"keys": [key.jwk(), other.jwk()]}).to_string();
    let verifier = Verifier::builder(o)
        .clock(Arc::new(clock.clone()))
        .fixed_jwks(jwks)
        .build()
        .unwrap();
    Fixture {
        key,
        clock,
        verifier,
    }
}

fn claims() -> Value {
    json!({"iss": ISS, "sub": "app", "aud": ISS, "iat": NOW, "exp": NOW + 600,
           "jti": "j", "client_id": "app", "scope": "acme:orgs=read"})
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

async fn verify(f: &Fixture, token: &str) -> Result<Claims, VerifyError> {
    f.verifier.verify(token).await
}

#[tokio::test]
async fn a_good_token_verifies_with_its_claims() {
    let f = fixture(|_| {});
    let c = verify(&f, &f.key.token(&claims())).await.unwrap();
    assert_eq!(c.sub, "app");
    assert_eq!((c.kid.as_str(), c.alg), ("k1", Algorithm::ES256));
    assert!(c.allows("acme:orgs=read"));
    // an audience array that includes ours
    let t = f.key.token(&with(claims(), "aud", json!(["x", ISS])));
    assert!(verify(&f, &t).await.is_ok());
}

#[tokio::test]
async fn times_are_checked_with_the_leeway() {
    let f = fixture(|_| {});
    let t = f.key.token(&claims());
    f.clock.set(NOW + 600 + 59);
    assert!(verify(&f, &t).await.is_ok(), "within the 60 s leeway");
    f.clock.set(NOW + 600 + 60);
    assert!(matches!(
        verify(&f, &t).await,
        Err(VerifyError::Expired { .. })
    ));
    f.clock.set(NOW);
    let early = f.key.token(&with(claims(), "nbf", json!(NOW + 61)));
    assert!(matches!(
        verify(&f, &early).await,
        Err(VerifyError::NotYetValid { .. })
    ));
    let future = f.key.token(&with(claims(), "iat", json!(NOW + 61)));
    assert!(matches!(
        verify(&f, &future).await,
        Err(VerifyError::IssuedInFuture { .. })
    ));
    let f = fixture(|o| o.leeway = 180);
    f.clock.set(NOW + 600 + 179);
    assert!(verify(&f, &f.key.token(&claims())).await.is_ok());
}

#[tokio::test]
async fn issuer_audience_type_and_algorithm() {
    let f = fixture(|_| {});
    let t = f
        .key
        .token(&with(claims(), "iss", json!("https://auth.example/")));
    assert!(matches!(
        verify(&f, &t).await,
        Err(VerifyError::WrongIssuer { .. })
    ));
    let t = f.key.token(&with(claims(), "aud", json!("other")));
    assert!(matches!(
        verify(&f, &t).await,
        Err(VerifyError::WrongAudience { .. })
    ));
    let t = f.key.sign(
        &json!({"alg": "ES256", "kid": "k1", "typ": "JWT"}),
        &claims(),
    );
    assert_eq!(
        verify(&f, &t).await.unwrap_err(),
        VerifyError::WrongType("JWT".into())
    );
    let t = f.key.sign(
        &json!({"alg": "ES256", "kid": "k1", "typ": "application/at+jwt"}),
        &claims(),
    );
    assert!(verify(&f, &t).await.is_ok());
    let t = f.key.sign(
        &json!({"alg": "none", "kid": "k1", "typ": "at+jwt"}),
        &claims(),
    );
    assert!(matches!(
        verify(&f, &t).await,
        Err(VerifyError::AlgorithmNotAllowed(_))
    ));
    // the header claims EdDSA but k1 is an ES256 key
    let t = f.key.sign(
        &json!({"alg": "EdDSA", "kid": "k1", "typ": "at+jwt"}),
        &claims(),
    );
    assert!(matches!(
        verify(&f, &t).await,
        Err(VerifyError::AlgorithmNotAllowed(_))
    ));
    let f = fixture(|o| o.algorithms = vec![Algorithm::EdDSA]);
    assert!(matches!(
        verify(&f, &f.key.token(&claims())).await,
        Err(VerifyError::AlgorithmNotAllowed(_))
    ));
}

#[tokio::test]
async fn keys_and_signatures() {
    let f = fixture(|_| {});
    let stranger = TestKey::es256("k9");
    assert_eq!(
        verify(&f, &stranger.token(&claims())).await.unwrap_err(),
        VerifyError::UnknownKey("k9".into())
    );
    // a valid signature by another key, under k1's kid
    let forged = TestKey::es256("k1").token(&claims());
    assert_eq!(
        verify(&f, &forged).await.unwrap_err(),
        VerifyError::BadSignature
    );
    let t = f.key.token(&claims());
    let (head, _) = t.rsplit_once('.').unwrap();
    let (_, sig) = forged.rsplit_once('.').unwrap();
    assert_eq!(
        verify(&f, &format!("{head}.{sig}")).await.unwrap_err(),
        VerifyError::BadSignature
    );
}

#[tokio::test]
async fn the_revocation_hook_runs_after_verification() {
    struct RevokeJti(&'static str);
    impl RevocationCheck for RevokeJti {
        fn is_revoked(&self, claims: &Claims) -> bool {
            claims.jti.as_deref() == Some(self.0)
        }
    }
    let key = TestKey::es256("k1");
    let verifier = Verifier::builder(VerifierOptions::new(ISS))
        .clock(Arc::new(ManualClock::new(NOW)))
        .fixed_jwks(json!({"keys": [key.jwk()]}).to_string())
        .revocation_check(Arc::new(RevokeJti("j")))
        .build()
        .unwrap();
    assert_eq!(
        verifier.verify(&key.token(&claims())).await.unwrap_err(),
        VerifyError::Revoked
    );
    let other = with(claims(), "jti", json!("j2"));
    assert!(verifier.verify(&key.token(&other)).await.is_ok());
}
