//! Accounts that sign in: the first administrator, one-time links, and setting a password with
//! a link. Password hashing is the caller's (it is slow: the HTTP layer runs it off the executor).

use p6auth_core::audit::Actor;
use p6auth_core::clock::Clock;
use p6auth_core::login::{self, ArtifactKind, Consumed, LoginArtifact};
use p6auth_core::permission_set::NewPermissionSet;
use p6auth_core::secret::{PlainSecret, SecretHasher};
use p6auth_core::user::{UserProfile, normalise_email};
use p6auth_store::{Store, StoreError};

use crate::access::Access;
use crate::admin::{self, Change};
use crate::{ServiceError, ServiceResult};

/// The instance the first administrator administers.
pub const DEFAULT_INSTANCE: &str = "default";
/// The global set holding every permission.
pub const INSTANCE_ADMIN_SET: &str = "Instance Admin";

/// Creates the first administrator: instance `default` (if missing), the global set
/// `*`/`Instance Admin` holding `*=*` (if missing), and the user holding it in `default`.
/// `Conflict` when the user exists.
pub async fn create_admin(
    store: &dyn Store,
    clock: &dyn Clock,
    actor: &Actor,
    email: &str,
) -> ServiceResult<String> {
    let email = normalise_email(email).map_err(ServiceError::Invalid)?;
    let c = Change {
        store,
        clock,
        actor,
    };
    let access = Access::operator(actor.clone());
    match store.get_instance(DEFAULT_INSTANCE).await {
        Ok(_) => {}
        Err(StoreError::NotFound(_)) => {
            admin::create_instance(&c, DEFAULT_INSTANCE, Some("Default"), "").await?;
        }
        Err(e) => return Err(e.into()),
    }
    let sets = store.list_permission_sets().await?;
    if !sets
        .iter()
        .any(|s| s.instance == "*" && s.name == INSTANCE_ADMIN_SET)
    {
        admin::create_permission_set(
            &c,
            NewPermissionSet {
                instance: "*".into(),
                name: INSTANCE_ADMIN_SET.into(),
                description: "Every permission in every instance".into(),
                permissions: vec!["*=*".into()],
            },
        )
        .await?;
    }
    let profile = UserProfile {
        first_name: String::new(),
        last_name: String::new(),
        enabled: true,
        preferred_language: "en".into(),
        properties: Default::default(),
    };
    crate::users::create(&c, &access, &email, profile).await?;
    crate::users::set_access(
        &c,
        &access,
        DEFAULT_INSTANCE,
        &email,
        &[INSTANCE_ADMIN_SET.to_string()],
        &[],
    )
    .await?;
    Ok(email)
}

/// Whether the store holds no user yet (first start).
pub async fn has_no_users(store: &dyn Store) -> ServiceResult<bool> {
    let page = store
        .search_users(&p6auth_core::user::UserQuery {
            limit: 1,
            ..Default::default()
        })
        .await?;
    Ok(page.is_empty())
}

/// A new one-time link token of `kind` for `email`, valid `lifetime` seconds; older unused
/// links of that kind for the user end.
pub async fn issue_link(
    store: &dyn Store,
    hasher: &SecretHasher,
    kind: ArtifactKind,
    email: &str,
    now: i64,
    lifetime: i64,
) -> ServiceResult<PlainSecret> {
    issue_link_with(store, hasher, kind, email, String::new(), now, lifetime).await
}

/// [`issue_link`] with a kind-specific payload (JSON) stored with the link.
pub(crate) async fn issue_link_with(
    store: &dyn Store,
    hasher: &SecretHasher,
    kind: ArtifactKind,
    email: &str,
    payload: String,
    now: i64,
    lifetime: i64,
) -> ServiceResult<PlainSecret> {
    store.revoke_login_artifacts_of(kind, email, now).await?;
    let token = login::generate_token();
    store
        .insert_login_artifact(&LoginArtifact {
            hash: hasher.hash(token.expose()),
            kind,
            family: login::generate_family(),
            subject: email.to_string(),
            payload,
            expires_at: now + lifetime,
            consumed_at: None,
        })
        .await?;
    Ok(token)
}

/// Whether `email` names an enabled account: a link acts only for one, so a link of a
/// disabled or deleted account is as invalid as an unknown one.
pub(crate) async fn account_enabled(store: &dyn Store, email: &str) -> ServiceResult<bool> {
    match store.get_user(email).await {
        Ok(user) => Ok(user.enabled),
        Err(StoreError::NotFound(_)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The user a link is for, if it is live (unused, unexpired) and its account enabled,
/// without using it.
pub async fn peek_link(
    store: &dyn Store,
    hasher: &SecretHasher,
    kind: ArtifactKind,
    token: &str,
    now: i64,
) -> ServiceResult<Option<String>> {
    match store.get_login_artifact(kind, &hasher.hash(token)).await {
        Ok(a) if a.consumed_at.is_none() && a.expires_at > now => {
            Ok(account_enabled(store, &a.subject)
                .await?
                .then_some(a.subject))
        }
        Ok(_) | Err(StoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Uses a link once and stores the new password hash for its user. `Invalid` when the link is
/// unknown, used or expired, or its account is disabled or gone (the link is then left as
/// it was).
pub async fn set_password_with_link(
    store: &dyn Store,
    hasher: &SecretHasher,
    kind: ArtifactKind,
    token: &str,
    password_hash: &str,
    now: i64,
) -> ServiceResult<String> {
    let expired = || ServiceError::Invalid("This link is invalid or has expired.".into());
    let hash = hasher.hash(token);
    match store.get_login_artifact(kind, &hash).await {
        Ok(a) if account_enabled(store, &a.subject).await? => {}
        Ok(_) | Err(StoreError::NotFound(_)) => return Err(expired()),
        Err(e) => return Err(e.into()),
    }
    let link = match store.consume_login_artifact(kind, &hash, now).await {
        Ok(Consumed::Fresh(a)) if a.expires_at > now => a,
        Ok(_) | Err(StoreError::NotFound(_)) => return Err(expired()),
        Err(e) => return Err(e.into()),
    };
    store
        .set_password_hash(&link.subject, password_hash, now)
        .await?;
    let entry = p6auth_core::audit::NewAuditEntry::new(
        now,
        &Actor::User(link.subject.clone()),
        "user.set_password",
        &format!("user {}", link.subject),
        serde_json::json!({"link": kind.as_str()}),
    );
    store.append_audit(entry).await?;
    Ok(link.subject)
}

#[cfg(test)]
mod tests {
    use super::*;
    use p6auth_core::clock::ManualClock;
    use p6auth_store::{LoginStore, PermissionSetStore, UserStore};
    use p6auth_store_sqlite::SqliteStore;

    #[tokio::test]
    async fn first_admin_then_link_sets_password_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let clock = ManualClock::new(1000);
        assert!(has_no_users(&store).await.unwrap());
        let email = create_admin(&store, &clock, &Actor::System, "Admin@Example.com")
            .await
            .unwrap();
        assert_eq!(email, "admin@example.com");
        assert!(!has_no_users(&store).await.unwrap());
        let user = store.get_user(&email).await.unwrap();
        let held = &user.access_in("default").unwrap().permission_sets;
        assert_eq!(held.len(), 1);
        assert_eq!(
            (held[0].instance.as_str(), held[0].name.as_str()),
            ("*", "Instance Admin")
        );

        let h = SecretHasher::new(b"pepper");
        let old = issue_link(&store, &h, ArtifactKind::Activation, &email, 1000, 60)
            .await
            .unwrap();
        let link = issue_link(&store, &h, ArtifactKind::Activation, &email, 1000, 60)
            .await
            .unwrap();
        assert_eq!(
            peek_link(&store, &h, ArtifactKind::Activation, old.expose(), 1001).await,
            Ok(None),
            "a new link ends the old one"
        );
        assert_eq!(
            peek_link(&store, &h, ArtifactKind::Activation, link.expose(), 1001).await,
            Ok(Some(email.clone()))
        );
        assert_eq!(
            peek_link(&store, &h, ArtifactKind::PasswordReset, link.expose(), 1001).await,
            Ok(None),
            "a link of one kind is not one of another"
        );
        set_password_with_link(
            &store,
            &h,
            ArtifactKind::Activation,
            link.expose(),
            "$h",
            1001,
        )
        .await
        .unwrap();
        assert_eq!(store.get_password_hash(&email).await, Ok(Some("$h".into())));
        assert_eq!(
            set_password_with_link(
                &store,
                &h,
                ArtifactKind::Activation,
                link.expose(),
                "$i",
                1002
            )
            .await,
            Err(ServiceError::Invalid(
                "This link is invalid or has expired.".into()
            ))
        );
        // a second admin on the same store reuses the instance and the set
        create_admin(&store, &clock, &Actor::System, "second@example.com")
            .await
            .unwrap();
        assert_eq!(store.list_permission_sets().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn links_of_a_disabled_account_are_invalid() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let profile = UserProfile {
            first_name: String::new(),
            last_name: String::new(),
            enabled: false,
            preferred_language: "en".into(),
            properties: Default::default(),
        };
        let email = "off@example.com";
        store.create_user(email, profile.clone(), 1).await.unwrap();
        let h = SecretHasher::new(b"pepper");
        for kind in [ArtifactKind::Activation, ArtifactKind::PasswordReset] {
            let link = issue_link(&store, &h, kind, email, 10, 60).await.unwrap();
            assert_eq!(
                peek_link(&store, &h, kind, link.expose(), 11).await,
                Ok(None)
            );
            assert_eq!(
                set_password_with_link(&store, &h, kind, link.expose(), "$h", 11).await,
                Err(ServiceError::Invalid(
                    "This link is invalid or has expired.".into()
                ))
            );
            assert_eq!(store.get_password_hash(email).await, Ok(None));
        }
        // enabled again, the unused link works
        let link = issue_link(&store, &h, ArtifactKind::PasswordReset, email, 20, 60)
            .await
            .unwrap();
        let on = UserProfile {
            enabled: true,
            ..profile
        };
        store.update_user(email, on, 21).await.unwrap();
        assert_eq!(
            set_password_with_link(
                &store,
                &h,
                ArtifactKind::PasswordReset,
                link.expose(),
                "$h",
                22
            )
            .await,
            Ok(email.to_string())
        );
    }
}
