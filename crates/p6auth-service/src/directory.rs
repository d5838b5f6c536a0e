//! Loading the in-memory views a node serves from: integrations, revocations.

use std::collections::HashSet;

use p6auth_core::client_directory::{ClientDirectory, DirectoryBuilder};
use p6auth_store::{Store, StoreResult};

/// Integrations are read this many at a time, so that loading a large store does not hold every
/// row and every `Integration` at once (the startup peak is what stays as RSS).
const PAGE: i64 = 2_000;

pub async fn load_client_directory(store: &dyn Store) -> StoreResult<ClientDirectory> {
    let sets = store.list_permission_sets().await?;
    let instances = store.list_instances().await?;
    let mut builder = DirectoryBuilder::new(&sets, &instances);
    let mut after = String::new();
    loop {
        let page = store.list_integrations_after(&after, PAGE).await?;
        for integration in &page {
            builder.add(integration);
        }
        match page.last() {
            Some(last) if page.len() as i64 == PAGE => after.clone_from(&last.application_id),
            _ => break,
        }
    }
    Ok(builder.finish())
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
