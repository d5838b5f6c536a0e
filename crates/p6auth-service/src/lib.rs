//! Use cases: what an operator or a node does, written once over `dyn Store` and shared by the
//! CLI and the HTTP layer. No web or database crate is imported here.

pub mod access;
pub mod admin;
pub mod directory;
pub mod email_change;
pub mod import;
pub mod keyring;
pub mod login;
pub mod mail;
pub mod maintenance;
pub mod org_tree;
pub mod store_copy;
pub mod users;

use p6auth_store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// The input is wrong; the text says what and why.
    #[error("{0}")]
    Invalid(String),
    /// Stored data cannot be used: a wrong master key, or damage.
    #[error("{0}")]
    Integrity(String),
    /// The caller lacks this permission (canonical form).
    #[error("this needs the permission {0}")]
    Forbidden(String),
    /// Refused (403) by a rule beyond a missing permission; the text says which and why.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type ServiceResult<T> = Result<T, ServiceError>;
