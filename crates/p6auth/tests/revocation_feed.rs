//! The revocation feed against the real server: a verifier polling it refuses a revoked token,
//! the tokens of integrations deleted, stripped of a policy, holding a disabled set, or disabled
//! (all by the CLI, another process) within the poll interval; callers without credentials or `tokens=introspect` are refused.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use p6auth_client::config::{ClientConfig, LoadOptions};
use p6auth_client::revocation_feed::FeedError;
use p6auth_client::{
    RevocationFeed, RevocationFeedOptions, TokenSource, Verifier, VerifierOptions, VerifyError,
};
use support::*;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

const POLL: Duration = Duration::from_millis(200);
/// The poll interval, one round trip, and room for a loaded test machine.
const BOUND: Duration = Duration::from_secs(3);

async fn token_of(url: &str, c: &Credentials) -> String {
    let text = format!(
        "p6auth {{ url: \"{url}\", client {{ id: \"{}\", secret: \"{}\" }} }}",
        c.id, c.secret
    );
    let env = |_: &str| None;
    let config = ClientConfig::parse_hocon(&text, "test.conf", &LoadOptions::with_env(&env));
    TokenSource::new(config.unwrap())
        .token()
        .await
        .unwrap()
        .token
}

fn feed_for(url: &str, c: &Credentials) -> RevocationFeed {
    let mut options = RevocationFeedOptions::new(url, c.id.clone(), c.secret.clone());
    options.poll_interval = POLL;
    RevocationFeed::new(options)
}

/// How long until `verifier` refuses `token` as revoked; panics past [`BOUND`].
async fn refused_within(verifier: &Verifier, token: &str) -> Duration {
    let start = Instant::now();
    loop {
        match verifier.verify(token).await {
            Err(VerifyError::Revoked) => return start.elapsed(),
            Ok(_) => {}
            Err(e) => panic!("refused for another reason: {e}"),
        }
        assert!(
            start.elapsed() < BOUND,
            "still accepted after {:?}",
            start.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn create_set(dir: &std::path::Path, instance: &str, name: &str, permission: &str) {
    cli_ok(
        dir,
        &[
            "permission-set",
            "create",
            "--instance",
            instance,
            "--name",
            name,
            "--permission",
            permission,
        ],
    );
}

#[test]
fn a_polling_verifier_refuses_revoked_deleted_and_disabled_within_the_interval() {
    // the test directory (and its PostgreSQL database) is made and dropped outside the runtime
    let dir = TestDir::new();
    runtime().block_on(
        a_polling_verifier_refuses_revoked_deleted_and_disabled_within_the_interval_in(&dir),
    );
}

async fn a_polling_verifier_refuses_revoked_deleted_and_disabled_within_the_interval_in(
    dir: &TestDir,
) {
    let erp = seed(dir.path());
    let gone = create_integration(dir.path(), "Gone", &["acme/Integration"]);
    create_set(dir.path(), "acme", "Introspect", "tokens=introspect");
    let watcher = create_integration(dir.path(), "Watcher", &["acme/Introspect"]);
    create_set(dir.path(), "acme", "Orgs", "orgs=read");
    create_set(dir.path(), "acme", "Reports", "reports=read");
    let shrunk = create_integration(dir.path(), "Shrunk", &["acme/Integration", "acme/Orgs"]);
    let reporter = create_integration(dir.path(), "Reporter", &["acme/Reports"]);
    let server = Server::start(dir.path(), &[]);
    let url = server.url("");

    let feed = feed_for(&url, &watcher);
    feed.poll().await.unwrap();
    let _poller = feed.spawn();
    let verifier = Verifier::builder(VerifierOptions::new(url.clone()))
        .revocation_check(Arc::new(feed.clone()))
        .build()
        .unwrap();

    let revoked = token_of(&url, &erp).await;
    let gone_token = token_of(&url, &gone).await;
    for t in [&revoked, &gone_token] {
        verifier.verify(t).await.unwrap();
    }
    // a second token of ERP, issued a second later so that revoking the first leaves it alone
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let kept = token_of(&url, &erp).await;
    assert_ne!(kept, revoked);

    let r = server.post_form(
        "/oauth/revoke",
        &format!("token={revoked}"),
        &[("Authorization", &basic(&erp.id, &erp.secret))],
    );
    assert_eq!(r.status, 200);
    let took = refused_within(&verifier, &revoked).await;
    eprintln!("revoked token refused after {took:?}");
    verifier.verify(&kept).await.unwrap();

    cli_ok(dir.path(), &["integration", "delete", &gone.id]);
    let took = refused_within(&verifier, &gone_token).await;
    eprintln!("deleted integration's token refused after {took:?}");
    verifier.verify(&kept).await.unwrap();

    let shrunk_token = token_of(&url, &shrunk).await;
    let reporter_token = token_of(&url, &reporter).await;
    verifier.verify(&shrunk_token).await.unwrap();
    verifier.verify(&reporter_token).await.unwrap();
    let policies = [
        "integration",
        "set-policies",
        &shrunk.id,
        "--policy",
        "acme/Orgs",
    ];
    cli_ok(dir.path(), &policies);
    let took = refused_within(&verifier, &shrunk_token).await;
    eprintln!("a token of an integration that lost a policy refused after {took:?}");
    let disable_set = [
        "permission-set",
        "disable",
        "--instance",
        "acme",
        "--name",
        "Reports",
    ];
    cli_ok(dir.path(), &disable_set);
    let took = refused_within(&verifier, &reporter_token).await;
    eprintln!("a token carrying a disabled set refused after {took:?}");

    cli_ok(dir.path(), &["integration", "disable", &erp.id]);
    let took = refused_within(&verifier, &kept).await;
    eprintln!("disabled integration's token refused after {took:?}");
    assert!(feed.polls() >= 3);
}

#[test]
fn the_feed_needs_credentials_and_tokens_introspect_and_is_scoped_by_instance() {
    // the test directory (and its PostgreSQL database) is made and dropped outside the runtime
    let dir = TestDir::new();
    runtime().block_on(
        the_feed_needs_credentials_and_tokens_introspect_and_is_scoped_by_instance_in(&dir),
    );
}

async fn the_feed_needs_credentials_and_tokens_introspect_and_is_scoped_by_instance_in(
    dir: &TestDir,
) {
    let erp = seed(dir.path());
    cli_ok(dir.path(), &["instance", "create", "beta"]);
    create_set(dir.path(), "beta", "Introspect", "tokens=introspect");
    let beta_watcher = create_integration(dir.path(), "BetaWatcher", &["beta/Introspect"]);
    create_set(dir.path(), "*", "IntrospectAll", "*:tokens=introspect");
    let global = create_integration(dir.path(), "Global", &["*/IntrospectAll"]);
    let server = Server::start(dir.path(), &[]);
    let url = server.url("");

    let r = server.get("/oauth/revocations");
    assert_eq!(r.status, 401);
    assert!(r.header("WWW-Authenticate").is_some());
    assert_eq!(
        r.json()["error_description"],
        "client authentication is missing: send the integration's credentials with HTTP Basic"
    );
    // an Authorization header that is not visible ASCII is unusable, like any malformed one
    let r = server.request(
        "GET",
        "/oauth/revocations",
        &[("Authorization", "Basic \u{e9}t\u{e9}")],
        b"",
    );
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(r.json()["error"], "invalid_client");
    let wrong = server.request(
        "GET",
        "/oauth/revocations",
        &[("Authorization", &basic(&erp.id, "p6s_wrong"))],
        b"",
    );
    assert_eq!(wrong.status, 401);
    let r = server.request(
        "GET",
        "/oauth/revocations",
        &[("Authorization", &basic(&erp.id, &erp.secret))],
        b"",
    );
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"], "insufficient_scope");
    assert_eq!(
        feed_for(&url, &erp).poll().await.unwrap_err(),
        FeedError::Forbidden
    );
    let bad_cursor = server.request(
        "GET",
        "/oauth/revocations?since=yesterday",
        &[("Authorization", &basic(&global.id, &global.secret))],
        b"",
    );
    assert_eq!(bad_cursor.status, 400);
    // negative, and far in the future (which would hide every revocation until then)
    for cursor in ["-1", "9999999999"] {
        let r = server.request(
            "GET",
            &format!("/oauth/revocations?since={cursor}"),
            &[("Authorization", &basic(&global.id, &global.secret))],
            b"",
        );
        assert_eq!(
            (r.status, r.json()["error_description"].as_str()),
            (
                400,
                // RFC 6749 §5.2 allows no '"' in an error_description
                Some(format!("the cursor '{cursor}' is not one this server handed out").as_str())
            )
        );
    }

    cli_ok(dir.path(), &["integration", "disable", &erp.id]);
    let read = |c: &Credentials, query: &str| {
        let r = server.request(
            "GET",
            &format!("/oauth/revocations{query}"),
            &[("Authorization", &basic(&c.id, &c.secret))],
            b"",
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.header("Cache-Control"), Some("no-store"));
        r.json()
    };
    let all = read(&global, "");
    let ids: Vec<&str> = all["not_before"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [erp.id.as_str()], "{all}");
    let beta = read(&beta_watcher, "");
    assert_eq!(
        beta["not_before"],
        serde_json::json!([]),
        "acme's integrations are not beta's business"
    );
    // the cursor trails the server's time by the overlap, so the same entry comes again
    let cursor = all["cursor"].as_str().unwrap();
    let again = read(&global, &format!("?since={cursor}"));
    assert_eq!(again["not_before"], all["not_before"]);
}
