use p6auth_core::integration::PolicyRef;
use p6auth_core::permission_set::NewPermissionSet;
use p6auth_service::admin::{self, CreateIntegration};
use serde_json::json;

use super::{Context, print_json, yes_no};
use crate::cli::InstanceCommand;
use crate::exit::CliError;

/// The URL printed in the application.conf block when `--url` is not given.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8080";
/// The permission set an onboarded instance's integration holds.
pub const INTEGRATION_SET: &str = "Integration";

pub async fn run(command: InstanceCommand, ctx: &Context) -> Result<(), CliError> {
    match command {
        InstanceCommand::Create {
            name,
            display_name,
            description,
            with_integration,
            url,
            redirect_uri,
        } => {
            let url = url.unwrap_or_else(|| DEFAULT_URL.to_string());
            if with_integration {
                p6auth_client::config::check_url(&url)
                    .map_err(|e| CliError::usage(format!("--url {e}")))?;
            }
            let i =
                admin::create_instance(&ctx.change(), &name, display_name.as_deref(), &description)
                    .await?;
            println!("created instance {}", i.name);
            if with_integration {
                onboard(ctx, &i.name, &url, redirect_uri).await?;
            }
        }
        InstanceCommand::List { json } => {
            let list = ctx.store.list_instances().await?;
            if json {
                print_json(&json!(list));
            } else {
                println!("{:<24} {:<32} ENABLED", "NAME", "DISPLAY NAME");
                for i in list {
                    println!(
                        "{:<24} {:<32} {}",
                        i.name,
                        i.display_name,
                        yes_no(i.enabled)
                    );
                }
            }
        }
    }
    Ok(())
}

/// What the platform does when it creates an instance: a permission set with what an instance
/// needs, an integration holding it, and the credentials as an application.conf block.
async fn onboard(
    ctx: &Context,
    instance: &str,
    url: &str,
    redirect_uri: Option<String>,
) -> Result<(), CliError> {
    let set = admin::create_permission_set(
        &ctx.change(),
        NewPermissionSet {
            instance: instance.to_string(),
            name: INTEGRATION_SET.to_string(),
            description: "What an instance needs: its orgs and its users".to_string(),
            permissions: vec![
                "orgs=read".to_string(),
                format!("{instance}:users=read(\"./\")"),
            ],
        },
    )
    .await?;
    println!(
        "created permission set {} in instance {}: {}",
        set.name,
        set.instance,
        set.permissions.join(" ")
    );
    let hasher = ctx.master().await?.secret_hasher();
    let (integration, secret) = admin::create_integration(
        &ctx.change(),
        &hasher,
        CreateIntegration {
            name: format!("{instance} instance"),
            redirect_uri: redirect_uri.unwrap_or_else(|| format!("https://{instance}.invalid/")),
            policies: vec![PolicyRef {
                instance: instance.to_string(),
                permission_set: INTEGRATION_SET.to_string(),
            }],
        },
    )
    .await?;
    println!(
        "created integration {} with the policy {instance}/{INTEGRATION_SET}",
        integration.application_id
    );
    println!();
    println!("Paste this into the instance's application.conf (the secret is shown only once):");
    println!();
    print!(
        "{}",
        conf_block(url, &integration.application_id, secret.expose())
    );
    Ok(())
}

/// The HOCON block; ids and secrets need no escaping (they are `A-Z a-z 0-9 - _`), and URLs
/// are validated to hold no `"`.
fn conf_block(url: &str, id: &str, secret: &str) -> String {
    format!(
        "p6auth {{\n  url: \"{url}\"\n  client {{\n    id: \"{id}\"\n    secret: \"{secret}\"\n  }}\n}}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use p6auth_client::config::{ClientConfig, LoadOptions};

    #[test]
    fn the_printed_block_parses_back() {
        let block = conf_block("https://auth.example.com", "app-1", "p6s_abc-DEF_0");
        let c =
            ClientConfig::parse_hocon(&block, "block", &LoadOptions::with_env(&|_| None)).unwrap();
        assert_eq!(c.url, "https://auth.example.com");
        assert_eq!(c.client_id, "app-1");
        assert_eq!(c.client_secret.expose(), "p6s_abc-DEF_0");
    }
}
