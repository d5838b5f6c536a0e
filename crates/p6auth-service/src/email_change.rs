//! Changing a user's email: a single-use link mailed to the new address, which moves the
//! account when it is used. The link's payload names the new address; the store moves the
//! account with everything attached to it in one transaction.

use p6auth_core::audit::{Actor, NewAuditEntry};
use p6auth_core::login::{self, ArtifactKind, Consumed, EmailChangePayload};
use p6auth_core::secret::{PlainSecret, SecretHasher};
use p6auth_core::user::normalise_email;
use p6auth_store::{Store, StoreError};

use crate::login::{account_enabled, issue_link_with};
use crate::{ServiceError, ServiceResult};

/// The text of an address that belongs to another account.
pub const TAKEN: &str = "This email address is already used by another account.";
/// The text of a link that is unknown, used or expired.
pub const LINK_INVALID: &str = "This link is invalid or has expired.";

/// The normalised new address for the account `current`. `Invalid` when it is not an
/// address or is the current one; `Store(Conflict)` with [`TAKEN`] when another account
/// has it.
pub async fn check_new_email(
    store: &dyn Store,
    current: &str,
    requested: &str,
) -> ServiceResult<String> {
    let new = normalise_email(requested)
        .map_err(|_| ServiceError::Invalid("Enter a valid email address.".into()))?;
    if new == current {
        return Err(ServiceError::Invalid(
            "This is already your email address.".into(),
        ));
    }
    match store.get_user(&new).await {
        Ok(_) => Err(StoreError::Conflict(TAKEN.into()).into()),
        Err(StoreError::NotFound(_)) => Ok(new),
        Err(e) => Err(e.into()),
    }
}

/// A new email-change link for `email`, to move it to `new_email` (already checked); the
/// user's older email-change links end.
pub async fn issue(
    store: &dyn Store,
    hasher: &SecretHasher,
    email: &str,
    new_email: &str,
    now: i64,
) -> ServiceResult<PlainSecret> {
    let payload = serde_json::to_string(&EmailChangePayload {
        new_email: new_email.to_string(),
    })
    .map_err(|e| ServiceError::Integrity(e.to_string()))?;
    issue_link_with(
        store,
        hasher,
        ArtifactKind::EmailChange,
        email,
        payload,
        now,
        login::RESET_LIFETIME,
    )
    .await
}

fn new_email_of(payload: &str) -> ServiceResult<String> {
    serde_json::from_str::<EmailChangePayload>(payload)
        .map(|p| p.new_email)
        .map_err(|_| ServiceError::Integrity("an email-change link without its address".into()))
}

/// `(current, new)` of a live link of an enabled account, without using it.
pub async fn peek(
    store: &dyn Store,
    hasher: &SecretHasher,
    token: &str,
    now: i64,
) -> ServiceResult<Option<(String, String)>> {
    match store
        .get_login_artifact(ArtifactKind::EmailChange, &hasher.hash(token))
        .await
    {
        Ok(a) if a.consumed_at.is_none() && a.expires_at > now => {
            if !account_enabled(store, &a.subject).await? {
                return Ok(None);
            }
            Ok(Some((a.subject, new_email_of(&a.payload)?)))
        }
        Ok(_) | Err(StoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Uses the link once and moves the account to its new address, with an audit entry
/// `user.change_email`; activation and reset links sent to the old address end. Returns `(old, new)`. `Invalid` ([`LINK_INVALID`]) when the link is
/// unknown, used or expired, or its account is disabled (the link is then left as it was)
/// or gone; `Store(Conflict)` ([`TAKEN`]) when the
/// address was taken meanwhile.
pub async fn confirm(
    store: &dyn Store,
    hasher: &SecretHasher,
    token: &str,
    now: i64,
) -> ServiceResult<(String, String)> {
    let invalid = || ServiceError::Invalid(LINK_INVALID.into());
    let hash = hasher.hash(token);
    match store
        .get_login_artifact(ArtifactKind::EmailChange, &hash)
        .await
    {
        Ok(a) if account_enabled(store, &a.subject).await? => {}
        Ok(_) | Err(StoreError::NotFound(_)) => return Err(invalid()),
        Err(e) => return Err(e.into()),
    }
    let link = match store
        .consume_login_artifact(ArtifactKind::EmailChange, &hash, now)
        .await
    {
        Ok(Consumed::Fresh(a)) if a.expires_at > now => a,
        Ok(_) | Err(StoreError::NotFound(_)) => return Err(invalid()),
        Err(e) => return Err(e.into()),
    };
    let old = link.subject;
    let new = new_email_of(&link.payload)?;
    match store.change_user_email(&old, &new, now).await {
        Ok(_) => {}
        Err(StoreError::NotFound(_)) => return Err(invalid()),
        Err(StoreError::Conflict(_)) => return Err(StoreError::Conflict(TAKEN.into()).into()),
        Err(e) => return Err(e.into()),
    }
    // links mailed to the old address no longer act on the account: that mailbox may not be
    // the owner's any more
    for kind in [ArtifactKind::Activation, ArtifactKind::PasswordReset] {
        store.revoke_login_artifacts_of(kind, &new, now).await?;
    }
    store
        .append_audit(NewAuditEntry::new(
            now,
            &Actor::User(old.clone()),
            "user.change_email",
            &format!("user {new}"),
            serde_json::json!({"before": {"email": old}, "after": {"email": new}}),
        ))
        .await?;
    Ok((old, new))
}

#[cfg(test)]
mod tests {
    use super::*;
    use p6auth_core::user::UserProfile;
    use p6auth_store::{AuditStore, LoginStore, UserStore};
    use p6auth_store_sqlite::SqliteStore;

    fn profile() -> UserProfile {
        UserProfile {
            first_name: String::new(),
            last_name: String::new(),
            enabled: true,
            preferred_language: "en".into(),
            properties: Default::default(),
        }
    }

    #[tokio::test]
    async fn a_link_moves_the_account_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        for e in ["ann@example.com", "bob@example.com"] {
            store.create_user(e, profile(), 1).await.unwrap();
        }
        store
            .set_password_hash("ann@example.com", "$h", 1)
            .await
            .unwrap();
        let ann = "ann@example.com";
        assert_eq!(
            check_new_email(&store, ann, " Bob@Example.com").await,
            Err(ServiceError::Store(StoreError::Conflict(TAKEN.into())))
        );
        assert!(matches!(
            check_new_email(&store, ann, "ANN@example.com").await,
            Err(ServiceError::Invalid(_))
        ));
        assert!(matches!(
            check_new_email(&store, ann, "no-at-sign").await,
            Err(ServiceError::Invalid(_))
        ));
        let new = check_new_email(&store, ann, "Ann.New@Example.com")
            .await
            .unwrap();
        assert_eq!(new, "ann.new@example.com");

        let h = SecretHasher::new(b"pepper");
        let reset = crate::login::issue_link(&store, &h, ArtifactKind::PasswordReset, ann, 10, 60)
            .await
            .unwrap();
        let token = issue(&store, &h, ann, &new, 10).await.unwrap();
        assert_eq!(
            peek(&store, &h, token.expose(), 11).await,
            Ok(Some((ann.to_string(), new.clone())))
        );
        assert_eq!(
            peek(&store, &h, token.expose(), 10 + login::RESET_LIFETIME).await,
            Ok(None),
            "expired"
        );
        assert_eq!(
            confirm(&store, &h, token.expose(), 12).await,
            Ok((ann.to_string(), new.clone()))
        );
        assert_eq!(
            store.get_password_hash(&new).await,
            Ok(Some("$h".to_string()))
        );
        assert!(store.get_user(ann).await.is_err());
        assert_eq!(
            crate::login::peek_link(&store, &h, ArtifactKind::PasswordReset, reset.expose(), 12)
                .await,
            Ok(None),
            "a reset link mailed to the old address ends"
        );
        assert_eq!(
            confirm(&store, &h, token.expose(), 13).await,
            Err(ServiceError::Invalid(LINK_INVALID.into()))
        );
        let audit = store.list_audit(0, 10).await.unwrap();
        let last = audit.last().unwrap();
        assert_eq!(
            (
                last.actor.as_str(),
                last.action.as_str(),
                last.target.as_str()
            ),
            (
                "user:ann@example.com",
                "user.change_email",
                "user ann.new@example.com"
            )
        );
    }
}
