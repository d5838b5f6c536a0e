//! The audit log: who changed what, when, and security events.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The command line, with the operating-system user that ran it.
    Cli(String),
    Integration(String),
    User(String),
    /// The server itself (scheduled key rotation, aggregated security events).
    System,
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Cli(user) => write!(f, "cli:{user}"),
            Self::Integration(id) => write!(f, "integration:{id}"),
            Self::User(email) => write!(f, "user:{email}"),
            Self::System => f.write_str("system"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    /// A dotted verb, e.g. `integration.disable`, `security.lockout`.
    pub action: String,
    pub target: String,
    /// `{"before": ..., "after": ...}` for changes; counts for security events. Never secrets.
    pub details: Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub details: Value,
}

impl NewAuditEntry {
    pub fn new(at: i64, actor: &Actor, action: &str, target: &str, details: Value) -> Self {
        Self {
            at,
            actor: actor.to_string(),
            action: action.into(),
            target: target.into(),
            details: redact(details),
        }
    }
}

/// Keys whose values never enter the log.
const SECRET_KEYS: &[&str] = &[
    "secret",
    "app_secret",
    "client_secret",
    "password",
    "hash",
    "token",
    "access_token",
];

/// Replaces the value of every secret-looking key, at any depth, with `"<redacted>"`.
pub fn redact(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    if SECRET_KEYS.contains(&k.as_str()) {
                        (k, Value::String("<redacted>".into()))
                    } else {
                        (k, redact(v))
                    }
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redact).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let v = redact(
            json!({"after": {"name": "x", "app_secret": "p6s_abc", "list": [{"password": "pw"}]}}),
        );
        assert_eq!(
            v,
            json!({"after": {"name": "x", "app_secret": "<redacted>", "list": [{"password": "<redacted>"}]}})
        );
        assert_eq!(Actor::Cli("root".into()).to_string(), "cli:root");
    }
}
