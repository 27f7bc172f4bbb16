//! The command-line client's login: the server's URL and an API token, kept in
//! `$AICOCKPIT_CONFIG_DIR` (else `$XDG_CONFIG_HOME/aicockpit`, else `~/.config/aicockpit`),
//! readable by its user alone.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::CliError;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    /// `https://cockpit.example.com`, without a trailing slash.
    pub url: String,
    pub token: String,
}

/// Where the client keeps what it knows.
pub fn config_dir() -> Result<PathBuf, CliError> {
    if let Some(dir) = std::env::var_os("AICOCKPIT_CONFIG_DIR") {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("aicockpit"));
    }
    let home = std::env::var_os("HOME")
        .ok_or_else(|| CliError::Local("HOME is not set: set AICOCKPIT_CONFIG_DIR".into()))?;
    Ok(PathBuf::from(home).join(".config/aicockpit"))
}

fn file() -> Result<PathBuf, CliError> {
    Ok(config_dir()?.join("session.json"))
}

impl Session {
    /// The login kept by `aicockpit login`.
    pub fn load() -> Result<Self, CliError> {
        let path = file()?;
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(CliError::SignedOut(None))
            }
            Err(e) => {
                return Err(CliError::Local(format!(
                    "cannot read {}: {e}",
                    path.display()
                )))
            }
        };
        serde_json::from_str(&text).map_err(|e| {
            CliError::Local(format!(
                "{} is damaged ({e}): run aicockpit login again",
                path.display()
            ))
        })
    }

    pub fn save(&self) -> Result<PathBuf, CliError> {
        let path = file()?;
        let failed =
            |e: std::io::Error| CliError::Local(format!("cannot write {}: {e}", path.display()));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(failed)?;
        }
        let text =
            serde_json::to_string_pretty(self).map_err(|e| CliError::Local(e.to_string()))?;
        let partial = path.with_extension("partial");
        let mut out = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .mode(0o600)
            .open(&partial)
            .map_err(failed)?;
        out.write_all(text.as_bytes()).map_err(failed)?;
        std::fs::rename(&partial, &path).map_err(failed)?;
        Ok(path)
    }

    pub fn forget() -> Result<(), CliError> {
        match std::fs::remove_file(file()?) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(CliError::Local(e.to_string())),
        }
    }
}
