//! The client SDK's verifier and middleware against the real server: a key rotation picked up
//! through the JWKS, and the example resource server's 401 and 403 answers, header for header.

mod support;

use std::time::Duration;

use p6auth_client::config::{ClientConfig, LoadOptions};
use p6auth_client::{TokenSource, Verifier, VerifierOptions, VerifyError};
use support::proxy::Proxy;
use support::*;

fn tokens_for(url: &str, c: &Credentials) -> TokenSource {
    let text = format!(
        "p6auth {{ url: \"{url}\", client {{ id: \"{}\", secret: \"{}\" }} }}",
        c.id, c.secret
    );
    let env = |_: &str| None;
    TokenSource::new(
        ClientConfig::parse_hocon(&text, "test.conf", &LoadOptions::with_env(&env)).unwrap(),
    )
}

/// Rotates the signing key of a running server with the CLI; returns the new kid.
async fn rotate_key(data_dir: &std::path::Path) -> String {
    let out = cli_ok(
        data_dir,
        &[
            "keys",
            "rotate",
            "--prepublish",
            "0",
            "--algorithm",
            "EdDSA",
        ],
    );
    out.strip_prefix("created signing key ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("unexpected output: {out}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verifier_picks_up_a_rotated_key_and_rate_limits_refetches() {
    let dir = tempfile::tempdir().unwrap();
    let c = seed(dir.path());
    let server = Server::start(dir.path(), &[]);
    let proxy = Proxy::start(&server.addr);
    let issuer = server.url("");
    let tokens = tokens_for(&issuer, &c);

    // the metadata is read through the counting proxy
    let options = |min_refetch: Duration| VerifierOptions {
        metadata_url: Some(proxy.url("http") + "/.well-known/oauth-authorization-server"),
        min_refetch_interval: min_refetch,
        ..VerifierOptions::new(issuer.clone())
    };
    let eager = Verifier::new(options(Duration::ZERO));
    let strict = Verifier::new(options(Duration::from_secs(60)));

    let old = tokens.token().await.unwrap();
    let old_claims = eager.verify(&old.token).await.unwrap();
    assert!(old_claims.allows("acme:users=read('./')"));
    assert!(strict.verify(&old.token).await.is_ok());
    assert_eq!((eager.jwks_fetches(), strict.jwks_fetches()), (1, 1));
    // cached: no more fetches
    for _ in 0..5 {
        eager.verify(&old.token).await.unwrap();
    }
    assert_eq!(eager.jwks_fetches(), 1);

    let new_kid = rotate_key(dir.path()).await;
    let rotated = within(Duration::from_secs(2), || {
        server.get("/.well-known/jwks.json").json()["keys"]
            .as_array()
            .is_some_and(|k| k.len() == 2)
    });
    assert!(rotated.is_some(), "the server publishes the new key");
    tokens.invalidate();
    let new = tokens.token().await.unwrap();
    assert_eq!(decode_jwt(&new.token).0["kid"], new_kid.as_str());
    assert_eq!(decode_jwt(&new.token).0["alg"], "EdDSA");

    let claims = eager.verify(&new.token).await.unwrap();
    assert_eq!(claims.kid, new_kid);
    assert_eq!(eager.jwks_fetches(), 2, "one refetch for the unknown kid");
    assert!(
        eager.verify(&old.token).await.is_ok(),
        "tokens signed with the old key still verify"
    );

    // within min_refetch_interval an unknown kid is refused without asking p6auth again
    assert_eq!(
        strict.verify(&new.token).await.unwrap_err(),
        VerifyError::UnknownKey(new_kid.clone())
    );
    assert_eq!(
        strict.verify(&new.token).await.unwrap_err(),
        VerifyError::UnknownKey(new_kid)
    );
    assert_eq!(strict.jwks_fetches(), 1);
    // the metadata, read through the proxy, was read once per verifier (the jwks_uri it names
    // goes to the server directly, so the verifiers' own counters count JWKS fetches)
    assert_eq!(proxy.count("/.well-known/oauth-authorization-server"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verifier_refuses_a_wrong_issuer_and_an_unreachable_server() {
    let dir = tempfile::tempdir().unwrap();
    let c = seed(dir.path());
    let server = Server::start(dir.path(), &[]);
    let token = tokens_for(&server.url(""), &c).token().await.unwrap();

    let wrong = Verifier::new(VerifierOptions::new(server.url("/")));
    let err = wrong.verify(&token.token).await.unwrap_err();
    assert!(
        matches!(&err, VerifyError::KeysUnavailable(m) if m.contains("names the issuer")),
        "the metadata's issuer must match byte for byte: {err}"
    );
    let mut options = VerifierOptions::new(server.url(""));
    options.audience = Some("https://api.example".into());
    let err = Verifier::new(options)
        .verify(&token.token)
        .await
        .unwrap_err();
    assert!(matches!(err, VerifyError::WrongAudience { .. }), "{err}");

    let url = server.url("");
    drop(server);
    let gone = Verifier::new(VerifierOptions::new(url));
    assert!(matches!(
        gone.verify(&token.token).await,
        Err(VerifyError::KeysUnavailable(_))
    ));
}

/// The example resource server on port 0, served by a runtime of its own.
struct ResourceServer {
    addr: String,
    _runtime: tokio::runtime::Runtime,
}

fn start_resource_server(issuer: &str) -> ResourceServer {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let verifier = Verifier::new(VerifierOptions::new(issuer));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    runtime.spawn(async move {
        axum::serve(listener, resource_server::app(verifier, "acme"))
            .await
            .unwrap();
    });
    ResourceServer {
        addr,
        _runtime: runtime,
    }
}

fn get(addr: &str, path: &str, token: Option<&str>) -> Response {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
    http(addr, "GET", path, &headers, b"")
}

#[test]
fn the_example_answers_401_and_403_with_rfc_6750_headers() {
    let dir = tempfile::tempdir().unwrap();
    let full = seed(dir.path());
    cli_ok(
        dir.path(),
        &[
            "permission-set",
            "create",
            "--instance",
            "acme",
            "--name",
            "OrgsOnly",
            "--permission",
            "orgs=read",
        ],
    );
    let orgs_only = create_integration(dir.path(), "Orgs", &["acme/OrgsOnly"]);
    let server = Server::start(dir.path(), &[]);
    let issuer = server.url("");
    let rs = start_resource_server(&issuer);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let token = |c: &Credentials| {
        runtime
            .block_on(tokens_for(&issuer, c).token())
            .unwrap()
            .token
    };
    let (full_token, orgs_token) = (token(&full), token(&orgs_only));

    // no token: a bare challenge, no error code (RFC 6750 §3.1)
    let r = get(&rs.addr, "/orgs", None);
    assert_eq!(r.status, 401);
    assert_eq!(r.header("WWW-Authenticate"), Some("Bearer"));

    let r = get(&rs.addr, "/orgs", Some("not-a-jwt"));
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("WWW-Authenticate"),
        Some(r#"Bearer error="invalid_token", error_description="malformed token: not a JWT""#)
    );
    assert_eq!(r.json()["error"], "invalid_token");

    // a token whose signature was tampered with
    let (signed, _) = full_token.rsplit_once('.').unwrap();
    let (_, other_sig) = orgs_token.rsplit_once('.').unwrap();
    let r = get(&rs.addr, "/orgs", Some(&format!("{signed}.{other_sig}")));
    assert_eq!(
        r.header("WWW-Authenticate"),
        Some(r#"Bearer error="invalid_token", error_description="the signature is invalid""#)
    );

    // a token of another p6auth: unknown key
    let other_dir = tempfile::tempdir().unwrap();
    let stranger = seed(other_dir.path());
    let other = Server::start(other_dir.path(), &[]);
    let foreign = runtime
        .block_on(tokens_for(&other.url(""), &stranger).token())
        .unwrap()
        .token;
    let kid = decode_jwt(&foreign).0["kid"].as_str().unwrap().to_string();
    let r = get(&rs.addr, "/orgs", Some(&foreign));
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("WWW-Authenticate").unwrap(),
        format!(
            r#"Bearer error="invalid_token", error_description="the token is signed with an unknown key ({kid})""#
        )
    );

    // the right token opens both routes
    for path in ["/orgs", "/users", "/whoami"] {
        let r = get(&rs.addr, path, Some(&full_token));
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert_eq!(
            r.json()["caller"].as_str().or(r.json()["sub"].as_str()),
            Some(full.id.as_str())
        );
    }
    assert_eq!(
        get(&rs.addr, "/whoami", Some(&full_token)).json()["permissions"],
        serde_json::json!(["acme:orgs=read", "acme:users=read('./')"])
    );

    // a token without the route's permission: 403 insufficient_scope naming it
    assert_eq!(get(&rs.addr, "/orgs", Some(&orgs_token)).status, 200);
    let r = get(&rs.addr, "/users", Some(&orgs_token));
    assert_eq!(r.status, 403);
    assert_eq!(
        r.header("WWW-Authenticate"),
        Some(r#"Bearer error="insufficient_scope", scope="acme:users=read('./')""#)
    );
    assert_eq!(r.json()["error"], "insufficient_scope");

    // the query parameter is off unless enabled
    let r = get(&rs.addr, &format!("/orgs?access_token={full_token}"), None);
    assert_eq!(r.status, 401);
    assert_eq!(r.header("WWW-Authenticate"), Some("Bearer"));
}
