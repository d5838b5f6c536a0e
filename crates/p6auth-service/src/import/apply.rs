//! Writing the differences between a validated directory file and the store.

use std::collections::HashMap;

use p6auth_core::audit::NewAuditEntry;
use p6auth_core::org::{NewOrgNode, OrgNodeUpdate, path_instance};
use p6auth_core::permission_set::{NewPermissionSet, PermissionSet};
use p6auth_core::user::{User, UserProfile, UserQuery};
use p6auth_store::{AccessWrite, ProfileWrite, UserWrite};
use serde::Serialize;
use serde_json::{Value, json};

use super::DirectoryFile;
use crate::ServiceResult;
use crate::admin::{self, Change};

/// Users read from the store per query while comparing.
const PAGE: u32 = 1000;
/// Users written per transaction.
const BATCH: usize = 1000;

/// What an import changed, by kind. Every change is also one audit entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub instances_created: u64,
    pub org_nodes_created: u64,
    pub org_nodes_updated: u64,
    pub permission_sets_created: u64,
    pub permission_sets_updated: u64,
    pub users_created: u64,
    pub users_updated: u64,
    pub user_access_set: u64,
    /// Differences the store cannot apply (an existing instance's display name or
    /// description); reported, not changed.
    pub warnings: Vec<String>,
}

impl Summary {
    pub fn changes(&self) -> u64 {
        self.instances_created
            + self.org_nodes_created
            + self.org_nodes_updated
            + self.permission_sets_created
            + self.permission_sets_updated
            + self.users_created
            + self.users_updated
            + self.user_access_set
    }
}

/// Writes what differs; `file` must come from [`super::validate`].
pub async fn apply(c: &Change<'_>, file: &DirectoryFile) -> ServiceResult<Summary> {
    let mut summary = Summary::default();
    instances(c, file, &mut summary).await?;
    let nodes = org_nodes(c, file, &mut summary).await?;
    let sets = permission_sets(c, file, &mut summary).await?;
    users(c, file, &nodes, &sets, &mut summary).await?;
    Ok(summary)
}

async fn instances(c: &Change<'_>, file: &DirectoryFile, s: &mut Summary) -> ServiceResult<()> {
    let stored: HashMap<String, _> = c
        .store
        .list_instances()
        .await?
        .into_iter()
        .map(|i| (i.name.clone(), i))
        .collect();
    for i in &file.instances {
        match stored.get(&i.name) {
            None => {
                admin::create_instance(c, &i.name, i.display_name.as_deref(), &i.description)
                    .await?;
                s.instances_created += 1;
            }
            Some(have) => {
                let display = i.display_name.as_deref().unwrap_or(&i.name);
                if have.display_name != display || have.description != i.description {
                    s.warnings.push(format!(
                        "instance {}: an existing instance's display name and description are not changed",
                        i.name
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Node ids by path, of every instance the file touches, after the changes.
async fn org_nodes(
    c: &Change<'_>,
    file: &DirectoryFile,
    s: &mut Summary,
) -> ServiceResult<HashMap<String, i64>> {
    let mut wanted: Vec<&str> = file
        .org_nodes
        .iter()
        .filter_map(|n| path_instance(&n.path))
        .chain(
            file.users
                .iter()
                .flat_map(|u| u.access.iter().map(|a| a.instance.as_str())),
        )
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut nodes = HashMap::new();
    for instance in wanted {
        for n in c.store.list_org_nodes(instance).await? {
            nodes.insert(n.path.clone(), n);
        }
    }
    // validate() ordered the file's nodes parents first
    for n in &file.org_nodes {
        match nodes.get(&n.path) {
            Some(have) => {
                if have.description != n.description || have.properties != n.properties {
                    let update = OrgNodeUpdate {
                        description: Some(n.description.clone()),
                        properties: Some(n.properties.clone()),
                        ..OrgNodeUpdate::default()
                    };
                    let after = c
                        .store
                        .update_org_node(have.id, update, c.clock.now())
                        .await?;
                    c.audit(
                        "org_node.update",
                        &format!("org node {}", n.path),
                        json!({"before": have, "after": after}),
                    )
                    .await?;
                    s.org_nodes_updated += 1;
                }
            }
            None => {
                let (parent, name) = n.path.rsplit_once('/').unwrap_or_default();
                let parent_id = nodes.get(parent).map(|p| p.id).ok_or_else(|| {
                    p6auth_store::StoreError::NotFound(format!("org node {parent}"))
                })?;
                let new = NewOrgNode {
                    parent_id,
                    name: name.to_string(),
                    description: n.description.clone(),
                    properties: n.properties.clone(),
                };
                let created = c.store.create_org_node(new, c.clock.now()).await?;
                c.audit(
                    "org_node.create",
                    &format!("org node {}", created.path),
                    json!({"after": created}),
                )
                .await?;
                nodes.insert(created.path.clone(), created);
                s.org_nodes_created += 1;
            }
        }
    }
    Ok(nodes.into_iter().map(|(p, n)| (p, n.id)).collect())
}

/// Every set by `(instance, name)`, after the changes.
async fn permission_sets(
    c: &Change<'_>,
    file: &DirectoryFile,
    s: &mut Summary,
) -> ServiceResult<HashMap<(String, String), PermissionSet>> {
    let mut sets: HashMap<(String, String), PermissionSet> = c
        .store
        .list_permission_sets()
        .await?
        .into_iter()
        .map(|s| ((s.instance.clone(), s.name.clone()), s))
        .collect();
    for f in &file.permission_sets {
        let key = (f.instance.clone(), f.name.clone());
        let new = NewPermissionSet {
            instance: f.instance.clone(),
            name: f.name.clone(),
            description: f.description.clone(),
            permissions: f.permissions.clone(),
        };
        let mut set = match sets.get(&key) {
            None => {
                s.permission_sets_created += 1;
                admin::create_permission_set(c, new).await?
            }
            Some(have)
                if have.description != f.description || have.permissions != f.permissions =>
            {
                s.permission_sets_updated += 1;
                admin::update_permission_set(c, have, new).await?
            }
            Some(have) => have.clone(),
        };
        if set.enabled != f.enabled {
            set = admin::set_permission_set_enabled(c, &set, f.enabled).await?;
            s.permission_sets_updated += 1;
        }
        sets.insert(key, set);
    }
    Ok(sets)
}

/// Users go to the store in batches of [`BATCH`], each batch with its audit entries in one
/// transaction.
async fn users(
    c: &Change<'_>,
    file: &DirectoryFile,
    nodes: &HashMap<String, i64>,
    sets: &HashMap<(String, String), PermissionSet>,
    s: &mut Summary,
) -> ServiceResult<()> {
    let stored = all_users(c).await?;
    let mut writes = Vec::new();
    let mut audit = Vec::new();
    for u in &file.users {
        let profile = UserProfile {
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            enabled: u.enabled,
            preferred_language: u.preferred_language.clone(),
            properties: u.properties.clone(),
        };
        let target = format!("user {}", u.email);
        let have = stored.get(&u.email);
        let profile_write = match have {
            None => {
                s.users_created += 1;
                let after = json!({"email": u.email, "profile": profile_json(&profile)});
                audit.push(entry(c, "user.create", &target, json!({"after": after})));
                ProfileWrite::Create(profile)
            }
            Some(h) if profile_differs(h, &profile) => {
                s.users_updated += 1;
                let details = json!({"before": profile_json(&profile_of(h)), "after": profile_json(&profile)});
                audit.push(entry(c, "user.update", &target, details));
                ProfileWrite::Update(profile)
            }
            Some(_) => ProfileWrite::Keep,
        };
        let mut access = Vec::new();
        for a in &u.access {
            let mut want_sets: Vec<&PermissionSet> = a
                .permission_sets
                .iter()
                .filter_map(|name| {
                    sets.get(&(a.instance.clone(), name.clone()))
                        .or_else(|| sets.get(&("*".to_string(), name.clone())))
                })
                .collect();
            want_sets.sort_by_key(|s| s.id);
            want_sets.dedup_by_key(|s| s.id);
            let mut want_positions: Vec<String> = a.positions.clone();
            want_positions.sort();
            want_positions.dedup();
            let held = have.and_then(|h| h.access_in(&a.instance));
            let mut have_sets: Vec<i64> = held
                .map(|h| h.permission_sets.iter().map(|s| s.id).collect())
                .unwrap_or_default();
            have_sets.sort_unstable();
            let mut have_positions: Vec<String> =
                held.map(|h| h.positions.clone()).unwrap_or_default();
            have_positions.sort();
            let set_ids: Vec<i64> = want_sets.iter().map(|s| s.id).collect();
            // no sets and no positions is how the store says "not in the instance"
            if set_ids == have_sets && want_positions == have_positions {
                continue;
            }
            let after = json!({
                "instance": a.instance,
                "permission_sets": want_sets.iter().map(|s| format!("{}/{}", s.instance, s.name)).collect::<Vec<_>>(),
                "positions": want_positions,
            });
            audit.push(entry(
                c,
                "user.set_access",
                &target,
                json!({"instance": a.instance, "before": held, "after": after}),
            ));
            s.user_access_set += 1;
            access.push(AccessWrite {
                instance: a.instance.clone(),
                permission_set_ids: set_ids,
                position_ids: want_positions
                    .iter()
                    .filter_map(|p| nodes.get(p).copied())
                    .collect(),
            });
        }
        if matches!(profile_write, ProfileWrite::Keep) && access.is_empty() {
            continue;
        }
        writes.push(UserWrite {
            email: u.email.clone(),
            profile: profile_write,
            access,
        });
        if writes.len() == BATCH {
            c.store.write_users(&writes, &audit, c.clock.now()).await?;
            writes.clear();
            audit.clear();
        }
    }
    if !writes.is_empty() {
        c.store.write_users(&writes, &audit, c.clock.now()).await?;
    }
    Ok(())
}

fn entry(c: &Change<'_>, action: &str, target: &str, details: Value) -> NewAuditEntry {
    NewAuditEntry::new(c.clock.now(), c.actor, action, target, details)
}

fn profile_of(u: &User) -> UserProfile {
    UserProfile {
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        enabled: u.enabled,
        preferred_language: u.preferred_language.clone(),
        properties: u.properties.clone(),
    }
}

fn profile_json(p: &UserProfile) -> Value {
    json!({
        "first_name": p.first_name,
        "last_name": p.last_name,
        "enabled": p.enabled,
        "preferred_language": p.preferred_language,
        "properties": p.properties,
    })
}

fn profile_differs(u: &User, p: &UserProfile) -> bool {
    u.first_name != p.first_name
        || u.last_name != p.last_name
        || u.enabled != p.enabled
        || u.preferred_language != p.preferred_language
        || u.properties != p.properties
}

/// Every stored user by email, read a page at a time.
async fn all_users(c: &Change<'_>) -> ServiceResult<HashMap<String, User>> {
    let mut out = HashMap::new();
    let mut query = UserQuery {
        limit: PAGE,
        ..UserQuery::default()
    };
    loop {
        let page = c.store.search_users(&query).await?;
        let done = page.len() < PAGE as usize;
        query.after = page.last().map(|u| u.email.clone());
        out.extend(page.into_iter().map(|u| (u.email.clone(), u)));
        if done {
            return Ok(out);
        }
    }
}
