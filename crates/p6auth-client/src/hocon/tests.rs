use super::*;

fn no_env(_: &str) -> Option<String> {
    None
}

fn get(text: &str, path: &str) -> Option<String> {
    Document::parse(text)
        .unwrap_or_else(|e| panic!("{e}\n{text}"))
        .get_string(path, &no_env)
        .unwrap()
}

fn syntax_error(text: &str) -> String {
    Document::parse(text).unwrap_err().to_string()
}

/// The snippet of the issue, byte for byte.
const ISSUE_SNIPPET: &str = r#"p6auth {
    client {
      id: "73705350-8de1-11e9-b4f3-5303f388dd00"
      secret: "74686ef0-8de1-11e9-b4f3-5303f388dd00"
    }
}
"#;

#[test]
fn the_issue_snippet_parses_as_written() {
    assert_eq!(
        get(ISSUE_SNIPPET, "p6auth.client.id").as_deref(),
        Some("73705350-8de1-11e9-b4f3-5303f388dd00")
    );
    assert_eq!(
        get(ISSUE_SNIPPET, "p6auth.client.secret").as_deref(),
        Some("74686ef0-8de1-11e9-b4f3-5303f388dd00")
    );
    assert_eq!(get(ISSUE_SNIPPET, "p6auth.url"), None);
}

#[test]
fn separators_nesting_and_dotted_keys() {
    let text = r#"
        a.b.c = 1
        a { b { d: "two" }, e = three }
        f: true, g: null
        h {
          i = 4.5
        }
    "#;
    assert_eq!(get(text, "a.b.c").as_deref(), Some("1"));
    assert_eq!(get(text, "a.b.d").as_deref(), Some("two"));
    assert_eq!(get(text, "a.e").as_deref(), Some("three"));
    assert_eq!(get(text, "f").as_deref(), Some("true"));
    assert_eq!(get(text, "g").as_deref(), Some("null"));
    assert_eq!(get(text, "h.i").as_deref(), Some("4.5"));
    assert_eq!(get(text, "a.x"), None);
    assert_eq!(get(text, "z"), None);
}

#[test]
fn a_root_in_braces() {
    assert_eq!(get("{ a: 1 }", "a").as_deref(), Some("1"));
    assert_eq!(get("{\n a { b: 2 }\n}\n", "a.b").as_deref(), Some("2"));
}

#[test]
fn comments_of_both_kinds() {
    let text =
        "# top\n// also\na: 1 # trailing\nb: \"x#y//z\" // trailing\nc { # open\n d: 2 // x\n}\n";
    assert_eq!(get(text, "a").as_deref(), Some("1"));
    assert_eq!(get(text, "b").as_deref(), Some("x#y//z"));
    assert_eq!(get(text, "c.d").as_deref(), Some("2"));
}

#[test]
fn strings_quoted_unquoted_and_concatenated() {
    let text = r#"
        a: "tab\there \"q\" \u00e9"
        b: foo bar   baz
        c: """raw "quotes" \n
two lines"""
        "quoted.key" { x: 1 }
        d: "http://"${host}":8080"
        host: example.com
    "#;
    assert_eq!(get(text, "a").as_deref(), Some("tab\there \"q\" é"));
    assert_eq!(get(text, "b").as_deref(), Some("foo bar   baz"));
    assert_eq!(
        get(text, "c").as_deref(),
        Some("raw \"quotes\" \\n\ntwo lines")
    );
    assert_eq!(get(text, "d").as_deref(), Some("http://example.com:8080"));
    // a quoted key segment keeps its dot, so "quoted.key".x is not quoted.key.x
    assert_eq!(get(text, "quoted.key.x"), None);
}

#[test]
fn later_values_win_and_objects_merge() {
    let text = "a { x: 1, y: 2 }\na { y: 3 }\nb: 1\nb: 2\nc { x: 1 }\nc: flat\n";
    assert_eq!(get(text, "a.x").as_deref(), Some("1"));
    assert_eq!(get(text, "a.y").as_deref(), Some("3"));
    assert_eq!(get(text, "b").as_deref(), Some("2"));
    assert_eq!(get(text, "c.x"), None);
    assert_eq!(get(text, "c").as_deref(), Some("flat"));
}

#[test]
fn substitutions_from_the_file_and_the_environment() {
    let text = r#"
        secret: "default"
        secret: ${?APP_SECRET}
        id: ${ID}
        home: ${defaults.home}/x
        defaults.home = "/srv"
        opt: "a"${?MISSING}"b"
    "#;
    let doc = Document::parse(text).unwrap();
    let env = |name: &str| match name {
        "APP_SECRET" => Some("from-env".to_string()),
        "ID" => Some("42".to_string()),
        _ => None,
    };
    assert_eq!(
        doc.get_string("secret", &env).unwrap().as_deref(),
        Some("from-env")
    );
    assert_eq!(
        doc.get_string("secret", &no_env).unwrap().as_deref(),
        Some("default"),
        "an unset ${{?X}} keeps the earlier value"
    );
    assert_eq!(doc.get_string("id", &env).unwrap().as_deref(), Some("42"));
    assert_eq!(
        doc.get_string("home", &env).unwrap().as_deref(),
        Some("/srv/x")
    );
    assert_eq!(doc.get_string("opt", &env).unwrap().as_deref(), Some("ab"));
    let err = doc.get_string("id", &no_env).unwrap_err();
    assert_eq!(err.line, 4);
    assert!(err.message.contains("${ID} is not set"), "{err}");
}

#[test]
fn cycles_and_objects_in_substitutions_are_errors() {
    let doc = Document::parse("a: ${b}\nb: ${a}\nc: ${o}\no { x: 1 }\n").unwrap();
    assert!(
        doc.get_string("a", &no_env)
            .unwrap_err()
            .message
            .contains("refers to itself")
    );
    assert!(
        doc.get_string("c", &no_env)
            .unwrap_err()
            .message
            .contains("only text")
    );
    assert!(
        doc.get_string("o", &no_env)
            .unwrap_err()
            .message
            .contains("is an object")
    );
}

#[test]
fn arrays_and_includes_are_tolerated() {
    let text = r#"
        include "secrets.conf"
        include required(file("/etc/x.conf"))
        akka.loggers = ["a", "b",
          "c"]
        list += "x"
        p6auth.url = "https://auth"
    "#;
    let doc = Document::parse(text).unwrap();
    assert_eq!(doc.includes(), 2);
    assert_eq!(
        doc.get_string("p6auth.url", &no_env).unwrap().as_deref(),
        Some("https://auth")
    );
    assert!(doc.get_string("akka.loggers", &no_env).is_err());
    assert!(doc.contains("akka.loggers", &no_env).unwrap());
}

#[test]
fn a_play_style_file_parses() {
    let text = r#"
# This is the main configuration file for the application.
play.http.secret.key = "changeme"
play.http.secret.key = ${?APPLICATION_SECRET}
play.i18n.langs = [ "en", "de" ]
db.default {
  driver = org.postgresql.Driver
  url = "jdbc:postgresql://localhost/app"
  hikaricp.maximumPoolSize = 10
}
play.filters.hosts { allowed = ["."] }
p6auth {
    client {
      id: "73705350-8de1-11e9-b4f3-5303f388dd00"
      secret: "74686ef0-8de1-11e9-b4f3-5303f388dd00"
    }
    url = "https://auth.example.com"
}
"#;
    assert_eq!(
        get(text, "db.default.driver").as_deref(),
        Some("org.postgresql.Driver")
    );
    assert_eq!(
        get(text, "p6auth.url").as_deref(),
        Some("https://auth.example.com")
    );
    assert_eq!(
        get(text, "p6auth.client.id").as_deref(),
        Some("73705350-8de1-11e9-b4f3-5303f388dd00")
    );
}

#[test]
fn syntax_errors_say_where_and_why() {
    assert_eq!(
        syntax_error("a {\n b: 1\n"),
        "line 3, column 1: missing '}' before the end of the file"
    );
    assert_eq!(
        syntax_error("a: \"open\n"),
        "line 2, column 1: unterminated string"
    );
    assert_eq!(
        syntax_error("url: http://x\n"),
        "line 1, column 10: ':' is not allowed in an unquoted value; put the value in double quotes"
    );
    assert!(syntax_error("a 1\n").contains("expected ':', '=' or '{' after the key \"a\""));
    assert!(syntax_error("a: 1 }\n").contains("unexpected '}'"));
    assert!(syntax_error("a:\n").contains("missing value"));
    assert!(syntax_error("a: ${b\n").contains("missing '}' at the end of a substitution"));
    assert!(syntax_error("a: [1, 2\n").contains("missing ']'"));
    assert!(syntax_error("{ a: 1 } b").contains("after the end of the document"));
}

#[test]
fn never_panics_on_truncations_of_a_real_file() {
    let text = r#"p6auth { client { id: "x", secret: """y""" }, url = ${?U}"z" } # c
        a.b = [1, {c: "\u0041"}] // d"#;
    for end in 0..=text.len() {
        if text.is_char_boundary(end) {
            let _ = Document::parse(&text[..end]).map(|d| d.get_string("p6auth.url", &no_env));
        }
    }
}
