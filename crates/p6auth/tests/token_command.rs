//! `p6auth token`, the connection check: what it prints when it works, and the exit code and
//! the advice for each way it fails.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use support::proxy::{Proxy, fixture};
use support::*;

fn write_conf(dir: &Path, name: &str, url: Option<&str>, id: &str, secret: &str) -> PathBuf {
    let path = dir.join(name);
    let url = url.map_or(String::new(), |u| format!("  url: \"{u}\"\n"));
    std::fs::write(
        &path,
        format!(
            "p6auth {{\n{url}  client {{\n    id: \"{id}\"\n    secret: \"{secret}\"\n  }}\n}}\n"
        ),
    )
    .unwrap();
    path
}

fn token(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("token")
        .args(args)
        .env_remove("P6AUTH_CLIENT_ID")
        .env_remove("P6AUTH_CLIENT_SECRET")
        .env_remove("P6AUTH_URL")
        .env("TZ", "UTC")
        .output()
        .unwrap()
}

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Outcome {
    let out = token(args);
    Outcome {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn expect(outcome: &Outcome, code: i32, needles: &[&str]) {
    assert_eq!(
        outcome.code,
        Some(code),
        "stdout: {}\nstderr: {}",
        outcome.stdout,
        outcome.stderr
    );
    for n in needles {
        assert!(
            outcome.stderr.contains(n) || outcome.stdout.contains(n),
            "expected {n:?} in\nstdout: {}\nstderr: {}",
            outcome.stdout,
            outcome.stderr
        );
    }
}

#[test]
fn a_working_connection_shows_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let c = seed(dir.path());
    let server = Server::start(dir.path(), &[]);
    let conf = write_conf(
        dir.path(),
        "application.conf",
        Some(&server.url("")),
        &c.id,
        &c.secret,
    );
    let out = run(&["--conf", conf.to_str().unwrap()]);
    expect(
        &out,
        0,
        &[
            "HTTP status: 200",
            "\"typ\": \"at+jwt\"",
            &format!("\"client_id\": \"{}\"", c.id),
            "Permissions: acme:orgs=read acme:users=read('./')",
            "(UTC), in 3600 s",
            "Signature: verified with the key",
            "OK: the credentials of",
        ],
    );
    assert!(out.stderr.is_empty(), "{}", out.stderr);

    // the snippet has no url: --url gives it; TOML and variables work too
    let snippet = write_conf(dir.path(), "snippet.conf", None, &c.id, &c.secret);
    let out = run(&[
        "--conf",
        snippet.to_str().unwrap(),
        "--url",
        &server.url(""),
    ]);
    expect(&out, 0, &["HTTP status: 200"]);
    let toml = dir.path().join("p6auth.toml");
    std::fs::write(
        &toml,
        format!(
            "[p6auth]\nurl = \"{}\"\n[p6auth.client]\nid = \"{}\"\nsecret = \"{}\"\n",
            server.url(""),
            c.id,
            c.secret
        ),
    )
    .unwrap();
    expect(
        &run(&["--conf", toml.to_str().unwrap()]),
        0,
        &["HTTP status: 200"],
    );
    let out = Command::new(BIN)
        .arg("token")
        .env("P6AUTH_CLIENT_ID", &c.id)
        .env("P6AUTH_CLIENT_SECRET", &c.secret)
        .env("P6AUTH_URL", server.url(""))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn refused_credentials_exit_10_with_what_to_check() {
    let dir = tempfile::tempdir().unwrap();
    let c = seed(dir.path());
    let server = Server::start(dir.path(), &[]);
    let url = server.url("");

    let wrong = write_conf(
        dir.path(),
        "wrong.conf",
        Some(&url),
        &c.id,
        "p6s_not-the-secret",
    );
    let out = run(&["--conf", wrong.to_str().unwrap()]);
    expect(
        &out,
        10,
        &[
            "HTTP status: 401",
            "p6auth refused the credentials",
            "p6auth.client.secret is its App Secret",
            "wrong.conf",
        ],
    );

    cli_ok(dir.path(), &["integration", "disable", &c.id]);
    let conf = write_conf(dir.path(), "app.conf", Some(&url), &c.id, &c.secret);
    let refused = within(Duration::from_secs(2), || {
        token(&["--conf", conf.to_str().unwrap()]).status.code() == Some(10)
    });
    assert!(refused.is_some(), "a disabled integration is refused");
    let out = run(&["--conf", conf.to_str().unwrap()]);
    expect(
        &out,
        10,
        &[
            "the integration is enabled",
            &format!("p6auth integration enable {}", c.id),
        ],
    );

    cli_ok(dir.path(), &["integration", "enable", &c.id]);
    let mismatch = dir.path().join("mismatch.conf");
    std::fs::write(
        &mismatch,
        format!(
            "p6auth {{ url: \"{url}\", client {{ id: \"{}\", secret: \"{}\", redirect-uri: \"https://elsewhere.example/cb\" }} }}",
            c.id, c.secret
        ),
    )
    .unwrap();
    let seen = within(Duration::from_secs(2), || {
        token(&["--conf", mismatch.to_str().unwrap()]).status.code() == Some(11)
    });
    assert!(seen.is_some());
    expect(
        &run(&["--conf", mismatch.to_str().unwrap()]),
        11,
        &[
            "HTTP status: 400",
            "https://elsewhere.example/cb",
            "client_credentials does not need it",
        ],
    );
}

#[test]
fn unreachable_servers_bad_answers_and_bad_configs() {
    let dir = tempfile::tempdir().unwrap();
    let c = seed(dir.path());
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let conf = write_conf(dir.path(), "app.conf", Some(&closed_url), &c.id, &c.secret);
    let out = run(&["--conf", conf.to_str().unwrap()]);
    expect(
        &out,
        13,
        &["could not be reached", "p6auth serve", &closed_url],
    );
    assert!(!out.stdout.contains("HTTP status"));

    let server = Server::start(dir.path(), &[]);
    let out = run(&[
        "--conf",
        conf.to_str().unwrap(),
        "--url",
        &server.url("/not-p6auth"),
    ]);
    expect(
        &out,
        15,
        &["HTTP status: 404", "did not answer like p6auth"],
    );

    let missing = dir.path().join("missing.conf");
    std::fs::write(&missing, format!("p6auth.client.id: \"{}\"\n", c.id)).unwrap();
    let out = run(&["--conf", missing.to_str().unwrap()]);
    expect(
        &out,
        2,
        &[&format!(
            "p6auth.client.secret is missing in {}",
            missing.display()
        )],
    );
    let bad = dir.path().join("bad.conf");
    std::fs::write(
        &bad,
        "p6auth { client { id: x, secret: y }, url: \"ftp://x\" }",
    )
    .unwrap();
    expect(
        &run(&["--conf", bad.to_str().unwrap()]),
        2,
        &[&format!(
            "p6auth.url in {}: must be an https:// or http:// URL",
            bad.display()
        )],
    );
}

#[test]
fn a_self_signed_certificate_suggests_insecure_and_a_ca_file_trusts_it() {
    let dir = tempfile::tempdir().unwrap();
    let c = seed(dir.path());
    let server = Server::start(dir.path(), &[]);
    let tls = Proxy::start_tls(&server.addr);
    let url = format!("https://localhost:{}", tls.addr.rsplit(':').next().unwrap());
    let conf = write_conf(dir.path(), "app.conf", Some(&url), &c.id, &c.secret);

    let out = run(&["--conf", conf.to_str().unwrap()]);
    expect(
        &out,
        14,
        &["TLS with p6auth", "--insecure", "p6auth.ca-file"],
    );

    // --insecure: the token comes through TLS (verified against the server's keys, found
    // through its metadata behind the same proxy)
    let out = run(&["--conf", conf.to_str().unwrap(), "--insecure"]);
    expect(&out, 0, &["HTTP status: 200", "Signature: verified"]);

    let trusted = dir.path().join("trusted.conf");
    std::fs::write(
        &trusted,
        format!(
            "p6auth {{ url: \"{url}\", ca-file: \"{}\", client {{ id: \"{}\", secret: \"{}\" }} }}",
            fixture("ca.pem").display(),
            c.id,
            c.secret
        ),
    )
    .unwrap();
    expect(
        &run(&["--conf", trusted.to_str().unwrap()]),
        0,
        &["HTTP status: 200"],
    );
    assert!(tls.count("/oauth/token") >= 2);

    // plain http spoken to an https port
    let out = run(&[
        "--conf",
        conf.to_str().unwrap(),
        "--url",
        &format!("http://{}", tls.addr),
    ]);
    assert!(
        matches!(out.code, Some(15) | Some(13)),
        "{:?} {}",
        out.code,
        out.stderr
    );
}
