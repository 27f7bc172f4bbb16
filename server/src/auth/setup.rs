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

fn write_private(path: &std::path::Path, token: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    writeln!(file, "{token}")
}
