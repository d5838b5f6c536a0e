//! The whole contents of a store, as business code sees it: what `store copy` moves.

use p6auth_core::audit::AuditEntry;
use p6auth_core::instance::Instance;
use p6auth_core::integration::Integration;
use p6auth_core::org::OrgNode;
use p6auth_core::permission_set::PermissionSet;
use p6auth_core::revocation::RevokedToken;
use p6auth_core::signing_key::StoredSigningKey;
use p6auth_core::user::{User, UserQuery};

use crate::{Store, StoreResult};

/// Every row of a store, in each list's own order. Integrations carry their policies and secret
/// hashes; signing keys stay sealed, so no master key is needed to move them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub instances: Vec<Instance>,
    pub permission_sets: Vec<PermissionSet>,
    pub integrations: Vec<Integration>,
    /// Every instance's tree, instance by instance, parents before children.
    pub org_nodes: Vec<OrgNode>,
    /// By email, with their policies and positions.
    pub users: Vec<User>,
    /// `(email, argon2id PHC string)` of the users who have set a password, by email.
    pub passwords: Vec<(String, String)>,
    pub signing_keys: Vec<StoredSigningKey>,
    /// Revocations of tokens that have not expired yet.
    pub revoked_tokens: Vec<RevokedToken>,
    pub audit_log: Vec<AuditEntry>,
}

/// How many rows of each kind a snapshot holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub instances: usize,
    pub permission_sets: usize,
    pub integrations: usize,
    pub integration_policies: usize,
    pub integration_secrets: usize,
    pub org_nodes: usize,
    pub users: usize,
    pub signing_keys: usize,
    pub revoked_tokens: usize,
    pub audit_entries: usize,
}

impl Snapshot {
    /// Reads everything through the listing methods. It is consistent when no admin change is
    /// made meanwhile; `store copy` checks that by reading the source again afterwards.
    pub async fn read(store: &dyn Store) -> StoreResult<Self> {
        let instances = store.list_instances().await?;
        let mut org_nodes = Vec::new();
        for i in &instances {
            org_nodes.extend(store.list_org_nodes(&i.name).await?);
        }
        let mut users: Vec<User> = Vec::new();
        loop {
            let query = UserQuery {
                after: users.last().map(|u| u.email.clone()),
                limit: 500,
                ..UserQuery::default()
            };
            let page = store.search_users(&query).await?;
            let done = page.len() < 500;
            users.extend(page);
            if done {
                break;
            }
        }
        let mut passwords = Vec::new();
        for u in &users {
            if let Some(hash) = store.get_password_hash(&u.email).await? {
                passwords.push((u.email.clone(), hash));
            }
        }
        Ok(Self {
            passwords,
            instances,
            permission_sets: store.list_permission_sets().await?,
            integrations: store.list_integrations().await?,
            org_nodes,
            users,
            signing_keys: store.list_signing_keys().await?,
            revoked_tokens: store.list_revoked_tokens(i64::MIN).await?,
            audit_log: store.list_audit(i64::MIN, i64::MAX).await?,
        })
    }

    pub fn counts(&self) -> Counts {
        Counts {
            instances: self.instances.len(),
            permission_sets: self.permission_sets.len(),
            integrations: self.integrations.len(),
            integration_policies: self.integrations.iter().map(|i| i.policies.len()).sum(),
            integration_secrets: self.integrations.iter().map(|i| i.secrets.len()).sum(),
            org_nodes: self.org_nodes.len(),
            users: self.users.len(),
            signing_keys: self.signing_keys.len(),
            revoked_tokens: self.revoked_tokens.len(),
            audit_entries: self.audit_log.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.counts() == Counts::default()
    }

    /// Empty but for what every new store holds: the built-in sets.
    pub fn is_fresh(&self) -> bool {
        let builtin = self
            .permission_sets
            .iter()
            .filter(|s| p6auth_core::permission_set::is_builtin(s))
            .count();
        Counts {
            permission_sets: self.counts().permission_sets - builtin,
            ..self.counts()
        } == Counts::default()
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} instances, {} permission sets, {} integrations ({} policies, {} secrets), {} org nodes, \
             {} users, {} signing keys, {} revoked tokens, {} audit entries",
            self.instances,
            self.permission_sets,
            self.integrations,
            self.integration_policies,
            self.integration_secrets,
            self.org_nodes,
            self.users,
            self.signing_keys,
            self.revoked_tokens,
            self.audit_entries
        )
    }
}

/// The order in which `Maintenance::import` with `replace` empties a store: users (with their
/// policies and positions) before sets and nodes, instances (with their trees) last but one.
pub const TABLES_IN_DELETE_ORDER: &[&str] = &[
    "login_artifacts",
    "user_credentials",
    "users",
    "integrations",
    "permission_sets",
    "org_nodes",
    "instances",
    "signing_keys",
    "revoked_tokens",
    "audit_log",
];

/// Org nodes in an order that inserts every parent before its children: by depth, then id.
pub fn nodes_parents_first(nodes: &[OrgNode]) -> Vec<&OrgNode> {
    let mut sorted: Vec<&OrgNode> = nodes.iter().collect();
    sorted.sort_by_key(|n| (n.path.matches('/').count(), n.id));
    sorted
}

pub fn node_ids_by_path(nodes: &[OrgNode]) -> std::collections::HashMap<&str, i64> {
    nodes.iter().map(|n| (n.path.as_str(), n.id)).collect()
}
