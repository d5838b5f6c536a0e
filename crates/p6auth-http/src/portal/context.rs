//! Who is at the portal and where: the signed-in user's [`Access`] (built once per request by
//! the service layer), the instance chosen by the path, the instances they may administer, and
//! the tabs their permissions open. `admin=view` in the instance is needed to enter at all.

use axum::http::StatusCode;
use axum::response::Response;
use p6auth_service::ServiceError;
use p6auth_service::access::{self, Access};
use p6auth_service::admin::Change;

use super::html::{Page, bare_page, no_access_page, notice};
use crate::AppState;
use crate::session::SignedIn;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Users,
    PermissionSets,
    Integrations,
    OrgTree,
}

impl Tab {
    pub const ALL: [Tab; 4] = [
        Tab::Users,
        Tab::PermissionSets,
        Tab::Integrations,
        Tab::OrgTree,
    ];

    /// The feature whose `read` opens the tab.
    pub fn feature(self) -> &'static str {
        match self {
            Tab::Users => "users",
            Tab::PermissionSets => "permsets",
            Tab::Integrations => "integrations",
            Tab::OrgTree => "orgs",
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            Tab::Users => "users",
            Tab::PermissionSets => "permsets",
            Tab::Integrations => "integrations",
            Tab::OrgTree => "orgs",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Tab::Users => "Users",
            Tab::PermissionSets => "Permission sets",
            Tab::Integrations => "Integrations",
            Tab::OrgTree => "Org tree",
        }
    }
}

pub struct Portal {
    pub state: AppState,
    pub email: String,
    pub csrf_token: String,
    pub access: Access,
    /// The instance of the path.
    pub instance: String,
    /// Every instance where the user holds `admin=view`, for the selector.
    pub instances: Vec<String>,
    signed_in: SignedIn,
}

/// The instances where `access` holds `admin=view`.
pub async fn viewable_instances(
    state: &AppState,
    access: &Access,
) -> Result<Vec<String>, Response> {
    let all = state
        .store()
        .list_instances()
        .await
        .map_err(|e| service_error_page(&ServiceError::Store(e)))?;
    Ok(all
        .into_iter()
        .filter(|i| access.allows(&i.name, "admin", "view", None))
        .map(|i| i.name)
        .collect())
}

/// The signed-in user's capability; an account that is gone holds nothing.
pub async fn access_of(state: &AppState, me: &SignedIn) -> Result<Access, Response> {
    access::of_user(state.store().as_ref(), &me.email)
        .await
        .map_err(|_| no_access_page(me, "your account holds no permissions here"))
}

impl Portal {
    /// Enters `instance`: 403 without `admin=view` there.
    pub async fn enter(state: &AppState, me: SignedIn, instance: &str) -> Result<Self, Response> {
        let access = access_of(state, &me).await?;
        if !access.allows(instance, "admin", "view", None) {
            return Err(no_access_page(
                &me,
                &format!("this needs the permission {instance}:admin=view"),
            ));
        }
        let instances = viewable_instances(state, &access).await?;
        Ok(Self {
            state: state.clone(),
            email: me.email.clone(),
            csrf_token: me.csrf_token.clone(),
            access,
            instance: instance.to_string(),
            instances,
            signed_in: me,
        })
    }

    /// Enters `instance` at `tab`: 403 unless the user holds `{feature}=read` there.
    pub async fn enter_tab(
        state: &AppState,
        me: SignedIn,
        instance: &str,
        tab: Tab,
    ) -> Result<Self, Response> {
        let portal = Self::enter(state, me, instance).await?;
        portal.require_tab(tab)?;
        Ok(portal)
    }

    /// The submitted `csrf_token` must be the session's; 403 otherwise.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), Response> {
        self.signed_in.check_csrf(submitted)
    }

    /// Whether some held permission grants `feature=action` in this instance, whatever its
    /// values: the tab is shown, and the use cases then apply the values.
    pub fn holds(&self, feature: &str, action: &str) -> bool {
        let covers = |held: &str, want: &str| held == "*" || held == want;
        self.access.permissions().iter().any(|p| {
            matches!(p.instance.as_deref(), Some("*")) || p.instance.as_deref() == Some(&self.instance)
        } && covers(&p.feature, feature)
            && covers(&p.action, action))
    }

    pub fn tabs(&self) -> Vec<Tab> {
        Tab::ALL
            .into_iter()
            .filter(|t| self.holds(t.feature(), "read"))
            .collect()
    }

    /// 403 unless the tab is open to the user: the server refuses what the page hides.
    pub fn require_tab(&self, tab: Tab) -> Result<(), Response> {
        if self.holds(tab.feature(), "read") {
            Ok(())
        } else {
            Err(self.error_page(
                Some(tab),
                &ServiceError::Forbidden(format!("{}:{}=read", self.instance, tab.feature())),
            ))
        }
    }

    /// `/admin/i/{instance}/{rest}`.
    pub fn href(&self, rest: &str) -> String {
        format!(
            "/admin/i/{}/{}",
            super::html::url_part(&self.instance),
            rest
        )
    }

    pub fn change(&self) -> Change<'_> {
        Change::by(
            self.state.store().as_ref(),
            self.state.clock(),
            &self.access,
        )
    }

    pub fn page(&self, tab: Option<Tab>, title: &str, body: &str) -> Response {
        Page {
            portal: self,
            tab,
            title: title.to_string(),
            status: StatusCode::OK,
        }
        .render(body)
    }

    /// A service error, shown in the layout with its status.
    pub fn error_page(&self, tab: Option<Tab>, e: &ServiceError) -> Response {
        self.error_page_with(tab, e, "")
    }

    /// [`error_page`](Self::error_page) with `extra` (HTML, escaped already) after the message.
    pub fn error_page_with(&self, tab: Option<Tab>, e: &ServiceError, extra: &str) -> Response {
        let back = tab.map_or(String::new(), |t| {
            format!(
                r#"<p><a href="{}">Back to {}</a></p>"#,
                super::html::esc(&self.href(t.path())),
                t.label()
            )
        });
        Page {
            portal: self,
            tab,
            title: "That did not work".into(),
            status: status_of(e),
        }
        .render(&format!("{}{extra}{back}", notice("error", &message_of(e))))
    }
}

pub fn status_of(e: &ServiceError) -> StatusCode {
    use p6auth_store::StoreError;
    match e {
        ServiceError::Invalid(_) | ServiceError::Store(StoreError::Invalid(_)) => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        ServiceError::Forbidden(_) | ServiceError::Refused(_) => StatusCode::FORBIDDEN,
        ServiceError::Store(StoreError::NotFound(_)) => StatusCode::NOT_FOUND,
        ServiceError::Store(StoreError::Conflict(_)) => StatusCode::CONFLICT,
        ServiceError::Integrity(_) | ServiceError::Store(StoreError::Backend(_)) => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

/// What the page says: the service's own words, except for internal failures, which are logged
/// with an id and shown only by that id.
pub fn message_of(e: &ServiceError) -> String {
    use p6auth_store::StoreError;
    match e {
        ServiceError::Integrity(m) | ServiceError::Store(StoreError::Backend(m)) => {
            crate::oauth_response::internal(m).description().to_string()
        }
        ServiceError::Store(StoreError::NotFound(m)) => format!("{m} not found"),
        other => other.to_string(),
    }
}

/// A service error before the layout could be built.
pub fn service_error_page(e: &ServiceError) -> Response {
    bare_page(status_of(e), "That did not work", &message_of(e))
}
