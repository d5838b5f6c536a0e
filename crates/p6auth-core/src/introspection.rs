//! Introspection (RFC 7662) and revocation (RFC 7009) decisions, given the verified claims.

use std::sync::Arc;

use p6auth_permissions::Permission;

use crate::client_directory::{ClientDirectory, ClientEntry};
use crate::clock::UnixTime;
use crate::revocation::RevokedToken;
use crate::token::AccessTokenClaims;

/// Whether the token described by `claims` is active for `caller` to see. An expired, revoked,
/// unknown, malformed or foreign (without `tokens=introspect`) token is simply inactive.
pub fn is_active(
    claims: &AccessTokenClaims,
    caller: &ClientEntry,
    directory: &ClientDirectory,
    is_revoked: impl Fn(&str) -> bool,
    now: UnixTime,
) -> bool {
    live_owner(claims, directory, is_revoked, now).is_some_and(|owner| {
        owner.application_id == caller.application_id || may_introspect_for(caller, owner)
    })
}

/// The integration that owns the token described by `claims`, if the token is live: before its
/// `exp` (no leeway), not issued in the future, not revoked, and its owner still exists, is
/// enabled, and issued it after its not-before time. Introspection and Bearer authentication of
/// the data APIs both decide with this.
pub fn live_owner<'d>(
    claims: &AccessTokenClaims,
    directory: &'d ClientDirectory,
    is_revoked: impl Fn(&str) -> bool,
    now: UnixTime,
) -> Option<&'d Arc<ClientEntry>> {
    // no leeway for our own tokens: a JWT must not be accepted on or after `exp` (RFC 7519)
    if now >= claims.exp || claims.iat > now || is_revoked(&claims.jti) {
        return None;
    }
    let owner = directory.get(&claims.client_id)?; // None: deleted
    (owner.enabled && claims.iat > owner.tokens_valid_after).then_some(owner)
}

/// `tokens=introspect` in an instance of the owner's (or in every instance) lets an integration
/// introspect the owner's tokens.
pub fn may_introspect_for(caller: &ClientEntry, owner: &ClientEntry) -> bool {
    let required = |instance: &str| Permission {
        instance: Some(instance.to_string()),
        feature: "tokens".into(),
        action: "introspect".into(),
        values: Vec::new(),
    };
    std::iter::once("*")
        .chain(owner.instances.iter().map(String::as_str))
        .any(|i| p6auth_permissions::allows(&caller.permissions, &required(i)))
}

/// What revoking `claims` on behalf of `caller` records: nothing for another integration's
/// token or an expired one (the endpoint answers 200 all the same).
pub fn revocation(
    claims: &AccessTokenClaims,
    caller: &ClientEntry,
    now: UnixTime,
) -> Option<RevokedToken> {
    (claims.client_id == caller.application_id && now < claims.exp).then(|| RevokedToken {
        jti: claims.jti.clone(),
        application_id: claims.client_id.clone(),
        expires_at: claims.exp,
        revoked_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::TokenSettings;

    fn entry(id: &str, perms: &[&str], valid_after: i64, enabled: bool) -> ClientEntry {
        ClientEntry {
            application_id: id.into(),
            enabled,
            redirect_uri: String::new(),
            secrets: vec![],
            permissions: perms.iter().map(|p| p.parse().unwrap()).collect(),
            instances: vec![String::from("acme")].into(),
            tokens_valid_after: valid_after,
        }
    }

    fn claims(client: &str, iat: i64) -> AccessTokenClaims {
        let s = TokenSettings {
            issuer: "i".into(),
            audience: "a".into(),
            access_token_lifetime: 100,
        };
        AccessTokenClaims::new(&s, client, client, "acme:orgs=read".into(), iat)
    }

    #[test]
    fn active_only_while_unexpired_unrevoked_and_issued_after_not_before() {
        let owner = entry("a", &["acme:orgs=read"], 50, true);
        let dir = ClientDirectory::from_entries(vec![owner.clone(), entry("b", &[], 0, false)]);
        let c = claims("a", 100);
        let never = |_: &str| false;
        assert!(is_active(&c, &owner, &dir, never, 100));
        assert!(is_active(&c, &owner, &dir, never, 199));
        assert!(
            !is_active(&c, &owner, &dir, never, 200),
            "inactive at exp exactly"
        );
        assert!(!is_active(&c, &owner, &dir, |j| j == c.jti, 150));
        assert!(
            !is_active(&claims("a", 50), &owner, &dir, never, 60),
            "issued at the not-before second"
        );
        assert!(
            !is_active(&claims("b", 100), &owner, &dir, never, 150),
            "disabled owner"
        );
        assert!(
            !is_active(&claims("gone", 100), &owner, &dir, never, 150),
            "deleted owner"
        );
    }

    #[test]
    fn foreign_tokens_need_tokens_introspect_in_an_instance_of_the_owner() {
        let owner = entry("a", &["acme:orgs=read"], 0, true);
        let dir = ClientDirectory::from_entries(vec![owner.clone()]);
        let c = claims("a", 100);
        let plain = entry("x", &["acme:orgs=read"], 0, true);
        let same_instance = entry("y", &["acme:tokens=introspect"], 0, true);
        let other_instance = entry("z", &["beta:tokens=introspect"], 0, true);
        let global = entry("w", &["*:*=*"], 0, true);
        let never = |_: &str| false;
        assert!(!is_active(&c, &plain, &dir, never, 150));
        assert!(is_active(&c, &same_instance, &dir, never, 150));
        assert!(!is_active(&c, &other_instance, &dir, never, 150));
        assert!(is_active(&c, &global, &dir, never, 150));
    }

    #[test]
    fn only_the_owner_revokes_and_only_live_tokens() {
        let owner = entry("a", &[], 0, true);
        let c = claims("a", 100);
        let r = revocation(&c, &owner, 150).unwrap();
        assert_eq!(
            (r.jti.as_str(), r.expires_at, r.revoked_at),
            (c.jti.as_str(), 200, 150)
        );
        assert_eq!(revocation(&c, &entry("b", &[], 0, true), 150), None);
        assert_eq!(revocation(&c, &owner, 200), None);
    }
}
