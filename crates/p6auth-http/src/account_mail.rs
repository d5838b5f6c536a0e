//! The messages p6auth sends: activation, password reset, email change, and "you were added".
//! Links are absolute URLs under the issuer; their tokens are never logged.

use p6auth_core::login::{self, ArtifactKind};
use p6auth_service::ServiceError;
use p6auth_service::email_change;
use p6auth_service::login::issue_link;
use p6auth_service::mail::Mail;

use crate::AppState;

impl AppState {
    fn link(&self, path: &str, token: &str) -> String {
        format!(
            "{}{path}?token={token}",
            self.settings().token.issuer.trim_end_matches('/')
        )
    }

    /// A new single-use activation link (24 h) for `email`, which must be a user; older
    /// activation links of the user end.
    pub async fn send_activation(&self, email: &str) -> Result<(), ServiceError> {
        let url = self
            .new_link(
                ArtifactKind::Activation,
                email,
                login::ACTIVATION_LIFETIME,
                "/activate",
            )
            .await?;
        self.send(activation_mail(email, &url)).await
    }

    /// Tells an existing user they can now sign in to `instance`.
    pub async fn send_added_notification(
        &self,
        email: &str,
        instance: &str,
    ) -> Result<(), ServiceError> {
        let issuer = self.settings().token.issuer.trim_end_matches('/');
        self.send(Mail {
            to: email.to_string(),
            subject: format!("You were added to {instance}"),
            body: format!(
                "Hello,\n\nyour account {email} was added to the instance {instance}.\nSign in with your existing password:\n\n{issuer}/admin\n"
            ),
        })
        .await
    }

    /// A password-reset link (1 h); the caller says nothing about whether `email` exists.
    pub async fn send_password_reset(&self, email: &str) -> Result<(), ServiceError> {
        let url = self
            .new_link(
                ArtifactKind::PasswordReset,
                email,
                login::RESET_LIFETIME,
                "/reset-password",
            )
            .await?;
        self.send(Mail {
            to: email.to_string(),
            subject: "Reset your p6auth password".into(),
            body: format!(
                "Hello,\n\nsomeone asked to reset the password of {email}. To choose a new password, open this link within an hour:\n\n{url}\n\nIf it was not you, ignore this message.\n"
            ),
        })
        .await
    }

    /// An email-change link (1 h) to the new address, and a notice to the current one: an
    /// account taken over by someone knowing the password cannot move without its owner
    /// hearing of it.
    pub async fn send_email_change(
        &self,
        email: &str,
        new_email: &str,
    ) -> Result<(), ServiceError> {
        let token = email_change::issue(
            self.store().as_ref(),
            self.hasher(),
            email,
            new_email,
            self.clock().now(),
        )
        .await?;
        let url = self.link("/confirm-email", token.expose());
        self.send(Mail {
            to: new_email.to_string(),
            subject: "Confirm your new p6auth email address".into(),
            body: format!(
                "Hello,\n\nthe p6auth account {email} asked to use {new_email} as its email address from now on. To confirm, open this link within an hour:\n\n{url}\n\nIf it was not you, ignore this message.\n"
            ),
        })
        .await?;
        self.send(Mail {
            to: email.to_string(),
            subject: "Your p6auth email address is about to change".into(),
            body: format!(
                "Hello,\n\nsomeone signed in as {email} asked to change the account's email address to {new_email}. A confirmation link was sent to the new address; nothing changes until it is used.\n\nIf it was not you, change your password and tell your administrator.\n"
            ),
        })
        .await
    }

    pub(crate) async fn new_link(
        &self,
        kind: ArtifactKind,
        email: &str,
        lifetime: i64,
        path: &str,
    ) -> Result<String, ServiceError> {
        let now = self.clock().now();
        self.store().get_user(email).await?;
        let token = issue_link(
            self.store().as_ref(),
            self.hasher(),
            kind,
            email,
            now,
            lifetime,
        )
        .await?;
        Ok(self.link(path, token.expose()))
    }

    async fn send(&self, mail: Mail) -> Result<(), ServiceError> {
        self.mailer().send(&mail, self.clock().now()).await?;
        tracing::info!(to = %mail.to, subject = %mail.subject, "mail sent");
        Ok(())
    }
}

/// The activation message (also written by the CLI's `user create-admin`).
pub fn activation_mail(email: &str, url: &str) -> Mail {
    Mail {
        to: email.to_string(),
        subject: "Activate your p6auth account".into(),
        body: format!(
            "Hello,\n\nan account was created for {email}. To activate it, choose a password within 24 hours at:\n\n{url}\n"
        ),
    }
}
