//! `p6auth token`: an instance's connection check. Gets a token with the instance's
//! credentials, shows what p6auth answered, and on failure says in plain words what to check.
//!
//! Exit codes (documented in the README): 0 a token was issued and verifies; 2 the config does
//! not load; 10 credentials refused (wrong id or secret, or a disabled integration: p6auth
//! answers these alike on purpose); 11 redirect URI mismatch; 12 any other refusal (scope,
//! request); 13 p6auth unreachable; 14 TLS failure; 15 an answer that is not p6auth's (or a
//! token that does not verify); 16 p6auth unavailable (HTTP 429 or 5xx).

use std::time::Duration;

use p6auth_client::config::{ClientConfig, LoadOptions};
use p6auth_client::http::{HttpClient, HttpOptions};
use p6auth_client::token::{TokenResponse, request_token};
use p6auth_client::{TokenError, Verifier, VerifierOptions};
use p6auth_core::clock::{Clock, SystemClock, rfc3339};
use p6auth_core::encoding::b64url_decode;
use serde_json::Value;

use crate::cli::TokenArgs;
use crate::exit::CliError;

pub const INVALID_CLIENT: u8 = 10;
pub const REDIRECT_URI_MISMATCH: u8 = 11;
pub const REFUSED: u8 = 12;
pub const UNREACHABLE: u8 = 13;
pub const TLS: u8 = 14;
pub const BAD_RESPONSE: u8 = 15;
pub const UNAVAILABLE: u8 = 16;

pub async fn run(args: TokenArgs) -> Result<(), CliError> {
    let options = LoadOptions {
        url: args.url.clone(),
        ..LoadOptions::process()
    };
    let config = ClientConfig::load(args.conf.as_deref(), &options)
        .map_err(|e| CliError::usage(e.to_string()))?;
    let http = HttpClient::new(HttpOptions {
        timeout: Duration::from_secs(args.timeout.max(1)),
        ca_file: config.ca_file.clone(),
        insecure: args.insecure,
    });
    println!(
        "POST {}  (client {})",
        config.token_endpoint(),
        config.client_id
    );
    match request_token(&http, &config).await {
        Ok(response) => show(&config, &response, &http.options().clone()).await,
        Err(e) => {
            if let Some(status) = e.status() {
                println!("HTTP status: {status}");
            }
            Err(explain(&e, &config, &args))
        }
    }
}

async fn show(
    config: &ClientConfig,
    response: &TokenResponse,
    http: &HttpOptions,
) -> Result<(), CliError> {
    println!("HTTP status: {}", response.status);
    let bad = |why: String| CliError {
        code: BAD_RESPONSE,
        message: format!("p6auth issued a token that {why}"),
    };
    let mut parts = response.access_token.split('.');
    let mut decode =
        || -> Option<Value> { serde_json::from_slice(&b64url_decode(parts.next()?)?).ok() };
    let (Some(header), Some(claims)) = (decode(), decode()) else {
        return Err(bad("is not a JWT".into()));
    };
    println!("Header: {}", pretty(&header));
    println!("Claims: {}", pretty(&claims));
    if let Some(scope) = &response.scope {
        println!("Permissions: {scope}");
    }
    if let Some(exp) = claims.get("exp").and_then(Value::as_i64) {
        let left = exp - SystemClock.now();
        println!("Expires: {}, in {left} s", expiry(exp));
    }
    let issuer = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    let audience = match claims.get("aud") {
        Some(Value::String(a)) => Some(a.clone()),
        Some(Value::Array(a)) => a.first().and_then(Value::as_str).map(str::to_owned),
        _ => None,
    };
    let mut options = VerifierOptions::new(issuer);
    options.audience = audience;
    options.http = http.clone();
    options.metadata_url = Some(format!(
        "{}/.well-known/oauth-authorization-server",
        config.url.trim_end_matches('/')
    ));
    match Verifier::new(options).verify(&response.access_token).await {
        Ok(c) => println!("Signature: verified with the key {} ({})", c.kid, c.alg),
        Err(e) => return Err(bad(format!("does not verify: {e}"))),
    }
    println!("OK: the credentials of {} work.", config.client_id);
    Ok(())
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// The expiry in UTC and, when `date +%z` gives the local offset, in local time. The offset is
/// today's; a daylight-saving change before the token expires is not accounted for.
fn expiry(exp: i64) -> String {
    let utc = rfc3339(exp);
    match local_offset() {
        Some(0) | None => format!("{utc} (UTC)"),
        Some(offset) => {
            let local = rfc3339(exp + offset);
            let sign = if offset < 0 { '-' } else { '+' };
            let (h, m) = (offset.abs() / 3600, offset.abs() % 3600 / 60);
            format!(
                "{} {sign}{h:02}:{m:02} (local time), {utc} (UTC)",
                local.trim_end_matches('Z').replace('T', " ")
            )
        }
    }
}

fn local_offset() -> Option<i64> {
    let out = std::process::Command::new("date")
        .arg("+%z")
        .output()
        .ok()?;
    parse_offset(String::from_utf8(out.stdout).ok()?.trim())
}

/// `+0130` → 5400 seconds.
fn parse_offset(s: &str) -> Option<i64> {
    let (sign, digits) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i64 = digits[..2].parse().ok()?;
    let minutes: i64 = digits[2..].parse().ok()?;
    Some(sign * (hours * 3600 + minutes * 60))
}

fn explain(e: &TokenError, config: &ClientConfig, args: &TokenArgs) -> CliError {
    let source = args
        .conf
        .as_ref()
        .map_or("the environment".to_string(), |p| p.display().to_string());
    let (code, advice) = match e {
        TokenError::InvalidClient { .. } => (
            INVALID_CLIENT,
            format!(
                "p6auth refused the credentials of {id}.\n\
                 Check, in {source}:\n\
                 - p6auth.client.id is the integration's Application ID (p6auth integration list);\n\
                 - p6auth.client.secret is its App Secret exactly as printed when it was created (it is shown only once; create a new integration if it is lost);\n\
                 - the integration is enabled (p6auth integration show {id}; p6auth integration enable {id}).\n\
                 p6auth gives the same answer to a wrong secret, an unknown id and a disabled integration, on purpose.",
                id = config.client_id
            ),
        ),
        TokenError::RedirectUriMismatch { .. } => (
            REDIRECT_URI_MISMATCH,
            format!(
                "the redirect URI sent ({uri}) is not the one registered for the integration {id}.\n\
                 Make p6auth.client.redirect-uri in {source} equal to the registered one (p6auth integration show {id}), \
                 or remove it: client_credentials does not need it.",
                uri = config.redirect_uri.as_deref().unwrap_or("?"),
                id = config.client_id
            ),
        ),
        TokenError::Rejected { error, .. } => (
            REFUSED,
            format!(
                "p6auth refused the request ({error}).\n\
                 Check p6auth.client.scope in {source}: every permission asked for must be held by the integration's permission sets."
            ),
        ),
        TokenError::Unavailable { status, .. } => (
            UNAVAILABLE,
            format!(
                "p6auth (or a proxy in front of it) answered HTTP {status}: it is running but cannot serve now.\n\
                 Try again later; if it lasts, check p6auth's log."
            ),
        ),
        TokenError::Unreachable { .. } => (
            UNREACHABLE,
            format!(
                "p6auth could not be reached at {url}.\n\
                 Check that p6auth runs (p6auth serve), that p6auth.url in {source} (or --url) names its address and port, \
                 and that no firewall or proxy is in the way.",
                url = config.url
            ),
        ),
        TokenError::Tls { .. } => (
            TLS,
            format!(
                "the TLS connection to {url} failed.\n\
                 If p6auth uses a self-signed or private certificate, trust it with p6auth.ca-file = \"/path/to/ca.pem\" in {source}, \
                 or, for a test only, run again with --insecure. If p6auth speaks plain http, use an http:// URL.",
                url = config.url
            ),
        ),
        TokenError::BadResponse { .. } => (
            BAD_RESPONSE,
            format!(
                "the server at {url} did not answer like p6auth.\n\
                 Check that p6auth.url in {source} (or --url) points at p6auth itself, not at another service or a proxy's error page.",
                url = config.url
            ),
        ),
    };
    CliError {
        code,
        message: format!("{e}\n{advice}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets() {
        assert_eq!(parse_offset("+0130"), Some(5400));
        assert_eq!(parse_offset("-0800"), Some(-28800));
        assert_eq!(parse_offset("+0000"), Some(0));
        assert_eq!(parse_offset("CET"), None);
        assert_eq!(parse_offset("+01"), None);
    }
}
