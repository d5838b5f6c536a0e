//! Conformance of [`crate::LoginStore`]: passwords, and single-use artefacts.

use p6auth_core::login::{ArtifactKind, Consumed, LoginArtifact};
use p6auth_core::secret::SecretHasher;
use p6auth_core::user::UserProfile;

use crate::{Snapshot, Store, StoreError};

fn artifact(hasher: &SecretHasher, token: &str, kind: ArtifactKind, family: &str) -> LoginArtifact {
    LoginArtifact {
        hash: hasher.hash(token),
        kind,
        family: family.into(),
        subject: "login@example.com".into(),
        payload: format!("{{\"t\":\"{token}\"}}"),
        expires_at: 1_000,
        consumed_at: None,
    }
}

pub(crate) async fn run(store: &dyn Store) {
    passwords(store).await;
    artifacts(store).await;
    email_change(store).await;
    delete_ends_artifacts(store).await;
}

async fn passwords(store: &dyn Store) {
    assert!(matches!(
        store.get_password_hash("nobody@example.com").await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.set_password_hash("nobody@example.com", "$x", 1).await,
        Err(StoreError::NotFound(_))
    ));
    let profile = UserProfile {
        first_name: "Lo".into(),
        last_name: "Gin".into(),
        enabled: true,
        preferred_language: "en".into(),
        properties: Default::default(),
    };
    store
        .create_user("login@example.com", profile, 1)
        .await
        .unwrap();
    assert_eq!(store.get_password_hash("login@example.com").await, Ok(None));
    store
        .set_password_hash("login@example.com", "$argon2id$one", 2)
        .await
        .unwrap();
    store
        .set_password_hash("login@example.com", "$argon2id$two", 3)
        .await
        .unwrap();
    assert_eq!(
        store.get_password_hash("login@example.com").await,
        Ok(Some("$argon2id$two".into()))
    );
}

async fn artifacts(store: &dyn Store) {
    let h = SecretHasher::new(b"conformance");
    let code = artifact(&h, "code-1", ArtifactKind::AuthorizationCode, "fam-a");
    store.insert_login_artifact(&code).await.unwrap();
    assert!(matches!(
        store.insert_login_artifact(&code).await,
        Err(StoreError::Conflict(_))
    ));
    // the kind is part of the key: a code is not a session
    assert!(matches!(
        store
            .get_login_artifact(ArtifactKind::Session, &code.hash)
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        store
            .get_login_artifact(ArtifactKind::AuthorizationCode, &code.hash)
            .await,
        Ok(code.clone())
    );
    let used = LoginArtifact {
        consumed_at: Some(10),
        ..code.clone()
    };
    assert_eq!(
        store
            .consume_login_artifact(ArtifactKind::AuthorizationCode, &code.hash, 10)
            .await,
        Ok(Consumed::Fresh(used.clone()))
    );
    assert_eq!(
        store
            .consume_login_artifact(ArtifactKind::AuthorizationCode, &code.hash, 11)
            .await,
        Ok(Consumed::Replayed(used))
    );
    assert!(matches!(
        store
            .consume_login_artifact(ArtifactKind::AuthorizationCode, &h.hash("nope"), 11)
            .await,
        Err(StoreError::NotFound(_))
    ));

    // families: revoking marks every unused member used, and nothing of other families
    let r1 = artifact(&h, "refresh-1", ArtifactKind::RefreshToken, "fam-b");
    let s1 = artifact(&h, "session-1", ArtifactKind::Session, "fam-b");
    let other = artifact(&h, "refresh-2", ArtifactKind::RefreshToken, "fam-c");
    for a in [&r1, &s1, &other] {
        store.insert_login_artifact(a).await.unwrap();
    }
    assert_eq!(store.revoke_login_family("fam-b", 20).await, Ok(2));
    assert_eq!(store.revoke_login_family("fam-b", 21).await, Ok(0));
    assert_eq!(
        store
            .get_login_artifact(ArtifactKind::Session, &s1.hash)
            .await
            .unwrap()
            .consumed_at,
        Some(20)
    );
    assert!(matches!(
        store
            .consume_login_artifact(ArtifactKind::RefreshToken, &r1.hash, 22)
            .await,
        Ok(Consumed::Replayed(_))
    ));
    assert!(matches!(
        store
            .consume_login_artifact(ArtifactKind::RefreshToken, &other.hash, 22)
            .await,
        Ok(Consumed::Fresh(_))
    ));

    // older links of a user end when a new one is sent
    let l1 = artifact(&h, "link-1", ArtifactKind::Activation, "l1");
    let l2 = artifact(&h, "link-2", ArtifactKind::PasswordReset, "l2");
    store.insert_login_artifact(&l1).await.unwrap();
    store.insert_login_artifact(&l2).await.unwrap();
    assert_eq!(
        store
            .revoke_login_artifacts_of(ArtifactKind::Activation, "login@example.com", 30)
            .await,
        Ok(1)
    );
    assert_eq!(
        store
            .get_login_artifact(ArtifactKind::PasswordReset, &l2.hash)
            .await
            .unwrap()
            .consumed_at,
        None
    );

    let late = LoginArtifact {
        expires_at: 5_000,
        ..artifact(&h, "late", ArtifactKind::Session, "fam-d")
    };
    store.insert_login_artifact(&late).await.unwrap();
    // everything above expires at 1000
    assert_eq!(store.purge_login_artifacts(999).await, Ok(0));
    assert_eq!(store.purge_login_artifacts(1_000).await, Ok(6));
    assert!(
        store
            .get_login_artifact(ArtifactKind::Session, &late.hash)
            .await
            .is_ok()
    );
    // the user and its password stay: the snapshot checks copy them
}

/// Renaming an account keeps its profile, access, password and artefacts; the old address is
/// free afterwards and a taken one is refused.
async fn email_change(store: &dyn Store) {
    let h = SecretHasher::new(b"conformance");
    let profile = UserProfile {
        first_name: "Ren".into(),
        last_name: "Amed".into(),
        enabled: true,
        preferred_language: "de".into(),
        properties: [("team".to_string(), "blue".to_string())].into(),
    };
    store
        .create_user("before@example.com", profile.clone(), 40)
        .await
        .unwrap();
    let set = store
        .list_permission_sets()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.instance == "acme" || s.instance == "*")
        .expect("the directory checks leave a set usable in acme");
    let root = store.list_org_nodes("acme").await.unwrap()[0].id;
    store
        .set_user_access("before@example.com", "acme", &[set.id], &[root], 41)
        .await
        .unwrap();
    store
        .set_password_hash("before@example.com", "$argon2id$ren", 42)
        .await
        .unwrap();
    let session = LoginArtifact {
        subject: "before@example.com".into(),
        expires_at: 9_000,
        ..artifact(&h, "rename-session", ArtifactKind::Session, "fam-r")
    };
    store.insert_login_artifact(&session).await.unwrap();
    let before = store.get_user("before@example.com").await.unwrap();

    // a taken address and a missing user are refused, and nothing moves
    assert_eq!(
        store
            .change_user_email("before@example.com", "login@example.com", 43)
            .await,
        Err(StoreError::Conflict(
            "user login@example.com already exists".into()
        ))
    );
    assert_eq!(
        store
            .change_user_email("ghost@example.com", "ghost2@example.com", 43)
            .await,
        Err(StoreError::NotFound("user ghost@example.com".into()))
    );
    assert_eq!(
        store.get_user("before@example.com").await,
        Ok(before.clone())
    );

    let after = crate::conformance::bumps(
        store,
        "change_user_email",
        store.change_user_email("before@example.com", "after@example.com", 44),
    )
    .await
    .unwrap();
    assert_eq!(
        after,
        p6auth_core::user::User {
            email: "after@example.com".into(),
            updated_at: 44,
            ..before
        }
    );
    assert_eq!(store.get_user("after@example.com").await, Ok(after));
    assert_eq!(
        store.get_user("before@example.com").await,
        Err(StoreError::NotFound("user before@example.com".into()))
    );
    assert_eq!(
        store.get_password_hash("after@example.com").await,
        Ok(Some("$argon2id$ren".into()))
    );
    assert_eq!(
        store
            .get_login_artifact(ArtifactKind::Session, &session.hash)
            .await
            .unwrap()
            .subject,
        "after@example.com"
    );
    // the old address is free again
    store
        .create_user("before@example.com", profile, 45)
        .await
        .unwrap();
    assert_eq!(
        store.get_password_hash("before@example.com").await,
        Ok(None)
    );

    // leave the users and passwords as they were for the snapshot checks
    for email in ["before@example.com", "after@example.com"] {
        store.delete_user(email).await.unwrap();
    }
    assert_eq!(
        Snapshot::read(store).await.unwrap().passwords,
        vec![("login@example.com".to_string(), "$argon2id$two".to_string())]
    );
}

/// Deleting a user ends every artefact of it, of every kind, and none of other users; an
/// account created later with the same address inherits nothing.
async fn delete_ends_artifacts(store: &dyn Store) {
    let h = SecretHasher::new(b"conformance");
    let profile = UserProfile {
        first_name: "Gone".into(),
        last_name: "Soon".into(),
        enabled: true,
        preferred_language: "en".into(),
        properties: Default::default(),
    };
    store
        .create_user("gone@example.com", profile.clone(), 50)
        .await
        .unwrap();
    let mut mine = Vec::new();
    for (i, kind) in ArtifactKind::ALL.into_iter().enumerate() {
        let a = LoginArtifact {
            subject: "gone@example.com".into(),
            expires_at: 9_000,
            ..artifact(&h, &format!("gone-{i}"), kind, &format!("fam-gone-{i}"))
        };
        store.insert_login_artifact(&a).await.unwrap();
        mine.push(a);
    }
    let theirs = LoginArtifact {
        expires_at: 9_000,
        ..artifact(&h, "stays", ArtifactKind::Session, "fam-stays")
    };
    store.insert_login_artifact(&theirs).await.unwrap();

    store.delete_user("gone@example.com").await.unwrap();
    for a in &mine {
        assert!(
            matches!(
                store.get_login_artifact(a.kind, &a.hash).await,
                Err(StoreError::NotFound(_))
            ),
            "{:?} of a deleted user",
            a.kind
        );
    }
    assert_eq!(
        store.get_login_artifact(theirs.kind, &theirs.hash).await,
        Ok(theirs.clone())
    );
    // a new account with the same address starts without them
    store
        .create_user("gone@example.com", profile, 51)
        .await
        .unwrap();
    for a in &mine {
        assert!(matches!(
            store.consume_login_artifact(a.kind, &a.hash, 52).await,
            Err(StoreError::NotFound(_))
        ));
    }
    // leave the users as they were for the snapshot checks
    store.delete_user("gone@example.com").await.unwrap();
}
