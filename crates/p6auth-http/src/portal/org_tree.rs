//! The Org tree tab: the nodes the user may read as nested lists; a node's page shows its users
//! and the forms to add a child, rename, move and delete it. `p6auth_service::org_tree` checks
//! `orgs=...` (and `users=read` for the users) against the node's path.

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use p6auth_core::org::{NewOrgNode, OrgNode, OrgNodeUpdate};
use p6auth_service::{ServiceError, org_tree};
use serde::Deserialize;

use super::context::{Portal, Tab};
use super::form::Fields;
use super::html::{csrf_field, esc, notice, url_part};
use crate::AppState;
use crate::session::SignedIn;

pub fn routes(i: &str) -> Router<AppState> {
    Router::new()
        .route(&format!("{i}/orgs"), get(tree).post(add))
        .route(&format!("{i}/orgs/{{id}}"), get(node_page))
        .route(&format!("{i}/orgs/{{id}}/{{op}}"), post(operation))
}

#[derive(Deserialize)]
struct Said {
    notice: Option<String>,
}

/// Nested lists, from the sorted paths: a node's children follow it.
fn nested(portal: &Portal, nodes: &[OrgNode]) -> String {
    fn children(portal: &Portal, nodes: &[OrgNode], parent: Option<i64>, out: &mut String) {
        let kids: Vec<&OrgNode> = nodes.iter().filter(|n| n.parent_id == parent).collect();
        if kids.is_empty() {
            return;
        }
        out.push_str("<ul>");
        for n in kids {
            out.push_str(&format!(
                r#"<li><a href="{}">{}</a>"#,
                esc(&portal.href(&format!("orgs/{}", n.id))),
                esc(&n.name)
            ));
            children(portal, nodes, Some(n.id), out);
            out.push_str("</li>");
        }
        out.push_str("</ul>");
    }
    let mut out = String::from(r#"<div class="tree" id="org-tree">"#);
    // the top of what the user sees: nodes whose parent is not visible
    let tops: Vec<&OrgNode> = nodes
        .iter()
        .filter(|n| !nodes.iter().any(|p| Some(p.id) == n.parent_id))
        .collect();
    out.push_str("<ul>");
    for top in tops {
        out.push_str(&format!(
            r#"<li><a href="{}">{}</a>"#,
            esc(&portal.href(&format!("orgs/{}", top.id))),
            esc(&top.path)
        ));
        children(portal, nodes, Some(top.id), &mut out);
        out.push_str("</li>");
    }
    out.push_str("</ul></div>");
    out
}

async fn tree(
    State(state): State<AppState>,
    me: SignedIn,
    Path(instance): Path<String>,
    Query(said): Query<Said>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::OrgTree).await);
    let nodes = match org_tree::tree(&portal.change(), &portal.access, &instance).await {
        Ok(n) => n,
        Err(e) => return portal.error_page(Some(Tab::OrgTree), &e),
    };
    let mut body = String::new();
    if let Some(n) = &said.notice {
        body.push_str(&notice("info", n));
    }
    body.push_str(&nested(&portal, &nodes));
    portal.page(Some(Tab::OrgTree), "Org tree", &body)
}

fn node_options(nodes: &[OrgNode], selected: Option<i64>, except_branch: Option<&str>) -> String {
    nodes
        .iter()
        .filter(|n| {
            except_branch.is_none_or(|b| n.path != b && !n.path.starts_with(&format!("{b}/")))
        })
        .map(|n| {
            let s = if Some(n.id) == selected {
                " selected"
            } else {
                ""
            };
            format!(r#"<option value="{}"{s}>{}</option>"#, n.id, esc(&n.path))
        })
        .collect()
}

async fn node_page(
    State(state): State<AppState>,
    me: SignedIn,
    Path((instance, id)): Path<(String, i64)>,
    Query(said): Query<Said>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::OrgTree).await);
    let c = portal.change();
    let nodes = match org_tree::tree(&c, &portal.access, &instance).await {
        Ok(n) => n,
        Err(e) => return portal.error_page(Some(Tab::OrgTree), &e),
    };
    let Some(node) = nodes.iter().find(|n| n.id == id) else {
        let e = ServiceError::Store(p6auth_store::StoreError::NotFound(format!("org node {id}")));
        return portal.error_page(Some(Tab::OrgTree), &e);
    };
    let mut body = String::new();
    if let Some(n) = &said.notice {
        body.push_str(&notice("info", n));
    }
    body.push_str(&format!(
        r#"<p><a href="{}">Back to the tree</a></p><h2>Users on {}</h2>"#,
        esc(&portal.href("orgs")),
        esc(&node.path)
    ));
    match org_tree::node_users(&c, &portal.access, &instance, id).await {
        Ok(list) if list.is_empty() => body.push_str(&notice("info", "No users on this node.")),
        Ok(list) => {
            let items: String = list
                .iter()
                .map(|u| format!("<li>{}</li>", esc(&u.email)))
                .collect();
            body.push_str(&format!(r#"<ul id="node-users">{items}</ul>"#));
        }
        Err(e) => body.push_str(&notice("info", &super::context::message_of(&e))),
    }
    if portal.holds("orgs", "edit") {
        let href = portal.href(&format!("orgs/{id}"));
        let csrf = csrf_field(&portal);
        body.push_str(&format!(
            r#"<h2>Add a child node</h2>
<form method="post" action="{add}" class="stacked">{csrf}<input type="hidden" name="parent_id" value="{id}">
<label for="child-name">Name</label><input id="child-name" name="name" required>
<button type="submit">Add node</button></form>"#,
            add = esc(&portal.href("orgs")),
        ));
        if node.parent_id.is_some() {
            body.push_str(&format!(
                r#"<h2>Rename</h2>
<form method="post" action="{href}/rename" class="stacked">{csrf}
<label for="node-name">New name</label><input id="node-name" name="name" value="{name}" required>
<button type="submit">Rename</button></form>
<h2>Move</h2>
<form method="post" action="{href}/move" class="stacked">{csrf}
<label for="node-parent">New parent</label><select id="node-parent" name="parent_id">{options}</select>
<button type="submit">Move</button></form>"#,
                href = esc(&href),
                name = esc(&node.name),
                options = node_options(&nodes, node.parent_id, Some(&node.path)),
            ));
        }
    }
    if portal.holds("orgs", "delete") && node.parent_id.is_some() {
        body.push_str(&format!(
            r#"<h2>Delete</h2>
<form method="post" action="{href}/delete" class="stacked">{csrf}
<div><input type="checkbox" id="node-cascade" name="cascade" value="true"> <label for="node-cascade">Also delete its children; their users and this node's move to its parent</label></div>
<button type="submit" class="danger">Delete {name}</button></form>"#,
            href = esc(&portal.href(&format!("orgs/{id}"))),
            csrf = csrf_field(&portal),
            name = esc(&node.path),
        ));
    }
    portal.page(Some(Tab::OrgTree), &node.path, &body)
}

fn back(portal: &Portal, rest: &str, said: &str) -> Response {
    Redirect::to(&format!("{}?notice={}", portal.href(rest), url_part(said))).into_response()
}

fn id_field(f: &Fields, name: &str) -> Result<i64, ServiceError> {
    f.get(name)
        .parse()
        .map_err(|_| ServiceError::Invalid(format!("{name} must be a node id")))
}

async fn add(
    State(state): State<AppState>,
    me: SignedIn,
    Path(instance): Path<String>,
    form: Form<Vec<(String, String)>>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::OrgTree).await);
    let f = Fields::new(form);
    try_page!(portal.check_csrf(f.get("csrf_token")));
    let result = async {
        let new = NewOrgNode {
            parent_id: id_field(&f, "parent_id")?,
            name: f.get("name").trim().to_string(),
            description: String::new(),
            properties: Default::default(),
        };
        org_tree::create(&portal.change(), &portal.access, &instance, new).await
    }
    .await;
    match result {
        Ok(n) => back(
            &portal,
            &format!("orgs/{}", n.id),
            &format!("{} added", n.path),
        ),
        Err(e) => portal.error_page(Some(Tab::OrgTree), &e),
    }
}

/// `rename`, `move`, `delete` (with `cascade` when checked).
async fn operation(
    State(state): State<AppState>,
    me: SignedIn,
    Path((instance, id, op)): Path<(String, i64, String)>,
    form: Form<Vec<(String, String)>>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::OrgTree).await);
    let f = Fields::new(form);
    try_page!(portal.check_csrf(f.get("csrf_token")));
    let c = portal.change();
    let a = &portal.access;
    let result = match op.as_str() {
        "rename" | "move" => {
            async {
                let update = if op == "rename" {
                    OrgNodeUpdate {
                        name: Some(f.get("name").trim().to_string()),
                        ..OrgNodeUpdate::default()
                    }
                } else {
                    OrgNodeUpdate {
                        parent_id: Some(id_field(&f, "parent_id")?),
                        ..OrgNodeUpdate::default()
                    }
                };
                let n = org_tree::update(&c, a, &instance, id, update).await?;
                Ok::<_, ServiceError>((format!("orgs/{}", n.id), format!("Now {}", n.path)))
            }
            .await
        }
        "delete" => {
            async {
                let before = org_tree::node(&c, &instance, id).await?;
                org_tree::delete(&c, a, &instance, id, f.checked("cascade")).await?;
                Ok(("orgs".to_string(), format!("{} deleted", before.path)))
            }
            .await
        }
        _ => Err(ServiceError::Store(p6auth_store::StoreError::NotFound(
            format!("operation {op}"),
        ))),
    };
    match result {
        Ok((rest, said)) => back(&portal, &rest, &said),
        Err(e) => portal.error_page(Some(Tab::OrgTree), &e),
    }
}
