//! JWT verification in the client SDK, as a resource server does it for every request: split,
//! find the key by kid in the cached JWKS, check the signature and the claims, parse the scope.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use p6auth_bench::{ISSUER, claims, signing_key};
use p6auth_client::{Verifier, VerifierOptions};
use p6auth_core::signing_key::Algorithm;

fn verify(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut g = c.benchmark_group("client verify");
    for alg in [Algorithm::ES256, Algorithm::EdDSA, Algorithm::RS256] {
        let key = signing_key(alg);
        let jwks = serde_json::json!({ "keys": [key.public_jwk()] }).to_string();
        let verifier = Verifier::builder(VerifierOptions::new(ISSUER))
            .fixed_jwks(jwks)
            .build()
            .unwrap();
        let token = claims().sign(&key);
        rt.block_on(verifier.verify(&token))
            .expect("the token verifies");
        g.bench_function(alg.as_str(), |b| {
            b.iter(|| rt.block_on(verifier.verify(black_box(&token))).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
