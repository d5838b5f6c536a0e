//! User sign-in end to end, on the real binary: the first administrator's activation link from
//! the outbox, setting a password, authorization code + PKCE, refresh-token rotation and replay,
//! CSRF, the password policy, uniform failures and throttling.

mod support;

use serde_json::Value;
use support::*;

/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const ADMIN: &str = "admin@example.com";
const PASSWORD: &str = "correct horse battery";
const SIGN_IN_FAILED: &str = "The email address or password is incorrect.";

fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `name=value` of each Set-Cookie, attributes dropped.
fn cookies(r: &Response) -> Vec<String> {
    r.headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.split(';').next().unwrap().to_string())
        .collect()
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// The link of the newest message in the outbox.
fn outbox_link(server: &Server, path: &str) -> String {
    let dir = server.data_dir.join("outbox");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let text = std::fs::read_to_string(names.last().unwrap()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(names.last().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let link = text
        .lines()
        .find(|l| l.starts_with(&server.url(path)))
        .unwrap_or_else(|| panic!("no {path} link in {text}"));
    link.trim().to_string()
}

fn redirect_uri(server: &Server) -> String {
    server.url("/admin/callback")
}

fn authorize_query(redirect_uri: &str, state: &str) -> String {
    format!(
        "/oauth/authorize?response_type=code&client_id=p6auth-portal&redirect_uri={}&code_challenge={CHALLENGE}&code_challenge_method=S256&state={state}",
        enc(redirect_uri)
    )
}

/// Activates the first administrator with [`PASSWORD`].
fn activate(server: &Server) {
    let link = outbox_link(server, "/activate?token=");
    let path = link.strip_prefix(&server.url("")).unwrap();
    let page = server.get(path);
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(
        html.contains("Use at least 10 characters. The password must not be your email address.")
    );
    let token = hidden(&html, "token");
    let csrf = hidden(&html, "csrf_token");

    let without_csrf = server.post_form(
        "/activate",
        &form(&[
            ("token", &token),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ]),
        &[],
    );
    assert_eq!(without_csrf.status, 403);

    let short = server.post_form(
        "/activate",
        &form(&[
            ("token", &token),
            ("csrf_token", &csrf),
            ("password", "short"),
            ("password_confirm", "short"),
        ]),
        &[],
    );
    assert_eq!(short.status, 400);
    assert!(
        short
            .text()
            .contains("The password must be at least 10 characters long.")
    );
    let is_email = server.post_form(
        "/activate",
        &form(&[
            ("token", &token),
            ("csrf_token", &csrf),
            ("password", ADMIN),
            ("password_confirm", ADMIN),
        ]),
        &[],
    );
    assert_eq!(is_email.status, 400);
    assert!(
        is_email
            .text()
            .contains("The password must not be your email address.")
    );

    let ok = server.post_form(
        "/activate",
        &form(&[
            ("token", &token),
            ("csrf_token", &csrf),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ]),
        &[],
    );
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert!(ok.text().contains("Your password is set."));
    assert!(ok.text().contains("href=\"/admin\""));
    // single use
    assert_eq!(server.get(path).status, 400);
}

/// Shows the sign-in page; returns its login cookie and CSRF token.
fn sign_in_page(server: &Server, state: &str) -> (String, String) {
    let page = server.get(&authorize_query(&redirect_uri(server), state));
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(
        page.header("content-security-policy"),
        Some(
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        )
    );
    let html = page.text();
    assert!(html.contains("<button type=\"submit\">Sign in</button>"));
    assert!(!html.contains("<script"));
    let cookie = cookies(&page)
        .into_iter()
        .find(|c| c.starts_with("p6auth_login="))
        .unwrap();
    (cookie, hidden(&html, "csrf_token"))
}

fn post_sign_in(
    server: &Server,
    cookie: &str,
    csrf: Option<&str>,
    email: &str,
    password: &str,
    state: &str,
) -> Response {
    let redirect = redirect_uri(server);
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", "p6auth-portal"),
        ("redirect_uri", redirect.as_str()),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("state", state),
        ("email", email),
        ("password", password),
    ];
    if let Some(c) = csrf {
        pairs.push(("csrf_token", c));
    }
    server.post_form("/oauth/authorize", &form(&pairs), &[("Cookie", cookie)])
}

/// Signs in; returns a fresh authorization code.
fn code(server: &Server) -> String {
    let (cookie, csrf) = sign_in_page(server, "st-1");
    let r = post_sign_in(server, &cookie, Some(&csrf), ADMIN, PASSWORD, "st-1");
    assert_eq!(r.status, 303, "{}", r.text());
    let location = r.header("location").unwrap();
    let prefix = format!("{}?code=", redirect_uri(server));
    assert!(location.starts_with(&prefix), "{location}");
    assert!(location.ends_with("&state=st-1"), "{location}");
    location[prefix.len()..location.len() - "&state=st-1".len()].to_string()
}

fn exchange(server: &Server, code: &str, redirect: &str, verifier: &str) -> Response {
    server.post_form(
        "/oauth/token",
        &form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect),
            ("client_id", "p6auth-portal"),
            ("code_verifier", verifier),
        ]),
        &[],
    )
}

fn refresh(server: &Server, token: &str) -> Response {
    server.post_form(
        "/oauth/token",
        &form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", "p6auth-portal"),
        ]),
        &[],
    )
}

fn assert_invalid_grant(r: &Response) {
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json()["error"], "invalid_grant");
    assert_eq!(r.header("cache-control"), Some("no-store"));
}

fn jwt_claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn authorization_code_with_pkce_and_rotating_refresh_tokens() {
    let dir = TestDir::new();
    let server = Server::start(dir.path(), &[]);
    activate(&server);
    let redirect = redirect_uri(&server);

    // an unregistered redirect URI is never redirected to
    let bad = server.get(&authorize_query("https://evil.example/cb", "s"));
    assert_eq!(bad.status, 400);
    assert_eq!(bad.header("location"), None);
    // a missing PKCE challenge goes back to the client with the error
    let no_pkce = server.get(&format!(
        "/oauth/authorize?response_type=code&client_id=p6auth-portal&redirect_uri={}&state=s",
        enc(&redirect)
    ));
    assert_eq!(no_pkce.status, 303);
    assert!(
        no_pkce
            .header("location")
            .unwrap()
            .starts_with(&format!("{redirect}?error=invalid_request&"))
    );

    // RFC 7636 §4.6: a wrong verifier
    assert_invalid_grant(&exchange(
        &server,
        &code(&server),
        &redirect,
        &"x".repeat(43),
    ));
    // RFC 6749 §4.1.3: a redirect URI other than the authorization request's
    assert_invalid_grant(&exchange(
        &server,
        &code(&server),
        &format!("{redirect}/"),
        VERIFIER,
    ));

    let c = code(&server);
    let first = exchange(&server, &c, &redirect, VERIFIER);
    assert_eq!(first.status, 200, "{}", first.text());
    let tokens = first.json();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    let claims = jwt_claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["sub"], ADMIN);
    assert_eq!(claims["client_id"], "p6auth-portal");
    assert_eq!(claims["iss"], server.url(""));
    // a reused code is refused, and what it issued is revoked (RFC 6749 §4.1.2)
    assert_invalid_grant(&exchange(&server, &c, &redirect, VERIFIER));
    let issued = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(issued.len(), 43);
    assert_invalid_grant(&refresh(&server, issued));

    // rotation: each refresh token works once
    let fresh = exchange(&server, &code(&server), &redirect, VERIFIER);
    assert_eq!(fresh.status, 200, "{}", fresh.text());
    // the data APIs take integrations' tokens only: a user's (of the portal client) is refused
    let user_token = fresh.json()["access_token"].as_str().unwrap().to_string();
    let api = server.request(
        "GET",
        "/apis/v2/scopestree",
        &[("Authorization", &format!("Bearer {user_token}"))],
        b"",
    );
    assert_eq!(api.status, 401, "{}", api.text());
    assert_eq!(
        api.header("www-authenticate"),
        Some("Bearer realm=\"p6auth\", error=\"invalid_token\"")
    );
    let r1 = fresh.json()["refresh_token"].as_str().unwrap().to_string();
    let second = refresh(&server, &r1);
    assert_eq!(second.status, 200, "{}", second.text());
    let r2 = second.json()["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2);
    // replaying r1 revokes the family: r2 is refused too
    let replay = refresh(&server, &r1);
    assert_invalid_grant(&replay);
    assert_eq!(
        replay.json()["error_description"],
        "the refresh token was already used; its family is revoked"
    );
    assert_invalid_grant(&refresh(&server, &r2));
    assert_invalid_grant(&refresh(&server, "not-a-token"));

    // only the public portal client uses these grants, and without a secret
    let other = server.post_form(
        "/oauth/token",
        &form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &r2),
            ("client_id", "someone"),
        ]),
        &[],
    );
    assert_eq!(other.status, 401);
    assert_eq!(other.json()["error"], "invalid_client");
}

#[test]
fn sign_in_csrf_uniform_failures_and_portal_session() {
    let dir = TestDir::new();
    let server = Server::start(dir.path(), &[]);
    activate(&server);

    let (cookie, csrf) = sign_in_page(&server, "s");
    // a form post without its CSRF token, or with another browser's, is refused
    assert_eq!(
        post_sign_in(&server, &cookie, None, ADMIN, PASSWORD, "s").status,
        403
    );
    let (other_cookie, _) = sign_in_page(&server, "s");
    assert_eq!(
        post_sign_in(&server, &other_cookie, Some(&csrf), ADMIN, PASSWORD, "s").status,
        403
    );

    // the same answer for a wrong password and an unknown account
    let wrong = post_sign_in(&server, &cookie, Some(&csrf), ADMIN, "wrong password!", "s");
    let unknown = post_sign_in(
        &server,
        &cookie,
        Some(&csrf),
        "nobody@example.com",
        "wrong password!",
        "s",
    );
    assert_eq!((wrong.status, unknown.status), (401, 401));
    let message = format!("<p class=\"error\" role=\"alert\">{SIGN_IN_FAILED}</p>");
    assert!(wrong.text().contains(&message));
    assert!(unknown.text().contains(&message));

    // the portal as a client: /admin/login → sign in → callback → session cookie
    let start = server.get("/admin/login?return_to=%2Fadmin%2Fusers");
    assert_eq!(start.status, 303);
    let flow = cookies(&start)
        .into_iter()
        .find(|c| c.starts_with("p6auth_flow="))
        .unwrap();
    let authorize = start.header("location").unwrap().to_string();
    assert!(authorize.starts_with("/oauth/authorize?response_type=code&client_id=p6auth-portal&"));
    let state = authorize.rsplit("state=").next().unwrap().to_string();
    let page = server.get(&authorize);
    let login_cookie = cookies(&page)
        .into_iter()
        .find(|c| c.starts_with("p6auth_login="))
        .unwrap();
    // sign in with the challenge /admin/login made
    let challenge = authorize
        .split("code_challenge=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let redirect = redirect_uri(&server);
    let pairs = [
        ("response_type", "code"),
        ("client_id", "p6auth-portal"),
        ("redirect_uri", redirect.as_str()),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("state", state.as_str()),
        ("email", ADMIN),
        ("password", PASSWORD),
        ("csrf_token", &hidden(&page.text(), "csrf_token")),
    ];
    let r = server.post_form(
        "/oauth/authorize",
        &form(&pairs),
        &[("Cookie", &login_cookie)],
    );
    assert_eq!(r.status, 303);
    let callback = r
        .header("location")
        .unwrap()
        .strip_prefix(&server.url(""))
        .unwrap()
        .to_string();
    let done = server.request("GET", &callback, &[("Cookie", &flow)], b"");
    assert_eq!(done.status, 303, "{}", done.text());
    assert_eq!(done.header("location"), Some("/admin/users"));
    let set = done
        .headers
        .iter()
        .find(|(n, v)| n.eq_ignore_ascii_case("set-cookie") && v.starts_with("p6auth_session="))
        .unwrap()
        .1
        .clone();
    assert!(set.ends_with("; Path=/; HttpOnly; SameSite=Lax"), "{set}");
    let session = set.split(';').next().unwrap().to_string();
    // logout without the CSRF token is refused
    let logout = server.post_form("/admin/logout", "", &[("Cookie", &session)]);
    assert_eq!(logout.status, 403);
    // with it, the session ends (with its refresh-token family)
    let confirm = server.request("GET", "/admin/logout", &[("Cookie", &session)], b"");
    assert_eq!(confirm.status, 200);
    let csrf = hidden(&confirm.text(), "csrf_token");
    let out = server.post_form(
        "/admin/logout",
        &form(&[("csrf_token", &csrf)]),
        &[("Cookie", &session)],
    );
    assert_eq!(out.status, 200);
    assert!(out.text().contains("You are signed out."));
    assert!(cookies(&out).contains(&"p6auth_session=".to_string()));
    // the old cookie no longer signs in: the confirmation page is not offered again
    let after = server.request("GET", "/admin/logout", &[("Cookie", &session)], b"");
    assert!(after.text().contains("You are signed out."));
    assert!(!after.text().contains("csrf_token"));
    // the callback's code was used: the same callback again fails
    let again = server.request("GET", &callback, &[("Cookie", &flow)], b"");
    assert_eq!(again.status, 400);
}

#[test]
fn sign_in_is_throttled_per_account() {
    let dir = TestDir::new();
    let server = Server::start(dir.path(), &["--login-limit-per-account", "3"]);
    activate(&server);
    let (cookie, csrf) = sign_in_page(&server, "s");
    for _ in 0..3 {
        let r = post_sign_in(&server, &cookie, Some(&csrf), ADMIN, "wrong password!", "s");
        assert_eq!(r.status, 401);
    }
    // now even the right password waits
    let limited = post_sign_in(&server, &cookie, Some(&csrf), ADMIN, PASSWORD, "s");
    assert_eq!(limited.status, 429);
    assert!(
        limited
            .text()
            .contains("Too many failed sign-ins. Try again in ")
    );
    assert!(limited.header("retry-after").is_some());
    // another account is not affected
    let other = post_sign_in(
        &server,
        &cookie,
        Some(&csrf),
        "other@example.com",
        "wrong password!",
        "s",
    );
    assert_eq!(other.status, 401);
}

#[test]
fn create_admin_from_the_cli_writes_the_link_to_the_outbox() {
    let dir = TestDir::new();
    let out = cli_with_ok(
        &store_args(dir.path()),
        &[
            "user",
            "create-admin",
            "--email",
            "Ops@Example.com",
            "--issuer",
            "https://auth.example",
        ],
    );
    assert!(
        out.contains("created administrator ops@example.com\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "activation link (valid 24 h, shown once): https://auth.example/activate?token="
        ),
        "{out}"
    );
    let outbox: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
        .unwrap()
        .collect();
    assert_eq!(outbox.len(), 1);
    let text = std::fs::read_to_string(outbox[0].as_ref().unwrap().path()).unwrap();
    assert!(text.contains("To: ops@example.com\r\n"));
    let link = out.lines().last().unwrap().rsplit(' ').next().unwrap();
    assert!(text.contains(&format!("\r\n{link}\r\n")));
}

#[test]
fn a_disabled_user_can_neither_refresh_nor_sign_in() {
    let dir = TestDir::new();
    let server = Server::start(dir.path(), &[]);
    activate(&server);
    let tokens = exchange(&server, &code(&server), &redirect_uri(&server), VERIFIER);
    assert_eq!(tokens.status, 200);
    let r1 = tokens.json()["refresh_token"].as_str().unwrap().to_string();
    let out = cli(dir.path(), &["user", "update", ADMIN, "--enabled", "false"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let refused = refresh(&server, &r1);
    assert_invalid_grant(&refused);
    assert_eq!(
        refused.json()["error_description"],
        "the user cannot sign in"
    );
    let (cookie, csrf) = sign_in_page(&server, "s");
    let r = post_sign_in(&server, &cookie, Some(&csrf), ADMIN, PASSWORD, "s");
    assert_eq!(r.status, 401);
    assert!(r.text().contains(SIGN_IN_FAILED));
}
