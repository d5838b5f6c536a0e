//! PostgreSQL goes away and comes back, under load, on a cluster this test owns: cached
//! integrations keep getting tokens, writes fail cleanly and quickly, the node recovers by
//! itself within seconds, no committed change is lost, and past the staleness bound tokens are
//! refused with 503 and Retry-After.

mod support;

use std::ffi::OsString;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use support::cluster::Cluster;
use support::*;

/// Small requests in a loop against one node, bounded in count and time, until stopped.
struct Load {
    stop: Arc<AtomicBool>,
    worker: thread::JoinHandle<Vec<(u16, Duration)>>,
}

impl Load {
    fn start(addr: String, c: &Credentials) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let auth = basic(&c.id, &c.secret);
        let flag = Arc::clone(&stop);
        let worker = thread::spawn(move || {
            let mut seen = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(60);
            while !flag.load(Ordering::SeqCst) && seen.len() < 5000 && Instant::now() < deadline {
                let started = Instant::now();
                let r = http(
                    &addr,
                    "POST",
                    "/oauth/token",
                    &[
                        ("Content-Type", "application/x-www-form-urlencoded"),
                        ("Authorization", &auth),
                    ],
                    b"grant_type=client_credentials",
                );
                seen.push((r.status, started.elapsed()));
                thread::sleep(Duration::from_millis(10));
            }
            seen
        });
        Load { stop, worker }
    }

    fn finish(self) -> Vec<(u16, Duration)> {
        self.stop.store(true, Ordering::SeqCst);
        self.worker.join().unwrap()
    }
}

fn store_args_for(url: &str, key: &std::path::Path) -> Vec<OsString> {
    vec![
        "--database-url".into(),
        url.into(),
        "--master-key-file".into(),
        key.into(),
    ]
}

#[test]
fn a_database_outage_is_ridden_out_and_recovered_from_without_a_restart() {
    let cluster = Cluster::start();
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("master.key");
    cli_with_ok(&[], &["master-key", "new", "--to", key.to_str().unwrap()]);
    let store = store_args_for(&cluster.url("postgres"), &key);
    let cached = seed_with(&store);
    let revoked = create_integration_with(&store, "Revoked", &["acme/Integration"]);
    let mut serve = store.clone();
    serve.extend(["--max-staleness".into(), "4".into()]);
    let node = Server::spawn(&serve);
    assert_eq!(token_status(&node, &cached), 200);

    // a change committed just before the outage
    cli_with_ok(&store, &["integration", "disable", &revoked.id]);
    assert!(
        within(Duration::from_secs(1), || token_status(&node, &revoked)
            == 401)
        .is_some()
    );

    let load = Load::start(node.addr.clone(), &cached);
    thread::sleep(Duration::from_millis(300));
    cluster.stop_server();
    let outage = Instant::now();

    // writes fail cleanly and quickly
    let started = Instant::now();
    let out = cli_with(&store, &["instance", "create", "during-outage"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot connect to PostgreSQL"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a write must not hang"
    );
    assert_eq!(node.get("/healthz").status, 200);

    // cached integrations keep getting tokens, then the database comes back
    thread::sleep(Duration::from_millis(1500).saturating_sub(outage.elapsed()));
    assert_eq!(token_status(&node, &cached), 200);
    assert_eq!(
        token_status(&node, &revoked),
        401,
        "revocations hold during the outage"
    );
    cluster.start_server();
    let restarted = Instant::now();

    // within 5 s, writes work and reach the running node
    let fresh = loop {
        let out = cli_with(
            &store,
            &[
                "integration",
                "create",
                "--name",
                "After",
                "--redirect-uri",
                "https://erp.example/cb",
                "--policy",
                "acme/Integration",
                "--json",
            ],
        );
        if out.status.success() {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            break Credentials {
                id: v["application_id"].as_str().unwrap().into(),
                secret: v["app_secret"].as_str().unwrap().into(),
                redirect_uri: v["redirect_uri"].as_str().unwrap().into(),
            };
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(5),
            "writes must work again within 5 s"
        );
        thread::sleep(Duration::from_millis(100));
    };
    let left = Duration::from_secs(5).saturating_sub(restarted.elapsed());
    assert!(
        within(left, || token_status(&node, &fresh) == 200).is_some(),
        "the node must serve changes again within 5 s of the restart, without a restart of its own"
    );
    println!(
        "recovered {:?} after the database restart",
        restarted.elapsed()
    );

    let during = load.finish();
    let failures = during.iter().filter(|(s, _)| *s != 200).count();
    let slowest = during.iter().map(|(_, d)| *d).max().unwrap();
    println!(
        "{} token requests across the outage, {failures} failures, slowest {slowest:?}",
        during.len()
    );
    assert!(during.len() > 50, "the load ran");
    assert_eq!(failures, 0, "cached integrations are served throughout");

    // no committed change is lost
    let list: serde_json::Value =
        serde_json::from_str(&cli_with_ok(&store, &["integration", "list", "--json"])).unwrap();
    let state: Vec<(String, bool)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["name"].as_str().unwrap().into(),
                i["enabled"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        state,
        vec![
            ("ERP".into(), true),
            ("Revoked".into(), false),
            ("After".into(), true)
        ]
    );
    assert_eq!(token_status(&node, &revoked), 401);

    // past the staleness bound (4 s here), tokens are refused with 503 and Retry-After
    cluster.stop_server();
    let stopped = Instant::now();
    assert!(
        within(Duration::from_secs(8), || token_status(&node, &cached)
            == 503)
        .is_some(),
        "tokens must be refused once the view is too old"
    );
    // the bound counts from the last successful read, at most a heartbeat (1 s) before the stop
    assert!(
        stopped.elapsed() >= Duration::from_millis(2900),
        "not before the bound: {:?}",
        stopped.elapsed()
    );
    let r = node.post_form(
        "/oauth/token",
        "grant_type=client_credentials",
        &[("Authorization", &basic(&cached.id, &cached.secret))],
    );
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after"), Some("5"));
    assert_eq!(r.json()["error"], "temporarily_unavailable");
    let health = node.get("/healthz");
    assert_eq!(health.status, 503);
    assert_eq!(health.json()["status"], "unavailable");
    cluster.start_server();
    let restarted = Instant::now();
    assert!(
        within(Duration::from_secs(5), || token_status(&node, &cached)
            == 200)
        .is_some(),
        "tokens again within 5 s of the restart"
    );
    println!(
        "served again {:?} after the second restart",
        restarted.elapsed()
    );
    assert_eq!(node.get("/healthz").json()["status"], "ok");
}
