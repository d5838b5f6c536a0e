//! Moving a deployment between stores (`p6auth store copy`), for example from the embedded
//! SQLite database to PostgreSQL. Ids, secret hashes and sealed keys travel unchanged, so the
//! target serves the same integrations and JWKS with the same master key.

use p6auth_store::{Counts, Snapshot, Store, StoreError};

use crate::ServiceResult;

/// Copies everything from `from` into `to`, which must be empty unless `replace`. Then reads
/// both again: the target must hold exactly what was read, and the source must not have changed
/// meanwhile. Returns what was copied.
pub async fn copy_store(from: &dyn Store, to: &dyn Store, replace: bool) -> ServiceResult<Counts> {
    let snapshot = Snapshot::read(from).await?;
    to.import(&snapshot, replace).await?;
    let copied = Snapshot::read(to).await?;
    if copied != snapshot {
        return Err(StoreError::Backend(format!(
            "verification failed: the source holds {}, the target {}",
            snapshot.counts(),
            copied.counts()
        ))
        .into());
    }
    if Snapshot::read(from).await? != snapshot {
        return Err(StoreError::Backend(
            "the source changed during the copy: stop administrative changes and copy again with --force".into(),
        )
        .into());
    }
    Ok(snapshot.counts())
}

#[cfg(test)]
mod tests {
    use super::*;
    use p6auth_core::clock::ManualClock;
    use p6auth_core::master_key::MasterKey;
    use p6auth_core::permission_set::NewPermissionSet;
    use p6auth_core::signing_key::Algorithm;
    use p6auth_store_sqlite::SqliteStore;

    use crate::admin::{self, CreateIntegration};
    use crate::keyring;

    #[tokio::test]
    async fn copies_everything_and_refuses_a_non_empty_target_unless_replacing() {
        let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let from = SqliteStore::open(dirs.0.path()).await.unwrap();
        let to = SqliteStore::open(dirs.1.path()).await.unwrap();
        let clock = ManualClock::new(1000);
        let master = MasterKey::generate();
        let actor = p6auth_core::audit::Actor::System;
        let change = admin::Change {
            store: &from,
            clock: &clock,
            actor: &actor,
        };
        admin::create_instance(&change, "acme", None, "")
            .await
            .unwrap();
        admin::create_permission_set(
            &change,
            NewPermissionSet {
                instance: "acme".into(),
                name: "R".into(),
                description: String::new(),
                permissions: vec!["orgs=read".into()],
            },
        )
        .await
        .unwrap();
        let input = || CreateIntegration {
            name: "ERP".into(),
            redirect_uri: "https://erp.example/cb".into(),
            policies: vec!["acme/R".parse().unwrap()],
        };
        admin::create_integration(&change, &master.secret_hasher(), input())
            .await
            .unwrap();
        keyring::load_or_create(&from, &master, &clock, Algorithm::ES256)
            .await
            .unwrap();

        let counts = copy_store(&from, &to, false).await.unwrap();
        assert_eq!(
            counts.to_string(),
            "1 instances, 2 permission sets, 1 integrations (1 policies, 1 secrets), 1 org nodes, \
             0 users, 1 signing keys, 0 revoked tokens, 3 audit entries"
        );
        assert_eq!(
            Snapshot::read(&to).await.unwrap(),
            Snapshot::read(&from).await.unwrap()
        );
        assert_eq!(
            copy_store(&from, &to, false).await.unwrap_err(),
            StoreError::Conflict("the target store is not empty".into()).into()
        );
        admin::create_integration(&change, &master.secret_hasher(), input())
            .await
            .unwrap();
        assert_eq!(copy_store(&from, &to, true).await.unwrap().integrations, 2);
    }
}
