//! Table-driven tests: every case states the exact expected outcome.

use std::collections::BTreeSet;

use p6auth_permissions::{
    Caller, Permission, ValueFilter, allows, org_scope, parse, scopes_tree, value_filter,
};

/// What an org case expects from `org_scope(.., "acme", "users", action, ..)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Org {
    /// `None`: the action is not granted.
    Denied,
    /// `Some(scope)`, not everything, and `scope.contains(node)`.
    In,
    /// `Some(scope)`, not everything, and `!scope.contains(node)`.
    Out,
    /// `Some(scope)` with `scope.is_everything()`.
    All,
}

enum Case {
    /// Input parses; its canonical display is the second string.
    Parse(&'static str, &'static str),
    /// Input fails with exactly this error text.
    Fail(&'static str, &'static str),
    /// `held.covers(required) == expected`.
    Covers(&'static str, &'static str, bool),
    /// Permission's scope token.
    Token(&'static str, &'static str),
    /// Scope token decodes and parses to this display, or fails with this error.
    FromToken(&'static str, Result<&'static str, &'static str>),
    /// `p.qualified(instance)` displays as.
    Qualified(&'static str, &'static str, &'static str),
    /// held, caller positions (`None` = integration), action, node, expected.
    Scope(
        &'static [&'static str],
        Option<&'static [&'static str]>,
        &'static str,
        &'static str,
        Org,
    ),
    /// held, feature, action, expected (`None` = denied, `Some(None)` = any).
    Values(
        &'static [&'static str],
        &'static str,
        &'static str,
        Option<Option<&'static [&'static str]>>,
    ),
}

use Case::*;
use Org::*;

const SALES: Option<&[&str]> = Some(&["/acme/Sales"]);
const ROOT: Option<&[&str]> = Some(&[]);
const INTEGRATION: Option<&[&str]> = None;

#[rustfmt::skip]
const CASES: &[Case] = &[
    // --- parse successes: input, canonical display ---
    Parse("*=*", "*=*"),
    Parse("orgs=read", "orgs=read"),
    Parse("admin=view", "admin=view"),
    Parse("users=read('./*')", "users=read('./*')"),
    Parse(r#"users=read("./")"#, "users=read('./')"),
    Parse("users=edit", "users=edit"),
    Parse("users=*", "users=*"),
    Parse("permsets=read('*')", "permsets=read('*')"),
    Parse("permsets=read('PermSet1','PermSet2')", "permsets=read('PermSet1','PermSet2')"),
    Parse("permsets=install", "permsets=install"),
    Parse("reports=read('Report 1')", "reports=read('Report 1')"),
    Parse("demo.typescript=read", "demo.typescript=read"),
    Parse("workflow=role('Invoice Payers')", "workflow=role('Invoice Payers')"),
    Parse("acme:users=edit", "acme:users=edit"),
    Parse("*:users=read", "*:users=read"),
    Parse("*:*=*", "*:*=*"),
    Parse(r#"  acme : users = read ( './' , "x" ) "#, "acme:users=read('./','x')"),
    Parse("users=read(*)", "users=read('*')"),
    Parse("users=read( * , 'a' )", "users=read('*','a')"),
    Parse(r"users=read('O\'Brien')", r"users=read('O\'Brien')"),
    Parse(r#"users=read("O'Brien")"#, r"users=read('O\'Brien')"),
    Parse(r#"users=read("a\\b")"#, r"users=read('a\\b')"),
    Parse(r#"users=read("say \"hi\"")"#, r#"users=read('say "hi"')"#),
    Parse(r"users=read('\x')", "users=read('x')"),
    Parse("reports=read('a,b','(c)')", "reports=read('a,b','(c)')"),
    Parse("reports=read('Café ☕')", "reports=read('Café ☕')"),
    Parse("reports=read('B','A','B')", "reports=read('B','A','B')"),
    Parse("my-inst:feature_1=act.2", "my-inst:feature_1=act.2"),
    Parse("\tusers\n=\r\nread ", "users=read"),
    Parse("users=read ('a')", "users=read('a')"),
    Parse("users=read(' ')", "users=read(' ')"),
    Parse("acme:users=read('/acme/Sales/*')", "acme:users=read('/acme/Sales/*')"),
    // --- parse failures: input, exact error ---
    Fail("", "at position 0: empty permission"),
    Fail("   ", "at position 0: empty permission"),
    Fail("users#=read", "at position 5: unexpected character '#' in feature"),
    Fail("#=read", "at position 0: unexpected character '#' in feature"),
    Fail("usérs=read", "at position 2: unexpected character 'é' in feature"),
    Fail("*x=read", "at position 1: unexpected character 'x' in feature"),
    Fail("a*=b", "at position 1: unexpected character '*' in feature"),
    Fail("orgs", "at position 4: missing '=' after feature"),
    Fail("*:*", "at position 3: missing '=' after feature"),
    Fail("orgs read", "at position 5: expected '=' but found 'r'"),
    Fail("us ers=read", "at position 3: expected '=' but found 'e'"),
    Fail("acme:b:c=d", "at position 6: expected '=' but found ':'"),
    Fail("orgs=", "at position 5: missing action"),
    Fail("orgs=  ", "at position 7: missing action"),
    Fail("orgs=('x')", "at position 5: missing action"),
    Fail("=read", "at position 0: missing feature"),
    Fail(":users=read", "at position 0: missing instance before ':'"),
    Fail("acme:=read", "at position 5: missing feature"),
    Fail("acme: ", "at position 6: missing feature"),
    Fail("users=read#", "at position 10: unexpected character '#' in action"),
    Fail("users=**", "at position 7: unexpected character '*' in action"),
    Fail("users=re ad", "at position 9: expected '(' or end but found 'a'"),
    Fail("users=read()", "at position 11: expected a value"),
    Fail("users=read( )", "at position 12: expected a value"),
    Fail("users=read(", "at position 11: expected a value"),
    Fail("users=read('a',)", "at position 15: expected a value"),
    Fail("users=read('a',", "at position 15: expected a value"),
    Fail("users=read('')", "at position 11: empty value"),
    Fail(r#"users=read("")"#, "at position 11: empty value"),
    Fail("users=read('./)", "at position 11: unterminated quote"),
    Fail(r"users=read('a\')", "at position 11: unterminated quote"),
    Fail("users=read(')", "at position 11: unterminated quote"),
    Fail(
        "orgs=read('\u{1b}[2J')",
        "at position 11: control character '\\u{1b}' in a value; values are printable text",
    ),
    Fail(
        "orgs=read('a\\\n')",
        "at position 13: control character '\\n' in a value; values are printable text",
    ),
    Fail("users=read('a'", "at position 14: missing ')'"),
    Fail("users=read('a'  ", "at position 16: missing ')'"),
    Fail("users=read(*", "at position 12: missing ')'"),
    Fail("users=read('a')x", "at position 15: unexpected trailing 'x' after ')'"),
    Fail("users=read('a'))", "at position 15: unexpected trailing ')' after ')'"),
    Fail("users=read('a') ('b')", "at position 16: unexpected trailing '(' after ')'"),
    Fail("users=read(a)", "at position 11: unexpected character 'a' in values: values must be quoted"),
    Fail("users=read('a' 'b')", r"at position 15: expected ',' or ')' but found '\''"),
    // --- covers: held, required, expected ---
    Covers("*:*=*", "acme:users=edit", true),
    Covers("*:*=*", "acme:permsets=read('A')", true),
    Covers("*:*=*", "*:*=*", true),
    Covers("acme:*=*", "acme:users=read('./*')", true),
    Covers("acme:*=*", "beta:users=read", false),
    Covers("*:users=read", "acme:users=read", true),
    Covers("*:users=read", "acme:users=edit", false),
    Covers("acme:users=*", "acme:users=edit", true),
    Covers("acme:users=edit", "acme:users=*", false),
    Covers("acme:users=edit", "acme:users=edit", true),
    Covers("acme:users=edit", "beta:users=edit", false),
    Covers("acme:users=edit", "acme:orgs=edit", false),
    Covers("acme:users=read", "acme:*=read", false),
    Covers("acme:*=read", "acme:reports=read('Report 1')", true),
    Covers("acme:orgs=read", "acme:orgs=read('x')", true),
    Covers("acme:admin=view", "acme:admin=view", true),
    Covers("acme:admin=view", "acme:admin=edit", false),
    Covers("acme:permsets=read('*')", "acme:permsets=read('PermSet1')", true),
    Covers("acme:permsets=read('*')", "acme:permsets=read", true),
    Covers("acme:permsets=read('PermSet1','PermSet2')", "acme:permsets=read('PermSet2')", true),
    Covers("acme:permsets=read('PermSet1','PermSet2')", "acme:permsets=read('PermSet2','PermSet1')", true),
    Covers("acme:permsets=read('PermSet1','PermSet2')", "acme:permsets=read('PermSet3')", false),
    Covers("acme:permsets=read('PermSet1','PermSet2')", "acme:permsets=read('PermSet1','PermSet3')", false),
    Covers("acme:permsets=read('PermSet1','PermSet2')", "acme:permsets=read", false),
    Covers("acme:permsets=read('PermSet1','PermSet2')", "acme:permsets=read('*')", false),
    Covers("acme:permsets=install", "acme:permsets=read", false),
    Covers("acme:reports=read('Report 1')", "acme:reports=read('Report 1')", true),
    Covers("acme:reports=read('Report 1')", "acme:reports=read('report 1')", false),
    Covers("acme:workflow=role('Invoice Payers')", "acme:workflow=role('Invoice Payers')", true),
    Covers("acme:workflow=role('Invoice Payers')", "acme:workflow=role('Approvers')", false),
    Covers("acme:demo.typescript=read", "acme:demo.typescript=read", true),
    Covers("acme:demo.typescript=read", "acme:demo=read", false),
    Covers("acme:users=read('./*')", "acme:users=read('./*')", true),
    Covers("acme:users=read('./*')", "acme:users=read('./')", false),
    Covers("users=edit", "users=edit", true),
    Covers("users=edit", "acme:users=edit", false),
    Covers("acme:users=edit", "users=edit", false),
    Covers("*:users=edit", "users=edit", true),
    Covers("acme:users=edit", "*:users=edit", false),
    // --- scope tokens ---
    Token("reports=read('Report 1')", "reports=read('Report%201')"),
    Token(r#"users=read("O'Brien")"#, "users=read('O%5C'Brien')"),
    Token("users=read('100%')", "users=read('100%25')"),
    Token("reports=read('Café')", "reports=read('Caf%C3%A9')"),
    Token(r#"reports=read('say "hi"')"#, "reports=read('say%20%22hi%22')"),
    Token("*:*=*", "*:*=*"),
    Token("acme:users=read('./*')", "acme:users=read('./*')"),
    FromToken("reports=read('Report%201')", Ok("reports=read('Report 1')")),
    FromToken("orgs%3dread", Ok("orgs=read")),
    FromToken("users=read('O%5C'Brien')", Ok(r"users=read('O\'Brien')")),
    FromToken("orgs=read('%G1')", Err("at position 11: invalid percent escape")),
    FromToken("orgs=read('%4')", Err("at position 11: invalid percent escape")),
    FromToken("orgs=read('a%", Err("at position 12: invalid percent escape")),
    FromToken("orgs=read('%FF')", Err("at position 11: percent-decoded token is not valid UTF-8")),
    FromToken("orgs=read('a b')", Err("at position 12: character U+0020 (space) is not allowed in a scope token")),
    FromToken("orgs=read('é')", Err("at position 11: character U+00E9 is not allowed in a scope token")),
    FromToken("orgs=read(\"a\")", Err("at position 10: character U+0022 (double quote) is not allowed in a scope token")),
    FromToken("", Err("at position 0: empty permission")),
    FromToken("orgs=read('')", Err("at position 10: empty value")),
    // --- qualified ---
    Qualified("users=edit", "acme", "acme:users=edit"),
    Qualified("*:users=read", "acme", "*:users=read"),
    Qualified("beta:users=read", "acme", "beta:users=read"),
    // --- org scopes for acme:users=<action> ---
    Scope(&["acme:users=read('./*')"], SALES, "read", "/acme/Sales", In),
    Scope(&["acme:users=read('./*')"], SALES, "read", "/acme/Sales/EMEA", In),
    Scope(&["acme:users=read('./*')"], SALES, "read", "/acme/SalesX", Out),
    Scope(&["acme:users=read('./*')"], SALES, "read", "/acme", Out),
    Scope(&["acme:users=read('./*')"], SALES, "read", "/acme/HR", Out),
    Scope(&["acme:users=read('./*')"], ROOT, "read", "/acme/HR", All),
    Scope(&["acme:users=read('./*')"], INTEGRATION, "read", "/acme/HR", All),
    Scope(&[r#"acme:users=read("./")"#], SALES, "read", "/acme/Sales", In),
    Scope(&[r#"acme:users=read("./")"#], SALES, "read", "/acme/Sales/EMEA", Out),
    Scope(&["acme:users=read('./')"], ROOT, "read", "/acme", In),
    Scope(&["acme:users=read('./')"], ROOT, "read", "/acme/Sales", Out),
    Scope(&["acme:users=read('./')"], INTEGRATION, "read", "/acme/Sales", All),
    Scope(&["acme:users=read('./*')"], Some(&["/acme/Sales", "/acme/HR"]), "read", "/acme/HR/Payroll", In),
    Scope(&["acme:users=read('./*')"], Some(&["/acme/Sales", "/acme/HR"]), "read", "/acme/Ops", Out),
    Scope(&["acme:users=read('/acme/Sales/*')"], Some(&["/acme/HR"]), "read", "/acme/Sales", In),
    Scope(&["acme:users=read('/acme/Sales/*')"], Some(&["/acme/HR"]), "read", "/acme/Sales/EMEA/Paris", In),
    Scope(&["acme:users=read('/acme/Sales/*')"], Some(&["/acme/HR"]), "read", "/acme/SalesX", Out),
    Scope(&["acme:users=read('/acme/Sales/*')"], Some(&["/acme/HR"]), "read", "/acme/HR", Out),
    Scope(&["acme:users=read('/acme/Sales')"], SALES, "read", "/acme/Sales", In),
    Scope(&["acme:users=read('/acme/Sales')"], SALES, "read", "/acme/Sales/EMEA", Out),
    Scope(&["acme:users=read('/acme/Sales/')"], SALES, "read", "/acme/Sales", In),
    Scope(&["acme:users=read('/acme/Sales')"], INTEGRATION, "read", "/acme/HR", Out),
    Scope(&["acme:users=read('/acme/*')"], SALES, "read", "/acme/HR", All),
    Scope(&["acme:users=read('./')", "acme:users=read('/acme/HR/*')"], SALES, "read", "/acme/HR/Payroll", In),
    Scope(&["acme:users=read('./')", "acme:users=read('/acme/HR/*')"], SALES, "read", "/acme/Sales", In),
    Scope(&["acme:users=read('./')", "acme:users=read('/acme/HR/*')"], SALES, "read", "/acme/Ops", Out),
    Scope(&["acme:users=edit"], SALES, "edit", "/acme/HR", All),
    Scope(&["acme:users=read('*')"], SALES, "read", "/acme/HR", All),
    Scope(&["acme:users=*"], SALES, "edit", "/acme/HR", All),
    Scope(&["*:users=read"], SALES, "read", "/acme/HR", All),
    Scope(&["acme:*=*"], SALES, "read", "/acme/HR", All),
    Scope(&["acme:users=read('./')", "acme:users=read"], SALES, "read", "/acme/HR", All),
    Scope(&["acme:orgs=read"], SALES, "read", "/acme/Sales", Denied),
    Scope(&["acme:users=read"], SALES, "edit", "/acme/Sales", Denied),
    Scope(&["beta:users=read"], SALES, "read", "/acme/Sales", Denied),
    Scope(&["acme:users=read('Report 1')"], SALES, "read", "/acme/Sales", Denied),
    Scope(&[], INTEGRATION, "read", "/acme", Denied),
    // --- value filters for acme:<feature>=<action> ---
    Values(&["acme:permsets=read('PermSet1','PermSet2')"], "permsets", "read", Some(Some(&["PermSet1", "PermSet2"]))),
    Values(&["acme:permsets=read('PermSet2')", "*:permsets=read('A','PermSet2')"], "permsets", "read", Some(Some(&["A", "PermSet2"]))),
    Values(&["acme:permsets=read('A')", "acme:permsets=read('*')"], "permsets", "read", Some(None)),
    Values(&["acme:permsets=install"], "permsets", "read", None),
    Values(&["acme:permsets=install"], "permsets", "install", Some(None)),
    Values(&["*:*=*"], "permsets", "read", Some(None)),
    Values(&["beta:permsets=read('A')"], "permsets", "read", None),
];

fn p(s: &str) -> Permission {
    parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn check(case: &Case) {
    match *case {
        Parse(input, display) => {
            let parsed = p(input);
            assert_eq!(parsed.to_string(), display, "display of {input:?}");
            assert_eq!(p(display), parsed, "reparse of {display:?}");
        }
        Fail(input, error) => match parse(input) {
            Ok(parsed) => panic!("{input:?} parsed as {parsed}, expected {error:?}"),
            Err(e) => assert_eq!(e.to_string(), error, "error for {input:?}"),
        },
        Covers(held, required, expected) => {
            let (held, required) = (p(held), p(required));
            assert_eq!(held.covers(&required), expected, "{held} covers {required}");
            assert_eq!(allows(std::slice::from_ref(&held), &required), expected);
        }
        Token(input, token) => {
            assert_eq!(p(input).to_scope_token(), token, "token of {input:?}");
            assert_eq!(Permission::from_scope_token(token), Ok(p(input)));
        }
        FromToken(token, expected) => {
            let got = Permission::from_scope_token(token);
            let got = got
                .as_ref()
                .map(ToString::to_string)
                .map_err(ToString::to_string);
            let expected = expected.map(str::to_owned).map_err(str::to_owned);
            assert_eq!(got, expected, "from_scope_token({token:?})");
        }
        Qualified(input, instance, display) => {
            assert_eq!(p(input).qualified(instance).to_string(), display);
        }
        Scope(held, positions, action, node, expected) => {
            let held: Vec<Permission> = held.iter().map(|s| p(s)).collect();
            let owned: Vec<String> = positions
                .unwrap_or(&[])
                .iter()
                .map(|s| s.to_string())
                .collect();
            let caller = match positions {
                Some(_) => Caller::User { positions: &owned },
                None => Caller::Integration,
            };
            let got = match org_scope(&held, "acme", "users", action, &caller) {
                None => Denied,
                Some(scope) if scope.is_everything() => {
                    assert!(scope.contains(node));
                    All
                }
                Some(scope) if scope.contains(node) => In,
                Some(_) => Out,
            };
            assert_eq!(got, expected, "{held:?} {caller:?} users={action} {node}");
        }
        Values(held, feature, action, expected) => {
            let held: Vec<Permission> = held.iter().map(|s| p(s)).collect();
            let expected = expected.map(|only| match only {
                None => ValueFilter::Any,
                Some(values) => ValueFilter::Only(
                    values
                        .iter()
                        .map(|v| v.to_string())
                        .collect::<BTreeSet<_>>(),
                ),
            });
            assert_eq!(
                value_filter(&held, "acme", feature, action),
                expected,
                "{held:?} {feature}={action}"
            );
        }
    }
}

#[test]
fn table() {
    assert!(CASES.len() >= 80, "only {} cases", CASES.len());
    for case in CASES {
        check(case);
    }
}

#[test]
fn table_has_every_required_example() {
    let required = [
        "*=*",
        "orgs=read",
        "admin=view",
        "users=read('./*')",
        r#"users=read("./")"#,
        "users=edit",
        "users=*",
        "permsets=read('*')",
        "permsets=read('PermSet1','PermSet2')",
        "permsets=install",
        "reports=read('Report 1')",
        "demo.typescript=read",
        "workflow=role('Invoice Payers')",
        "acme:users=edit",
        "*:users=read",
    ];
    for example in required {
        assert!(
            CASES
                .iter()
                .any(|c| matches!(c, Parse(input, _) if *input == example)),
            "missing parse case for {example:?}"
        );
    }
}

#[test]
fn scopes_tree_of_two_sets_and_a_global_set() {
    let set_one = ["users=read('./*')", "orgs=read"];
    let set_two = ["users=edit", "reports=read('Report 1')"];
    let global = ["*:permsets=read('A','B')"];
    let held: Vec<Permission> = set_one
        .iter()
        .chain(&set_two)
        .chain(&global)
        .map(|s| p(s).qualified("acme"))
        .collect();
    assert_eq!(
        scopes_tree(&held).to_json(),
        concat!(
            r#"{"*":{"permsets":{"read":["A","B"]}},"#,
            r#""acme":{"orgs":{"read":{}},"reports":{"read":["Report 1"]},"#,
            r#""users":{"edit":{},"read":["./*"]}}}"#
        )
    );
}
