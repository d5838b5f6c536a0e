//! Loading the in-memory views a node serves from: integrations, revocations.

use std::collections::HashSet;

use p6auth_core::client_directory::ClientDirectory;
use p6auth_store::{Store, StoreResult};

pub async fn load_client_directory(store: &dyn Store) -> StoreResult<ClientDirectory> {
    let integrations = store.list_integrations().await?;
    let sets = store.list_permission_sets().await?;
    let instances = store.list_instances().await?;
    Ok(ClientDirectory::build(&integrations, &sets, &instances))
}

/// The ids of revoked tokens that have not expired yet.
pub async fn load_revoked_jtis(store: &dyn Store, now: i64) -> StoreResult<HashSet<String>> {
    Ok(store
        .list_revoked_tokens(now)
        .await?
        .into_iter()
        .map(|r| r.jti)
        .collect())
}
