//! The terminal holder (`server/holder`), built with the server and embedded in it, copied
//! into a workspace container before its first use. It runs there as the workspace user and
//! keeps each terminal's shell and recent output, so terminals outlive the server's
//! connections to them: a server restart, even a kill, reattaches to the same shell. It also
//! carries previews' and the egress proxy's connections over exec (`tunnel`, `egress`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;

use super::TerminalSettings;
use crate::access::{MOUNT_PATH, WORKSPACE_USER};
use crate::runtime::{ContainerRuntime, ExecSpec, RuntimeError};
use crate::sync::Unpoisoned;

/// Where the holder lives in every workspace container (outside the user's volume).
pub const PATH: &str = "/.aicockpit/holder";

static BINARY: &[u8] = include_bytes!(env!("AICOCKPIT_HOLDER"));

/// A tar archive that unpacks to [`PATH`] at `/`, readable and runnable by everyone.
pub fn archive() -> Bytes {
    static ARCHIVE: OnceLock<Bytes> = OnceLock::new();
    ARCHIVE
        .get_or_init(|| {
            let mut builder = tar::Builder::new(Vec::new());
            let entry = |kind: tar::EntryType, size: u64| {
                let mut header = tar::Header::new_gnu();
                header.set_entry_type(kind);
                header.set_size(size);
                header.set_mode(0o755);
                header.set_uid(0);
                header.set_gid(0);
                header
            };
            let dir = PATH
                .trim_start_matches('/')
                .rsplit_once('/')
                .map_or("", |d| d.0);
            let mut header = entry(tar::EntryType::Directory, 0);
            // Writing to memory cannot fail.
            let _ = builder.append_data(&mut header, dir, std::io::empty());
            let mut header = entry(tar::EntryType::Regular, BINARY.len() as u64);
            let _ = builder.append_data(&mut header, PATH.trim_start_matches('/'), BINARY);
            Bytes::from(builder.into_inner().unwrap_or_default())
        })
        .clone()
}

/// Copies the holder into containers: once per start of each and server run, since a
/// runtime may give a container a fresh file system at each start (Kubernetes makes its Pod
/// again), and a container made again has a new id. Shared by everything that runs it.
#[derive(Clone)]
pub struct Installer {
    runtime: Arc<dyn ContainerRuntime>,
    /// The containers it was copied into, with the start it was copied at; a container
    /// leaves when it is removed ([`Installer::forget`]).
    installed: Arc<Mutex<HashMap<String, i64>>>,
}

impl Installer {
    pub fn new(runtime: Arc<dyn ContainerRuntime>) -> Self {
        Self {
            runtime,
            installed: Arc::default(),
        }
    }

    pub async fn install(&self, container: &str) -> Result<(), RuntimeError> {
        let started_at = self.runtime.inspect(container).await?.started_at;
        let start = started_at.unwrap_or_default();
        if self.installed().get(container) == Some(&start) {
            return Ok(());
        }
        self.runtime.copy_into(container, "/", archive()).await?;
        self.installed().insert(container.to_owned(), start);
        Ok(())
    }

    /// Forgets a container that was removed.
    pub fn forget(&self, container: &str) {
        self.installed().remove(container);
    }

    fn installed(&self) -> std::sync::MutexGuard<'_, HashMap<String, i64>> {
        self.installed.locked()
    }
}

/// The holder run with `arguments`, as the workspace user.
pub fn run(arguments: &[&str]) -> ExecSpec {
    ExecSpec {
        command: std::iter::once(PATH)
            .chain(arguments.iter().copied())
            .map(str::to_owned)
            .collect(),
        user: WORKSPACE_USER.into(),
        working_dir: MOUNT_PATH.into(),
        env: Vec::new(),
    }
}

/// The command that attaches to the terminal `id`, starting `shell` in it when needed.
pub fn attach_command(id: &str, settings: &TerminalSettings, shell: &[String]) -> Vec<String> {
    let mut command: Vec<String> = vec![PATH.into(), "attach".into(), id.into()];
    command.extend([
        "--scrollback".into(),
        settings.scrollback_bytes.to_string(),
        "--idle".into(),
        settings.idle_timeout.as_secs().max(1).to_string(),
        "--".into(),
    ]);
    command.extend(shell.iter().cloned());
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_archive_holds_the_program_at_its_path() {
        let archive = archive();
        let mut reader = tar::Archive::new(&archive[..]);
        let entries: Vec<(String, u32, u64)> = reader
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let path = e.path().unwrap().display().to_string();
                (path, e.header().mode().unwrap(), e.header().size().unwrap())
            })
            .collect();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].0.trim_end_matches('/'), ".aicockpit");
        assert_eq!(
            entries[1],
            (".aicockpit/holder".into(), 0o755, BINARY.len() as u64)
        );
        // A static ELF program, not an empty placeholder.
        assert!(BINARY.starts_with(b"\x7fELF") && BINARY.len() > 100_000);
    }

    #[tokio::test]
    async fn it_remembers_each_container_once_until_the_container_is_removed() {
        use crate::runtime::kubernetes::spec::tests::spec;
        use crate::runtime::memory::MemoryRuntime;
        let runtime = Arc::new(MemoryRuntime::new(&["registry.example/dev:1"]));
        let installer = Installer::new(runtime.clone());
        let container = runtime.create_container(&spec()).await.unwrap();
        runtime.start_container(&container).await.unwrap();
        installer.install(&container).await.unwrap();
        runtime
            .stop_container(&container, std::time::Duration::ZERO)
            .await
            .unwrap();
        runtime.start_container(&container).await.unwrap();
        installer.install(&container).await.unwrap();
        assert_eq!(installer.installed().len(), 1);
        installer.forget(&container);
        assert!(installer.installed().is_empty());
    }

    #[test]
    fn the_shell_follows_the_holders_options() {
        let settings = TerminalSettings::default();
        let command = attach_command("main-1", &settings, &["/bin/sh".into()]);
        assert_eq!(&command[..3], [PATH, "attach", "main-1"]);
        assert_eq!(command[command.len() - 2..], ["--", "/bin/sh"]);
        assert!(command.contains(&"600".to_owned()));
    }
}
