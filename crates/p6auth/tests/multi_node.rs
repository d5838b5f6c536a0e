//! Several nodes on one PostgreSQL database: they agree on one signing key when they start
//! together, see every change made on another node or by the CLI within a second, and survive
//! the loss of one of them.
//! Needs `P6AUTH_TEST_DATABASE_URL` (set by scripts/test.sh); fails without it.

mod support;

use std::ffi::OsString;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::*;

const ONE_SECOND: Duration = Duration::from_secs(1);

fn start_nodes(args: &[OsString], n: usize) -> Vec<Server> {
    // started together, so their first-key creation races
    let starts: Vec<_> = (0..n)
        .map(|_| {
            let args = args.to_vec();
            thread::spawn(move || Server::spawn(&args))
        })
        .collect();
    starts.into_iter().map(|s| s.join().unwrap()).collect()
}

fn kids(server: &Server) -> Vec<String> {
    server.get("/.well-known/jwks.json").json()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

fn token(server: &Server, c: &Credentials) -> Value {
    let r = server.post_form(
        "/oauth/token",
        "grant_type=client_credentials",
        &[("Authorization", &basic(&c.id, &c.secret))],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn bearer(server: &Server, c: &Credentials) -> String {
    format!(
        "Bearer {}",
        token(server, c)["access_token"].as_str().unwrap()
    )
}

/// A call to the node's `/apis/v2` with a token the node issued to `caller`, answered with
/// `status`.
fn api(
    server: &Server,
    caller: &Credentials,
    (method, path): (&str, &str),
    body: Value,
    status: u16,
) -> Value {
    let auth = bearer(server, caller);
    let body = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    let r = server.request(
        method,
        path,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        &body,
    );
    assert_eq!(r.status, status, "{method} {path}: {}", r.text());
    r.json()
}

fn introspect(server: &Server, caller: &Credentials, token: &str) -> Value {
    let r = server.post_form(
        "/oauth/introspect",
        &format!("token={token}"),
        &[("Authorization", &basic(&caller.id, &caller.secret))],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

#[test]
fn three_nodes_share_one_database() {
    let pg = PgTarget::new();
    let store = pg.args();
    let nodes = start_nodes(&store, 3);
    let (a, b, c) = (&nodes[0], &nodes[1], &nodes[2]);

    // one signing key, the same on every node
    let first_kids = kids(a);
    assert_eq!(
        first_kids.len(),
        1,
        "nodes that start together create one key"
    );
    assert_eq!(kids(b), first_kids);
    assert_eq!(kids(c), first_kids);

    cli_with_ok(&store, &["instance", "create", "acme"]);
    cli_with_ok(
        &store,
        &[
            "permission-set",
            "create",
            "--instance",
            "acme",
            "--name",
            "R",
            "--permission",
            "orgs=read",
        ],
    );
    // an operator integration, made with the CLI, manages integrations through the nodes' API
    cli_with_ok(
        &store,
        &[
            "permission-set",
            "create",
            "--instance",
            "acme",
            "--name",
            "Operator",
            "--permission",
            "integrations=edit",
            "--permission",
            "tokens=introspect",
            // it may grant only what it holds
            "--permission",
            "orgs=read",
        ],
    );
    let operator = create_integration_with(&store, "Operator", &["acme/Operator"]);
    for node in [a, b] {
        assert!(within(ONE_SECOND, || token_status(node, &operator) == 200).is_some());
    }

    // an integration created through node A's API gets a token from node C within 1 s
    let made = api(
        a,
        &operator,
        ("POST", "/apis/v2/integrations"),
        json!({"name": "ERP", "redirect_uri": "https://erp.example/cb", "policies": ["acme/R"]}),
        201,
    );
    let erp = Credentials {
        id: made["application_id"].as_str().unwrap().to_string(),
        secret: made["client_secret"].as_str().unwrap().to_string(),
        redirect_uri: "https://erp.example/cb".into(),
    };
    let created = within(ONE_SECOND, || token_status(c, &erp) == 200)
        .expect("node C must serve an integration created on node A within 1 s");
    println!("integration created on A served by node C after {created:?}");

    // disabling it through node B's API makes nodes A and C refuse it within 1 s, and its token
    // inactive on every node (each of which has checked the token's signature before)
    let erp_token = token(c, &erp)["access_token"].as_str().unwrap().to_string();
    for node in &nodes {
        assert_eq!(introspect(node, &operator, &erp_token)["active"], true);
    }
    let disabled = api(
        b,
        &operator,
        ("POST", &format!("/apis/v2/integrations/{}/disable", erp.id)),
        json!(null),
        200,
    );
    assert_eq!(disabled["enabled"], false);
    let started = Instant::now();
    for (name, node) in [("A", a), ("C", c)] {
        let left = ONE_SECOND.saturating_sub(started.elapsed());
        assert!(
            within(left, || token_status(node, &erp) == 401).is_some(),
            "node {name} must refuse a disabled integration within 1 s"
        );
    }
    println!("disable on B seen by A and C after {:?}", started.elapsed());
    for (name, node) in [("A", a), ("B", b), ("C", c)] {
        let left = ONE_SECOND.saturating_sub(started.elapsed());
        assert!(
            within(left, || introspect(node, &operator, &erp_token)
                == json!({"active": false}))
            .is_some(),
            "node {name} must call the disabled integration's token inactive within 1 s"
        );
    }
    cli_with_ok(&store, &["integration", "enable", &erp.id]);
    for node in [a, c] {
        assert!(within(ONE_SECOND, || token_status(node, &erp) == 200).is_some());
    }

    // a key rotated through the CLI reaches every node's JWKS within 1 s, and signs there
    let out = cli_with_ok(&store, &["keys", "rotate", "--prepublish", "0"]);
    let new_kid = out.split_whitespace().nth(3).unwrap().to_string();
    let started = Instant::now();
    for node in &nodes {
        let left = ONE_SECOND.saturating_sub(started.elapsed());
        assert!(
            within(left, || kids(node).contains(&new_kid)).is_some(),
            "the new key must be published by every node within 1 s"
        );
    }
    println!(
        "rotated key published by all nodes after {:?}",
        started.elapsed()
    );
    for node in [a, c] {
        let t = token(node, &erp);
        let (header, _) = decode_jwt(t["access_token"].as_str().unwrap());
        assert_eq!(header["kid"], new_kid.as_str(), "the newest key signs");
        let jwks = node.get("/.well-known/jwks.json").json();
        assert_eq!(
            jwks["keys"].as_array().unwrap().len(),
            2,
            "the old key stays published"
        );
        assert!(verify_with_jwks(t["access_token"].as_str().unwrap(), &jwks));
    }

    // killing node B under load leaves A and C serving with no errors
    let mut nodes = nodes;
    let c = nodes.pop().unwrap();
    let b = nodes.pop().unwrap();
    let a = nodes.pop().unwrap();
    let survivors = Arc::new([a, c]);
    let stop = Arc::new(AtomicBool::new(false));
    let erp = Arc::new(erp);
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let (survivors, stop, erp) =
                (Arc::clone(&survivors), Arc::clone(&stop), Arc::clone(&erp));
            thread::spawn(move || {
                let node = &survivors[w % 2];
                let mut statuses = Vec::new();
                // bounded in count and in time
                let deadline = Instant::now() + Duration::from_secs(10);
                while !stop.load(Ordering::SeqCst)
                    && statuses.len() < 2000
                    && Instant::now() < deadline
                {
                    statuses.push((Instant::now(), token_status(node, &erp)));
                    thread::sleep(Duration::from_millis(5));
                }
                statuses
            })
        })
        .collect();
    thread::sleep(Duration::from_millis(500));
    let killed = Instant::now();
    b.kill();
    // a change after the kill still reaches the survivors
    let late = create_integration_with(&store, "Late", &["acme/R"]);
    for node in survivors.iter() {
        assert!(within(ONE_SECOND, || token_status(node, &late) == 200).is_some());
    }
    thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::SeqCst);
    let statuses: Vec<(Instant, u16)> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    let errors = statuses.iter().filter(|(_, s)| *s != 200).count();
    let after_kill = statuses.iter().filter(|(t, _)| *t > killed).count();
    println!(
        "{} requests to A and C, {after_kill} of them after B was killed, {errors} errors",
        statuses.len()
    );
    assert!(after_kill >= 100, "the load went on after the kill");
    assert_eq!(errors, 0);
}
