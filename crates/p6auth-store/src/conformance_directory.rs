//! Conformance of the directory: org trees, users, and the permission-set rules that involve
//! them. Runs after the other checks, on instances `acme` and `beta`; it leaves its nodes and
//! users behind for the snapshot check, and removes the sets it made.

use p6auth_core::org::{NewOrgNode, OrgNodeUpdate, Properties};
use p6auth_core::user::{UserProfile, UserQuery};

use crate::conformance::{bumps, set};
use p6auth_core::audit::{Actor, NewAuditEntry};

use crate::{AccessWrite, ProfileWrite, Store, StoreError, UserWrite};

pub(crate) async fn run(store: &dyn Store) {
    org_tree(store).await;
    users(store).await;
    bulk_users(store).await;
}

fn node(parent_id: i64, name: &str) -> NewOrgNode {
    NewOrgNode {
        parent_id,
        name: name.into(),
        description: format!("{name} dept"),
        properties: Properties::from([("cost-centre".to_string(), format!("cc-{name}"))]),
    }
}

async fn paths(store: &dyn Store, instance: &str) -> Vec<String> {
    store
        .list_org_nodes(instance)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.path)
        .collect()
}

async fn org_tree(store: &dyn Store) {
    // every instance has its root, named after it
    let root = store.find_org_node("/acme").await.unwrap();
    assert_eq!(
        (root.instance.as_str(), root.name.as_str(), root.parent_id),
        ("acme", "acme", None)
    );
    let sales = bumps(
        store,
        "create_org_node",
        store.create_org_node(node(root.id, "Sales"), 600),
    )
    .await
    .unwrap();
    assert_eq!(sales.path, "/acme/Sales");
    assert_eq!(sales.parent_id, Some(root.id));
    assert_eq!(sales.description, "Sales dept");
    assert_eq!(sales.properties["cost-centre"], "cc-Sales");
    assert_eq!(store.get_org_node(sales.id).await.unwrap(), sales);
    let emea = store
        .create_org_node(node(sales.id, "EMEA"), 601)
        .await
        .unwrap();
    store
        .create_org_node(node(emea.id, "Paris"), 602)
        .await
        .unwrap();
    let hr = store
        .create_org_node(node(root.id, "HR"), 603)
        .await
        .unwrap();
    // names are unique among siblings only
    assert_eq!(
        store
            .create_org_node(node(root.id, "Sales"), 604)
            .await
            .unwrap_err(),
        StoreError::Conflict("org node /acme/Sales already exists".into())
    );
    store
        .create_org_node(node(hr.id, "EMEA"), 605)
        .await
        .unwrap();
    assert_eq!(
        store
            .create_org_node(node(9999, "X"), 606)
            .await
            .unwrap_err(),
        StoreError::NotFound("org node 9999".into())
    );
    assert_eq!(
        paths(store, "acme").await,
        vec![
            "/acme",
            "/acme/HR",
            "/acme/HR/EMEA",
            "/acme/Sales",
            "/acme/Sales/EMEA",
            "/acme/Sales/EMEA/Paris"
        ]
    );
    assert_eq!(paths(store, "beta").await, vec!["/beta"]);
    assert_eq!(
        store.list_org_nodes("nope").await.unwrap_err(),
        StoreError::NotFound("instance nope".into())
    );

    // renaming carries the branch along
    let renamed = bumps(
        store,
        "update_org_node",
        store.update_org_node(
            emea.id,
            OrgNodeUpdate {
                name: Some("Europe".into()),
                description: Some("Europe and Africa".into()),
                ..OrgNodeUpdate::default()
            },
            610,
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        (
            renamed.path.as_str(),
            renamed.description.as_str(),
            renamed.updated_at
        ),
        ("/acme/Sales/Europe", "Europe and Africa", 610)
    );
    assert_eq!(renamed.properties, emea.properties, "untouched fields stay");
    assert!(
        store
            .find_org_node("/acme/Sales/Europe/Paris")
            .await
            .is_ok()
    );
    // moving too; a move into a sibling's name, below itself or to another tree is refused
    let moved = store
        .update_org_node(
            emea.id,
            OrgNodeUpdate {
                parent_id: Some(hr.id),
                name: Some("EMEA".into()),
                ..OrgNodeUpdate::default()
            },
            611,
        )
        .await
        .unwrap_err();
    assert_eq!(
        moved,
        StoreError::Conflict("org node /acme/HR/EMEA already exists".into())
    );
    let moved = store
        .update_org_node(
            emea.id,
            OrgNodeUpdate {
                parent_id: Some(hr.id),
                ..OrgNodeUpdate::default()
            },
            612,
        )
        .await
        .unwrap();
    assert_eq!(moved.path, "/acme/HR/Europe");
    assert_eq!(moved.parent_id, Some(hr.id));
    let paris = store.find_org_node("/acme/HR/Europe/Paris").await.unwrap();
    assert_eq!(
        store
            .update_org_node(
                emea.id,
                OrgNodeUpdate {
                    parent_id: Some(paris.id),
                    ..OrgNodeUpdate::default()
                },
                613
            )
            .await
            .unwrap_err(),
        StoreError::Invalid(
            "cannot move /acme/HR/Europe below itself (/acme/HR/Europe/Paris)".into()
        )
    );
    let beta_root = store.find_org_node("/beta").await.unwrap();
    assert!(matches!(
        store
            .update_org_node(
                emea.id,
                OrgNodeUpdate {
                    parent_id: Some(beta_root.id),
                    ..OrgNodeUpdate::default()
                },
                613
            )
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(
        store
            .update_org_node(
                root.id,
                OrgNodeUpdate {
                    name: Some("other".into()),
                    ..OrgNodeUpdate::default()
                },
                613
            )
            .await
            .unwrap_err(),
        StoreError::Invalid(
            "/acme is the root of instance acme: it cannot be renamed or moved".into()
        )
    );
    // the root's description may change
    store
        .update_org_node(
            root.id,
            OrgNodeUpdate {
                description: Some("Acme".into()),
                ..OrgNodeUpdate::default()
            },
            613,
        )
        .await
        .unwrap();
    // move Europe back below Sales for the user checks
    store
        .update_org_node(
            emea.id,
            OrgNodeUpdate {
                parent_id: Some(sales.id),
                name: Some("EMEA".into()),
                ..OrgNodeUpdate::default()
            },
            614,
        )
        .await
        .unwrap();

    // deleting: the root never; a node with children only with cascade
    assert_eq!(
        store.delete_org_node(root.id, true).await.unwrap_err(),
        StoreError::Invalid("/acme is the root of instance acme: it cannot be deleted".into())
    );
    assert_eq!(
        store.delete_org_node(hr.id, false).await.unwrap_err(),
        StoreError::Conflict(
            "org node /acme/HR has 1 nodes and 0 users below it; move or delete them first, or cascade".into()
        )
    );
    bumps(store, "delete_org_node", store.delete_org_node(hr.id, true))
        .await
        .unwrap();
    assert_eq!(
        paths(store, "acme").await,
        vec![
            "/acme",
            "/acme/Sales",
            "/acme/Sales/EMEA",
            "/acme/Sales/EMEA/Paris"
        ]
    );
}

fn profile(first: &str, last: &str) -> UserProfile {
    UserProfile {
        first_name: first.into(),
        last_name: last.into(),
        enabled: true,
        preferred_language: "en".into(),
        properties: Properties::from([("employee-no".to_string(), "7".to_string())]),
    }
}

fn emails(users: &[p6auth_core::user::User]) -> Vec<&str> {
    users.iter().map(|u| u.email.as_str()).collect()
}

async fn users(store: &dyn Store) {
    let ann = bumps(
        store,
        "create_user",
        store.create_user("ann@acme.test", profile("Ann", "Smith"), 700),
    )
    .await
    .unwrap();
    assert_eq!(
        (
            ann.first_name.as_str(),
            ann.last_name.as_str(),
            ann.enabled,
            ann.created_at
        ),
        ("Ann", "Smith", true, 700)
    );
    assert_eq!(ann.access, vec![]);
    assert_eq!(
        store
            .create_user("ann@acme.test", profile("A", "S"), 701)
            .await
            .unwrap_err(),
        StoreError::Conflict("user ann@acme.test already exists".into())
    );
    for (email, first, last) in [
        ("bob@acme.test", "Bob", "Jones"),
        ("cat@acme.test", "Cat", "smith"),
        ("dan@beta.test", "Dan", "Brown"),
    ] {
        store
            .create_user(email, profile(first, last), 702)
            .await
            .unwrap();
    }
    let mut changed = profile("Ann", "Smith-Lee");
    changed.enabled = false;
    let ann = store
        .update_user("ann@acme.test", changed, 703)
        .await
        .unwrap();
    assert_eq!(
        (ann.last_name.as_str(), ann.enabled, ann.updated_at),
        ("Smith-Lee", false, 703)
    );
    assert_eq!(
        store
            .update_user("zed@x", profile("Z", "Z"), 703)
            .await
            .unwrap_err(),
        StoreError::NotFound("user zed@x".into())
    );

    // access per instance: sets of the instance or global ones, positions in its tree
    let staff = store
        .create_permission_set(set("acme", "Staff", &["users=read('./*')"]), 704)
        .await
        .unwrap();
    let beta_staff = store
        .create_permission_set(set("beta", "Staff", &["orgs=read"]), 704)
        .await
        .unwrap();
    let admin = store
        .list_permission_sets()
        .await
        .unwrap()
        .into_iter()
        .find(p6auth_core::permission_set::is_builtin)
        .unwrap();
    let sales = store.find_org_node("/acme/Sales").await.unwrap();
    let emea = store.find_org_node("/acme/Sales/EMEA").await.unwrap();
    let bob = bumps(
        store,
        "set_user_access",
        store.set_user_access(
            "bob@acme.test",
            "acme",
            &[staff.id, admin.id, staff.id],
            &[emea.id, sales.id],
            705,
        ),
    )
    .await
    .unwrap();
    assert_eq!(bob.access.len(), 1);
    let a = &bob.access[0];
    assert_eq!(a.instance, "acme");
    let sets: Vec<(&str, &str)> = a
        .permission_sets
        .iter()
        .map(|s| (s.instance.as_str(), s.name.as_str()))
        .collect();
    assert_eq!(sets, vec![("*", "Instance Admin"), ("acme", "Staff")]);
    assert_eq!(a.positions, vec!["/acme/Sales", "/acme/Sales/EMEA"]);
    assert_eq!(
        bob.positions_in("acme"),
        vec!["/acme/Sales", "/acme/Sales/EMEA"]
    );
    assert_eq!(bob.positions_in("beta"), vec!["/beta"]);
    assert!(matches!(
        store
            .set_user_access("bob@acme.test", "acme", &[beta_staff.id], &[], 706)
            .await,
        Err(StoreError::Invalid(_))
    ));
    let beta_root = store.find_org_node("/beta").await.unwrap();
    assert_eq!(
        store
            .set_user_access("bob@acme.test", "acme", &[], &[beta_root.id], 706)
            .await
            .unwrap_err(),
        StoreError::Invalid("org node /beta is not in instance acme".into())
    );
    store
        .set_user_access("cat@acme.test", "acme", &[staff.id], &[], 706)
        .await
        .unwrap();
    store
        .set_user_access(
            "dan@beta.test",
            "beta",
            &[beta_staff.id],
            &[beta_root.id],
            706,
        )
        .await
        .unwrap();
    store
        .set_user_access("ann@acme.test", "acme", &[], &[emea.id], 706)
        .await
        .unwrap();

    // search: instance, email prefix, last name (case-insensitive), set; pages by cursor
    let q = |f: &dyn Fn(&mut UserQuery)| {
        let mut q = UserQuery {
            limit: 10,
            ..UserQuery::default()
        };
        f(&mut q);
        q
    };
    let all = store.search_users(&q(&|_| {})).await.unwrap();
    assert_eq!(
        emails(&all),
        vec![
            "ann@acme.test",
            "bob@acme.test",
            "cat@acme.test",
            "dan@beta.test"
        ]
    );
    let acme = store
        .search_users(&q(&|q| q.instance = Some("acme".into())))
        .await
        .unwrap();
    assert_eq!(
        emails(&acme),
        vec!["ann@acme.test", "bob@acme.test", "cat@acme.test"]
    );
    let by_prefix = store
        .search_users(&q(&|q| q.email_prefix = Some("B".into())))
        .await
        .unwrap();
    assert_eq!(emails(&by_prefix), vec!["bob@acme.test"]);
    let by_last = store
        .search_users(&q(&|q| q.last_name = Some("SMITH".into())))
        .await
        .unwrap();
    assert_eq!(emails(&by_last), vec!["cat@acme.test"]);
    let by_set = store
        .search_users(&q(&|q| q.permission_set_id = Some(staff.id)))
        .await
        .unwrap();
    assert_eq!(emails(&by_set), vec!["bob@acme.test", "cat@acme.test"]);
    let first = store.search_users(&q(&|q| q.limit = 2)).await.unwrap();
    assert_eq!(emails(&first), vec!["ann@acme.test", "bob@acme.test"]);
    let second = store
        .search_users(&q(&|q| {
            q.limit = 2;
            q.after = Some("bob@acme.test".into());
        }))
        .await
        .unwrap();
    assert_eq!(emails(&second), vec!["cat@acme.test", "dan@beta.test"]);
    assert_eq!(store.get_user("bob@acme.test").await.unwrap(), bob);

    // a node with users on it is deleted only with cascade, which keeps the users
    let paris = store.find_org_node("/acme/Sales/EMEA/Paris").await.unwrap();
    store.delete_org_node(paris.id, false).await.unwrap();
    assert_eq!(
        store.delete_org_node(emea.id, false).await.unwrap_err(),
        StoreError::Conflict(
            "org node /acme/Sales/EMEA has 0 nodes and 2 users below it; move or delete them first, or cascade".into()
        )
    );

    // a set in use cannot be deleted; renaming keeps its assignments
    assert_eq!(
        store.delete_permission_set(staff.id).await.unwrap_err(),
        StoreError::Conflict(
            "permission set acme/Staff is assigned to users bob@acme.test, cat@acme.test; remove those assignments first".into()
        )
    );
    let readers = store
        .list_permission_sets()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.instance == "acme" && s.name == "Readers")
        .unwrap();
    let err = store.delete_permission_set(readers.id).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m.starts_with("permission set acme/Readers is assigned to integrations ")),
        "{err:?}"
    );
    let mut renamed = set("acme", "Team", &["users=read('./')"]);
    renamed.description = "renamed".into();
    let team = bumps(
        store,
        "update_permission_set",
        store.update_permission_set(staff.id, renamed, 707),
    )
    .await
    .unwrap();
    assert_eq!(
        (
            team.id,
            team.name.as_str(),
            team.permissions.clone(),
            team.updated_at
        ),
        (staff.id, "Team", vec!["users=read('./')".to_string()], 707)
    );
    let bob = store.get_user("bob@acme.test").await.unwrap();
    assert!(
        bob.access[0]
            .permission_sets
            .iter()
            .any(|s| s.name == "Team")
    );
    assert_eq!(
        store
            .update_permission_set(staff.id, set("acme", "Readers", &["orgs=read"]), 708)
            .await
            .unwrap_err(),
        StoreError::Conflict("permission set Readers already exists in instance acme".into())
    );
    assert_eq!(store.get_permission_set(team.id).await.unwrap(), team);

    // deleting a user removes its access; the sets can then go
    bumps(store, "delete_user", store.delete_user("cat@acme.test"))
        .await
        .unwrap();
    assert_eq!(
        store.get_user("cat@acme.test").await.unwrap_err(),
        StoreError::NotFound("user cat@acme.test".into())
    );
    store
        .set_user_access("bob@acme.test", "acme", &[admin.id], &[sales.id], 709)
        .await
        .unwrap();
    store
        .set_user_access("dan@beta.test", "beta", &[], &[beta_root.id], 709)
        .await
        .unwrap();
    bumps(
        store,
        "delete_permission_set",
        store.delete_permission_set(team.id),
    )
    .await
    .unwrap();
    store.delete_permission_set(beta_staff.id).await.unwrap();
    assert_eq!(
        store.get_permission_set(team.id).await.unwrap_err(),
        StoreError::NotFound(format!("permission set {}", team.id))
    );

    // a cascading delete moves the users on the branch to its parent, once each: none is left
    // with no position (the root)
    let gone = store
        .create_org_node(node(sales.id, "Gone"), 710)
        .await
        .unwrap();
    let deeper = store
        .create_org_node(node(gone.id, "Deeper"), 710)
        .await
        .unwrap();
    store
        .set_user_access("ann@acme.test", "acme", &[], &[deeper.id, sales.id], 710)
        .await
        .unwrap();
    store
        .set_user_access("bob@acme.test", "acme", &[admin.id], &[gone.id], 710)
        .await
        .unwrap();
    store.delete_org_node(gone.id, true).await.unwrap();
    for email in ["ann@acme.test", "bob@acme.test"] {
        let user = store.get_user(email).await.unwrap();
        let held = user.access_in("acme").unwrap();
        assert_eq!(held.positions, vec!["/acme/Sales".to_string()], "{email}");
    }
    let bob = store.get_user("bob@acme.test").await.unwrap();
    assert_eq!(
        bob.access_in("acme").unwrap().permission_sets[0].id,
        admin.id
    );
}

/// `write_users`: many users and their audit entries in one transaction, all or nothing.
async fn bulk_users(store: &dyn Store) {
    let sales = store.find_org_node("/acme/Sales").await.unwrap();
    let admin = store
        .list_permission_sets()
        .await
        .unwrap()
        .into_iter()
        .find(p6auth_core::permission_set::is_builtin)
        .unwrap();
    let audit_before = store.list_audit(0, 100_000).await.unwrap().len();
    let access = |sets: Vec<i64>, nodes: Vec<i64>| {
        vec![AccessWrite {
            instance: "acme".into(),
            permission_set_ids: sets,
            position_ids: nodes,
        }]
    };
    let writes: Vec<UserWrite> = (0..50)
        .map(|i| UserWrite {
            email: format!("bulk{i:02}@acme.test"),
            profile: ProfileWrite::Create(profile("Bulk", &format!("User {i}"))),
            access: access(vec![admin.id], vec![sales.id]),
        })
        .collect();
    let entry =
        |what: &str| NewAuditEntry::new(800, &Actor::System, what, "users", serde_json::json!({}));
    bumps(
        store,
        "write_users",
        store.write_users(&writes, &[entry("user.bulk")], 800),
    )
    .await
    .unwrap();
    let u = store.get_user("bulk07@acme.test").await.unwrap();
    assert_eq!(u.last_name, "User 7");
    assert_eq!(u.access[0].positions, ["/acme/Sales"]);
    assert_eq!(u.access[0].permission_sets[0].id, admin.id);
    assert_eq!(
        store.list_audit(0, 100_000).await.unwrap().len(),
        audit_before + 1
    );

    // an update, a user kept with new access, and a failing write: nothing of the batch stays
    let failing = vec![
        UserWrite {
            email: "bulk00@acme.test".into(),
            profile: ProfileWrite::Update(profile("Changed", "Again")),
            access: vec![],
        },
        UserWrite {
            email: "bulk01@acme.test".into(),
            profile: ProfileWrite::Keep,
            access: access(vec![], vec![]),
        },
        UserWrite {
            email: "bulk02@acme.test".into(),
            profile: ProfileWrite::Create(profile("Dup", "Licate")),
            access: vec![],
        },
    ];
    assert_eq!(
        store
            .write_users(&failing, &[entry("user.bulk")], 801)
            .await
            .unwrap_err(),
        StoreError::Conflict("user bulk02@acme.test already exists".into())
    );
    assert_eq!(
        store.get_user("bulk00@acme.test").await.unwrap().first_name,
        "Bulk"
    );
    assert_eq!(
        store
            .get_user("bulk01@acme.test")
            .await
            .unwrap()
            .access
            .len(),
        1
    );
    assert_eq!(
        store.list_audit(0, 100_000).await.unwrap().len(),
        audit_before + 1
    );
    let fine = &failing[..2];
    store.write_users(fine, &[], 802).await.unwrap();
    assert_eq!(
        store.get_user("bulk00@acme.test").await.unwrap().first_name,
        "Changed"
    );
    assert_eq!(
        store.get_user("bulk01@acme.test").await.unwrap().access,
        vec![]
    );
    let missing = [UserWrite {
        email: "nobody@acme.test".into(),
        profile: ProfileWrite::Keep,
        access: vec![],
    }];
    assert_eq!(
        store.write_users(&missing, &[], 803).await.unwrap_err(),
        StoreError::NotFound("user nobody@acme.test".into())
    );
    for i in 0..50 {
        store
            .delete_user(&format!("bulk{i:02}@acme.test"))
            .await
            .unwrap();
    }
}
