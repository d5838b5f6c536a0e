//! The caller's capability: its permissions, resolved once per request from a verified token
//! (or, for the command line, everything). The directory's use cases take an [`Access`] and ask
//! it before they read or write, so a use case cannot be reached without one.

use std::collections::BTreeMap;

use p6auth_core::audit::Actor;
use p6auth_core::user::User;
use p6auth_permissions::{Caller, OrgScope, Permission, org_scope, scopes_tree};

use crate::{ServiceError, ServiceResult};

#[derive(Debug, Clone)]
pub struct Access {
    actor: Actor,
    /// Qualified with their instances.
    permissions: Vec<Permission>,
    /// For a user: their positions per instance (none: the root). `None` for an integration or
    /// an operator, which stands for every instance it holds permissions in.
    positions: Option<BTreeMap<String, Vec<String>>>,
}

impl Access {
    /// An integration, with the permissions of its token.
    pub fn integration(application_id: &str, permissions: Vec<Permission>) -> Self {
        Self {
            actor: Actor::Integration(application_id.to_string()),
            permissions,
            positions: None,
        }
    }

    /// A user with their permissions and org positions per instance.
    pub fn user(email: &str, permissions: Vec<Permission>, user: &User) -> Self {
        let positions = user
            .access
            .iter()
            .map(|a| (a.instance.clone(), a.positions.clone()))
            .collect();
        Self {
            actor: Actor::User(email.to_string()),
            permissions,
            positions: Some(positions),
        }
    }

    /// The command line: the operator may do everything.
    pub fn operator(actor: Actor) -> Self {
        Self {
            actor,
            permissions: vec![Permission {
                instance: Some("*".into()),
                feature: "*".into(),
                action: "*".into(),
                values: Vec::new(),
            }],
            positions: None,
        }
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The caller's own positions in `instance` (empty: the root, or not a user).
    pub fn positions_in(&self, instance: &str) -> &[String] {
        self.positions
            .as_ref()
            .and_then(|p| p.get(instance))
            .map_or(&[], |p| p.as_slice())
    }

    pub fn permissions(&self) -> &[Permission] {
        &self.permissions
    }

    /// `{ instance: { feature: { action: {} or [values] } } }`, the platform's wire shape.
    pub fn scopes_tree_json(&self) -> String {
        scopes_tree(&self.permissions).to_json()
    }

    fn required(instance: &str, feature: &str, action: &str, value: Option<&str>) -> Permission {
        Permission {
            instance: Some(instance.into()),
            feature: feature.into(),
            action: action.into(),
            values: value.map(|v| vec![v.to_string()]).unwrap_or_default(),
        }
    }

    pub fn allows(&self, instance: &str, feature: &str, action: &str, value: Option<&str>) -> bool {
        p6auth_permissions::allows(
            &self.permissions,
            &Self::required(instance, feature, action, value),
        )
    }

    /// `Forbidden`, naming the permission, unless it is held.
    pub fn require(
        &self,
        instance: &str,
        feature: &str,
        action: &str,
        value: Option<&str>,
    ) -> ServiceResult<()> {
        if self.allows(instance, feature, action, value) {
            Ok(())
        } else {
            Err(forbidden(instance, feature, action, value))
        }
    }

    /// The org nodes of `instance` the caller may apply `feature=action` to; `Forbidden` when
    /// none.
    pub fn org_scope(
        &self,
        instance: &str,
        feature: &str,
        action: &str,
    ) -> ServiceResult<OrgScope> {
        let positions = self
            .positions
            .as_ref()
            .map(|p| p.get(instance).cloned().unwrap_or_default());
        let caller = match &positions {
            None => Caller::Integration,
            Some(p) => Caller::User { positions: p },
        };
        org_scope(&self.permissions, instance, feature, action, &caller)
            .ok_or_else(|| forbidden(instance, feature, action, None))
    }

    /// Whether some held permission grants `feature=action` in some instance: lists answer 403
    /// only to callers that could see nothing at all.
    pub fn holds_anywhere(&self, feature: &str, action: &str) -> bool {
        let name = |held: &str, want: &str| held == "*" || held == want;
        self.permissions
            .iter()
            .any(|p| name(&p.feature, feature) && name(&p.action, action))
    }
}

impl Access {
    /// No escalation: a caller may hand out (in a set, a policy or an assignment) only
    /// permissions it holds itself. The first one it lacks is named in the 403.
    pub fn require_holds(
        &self,
        granted: impl IntoIterator<Item = Permission>,
    ) -> ServiceResult<()> {
        match granted
            .into_iter()
            .find(|p| !p6auth_permissions::allows(&self.permissions, p))
        {
            Some(p) => Err(ServiceError::Forbidden(p.to_string())),
            None => Ok(()),
        }
    }
}

/// A signed-in user's capability: the permissions of the enabled sets they hold, each qualified
/// with the instance it is held in. A disabled account holds nothing.
pub async fn of_user(store: &dyn p6auth_store::Store, email: &str) -> ServiceResult<Access> {
    let user = store.get_user(email).await?;
    let mut permissions = Vec::new();
    if user.enabled {
        let sets = store.list_permission_sets().await?;
        for held in &user.access {
            for name in &held.permission_sets {
                if let Some(set) = sets.iter().find(|s| s.id == name.id && s.enabled) {
                    permissions.extend(set.qualified_permissions(&held.instance));
                }
            }
        }
    }
    Ok(Access::user(&user.email, permissions, &user))
}

/// The permissions `text` grants when held in `instance` (unparsable ones are left to validation).
pub fn granted_in(instance: &str, texts: &[String]) -> Vec<Permission> {
    texts
        .iter()
        .filter_map(|t| t.parse::<Permission>().ok())
        .map(|p| p.qualified(instance))
        .collect()
}

pub fn forbidden(instance: &str, feature: &str, action: &str, value: Option<&str>) -> ServiceError {
    ServiceError::Forbidden(Access::required(instance, feature, action, value).to_string())
}

/// Whether `user` sits, in `instance`, on a node of `scope` (a user with no position there
/// sits at the root).
pub fn user_in_scope(user: &User, instance: &str, scope: &OrgScope) -> bool {
    user.positions_in(instance)
        .iter()
        .any(|p| scope.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use p6auth_core::user::{SetName, UserAccess};

    fn user(email: &str, positions: &[&str]) -> User {
        User {
            email: email.into(),
            first_name: String::new(),
            last_name: String::new(),
            enabled: true,
            preferred_language: "en".into(),
            properties: Default::default(),
            access: vec![UserAccess {
                instance: "acme".into(),
                permission_sets: vec![SetName {
                    id: 1,
                    instance: "acme".into(),
                    name: "Staff".into(),
                }],
                positions: positions.iter().map(|p| p.to_string()).collect(),
            }],
            created_at: 0,
            updated_at: 0,
        }
    }

    fn p(s: &str) -> Permission {
        s.parse::<Permission>().unwrap().qualified("acme")
    }

    #[test]
    fn a_delegated_admin_at_sales_sees_only_the_users_under_sales() {
        let admin = user("admin@acme.test", &["/acme/Sales"]);
        let access = Access::user("admin@acme.test", vec![p("users=read('./*')")], &admin);
        let scope = access.org_scope("acme", "users", "read").unwrap();
        let everyone = [
            user("a@x", &["/acme/Sales"]),
            user("b@x", &["/acme/Sales/EMEA/Paris"]),
            user("c@x", &["/acme/HR"]),
            user("d@x", &[]),
            user("e@x", &["/acme/SalesX"]),
            user("f@x", &["/acme/HR", "/acme/Sales/EMEA"]),
        ];
        let seen: Vec<&str> = everyone
            .iter()
            .filter(|u| user_in_scope(u, "acme", &scope))
            .map(|u| u.email.as_str())
            .collect();
        assert_eq!(seen, vec!["a@x", "b@x", "f@x"]);
        assert_eq!(
            access.org_scope("acme", "users", "edit").unwrap_err(),
            ServiceError::Forbidden("acme:users=edit".into())
        );
        assert_eq!(
            access.org_scope("beta", "users", "read").unwrap_err(),
            ServiceError::Forbidden("beta:users=read".into())
        );
    }

    #[test]
    fn an_integration_with_dot_slash_sees_its_whole_instance() {
        let access = Access::integration("app", vec![p("users=read('./')")]);
        let scope = access.org_scope("acme", "users", "read").unwrap();
        assert!(scope.is_everything());
        assert!(access.org_scope("beta", "users", "read").is_err());
        assert!(access.holds_anywhere("users", "read"));
        assert!(!access.holds_anywhere("orgs", "read"));
        assert_eq!(
            access
                .require("acme", "permsets", "read", Some("A"))
                .unwrap_err(),
            ServiceError::Forbidden("acme:permsets=read('A')".into())
        );
    }
}
