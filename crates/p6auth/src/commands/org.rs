use p6auth_core::org::{NewOrgNode, OrgNode, OrgNodeUpdate, path_instance};
use p6auth_service::org_tree;
use serde_json::json;

use super::{Context, parse_properties, print_json};
use crate::cli::OrgCommand;
use crate::exit::CliError;

pub async fn run(command: OrgCommand, ctx: &Context) -> Result<(), CliError> {
    let access = ctx.operator();
    let c = ctx.change();
    match command {
        OrgCommand::Add {
            parent,
            name,
            description,
            properties,
        } => {
            let parent = find(ctx, &parent).await?;
            let new = NewOrgNode {
                parent_id: parent.id,
                name,
                description,
                properties: parse_properties(&properties)?,
            };
            let node = org_tree::create(&c, &access, &parent.instance, new).await?;
            println!("added org node {}", node.path);
        }
        OrgCommand::Rename { path, new_name } => {
            let node = find(ctx, &path).await?;
            let update = OrgNodeUpdate {
                name: Some(new_name),
                ..OrgNodeUpdate::default()
            };
            let after = org_tree::update(&c, &access, &node.instance, node.id, update).await?;
            println!("renamed org node {path} to {}", after.path);
        }
        OrgCommand::Move { path, new_parent } => {
            let node = find(ctx, &path).await?;
            let parent = find(ctx, &new_parent).await?;
            let update = OrgNodeUpdate {
                parent_id: Some(parent.id),
                ..OrgNodeUpdate::default()
            };
            let after = org_tree::update(&c, &access, &node.instance, node.id, update).await?;
            println!("moved org node {path} to {}", after.path);
        }
        OrgCommand::Delete { path, cascade } => {
            let node = find(ctx, &path).await?;
            org_tree::delete(&c, &access, &node.instance, node.id, cascade).await?;
            println!("deleted org node {path}");
        }
        OrgCommand::Tree { instance, json } => {
            let nodes = org_tree::tree(&c, &access, &instance).await?;
            if nodes.is_empty() {
                ctx.store.get_instance(&instance).await?;
            }
            if json {
                print_json(&json!(nodes));
            } else {
                for n in nodes {
                    let depth = n.path.matches('/').count() - 1;
                    println!("{}{}", "  ".repeat(depth), n.name);
                }
            }
        }
        OrgCommand::Users { path, json } => {
            let node = find(ctx, &path).await?;
            let users = org_tree::node_users(&c, &access, &node.instance, node.id).await?;
            if json {
                print_json(&json!(users));
            } else {
                for u in users {
                    println!("{}", u.email);
                }
            }
        }
    }
    Ok(())
}

/// A node by its path, which must name an instance first.
async fn find(ctx: &Context, path: &str) -> Result<OrgNode, CliError> {
    if path_instance(path).is_none() {
        return Err(CliError::usage(format!(
            "not an org path: {path:?}; paths look like /acme/Sales"
        )));
    }
    Ok(ctx.store.find_org_node(path.trim_end_matches('/')).await?)
}
