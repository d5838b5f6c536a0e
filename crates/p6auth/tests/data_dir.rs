//! The embedded deployment's data directory: the master key next to the database.
//! (PostgreSQL deployments name a shared master key file; see store_copy.rs.)

mod support;

use support::*;

fn fails(dir: &std::path::Path, args: &[&str], code: i32, message: &str) {
    let out = cli(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    assert!(
        stderr.contains(message),
        "{args:?}: expected {message:?} in {stderr:?}"
    );
}

#[test]
fn a_missing_or_foreign_master_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let c = seed(dir.path());
    // the server creates the signing key, sealed with this data directory's master key
    drop(Server::start(dir.path(), &[]));
    let key = dir.path().join("master.key");
    let original = std::fs::read(&key).unwrap();
    std::fs::remove_file(&key).unwrap();
    let create = [
        "integration",
        "create",
        "--name",
        "X",
        "--redirect-uri",
        "https://x.example/cb",
    ];
    fails(
        dir.path(),
        &create,
        1,
        "master.key is missing but the database holds signing keys",
    );
    assert!(!key.exists(), "no new key may be generated");
    // reading needs no master key
    cli_ok(dir.path(), &["integration", "show", &c.id]);
    std::fs::write(&key, [7u8; 32]).unwrap();
    fails(
        dir.path(),
        &create,
        1,
        "is master.key the one this database was created with?",
    );
    fails(
        dir.path(),
        &["integration", "rotate-secret", &c.id],
        1,
        "is master.key the one this database was created with?",
    );
    std::fs::write(&key, original).unwrap();
    cli_ok(dir.path(), &create);
}

#[test]
fn reads_and_backups_of_a_missing_store_and_overwriting_master_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo");
    fails(
        &missing,
        &["backup", "--to", dir.path().join("b.db").to_str().unwrap()],
        3,
        "no p6auth database at",
    );
    for read in [
        &["instance", "list"][..],
        &["integration", "list"],
        &["integration", "show", "some-id"],
        &["user", "list"],
        &["org", "tree", "acme"],
        &["audit"],
        &["keys", "list"],
    ] {
        fails(&missing, read, 3, "no p6auth database at");
    }
    assert!(
        !missing.exists(),
        "nothing is created for a mistyped data directory"
    );
    let key = dir.path().join("shared.key");
    let out = std::process::Command::new(BIN)
        .args(["master-key", "new", "--to"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success());
    let again = std::process::Command::new(BIN)
        .args(["master-key", "new", "--to"])
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}
