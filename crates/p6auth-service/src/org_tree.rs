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
                .filter(|u| u.positions_in(instance).contains(&node.path)),
        );
        if done {
            break;
        }
    }
    debug_assert!(out.iter().all(|u| user_in_scope(u, instance, &scope)));
    Ok(out)
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
    let parent = node(c, instance, new.parent_id).await?;
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
    if let Some(parent_id) = update.parent_id {
        require_node(access, &node(c, instance, parent_id).await?, "edit")?;
    }
    let after = c.store.update_org_node(id, update, c.clock.now()).await?;
    c.audit(
        "org_node.update",
        &format!("org node {}", before.path),
        json!({"before": before, "after": after}),
    )
    .await?;
    Ok(after)
}

pub async fn delete(
    c: &Change<'_>,
    access: &Access,
    instance: &str,
    id: i64,
    cascade: bool,
) -> ServiceResult<()> {
    let before = node(c, instance, id).await?;
    require_node(access, &before, "delete")?;
    c.store.delete_org_node(id, cascade).await?;
    c.audit(
        "org_node.delete",
        &format!("org node {}", before.path),
        json!({"before": before, "cascade": cascade}),
    )
    .await
}
