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

/// Emails are compared case-insensitively: they are stored in lower case. A strict, simple
/// check of the shape, the same everywhere (portal, API, CLI, import): ASCII only; one `@`; a
/// local part of letters, digits, ``!#$%&'*+/=?^_`{|}~-`` and dots (no leading, trailing or
/// double dot), at most 64 long; a domain of at least two labels of letters, digits and
/// hyphens (no leading or trailing hyphen), each at most 63 long, at most 253 in all, without
/// a trailing dot; at most 254 in all. Quoted local parts, address literals and international
/// addresses are refused; delivery is not our business.
pub fn normalise_email(email: &str) -> Result<String, String> {
    let email = email.trim().to_lowercase();
    if is_email(&email) {
        Ok(email)
    } else {
        Err(format!("not an email address: {email:?}"))
    }
}

fn is_email(email: &str) -> bool {
    const LOCAL_SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-";
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || LOCAL_SPECIALS.contains(c))
        });
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    email.len() <= 254 && local_ok && domain_ok
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

    #[test]
    fn emails_are_checked_strictly() {
        let label63 = "d".repeat(63);
        let long_local = format!("{}@example.com", "l".repeat(64));
        let too_long_local = format!("{}@example.com", "l".repeat(65));
        let long_label = format!("a@{label63}.com");
        let too_long_label = format!("a@{}.com", "d".repeat(64));
        // 4 labels of 63 and 3 dots: 255 > 253
        let too_long_domain = format!("a@{label63}.{label63}.{label63}.{label63}");
        // 63*3 + 3 dots + 61 = 253: the domain fits, the whole is 255
        let too_long_whole = format!("a@{label63}.{label63}.{label63}.{}", "e".repeat(61));
        let accepted = [
            "a@example.com",
            "first.last@sub.example.co",
            "x!#$%&'*+/=?^_`{|}~-y@example.com",
            "1@2.3",
            "a@my-host.example",
            long_local.as_str(),
            long_label.as_str(),
        ];
        for good in accepted {
            assert_eq!(normalise_email(good), Ok(good.to_string()), "{good}");
        }
        let refused = [
            "<a@example.com>",
            "a@example.com>",
            "a@b",
            "a@[127.0.0.1]",
            ".a@example.com",
            "a.@example.com",
            "a..b@example.com",
            "a@example.com.",
            "a@.example.com",
            "a@example..com",
            "a@-example.com",
            "a@example-.com",
            "a@exa_mple.com",
            "\"<b>x</b>\"@example.com",
            "\"a\"@example.com",
            "üser@exämple.com",
            "user@exämple.com",
            "a(b)@example.com",
            "a,b@example.com",
            "a\u{0}b@example.com",
            too_long_local.as_str(),
            too_long_label.as_str(),
            too_long_domain.as_str(),
            too_long_whole.as_str(),
        ];
        for bad in refused {
            assert_eq!(
                normalise_email(bad),
                Err(format!("not an email address: {:?}", bad.to_lowercase())),
                "{bad}"
            );
        }
    }
}
