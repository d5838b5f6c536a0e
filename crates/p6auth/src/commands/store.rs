use p6auth_service::store_copy::copy_store;
use p6auth_store::StoreError;

use crate::cli::StoreCommand;
use crate::exit::CliError;
use crate::storage::{self, Open, StoreLocation};

pub async fn run(command: StoreCommand) -> Result<(), CliError> {
    match command {
        StoreCommand::Copy { from, to, force } => {
            let from = StoreLocation::parse(&from).map_err(CliError::usage)?;
            let to = StoreLocation::parse(&to).map_err(CliError::usage)?;
            if from == to {
                return Err(CliError::usage("--from and --to name the same store"));
            }
            let source = storage::open(&from, Open::MustExist).await?;
            let target = storage::open(&to, Open::CreateIfMissing).await?;
            let counts = copy_store(source.as_ref(), target.as_ref(), force)
                .await
                .map_err(|e| match e {
                    p6auth_service::ServiceError::Store(StoreError::Conflict(m)) => {
                        CliError::from(StoreError::Conflict(format!(
                            "{m}: {}; give --force to replace its contents",
                            to.describe()
                        )))
                    }
                    other => other.into(),
                })?;
            println!("copied {counts}");
            println!("from {}", from.describe());
            println!("to   {}", to.describe());
            println!("verified: the target holds exactly the rows read from the source");
            println!("Serve it with the master key of the source (--master-key-file).");
        }
    }
    Ok(())
}
