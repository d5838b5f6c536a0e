//! Org-relative values: which org nodes of an instance a caller may act on.
//!
//! Org paths name nodes of an instance's org tree, root first: the root is
//! named after the instance (`/acme`), below it `/acme/Sales`,
//! `/acme/Sales/EMEA`, ... Paths compare segment by segment; empty segments
//! (a doubled or trailing `/`) are ignored, so `/acme/Sales/` is
//! `/acme/Sales`.
//!
//! Values of a held permission resolve as follows:
//!
//! | value           | user caller                             | integration caller |
//! |-----------------|-----------------------------------------|--------------------|
//! | *(no values)*   | the whole instance                      | the whole instance |
//! | `*`             | the whole instance                      | the whole instance |
//! | `./`            | the caller's own node(s)                | the whole instance |
//! | `./*`           | the caller's node(s) and all below them | the whole instance |
//! | `/acme/Sales`   | that node only                          | same               |
//! | `/acme/Sales/*` | that node and all below it              | same               |
//! | anything else   | ignored (not an org path)               | same               |
//!
//! A branch `P/*` includes `P` itself ("its whole branch") and matches on
//! whole segments: `/acme/Sales/*` contains `/acme/Sales` and
//! `/acme/Sales/EMEA`, not `/acme/SalesX`. A user with no positions stands
//! at the root, `/{instance}`.

use std::collections::BTreeSet;

use crate::Permission;
use crate::evaluation::WILDCARD;

/// Who is asking, for resolving `./` and `./*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Caller<'a> {
    /// A user, standing at these org paths of the instance (empty: at the
    /// root, `/{instance}`).
    User {
        /// The user's org positions in the instance, e.g. `/acme/Sales`.
        positions: &'a [String],
    },
    /// An integration: it stands for the whole instance it holds a policy
    /// for, so `./` and `./*` cover that instance's whole tree.
    Integration,
}

/// A resolved set of org nodes: exact nodes plus whole branches.
///
/// Paths inside are normalized (`/` + segments joined by `/`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct OrgScope {
    everything: bool,
    nodes: BTreeSet<String>,
    branches: BTreeSet<String>,
}

impl OrgScope {
    /// The scope of the whole instance.
    pub fn everything() -> OrgScope {
        OrgScope {
            everything: true,
            ..OrgScope::default()
        }
    }

    /// Whether the node at `node_path` is in the scope.
    ///
    /// ```
    /// use p6auth_permissions::{org_scope, Caller, Permission};
    ///
    /// let held = ["acme:users=read('/acme/Sales/*')".parse::<Permission>().unwrap()];
    /// let caller = Caller::User { positions: &[] };
    /// let scope = org_scope(&held, "acme", "users", "read", &caller).unwrap();
    /// assert!(scope.contains("/acme/Sales"));
    /// assert!(scope.contains("/acme/Sales/EMEA"));
    /// assert!(!scope.contains("/acme/SalesX"));
    /// assert!(!scope.contains("/acme"));
    /// ```
    pub fn contains(&self, node_path: &str) -> bool {
        if self.everything {
            return true;
        }
        let node = normalize(node_path);
        if self.nodes.contains(&node) {
            return true;
        }
        // Every ancestor-or-self of the node, "/" first.
        let mut prefix = String::from("/");
        if self.branches.contains(&prefix) {
            return true;
        }
        for segment in segments(&node) {
            if prefix.len() > 1 {
                prefix.push('/');
            }
            prefix.push_str(segment);
            if self.branches.contains(&prefix) {
                return true;
            }
        }
        false
    }

    /// Whether the scope is the whole instance (then [`contains`](Self::contains)
    /// is true for every path: callers only ask about nodes of the instance).
    pub fn is_everything(&self) -> bool {
        self.everything
    }

    /// The exact nodes of the scope (normalized paths), when it is not
    /// everything.
    pub fn nodes(&self) -> impl Iterator<Item = &str> {
        self.nodes.iter().map(String::as_str)
    }

    /// The branch roots of the scope (normalized paths; each branch includes
    /// its root), when it is not everything.
    pub fn branches(&self) -> impl Iterator<Item = &str> {
        self.branches.iter().map(String::as_str)
    }

    fn is_empty(&self) -> bool {
        !self.everything && self.nodes.is_empty() && self.branches.is_empty()
    }

    fn add_node(&mut self, path: &str) {
        self.nodes.insert(normalize(path));
    }

    fn add_branch(&mut self, path: &str, instance: &str) {
        let path = normalize(path);
        if path == "/" || segments(&path).eq([instance]) {
            self.everything = true;
        }
        self.branches.insert(path);
    }
}

/// `/` followed by the non-empty segments of `path`, joined by `/`.
fn normalize(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 1);
    for segment in segments(path) {
        out.push('/');
        out.push_str(segment);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// The org scope that `held` (already qualified) grants `caller` for
/// `instance:feature=action`.
///
/// `None` if no held permission grants the action, or if the values of
/// those that do resolve to no node at all (none of them is an org path).
/// A granting permission with no values or a `*` value gives the whole
/// instance. See the [module docs](self) for how values resolve.
///
/// ```
/// use p6auth_permissions::{org_scope, Caller, Permission};
/// let p = |s: &str| s.parse::<Permission>().unwrap();
///
/// let positions = ["/acme/Sales".to_owned()];
/// let user = Caller::User { positions: &positions };
///
/// let own = org_scope(&[p("acme:users=read('./')")], "acme", "users", "read", &user).unwrap();
/// assert!(own.contains("/acme/Sales") && !own.contains("/acme/Sales/EMEA"));
///
/// let below = org_scope(&[p("acme:users=read('./*')")], "acme", "users", "read", &user).unwrap();
/// assert!(below.contains("/acme/Sales/EMEA") && !below.contains("/acme"));
///
/// let integration = org_scope(&[p("acme:users=read('./')")], "acme", "users", "read", &Caller::Integration);
/// assert!(integration.unwrap().is_everything());
///
/// assert!(org_scope(&[p("acme:users=read")], "acme", "users", "edit", &user).is_none());
/// ```
pub fn org_scope(
    held: &[Permission],
    instance: &str,
    feature: &str,
    action: &str,
    caller: &Caller,
) -> Option<OrgScope> {
    let mut scope = OrgScope::default();
    for h in held
        .iter()
        .filter(|h| h.grants_action(Some(instance), feature, action))
    {
        if h.is_unrestricted() {
            return Some(OrgScope::everything());
        }
        for value in &h.values {
            add_value(&mut scope, value, instance, caller);
        }
    }
    if scope.everything {
        return Some(OrgScope::everything());
    }
    (!scope.is_empty()).then_some(scope)
}

fn add_value(scope: &mut OrgScope, value: &str, instance: &str, caller: &Caller) {
    let root = format!("/{instance}");
    match (value, caller) {
        ("./" | "./*", Caller::Integration) => scope.everything = true,
        ("./", Caller::User { positions: [] }) => scope.add_node(&root),
        ("./", Caller::User { positions }) => positions.iter().for_each(|p| scope.add_node(p)),
        ("./*", Caller::User { positions: [] }) => scope.add_branch(&root, instance),
        ("./*", Caller::User { positions }) => {
            positions.iter().for_each(|p| scope.add_branch(p, instance));
        }
        _ if value.starts_with('/') => match value.strip_suffix(WILDCARD) {
            Some(branch) if branch.ends_with('/') => scope.add_branch(branch, instance),
            _ => scope.add_node(value),
        },
        _ => {}
    }
}
