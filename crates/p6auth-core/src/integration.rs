//! Integrations: OAuth confidential clients for systems that connect unattended.

use serde::{Deserialize, Serialize};

use crate::secret::SecretHash;

/// One (instance, permission set) pair of an integration's policy list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub instance: String,
    pub permission_set_id: i64,
    pub permission_set_name: String,
}

/// A stored secret: only its keyed hash, with its life times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSecret {
    pub id: i64,
    pub hash: SecretHash,
    pub created_at: i64,
    /// After this time the secret no longer authenticates (set when it is rotated out).
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    pub application_id: String,
    pub name: String,
    pub redirect_uri: String,
    pub enabled: bool,
    pub policies: Vec<Policy>,
    pub secrets: Vec<StoredSecret>,
    /// Tokens issued at or before this time are inactive: set when the integration is disabled,
    /// loses a policy, or one of its permission sets is disabled.
    pub tokens_valid_after: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A policy as requested by an operator: instance and permission set name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRef {
    pub instance: String,
    pub permission_set: String,
}

impl std::str::FromStr for PolicyRef {
    type Err = String;

    /// `INSTANCE/SET`; the set name may itself contain '/', the instance may not.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('/') {
            Some((instance, set)) if !instance.is_empty() && !set.is_empty() => Ok(Self {
                instance: instance.to_string(),
                permission_set: set.to_string(),
            }),
            _ => Err(format!(
                "a policy is INSTANCE/PERMISSION_SET, e.g. acme/Readers; got {s:?}"
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIntegration {
    pub application_id: String,
    pub name: String,
    pub redirect_uri: String,
    pub enabled: bool,
    pub policies: Vec<PolicyRef>,
    pub secret_hash: SecretHash,
}

/// Redirect URIs must be absolute http(s) URIs without a fragment (RFC 6749 §3.1.2).
pub fn validate_redirect_uri(uri: &str) -> Result<(), String> {
    if uri.len() > 2000
        || uri
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || !c.is_ascii())
    {
        return Err(
            "the redirect URI must be at most 2000 ASCII characters, without spaces".into(),
        );
    }
    let lower = uri.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(|| {
            format!("the redirect URI must start with https:// or http://; got {uri:?}")
        })?;
    if uri.contains('#') {
        return Err("the redirect URI must not contain a fragment ('#')".into());
    }
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    if authority.contains('@') {
        return Err("the redirect URI must not contain user information ('@')".into());
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    if !host_ok {
        return Err(format!("the redirect URI has no valid host: {uri:?}"));
    }
    Ok(())
}

pub fn validate_integration_name(name: &str) -> Result<(), String> {
    crate::permission_set::validate_text("an integration name", name, 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_refs() {
        let p: PolicyRef = "acme/Sales/Readers".parse().unwrap();
        assert_eq!(p.instance, "acme");
        assert_eq!(p.permission_set, "Sales/Readers");
        assert!("acme".parse::<PolicyRef>().is_err());
        assert!("/x".parse::<PolicyRef>().is_err());
    }

    #[test]
    fn redirect_uris() {
        assert!(validate_redirect_uri("https://erp.example.com/callback").is_ok());
        assert!(validate_redirect_uri("http://localhost:9000/cb").is_ok());
        assert!(validate_redirect_uri("ftp://x").is_err());
        assert!(validate_redirect_uri("https://x/#frag").is_err());
        assert!(validate_redirect_uri("https:///path").is_err());
        assert!(validate_redirect_uri("HTTPS://X.EXAMPLE/cb").is_ok());
        assert!(validate_redirect_uri("https://x.example:8443/cb?a=b").is_ok());
        assert!(validate_redirect_uri("http://[::1]:9000/cb").is_ok());
        for bad in [
            "https://?",
            "https://@",
            "https://u:p@x.example/",
            "https://x y/",
            "https://\u{e9}.example/",
        ] {
            assert!(validate_redirect_uri(bad).is_err(), "{bad}");
        }
    }
}
