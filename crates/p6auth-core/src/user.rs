//! Users: global accounts keyed by email. Per instance a user holds policies (permission sets of
//! that instance, or global ones) and positions in the org tree (none: the root).

use serde::{Deserialize, Serialize};

use crate::org::Properties;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Normalised to lower case ([`normalise_email`]).
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub enabled: bool,
    pub preferred_language: String,
    pub properties: Properties,
    /// One entry per instance the user belongs to, by instance name.
    pub access: Vec<UserAccess>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a user holds in one instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAccess {
    pub instance: String,
    /// The sets held, as `(instance or "*", name)`, ordered by set instance then name.
    pub permission_sets: Vec<SetName>,
    /// Org paths, sorted; empty means the root.
    pub positions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SetName {
    pub id: i64,
    pub instance: String,
    pub name: String,
}

impl User {
    pub fn access_in(&self, instance: &str) -> Option<&UserAccess> {
        self.access.iter().find(|a| a.instance == instance)
    }

    /// The user's positions in `instance`, the root when it has none there.
    pub fn positions_in(&self, instance: &str) -> Vec<String> {
        match self.access_in(instance) {
            Some(a) if !a.positions.is_empty() => a.positions.clone(),
            _ => vec![crate::org::root_path(instance)],
        }
    }
}

/// The profile fields of a user; the email is the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserProfile {
    pub first_name: String,
    pub last_name: String,
    pub enabled: bool,
    pub preferred_language: String,
    pub properties: Properties,
}

impl UserProfile {
    pub fn validated(self) -> Result<Self, String> {
        for (what, text) in [
            ("a first name", &self.first_name),
            ("a last name", &self.last_name),
        ] {
            if text.chars().count() > 200 || text.chars().any(char::is_control) {
                return Err(format!(
                    "{what} must be at most 200 characters, without control characters"
                ));
            }
        }
        let lang = &self.preferred_language;
        if lang.len() > 35
            || !lang
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "the preferred language must be a language tag such as en or de-CH; got {lang:?}"
            ));
        }
        crate::org::validate_properties(&self.properties)?;
        Ok(self)
    }
}

/// Emails are compared case-insensitively: they are stored in lower case. A minimal check of the
/// shape (one `@`, something on both sides, no spaces); delivery is not our business.
pub fn normalise_email(email: &str) -> Result<String, String> {
    let email = email.trim().to_lowercase();
    let ok = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(email.split_once('@'), Some((l, d)) if !l.is_empty() && !d.is_empty() && !d.contains('@'));
    if ok {
        Ok(email)
    } else {
        Err(format!("not an email address: {email:?}"))
    }
}

/// A search over users, one page at a time, ordered by email.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserQuery {
    /// Only users that hold a policy or a position in this instance.
    pub instance: Option<String>,
    /// Lower-cased before comparing.
    pub email_prefix: Option<String>,
    /// Compared case-insensitively (ASCII).
    pub last_name: Option<String>,
    /// Only users holding this set (by id), in any instance.
    pub permission_set_id: Option<i64>,
    /// Only users whose email sorts after this one (the cursor: the last email of a page).
    pub after: Option<String>,
    pub limit: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lower_case() {
        assert_eq!(
            normalise_email(" Ann@Example.COM ").unwrap(),
            "ann@example.com"
        );
        for bad in ["", "ann", "@x", "a@", "a b@x", "a@b@c"] {
            assert!(normalise_email(bad).is_err(), "{bad}");
        }
    }
}
