//! The revocation feed: what offline verifiers must refuse, as changes since a cursor.
//!
//! The feed is computed from the store on each request, never from a node's in-memory view, so
//! it sees what other nodes and the CLI committed as soon as they committed it. Its entries are:
//!
//! - revoked tokens (`jti`, owner, `exp`), keyed in time by when they were revoked;
//! - per-integration not-before times: an integration's `tokens_valid_after`, which the store
//!   moves to "now" when the integration is disabled, loses a policy, or one of its permission
//!   sets is changed or disabled;
//! - deleted integrations, taken from the `integration.delete` entries of the audit log (the
//!   store keeps no row for them any more); every token of a deleted integration is refused.
//!
//! The cursor is a time on the writers' clocks. A response "as of" `now` carries the cursor
//! `now - CURSOR_OVERLAP`: an event stamped by its writer before that time and not yet committed
//! when this response was read would need a writer clock, or a transaction, more than
//! [`CURSOR_OVERLAP`] behind, so the next poll from that cursor still sees it. Entries may
//! therefore repeat across polls; applying them is idempotent.
//!
//! Entries older than `horizon` (the token lifetime plus the largest verifier leeway) cannot
//! concern a token still accepted anywhere, so they are left out: the first poll (no cursor) is
//! as small as a later one.

use p6auth_permissions::Permission;
use serde::Serialize;
use serde_json::Value;

use crate::audit::AuditEntry;
use crate::clock::UnixTime;
use crate::instance::ALL_INSTANCES;
use crate::integration::Integration;
use crate::revocation::RevokedToken;

/// How far behind `now` a returned cursor is: the allowance for writers' clock skew and for the
/// time between stamping an event and committing it.
pub const CURSOR_OVERLAP: i64 = 60;
/// The largest leeway on `exp` a verifier is expected to allow (the platform's proxy uses 180 s).
pub const MAX_VERIFIER_LEEWAY: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedRevoked {
    pub jti: String,
    pub client_id: String,
    pub exp: UnixTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedNotBefore {
    pub client_id: String,
    /// Tokens with `iat` at or before this time are refused.
    pub not_before: UnixTime,
    /// The integration was deleted: all its tokens are refused, whatever their `iat`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Feed {
    pub cursor: String,
    pub revoked: Vec<FeedRevoked>,
    pub not_before: Vec<FeedNotBefore>,
}

/// A cursor as the client sends it back; `None` (the first poll) is the beginning.
/// A cursor is the time a poll read the store, so it is a plain number, not negative, and not
/// in the future: a later one would hide what happens until then. Nodes' clocks may differ by
/// [`MAX_CLOCK_SKEW`]; a cursor ahead by less than that counts as now.
pub fn parse_cursor(cursor: Option<&str>, now: UnixTime) -> Result<UnixTime, String> {
    match cursor {
        None | Some("") => Ok(0),
        Some(c) => c
            .parse::<i64>()
            .ok()
            .filter(|t| {
                *t >= 0 && *t <= now + MAX_CLOCK_SKEW && c.bytes().all(|b| b.is_ascii_digit())
            })
            .map(|t| t.min(now))
            .ok_or_else(|| format!("the cursor {c:?} is not one this server handed out")),
    }
}

/// How far ahead of this node's clock another node's cursor may be.
pub const MAX_CLOCK_SKEW: i64 = 60;

/// The time the feed must look back to for a poll from `since`.
pub fn window_start(since: UnixTime, now: UnixTime, token_lifetime: i64) -> UnixTime {
    since.max(now - token_lifetime - MAX_VERIFIER_LEEWAY)
}

/// Whether a caller with `permissions` may see entries about an integration with policies in
/// `instances`: `I:tokens=introspect` for one of them (or `*:tokens=introspect`). Integrations
/// with a policy for every instance concern every resource server, so every caller sees them.
pub fn may_see(permissions: &[Permission], instances: &[String]) -> bool {
    instances.iter().any(|instance| {
        instance == ALL_INSTANCES
            || p6auth_permissions::allows(permissions, &tokens_introspect(instance))
    })
}

/// Whether the caller holds `tokens=introspect` anywhere, i.e. may use the feed at all.
pub fn may_use_feed(permissions: &[Permission]) -> bool {
    permissions.iter().any(|p| {
        (p.feature == "tokens" || p.feature == "*") && (p.action == "introspect" || p.action == "*")
    })
}

fn tokens_introspect(instance: &str) -> Permission {
    Permission {
        instance: Some(instance.to_string()),
        feature: "tokens".into(),
        action: "introspect".into(),
        values: Vec::new(),
    }
}

/// The instances an audit entry's policy list (`["instance/set", ...]`) names.
fn policy_instances(list: Option<&Value>) -> Vec<String> {
    list.and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .filter_map(|p| p.split_once('/').map(|(i, _)| i.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn audited_integration(entry: &AuditEntry) -> Option<&str> {
    entry.target.strip_prefix("integration ")
}

/// Computes the feed for a caller. `revoked` are the unexpired revocations, `integrations` the
/// live ones, `audit` the audit entries from `window_start` on; `since` is that window start.
pub fn build(
    permissions: &[Permission],
    since: UnixTime,
    now: UnixTime,
    revoked: &[RevokedToken],
    integrations: &[Integration],
    audit: &[AuditEntry],
) -> Feed {
    // Instances an integration had policies in during the window: its current ones, those a
    // policy change removed (the audit's "before"), and, for deleted ones, those it had then.
    let mut instances: std::collections::HashMap<&str, Vec<String>> = integrations
        .iter()
        .map(|i| {
            let names = i.policies.iter().map(|p| p.instance.clone()).collect();
            (i.application_id.as_str(), names)
        })
        .collect();
    let mut deleted: Vec<(&str, UnixTime)> = Vec::new();
    for entry in audit {
        let Some(id) = audited_integration(entry) else {
            continue;
        };
        let before = match entry.action.as_str() {
            "integration.set_policies" => policy_instances(entry.details.get("before")),
            "integration.delete" => {
                deleted.push((id, entry.at));
                policy_instances(entry.details.pointer("/before/policies"))
            }
            _ => continue,
        };
        instances.entry(id).or_default().extend(before);
    }
    let visible = |id: &str| {
        instances
            .get(id)
            .is_some_and(|names| may_see(permissions, names))
    };
    let revoked = revoked
        .iter()
        .filter(|r| r.revoked_at >= since && r.expires_at > now && visible(&r.application_id))
        .map(|r| FeedRevoked {
            jti: r.jti.clone(),
            client_id: r.application_id.clone(),
            exp: r.expires_at,
        })
        .collect();
    let live = integrations
        .iter()
        .filter(|i| i.tokens_valid_after >= since && visible(&i.application_id))
        .map(|i| FeedNotBefore {
            client_id: i.application_id.clone(),
            not_before: i.tokens_valid_after,
            deleted: false,
        });
    let gone = deleted
        .into_iter()
        .filter(|(id, _)| visible(id))
        .map(|(id, at)| FeedNotBefore {
            client_id: id.to_string(),
            not_before: at,
            deleted: true,
        });
    Feed {
        cursor: (now - CURSOR_OVERLAP).to_string(),
        revoked,
        not_before: live.chain(gone).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integration::Policy;
    use serde_json::json;

    fn perms(list: &[&str]) -> Vec<Permission> {
        list.iter().map(|p| p.parse().unwrap()).collect()
    }

    fn integration(id: &str, instance: &str, valid_after: i64) -> Integration {
        Integration {
            application_id: id.into(),
            name: id.into(),
            redirect_uri: String::new(),
            enabled: true,
            policies: vec![Policy {
                instance: instance.into(),
                permission_set_id: 1,
                permission_set_name: "s".into(),
            }],
            secrets: vec![],
            tokens_valid_after: valid_after,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn audit(action: &str, id: &str, at: i64, details: Value) -> AuditEntry {
        AuditEntry {
            id: at,
            at,
            actor: "cli:x".into(),
            action: action.into(),
            target: format!("integration {id}"),
            details,
        }
    }

    fn revoked(jti: &str, owner: &str, at: i64, exp: i64) -> RevokedToken {
        RevokedToken {
            jti: jti.into(),
            application_id: owner.into(),
            expires_at: exp,
            revoked_at: at,
        }
    }

    #[test]
    fn entries_since_the_cursor_in_the_callers_instances() {
        let integrations = [
            integration("a", "acme", 500),
            integration("b", "beta", 500),
            integration("old", "acme", 10),
            integration("g", "*", 600),
        ];
        let audit_log = [
            audit(
                "integration.delete",
                "d",
                700,
                json!({"before": {"policies": ["acme/s"]}}),
            ),
            audit(
                "integration.delete",
                "e",
                700,
                json!({"before": {"policies": ["beta/s"]}}),
            ),
        ];
        let tokens = [
            revoked("j1", "a", 400, 2000),
            revoked("j2", "b", 400, 2000),
            revoked("j0", "a", 50, 2000),
        ];
        let feed = build(
            &perms(&["acme:tokens=introspect"]),
            100,
            1000,
            &tokens,
            &integrations,
            &audit_log,
        );
        assert_eq!(feed.cursor, "940");
        let jtis: Vec<_> = feed.revoked.iter().map(|r| r.jti.as_str()).collect();
        assert_eq!(jtis, ["j1"]);
        let nb: Vec<_> = feed
            .not_before
            .iter()
            .map(|n| (n.client_id.as_str(), n.not_before, n.deleted))
            .collect();
        assert_eq!(nb, [("a", 500, false), ("g", 600, false), ("d", 700, true)]);

        let all = build(
            &perms(&["*:tokens=introspect"]),
            100,
            1000,
            &tokens,
            &integrations,
            &audit_log,
        );
        assert_eq!(all.revoked.len(), 2);
        assert_eq!(all.not_before.len(), 5);
    }

    #[test]
    fn a_removed_policy_keeps_the_integration_visible_to_its_former_instance() {
        let integrations = [integration("a", "beta", 500)];
        let audit_log = [audit(
            "integration.set_policies",
            "a",
            500,
            json!({"before": ["acme/s", "beta/s"], "after": ["beta/s"]}),
        )];
        let feed = build(
            &perms(&["acme:tokens=introspect"]),
            0,
            1000,
            &[],
            &integrations,
            &audit_log,
        );
        assert_eq!(feed.not_before.len(), 1);
    }

    #[test]
    fn cursors_and_windows() {
        let now = 1_000;
        assert_eq!(parse_cursor(None, now), Ok(0));
        assert_eq!(parse_cursor(Some("42"), now), Ok(42));
        assert_eq!(
            parse_cursor(Some("1030"), now),
            Ok(1_000),
            "another node's clock"
        );
        for bad in ["x", "-1", "+5", "-0", "1061", "9223372036854775807"] {
            assert_eq!(
                parse_cursor(Some(bad), now),
                Err(format!(
                    "the cursor {bad:?} is not one this server handed out"
                )),
            );
        }
        assert_eq!(window_start(0, 10_000, 3600), 10_000 - 3600 - 300);
        assert_eq!(window_start(9_000, 10_000, 3600), 9_000);
        assert!(may_use_feed(&perms(&["acme:tokens=introspect"])));
        assert!(may_use_feed(&perms(&["*:*=*"])));
        assert!(!may_use_feed(&perms(&["acme:orgs=read"])));
    }
}
