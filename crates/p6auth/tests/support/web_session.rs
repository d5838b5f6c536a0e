//! A signed-in browser session over the raw HTTP client: a cookie jar, redirects followed by
//! hand, hidden form fields carried over. It follows the sessions contract between the portal
//! and the auth half: activation at `/activate?token=...` (fields `password`,
//! `password_confirm`), sign-in from `/admin/login` through `/oauth/authorize` (fields `email`,
//! `password`) and `/admin/callback`.

use std::path::Path;

use super::{Response, Server, http};

pub const PASSWORD: &str = "correct horse battery staple 42";

pub struct WebSession<'a> {
    server: &'a Server,
    cookies: Vec<(String, String)>,
}

impl<'a> WebSession<'a> {
    /// Not signed in.
    pub fn anonymous(server: &'a Server) -> Self {
        Self {
            server,
            cookies: Vec::new(),
        }
    }

    /// Activates `email` from its newest activation mail in the outbox (unless `activated`),
    /// then signs in.
    pub fn sign_in(server: &'a Server, email: &str, activated: bool) -> Self {
        let mut s = Self::anonymous(server);
        if !activated {
            let link = activation_link(&server.data_dir, email)
                .unwrap_or_else(|| panic!("no activation mail for {email} in the outbox"));
            let page = s.get(&link);
            assert_eq!(page.status, 200, "activation page: {}", page.text());
            let done = s.submit(
                &page,
                &link,
                &[("password", PASSWORD), ("password_confirm", PASSWORD)],
            );
            assert_eq!(done.status, 200, "activation: {}", done.text());
        }
        let (login, at) = s.follow("/admin/login?return_to=%2Fadmin");
        assert_eq!(login.status, 200, "login page at {at}: {}", login.text());
        let signed_in = s.submit(&login, &at, &[("email", email), ("password", PASSWORD)]);
        // signed in: the portal, or its "No access" page for a user without admin=view
        let no_access = signed_in.status == 403 && signed_in.text().contains("<title>No access");
        assert!(
            signed_in.status < 400 || no_access,
            "sign-in of {email}: {} {}",
            signed_in.status,
            signed_in.text()
        );
        s
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, r: &Response) {
        for (name, value) in &r.headers {
            if !name.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let pair = value.split(';').next().unwrap_or("");
            if let Some((n, v)) = pair.split_once('=') {
                self.cookies.retain(|(k, _)| k != n.trim());
                if !v.is_empty() {
                    self.cookies.push((n.trim().into(), v.trim().into()));
                }
            }
        }
    }

    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Response {
        let cookie = self.cookie_header();
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        if !cookie.is_empty() {
            all.push(("Cookie", &cookie));
        }
        if method == "POST"
            && !headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            all.push(("Content-Type", "application/x-www-form-urlencoded"));
        }
        let r = http(&self.server.addr, method, path, &all, body.as_bytes());
        self.keep_cookies(&r);
        r
    }

    pub fn get(&mut self, path: &str) -> Response {
        self.request("GET", path, &[], "")
    }

    /// A form POST of `fields` (values percent-encoded here).
    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.request("POST", path, &[], &encode(fields))
    }

    /// GET, following redirects; the last response and its path.
    pub fn follow(&mut self, path: &str) -> (Response, String) {
        let mut at = path.to_string();
        for _ in 0..10 {
            let r = self.get(&at);
            match (r.status, r.header("location")) {
                (301 | 302 | 303 | 307 | 308, Some(l)) => at = local(l),
                _ => return (r, at),
            }
        }
        panic!("too many redirects from {path}");
    }

    /// Submits the page's (first) form with its hidden fields and `fields`, following redirects.
    pub fn submit(&mut self, page: &Response, at: &str, fields: &[(&str, &str)]) -> Response {
        let html = page.text();
        let action = form_action(&html).map_or(at.to_string(), |a| {
            if a.is_empty() {
                at.to_string()
            } else {
                local(&a)
            }
        });
        let mut all: Vec<(String, String)> = hidden_fields(&html);
        all.retain(|(n, _)| !fields.iter().any(|(k, _)| k == n));
        all.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let pairs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = self.post(&action, &pairs);
        match (r.status, r.header("location")) {
            (301..=303, Some(l)) => {
                let l = local(l);
                self.follow(&l).0
            }
            _ => r,
        }
    }

    /// The session's CSRF token, as the portal's pages carry it.
    pub fn csrf_token(&mut self, page_path: &str) -> String {
        let page = self.get(page_path);
        hidden_fields(&page.text())
            .into_iter()
            .find(|(n, _)| n == "csrf_token")
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("no csrf_token on {page_path}: {}", page.text()))
    }
}

/// `http://host/path` → `/path`.
fn local(location: &str) -> String {
    match location.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/".into(), |i| rest[i..].to_string()),
        None => location.to_string(),
    }
}

pub fn encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", pct(k), pct(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

fn tags<'h>(html: &'h str, name: &str) -> Vec<&'h str> {
    let open = format!("<{name}");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&open) {
        let tail = &rest[i..];
        let end = tail.find('>').unwrap_or(tail.len());
        out.push(&tail[..end]);
        rest = &tail[end..];
    }
    out
}

pub fn hidden_fields(html: &str) -> Vec<(String, String)> {
    tags(html, "input")
        .into_iter()
        .filter(|t| t.contains("type=\"hidden\""))
        .filter_map(|t| {
            Some((
                attribute(t, "name")?,
                attribute(t, "value").unwrap_or_default(),
            ))
        })
        .collect()
}

/// The action of the first POST form that is not the logout button.
fn form_action(html: &str) -> Option<String> {
    tags(html, "form")
        .into_iter()
        .filter(|t| t.to_ascii_lowercase().contains("method=\"post\""))
        .filter_map(|t| attribute(t, "action").or(Some(String::new())))
        .find(|a| a != "/admin/logout")
}

/// The newest activation link mailed to `email` in `<data-dir>/outbox/*.eml`.
pub fn activation_link(data_dir: &Path, email: &str) -> Option<String> {
    let mut mails: Vec<_> = std::fs::read_dir(data_dir.join("outbox"))
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .filter_map(|e| {
            let text = std::fs::read_to_string(e.path()).ok()?;
            let modified = e.metadata().ok()?.modified().ok()?;
            Some((modified, e.file_name(), text))
        })
        .filter(|(_, _, text)| text.to_lowercase().contains(&email.to_lowercase()))
        .collect();
    mails.sort();
    let (_, _, text) = mails.pop()?;
    // quoted-printable soft line breaks would split the link
    let text = text
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let start = text.find("/activate?token=")?;
    let end = text[start..]
        .find(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        .map_or(text.len(), |e| start + e);
    Some(text[start..end].to_string())
}
