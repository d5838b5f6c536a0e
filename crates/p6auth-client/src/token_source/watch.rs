//! Following the config file: no restart when credentials change.
//!
//! A task polls the file every few seconds (no `notify` dependency: one small read per poll)
//! and compares its bytes with those last loaded. Changed bytes are parsed; a file that does
//! not load is logged and ignored until it changes again, so a half-written file never replaces
//! working credentials. Write the file atomically (a rename) for the same reason.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, Weak};
use std::time::Duration;

use super::{Inner, load_options};
use crate::config::{ClientConfig, ConfigError};

pub(super) struct WatchedFile {
    path: PathBuf,
    url: Option<String>,
    last: Mutex<Vec<u8>>,
}

/// Reads and parses the file; returns the bytes read with the config.
pub(super) fn load(
    path: &Path,
    url: Option<String>,
) -> Result<(ClientConfig, Vec<u8>), ConfigError> {
    let content = std::fs::read(path).map_err(|e| ConfigError::Read {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let config = ClientConfig::load(Some(path), &load_options(url))?;
    Ok((config, content))
}

impl WatchedFile {
    pub fn new(path: PathBuf, url: Option<String>, content: Vec<u8>) -> Self {
        Self {
            path,
            url,
            last: Mutex::new(content),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The new config when the file's bytes changed since the last call; `None` otherwise.
    pub fn changed(&self) -> Result<Option<ClientConfig>, ConfigError> {
        let content = std::fs::read(&self.path).map_err(|e| ConfigError::Read {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        {
            let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
            if *last == content {
                return Ok(None);
            }
            *last = content;
        }
        ClientConfig::load(Some(&self.path), &load_options(self.url.clone())).map(Some)
    }
}

/// Polls while the source lives; without a Tokio runtime there is nothing to poll with, and
/// [`super::TokenSource::reload`] remains.
pub(super) fn spawn(inner: Weak<Inner>, interval: Duration) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::warn!("no Tokio runtime: the p6auth config file is not watched; call reload()");
        return;
    };
    runtime.spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            let Some(inner) = inner.upgrade() else {
                return;
            };
            if let Err(e) = inner.reload() {
                tracing::warn!(error = %e, "the p6auth config file changed but does not load; keeping the credentials in use");
            }
        }
    });
}
