//! `p6auth import`: a whole directory from one JSON file, validated first, written as
//! differences, so a second run changes nothing and a changed file changes only what changed.

mod support;

use serde_json::{Value, json};
use support::*;

fn directory() -> Value {
    json!({
        "instances": [{"name": "acme", "display_name": "Acme Corp"}, {"name": "beta"}],
        "org_nodes": [
            {"path": "/acme/Sales/EMEA", "properties": {"region": "eu"}},
            {"path": "/acme/Sales", "description": "Everyone who sells"},
            {"path": "/acme/HR"},
            {"path": "/beta/Ops"}
        ],
        "permission_sets": [
            {"instance": "acme", "name": "Staff", "permissions": ["users=read('./*')", "orgs=read"]},
            {"instance": "*", "name": "Auditor", "permissions": ["*:audit=read"], "enabled": false}
        ],
        "users": [
            {"email": "Ann@Example.test", "first_name": "Ann", "last_name": "Lee",
             "access": [{"instance": "acme", "permission_sets": ["Staff", "Auditor"],
                         "positions": ["/acme/Sales/EMEA"]},
                        {"instance": "beta", "permission_sets": ["Instance Admin"]}]},
            {"email": "bob@example.test", "last_name": "Bauer", "preferred_language": "de",
             "properties": {"employee_no": "42"},
             "access": [{"instance": "acme", "positions": ["/acme/HR", "/acme/Sales"]}]},
            {"email": "carol@example.test"}
        ]
    })
}

fn write(dir: &std::path::Path, name: &str, v: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(v).unwrap()).unwrap();
    path.to_str().unwrap().to_string()
}

fn import(dir: &std::path::Path, file: &str) -> Value {
    let out = cli_ok(dir, &["import", file, "--json"]);
    serde_json::from_str(&out).unwrap()
}

fn audit_len(dir: &std::path::Path) -> usize {
    let v: Value =
        serde_json::from_str(&cli_ok(dir, &["audit", "--json", "--limit", "100000"])).unwrap();
    v.as_array().unwrap().len()
}

fn user(dir: &std::path::Path, email: &str) -> Value {
    serde_json::from_str(&cli_ok(dir, &["user", "show", email, "--json"])).unwrap()
}

#[test]
fn importing_twice_changes_nothing_and_a_changed_file_changes_only_that() {
    let dir = TestDir::new();
    let d = dir.path();
    let files = tempfile::tempdir().unwrap();
    let mut doc = directory();
    let file = write(files.path(), "directory.json", &doc);

    let first = import(d, &file);
    assert_eq!(first["summary"]["instances_created"], 2);
    assert_eq!(first["summary"]["org_nodes_created"], 4);
    assert_eq!(first["summary"]["permission_sets_created"], 2);
    assert_eq!(first["summary"]["users_created"], 3);
    assert_eq!(first["summary"]["user_access_set"], 3);
    let ann = user(d, "ann@example.test");
    assert_eq!(ann["access"][0]["instance"], "acme");
    let sets: Vec<&str> = ann["access"][0]["permission_sets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(sets, ["Auditor", "Staff"]);
    assert_eq!(ann["access"][0]["positions"], json!(["/acme/Sales/EMEA"]));
    assert_eq!(
        ann["access"][1]["permission_sets"][0]["name"],
        "Instance Admin"
    );
    let bob = user(d, "bob@example.test");
    assert_eq!(bob["preferred_language"], "de");
    assert_eq!(bob["properties"]["employee_no"], "42");
    assert_eq!(
        bob["access"][0]["positions"],
        json!(["/acme/HR", "/acme/Sales"])
    );
    assert_eq!(user(d, "carol@example.test")["access"], json!([]));
    let sets: Value =
        serde_json::from_str(&cli_ok(d, &["permission-set", "list", "--json"])).unwrap();
    let auditor = sets
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Auditor")
        .unwrap();
    assert_eq!(auditor["enabled"], false);

    let audit_before = audit_len(d);
    let second = import(d, &file);
    assert_eq!(second["changes"], 0, "{second}");
    assert_eq!(
        audit_len(d),
        audit_before,
        "the second run wrote to the audit log"
    );
    assert!(cli_ok(d, &["import", &file]).contains(": 0 changes"));

    // one profile and one position change: exactly two changes
    doc["users"][1]["last_name"] = json!("Baur");
    doc["users"][0]["access"][0]["positions"] = json!(["/acme/HR"]);
    let changed = write(files.path(), "changed.json", &doc);
    let third = import(d, &changed);
    assert_eq!(third["changes"], 2, "{third}");
    assert_eq!(third["summary"]["users_updated"], 1);
    assert_eq!(third["summary"]["user_access_set"], 1);
    assert_eq!(audit_len(d), audit_before + 2);
    assert_eq!(user(d, "bob@example.test")["last_name"], "Baur");
    let ann = user(d, "ann@example.test");
    assert_eq!(ann["access"][0]["positions"], json!(["/acme/HR"]));
    assert_eq!(
        ann["access"][0]["permission_sets"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(import(d, &changed)["changes"], 0);
}

#[test]
fn a_bad_file_is_reported_with_json_paths_and_nothing_is_written() {
    let dir = TestDir::new();
    let d = dir.path();
    let files = tempfile::tempdir().unwrap();
    let mut doc = directory();
    doc["users"][2]["email"] = json!("not an email");
    doc["users"][0]["access"][0]["positions"] = json!(["/acme/Nowhere"]);
    doc["users"][1]["access"][0]["permission_sets"] = json!(["Missing"]);
    doc["permission_sets"][0]["permissions"] = json!(["users=read('./"]);
    doc["org_nodes"][2]["path"] = json!("/gamma/HR");
    // a set name is global or local, never both
    let sets = doc["permission_sets"].as_array_mut().unwrap();
    sets.push(json!({"instance": "beta", "name": "Instance Admin", "permissions": ["orgs=read"]}));
    let file = write(files.path(), "bad.json", &doc);
    let out = cli(d, &["import", &file]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for expected in [
        "users[2].email: not an email address",
        "users[0].access[0].positions[0]: no org node /acme/Nowhere in instance acme",
        "users[1].access[0].permission_sets[0]: no permission set Missing",
        "permission_sets[0]: invalid permission",
        "org_nodes[2].path: /gamma/HR: no such instance",
        "permission_sets[2].name: a global permission set named Instance Admin exists; a set of instance beta cannot have the same name",
        "nothing written",
    ] {
        assert!(stderr.contains(expected), "{expected:?} not in {stderr}");
    }
    assert_eq!(cli_ok(d, &["instance", "list", "--json"]).trim(), "[]");
    assert_eq!(audit_len(d), 0);

    // shape errors name their path too
    let file = write(
        files.path(),
        "shape.json",
        &json!({"users": [{"email": "a@b.c"}, {"email": "d@e.f", "enabled": "yes"}]}),
    );
    let out = cli(d, &["import", &file]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("users[1].enabled: invalid type"),
        "{stderr}"
    );
    let file = write(files.path(), "typo.json", &json!({"user": []}));
    let out = cli(d, &["import", &file]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field `user`"));
}
