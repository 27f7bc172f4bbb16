//! Files inside workspaces, for the IDE. Every operation runs `files.sh` in the container
//! as the workspace user (no host bind mounts), so ownership, permissions and symbolic links
//! behave exactly as in the workspace's terminal, and confinement to `/workspace` is
//! checked on the resolved, physical path. The workspace itself is found through the
//! resolver: reading needs view access, changing anything needs use access.

mod archive;
mod outcome;
mod transfer;

use std::sync::Arc;

use app::auth::{Actor, WorkspaceRef};
use app::error::AppError;
use app::files::{FileEntry, TextFile};
use app::model::GitSource;
use app::service::FileService;
use app::workspace_path::WorkspacePath;
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::StreamExt;

use crate::access::policy::Action;
use crate::access::{Resolver, MOUNT_PATH, WORKSPACE_USER};
use crate::auth::audit::AuditLog;
use crate::egress::Egress;
use crate::runtime::{
    ByteStream, ContainerRuntime, ExecChunk, ExecProcess, ExecSpec, ExitStatus, RuntimeError,
    EXIT_STATUS_WAIT,
};

const SCRIPT: &str = include_str!("files.sh");
/// Enough for any message `files.sh` prints; more is dropped.
const MAX_STDERR: usize = 4096;

#[derive(Debug, Clone)]
pub struct FileSettings {
    /// Largest file the editor opens.
    pub editor_limit: u64,
    /// Largest upload accepted.
    pub upload_limit: u64,
}

impl Default for FileSettings {
    fn default() -> Self {
        Self {
            editor_limit: 5 << 20,
            upload_limit: 100 << 20,
        }
    }
}

impl FileSettings {
    /// `Ok` when an upload of `size` bytes is accepted.
    pub fn within_upload_limit(&self, size: u64) -> Result<(), AppError> {
        match size > self.upload_limit {
            true => Err(AppError::UploadTooLarge {
                size: app::files::format_bytes(size),
                limit: app::files::format_bytes(self.upload_limit),
            }),
            false => Ok(()),
        }
    }
}

/// A download in progress: a file's bytes or a folder's tar archive.
pub struct Download {
    pub file_name: String,
    /// Known for files, not for folder archives.
    pub size: Option<u64>,
    pub body: ByteStream,
}

pub struct FileManager {
    runtime: Arc<dyn ContainerRuntime>,
    resolver: Resolver,
    audit: AuditLog,
    settings: FileSettings,
    egress: Arc<Egress>,
    /// Which workspace's files just changed through this service, for open IDEs.
    changes: tokio::sync::broadcast::Sender<WorkspaceRef>,
}

/// One file operation: who, on which workspace.
struct Target<'a> {
    actor: &'a Actor,
    workspace: &'a WorkspaceRef,
}

impl FileManager {
    /// File operations on `runtime`'s containers; a clone reaches out through `egress`.
    pub fn new(
        runtime: Arc<dyn ContainerRuntime>,
        resolver: Resolver,
        audit: AuditLog,
        settings: FileSettings,
        egress: Arc<Egress>,
    ) -> Self {
        Self {
            runtime,
            resolver,
            audit,
            settings,
            egress,
            changes: tokio::sync::broadcast::channel(64).0,
        }
    }

    /// Announces every change made through this service: the workspace it was made in.
    /// `Ok` when a file of `size` bytes may be sent whole (an upload, an SFTP write).
    pub fn within_upload_limit(&self, size: u64) -> Result<(), AppError> {
        self.settings.within_upload_limit(size)
    }

    pub fn changes(&self) -> tokio::sync::broadcast::Receiver<WorkspaceRef> {
        self.changes.subscribe()
    }

    /// Announces a change made another way (a command, an undo), so open trees relist.
    pub fn announce(&self, workspace: &WorkspaceRef) {
        let _ = self.changes.send(workspace.clone());
    }

    /// Records a change in the audit log and announces it.
    async fn changed(&self, target: &Target<'_>, action: &str, path: &WorkspacePath) {
        let _ = self.changes.send(target.workspace.clone());
        let detail = Some(path.absolute());
        self.audit
            .record(target.actor, action, Some(target.workspace), detail)
            .await;
    }

    /// Runs `write`: `size` bytes from `stdin` replace (or create, by `mode`) the file,
    /// only if it still has the version `base` when one is given.
    async fn write(
        &self,
        target: &Target<'_>,
        file: &WorkspacePath,
        size: u64,
        stdin: ByteStream,
        mode: &str,
        base: Option<String>,
    ) -> Result<(), AppError> {
        // Only a hex digest may reach the script as the expected version.
        if let Some(base) = base
            .as_ref()
            .filter(|b| b.len() != 64 || !b.bytes().all(|c| c.is_ascii_hexdigit()))
        {
            return Err(AppError::FileRefused(format!(
                "“{base}” is not a file version (a SHA-256 in hex)."
            )));
        }
        let args = vec![
            file.absolute(),
            size.to_string(),
            mode.into(),
            base.unwrap_or_else(|| "-".into()),
        ];
        self.run(target, "write", args, Some(stdin)).await.map(drop)
    }

    fn spec(op: &str, args: Vec<String>) -> ExecSpec {
        let mut command: Vec<String> = ["/bin/sh", "-c", SCRIPT, "aicockpit-files", op]
            .map(str::to_owned)
            .into();
        command.extend(args);
        ExecSpec {
            command,
            user: WORKSPACE_USER.to_owned(),
            working_dir: MOUNT_PATH.to_owned(),
            env: Vec::new(),
        }
    }

    /// Resolves the workspace for the actor (reads need view access, everything else use
    /// access) and starts the operation in its container.
    async fn start(
        &self,
        target: &Target<'_>,
        op: &str,
        args: Vec<String>,
        stdin: Option<ByteStream>,
    ) -> Result<ExecProcess, AppError> {
        let action = match op {
            "list" | "read" | "download" => Action::View,
            _ => Action::Use,
        };
        let resolved = self
            .resolver
            .resolve(target.actor, target.workspace, action)
            .await?;
        self.runtime
            .exec(resolved.container()?, &Self::spec(op, args), stdin)
            .await
            .map_err(crate::error::exec_failed(target.workspace))
    }

    /// Runs an operation to its end and returns its output, or its failure as an error.
    async fn run(
        &self,
        target: &Target<'_>,
        op: &str,
        args: Vec<String>,
        stdin: Option<ByteStream>,
    ) -> Result<Vec<u8>, AppError> {
        let mut process = self.start(target, op, args, stdin).await?;
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        while let Some(chunk) = process.output.next().await {
            match chunk? {
                ExecChunk::Stdout(bytes) => stdout.extend_from_slice(&bytes),
                ExecChunk::Stderr(bytes) => keep_stderr(&mut stderr, &bytes),
            }
        }
        self.finish(process.exit, &stderr, None).await?;
        Ok(stdout)
    }

    /// Starts an operation that prints one header line before its data: returns the
    /// header and the data as a stream, or the failure if it ended before the header.
    async fn open(
        &self,
        target: &Target<'_>,
        op: &str,
        args: Vec<String>,
        limit: Option<u64>,
    ) -> Result<(String, ByteStream), AppError> {
        let mut process = self.start(target, op, args, None).await?;
        let (mut head, mut stderr) = (Vec::new(), Vec::new());
        while !head.contains(&b'\n') {
            match process.output.next().await {
                Some(Ok(ExecChunk::Stdout(bytes))) => head.extend_from_slice(&bytes),
                Some(Ok(ExecChunk::Stderr(bytes))) => keep_stderr(&mut stderr, &bytes),
                Some(Err(e)) => return Err(e.into()),
                None => {
                    self.finish(process.exit, &stderr, limit).await?;
                    return Err(AppError::Internal(format!("{op} ended without output")));
                }
            }
        }
        let split = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
        let rest = Bytes::copy_from_slice(&head[split + 1..]);
        let header = String::from_utf8_lossy(&head[..split]).into_owned();
        let body = futures::stream::once(async move { Ok(rest) })
            .chain(stdout_only(process.output))
            .boxed();
        Ok((header, body))
    }

    /// Waits for the exit status and turns a failure into its error.
    async fn finish(
        &self,
        exit: ExitStatus,
        stderr: &[u8],
        limit: Option<u64>,
    ) -> Result<(), AppError> {
        match tokio::time::timeout(EXIT_STATUS_WAIT, exit).await {
            Ok(Ok(0)) => Ok(()),
            Ok(Ok(code)) => Err(outcome::failure(code, stderr, limit)),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => Err(AppError::Internal("a file operation did not finish".into())),
        }
    }
}

fn one_chunk(bytes: Bytes) -> ByteStream {
    futures::stream::once(async move { Ok(bytes) }).boxed()
}

/// A file's version: the SHA-256 of its contents, as `sha256sum` prints it.
fn version_of(contents: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(contents))
}

fn keep_stderr(stderr: &mut Vec<u8>, bytes: &[u8]) {
    let room = MAX_STDERR.saturating_sub(stderr.len());
    stderr.extend_from_slice(&bytes[..bytes.len().min(room)]);
}

/// The data part of a streaming operation; what it prints on stderr goes to the log.
fn stdout_only(
    output: BoxStream<'static, Result<ExecChunk, RuntimeError>>,
) -> impl futures::Stream<Item = std::io::Result<Bytes>> {
    output.filter_map(|chunk| async move {
        match chunk {
            Ok(ExecChunk::Stdout(bytes)) => Some(Ok(bytes)),
            Ok(ExecChunk::Stderr(bytes)) => {
                tracing::debug!(stderr = %String::from_utf8_lossy(&bytes), "file stream");
                None
            }
            Err(e) => Some(Err(std::io::Error::other(e.to_string()))),
        }
    })
}

#[async_trait::async_trait]
impl FileService for FileManager {
    async fn list(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        folder: &WorkspacePath,
    ) -> Result<Vec<FileEntry>, AppError> {
        let target = Target { actor, workspace };
        let output = self
            .run(&target, "list", vec![folder.absolute()], None)
            .await?;
        outcome::entries(folder, &output)
    }

    async fn read_text(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        file: &WorkspacePath,
    ) -> Result<TextFile, AppError> {
        let limit = self.settings.editor_limit;
        let args = vec![file.absolute(), limit.to_string()];
        let target = Target { actor, workspace };
        let (_, mut body) = self.open(&target, "read", args, Some(limit)).await?;
        let mut bytes = Vec::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| AppError::Internal(e.to_string()))?;
            bytes.extend_from_slice(&chunk);
            // The file grew after its size was checked.
            if bytes.len() as u64 > limit {
                return Err(outcome::too_large(
                    file.absolute(),
                    bytes.len() as u64,
                    limit,
                ));
            }
        }
        let version = version_of(&bytes);
        match bytes.contains(&0) {
            true => Err(AppError::BinaryFile(file.absolute())),
            false => String::from_utf8(bytes)
                .map(|text| TextFile { text, version })
                .map_err(|_| AppError::BinaryFile(file.absolute())),
        }
    }

    async fn write_text(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        file: &WorkspacePath,
        text: String,
        base: Option<String>,
    ) -> Result<String, AppError> {
        let version = version_of(text.as_bytes());
        let size = text.len() as u64;
        let target = Target { actor, workspace };
        let text = one_chunk(text.into());
        self.write(&target, file, size, text, "replace", base)
            .await?;
        self.changed(&target, "file-write", file).await;
        Ok(version)
    }

    async fn create_file(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        file: &WorkspacePath,
    ) -> Result<(), AppError> {
        let target = Target { actor, workspace };
        self.write(&target, file, 0, one_chunk(Bytes::new()), "create", None)
            .await?;
        self.changed(&target, "file-create", file).await;
        Ok(())
    }

    async fn create_folder(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        folder: &WorkspacePath,
    ) -> Result<(), AppError> {
        let target = Target { actor, workspace };
        self.run(&target, "mkdir", vec![folder.absolute()], None)
            .await?;
        self.changed(&target, "folder-create", folder).await;
        Ok(())
    }

    async fn rename(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        from: &WorkspacePath,
        to: &WorkspacePath,
    ) -> Result<(), AppError> {
        if from.is_root() || to.is_root() {
            return Err(AppError::InvalidPath {
                path: "/workspace".into(),
                reason: "the workspace folder itself cannot be moved".into(),
            });
        }
        let args = vec![from.absolute(), to.absolute()];
        let target = Target { actor, workspace };
        self.run(&target, "rename", args, None).await?;
        self.changed(&target, "file-rename", from).await;
        Ok(())
    }

    async fn clone_repository(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        source: &GitSource,
    ) -> Result<(), AppError> {
        // The clone reaches out through the workspace's proxy, which a workspace just
        // created may still be starting.
        let resolved = self.resolver.resolve(actor, workspace, Action::Use).await?;
        self.egress
            .ready(resolved.container()?, &resolved.record.id)
            .await;
        let target = Target { actor, workspace };
        let branch = source.branch.clone().unwrap_or_else(|| "-".into());
        self.run(&target, "clone", vec![source.url.clone(), branch], None)
            .await?;
        self.changed(&target, "repository-clone", &WorkspacePath::root())
            .await;
        Ok(())
    }

    async fn delete(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        path: &WorkspacePath,
    ) -> Result<(), AppError> {
        let target = Target { actor, workspace };
        self.run(&target, "delete", vec![path.absolute()], None)
            .await?;
        self.changed(&target, "file-delete", path).await;
        Ok(())
    }
}
