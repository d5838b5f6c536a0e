//! Administrative commands. They work on the store directly, whether or not a server runs; a
//! running server sees each change within a second.

pub mod audit;
pub mod backup;
pub mod import;
pub mod instance;
pub mod integration;
pub mod keys;
pub mod master_key;
pub mod org;
pub mod permission_set;
pub mod store;
pub mod token;
pub mod user;

use std::sync::Arc;

use p6auth_core::audit::Actor;
use p6auth_core::clock::SystemClock;
use p6auth_core::master_key::MasterKey;
use p6auth_service::access::Access;
use p6auth_service::admin::Change;
use p6auth_store::Store;

use crate::config::StorageConfig;
use crate::exit::CliError;
use crate::storage::{self, Open};

pub struct Context {
    pub store: Arc<dyn Store>,
    pub clock: SystemClock,
    storage: StorageConfig,
    pub actor: Actor,
}

impl Context {
    pub async fn open(storage: &StorageConfig, mode: Open) -> Result<Self, CliError> {
        Ok(Self {
            store: storage::open(&storage.location, mode).await?,
            clock: SystemClock,
            storage: storage.clone(),
            actor: Actor::Cli(operating_system_user()),
        })
    }

    /// The master key, checked against the store. Only the commands that hash secrets or seal
    /// or open keys need it.
    pub async fn master(&self) -> Result<MasterKey, CliError> {
        storage::master_key(&self.storage, self.store.as_ref()).await
    }

    /// The data directory (the outbox lives there).
    pub fn local_dir(&self) -> std::path::PathBuf {
        self.storage.local_dir.clone()
    }

    /// The operator's capability: the command line may do everything.
    pub fn operator(&self) -> Access {
        Access::operator(self.actor.clone())
    }

    /// An administrative change made by the person at this command line.
    pub fn change(&self) -> Change<'_> {
        Change {
            store: self.store.as_ref(),
            clock: &self.clock,
            actor: &self.actor,
        }
    }
}

pub fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

pub fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// Who runs the command: `$USER`, `$LOGNAME`, else the numeric uid (as `uid:0`).
fn operating_system_user() -> String {
    if let Some(name) = ["USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
    {
        return name;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let Ok(meta) = std::fs::metadata("/proc/self") {
            return format!("uid:{}", meta.uid());
        }
    }
    "unknown".into()
}

/// `KEY=VALUE` flags as properties.
pub fn parse_properties(items: &[String]) -> Result<p6auth_core::org::Properties, CliError> {
    items
        .iter()
        .map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| CliError::usage(format!("--property {kv:?}: expected KEY=VALUE")))
        })
        .collect()
}
