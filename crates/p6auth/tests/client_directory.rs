//! The client SDK's directory calls against the real server, as an instance integration made by
//! `instance create NAME --with-integration`: its scopes tree, its org tree and its users, paged.

mod support;

use p6auth_client::TokenSource;
use p6auth_client::directory::{Directory, DirectoryError, ScopeValues, UserSearch};
use serde_json::{Value, json};
use support::*;

fn admin_call(server: &Server, bearer: &str, method: &str, path: &str, body: Value) {
    let body = body.to_string();
    let r = server.request(
        method,
        path,
        &[
            ("Authorization", bearer),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    );
    assert!(
        (200..300).contains(&r.status),
        "{method} {path}: {}",
        r.text()
    );
}

#[test]
fn an_instance_integration_reads_its_tree_and_users() {
    let dir = TestDir::new();
    let admin = create_integration(dir.path(), "Admin", &["*/Instance Admin"]);
    let server = Server::start(dir.path(), &[]);
    let out = cli_ok(
        dir.path(),
        &[
            "instance",
            "create",
            "shop",
            "--with-integration",
            "--url",
            &server.url(""),
        ],
    );
    let block = &out[out.find("p6auth {").expect("a block to paste")..];
    let conf = dir.path().join("application.conf");
    std::fs::write(&conf, block).unwrap();

    // the org tree and users, written by an administrator through the API
    let r = server.post_form(
        "/oauth/token",
        "grant_type=client_credentials",
        &[("Authorization", &basic(&admin.id, &admin.secret))],
    );
    let bearer = format!("Bearer {}", r.json()["access_token"].as_str().unwrap());
    let orgs = "/apis/v2/instances/shop/orgs";
    admin_call(
        &server,
        &bearer,
        "POST",
        orgs,
        json!({"parent": "/shop", "name": "Sales"}),
    );
    admin_call(
        &server,
        &bearer,
        "POST",
        orgs,
        json!({"parent": "/shop/Sales", "name": "EMEA"}),
    );
    for (email, last, position) in [
        ("ann@shop.test", "Ash", "/shop/Sales"),
        ("bob@shop.test", "Birch", "/shop/Sales/EMEA"),
        ("cat@shop.test", "Cedar", "/shop"),
    ] {
        let user = format!("/apis/v2/instances/shop/users/{email}");
        admin_call(
            &server,
            &bearer,
            "PUT",
            &user,
            json!({"first_name": "F", "last_name": last}),
        );
        let access = json!({"permission_sets": ["Integration"], "positions": [position]});
        admin_call(&server, &bearer, "PUT", &format!("{user}/access"), access);
    }

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let directory = Directory::new(TokenSource::from_file(&conf).unwrap());

        // the server learns of the integration the CLI just made within its sync interval
        let start = std::time::Instant::now();
        let tree = loop {
            match directory.scopes_tree().await {
                Err(DirectoryError::Token(e)) if start.elapsed().as_secs() < 5 => {
                    eprintln!("not yet: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                other => break other.unwrap(),
            }
        };
        assert!(
            matches!(tree["shop"]["orgs"]["read"], ScopeValues::Any(_)),
            "{tree:?}"
        );
        assert_eq!(
            tree["shop"]["users"]["read"],
            ScopeValues::Only(vec!["./".into()])
        );

        let roots = directory.org_tree("shop").await.unwrap();
        assert_eq!(roots.len(), 1);
        assert_eq!(roots[0].path, "/shop");
        let sales = &roots[0].children[0];
        assert_eq!(
            (sales.name.as_str(), sales.path.as_str()),
            ("Sales", "/shop/Sales")
        );
        assert_eq!(sales.children[0].path, "/shop/Sales/EMEA");

        let paged = UserSearch {
            limit: Some(2),
            ..UserSearch::default()
        };
        let first = directory.users("shop", &paged, None).await.unwrap();
        assert_eq!(first.users.len(), 2);
        let next = first.next_cursor.clone().expect("a second page");
        let second = directory.users("shop", &paged, Some(&next)).await.unwrap();
        assert_eq!(second.users.len(), 1);
        let all = directory.all_users("shop", &paged).await.unwrap();
        let emails: Vec<&str> = all.iter().map(|u| u.email.as_str()).collect();
        assert_eq!(emails, ["ann@shop.test", "bob@shop.test", "cat@shop.test"]);
        assert_eq!(all[1].positions, ["/shop/Sales/EMEA"]);
        assert_eq!(all[1].permission_sets, ["shop/Integration"]);

        let search = UserSearch {
            last_name: Some("Birch".into()),
            ..UserSearch::default()
        };
        let found = directory.all_users("shop", &search).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].email, "bob@shop.test");

        // another instance's tree is not this integration's to read
        match directory.org_tree("acme").await {
            Err(DirectoryError::Status { status, .. }) => assert!(status == 403 || status == 404),
            other => panic!("expected a refusal, got {other:?}"),
        }
    });
}
