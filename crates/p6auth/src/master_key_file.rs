//! A master key in a file of its own, shared by every node of a PostgreSQL deployment: 32 raw
//! bytes (the format of a data directory's `master.key`, so a deployment moved from SQLite keeps
//! its key) or 64 hex digits, optionally followed by a newline (easy to hold in a secret store).

use std::io::Write;
use std::path::Path;

use p6auth_core::master_key::{MASTER_KEY_LEN, MasterKey};

pub fn read(path: &Path) -> Result<MasterKey, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("cannot read the master key file {}: {e}", path.display()))?;
    parse(&bytes).ok_or_else(|| {
        format!(
            "the master key file {} must hold {MASTER_KEY_LEN} raw bytes or {} hex digits",
            path.display(),
            MASTER_KEY_LEN * 2
        )
    })
}

fn parse(bytes: &[u8]) -> Option<MasterKey> {
    if bytes.len() == MASTER_KEY_LEN {
        return MasterKey::from_bytes(bytes).ok();
    }
    let text = std::str::from_utf8(bytes).ok()?.trim_end();
    if text.len() != MASTER_KEY_LEN * 2 {
        return None;
    }
    let raw: Option<Vec<u8>> = (0..MASTER_KEY_LEN)
        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok())
        .collect();
    MasterKey::from_bytes(&raw?).ok()
}

/// Writes a new random key as hex to a file that must not exist, readable by its owner only.
pub fn create(path: &Path) -> Result<(), String> {
    let key = MasterKey::generate();
    let hex: String = key.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(format!("{hex}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_and_hex_keys_read_the_same_and_other_sizes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let hex_file = dir.path().join("hex.key");
        create(&hex_file).unwrap();
        assert!(create(&hex_file).is_err(), "never overwrites a key");
        let from_hex = read(&hex_file).unwrap();
        let raw_file = dir.path().join("raw.key");
        std::fs::write(&raw_file, from_hex.as_bytes()).unwrap();
        assert_eq!(read(&raw_file).unwrap().as_bytes(), from_hex.as_bytes());
        let text = std::fs::read_to_string(&hex_file).unwrap();
        assert_eq!(text.len(), 65);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&hex_file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&raw_file, b"short").unwrap();
        assert!(
            read(&raw_file)
                .unwrap_err()
                .contains("32 raw bytes or 64 hex digits")
        );
        std::fs::write(&raw_file, "zz".repeat(32)).unwrap();
        assert!(read(&raw_file).is_err());
        assert!(
            read(&dir.path().join("missing"))
                .unwrap_err()
                .contains("cannot read")
        );
    }
}
