//! The Permission sets tab: the instance's sets and the global ones (badged); create, edit,
//! duplicate, enable/disable, delete (after a confirmation page). Permission strings are checked
//! as they are typed (`/admin/api/check-permission`) and again on submit, where an error re-shows
//! the form with the parser's position and reason. The checks are those of `/apis/v2/permsets`: `permsets=...('NAME')`
//! in the set's instance, and no handing out of permissions the user does not hold.

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use p6auth_core::permission_set::{NewPermissionSet, PermissionSet, is_builtin};
use p6auth_service::ServiceError;
use p6auth_service::access::granted_in;
use p6auth_service::admin;
use p6auth_store::StoreError;
use serde::Deserialize;

use super::context::{Portal, Tab};
use super::form::Fields;
use super::html::{csrf_field, esc, notice, post_button, url_part};
use crate::AppState;
use crate::session::SignedIn;

pub fn routes(i: &str) -> Router<AppState> {
    Router::new()
        .route(&format!("{i}/permsets"), get(list).post(create))
        .route(&format!("{i}/permsets/new"), get(new_form))
        .route(&format!("{i}/permsets/{{id}}"), get(edit_form).post(update))
        .route(
            &format!("{i}/permsets/{{id}}/delete"),
            get(confirm_delete).post(delete),
        )
        .route(&format!("{i}/permsets/{{id}}/{{op}}"), post(operation))
}

#[derive(Deserialize)]
struct ListQuery {
    notice: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    me: SignedIn,
    Path(instance): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::PermissionSets).await);
    let sets = match visible_sets(&portal).await {
        Ok(s) => s,
        Err(e) => return portal.error_page(Some(Tab::PermissionSets), &e),
    };
    let mut body = String::new();
    if let Some(n) = &q.notice {
        body.push_str(&notice("info", n));
    }
    if portal.holds("permsets", "edit") {
        body.push_str(&format!(
            r#"<p><a class="button" href="{}">New permission set</a></p>"#,
            esc(&portal.href("permsets/new"))
        ));
    }
    let rows: String = sets.iter().map(|s| set_row(&portal, s)).collect();
    body.push_str(&format!(
        r#"<div class="table-wrap"><table id="sets-table"><thead><tr><th scope="col">Name</th><th scope="col">Permissions</th><th scope="col">Enabled</th><th scope="col">Actions</th></tr></thead><tbody>{rows}</tbody></table></div>"#
    ));
    portal.page(Some(Tab::PermissionSets), "Permission sets", &body)
}

/// The sets of the instance and the global ones the user may read here.
async fn visible_sets(portal: &Portal) -> Result<Vec<PermissionSet>, ServiceError> {
    Ok(portal
        .state
        .store()
        .list_permission_sets()
        .await?
        .into_iter()
        .filter(|s| s.instance == portal.instance || s.instance == "*")
        .filter(|s| {
            portal
                .access
                .allows(&portal.instance, "permsets", "read", Some(&s.name))
        })
        .collect())
}

fn set_row(portal: &Portal, s: &PermissionSet) -> String {
    let badge = if s.instance == "*" {
        r#" <span class="badge">global</span>"#
    } else {
        ""
    };
    let set_href = portal.href(&format!("permsets/{}", s.id));
    let mut actions = String::new();
    let editable = may(portal, s, "edit") && !is_builtin(s);
    if editable {
        let (op, label) = if s.enabled {
            ("disable", "Disable")
        } else {
            ("enable", "Enable")
        };
        actions.push_str(&post_button(portal, &format!("{set_href}/{op}"), label, ""));
    }
    if portal.holds("permsets", "edit") {
        actions.push_str(&format!(
            r#"<a class="button" href="{}?from={}">Duplicate</a>"#,
            esc(&portal.href("permsets/new")),
            s.id
        ));
    }
    if may(portal, s, "delete") && !is_builtin(s) {
        actions.push_str(&format!(
            r#"<a class="button danger" href="{}/delete">Delete…</a>"#,
            esc(&set_href)
        ));
    }
    let name = if editable {
        format!(r#"<a href="{}">{}</a>"#, esc(&set_href), esc(&s.name))
    } else {
        esc(&s.name)
    };
    format!(
        r#"<tr><td>{name}{badge}</td><td><code>{}</code></td><td>{}</td><td class="actions">{actions}</td></tr>"#,
        esc(&s.permissions.join(" ")),
        if s.enabled { "yes" } else { "no" },
    )
}

/// `permsets=action('NAME')` in the set's own instance (`*` for a global set).
fn may(portal: &Portal, s: &PermissionSet, action: &str) -> bool {
    portal
        .access
        .allows(&s.instance, "permsets", action, Some(&s.name))
}

struct SetForm {
    name: String,
    description: String,
    permissions: String,
}

fn set_form(
    portal: &Portal,
    action: &str,
    values: &SetForm,
    error: Option<&str>,
    submit: &str,
) -> String {
    format!(
        r#"{error}<form method="post" action="{action}" class="stacked">{csrf}
<label for="set-name">Name</label><input id="set-name" name="name" value="{name}" required>
<label for="set-description">Description</label><input id="set-description" name="description" value="{description}">
<label for="set-permissions">Permissions, one per line</label>
<textarea id="set-permissions" name="permissions" rows="6" data-permission-check="set-permissions-errors" aria-describedby="set-permissions-errors" spellcheck="false">{permissions}</textarea>
<div id="set-permissions-errors" class="field-errors" aria-live="polite"></div>
<button type="submit">{submit}</button>
</form>"#,
        error = error.map_or(String::new(), |e| notice("error", e)),
        action = esc(action),
        csrf = csrf_field(portal),
        name = esc(&values.name),
        description = esc(&values.description),
        permissions = esc(&values.permissions),
    )
}

#[derive(Deserialize)]
struct NewQuery {
    from: Option<i64>,
}

/// An empty form, or a copy of `from` (Duplicate).
async fn new_form(
    State(state): State<AppState>,
    me: SignedIn,
    Path(instance): Path<String>,
    Query(q): Query<NewQuery>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::PermissionSets).await);
    let mut values = SetForm {
        name: String::new(),
        description: String::new(),
        permissions: String::new(),
    };
    if let Some(id) = q.from {
        let from = try_page!(set_here(&portal, id).await);
        values = SetForm {
            name: format!("{} (copy)", from.name),
            description: from.description.clone(),
            permissions: from.permissions.join("\n"),
        };
    }
    let form = set_form(&portal, &portal.href("permsets"), &values, None, "Create");
    portal.page(Some(Tab::PermissionSets), "New permission set", &form)
}

/// A set of this instance or a global one; others are not found here.
async fn set_here(portal: &Portal, id: i64) -> Result<PermissionSet, Response> {
    let found = portal.state.store().get_permission_set(id).await;
    match found {
        Ok(s) if s.instance == portal.instance || s.instance == "*" => Ok(s),
        Ok(_) | Err(StoreError::NotFound(_)) => Err(portal.error_page(
            Some(Tab::PermissionSets),
            &ServiceError::Store(StoreError::NotFound(format!("permission set {id}"))),
        )),
        Err(e) => Err(portal.error_page(Some(Tab::PermissionSets), &e.into())),
    }
}

fn values_of(f: &Fields) -> SetForm {
    SetForm {
        name: f.get("name").trim().to_string(),
        description: f.get("description").trim().to_string(),
        permissions: f.get("permissions").to_string(),
    }
}

fn new_set(instance: &str, f: &Fields) -> NewPermissionSet {
    NewPermissionSet {
        instance: instance.to_string(),
        name: f.get("name").trim().to_string(),
        description: f.get("description").trim().to_string(),
        permissions: f.lines("permissions"),
    }
}

async fn create(
    State(state): State<AppState>,
    me: SignedIn,
    Path(instance): Path<String>,
    form: Form<Vec<(String, String)>>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::PermissionSets).await);
    let f = Fields::new(form);
    try_page!(portal.check_csrf(f.get("csrf_token")));
    let set = new_set(&instance, &f);
    let result = async {
        portal
            .access
            .require(&instance, "permsets", "edit", Some(&set.name))?;
        portal
            .access
            .require_holds(granted_in(&instance, &set.permissions))?;
        admin::create_permission_set(&portal.change(), set).await
    }
    .await;
    match result {
        Ok(s) => back_to_list(&portal, &format!("Permission set {} created", s.name)),
        Err(e) => {
            let form = set_form(
                &portal,
                &portal.href("permsets"),
                &values_of(&f),
                Some(&super::context::message_of(&e)),
                "Create",
            );
            with_status(
                portal.page(Some(Tab::PermissionSets), "New permission set", &form),
                &e,
            )
        }
    }
}

fn with_status(mut r: Response, e: &ServiceError) -> Response {
    *r.status_mut() = super::context::status_of(e);
    r
}

fn back_to_list(portal: &Portal, said: &str) -> Response {
    Redirect::to(&format!(
        "{}?notice={}",
        portal.href("permsets"),
        url_part(said)
    ))
    .into_response()
}

async fn edit_form(
    State(state): State<AppState>,
    me: SignedIn,
    Path((instance, id)): Path<(String, i64)>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::PermissionSets).await);
    let set = try_page!(set_here(&portal, id).await);
    if !portal
        .access
        .allows(&instance, "permsets", "read", Some(&set.name))
    {
        let e = ServiceError::Forbidden(format!("{}:permsets=read('{}')", set.instance, set.name));
        return portal.error_page(Some(Tab::PermissionSets), &e);
    }
    let values = SetForm {
        name: set.name.clone(),
        description: set.description.clone(),
        permissions: set.permissions.join("\n"),
    };
    let action = portal.href(&format!("permsets/{id}"));
    let form = set_form(&portal, &action, &values, None, "Save");
    portal.page(
        Some(Tab::PermissionSets),
        &format!("Edit {}", set.name),
        &form,
    )
}

async fn update(
    State(state): State<AppState>,
    me: SignedIn,
    Path((instance, id)): Path<(String, i64)>,
    form: Form<Vec<(String, String)>>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::PermissionSets).await);
    let f = Fields::new(form);
    try_page!(portal.check_csrf(f.get("csrf_token")));
    let before = try_page!(set_here(&portal, id).await);
    let set = new_set(&before.instance, &f);
    let result = async {
        let a = &portal.access;
        a.require(&before.instance, "permsets", "edit", Some(&before.name))?;
        a.require(&before.instance, "permsets", "edit", Some(&set.name))?;
        a.require_holds(granted_in(&before.instance, &set.permissions))?;
        admin::update_permission_set(&portal.change(), &before, set).await
    }
    .await;
    match result {
        Ok(s) => back_to_list(&portal, &format!("Permission set {} saved", s.name)),
        Err(e) => {
            let action = portal.href(&format!("permsets/{id}"));
            let form = set_form(
                &portal,
                &action,
                &values_of(&f),
                Some(&super::context::message_of(&e)),
                "Save",
            );
            with_status(
                portal.page(
                    Some(Tab::PermissionSets),
                    &format!("Edit {}", before.name),
                    &form,
                ),
                &e,
            )
        }
    }
}

/// `enable`, `disable` (`permsets=edit`).
async fn operation(
    State(state): State<AppState>,
    me: SignedIn,
    Path((instance, id, op)): Path<(String, i64, String)>,
    form: Form<Vec<(String, String)>>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::PermissionSets).await);
    let f = Fields::new(form);
    try_page!(portal.check_csrf(f.get("csrf_token")));
    let set = try_page!(set_here(&portal, id).await);
    let enable = match op.as_str() {
        "enable" => true,
        "disable" => false,
        _ => {
            let e = ServiceError::Store(StoreError::NotFound(format!("operation {op}")));
            return portal.error_page(Some(Tab::PermissionSets), &e);
        }
    };
    let result = async {
        let a = &portal.access;
        a.require(&set.instance, "permsets", "edit", Some(&set.name))?;
        admin::set_permission_set_enabled(&portal.change(), &set, enable).await
    }
    .await;
    match result {
        Ok(_) => back_to_list(&portal, &format!("Permission set {} {op}d", set.name)),
        Err(e) => portal.error_page(Some(Tab::PermissionSets), &e),
    }
}

/// A set of this instance (or a global one) the user may delete: `permsets=delete('NAME')` in
/// the set's instance. The built-in set is refused by the use case.
async fn deletable(portal: &Portal, id: i64) -> Result<PermissionSet, Response> {
    let set = set_here(portal, id).await?;
    portal
        .access
        .require(&set.instance, "permsets", "delete", Some(&set.name))
        .map_err(|e| portal.error_page(Some(Tab::PermissionSets), &e))?;
    Ok(set)
}

/// Deleting asks first, as for users and integrations.
async fn confirm_delete(
    State(state): State<AppState>,
    me: SignedIn,
    Path((instance, id)): Path<(String, i64)>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::PermissionSets).await);
    let set = try_page!(deletable(&portal, id).await);
    let href = portal.href(&format!("permsets/{id}"));
    let scope = if set.instance == "*" {
        "the global permission set".to_string()
    } else {
        format!("the permission set of instance {}", esc(&set.instance))
    };
    let body = format!(
        r#"<p>Delete {scope} <strong>{name}</strong>? This cannot be undone; it is refused while a user or an integration holds the set.</p>
<form method="post" action="{href}/delete">{csrf}<button type="submit" class="danger">Delete {name}</button></form>
<p><a href="{list}">Cancel</a></p>"#,
        name = esc(&set.name),
        href = esc(&href),
        list = esc(&portal.href("permsets")),
        csrf = csrf_field(&portal),
    );
    portal.page(Some(Tab::PermissionSets), "Delete permission set", &body)
}

/// Refused while held, with the users and integrations that hold it.
async fn delete(
    State(state): State<AppState>,
    me: SignedIn,
    Path((instance, id)): Path<(String, i64)>,
    form: Form<Vec<(String, String)>>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::PermissionSets).await);
    let f = Fields::new(form);
    try_page!(portal.check_csrf(f.get("csrf_token")));
    let set = try_page!(deletable(&portal, id).await);
    match admin::delete_permission_set(&portal.change(), &set).await {
        Ok(()) => back_to_list(&portal, &format!("Permission set {} deleted", set.name)),
        Err(e) => portal.error_page(Some(Tab::PermissionSets), &e),
    }
}
