//! Typed, layered configuration: defaults, then the TOML file, then `P6AUTH_*` variables and
//! flags (clap merges those two, flags first). Unknown keys in the file are an error.

use std::path::{Path, PathBuf};
use std::time::Duration;

use p6auth_core::signing_key::Algorithm;
use serde::Deserialize;

use p6auth_core::duration::parse_duration;
use p6auth_core::failure_limiter::Limits;

use crate::cli::ServeArgs;
use crate::storage::StoreLocation;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./p6auth-data";
pub const DEFAULT_ACCESS_TOKEN_LIFETIME: i64 = 3600;
pub const DEFAULT_MAX_STALENESS: u64 = 60;

/// The file format; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub master_key_file: Option<PathBuf>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub access_token_lifetime: Option<i64>,
    pub signing_algorithm: Option<String>,
    pub signing_key_rotation_interval: Option<String>,
    pub signing_key_prepublish: Option<String>,
    pub failed_auth_limit_per_id: Option<u32>,
    pub failed_auth_limit_per_ip: Option<u32>,
    pub audit_retention: Option<String>,
    pub maintenance_interval: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub tls_self_signed: Option<bool>,
    pub log_format: Option<String>,
    pub max_staleness: Option<u64>,
    pub admin_email: Option<String>,
    pub login_limit_per_account: Option<u32>,
    pub login_limit_per_ip: Option<u32>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    pub smtp_starttls: Option<bool>,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<String>,
    pub smtp_ca_file: Option<PathBuf>,
    pub mail_from: Option<String>,
}

/// Where mail goes: SMTP when a host is set, else the outbox directory.
#[derive(Debug, Clone)]
pub struct MailConfig {
    pub smtp: Option<p6auth_service::mail::smtp::SmtpSettings>,
    pub from: String,
}

pub const DEFAULT_MAIL_FROM: &str = "p6auth <noreply@localhost>";

impl MailConfig {
    pub fn resolve(args: crate::cli::MailArgs, file: &FileConfig) -> Self {
        let from = args
            .mail_from
            .or(file.mail_from.clone())
            .unwrap_or_else(|| DEFAULT_MAIL_FROM.into());
        let smtp = args.smtp_host.or(file.smtp_host.clone()).map(|host| {
            p6auth_service::mail::smtp::SmtpSettings {
                host,
                port: args.smtp_port.or(file.smtp_port).unwrap_or(587),
                starttls: args.smtp_starttls.or(file.smtp_starttls).unwrap_or(true),
                username: args.smtp_username.or(file.smtp_username.clone()),
                password: args.smtp_password.or(file.smtp_password.clone()),
                from: from.clone(),
                ca_file: args.smtp_ca_file.or(file.smtp_ca_file.clone()),
            }
        });
        Self { smtp, from }
    }
}

impl FileConfig {
    pub fn load(path: Option<&Path>) -> Result<Self, String> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the config file {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("config file {}: {e}", path.display()))
    }
}

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: String,
    /// None means `http://<bound address>`, known once the socket is bound.
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub access_token_lifetime: i64,
    pub signing_algorithm: Algorithm,
    pub signing_key_rotation_interval: i64,
    pub signing_key_prepublish: i64,
    pub failure_limits: Limits,
    pub audit_retention: i64,
    pub maintenance_interval: i64,
    pub tls: Tls,
    pub log_format: LogFormat,
    pub max_staleness: Duration,
    pub admin_email: String,
    pub login_limits: Limits,
    pub mail: MailConfig,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    Off,
    Files { cert: PathBuf, key: PathBuf },
    SelfSigned,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// A duration setting: flag or env, else file, else default; named in errors.
fn duration(
    name: &str,
    flag: Option<String>,
    file: Option<String>,
    default: &str,
) -> Result<i64, String> {
    let text = flag.or(file).unwrap_or_else(|| default.to_string());
    parse_duration(&text).map_err(|e| format!("{name}: {e}"))
}

/// Where the store is, and where the master key comes from.
#[derive(Debug, Clone)]
pub struct StorageConfig {
    pub location: StoreLocation,
    /// None: `<data_dir>/master.key`, created on first use (SQLite only).
    pub master_key_file: Option<PathBuf>,
    /// Local files such as the self-signed TLS certificate: the data directory, whichever the
    /// backend.
    pub local_dir: PathBuf,
}

impl StorageConfig {
    pub fn resolve(
        data_dir: Option<PathBuf>,
        database_url: Option<String>,
        master_key_file: Option<PathBuf>,
        file: &FileConfig,
    ) -> Result<Self, String> {
        let local_dir = data_dir
            .clone()
            .or_else(|| file.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let location = match database_url.or_else(|| file.database_url.clone()) {
            Some(url) => match StoreLocation::parse(&url)? {
                pg @ StoreLocation::Postgres { .. } => pg,
                StoreLocation::Sqlite { .. } => {
                    return Err(
                        "the database URL must be postgres://...; the embedded SQLite database is chosen with --data-dir".into(),
                    );
                }
            },
            None => StoreLocation::Sqlite {
                path: data_dir
                    .or_else(|| file.data_dir.clone())
                    .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
            },
        };
        Ok(Self {
            location,
            master_key_file: master_key_file.or_else(|| file.master_key_file.clone()),
            local_dir,
        })
    }
}

impl ServeConfig {
    pub fn resolve(args: ServeArgs, file: FileConfig) -> Result<Self, String> {
        let mail = MailConfig::resolve(args.mail.clone(), &file);
        let access_token_lifetime = args
            .access_token_lifetime
            .or(file.access_token_lifetime)
            .unwrap_or(DEFAULT_ACCESS_TOKEN_LIFETIME);
        if !(1..=86_400).contains(&access_token_lifetime) {
            return Err(format!(
                "access_token_lifetime must be between 1 and 86400 seconds; got {access_token_lifetime}"
            ));
        }
        let signing_algorithm = args
            .signing_algorithm
            .or(file.signing_algorithm)
            .map(|a| a.parse::<Algorithm>())
            .transpose()?
            .unwrap_or(Algorithm::ES256);
        let max_staleness = args
            .max_staleness
            .or(file.max_staleness)
            .unwrap_or(DEFAULT_MAX_STALENESS);
        if !(1..=86_400).contains(&max_staleness) {
            return Err(format!(
                "max_staleness must be between 1 and 86400 seconds; got {max_staleness}"
            ));
        }
        let issuer = args.issuer.or(file.issuer);
        if let Some(issuer) = &issuer {
            validate_issuer(issuer)?;
        }
        let self_signed = args.tls_self_signed || file.tls_self_signed == Some(true);
        let tls = match (
            args.tls_cert.or(file.tls_cert),
            args.tls_key.or(file.tls_key),
        ) {
            (Some(_), _) | (_, Some(_)) if self_signed => {
                return Err("choose either --tls-cert/--tls-key or --tls-self-signed".into());
            }
            (Some(cert), Some(key)) => Tls::Files { cert, key },
            (None, None) if self_signed => Tls::SelfSigned,
            (None, None) => Tls::Off,
            _ => return Err("--tls-cert and --tls-key go together".into()),
        };
        let log_format = match args.log_format.or(file.log_format).as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => return Err(format!("log_format must be text or json; got {other:?}")),
        };
        let defaults = Limits::default();
        let failure_limits = Limits {
            per_id: args
                .failed_auth_limit_per_id
                .or(file.failed_auth_limit_per_id)
                .unwrap_or(defaults.per_id),
            per_ip: args
                .failed_auth_limit_per_ip
                .or(file.failed_auth_limit_per_ip)
                .unwrap_or(defaults.per_ip),
        };
        let login_limits = Limits {
            per_id: args
                .login_limit_per_account
                .or(file.login_limit_per_account)
                .unwrap_or(5),
            per_ip: args
                .login_limit_per_ip
                .or(file.login_limit_per_ip)
                .unwrap_or(50),
        };
        let admin_email = p6auth_core::user::normalise_email(
            args.admin_email
                .as_deref()
                .or(file.admin_email.as_deref())
                .unwrap_or("admin@example.com"),
        )
        .map_err(|e| format!("admin_email: {e}"))?;
        let maintenance_interval = duration(
            "maintenance_interval",
            args.maintenance_interval,
            file.maintenance_interval,
            "60s",
        )?;
        if maintenance_interval < 1 {
            return Err("maintenance_interval must be at least 1s".into());
        }
        Ok(Self {
            listen: args
                .listen
                .or(file.listen)
                .unwrap_or_else(|| DEFAULT_LISTEN.into()),
            issuer,
            audience: args.audience.or(file.audience),
            access_token_lifetime,
            signing_algorithm,
            signing_key_rotation_interval: duration(
                "signing_key_rotation_interval",
                args.signing_key_rotation_interval,
                file.signing_key_rotation_interval,
                "90d",
            )?,
            signing_key_prepublish: duration(
                "signing_key_prepublish",
                args.signing_key_prepublish,
                file.signing_key_prepublish,
                "1h",
            )?,
            failure_limits,
            audit_retention: duration(
                "audit_retention",
                args.audit_retention,
                file.audit_retention,
                "365d",
            )?,
            maintenance_interval,
            tls,
            log_format,
            max_staleness: Duration::from_secs(max_staleness),
            admin_email,
            login_limits,
            mail,
        })
    }
}

/// RFC 8414 §2: an https URL (http is tolerated for development) with no query or fragment.
fn validate_issuer(issuer: &str) -> Result<(), String> {
    if !(issuer.starts_with("https://") || issuer.starts_with("http://")) {
        return Err(format!("the issuer must be an http(s) URL; got {issuer:?}"));
    }
    if issuer.contains('?') || issuer.contains('#') {
        return Err(format!(
            "the issuer must not have a query or fragment; got {issuer:?}"
        ));
    }
    Ok(())
}

pub const EXAMPLE: &str = r#"# p6auth configuration. Every key is optional; flags and P6AUTH_* variables override it.
listen = "127.0.0.1:8080"          # P6AUTH_LISTEN
data_dir = "./p6auth-data"         # P6AUTH_DATA_DIR: SQLite database and master key
# database_url = "postgres://p6auth:secret@db.internal:5432/p6auth"  # P6AUTH_DATABASE_URL: PostgreSQL instead
# master_key_file = "/etc/p6auth/master.key"  # P6AUTH_MASTER_KEY_FILE: required with PostgreSQL
# issuer = "https://auth.example.com"   # P6AUTH_ISSUER; default http://<listen>
# audience = "https://auth.example.com" # P6AUTH_AUDIENCE; default: the issuer
access_token_lifetime = 3600       # P6AUTH_ACCESS_TOKEN_LIFETIME, seconds
signing_algorithm = "ES256"        # P6AUTH_SIGNING_ALGORITHM: ES256, EdDSA or RS256
signing_key_rotation_interval = "90d"  # P6AUTH_SIGNING_KEY_ROTATION_INTERVAL; "0" turns it off
signing_key_prepublish = "1h"      # P6AUTH_SIGNING_KEY_PREPUBLISH: published this long before signing
failed_auth_limit_per_id = 10      # P6AUTH_FAILED_AUTH_LIMIT_PER_ID, failures a minute before 429
failed_auth_limit_per_ip = 100     # P6AUTH_FAILED_AUTH_LIMIT_PER_IP
audit_retention = "365d"           # P6AUTH_AUDIT_RETENTION; "0" keeps entries forever
maintenance_interval = "60s"       # P6AUTH_MAINTENANCE_INTERVAL
# tls_cert = "/etc/p6auth/cert.pem"  # P6AUTH_TLS_CERT, with tls_key
# tls_key = "/etc/p6auth/key.pem"    # P6AUTH_TLS_KEY
# tls_self_signed = true             # P6AUTH_TLS_SELF_SIGNED: a development certificate in data_dir
log_format = "text"                # P6AUTH_LOG_FORMAT: text or json
max_staleness = 60                 # P6AUTH_MAX_STALENESS: seconds of serving cached integrations while the database is unreachable
admin_email = "admin@example.com"  # P6AUTH_ADMIN_EMAIL: the first administrator, created on first start
login_limit_per_account = 5        # P6AUTH_LOGIN_LIMIT_PER_ACCOUNT: failed sign-ins a minute before refusal
login_limit_per_ip = 50            # P6AUTH_LOGIN_LIMIT_PER_IP
# smtp_host = "smtp.example.com"   # P6AUTH_SMTP_HOST; unset: mail is written to <data_dir>/outbox/*.eml
# smtp_port = 587                  # P6AUTH_SMTP_PORT
# smtp_starttls = true             # P6AUTH_SMTP_STARTTLS
# smtp_username = "p6auth"         # P6AUTH_SMTP_USERNAME
# smtp_password = "secret"         # P6AUTH_SMTP_PASSWORD
# smtp_ca_file = "/etc/p6auth/smtp-ca.pem"  # P6AUTH_SMTP_CA_FILE: a private CA for the SMTP server
mail_from = "p6auth <noreply@localhost>"  # P6AUTH_MAIL_FROM
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_parses_and_flags_win_over_the_file() {
        let file: FileConfig = toml::from_str(EXAMPLE).unwrap();
        let args = ServeArgs {
            listen: Some("127.0.0.1:0".into()),
            ..ServeArgs::default()
        };
        let c = ServeConfig::resolve(args, file).unwrap();
        assert_eq!(c.listen, "127.0.0.1:0");
        assert_eq!(c.access_token_lifetime, 3600);
        assert_eq!(c.signing_algorithm, Algorithm::ES256);
        assert_eq!(c.max_staleness, Duration::from_secs(60));
    }

    #[test]
    fn the_database_url_selects_postgres_and_sqlite_stays_the_default() {
        let file = FileConfig::default();
        let s = StorageConfig::resolve(None, None, None, &file).unwrap();
        assert!(
            matches!(s.location, StoreLocation::Sqlite { ref path } if path == Path::new(DEFAULT_DATA_DIR))
        );
        let file = FileConfig {
            database_url: Some("postgres://u@h/db".into()),
            master_key_file: Some("/k".into()),
            ..FileConfig::default()
        };
        let s = StorageConfig::resolve(None, None, None, &file).unwrap();
        assert!(
            matches!(s.location, StoreLocation::Postgres { ref url } if url == "postgres://u@h/db")
        );
        assert_eq!(s.master_key_file.as_deref(), Some(Path::new("/k")));
        let s = StorageConfig::resolve(None, Some("postgresql://x/y".into()), None, &file).unwrap();
        assert!(
            matches!(s.location, StoreLocation::Postgres { ref url } if url == "postgresql://x/y")
        );
        assert!(StorageConfig::resolve(None, Some("mysql://x".into()), None, &file).is_err());
        assert!(StorageConfig::resolve(None, Some("sqlite:///x".into()), None, &file).is_err());
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        let e = toml::from_str::<FileConfig>("lisen = \"x\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `lisen`"), "{e}");
        let file = FileConfig {
            access_token_lifetime: Some(0),
            ..FileConfig::default()
        };
        assert!(
            ServeConfig::resolve(ServeArgs::default(), file)
                .unwrap_err()
                .contains("between 1 and 86400")
        );
        let args = ServeArgs {
            issuer: Some("ftp://x".into()),
            ..ServeArgs::default()
        };
        assert!(ServeConfig::resolve(args, FileConfig::default()).is_err());
    }
}
