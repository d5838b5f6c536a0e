use p6auth_core::user::{User, UserProfile, UserQuery, normalise_email};
use p6auth_service::users;
use serde_json::json;

use super::{Context, parse_properties, print_json, yes_no};
use crate::cli::{ProfileArgs, UserCommand};
use crate::exit::CliError;

/// Store pages read by `user list`.
const PAGE: u32 = 500;

/// `user create-admin`: the administrator, and the activation link printed once.
pub async fn create_admin(
    ctx: &Context,
    email: &str,
    issuer: &str,
    mail: &crate::config::MailConfig,
) -> Result<(), CliError> {
    let master = ctx.master().await?;
    let mailer = crate::bootstrap::mailer(mail, &ctx.local_dir())?;
    let admin = crate::bootstrap::Admin {
        store: ctx.store.as_ref(),
        clock: &ctx.clock,
        hasher: &master.secret_hasher(),
        mailer: mailer.as_ref(),
        actor: &ctx.actor,
        issuer,
    };
    let url = crate::bootstrap::create(&admin, email).await?;
    println!(
        "created administrator {}",
        normalise_email(email).map_err(CliError::usage)?
    );
    println!("activation link (valid 24 h, shown once): {url}");
    Ok(())
}

pub async fn run(command: UserCommand, ctx: &Context) -> Result<(), CliError> {
    let access = ctx.operator();
    match command {
        UserCommand::CreateAdmin { .. } => unreachable!("handled in main"),
        UserCommand::Create { email, profile } => {
            let profile = apply(profile, default_profile())?;
            let u = users::create(&ctx.change(), &access, &email, profile).await?;
            println!("created user {}", u.email);
        }
        UserCommand::Show { email, json } => {
            let email = normalise_email(&email).map_err(CliError::usage)?;
            let u = ctx.store.get_user(&email).await?;
            if json {
                print_json(&json!(u));
            } else {
                show(&u);
            }
        }
        UserCommand::List {
            instance,
            email_prefix,
            last_name,
            json,
        } => {
            if let Some(instance) = &instance {
                // a mistyped instance is an error, not an empty list
                ctx.store.get_instance(instance).await?;
            }
            let mut query = UserQuery {
                instance,
                email_prefix,
                last_name,
                limit: PAGE,
                ..UserQuery::default()
            };
            let mut all = Vec::new();
            loop {
                let page = ctx.store.search_users(&query).await?;
                let done = page.len() < PAGE as usize;
                query.after = page.last().map(|u| u.email.clone());
                all.extend(page);
                if done {
                    break;
                }
            }
            if json {
                print_json(&json!(all));
            } else {
                println!("{:<32} {:<24} {:<8} INSTANCES", "EMAIL", "NAME", "ENABLED");
                for u in all {
                    let instances: Vec<&str> =
                        u.access.iter().map(|a| a.instance.as_str()).collect();
                    println!(
                        "{:<32} {:<24} {:<8} {}",
                        u.email,
                        format!("{} {}", u.first_name, u.last_name),
                        yes_no(u.enabled),
                        instances.join(" ")
                    );
                }
            }
        }
        UserCommand::Update { email, profile } => {
            let email = normalise_email(&email).map_err(CliError::usage)?;
            let before = ctx.store.get_user(&email).await?;
            let profile = apply(profile, profile_of(&before))?;
            users::update_profile(&ctx.change(), &access, &email, profile).await?;
            println!("updated user {email}");
        }
        UserCommand::Delete { email } => {
            users::delete(&ctx.change(), &access, &email).await?;
            println!("deleted user {}", email.trim().to_lowercase());
        }
        UserCommand::SetAccess {
            email,
            instance,
            sets,
            positions,
        } => {
            let u = users::set_access(&ctx.change(), &access, &instance, &email, &sets, &positions)
                .await?;
            let held = u.access_in(&instance);
            println!(
                "user {} in instance {instance}: sets [{}], positions [{}]",
                u.email,
                held.map(|a| set_names(a).join(", ")).unwrap_or_default(),
                held.map(|a| a.positions.join(", ")).unwrap_or_default()
            );
        }
    }
    Ok(())
}

fn default_profile() -> UserProfile {
    UserProfile {
        first_name: String::new(),
        last_name: String::new(),
        enabled: true,
        preferred_language: "en".into(),
        properties: Default::default(),
    }
}

pub fn profile_of(u: &User) -> UserProfile {
    UserProfile {
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        enabled: u.enabled,
        preferred_language: u.preferred_language.clone(),
        properties: u.properties.clone(),
    }
}

/// The profile `base` with the fields given on the command line replaced.
fn apply(args: ProfileArgs, mut base: UserProfile) -> Result<UserProfile, CliError> {
    if let Some(v) = args.first_name {
        base.first_name = v;
    }
    if let Some(v) = args.last_name {
        base.last_name = v;
    }
    if let Some(v) = args.enabled {
        base.enabled = v;
    }
    if let Some(v) = args.language {
        base.preferred_language = v;
    }
    if !args.properties.is_empty() {
        base.properties = parse_properties(&args.properties)?;
    }
    Ok(base)
}

fn set_names(a: &p6auth_core::user::UserAccess) -> Vec<String> {
    a.permission_sets
        .iter()
        .map(|s| format!("{}/{}", s.instance, s.name))
        .collect()
}

fn show(u: &User) {
    println!("Email:          {}", u.email);
    println!("Name:           {} {}", u.first_name, u.last_name);
    println!("Enabled:        {}", yes_no(u.enabled));
    println!("Language:       {}", u.preferred_language);
    for (k, v) in &u.properties {
        println!("Property:       {k}={v}");
    }
    for a in &u.access {
        println!(
            "Instance {}: sets [{}], positions [{}]",
            a.instance,
            set_names(a).join(", "),
            a.positions.join(", ")
        );
    }
}
