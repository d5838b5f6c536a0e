use p6auth_service::import;
use serde_json::json;

use super::{Context, print_json};
use crate::cli::ImportArgs;
use crate::exit::CliError;

pub async fn run(args: ImportArgs, ctx: &Context) -> Result<(), CliError> {
    let name = args.file.display().to_string();
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| CliError::usage(format!("cannot read {name}: {e}")))?;
    let file = import::parse(&text).map_err(|e| CliError::usage(format!("{name}: {e}")))?;
    let file = import::validate(ctx.store.as_ref(), file)
        .await?
        .map_err(|errors| {
            CliError::usage(format!(
                "{name}: {} error(s), nothing written:\n  {}",
                errors.len(),
                errors.join("\n  ")
            ))
        })?;
    let summary = import::apply(&ctx.change(), &file).await?;
    for w in &summary.warnings {
        eprintln!("warning: {w}");
    }
    if args.json {
        print_json(&json!({"changes": summary.changes(), "summary": summary}));
    } else {
        println!(
            "imported {name}: {} changes (instances created {}, org nodes created {} updated {}, permission sets created {} updated {}, users created {} updated {}, user access set {})",
            summary.changes(),
            summary.instances_created,
            summary.org_nodes_created,
            summary.org_nodes_updated,
            summary.permission_sets_created,
            summary.permission_sets_updated,
            summary.users_created,
            summary.users_updated,
            summary.user_access_set
        );
    }
    Ok(())
}
