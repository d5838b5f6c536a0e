//! Storage traits. Each backend crate implements them; business code sees only `dyn Store`.
//!
//! The traits are small and grouped by domain. Every write bumps the store's change sequence
//! ([`ChangeFeed`]), which servers watch to refresh their in-memory views.

pub mod conformance;
mod conformance_directory;
mod conformance_login;
pub mod counting;
mod snapshot;

use std::path::Path;
use std::time::Duration;

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

pub use snapshot::{
    Counts, Snapshot, TABLES_IN_DELETE_ORDER, node_ids_by_path, nodes_parents_first,
};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    /// The backend failed; the text is for logs, not for clients.
    #[error("storage failure: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The `Conflict` text of deleting a set still assigned, naming who holds it; `None` when no
/// one does. Shared so both backends say the same.
pub fn assigned_conflict(
    set: &PermissionSet,
    users: &[String],
    integrations: &[String],
) -> Option<String> {
    if users.is_empty() && integrations.is_empty() {
        return None;
    }
    let mut holders = Vec::new();
    if !users.is_empty() {
        holders.push(format!("users {}", users.join(", ")));
    }
    if !integrations.is_empty() {
        holders.push(format!("integrations {}", integrations.join(", ")));
    }
    Some(format!(
        "permission set {}/{} is assigned to {}; remove those assignments first",
        set.instance,
        set.name,
        holders.join(" and ")
    ))
}

#[async_trait]
pub trait InstanceStore: Send + Sync {
    async fn create_instance(
        &self,
        name: &str,
        display_name: &str,
        description: &str,
        now: i64,
    ) -> StoreResult<Instance>;
    async fn list_instances(&self) -> StoreResult<Vec<Instance>>;
    async fn get_instance(&self, name: &str) -> StoreResult<Instance>;
}

#[async_trait]
pub trait PermissionSetStore: Send + Sync {
    /// The instance must exist, or be `*` for a global set; `set` must already be validated.
    async fn create_permission_set(
        &self,
        set: NewPermissionSet,
        now: i64,
    ) -> StoreResult<PermissionSet>;
    async fn list_permission_sets(&self) -> StoreResult<Vec<PermissionSet>>;
    async fn get_permission_set(&self, id: i64) -> StoreResult<PermissionSet>;
    /// Renames and/or changes a set; its assignments (by id) stay. `set.instance` must be the
    /// set's own. The tokens of integrations using it end, as their permissions may shrink.
    async fn update_permission_set(
        &self,
        id: i64,
        set: NewPermissionSet,
        now: i64,
    ) -> StoreResult<PermissionSet>;
    /// Refused with `Conflict`, naming them, while the set is assigned to users or integrations.
    async fn delete_permission_set(&self, id: i64) -> StoreResult<()>;
    /// Disabling a set also ends the tokens of every integration that uses it.
    async fn set_permission_set_enabled(
        &self,
        id: i64,
        enabled: bool,
        now: i64,
    ) -> StoreResult<PermissionSet>;
}

#[async_trait]
pub trait IntegrationStore: Send + Sync {
    /// Each policy names an existing instance (or `*`) and a set of that instance or a global one.
    async fn create_integration(
        &self,
        integration: NewIntegration,
        now: i64,
    ) -> StoreResult<Integration>;
    async fn get_integration(&self, application_id: &str) -> StoreResult<Integration>;
    async fn list_integrations(&self) -> StoreResult<Vec<Integration>>;
    /// At most `limit` integrations whose id sorts after `after` (`""`: from the first), ordered
    /// by id: for reading every integration a page at a time without holding them all.
    async fn list_integrations_after(
        &self,
        after: &str,
        limit: i64,
    ) -> StoreResult<Vec<Integration>>;
    /// Disabling also ends every token issued so far (`tokens_valid_after = now`); enabling
    /// does not revive them.
    async fn set_integration_enabled(
        &self,
        application_id: &str,
        enabled: bool,
        now: i64,
    ) -> StoreResult<Integration>;
    /// Changes where the integration's users are sent back; tokens issued so far stay valid.
    async fn set_integration_redirect_uri(
        &self,
        application_id: &str,
        redirect_uri: &str,
        now: i64,
    ) -> StoreResult<Integration>;
    /// Replaces the policy list; when a policy is removed, the tokens issued so far end.
    async fn set_integration_policies(
        &self,
        application_id: &str,
        policies: Vec<PolicyRef>,
        now: i64,
    ) -> StoreResult<Integration>;
    async fn delete_integration(&self, application_id: &str) -> StoreResult<()>;
    /// Adds a secret; every older secret now expires at `old_expire_at` at the latest.
    async fn add_integration_secret(
        &self,
        application_id: &str,
        hash: SecretHash,
        old_expire_at: i64,
        now: i64,
    ) -> StoreResult<Integration>;
    /// Every secret of the integration except `keep` expires at `now` (unless it already has).
    async fn expire_secrets_except(
        &self,
        application_id: &str,
        keep: i64,
        now: i64,
    ) -> StoreResult<Integration>;
    /// Records when secrets were last used: `(secret id, time)`. Unknown ids are ignored.
    async fn record_secret_use(&self, uses: &[(i64, i64)]) -> StoreResult<()>;
}

/// The org tree of each instance. The root (`/instance`) is created with the instance and can be
/// neither renamed, moved nor deleted.
#[async_trait]
pub trait OrgStore: Send + Sync {
    /// Every node of `instance`, ordered by path (so parents come before their children).
    async fn list_org_nodes(&self, instance: &str) -> StoreResult<Vec<OrgNode>>;
    async fn get_org_node(&self, id: i64) -> StoreResult<OrgNode>;
    async fn find_org_node(&self, path: &str) -> StoreResult<OrgNode>;
    /// `Conflict` if the parent already has a child of that name.
    async fn create_org_node(&self, node: NewOrgNode, now: i64) -> StoreResult<OrgNode>;
    /// Renames and/or moves (with the whole branch; never below itself) and edits a node.
    async fn update_org_node(
        &self,
        id: i64,
        update: OrgNodeUpdate,
        now: i64,
    ) -> StoreResult<OrgNode>;
    /// Refused with `Conflict` when the node has children or users on it, unless `cascade`,
    /// which deletes the branch and moves the users positioned on it to the node's parent
    /// (a position on the branch becomes one on the parent, once), never leaving a user with
    /// no position, which would put them at the root.
    async fn delete_org_node(&self, id: i64, cascade: bool) -> StoreResult<()>;
}

/// Users, keyed by their lower-case email.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// `Conflict` if the email is taken. `email` must be normalised already.
    async fn create_user(&self, email: &str, profile: UserProfile, now: i64) -> StoreResult<User>;
    async fn update_user(&self, email: &str, profile: UserProfile, now: i64) -> StoreResult<User>;
    async fn get_user(&self, email: &str) -> StoreResult<User>;
    /// Deletes the user with every policy and position, and, in the same transaction, every
    /// login artefact (session, refresh token, pending link) whose subject it is.
    async fn delete_user(&self, email: &str) -> StoreResult<()>;
    /// Moves the account from `old` to `new` (both normalised) in one transaction: its
    /// profile, policies, positions and password, and the subject of its login artefacts
    /// (sessions, refresh tokens, pending links), so all stay attached. The audit log is
    /// history and keeps the old address. `NotFound` if `old` is no user, `Conflict` if `new`
    /// is taken.
    async fn change_user_email(&self, old: &str, new: &str, now: i64) -> StoreResult<User>;
    /// Replaces what the user holds in `instance`: sets (by id: of that instance or global) and
    /// positions (node ids of that instance). Both empty removes the user from the instance.
    async fn set_user_access(
        &self,
        email: &str,
        instance: &str,
        permission_set_ids: &[i64],
        position_ids: &[i64],
        now: i64,
    ) -> StoreResult<User>;
    /// One page of users matching `query`, ordered by email (byte order).
    async fn search_users(&self, query: &UserQuery) -> StoreResult<Vec<User>>;
    /// Many users' changes and their audit entries in one transaction, all or nothing: for
    /// bulk loads, where a transaction per row would be too slow. Each write is checked as
    /// `create_user` / `update_user` / `set_user_access` check theirs.
    async fn write_users(
        &self,
        writes: &[UserWrite],
        audit: &[NewAuditEntry],
        now: i64,
    ) -> StoreResult<()>;
}

/// One user's changes in a [`UserStore::write_users`] batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserWrite {
    /// Normalised already.
    pub email: String,
    pub profile: ProfileWrite,
    /// Replaces what the user holds in each of these instances, as `set_user_access` does.
    pub access: Vec<AccessWrite>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileWrite {
    /// A new user (`Conflict` if the email is taken).
    Create(UserProfile),
    /// Replaces an existing user's profile (`NotFound` if there is none).
    Update(UserProfile),
    /// The profile stays; the user must exist.
    Keep,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessWrite {
    pub instance: String,
    pub permission_set_ids: Vec<i64>,
    pub position_ids: Vec<i64>,
}

#[async_trait]
pub trait RevocationStore: Send + Sync {
    /// Revoking a token twice is not an error.
    async fn revoke_token(&self, token: RevokedToken) -> StoreResult<()>;
    /// The revocations of tokens that have not yet expired.
    async fn list_revoked_tokens(&self, now: i64) -> StoreResult<Vec<RevokedToken>>;
    /// Forgets revocations of expired tokens; returns how many.
    async fn purge_expired_revocations(&self, now: i64) -> StoreResult<u64>;
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn append_audit(&self, entry: NewAuditEntry) -> StoreResult<()>;
    /// Entries at or after `since`, oldest first, at most `limit`.
    async fn list_audit(&self, since: i64, limit: i64) -> StoreResult<Vec<AuditEntry>>;
    /// Retention: deletes entries older than `before`; returns how many.
    async fn purge_audit_before(&self, before: i64) -> StoreResult<u64>;
}

#[async_trait]
pub trait SigningKeyStore: Send + Sync {
    /// Oldest first: by creation time, then in the order they were inserted. The last one signs.
    async fn list_signing_keys(&self) -> StoreResult<Vec<StoredSigningKey>>;
    async fn insert_signing_key(&self, key: StoredSigningKey) -> StoreResult<()>;
    async fn delete_signing_key(&self, kid: &str) -> StoreResult<()>;
    /// Inserts `key` only if the store holds no signing key yet, and says whether it did. Atomic
    /// across processes: of several nodes starting together on an empty store, exactly one
    /// inserts its key and the others load that one.
    async fn insert_first_signing_key(&self, key: StoredSigningKey) -> StoreResult<bool>;
}

/// User passwords, and the short-lived single-use artefacts of login (codes, refresh tokens,
/// one-time links, sessions). Artefacts are keyed by the keyed hash of their token and do not
/// bump the change sequence: they are read by key on demand, never cached in a node's view.
#[async_trait]
pub trait LoginStore: Send + Sync {
    /// The user's argon2id PHC string; `None` until a password is set. `NotFound` for no user.
    async fn get_password_hash(&self, email: &str) -> StoreResult<Option<String>>;
    /// Sets (or replaces) the password. `NotFound` for no user.
    async fn set_password_hash(&self, email: &str, hash: &str, now: i64) -> StoreResult<()>;
    /// `Conflict` if an artefact with this hash exists.
    async fn insert_login_artifact(&self, artifact: &LoginArtifact) -> StoreResult<()>;
    /// Marks the artefact used, atomically: of concurrent callers exactly one gets `Fresh`, the
    /// others `Replayed` (as does anyone after, or after its family was revoked). Expiry is the
    /// caller's to judge. `NotFound` when there is none of that kind.
    async fn consume_login_artifact(
        &self,
        kind: ArtifactKind,
        hash: &SecretHash,
        now: i64,
    ) -> StoreResult<Consumed>;
    /// Reads without consuming (sessions). `NotFound` when there is none of that kind.
    async fn get_login_artifact(
        &self,
        kind: ArtifactKind,
        hash: &SecretHash,
    ) -> StoreResult<LoginArtifact>;
    /// Marks every unused artefact of the family used; returns how many.
    async fn revoke_login_family(&self, family: &str, now: i64) -> StoreResult<u64>;
    /// Marks every unused artefact of `kind` for `subject` used (older links when a new one is
    /// sent); returns how many.
    async fn revoke_login_artifacts_of(
        &self,
        kind: ArtifactKind,
        subject: &str,
        now: i64,
    ) -> StoreResult<u64>;
    /// Deletes artefacts that expired at or before `now`; returns how many.
    async fn purge_login_artifacts(&self, now: i64) -> StoreResult<u64>;
}

/// Why [`ChangeFeed::wait_for_change`] returned. Whatever the reason, the caller then reads
/// [`ChangeFeed::change_seq`], so a missed or spurious wake-up costs one query, never a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The database announced a committed change, or its notification channel has just been
    /// (re)opened, so changes may have been missed.
    Notified,
    /// The notification channel is up and `max_wait` passed without an announcement.
    TimedOut,
    /// The backend has no notification channel, or it is down: `poll_interval` passed.
    Polled,
}

#[async_trait]
pub trait ChangeFeed: Send + Sync {
    /// A number that grows with every committed write, by any process.
    async fn change_seq(&self) -> StoreResult<i64>;

    /// Waits until a change may have been committed. A backend with a working notification
    /// channel returns at an announcement, or after `max_wait`; otherwise it sleeps
    /// `poll_interval` (the polling fallback).
    async fn wait_for_change(&self, max_wait: Duration, poll_interval: Duration) -> Wake;
}

/// Whole-store operations: moving a deployment between backends, and backups.
#[async_trait]
pub trait Maintenance: Send + Sync {
    /// Writes `contents` with every id preserved, in one transaction. A store that holds
    /// anything is refused with `Conflict`, unless `replace`, which first deletes everything.
    async fn import(&self, contents: &Snapshot, replace: bool) -> StoreResult<()>;

    /// Writes a consistent copy of the live store to `path`, which must not exist yet. Backends
    /// that are backed up with their own tools answer `Invalid`, saying which tool.
    async fn backup_to(&self, path: &Path) -> StoreResult<()>;
}

/// Everything a p6auth node needs from storage.
pub trait Store:
    InstanceStore
    + PermissionSetStore
    + IntegrationStore
    + OrgStore
    + UserStore
    + LoginStore
    + SigningKeyStore
    + RevocationStore
    + AuditStore
    + ChangeFeed
    + Maintenance
{
}

impl<T> Store for T where
    T: InstanceStore
        + PermissionSetStore
        + IntegrationStore
        + OrgStore
        + UserStore
        + LoginStore
        + SigningKeyStore
        + RevocationStore
        + AuditStore
        + ChangeFeed
        + Maintenance
{
}
