//! Use cases on an instance's org tree, each checked against the caller's [`Access`] (`orgs`
//! permissions, whose values are org paths) and written to the audit log.

use p6auth_core::org::{
    NewOrgNode, OrgNode, OrgNodeUpdate, validate_description, validate_node_name,
    validate_properties,
};
use p6auth_core::user::{User, UserQuery};
use serde_json::json;

use crate::access::{Access, forbidden, user_in_scope};
use crate::admin::Change;
use crate::{ServiceError, ServiceResult};

/// The nodes of `instance` the caller may read (`orgs=read`), parents first.
pub async fn tree(c: &Change<'_>, access: &Access, instance: &str) -> ServiceResult<Vec<OrgNode>> {
    let scope = access.org_scope(instance, "orgs", "read")?;
    let nodes = c.store.list_org_nodes(instance).await?;
    Ok(nodes
        .into_iter()
        .filter(|n| scope.contains(&n.path))
        .collect())
}

/// A node of `instance`; `NotFound` for a node of another instance.
pub async fn node(c: &Change<'_>, instance: &str, id: i64) -> ServiceResult<OrgNode> {
    let node = c.store.get_org_node(id).await?;
    if node.instance != instance {
        return Err(p6auth_store::StoreError::NotFound(format!("org node {id}")).into());
    }
    Ok(node)
}

/// The node a caller named as a parent (by path, resolved to `id`): it must be in `instance`.
async fn parent_in(c: &Change<'_>, instance: &str, id: i64) -> ServiceResult<OrgNode> {
    let parent = c.store.get_org_node(id).await?;
    if parent.instance != instance {
        return Err(ServiceError::Invalid(format!(
            "org node {} is not in instance {instance}",
            parent.path
        )));
    }
    Ok(parent)
}

fn require_node(access: &Access, node: &OrgNode, action: &str) -> ServiceResult<()> {
    let scope = access.org_scope(&node.instance, "orgs", action)?;
    if scope.contains(&node.path) {
        Ok(())
    } else {
        Err(forbidden(&node.instance, "orgs", action, Some(&node.path)))
    }
}

/// The users on one node (`users=read` covering it).
pub async fn node_users(
    c: &Change<'_>,
    access: &Access,
    instance: &str,
    id: i64,
) -> ServiceResult<Vec<User>> {
    let node = node(c, instance, id).await?;
    let scope = access.org_scope(instance, "users", "read")?;
    if !scope.contains(&node.path) {
        return Err(forbidden(instance, "users", "read", Some(&node.path)));
    }
    let out = users_where(c, instance, |p| p == node.path).await?;
    debug_assert!(out.iter().all(|u| user_in_scope(u, instance, &scope)));
    Ok(out)
}

/// The users of `instance` with a position for which `on` holds.
async fn users_where(
    c: &Change<'_>,
    instance: &str,
    on: impl Fn(&str) -> bool,
) -> ServiceResult<Vec<User>> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let query = UserQuery {
            instance: Some(instance.into()),
            after: after.clone(),
            limit: 500,
            ..UserQuery::default()
        };
        let page = c.store.search_users(&query).await?;
        let done = page.len() < 500;
        after = page.last().map(|u| u.email.clone());
        out.extend(
            page.into_iter()
                .filter(|u| u.positions_in(instance).iter().any(|p| on(p))),
        );
        if done {
            return Ok(out);
        }
    }
}

/// Whether `path` is `branch` or below it.
fn on_branch(branch: &str, path: &str) -> bool {
    path == branch
        || path
            .strip_prefix(branch)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The checks for moving `branch` and its users below `to` (a move: the new parent) or onto
/// `to` (a delete: the parent), `relocate` giving a position's new path. A user's `./`
/// permissions resolve from their positions, so such a change must not widen anyone's reach
/// beyond the caller's, the caller's own included:
/// - the caller may not change the branch it stands on (its own node or one above it);
/// - `to` lies within the caller's `orgs=action` scope;
/// - when users move, the caller's `users=edit` covers their positions before and after.
fn require_branch_change(
    access: &Access,
    branch: &OrgNode,
    to: &str,
    action: &str,
    moved: &[User],
    relocate: impl Fn(&str) -> String,
) -> ServiceResult<()> {
    let instance = &branch.instance;
    let verb = if action == "delete" { "delete" } else { "move" };
    if let Some(own) = access
        .positions_in(instance)
        .iter()
        .find(|p| on_branch(&branch.path, p))
    {
        return Err(ServiceError::Refused(format!(
            "you cannot {verb} org node {}: you are positioned on {own}, and your own scope would change with it; ask an administrator above you",
            branch.path
        )));
    }
    let orgs = access.org_scope(instance, "orgs", action)?;
    if !orgs.contains(to) {
        return Err(ServiceError::Refused(format!(
            "you cannot {verb} org node {}: its users would move to {to}, outside your orgs={action} scope (this needs the permission {instance}:orgs={action}('{to}'))",
            branch.path
        )));
    }
    if moved.is_empty() {
        return Ok(());
    }
    let users = access.org_scope(instance, "users", "edit")?;
    let outside = moved
        .iter()
        .flat_map(|u| u.positions_in(instance))
        .filter(|p| on_branch(&branch.path, p))
        .flat_map(|p| [relocate(&p), p])
        .find(|p| !users.contains(p));
    match outside {
        Some(p) => Err(ServiceError::Refused(format!(
            "you cannot {verb} org node {}: it moves users, and {p} is outside your users=edit scope (this needs the permission {instance}:users=edit('{p}'))",
            branch.path
        ))),
        None => Ok(()),
    }
}

pub async fn create(
    c: &Change<'_>,
    access: &Access,
    instance: &str,
    new: NewOrgNode,
) -> ServiceResult<OrgNode> {
    validate_node_name(&new.name).map_err(ServiceError::Invalid)?;
    validate_description(&new.description).map_err(ServiceError::Invalid)?;
    validate_properties(&new.properties).map_err(ServiceError::Invalid)?;
    let parent = parent_in(c, instance, new.parent_id).await?;
    require_node(access, &parent, "edit")?;
    let created = c.store.create_org_node(new, c.clock.now()).await?;
    c.audit(
        "org_node.create",
        &format!("org node {}", created.path),
        json!({"after": created}),
    )
    .await?;
    Ok(created)
}

/// Renames, moves (`orgs=edit` on the node and on the new parent) or edits a node.
pub async fn update(
    c: &Change<'_>,
    access: &Access,
    instance: &str,
    id: i64,
    update: OrgNodeUpdate,
) -> ServiceResult<OrgNode> {
    if let Some(name) = &update.name {
        validate_node_name(name).map_err(ServiceError::Invalid)?;
    }
    if let Some(d) = &update.description {
        validate_description(d).map_err(ServiceError::Invalid)?;
    }
    if let Some(p) = &update.properties {
        validate_properties(p).map_err(ServiceError::Invalid)?;
    }
    let before = node(c, instance, id).await?;
    require_node(access, &before, "edit")?;
    let mut moved = Vec::new();
    if let Some(parent_id) = update.parent_id.filter(|p| Some(*p) != before.parent_id) {
        let parent = parent_in(c, instance, parent_id).await?;
        require_node(access, &parent, "edit")?;
        moved = users_where(c, instance, |p| on_branch(&before.path, p)).await?;
        let name = update.name.as_deref().unwrap_or(&before.name);
        let new_path = format!("{}/{name}", parent.path);
        require_branch_change(access, &before, &parent.path, "edit", &moved, |p| {
            format!("{new_path}{}", &p[before.path.len()..])
        })?;
    }
    let after = c.store.update_org_node(id, update, c.clock.now()).await?;
    c.audit(
        "org_node.update",
        &format!("org node {}", before.path),
        json!({"before": before, "after": after, "users_moved": emails(&moved)}),
    )
    .await?;
    Ok(after)
}

fn emails(users: &[User]) -> Vec<&str> {
    users.iter().map(|u| u.email.as_str()).collect()
}

/// Deletes a node (with `cascade`, its whole branch). The users positioned on the branch move
/// to the node's parent (the store does it in the same transaction), so the caller needs
/// `orgs=delete` on the parent too, and `users=edit` on those users and the parent: see
/// [`require_branch_change`].
pub async fn delete(
    c: &Change<'_>,
    access: &Access,
    instance: &str,
    id: i64,
    cascade: bool,
) -> ServiceResult<()> {
    let before = node(c, instance, id).await?;
    require_node(access, &before, "delete")?;
    let mut moved = Vec::new();
    let mut to = None;
    // the root has no parent; the store refuses to delete it
    if let Some(parent_id) = before.parent_id {
        let parent = node(c, instance, parent_id).await?;
        moved = users_where(c, instance, |p| on_branch(&before.path, p)).await?;
        require_branch_change(access, &before, &parent.path, "delete", &moved, |_| {
            parent.path.clone()
        })?;
        to = Some(parent.path);
    }
    c.store.delete_org_node(id, cascade).await?;
    c.audit(
        "org_node.delete",
        &format!("org node {}", before.path),
        json!({"before": before, "cascade": cascade, "users_moved": emails(&moved), "users_moved_to": to}),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use p6auth_core::audit::Actor;
    use p6auth_core::clock::ManualClock;
    use p6auth_core::user::UserProfile;
    use p6auth_store::{OrgStore, Store, UserStore};
    use p6auth_store_sqlite::SqliteStore;

    /// `/default/Sales2/Team`, with bob (a delegated admin) on Sales2 and tom on Team.
    async fn sales2(store: &dyn Store) -> (OrgNode, OrgNode, Access) {
        let clock = ManualClock::new(1);
        let actor = Actor::Cli("op".into());
        let c = Change {
            store,
            clock: &clock,
            actor: &actor,
        };
        let op = Access::operator(Actor::Cli("op".into()));
        store
            .create_instance("default", "Default", "", 1)
            .await
            .unwrap();
        let root = store.find_org_node("/default").await.unwrap();
        let new = |parent_id, name: &str| NewOrgNode {
            parent_id,
            name: name.into(),
            description: String::new(),
            properties: Default::default(),
        };
        let sales2 = create(&c, &op, "default", new(root.id, "Sales2"))
            .await
            .unwrap();
        let team = create(&c, &op, "default", new(sales2.id, "Team"))
            .await
            .unwrap();
        for (email, node) in [("bob@x.test", &sales2), ("tom@x.test", &team)] {
            let profile = UserProfile {
                first_name: String::new(),
                last_name: String::new(),
                enabled: true,
                preferred_language: "en".into(),
                properties: Default::default(),
            };
            store.create_user(email, profile, 1).await.unwrap();
            store
                .set_user_access(email, "default", &[], &[node.id], 1)
                .await
                .unwrap();
        }
        let bob = store.get_user("bob@x.test").await.unwrap();
        let held = [
            "admin=view",
            "users=read('./*')",
            "users=edit('./*')",
            "users=delete('./*')",
            "orgs=read('./*')",
            "orgs=edit('./*')",
            "orgs=delete('./*')",
        ]
        .iter()
        .map(|p| {
            p.parse::<p6auth_permissions::Permission>()
                .unwrap()
                .qualified("default")
        })
        .collect();
        (sales2, team, Access::user("bob@x.test", held, &bob))
    }

    fn positions(user: &User) -> Vec<String> {
        user.access_in("default").unwrap().positions.clone()
    }

    #[tokio::test]
    async fn a_delegated_admin_cannot_delete_or_move_its_own_node_but_may_delete_below_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let (sales2, team, bob) = sales2(&store).await;
        let clock = ManualClock::new(10);
        let c = Change::by(&store, &clock, &bob);

        let err = delete(&c, &bob, "default", sales2.id, true)
            .await
            .unwrap_err();
        assert_eq!(
            err,
            ServiceError::Refused("you cannot delete org node /default/Sales2: you are positioned on /default/Sales2, and your own scope would change with it; ask an administrator above you".into())
        );
        let err = update(
            &c,
            &bob,
            "default",
            sales2.id,
            OrgNodeUpdate {
                parent_id: Some(team.id),
                ..OrgNodeUpdate::default()
            },
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&err, ServiceError::Refused(m) if m.starts_with("you cannot move org node /default/Sales2: you are positioned on")),
            "{err:?}"
        );
        assert_eq!(
            positions(&store.get_user("bob@x.test").await.unwrap()),
            ["/default/Sales2"]
        );

        // below its own node: tom moves up to Sales2
        delete(&c, &bob, "default", team.id, true).await.unwrap();
        assert_eq!(
            positions(&store.get_user("tom@x.test").await.unwrap()),
            ["/default/Sales2"]
        );
        assert_eq!(
            store.get_org_node(team.id).await.unwrap_err(),
            p6auth_store::StoreError::NotFound(format!("org node {}", team.id))
        );
    }

    #[tokio::test]
    async fn the_operator_deletes_a_node_and_its_users_move_to_the_parent() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let (sales2, _, _) = sales2(&store).await;
        let clock = ManualClock::new(10);
        let op = Access::operator(Actor::Cli("op".into()));
        let c = Change::by(&store, &clock, &op);
        delete(&c, &op, "default", sales2.id, true).await.unwrap();
        for email in ["bob@x.test", "tom@x.test"] {
            assert_eq!(
                positions(&store.get_user(email).await.unwrap()),
                ["/default"],
                "{email}"
            );
        }
    }

    #[tokio::test]
    async fn a_move_that_takes_users_out_of_the_callers_users_scope_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let (sales2, team, _) = sales2(&store).await;
        let clock = ManualClock::new(10);
        let root = store.find_org_node("/default").await.unwrap();
        // may reorganise the whole tree, but edit only the users of Sales2's branch
        let held = ["orgs=edit", "users=edit('/default/Sales2/*')"]
            .iter()
            .map(|p| {
                p.parse::<p6auth_permissions::Permission>()
                    .unwrap()
                    .qualified("default")
            })
            .collect();
        let planner = Access::integration("planner", held);
        let c = Change::by(&store, &clock, &planner);
        let out = OrgNodeUpdate {
            parent_id: Some(root.id),
            ..OrgNodeUpdate::default()
        };
        let err = update(&c, &planner, "default", team.id, out.clone())
            .await
            .unwrap_err();
        assert_eq!(
            err,
            ServiceError::Refused("you cannot move org node /default/Sales2/Team: it moves users, and /default/Team is outside your users=edit scope (this needs the permission default:users=edit('/default/Team'))".into())
        );
        assert_eq!(
            positions(&store.get_user("tom@x.test").await.unwrap()),
            ["/default/Sales2/Team"]
        );
        // a node without users moves freely
        let empty = create(
            &Change::by(&store, &clock, &Access::operator(Actor::Cli("op".into()))),
            &Access::operator(Actor::Cli("op".into())),
            "default",
            NewOrgNode {
                parent_id: sales2.id,
                name: "Empty".into(),
                description: String::new(),
                properties: Default::default(),
            },
        )
        .await
        .unwrap();
        let moved = update(&c, &planner, "default", empty.id, out)
            .await
            .unwrap();
        assert_eq!(moved.path, "/default/Empty");
    }
}
