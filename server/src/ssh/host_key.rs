//! The server's SSH host key: made once (ed25519), kept beside the database as
//! `<database>.ssh_host_ed25519_key`, readable by the server's user alone, so clients that
//! trusted it once keep trusting it.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use russh::keys::ssh_key::private::{Ed25519Keypair, KeypairData};
use russh::keys::ssh_key::LineEnding;
use russh::keys::PrivateKey;

#[derive(Debug, thiserror::Error)]
pub enum HostKeyError {
    #[error("cannot read the SSH host key {path}: {detail}")]
    Read { path: String, detail: String },
    #[error("cannot write the SSH host key {path}: {detail}")]
    Write { path: String, detail: String },
}

/// Where the host key of the server using `database` is kept: named after it, so two
/// servers with databases in one folder keep keys of their own.
pub fn beside(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".ssh_host_ed25519_key");
    PathBuf::from(name)
}

/// The key at `path`, made there first if there is none.
pub fn load_or_create(path: &Path) -> Result<PrivateKey, HostKeyError> {
    let shown = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => PrivateKey::from_openssh(text).map_err(|e| HostKeyError::Read {
            path: shown,
            detail: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path),
        Err(e) => Err(HostKeyError::Read {
            path: shown,
            detail: e.to_string(),
        }),
    }
}

fn create(path: &Path) -> Result<PrivateKey, HostKeyError> {
    let failed = |detail: String| HostKeyError::Write {
        path: path.display().to_string(),
        detail,
    };
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| failed(format!("no randomness: {e}")))?;
    let pair = KeypairData::from(Ed25519Keypair::from_seed(&seed));
    let key = PrivateKey::new(pair, "aicockpit host key").map_err(|e| failed(e.to_string()))?;
    let text = key
        .to_openssh(LineEnding::LF)
        .map_err(|e| failed(e.to_string()))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| failed(e.to_string()))?;
    }
    // Written aside and renamed: a server stopped half-way leaves no broken key.
    let partial = path.with_extension("partial");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(&partial)
        .map_err(|e| failed(e.to_string()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| failed(e.to_string()))?;
    std::fs::rename(&partial, path).map_err(|e| failed(e.to_string()))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_key_is_made_once_kept_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = beside(&dir.path().join("aicockpit.db"));
        let made = load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = load_or_create(&path).unwrap();
        assert_eq!(made.public_key(), again.public_key());
    }

    #[test]
    fn a_damaged_key_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, "not a key").unwrap();
        let error = load_or_create(&path).unwrap_err().to_string();
        assert!(error.contains("cannot read the SSH host key"), "{error}");
    }
}
