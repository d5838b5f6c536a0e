//! Instances: the business tenants of the platform.

use serde::{Deserialize, Serialize};

/// The instance name that stands for every instance in permission sets and policies.
pub const ALL_INSTANCES: &str = "*";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    pub name: String,
    pub display_name: String,
    #[serde(default)]
    pub description: String,
    pub enabled: bool,
    pub created_at: i64,
}

/// Instance names become permission qualifiers and org-tree roots, so they are restricted to
/// the permission grammar's name characters.
pub fn validate_display_name(name: &str) -> Result<(), String> {
    crate::permission_set::validate_text("a display name", name, 200)
}

pub fn validate_instance_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 64 {
        return Err("an instance name must be 1 to 64 characters long".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(format!(
            "an instance name may hold only letters, digits, '_', '-' and '.'; found {c:?}"
        ));
    }
    if name.starts_with('.') {
        return Err("an instance name must not start with '.' (it becomes a path segment)".into());
    }
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(format!(
            "an instance name is lower case (names are compared exactly); try {:?}",
            name.to_ascii_lowercase()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(validate_instance_name("acme-1.eu").is_ok());
        assert!(validate_instance_name("").is_err());
        assert!(validate_instance_name("*").is_err());
        assert!(validate_instance_name("..").is_err());
        assert!(validate_instance_name(".").is_err());
        assert!(
            validate_instance_name("ACME")
                .unwrap_err()
                .contains("lower case")
        );
        assert_eq!(
            validate_instance_name("a:b").unwrap_err(),
            "an instance name may hold only letters, digits, '_', '-' and '.'; found ':'"
        );
    }
}
