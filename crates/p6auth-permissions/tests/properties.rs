//! Property tests: round trips, monotonic evaluation, no panics.

use p6auth_permissions::{Caller, Permission, ValueFilter, allows, org_scope, parse, value_filter};
use proptest::prelude::*;

/// A valid name: a wildcard or letters, digits, `_`, `.`, `-`.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![1 => Just("*".to_owned()), 6 => "[A-Za-z0-9_.-]{1,12}"]
}

/// A valid value: any non-empty string (any Unicode, quotes, backslashes,
/// white space, ...), sometimes the wildcard.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just("*".to_owned()),
        3 => any::<String>().prop_filter("values are printable text", |v| {
            !v.is_empty() && !v.chars().any(char::is_control)
        }),
        3 => "[ '\"\\\\(),=:*%./a-z]{1,8}",
    ]
}

/// Any valid permission.
fn permission() -> impl Strategy<Value = Permission> {
    (
        proptest::option::of(name()),
        name(),
        name(),
        proptest::collection::vec(value(), 0..4),
    )
        .prop_map(|(instance, feature, action, values)| Permission {
            instance,
            feature,
            action,
            values,
        })
}

/// A qualified permission over a small vocabulary, so that held and
/// required permissions often meet.
fn small_permission() -> impl Strategy<Value = Permission> {
    let pick =
        |names: &'static [&'static str]| proptest::sample::select(names).prop_map(str::to_owned);
    (
        pick(&["acme", "beta", "*"]),
        pick(&["users", "orgs", "*"]),
        pick(&["read", "edit", "*"]),
        proptest::sample::subsequence(
            vec![
                "./",
                "./*",
                "/acme/Sales",
                "/acme/Sales/*",
                "/acme",
                "A",
                "*",
            ],
            0..3,
        ),
    )
        .prop_map(|(instance, feature, action, values)| Permission {
            instance: Some(instance),
            feature,
            action,
            values: values.into_iter().map(str::to_owned).collect(),
        })
}

fn caller_positions() -> impl Strategy<Value = Option<Vec<String>>> {
    proptest::option::of(
        proptest::sample::subsequence(vec!["/acme", "/acme/Sales", "/acme/HR/Payroll"], 0..3)
            .prop_map(|v| v.into_iter().map(str::to_owned).collect()),
    )
}

const NODES: &[&str] = &[
    "/acme",
    "/acme/Sales",
    "/acme/Sales/EMEA",
    "/acme/SalesX",
    "/acme/HR",
    "/acme/HR/Payroll",
    "/beta",
];

/// Whether a scope token has only RFC 6749 scope-token characters.
fn is_scope_token(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn display_then_parse_roundtrips(p in permission()) {
        prop_assert_eq!(parse(&p.to_string()), Ok(p));
    }

    #[test]
    fn display_has_no_whitespace_outside_values(p in permission()) {
        let mut q = p.clone();
        q.values.clear();
        prop_assert!(!q.to_string().chars().any(char::is_whitespace));
    }

    #[test]
    fn whitespace_between_tokens_is_ignored(p in permission(), ws in "[ \t\n]{0,2}") {
        let mut text = String::new();
        if let Some(instance) = &p.instance {
            text = format!("{ws}{instance}{ws}:");
        }
        text += &format!("{ws}{}{ws}={ws}{}{ws}", p.feature, p.action);
        if !p.values.is_empty() {
            let values: Vec<String> = p
                .values
                .iter()
                .map(|v| format!("{ws}'{}'{ws}", v.replace('\\', "\\\\").replace('\'', "\\'")))
                .collect();
            text += &format!("({}){ws}", values.join(","));
        }
        prop_assert_eq!(parse(&text), Ok(p));
    }

    #[test]
    fn scope_token_roundtrips_and_uses_allowed_characters(p in permission()) {
        let token = p.to_scope_token();
        prop_assert!(is_scope_token(&token), "bad token {:?}", token);
        prop_assert_eq!(Permission::from_scope_token(&token), Ok(p));
    }

    #[test]
    fn covers_is_reflexive(p in permission()) {
        prop_assert!(p.covers(&p));
    }

    #[test]
    fn qualified_always_has_an_instance(p in permission(), instance in "[a-z]{1,6}") {
        let q = p.qualified(&instance);
        prop_assert_eq!(&q.instance, &Some(p.instance.clone().unwrap_or(instance)));
        prop_assert_eq!((&q.feature, &q.action, &q.values), (&p.feature, &p.action, &p.values));
    }

    #[test]
    fn parse_never_panics(s in any::<String>()) {
        let _ = parse(&s);
        let _ = Permission::from_scope_token(&s);
    }

    #[test]
    fn parse_of_grammar_like_text_never_panics(s in "[ a-z*:=()'\"\\\\,%]{0,24}") {
        if let Ok(p) = parse(&s) {
            // Whatever parses has a canonical form that parses back.
            prop_assert_eq!(parse(&p.to_string()), Ok(p));
        }
        let _ = Permission::from_scope_token(&s);
    }

    #[test]
    fn parse_errors_point_inside_the_input(s in "[ a-z*:=()'\"\\\\,]{0,24}") {
        if let Err(e) = parse(&s) {
            prop_assert!(e.position <= s.chars().count());
        }
    }

    #[test]
    fn allows_is_monotonic(
        held in proptest::collection::vec(small_permission(), 0..4),
        extra in small_permission(),
        required in small_permission(),
    ) {
        let mut more = held.clone();
        more.push(extra);
        if allows(&held, &required) {
            prop_assert!(allows(&more, &required));
        }
    }

    #[test]
    fn value_filter_is_monotonic(
        held in proptest::collection::vec(small_permission(), 0..4),
        extra in small_permission(),
        value in proptest::sample::select(vec!["A", "./", "B"]),
    ) {
        let mut more = held.clone();
        more.push(extra);
        let before = value_filter(&held, "acme", "users", "read");
        let after = value_filter(&more, "acme", "users", "read");
        match (before, after) {
            (None, _) => {}
            (Some(_), None) => prop_assert!(false, "access removed"),
            (Some(b), Some(a)) => {
                if b.allows(value) {
                    prop_assert!(a.allows(value));
                }
                if b == ValueFilter::Any {
                    prop_assert_eq!(a, ValueFilter::Any);
                }
            }
        }
    }

    #[test]
    fn org_scope_is_monotonic(
        held in proptest::collection::vec(small_permission(), 0..4),
        extra in small_permission(),
        positions in caller_positions(),
        action in proptest::sample::select(vec!["read", "edit"]),
    ) {
        let caller = match &positions {
            Some(positions) => Caller::User { positions },
            None => Caller::Integration,
        };
        let mut more = held.clone();
        more.push(extra);
        let before = org_scope(&held, "acme", "users", action, &caller);
        let after = org_scope(&more, "acme", "users", action, &caller);
        if let Some(before) = before {
            let Some(after) = after else {
                return Err(TestCaseError::fail("access removed"));
            };
            if before.is_everything() {
                prop_assert!(after.is_everything());
            }
            for node in NODES {
                if before.contains(node) {
                    prop_assert!(after.contains(node), "{} lost", node);
                }
            }
        }
    }
}
