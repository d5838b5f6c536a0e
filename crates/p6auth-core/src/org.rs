//! The organisation tree of an instance: nodes with a name unique among siblings, a description
//! and key/value properties. The root is named after the instance, so paths read
//! `/acme/Sales/EMEA`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Free-form key/value properties of org nodes and users.
pub type Properties = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgNode {
    pub id: i64,
    pub instance: String,
    /// `None` for the root only.
    pub parent_id: Option<i64>,
    pub name: String,
    /// `/instance/.../name`; unique, kept up to date by renames and moves.
    pub path: String,
    pub description: String,
    pub properties: Properties,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What it takes to add a node below an existing one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrgNode {
    pub parent_id: i64,
    pub name: String,
    pub description: String,
    pub properties: Properties,
}

/// A change to a node: each `Some` replaces the field; `parent_id` moves the node (with its
/// whole branch) below another node of the same instance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgNodeUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub properties: Option<Properties>,
    pub parent_id: Option<i64>,
}

/// The path of the root node of `instance`.
pub fn root_path(instance: &str) -> String {
    format!("/{instance}")
}

/// The instance a path belongs to: its first segment.
pub fn path_instance(path: &str) -> Option<&str> {
    path.strip_prefix('/')?
        .split('/')
        .next()
        .filter(|s| !s.is_empty())
}

/// Node names are path segments: no `/`, not `.`, `..` or `*` (which mean something in
/// permission values), no surrounding spaces.
pub fn validate_node_name(name: &str) -> Result<(), String> {
    crate::permission_set::validate_text("an org node name", name, 128)?;
    if name.contains('/') || matches!(name, "." | ".." | "*") || name.trim() != name {
        return Err(format!(
            "an org node name must not contain '/', be '.', '..' or '*', or start or end with a space; got {name:?}"
        ));
    }
    Ok(())
}

pub fn validate_description(text: &str) -> Result<(), String> {
    if text.chars().count() > 1000 || text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(
            "a description must be at most 1000 characters, without control characters".into(),
        );
    }
    Ok(())
}

pub fn validate_properties(properties: &Properties) -> Result<(), String> {
    if properties.len() > 100 {
        return Err("at most 100 properties".into());
    }
    for (k, v) in properties {
        crate::permission_set::validate_text("a property name", k, 128)?;
        if v.chars().count() > 2000 || v.chars().any(char::is_control) {
            return Err(format!(
                "property {k}: a value must be at most 2000 characters, without control characters"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths() {
        assert!(validate_node_name("EMEA").is_ok());
        assert!(validate_node_name("Sales & Marketing").is_ok());
        for bad in ["", "a/b", ".", "..", "*", " x", "x\n"] {
            assert!(validate_node_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(path_instance("/acme/Sales"), Some("acme"));
        assert_eq!(path_instance("/acme"), Some("acme"));
        assert_eq!(path_instance("acme"), None);
        assert_eq!(root_path("acme"), "/acme");
    }
}
