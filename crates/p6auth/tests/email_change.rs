//! Changing a user's email end to end, on the real binary: the account page's form (current
//! password, CSRF), the link mailed to the new address and the notice to the old one in the
//! outbox, the confirmation page (GET shows, POST uses the link once), and the account moved
//! with its password, access and session.

mod support;

use serde_json::Value;
use support::web_session::{PASSWORD, WebSession, hidden_fields};
use support::*;

const ADMIN: &str = "admin@example.com";
const NEW: &str = "new.admin@example.com";
const LINK_SUBJECT: &str = "Subject: Confirm your new p6auth email address\r\n";
const NOTICE_SUBJECT: &str = "Subject: Your p6auth email address is about to change\r\n";

/// The outbox messages addressed to `email`, oldest first.
fn mails_to(server: &Server, email: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(server.data_dir.join("outbox")) else {
        return Vec::new();
    };
    let mut names: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    names.sort();
    let to = format!("\r\nTo: {email}\r\n");
    names
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .filter(|text| text.contains(&to))
        .collect()
}

fn outbox_len(server: &Server) -> usize {
    std::fs::read_dir(server.data_dir.join("outbox"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// The path of the confirmation link in a message.
fn confirm_link(server: &Server, mail: &str) -> String {
    let prefix = server.url("/confirm-email?token=");
    let line = mail
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no confirmation link in {mail}"));
    line.trim()
        .strip_prefix(&server.url(""))
        .unwrap()
        .to_string()
}

fn field(page: &Response, name: &str) -> String {
    hidden_fields(&page.text())
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {name} in {}", page.text()))
}

/// Submits the account page's form.
fn request_change(s: &mut WebSession<'_>, new_email: &str, password: &str) -> Response {
    let page = s.get("/admin/account");
    assert_eq!(page.status, 200, "{}", page.text());
    s.submit(
        &page,
        "/admin/account",
        &[("new_email", new_email), ("password", password)],
    )
}

/// A sign-in attempt; the response to the form's POST.
fn try_sign_in(server: &Server, email: &str) -> Response {
    let mut s = WebSession::anonymous(server);
    let (login, at) = s.follow("/admin/login?return_to=%2Fadmin");
    assert_eq!(login.status, 200);
    s.submit(&login, &at, &[("email", email), ("password", PASSWORD)])
}

fn audit(server: &Server) -> Vec<Value> {
    let out = cli_ok(&server.data_dir, &["audit", "--json"]);
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn a_confirmed_link_moves_the_account_with_its_password_access_and_session() {
    let dir = TestDir::new();
    let server = Server::start(dir.path(), &[]);
    let mut admin = WebSession::sign_in(&server, ADMIN, false);

    // the portal's header links to the account page
    let (home, at) = admin.follow("/admin");
    assert_eq!(home.status, 200, "{at}: {}", home.text());
    assert!(
        home.text()
            .contains("<a class=\"account\" href=\"/admin/account\">Account</a>")
    );
    let account = admin.get("/admin/account");
    assert!(
        account
            .text()
            .contains("Signed in as <strong id=\"account-email\">admin@example.com</strong>")
    );

    let sent = request_change(&mut admin, "New.Admin@Example.com", PASSWORD);
    assert_eq!(sent.status, 200, "{}", sent.text());
    assert!(
        sent.text()
            .contains("We sent a confirmation link to new.admin@example.com.")
    );
    let to_new = mails_to(&server, NEW);
    assert_eq!(to_new.len(), 1);
    assert!(to_new[0].contains(LINK_SUBJECT), "{}", to_new[0]);
    let notices: Vec<_> = mails_to(&server, ADMIN)
        .into_iter()
        .filter(|m| m.contains(NOTICE_SUBJECT))
        .collect();
    assert_eq!(notices.len(), 1);
    assert!(notices[0].contains("to new.admin@example.com."));
    assert!(
        !notices[0].contains("/confirm-email"),
        "the link goes to the new address only"
    );
    let link = confirm_link(&server, &to_new[0]);

    // nothing changes before the link is used, however often it is fetched
    let mut browser = WebSession::anonymous(&server);
    for _ in 0..2 {
        let page = browser.get(&link);
        assert_eq!(page.status, 200, "{}", page.text());
        assert!(page.text().contains(
            "The account <strong>admin@example.com</strong> will use <strong>new.admin@example.com</strong>"
        ));
    }
    let confirm = browser.get(&link);
    assert!(admin.get("/admin/account").text().contains(ADMIN));

    // the POST wants the CSRF token bound to the link
    let token = field(&confirm, "token");
    assert_eq!(
        browser
            .post("/confirm-email", &[("token", token.as_str())])
            .status,
        403
    );
    assert_eq!(
        browser
            .post(
                "/confirm-email",
                &[("token", token.as_str()), ("csrf_token", "forged")]
            )
            .status,
        403
    );
    let done = browser.submit(&confirm, &link, &[]);
    assert_eq!(done.status, 200, "{}", done.text());
    assert!(
        done.text().contains(
            "Your email address is now new.admin@example.com. Sign in with it from now on."
        )
    );

    // single use
    let again = browser.get(&link);
    assert_eq!(again.status, 400);
    assert!(
        again
            .text()
            .contains("This link is invalid or has expired.")
    );
    assert_eq!(browser.submit(&confirm, &link, &[]).status, 400);

    // the audit log records the change, by the account under its old name
    let entry = audit(&server)
        .into_iter()
        .rfind(|e| e["action"] == "user.change_email")
        .expect("a user.change_email entry");
    assert_eq!(entry["actor"], "user:admin@example.com");
    assert_eq!(entry["target"], "user new.admin@example.com");
    assert_eq!(entry["details"]["after"]["email"], NEW);

    // the running session follows the account
    assert!(
        admin
            .get("/admin/account")
            .text()
            .contains("<strong id=\"account-email\">new.admin@example.com</strong>")
    );
    // the old address no longer signs in; the new one does, with the same password and access
    let old = try_sign_in(&server, ADMIN);
    assert_eq!(old.status, 401);
    assert!(
        old.text()
            .contains("The email address or password is incorrect.")
    );
    let mut renamed = WebSession::sign_in(&server, NEW, true);
    let (portal, at) = renamed.follow("/admin");
    assert_eq!(portal.status, 200, "{at}: {}", portal.text());
    assert!(at.starts_with("/admin/i/default"), "{at}");
    let shown: Value =
        serde_json::from_str(&cli_ok(&server.data_dir, &["user", "show", NEW, "--json"])).unwrap();
    assert_eq!(shown["access"][0]["instance"], "default");
    assert_eq!(
        shown["access"][0]["permission_sets"][0]["name"],
        "Instance Admin"
    );
    assert!(
        !cli(&server.data_dir, &["user", "show", ADMIN])
            .status
            .success()
    );
}

#[test]
fn wrong_password_bad_or_taken_address_and_missing_csrf_send_nothing() {
    let dir = TestDir::new();
    let server = Server::start(dir.path(), &["--login-limit-per-account", "3"]);
    let mut admin = WebSession::sign_in(&server, ADMIN, false);
    cli_ok(&server.data_dir, &["user", "create", "taken@example.com"]);
    let before = outbox_len(&server);

    // not signed in: to the sign-in page
    let anonymous = WebSession::anonymous(&server).get("/admin/account");
    assert_eq!(anonymous.status, 303);
    assert_eq!(
        anonymous.header("location"),
        Some("/admin/login?return_to=%2Fadmin%2Faccount")
    );

    let wrong = request_change(&mut admin, NEW, "not my password");
    assert_eq!(wrong.status, 401);
    assert!(wrong.text().contains("The current password is incorrect."));
    let taken = request_change(&mut admin, "Taken@example.com", PASSWORD);
    assert_eq!(taken.status, 409);
    assert!(
        taken
            .text()
            .contains("This email address is already used by another account.")
    );
    let same = request_change(&mut admin, ADMIN, PASSWORD);
    assert_eq!(same.status, 400);
    assert!(same.text().contains("This is already your email address."));
    let invalid = request_change(&mut admin, "not-an-address", PASSWORD);
    assert_eq!(invalid.status, 400);
    assert!(invalid.text().contains("Enter a valid email address."));
    let no_csrf = admin.post(
        "/admin/account",
        &[("new_email", NEW), ("password", PASSWORD)],
    );
    assert_eq!(no_csrf.status, 403);
    assert_eq!(outbox_len(&server), before, "nothing was mailed");

    // an address taken between the request and the confirmation is refused then
    let sent = request_change(&mut admin, "later@example.com", PASSWORD);
    assert_eq!(sent.status, 200, "{}", sent.text());
    let link = confirm_link(&server, &mails_to(&server, "later@example.com")[0]);
    cli_ok(&server.data_dir, &["user", "create", "later@example.com"]);
    let mut browser = WebSession::anonymous(&server);
    let page = browser.get(&link);
    let refused = browser.submit(&page, &link, &[]);
    assert_eq!(refused.status, 409);
    assert!(
        refused
            .text()
            .contains("This email address is already used by another account.")
    );
    assert!(admin.get("/admin/account").text().contains(ADMIN));

    // wrong passwords count towards the sign-in throttle (3 per account here)
    for _ in 0..2 {
        assert_eq!(request_change(&mut admin, NEW, "still not it").status, 401);
    }
    let limited = request_change(&mut admin, NEW, PASSWORD);
    assert_eq!(limited.status, 429);
    assert!(limited.header("retry-after").is_some());
    assert_eq!(try_sign_in(&server, ADMIN).status, 429);
    assert!(mails_to(&server, NEW).is_empty());
}

/// A link ends with its account: while it is disabled, and after it is deleted (even if one
/// with the same address is created again), the link is refused like an invalid one, and
/// nothing moves.
#[test]
fn a_link_of_a_disabled_or_deleted_account_is_invalid() {
    let dir = TestDir::new();
    let server = Server::start(dir.path(), &[]);
    let invalid = |r: &Response| {
        assert_eq!(r.status, 400, "{}", r.text());
        assert!(
            r.text().contains("This link is invalid or has expired."),
            "{}",
            r.text()
        );
    };
    let exists = |email: &str| {
        cli(&server.data_dir, &["user", "show", email])
            .status
            .success()
    };
    let mut browser = WebSession::anonymous(&server);

    // disabled
    let mut admin = WebSession::sign_in(&server, ADMIN, false);
    let sent = request_change(&mut admin, "off2@example.com", PASSWORD);
    assert_eq!(sent.status, 200, "{}", sent.text());
    let link = confirm_link(&server, &mails_to(&server, "off2@example.com")[0]);
    let page = browser.get(&link);
    assert_eq!(page.status, 200, "{}", page.text());
    cli_ok(
        &server.data_dir,
        &["user", "update", ADMIN, "--enabled", "false"],
    );
    invalid(&browser.get(&link));
    invalid(&browser.submit(&page, &link, &[]));
    assert!(exists(ADMIN));
    assert!(!exists("off2@example.com"));
    cli_ok(
        &server.data_dir,
        &["user", "update", ADMIN, "--enabled", "true"],
    );

    // deleted and created again: the new account inherits nothing
    let mut admin = WebSession::sign_in(&server, ADMIN, true);
    let sent = request_change(&mut admin, "deep2@example.com", PASSWORD);
    assert_eq!(sent.status, 200, "{}", sent.text());
    let link = confirm_link(&server, &mails_to(&server, "deep2@example.com")[0]);
    let page = browser.get(&link);
    assert_eq!(page.status, 200, "{}", page.text());
    cli_ok(&server.data_dir, &["user", "delete", ADMIN]);
    cli_ok(&server.data_dir, &["user", "create", ADMIN]);
    invalid(&browser.get(&link));
    invalid(&browser.submit(&page, &link, &[]));
    assert!(exists(ADMIN));
    assert!(!exists("deep2@example.com"));
}
