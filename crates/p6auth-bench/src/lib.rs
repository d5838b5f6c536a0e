//! Fixtures shared by the micro-benchmarks in `benches/`: an integration directory, signing keys
//! and permission sets shaped like real ones. Run them with `cargo bench -p p6auth-bench`; see
//! BENCHMARKS.md at the repository root.

use p6auth_core::client_auth::{AuthMethod, ClientCredentials};
use p6auth_core::client_directory::{ClientDirectory, ClientEntry};
use p6auth_core::clock::{Clock, SystemClock, UnixTime};
use p6auth_core::integration::{Integration, Policy, StoredSecret};
use p6auth_core::master_key::MasterKey;
use p6auth_core::permission_set::PermissionSet;
use p6auth_core::secret::{PlainSecret, SecretHasher, generate_app_secret};
use p6auth_core::signing_key::{Algorithm, SigningKey, generate_pkcs8};
use p6auth_core::token::{AccessTokenClaims, TokenSettings};

pub const ISSUER: &str = "https://auth.example";

pub fn now() -> UnixTime {
    SystemClock.now()
}

pub fn settings() -> TokenSettings {
    TokenSettings {
        issuer: ISSUER.into(),
        audience: ISSUER.into(),
        access_token_lifetime: 3600,
    }
}

pub fn signing_key(alg: Algorithm) -> SigningKey {
    let der = generate_pkcs8(alg).expect("key generation");
    SigningKey::from_pkcs8(alg, &der).expect("key parses")
}

/// The claims of a typical integration token: two permissions, one with an org value.
pub fn claims() -> AccessTokenClaims {
    AccessTokenClaims::new(
        &settings(),
        "0b6f3f0e-6a4c-4d1e-9f5e-3b1f2a7c9d10",
        "0b6f3f0e-6a4c-4d1e-9f5e-3b1f2a7c9d10",
        "acme:orgs=read acme:users=read('./')".into(),
        now(),
    )
}

/// A directory of `n` integrations, each with one secret and the policy `acme/Integration`;
/// returns it with the hasher and the credentials of the last one.
pub fn directory(n: usize) -> (ClientDirectory, SecretHasher, ClientCredentials) {
    let hasher = MasterKey::generate().secret_hasher();
    let set = PermissionSet {
        id: 1,
        instance: "acme".into(),
        name: "Integration".into(),
        description: String::new(),
        enabled: true,
        permissions: vec!["orgs=read".into(), "acme:users=read('./')".into()],
        created_at: 0,
        updated_at: 0,
    };
    let instance = p6auth_core::instance::Instance {
        name: "acme".into(),
        display_name: "Acme".into(),
        description: String::new(),
        enabled: true,
        created_at: 0,
    };
    let mut last: Option<(String, PlainSecret)> = None;
    let integrations: Vec<Integration> = (0..n)
        .map(|i| {
            let secret = generate_app_secret();
            let id = format!("00000000-0000-4000-8000-{i:012}");
            let integration = Integration {
                application_id: id.clone(),
                name: format!("integration {i}"),
                enabled: true,
                redirect_uri: "https://erp.example/cb".into(),
                policies: vec![Policy {
                    instance: "acme".into(),
                    permission_set_id: 1,
                    permission_set_name: "Integration".into(),
                }],
                secrets: vec![StoredSecret {
                    id: i as i64,
                    hash: hasher.hash(secret.expose()),
                    created_at: 0,
                    expires_at: None,
                    last_used_at: None,
                }],
                tokens_valid_after: 0,
                created_at: 0,
                updated_at: 0,
            };
            last = Some((id, secret));
            integration
        })
        .collect();
    let (client_id, secret) = last.expect("at least one integration");
    let credentials = ClientCredentials {
        client_id,
        secret,
        method: AuthMethod::Basic,
    };
    (
        ClientDirectory::build(&integrations, &[set], &[instance]),
        hasher,
        credentials,
    )
}

/// The entry of the credentials' client, for the grant benchmarks.
pub fn entry<'a>(dir: &'a ClientDirectory, credentials: &ClientCredentials) -> &'a ClientEntry {
    dir.get(&credentials.client_id).expect("known client")
}

/// `count` permission sets of a user, each of five permissions across features, actions and
/// org values, in one instance or globally; resolved as the directory does (qualified,
/// deduplicated).
pub fn user_permission_sets(count: usize) -> Vec<PermissionSet> {
    (0..count)
        .map(|i| PermissionSet {
            id: i as i64,
            instance: if i % 5 == 0 {
                "*".into()
            } else {
                "acme".into()
            },
            name: format!("Set {i}"),
            description: String::new(),
            enabled: true,
            permissions: vec![
                format!("feature{}=read", i % 7),
                format!("feature{}=edit('./*')", i % 4),
                format!("users=read('/acme/Dept{i}/*','./')"),
                format!("permsets=read('Set {i}','Set {}')", i + 1),
                format!("workflow=role('Role {}')", i % 3),
            ],
            created_at: 0,
            updated_at: 0,
        })
        .collect()
}
