//! Permission sets: named lists of permissions scoped to one instance, or to every instance.

use p6auth_permissions::Permission;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionSet {
    pub id: i64,
    /// An instance name, or [`crate::instance::ALL_INSTANCES`] for a global set.
    pub instance: String,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    /// Canonical display forms, validated on the way in.
    pub permissions: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What it takes to create a permission set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPermissionSet {
    pub instance: String,
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
}

impl NewPermissionSet {
    /// Parses every permission and stores it in canonical form. An error names the permission,
    /// the position and the reason.
    ///
    /// A set of one instance grants only in that instance: its permissions are unqualified or
    /// qualified with the set's own instance. Only a global set (`*`) may name other instances.
    pub fn validated(mut self) -> Result<Self, String> {
        validate_set_name(&self.name)?;
        if self.description.len() > 1000 || self.description.chars().any(char::is_control) {
            return Err(
                "a description must be at most 1000 characters, without control characters".into(),
            );
        }
        if self.permissions.is_empty() {
            return Err("a permission set needs at least one permission".into());
        }
        if self.permissions.len() > MAX_PERMISSIONS {
            return Err(format!(
                "a permission set holds at most {MAX_PERMISSIONS} permissions"
            ));
        }
        let mut canonical = Vec::with_capacity(self.permissions.len());
        for text in &self.permissions {
            if text.len() > MAX_PERMISSION_LEN {
                return Err(format!(
                    "a permission is at most {MAX_PERMISSION_LEN} characters long"
                ));
            }
            let p: Permission = text
                .parse()
                .map_err(|e| format!("invalid permission {text:?}: {e}"))?;
            if let Some(other) = &p.instance
                && self.instance != crate::instance::ALL_INSTANCES
                && *other != self.instance
            {
                return Err(format!(
                    "invalid permission {text:?}: a permission set of instance {} cannot grant in instance {other}; \
                     leave the instance out, or use a global set (instance *)",
                    self.instance
                ));
            }
            let display = p.to_string();
            if !canonical.contains(&display) {
                canonical.push(display);
            }
        }
        self.permissions = canonical;
        Ok(self)
    }
}

/// The built-in global set holding `*=*`, created by schema version 3. Assigned in an instance,
/// it grants everything there (its permission is qualified with the policy's instance). It can be
/// neither changed nor deleted.
pub const INSTANCE_ADMIN: &str = "Instance Admin";

pub fn is_builtin(set: &PermissionSet) -> bool {
    set.instance == crate::instance::ALL_INSTANCES && set.name == INSTANCE_ADMIN
}

pub const MAX_PERMISSIONS: usize = 200;
pub const MAX_PERMISSION_LEN: usize = 512;

/// Names shown to people: non-empty, bounded, no control characters (no terminal escapes).
pub fn validate_text(what: &str, text: &str, max: usize) -> Result<(), String> {
    if text.trim().is_empty() || text.chars().count() > max {
        return Err(format!("{what} must be 1 to {max} characters long"));
    }
    if text.chars().any(char::is_control) {
        return Err(format!("{what} must not contain control characters"));
    }
    Ok(())
}

/// A permission set name: 1 to 128 characters, no control characters, no whitespace but a
/// plain space and none at either end, no `/` (it separates `INSTANCE/SET` in policies), and
/// not `*` (it marks global sets).
pub fn validate_set_name(name: &str) -> Result<(), String> {
    validate_text("a permission set name", name, 128)?;
    if name.chars().any(|c| c.is_whitespace() && c != ' ') {
        return Err("a permission set name must not contain whitespace other than spaces".into());
    }
    if name.trim() != name {
        return Err("a permission set name must not start or end with a space".into());
    }
    if name.contains('/') {
        return Err("a permission set name must not contain /".into());
    }
    if name == "*" {
        return Err("a permission set name cannot be *".into());
    }
    Ok(())
}

impl PermissionSet {
    /// The set's permissions, qualified with `instance` where they name none.
    pub fn qualified_permissions(&self, instance: &str) -> Vec<Permission> {
        self.permissions
            .iter()
            .filter_map(|p| p.parse::<Permission>().ok())
            .map(|p| p.qualified(instance))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_names_are_plain() {
        for good in ["Readers", "Instance Admin", "a*b", "Ünïcode names", "x"] {
            assert_eq!(validate_set_name(good), Ok(()), "{good}");
        }
        for (bad, message) in [
            ("", "a permission set name must be 1 to 128 characters long"),
            (
                "  ",
                "a permission set name must be 1 to 128 characters long",
            ),
            (
                "a\u{7}b",
                "a permission set name must not contain control characters",
            ),
            (
                "a\tb",
                "a permission set name must not contain control characters",
            ),
            (
                "a\u{a0}b",
                "a permission set name must not contain whitespace other than spaces",
            ),
            (
                "a\u{2003}b",
                "a permission set name must not contain whitespace other than spaces",
            ),
            (
                " a",
                "a permission set name must not start or end with a space",
            ),
            (
                "a ",
                "a permission set name must not start or end with a space",
            ),
            ("a/b", "a permission set name must not contain /"),
            ("*", "a permission set name cannot be *"),
        ] {
            assert_eq!(validate_set_name(bad), Err(message.to_string()), "{bad:?}");
        }
    }

    fn new(perms: &[&str]) -> NewPermissionSet {
        NewPermissionSet {
            instance: "acme".into(),
            name: "Readers".into(),
            description: String::new(),
            permissions: perms.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn canonicalises_and_dedupes() {
        let v = new(&["orgs = read", "orgs=read", "users=read(\"./\")"])
            .validated()
            .unwrap();
        assert_eq!(v.permissions, vec!["orgs=read", "users=read('./')"]);
    }

    #[test]
    fn a_set_of_one_instance_cannot_grant_in_another() {
        let err = new(&["globex:orgs=write"]).validated().unwrap_err();
        assert!(
            err.contains("a permission set of instance acme cannot grant in instance globex"),
            "{err}"
        );
        assert!(new(&["*:*=*"]).validated().is_err());
        assert!(new(&["acme:orgs=read"]).validated().is_ok());
        let mut global = new(&["globex:orgs=write", "*:*=*"]);
        global.instance = "*".into();
        assert!(global.validated().is_ok());
        let many: Vec<String> = (0..201).map(|i| format!("f{i}=read")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(
            new(&many).validated().unwrap_err(),
            "a permission set holds at most 200 permissions"
        );
        let mut evil = new(&["orgs=read"]);
        evil.name = "Evil\u{1b}[31m".into();
        assert!(evil.validated().unwrap_err().contains("control characters"));
    }

    #[test]
    fn rejects_bad_and_empty() {
        let err = new(&["orgs=read", "users=read(\"./"])
            .validated()
            .unwrap_err();
        assert!(
            err.starts_with("invalid permission \"users=read(\\\"./\": at position 11"),
            "{err}"
        );
        assert_eq!(
            new(&[]).validated().unwrap_err(),
            "a permission set needs at least one permission"
        );
    }
}
