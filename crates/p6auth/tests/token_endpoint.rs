//! The token endpoint against the real server: success by form body and by Basic, and every
//! error case, each with its status, error code and headers.

mod support;

use serde_json::{Value, json};
use support::*;

fn token_form(c: &Credentials) -> String {
    format!(
        "redirect_uri={}&client_id={}&client_secret={}&grant_type=client_credentials",
        c.redirect_uri, c.id, c.secret
    )
}

fn assert_no_store(r: &Response) {
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("pragma"), Some("no-cache"));
}

/// Asserts an OAuth error: status, JSON content type, error code, a description, no-store.
fn assert_error(r: &Response, status: u16, code: &str) -> Value {
    assert_eq!(r.status, status, "body: {}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_no_store(r);
    let body = r.json();
    assert_eq!(body["error"], code, "{body}");
    assert!(!body["error_description"].as_str().unwrap().is_empty());
    body
}

fn assert_valid_token(server: &Server, body: &Value, client_id: &str, scope: &str) {
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], json!(3600));
    assert_eq!(body["scope"], scope);
    assert!(body.get("refresh_token").is_none());
    let token = body["access_token"].as_str().unwrap();
    let (header, claims) = decode_jwt(token);
    let jwks = server.get("/.well-known/jwks.json").json();
    let kid = jwks["keys"][0]["kid"].clone();
    assert_eq!(header, json!({"alg": "ES256", "typ": "at+jwt", "kid": kid}));
    assert!(
        verify_with_jwks(token, &jwks),
        "signature must verify against the JWKS"
    );
    let issuer = server.get("/.well-known/oauth-authorization-server").json()["issuer"].clone();
    assert_eq!(claims["iss"], issuer);
    assert_eq!(claims["aud"], issuer);
    assert_eq!(claims["sub"], client_id);
    assert_eq!(claims["client_id"], client_id);
    assert_eq!(claims["scope"], scope);
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert_eq!(exp - iat, 3600);
    assert_eq!(claims["jti"].as_str().unwrap().len(), 22);
}

const SCOPE: &str = "acme:orgs=read acme:users=read('./')";

#[test]
fn the_integrators_curl_command_works_verbatim() {
    let dir = TestDir::new();
    let c = seed(dir.path());
    let server = Server::start(dir.path(), &[]);
    let out = std::process::Command::new("curl")
        .args(["-sS", "-d", &token_form(&c), &server.url("/oauth/token")])
        .output()
        .expect("curl is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid_token(&server, &body, &c.id, SCOPE);
}

#[test]
fn form_body_and_http_basic_both_issue_tokens() {
    let dir = TestDir::new();
    let c = seed(dir.path());
    let server = Server::start(dir.path(), &[]);

    let r = server.post_form("/oauth/token", &token_form(&c), &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_no_store(&r);
    let first = r.json();
    assert_valid_token(&server, &first, &c.id, SCOPE);

    // Basic, with a lower-case scheme name and a charset parameter on the content type
    let auth = basic(&c.id, &c.secret).replacen("Basic", "basic", 1);
    let r = server.request(
        "POST",
        "/oauth/token",
        &[
            (
                "Content-Type",
                "application/x-www-form-urlencoded; charset=UTF-8",
            ),
            ("Authorization", &auth),
        ],
        b"grant_type=client_credentials",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let second = r.json();
    assert_valid_token(&server, &second, &c.id, SCOPE);
    let jti = |b: &Value| decode_jwt(b["access_token"].as_str().unwrap()).1["jti"].clone();
    assert_ne!(jti(&first), jti(&second));
}

#[test]
fn scope_narrows_and_is_checked() {
    let dir = TestDir::new();
    let c = seed(dir.path());
    let server = Server::start(dir.path(), &[]);
    let auth = basic(&c.id, &c.secret);
    let post = |body: &str| server.post_form("/oauth/token", body, &[("Authorization", &auth)]);

    // unqualified scope is qualified with the integration's instance; '+' and %20 are spaces
    for body in [
        "grant_type=client_credentials&scope=orgs%3Dread",
        "grant_type=client_credentials&scope=orgs%3Dread+acme%3Ausers%3Dread('.%2F')",
        "grant_type=client_credentials&scope=orgs%3Dread%20acme%3Ausers%3Dread('.%2F')",
    ] {
        let r = post(body);
        assert_eq!(r.status, 200, "{}", r.text());
        let expected = if body.contains("users") {
            SCOPE
        } else {
            "acme:orgs=read"
        };
        assert_eq!(r.json()["scope"], expected);
        assert_eq!(
            decode_jwt(r.json()["access_token"].as_str().unwrap()).1["scope"],
            expected
        );
    }
    // an empty scope means everything held
    assert_eq!(
        post("grant_type=client_credentials&scope=").json()["scope"],
        SCOPE
    );

    for bad in [
        "users%3Dedit",
        "other%3Aorgs%3Dread",
        "acme%3Ausers%3Dread",
        "not-a-permission",
    ] {
        let r = post(&format!("grant_type=client_credentials&scope={bad}"));
        assert_error(&r, 400, "invalid_scope");
    }
}

#[test]
fn every_error_case_has_its_status_code_and_headers() {
    let dir = TestDir::new();
    let c = seed(dir.path());
    let server = Server::start(dir.path(), &[]);
    let creds = format!("client_id={}&client_secret={}", c.id, c.secret);

    // invalid_request
    assert_error(
        &server.post_form("/oauth/token", &creds, &[]),
        400,
        "invalid_request",
    );
    let twice = format!("{creds}&grant_type=client_credentials&grant_type=client_credentials");
    let body = assert_error(
        &server.post_form("/oauth/token", &twice, &[]),
        400,
        "invalid_request",
    );
    assert_eq!(
        body["error_description"],
        "parameter grant_type is repeated"
    );
    let both = format!("{creds}&grant_type=client_credentials");
    let r = server.post_form(
        "/oauth/token",
        &both,
        &[("Authorization", &basic(&c.id, &c.secret))],
    );
    assert_error(&r, 400, "invalid_request");
    let r = server.request(
        "POST",
        "/oauth/token",
        &[("Content-Type", "application/json")],
        format!(
            r#"{{"client_id":"{}","client_secret":"{}","grant_type":"client_credentials"}}"#,
            c.id, c.secret
        )
        .as_bytes(),
    );
    assert_error(&r, 400, "invalid_request");
    let r = server.request("POST", "/oauth/token", &[], both.as_bytes());
    assert_error(&r, 400, "invalid_request");
    let r = server.post_form(
        &format!("/oauth/token?{creds}"),
        "grant_type=client_credentials",
        &[],
    );
    let body = assert_error(&r, 400, "invalid_request");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("query string")
    );
    let r = server.post_form(
        "/oauth/token",
        &format!("{creds}&grant_type=client_credentials&redirect_uri=https://evil.example/cb"),
        &[],
    );
    assert_error(&r, 400, "invalid_request");
    // a bad escape elsewhere in the query does not hide a credential there
    let r = server.post_form(
        &format!("/oauth/token?{creds}&x=%zz"),
        "grant_type=client_credentials",
        &[("Authorization", &basic(&c.id, &c.secret))],
    );
    assert_error(&r, 400, "invalid_request");
    let r = server.post_form(
        "/oauth/token",
        "grant_type=client_credentials&client_id=%zz&client_secret=y",
        &[],
    );
    assert_error(&r, 400, "invalid_request");

    // invalid_client (RFC 6749 §5.2): no client authentication, or a failed attempt in the
    // Authorization header, which also earns the Basic challenge
    for (body, auth) in [
        ("grant_type=client_credentials", None),
        ("grant_type=client_credentials&client_id=x", None),
        ("grant_type=client_credentials", Some("Basic !!!not-base64")),
        ("grant_type=client_credentials", Some("Basic YWJj")),
        ("grant_type=client_credentials", Some("Bearer abc")),
    ] {
        let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", *a)).collect();
        let r = server.post_form("/oauth/token", body, &headers);
        assert_error(&r, 401, "invalid_client");
        assert_eq!(
            r.header("www-authenticate"),
            Some("Basic realm=\"p6auth\", charset=\"UTF-8\""),
            "{body} {auth:?}"
        );
    }

    // unsupported_grant_type
    let r = server.post_form(
        "/oauth/token",
        &format!("{creds}&grant_type=pass\"word%5C"),
        &[],
    );
    let body = assert_error(&r, 400, "unsupported_grant_type");
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description
            .chars()
            .all(|c| (' '..='~').contains(&c) && c != '"' && c != '\\'),
        "RFC 6749 §5.2 characters only: {description}"
    );
    // a wrong secret is invalid_client whatever the grant type
    let wrong = format!("client_id={}&client_secret=wrong&grant_type=password", c.id);
    assert_error(
        &server.post_form("/oauth/token", &wrong, &[]),
        401,
        "invalid_client",
    );

    // 405 for anything but POST
    for method in ["GET", "PUT", "DELETE"] {
        let r = server.request(method, "/oauth/token", &[], b"");
        let body = assert_error(&r, 405, "invalid_request");
        assert_eq!(r.header("allow"), Some("POST"), "{method} {body}");
    }

    // oversized body and oversized parameter: 4xx, never 5xx
    let huge = format!("{both}&pad={}", "a".repeat(100_000));
    let r = server.post_form("/oauth/token", &huge, &[]);
    assert_error(&r, 400, "invalid_request");
    let long_scope = format!("{both}&scope={}", "a".repeat(50_000));
    assert_error(
        &server.post_form("/oauth/token", &long_scope, &[]),
        400,
        "invalid_request",
    );
}

#[test]
fn invalid_client_is_identical_for_unknown_id_wrong_secret_and_disabled() {
    let dir = TestDir::new();
    let c = seed(dir.path());
    let disabled = create_integration(dir.path(), "Old", &["acme/Integration"]);
    cli_ok(dir.path(), &["integration", "disable", &disabled.id]);
    let server = Server::start(dir.path(), &[]);

    let cases = [
        (
            "unknown id",
            "00000000-0000-4000-8000-000000000000".to_string(),
            c.secret.clone(),
        ),
        ("wrong secret", c.id.clone(), format!("{}x", c.secret)),
        ("disabled", disabled.id.clone(), disabled.secret.clone()),
    ];
    let mut bodies = Vec::new();
    for (what, id, secret) in &cases {
        // form body
        let r = server.post_form(
            "/oauth/token",
            &format!("grant_type=client_credentials&client_id={id}&client_secret={secret}"),
            &[],
        );
        let body = assert_error(&r, 401, "invalid_client");
        assert_eq!(
            r.header("www-authenticate"),
            Some("Basic realm=\"p6auth\", charset=\"UTF-8\""),
            "{what}"
        );
        assert!(
            !r.text().contains(secret.as_str()),
            "the secret must not be echoed"
        );
        bodies.push(r.body.clone());
        // Basic
        let r = server.post_form(
            "/oauth/token",
            "grant_type=client_credentials",
            &[("Authorization", &basic(id, secret))],
        );
        assert_error(&r, 401, "invalid_client");
        assert_eq!(
            r.header("www-authenticate"),
            Some("Basic realm=\"p6auth\", charset=\"UTF-8\""),
            "{what}"
        );
        assert_eq!(r.body, bodies[0], "{what}: {body}");
    }
    assert!(bodies.iter().all(|b| *b == bodies[0]));
}

#[test]
fn garbage_never_produces_a_server_error() {
    let dir = TestDir::new();
    seed(dir.path());
    let server = Server::start(dir.path(), &[]);
    let bodies: [&[u8]; 8] = [
        b"",
        b"&&&",
        b"=",
        b"%",
        b"grant_type=%E2%82",
        b"\xff\xfe",
        b"a=b=c&grant_type",
        b"grant_type=client_credentials&client_id=&client_secret=",
    ];
    for body in bodies {
        let r = server.request(
            "POST",
            "/oauth/token",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body,
        );
        assert!(
            (400..500).contains(&r.status),
            "{body:?} -> {} {}",
            r.status,
            r.text()
        );
        assert!(r.json()["error"].is_string());
    }
    for auth in [
        "Basic",
        "Basic ",
        "Basic Og==",
        "Basic YTo=",
        "Basic OmI=",
        "B\u{e9}sic x",
    ] {
        let r = server.post_form(
            "/oauth/token",
            "grant_type=client_credentials",
            &[("Authorization", auth)],
        );
        assert!(
            (400..500).contains(&r.status),
            "{auth:?} -> {} {}",
            r.status,
            r.text()
        );
    }
}

#[test]
fn discovery_documents_and_public_jwks() {
    let dir = TestDir::new();
    let server = Server::start(dir.path(), &[]);
    let base = format!("http://{}", server.addr);
    let m = server.get("/.well-known/oauth-authorization-server");
    assert_eq!(m.status, 200);
    assert_eq!(m.header("content-type"), Some("application/json"));
    assert_eq!(
        m.json(),
        json!({
            "issuer": base,
            "authorization_endpoint": format!("{base}/oauth/authorize"),
            "token_endpoint": format!("{base}/oauth/token"),
            "jwks_uri": format!("{base}/.well-known/jwks.json"),
            "grant_types_supported": ["client_credentials", "authorization_code", "refresh_token"],
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "introspection_endpoint": format!("{base}/oauth/introspect"),
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "revocation_endpoint": format!("{base}/oauth/revoke"),
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        })
    );
    assert_eq!(server.get("/.well-known/openid-configuration").body, m.body);
    let jwks = server.get("/.well-known/jwks.json").json();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let mut members: Vec<&str> = keys[0]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    members.sort();
    assert_eq!(members, ["alg", "crv", "kid", "kty", "use", "x", "y"]);
    assert_eq!(
        (keys[0]["alg"].as_str(), keys[0]["use"].as_str()),
        (Some("ES256"), Some("sig"))
    );
    let health = server.get("/healthz");
    assert_eq!(
        (health.status, health.json()),
        (200, json!({"status": "ok"}))
    );
    assert_eq!(health.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(server.get("/nope").status, 404);
}

#[test]
fn headers_sent_twice_and_broken_bodies_are_refused_with_their_reason() {
    let dir = TestDir::new();
    let c = seed(dir.path());
    let other = create_integration(dir.path(), "Other", &["acme/Integration"]);
    let server = Server::start(dir.path(), &[]);
    let grant = "grant_type=client_credentials";

    // two Authorization headers: refused, whichever comes first
    for (first, second) in [(&c, &other), (&other, &c)] {
        let r = server.post_form(
            "/oauth/token",
            grant,
            &[
                ("Authorization", &basic(&first.id, &first.secret)),
                ("Authorization", &basic(&second.id, &second.secret)),
            ],
        );
        let body = assert_error(&r, 400, "invalid_request");
        assert_eq!(
            body["error_description"],
            "the authorization header is sent more than once"
        );
    }
    let r = server.post_form(
        "/oauth/introspect",
        "token=x",
        &[
            ("Authorization", &basic(&c.id, &c.secret)),
            ("Authorization", "Basic !!!"),
        ],
    );
    assert_error(&r, 400, "invalid_request");
    // two Content-Type headers
    let r = server.request(
        "POST",
        "/oauth/token",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Content-Type", "application/json"),
            ("Authorization", &basic(&c.id, &c.secret)),
        ],
        grant.as_bytes(),
    );
    let body = assert_error(&r, 400, "invalid_request");
    assert_eq!(
        body["error_description"],
        "the content-type header is sent more than once"
    );
    // and on the data APIs, a Bearer token in two headers (RFC 6750 §3.1)
    let token = server.post_form(
        "/oauth/token",
        grant,
        &[("Authorization", &basic(&c.id, &c.secret))],
    );
    let bearer = format!("Bearer {}", token.json()["access_token"].as_str().unwrap());
    let r = server.request(
        "GET",
        "/apis/v2/scopestree",
        &[("Authorization", &bearer), ("Authorization", &bearer)],
        b"",
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json()["error"], "invalid_request");
    assert_eq!(
        r.header("www-authenticate"),
        Some("Bearer realm=\"p6auth\", error=\"invalid_request\"")
    );

    // a body shorter than its Content-Length, and a malformed chunked body
    let auth = basic(&c.id, &c.secret);
    let short = format!(
        "POST /oauth/token HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n{grant}"
    );
    let chunked = format!(
        "POST /oauth/token HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{grant}\r\n0\r\n\r\n"
    );
    for request in [short, chunked] {
        let r = raw_http(&server.addr, request.as_bytes());
        let body = assert_error(&r, 400, "invalid_request");
        assert_eq!(
            body["error_description"],
            "the request body could not be read: it ended before its announced length or its chunked encoding is malformed"
        );
    }
    // a body announced over the limit is refused without waiting for it
    let announced = format!(
        "POST /oauth/token HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000000\r\n\r\n{grant}"
    );
    let r = raw_http(&server.addr, announced.as_bytes());
    let body = assert_error(&r, 400, "invalid_request");
    assert_eq!(
        body["error_description"],
        "the request body is larger than 65536 bytes"
    );
    // a whole request followed by closing the client's sending half still gets its answer
    let whole = format!(
        "POST /oauth/token HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{grant}",
        grant.len()
    );
    for _ in 0..20 {
        let r = raw_http(&server.addr, whole.as_bytes());
        assert_eq!(r.status, 200, "{}", r.text());
    }
    // a body over the limit still says so
    let big = format!("{grant}&pad={}", "x".repeat(70_000));
    let r = server.post_form("/oauth/token", &big, &[("Authorization", &auth)]);
    let body = assert_error(&r, 400, "invalid_request");
    assert_eq!(
        body["error_description"],
        "the request body is larger than 65536 bytes"
    );
}

#[test]
fn an_integration_asking_for_a_user_grant_is_told_which_grant_it_may_use() {
    let dir = TestDir::new();
    let c = seed(dir.path());
    let server = Server::start(dir.path(), &[]);
    for form in [
        "grant_type=authorization_code&code=x",
        "grant_type=refresh_token&refresh_token=x",
    ] {
        // right credentials, by Basic and in the body: unauthorized_client (RFC 6749 §5.2)
        let by_basic = server.post_form(
            "/oauth/token",
            form,
            &[("Authorization", &basic(&c.id, &c.secret))],
        );
        let in_body = server.post_form(
            "/oauth/token",
            &format!("{form}&client_id={}&client_secret={}", c.id, c.secret),
            &[],
        );
        for r in [by_basic, in_body] {
            let body = assert_error(&r, 400, "unauthorized_client");
            assert_eq!(
                body["error_description"],
                "integrations use grant_type=client_credentials; authorization_code and refresh_token are for users signing in to the portal"
            );
        }
        // a wrong secret is a failed authentication
        let r = server.post_form(
            "/oauth/token",
            form,
            &[("Authorization", &basic(&c.id, "wrong"))],
        );
        assert_error(&r, 401, "invalid_client");
        assert_eq!(
            r.header("www-authenticate"),
            Some("Basic realm=\"p6auth\", charset=\"UTF-8\"")
        );
    }
}

#[test]
fn mistyped_oauth_paths_and_wrong_methods_answer_in_json() {
    let dir = TestDir::new();
    seed(dir.path());
    let server = Server::start(dir.path(), &[]);
    for path in [
        "/oauth/token/",
        "/oauth/foo",
        "/.well-known/jwks",
        "/.well-known/x/y",
    ] {
        let r = server.post_form(path, "grant_type=client_credentials", &[]);
        assert_eq!(r.status, 404, "{path}: {}", r.text());
        assert_eq!(r.header("content-type"), Some("application/json"), "{path}");
        assert_eq!(r.json()["error"], "not_found", "{path}");
    }
    // the real endpoints under the same prefixes are untouched
    assert_eq!(server.get("/.well-known/jwks.json").status, 200);
    assert_eq!(server.get("/oauth/assets/login.css").status, 200);
    let r = server.post_form("/oauth/revocations", "", &[]);
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
    assert_eq!(r.json()["error"], "invalid_request");
}
