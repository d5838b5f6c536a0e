use p6auth_core::clock::{Clock, rfc3339};
use p6auth_core::duration::parse_duration;
use serde_json::json;

use super::{Context, print_json};
use crate::cli::AuditArgs;
use crate::exit::CliError;

/// `--since 24h` (that long ago) or `--since 1796316663` (a Unix time).
fn since(text: Option<&str>, now: i64) -> Result<i64, CliError> {
    let Some(text) = text else { return Ok(0) };
    if text.len() >= 9 && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse()
            .map_err(|_| CliError::usage(format!("--since: {text:?} is not a time")));
    }
    parse_duration(text)
        .map(|d| now - d)
        .map_err(|e| CliError::usage(format!("--since: {e}")))
}

pub async fn run(args: AuditArgs, ctx: &Context) -> Result<(), CliError> {
    if args.limit < 1 {
        return Err(CliError::usage("--limit must be at least 1"));
    }
    let entries = ctx
        .store
        .list_audit(since(args.since.as_deref(), ctx.clock.now())?, args.limit)
        .await?;
    if entries.len() as i64 == args.limit {
        eprintln!(
            "note: showing the first {} entries (oldest first); narrow with --since or raise --limit",
            args.limit
        );
    }
    if args.json {
        print_json(&json!(entries));
        return Ok(());
    }
    for e in entries {
        println!(
            "{}  {:<28} {:<32} {:<48} {}",
            rfc3339(e.at),
            e.action,
            e.actor,
            e.target,
            e.details
        );
    }
    Ok(())
}
