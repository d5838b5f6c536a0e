//! The Users tab: search and page the instance's users, associate an account (new or existing),
//! see [`super::user_page`] for one user. The use cases in `p6auth_service::users` check `users=...`.

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use p6auth_core::user::{User, UserProfile, UserQuery, normalise_email};
use p6auth_service::ServiceError;
use p6auth_service::users::{self, Associated};
use p6auth_store::StoreError;
use serde::Deserialize;

use super::context::{Portal, Tab};
use super::form::Fields;
use super::html::{csrf_field, esc, notice, url_part};
use crate::AppState;
use crate::session::SignedIn;

const PAGE_SIZE: u32 = 25;

pub fn routes(i: &str) -> Router<AppState> {
    Router::new().route(&format!("{i}/users"), get(list).post(associate))
}

#[derive(Deserialize, Default)]
struct Search {
    #[serde(default)]
    q: String,
    #[serde(default)]
    by: String,
    after: Option<String>,
    notice: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    me: SignedIn,
    Path(instance): Path<String>,
    Query(search): Query<Search>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::Users).await);
    let mut query = UserQuery {
        after: search.after.clone(),
        limit: PAGE_SIZE,
        ..UserQuery::default()
    };
    let q = search.q.trim();
    if !q.is_empty() {
        match search.by.as_str() {
            "last_name" => query.last_name = Some(q.to_string()),
            "set" => match set_id(&portal, q).await {
                Some(id) => query.permission_set_id = Some(id),
                None => {
                    let e = ServiceError::Store(StoreError::NotFound(format!(
                        "permission set {q} in instance {instance}"
                    )));
                    return portal.error_page(Some(Tab::Users), &e);
                }
            },
            _ => query.email_prefix = Some(q.to_string()),
        }
    }
    let (found, next) = match users::list(&portal.change(), &portal.access, &instance, query).await
    {
        Ok(page) => page,
        Err(e) => return portal.error_page(Some(Tab::Users), &e),
    };
    let mut body = String::new();
    if let Some(n) = &search.notice {
        body.push_str(&notice("info", n));
    }
    body.push_str(&search_form(&portal, &search));
    body.push_str(&users_table(&portal, &found));
    if let Some(cursor) = next {
        body.push_str(&format!(
            r#"<p><a href="{}?q={}&amp;by={}&amp;after={}" rel="next">Next page</a></p>"#,
            esc(&portal.href("users")),
            url_part(q),
            url_part(&search.by),
            url_part(&cursor)
        ));
    }
    if portal.holds("users", "edit") {
        body.push_str(&associate_form(&portal).await);
    }
    portal.page(Some(Tab::Users), "Users", &body)
}

/// A set of the instance, else a global one, by name.
async fn set_id(portal: &Portal, name: &str) -> Option<i64> {
    let sets = portal.state.store().list_permission_sets().await.ok()?;
    sets.iter()
        .find(|s| s.instance == portal.instance && s.name == name)
        .or_else(|| sets.iter().find(|s| s.instance == "*" && s.name == name))
        .map(|s| s.id)
}

fn search_form(portal: &Portal, search: &Search) -> String {
    let option = |value: &str, label: &str| {
        let selected = if search.by == value { " selected" } else { "" };
        format!(r#"<option value="{value}"{selected}>{label}</option>"#)
    };
    format!(
        r#"<form method="get" action="{action}" class="search" role="search">
<label for="user-search">Search</label>
<input id="user-search" name="q" value="{q}">
<label for="user-search-by">by</label>
<select id="user-search-by" name="by">{o1}{o2}{o3}</select>
<button type="submit">Search</button>
</form>"#,
        action = esc(&portal.href("users")),
        q = esc(&search.q),
        o1 = option("email", "email"),
        o2 = option("last_name", "last name"),
        o3 = option("set", "permission set"),
    )
}

fn users_table(portal: &Portal, list: &[User]) -> String {
    if list.is_empty() {
        return notice("info", "No users found.");
    }
    let rows: String = list
        .iter()
        .map(|u| {
            let held = u.access_in(&portal.instance);
            let sets = held.map_or(String::new(), |a| {
                a.permission_sets
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            });
            format!(
                r#"<tr><td><a href="{}">{}</a></td><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
                esc(&user_href(portal, &u.email, "")),
                esc(&u.email),
                esc(&u.first_name),
                esc(&u.last_name),
                esc(&sets),
                esc(&u.positions_in(&portal.instance).join(", ")),
                if u.enabled { "yes" } else { "no" },
            )
        })
        .collect();
    format!(
        r#"<div class="table-wrap"><table id="users-table"><thead><tr><th scope="col">Email</th><th scope="col">Name</th><th scope="col">Permission sets</th><th scope="col">Positions</th><th scope="col">Enabled</th></tr></thead><tbody>{rows}</tbody></table></div>"#
    )
}

pub(super) fn user_href(portal: &Portal, email: &str, rest: &str) -> String {
    portal.href(&format!("users/{}{rest}", url_part(email)))
}

/// Checkboxes of the sets of the instance and the global ones, and of the nodes the caller may
/// place users on; `held_*` are checked.
pub(super) async fn access_fields(
    portal: &Portal,
    held_sets: &[String],
    held_positions: &[String],
) -> String {
    let store = portal.state.store();
    let sets = store.list_permission_sets().await.unwrap_or_default();
    let set_boxes: String = sets
        .iter()
        .filter(|s| s.instance == portal.instance || s.instance == "*")
        .enumerate()
        .map(|(n, s)| {
            let checked = if held_sets.contains(&s.name) { " checked" } else { "" };
            let global = if s.instance == "*" { r#" <span class="badge">global</span>"# } else { "" };
            format!(
                r#"<li><input type="checkbox" id="set-{n}" name="sets" value="{v}"{checked}> <label for="set-{n}">{v}</label>{global}</li>"#,
                v = esc(&s.name)
            )
        })
        .collect();
    let scope = portal
        .access
        .org_scope(&portal.instance, "users", "edit")
        .ok();
    let nodes = store
        .list_org_nodes(&portal.instance)
        .await
        .unwrap_or_default();
    let node_boxes: String = nodes
        .iter()
        .filter(|n| {
            held_positions.contains(&n.path) || scope.as_ref().is_some_and(|s| s.contains(&n.path))
        })
        .enumerate()
        .map(|(k, n)| {
            let checked = if held_positions.contains(&n.path) { " checked" } else { "" };
            format!(
                r#"<li><input type="checkbox" id="pos-{k}" name="positions" value="{v}"{checked}> <label for="pos-{k}">{v}</label></li>"#,
                v = esc(&n.path)
            )
        })
        .collect();
    format!(
        r#"<fieldset><legend>Permission sets</legend><ul class="checks">{set_boxes}</ul></fieldset>
<fieldset><legend>Positions (none: the root)</legend><ul class="checks">{node_boxes}</ul></fieldset>"#
    )
}

async fn associate_form(portal: &Portal) -> String {
    format!(
        r#"<section aria-labelledby="associate-heading"><h2 id="associate-heading">Associate a user</h2>
<form method="post" action="{action}" class="stacked">{csrf}
<label for="assoc-email">Email</label><input id="assoc-email" name="email" type="email" required>
<label for="assoc-first">First name (new accounts)</label><input id="assoc-first" name="first_name">
<label for="assoc-last">Last name (new accounts)</label><input id="assoc-last" name="last_name">
{fields}
<button type="submit">Associate</button>
</form></section>"#,
        action = esc(&portal.href("users")),
        csrf = csrf_field(portal),
        fields = access_fields(portal, &[], &[]).await,
    )
}

/// `users::associate` creates a new account, which gets an activation message, or brings in an
/// existing one, which gets a notification; an email already in the instance is refused (409)
/// with a link to its page, where its access is changed.
async fn associate(
    State(state): State<AppState>,
    me: SignedIn,
    Path(instance): Path<String>,
    form: Form<Vec<(String, String)>>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::Users).await);
    let f = Fields::new(form);
    try_page!(portal.check_csrf(f.get("csrf_token")));
    let profile = UserProfile {
        first_name: f.get("first_name").trim().to_string(),
        last_name: f.get("last_name").trim().to_string(),
        enabled: true,
        preferred_language: "en".into(),
        properties: Default::default(),
    };
    let done = users::associate(
        &portal.change(),
        &portal.access,
        &instance,
        f.get("email"),
        profile,
        &f.all("sets"),
        &f.all("positions"),
    )
    .await;
    let said = match done {
        Ok(Associated::Created(u)) => {
            if let Err(e) = state.send_activation(&u.email).await {
                return portal.error_page(Some(Tab::Users), &e);
            }
            format!("{} was created and an activation message was sent", u.email)
        }
        Ok(Associated::Added(u)) => {
            if let Err(e) = state.send_added_notification(&u.email, &instance).await {
                return portal.error_page(Some(Tab::Users), &e);
            }
            format!("{} was added to {instance} and notified", u.email)
        }
        Err(e @ ServiceError::Store(StoreError::Conflict(_))) => {
            let email = normalise_email(f.get("email")).unwrap_or_default();
            let link = format!(
                r#"<p><a href="{}">Open {}</a></p>"#,
                esc(&user_href(&portal, &email, "")),
                esc(&email)
            );
            return portal.error_page_with(Some(Tab::Users), &e, &link);
        }
        Err(e) => return portal.error_page(Some(Tab::Users), &e),
    };
    back_to_list(&portal, &said)
}

pub(super) fn back_to_list(portal: &Portal, said: &str) -> Response {
    Redirect::to(&format!(
        "{}?notice={}",
        portal.href("users"),
        url_part(said)
    ))
    .into_response()
}
