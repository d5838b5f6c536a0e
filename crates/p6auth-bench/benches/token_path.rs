//! The server's token path, piece by piece: client authentication, the grant, and signing.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use p6auth_bench::{claims, directory, entry, now, settings, signing_key};
use p6auth_core::client_auth::{FormParams, extract_credentials};
use p6auth_core::grant::client_credentials::{ClientCredentialsRequest, grant};
use p6auth_core::own_token;
use p6auth_core::signing_key::Algorithm;
use p6auth_core::verified_tokens::VerifiedTokens;

fn authenticate(c: &mut Criterion) {
    let mut g = c.benchmark_group("authenticate");
    for n in [10, 100_000] {
        let (dir, hasher, credentials) = directory(n);
        let t = now();
        g.bench_function(format!("valid secret, {n} integrations"), |b| {
            b.iter(|| {
                dir.authenticate(black_box(&credentials), &hasher, t)
                    .is_ok()
            })
        });
        let mut wrong = credentials.clone();
        wrong.client_id = "unknown".into();
        g.bench_function(format!("unknown id, {n} integrations"), |b| {
            b.iter(|| dir.authenticate(black_box(&wrong), &hasher, t).is_err())
        });
    }
    g.finish();
}

fn request(c: &mut Criterion) {
    let body = b"grant_type=client_credentials&client_id=00000000-0000-4000-8000-000000000009\
                 &client_secret=p6s_0123456789abcdef0123456789abcdef0123456789ab";
    c.bench_function("parse form and extract credentials", |b| {
        b.iter(|| {
            let form = FormParams::parse(black_box(body)).unwrap();
            extract_credentials(None, &form).is_ok()
        })
    });
}

fn sign(c: &mut Criterion) {
    let mut g = c.benchmark_group("sign access token");
    let claims = claims();
    for alg in [Algorithm::ES256, Algorithm::EdDSA, Algorithm::RS256] {
        let key = signing_key(alg);
        g.bench_function(alg.as_str(), |b| b.iter(|| black_box(&claims).sign(&key)));
    }
    g.finish();
}

/// Everything the token endpoint does between the parsed form and the JSON answer.
fn whole_token_path(c: &mut Criterion) {
    let (dir, hasher, credentials) = directory(10);
    let client = entry(&dir, &credentials);
    let settings = settings();
    let key = signing_key(Algorithm::ES256);
    let request = ClientCredentialsRequest::default();
    c.bench_function("authenticate + grant + sign ES256", |b| {
        b.iter(|| {
            let t = now();
            let ok = dir
                .authenticate(black_box(&credentials), &hasher, t)
                .unwrap();
            let claims = grant(&request, &ok.client, t, &settings).unwrap();
            claims.sign(&key)
        })
    });
    c.bench_function("grant (scope resolution and claims)", |b| {
        b.iter(|| grant(&request, black_box(client), 0, &settings).unwrap())
    });
}

/// Reading back one of our own tokens, as introspection and the data APIs do: the signature
/// checked every time, and the same token a second time from the node's memory.
fn read_back(c: &mut Criterion) {
    let mut g = c.benchmark_group("read back own token ES256");
    let key = signing_key(Algorithm::ES256);
    let token = claims().sign(&key);
    let lookup = |kid: &str| (kid == key.kid()).then_some(&key);
    g.bench_function("signature checked", |b| {
        b.iter(|| own_token::verify(black_box(&token), lookup).unwrap())
    });
    let memory = VerifiedTokens::default();
    let t = now();
    g.bench_function("remembered", |b| {
        b.iter(|| memory.verify(black_box(&token), t, lookup).unwrap())
    });
    g.finish();
}

criterion_group!(
    benches,
    authenticate,
    request,
    sign,
    whole_token_path,
    read_back
);
criterion_main!(benches);
