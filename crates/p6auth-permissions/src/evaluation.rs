//! Evaluation: does a held permission (or set of them) cover a required one?
//!
//! Covering is purely syntactic. Permissions only add up: there are no deny
//! rules, so holding more permissions never removes access.

use std::collections::BTreeSet;

use crate::Permission;

/// The value a name takes to match every name.
pub const WILDCARD: &str = "*";

impl Permission {
    /// This permission with `default_instance` filled in when it has no
    /// instance; a permission that already has one is returned unchanged.
    ///
    /// ```
    /// use p6auth_permissions::Permission;
    ///
    /// let p: Permission = "users=read('./')".parse().unwrap();
    /// assert_eq!(p.qualified("acme").to_string(), "acme:users=read('./')");
    /// let g: Permission = "*:users=read".parse().unwrap();
    /// assert_eq!(g.qualified("acme").to_string(), "*:users=read");
    /// ```
    pub fn qualified(&self, default_instance: &str) -> Permission {
        let mut p = self.clone();
        if p.instance.is_none() {
            p.instance = Some(default_instance.to_owned());
        }
        p
    }

    /// Whether holding `self` grants `required`.
    ///
    /// - instance: `self`'s is `*` or equal to `required`'s (an unqualified
    ///   `None` side matches only another `None`, or a held `*`);
    /// - feature and action: `self`'s is `*` or equal (a required `*` is
    ///   only covered by a held `*`);
    /// - values: `self` has no values, or a `*` value: covered; otherwise
    ///   `required` must list values, each of them among `self`'s.
    ///
    /// ```
    /// use p6auth_permissions::Permission;
    /// let p = |s: &str| s.parse::<Permission>().unwrap();
    ///
    /// assert!(p("acme:users=*").covers(&p("acme:users=edit")));
    /// assert!(p("*:permsets=read('A','B')").covers(&p("acme:permsets=read('B')")));
    /// assert!(!p("acme:permsets=read('A')").covers(&p("acme:permsets=read")));
    /// assert!(!p("acme:users=read").covers(&p("other:users=read")));
    /// ```
    pub fn covers(&self, required: &Permission) -> bool {
        self.grants_action(
            required.instance.as_deref(),
            &required.feature,
            &required.action,
        ) && self.covers_values(&required.values)
    }

    /// Whether `self` matches (instance, feature, action), values aside.
    pub(crate) fn grants_action(
        &self,
        instance: Option<&str>,
        feature: &str,
        action: &str,
    ) -> bool {
        let instance_ok = match self.instance.as_deref() {
            Some(WILDCARD) => true,
            held => held == instance,
        };
        instance_ok && name_covers(&self.feature, feature) && name_covers(&self.action, action)
    }

    /// Whether `self`'s values impose no restriction (none, or a `*`).
    pub(crate) fn is_unrestricted(&self) -> bool {
        self.values.is_empty() || self.values.iter().any(|v| v == WILDCARD)
    }

    fn covers_values(&self, required: &[String]) -> bool {
        if self.is_unrestricted() {
            return true;
        }
        !required.is_empty() && required.iter().all(|r| self.values.contains(r))
    }
}

fn name_covers(held: &str, required: &str) -> bool {
    held == WILDCARD || held == required
}

/// Whether any of `held` covers `required` (see [`Permission::covers`]).
///
/// ```
/// use p6auth_permissions::{allows, Permission};
/// let p = |s: &str| s.parse::<Permission>().unwrap();
///
/// let held = [p("acme:orgs=read"), p("acme:reports=read('Report 1')")];
/// assert!(allows(&held, &p("acme:reports=read('Report 1')")));
/// assert!(!allows(&held, &p("acme:reports=read('Report 2')")));
/// assert!(!allows(&held, &p("acme:orgs=edit")));
/// ```
pub fn allows(held: &[Permission], required: &Permission) -> bool {
    held.iter().any(|h| h.covers(required))
}

/// Which values of a non-org kind (e.g. permission set names) a caller may
/// use for an action. See [`value_filter`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ValueFilter {
    /// Every value.
    Any,
    /// Only these values.
    Only(BTreeSet<String>),
}

impl ValueFilter {
    /// Whether `value` passes the filter.
    pub fn allows(&self, value: &str) -> bool {
        match self {
            ValueFilter::Any => true,
            ValueFilter::Only(values) => values.contains(value),
        }
    }
}

/// The values `held` (already qualified) grants for `instance:feature=action`.
///
/// `None`: no held permission grants the action at all. `Some(Any)`: some
/// permission granting it has no values or a `*` value. Otherwise the union
/// of the values of every permission granting it.
///
/// ```
/// use p6auth_permissions::{value_filter, Permission, ValueFilter};
/// let p = |s: &str| s.parse::<Permission>().unwrap();
///
/// let held = [p("acme:permsets=read('A','B')"), p("*:permsets=read('C')")];
/// let Some(ValueFilter::Only(names)) = value_filter(&held, "acme", "permsets", "read") else {
///     panic!("expected a restricted filter")
/// };
/// assert_eq!(names.into_iter().collect::<Vec<_>>(), ["A", "B", "C"]);
/// assert_eq!(value_filter(&held, "acme", "permsets", "install"), None);
/// assert_eq!(
///     value_filter(&[p("*:*=*")], "acme", "permsets", "install"),
///     Some(ValueFilter::Any)
/// );
/// ```
pub fn value_filter(
    held: &[Permission],
    instance: &str,
    feature: &str,
    action: &str,
) -> Option<ValueFilter> {
    let mut values = BTreeSet::new();
    let mut granted = false;
    for h in held
        .iter()
        .filter(|h| h.grants_action(Some(instance), feature, action))
    {
        if h.is_unrestricted() {
            return Some(ValueFilter::Any);
        }
        granted = true;
        values.extend(h.values.iter().cloned());
    }
    granted.then_some(ValueFilter::Only(values))
}
