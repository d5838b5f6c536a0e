//! Use cases on users, seen from one instance: `users` permissions whose values are org paths
//! decide which users of the instance a caller reaches.

use p6auth_core::audit::{Actor, NewAuditEntry};
use p6auth_core::permission_set::PermissionSet;
use p6auth_core::user::{User, UserProfile, UserQuery, normalise_email};
use p6auth_permissions::Permission;
use p6auth_store::{AccessWrite, ProfileWrite, StoreError, UserWrite};
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
            // the profile is the account's, in every instance
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

/// Sets and positions checked against the caller, before anything is written.
struct Resolved {
    sets: Vec<PermissionSet>,
    node_ids: Vec<i64>,
}

impl Resolved {
    fn set_ids(&self) -> Vec<i64> {
        self.sets.iter().map(|s| s.id).collect()
    }
}

/// Resolves set names (of the instance, else global) and positions (paths) in `instance`: the
/// caller must hold every permission of the sets, and its `users=edit` must cover the positions
/// (none, with sets: the root).
async fn resolve(
    c: &Change<'_>,
    access: &Access,
    instance: &str,
    set_names: &[String],
    positions: &[String],
) -> ServiceResult<Resolved> {
    let scope = access.org_scope(instance, "users", "edit")?;
    let all = c.store.list_permission_sets().await?;
    let mut sets = Vec::new();
    for name in set_names {
        let found = all
            .iter()
            .find(|s| s.instance == instance && &s.name == name)
            .or_else(|| all.iter().find(|s| s.instance == "*" && &s.name == name))
            .ok_or_else(|| {
                StoreError::NotFound(format!("permission set {name} in instance {instance}"))
            })?;
        access.require_holds(found.qualified_permissions(instance))?;
        sets.push(found.clone());
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
        if node.instance != instance {
            return Err(StoreError::Invalid(format!(
                "org node {path} is not in instance {instance}"
            ))
            .into());
        }
        node_ids.push(node.id);
    }
    Ok(Resolved { sets, node_ids })
}

/// A signed-in user may not take away their own `admin=view` in `instance`: they would lock
/// themselves out of its administration (and, as its last admin, everyone else). `sets` are
/// what `user` would hold there afterwards.
async fn require_keeps_admin_view(
    c: &Change<'_>,
    access: &Access,
    instance: &str,
    user: &User,
    sets: &[PermissionSet],
) -> ServiceResult<()> {
    let Actor::User(me) = access.actor() else {
        return Ok(());
    };
    if *me != user.email || !access.allows(instance, "admin", "view", None) {
        return Ok(());
    }
    // what they would hold: the sets here, and those of their other instances (a set can
    // name an instance of its own), as `access::of_user` computes it
    let all = c.store.list_permission_sets().await?;
    let mut after: Vec<Permission> = sets
        .iter()
        .filter(|s| s.enabled)
        .flat_map(|s| s.qualified_permissions(instance))
        .collect();
    for held in user.access.iter().filter(|a| a.instance != instance) {
        for name in &held.permission_sets {
            if let Some(set) = all.iter().find(|s| s.id == name.id && s.enabled) {
                after.extend(set.qualified_permissions(&held.instance));
            }
        }
    }
    let view = Permission {
        instance: Some(instance.into()),
        feature: "admin".into(),
        action: "view".into(),
        values: Vec::new(),
    };
    if p6auth_permissions::allows(&after, &view) {
        Ok(())
    } else {
        Err(ServiceError::Refused(format!(
            "you cannot remove your own {instance}:admin=view: you would lose access to the administration of {instance}; ask another administrator to change your access"
        )))
    }
}

/// Replaces the user's sets (names: of the instance, else global) and positions (paths) in
/// `instance`. `users=edit` must cover the old and the new positions. A signed-in user cannot
/// take away their own `admin=view` there.
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
    // the old positions: every one of them, not only those kept (a branch admin must not take
    // a user out of a branch it does not administer)
    if before.access_in(instance).is_some() {
        require_covers_all(&before, instance, &scope, "edit")?;
    }
    let resolved = resolve(c, access, instance, set_names, positions).await?;
    require_keeps_admin_view(c, access, instance, &before, &resolved.sets).await?;
    let after = c
        .store
        .set_user_access(
            &before.email,
            instance,
            &resolved.set_ids(),
            &resolved.node_ids,
            c.clock.now(),
        )
        .await?;
    c.audit(
        "user.set_access",
        &format!("user {}", before.email),
        json!({"instance": instance, "before": before.access_in(instance), "after": after.access_in(instance)}),
    )
    .await?;
    Ok(after)
}

/// What [`associate`] did, so that the caller sends the right message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Associated {
    /// A new account: it needs an activation message.
    Created(User),
    /// An existing account, new to the instance: it gets a notification.
    Added(User),
}

/// The portal's "Associate a user": gives `email` these sets (at least one) and positions
/// (none: the root) in `instance`. A new account is created with `profile`; an existing one
/// that is not in the instance yet joins it, its profile and other instances untouched (the
/// caller sees only what it holds here). An email already in the instance is a `Conflict`:
/// its access is changed with [`set_access`]. Everything is checked first, then the account,
/// its access and the audit entry are written in one transaction, so a refusal leaves nothing.
pub async fn associate(
    c: &Change<'_>,
    access: &Access,
    instance: &str,
    email: &str,
    profile: UserProfile,
    set_names: &[String],
    positions: &[String],
) -> ServiceResult<Associated> {
    access.org_scope(instance, "users", "edit")?;
    let email = normalise_email(email).map_err(ServiceError::Invalid)?;
    let profile = profile.validated().map_err(ServiceError::Invalid)?;
    if set_names.is_empty() {
        return Err(ServiceError::Invalid(
            "choose at least one permission set".into(),
        ));
    }
    c.store.get_instance(instance).await?;
    let existing = match c.store.get_user(&email).await {
        Ok(u) => Some(u),
        Err(StoreError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    if existing
        .as_ref()
        .is_some_and(|u| u.access_in(instance).is_some())
    {
        return Err(StoreError::Conflict(format!(
            "{email} already belongs to {instance}; change their access on their page"
        ))
        .into());
    }
    let resolved = resolve(c, access, instance, set_names, positions).await?;
    let now = c.clock.now();
    let (profile_write, action) = match existing {
        None => (ProfileWrite::Create(profile), "user.create"),
        Some(_) => (ProfileWrite::Keep, "user.associate"),
    };
    let write = UserWrite {
        email: email.clone(),
        profile: profile_write,
        access: vec![AccessWrite {
            instance: instance.into(),
            permission_set_ids: resolved.set_ids(),
            position_ids: resolved.node_ids.clone(),
        }],
    };
    let names: Vec<&str> = resolved.sets.iter().map(|s| s.name.as_str()).collect();
    let entry = NewAuditEntry::new(
        now,
        c.actor,
        action,
        &format!("user {email}"),
        json!({"instance": instance, "permission_sets": names, "positions": positions}),
    );
    c.store.write_users(&[write], &[entry], now).await?;
    let user = c.store.get_user(&email).await?;
    Ok(if action == "user.create" {
        Associated::Created(user)
    } else {
        Associated::Added(user)
    })
}

/// A user that `set_access` may change: one the caller reaches in `instance`, or, for a caller
/// holding `*:users=edit` (an operator), an account not yet in it, which joins it. Others see
/// such an account as not found, as before: accounts are global. Bringing an existing account
/// into an instance with its sets and positions is [`associate`], which notifies the account.
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

/// `Forbidden`, naming the first of `user`'s positions in `instance` outside `scope`.
fn require_covers_all(
    user: &User,
    instance: &str,
    scope: &p6auth_permissions::OrgScope,
    action: &str,
) -> ServiceResult<()> {
    match user
        .positions_in(instance)
        .into_iter()
        .find(|p| !scope.contains(p))
    {
        Some(p) => Err(forbidden(instance, "users", action, Some(&p))),
        None => Ok(()),
    }
}

/// `users=action` covering every position of `user` in each of its instances; globally for a
/// user in none.
fn require_everywhere(access: &Access, user: &User, action: &str) -> ServiceResult<()> {
    if user.access.is_empty() {
        access.require("*", "users", action, None)?;
    }
    for a in &user.access {
        let scope = access.org_scope(&a.instance, "users", action)?;
        require_covers_all(user, &a.instance, &scope, action)?;
    }
    Ok(())
}

/// Deletes the account: `users=delete` covering every position of the user in every instance
/// it belongs to, as the account goes from all of them. A signed-in user cannot delete their
/// own account (they would lose their `admin=view` with it); operators can.
pub async fn delete(c: &Change<'_>, access: &Access, email: &str) -> ServiceResult<()> {
    let email = normalise_email(email).map_err(ServiceError::Invalid)?;
    if matches!(access.actor(), Actor::User(me) if *me == email) {
        return Err(ServiceError::Refused(
            "you cannot delete your own account here".into(),
        ));
    }
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
    use p6auth_store::{InstanceStore, OrgStore, PermissionSetStore, UserStore};
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

    fn profile() -> UserProfile {
        UserProfile {
            first_name: "Ida".into(),
            last_name: "I".into(),
            enabled: true,
            preferred_language: "en".into(),
            properties: Default::default(),
        }
    }

    /// acme with a set `Staff` (admin=view) and a node /acme/Sales; ida's account exists, in
    /// instance beta only.
    async fn acme(store: &SqliteStore) -> i64 {
        store.create_instance("acme", "Acme", "", 1).await.unwrap();
        store.create_instance("beta", "Beta", "", 1).await.unwrap();
        let root = store.find_org_node("/acme").await.unwrap();
        store
            .create_org_node(
                p6auth_core::org::NewOrgNode {
                    parent_id: root.id,
                    name: "Sales".into(),
                    description: String::new(),
                    properties: Default::default(),
                },
                1,
            )
            .await
            .unwrap();
        let staff = store
            .create_permission_set(
                NewPermissionSet {
                    instance: "acme".into(),
                    name: "Staff".into(),
                    description: String::new(),
                    permissions: vec!["admin=view".into()],
                },
                1,
            )
            .await
            .unwrap();
        store
            .create_user("ida@example.com", profile(), 1)
            .await
            .unwrap();
        let beta_root = store.find_org_node("/beta").await.unwrap();
        store
            .set_user_access("ida@example.com", "beta", &[], &[beta_root.id], 1)
            .await
            .unwrap();
        staff.id
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[tokio::test]
    async fn associate_adds_an_existing_account_and_refuses_a_member() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        acme(&store).await;
        let clock = ManualClock::new(10);
        // an Instance Admin of acme only
        let admin = Access::integration("admin", vec!["acme:*=*".parse().unwrap()]);
        let c = Change::by(&store, &clock, &admin);
        let mut other = profile();
        other.first_name = "Not changed".into();
        let added = associate(
            &c,
            &admin,
            "acme",
            "IDA@example.com",
            other.clone(),
            &names(&["Staff"]),
            &names(&["/acme/Sales"]),
        )
        .await
        .unwrap();
        let Associated::Added(ida) = added else {
            panic!("{added:?}")
        };
        assert_eq!(ida.first_name, "Ida", "the profile stays");
        let held = ida.access_in("acme").unwrap();
        assert_eq!(held.positions, ["/acme/Sales"]);
        assert_eq!(held.permission_sets[0].name, "Staff");
        assert_eq!(ida.access_in("beta").unwrap().positions, ["/beta"]);

        let err = associate(
            &c,
            &admin,
            "acme",
            "Ida@Example.com",
            other,
            &names(&["Staff"]),
            &[],
        )
        .await
        .unwrap_err();
        assert_eq!(
            err,
            ServiceError::Store(StoreError::Conflict(
                "ida@example.com already belongs to acme; change their access on their page".into()
            ))
        );
        assert_eq!(store.get_user("ida@example.com").await.unwrap(), ida);
    }

    #[tokio::test]
    async fn a_refused_associate_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        acme(&store).await;
        let clock = ManualClock::new(10);
        let admin = Access::integration("admin", vec!["acme:*=*".parse().unwrap()]);
        let c = Change::by(&store, &clock, &admin);
        let new = |sets: &[&str], positions: &[&str]| {
            let (sets, positions) = (names(sets), names(positions));
            let c = &c;
            let admin = &admin;
            async move {
                associate(
                    c,
                    admin,
                    "acme",
                    "new@example.com",
                    profile(),
                    &sets,
                    &positions,
                )
                .await
                .unwrap_err()
            }
        };
        assert_eq!(
            new(&["NoSuch"], &[]).await,
            ServiceError::Store(StoreError::NotFound(
                "permission set NoSuch in instance acme".into()
            ))
        );
        assert_eq!(
            new(&[], &["/acme/Sales"]).await,
            ServiceError::Invalid("choose at least one permission set".into())
        );
        assert_eq!(
            new(&["Staff"], &["/acme/Nowhere"]).await,
            ServiceError::Store(StoreError::NotFound("org node /acme/Nowhere".into()))
        );
        assert_eq!(
            store.get_user("new@example.com").await.unwrap_err(),
            StoreError::NotFound("user new@example.com".into())
        );
    }

    #[tokio::test]
    async fn a_delegated_admin_creates_a_user_on_its_own_node() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let staff = acme(&store).await;
        let sales = store.find_org_node("/acme/Sales").await.unwrap();
        store
            .create_user("lead@example.com", profile(), 1)
            .await
            .unwrap();
        let lead = store
            .set_user_access("lead@example.com", "acme", &[staff], &[sales.id], 1)
            .await
            .unwrap();
        let held = vec![
            "acme:admin=view".parse().unwrap(),
            "acme:users=edit('./*')".parse().unwrap(),
        ];
        let delegate = Access::user("lead@example.com", held, &lead);
        let clock = ManualClock::new(10);
        let c = Change::by(&store, &clock, &delegate);
        let made = associate(
            &c,
            &delegate,
            "acme",
            "new@example.com",
            profile(),
            &names(&["Staff"]),
            &names(&["/acme/Sales"]),
        )
        .await
        .unwrap();
        let Associated::Created(new) = made else {
            panic!("{made:?}")
        };
        assert_eq!(new.access_in("acme").unwrap().positions, ["/acme/Sales"]);
        // not at the root, which is outside its scope
        let err = associate(
            &c,
            &delegate,
            "acme",
            "root@example.com",
            profile(),
            &names(&["Staff"]),
            &[],
        )
        .await
        .unwrap_err();
        assert_eq!(
            err,
            ServiceError::Forbidden("acme:users=edit('/acme')".into())
        );
        assert!(store.get_user("root@example.com").await.is_err());

        // nor take away its own admin=view, by leaving the instance or by its sets
        let refused = ServiceError::Refused("you cannot remove your own acme:admin=view: you would lose access to the administration of acme; ask another administrator to change your access".into());
        let err = set_access(&c, &delegate, "acme", "lead@example.com", &[], &[])
            .await
            .unwrap_err();
        assert_eq!(err, refused);
        let err = set_access(
            &c,
            &delegate,
            "acme",
            "lead@example.com",
            &[],
            &names(&["/acme/Sales"]),
        )
        .await
        .unwrap_err();
        assert_eq!(err, refused);
        assert_eq!(store.get_user("lead@example.com").await.unwrap(), lead);
        // keeping it is fine
        set_access(
            &c,
            &delegate,
            "acme",
            "lead@example.com",
            &names(&["Staff"]),
            &names(&["/acme/Sales"]),
        )
        .await
        .unwrap();
    }

    /// A branch admin of /acme/Sales reaches a user on Sales and elsewhere (here the root) for
    /// reading, but may change, remove or delete only a user wholly inside its branch, in every
    /// instance of the account for deleting; and never deletes its own account.
    #[tokio::test]
    async fn a_branch_admin_changes_only_users_wholly_inside_its_branch() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let staff = acme(&store).await;
        let sales = store.find_org_node("/acme/Sales").await.unwrap();
        let root = store.find_org_node("/acme").await.unwrap();
        let beta_root = store.find_org_node("/beta").await.unwrap();
        let mut lead = None;
        for (email, nodes) in [
            ("lead@example.com", vec![sales.id]),
            ("in@example.com", vec![sales.id]),
            ("both@example.com", vec![sales.id, root.id]),
            ("twice@example.com", vec![sales.id]),
        ] {
            store.create_user(email, profile(), 1).await.unwrap();
            let sets = if email == "lead@example.com" {
                vec![staff]
            } else {
                vec![]
            };
            let u = store
                .set_user_access(email, "acme", &sets, &nodes, 1)
                .await
                .unwrap();
            if email == "lead@example.com" {
                lead = Some(u);
            }
        }
        store
            .set_user_access("twice@example.com", "beta", &[], &[beta_root.id], 1)
            .await
            .unwrap();
        let held = vec![
            "acme:admin=view".parse().unwrap(),
            "acme:users=read('./*')".parse().unwrap(),
            "acme:users=edit('./*')".parse().unwrap(),
            "acme:users=delete('./*')".parse().unwrap(),
        ];
        let delegate = Access::user("lead@example.com", held, &lead.unwrap());
        let clock = ManualClock::new(10);
        let c = Change::by(&store, &clock, &delegate);

        let both = store.get_user("both@example.com").await.unwrap();
        get(&c, &delegate, "acme", "both@example.com")
            .await
            .unwrap();
        let edit = ServiceError::Forbidden("acme:users=edit('/acme')".into());
        // dropping the root, keeping Sales
        let err = set_access(
            &c,
            &delegate,
            "acme",
            "both@example.com",
            &names(&["Staff"]),
            &names(&["/acme/Sales"]),
        )
        .await
        .unwrap_err();
        assert_eq!(err, edit);
        // removing from the instance
        let err = set_access(&c, &delegate, "acme", "both@example.com", &[], &[])
            .await
            .unwrap_err();
        assert_eq!(err, edit);
        let err = delete(&c, &delegate, "both@example.com").await.unwrap_err();
        assert_eq!(
            err,
            ServiceError::Forbidden("acme:users=delete('/acme')".into())
        );
        // nor its profile, which is the account's everywhere (disabling it, for one)
        let mut disabled = profile();
        disabled.enabled = false;
        let err = update_profile(&c, &delegate, "both@example.com", disabled.clone())
            .await
            .unwrap_err();
        assert_eq!(err, edit);
        let err = put(&c, &delegate, "acme", "both@example.com", disabled)
            .await
            .unwrap_err();
        assert_eq!(err, edit);
        assert_eq!(store.get_user("both@example.com").await.unwrap(), both);
        // wholly inside here, but also in beta, which it does not administer
        let err = delete(&c, &delegate, "twice@example.com")
            .await
            .unwrap_err();
        assert_eq!(err, ServiceError::Forbidden("beta:users=delete".into()));
        assert!(store.get_user("twice@example.com").await.is_ok());
        // its own account
        let err = delete(&c, &delegate, "Lead@example.com").await.unwrap_err();
        assert_eq!(
            err,
            ServiceError::Refused("you cannot delete your own account here".into())
        );
        assert!(store.get_user("lead@example.com").await.is_ok());

        // a user wholly inside the branch: edited, removed, deleted
        set_access(
            &c,
            &delegate,
            "acme",
            "in@example.com",
            &names(&["Staff"]),
            &names(&["/acme/Sales"]),
        )
        .await
        .unwrap();
        set_access(&c, &delegate, "acme", "twice@example.com", &[], &[])
            .await
            .unwrap();
        delete(&c, &delegate, "in@example.com").await.unwrap();
        assert!(store.get_user("in@example.com").await.is_err());
    }
}
