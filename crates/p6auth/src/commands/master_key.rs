use crate::cli::MasterKeyCommand;
use crate::exit::CliError;
use crate::master_key_file;

pub fn run(command: MasterKeyCommand) -> Result<(), CliError> {
    match command {
        MasterKeyCommand::New { to } => {
            if to.exists() {
                return Err(CliError {
                    code: 4,
                    message: format!(
                        "{} already exists; a master key is never overwritten",
                        to.display()
                    ),
                });
            }
            master_key_file::create(&to).map_err(CliError::other)?;
            println!("wrote a new master key to {}", to.display());
            println!("Give the same file to every node (--master-key-file) and keep a copy safe:");
            println!("without it, the stored signing keys and App Secret hashes are useless.");
        }
    }
    Ok(())
}
