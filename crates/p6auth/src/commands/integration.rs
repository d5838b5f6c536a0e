use p6auth_core::clock::{Clock, rfc3339};
use p6auth_core::duration::parse_duration;
use p6auth_core::integration::{Integration, PolicyRef};
use p6auth_service::admin::{self, CreateIntegration};
use serde_json::{Value, json};

use super::{Context, print_json, yes_no};
use crate::cli::IntegrationCommand;
use crate::exit::CliError;

pub async fn run(command: IntegrationCommand, ctx: &Context) -> Result<(), CliError> {
    let store = ctx.store.as_ref();
    match command {
        IntegrationCommand::Create {
            name,
            redirect_uri,
            policies,
            json,
        } => {
            let policies = parse_policies(&policies)?;
            let hasher = ctx.master().await?.secret_hasher();
            let input = CreateIntegration {
                name,
                redirect_uri,
                policies,
            };
            let (integration, secret) =
                admin::create_integration(&ctx.change(), &hasher, input).await?;
            if json {
                print_json(&json!({
                    "application_id": integration.application_id,
                    "app_secret": secret.expose(),
                    "redirect_uri": integration.redirect_uri,
                }));
            } else {
                println!("Application ID: {}", integration.application_id);
                println!("App Secret:     {}", secret.expose());
                println!("Redirect URI:   {}", integration.redirect_uri);
                println!();
                println!("The App Secret is shown only once: store it now.");
            }
        }
        IntegrationCommand::List { json } => {
            let list = store.list_integrations().await?;
            if json {
                print_json(&Value::Array(list.iter().map(to_json).collect()));
            } else {
                println!(
                    "{:<36}  {:<8} {:<24} POLICIES",
                    "APPLICATION ID", "ENABLED", "NAME"
                );
                for i in &list {
                    println!(
                        "{:<36}  {:<8} {:<24} {}",
                        i.application_id,
                        yes_no(i.enabled),
                        i.name,
                        policies_text(i)
                    );
                }
            }
        }
        IntegrationCommand::Show { id, json } => {
            let i = store.get_integration(&id).await?;
            if json {
                print_json(&to_json(&i));
            } else {
                print_details(&i, ctx.clock.now());
            }
        }
        IntegrationCommand::Enable { id } => {
            admin::set_integration_enabled(&ctx.change(), &id, true).await?;
            println!("enabled integration {id}");
        }
        IntegrationCommand::Disable { id } => {
            admin::set_integration_enabled(&ctx.change(), &id, false).await?;
            println!("disabled integration {id}");
        }
        IntegrationCommand::SetPolicies { id, policies } => {
            let policies = parse_policies(&policies)?;
            let i = admin::set_integration_policies(&ctx.change(), &id, policies).await?;
            println!("integration {id} policies: {}", policies_text(&i));
        }
        IntegrationCommand::RotateSecret { id, grace, json } => {
            let grace =
                parse_duration(&grace).map_err(|e| CliError::usage(format!("--grace: {e}")))?;
            let hasher = ctx.master().await?.secret_hasher();
            let (i, secret) =
                admin::rotate_integration_secret(&ctx.change(), &hasher, &id, grace).await?;
            let old_until = rfc3339(ctx.clock.now() + grace);
            if json {
                print_json(&json!({
                    "application_id": i.application_id,
                    "app_secret": secret.expose(),
                    "previous_secrets_expire_at": old_until,
                }));
            } else {
                println!("Application ID: {}", i.application_id);
                println!("App Secret:     {}", secret.expose());
                println!();
                println!("The previous secret keeps working until {old_until}.");
                println!("The App Secret is shown only once: store it now.");
            }
        }
        IntegrationCommand::ExpireOldSecret { id } => {
            admin::expire_old_secrets(&ctx.change(), &id).await?;
            println!("integration {id}: every secret but the newest has expired");
        }
        IntegrationCommand::Delete { id } => {
            admin::delete_integration(&ctx.change(), &id).await?;
            println!("deleted integration {id}");
        }
    }
    Ok(())
}

fn parse_policies(policies: &[String]) -> Result<Vec<PolicyRef>, CliError> {
    policies
        .iter()
        .map(|p| p.parse::<PolicyRef>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(CliError::usage)
}

fn policies_text(i: &Integration) -> String {
    i.policies
        .iter()
        .map(|p| format!("{}/{}", p.instance, p.permission_set_name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn to_json(i: &Integration) -> Value {
    json!({
        "application_id": i.application_id,
        "name": i.name,
        "redirect_uri": i.redirect_uri,
        "enabled": i.enabled,
        "policies": i.policies.iter().map(|p| json!({"instance": p.instance, "permission_set": p.permission_set_name})).collect::<Vec<_>>(),
        "secrets": i.secrets.iter().map(|s| json!({
            "created_at": rfc3339(s.created_at),
            "expires_at": s.expires_at.map(rfc3339),
            "last_used_at": s.last_used_at.map(rfc3339),
        })).collect::<Vec<_>>(),
        "created_at": rfc3339(i.created_at),
        "updated_at": rfc3339(i.updated_at),
    })
}

fn print_details(i: &Integration, now: i64) {
    println!("Application ID: {}", i.application_id);
    println!("Name:           {}", i.name);
    println!("Redirect URI:   {}", i.redirect_uri);
    println!("Enabled:        {}", yes_no(i.enabled));
    println!("Policies:       {}", policies_text(i));
    println!("Created:        {}", rfc3339(i.created_at));
    println!("Updated:        {}", rfc3339(i.updated_at));
    for (n, s) in i.secrets.iter().enumerate() {
        let state = match s.expires_at {
            Some(t) if t <= now => "expired",
            _ => "active",
        };
        println!(
            "Secret {}:       {state}, created {}, expires {}, last used {}",
            n + 1,
            rfc3339(s.created_at),
            s.expires_at.map(rfc3339).unwrap_or_else(|| "never".into()),
            s.last_used_at
                .map(rfc3339)
                .unwrap_or_else(|| "never".into()),
        );
    }
}
