//! Checking a whole directory file, against itself and the store, before anything is written.

use std::collections::{BTreeSet, HashSet};

use p6auth_core::instance::{ALL_INSTANCES, validate_display_name, validate_instance_name};
use p6auth_core::org::{
    path_instance, root_path, validate_description, validate_node_name, validate_properties,
};
use p6auth_core::permission_set::{INSTANCE_ADMIN, NewPermissionSet};
use p6auth_core::user::{UserProfile, normalise_email};
use p6auth_store::Store;

use super::DirectoryFile;
use crate::ServiceResult;

/// The most errors reported at once.
const MAX_ERRORS: usize = 100;

/// The file, normalised (lower-case emails, canonical permissions, nodes parents first), or
/// every error found (up to [`MAX_ERRORS`]), each prefixed by its JSON path. `Err(Ok(..))`
/// carries the errors; a store failure is the outer error.
pub async fn validate(
    store: &dyn Store,
    mut file: DirectoryFile,
) -> ServiceResult<Result<DirectoryFile, Vec<String>>> {
    let mut errors = Errors::default();

    // instances: those of the file and those stored
    let stored_instances: HashSet<String> = store
        .list_instances()
        .await?
        .into_iter()
        .map(|i| i.name)
        .collect();
    let mut instances = stored_instances.clone();
    let mut seen = HashSet::new();
    for (i, inst) in file.instances.iter().enumerate() {
        let at = format!("instances[{i}]");
        errors.check(&format!("{at}.name"), validate_instance_name(&inst.name));
        if let Some(d) = &inst.display_name {
            errors.check(&format!("{at}.display_name"), validate_display_name(d));
        }
        errors.check(
            &format!("{at}.description"),
            validate_description(&inst.description),
        );
        if !seen.insert(inst.name.clone()) {
            errors.push(
                &format!("{at}.name"),
                format!("instance {} is listed twice", inst.name),
            );
        }
        instances.insert(inst.name.clone());
    }

    // org nodes: the stored ones of every instance, then the file's, parents first
    let mut paths: HashSet<String> = HashSet::new();
    for name in &stored_instances {
        paths.extend(
            store
                .list_org_nodes(name)
                .await?
                .into_iter()
                .map(|n| n.path),
        );
    }
    paths.extend(instances.iter().map(|i| root_path(i)));
    let mut order: Vec<usize> = (0..file.org_nodes.len()).collect();
    order.sort_by_key(|&i| file.org_nodes[i].path.matches('/').count());
    let mut seen = HashSet::new();
    for i in order {
        let node = &mut file.org_nodes[i];
        let at = format!("org_nodes[{i}]");
        node.path = node.path.trim_end_matches('/').to_string();
        errors.check(
            &format!("{at}.description"),
            validate_description(&node.description),
        );
        errors.check(
            &format!("{at}.properties"),
            validate_properties(&node.properties),
        );
        let Some((parent, name)) = node.path.rsplit_once('/') else {
            errors.push(
                &format!("{at}.path"),
                format!("not an org path: {:?}", node.path),
            );
            continue;
        };
        match path_instance(&node.path) {
            Some(inst) if instances.contains(inst) => {}
            _ => {
                errors.push(
                    &format!("{at}.path"),
                    format!("{}: no such instance, in the file or the store", node.path),
                );
                continue;
            }
        }
        if parent.is_empty() {
            errors.push(
                &format!("{at}.path"),
                "the root of an instance comes with it".into(),
            );
            continue;
        }
        if let Err(e) = validate_node_name(name) {
            errors.push(&format!("{at}.path"), e);
            continue;
        }
        if !seen.insert(node.path.clone()) {
            errors.push(
                &format!("{at}.path"),
                format!("{} is listed twice", node.path),
            );
        }
        if !paths.contains(parent) {
            errors.push(
                &format!("{at}.path"),
                format!("the parent {parent} is neither in the file nor in the store"),
            );
        }
        paths.insert(node.path.clone());
    }
    file.org_nodes.sort_by(|a, b| {
        a.path
            .matches('/')
            .count()
            .cmp(&b.path.matches('/').count())
    });

    // permission sets: (instance, name) of the store and of the file
    let mut sets: HashSet<(String, String)> = store
        .list_permission_sets()
        .await?
        .into_iter()
        .map(|s| (s.instance, s.name))
        .collect();
    let mut seen = HashSet::new();
    for (i, set) in file.permission_sets.iter_mut().enumerate() {
        let at = format!("permission_sets[{i}]");
        if set.instance != ALL_INSTANCES && !instances.contains(&set.instance) {
            errors.push(
                &format!("{at}.instance"),
                format!(
                    "{}: no such instance, in the file or the store",
                    set.instance
                ),
            );
        }
        let new = NewPermissionSet {
            instance: set.instance.clone(),
            name: set.name.clone(),
            description: set.description.clone(),
            permissions: set.permissions.clone(),
        };
        match new.validated() {
            Ok(v) => set.permissions = v.permissions,
            Err(e) => errors.push(&at, e),
        }
        let key = (set.instance.clone(), set.name.clone());
        if set.instance == ALL_INSTANCES && set.name == INSTANCE_ADMIN {
            errors.push(
                &format!("{at}.name"),
                "the built-in Instance Admin set cannot be imported".into(),
            );
        }
        if !seen.insert(key.clone()) {
            errors.push(
                &format!("{at}.name"),
                format!("set {}/{} is listed twice", key.0, key.1),
            );
        }
        sets.insert(key);
    }
    for (i, set) in file.permission_sets.iter().enumerate() {
        let all = sets.iter().map(|(i, n)| (i.as_str(), n.as_str()));
        if let Some(why) = crate::admin::shadowing(&set.instance, &set.name, all) {
            errors.push(&format!("permission_sets[{i}].name"), why);
        }
    }

    // users
    let mut seen = HashSet::new();
    for (i, user) in file.users.iter_mut().enumerate() {
        let at = format!("users[{i}]");
        match normalise_email(&user.email) {
            Ok(e) => user.email = e,
            Err(e) => errors.push(&format!("{at}.email"), e),
        }
        if !seen.insert(user.email.clone()) {
            errors.push(
                &format!("{at}.email"),
                format!("{} is listed twice", user.email),
            );
        }
        let profile = UserProfile {
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            enabled: user.enabled,
            preferred_language: user.preferred_language.clone(),
            properties: user.properties.clone(),
        };
        errors.check(&at, profile.validated().map(|_| ()));
        let mut in_instances = BTreeSet::new();
        for (j, a) in user.access.iter_mut().enumerate() {
            let at = format!("{at}.access[{j}]");
            if !instances.contains(&a.instance) {
                errors.push(
                    &format!("{at}.instance"),
                    format!("{}: no such instance, in the file or the store", a.instance),
                );
                continue;
            }
            if !in_instances.insert(a.instance.clone()) {
                errors.push(
                    &format!("{at}.instance"),
                    format!("{} is listed twice", a.instance),
                );
            }
            for (k, name) in a.permission_sets.iter().enumerate() {
                let own = (a.instance.clone(), name.clone());
                let global = (ALL_INSTANCES.to_string(), name.clone());
                if !sets.contains(&own) && !sets.contains(&global) {
                    errors.push(
                        &format!("{at}.permission_sets[{k}]"),
                        format!(
                            "no permission set {name} in instance {} or global",
                            a.instance
                        ),
                    );
                }
            }
            for (k, path) in a.positions.iter_mut().enumerate() {
                *path = path.trim_end_matches('/').to_string();
                if path_instance(path) != Some(a.instance.as_str())
                    || !paths.contains(path.as_str())
                {
                    errors.push(
                        &format!("{at}.positions[{k}]"),
                        format!("no org node {path} in instance {}", a.instance),
                    );
                }
            }
        }
    }
    Ok(if errors.0.is_empty() {
        Ok(file)
    } else {
        Err(errors.0)
    })
}

#[derive(Default)]
struct Errors(Vec<String>);

impl Errors {
    fn push(&mut self, at: &str, message: String) {
        if self.0.len() < MAX_ERRORS {
            self.0.push(format!("{at}: {message}"));
        }
    }

    fn check(&mut self, at: &str, result: Result<(), String>) {
        if let Err(e) = result {
            self.push(at, e);
        }
    }
}
