//! The `scope` parameter: permissions written as RFC 6749 §3.3 scope tokens.

use p6auth_permissions::Permission;

use crate::oauth_error::OAuthError;

/// Narrows `held` to the requested scope. An omitted or empty scope means everything held.
/// Each requested token must be covered by a held permission; an unqualified one is qualified
/// with the client's only instance (and refused when the client has several).
pub fn resolve(
    requested: Option<&str>,
    held: &[Permission],
    instances: &[String],
) -> Result<Vec<Permission>, OAuthError> {
    let requested = requested.map(str::trim).filter(|s| !s.is_empty());
    let Some(requested) = requested else {
        if held.is_empty() {
            return Err(OAuthError::InvalidScope(
                "the integration holds no permissions: its permission sets are disabled, or grant nothing in the instances of its policies (a set whose permissions name other instances, such as *:audit=read, grants only in a policy for instance *)".into(),
            ));
        }
        return Ok(held.to_vec());
    };
    let mut granted: Vec<Permission> = Vec::new();
    for token in requested.split(' ').filter(|t| !t.is_empty()) {
        let p = Permission::from_scope_token(token).map_err(|e| {
            OAuthError::InvalidScope(
                format!("scope {} is not a permission: {e}", shown(token)).into(),
            )
        })?;
        let p = match (&p.instance, instances) {
            (Some(_), _) => p,
            (None, [only]) => p.qualified(only),
            (None, _) => {
                return Err(OAuthError::InvalidScope(
                    format!("scope {} names no instance, and this integration has several; prefix it with INSTANCE:", shown(token)).into(),
                ));
            }
        };
        if !p6auth_permissions::allows(held, &p) {
            return Err(OAuthError::InvalidScope(
                format!("scope {} is not granted to this integration", shown(token)).into(),
            ));
        }
        if !granted.contains(&p) {
            granted.push(p);
        }
    }
    Ok(granted)
}

/// A requested scope token as an error message quotes it: at most 100 characters, so that a huge
/// request is not echoed back whole.
fn shown(token: &str) -> String {
    const MAX: usize = 100;
    match token.char_indices().nth(MAX) {
        None => format!("{token:?}"),
        Some((end, _)) => format!("{:?}", format!("{}…", &token[..end])),
    }
}

/// The space-separated scope string of a token response and of the `scope` claim.
pub fn to_scope_string(permissions: &[Permission]) -> String {
    permissions
        .iter()
        .map(Permission::to_scope_token)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perms(list: &[&str]) -> Vec<Permission> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn a_huge_scope_is_not_echoed_back_whole() {
        let held = perms(&["acme:reports=read('A')"]);
        let huge = format!("acme:reports=read('{}')", "x".repeat(20_000));
        let e = resolve(Some(&huge), &held, &["acme".into()]).unwrap_err();
        let expected = format!(
            "scope \"acme:reports=read('{}…\" is not granted to this integration",
            "x".repeat(81)
        );
        assert_eq!(e.description(), expected);
    }

    #[test]
    fn a_policy_that_grants_nothing_says_why() {
        let e = resolve(None, &[], &["acme".into()]).unwrap_err();
        assert_eq!(e.code(), "invalid_scope");
        assert_eq!(
            e.description(),
            "the integration holds no permissions: its permission sets are disabled, or grant nothing in the instances of its policies (a set whose permissions name other instances, such as *:audit=read, grants only in a policy for instance *)"
        );
    }

    #[test]
    fn omitted_means_everything() {
        let held = perms(&["acme:orgs=read", "acme:users=read('./')"]);
        assert_eq!(resolve(None, &held, &["acme".into()]).unwrap(), held);
        assert_eq!(resolve(Some("  "), &held, &["acme".into()]).unwrap(), held);
        assert_eq!(
            to_scope_string(&held),
            "acme:orgs=read acme:users=read('./')"
        );
    }

    #[test]
    fn narrows_qualifies_and_refuses() {
        let held = perms(&["acme:orgs=read", "acme:reports=read('Report 1','B')"]);
        let one = vec!["acme".to_string()];
        let got = resolve(
            Some("orgs=read acme:reports=read('Report%201')"),
            &held,
            &one,
        )
        .unwrap();
        assert_eq!(
            to_scope_string(&got),
            "acme:orgs=read acme:reports=read('Report%201')"
        );
        let e = resolve(Some("acme:users=read"), &held, &one).unwrap_err();
        assert_eq!(e.code(), "invalid_scope");
        assert_eq!(
            e.description(),
            "scope \"acme:users=read\" is not granted to this integration"
        );
        let e = resolve(Some("other:orgs=read"), &held, &one).unwrap_err();
        assert_eq!(e.code(), "invalid_scope");
        let two = vec!["acme".to_string(), "beta".to_string()];
        assert_eq!(
            resolve(Some("orgs=read"), &held, &two).unwrap_err().code(),
            "invalid_scope"
        );
        assert_eq!(
            resolve(Some("orgs"), &held, &one).unwrap_err().code(),
            "invalid_scope"
        );
        assert_eq!(
            resolve(None, &[], &one).unwrap_err().code(),
            "invalid_scope"
        );
    }
}
