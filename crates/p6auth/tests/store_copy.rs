//! Moving house: a populated SQLite deployment copied to PostgreSQL serves the same answers;
//! and the online SQLite backup. Needs `P6AUTH_TEST_DATABASE_URL` (set by scripts/test.sh).

mod support;

use std::ffi::OsString;

use serde_json::Value;
use support::*;

const LISTINGS: &[&[&str]] = &[
    &["instance", "list", "--json"],
    &["permission-set", "list", "--json"],
    &["integration", "list", "--json"],
    &["keys", "list", "--json"],
];

fn listings(store: &[OsString]) -> Vec<String> {
    LISTINGS.iter().map(|l| cli_with_ok(store, l)).collect()
}

fn token(server: &Server, c: &Credentials, scope: Option<&str>) -> (u16, Value) {
    let body = match scope {
        Some(s) => format!("grant_type=client_credentials&scope={s}"),
        None => "grant_type=client_credentials".into(),
    };
    let r = server.post_form(
        "/oauth/token",
        &body,
        &[("Authorization", &basic(&c.id, &c.secret))],
    );
    (r.status, r.json())
}

/// The parts of a token answer that do not change from one request to the next.
fn stable(answer: &(u16, Value)) -> Value {
    let (status, body) = answer;
    match body["access_token"].as_str() {
        Some(t) => {
            let (header, claims) = decode_jwt(t);
            serde_json::json!({
                "status": status, "scope": body["scope"], "expires_in": body["expires_in"],
                "kid": header["kid"], "alg": header["alg"], "sub": claims["sub"],
                "claims_scope": claims["scope"],
            })
        }
        None => serde_json::json!({"status": status, "error": body["error"]}),
    }
}

#[test]
fn an_embedded_deployment_moves_to_postgres_and_answers_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = sqlite_args(dir.path());
    let erp = seed_with(&sqlite);
    cli_with_ok(
        &sqlite,
        &["instance", "create", "beta", "--display-name", "Beta Ltd"],
    );
    cli_with_ok(
        &sqlite,
        &[
            "permission-set",
            "create",
            "--instance",
            "*",
            "--name",
            "Auditor",
            "--permission",
            "audit=read",
            "--description",
            "global",
        ],
    );
    cli_with_ok(
        &sqlite,
        &[
            "permission-set",
            "create",
            "--instance",
            "beta",
            "--name",
            "Integration",
            "--permission",
            "users=write",
        ],
    );
    let multi = create_integration_with(&sqlite, "Multi", &["beta/Integration", "acme/Auditor"]);
    let off = create_integration_with(&sqlite, "Off", &["acme/Integration"]);
    cli_with_ok(&sqlite, &["integration", "disable", &off.id]);

    // served from SQLite, with a rotated key so that two keys are published
    let server = Server::spawn(&sqlite);
    cli_with_ok(
        &sqlite,
        &[
            "keys",
            "rotate",
            "--prepublish",
            "0",
            "--algorithm",
            "EdDSA",
        ],
    );
    assert!(
        within(std::time::Duration::from_secs(1), || {
            server.get("/.well-known/jwks.json").json()["keys"]
                .as_array()
                .unwrap()
                .len()
                == 2
        })
        .is_some()
    );
    let requests = [
        (&erp, None),
        (&erp, Some("acme:orgs=read")),
        (&multi, None),
        (&off, None),
        (&erp, Some("acme:users=write")),
    ];
    let before: Vec<Value> = requests
        .iter()
        .map(|(c, s)| stable(&token(&server, c, *s)))
        .collect();
    let jwks_before = server.get("/.well-known/jwks.json").json();
    let old_token = token(&server, &erp, None).1["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(server.terminate());
    // after the stop, which records when each secret was last used
    let listed_before = listings(&sqlite);

    // copy, with the counts verified
    let pg = PgTarget::with_key_file(&dir.path().join("master.key"));
    let from = format!("sqlite://{}", dir.path().display());
    let out = cli_with_ok(&[], &["store", "copy", "--from", &from, "--to", pg.url()]);
    assert!(
        out.starts_with(
            // the first start made the first administrator: instance default, its root, the user
            "copied 3 instances, 4 permission sets, 3 integrations (4 policies, 3 secrets), 3 org nodes, \
             1 users, 2 signing keys, 0 revoked tokens, 14 audit entries\n"
        ),
        "{out}"
    );
    assert!(out.contains("verified"), "{out}");

    // a non-empty target is refused unless --force
    let refused = cli_with(&[], &["store", "copy", "--from", &from, "--to", pg.url()]);
    assert_eq!(refused.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("the target store is not empty"));
    cli_with_ok(
        &[],
        &[
            "store",
            "copy",
            "--from",
            &from,
            "--to",
            pg.url(),
            "--force",
        ],
    );
    let missing = cli_with(
        &[],
        &[
            "store",
            "copy",
            "--from",
            "sqlite:///nonexistent/p6auth",
            "--to",
            pg.url(),
        ],
    );
    assert_eq!(missing.status.code(), Some(3));

    // served from PostgreSQL: the same answers
    let postgres = pg.args();
    assert_eq!(listings(&postgres), listed_before);
    let server = Server::spawn(&postgres);
    let jwks_after = server.get("/.well-known/jwks.json").json();
    assert_eq!(jwks_after, jwks_before);
    assert!(
        verify_with_jwks(&old_token, &jwks_after),
        "tokens issued before the move verify"
    );
    let after: Vec<Value> = requests
        .iter()
        .map(|(c, s)| stable(&token(&server, c, *s)))
        .collect();
    assert_eq!(after, before);
    assert_eq!(after[0]["alg"], "EdDSA", "the newest key signs");
    assert_eq!(
        after[3]["error"], "invalid_client",
        "disabled stays disabled"
    );
    assert_eq!(after[4]["error"], "invalid_scope");
    let fresh = token(&server, &erp, None).1;
    assert!(verify_with_jwks(
        fresh["access_token"].as_str().unwrap(),
        &jwks_after
    ));
}

#[test]
fn backup_copies_the_live_sqlite_database() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = sqlite_args(dir.path());
    let erp = seed_with(&sqlite);
    let server = Server::spawn(&sqlite);
    let jwks = server.get("/.well-known/jwks.json").json();

    // online: the server keeps running and serving
    let saved = tempfile::tempdir().unwrap();
    let file = saved.path().join("p6auth.db");
    let out = cli_with_ok(&sqlite, &["backup", "--to", file.to_str().unwrap()]);
    assert!(out.contains("backed up"), "{out}");
    assert_eq!(token_status(&server, &erp), 200);
    let again = cli_with(&sqlite, &["backup", "--to", file.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    // the backup and the master key make a working deployment
    std::fs::copy(
        dir.path().join("master.key"),
        saved.path().join("master.key"),
    )
    .unwrap();
    drop(server);
    let restored = Server::spawn(&sqlite_args(saved.path()));
    assert_eq!(restored.get("/.well-known/jwks.json").json(), jwks);
    assert_eq!(token_status(&restored, &erp), 200);

    // PostgreSQL is backed up with its own tools
    let pg = PgTarget::new();
    let out = cli_with(
        &pg.args(),
        &["backup", "--to", saved.path().join("x").to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
}

#[test]
fn postgres_needs_a_shared_master_key_file() {
    let pg = PgTarget::new();
    let out = cli_with(
        &["--database-url".into(), pg.url().into()],
        &["serve", "--listen", "127.0.0.1:0"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--master-key-file"));
    let out = cli_with(
        &["--database-url".into(), "mysql://x/y".into()],
        &["instance", "list"],
    );
    assert_eq!(out.status.code(), Some(2));
    // commands that need no key work without one
    assert!(
        cli_with_ok(
            &["--database-url".into(), pg.url().into()],
            &["instance", "list"]
        )
        .starts_with("NAME")
    );
}
