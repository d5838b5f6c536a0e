//! One user, seen from the instance: their sets and positions here (editable), removing them
//! from the instance, resending the activation message, and deleting the account after a
//! confirmation that lists every instance it belongs to.

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use p6auth_core::audit::Actor;
use p6auth_core::user::User;
use p6auth_service::users;
use serde::Deserialize;

use super::context::{Portal, Tab};
use super::form::Fields;
use super::html::{csrf_field, esc, notice, post_button, url_part};
use super::users::{access_fields, back_to_list, user_href};
use crate::AppState;
use crate::session::SignedIn;

pub fn routes(i: &str) -> Router<AppState> {
    Router::new()
        .route(&format!("{i}/users/{{email}}"), get(edit))
        .route(&format!("{i}/users/{{email}}/access"), post(save_access))
        .route(
            &format!("{i}/users/{{email}}/disassociate"),
            post(disassociate),
        )
        .route(&format!("{i}/users/{{email}}/resend"), post(resend))
        .route(
            &format!("{i}/users/{{email}}/delete"),
            get(confirm_delete).post(delete),
        )
}

#[derive(Deserialize)]
struct Said {
    notice: Option<String>,
}

async fn edit(
    State(state): State<AppState>,
    me: SignedIn,
    Path((instance, email)): Path<(String, String)>,
    Query(said): Query<Said>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::Users).await);
    let user = match users::get(&portal.change(), &portal.access, &instance, &email).await {
        Ok(u) => u,
        Err(e) => return portal.error_page(Some(Tab::Users), &e),
    };
    let held = user.access_in(&instance);
    let sets: Vec<String> = held.map_or(Vec::new(), |a| {
        a.permission_sets.iter().map(|s| s.name.clone()).collect()
    });
    let positions: Vec<String> = held.map_or(Vec::new(), |a| a.positions.clone());
    let mut body = String::new();
    if let Some(n) = &said.notice {
        body.push_str(&notice("info", n));
    }
    body.push_str(&format!(
        r#"<dl class="facts"><dt>Name</dt><dd>{} {}</dd><dt>Enabled</dt><dd>{}</dd><dt>Instances</dt><dd>{}</dd></dl>"#,
        esc(&user.first_name),
        esc(&user.last_name),
        if user.enabled { "yes" } else { "no" },
        esc(&instances_of(&user).join(", ")),
    ));
    if portal.holds("users", "edit") {
        body.push_str(&format!(
            r#"<h2>Access in {inst}</h2><form method="post" action="{action}" class="stacked">{csrf}{fields}<button type="submit">Save access</button></form>"#,
            inst = esc(&instance),
            action = esc(&user_href(&portal, &user.email, "/access")),
            csrf = csrf_field(&portal),
            fields = access_fields(&portal, &sets, &positions).await,
        ));
        body.push_str(r#"<h2>Other actions</h2><div class="actions">"#);
        body.push_str(&post_button(
            &portal,
            &user_href(&portal, &user.email, "/resend"),
            "Resend activation",
            "",
        ));
        body.push_str(&post_button(
            &portal,
            &user_href(&portal, &user.email, "/disassociate"),
            &format!("Remove from {instance}"),
            "danger",
        ));
    } else {
        body.push_str(r#"<div class="actions">"#);
    }
    // nobody deletes their own account here (the use case refuses it)
    let myself = matches!(portal.access.actor(), Actor::User(me) if *me == user.email);
    if portal.holds("users", "delete") && !myself {
        body.push_str(&format!(
            r#"<a class="button danger" href="{}">Delete account…</a>"#,
            esc(&user_href(&portal, &user.email, "/delete"))
        ));
    }
    body.push_str("</div>");
    portal.page(Some(Tab::Users), &user.email, &body)
}

fn instances_of(user: &User) -> Vec<String> {
    user.access.iter().map(|a| a.instance.clone()).collect()
}

async fn save_access(
    State(state): State<AppState>,
    me: SignedIn,
    Path((instance, email)): Path<(String, String)>,
    form: Form<Vec<(String, String)>>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::Users).await);
    let f = Fields::new(form);
    try_page!(portal.check_csrf(f.get("csrf_token")));
    let c = portal.change();
    match users::set_access(
        &c,
        &portal.access,
        &instance,
        &email,
        &f.all("sets"),
        &f.all("positions"),
    )
    .await
    {
        Ok(u) => Redirect::to(&format!(
            "{}?notice={}",
            user_href(&portal, &u.email, ""),
            url_part("Access saved")
        ))
        .into_response(),
        Err(e) => portal.error_page(Some(Tab::Users), &e),
    }
}

/// No sets and no positions: the user no longer belongs to the instance; the account stays.
async fn disassociate(
    State(state): State<AppState>,
    me: SignedIn,
    Path((instance, email)): Path<(String, String)>,
    form: Form<Vec<(String, String)>>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::Users).await);
    let f = Fields::new(form);
    try_page!(portal.check_csrf(f.get("csrf_token")));
    match users::set_access(
        &portal.change(),
        &portal.access,
        &instance,
        &email,
        &[],
        &[],
    )
    .await
    {
        Ok(u) => back_to_list(&portal, &format!("{} was removed from {instance}", u.email)),
        Err(e) => portal.error_page(Some(Tab::Users), &e),
    }
}

async fn resend(
    State(state): State<AppState>,
    me: SignedIn,
    Path((instance, email)): Path<(String, String)>,
    form: Form<Vec<(String, String)>>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::Users).await);
    let f = Fields::new(form);
    try_page!(portal.check_csrf(f.get("csrf_token")));
    // the same reach as editing the user: a delegated admin resends only to its own users
    let user = match users::get(&portal.change(), &portal.access, &instance, &email).await {
        Ok(u) => u,
        Err(e) => return portal.error_page(Some(Tab::Users), &e),
    };
    if let Err(e) = portal.access.org_scope(&instance, "users", "edit") {
        return portal.error_page(Some(Tab::Users), &e);
    }
    if let Err(e) = state.send_activation(&user.email).await {
        return portal.error_page(Some(Tab::Users), &e);
    }
    Redirect::to(&format!(
        "{}?notice={}",
        user_href(&portal, &user.email, ""),
        url_part(&format!("An activation message was sent to {}", user.email))
    ))
    .into_response()
}

/// The confirmation lists every instance the account belongs to: deleting it removes it from
/// all of them.
async fn confirm_delete(
    State(state): State<AppState>,
    me: SignedIn,
    Path((instance, email)): Path<(String, String)>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::Users).await);
    let user = match users::get(&portal.change(), &portal.access, &instance, &email).await {
        Ok(u) => u,
        Err(e) => return portal.error_page(Some(Tab::Users), &e),
    };
    let items: String = instances_of(&user)
        .iter()
        .map(|i| format!("<li>{}</li>", esc(i)))
        .collect();
    let body = format!(
        r#"<p>Deleting the account <strong>{email}</strong> removes it from every instance it belongs to:</p>
<ul id="delete-instances">{items}</ul>
<form method="post" action="{action}">{csrf}<button type="submit" class="danger">Delete {email} everywhere</button></form>
<p><a href="{back}">Cancel</a></p>"#,
        email = esc(&user.email),
        action = esc(&user_href(&portal, &user.email, "/delete")),
        csrf = csrf_field(&portal),
        back = esc(&user_href(&portal, &user.email, "")),
    );
    portal.page(Some(Tab::Users), "Delete account", &body)
}

async fn delete(
    State(state): State<AppState>,
    me: SignedIn,
    Path((instance, email)): Path<(String, String)>,
    form: Form<Vec<(String, String)>>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::Users).await);
    let f = Fields::new(form);
    try_page!(portal.check_csrf(f.get("csrf_token")));
    match users::delete(&portal.change(), &portal.access, &email).await {
        Ok(()) => back_to_list(&portal, &format!("{email} was deleted")),
        Err(e) => portal.error_page(Some(Tab::Users), &e),
    }
}
