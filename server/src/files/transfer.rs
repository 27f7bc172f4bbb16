//! Files moved whole over HTTP: a download (a file, or a folder as a tar archive) and an
//! upload replacing a file, within the upload limit.

use app::auth::{Actor, WorkspaceRef};
use app::error::AppError;
use app::workspace_path::WorkspacePath;

use super::{Download, FileManager, Target};
use crate::runtime::ByteStream;

impl FileManager {
    /// Streams a file, or a folder as a tar archive.
    pub async fn download(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        path: &WorkspacePath,
    ) -> Result<Download, AppError> {
        let args = vec![path.absolute()];
        let target = Target { actor, workspace };
        let (header, body) = self.open(&target, "download", args, None).await?;
        let name = path.file_name().unwrap_or("workspace");
        Ok(match header.strip_prefix("file ") {
            Some(size) => Download {
                file_name: name.to_owned(),
                size: size.parse().ok(),
                body,
            },
            None => Download {
                file_name: format!("{name}.tar"),
                size: None,
                body,
            },
        })
    }

    /// Writes `body` (exactly `size` bytes) to `file`, replacing it; nothing changes unless
    /// every byte arrived.
    pub async fn upload(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        file: &WorkspacePath,
        size: u64,
        body: ByteStream,
    ) -> Result<(), AppError> {
        self.settings.within_upload_limit(size)?;
        let target = Target { actor, workspace };
        self.write(&target, file, size, body, "replace", None)
            .await?;
        self.changed(&target, "file-upload", file).await;
        Ok(())
    }
}
