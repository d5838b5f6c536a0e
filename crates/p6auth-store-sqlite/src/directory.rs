//! The directory: org trees and users. Written once for both dialects: the PostgreSQL backend's
//! `directory.rs` is the same file with the backend's types (see `sql.rs`).

use std::collections::BTreeMap;

use async_trait::async_trait;
use p6auth_core::audit::NewAuditEntry;
use p6auth_core::org::{NewOrgNode, OrgNode, OrgNodeUpdate, Properties};
use p6auth_core::user::{SetName, User, UserAccess, UserProfile, UserQuery};
use p6auth_store::{OrgStore, ProfileWrite, StoreError, StoreResult, UserStore, UserWrite};
use sqlx::Row;
use sqlx::SqliteConnection as Conn;
use sqlx::sqlite::SqliteRow as DbRow;

use crate::SqliteStore as DbStore;
use crate::error::{backend, is_unique_violation};
use crate::instances::require_instance;
use crate::sql::{BYTE_ORDER, sql};

const NODE_COLUMNS: &str =
    "id, instance, parent_id, name, path, description, properties, created_at, updated_at";
const USER_COLUMNS: &str =
    "email, first_name, last_name, enabled, preferred_language, properties, created_at, updated_at";

fn properties_from(text: &str) -> StoreResult<Properties> {
    serde_json::from_str(text).map_err(backend)
}

fn properties_to(p: &Properties) -> StoreResult<String> {
    serde_json::to_string(p).map_err(backend)
}

fn node_from_row(r: &DbRow) -> StoreResult<OrgNode> {
    Ok(OrgNode {
        id: r.get("id"),
        instance: r.get("instance"),
        parent_id: r.get("parent_id"),
        name: r.get("name"),
        path: r.get("path"),
        description: r.get("description"),
        properties: properties_from(r.get("properties"))?,
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    })
}

/// The rows of a branch below `path` (not `path` itself): `substr(path, 1, CAST(? AS INTEGER)) = ?`.
fn below(path: &str) -> (i64, String) {
    let prefix = format!("{path}/");
    (prefix.chars().count() as i64, prefix)
}

async fn node_by_id(conn: &mut Conn, id: i64) -> StoreResult<OrgNode> {
    let row = sqlx::query(&sql(&format!(
        "SELECT {NODE_COLUMNS} FROM org_nodes WHERE id = ?"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?
    .ok_or_else(|| StoreError::NotFound(format!("org node {id}")))?;
    node_from_row(&row)
}

fn node_conflict(path: &str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
    move |e| {
        if is_unique_violation(&e) {
            StoreError::Conflict(format!("org node {path} already exists"))
        } else {
            backend(e)
        }
    }
}

/// Inserts the root of a new instance, in the caller's transaction.
pub(crate) async fn insert_root(conn: &mut Conn, instance: &str, now: i64) -> StoreResult<()> {
    sqlx::query(&sql(
        "INSERT INTO org_nodes (instance, parent_id, name, path, created_at, updated_at)
         VALUES (?, NULL, ?, ?, ?, ?)",
    ))
    .bind(instance)
    .bind(instance)
    .bind(format!("/{instance}"))
    .bind(now)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

#[async_trait]
impl OrgStore for DbStore {
    async fn list_org_nodes(&self, instance: &str) -> StoreResult<Vec<OrgNode>> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        if instance == p6auth_core::instance::ALL_INSTANCES {
            return Err(StoreError::NotFound(format!("instance {instance}")));
        }
        require_instance(&mut conn, instance).await?;
        sqlx::query(&sql(&format!(
            "SELECT {NODE_COLUMNS} FROM org_nodes WHERE instance = ? ORDER BY path{BYTE_ORDER}"
        )))
        .bind(instance)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?
        .iter()
        .map(node_from_row)
        .collect()
    }

    async fn get_org_node(&self, id: i64) -> StoreResult<OrgNode> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        node_by_id(&mut conn, id).await
    }

    async fn find_org_node(&self, path: &str) -> StoreResult<OrgNode> {
        let row = sqlx::query(&sql(&format!(
            "SELECT {NODE_COLUMNS} FROM org_nodes WHERE path = ?"
        )))
        .bind(path)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .ok_or_else(|| StoreError::NotFound(format!("org node {path}")))?;
        node_from_row(&row)
    }

    async fn create_org_node(&self, node: NewOrgNode, now: i64) -> StoreResult<OrgNode> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let parent = node_by_id(&mut tx, node.parent_id).await?;
        let path = format!("{}/{}", parent.path, node.name);
        let row = sqlx::query(&sql(&format!(
            "INSERT INTO org_nodes (instance, parent_id, name, path, description, properties, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {NODE_COLUMNS}"
        )))
        .bind(&parent.instance)
        .bind(parent.id)
        .bind(&node.name)
        .bind(&path)
        .bind(&node.description)
        .bind(properties_to(&node.properties)?)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(node_conflict(&path))?;
        let created = node_from_row(&row)?;
        tx.commit().await.map_err(backend)?;
        Ok(created)
    }

    async fn update_org_node(
        &self,
        id: i64,
        update: OrgNodeUpdate,
        now: i64,
    ) -> StoreResult<OrgNode> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let node = node_by_id(&mut tx, id).await?;
        let name = update.name.unwrap_or_else(|| node.name.clone());
        let parent_id = update.parent_id.or(node.parent_id);
        if node.parent_id.is_none() && (name != node.name || parent_id.is_some()) {
            return Err(StoreError::Invalid(format!(
                "{} is the root of instance {}: it cannot be renamed or moved",
                node.path, node.instance
            )));
        }
        let path = match parent_id {
            None => node.path.clone(),
            Some(pid) => {
                let parent = node_by_id(&mut tx, pid).await?;
                if parent.instance != node.instance {
                    return Err(StoreError::Invalid(format!(
                        "cannot move {} to another instance's tree ({})",
                        node.path, parent.path
                    )));
                }
                if parent.path == node.path || parent.path.starts_with(&below(&node.path).1) {
                    return Err(StoreError::Invalid(format!(
                        "cannot move {} below itself ({})",
                        node.path, parent.path
                    )));
                }
                format!("{}/{}", parent.path, name)
            }
        };
        let properties = match &update.properties {
            Some(p) => p.clone(),
            None => node.properties.clone(),
        };
        let row = sqlx::query(&sql(&format!(
            "UPDATE org_nodes SET name = ?, parent_id = ?, path = ?, description = ?, properties = ?, updated_at = ?
             WHERE id = ? RETURNING {NODE_COLUMNS}"
        )))
        .bind(&name)
        .bind(parent_id)
        .bind(&path)
        .bind(update.description.as_ref().unwrap_or(&node.description))
        .bind(properties_to(&properties)?)
        .bind(now)
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(node_conflict(&path))?;
        if path != node.path {
            let (len, prefix) = below(&node.path);
            sqlx::query(&sql(
                "UPDATE org_nodes SET path = ? || substr(path, CAST(? AS INTEGER)), updated_at = ? WHERE substr(path, 1, CAST(? AS INTEGER)) = ?",
            ))
            .bind(format!("{path}/"))
            .bind(len + 1)
            .bind(now)
            .bind(len)
            .bind(prefix)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        let updated = node_from_row(&row)?;
        tx.commit().await.map_err(backend)?;
        Ok(updated)
    }

    async fn delete_org_node(&self, id: i64, cascade: bool) -> StoreResult<()> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let node = node_by_id(&mut tx, id).await?;
        if node.parent_id.is_none() {
            return Err(StoreError::Invalid(format!(
                "{} is the root of instance {}: it cannot be deleted",
                node.path, node.instance
            )));
        }
        let (len, prefix) = below(&node.path);
        let children: i64 = sqlx::query_scalar(&sql(
            "SELECT count(*) FROM org_nodes WHERE substr(path, 1, CAST(? AS INTEGER)) = ?",
        ))
        .bind(len)
        .bind(&prefix)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let users: i64 = sqlx::query_scalar(&sql(
            "SELECT count(DISTINCT p.email) FROM user_positions p JOIN org_nodes n ON n.id = p.node_id
             WHERE n.id = ? OR substr(n.path, 1, CAST(? AS INTEGER)) = ?",
        ))
        .bind(id)
        .bind(len)
        .bind(&prefix)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        if !cascade && (children > 0 || users > 0) {
            return Err(StoreError::Conflict(format!(
                "org node {} has {children} nodes and {users} users below it; move or delete them first, or cascade",
                node.path
            )));
        }
        // the users on the branch move to its parent: a user left with no position would
        // stand at the root, above everything the branch's scope covered
        sqlx::query(&sql("INSERT INTO user_positions (email, node_id)
             SELECT DISTINCT p.email, CAST(? AS BIGINT) FROM user_positions p
             JOIN org_nodes n ON n.id = p.node_id
             WHERE n.id = ? OR substr(n.path, 1, CAST(? AS INTEGER)) = ?
             ON CONFLICT DO NOTHING"))
        .bind(node.parent_id)
        .bind(id)
        .bind(len)
        .bind(&prefix)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        sqlx::query(&sql(
            "DELETE FROM org_nodes WHERE id = ? OR substr(path, 1, CAST(? AS INTEGER)) = ?",
        ))
        .bind(id)
        .bind(len)
        .bind(&prefix)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }
}

/// The users with these emails, each with its access, in the order given (emails not found are
/// left out): three queries, whatever the number of users.
async fn load_users(conn: &mut Conn, emails: &[String]) -> StoreResult<Vec<User>> {
    if emails.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; emails.len()].join(", ");
    let profiles_sql = sql(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE email IN ({marks})"
    ))
    .into_owned();
    let policies_sql = sql(&format!(
        "SELECT p.email, p.instance AS policy_instance, s.id, s.instance, s.name FROM user_policies p
         JOIN permission_sets s ON s.id = p.permission_set_id WHERE p.email IN ({marks})
         ORDER BY p.instance{BYTE_ORDER}, s.instance{BYTE_ORDER}, s.name{BYTE_ORDER}"
    ))
    .into_owned();
    let positions_sql = sql(&format!(
        "SELECT p.email, n.instance, n.path FROM user_positions p JOIN org_nodes n ON n.id = p.node_id
         WHERE p.email IN ({marks}) ORDER BY n.path{BYTE_ORDER}"
    ))
    .into_owned();
    let profiles = fetch_for(conn, &profiles_sql, emails).await?;
    let policies = fetch_for(conn, &policies_sql, emails).await?;
    let positions = fetch_for(conn, &positions_sql, emails).await?;

    let mut access: BTreeMap<String, BTreeMap<String, UserAccess>> = BTreeMap::new();
    fn entry(
        access: &mut BTreeMap<String, BTreeMap<String, UserAccess>>,
        email: String,
        instance: String,
    ) -> &mut UserAccess {
        access
            .entry(email)
            .or_default()
            .entry(instance.clone())
            .or_insert_with(|| UserAccess {
                instance,
                permission_sets: Vec::new(),
                positions: Vec::new(),
            })
    }
    for p in &policies {
        entry(&mut access, p.get("email"), p.get("policy_instance"))
            .permission_sets
            .push(SetName {
                id: p.get("id"),
                instance: p.get("instance"),
                name: p.get("name"),
            });
    }
    for p in &positions {
        entry(&mut access, p.get("email"), p.get("instance"))
            .positions
            .push(p.get("path"));
    }
    let mut by_email: BTreeMap<String, User> = BTreeMap::new();
    for r in &profiles {
        let email: String = r.get("email");
        let user = User {
            email: email.clone(),
            first_name: r.get("first_name"),
            last_name: r.get("last_name"),
            enabled: r.get("enabled"),
            preferred_language: r.get("preferred_language"),
            properties: properties_from(r.get("properties"))?,
            access: access
                .remove(&email)
                .map(|a| a.into_values().collect())
                .unwrap_or_default(),
            created_at: r.get("created_at"),
            updated_at: r.get("updated_at"),
        };
        by_email.insert(email, user);
    }
    Ok(emails.iter().filter_map(|e| by_email.remove(e)).collect())
}

/// `text` with one placeholder per email, bound in order.
async fn fetch_for(conn: &mut Conn, text: &str, emails: &[String]) -> StoreResult<Vec<DbRow>> {
    let mut q = sqlx::query(text);
    for email in emails {
        q = q.bind(email.as_str());
    }
    q.fetch_all(&mut *conn).await.map_err(backend)
}

async fn load_user(conn: &mut Conn, email: &str) -> StoreResult<User> {
    load_users(conn, &[email.to_string()])
        .await?
        .pop()
        .ok_or_else(|| StoreError::NotFound(format!("user {email}")))
}

enum Arg {
    Text(String),
    Int(i64),
}

#[async_trait]
impl UserStore for DbStore {
    async fn create_user(&self, email: &str, profile: UserProfile, now: i64) -> StoreResult<User> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        insert_user(&mut tx, email, &profile, now).await?;
        let user = load_user(&mut tx, email).await?;
        tx.commit().await.map_err(backend)?;
        Ok(user)
    }

    async fn update_user(&self, email: &str, profile: UserProfile, now: i64) -> StoreResult<User> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        update_profile(&mut tx, email, &profile, now).await?;
        let user = load_user(&mut tx, email).await?;
        tx.commit().await.map_err(backend)?;
        Ok(user)
    }

    async fn get_user(&self, email: &str) -> StoreResult<User> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        load_user(&mut conn, email).await
    }

    async fn delete_user(&self, email: &str) -> StoreResult<()> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let done = sqlx::query(&sql("DELETE FROM users WHERE email = ?"))
            .bind(email)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("user {email}")));
        }
        // sessions, refresh tokens and pending links end with the account: a later account
        // with the same address must not inherit them
        sqlx::query(&sql("DELETE FROM login_artifacts WHERE subject = ?"))
            .bind(email)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(())
    }

    async fn change_user_email(&self, old: &str, new: &str, now: i64) -> StoreResult<User> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        crate::user_email::move_user(&mut tx, old, new, now).await?;
        let user = load_user(&mut tx, new).await?;
        tx.commit().await.map_err(backend)?;
        Ok(user)
    }

    async fn set_user_access(
        &self,
        email: &str,
        instance: &str,
        permission_set_ids: &[i64],
        position_ids: &[i64],
        now: i64,
    ) -> StoreResult<User> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        load_user(&mut tx, email).await?;
        replace_access(
            &mut tx,
            email,
            instance,
            permission_set_ids,
            position_ids,
            now,
        )
        .await?;
        let user = load_user(&mut tx, email).await?;
        tx.commit().await.map_err(backend)?;
        Ok(user)
    }

    async fn write_users(
        &self,
        writes: &[UserWrite],
        audit: &[NewAuditEntry],
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        for w in writes {
            match &w.profile {
                ProfileWrite::Create(p) => insert_user(&mut tx, &w.email, p, now).await?,
                ProfileWrite::Update(p) => update_profile(&mut tx, &w.email, p, now).await?,
                ProfileWrite::Keep => require_user(&mut tx, &w.email).await?,
            }
            for a in &w.access {
                replace_access(
                    &mut tx,
                    &w.email,
                    &a.instance,
                    &a.permission_set_ids,
                    &a.position_ids,
                    now,
                )
                .await?;
            }
        }
        for e in audit {
            sqlx::query(&sql(
                "INSERT INTO audit_log (at, actor, action, target, details) VALUES (?, ?, ?, ?, ?)",
            ))
            .bind(e.at)
            .bind(&e.actor)
            .bind(&e.action)
            .bind(&e.target)
            .bind(e.details.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn search_users(&self, query: &UserQuery) -> StoreResult<Vec<User>> {
        let mut conditions: Vec<&str> = vec!["1 = 1"];
        let mut args: Vec<Arg> = Vec::new();
        if let Some(instance) = &query.instance {
            conditions.push(
                "(EXISTS (SELECT 1 FROM user_policies p WHERE p.email = users.email AND p.instance = ?)
                  OR EXISTS (SELECT 1 FROM user_positions u JOIN org_nodes n ON n.id = u.node_id
                             WHERE u.email = users.email AND n.instance = ?))",
            );
            args.push(Arg::Text(instance.clone()));
            args.push(Arg::Text(instance.clone()));
        }
        if let Some(prefix) = &query.email_prefix {
            let prefix = prefix.to_lowercase();
            conditions.push("substr(email, 1, CAST(? AS INTEGER)) = ?");
            args.push(Arg::Int(prefix.chars().count() as i64));
            args.push(Arg::Text(prefix));
        }
        if let Some(last) = &query.last_name {
            conditions.push("lower(last_name) = ?");
            args.push(Arg::Text(last.to_ascii_lowercase()));
        }
        if let Some(id) = query.permission_set_id {
            conditions.push(
                "EXISTS (SELECT 1 FROM user_policies p WHERE p.email = users.email AND p.permission_set_id = ?)",
            );
            args.push(Arg::Int(id));
        }
        let after_condition = format!("email{BYTE_ORDER} > ?");
        if let Some(after) = &query.after {
            conditions.push(&after_condition);
            args.push(Arg::Text(after.clone()));
        }
        let text = format!(
            "SELECT email FROM users WHERE {} ORDER BY email{BYTE_ORDER} LIMIT ?",
            conditions.join(" AND ")
        );
        let text = sql(&text);
        let mut q = sqlx::query_scalar::<_, String>(&text);
        for a in args {
            q = match a {
                Arg::Text(t) => q.bind(t),
                Arg::Int(i) => q.bind(i),
            };
        }
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        let emails = q
            .bind(i64::from(query.limit))
            .fetch_all(&mut *conn)
            .await
            .map_err(backend)?;
        load_users(&mut conn, &emails).await
    }
}

async fn insert_user(
    tx: &mut Conn,
    email: &str,
    profile: &UserProfile,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(&sql(&format!(
        "INSERT INTO users ({USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    )))
    .bind(email)
    .bind(&profile.first_name)
    .bind(&profile.last_name)
    .bind(profile.enabled)
    .bind(&profile.preferred_language)
    .bind(properties_to(&profile.properties)?)
    .bind(now)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict(format!("user {email} already exists"))
        } else {
            backend(e)
        }
    })?;
    Ok(())
}

async fn update_profile(
    tx: &mut Conn,
    email: &str,
    profile: &UserProfile,
    now: i64,
) -> StoreResult<()> {
    let done = sqlx::query(&sql(
        "UPDATE users SET first_name = ?, last_name = ?, enabled = ?, preferred_language = ?,
         properties = ?, updated_at = ? WHERE email = ?",
    ))
    .bind(&profile.first_name)
    .bind(&profile.last_name)
    .bind(profile.enabled)
    .bind(&profile.preferred_language)
    .bind(properties_to(&profile.properties)?)
    .bind(now)
    .bind(email)
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("user {email}")));
    }
    Ok(())
}

async fn require_user(tx: &mut Conn, email: &str) -> StoreResult<()> {
    sqlx::query(&sql("SELECT email FROM users WHERE email = ?"))
        .bind(email)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .map(|_| ())
        .ok_or_else(|| StoreError::NotFound(format!("user {email}")))
}

/// Replaces what the user holds in `instance`; the user must exist.
async fn replace_access(
    tx: &mut Conn,
    email: &str,
    instance: &str,
    permission_set_ids: &[i64],
    position_ids: &[i64],
    now: i64,
) -> StoreResult<()> {
    if instance == p6auth_core::instance::ALL_INSTANCES {
        return Err(StoreError::Invalid(
            "a user's access is given in one instance, not in *".into(),
        ));
    }
    require_instance(tx, instance).await?;
    for id in permission_set_ids {
        let row = sqlx::query(&sql(
            "SELECT instance, name FROM permission_sets WHERE id = ?",
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .ok_or_else(|| StoreError::NotFound(format!("permission set {id}")))?;
        let set_instance: String = row.get("instance");
        if set_instance != instance && set_instance != p6auth_core::instance::ALL_INSTANCES {
            let name: String = row.get("name");
            return Err(StoreError::Invalid(format!(
                "permission set {set_instance}/{name} belongs to another instance than {instance}"
            )));
        }
    }
    for id in position_ids {
        let node = node_by_id(tx, *id).await?;
        if node.instance != instance {
            return Err(StoreError::Invalid(format!(
                "org node {} is not in instance {instance}",
                node.path
            )));
        }
    }
    sqlx::query(&sql(
        "DELETE FROM user_policies WHERE email = ? AND instance = ?",
    ))
    .bind(email)
    .bind(instance)
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    sqlx::query(&sql(
            "DELETE FROM user_positions WHERE email = ? AND node_id IN (SELECT id FROM org_nodes WHERE instance = ?)",
        ))
        .bind(email)
        .bind(instance)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    let mut sets = permission_set_ids.to_vec();
    sets.sort_unstable();
    sets.dedup();
    for id in sets {
        sqlx::query(&sql(
            "INSERT INTO user_policies (email, instance, permission_set_id) VALUES (?, ?, ?)",
        ))
        .bind(email)
        .bind(instance)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    }
    let mut nodes = position_ids.to_vec();
    nodes.sort_unstable();
    nodes.dedup();
    for id in nodes {
        sqlx::query(&sql(
            "INSERT INTO user_positions (email, node_id) VALUES (?, ?)",
        ))
        .bind(email)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    }
    sqlx::query(&sql("UPDATE users SET updated_at = ? WHERE email = ?"))
        .bind(now)
        .bind(email)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    Ok(())
}
