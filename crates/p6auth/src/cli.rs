//! The command line, as clap sees it. Flags override `P6AUTH_*` variables, which override the
//! TOML file given by `--config`, which overrides the defaults.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "p6auth",
    version,
    about = "OAuth 2.0 authorization server and identity directory"
)]
pub struct Cli {
    /// Directory holding the embedded database and the master key [default: ./p6auth-data]
    #[arg(long, global = true, env = "P6AUTH_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// PostgreSQL URL (postgres://user:password@host:port/database); selects PostgreSQL instead
    /// of the embedded SQLite database in the data directory
    #[arg(long, global = true, env = "P6AUTH_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,

    /// File holding the master key (32 raw bytes or 64 hex digits); required with PostgreSQL,
    /// where every node must use the same one [default: <data-dir>/master.key]
    #[arg(
        long,
        global = true,
        env = "P6AUTH_MASTER_KEY_FILE",
        value_name = "FILE"
    )]
    pub master_key_file: Option<PathBuf>,

    /// TOML file with the same keys as the flags (listen, data_dir, issuer, ...)
    #[arg(long, global = true, env = "P6AUTH_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server
    Serve(Box<ServeArgs>),
    /// Manage instances (tenants)
    #[command(subcommand)]
    Instance(InstanceCommand),
    /// Manage permission sets
    #[command(subcommand, name = "permission-set")]
    PermissionSet(PermissionSetCommand),
    /// Manage users (global accounts, with their access per instance)
    #[command(subcommand)]
    User(UserCommand),
    /// Manage the org tree of an instance
    #[command(subcommand)]
    Org(OrgCommand),
    /// Load a whole directory from a JSON file; running it again changes nothing
    Import(ImportArgs),
    /// Manage integrations (OAuth confidential clients)
    #[command(subcommand)]
    Integration(IntegrationCommand),
    /// Manage signing keys
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Read the audit log
    Audit(AuditArgs),
    /// Whole-store operations
    #[command(subcommand)]
    Store(StoreCommand),
    /// Write an online backup of the embedded SQLite database to a new file
    Backup {
        /// The backup file; it must not exist yet
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Create master keys
    #[command(subcommand, name = "master-key")]
    MasterKey(MasterKeyCommand),
    /// Print an example configuration file
    ExampleConfig,
    /// Check an instance's connection: get a token with its credentials and show it
    Token(TokenArgs),
}

impl Command {
    /// Whether the command only reads the store. Reading a store that is not there is an error
    /// (a mistyped `--data-dir`), not a reason to create an empty one.
    pub fn only_reads(&self) -> bool {
        matches!(
            self,
            Self::Instance(InstanceCommand::List { .. })
                | Self::PermissionSet(PermissionSetCommand::List { .. })
                | Self::Integration(
                    IntegrationCommand::List { .. } | IntegrationCommand::Show { .. }
                )
                | Self::User(UserCommand::Show { .. } | UserCommand::List { .. })
                | Self::Org(OrgCommand::Tree { .. } | OrgCommand::Users { .. })
                | Self::Keys(KeysCommand::List { .. })
                | Self::Audit(_)
                | Self::Backup { .. }
        )
    }
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The instance's config file: HOCON (application.conf) or TOML (*.toml); without it, the
    /// P6AUTH_CLIENT_ID, P6AUTH_CLIENT_SECRET and P6AUTH_URL variables
    #[arg(long, value_name = "FILE")]
    pub conf: Option<PathBuf>,
    /// p6auth's URL, instead of p6auth.url in the file
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Accept any TLS certificate (a test server with a self-signed certificate only)
    #[arg(long)]
    pub insecure: bool,
    /// Seconds to wait for p6auth
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub timeout: u64,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a new signing key: published now, signing after the pre-publication time
    Rotate {
        /// How long the new key is published before it signs, e.g. 1h or 0
        #[arg(long, default_value = "1h", value_name = "DURATION")]
        prepublish: String,
        /// ES256, EdDSA or RS256 [default: the algorithm of the newest key]
        #[arg(long, value_name = "ALG")]
        algorithm: Option<String>,
    },
    /// List signing keys and their state
    List {
        #[arg(long)]
        json: bool,
        /// The longest access-token lifetime in use, to tell when old keys can go
        #[arg(long, default_value = "3600", value_name = "SECONDS")]
        token_lifetime: i64,
    },
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only entries from this long ago, e.g. 24h, or since this Unix time
    #[arg(long, value_name = "DURATION|UNIX_TIME")]
    pub since: Option<String>,
    #[arg(long, default_value = "1000")]
    pub limit: i64,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Copy everything from one store to another, preserving ids, then verify the copy
    Copy {
        /// sqlite:///path/to/data-dir-or-db-file or postgres://...
        #[arg(long, value_name = "URL")]
        from: String,
        /// postgres://... or sqlite:///path/to/data-dir-or-db-file
        #[arg(long, value_name = "URL")]
        to: String,
        /// Replace the contents of a target that is not empty
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum MasterKeyCommand {
    /// Write a new random master key, as 64 hex digits, to a new file (mode 0600)
    New {
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
}

/// Outgoing mail; without an SMTP host, messages are written to `<data-dir>/outbox`.
#[derive(Debug, Args, Default, Clone)]
pub struct MailArgs {
    /// SMTP server for outgoing mail [default: none: write .eml files to <data-dir>/outbox]
    #[arg(long, env = "P6AUTH_SMTP_HOST", value_name = "HOST")]
    pub smtp_host: Option<String>,
    /// SMTP port [default: 587]
    #[arg(long, env = "P6AUTH_SMTP_PORT", value_name = "PORT")]
    pub smtp_port: Option<u16>,
    /// Upgrade SMTP connections with STARTTLS: true or false [default: true]
    #[arg(long, env = "P6AUTH_SMTP_STARTTLS", value_name = "BOOL")]
    pub smtp_starttls: Option<bool>,
    /// SMTP user name (AUTH PLAIN, over STARTTLS only)
    #[arg(long, env = "P6AUTH_SMTP_USERNAME", value_name = "USER")]
    pub smtp_username: Option<String>,
    /// SMTP password; prefer the variable or the config file to the flag
    #[arg(
        long,
        env = "P6AUTH_SMTP_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true
    )]
    pub smtp_password: Option<String>,
    /// A PEM file of CA certificates trusted for the SMTP server, besides the system's roots
    #[arg(long, env = "P6AUTH_SMTP_CA_FILE", value_name = "FILE")]
    pub smtp_ca_file: Option<PathBuf>,
    /// The From: address of mail [default: p6auth <noreply@localhost>]
    #[arg(long, env = "P6AUTH_MAIL_FROM", value_name = "ADDRESS")]
    pub mail_from: Option<String>,
}

#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "P6AUTH_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// Issuer identifier, the `iss` of every token [default: http://<listen>]
    #[arg(long, env = "P6AUTH_ISSUER", value_name = "URL")]
    pub issuer: Option<String>,
    /// The `aud` of access tokens [default: the issuer]
    #[arg(long, env = "P6AUTH_AUDIENCE", value_name = "AUD")]
    pub audience: Option<String>,
    /// Access token lifetime in seconds [default: 3600]
    #[arg(long, env = "P6AUTH_ACCESS_TOKEN_LIFETIME", value_name = "SECONDS")]
    pub access_token_lifetime: Option<i64>,
    /// Algorithm of newly created signing keys: ES256, EdDSA or RS256 [default: ES256]
    #[arg(long, env = "P6AUTH_SIGNING_ALGORITHM", value_name = "ALG")]
    pub signing_algorithm: Option<String>,
    /// Scheduled signing-key rotation, e.g. 90d; 0 turns it off [default: 90d]
    #[arg(
        long,
        env = "P6AUTH_SIGNING_KEY_ROTATION_INTERVAL",
        value_name = "DURATION"
    )]
    pub signing_key_rotation_interval: Option<String>,
    /// How long a new key is published before it signs [default: 1h]
    #[arg(long, env = "P6AUTH_SIGNING_KEY_PREPUBLISH", value_name = "DURATION")]
    pub signing_key_prepublish: Option<String>,
    /// Failed client authentications per Application ID per minute before 429 [default: 10]
    #[arg(long, env = "P6AUTH_FAILED_AUTH_LIMIT_PER_ID", value_name = "N")]
    pub failed_auth_limit_per_id: Option<u32>,
    /// Failed client authentications per client IP per minute before 429 [default: 100]
    #[arg(long, env = "P6AUTH_FAILED_AUTH_LIMIT_PER_IP", value_name = "N")]
    pub failed_auth_limit_per_ip: Option<u32>,
    /// How long audit entries are kept; 0 keeps them forever [default: 365d]
    #[arg(long, env = "P6AUTH_AUDIT_RETENTION", value_name = "DURATION")]
    pub audit_retention: Option<String>,
    /// How often housekeeping runs (last-used times, purges, key rotation) [default: 60s]
    #[arg(long, env = "P6AUTH_MAINTENANCE_INTERVAL", value_name = "DURATION")]
    pub maintenance_interval: Option<String>,
    /// Serve TLS with this PEM certificate chain (needs --tls-key)
    #[arg(long, env = "P6AUTH_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert
    #[arg(long, env = "P6AUTH_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Serve TLS with a development certificate generated once into the data directory
    #[arg(long, env = "P6AUTH_TLS_SELF_SIGNED")]
    pub tls_self_signed: bool,
    /// Log format: text or json [default: text]
    #[arg(long, env = "P6AUTH_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// The first administrator, created on first start with an empty store
    /// [default: admin@example.com]
    #[arg(long, env = "P6AUTH_ADMIN_EMAIL", value_name = "EMAIL")]
    pub admin_email: Option<String>,
    /// Failed sign-ins per account per minute before sign-in is refused [default: 5]
    #[arg(long, env = "P6AUTH_LOGIN_LIMIT_PER_ACCOUNT", value_name = "N")]
    pub login_limit_per_account: Option<u32>,
    /// Failed sign-ins per client IP per minute before sign-in is refused [default: 50]
    #[arg(long, env = "P6AUTH_LOGIN_LIMIT_PER_IP", value_name = "N")]
    pub login_limit_per_ip: Option<u32>,
    #[command(flatten)]
    pub mail: MailArgs,
    /// Seconds a node keeps serving cached integrations while the database cannot be read;
    /// then it answers 503 until it can [default: 60]
    #[arg(long, env = "P6AUTH_MAX_STALENESS", value_name = "SECONDS")]
    pub max_staleness: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum InstanceCommand {
    /// Create an instance
    Create {
        name: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long, default_value = "")]
        description: String,
        /// Also create the instance's integration (permission set "Integration" with orgs=read
        /// and NAME:users=read("./")) and print the block for its application.conf
        #[arg(long)]
        with_integration: bool,
        /// p6auth's URL, for the printed block [default: http://127.0.0.1:8080]
        #[arg(long, value_name = "URL", requires = "with_integration")]
        url: Option<String>,
        /// The integration's redirect URI [default: https://NAME.invalid/, a placeholder that
        /// client_credentials never uses]
        #[arg(long, value_name = "URI", requires = "with_integration")]
        redirect_uri: Option<String>,
    },
    /// List instances
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PermissionSetCommand {
    /// Create a permission set
    Create {
        /// Instance name, or * for a global set
        #[arg(long)]
        instance: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        description: String,
        /// A permission, [instance:]feature=action[(values)]; repeat for more
        #[arg(long = "permission", value_name = "P", required = true)]
        permissions: Vec<String>,
    },
    /// List permission sets
    List {
        #[arg(long)]
        json: bool,
    },
    /// Rename or change a permission set; its assignments stay
    Update {
        #[arg(long)]
        instance: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "NAME")]
        new_name: Option<String>,
        #[arg(long)]
        description: Option<String>,
        /// Replaces the permissions; repeat for more
        #[arg(long = "permission", value_name = "P")]
        permissions: Vec<String>,
    },
    /// Delete a permission set; refused while a user or an integration holds it
    Delete {
        #[arg(long)]
        instance: String,
        #[arg(long)]
        name: String,
    },
    /// Enable a permission set
    Enable {
        #[arg(long)]
        instance: String,
        #[arg(long)]
        name: String,
    },
    /// Disable a permission set: it counts for nothing, and tokens that carried it end
    Disable {
        #[arg(long)]
        instance: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum IntegrationCommand {
    /// Create an integration; prints its Application ID and App Secret (shown once)
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        redirect_uri: String,
        /// INSTANCE/PERMISSION_SET; repeat for more
        #[arg(long = "policy", value_name = "INSTANCE/SET")]
        policies: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// List integrations
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one integration
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Enable an integration
    Enable { id: String },
    /// Disable an integration: its credentials stop working at once
    Disable { id: String },
    /// Delete an integration
    Delete { id: String },
    /// Replace the policy list; removing a policy ends the tokens issued so far
    SetPolicies {
        id: String,
        /// INSTANCE/PERMISSION_SET; repeat for more (disable the integration to take everything away)
        #[arg(long = "policy", value_name = "INSTANCE/SET", required = true)]
        policies: Vec<String>,
    },
    /// Issue a new App Secret; the old one keeps working for the grace period
    RotateSecret {
        id: String,
        /// How long the previous secret keeps working, e.g. 24h, 30m or 0
        #[arg(long, default_value = "24h", value_name = "DURATION")]
        grace: String,
        #[arg(long)]
        json: bool,
    },
    /// End every secret but the newest, now
    ExpireOldSecret { id: String },
}

/// The profile fields a user command may set; on update, only those given change.
#[derive(Debug, Args)]
pub struct ProfileArgs {
    #[arg(long)]
    pub first_name: Option<String>,
    #[arg(long)]
    pub last_name: Option<String>,
    /// true or false
    #[arg(long, value_name = "BOOL")]
    pub enabled: Option<bool>,
    /// A language tag such as en or de-CH
    #[arg(long, value_name = "TAG")]
    pub language: Option<String>,
    /// KEY=VALUE; repeat for more (replaces all properties)
    #[arg(long = "property", value_name = "KEY=VALUE")]
    pub properties: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account, in no instance until `set-access`
    Create {
        email: String,
        #[command(flatten)]
        profile: ProfileArgs,
    },
    /// Show one user with their sets and positions per instance
    Show {
        email: String,
        #[arg(long)]
        json: bool,
    },
    /// List users, ordered by email
    List {
        /// Only the users of this instance
        #[arg(long)]
        instance: Option<String>,
        #[arg(long, value_name = "PREFIX")]
        email_prefix: Option<String>,
        #[arg(long)]
        last_name: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Change the profile fields given
    Update {
        email: String,
        #[command(flatten)]
        profile: ProfileArgs,
    },
    /// Delete the account with everything it holds
    Delete { email: String },
    /// Create an administrator holding `*`/`Instance Admin` in instance `default` (both made if
    /// missing); prints a one-time activation link and writes it to the outbox
    CreateAdmin {
        #[arg(long)]
        email: String,
        /// The server's public URL, for the link [default: the config's issuer, else http://127.0.0.1:8080]
        #[arg(long, env = "P6AUTH_ISSUER", value_name = "URL")]
        issuer: Option<String>,
        #[command(flatten)]
        mail: MailArgs,
    },
    /// Replace what the user holds in one instance: sets and positions (none: the root)
    SetAccess {
        email: String,
        #[arg(long)]
        instance: String,
        /// A permission set of the instance, else a global one; repeat for more
        #[arg(long = "set", value_name = "SET")]
        sets: Vec<String>,
        /// An org path such as /acme/Sales; repeat for more
        #[arg(long = "position", value_name = "PATH")]
        positions: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Add a node below PARENT (a path such as /acme/Sales)
    Add {
        parent: String,
        name: String,
        #[arg(long, default_value = "")]
        description: String,
        /// KEY=VALUE; repeat for more
        #[arg(long = "property", value_name = "KEY=VALUE")]
        properties: Vec<String>,
    },
    /// Rename a node
    Rename { path: String, new_name: String },
    /// Move a node, with its branch, below another node of the same instance
    Move { path: String, new_parent: String },
    /// Delete a node; with children or users on it, only with --cascade (its users move to the
    /// node's parent)
    Delete {
        path: String,
        #[arg(long)]
        cascade: bool,
    },
    /// Print an instance's tree
    Tree {
        instance: String,
        #[arg(long)]
        json: bool,
    },
    /// List the users on one node
    Users {
        path: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The directory as JSON (see the README for the format)
    pub file: PathBuf,
    /// Print the summary as JSON
    #[arg(long)]
    pub json: bool,
}
