//! The client SDK's token source against the real server: the issue's config snippet,
//! single-flight, refresh before expiry, retries, typed errors, onboarding and reloading
//! credentials without a restart.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use p6auth_client::clock::{Clock, ManualClock, SystemClock};
use p6auth_client::config::{ClientConfig, LoadOptions};
use p6auth_client::token_source::RetryPolicy;
use p6auth_client::{TokenError, TokenSource};
use support::proxy::Proxy;
use support::*;

/// The snippet of the issue, as written.
const ISSUE_SNIPPET: &str = r#"p6auth {
    client {
      id: "73705350-8de1-11e9-b4f3-5303f388dd00"
      secret: "74686ef0-8de1-11e9-b4f3-5303f388dd00"
    }
}
"#;

fn no_env(_: &str) -> Option<String> {
    None
}

fn config(url: &str, c: &Credentials) -> ClientConfig {
    let text = format!(
        "p6auth {{ url: \"{url}\", client {{ id: \"{}\", secret: \"{}\" }} }}",
        c.id, c.secret
    );
    ClientConfig::parse_hocon(&text, "test.conf", &LoadOptions::with_env(&no_env)).unwrap()
}

fn quick_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
    }
}

/// Writes `text` to `path` the way a careful deployment does: a temporary file, then a rename.
fn write_atomically(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_issue_snippet_configures_a_working_token_source() {
    let dir = tempfile::tempdir().unwrap();
    let c = seed(dir.path());
    let server = Server::start(dir.path(), &[]);
    let conf = dir.path().join("application.conf");

    // verbatim: it parses, and p6auth refuses the sample credentials
    std::fs::write(&conf, ISSUE_SNIPPET).unwrap();
    let sample = TokenSource::builder_from_file(&conf)
        .url(server.url(""))
        .build()
        .unwrap();
    assert_eq!(
        sample.config().client_id,
        "73705350-8de1-11e9-b4f3-5303f388dd00"
    );
    assert!(matches!(
        sample.token().await,
        Err(TokenError::InvalidClient { .. })
    ));

    // the same snippet holding real credentials
    let text = ISSUE_SNIPPET
        .replace("73705350-8de1-11e9-b4f3-5303f388dd00", &c.id)
        .replace("74686ef0-8de1-11e9-b4f3-5303f388dd00", &c.secret);
    std::fs::write(&conf, text).unwrap();
    let tokens = TokenSource::builder_from_file(&conf)
        .url(server.url(""))
        .build()
        .unwrap();
    let t = tokens.token().await.unwrap();
    let (header, claims) = decode_jwt(&t.token);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(claims["client_id"], c.id.as_str());
    assert_eq!(
        t.scope.as_deref(),
        Some("acme:orgs=read acme:users=read('./')")
    );
    assert_eq!(t.expires_at - t.obtained_at, 3600);
    assert_eq!(t.refresh_at - t.obtained_at, 2880);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_callers_make_one_token_request() {
    let dir = tempfile::tempdir().unwrap();
    let c = seed(dir.path());
    let server = Server::start(dir.path(), &[]);
    let proxy = Proxy::start(&server.addr);
    let tokens = TokenSource::new(config(&proxy.url("http"), &c));

    let barrier = Arc::new(tokio::sync::Barrier::new(1000));
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let (tokens, barrier) = (tokens.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                tokens.token().await
            })
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    for task in tasks {
        seen.insert(task.await.unwrap().unwrap().token);
    }
    assert_eq!(seen.len(), 1, "every caller got the same token");
    assert_eq!(
        proxy.count("/oauth/token"),
        1,
        "exactly one token request reached the server"
    );
    assert_eq!(tokens.requests_sent(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_refreshed_before_they_expire() {
    let dir = tempfile::tempdir().unwrap();
    let c = seed(dir.path());
    let server = Server::start(dir.path(), &["--access-token-lifetime", "10"]);
    let proxy = Proxy::start(&server.addr);
    let clock = ManualClock::new(SystemClock.now());
    let tokens = TokenSource::builder(config(&proxy.url("http"), &c))
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();

    let first = tokens.token().await.unwrap();
    assert_eq!(first.expires_at - first.obtained_at, 10);
    // 10 s tokens: 80% would be 8 s and 60 s before the end is already past, so half: 5 s
    assert_eq!(first.refresh_at - first.obtained_at, 5);
    clock.advance(4);
    assert_eq!(tokens.token().await.unwrap().token, first.token, "cached");
    assert_eq!(proxy.count("/oauth/token"), 1);

    clock.advance(1);
    let second = tokens.token().await.unwrap();
    assert_ne!(second.token, first.token, "refreshed");
    assert!(
        clock.now() < first.expires_at,
        "while the first was still valid"
    );
    assert_ne!(
        decode_jwt(&second.token).1["jti"],
        decode_jwt(&first.token).1["jti"]
    );
    assert_eq!(proxy.count("/oauth/token"), 2);
    assert_eq!(tokens.token().await.unwrap().token, second.token);
    assert_eq!(proxy.count("/oauth/token"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_are_retried_and_others_are_typed() {
    let dir = tempfile::tempdir().unwrap();
    let c = seed(dir.path());
    let server = Server::start(dir.path(), &[]);
    let proxy = Proxy::start(&server.addr);

    let tokens = TokenSource::builder(config(&proxy.url("http"), &c))
        .retry(quick_retries(4))
        .build()
        .unwrap();
    proxy.fail_next(2);
    assert!(tokens.token().await.is_ok(), "503, 503, then a token");
    assert_eq!(proxy.count("/oauth/token"), 3);
    assert_eq!(tokens.requests_sent(), 3);

    let tokens = TokenSource::builder(config(&proxy.url("http"), &c))
        .retry(quick_retries(3))
        .build()
        .unwrap();
    proxy.fail_next(100);
    let err = tokens.token().await.unwrap_err();
    assert!(
        matches!(err, TokenError::Unavailable { status: 503, .. }),
        "{err}"
    );
    assert_eq!(tokens.requests_sent(), 3, "three attempts, then the error");
    proxy.fail_next(0);

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let err = TokenSource::builder(config(&closed_url, &c))
        .retry(quick_retries(2))
        .build()
        .unwrap()
        .token()
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::Unreachable { .. }), "{err}");

    // not transient: one request each
    let wrong = Credentials {
        secret: format!("{}x", c.secret),
        ..c
    };
    let tokens = TokenSource::new(config(&server.url(""), &wrong));
    assert!(matches!(
        tokens.token().await,
        Err(TokenError::InvalidClient { .. })
    ));
    assert_eq!(tokens.requests_sent(), 1);

    let c = create_integration(dir.path(), "Other", &["acme/Integration"]);
    let other = TokenSource::new(config(&server.url(""), &c));
    let works = within(Duration::from_secs(2), || {
        futures_block(other.token()).is_ok()
    });
    assert!(works.is_some());
    cli_ok(dir.path(), &["integration", "disable", &c.id]);
    let refused = within(Duration::from_secs(2), || {
        other.invalidate();
        futures_block(other.token()).is_err_and(|e| matches!(e, TokenError::InvalidClient { .. }))
    });
    assert!(
        refused.is_some(),
        "a disabled integration is invalid_client"
    );

    let mut mismatch = config(&server.url(""), &c);
    cli_ok(dir.path(), &["integration", "enable", &c.id]);
    mismatch.redirect_uri = Some("https://elsewhere.example/cb".into());
    let tokens = TokenSource::new(mismatch);
    let seen = within(Duration::from_secs(2), || {
        futures_block(tokens.token())
            .is_err_and(|e| matches!(e, TokenError::RedirectUriMismatch { .. }))
    });
    assert!(seen.is_some(), "a wrong redirect URI is named as such");
}

/// Runs a future to completion from a synchronous closure inside the test's runtime.
fn futures_block<F: std::future::Future>(f: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onboarding_output_works_and_new_credentials_need_no_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let out = cli_ok(
        dir.path(),
        &[
            "instance",
            "create",
            "shop",
            "--with-integration",
            "--url",
            &server.url(""),
        ],
    );
    assert!(
        out.contains(
            "created permission set Integration in instance shop: orgs=read shop:users=read('./')"
        ),
        "{out}"
    );
    let block = &out[out.find("p6auth {").expect("a block to paste")..];
    let conf = dir.path().join("application.conf");
    std::fs::write(
        &conf,
        format!("# the instance's config\nplay.http.secret.key = \"x\"\n{block}"),
    )
    .unwrap();

    let tokens = TokenSource::builder_from_file(&conf)
        .watch_interval(Some(Duration::from_millis(100)))
        .build()
        .unwrap();
    let first_id = tokens.config().client_id;
    let got = within(Duration::from_secs(2), || {
        futures_block(tokens.token()).is_ok()
    });
    assert!(
        got.is_some(),
        "the pasted block gives a working token source"
    );
    let t = tokens.token().await.unwrap();
    assert_eq!(
        t.scope.as_deref(),
        Some("shop:orgs=read shop:users=read('./')")
    );

    // new credentials (a second integration), then the old ones stop working
    let second = create_integration(dir.path(), "shop rotated", &["shop/Integration"]);
    write_atomically(
        &conf,
        &format!(
            "p6auth {{\n  url: \"{}\"\n  client {{\n    id: \"{}\"\n    secret: \"{}\"\n  }}\n}}\n",
            server.url(""),
            second.id,
            second.secret
        ),
    );
    cli_ok(dir.path(), &["integration", "disable", &first_id]);

    let switched = within(Duration::from_secs(3), || {
        futures_block(tokens.token()).is_ok_and(|t| t.client_id == second.id)
    });
    assert!(switched.is_some(), "the token source follows the file");
    let t = tokens.token().await.unwrap();
    assert_eq!(decode_jwt(&t.token).1["client_id"], second.id.as_str());

    // a broken edit is ignored: the working credentials stay
    write_atomically(&conf, "p6auth { client { id: \"oops\" ");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(tokens.config().client_id, second.id);
    assert!(tokens.token().await.is_ok());
}
