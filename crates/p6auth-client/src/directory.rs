//! Typed calls to p6auth's directory under `/apis/v2`, with tokens from a [`TokenSource`]: the
//! caller's scopes tree, an instance's org tree, and its users (paged, searchable).
//!
//! Each call needs the permission the server's endpoint names: any token for the scopes tree,
//! `I:orgs=read` for the org tree, `I:users=read` for users; the server filters what the
//! permission's values do not cover. An instance integration made by
//! `p6auth instance create NAME --with-integration` holds both.
//!
//! ```no_run
//! use p6auth_client::TokenSource;
//! use p6auth_client::directory::{Directory, UserSearch};
//!
//! # async fn read() -> Result<(), Box<dyn std::error::Error>> {
//! let directory = Directory::new(TokenSource::from_file("conf/application.conf".as_ref())?);
//! let tree = directory.org_tree("acme").await?;
//! let everyone = directory.all_users("acme", &UserSearch::default()).await?;
//! # let _ = (tree, everyone); Ok(()) }
//! ```

use std::collections::BTreeMap;

use http::{HeaderValue, header};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::http::{HttpClient, HttpOptions};
use crate::token::{TokenError, form_urlencode};
use crate::token_source::TokenSource;

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("no token: {0}")]
    Token(#[from] TokenError),
    #[error("p6auth is unreachable: {0}")]
    Unreachable(String),
    /// 401, 403, 404 and the like, with the server's `error` and `error_description`.
    #[error("p6auth answered HTTP {status}: {message}")]
    Status { status: u16, message: String },
    #[error("p6auth's answer is malformed: {0}")]
    BadResponse(String),
}

/// What a scopes tree lists for an action: any value, or only these.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ScopeValues {
    Only(Vec<String>),
    Any(serde_json::Map<String, Value>),
}

/// instance → feature → action → values.
pub type ScopesTree = BTreeMap<String, BTreeMap<String, BTreeMap<String, ScopeValues>>>;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrgNode {
    pub id: i64,
    pub instance: String,
    pub parent_id: Option<i64>,
    pub name: String,
    /// `/instance/.../name`
    pub path: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub properties: Value,
    #[serde(default)]
    pub children: Vec<OrgNode>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct User {
    pub email: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    pub enabled: bool,
    #[serde(default)]
    pub preferred_language: String,
    #[serde(default)]
    pub properties: Value,
    /// `instance/set` names held in the instance asked about.
    #[serde(default)]
    pub permission_sets: Vec<String>,
    /// Org paths in that instance (the root when none is set).
    #[serde(default)]
    pub positions: Vec<String>,
}

/// A search of an instance's users; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserSearch {
    pub email_prefix: Option<String>,
    pub last_name: Option<String>,
    /// The name of a permission set (of the instance, or a global one) the users hold.
    pub permset: Option<String>,
    /// The page size; the server's default is 50.
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UsersPage {
    pub users: Vec<User>,
    /// Give it to [`Directory::users`] for the next page; `None` on the last one.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct WireTree {
    tree: Vec<OrgNode>,
}

pub struct Directory {
    tokens: TokenSource,
    http: HttpClient,
    base: String,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Directory {
    /// Calls the p6auth of the token source's config (`p6auth.url`), trusting its `ca_file`.
    pub fn new(tokens: TokenSource) -> Self {
        let config = tokens.config();
        let http = HttpOptions {
            ca_file: config.ca_file.clone(),
            ..HttpOptions::default()
        };
        Self::with_http(tokens, http)
    }

    pub fn with_http(tokens: TokenSource, http: HttpOptions) -> Self {
        let base = format!("{}/apis/v2", tokens.config().url.trim_end_matches('/'));
        Self {
            tokens,
            http: HttpClient::new(http),
            base,
        }
    }

    /// `GET /apis/v2/scopestree`: what the caller's token allows, as a tree.
    pub async fn scopes_tree(&self) -> Result<ScopesTree, DirectoryError> {
        self.get("/scopestree").await
    }

    /// `GET /apis/v2/instances/{instance}/orgs`: the nodes the caller may read, nested (the
    /// root first when it may read the whole tree).
    pub async fn org_tree(&self, instance: &str) -> Result<Vec<OrgNode>, DirectoryError> {
        let path = format!("/instances/{}/orgs", segment(instance));
        Ok(self.get::<WireTree>(&path).await?.tree)
    }

    /// One page of `GET /apis/v2/instances/{instance}/users`, ordered by email; `cursor` is the
    /// previous page's `next_cursor` (`None` for the first page).
    pub async fn users(
        &self,
        instance: &str,
        search: &UserSearch,
        cursor: Option<&str>,
    ) -> Result<UsersPage, DirectoryError> {
        let mut query = Vec::new();
        let mut add = |name: &str, value: Option<&str>| {
            if let Some(v) = value {
                query.push(format!("{name}={}", form_urlencode(v)));
            }
        };
        add("email_prefix", search.email_prefix.as_deref());
        add("last_name", search.last_name.as_deref());
        add("permset", search.permset.as_deref());
        add("cursor", cursor);
        let limit = search.limit.map(|l| l.to_string());
        add("limit", limit.as_deref());
        let mut path = format!("/instances/{}/users", segment(instance));
        if !query.is_empty() {
            path = format!("{path}?{}", query.join("&"));
        }
        self.get(&path).await
    }

    /// Every page of [`Directory::users`].
    pub async fn all_users(
        &self,
        instance: &str,
        search: &UserSearch,
    ) -> Result<Vec<User>, DirectoryError> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.users(instance, search, cursor.as_deref()).await?;
            all.extend(page.users);
            match page.next_cursor {
                Some(next) if Some(&next) != cursor.as_ref() => cursor = Some(next),
                _ => return Ok(all),
            }
        }
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, DirectoryError> {
        let token = self.tokens.token().await?;
        let authorization = HeaderValue::from_str(&token.authorization())
            .map_err(|_| DirectoryError::BadResponse("the token is not visible ASCII".into()))?;
        let url = format!("{}{path}", self.base);
        let response = self
            .http
            .get_with_headers(&url, &[(header::AUTHORIZATION, authorization)])
            .await
            .map_err(|e| DirectoryError::Unreachable(e.to_string()))?;
        if response.status != 200 {
            let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
            let text = |k: &str| {
                body.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            let message = match (text("error"), text("error_description")) {
                (e, d) if e.is_empty() && d.is_empty() => String::from_utf8_lossy(&response.body)
                    .chars()
                    .take(200)
                    .collect(),
                (e, d) if d.is_empty() => e,
                (e, d) => format!("{e}: {d}"),
            };
            return Err(DirectoryError::Status {
                status: response.status,
                message,
            });
        }
        serde_json::from_slice(&response.body)
            .map_err(|e| DirectoryError::BadResponse(format!("{url}: {e}")))
    }
}

/// A path segment, percent-encoded.
fn segment(s: &str) -> String {
    form_urlencode(s).replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_shapes_parse() {
        let tree: ScopesTree =
            serde_json::from_str(r#"{"acme":{"orgs":{"read":{}},"users":{"read":["./"]}}}"#)
                .unwrap();
        assert!(matches!(tree["acme"]["orgs"]["read"], ScopeValues::Any(_)));
        assert_eq!(
            tree["acme"]["users"]["read"],
            ScopeValues::Only(vec!["./".into()])
        );
        let page: UsersPage = serde_json::from_str(
            r#"{"users":[{"email":"a@x","first_name":"A","last_name":"B","enabled":true,
                "preferred_language":"en","properties":{},"permission_sets":["acme/S"],
                "positions":["/acme"]}],"next_cursor":null}"#,
        )
        .unwrap();
        assert_eq!(page.users[0].positions, ["/acme"]);
        assert_eq!(segment("a b/c"), "a%20b%2Fc");
    }
}
