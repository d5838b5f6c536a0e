//! One integration: its settings (Redirect URI, Enabled, policies), enable/disable, a new
//! secret (shown once), deletion after a confirmation. `integrations=...` in every instance of
//! its policies, as for `/apis/v2/integrations`.

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use p6auth_core::integration::Integration;
use p6auth_service::ServiceError;
use p6auth_service::admin::{self, require_for_integration, require_policies_held};
use serde::Deserialize;

use super::context::{Portal, Tab};
use super::form::Fields;
use super::html::{csrf_field, esc, notice, post_button, url_part};
use super::integrations::{last_used, parse_policies, policy_instances, policy_lines, secret_page};
use crate::AppState;
use crate::session::SignedIn;

pub fn routes(i: &str) -> Router<AppState> {
    Router::new()
        .route(&format!("{i}/integrations/{{id}}"), get(show).post(save))
        .route(
            &format!("{i}/integrations/{{id}}/delete"),
            get(confirm_delete).post(delete),
        )
        .route(&format!("{i}/integrations/{{id}}/{{op}}"), post(operation))
}

/// The integration, when it has a policy in this instance (or none) and the user may read it.
async fn integration_here(
    portal: &Portal,
    id: &str,
    action: &str,
) -> Result<Integration, Response> {
    let fail = |e: ServiceError| portal.error_page(Some(Tab::Integrations), &e);
    let i = portal
        .state
        .store()
        .get_integration(id)
        .await
        .map_err(|e| fail(e.into()))?;
    let instances = policy_instances(&i);
    if !instances.is_empty() && !instances.contains(&portal.instance.as_str()) {
        return Err(fail(ServiceError::Store(
            p6auth_store::StoreError::NotFound(format!(
                "integration {id} in instance {}",
                portal.instance
            )),
        )));
    }
    require_for_integration(&portal.access, &instances, action).map_err(fail)?;
    Ok(i)
}

#[derive(Deserialize)]
struct ShowQuery {
    notice: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    me: SignedIn,
    Path((instance, id)): Path<(String, String)>,
    Query(q): Query<ShowQuery>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::Integrations).await);
    let i = try_page!(integration_here(&portal, &id, "read").await);
    let href = portal.href(&format!("integrations/{}", url_part(&i.application_id)));
    let mut body = String::new();
    if let Some(n) = &q.notice {
        body.push_str(&notice("info", n));
    }
    body.push_str(&format!(
        r#"<dl class="facts"><dt>Application ID</dt><dd><code>{}</code></dd><dt>Redirect URI</dt><dd>{}</dd><dt>Enabled</dt><dd id="integration-enabled">{}</dd><dt>Last used</dt><dd>{}</dd><dt>Secrets</dt><dd>{}</dd></dl>"#,
        esc(&i.application_id),
        esc(&i.redirect_uri),
        if i.enabled { "yes" } else { "no" },
        esc(&last_used(&i)),
        i.secrets.len(),
    ));
    let editable = require_for_integration(&portal.access, &policy_instances(&i), "edit").is_ok();
    if editable {
        let checked = if i.enabled { " checked" } else { "" };
        body.push_str(&format!(
            r#"<h2>Settings</h2><form method="post" action="{action}" class="stacked">{csrf}
<label for="int-redirect">Redirect URI</label><input id="int-redirect" name="redirect_uri" type="url" value="{redirect}" required>
<div><input type="checkbox" id="int-enabled" name="enabled" value="true"{checked}> <label for="int-enabled">Enabled</label></div>
<label for="int-policies">Policies, one per line: instance/permission set</label>
<textarea id="int-policies" name="policies" rows="3" spellcheck="false">{policies}</textarea>
<button type="submit">Save</button></form>
<h2>Actions</h2><div class="actions">"#,
            action = esc(&href),
            csrf = csrf_field(&portal),
            policies = esc(&policy_lines(&i)),
            redirect = esc(&i.redirect_uri),
        ));
        let (op, label) = if i.enabled {
            ("disable", "Disable")
        } else {
            ("enable", "Enable")
        };
        body.push_str(&post_button(&portal, &format!("{href}/{op}"), label, ""));
        body.push_str(&post_button(
            &portal,
            &format!("{href}/rotate-secret"),
            "Rotate secret",
            "",
        ));
    } else {
        body.push_str(r#"<div class="actions">"#);
    }
    if require_for_integration(&portal.access, &policy_instances(&i), "delete").is_ok() {
        body.push_str(&format!(
            r#"<a class="button danger" href="{}/delete">Delete…</a>"#,
            esc(&href)
        ));
    }
    body.push_str("</div>");
    portal.page(Some(Tab::Integrations), &i.name, &body)
}

/// The Enabled flag and the policy list: `integrations=edit` in the old and the new policies'
/// instances, and no escalation.
async fn save(
    State(state): State<AppState>,
    me: SignedIn,
    Path((instance, id)): Path<(String, String)>,
    form: Form<Vec<(String, String)>>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::Integrations).await);
    let f = Fields::new(form);
    try_page!(portal.check_csrf(f.get("csrf_token")));
    let before = try_page!(integration_here(&portal, &id, "edit").await);
    let result = async {
        let policies = parse_policies(&f.lines("policies"))?;
        let c = portal.change();
        let current: Vec<String> = before
            .policies
            .iter()
            .map(|p| format!("{}/{}", p.instance, p.permission_set_name))
            .collect();
        if f.lines("policies") != current {
            let instances: Vec<&str> = policies.iter().map(|p| p.instance.as_str()).collect();
            require_for_integration(&portal.access, &instances, "edit")?;
            require_policies_held(state.store().as_ref(), &portal.access, &policies).await?;
            admin::set_integration_policies(&c, &id, policies).await?;
        }
        let redirect_uri = f.get("redirect_uri").trim();
        if redirect_uri != before.redirect_uri {
            admin::set_integration_redirect_uri(&c, &id, redirect_uri).await?;
        }
        let enabled = f.checked("enabled");
        if enabled != before.enabled {
            admin::set_integration_enabled(&c, &id, enabled).await?;
        }
        Ok::<_, ServiceError>(())
    }
    .await;
    match result {
        Ok(()) => back_to(&portal, &id, "Saved"),
        Err(e) => portal.error_page(Some(Tab::Integrations), &e),
    }
}

fn back_to(portal: &Portal, id: &str, said: &str) -> Response {
    Redirect::to(&format!(
        "{}?notice={}",
        portal.href(&format!("integrations/{}", url_part(id))),
        url_part(said)
    ))
    .into_response()
}

/// `enable`, `disable`, `rotate-secret` (the new secret once; older ones end now).
async fn operation(
    State(state): State<AppState>,
    me: SignedIn,
    Path((instance, id, op)): Path<(String, String, String)>,
    form: Form<Vec<(String, String)>>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::Integrations).await);
    let f = Fields::new(form);
    try_page!(portal.check_csrf(f.get("csrf_token")));
    try_page!(integration_here(&portal, &id, "edit").await);
    let c = portal.change();
    match op.as_str() {
        "enable" | "disable" => match admin::set_integration_enabled(&c, &id, op == "enable").await
        {
            Ok(_) => back_to(&portal, &id, &format!("Integration {op}d")),
            Err(e) => portal.error_page(Some(Tab::Integrations), &e),
        },
        "rotate-secret" => match admin::rotate_integration_secret(&c, state.hasher(), &id, 0).await
        {
            Ok((i, secret)) => secret_page(&portal, &i, &secret, "New App Secret"),
            Err(e) => portal.error_page(Some(Tab::Integrations), &e),
        },
        _ => portal.error_page(
            Some(Tab::Integrations),
            &ServiceError::Store(p6auth_store::StoreError::NotFound(format!(
                "operation {op}"
            ))),
        ),
    }
}

async fn confirm_delete(
    State(state): State<AppState>,
    me: SignedIn,
    Path((instance, id)): Path<(String, String)>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::Integrations).await);
    let i = try_page!(integration_here(&portal, &id, "delete").await);
    let href = portal.href(&format!("integrations/{}", url_part(&i.application_id)));
    let body = format!(
        r#"<p>Delete the integration <strong>{name}</strong> (<code>{id}</code>)? Its tokens stop working and its secret cannot be used again.</p>
<form method="post" action="{href}/delete">{csrf}<button type="submit" class="danger">Delete {name}</button></form>
<p><a href="{href}">Cancel</a></p>"#,
        name = esc(&i.name),
        id = esc(&i.application_id),
        href = esc(&href),
        csrf = csrf_field(&portal),
    );
    portal.page(Some(Tab::Integrations), "Delete integration", &body)
}

async fn delete(
    State(state): State<AppState>,
    me: SignedIn,
    Path((instance, id)): Path<(String, String)>,
    form: Form<Vec<(String, String)>>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::Integrations).await);
    let f = Fields::new(form);
    try_page!(portal.check_csrf(f.get("csrf_token")));
    try_page!(integration_here(&portal, &id, "delete").await);
    match admin::delete_integration(&portal.change(), &id).await {
        Ok(()) => Redirect::to(&format!(
            "{}?notice={}",
            portal.href("integrations"),
            url_part("Integration deleted")
        ))
        .into_response(),
        Err(e) => portal.error_page(Some(Tab::Integrations), &e),
    }
}
