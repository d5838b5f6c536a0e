//! The conformance suite: every backend runs [`run_all`] against a fresh, empty store.
//!
//! Each check asserts exact values, so two backends that pass behave the same to business code.

use p6auth_core::audit::NewAuditEntry;
use p6auth_core::integration::{NewIntegration, PolicyRef};
use p6auth_core::permission_set::NewPermissionSet;
use p6auth_core::revocation::RevokedToken;
use p6auth_core::secret::SecretHasher;
use p6auth_core::signing_key::{Algorithm, StoredSigningKey};

use std::time::{Duration, Instant};

use crate::{Snapshot, Store, StoreError};

/// Runs every check in turn on `store`, which must be empty.
pub async fn run_all(store: &dyn Store) {
    instances(store).await;
    permission_sets(store).await;
    integrations(store).await;
    signing_keys(store).await;
    token_lifecycle(store).await;
    revocations(store).await;
    audit(store).await;
    change_wakeups(store).await;
    crate::conformance_directory::run(store).await;
    crate::conformance_login::run(store).await;
    snapshots(store).await;
}

pub(crate) async fn bumps<F: std::future::Future<Output = T>, T>(
    store: &dyn Store,
    what: &str,
    f: F,
) -> T {
    let before = store.change_seq().await.expect("change_seq");
    let out = f.await;
    let after = store.change_seq().await.expect("change_seq");
    assert!(
        after > before,
        "{what} must bump the change sequence ({before} -> {after})"
    );
    out
}

async fn instances(store: &dyn Store) {
    assert_eq!(store.list_instances().await.unwrap(), vec![]);
    let acme = bumps(
        store,
        "create_instance",
        store.create_instance("acme", "Acme Corp", "The first", 100),
    )
    .await
    .unwrap();
    assert_eq!(
        (
            acme.name.as_str(),
            acme.display_name.as_str(),
            acme.description.as_str(),
            acme.enabled,
            acme.created_at
        ),
        ("acme", "Acme Corp", "The first", true, 100)
    );
    assert_eq!(store.get_instance("acme").await.unwrap(), acme);
    assert_eq!(
        store.get_instance("nope").await.unwrap_err(),
        StoreError::NotFound("instance nope".into())
    );
    store
        .create_instance("beta", "Beta", "", 101)
        .await
        .unwrap();
    let err = store
        .create_instance("acme", "again", "", 102)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        StoreError::Conflict("instance acme already exists".into())
    );
    let names: Vec<String> = store
        .list_instances()
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.name)
        .collect();
    assert_eq!(names, vec!["acme", "beta"]);
}

pub(crate) fn set(instance: &str, name: &str, perms: &[&str]) -> NewPermissionSet {
    NewPermissionSet {
        instance: instance.into(),
        name: name.into(),
        description: format!("{name} of {instance}"),
        permissions: perms.iter().map(|p| p.to_string()).collect(),
    }
    .validated()
    .unwrap()
}

async fn permission_sets(store: &dyn Store) {
    let readers = store
        .create_permission_set(
            set("acme", "Readers", &["orgs=read", "users=read('./')"]),
            200,
        )
        .await
        .unwrap();
    assert_eq!(readers.instance, "acme");
    assert_eq!(readers.permissions, vec!["orgs=read", "users=read('./')"]);
    assert_eq!(readers.description, "Readers of acme");
    assert!(readers.enabled);
    assert_eq!((readers.created_at, readers.updated_at), (200, 200));
    // the built-in set exists in every store, and a second one cannot be made
    let global = store
        .list_permission_sets()
        .await
        .unwrap()
        .into_iter()
        .find(p6auth_core::permission_set::is_builtin)
        .expect("the built-in Instance Admin set");
    assert_eq!(
        (global.instance.as_str(), global.permissions.clone()),
        ("*", vec!["*=*".to_string()])
    );
    assert_eq!(
        store
            .create_permission_set(set("*", "Instance Admin", &["*=*"]), 201)
            .await
            .unwrap_err(),
        StoreError::Conflict("permission set Instance Admin already exists in instance *".into())
    );
    // the same name in another instance is fine; in the same instance it is not
    store
        .create_permission_set(set("beta", "Readers", &["orgs=read"]), 202)
        .await
        .unwrap();
    assert_eq!(
        store
            .create_permission_set(set("acme", "Readers", &["orgs=read"]), 203)
            .await
            .unwrap_err(),
        StoreError::Conflict("permission set Readers already exists in instance acme".into())
    );
    assert_eq!(
        store
            .create_permission_set(set("nowhere", "X", &["orgs=read"]), 204)
            .await
            .unwrap_err(),
        StoreError::NotFound("instance nowhere".into())
    );
    let all = store.list_permission_sets().await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all.iter().find(|s| s.id == readers.id), Some(&readers));
}

fn new_integration(hasher: &SecretHasher, id: &str, policies: &[&str]) -> NewIntegration {
    NewIntegration {
        application_id: id.into(),
        name: format!("integration {id}"),
        redirect_uri: "https://erp.example/cb".into(),
        enabled: true,
        policies: policies
            .iter()
            .map(|p| p.parse::<PolicyRef>().unwrap())
            .collect(),
        secret_hash: hasher.hash(&format!("secret of {id}")),
    }
}

async fn integrations(store: &dyn Store) {
    let hasher = SecretHasher::new(b"conformance");
    let created = bumps(
        store,
        "create_integration",
        store.create_integration(
            new_integration(&hasher, "app-1", &["acme/Readers", "acme/Instance Admin"]),
            300,
        ),
    )
    .await
    .unwrap();
    assert_eq!(created.application_id, "app-1");
    assert_eq!(created.name, "integration app-1");
    assert!(created.enabled);
    assert_eq!((created.created_at, created.updated_at), (300, 300));
    let policy_view: Vec<(String, String)> = created
        .policies
        .iter()
        .map(|p| (p.instance.clone(), p.permission_set_name.clone()))
        .collect();
    assert_eq!(
        policy_view,
        vec![
            ("acme".into(), "Readers".into()),
            ("acme".into(), "Instance Admin".into())
        ]
    );
    assert_eq!(created.secrets.len(), 1);
    assert!(
        created.secrets[0]
            .hash
            .matches(&hasher.hash("secret of app-1"))
    );
    assert_eq!(
        (created.secrets[0].created_at, created.secrets[0].expires_at),
        (300, None)
    );
    assert_eq!(store.get_integration("app-1").await.unwrap(), created);

    assert_eq!(
        store
            .create_integration(new_integration(&hasher, "app-1", &[]), 301)
            .await
            .unwrap_err(),
        StoreError::Conflict("integration app-1 already exists".into())
    );
    assert_eq!(
        store
            .create_integration(new_integration(&hasher, "app-2", &["acme/Nope"]), 301)
            .await
            .unwrap_err(),
        StoreError::NotFound("permission set Nope in instance acme".into())
    );
    assert_eq!(
        store
            .create_integration(new_integration(&hasher, "app-2", &["ghost/Readers"]), 301)
            .await
            .unwrap_err(),
        StoreError::NotFound("instance ghost".into())
    );
    // a failed create leaves nothing behind
    assert_eq!(
        store.get_integration("app-2").await.unwrap_err(),
        StoreError::NotFound("integration app-2".into())
    );
    store
        .create_integration(new_integration(&hasher, "app-3", &["beta/Readers"]), 302)
        .await
        .unwrap();
    let ids: Vec<String> = store
        .list_integrations()
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.application_id)
        .collect();
    assert_eq!(ids, vec!["app-1", "app-3"]);
    // paging by id gives the same integrations, with their policies and secrets
    store
        .create_integration(new_integration(&hasher, "app-0", &["beta/Readers"]), 303)
        .await
        .unwrap();
    let first = store.list_integrations_after("", 2).await.unwrap();
    let rest = store.list_integrations_after("app-1", 2).await.unwrap();
    let paged: Vec<&str> = first
        .iter()
        .chain(&rest)
        .map(|i| i.application_id.as_str())
        .collect();
    assert_eq!(paged, ["app-0", "app-1", "app-3"]);
    assert_eq!(first[1], store.get_integration("app-1").await.unwrap());
    assert_eq!(rest[0], store.get_integration("app-3").await.unwrap());
    assert_eq!(rest[0].policies.len(), 1);
    assert_eq!(rest[0].secrets.len(), 1);
    assert_eq!(store.list_integrations_after("app-3", 2).await.unwrap(), []);
    store.delete_integration("app-0").await.unwrap();

    let disabled = bumps(
        store,
        "set_integration_enabled",
        store.set_integration_enabled("app-1", false, 310),
    )
    .await
    .unwrap();
    assert!(!disabled.enabled);
    assert_eq!(disabled.updated_at, 310);
    assert_eq!(disabled.policies, created.policies);
    assert_eq!(
        store
            .set_integration_enabled("ghost", true, 311)
            .await
            .unwrap_err(),
        StoreError::NotFound("integration ghost".into())
    );
    let moved = bumps(
        store,
        "set_integration_redirect_uri",
        store.set_integration_redirect_uri("app-1", "https://moved.example.com/cb", 312),
    )
    .await
    .unwrap();
    assert_eq!(moved.redirect_uri, "https://moved.example.com/cb");
    assert_eq!(moved.updated_at, 312);
    assert_eq!(moved.tokens_valid_after, disabled.tokens_valid_after);
    assert_eq!(
        store
            .set_integration_redirect_uri("ghost", "https://x.example.com/", 313)
            .await
            .unwrap_err(),
        StoreError::NotFound("integration ghost".into())
    );
    bumps(
        store,
        "delete_integration",
        store.delete_integration("app-1"),
    )
    .await
    .unwrap();
    assert_eq!(
        store.delete_integration("app-1").await.unwrap_err(),
        StoreError::NotFound("integration app-1".into())
    );
    assert_eq!(store.list_integrations().await.unwrap().len(), 1);
}

async fn signing_keys(store: &dyn Store) {
    assert_eq!(store.list_signing_keys().await.unwrap(), vec![]);
    let key = |kid: &str, at: i64| StoredSigningKey {
        kid: kid.into(),
        alg: Algorithm::ES256,
        sealed_private_key: vec![1, 2, 3, at as u8],
        public_jwk: format!("{{\"kid\":\"{kid}\"}}"),
        created_at: at,
        activates_at: at + 5,
    };
    // the first key is inserted only into an empty table
    let inserted = bumps(
        store,
        "insert_first_signing_key",
        store.insert_first_signing_key(key("k2", 20)),
    )
    .await
    .unwrap();
    assert!(inserted, "the first key goes into an empty store");
    assert!(
        !store.insert_first_signing_key(key("k3", 25)).await.unwrap(),
        "a second first key is refused"
    );
    assert!(!store.insert_first_signing_key(key("k2", 20)).await.unwrap());
    bumps(
        store,
        "insert_signing_key",
        store.insert_signing_key(key("k1", 10)),
    )
    .await
    .unwrap();
    // keys made in the same second keep their insertion order, so the last one made signs
    store.insert_signing_key(key("k0", 20)).await.unwrap();
    assert_eq!(
        store.list_signing_keys().await.unwrap(),
        vec![key("k1", 10), key("k2", 20), key("k0", 20)]
    );
    assert_eq!(
        store.insert_signing_key(key("k1", 30)).await.unwrap_err(),
        StoreError::Conflict("signing key k1 already exists".into())
    );
    bumps(store, "delete_signing_key", store.delete_signing_key("k1"))
        .await
        .unwrap();
    assert_eq!(
        store.list_signing_keys().await.unwrap(),
        vec![key("k2", 20), key("k0", 20)]
    );
    assert_eq!(
        store.delete_signing_key("k1").await.unwrap_err(),
        StoreError::NotFound("signing key k1".into())
    );
}

async fn token_lifecycle(store: &dyn Store) {
    let hasher = SecretHasher::new(b"lifecycle");
    let i = store
        .create_integration(
            new_integration(&hasher, "life", &["acme/Readers", "acme/Instance Admin"]),
            400,
        )
        .await
        .unwrap();
    assert_eq!(i.tokens_valid_after, 0);

    // disabling ends tokens; enabling does not revive them
    let d = bumps(
        store,
        "disable",
        store.set_integration_enabled("life", false, 410),
    )
    .await
    .unwrap();
    assert_eq!((d.enabled, d.tokens_valid_after), (false, 410));
    let e = store
        .set_integration_enabled("life", true, 420)
        .await
        .unwrap();
    assert_eq!((e.enabled, e.tokens_valid_after), (true, 410));

    // keeping the policies as they are ends nothing; removing one does
    let same = vec![
        "acme/Readers".parse().unwrap(),
        "acme/Instance Admin".parse().unwrap(),
    ];
    let kept = store
        .set_integration_policies("life", same, 430)
        .await
        .unwrap();
    assert_eq!(
        (
            kept.tokens_valid_after,
            kept.updated_at,
            kept.policies.len()
        ),
        (410, 430, 2)
    );
    let fewer = bumps(
        store,
        "set_integration_policies",
        store.set_integration_policies("life", vec!["acme/Readers".parse().unwrap()], 440),
    )
    .await
    .unwrap();
    assert_eq!(fewer.tokens_valid_after, 440);
    assert_eq!(
        fewer
            .policies
            .iter()
            .map(|p| p.permission_set_name.as_str())
            .collect::<Vec<_>>(),
        vec!["Readers"]
    );
    assert_eq!(
        store
            .set_integration_policies("life", vec!["acme/Nope".parse().unwrap()], 441)
            .await
            .unwrap_err(),
        StoreError::NotFound("permission set Nope in instance acme".into())
    );
    assert_eq!(
        store.get_integration("life").await.unwrap().policies,
        fewer.policies,
        "a failed update changes nothing"
    );

    // disabling a set ends the tokens of the integrations that use it
    let readers = fewer.policies[0].permission_set_id;
    let set = bumps(
        store,
        "set_permission_set_enabled",
        store.set_permission_set_enabled(readers, false, 450),
    )
    .await
    .unwrap();
    assert!(!set.enabled);
    assert_eq!(set.updated_at, 450);
    assert_eq!(
        store
            .get_integration("life")
            .await
            .unwrap()
            .tokens_valid_after,
        450
    );
    assert!(
        store
            .set_permission_set_enabled(readers, true, 451)
            .await
            .unwrap()
            .enabled
    );
    assert_eq!(
        store
            .set_permission_set_enabled(999_999, true, 452)
            .await
            .unwrap_err(),
        StoreError::NotFound("permission set 999999".into())
    );

    // rotation: the old secret expires at the grace time, the new one never
    let rotated = bumps(
        store,
        "add_integration_secret",
        store.add_integration_secret("life", hasher.hash("new"), 900, 460),
    )
    .await
    .unwrap();
    assert_eq!(rotated.secrets.len(), 2);
    assert_eq!(
        (rotated.secrets[0].expires_at, rotated.secrets[1].expires_at),
        (Some(900), None)
    );
    assert!(rotated.secrets[1].hash.matches(&hasher.hash("new")));
    assert_eq!(rotated.secrets[1].created_at, 460);
    // a second rotation with a later grace does not extend the first secret's life
    let again = store
        .add_integration_secret("life", hasher.hash("newer"), 1000, 470)
        .await
        .unwrap();
    assert_eq!(
        again
            .secrets
            .iter()
            .map(|s| s.expires_at)
            .collect::<Vec<_>>(),
        vec![Some(900), Some(1000), None]
    );
    assert_eq!(
        store
            .add_integration_secret("ghost", hasher.hash("x"), 0, 0)
            .await
            .unwrap_err(),
        StoreError::NotFound("integration ghost".into())
    );

    let newest = again.secrets[2].id;
    let expired = store
        .expire_secrets_except("life", newest, 475)
        .await
        .unwrap();
    assert_eq!(
        expired
            .secrets
            .iter()
            .map(|s| s.expires_at)
            .collect::<Vec<_>>(),
        vec![Some(475), Some(475), None]
    );
    assert_eq!(
        store
            .expire_secrets_except("ghost", 1, 0)
            .await
            .unwrap_err(),
        StoreError::NotFound("integration ghost".into())
    );

    // last use is recorded without waking anyone, and never moves backwards
    let before = store.change_seq().await.unwrap();
    let id = again.secrets[2].id;
    store
        .record_secret_use(&[(id, 480), (999_999, 480)])
        .await
        .unwrap();
    store.record_secret_use(&[(id, 470)]).await.unwrap();
    assert_eq!(
        store.change_seq().await.unwrap(),
        before,
        "recording use must not bump the change sequence"
    );
    assert_eq!(
        store.get_integration("life").await.unwrap().secrets[2].last_used_at,
        Some(480)
    );
}

async fn revocations(store: &dyn Store) {
    let t = |jti: &str, exp: i64| RevokedToken {
        jti: jti.into(),
        application_id: "app-3".into(),
        expires_at: exp,
        revoked_at: 500,
    };
    bumps(store, "revoke_token", store.revoke_token(t("j1", 600)))
        .await
        .unwrap();
    store.revoke_token(t("j1", 600)).await.unwrap();
    store.revoke_token(t("j2", 700)).await.unwrap();
    assert_eq!(
        store.list_revoked_tokens(550).await.unwrap(),
        vec![t("j1", 600), t("j2", 700)]
    );
    assert_eq!(
        store.list_revoked_tokens(600).await.unwrap(),
        vec![t("j2", 700)]
    );
    assert_eq!(store.purge_expired_revocations(650).await.unwrap(), 1);
    assert_eq!(
        store.list_revoked_tokens(0).await.unwrap(),
        vec![t("j2", 700)]
    );
}

async fn audit(store: &dyn Store) {
    let e = |at: i64, action: &str| NewAuditEntry {
        at,
        actor: "cli:root".into(),
        action: action.into(),
        target: "integration x".into(),
        details: serde_json::json!({"before": {"enabled": true}, "after": {"enabled": false}}),
    };
    let before = store.change_seq().await.unwrap();
    store
        .append_audit(e(10, "integration.disable"))
        .await
        .unwrap();
    store
        .append_audit(e(20, "integration.enable"))
        .await
        .unwrap();
    store
        .append_audit(e(30, "integration.delete"))
        .await
        .unwrap();
    assert_eq!(
        store.change_seq().await.unwrap(),
        before,
        "the audit log changes no view"
    );
    let all = store.list_audit(0, 100).await.unwrap();
    assert_eq!(
        all.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(),
        [
            "integration.disable",
            "integration.enable",
            "integration.delete"
        ]
    );
    assert_eq!(all[0].details, e(10, "").details);
    assert_eq!(
        (all[0].at, all[0].actor.as_str(), all[0].target.as_str()),
        (10, "cli:root", "integration x")
    );
    assert!(all[0].id < all[1].id);
    assert_eq!(
        store.list_audit(20, 1).await.unwrap()[0].action,
        "integration.enable"
    );
    assert_eq!(store.purge_audit_before(20).await.unwrap(), 1);
    assert_eq!(store.list_audit(0, 100).await.unwrap().len(), 2);
}

/// Waiting for a change returns: at the latest after the poll interval or `max_wait`, and
/// promptly after a committed write.
async fn change_wakeups(store: &dyn Store) {
    let started = Instant::now();
    store
        .wait_for_change(Duration::from_millis(300), Duration::from_millis(50))
        .await;
    assert!(started.elapsed() < Duration::from_secs(2));
    store
        .create_instance("wake", "Wake", "", 400)
        .await
        .unwrap();
    let started = Instant::now();
    store
        .wait_for_change(Duration::from_secs(10), Duration::from_millis(50))
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a committed write must wake a waiting node"
    );
}

/// A snapshot imported into a store gives back the same snapshot, ids included.
async fn snapshots(store: &dyn Store) {
    let before = Snapshot::read(store).await.unwrap();
    let counts = before.counts();
    assert_eq!(
        (
            counts.instances,
            counts.permission_sets,
            counts.integrations,
            counts.integration_policies,
            counts.integration_secrets,
            counts.signing_keys
        ),
        (3, 3, 2, 2, 4, 2)
    );
    assert_eq!(
        before.passwords,
        vec![("login@example.com".to_string(), "$argon2id$two".to_string())]
    );
    assert_eq!(
        store.import(&before, false).await.unwrap_err(),
        StoreError::Conflict("the target store is not empty".into())
    );
    bumps(store, "import", store.import(&before, true))
        .await
        .unwrap();
    assert_eq!(Snapshot::read(store).await.unwrap(), before);

    // ids keep counting after the imported ones
    let max_id = before.permission_sets.iter().map(|s| s.id).max().unwrap();
    let later = store
        .create_permission_set(set("acme", "Later", &["orgs=read"]), 500)
        .await
        .unwrap();
    assert!(later.id > max_id, "{} must follow {max_id}", later.id);

    // an import of nothing empties the store, which then takes a full import; listing order
    // comes from creation times, not from the order of the import
    store.import(&Snapshot::default(), true).await.unwrap();
    assert!(Snapshot::read(store).await.unwrap().is_empty());
    let mut more = before.clone();
    more.integrations.extend(second_integration(&before));
    store.import(&more, false).await.unwrap();
    let after = Snapshot::read(store).await.unwrap();
    let ids: Vec<&str> = after
        .integrations
        .iter()
        .map(|i| i.application_id.as_str())
        .collect();
    assert_eq!(ids, vec!["app-0", "app-3", "life"]);
    let earliest = more.integrations.pop().unwrap();
    more.integrations.insert(0, earliest);
    assert_eq!(after, more);
}

/// A copy of the first integration under another id, created earlier, with a later secret id:
/// listing order (creation time) must come out of the store, not the import order.
fn second_integration(snapshot: &Snapshot) -> Option<p6auth_core::integration::Integration> {
    let mut other = snapshot.integrations.first()?.clone();
    other.application_id = "app-0".into();
    other.created_at -= 1;
    for s in &mut other.secrets {
        s.id += 100;
    }
    Some(other)
}
