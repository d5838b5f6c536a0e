//! Errors of the CLI and their exit codes: 2 bad input, 3 not found, 4 conflict, 1 anything else.

use p6auth_service::ServiceError;
use p6auth_store::StoreError;

#[derive(Debug)]
pub struct CliError {
    pub code: u8,
    pub message: String,
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            code: 2,
            message: message.into(),
        }
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            code: 3,
            message: message.into(),
        }
    }
    pub fn other(message: impl Into<String>) -> Self {
        Self {
            code: 1,
            message: message.into(),
        }
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        let code = match e {
            StoreError::Invalid(_) => 2,
            StoreError::NotFound(_) => 3,
            StoreError::Conflict(_) => 4,
            StoreError::Backend(_) => 1,
        };
        Self {
            code,
            message: e.to_string(),
        }
    }
}

impl From<ServiceError> for CliError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(m) => Self::usage(m),
            ServiceError::Integrity(m) | ServiceError::Refused(m) => Self::other(m),
            ServiceError::Forbidden(p) => Self::other(format!("this needs the permission {p}")),
            ServiceError::Store(s) => s.into(),
        }
    }
}

pub fn fail(e: CliError) -> std::process::ExitCode {
    eprintln!("error: {}", e.message);
    std::process::ExitCode::from(e.code)
}
