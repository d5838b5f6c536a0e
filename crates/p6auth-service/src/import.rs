//! Loading a whole directory from one JSON document (`p6auth import`): instances, org nodes,
//! permission sets and users with their sets and positions per instance.
//!
//! The file says how the things it lists should be; what it does not list is left alone. The
//! whole file is checked first, against itself and the store, and nothing is written unless it
//! all holds, each error naming its JSON path (`users[3].email: ...`). Then only the
//! differences are written, each with its audit entry, so a second run changes nothing.

mod apply;
mod validate;

use p6auth_core::org::Properties;
use serde::Deserialize;

pub use apply::{Summary, apply};
pub use validate::validate;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryFile {
    #[serde(default)]
    pub instances: Vec<ImportInstance>,
    #[serde(default)]
    pub org_nodes: Vec<ImportOrgNode>,
    #[serde(default)]
    pub permission_sets: Vec<ImportPermissionSet>,
    #[serde(default)]
    pub users: Vec<ImportUser>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportInstance {
    pub name: String,
    pub display_name: Option<String>,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportOrgNode {
    /// `/instance/.../name`; the parent must be the root, listed earlier in the path order, or
    /// exist already.
    pub path: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub properties: Properties,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportPermissionSet {
    /// An instance name, or `*` for a global set.
    pub instance: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub permissions: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportUser {
    pub email: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default = "english")]
    pub preferred_language: String,
    #[serde(default)]
    pub properties: Properties,
    /// What the user holds per instance; instances not listed are left as they are.
    #[serde(default)]
    pub access: Vec<ImportAccess>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportAccess {
    pub instance: String,
    /// Set names: of the instance, else global.
    #[serde(default)]
    pub permission_sets: Vec<String>,
    /// Org paths of the instance; none means the root.
    #[serde(default)]
    pub positions: Vec<String>,
}

fn yes() -> bool {
    true
}

fn english() -> String {
    "en".into()
}

/// Parses the document; a shape error names its JSON path.
pub fn parse(text: &str) -> Result<DirectoryFile, String> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            inner.to_string()
        } else {
            format!("{path}: {inner}")
        }
    })
}
