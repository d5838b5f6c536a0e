//! `p6auth serve`: wiring the store, keys and views into the HTTP server.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use p6auth_core::clock::{Clock, SystemClock};
use p6auth_core::token::TokenSettings;
use p6auth_http::maintenance::MaintenanceSettings;
use p6auth_http::{AppState, ServerSettings};
use p6auth_service::{directory, keyring};

use crate::config::{LogFormat, ServeConfig, StorageConfig, Tls};
use crate::data_dir;
use crate::exit::CliError;
use crate::storage::{self, Open};

/// How often the store's change sequence is polled when it cannot announce changes (SQLite, or
/// PostgreSQL while the notification connection is down); changes are visible within this.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

pub async fn run(config: ServeConfig, storage: &StorageConfig) -> Result<(), CliError> {
    init_tracing(config.log_format);
    let store = storage::open(&storage.location, Open::CreateIfMissing).await?;
    let master = storage::master_key(storage, store.as_ref()).await?;
    let tls = load_tls(&config.tls, &storage.local_dir)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);

    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|e| {
            let message = format!("cannot listen on {}: {e}", config.listen);
            // not an address at all is bad input; an address in use or not ours is not
            match e.kind() {
                std::io::ErrorKind::InvalidInput => CliError::usage(message),
                _ => CliError::other(message),
            }
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::other(format!("cannot read the bound address: {e}")))?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let issuer = config
        .issuer
        .clone()
        .unwrap_or_else(|| format!("{scheme}://{addr}"));
    let settings = ServerSettings {
        token: TokenSettings {
            audience: config.audience.clone().unwrap_or_else(|| issuer.clone()),
            issuer: issuer.clone(),
            access_token_lifetime: config.access_token_lifetime,
        },
        failure_limits: config.failure_limits,
        login_limits: config.login_limits,
        tls: tls.is_some(),
        max_staleness: config.max_staleness,
    };

    let seq = store.change_seq().await?;
    let keys = keyring::load_or_create(
        store.as_ref(),
        &master,
        clock.as_ref(),
        config.signing_algorithm,
    )
    .await?;
    let clients = directory::load_client_directory(store.as_ref()).await?;
    let revoked = directory::load_revoked_jtis(store.as_ref(), clock.now()).await?;
    tracing::info!(
        integrations = clients.len(),
        keys = keys.kids().len(),
        "loaded"
    );
    let mailer = crate::bootstrap::mailer(&config.mail, &storage.local_dir)?;
    let first_admin = first_start(
        &config,
        &master,
        store.as_ref(),
        clock.as_ref(),
        mailer.as_ref(),
        &issuer,
    )
    .await;
    let state = AppState::new(
        settings,
        clock,
        master.secret_hasher(),
        store,
        clients,
        keys,
        mailer,
    );
    state.replace_revoked(revoked);
    let maintenance = MaintenanceSettings {
        interval: Duration::from_secs(config.maintenance_interval as u64),
        audit_retention: config.audit_retention,
        key_algorithm: config.signing_algorithm,
        key_rotation_interval: config.signing_key_rotation_interval,
        key_prepublish: config.signing_key_prepublish,
    };
    let sync = tokio::spawn(p6auth_http::sync::run(
        state.clone(),
        master.clone(),
        POLL_INTERVAL,
        seq,
    ));
    let housekeeping = tokio::spawn(p6auth_http::maintenance::run(
        state.clone(),
        master.clone(),
        maintenance.clone(),
    ));

    println!("p6auth listening on {scheme}://{addr}");
    println!("issuer:          {issuer}");
    println!(
        "token endpoint:  {}/oauth/token",
        issuer.trim_end_matches('/')
    );
    println!("store:           {}", storage.location.describe());
    if let Some((email, url)) = first_admin {
        println!("first administrator {email}: activate the account (valid 24 h, shown once) at");
        println!("  {url}");
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();

    p6auth_http::server::serve(
        listener,
        p6auth_http::router(state.clone()),
        tls,
        shutdown_signal(),
    )
    .await;
    sync.abort();
    housekeeping.abort();
    // keep what was queued: "last used" times and failure counts
    if let Err(e) = p6auth_http::maintenance::once(&state, &master, &maintenance).await {
        tracing::warn!(error = %e, "final housekeeping failed");
    }
    tracing::info!("stopped");
    Ok(())
}

/// On a store with no users, the first administrator; its email and activation link.
async fn first_start(
    config: &ServeConfig,
    master: &p6auth_core::master_key::MasterKey,
    store: &dyn p6auth_store::Store,
    clock: &dyn Clock,
    mailer: &dyn p6auth_service::mail::Mailer,
    issuer: &str,
) -> Option<(String, String)> {
    match p6auth_service::login::has_no_users(store).await {
        Ok(true) => {}
        Ok(false) => return None,
        Err(e) => {
            tracing::warn!(error = %e, "could not check for users");
            return None;
        }
    }
    let admin = crate::bootstrap::Admin {
        store,
        clock,
        hasher: &master.secret_hasher(),
        mailer,
        actor: &p6auth_core::audit::Actor::System,
        issuer,
    };
    match crate::bootstrap::create(&admin, &config.admin_email).await {
        Ok(url) => Some((config.admin_email.clone(), url)),
        // another node starting at the same time created it
        Err(e) => {
            tracing::warn!(error = ?e, "could not create the first administrator");
            None
        }
    }
}

fn load_tls(
    tls: &Tls,
    data_dir: &Path,
) -> Result<Option<Arc<tokio_rustls::rustls::ServerConfig>>, CliError> {
    let read = |p: &Path| {
        std::fs::read(p).map_err(|e| CliError::other(format!("cannot read {}: {e}", p.display())))
    };
    let (cert, key) = match tls {
        Tls::Off => return Ok(None),
        Tls::Files { cert, key } => (read(cert)?, read(key)?),
        Tls::SelfSigned => {
            data_dir::prepare(data_dir).map_err(CliError::other)?;
            data_dir::load_or_create_self_signed(data_dir).map_err(CliError::other)?
        }
    };
    p6auth_http::server::tls_config(&cert, &key)
        .map(Some)
        .map_err(CliError::usage)
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = interrupt => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down: draining requests in flight");
}

fn init_tracing(format: LogFormat) {
    let (filter, bad_filter) = match tracing_subscriber::EnvFilter::try_from_env("P6AUTH_LOG") {
        Ok(f) => (f, None),
        Err(e) => {
            let bad = std::env::var("P6AUTH_LOG").ok().map(|v| (v, e.to_string()));
            (tracing_subscriber::EnvFilter::new("info"), bad)
        }
    };
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    if let Some((value, error)) = bad_filter {
        tracing::warn!(
            value,
            error,
            "P6AUTH_LOG is not a valid filter; logging at info"
        );
    }
}
