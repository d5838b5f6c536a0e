//! The Integrations tab: the integrations with a policy in this instance; create one (the
//! Application ID and App Secret come from Generate buttons, checked again here, and only the
//! secret's keyed hash is stored), see the secret once with a ready-to-run curl command, change
//! the Redirect URI, the Enabled flag and the policy list, rotate the secret, delete after a confirmation. The
//! checks are those of `/apis/v2/integrations` (`integrations=...` in every policy's instance).

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use p6auth_core::integration::{Integration, PolicyRef};
use p6auth_core::secret::PlainSecret;
use p6auth_service::ServiceError;
use p6auth_service::admin::{
    self, CreateIntegration, require_for_integration, require_policies_held,
};
use serde::Deserialize;

use super::context::{Portal, Tab, message_of};
use super::form::Fields;
use super::html::{csrf_field, esc, notice, url_part};
use crate::AppState;
use crate::session::SignedIn;

pub fn routes(i: &str) -> Router<AppState> {
    Router::new()
        .route(&format!("{i}/integrations"), get(list).post(create))
        .route(&format!("{i}/integrations/new"), get(new_form))
}

pub(super) fn policy_instances(i: &Integration) -> Vec<&str> {
    i.policies.iter().map(|p| p.instance.as_str()).collect()
}

pub(super) fn policy_lines(i: &Integration) -> String {
    i.policies
        .iter()
        .map(|p| format!("{}/{}", p.instance, p.permission_set_name))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(super) fn last_used(i: &Integration) -> String {
    i.secrets
        .iter()
        .filter_map(|s| s.last_used_at)
        .max()
        .map_or("never".into(), |t| {
            // uses are recorded to the minute
            let at = p6auth_core::clock::rfc3339(t);
            format!("{} UTC", at.trim_end_matches(":00Z").replace('T', " "))
        })
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
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::Integrations).await);
    let all = match state.store().list_integrations().await {
        Ok(l) => l,
        Err(e) => return portal.error_page(Some(Tab::Integrations), &e.into()),
    };
    let rows: String = all
        .iter()
        .filter(|i| {
            let instances = policy_instances(i);
            (instances.is_empty() || instances.contains(&instance.as_str()))
                && require_for_integration(&portal.access, &instances, "read").is_ok()
        })
        .map(|i| {
            format!(
                r#"<tr><td><a href="{}">{}</a></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>"#,
                esc(&portal.href(&format!("integrations/{}", url_part(&i.application_id)))),
                esc(&i.name),
                esc(&i.application_id),
                if i.enabled { "yes" } else { "no" },
                esc(&last_used(i)),
            )
        })
        .collect();
    let mut body = String::new();
    if let Some(n) = &q.notice {
        body.push_str(&notice("info", n));
    }
    if portal.holds("integrations", "edit") {
        body.push_str(&format!(
            r#"<p><a class="button" href="{}">New integration</a></p>"#,
            esc(&portal.href("integrations/new"))
        ));
    }
    body.push_str(&format!(
        r#"<div class="table-wrap"><table id="integrations-table"><thead><tr><th scope="col">Name</th><th scope="col">Application ID</th><th scope="col">Enabled</th><th scope="col">Last used</th></tr></thead><tbody>{rows}</tbody></table></div>"#
    ));
    portal.page(Some(Tab::Integrations), "Integrations", &body)
}

fn create_form(portal: &Portal, f: Option<&Fields>, error: Option<&str>) -> String {
    let v = |name: &str| f.map_or(String::new(), |f| esc(f.get(name)));
    let policies = f.map_or(String::new(), |f| esc(f.get("policies")));
    format!(
        r#"{error}<form method="post" action="{action}" class="stacked">{csrf}
<label for="int-name">Name</label><input id="int-name" name="name" value="{name}" required>
<label for="int-redirect">Redirect URI</label><input id="int-redirect" name="redirect_uri" type="url" value="{redirect}" required>
<label for="int-app-id">Application ID</label>
<div class="with-button"><input id="int-app-id" name="application_id" value="{app_id}" required spellcheck="false"><button type="button" data-generate="application_id" data-target="int-app-id">Generate</button></div>
<label for="int-secret">App Secret</label>
<div class="with-button"><input id="int-secret" name="app_secret" value="{secret}" required spellcheck="false" autocomplete="off"><button type="button" data-generate="app_secret" data-target="int-secret">Generate</button></div>
<label for="int-policies">Policies, one per line: instance/permission set</label>
<textarea id="int-policies" name="policies" rows="3" placeholder="{instance}/Set name" spellcheck="false">{policies}</textarea>
<button type="submit">Create integration</button>
</form>"#,
        error = error.map_or(String::new(), |e| notice("error", e)),
        action = esc(&portal.href("integrations")),
        csrf = csrf_field(portal),
        name = v("name"),
        redirect = v("redirect_uri"),
        app_id = v("application_id"),
        secret = v("app_secret"),
        instance = esc(&portal.instance),
    )
}

async fn new_form(
    State(state): State<AppState>,
    me: SignedIn,
    Path(instance): Path<String>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::Integrations).await);
    let form = create_form(&portal, None, None);
    portal.page(Some(Tab::Integrations), "New integration", &form)
}

/// The form's policies, one `INSTANCE/SET` per line. At least one: an integration made here
/// belongs to the instances of its policies (one without any is an operator's, made with the CLI
/// and needing `*:integrations=edit`), and `set-policies` refuses an empty list too.
pub(super) fn parse_policies(lines: &[String]) -> Result<Vec<PolicyRef>, ServiceError> {
    if lines.is_empty() {
        return Err(ServiceError::Invalid(
            "an integration needs at least one policy: INSTANCE/SET, one per line".into(),
        ));
    }
    lines
        .iter()
        .map(|l| l.parse::<PolicyRef>().map_err(ServiceError::Invalid))
        .collect()
}

async fn create(
    State(state): State<AppState>,
    me: SignedIn,
    Path(instance): Path<String>,
    form: Form<Vec<(String, String)>>,
) -> Response {
    let portal = try_page!(Portal::enter_tab(&state, me, &instance, Tab::Integrations).await);
    let f = Fields::new(form);
    try_page!(portal.check_csrf(f.get("csrf_token")));
    let result = async {
        let policies = parse_policies(&f.lines("policies"))?;
        let instances: Vec<&str> = policies.iter().map(|p| p.instance.as_str()).collect();
        require_for_integration(&portal.access, &instances, "edit")?;
        require_policies_held(state.store().as_ref(), &portal.access, &policies).await?;
        let input = CreateIntegration {
            name: f.get("name").trim().to_string(),
            redirect_uri: f.get("redirect_uri").trim().to_string(),
            policies,
        };
        admin::create_integration_with_credentials(
            &portal.change(),
            state.hasher(),
            input,
            f.get("application_id").trim().to_string(),
            PlainSecret::new(f.get("app_secret").trim().to_string()),
        )
        .await
    }
    .await;
    match result {
        Ok((i, secret)) => secret_page(&portal, &i, &secret, "Integration created"),
        Err(e) => {
            let form = create_form(&portal, Some(&f), Some(&message_of(&e)));
            let mut r = portal.page(Some(Tab::Integrations), "New integration", &form);
            *r.status_mut() = super::context::status_of(&e);
            r
        }
    }
}

/// The secret, shown this once, with a copy button and the curl command that gets a token.
pub(super) fn secret_page(
    portal: &Portal,
    i: &Integration,
    secret: &PlainSecret,
    title: &str,
) -> Response {
    let issuer = portal.state.settings().token.issuer.trim_end_matches('/');
    let curl = format!(
        r#"curl -d "redirect_uri={}&client_id={}&client_secret={}&grant_type=client_credentials" {issuer}/oauth/token"#,
        url_part(&i.redirect_uri),
        url_part(&i.application_id),
        url_part(secret.expose()),
    );
    let body = format!(
        r#"{warn}
<dl class="facts">
<dt>Name</dt><dd>{name}</dd>
<dt>Application ID</dt><dd><code id="created-application-id">{id}</code></dd>
<dt>App Secret</dt><dd><code id="created-app-secret">{secret}</code> <button type="button" data-copy="created-app-secret">Copy secret</button></dd>
</dl>
<h2>Get a token</h2>
<pre id="curl-command">{curl}</pre>
<p><button type="button" data-copy="curl-command">Copy command</button></p>
<p><a href="{back}">Back to the integration</a></p>"#,
        warn = notice(
            "info",
            "The App Secret is shown only now: copy it. Only its keyed hash is stored."
        ),
        name = esc(&i.name),
        id = esc(&i.application_id),
        secret = esc(secret.expose()),
        curl = esc(&curl),
        back = esc(&portal.href(&format!("integrations/{}", url_part(&i.application_id)))),
    );
    portal.page(Some(Tab::Integrations), title, &body)
}
