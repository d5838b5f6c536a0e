//! The administrative CLI: output formats, and bad arguments with clear messages and exit codes.

mod support;

use serde_json::Value;
use support::*;

fn fails(dir: &std::path::Path, args: &[&str], code: i32, message: &str) {
    let out = cli(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    assert!(
        stderr.contains(message),
        "{args:?}: expected {message:?} in {stderr:?}"
    );
    assert!(
        out.stdout.is_empty(),
        "{args:?} printed to stdout on failure"
    );
}

#[test]
fn create_list_show_and_json_output() {
    let dir = TestDir::new();
    let c = seed(dir.path());
    assert!(c.secret.starts_with("p6s_") && c.secret.len() == 47);
    assert_eq!(c.id.len(), 36);
    assert_eq!(c.redirect_uri, "https://erp.example/cb");

    let text = cli_ok(
        dir.path(),
        &[
            "integration",
            "create",
            "--name",
            "Batch",
            "--redirect-uri",
            "https://b.example/cb",
            "--policy",
            "acme/Integration",
        ],
    );
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("Application ID: "));
    assert!(lines[1].starts_with("App Secret:     p6s_"));
    assert_eq!(lines[2], "Redirect URI:   https://b.example/cb");

    let list: Value =
        serde_json::from_str(&cli_ok(dir.path(), &["integration", "list", "--json"])).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["application_id"], c.id.as_str());
    assert_eq!(list[0]["policies"][0]["permission_set"], "Integration");
    let table = cli_ok(dir.path(), &["integration", "list"]);
    assert!(table.contains(&c.id) && table.contains("ERP"));
    assert!(!table.contains(&c.secret), "list never shows secrets");

    let show = cli_ok(dir.path(), &["integration", "show", &c.id]);
    assert!(show.contains("Enabled:        yes"));
    assert!(show.contains("Policies:       acme/Integration"));
    assert!(show.contains("Secret 1:       active"));
    assert!(!show.contains(&c.secret));
    cli_ok(dir.path(), &["integration", "disable", &c.id]);
    assert!(cli_ok(dir.path(), &["integration", "show", &c.id]).contains("Enabled:        no"));

    let sets = cli_ok(dir.path(), &["permission-set", "list"]);
    assert!(sets.contains("orgs=read acme:users=read('./')"));
    assert!(cli_ok(dir.path(), &["instance", "list"]).contains("acme"));
}

#[test]
fn bad_arguments_fail_with_a_message_and_exit_code() {
    let dir = TestDir::new();
    seed(dir.path());
    fails(
        dir.path(),
        &["instance", "create", "bad name"],
        2,
        "an instance name may hold only",
    );
    fails(
        dir.path(),
        &["instance", "create", "acme"],
        4,
        "instance acme already exists",
    );
    fails(
        dir.path(),
        &[
            "permission-set",
            "create",
            "--instance",
            "acme",
            "--name",
            "X",
            "--permission",
            "users=read('./",
        ],
        2,
        "invalid permission \"users=read('./\": at position 11",
    );
    fails(
        dir.path(),
        &[
            "permission-set",
            "create",
            "--instance",
            "nowhere",
            "--name",
            "X",
            "--permission",
            "a=b",
        ],
        3,
        "instance nowhere not found",
    );
    fails(
        dir.path(),
        &[
            "permission-set",
            "create",
            "--instance",
            "acme",
            "--name",
            "X",
        ],
        2,
        "--permission",
    );
    fails(
        dir.path(),
        &[
            "integration",
            "create",
            "--name",
            "X",
            "--redirect-uri",
            "nope",
            "--policy",
            "acme/Integration",
        ],
        2,
        "the redirect URI must start with https:// or http://",
    );
    fails(
        dir.path(),
        &[
            "integration",
            "create",
            "--name",
            "X",
            "--redirect-uri",
            "https://x/cb",
            "--policy",
            "acme",
        ],
        2,
        "a policy is INSTANCE/PERMISSION_SET",
    );
    fails(
        dir.path(),
        &[
            "integration",
            "create",
            "--name",
            "X",
            "--redirect-uri",
            "https://x/cb",
            "--policy",
            "acme/Missing",
        ],
        3,
        "permission set Missing in instance acme not found",
    );
    fails(
        dir.path(),
        &[
            "integration",
            "create",
            "--name",
            "X",
            "--redirect-uri",
            "https://x/cb",
            "--policy",
            "ghost/Integration",
        ],
        3,
        "instance ghost not found",
    );
    fails(
        dir.path(),
        &[
            "integration",
            "create",
            "--name",
            " ",
            "--redirect-uri",
            "https://x/cb",
        ],
        2,
        "an integration name must be",
    );
    for verb in ["show", "enable", "disable", "delete"] {
        fails(
            dir.path(),
            &["integration", verb, "nope"],
            3,
            "integration nope not found",
        );
    }
    fails(
        dir.path(),
        &["integration", "frobnicate"],
        2,
        "unrecognized subcommand",
    );
    fails(
        dir.path(),
        &[
            "permission-set",
            "create",
            "--instance",
            "acme",
            "--name",
            "Y",
            "--permission",
            "globex:orgs=write",
        ],
        2,
        "a permission set of instance acme cannot grant in instance globex",
    );
    fails(
        dir.path(),
        &[
            "instance",
            "create",
            "evil",
            "--display-name",
            "Evil\n\u{1b}[31mRED",
        ],
        2,
        "a display name must not contain control characters",
    );
    fails(
        dir.path(),
        &[
            "integration",
            "create",
            "--name",
            "X",
            "--redirect-uri",
            "https://u:p@x.example/cb",
        ],
        2,
        "must not contain user information",
    );
    fails(
        dir.path(),
        &["integration", "set-policies", "some-id"],
        2,
        "--policy",
    );
    // a failed create leaves nothing behind
    let list: Value =
        serde_json::from_str(&cli_ok(dir.path(), &["integration", "list", "--json"])).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
}

/// Sets are named by their name alone (the instance's, else the global one), so a local set must
/// not take a global set's name, nor a global set a local one's, by creation or by renaming.
#[test]
fn a_set_name_is_either_global_or_local() {
    let dir = TestDir::new();
    seed(dir.path());
    let create = |instance: &'static str, name: &'static str| {
        [
            "permission-set",
            "create",
            "--instance",
            instance,
            "--name",
            name,
            "--permission",
            "orgs=read",
        ]
    };
    fails(
        dir.path(),
        &create("acme", "Instance Admin"),
        4,
        "a global permission set named Instance Admin exists; a set of instance acme cannot have the same name",
    );
    fails(
        dir.path(),
        &create("*", "Integration"),
        4,
        "instance acme has a permission set named Integration; a global set cannot have the same name",
    );
    cli_ok(dir.path(), &create("acme", "Readers"));
    fails(
        dir.path(),
        &[
            "permission-set",
            "update",
            "--instance",
            "acme",
            "--name",
            "Readers",
            "--new-name",
            "Instance Admin",
        ],
        4,
        "a global permission set named Instance Admin exists",
    );
    let rename = |new_name: &'static str| {
        [
            "permission-set",
            "update",
            "--instance",
            "acme",
            "--name",
            "Readers",
            "--new-name",
            new_name,
        ]
    };
    // names differing only in case clash too
    fails(
        dir.path(),
        &rename("instance ADMIN"),
        4,
        "a global permission set named instance ADMIN exists",
    );
    // a look-alike space, `*`, `/`, control characters and padding are refused
    for (bad, why) in [
        ("Instance\u{a0}Admin", "whitespace other than spaces"),
        ("Instance\tAdmin", "control characters"),
        ("*", "cannot be *"),
        ("a/b", "must not contain /"),
        (" Readers2", "start or end with a space"),
        ("Readers2 ", "start or end with a space"),
    ] {
        fails(dir.path(), &rename(bad), 2, why);
        fails(dir.path(), &create("acme", bad), 2, why);
    }
    // a set keeps its own name, and two instances may each have a set of the same name
    cli_ok(
        dir.path(),
        &[
            "permission-set",
            "update",
            "--instance",
            "acme",
            "--name",
            "Readers",
            "--description",
            "read the tree",
        ],
    );
    cli_ok(dir.path(), &["instance", "create", "globex"]);
    cli_ok(dir.path(), &create("globex", "Readers"));
    let list: Value =
        serde_json::from_str(&cli_ok(dir.path(), &["permission-set", "list", "--json"])).unwrap();
    let mut names: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{}/{}",
                s["instance"].as_str().unwrap(),
                s["name"].as_str().unwrap()
            )
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "*/Instance Admin",
            "acme/Integration",
            "acme/Readers",
            "globex/Readers"
        ]
    );
}

#[test]
fn a_policy_must_grant_something_in_its_instance() {
    let dir = TestDir::new();
    let erp = seed(dir.path()); // acme, set Integration
    let d = dir.path();
    cli_ok(
        d,
        &[
            "permission-set",
            "create",
            "--instance",
            "*",
            "--name",
            "Auditor",
            "--permission",
            "*:audit=read",
        ],
    );
    let message = "permission set Auditor grants nothing in instance acme: its permissions name other instances; give it as the policy */Auditor instead";
    let create = [
        "integration",
        "create",
        "--name",
        "Audit",
        "--redirect-uri",
        "https://audit.example/cb",
        "--policy",
    ];
    fails(d, &[&create[..], &["acme/Auditor"]].concat(), 2, message);
    fails(
        d,
        &[
            "integration",
            "set-policies",
            &erp.id,
            "--policy",
            "acme/Auditor",
        ],
        2,
        message,
    );
    // the same set as a policy for every instance grants it
    let made = cli_ok(d, &[&create[..], &["*/Auditor", "--json"]].concat());
    let made: serde_json::Value = serde_json::from_str(&made).unwrap();
    let id = made["application_id"].as_str().unwrap();
    let shown: serde_json::Value =
        serde_json::from_str(&cli_ok(d, &["integration", "show", id, "--json"])).unwrap();
    assert_eq!(
        shown["policies"],
        serde_json::json!([{"instance": "*", "permission_set": "Auditor"}])
    );
    // nothing was created or changed by the refusals
    let list: serde_json::Value =
        serde_json::from_str(&cli_ok(d, &["integration", "list", "--json"])).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    let erp_now: serde_json::Value =
        serde_json::from_str(&cli_ok(d, &["integration", "show", &erp.id, "--json"])).unwrap();
    assert_eq!(
        erp_now["policies"],
        serde_json::json!([{"instance": "acme", "permission_set": "Integration"}])
    );
}
