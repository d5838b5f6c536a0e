//! Conformance of [`crate::LoginStore`]: passwords, and single-use artefacts.

use p6auth_core::login::{ArtifactKind, Consumed, LoginArtifact};
use p6auth_core::secret::SecretHasher;
use p6auth_core::user::UserProfile;

use crate::{Store, StoreError};

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
