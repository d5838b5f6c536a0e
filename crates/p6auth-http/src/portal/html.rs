//! HTML building: every piece of text that reaches a page goes through [`esc`]. Pages are plain
//! strings; [`Page`] wraps a body in the portal's layout (header, instance selector, tabs).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::context::{Portal, Tab};
use crate::session::SignedIn;

/// Escapes text for element content and double-quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Percent-encodes a path segment or query value (everything but unreserved characters).
pub fn url_part(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The hidden field every state-changing form carries.
pub fn csrf_field(portal: &Portal) -> String {
    format!(
        r#"<input type="hidden" name="csrf_token" value="{}">"#,
        esc(&portal.csrf_token)
    )
}

/// A one-button POST form (enable, disable, rotate ...).
pub fn post_button(portal: &Portal, action: &str, label: &str, class: &str) -> String {
    format!(
        r#"<form method="post" action="{}" class="inline">{}<button type="submit" class="{class}">{}</button></form>"#,
        esc(action),
        csrf_field(portal),
        esc(label)
    )
}

pub fn notice(kind: &str, text: &str) -> String {
    let role = if kind == "error" { "alert" } else { "status" };
    format!(
        r#"<p class="notice {kind}" role="{role}">{}</p>"#,
        esc(text)
    )
}

pub struct Page<'a> {
    pub portal: &'a Portal,
    pub tab: Option<Tab>,
    pub title: String,
    pub status: StatusCode,
}

impl Page<'_> {
    pub fn render(self, body: &str) -> Response {
        let p = self.portal;
        let options: String = p
            .instances
            .iter()
            .map(|i| {
                let selected = if *i == p.instance { " selected" } else { "" };
                format!(
                    r#"<option value="{}"{selected}>{}</option>"#,
                    esc(i),
                    esc(i)
                )
            })
            .collect();
        let tabs: String = p
            .tabs()
            .into_iter()
            .map(|t| {
                let current = if Some(t) == self.tab {
                    r#" aria-current="page""#
                } else {
                    ""
                };
                format!(
                    r#"<li><a href="{}"{current}>{}</a></li>"#,
                    esc(&p.href(t.path())),
                    t.label()
                )
            })
            .collect();
        let html = format!(
            r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · p6auth admin</title>
<link rel="stylesheet" href="/admin/assets/portal.css">
<script src="/admin/assets/app.js" defer></script>
</head>
<body data-csrf="{csrf}">
<header class="top">
  <a class="brand" href="/admin">p6auth admin</a>
  <form method="get" action="/admin/switch" class="instance-selector">
    <label for="instance-select">Instance</label>
    <select id="instance-select" name="instance">{options}</select>
    <button type="submit">Go</button>
  </form>
  <span class="who">Signed in as <strong id="signed-in-user">{email}</strong></span>
  <a class="account" href="/admin/account">Account</a>
  <form method="post" action="/admin/logout" class="inline">{csrf_field}<button type="submit">Log out</button></form>
</header>
<nav aria-label="Sections"><ul class="tabs">{tabs}</ul></nav>
<main id="main">
<h1>{title}</h1>
{body}
</main>
</body>
</html>
"#,
            title = esc(&self.title),
            csrf = esc(&p.csrf_token),
            email = esc(&p.email),
            csrf_field = csrf_field(p),
        );
        page_response(self.status, html)
    }
}

/// A page outside the layout (no instance to show), e.g. "you may not enter".
pub fn bare_page(status: StatusCode, title: &str, text: &str) -> Response {
    page_without_tabs(status, title, text, "")
}

/// The 403 page of a signed-in user without `admin=view`: still with their account link and
/// log-out button, so they can change their email or leave.
pub fn no_access_page(me: &SignedIn, text: &str) -> Response {
    let header = format!(
        r#"<header class="top">
  <span class="who">Signed in as <strong id="signed-in-user">{email}</strong></span>
  <a class="account" href="/admin/account">Account</a>
  <form method="post" action="/admin/logout" class="inline"><input type="hidden" name="csrf_token" value="{csrf}"><button type="submit">Log out</button></form>
</header>
"#,
        email = esc(&me.email),
        csrf = esc(&me.csrf_token),
    );
    page_without_tabs(StatusCode::FORBIDDEN, "No access", text, &header)
}

fn page_without_tabs(status: StatusCode, title: &str, text: &str, header: &str) -> Response {
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · p6auth admin</title>
<link rel="stylesheet" href="/admin/assets/portal.css">
</head>
<body>
{header}<main id="main">
<h1>{title}</h1>
{notice}
</main>
</body>
</html>
"#,
        title = esc(title),
        notice = notice("error", text),
    );
    page_response(status, html)
}

fn page_response(status: StatusCode, html: String) -> Response {
    let mut r = (status, html).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_are_escaped() {
        assert_eq!(
            esc(r#"<script>alert("x" + 'y')</script> & co"#),
            "&lt;script&gt;alert(&quot;x&quot; + &#39;y&#39;)&lt;/script&gt; &amp; co"
        );
        assert_eq!(url_part("a b@c/d"), "a%20b%40c%2Fd");
    }
}
