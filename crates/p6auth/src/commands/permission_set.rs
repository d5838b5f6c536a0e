use p6auth_core::permission_set::NewPermissionSet;
use p6auth_service::admin;
use serde_json::json;

use super::{Context, print_json, yes_no};
use crate::cli::PermissionSetCommand;
use crate::exit::CliError;

pub async fn run(command: PermissionSetCommand, ctx: &Context) -> Result<(), CliError> {
    match command {
        PermissionSetCommand::Create {
            instance,
            name,
            description,
            permissions,
        } => {
            let set = admin::create_permission_set(
                &ctx.change(),
                NewPermissionSet {
                    instance,
                    name,
                    description,
                    permissions,
                },
            )
            .await?;
            println!(
                "created permission set {} in instance {}: {}",
                set.name,
                set.instance,
                set.permissions.join(" ")
            );
        }
        PermissionSetCommand::List { json } => {
            let list = ctx.store.list_permission_sets().await?;
            if json {
                print_json(&json!(list));
            } else {
                println!(
                    "{:<12} {:<24} {:<8} PERMISSIONS",
                    "INSTANCE", "NAME", "ENABLED"
                );
                for s in list {
                    println!(
                        "{:<12} {:<24} {:<8} {}",
                        s.instance,
                        s.name,
                        yes_no(s.enabled),
                        s.permissions.join(" ")
                    );
                }
            }
        }
        PermissionSetCommand::Update {
            instance,
            name,
            new_name,
            description,
            permissions,
        } => {
            let before = admin::find_permission_set(ctx.store.as_ref(), &instance, &name).await?;
            let after = admin::update_permission_set(
                &ctx.change(),
                &before,
                NewPermissionSet {
                    instance: before.instance.clone(),
                    name: new_name.unwrap_or_else(|| before.name.clone()),
                    description: description.unwrap_or_else(|| before.description.clone()),
                    permissions: if permissions.is_empty() {
                        before.permissions.clone()
                    } else {
                        permissions
                    },
                },
            )
            .await?;
            println!(
                "updated permission set {} in instance {}: {}",
                after.name,
                after.instance,
                after.permissions.join(" ")
            );
        }
        PermissionSetCommand::Delete { instance, name } => {
            let set = admin::find_permission_set(ctx.store.as_ref(), &instance, &name).await?;
            admin::delete_permission_set(&ctx.change(), &set).await?;
            println!("deleted permission set {name} in instance {instance}");
        }
        PermissionSetCommand::Enable { instance, name } => {
            set_enabled(ctx, &instance, &name, true).await?
        }
        PermissionSetCommand::Disable { instance, name } => {
            set_enabled(ctx, &instance, &name, false).await?
        }
    }
    Ok(())
}

async fn set_enabled(
    ctx: &Context,
    instance: &str,
    name: &str,
    enabled: bool,
) -> Result<(), CliError> {
    let set = admin::find_permission_set(ctx.store.as_ref(), instance, name).await?;
    admin::set_permission_set_enabled(&ctx.change(), &set, enabled).await?;
    let verb = if enabled { "enabled" } else { "disabled" };
    println!("{verb} permission set {name} in instance {instance}");
    Ok(())
}
