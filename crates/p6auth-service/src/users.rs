//! Use cases on users, seen from one instance: `users` permissions whose values are org paths
//! decide which users of the instance a caller reaches.

use p6auth_core::user::{User, UserProfile, UserQuery, normalise_email};
use serde_json::json;

use crate::access::{Access, forbidden, user_in_scope};
use crate::admin::Change;
use crate::{ServiceError, ServiceResult};

pub const MAX_PAGE: u32 = 200;

/// A page of the users of `instance` the caller may read, and the cursor of the next page.
/// Filtering happens after the store's query, so a page is filled from as many store pages as
/// it takes.
pub async fn list(
    c: &Change<'_>,
    access: &Access,
    instance: &str,
    mut query: UserQuery,
) -> ServiceResult<(Vec<User>, Option<String>)> {
    let scope = access.org_scope(instance, "users", "read")?;
    let limit = query.limit.clamp(1, MAX_PAGE);
    query.instance = Some(instance.into());
    query.limit = limit;
    let mut out = Vec::new();
    loop {
        let page = c.store.search_users(&query).await?;
        let exhausted = page.len() < limit as usize;
        for u in page {
            query.after = Some(u.email.clone());
            if user_in_scope(&u, instance, &scope) {
                out.push(u);
                if out.len() == limit as usize {
                    // there may be more; the next page may come out empty
                    return Ok((out, query.after.clone()));
                }
            }
        }
        if exhausted {
            return Ok((out, None));
        }
    }
}

/// A user of `instance` within the caller's `action` scope; others are `NotFound`, so that
/// callers cannot probe for emails they may not see.
async fn reachable(
    c: &Change<'_>,
    access: &Access,
    instance: &str,
    email: &str,
    action: &str,
) -> ServiceResult<User> {
    let scope = access.org_scope(instance, "users", action)?;
    let email = normalise_email(email).map_err(ServiceError::Invalid)?;
    let not_found =
        || p6auth_store::StoreError::NotFound(format!("user {email} in instance {instance}"));
    let user = c.store.get_user(&email).await.map_err(|_| not_found())?;
    if user.access_in(instance).is_none() {
        return Err(not_found().into());
    }
    if !user_in_scope(&user, instance, &scope) {
        return Err(forbidden(
            instance,
            "users",
            action,
            Some(&user.positions_in(instance)[0]),
        ));
    }
    Ok(user)
}

pub async fn get(
    c: &Change<'_>,
    access: &Access,
    instance: &str,
    email: &str,
) -> ServiceResult<User> {
    reachable(c, access, instance, email, "read").await
}

/// Creates a user in `instance` (at the root until given positions), or updates the profile of
/// one the caller reaches there.
pub async fn put(
    c: &Change<'_>,
    access: &Access,
    instance: &str,
    email: &str,
    profile: UserProfile,
) -> ServiceResult<User> {
    let profile = profile.validated().map_err(ServiceError::Invalid)?;
    let email = normalise_email(email).map_err(ServiceError::Invalid)?;
    match c.store.get_user(&email).await {
        Ok(_) => {
            let before = reachable(c, access, instance, &email, "edit").await?;
            let after = c.store.update_user(&email, profile, c.clock.now()).await?;
            c.audit(
                "user.update",
                &format!("user {email}"),
                json!({"before": before, "after": after}),
            )
            .await?;
            Ok(after)
        }
        Err(p6auth_store::StoreError::NotFound(_)) => {
            let scope = access.org_scope(instance, "users", "edit")?;
            let root = p6auth_core::org::root_path(instance);
            if !scope.contains(&root) {
                return Err(forbidden(instance, "users", "edit", Some(&root)));
            }
            let now = c.clock.now();
            c.store.get_instance(instance).await?;
            c.store.create_user(&email, profile, now).await?;
            // membership: a position at the root
            let root_node = c.store.find_org_node(&root).await?;
            let created = c
                .store
                .set_user_access(&email, instance, &[], &[root_node.id], now)
                .await?;
            c.audit(
                "user.create",
                &format!("user {email}"),
                json!({"after": created}),
            )
            .await?;
            Ok(created)
        }
        Err(e) => Err(e.into()),
    }
}

/// Replaces the user's sets (names: of the instance, else global) and positions (paths) in
/// `instance`. `users=edit` must cover the old and the new positions.
pub async fn set_access(
    c: &Change<'_>,
    access: &Access,
    instance: &str,
    email: &str,
    set_names: &[String],
    positions: &[String],
) -> ServiceResult<User> {
    let scope = access.org_scope(instance, "users", "edit")?;
    let before = joining_or_reachable(c, access, instance, email).await?;
    let sets = c.store.list_permission_sets().await?;
    let mut set_ids = Vec::new();
    for name in set_names {
        let found = sets
            .iter()
            .find(|s| s.instance == instance && &s.name == name)
            .or_else(|| sets.iter().find(|s| s.instance == "*" && &s.name == name))
            .ok_or_else(|| {
                p6auth_store::StoreError::NotFound(format!(
                    "permission set {name} in instance {instance}"
                ))
            })?;
        access.require_holds(found.qualified_permissions(instance))?;
        set_ids.push(found.id);
    }
    // no positions means the root: a caller scoped to a branch cannot move a user there
    let root = format!("/{instance}");
    if positions.is_empty() && !set_names.is_empty() && !scope.contains(&root) {
        return Err(forbidden(instance, "users", "edit", Some(&root)));
    }
    let mut node_ids = Vec::new();
    for path in positions {
        if !scope.contains(path) {
            return Err(forbidden(instance, "users", "edit", Some(path)));
        }
        let node = c.store.find_org_node(path).await?;
        node_ids.push(node.id);
    }
    let after = c
        .store
        .set_user_access(&before.email, instance, &set_ids, &node_ids, c.clock.now())
        .await?;
    c.audit(
        "user.set_access",
        &format!("user {}", before.email),
        json!({"instance": instance, "before": before.access_in(instance), "after": after.access_in(instance)}),
    )
    .await?;
    Ok(after)
}

/// A user that `set_access` may change: one the caller reaches in `instance`, or, for a caller
/// holding `*:users=edit` (an operator), an account not yet in it, which joins it. Others see
/// such an account as not found, as before: accounts are global and an instance's delegated
/// admin must not pull in, and so read, any account it can name.
async fn joining_or_reachable(
    c: &Change<'_>,
    access: &Access,
    instance: &str,
    email: &str,
) -> ServiceResult<User> {
    let email = normalise_email(email).map_err(ServiceError::Invalid)?;
    let user = c.store.get_user(&email).await?;
    if user.access_in(instance).is_some() || !access.allows("*", "users", "edit", None) {
        return reachable(c, access, instance, &email, "edit").await;
    }
    c.store.get_instance(instance).await?;
    Ok(user)
}

/// Creates an account, in no instance yet: `users=edit` at the root of some instance held
/// globally (`*:users=edit`), as the account is seen by no instance until it joins one.
pub async fn create(
    c: &Change<'_>,
    access: &Access,
    email: &str,
    profile: UserProfile,
) -> ServiceResult<User> {
    access.require("*", "users", "edit", None)?;
    let profile = profile.validated().map_err(ServiceError::Invalid)?;
    let email = normalise_email(email).map_err(ServiceError::Invalid)?;
    let created = c.store.create_user(&email, profile, c.clock.now()).await?;
    c.audit(
        "user.create",
        &format!("user {email}"),
        json!({"after": created}),
    )
    .await?;
    Ok(created)
}

/// Replaces the profile of an account: `users=edit` covering the user in every instance it
/// belongs to (`*:users=edit` for an account in none).
pub async fn update_profile(
    c: &Change<'_>,
    access: &Access,
    email: &str,
    profile: UserProfile,
) -> ServiceResult<User> {
    let profile = profile.validated().map_err(ServiceError::Invalid)?;
    let email = normalise_email(email).map_err(ServiceError::Invalid)?;
    let before = c.store.get_user(&email).await?;
    require_everywhere(access, &before, "edit")?;
    let after = c.store.update_user(&email, profile, c.clock.now()).await?;
    c.audit(
        "user.update",
        &format!("user {email}"),
        json!({"before": before, "after": after}),
    )
    .await?;
    Ok(after)
}

/// `users=action` covering `user` in each of its instances; globally for a user in none.
fn require_everywhere(access: &Access, user: &User, action: &str) -> ServiceResult<()> {
    if user.access.is_empty() {
        access.require("*", "users", action, None)?;
    }
    for a in &user.access {
        let scope = access.org_scope(&a.instance, "users", action)?;
        if !user_in_scope(user, &a.instance, &scope) {
            return Err(forbidden(&a.instance, "users", action, None));
        }
    }
    Ok(())
}

/// Deletes the account: `users=delete` covering the user in every instance it belongs to.
pub async fn delete(c: &Change<'_>, access: &Access, email: &str) -> ServiceResult<()> {
    let email = normalise_email(email).map_err(ServiceError::Invalid)?;
    let user = c.store.get_user(&email).await?;
    require_everywhere(access, &user, "delete")?;
    c.store.delete_user(&email).await?;
    c.audit(
        "user.delete",
        &format!("user {email}"),
        json!({"before": user}),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use p6auth_core::audit::Actor;
    use p6auth_core::clock::ManualClock;
    use p6auth_core::permission_set::NewPermissionSet;
    use p6auth_store::{InstanceStore, PermissionSetStore, UserStore};
    use p6auth_store_sqlite::SqliteStore;

    #[tokio::test]
    async fn a_delegated_admin_cannot_grant_more_than_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        store.create_instance("acme", "Acme", "", 1).await.unwrap();
        let set = |name: &str, perms: &[&str]| NewPermissionSet {
            instance: "acme".into(),
            name: name.into(),
            description: String::new(),
            permissions: perms.iter().map(|p| p.to_string()).collect(),
        };
        let readers = store
            .create_permission_set(set("Readers", &["users=read"]), 1)
            .await
            .unwrap();
        store
            .create_permission_set(set("Editors", &["users=edit", "users=read"]), 1)
            .await
            .unwrap();
        let profile = UserProfile {
            first_name: "Ada".into(),
            last_name: "L".into(),
            enabled: true,
            preferred_language: "en".into(),
            properties: Default::default(),
        };
        store
            .create_user("ada@example.com", profile, 1)
            .await
            .unwrap();
        store
            .set_user_access("ada@example.com", "acme", &[readers.id], &[], 1)
            .await
            .unwrap();

        let clock = ManualClock::new(10);
        let actor = Actor::Integration("delegate".into());
        let change = Change {
            store: &store,
            clock: &clock,
            actor: &actor,
        };
        let delegate = Access::integration(
            "delegate",
            vec![
                "acme:users=edit".parse().unwrap(),
                "acme:users=read".parse().unwrap(),
            ],
        );
        // it holds users=edit and users=read: it may hand out Editors and Readers
        set_access(
            &change,
            &delegate,
            "acme",
            "ada@example.com",
            &["Editors".into()],
            &[],
        )
        .await
        .unwrap();
        // but never the built-in Instance Admin (*=*), which it does not hold
        let err = set_access(
            &change,
            &delegate,
            "acme",
            "ada@example.com",
            &["Instance Admin".into()],
            &[],
        )
        .await
        .unwrap_err();
        assert_eq!(err, ServiceError::Forbidden("acme:*=*".into()));
        let ada = store.get_user("ada@example.com").await.unwrap();
        assert_eq!(
            ada.access_in("acme").map(|a| a.permission_sets.len()),
            Some(1),
            "nothing changed"
        );
    }
}
