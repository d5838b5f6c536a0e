//! The verified claims of an access token, with its permissions parsed.

use p6auth_permissions::Permission;
use serde_json::{Map, Value};

use crate::clock::UnixTime;
use crate::jwt::Algorithm;
use crate::verifier::VerifyError;

/// What a verified token says about its caller (RFC 9068 claims).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub iss: String,
    /// The integration's Application ID for client_credentials tokens.
    pub sub: String,
    pub aud: Vec<String>,
    pub exp: UnixTime,
    pub iat: UnixTime,
    pub nbf: Option<UnixTime>,
    pub jti: Option<String>,
    pub client_id: Option<String>,
    /// The `scope` claim as sent.
    pub scope: String,
    /// The scope tokens that are permissions (`Permission::from_scope_token`), qualified.
    pub permissions: Vec<Permission>,
    /// Scope tokens that are not permissions, kept as they were.
    pub other_scopes: Vec<String>,
    /// The header's `kid` and `alg`.
    pub kid: String,
    pub alg: Algorithm,
    /// Every claim, for the ones not mapped above.
    pub all: Map<String, Value>,
}

impl Claims {
    /// Whether the token grants `required`, a permission such as `acme:users=read` or
    /// `acme:reports=read('Q1')`. Give the instance: token permissions are always qualified,
    /// and an unqualified requirement matches none of them. A requirement that does not parse
    /// is not allowed.
    pub fn allows(&self, required: &str) -> bool {
        required
            .parse::<Permission>()
            .is_ok_and(|p| self.allows_permission(&p))
    }

    pub fn allows_permission(&self, required: &Permission) -> bool {
        p6auth_permissions::allows(&self.permissions, required)
    }

    pub(crate) fn from_payload(
        payload: &[u8],
        kid: String,
        alg: Algorithm,
    ) -> Result<Self, VerifyError> {
        let malformed = |why: String| VerifyError::Malformed(why);
        let all: Map<String, Value> = serde_json::from_slice(payload)
            .map_err(|_| malformed("the payload is not a JSON object".into()))?;
        let text = |name: &str| -> Result<Option<String>, VerifyError> {
            match all.get(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(malformed(format!("claim {name} is not a string"))),
            }
        };
        let time = |name: &str| -> Result<Option<UnixTime>, VerifyError> {
            match all.get(name) {
                None => Ok(None),
                Some(Value::Number(n)) => n
                    .as_i64()
                    .or_else(|| n.as_f64().map(|f| f.floor() as i64))
                    .map(Some)
                    .ok_or_else(|| malformed(format!("claim {name} is not a time"))),
                Some(_) => Err(malformed(format!("claim {name} is not a number"))),
            }
        };
        let required = |name: &str, v: Option<String>| {
            v.ok_or_else(|| malformed(format!("claim {name} is missing")))
        };
        let aud = match all.get("aud") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| malformed("claim aud holds a non-string".into()))?,
            None => Vec::new(),
            Some(_) => return Err(malformed("claim aud is not a string or an array".into())),
        };
        let scope = text("scope")?.unwrap_or_default();
        let mut permissions = Vec::new();
        let mut other_scopes = Vec::new();
        for token in scope.split(' ').filter(|t| !t.is_empty()) {
            match Permission::from_scope_token(token) {
                Ok(p) if p.instance.is_some() => permissions.push(p),
                _ => other_scopes.push(token.to_string()),
            }
        }
        Ok(Self {
            iss: required("iss", text("iss")?)?,
            sub: required("sub", text("sub")?)?,
            aud,
            exp: time("exp")?.ok_or_else(|| malformed("claim exp is missing".into()))?,
            iat: time("iat")?.ok_or_else(|| malformed("claim iat is missing".into()))?,
            nbf: time("nbf")?,
            jti: text("jti")?,
            client_id: text("client_id")?,
            scope,
            permissions,
            other_scopes,
            kid,
            alg,
            all,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(json: &str) -> Result<Claims, VerifyError> {
        Claims::from_payload(json.as_bytes(), "k".into(), Algorithm::ES256)
    }

    #[test]
    fn permissions_come_from_the_scope() {
        let c = claims(
            r#"{"iss":"i","sub":"s","aud":"a","exp":2,"iat":1,
                "scope":"acme:orgs=read acme:users=read('./') acme:reports=read('Report%201') openid"}"#,
        )
        .unwrap();
        assert_eq!(c.permissions.len(), 3);
        assert_eq!(c.other_scopes, ["openid"]);
        assert!(c.allows("acme:orgs=read"));
        assert!(c.allows("acme:users=read('./')"));
        assert!(
            !c.allows("acme:users=read"),
            "a value-restricted grant does not give all"
        );
        assert!(c.allows("acme:reports=read('Report 1')"));
        assert!(!c.allows("acme:users=edit"));
        assert!(!c.allows("orgs=read"), "requirements name their instance");
        assert!(!c.allows("not a permission"));
        assert_eq!(c.aud, ["a"]);
    }

    #[test]
    fn required_claims_and_types() {
        assert!(claims(r#"{"iss":"i","sub":"s","exp":2}"#).is_err());
        assert!(claims(r#"{"iss":"i","sub":"s","exp":"2","iat":1}"#).is_err());
        assert!(claims(r#"{"iss":1,"sub":"s","exp":2,"iat":1}"#).is_err());
        let c = claims(r#"{"iss":"i","sub":"s","exp":2.7,"iat":1,"aud":["x","y"]}"#).unwrap();
        assert_eq!((c.exp, c.aud.len(), c.scope.as_str()), (2, 2, ""));
        assert!(claims("[]").is_err());
    }
}
