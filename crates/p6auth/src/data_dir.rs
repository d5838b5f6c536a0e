//! The data directory: the embedded database and the master key, readable by the owner only.

use std::io::Write;
use std::path::Path;

use p6auth_core::master_key::{MASTER_KEY_LEN, MasterKey};

pub const MASTER_KEY_FILE: &str = "master.key";

/// Creates the directory (mode 0700) if needed; warns when an existing one is open to others.
pub fn prepare(dir: &Path) -> Result<(), String> {
    if dir.exists() && !dir.is_dir() {
        return Err(format!(
            "the data directory {} is a file, not a directory",
            dir.display()
        ));
    }
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(dir) {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o002 != 0 {
            eprintln!(
                "warning: anyone can write to the data directory {}; run: chmod 700 {}",
                dir.display(),
                dir.display()
            );
        }
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| format!("cannot create the data directory {}: {e}", dir.display()))
}

/// Reads `<dir>/master.key`, creating it (mode 0600) on first use. Two processes starting at once
/// agree on one key: each writes a private temporary file and links it into place, and the link
/// fails for all but the first.
pub fn load_or_create_master_key(dir: &Path, may_create: bool) -> Result<MasterKey, String> {
    let path = dir.join(MASTER_KEY_FILE);
    if !path.exists() && !may_create {
        return Err(format!(
            "{} is missing but the database holds signing keys: restore master.key from the backup taken \
             with the database (a new key cannot read the stored signing keys or check the stored secrets)",
            path.display()
        ));
    }
    if !path.exists() {
        let tmp = dir.join(format!(".{MASTER_KEY_FILE}.{}", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut f = options.open(&tmp)?;
            f.write_all(MasterKey::generate().as_bytes())?;
            f.sync_all()
        };
        write().map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
        let linked = std::fs::hard_link(&tmp, &path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(format!("cannot create {}: {e}", path.display())),
        }
    }
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    MasterKey::from_bytes(&bytes).map_err(|_| {
        format!(
            "{} is damaged: it must hold exactly {MASTER_KEY_LEN} bytes",
            path.display()
        )
    })
}

pub const TLS_CERT_FILE: &str = "tls-self-signed-cert.pem";
pub const TLS_KEY_FILE: &str = "tls-self-signed-key.pem";

/// The development certificate in the data directory, generated on first use (key mode 0600).
pub fn load_or_create_self_signed(dir: &Path) -> Result<(Vec<u8>, Vec<u8>), String> {
    let (cert_path, key_path) = (dir.join(TLS_CERT_FILE), dir.join(TLS_KEY_FILE));
    if !cert_path.exists() || !key_path.exists() {
        let (cert, key) = p6auth_http::server::self_signed_certificate(&[])?;
        write_private(&key_path, key.as_bytes())?;
        std::fs::write(&cert_path, cert)
            .map_err(|e| format!("cannot write {}: {e}", cert_path.display()))?;
    }
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
    Ok((read(&cert_path)?, read(&key_path)?))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_key_is_created_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        prepare(&data).unwrap();
        let a = load_or_create_master_key(&data, true).unwrap();
        let b = load_or_create_master_key(&data, true).unwrap();
        assert_eq!(a.as_bytes(), b.as_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&data.join(MASTER_KEY_FILE)), 0o600);
            assert_eq!(mode(&data), 0o700);
        }
        std::fs::write(data.join(MASTER_KEY_FILE), b"short").unwrap();
        assert!(
            load_or_create_master_key(&data, true)
                .unwrap_err()
                .contains("is damaged")
        );
        std::fs::remove_file(data.join(MASTER_KEY_FILE)).unwrap();
        assert!(
            load_or_create_master_key(&data, false)
                .unwrap_err()
                .contains("is missing but the database holds signing keys")
        );
        assert!(!data.join(MASTER_KEY_FILE).exists());
        std::fs::write(data.join(MASTER_KEY_FILE), b"short").unwrap();
        assert!(
            load_or_create_master_key(&data, true)
                .unwrap_err()
                .contains("is damaged")
        );
    }
}
