//! The first-run set-up link: while no user exists, a one-time token, printed and written
//! beside the database (readable by the server's user only), lets the first admin in.

use app::error::AppError;

use super::secret;
use super::service::{internal, lock, AuthManager};

impl AuthManager {
    /// When no user exists: a new one-time set-up token (also written to the set-up file).
    pub async fn prepare_setup(&self) -> Result<Option<String>, AppError> {
        if self.store.user_count().await? > 0 {
            return Ok(None);
        }
        let token = secret::random_secret().map_err(internal)?;
        *lock(&self.setup) = Some(secret::hash(&token));
        if let Some(path) = &self.settings.setup_file {
            if let Err(e) = write_private(path, &token) {
                tracing::warn!(error = %e, path = %path.display(), "could not write the set-up token file");
            }
        }
        Ok(Some(token))
    }

    /// A user exists: the set-up link is spent.
    pub(super) fn forget_setup(&self) {
        lock(&self.setup).take();
        if let Some(path) = &self.settings.setup_file {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Writes the token to a new file only the server's user can read. Whatever was at `path`
/// goes first, and the file is created exclusively, so a symbolic link planted there is
/// never followed and an old file's looser mode is not kept.
fn write_private(path: &std::path::Path, token: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    writeln!(file, "{token}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_planted_link_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let (victim, path) = (dir.path().join("victim"), dir.path().join("db.setup-token"));
        std::fs::write(&victim, "keep").unwrap();
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        write_private(&path, "t0ken").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert!(!std::fs::symlink_metadata(&path).unwrap().is_symlink());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "t0ken\n");
    }

    #[test]
    fn an_old_readable_file_becomes_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.setup-token");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&path, "new").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
    }
}
