//! A decorator that counts the write calls made through a store.
//!
//! A server wraps its store in one, so that `/metrics` can show that issuing and introspecting
//! tokens performs no store writes (`p6auth_store_writes_total` does not move under token load).
//! Every trait method is delegated; the ones that may write add one to the count before the call,
//! whether or not it succeeds. Reads, waits and backups (which write a file, not the store) do not
//! count.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::UserWrite;
use async_trait::async_trait;
use p6auth_core::audit::{AuditEntry, NewAuditEntry};
use p6auth_core::instance::Instance;
use p6auth_core::integration::{Integration, NewIntegration, PolicyRef};
use p6auth_core::login::{ArtifactKind, Consumed, LoginArtifact};
use p6auth_core::org::{NewOrgNode, OrgNode, OrgNodeUpdate};
use p6auth_core::permission_set::{NewPermissionSet, PermissionSet};
use p6auth_core::revocation::RevokedToken;
use p6auth_core::secret::SecretHash;
use p6auth_core::signing_key::StoredSigningKey;
use p6auth_core::user::{User, UserProfile, UserQuery};

use crate::{
    AuditStore, ChangeFeed, InstanceStore, IntegrationStore, LoginStore, Maintenance, OrgStore,
    PermissionSetStore, RevocationStore, SigningKeyStore, Snapshot, Store, StoreResult, UserStore,
    Wake,
};

/// The number of write calls made through a [`CountingStore`]; cheap to clone and to read.
#[derive(Debug, Clone, Default)]
pub struct WriteCount(Arc<AtomicU64>);

impl WriteCount {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    fn add(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

pub struct CountingStore {
    inner: Arc<dyn Store>,
    writes: WriteCount,
}

impl CountingStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            writes: WriteCount::default(),
        }
    }

    pub fn writes(&self) -> WriteCount {
        self.writes.clone()
    }

    /// Counts one write and returns the store to make it with.
    fn write(&self) -> &dyn Store {
        self.writes.add();
        self.inner.as_ref()
    }
}

#[async_trait]
impl InstanceStore for CountingStore {
    async fn create_instance(
        &self,
        name: &str,
        display_name: &str,
        description: &str,
        now: i64,
    ) -> StoreResult<Instance> {
        self.write()
            .create_instance(name, display_name, description, now)
            .await
    }
    async fn list_instances(&self) -> StoreResult<Vec<Instance>> {
        self.inner.list_instances().await
    }
    async fn get_instance(&self, name: &str) -> StoreResult<Instance> {
        self.inner.get_instance(name).await
    }
}

#[async_trait]
impl PermissionSetStore for CountingStore {
    async fn get_permission_set(&self, id: i64) -> StoreResult<PermissionSet> {
        self.inner.get_permission_set(id).await
    }
    async fn update_permission_set(
        &self,
        id: i64,
        set: NewPermissionSet,
        now: i64,
    ) -> StoreResult<PermissionSet> {
        self.write().update_permission_set(id, set, now).await
    }
    async fn delete_permission_set(&self, id: i64) -> StoreResult<()> {
        self.write().delete_permission_set(id).await
    }
    async fn create_permission_set(
        &self,
        set: NewPermissionSet,
        now: i64,
    ) -> StoreResult<PermissionSet> {
        self.write().create_permission_set(set, now).await
    }
    async fn list_permission_sets(&self) -> StoreResult<Vec<PermissionSet>> {
        self.inner.list_permission_sets().await
    }
    async fn set_permission_set_enabled(
        &self,
        id: i64,
        enabled: bool,
        now: i64,
    ) -> StoreResult<PermissionSet> {
        self.write()
            .set_permission_set_enabled(id, enabled, now)
            .await
    }
}

#[async_trait]
impl IntegrationStore for CountingStore {
    async fn create_integration(
        &self,
        integration: NewIntegration,
        now: i64,
    ) -> StoreResult<Integration> {
        self.write().create_integration(integration, now).await
    }
    async fn get_integration(&self, application_id: &str) -> StoreResult<Integration> {
        self.inner.get_integration(application_id).await
    }
    async fn list_integrations(&self) -> StoreResult<Vec<Integration>> {
        self.inner.list_integrations().await
    }
    async fn list_integrations_after(
        &self,
        after: &str,
        limit: i64,
    ) -> StoreResult<Vec<Integration>> {
        self.inner.list_integrations_after(after, limit).await
    }
    async fn set_integration_enabled(
        &self,
        application_id: &str,
        enabled: bool,
        now: i64,
    ) -> StoreResult<Integration> {
        self.write()
            .set_integration_enabled(application_id, enabled, now)
            .await
    }
    async fn set_integration_redirect_uri(
        &self,
        application_id: &str,
        redirect_uri: &str,
        now: i64,
    ) -> StoreResult<Integration> {
        self.write()
            .set_integration_redirect_uri(application_id, redirect_uri, now)
            .await
    }
    async fn set_integration_policies(
        &self,
        application_id: &str,
        policies: Vec<PolicyRef>,
        now: i64,
    ) -> StoreResult<Integration> {
        self.write()
            .set_integration_policies(application_id, policies, now)
            .await
    }
    async fn delete_integration(&self, application_id: &str) -> StoreResult<()> {
        self.write().delete_integration(application_id).await
    }
    async fn add_integration_secret(
        &self,
        application_id: &str,
        hash: SecretHash,
        old_expire_at: i64,
        now: i64,
    ) -> StoreResult<Integration> {
        self.write()
            .add_integration_secret(application_id, hash, old_expire_at, now)
            .await
    }
    async fn expire_secrets_except(
        &self,
        application_id: &str,
        keep: i64,
        now: i64,
    ) -> StoreResult<Integration> {
        self.write()
            .expire_secrets_except(application_id, keep, now)
            .await
    }
    async fn record_secret_use(&self, uses: &[(i64, i64)]) -> StoreResult<()> {
        self.write().record_secret_use(uses).await
    }
}

#[async_trait]
impl RevocationStore for CountingStore {
    async fn revoke_token(&self, token: RevokedToken) -> StoreResult<()> {
        self.write().revoke_token(token).await
    }
    async fn list_revoked_tokens(&self, now: i64) -> StoreResult<Vec<RevokedToken>> {
        self.inner.list_revoked_tokens(now).await
    }
    async fn purge_expired_revocations(&self, now: i64) -> StoreResult<u64> {
        self.write().purge_expired_revocations(now).await
    }
}

#[async_trait]
impl AuditStore for CountingStore {
    async fn append_audit(&self, entry: NewAuditEntry) -> StoreResult<()> {
        self.write().append_audit(entry).await
    }
    async fn list_audit(&self, since: i64, limit: i64) -> StoreResult<Vec<AuditEntry>> {
        self.inner.list_audit(since, limit).await
    }
    async fn purge_audit_before(&self, before: i64) -> StoreResult<u64> {
        self.write().purge_audit_before(before).await
    }
}

#[async_trait]
impl SigningKeyStore for CountingStore {
    async fn list_signing_keys(&self) -> StoreResult<Vec<StoredSigningKey>> {
        self.inner.list_signing_keys().await
    }
    async fn insert_signing_key(&self, key: StoredSigningKey) -> StoreResult<()> {
        self.write().insert_signing_key(key).await
    }
    async fn delete_signing_key(&self, kid: &str) -> StoreResult<()> {
        self.write().delete_signing_key(kid).await
    }
    async fn insert_first_signing_key(&self, key: StoredSigningKey) -> StoreResult<bool> {
        self.write().insert_first_signing_key(key).await
    }
}

#[async_trait]
impl ChangeFeed for CountingStore {
    async fn change_seq(&self) -> StoreResult<i64> {
        self.inner.change_seq().await
    }
    async fn wait_for_change(&self, max_wait: Duration, poll_interval: Duration) -> Wake {
        self.inner.wait_for_change(max_wait, poll_interval).await
    }
}

#[async_trait]
impl Maintenance for CountingStore {
    async fn import(&self, contents: &Snapshot, replace: bool) -> StoreResult<()> {
        self.write().import(contents, replace).await
    }
    async fn backup_to(&self, path: &Path) -> StoreResult<()> {
        self.inner.backup_to(path).await
    }
}

#[async_trait]
impl OrgStore for CountingStore {
    async fn list_org_nodes(&self, instance: &str) -> StoreResult<Vec<OrgNode>> {
        self.inner.list_org_nodes(instance).await
    }
    async fn get_org_node(&self, id: i64) -> StoreResult<OrgNode> {
        self.inner.get_org_node(id).await
    }
    async fn find_org_node(&self, path: &str) -> StoreResult<OrgNode> {
        self.inner.find_org_node(path).await
    }
    async fn create_org_node(&self, node: NewOrgNode, now: i64) -> StoreResult<OrgNode> {
        self.write().create_org_node(node, now).await
    }
    async fn update_org_node(
        &self,
        id: i64,
        update: OrgNodeUpdate,
        now: i64,
    ) -> StoreResult<OrgNode> {
        self.write().update_org_node(id, update, now).await
    }
    async fn delete_org_node(&self, id: i64, cascade: bool) -> StoreResult<()> {
        self.write().delete_org_node(id, cascade).await
    }
}

#[async_trait]
impl UserStore for CountingStore {
    async fn create_user(&self, email: &str, profile: UserProfile, now: i64) -> StoreResult<User> {
        self.write().create_user(email, profile, now).await
    }
    async fn update_user(&self, email: &str, profile: UserProfile, now: i64) -> StoreResult<User> {
        self.write().update_user(email, profile, now).await
    }
    async fn get_user(&self, email: &str) -> StoreResult<User> {
        self.inner.get_user(email).await
    }
    async fn delete_user(&self, email: &str) -> StoreResult<()> {
        self.write().delete_user(email).await
    }
    async fn change_user_email(&self, old: &str, new: &str, now: i64) -> StoreResult<User> {
        self.write().change_user_email(old, new, now).await
    }
    async fn set_user_access(
        &self,
        email: &str,
        instance: &str,
        permission_set_ids: &[i64],
        position_ids: &[i64],
        now: i64,
    ) -> StoreResult<User> {
        self.write()
            .set_user_access(email, instance, permission_set_ids, position_ids, now)
            .await
    }
    async fn search_users(&self, query: &UserQuery) -> StoreResult<Vec<User>> {
        self.inner.search_users(query).await
    }
    async fn write_users(
        &self,
        writes: &[UserWrite],
        audit: &[NewAuditEntry],
        now: i64,
    ) -> StoreResult<()> {
        self.write().write_users(writes, audit, now).await
    }
}

#[async_trait]
impl LoginStore for CountingStore {
    async fn get_password_hash(&self, email: &str) -> StoreResult<Option<String>> {
        self.inner.get_password_hash(email).await
    }
    async fn set_password_hash(&self, email: &str, hash: &str, now: i64) -> StoreResult<()> {
        self.write().set_password_hash(email, hash, now).await
    }
    async fn insert_login_artifact(&self, artifact: &LoginArtifact) -> StoreResult<()> {
        self.write().insert_login_artifact(artifact).await
    }
    async fn consume_login_artifact(
        &self,
        kind: ArtifactKind,
        hash: &SecretHash,
        now: i64,
    ) -> StoreResult<Consumed> {
        self.write().consume_login_artifact(kind, hash, now).await
    }
    async fn get_login_artifact(
        &self,
        kind: ArtifactKind,
        hash: &SecretHash,
    ) -> StoreResult<LoginArtifact> {
        self.inner.get_login_artifact(kind, hash).await
    }
    async fn revoke_login_family(&self, family: &str, now: i64) -> StoreResult<u64> {
        self.write().revoke_login_family(family, now).await
    }
    async fn revoke_login_artifacts_of(
        &self,
        kind: ArtifactKind,
        subject: &str,
        now: i64,
    ) -> StoreResult<u64> {
        self.write()
            .revoke_login_artifacts_of(kind, subject, now)
            .await
    }
    async fn purge_login_artifacts(&self, now: i64) -> StoreResult<u64> {
        self.write().purge_login_artifacts(now).await
    }
}
