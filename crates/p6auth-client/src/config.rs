//! Where an instance finds its credentials: a HOCON `application.conf`, a TOML file, or
//! environment variables.
//!
//! | key | variable | |
//! |---|---|---|
//! | `p6auth.client.id` | `P6AUTH_CLIENT_ID` | the Application ID; required |
//! | `p6auth.client.secret` | `P6AUTH_CLIENT_SECRET` | the App Secret; required |
//! | `p6auth.url` | `P6AUTH_URL` | p6auth's base URL, its issuer; required (or given by the caller) |
//! | `p6auth.client.redirect-uri` | `P6AUTH_CLIENT_REDIRECT_URI` | sent with each token request when set; must equal the registered one |
//! | `p6auth.client.scope` | `P6AUTH_CLIENT_SCOPE` | space-separated permissions to ask for; default: all the integration holds |
//! | `p6auth.ca-file` | `P6AUTH_CA_FILE` | PEM certificates to trust besides the system's (relative to the file) |
//!
//! Multi-word keys may also be written with `_` (`redirect_uri`, `ca_file`), as TOML files do.
//! Precedence: a URL given by the caller (`--url`), then the variables, then the file. A file
//! whose name ends in `.toml` is TOML; any other is HOCON (see [`crate::hocon`]).
//!
//! ```
//! use p6auth_client::config::{ClientConfig, LoadOptions};
//!
//! let text = r#"p6auth { client { id: "app-1", secret: ${?SECRET} }, url: "https://auth.example" }"#;
//! let env = |name: &str| (name == "SECRET").then(|| "s3cret".to_string());
//! let config = ClientConfig::parse_hocon(text, "application.conf", &LoadOptions::with_env(&env))?;
//! assert_eq!(config.client_id, "app-1");
//! assert_eq!(config.client_secret.expose(), "s3cret");
//! assert_eq!(config.token_endpoint(), "https://auth.example/oauth/token");
//! assert_eq!(format!("{:?}", config.client_secret), "Secret(<redacted>)");
//!
//! let err = ClientConfig::parse_hocon("p6auth.url: \"https://a\"", "app.conf", &LoadOptions::with_env(&|_| None))
//!     .unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "p6auth.client.id is missing in app.conf (or set the environment variable P6AUTH_CLIENT_ID)"
//! );
//! # Ok::<(), p6auth_client::config::ConfigError>(())
//! ```

use std::path::{Path, PathBuf};

use crate::hocon::{Document, EnvLookup};

/// A secret whose `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// What a token source needs to reach p6auth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    pub client_id: String,
    pub client_secret: Secret,
    /// p6auth's base URL; also its issuer unless it runs behind a proxy.
    pub url: String,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("{origin}: {message}")]
    Syntax { origin: String, message: String },
    #[error("{key} is missing in {origin}{hint}")]
    Missing {
        key: &'static str,
        origin: String,
        hint: String,
    },
    #[error("{key} in {origin}: {message}")]
    Invalid {
        key: &'static str,
        origin: String,
        message: String,
    },
}

impl ConfigError {
    /// The configuration key the error is about, if any.
    pub fn key(&self) -> Option<&'static str> {
        match self {
            Self::Missing { key, .. } | Self::Invalid { key, .. } => Some(key),
            _ => None,
        }
    }
}

/// How to load: the environment to read, and a URL that overrides the file and the variables.
pub struct LoadOptions<'a> {
    pub env: EnvLookup<'a>,
    pub url: Option<String>,
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl LoadOptions<'static> {
    /// The process environment, no override.
    pub fn process() -> Self {
        Self {
            env: &process_env,
            url: None,
        }
    }
}

impl<'a> LoadOptions<'a> {
    pub fn with_env(env: EnvLookup<'a>) -> Self {
        Self { env, url: None }
    }
}

struct Key {
    path: &'static str,
    alt: Option<&'static str>,
    var: &'static str,
}

const ID: Key = Key {
    path: "p6auth.client.id",
    alt: None,
    var: "P6AUTH_CLIENT_ID",
};
const SECRET: Key = Key {
    path: "p6auth.client.secret",
    alt: None,
    var: "P6AUTH_CLIENT_SECRET",
};
const URL: Key = Key {
    path: "p6auth.url",
    alt: None,
    var: "P6AUTH_URL",
};
const REDIRECT_URI: Key = Key {
    path: "p6auth.client.redirect-uri",
    alt: Some("p6auth.client.redirect_uri"),
    var: "P6AUTH_CLIENT_REDIRECT_URI",
};
const SCOPE: Key = Key {
    path: "p6auth.client.scope",
    alt: None,
    var: "P6AUTH_CLIENT_SCOPE",
};
const CA_FILE: Key = Key {
    path: "p6auth.ca-file",
    alt: Some("p6auth.ca_file"),
    var: "P6AUTH_CA_FILE",
};

/// A parsed file, whatever its format.
enum Source<'t> {
    Hocon(&'t Document),
    Toml(&'t toml::Table),
    None,
}

/// Reads one key from the sources in order of precedence and remembers where it came from.
struct Reader<'a, 't> {
    source: Source<'t>,
    origin: String,
    env: EnvLookup<'a>,
    includes: usize,
}

impl Reader<'_, '_> {
    fn get(&self, key: &Key) -> Result<Option<(String, String)>, ConfigError> {
        if let Some(v) = (self.env)(key.var) {
            return Ok(Some((v, format!("the environment variable {}", key.var))));
        }
        for path in [Some(key.path), key.alt].into_iter().flatten() {
            let value = match &self.source {
                Source::Hocon(doc) => {
                    doc.get_string(path, self.env)
                        .map_err(|e| ConfigError::Invalid {
                            key: key.path,
                            origin: self.origin.clone(),
                            message: e.to_string(),
                        })?
                }
                Source::Toml(table) => {
                    toml_string(table, path).map_err(|message| ConfigError::Invalid {
                        key: key.path,
                        origin: self.origin.clone(),
                        message,
                    })?
                }
                Source::None => None,
            };
            if let Some(v) = value {
                return Ok(Some((v, self.origin.clone())));
            }
        }
        Ok(None)
    }

    fn required(&self, key: &Key) -> Result<(String, String), ConfigError> {
        self.get(key)?.ok_or_else(|| {
            let mut hint = format!(" (or set the environment variable {})", key.var);
            if self.includes > 0 {
                hint.push_str(&format!(
                    "; the file has {} include statement(s), which p6auth does not follow",
                    self.includes
                ));
            }
            ConfigError::Missing {
                key: key.path,
                origin: self.origin.clone(),
                hint,
            }
        })
    }
}

fn toml_string(table: &toml::Table, path: &str) -> Result<Option<String>, String> {
    let mut current = table;
    let mut segments = path.split('.').peekable();
    while let Some(segment) = segments.next() {
        let Some(value) = current.get(segment) else {
            return Ok(None);
        };
        if segments.peek().is_none() {
            return match value {
                toml::Value::String(s) => Ok(Some(s.clone())),
                toml::Value::Integer(i) => Ok(Some(i.to_string())),
                other => Err(format!("expected a string, found a {}", other.type_str())),
            };
        }
        match value {
            toml::Value::Table(t) => current = t,
            _ => return Ok(None),
        }
    }
    Ok(None)
}

impl ClientConfig {
    /// Reads `path` (HOCON, or TOML when it ends in `.toml`), with the process environment.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        Self::load(Some(path), &LoadOptions::process())
    }

    /// Reads the `P6AUTH_*` variables only.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::load(None, &LoadOptions::process())
    }

    pub fn load(path: Option<&Path>, options: &LoadOptions<'_>) -> Result<Self, ConfigError> {
        let Some(path) = path else {
            let reader = Reader {
                source: Source::None,
                origin: "the environment".into(),
                env: options.env,
                includes: 0,
            };
            return Self::read(&reader, options);
        };
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let origin = path.display().to_string();
        let config = if path.extension().is_some_and(|e| e == "toml") {
            Self::parse_toml(&text, &origin, options)
        } else {
            Self::parse_hocon(&text, &origin, options)
        }?;
        Ok(config.with_ca_file_relative_to(path.parent()))
    }

    /// Parses HOCON text; `origin` names it in errors.
    pub fn parse_hocon(
        text: &str,
        origin: &str,
        options: &LoadOptions<'_>,
    ) -> Result<Self, ConfigError> {
        let doc = Document::parse(text).map_err(|e| ConfigError::Syntax {
            origin: origin.to_string(),
            message: e.to_string(),
        })?;
        let reader = Reader {
            source: Source::Hocon(&doc),
            origin: origin.to_string(),
            env: options.env,
            includes: doc.includes(),
        };
        Self::read(&reader, options)
    }

    /// Parses TOML text (`[p6auth.client]` with `id` and `secret`, `[p6auth]` with `url`).
    pub fn parse_toml(
        text: &str,
        origin: &str,
        options: &LoadOptions<'_>,
    ) -> Result<Self, ConfigError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            origin: origin.to_string(),
            message: e.to_string(),
        })?;
        let reader = Reader {
            source: Source::Toml(&table),
            origin: origin.to_string(),
            env: options.env,
            includes: 0,
        };
        Self::read(&reader, options)
    }

    fn read(reader: &Reader<'_, '_>, options: &LoadOptions<'_>) -> Result<Self, ConfigError> {
        let (client_id, origin) = reader.required(&ID)?;
        check_token(&ID, &client_id, &origin)?;
        let (secret, origin) = reader.required(&SECRET)?;
        check_token(&SECRET, &secret, &origin)?;
        let (url, origin) = match &options.url {
            Some(url) => (url.clone(), "--url".to_string()),
            None => reader.required(&URL)?,
        };
        check_url(&url).map_err(|message| ConfigError::Invalid {
            key: URL.path,
            origin,
            message,
        })?;
        let redirect_uri = reader.get(&REDIRECT_URI)?;
        if let Some((uri, origin)) = &redirect_uri {
            check_token(&REDIRECT_URI, uri, origin)?;
        }
        let scope = reader.get(&SCOPE)?.map(|(s, _)| s);
        let ca_file = reader.get(&CA_FILE)?.map(|(s, _)| PathBuf::from(s));
        Ok(Self {
            client_id,
            client_secret: Secret::new(secret),
            url,
            redirect_uri: redirect_uri.map(|(u, _)| u),
            scope: scope.filter(|s| !s.trim().is_empty()),
            ca_file,
        })
    }

    fn with_ca_file_relative_to(mut self, dir: Option<&Path>) -> Self {
        if let (Some(ca), Some(dir)) = (&self.ca_file, dir)
            && ca.is_relative()
        {
            self.ca_file = Some(dir.join(ca));
        }
        self
    }

    /// `<url>/oauth/token`.
    pub fn token_endpoint(&self) -> String {
        format!("{}/oauth/token", self.url.trim_end_matches('/'))
    }
}

fn check_token(key: &Key, value: &str, origin: &str) -> Result<(), ConfigError> {
    let message = if value.trim().is_empty() {
        "must not be empty".to_string()
    } else if let Some(c) = value.chars().find(|c| c.is_whitespace() || c.is_control()) {
        format!("must not contain white space or control characters (found {c:?})")
    } else {
        return Ok(());
    };
    Err(ConfigError::Invalid {
        key: key.path,
        origin: origin.to_string(),
        message,
    })
}

/// An absolute http(s) URL with a host and no query or fragment.
pub fn check_url(url: &str) -> Result<(), String> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(format!("must be an https:// or http:// URL; got {url:?}"));
    }
    let uri: http::Uri = url
        .parse()
        .map_err(|e| format!("is not a valid URL ({e}); got {url:?}"))?;
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("has no host; got {url:?}"));
    }
    if url.contains('?') || url.contains('#') {
        return Err(format!("must not have a query or fragment; got {url:?}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<String> {
        None
    }

    fn hocon(text: &str) -> Result<ClientConfig, ConfigError> {
        ClientConfig::parse_hocon(
            text,
            "/etc/app/application.conf",
            &LoadOptions::with_env(&none),
        )
    }

    #[test]
    fn toml_and_the_environment() {
        let text = "[p6auth]\nurl = \"http://127.0.0.1:8080/\"\n[p6auth.client]\nid = \"a\"\nsecret = \"b\"\nredirect_uri = \"https://x/cb\"\n";
        let c = ClientConfig::parse_toml(text, "c.toml", &LoadOptions::with_env(&none)).unwrap();
        assert_eq!(c.client_id, "a");
        assert_eq!(c.redirect_uri.as_deref(), Some("https://x/cb"));
        assert_eq!(c.token_endpoint(), "http://127.0.0.1:8080/oauth/token");

        let env = |n: &str| match n {
            "P6AUTH_CLIENT_ID" => Some("env-id".to_string()),
            "P6AUTH_CLIENT_SECRET" => Some("env-secret".to_string()),
            "P6AUTH_URL" => Some("https://auth.example".to_string()),
            _ => None,
        };
        let c = ClientConfig::load(None, &LoadOptions::with_env(&env)).unwrap();
        assert_eq!(
            (
                c.client_id.as_str(),
                c.client_secret.expose(),
                c.url.as_str()
            ),
            ("env-id", "env-secret", "https://auth.example")
        );
        // variables override the file; --url overrides both
        let c = ClientConfig::parse_toml(
            text,
            "c.toml",
            &LoadOptions {
                env: &env,
                url: Some("https://override".into()),
            },
        )
        .unwrap();
        assert_eq!(c.client_id, "env-id");
        assert_eq!(c.url, "https://override");

        let err = ClientConfig::load(None, &LoadOptions::with_env(&none)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "p6auth.client.id is missing in the environment (or set the environment variable P6AUTH_CLIENT_ID)"
        );
    }

    #[test]
    fn missing_keys_and_bad_values_name_the_key_and_the_file() {
        let err = hocon("p6auth.client.id: x\np6auth.client.secret: y\n").unwrap_err();
        assert_eq!(err.key(), Some("p6auth.url"));
        assert_eq!(
            err.to_string(),
            "p6auth.url is missing in /etc/app/application.conf (or set the environment variable P6AUTH_URL)"
        );
        let err = hocon("p6auth { client { id: x, secret: y }, url: \"ftp://x\" }").unwrap_err();
        assert_eq!(
            err.to_string(),
            "p6auth.url in /etc/app/application.conf: must be an https:// or http:// URL; got \"ftp://x\""
        );
        let err = hocon("p6auth { client { id: \"\", secret: y } }").unwrap_err();
        assert_eq!(
            err.to_string(),
            "p6auth.client.id in /etc/app/application.conf: must not be empty"
        );
        let err = hocon("p6auth { client { id: x, secret: \"a b\" } }").unwrap_err();
        assert_eq!(err.key(), Some("p6auth.client.secret"));
        let err = hocon("p6auth { client { id: x, secret { nested: 1 } } }").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("p6auth.client.secret in /etc/app/application.conf: "),
            "{err}"
        );
        let err = hocon("p6auth { client { id: x }").unwrap_err();
        assert!(matches!(err, ConfigError::Syntax { .. }));
        assert!(
            err.to_string()
                .starts_with("/etc/app/application.conf: line 1, column"),
            "{err}"
        );
        let err = hocon("include \"secrets.conf\"\np6auth.url: \"http://a\"\n").unwrap_err();
        assert!(err.to_string().contains("1 include statement(s)"), "{err}");
        let err = ClientConfig::parse_toml(
            "[p6auth.client]\nid = 1.5\n",
            "c.toml",
            &LoadOptions::with_env(&none),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "p6auth.client.id in c.toml: expected a string, found a float"
        );
    }

    #[test]
    fn files_by_extension_and_relative_ca_files() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("application.conf");
        std::fs::write(
            &conf,
            "p6auth { client { id: a, secret: b }, url: \"https://x\", ca-file: ca.pem }",
        )
        .unwrap();
        let c = ClientConfig::load(Some(&conf), &LoadOptions::with_env(&none)).unwrap();
        assert_eq!(c.ca_file, Some(dir.path().join("ca.pem")));
        let toml = dir.path().join("p6auth.toml");
        std::fs::write(
            &toml,
            "[p6auth]\nurl = \"https://x\"\nca_file = \"/abs.pem\"\n[p6auth.client]\nid = \"a\"\nsecret = \"b\"\n",
        )
        .unwrap();
        let c = ClientConfig::load(Some(&toml), &LoadOptions::with_env(&none)).unwrap();
        assert_eq!(c.ca_file, Some(PathBuf::from("/abs.pem")));
        let err = ClientConfig::load(Some(&dir.path().join("nope.conf")), &LoadOptions::process())
            .unwrap_err();
        assert!(err.to_string().starts_with("cannot read the config file "));
    }
}
