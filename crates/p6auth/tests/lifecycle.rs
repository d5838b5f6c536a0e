//! The server's life: changes made by the CLI while it runs, restarts, signals, configuration.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::*;

#[test]
fn cli_changes_reach_a_running_server_within_one_second() {
    let dir = TestDir::new();
    cli_ok(dir.path(), &["instance", "create", "acme"]);
    cli_ok(
        dir.path(),
        &[
            "permission-set",
            "create",
            "--instance",
            "acme",
            "--name",
            "R",
            "--permission",
            "orgs=read",
        ],
    );
    // polling for the change fails many times; keep those failures under the 429 limit
    let server = Server::start(
        dir.path(),
        &[
            "--failed-auth-limit-per-id",
            "1000",
            "--failed-auth-limit-per-ip",
            "1000",
        ],
    );

    let c = create_integration(dir.path(), "New", &["acme/R"]);
    let seen = within(Duration::from_secs(1), || token_status(&server, &c) == 200);
    assert!(seen.is_some(), "a new integration must work within 1 s");

    cli_ok(dir.path(), &["integration", "disable", &c.id]);
    assert!(
        within(Duration::from_secs(1), || token_status(&server, &c) == 401).is_some(),
        "disable within 1 s"
    );

    cli_ok(dir.path(), &["integration", "enable", &c.id]);
    assert!(
        within(Duration::from_secs(1), || token_status(&server, &c) == 200).is_some(),
        "enable within 1 s"
    );

    cli_ok(dir.path(), &["integration", "delete", &c.id]);
    assert!(
        within(Duration::from_secs(1), || token_status(&server, &c) == 401).is_some(),
        "delete within 1 s"
    );
}

#[test]
fn a_restart_keeps_keys_and_integrations_and_sigterm_stops_cleanly() {
    let dir = TestDir::new();
    let c = seed(dir.path());
    let server = Server::start(dir.path(), &[]);
    let r = server.post_form(
        "/oauth/token",
        "grant_type=client_credentials",
        &[("Authorization", &basic(&c.id, &c.secret))],
    );
    assert_eq!(r.status, 200);
    let old_token = r.json()["access_token"].as_str().unwrap().to_string();
    let jwks_before = server.get("/.well-known/jwks.json").json();
    assert!(
        server.terminate(),
        "SIGTERM must end the server with success"
    );

    let server = Server::start(dir.path(), &[]);
    let jwks_after = server.get("/.well-known/jwks.json").json();
    assert_eq!(
        jwks_after, jwks_before,
        "the signing key survives the restart"
    );
    assert!(
        verify_with_jwks(&old_token, &jwks_after),
        "a token from before the restart still verifies"
    );
    assert_eq!(
        token_status(&server, &c),
        200,
        "the integration survives the restart"
    );
}

#[test]
fn the_data_directory_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TestDir::new();
    let data = dir.path().join("data");
    let server = Server::start(&data, &[]);
    drop(server);
    if backend() == Backend::Postgres {
        // the database and the master key file live elsewhere: the only thing written here is
        // the outbox, with the first administrator's activation mail (no SMTP server is set)
        let entries: Vec<_> = std::fs::read_dir(&data)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(entries, ["outbox"]);
        let mode = std::fs::metadata(data.join("outbox"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
        return;
    }
    let mode = |name: &str| {
        std::fs::metadata(data.join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(""), 0o700);
    assert_eq!(mode("master.key"), 0o600);
    assert_eq!(mode("p6auth.db"), 0o600);
}

#[test]
fn eddsa_is_selectable_and_lifetime_and_issuer_come_from_the_config_file() {
    let dir = TestDir::new();
    let c = seed(dir.path());
    let config = dir.path().join("p6auth.toml");
    std::fs::write(
        &config,
        "issuer = \"https://auth.example.com/\"\naccess_token_lifetime = 120\nsigning_algorithm = \"EdDSA\"\n",
    )
    .unwrap();
    let server = Server::start(dir.path(), &["--config", config.to_str().unwrap()]);
    let meta = server.get("/.well-known/oauth-authorization-server").json();
    assert_eq!(meta["issuer"], "https://auth.example.com/");
    assert_eq!(
        meta["token_endpoint"],
        "https://auth.example.com/oauth/token"
    );
    let r = server.post_form(
        "/oauth/token",
        "grant_type=client_credentials",
        &[("Authorization", &basic(&c.id, &c.secret))],
    );
    let body = r.json();
    assert_eq!(body["expires_in"], 120);
    let token = body["access_token"].as_str().unwrap();
    let (header, claims) = decode_jwt(token);
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(claims["iss"], "https://auth.example.com/");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        120
    );
    let jwks = server.get("/.well-known/jwks.json").json();
    assert_eq!(jwks["keys"][0]["kty"], "OKP");
    assert!(verify_with_jwks(token, &jwks));
}

#[test]
fn rs256_is_selectable() {
    let dir = TestDir::new();
    let c = seed(dir.path());
    let server = Server::start(dir.path(), &["--signing-algorithm", "RS256"]);
    let r = server.post_form(
        "/oauth/token",
        "grant_type=client_credentials",
        &[("Authorization", &basic(&c.id, &c.secret))],
    );
    let token = r.json()["access_token"].as_str().unwrap().to_string();
    assert_eq!(decode_jwt(&token).0["alg"], "RS256");
    let jwks = server.get("/.well-known/jwks.json").json();
    assert_eq!(
        (
            jwks["keys"][0]["kty"].as_str(),
            jwks["keys"][0]["alg"].as_str()
        ),
        (Some("RSA"), Some("RS256"))
    );
    assert!(jwks["keys"][0].get("d").is_none() && jwks["keys"][0].get("p").is_none());
    assert!(verify_with_jwks(&token, &jwks));
}

#[test]
fn bad_configuration_is_refused_with_a_clear_message() {
    let dir = TestDir::new();
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "lisen = \"127.0.0.1:0\"\n").unwrap();
    let out = cli(dir.path(), &["--config", config.to_str().unwrap(), "serve"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field `lisen`"));
    let out = cli(dir.path(), &["serve", "--signing-algorithm", "HS256"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown signing algorithm \"HS256\""));
    let out = cli(dir.path(), &["serve", "--listen", "not-an-address"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen on not-an-address"));
    let example = cli_ok(dir.path(), &["example-config"]);
    assert!(example.contains("signing_algorithm = \"ES256\""));
    let _: Value = serde_json::json!(example);
}
