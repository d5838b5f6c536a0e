//! The p6auth permission grammar and its evaluation: pure, no I/O, no
//! dependencies.
//!
//! p6auth is an OAuth authorization server for a multi-tenant platform.
//! Its permissions, which resource servers check too, look like
//! `orgs=read`, `acme:users=read('./')`, `permsets=read('A','B')` or `*=*`.
//!
//! # Grammar
//!
//! ```text
//! [instance:]feature=action[(value{,value})]
//! ```
//!
//! - `instance`, `feature` and `action` are non-empty names of ASCII letters,
//!   digits, `_`, `.` and `-` (`demo.typescript`, `my-inst`), or exactly
//!   `*`, the wildcard. No instance means *unqualified*: the instance is
//!   filled in later with [`Permission::qualified`]; the instance `*` means
//!   every instance (a *global* permission).
//! - Values are quoted with `'` or `"`; inside quotes a backslash escapes
//!   the next character. They may hold any character (spaces, commas,
//!   parentheses, non-ASCII) but may not be empty. An unquoted `*` is the
//!   wildcard value, the same as `'*'`. No parentheses means no value
//!   restriction; `()` is an error.
//! - White space around tokens is ignored.
//!
//! ```
//! use p6auth_permissions::{parse, Permission};
//!
//! let p: Permission = r#"  acme : users = read ( './' , "x" ) "#.parse()?;
//! assert_eq!(p, Permission {
//!     instance: Some("acme".into()),
//!     feature: "users".into(),
//!     action: "read".into(),
//!     values: vec!["./".into(), "x".into()],
//! });
//! assert_eq!(parse("workflow=role('Invoice Payers')")?.values, ["Invoice Payers"]);
//! assert_eq!(parse(r"users=read('O\'Brien')")?.values, ["O'Brien"]);
//! assert_eq!(parse("*:users=read")?.instance.as_deref(), Some("*"));
//! # Ok::<(), p6auth_permissions::ParseError>(())
//! ```
//!
//! Errors give the 0-based `char` position and the reason; parsing never
//! panics, whatever the input:
//!
//! ```
//! use p6auth_permissions::parse;
//! let err = |s: &str| parse(s).unwrap_err().to_string();
//!
//! assert_eq!(err("users#=read"), "at position 5: unexpected character '#' in feature");
//! assert_eq!(err("orgs"), "at position 4: missing '=' after feature");
//! assert_eq!(err("orgs="), "at position 5: missing action");
//! assert_eq!(err("users=read()"), "at position 11: expected a value");
//! assert_eq!(err("users=read('')"), "at position 11: empty value");
//! assert_eq!(err("users=read('./)"), "at position 11: unterminated quote");
//! assert_eq!(err("users=read('a'"), "at position 14: missing ')'");
//! assert_eq!(err("users=read('a')x"), "at position 15: unexpected trailing 'x' after ')'");
//! ```
//!
//! # Canonical form
//!
//! [`Display`](std::fmt::Display) prints the canonical form: no white space,
//! the instance only when there is one, values always single-quoted with `'`
//! and `\` escaped by a backslash, in the order given (not sorted, not
//! deduplicated). Parsing the canonical form gives back the same
//! permission.
//!
//! ```
//! use p6auth_permissions::Permission;
//!
//! let p: Permission = r#" acme:reports = read ( "Report 1", 'a\\b', * ) "#.parse()?;
//! assert_eq!(p.to_string(), r"acme:reports=read('Report 1','a\\b','*')");
//! assert_eq!(p.to_string().parse::<Permission>()?, p);
//! # Ok::<(), p6auth_permissions::ParseError>(())
//! ```
//!
//! A [`Permission`] built by hand with invalid names (empty, or with other
//! characters) or an empty value displays as text that does not parse.
//!
//! # Scope tokens
//!
//! OAuth scope tokens (RFC 6749 §3.3) are printable ASCII without space,
//! `"` or `\`. [`Permission::to_scope_token`] percent-encodes the canonical
//! form: every byte outside that set, and `%` itself, becomes `%XX`
//! (uppercase hex, UTF-8 bytes). [`Permission::from_scope_token`] reverses
//! it.
//!
//! ```
//! use p6auth_permissions::Permission;
//!
//! let p: Permission = "reports=read('Report 1')".parse()?;
//! assert_eq!(p.to_scope_token(), "reports=read('Report%201')");
//! let p: Permission = r#"users=read("O'Brien", '100%')"#.parse()?;
//! assert_eq!(p.to_scope_token(), "users=read('O%5C'Brien','100%25')");
//! assert_eq!(Permission::from_scope_token(&p.to_scope_token())?, p);
//! # Ok::<(), p6auth_permissions::ParseError>(())
//! ```
//!
//! # Covering
//!
//! [`Permission::covers`] is syntactic implication; [`allows`] asks whether
//! any permission of a held set covers. Sets only add up: there are no deny
//! rules. Compare *qualified* permissions; an unqualified (`None`) instance
//! matches only another `None` or a held `*`.
//!
//! - instance, feature, action: the held one is `*` or equal;
//! - values: a held permission with no values, or with a `*` value, covers
//!   any values; otherwise the required permission must list values (no
//!   values asks for unrestricted access) and each must be held.
//!
//! ```
//! use p6auth_permissions::{allows, Permission};
//! let p = |s: &str| s.parse::<Permission>().unwrap();
//!
//! assert!(p("*:*=*").covers(&p("acme:users=edit")));
//! assert!(p("acme:users=*").covers(&p("acme:users=edit")));
//! assert!(p("acme:permsets=read('*')").covers(&p("acme:permsets=read('X')")));
//! assert!(p("acme:permsets=read('A','B')").covers(&p("acme:permsets=read('B','A')")));
//! assert!(!p("acme:permsets=read('A','B')").covers(&p("acme:permsets=read('C')")));
//! assert!(!p("acme:permsets=read('A')").covers(&p("acme:permsets=read")));
//! assert!(!p("acme:users=edit").covers(&p("acme:users=*")));
//! assert!(!p("acme:users=edit").covers(&p("other:users=edit")));
//!
//! let held = [p("acme:orgs=read"), p("*:users=read")];
//! assert!(allows(&held, &p("beta:users=read")));
//! assert!(!allows(&held, &p("beta:orgs=read")));
//! ```
//!
//! # Org-relative values
//!
//! [`org_scope`] resolves the values of the permissions that grant an action
//! against the caller's org positions. Org paths look like
//! `/acme/Sales/EMEA`, the root being named after the instance (`/acme`).
//! `./` is the caller's own node(s), `./*` those nodes and everything below
//! them, `/acme/Sales` that node, `/acme/Sales/*` its whole branch
//! (including `/acme/Sales` itself). Paths match on whole segments. An
//! integration stands for the whole instance: `./` and `./*` give it
//! everything. Values that are not org paths are ignored there;
//! [`value_filter`] serves non-org values such as permission set names.
//!
//! ```
//! use p6auth_permissions::{org_scope, value_filter, Caller, Permission, ValueFilter};
//! let p = |s: &str| s.parse::<Permission>().unwrap();
//!
//! let positions = ["/acme/Sales".to_owned()];
//! let user = Caller::User { positions: &positions };
//! let held = [p("acme:users=read('./*')"), p("acme:users=read('/acme/HR')")];
//! let scope = org_scope(&held, "acme", "users", "read", &user).unwrap();
//! assert!(scope.contains("/acme/Sales") && scope.contains("/acme/Sales/EMEA"));
//! assert!(scope.contains("/acme/HR") && !scope.contains("/acme/HR/Payroll"));
//! assert!(!scope.contains("/acme/SalesX") && !scope.contains("/acme"));
//! assert!(!scope.is_everything());
//!
//! let all = org_scope(&held, "acme", "users", "read", &Caller::Integration).unwrap();
//! assert!(all.is_everything());
//! assert!(org_scope(&held, "acme", "users", "edit", &user).is_none());
//!
//! let sets = [p("acme:permsets=read('A','B')")];
//! assert!(matches!(value_filter(&sets, "acme", "permsets", "read"), Some(ValueFilter::Only(v)) if v.len() == 2));
//! ```
//!
//! # Scopes tree
//!
//! [`scopes_tree()`] groups held permissions by instance, feature and action
//! for display to clients; [`ScopesTree::to_json`] serializes it as
//! `{ instance: { feature: { action: {} or [values] } } }`, `{}` meaning
//! unrestricted, keys sorted, value lists sorted and deduplicated. Qualify
//! the permissions first: unqualified ones are listed under the key `""`.
//!
//! ```
//! use p6auth_permissions::{scopes_tree, Permission};
//!
//! let held: Vec<Permission> = ["users=read('./*')", "users=edit", "*:permsets=read('B','A')"]
//!     .iter()
//!     .map(|s| s.parse::<Permission>().map(|p| p.qualified("acme")))
//!     .collect::<Result<_, _>>()?;
//! assert_eq!(
//!     scopes_tree(&held).to_json(),
//!     r#"{"*":{"permsets":{"read":["A","B"]}},"acme":{"users":{"edit":{},"read":["./*"]}}}"#
//! );
//! # Ok::<(), p6auth_permissions::ParseError>(())
//! ```

#![forbid(unsafe_code)]

mod display;
mod evaluation;
pub mod org;
mod parse;
mod scope_token;
pub mod scopes_tree;

pub use evaluation::{ValueFilter, WILDCARD, allows, value_filter};
pub use org::{Caller, OrgScope, org_scope};
pub use parse::{ParseError, parse};
pub use scopes_tree::{ScopesTree, scopes_tree};

/// One permission: `[instance:]feature=action[(value{,value})]`.
///
/// Build it with [`parse`] (or [`str::parse`]); print it with `Display`
/// (the canonical form). Ordering is by instance (`None` first), feature,
/// action, then values.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Permission {
    /// `None`: unqualified; `Some("*")`: every instance.
    pub instance: Option<String>,
    /// The feature, or `"*"` for every feature.
    pub feature: String,
    /// The action, or `"*"` for every action.
    pub action: String,
    /// Empty: no value restriction (any value). A value `"*"` is the
    /// wildcard value.
    pub values: Vec<String>,
}
