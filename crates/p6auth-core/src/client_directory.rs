//! The in-memory view of integrations that the token path reads.
//!
//! It is rebuilt from the store whenever the store reports a change, so issuing a token needs
//! neither a database read nor a write. Permissions are resolved here, once per change.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use p6auth_permissions::Permission;

use crate::client_auth::ClientCredentials;
use crate::clock::UnixTime;
use crate::instance::{ALL_INSTANCES, Instance};
use crate::integration::Integration;
use crate::oauth_error::OAuthError;
use crate::permission_set::PermissionSet;
use crate::secret::{SecretHash, SecretHasher};

#[derive(Debug)]
pub struct ActiveSecret {
    pub id: i64,
    pub hash: SecretHash,
    pub expires_at: Option<UnixTime>,
    /// The last minute this node reported a use of the secret; see [`ClientEntry::note_use`].
    reported_minute: AtomicI64,
}

impl Clone for ActiveSecret {
    fn clone(&self) -> Self {
        Self {
            id: self.id,
            hash: self.hash.clone(),
            expires_at: self.expires_at,
            reported_minute: AtomicI64::new(self.reported_minute.load(Ordering::Relaxed)),
        }
    }
}

/// An integration as the token path needs it.
#[derive(Debug, Clone)]
pub struct ClientEntry {
    pub application_id: String,
    pub enabled: bool,
    pub redirect_uri: String,
    pub secrets: Vec<ActiveSecret>,
    /// Effective permissions, qualified with their instance, deduplicated, in policy order.
    /// Shared by every entry with the same policies, so that many integrations cost little.
    pub permissions: Arc<[Permission]>,
    /// The instances of the integration's policies; unqualified requested scopes need exactly one.
    pub instances: Arc<[String]>,
    /// Tokens issued at or before this time are inactive.
    pub tokens_valid_after: UnixTime,
}

impl ClientEntry {
    /// Returns `Some(minute)` the first time secret `index` is used in a given minute, so the
    /// caller can queue one "last used" write per secret per minute, off the token path.
    pub fn note_use(&self, index: usize, now: UnixTime) -> Option<(i64, UnixTime)> {
        let secret = self.secrets.get(index)?;
        let minute = now - now.rem_euclid(60);
        let previous = secret.reported_minute.swap(minute, Ordering::Relaxed);
        (previous != minute).then_some((secret.id, minute))
    }
}

/// A successfully authenticated client and which of its secrets it used.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub client: Arc<ClientEntry>,
    pub secret_index: usize,
}

#[derive(Debug, Default)]
pub struct ClientDirectory {
    by_id: HashMap<String, Arc<ClientEntry>>,
    /// Compared against when the id is unknown, so that unknown ids cost the same work.
    decoy: ActiveSecret,
}

type Resolved = (Arc<[Permission]>, Arc<[String]>);

/// The effective permissions and instances of a policy list. Disabled sets and disabled
/// instances count for nothing.
fn resolve_policies(
    policies: &[crate::integration::Policy],
    sets_by_id: &HashMap<i64, &PermissionSet>,
    enabled_instances: &HashSet<&str>,
) -> Resolved {
    let mut permissions: Vec<Permission> = Vec::new();
    let mut instance_names: Vec<String> = Vec::new();
    for policy in policies {
        let Some(set) = sets_by_id.get(&policy.permission_set_id) else {
            continue;
        };
        if !set.enabled || !enabled_instances.contains(policy.instance.as_str()) {
            continue;
        }
        if !instance_names.contains(&policy.instance) {
            instance_names.push(policy.instance.clone());
        }
        for p in set.qualified_permissions(&policy.instance) {
            // a policy grants only in its own instance, unless it is for every instance
            let in_scope = policy.instance == ALL_INSTANCES
                || p.instance.as_deref() == Some(policy.instance.as_str());
            if in_scope && !permissions.contains(&p) {
                permissions.push(p);
            }
        }
    }
    (permissions.into(), instance_names.into())
}

impl Default for ActiveSecret {
    fn default() -> Self {
        Self {
            id: 0,
            hash: SecretHash([0u8; 32]),
            expires_at: None,
            reported_minute: AtomicI64::new(0),
        }
    }
}

/// Builds a [`ClientDirectory`] from integrations given a batch at a time, so that a large store
/// can be read page by page instead of all at once.
pub struct DirectoryBuilder<'a> {
    sets_by_id: HashMap<i64, &'a PermissionSet>,
    enabled_instances: HashSet<&'a str>,
    /// Integrations mostly share a few policy lists: each list is resolved once and shared.
    resolved: HashMap<Vec<(String, i64)>, Resolved>,
    by_id: HashMap<String, Arc<ClientEntry>>,
}

impl<'a> DirectoryBuilder<'a> {
    /// Disabled sets and disabled instances count for nothing.
    pub fn new(sets: &'a [PermissionSet], instances: &'a [Instance]) -> Self {
        Self {
            sets_by_id: sets.iter().map(|s| (s.id, s)).collect(),
            enabled_instances: instances
                .iter()
                .filter(|i| i.enabled)
                .map(|i| i.name.as_str())
                .chain([ALL_INSTANCES])
                .collect(),
            resolved: HashMap::new(),
            by_id: HashMap::new(),
        }
    }

    pub fn add(&mut self, integration: &Integration) {
        let key: Vec<(String, i64)> = integration
            .policies
            .iter()
            .map(|p| (p.instance.clone(), p.permission_set_id))
            .collect();
        let (sets_by_id, enabled_instances) = (&self.sets_by_id, &self.enabled_instances);
        let (permissions, instance_names) = self
            .resolved
            .entry(key)
            .or_insert_with(|| {
                resolve_policies(&integration.policies, sets_by_id, enabled_instances)
            })
            .clone();
        let entry = ClientEntry {
            application_id: integration.application_id.clone(),
            enabled: integration.enabled,
            redirect_uri: integration.redirect_uri.clone(),
            secrets: integration
                .secrets
                .iter()
                .map(|s| ActiveSecret {
                    id: s.id,
                    hash: s.hash.clone(),
                    expires_at: s.expires_at,
                    reported_minute: AtomicI64::new(0),
                })
                .collect(),
            permissions,
            instances: instance_names,
            tokens_valid_after: integration.tokens_valid_after,
        };
        self.by_id
            .insert(integration.application_id.clone(), Arc::new(entry));
    }

    pub fn finish(mut self) -> ClientDirectory {
        self.by_id.shrink_to_fit();
        ClientDirectory {
            by_id: self.by_id,
            decoy: ActiveSecret::default(),
        }
    }
}

impl ClientDirectory {
    /// Resolves every integration's policies against the permission sets. Disabled sets and
    /// disabled instances count for nothing.
    pub fn build(
        integrations: &[Integration],
        sets: &[PermissionSet],
        instances: &[Instance],
    ) -> Self {
        let mut builder = DirectoryBuilder::new(sets, instances);
        for integration in integrations {
            builder.add(integration);
        }
        builder.finish()
    }

    /// A directory of ready-made entries; for tests and tools.
    pub fn from_entries(entries: Vec<ClientEntry>) -> Self {
        Self {
            by_id: entries
                .into_iter()
                .map(|e| (e.application_id.clone(), Arc::new(e)))
                .collect(),
            decoy: ActiveSecret::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn get(&self, application_id: &str) -> Option<&Arc<ClientEntry>> {
        self.by_id.get(application_id)
    }

    /// Checks the credentials. Every failure (unknown id, wrong or expired secret, disabled
    /// integration) gives the same error after the same work: one keyed hash and a constant-time
    /// comparison against each candidate secret.
    pub fn authenticate(
        &self,
        credentials: &ClientCredentials,
        hasher: &SecretHasher,
        now: UnixTime,
    ) -> Result<Authenticated, OAuthError> {
        let presented = hasher.hash(credentials.secret.expose());
        let entry = self.by_id.get(&credentials.client_id);
        let candidates = match entry {
            Some(e) => e.secrets.as_slice(),
            None => std::slice::from_ref(&self.decoy),
        };
        let mut matched: Option<usize> = None;
        for (i, secret) in candidates.iter().enumerate() {
            let live = secret.expires_at.is_none_or(|t| now < t);
            if secret.hash.matches(&presented) & live {
                matched = Some(i);
            }
        }
        match (entry, matched) {
            (Some(e), Some(secret_index)) if e.enabled => Ok(Authenticated {
                client: Arc::clone(e),
                secret_index,
            }),
            _ => Err(OAuthError::client_authentication_failed()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integration::Policy;

    fn integration(id: &str, sets: &[i64]) -> Integration {
        Integration {
            application_id: id.into(),
            name: id.into(),
            redirect_uri: "https://erp.example/cb".into(),
            enabled: true,
            policies: sets
                .iter()
                .map(|&s| Policy {
                    instance: "acme".into(),
                    permission_set_id: s,
                    permission_set_name: format!("set {s}"),
                })
                .collect(),
            secrets: vec![],
            tokens_valid_after: 0,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn set(id: i64, permission: &str) -> PermissionSet {
        PermissionSet {
            id,
            instance: "acme".into(),
            name: format!("set {id}"),
            description: String::new(),
            enabled: true,
            permissions: vec![permission.into()],
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn integrations_with_the_same_policies_share_their_resolved_permissions() {
        let acme = Instance {
            name: "acme".into(),
            display_name: "Acme".into(),
            description: String::new(),
            enabled: true,
            created_at: 0,
        };
        let dir = ClientDirectory::build(
            &[
                integration("a", &[1, 2]),
                integration("b", &[1, 2]),
                integration("c", &[2, 1]),
            ],
            &[set(1, "orgs=read"), set(2, "users=read")],
            &[acme],
        );
        let (a, b, c) = (
            dir.get("a").unwrap(),
            dir.get("b").unwrap(),
            dir.get("c").unwrap(),
        );
        assert!(Arc::ptr_eq(&a.permissions, &b.permissions));
        assert!(Arc::ptr_eq(&a.instances, &b.instances));
        // the order of policies is the order of permissions, so another order is another list
        assert!(!Arc::ptr_eq(&a.permissions, &c.permissions));
        let shown = |e: &ClientEntry| {
            e.permissions
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(shown(a), ["acme:orgs=read", "acme:users=read"]);
        assert_eq!(shown(c), ["acme:users=read", "acme:orgs=read"]);
    }
}
