//! Administrative changes: instances, permission sets and integrations. Every change is written
//! to the audit log with its actor and, where something changed, the values before and after.

use p6auth_core::audit::{Actor, NewAuditEntry};
use p6auth_core::clock::Clock;
use p6auth_core::instance::{ALL_INSTANCES, Instance, validate_instance_name};
use p6auth_core::integration::{
    Integration, NewIntegration, PolicyRef, validate_integration_name, validate_redirect_uri,
};
use p6auth_core::permission_set::{NewPermissionSet, PermissionSet};
use p6auth_core::secret::{
    PlainSecret, SecretHasher, generate_app_secret, generate_application_id,
    is_generated_app_secret, is_generated_application_id,
};
use p6auth_permissions::Permission;
use p6auth_store::{Store, StoreError};
use serde_json::{Value, json};

use crate::{ServiceError, ServiceResult};

/// Who acts, and when: what every administrative change needs besides its arguments.
pub struct Change<'a> {
    pub store: &'a dyn Store,
    pub clock: &'a dyn Clock,
    pub actor: &'a Actor,
}

impl<'a> Change<'a> {
    /// A change made by the holder of `access`, who is its actor.
    pub fn by(
        store: &'a dyn Store,
        clock: &'a dyn Clock,
        access: &'a crate::access::Access,
    ) -> Self {
        Self {
            store,
            clock,
            actor: access.actor(),
        }
    }

    pub(crate) async fn audit(
        &self,
        action: &str,
        target: &str,
        details: Value,
    ) -> ServiceResult<()> {
        let entry = NewAuditEntry::new(self.clock.now(), self.actor, action, target, details);
        Ok(self.store.append_audit(entry).await?)
    }
}

/// The audit view of an integration: never a secret or its hash.
pub fn integration_summary(i: &Integration) -> Value {
    json!({
        "name": i.name,
        "redirect_uri": i.redirect_uri,
        "enabled": i.enabled,
        "policies": i.policies.iter().map(|p| format!("{}/{}", p.instance, p.permission_set_name)).collect::<Vec<_>>(),
        "secrets": i.secrets.iter().map(|s| json!({"created_at": s.created_at, "expires_at": s.expires_at})).collect::<Vec<_>>(),
    })
}

pub async fn create_instance(
    c: &Change<'_>,
    name: &str,
    display_name: Option<&str>,
    description: &str,
) -> ServiceResult<Instance> {
    validate_instance_name(name).map_err(ServiceError::Invalid)?;
    p6auth_core::org::validate_description(description).map_err(ServiceError::Invalid)?;
    if let Some(d) = display_name {
        p6auth_core::instance::validate_display_name(d).map_err(ServiceError::Invalid)?;
    }
    let i = c
        .store
        .create_instance(
            name,
            display_name.unwrap_or(name),
            description,
            c.clock.now(),
        )
        .await?;
    c.audit(
        "instance.create",
        &format!("instance {name}"),
        json!({"after": i}),
    )
    .await?;
    Ok(i)
}

pub async fn create_permission_set(
    c: &Change<'_>,
    set: NewPermissionSet,
) -> ServiceResult<PermissionSet> {
    let set = set.validated().map_err(ServiceError::Invalid)?;
    refuse_shadowing(c.store, &set, None).await?;
    let created = c.store.create_permission_set(set, c.clock.now()).await?;
    let target = format!("permission set {}/{}", created.instance, created.name);
    c.audit("permission_set.create", &target, json!({"after": created}))
        .await?;
    Ok(created)
}

/// Sets are named, in assignments and policies, by their name alone: the instance's set, else
/// the global one. So a name is either global or local, never both, or a local set would shadow
/// the global one. `except` is the set being renamed. (Checked here rather than by a constraint:
/// two writers racing past the check could still both succeed, which needs a migration to close.)
async fn refuse_shadowing(
    store: &dyn Store,
    set: &NewPermissionSet,
    except: Option<i64>,
) -> ServiceResult<()> {
    let sets = store.list_permission_sets().await?;
    let others = sets
        .iter()
        .filter(|s| Some(s.id) != except)
        .map(|s| (s.instance.as_str(), s.name.as_str()));
    match shadowing(&set.instance, &set.name, others) {
        Some(why) => Err(StoreError::Conflict(why).into()),
        None => Ok(()),
    }
}

/// Why a set `name` of `instance` would clash with one of `existing` (instance, name), if it would.
pub(crate) fn shadowing<'a>(
    instance: &str,
    name: &str,
    mut existing: impl Iterator<Item = (&'a str, &'a str)>,
) -> Option<String> {
    let global = instance == ALL_INSTANCES;
    // names differing only in case would read as the same set
    let (other, _) = existing.find(|&(i, n)| {
        n.to_lowercase() == name.to_lowercase() && (i == ALL_INSTANCES) != global
    })?;
    Some(if global {
        format!(
            "instance {other} has a permission set named {name}; a global set cannot have the same name"
        )
    } else {
        format!(
            "a global permission set named {name} exists; a set of instance {instance} cannot have the same name"
        )
    })
}

/// Finds a set by instance and name, as operators write it.
pub async fn find_permission_set(
    store: &dyn Store,
    instance: &str,
    name: &str,
) -> ServiceResult<PermissionSet> {
    store
        .list_permission_sets()
        .await?
        .into_iter()
        .find(|s| s.instance == instance && s.name == name)
        .ok_or_else(|| {
            p6auth_store::StoreError::NotFound(format!(
                "permission set {name} in instance {instance}"
            ))
            .into()
        })
}

/// Renames or changes a set; assignments stay. The built-in set cannot be changed.
pub async fn update_permission_set(
    c: &Change<'_>,
    before: &PermissionSet,
    set: NewPermissionSet,
) -> ServiceResult<PermissionSet> {
    if p6auth_core::permission_set::is_builtin(before) {
        return Err(ServiceError::Invalid(
            "the built-in Instance Admin set cannot be changed".into(),
        ));
    }
    let set = set.validated().map_err(ServiceError::Invalid)?;
    refuse_shadowing(c.store, &set, Some(before.id)).await?;
    let changed = PermissionSet {
        permissions: set.permissions.clone(),
        ..before.clone()
    };
    require_actor_keeps_admin_view(c, before.id, &changed).await?;
    let after = c
        .store
        .update_permission_set(before.id, set, c.clock.now())
        .await?;
    let target = format!("permission set {}/{}", before.instance, before.name);
    c.audit(
        "permission_set.update",
        &target,
        json!({"before": before, "after": after}),
    )
    .await?;
    Ok(after)
}

/// Refused while the set is assigned; the built-in set cannot be deleted.
pub async fn delete_permission_set(c: &Change<'_>, set: &PermissionSet) -> ServiceResult<()> {
    if p6auth_core::permission_set::is_builtin(set) {
        return Err(ServiceError::Invalid(
            "the built-in Instance Admin set cannot be deleted".into(),
        ));
    }
    // a set held by anyone, the caller included, is not deleted (a `Conflict` naming its
    // holders), so deleting never takes away the caller's own `admin=view`
    c.store.delete_permission_set(set.id).await?;
    let target = format!("permission set {}/{}", set.instance, set.name);
    c.audit("permission_set.delete", &target, json!({"before": set}))
        .await
}

pub async fn set_permission_set_enabled(
    c: &Change<'_>,
    set: &PermissionSet,
    enabled: bool,
) -> ServiceResult<PermissionSet> {
    if !enabled {
        let changed = PermissionSet {
            enabled: false,
            ..set.clone()
        };
        require_actor_keeps_admin_view(c, set.id, &changed).await?;
    }
    let after = c
        .store
        .set_permission_set_enabled(set.id, enabled, c.clock.now())
        .await?;
    let action = if enabled {
        "permission_set.enable"
    } else {
        "permission_set.disable"
    };
    let target = format!("permission set {}/{}", set.instance, set.name);
    c.audit(
        action,
        &target,
        json!({"before": {"enabled": set.enabled}, "after": {"enabled": enabled}}),
    )
    .await?;
    Ok(after)
}

/// A signed-in user may not change, disable or delete a permission set so that they themselves
/// no longer hold `admin=view` in an instance where they hold it now: they (and every other
/// holder of the set) would lose the administration of it. `changed` is the set `id` after the
/// change. Operators and integrations are not concerned.
async fn require_actor_keeps_admin_view(
    c: &Change<'_>,
    id: i64,
    changed: &PermissionSet,
) -> ServiceResult<()> {
    let Actor::User(me) = c.actor else {
        return Ok(());
    };
    let user = match c.store.get_user(me).await {
        Ok(u) => u,
        Err(StoreError::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    if !user.enabled {
        return Ok(());
    }
    let sets = c.store.list_permission_sets().await?;
    let held = |replace: bool| {
        let mut out = Vec::new();
        for a in &user.access {
            for name in &a.permission_sets {
                let set = if replace && name.id == id {
                    Some(changed)
                } else {
                    sets.iter().find(|s| s.id == name.id)
                };
                if let Some(set) = set.filter(|s| s.enabled) {
                    out.extend(set.qualified_permissions(&a.instance));
                }
            }
        }
        out
    };
    let (before, after) = (held(false), held(true));
    for a in &user.access {
        let view = Permission {
            instance: Some(a.instance.clone()),
            feature: "admin".into(),
            action: "view".into(),
            values: Vec::new(),
        };
        if p6auth_permissions::allows(&before, &view) && !p6auth_permissions::allows(&after, &view)
        {
            let instance = &a.instance;
            return Err(ServiceError::Refused(format!(
                "you cannot remove your own {instance}:admin=view: you would lose access to the administration of {instance}; ask another administrator to change your access"
            )));
        }
    }
    Ok(())
}

/// `integrations=action` in every instance of an integration's policies (`*` when it has none).
pub fn require_for_integration(
    access: &crate::access::Access,
    policy_instances: &[&str],
    action: &str,
) -> ServiceResult<()> {
    let instances = if policy_instances.is_empty() {
        &["*"][..]
    } else {
        policy_instances
    };
    for i in instances {
        access.require(i, "integrations", action, None)?;
    }
    Ok(())
}

/// No escalation: an integration may be given only sets whose permissions the caller holds, in
/// the policy's instance.
pub async fn require_policies_held(
    store: &dyn Store,
    access: &crate::access::Access,
    policies: &[PolicyRef],
) -> ServiceResult<()> {
    let sets = store.list_permission_sets().await?;
    for policy in policies {
        if let Some(set) = policy_set(&sets, policy) {
            access.require_holds(set.qualified_permissions(&policy.instance))?;
        }
    }
    Ok(())
}

/// The set a policy names: the instance's own, else a global set of that name.
fn policy_set<'a>(sets: &'a [PermissionSet], policy: &PolicyRef) -> Option<&'a PermissionSet> {
    sets.iter()
        .find(|s| s.instance == policy.instance && s.name == policy.permission_set)
        .or_else(|| {
            sets.iter()
                .find(|s| s.instance == "*" && s.name == policy.permission_set)
        })
}

/// A policy grants only in its own instance, so a set whose permissions all name other
/// instances (`*:audit=read` under `acme/...`) would grant nothing there: refused, naming the
/// policy that would work. Unknown sets are left to the store to report.
async fn require_policies_grant(store: &dyn Store, policies: &[PolicyRef]) -> ServiceResult<()> {
    let sets = store.list_permission_sets().await?;
    for policy in policies.iter().filter(|p| p.instance != "*") {
        let Some(set) = policy_set(&sets, policy) else {
            continue;
        };
        let grants = set
            .qualified_permissions(&policy.instance)
            .iter()
            .any(|p| p.instance.as_deref() == Some(policy.instance.as_str()));
        if !grants {
            return Err(ServiceError::Invalid(format!(
                "permission set {} grants nothing in instance {}: its permissions name other instances; give it as the policy */{} instead",
                set.name, policy.instance, set.name
            )));
        }
    }
    Ok(())
}

pub struct CreateIntegration {
    pub name: String,
    pub redirect_uri: String,
    pub policies: Vec<PolicyRef>,
}

/// Creates an integration with a generated Application ID and App Secret. The secret is
/// returned here once; only its keyed hash is stored.
pub async fn create_integration(
    c: &Change<'_>,
    hasher: &SecretHasher,
    input: CreateIntegration,
) -> ServiceResult<(Integration, PlainSecret)> {
    create_integration_with_credentials(
        c,
        hasher,
        input,
        generate_application_id(),
        generate_app_secret(),
    )
    .await
}

/// Creates an integration with an Application ID and App Secret the caller generated earlier
/// (the portal's Generate buttons fill them in the form). They must have the generator's shapes,
/// so they are as strong as generated ones; only the secret's keyed hash is stored.
pub async fn create_integration_with_credentials(
    c: &Change<'_>,
    hasher: &SecretHasher,
    input: CreateIntegration,
    application_id: String,
    secret: PlainSecret,
) -> ServiceResult<(Integration, PlainSecret)> {
    validate_integration_name(&input.name).map_err(ServiceError::Invalid)?;
    validate_redirect_uri(&input.redirect_uri).map_err(ServiceError::Invalid)?;
    require_policies_grant(c.store, &input.policies).await?;
    if !is_generated_application_id(&application_id) {
        return Err(ServiceError::Invalid(
            "the Application ID must be a generated one (a lower-case UUID version 4)".into(),
        ));
    }
    if !is_generated_app_secret(secret.expose()) {
        return Err(ServiceError::Invalid(
            "the App Secret must be a generated one (p6s_ and 43 base64url characters)".into(),
        ));
    }
    let integration = c
        .store
        .create_integration(
            NewIntegration {
                application_id,
                name: input.name,
                redirect_uri: input.redirect_uri,
                enabled: true,
                policies: input.policies,
                secret_hash: hasher.hash(secret.expose()),
            },
            c.clock.now(),
        )
        .await?;
    let target = format!("integration {}", integration.application_id);
    c.audit(
        "integration.create",
        &target,
        json!({"after": integration_summary(&integration)}),
    )
    .await?;
    Ok((integration, secret))
}

pub async fn set_integration_enabled(
    c: &Change<'_>,
    id: &str,
    enabled: bool,
) -> ServiceResult<Integration> {
    let before = c.store.get_integration(id).await?;
    let after = c
        .store
        .set_integration_enabled(id, enabled, c.clock.now())
        .await?;
    let action = if enabled {
        "integration.enable"
    } else {
        "integration.disable"
    };
    let details =
        json!({"before": {"enabled": before.enabled}, "after": {"enabled": after.enabled}});
    c.audit(action, &format!("integration {id}"), details)
        .await?;
    Ok(after)
}

/// Changes the Redirect URI (validated as at creation); tokens issued so far stay valid.
pub async fn set_integration_redirect_uri(
    c: &Change<'_>,
    id: &str,
    redirect_uri: &str,
) -> ServiceResult<Integration> {
    validate_redirect_uri(redirect_uri).map_err(ServiceError::Invalid)?;
    let before = c.store.get_integration(id).await?;
    let after = c
        .store
        .set_integration_redirect_uri(id, redirect_uri, c.clock.now())
        .await?;
    let details = json!({"before": {"redirect_uri": before.redirect_uri}, "after": {"redirect_uri": after.redirect_uri}});
    c.audit(
        "integration.set_redirect_uri",
        &format!("integration {id}"),
        details,
    )
    .await?;
    Ok(after)
}

pub async fn set_integration_policies(
    c: &Change<'_>,
    id: &str,
    policies: Vec<PolicyRef>,
) -> ServiceResult<Integration> {
    let before = c.store.get_integration(id).await?;
    require_policies_grant(c.store, &policies).await?;
    let after = c
        .store
        .set_integration_policies(id, policies, c.clock.now())
        .await?;
    let details = json!({"before": integration_summary(&before)["policies"], "after": integration_summary(&after)["policies"]});
    c.audit(
        "integration.set_policies",
        &format!("integration {id}"),
        details,
    )
    .await?;
    Ok(after)
}

pub async fn delete_integration(c: &Change<'_>, id: &str) -> ServiceResult<()> {
    let before = c.store.get_integration(id).await?;
    c.store.delete_integration(id).await?;
    c.audit(
        "integration.delete",
        &format!("integration {id}"),
        json!({"before": integration_summary(&before)}),
    )
    .await
}

/// Issues a new secret. The older ones keep working for `grace` seconds (0 ends them now).
pub async fn rotate_integration_secret(
    c: &Change<'_>,
    hasher: &SecretHasher,
    id: &str,
    grace: i64,
) -> ServiceResult<(Integration, PlainSecret)> {
    if grace < 0 {
        return Err(ServiceError::Invalid(
            "the grace period cannot be negative".into(),
        ));
    }
    let now = c.clock.now();
    let secret = generate_app_secret();
    let after = c
        .store
        .add_integration_secret(id, hasher.hash(secret.expose()), now + grace, now)
        .await?;
    let details = json!({"grace_seconds": grace, "old_secrets_expire_at": now + grace, "secret": "<redacted>"});
    c.audit(
        "integration.rotate_secret",
        &format!("integration {id}"),
        details,
    )
    .await?;
    Ok((after, secret))
}

/// Ends every secret but the newest, now.
pub async fn expire_old_secrets(c: &Change<'_>, id: &str) -> ServiceResult<Integration> {
    let now = c.clock.now();
    let before = c.store.get_integration(id).await?;
    let Some(newest) = before.secrets.last() else {
        return Ok(before);
    };
    let after = c.store.expire_secrets_except(id, newest.id, now).await?;
    c.audit(
        "integration.expire_old_secrets",
        &format!("integration {id}"),
        json!({"expired_at": now}),
    )
    .await?;
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;
    use p6auth_core::clock::ManualClock;
    use p6auth_core::user::UserProfile;
    use p6auth_store::{InstanceStore, PermissionSetStore, UserStore};
    use p6auth_store_sqlite::SqliteStore;

    fn new_set(name: &str, perms: &[&str]) -> NewPermissionSet {
        NewPermissionSet {
            instance: "acme".into(),
            name: name.into(),
            description: String::new(),
            permissions: perms.iter().map(|p| p.to_string()).collect(),
        }
    }

    /// Disabling or editing a set so that the signed-in user would lose their own `admin=view`
    /// is refused; with `admin=view` from another set, or for an operator, it is not.
    #[tokio::test]
    async fn nobody_takes_away_their_own_admin_view_through_a_set() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        store.create_instance("acme", "Acme", "", 1).await.unwrap();
        let staff = store
            .create_permission_set(new_set("Staff", &["admin=view", "permsets=edit"]), 1)
            .await
            .unwrap();
        let viewer = store
            .create_permission_set(new_set("Viewer", &["admin=view"]), 1)
            .await
            .unwrap();
        let profile = UserProfile {
            first_name: "Ida".into(),
            last_name: "I".into(),
            enabled: true,
            preferred_language: "en".into(),
            properties: Default::default(),
        };
        store
            .create_user("ida@example.com", profile, 1)
            .await
            .unwrap();
        store
            .set_user_access("ida@example.com", "acme", &[staff.id], &[], 1)
            .await
            .unwrap();
        let clock = ManualClock::new(10);
        let ida = Actor::User("ida@example.com".into());
        let c = Change {
            store: &store,
            clock: &clock,
            actor: &ida,
        };
        let refused = ServiceError::Refused("you cannot remove your own acme:admin=view: you would lose access to the administration of acme; ask another administrator to change your access".into());

        // (b) disabling it
        let err = set_permission_set_enabled(&c, &staff, false)
            .await
            .unwrap_err();
        assert_eq!(err, refused);
        // (c) editing admin=view out of it
        let err = update_permission_set(&c, &staff, new_set("Staff", &["permsets=edit"]))
            .await
            .unwrap_err();
        assert_eq!(err, refused);
        assert_eq!(store.get_permission_set(staff.id).await.unwrap(), staff);
        // keeping admin=view is fine
        let staff = update_permission_set(
            &c,
            &staff,
            new_set("Staff", &["admin=view", "permsets=edit", "users=read"]),
        )
        .await
        .unwrap();

        // admin=view from another set held too: the change goes through
        store
            .set_user_access("ida@example.com", "acme", &[staff.id, viewer.id], &[], 1)
            .await
            .unwrap();
        update_permission_set(&c, &staff, new_set("Staff", &["permsets=edit"]))
            .await
            .unwrap();
        // but not disabling the last one
        let err = set_permission_set_enabled(&c, &viewer, false)
            .await
            .unwrap_err();
        assert_eq!(err, refused);

        // an operator may
        let cli = Actor::Cli("root".into());
        let op = Change {
            store: &store,
            clock: &clock,
            actor: &cli,
        };
        set_permission_set_enabled(&op, &viewer, false)
            .await
            .unwrap();
        assert!(!store.get_permission_set(viewer.id).await.unwrap().enabled);
    }

    #[test]
    fn set_names_clash_whatever_their_case() {
        let existing = [("*", "Instance Admin"), ("acme", "Readers")];
        assert_eq!(
            shadowing("acme", "instance ADMIN", existing.into_iter()),
            Some(
                "a global permission set named instance ADMIN exists; a set of instance acme cannot have the same name"
                    .into()
            )
        );
        assert_eq!(
            shadowing("*", "READERS", existing.into_iter()),
            Some(
                "instance acme has a permission set named READERS; a global set cannot have the same name"
                    .into()
            )
        );
        // a set of another instance, or of the same kind, is no clash
        assert_eq!(shadowing("globex", "readers", existing.into_iter()), None);
        assert_eq!(shadowing("*", "instance admin", existing.into_iter()), None);
    }
}
