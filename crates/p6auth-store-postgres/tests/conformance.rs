//! The shared store conformance suite, and the checks only several processes can make, on a
//! fresh database of the server named by `P6AUTH_TEST_DATABASE_URL` (required: no skipping).

use std::sync::Arc;
use std::time::{Duration, Instant};

use p6auth_core::signing_key::{Algorithm, StoredSigningKey};
use p6auth_store::{ChangeFeed, InstanceStore, SigningKeyStore, Wake};
use p6auth_store_postgres::PgStore;
use p6auth_store_postgres::test_database::{TestDatabase, server_url};

async fn fresh() -> TestDatabase {
    TestDatabase::create(&server_url()).await.unwrap()
}

#[tokio::test]
async fn conformance() {
    let db = fresh().await;
    let store = PgStore::connect(&db.url).await.unwrap();
    p6auth_store::conformance::run_all(&store).await;
    store.close().await;
    db.drop_database().await.unwrap();
}

#[tokio::test]
async fn migrations_run_once_when_nodes_start_together_and_data_survives_a_reconnect() {
    let db = fresh().await;
    let mut starts = Vec::new();
    for _ in 0..4 {
        let url = db.url.clone();
        starts.push(tokio::spawn(async move { PgStore::connect(&url).await }));
    }
    let mut stores = Vec::new();
    for s in starts {
        stores.push(s.await.unwrap().unwrap());
    }
    stores[0]
        .create_instance("acme", "Acme", "", 1)
        .await
        .unwrap();
    for s in &stores {
        s.close().await;
    }
    let again = PgStore::connect(&db.url).await.unwrap();
    assert_eq!(again.list_instances().await.unwrap().len(), 1);
    again.close().await;
    db.drop_database().await.unwrap();
}

fn key(kid: &str) -> StoredSigningKey {
    StoredSigningKey {
        kid: kid.into(),
        alg: Algorithm::ES256,
        sealed_private_key: vec![1],
        public_jwk: "{}".into(),
        created_at: 1,
        activates_at: 1,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_many_nodes_creating_the_first_key_at_once_exactly_one_wins() {
    let db = fresh().await;
    let mut nodes = Vec::new();
    for _ in 0..6 {
        nodes.push(Arc::new(PgStore::connect(&db.url).await.unwrap()));
    }
    for round in 0..5 {
        let mut attempts = Vec::new();
        for (n, node) in nodes.iter().enumerate() {
            let node = Arc::clone(node);
            let kid = format!("r{round}-n{n}");
            attempts.push(tokio::spawn(async move {
                node.insert_first_signing_key(key(&kid)).await
            }));
        }
        let mut winners = 0;
        for a in attempts {
            if a.await.unwrap().unwrap() {
                winners += 1;
            }
        }
        let keys = nodes[0].list_signing_keys().await.unwrap();
        assert_eq!(
            (winners, keys.len()),
            (1, 1),
            "round {round}: exactly one first key"
        );
        // empty the table for the next round
        p6auth_store::Maintenance::import(
            nodes[0].as_ref(),
            &p6auth_store::Snapshot::default(),
            true,
        )
        .await
        .unwrap();
    }
    for n in &nodes {
        n.close().await;
    }
    db.drop_database().await.unwrap();
}

#[tokio::test]
async fn a_write_by_another_node_is_announced_within_a_second() {
    let db = fresh().await;
    let watcher = PgStore::connect(&db.url).await.unwrap();
    let writer = PgStore::connect(&db.url).await.unwrap();
    // the first wait opens the notification connection; until it is up, waits poll
    let started = Instant::now();
    while !watcher.is_listening() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "never listening"
        );
        watcher
            .wait_for_change(Duration::from_secs(1), Duration::from_millis(50))
            .await;
    }
    // the (re)connection itself wakes the waiter once
    watcher
        .wait_for_change(Duration::from_millis(200), Duration::from_millis(200))
        .await;
    let mut slowest = Duration::ZERO;
    for n in 0..5 {
        let write = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            writer
                .create_instance(&format!("i{n}"), "I", "", 1)
                .await
                .unwrap();
            Instant::now()
        };
        let wait = async {
            let w = watcher
                .wait_for_change(Duration::from_secs(5), Duration::from_secs(5))
                .await;
            (w, Instant::now())
        };
        let (written, (wake, woken)) = tokio::join!(write, wait);
        assert_eq!(wake, Wake::Notified);
        slowest = slowest.max(woken.saturating_duration_since(written));
    }
    println!("slowest announcement: {slowest:?}");
    assert!(slowest < Duration::from_secs(1));
    watcher.close().await;
    writer.close().await;
    db.drop_database().await.unwrap();
}
