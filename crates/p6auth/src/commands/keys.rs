use p6auth_core::clock::{Clock, rfc3339};
use p6auth_core::duration::parse_duration;
use p6auth_core::signing_key::Algorithm;
use p6auth_service::keyring::{self, KeyState};
use serde_json::json;

use super::{Context, print_json};
use crate::cli::KeysCommand;
use crate::exit::CliError;

pub async fn run(command: KeysCommand, ctx: &Context) -> Result<(), CliError> {
    let master = ctx.master().await?;
    match command {
        KeysCommand::Rotate {
            prepublish,
            algorithm,
        } => {
            let prepublish = parse_duration(&prepublish)
                .map_err(|e| CliError::usage(format!("--prepublish: {e}")))?;
            let ring = keyring::load(ctx.store.as_ref(), &master).await?;
            let alg = match (algorithm, &ring) {
                (Some(a), _) => a.parse::<Algorithm>().map_err(CliError::usage)?,
                (None, Some(r)) => r.signing_key(ctx.clock.now()).algorithm(),
                (None, None) => Algorithm::ES256,
            };
            let kid = keyring::rotate(
                ctx.store.as_ref(),
                &master,
                &ctx.clock,
                &ctx.actor,
                alg,
                prepublish,
            )
            .await?;
            println!(
                "created signing key {kid} ({alg}): published now, signing from {}",
                rfc3339(ctx.clock.now() + prepublish)
            );
        }
        KeysCommand::List {
            json,
            token_lifetime,
        } => {
            let now = ctx.clock.now();
            let statuses = keyring::load(ctx.store.as_ref(), &master)
                .await?
                .map(|r| r.statuses(now, token_lifetime))
                .unwrap_or_default();
            let until = |s: &KeyState| match s {
                KeyState::Retired { published_until } => Some(rfc3339(*published_until)),
                _ => None,
            };
            if json {
                print_json(&json!(
                    statuses
                        .iter()
                        .map(|s| json!({
                            "kid": s.kid,
                            "alg": s.alg.as_str(),
                            "state": s.state.to_string(),
                            "created_at": rfc3339(s.created_at),
                            "activates_at": rfc3339(s.activates_at),
                            "published_until": until(&s.state),
                        }))
                        .collect::<Vec<_>>()
                ));
            } else {
                println!(
                    "{:<44} {:<6} {:<8} {:<21} {:<21} PUBLISHED UNTIL",
                    "KID", "ALG", "STATE", "CREATED", "SIGNS FROM"
                );
                for s in &statuses {
                    println!(
                        "{:<44} {:<6} {:<8} {:<21} {:<21} {}",
                        s.kid,
                        s.alg.as_str(),
                        s.state.to_string(),
                        rfc3339(s.created_at),
                        rfc3339(s.activates_at),
                        until(&s.state).unwrap_or_else(|| "-".into())
                    );
                }
            }
        }
    }
    Ok(())
}
