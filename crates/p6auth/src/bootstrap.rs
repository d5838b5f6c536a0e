//! The first administrator: created by `serve` on first start with no users, or by
//! `user create-admin`. Either way the one-time activation link is printed once and mailed
//! (with no SMTP server configured: written to `<data-dir>/outbox`).

use std::path::Path;
use std::sync::Arc;

use p6auth_core::audit::Actor;
use p6auth_core::clock::Clock;
use p6auth_core::login::{ACTIVATION_LIFETIME, ArtifactKind};
use p6auth_core::secret::SecretHasher;
use p6auth_service::login::{create_admin, issue_link};
use p6auth_service::mail::smtp::Smtp;
use p6auth_service::mail::{Mailer, Outbox};
use p6auth_store::Store;

use crate::config::MailConfig;
use crate::exit::CliError;

/// The mailer the configuration asks for.
pub fn mailer(config: &MailConfig, data_dir: &Path) -> Result<Arc<dyn Mailer>, CliError> {
    Ok(match &config.smtp {
        Some(settings) => {
            Arc::new(Smtp::new(settings.clone()).map_err(|e| CliError::usage(e.to_string()))?)
        }
        None => Arc::new(Outbox::new(&data_dir.join("outbox"), &config.from)),
    })
}

pub struct Admin<'a> {
    pub store: &'a dyn Store,
    pub clock: &'a dyn Clock,
    pub hasher: &'a SecretHasher,
    pub mailer: &'a dyn Mailer,
    pub actor: &'a Actor,
    pub issuer: &'a str,
}

/// Creates the administrator and sends the activation link; returns the link.
pub async fn create(a: &Admin<'_>, email: &str) -> Result<String, CliError> {
    let email = create_admin(a.store, a.clock, a.actor, email).await?;
    let now = a.clock.now();
    let token = issue_link(
        a.store,
        a.hasher,
        ArtifactKind::Activation,
        &email,
        now,
        ACTIVATION_LIFETIME,
    )
    .await?;
    let url = format!(
        "{}/activate?token={}",
        a.issuer.trim_end_matches('/'),
        token.expose()
    );
    let mail = p6auth_http::activation_mail(&email, &url);
    if let Err(e) = a.mailer.send(&mail, now).await {
        // the printed link still works
        tracing::warn!(error = %e, "could not mail the activation link");
        eprintln!("warning: could not mail the activation link: {e}");
    }
    Ok(url)
}
