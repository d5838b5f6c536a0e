//! Introspection, revocation, taking access away, secret and key rotation, failure limits and
//! the audit log, against the real server.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::*;

fn token(server: &Server, c: &Credentials) -> String {
    let r = server.post_form(
        "/oauth/token",
        "grant_type=client_credentials",
        &[("Authorization", &basic(&c.id, &c.secret))],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["access_token"].as_str().unwrap().to_string()
}

fn introspect(server: &Server, caller: &Credentials, token: &str) -> Response {
    server.post_form(
        "/oauth/introspect",
        &format!("token={token}&token_type_hint=access_token"),
        &[("Authorization", &basic(&caller.id, &caller.secret))],
    )
}

fn active(server: &Server, caller: &Credentials, token: &str) -> bool {
    let r = introspect(server, caller, token);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("cache-control"), Some("no-store"));
    r.json()["active"].as_bool().unwrap()
}

fn inactive_within_a_second(server: &Server, caller: &Credentials, token: &str) -> bool {
    within(Duration::from_secs(1), || !active(server, caller, token)).is_some()
}

fn revoke(server: &Server, caller: &Credentials, token: &str, hint: &str) -> Response {
    server.post_form(
        "/oauth/revoke",
        &format!("token={token}&token_type_hint={hint}"),
        &[("Authorization", &basic(&caller.id, &caller.secret))],
    )
}

/// acme with sets `Integration` and `Introspector` (tokens=introspect) and two integrations.
fn two_integrations(dir: &std::path::Path) -> (Credentials, Credentials, Credentials) {
    let a = seed(dir);
    let b = create_integration(dir, "Other", &["acme/Integration"]);
    cli_ok(
        dir,
        &[
            "permission-set",
            "create",
            "--instance",
            "acme",
            "--name",
            "Introspector",
            "--permission",
            "tokens=introspect",
        ],
    );
    let gateway = create_integration(dir, "Gateway", &["acme/Introspector"]);
    (a, b, gateway)
}

#[test]
fn introspection_answers_for_valid_revoked_unknown_and_foreign_tokens() {
    let dir = TestDir::new();
    let (a, b, gateway) = two_integrations(dir.path());
    let server = Server::start(dir.path(), &[]);
    let t = token(&server, &a);
    let (_, claims) = decode_jwt(&t);

    let r = introspect(&server, &a, &t);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({
            "active": true,
            "scope": "acme:orgs=read acme:users=read('./')",
            "client_id": a.id,
            "sub": a.id,
            "aud": claims["aud"],
            "iss": claims["iss"],
            "jti": claims["jti"],
            "token_type": "Bearer",
            "exp": claims["exp"],
            "iat": claims["iat"],
        })
    );
    // another integration may not see it; one holding tokens=introspect in acme may
    assert_eq!(introspect(&server, &b, &t).json(), json!({"active": false}));
    assert_eq!(introspect(&server, &gateway, &t).json()["active"], true);
    // unknown, malformed and tampered tokens
    for junk in ["nope", "a.b.c", &format!("{t}x"), &t[..t.len() - 3]] {
        assert_eq!(
            introspect(&server, &a, junk).json(),
            json!({"active": false}),
            "{junk}"
        );
    }
    // no client authentication
    let r = server.post_form("/oauth/introspect", &format!("token={t}"), &[]);
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let r = server.post_form(
        "/oauth/introspect",
        "",
        &[("Authorization", &basic(&a.id, &a.secret))],
    );
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let r = server.get("/oauth/introspect");
    assert_eq!((r.status, r.header("allow")), (405, Some("POST")));

    // revocation: foreign and unknown tokens get 200 and nothing happens
    let r = revoke(&server, &b, &t, "access_token");
    assert_eq!((r.status, r.body.len()), (200, 0));
    assert!(
        active(&server, &a, &t),
        "another integration cannot revoke it"
    );
    assert_eq!(revoke(&server, &a, "garbage", "refresh_token").status, 200);
    assert_eq!(revoke(&server, &a, &t, "something_unknown").status, 200);
    assert_eq!(
        introspect(&server, &a, &t).json(),
        json!({"active": false}),
        "revoked at once on this node"
    );
    assert_eq!(
        introspect(&server, &gateway, &t).json(),
        json!({"active": false})
    );
    // other tokens of the same integration stay active
    assert!(active(&server, &a, &token(&server, &a)));
    let r = server.post_form("/oauth/revoke", &format!("token={t}"), &[]);
    assert_eq!(r.status, 401);
}

#[test]
fn an_expired_token_is_inactive_with_no_leeway() {
    let dir = TestDir::new();
    let a = seed(dir.path());
    let server = Server::start(dir.path(), &["--access-token-lifetime", "2"]);
    let t = token(&server, &a);
    let (_, claims) = decode_jwt(&t);
    let exp = claims["exp"].as_i64().unwrap();
    assert_eq!(exp - claims["iat"].as_i64().unwrap(), 2);
    assert!(active(&server, &a, &t), "active until exp");
    // inactive from the second of exp on; poll rather than sleep a fixed time
    let inactive = within(Duration::from_secs(4), || !active(&server, &a, &t));
    assert!(
        inactive.is_some(),
        "a 2-second token must be inactive within 4 s"
    );
}

#[test]
fn disable_delete_policy_and_set_changes_take_tokens_away() {
    let dir = TestDir::new();
    let (a, b, gateway) = two_integrations(dir.path());
    let server = Server::start(dir.path(), &["--failed-auth-limit-per-id", "1000"]);

    // disable, then re-enable: the old token stays inactive, new tokens work
    let old = token(&server, &a);
    // introspected once before each change, so that the node has checked its signature already
    assert!(active(&server, &gateway, &old));
    let token_status = || {
        server
            .post_form(
                "/oauth/token",
                "grant_type=client_credentials",
                &[("Authorization", &basic(&a.id, &a.secret))],
            )
            .status
    };
    cli_ok(dir.path(), &["integration", "disable", &a.id]);
    assert!(
        within(Duration::from_secs(1), || token_status() == 401).is_some(),
        "disabled within 1 s"
    );
    assert_eq!(
        introspect(&server, &gateway, &old).json(),
        json!({"active": false}),
        "a disabled integration's tokens are inactive"
    );
    cli_ok(dir.path(), &["integration", "enable", &a.id]);
    assert!(
        within(Duration::from_secs(1), || server
            .post_form(
                "/oauth/token",
                "grant_type=client_credentials",
                &[("Authorization", &basic(&a.id, &a.secret))]
            )
            .status
            == 200)
        .is_some()
    );
    assert!(
        !active(&server, &a, &old),
        "re-enabling does not revive old tokens"
    );
    // a token issued in the same second as the disable is refused too; the next second's works
    let fresh = within(Duration::from_secs(3), || {
        active(&server, &a, &token(&server, &a))
    });
    assert!(fresh.is_some(), "new tokens work after re-enabling");

    // removing a policy: the integration can still introspect its own token, now inactive
    let t = token(&server, &a);
    assert!(active(&server, &a, &t));
    cli_ok(
        dir.path(),
        &[
            "integration",
            "set-policies",
            &a.id,
            "--policy",
            "acme/Introspector",
        ],
    );
    assert!(
        inactive_within_a_second(&server, &a, &t),
        "removing a policy ends the tokens"
    );

    // disabling a permission set that an integration uses
    let status_b = || {
        server
            .post_form(
                "/oauth/token",
                "grant_type=client_credentials",
                &[("Authorization", &basic(&b.id, &b.secret))],
            )
            .status
    };
    let tb = token(&server, &b);
    assert!(active(&server, &b, &tb));
    cli_ok(
        dir.path(),
        &[
            "permission-set",
            "disable",
            "--instance",
            "acme",
            "--name",
            "Integration",
        ],
    );
    assert!(
        inactive_within_a_second(&server, &b, &tb),
        "disabling a set ends the tokens that carried it"
    );
    assert_eq!(status_b(), 400, "a disabled set grants nothing");
    cli_ok(
        dir.path(),
        &[
            "permission-set",
            "enable",
            "--instance",
            "acme",
            "--name",
            "Integration",
        ],
    );
    assert!(within(Duration::from_secs(1), || status_b() == 200).is_some());
    assert!(
        !active(&server, &b, &tb),
        "re-enabling the set does not revive the token"
    );

    // deleting
    let tb = within(Duration::from_secs(3), || {
        let t = token(&server, &b);
        active(&server, &b, &t)
    });
    assert!(tb.is_some());
    let tb = token(&server, &b);
    assert!(active(&server, &gateway, &tb));
    cli_ok(dir.path(), &["integration", "delete", &b.id]);
    let gone = within(Duration::from_secs(1), || status_b() == 401);
    assert!(
        gone.is_some(),
        "a deleted integration can no longer get tokens"
    );
    let r = introspect(&server, &gateway, &tb);
    assert_eq!(
        r.json(),
        json!({"active": false}),
        "nor are its tokens active"
    );
}

#[test]
fn secret_rotation_with_grace_and_expiry() {
    let dir = TestDir::new();
    let a = seed(dir.path());
    let server = Server::start(
        dir.path(),
        &[
            "--failed-auth-limit-per-id",
            "1000",
            "--maintenance-interval",
            "1s",
        ],
    );
    let status = |secret: &str| {
        server
            .post_form(
                "/oauth/token",
                "grant_type=client_credentials",
                &[("Authorization", &basic(&a.id, secret))],
            )
            .status
    };
    assert_eq!(status(&a.secret), 200);
    let rotated: Value = serde_json::from_str(&cli_ok(
        dir.path(),
        &[
            "integration",
            "rotate-secret",
            &a.id,
            "--grace",
            "24h",
            "--json",
        ],
    ))
    .unwrap();
    let new_secret = rotated["app_secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, a.secret);
    assert!(
        within(Duration::from_secs(1), || status(&new_secret) == 200).is_some(),
        "the new secret works within 1 s"
    );
    assert_eq!(
        status(&a.secret),
        200,
        "the old secret works during the grace period"
    );

    let show = cli_ok(dir.path(), &["integration", "show", &a.id]);
    assert!(show.contains("Secret 1:       active, created"), "{show}");
    assert!(show.contains("Secret 2:       active, created"), "{show}");
    assert!(!show.contains(&new_secret) && !show.contains(&a.secret));
    // last use is written by the maintenance loop, off the token path
    let used = within(Duration::from_secs(3), || {
        let v: Value = serde_json::from_str(&cli_ok(
            dir.path(),
            &["integration", "show", &a.id, "--json"],
        ))
        .unwrap();
        v["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["last_used_at"].is_string())
    });
    assert!(used.is_some(), "both secrets show a last-used time");

    cli_ok(dir.path(), &["integration", "expire-old-secret", &a.id]);
    assert!(
        within(Duration::from_secs(1), || status(&a.secret) == 401).is_some(),
        "the old secret ends"
    );
    assert_eq!(status(&new_secret), 200);
    assert!(
        cli_ok(dir.path(), &["integration", "show", &a.id]).contains("Secret 1:       expired")
    );

    // grace 0: the previous secret ends at once
    let again: Value = serde_json::from_str(&cli_ok(
        dir.path(),
        &[
            "integration",
            "rotate-secret",
            &a.id,
            "--grace",
            "0",
            "--json",
        ],
    ))
    .unwrap();
    let newest = again["app_secret"].as_str().unwrap().to_string();
    assert!(
        within(Duration::from_secs(1), || status(&newest) == 200
            && status(&new_secret) == 401)
        .is_some()
    );
    let out = cli(
        dir.path(),
        &["integration", "rotate-secret", &a.id, "--grace", "soon"],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn key_rotation_keeps_old_tokens_verifiable() {
    let dir = TestDir::new();
    let a = seed(dir.path());
    let server = Server::start(dir.path(), &[]);
    let old = token(&server, &a);
    let old_kid = decode_jwt(&old).0["kid"].clone();
    cli_ok(dir.path(), &["keys", "rotate", "--prepublish", "0"]);
    let rotated = within(Duration::from_secs(1), || {
        decode_jwt(&token(&server, &a)).0["kid"] != old_kid
    });
    assert!(rotated.is_some(), "the new key signs within 1 s");
    let new = token(&server, &a);
    let jwks = server.get("/.well-known/jwks.json").json();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    assert!(verify_with_jwks(&old, &jwks) && verify_with_jwks(&new, &jwks));
    assert!(active(&server, &a, &old) && active(&server, &a, &new));
    let list: Value =
        serde_json::from_str(&cli_ok(dir.path(), &["keys", "list", "--json"])).unwrap();
    let states: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["retired", "active"]);
    assert_eq!(list[0]["kid"], old_kid);

    // pre-publication: a key published for an hour is in the JWKS but does not sign yet
    cli_ok(dir.path(), &["keys", "rotate", "--prepublish", "1h"]);
    assert!(
        within(Duration::from_secs(1), || server
            .get("/.well-known/jwks.json")
            .json()["keys"]
            .as_array()
            .unwrap()
            .len()
            == 3)
        .is_some()
    );
    assert_eq!(
        decode_jwt(&token(&server, &a)).0["kid"],
        decode_jwt(&new).0["kid"]
    );
    let list: Value =
        serde_json::from_str(&cli_ok(dir.path(), &["keys", "list", "--json"])).unwrap();
    assert_eq!(list[2]["state"], "pending");
}

#[test]
fn failed_authentications_are_limited_without_locking_out_the_real_client() {
    let dir = TestDir::new();
    let a = seed(dir.path());
    let server = Server::start(dir.path(), &["--maintenance-interval", "1s"]);
    let wrong = |id: &str| {
        server.post_form(
            "/oauth/token",
            &format!("grant_type=client_credentials&client_id={id}&client_secret=wrong"),
            &[],
        )
    };
    let statuses: Vec<u16> = (0..50).map(|_| wrong(&a.id).status).collect();
    assert_eq!(&statuses[..10], &[401; 10]);
    assert!(statuses[10..].iter().all(|s| *s == 429), "{statuses:?}");
    let limited = wrong(&a.id);
    assert_eq!(limited.status, 429);
    let retry: i64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(limited.json()["error"], "temporarily_unavailable");
    // the same answer for an id that does not exist
    for _ in 0..10 {
        wrong("00000000-0000-4000-8000-000000000000");
    }
    let unknown = wrong("00000000-0000-4000-8000-000000000000");
    assert_eq!((unknown.status, &unknown.body), (429, &limited.body));

    // the real client, from another address (curl binds 127.0.0.2), still gets tokens
    let out = std::process::Command::new("curl")
        .args([
            "-sS",
            "--interface",
            "127.0.0.2",
            "-u",
            &format!("{}:{}", a.id, a.secret),
            "-d",
            "grant_type=client_credentials",
        ])
        .arg(server.url("/oauth/token"))
        .output()
        .unwrap();
    let body: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(body["token_type"], "Bearer", "{body}");
    // and so it does from the attacker's address: only failures are refused
    assert_eq!(token(&server, &a).split('.').count(), 3);

    let metrics = server.get("/metrics").text();
    // 40 + 1 limited for the real id and 1 for the unknown one; 10 + 10 plain failures
    assert!(
        metrics.contains("p6auth_rate_limited_total 42\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("p6auth_token_requests_total{outcome=\"temporarily_unavailable\"} 42\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("p6auth_token_requests_total{outcome=\"invalid_client\"} 20\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("p6auth_token_requests_total{outcome=\"ok\"} 2\n"),
        "{metrics}"
    );

    // the audit log holds the lockout and, after the next maintenance round, the failure counts
    let has = |action: &str| {
        let v: Value = serde_json::from_str(&cli_ok(dir.path(), &["audit", "--json"])).unwrap();
        v.as_array().unwrap().iter().any(|e| e["action"] == action)
    };
    assert!(has("security.lockout"));
    // an integrator who swaps id and secret must not find the secret in the audit log
    let swapped = server.post_form(
        "/oauth/token",
        "grant_type=client_credentials",
        &[("Authorization", &basic(&a.secret, &a.id))],
    );
    assert!(matches!(swapped.status, 401 | 429), "{}", swapped.status);
    assert!(
        within(Duration::from_secs(3), || has(
            "security.failed_authentications"
        ))
        .is_some()
    );
    let wait_for_swap = within(Duration::from_secs(3), || {
        cli_ok(dir.path(), &["audit", "--json"])
            .matches("(unknown client_id)")
            .count()
            >= 2
    });
    assert!(wait_for_swap.is_some(), "unknown ids are counted together");
    let log = cli_ok(dir.path(), &["audit", "--json"]);
    assert!(
        !log.contains(&a.secret),
        "a secret sent as client_id reached the audit log"
    );
    assert!(
        !log.contains("00000000-0000-4000-8000"),
        "unknown ids are not recorded by name"
    );
    assert!(
        log.contains(&format!("\"{}\"", a.id)),
        "known ids are counted by name"
    );
}

#[test]
fn a_large_token_can_be_introspected_and_revoked() {
    let dir = TestDir::new();
    cli_ok(dir.path(), &["instance", "create", "acme"]);
    let permissions: Vec<String> = (0..120)
        .map(|i| format!("feature{i}.with.a.long.name=read('value {i}')"))
        .collect();
    let mut args = vec![
        "permission-set",
        "create",
        "--instance",
        "acme",
        "--name",
        "Big",
    ];
    for p in &permissions {
        args.extend(["--permission", p.as_str()]);
    }
    cli_ok(dir.path(), &args);
    let big = create_integration(dir.path(), "Big", &["acme/Big"]);
    let server = Server::start(dir.path(), &[]);
    let t = token(&server, &big);
    assert!(t.len() > 8192, "the token is {} bytes", t.len());
    assert!(active(&server, &big, &t));
    assert_eq!(revoke(&server, &big, &t, "access_token").status, 200);
    assert!(!active(&server, &big, &t));
}

#[test]
fn the_audit_log_records_each_change_without_secrets() {
    let dir = TestDir::new();
    let (a, b, _) = two_integrations(dir.path());
    let server = Server::start(dir.path(), &[]);
    let t = token(&server, &a);
    assert_eq!(revoke(&server, &a, &t, "access_token").status, 200);
    assert_eq!(
        revoke(&server, &a, &t, "access_token").status,
        200,
        "revoking twice records nothing more"
    );
    cli_ok(dir.path(), &["integration", "disable", &b.id]);
    cli_ok(dir.path(), &["integration", "enable", &b.id]);
    cli_ok(
        dir.path(),
        &[
            "integration",
            "set-policies",
            &b.id,
            "--policy",
            "acme/Introspector",
        ],
    );
    let rotated = cli_ok(
        dir.path(),
        &[
            "integration",
            "rotate-secret",
            &b.id,
            "--grace",
            "1h",
            "--json",
        ],
    );
    cli_ok(dir.path(), &["integration", "expire-old-secret", &b.id]);
    cli_ok(dir.path(), &["integration", "delete", &b.id]);
    cli_ok(dir.path(), &["keys", "rotate"]);
    let log = cli_ok(dir.path(), &["audit", "--json", "--since", "1h"]);
    let entries: Value = serde_json::from_str(&log).unwrap();
    let actions: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "instance.create",
            "permission_set.create",
            "integration.create",
            "integration.create",
            "permission_set.create",
            "integration.create",
            // the first start: instance `default` and its first administrator
            "instance.create",
            "user.create",
            "user.set_access",
            "token.revoke",
            "integration.disable",
            "integration.enable",
            "integration.set_policies",
            "integration.rotate_secret",
            "integration.expire_old_secrets",
            "integration.delete",
            "key.rotate",
        ]
    );
    let disable = &entries[10];
    assert_eq!(disable["target"], format!("integration {}", b.id));
    assert_eq!(
        disable["details"],
        json!({"before": {"enabled": true}, "after": {"enabled": false}})
    );
    assert!(disable["actor"].as_str().unwrap().starts_with("cli:"));
    assert_eq!(entries[6]["actor"], "system");
    assert_eq!(entries[9]["actor"], format!("integration:{}", a.id));
    let new_secret: Value = serde_json::from_str(&rotated).unwrap();
    for secret in [
        a.secret.as_str(),
        b.secret.as_str(),
        new_secret["app_secret"].as_str().unwrap(),
    ] {
        assert!(!log.contains(secret), "a secret reached the audit log");
    }
    assert!(cli_ok(dir.path(), &["audit"]).contains("integration.disable"));
    assert_eq!(
        cli(dir.path(), &["audit", "--since", "yesterday"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn tls_with_a_self_signed_certificate() {
    let dir = TestDir::new();
    let a = seed(dir.path());
    let server = Server::start(dir.path(), &["--tls-self-signed"]);
    let url = format!("https://{}/oauth/token", server.addr);
    let cert = dir.path().join("tls-self-signed-cert.pem");
    assert!(cert.exists());
    let curl = |extra: &[&str]| {
        std::process::Command::new("curl")
            .args([
                "-sS",
                "-i",
                "-u",
                &format!("{}:{}", a.id, a.secret),
                "-d",
                "grant_type=client_credentials",
            ])
            .args(extra)
            .arg(&url)
            .output()
            .unwrap()
    };
    let insecure = curl(&["--insecure"]);
    let text = String::from_utf8_lossy(&insecure.stdout);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        text.contains("strict-transport-security: max-age=31536000\r\n"),
        "{text}"
    );
    // a client that trusts the generated certificate (with the name localhost)
    let port = server.addr.rsplit(':').next().unwrap();
    let trusted = std::process::Command::new("curl")
        .args([
            "-sS",
            "-u",
            &format!("{}:{}", a.id, a.secret),
            "-d",
            "grant_type=client_credentials",
            "--cacert",
        ])
        .arg(&cert)
        .arg(format!("https://localhost:{port}/oauth/token"))
        .output()
        .unwrap();
    let body: Value = serde_json::from_slice(&trusted.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&trusted.stderr)));
    assert_eq!(body["token_type"], "Bearer");
    // without trust, verification fails
    let untrusted = curl(&[]);
    assert_eq!(
        untrusted.status.code(),
        Some(60),
        "curl: peer certificate cannot be verified"
    );
    let meta = std::process::Command::new("curl")
        .args(["-sS", "--insecure"])
        .arg(format!(
            "https://{}/.well-known/oauth-authorization-server",
            server.addr
        ))
        .output()
        .unwrap();
    let meta: Value = serde_json::from_slice(&meta.stdout).unwrap();
    assert_eq!(meta["issuer"], format!("https://{}", server.addr));
}

fn store_writes(server: &Server) -> u64 {
    let metrics = server.get("/metrics").text();
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("p6auth_store_writes_total "))
        .unwrap_or_else(|| panic!("no p6auth_store_writes_total in {metrics}"))
        .parse()
        .unwrap()
}

fn verified_tokens_remembered(server: &Server) -> u64 {
    let metrics = server.get("/metrics").text();
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("p6auth_cache_entries{cache=\"verified_tokens\"} "))
        .unwrap_or_else(|| panic!("no verified_tokens gauge in {metrics}"))
        .parse()
        .unwrap()
}

#[test]
fn issuing_and_introspecting_tokens_makes_no_store_writes() {
    let dir = TestDir::new();
    let (a, _b, gateway) = two_integrations(dir.path());
    // the housekeeping loop runs one round at start (it purges, which writes), then not for an hour
    let server = Server::start(dir.path(), &["--maintenance-interval", "1h"]);
    let mut settled = store_writes(&server);
    let stable = within(Duration::from_secs(5), || {
        std::thread::sleep(Duration::from_millis(200));
        let now = store_writes(&server);
        let same = now == settled && now > 0;
        settled = now;
        same
    });
    assert!(
        stable.is_some(),
        "the first housekeeping round did not settle"
    );

    let mut tokens = Vec::new();
    for i in 0..200 {
        let t = if i % 2 == 0 {
            token(&server, &a)
        } else {
            let r = server.post_form(
                "/oauth/token",
                &format!(
                    "grant_type=client_credentials&client_id={}&client_secret={}",
                    a.id, a.secret
                ),
                &[],
            );
            assert_eq!(r.status, 200, "{}", r.text());
            r.json()["access_token"].as_str().unwrap().to_string()
        };
        tokens.push(t);
    }
    for t in tokens.iter().take(50) {
        assert!(active(&server, &gateway, t));
    }
    // a token introspected again is answered without checking its signature a second time
    assert_eq!(verified_tokens_remembered(&server), 50);
    for t in tokens.iter().take(50) {
        assert!(active(&server, &a, t));
    }
    assert_eq!(verified_tokens_remembered(&server), 50);
    assert_eq!(server.get("/.well-known/jwks.json").status, 200);
    assert_eq!(
        store_writes(&server),
        settled,
        "the token path wrote to the store"
    );

    // the counter does count: a revocation is two writes (the revocation and its audit entry)
    assert_eq!(revoke(&server, &a, &tokens[0], "access_token").status, 200);
    assert_eq!(store_writes(&server), settled + 2);
}
