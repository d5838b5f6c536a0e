//! The scopes tree: a caller's held permissions grouped by instance,
//! feature and action, as shown to clients.
//!
//! Wire shape (JSON, keys sorted):
//!
//! ```text
//! { instance or "*": { feature: { action: {} or [values] } } }
//! ```
//!
//! `{}` when some held permission for that (instance, feature, action) is
//! unrestricted (no values, or a `*` value); otherwise the sorted,
//! deduplicated union of the values.
//!
//! Callers must [qualify](crate::Permission::qualified) the permissions
//! first. An unqualified one is not dropped: it is listed under the
//! instance key `""`, which no qualified permission can produce.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::{Permission, ValueFilter};

/// Actions of one feature, each with the values granted for it.
pub type ActionMap = BTreeMap<String, ValueFilter>;
/// Features of one instance.
pub type FeatureMap = BTreeMap<String, ActionMap>;

/// Held permissions grouped by instance, feature and action.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ScopesTree {
    /// Instance (or `"*"`, or `""` for unqualified permissions) to features.
    pub instances: BTreeMap<String, FeatureMap>,
}

/// Groups `held` (already qualified) into a [`ScopesTree`].
///
/// ```
/// use p6auth_permissions::{scopes_tree, Permission};
/// let p = |s: &str| s.parse::<Permission>().unwrap();
///
/// let held = [
///     p("acme:users=read('./*')"),
///     p("acme:reports=read('R2')"),
///     p("acme:reports=read('R1','R2')"),
///     p("*:orgs=read"),
/// ];
/// assert_eq!(
///     scopes_tree(&held).to_json(),
///     r#"{"*":{"orgs":{"read":{}}},"acme":{"reports":{"read":["R1","R2"]},"users":{"read":["./*"]}}}"#
/// );
/// ```
pub fn scopes_tree(held: &[Permission]) -> ScopesTree {
    let mut tree = ScopesTree::default();
    for p in held {
        let instance = p.instance.clone().unwrap_or_default();
        let actions = tree
            .instances
            .entry(instance)
            .or_default()
            .entry(p.feature.clone())
            .or_default();
        let entry = actions
            .entry(p.action.clone())
            .or_insert_with(|| ValueFilter::Only(Default::default()));
        if p.is_unrestricted() {
            *entry = ValueFilter::Any;
        } else if let ValueFilter::Only(values) = entry {
            values.extend(p.values.iter().cloned());
        }
    }
    tree
}

impl ScopesTree {
    /// The tree as compact JSON (no white space, keys sorted).
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        out.push('{');
        for (i, (instance, features)) in self.instances.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_json_string(&mut out, instance);
            out.push_str(":{");
            for (j, (feature, actions)) in features.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                push_json_string(&mut out, feature);
                out.push_str(":{");
                for (k, (action, values)) in actions.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    push_json_string(&mut out, action);
                    out.push(':');
                    match values {
                        ValueFilter::Any => out.push_str("{}"),
                        ValueFilter::Only(values) => {
                            out.push('[');
                            for (n, value) in values.iter().enumerate() {
                                if n > 0 {
                                    out.push(',');
                                }
                                push_json_string(&mut out, value);
                            }
                            out.push(']');
                        }
                    }
                }
                out.push('}');
            }
            out.push('}');
        }
        out.push('}');
        out
    }
}

/// Appends `s` as a JSON string: `"` and `\` escaped, control characters
/// as `\n`, `\t`, ... or `\u00XX`; everything else (non-ASCII included)
/// raw.
pub(crate) fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped() {
        let mut out = String::new();
        push_json_string(&mut out, "a\"b\\c\nd\u{1}é\u{7f}");
        assert_eq!(out, "\"a\\\"b\\\\c\\nd\\u0001é\u{7f}\"");
    }

    #[test]
    fn empty_tree_is_empty_object() {
        assert_eq!(scopes_tree(&[]).to_json(), "{}");
    }

    #[test]
    fn unqualified_permissions_go_under_empty_key() {
        let held = ["users=edit".parse::<Permission>().unwrap()];
        assert_eq!(
            scopes_tree(&held).to_json(),
            r#"{"":{"users":{"edit":{}}}}"#
        );
    }
}
