//! Making a stored workspace's container: hardened (the capabilities a development shell
//! needs, root only where its template asks and the server allows), on its own network,
//! its processes pointed at the egress proxy; taken on again when the engine made it after
//! a create was cut short.

use std::collections::HashMap;

use app::auth::{UserName, WorkspaceRef};
use app::error::AppError;
use app::model::Workspace;

use super::{container_name, WorkspaceManager};
use crate::access::MOUNT_PATH;
use crate::runtime::{labels, ContainerSpec, ContainerState, RuntimeError};
use crate::store::{unix_now, WorkspaceRecord};

/// Capabilities a development shell may need (file ownership, switching user in
/// `sudo`-less images, signals); everything else is dropped.
pub const CAPABILITIES: [&str; 7] = [
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
];
/// What a workspace whose template asks for `sudo` gets back besides: Docker's default set
/// but `NET_RAW` (raw sockets would let root forge traffic on its network; unprivileged
/// `ping` works without it), so that root inside it can install packages and bind low ports.
pub const SUDO_CAPABILITIES: [&str; 6] = [
    "AUDIT_WRITE",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETPCAP",
    "SYS_CHROOT",
];

impl WorkspaceManager {
    /// The container `record` describes: hardened, on its network, its processes pointed
    /// at the egress proxy.
    pub(super) async fn container_spec(
        &self,
        record: &WorkspaceRecord,
        owner: &UserName,
    ) -> ContainerSpec {
        let sudo = record.setup.as_ref().is_some_and(|s| s.sudo);
        let labels = HashMap::from([
            (labels::MANAGED.to_owned(), "true".to_owned()),
            (labels::WORKSPACE.to_owned(), record.id.clone()),
            (labels::NAME.to_owned(), record.name.to_string()),
            (labels::OWNER.to_owned(), owner.to_string()),
            (labels::TEMPLATE.to_owned(), record.image.clone()),
        ]);
        ContainerSpec {
            name: container_name(owner, &record.name),
            image: record.image.clone(),
            volume: record.volume.clone(),
            mount_path: MOUNT_PATH.to_owned(),
            user: self.settings.user.clone(),
            command: vec!["sleep".into(), "infinity".into()],
            env: crate::egress::proxy_env()
                .into_iter()
                .chain(
                    record
                        .setup
                        .iter()
                        .flat_map(|s| &s.env)
                        .map(|(name, value)| format!("{name}={value}")),
                )
                .collect(),
            labels,
            limits: record.limits,
            capabilities: CAPABILITIES
                .iter()
                .chain(
                    sudo.then_some(SUDO_CAPABILITIES.iter())
                        .into_iter()
                        .flatten(),
                )
                .map(|c| c.to_string())
                .collect(),
            new_privileges: sudo,
            network: self.network_mode(record).await,
        }
    }

    pub(super) fn image_missing(&self, image: &str) -> AppError {
        let hint = if image == self.settings.default_image {
            "Build it with `aicockpit image build` (the run script does this for you).".to_owned()
        } else {
            format!("Pull it with `aicockpit image pull {image}`, or build it on this machine.")
        };
        AppError::ImageMissing {
            image: image.to_owned(),
            hint,
        }
    }

    /// The container named `name`, if it is this workspace's own: a create cut short by a
    /// kill, which the engine finished after the server was gone.
    async fn made_already(&self, name: &str, record: &WorkspaceRecord) -> Option<String> {
        let found = self.runtime.inspect(name).await.ok()?.info;
        (found.labels.get(labels::WORKSPACE) == Some(&record.id)).then_some(found.id)
    }

    /// Creates and starts the container of a stored workspace; removes it again if it
    /// cannot start, so a failed attempt leaves nothing behind.
    pub(super) async fn launch(
        &self,
        record: &WorkspaceRecord,
        workspace: &WorkspaceRef,
    ) -> Result<Workspace, AppError> {
        let spec = self.container_spec(record, &workspace.owner).await;
        let container_id = match self.runtime.create_container(&spec).await {
            Ok(id) => id,
            Err(RuntimeError::NotFound(_)) => return Err(self.image_missing(&record.image)),
            Err(RuntimeError::NameTaken(_)) => match self.made_already(&spec.name, record).await {
                Some(id) => id,
                None => return Err(AppError::NameTaken(workspace.to_string())),
            },
            Err(e) => return Err(e.into()),
        };
        self.store.set_container(&record.id, &container_id).await?;
        if let Err(e) = self.runtime.start_container(&container_id).await {
            if let Err(cleanup) = self.runtime.remove_container(&container_id).await {
                tracing::warn!(error = %cleanup, %container_id, "could not remove a container that failed to start");
            }
            return Err(e.into());
        }
        self.egress.serve(&container_id, &record.id);
        Ok(self.shown(
            record.clone(),
            workspace.owner.clone(),
            app::auth::Access::Owner,
            Some(ContainerState::Running),
            Some(unix_now()),
            None,
        ))
    }
}
