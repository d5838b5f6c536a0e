//! The `p6auth` binary: the server and the administrative CLI.

mod bootstrap;
mod cli;
mod commands;
mod config;
mod data_dir;
mod exit;
mod master_key_file;
mod serve;
mod storage;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::config::FileConfig;

fn main() -> std::process::ExitCode {
    quiet_broken_pipe();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return exit::fail(exit::CliError::other(format!(
                "cannot start the runtime: {e}"
            )));
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => exit::fail(e),
    }
}

async fn run(cli: Cli) -> Result<(), exit::CliError> {
    let file = FileConfig::load(cli.config.as_deref()).map_err(exit::CliError::usage)?;
    let storage =
        config::StorageConfig::resolve(cli.data_dir, cli.database_url, cli.master_key_file, &file)
            .map_err(exit::CliError::usage)?;
    let mode = if cli.command.only_reads() {
        storage::Open::MustExist
    } else {
        storage::Open::CreateIfMissing
    };
    let context = || commands::Context::open(&storage, mode);
    match cli.command {
        Command::ExampleConfig => {
            print!("{}", config::EXAMPLE);
            Ok(())
        }
        Command::Token(args) => commands::token::run(args).await,
        Command::Serve(args) => {
            let config =
                config::ServeConfig::resolve(*args, file).map_err(exit::CliError::usage)?;
            serve::run(config, &storage).await
        }
        Command::Instance(c) => commands::instance::run(c, &context().await?).await,
        Command::PermissionSet(c) => commands::permission_set::run(c, &context().await?).await,
        Command::User(cli::UserCommand::CreateAdmin {
            email,
            issuer,
            mail,
        }) => {
            let mail = config::MailConfig::resolve(mail, &file);
            let issuer = issuer
                .or(file.issuer.clone())
                .unwrap_or_else(|| format!("http://{}", config::DEFAULT_LISTEN));
            commands::user::create_admin(&context().await?, &email, &issuer, &mail).await
        }
        Command::User(c) => commands::user::run(c, &context().await?).await,
        Command::Org(c) => commands::org::run(c, &context().await?).await,
        Command::Import(a) => commands::import::run(a, &context().await?).await,
        Command::Integration(c) => commands::integration::run(c, &context().await?).await,
        Command::Keys(c) => commands::keys::run(c, &context().await?).await,
        Command::Audit(a) => commands::audit::run(a, &context().await?).await,
        Command::Backup { to } => {
            // a mistyped data directory must not give an empty "successful" backup
            let store = storage::open(&storage.location, mode).await?;
            commands::backup::run(&to, store.as_ref()).await
        }
        Command::Store(c) => commands::store::run(c).await,
        Command::MasterKey(c) => commands::master_key::run(c),
    }
}

/// `p6auth integration list | head` closes the pipe early: end quietly, as other tools do,
/// instead of panicking in `println!`.
fn quiet_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}
