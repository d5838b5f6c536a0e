use std::path::Path;

use p6auth_store::Store;

use crate::exit::CliError;

/// `p6auth backup --to FILE`: a consistent copy of the live SQLite database (`VACUUM INTO`),
/// while servers keep running. The master key is not in it: keep `master.key` beside it.
pub async fn run(to: &Path, store: &dyn Store) -> Result<(), CliError> {
    store.backup_to(to).await?;
    println!("backed up the store to {}", to.display());
    println!("It does not hold the master key: back up master.key with it, apart from other data.");
    Ok(())
}
