//! SFTP, served by AiCockpit through the same file operations the IDE uses, so it works in
//! any image (BusyBox included) and is confined to `/workspace` the same way. A file opened
//! for reading is fetched whole and one opened for writing is sent whole when it is closed,
//! each within the upload limit: what SFTP clients do with whole files (`sftp get`/`put`,
//! `scp`, editors' remote save) works; a file changed in place keeps its other bytes.

use std::collections::HashMap;
use std::sync::Arc;

use app::auth::{Actor, WorkspaceRef};
use app::error::AppError;
use app::files::EntryKind;
use app::service::FileService;
use app::workspace_path::WorkspacePath;
use bytes::Bytes;
use futures::StreamExt;
use russh::{ChannelMsg, ChannelReadHalf};
use russh_sftp::protocol::{
    Attrs, Data, File, FileAttributes, Handle, Name, OpenFlags, Status, StatusCode, Version,
};

use super::process::Out;
use crate::files::FileManager;

/// What the client sends on an SFTP channel, as a byte stream. When the client has sent
/// everything (its session is over), the channel is ended as a finished subsystem is.
pub fn reader(
    read: ChannelReadHalf,
    out: Out,
) -> impl tokio::io::AsyncRead + Send + Unpin + 'static {
    let messages = futures::stream::unfold((read, out), |(mut read, out)| async move {
        loop {
            match read.wait().await {
                Some(ChannelMsg::Data { data }) => {
                    return Some((Ok::<_, std::io::Error>(data), (read, out)))
                }
                Some(ChannelMsg::Eof) => {
                    let _ = out.exit_status(0).await;
                    let _ = out.eof().await;
                    let _ = out.close().await;
                    return None;
                }
                Some(ChannelMsg::Close) | None => return None,
                Some(_) => continue,
            }
        }
    });
    tokio_util::io::StreamReader::new(Box::pin(messages))
}

/// What a handle stands for.
enum Open {
    Reading(Bytes),
    Writing {
        path: WorkspacePath,
        data: Vec<u8>,
        changed: bool,
    },
    /// A folder's entries, until they are read.
    Folder(Option<Vec<File>>),
}

pub struct Sftp {
    files: Arc<FileManager>,
    actor: Actor,
    workspace: WorkspaceRef,
    handles: HashMap<String, Open>,
    next: u64,
}

impl Sftp {
    pub fn new(files: Arc<FileManager>, actor: Actor, workspace: WorkspaceRef) -> Self {
        Self {
            files,
            actor,
            workspace,
            handles: HashMap::new(),
            next: 0,
        }
    }

    fn keep(&mut self, open: Open) -> String {
        self.next += 1;
        let handle = self.next.to_string();
        self.handles.insert(handle.clone(), open);
        handle
    }

    /// A path as the client wrote it: absolute inside `/workspace`, or relative to it.
    fn path(raw: &str) -> Result<WorkspacePath, Refusal> {
        WorkspacePath::parse(raw).map_err(Refusal::from)
    }

    async fn fetch(&self, path: &WorkspacePath) -> Result<Bytes, Refusal> {
        let download = self
            .files
            .download(&self.actor, &self.workspace, path)
            .await?;
        if download.size.is_none() {
            return Err(Refusal(StatusCode::Failure, format!("{path} is a folder")));
        }
        let mut data = Vec::with_capacity(download.size.unwrap_or(0) as usize);
        let mut body = download.body;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| Refusal(StatusCode::Failure, e.to_string()))?;
            data.extend_from_slice(&chunk);
            self.files.within_upload_limit(data.len() as u64)?;
        }
        Ok(data.into())
    }

    async fn send(&self, path: &WorkspacePath, data: Vec<u8>) -> Result<(), Refusal> {
        let size = data.len() as u64;
        let body = futures::stream::once(async move { Ok(Bytes::from(data)) }).boxed();
        self.files
            .upload(&self.actor, &self.workspace, path, size, body)
            .await?;
        Ok(())
    }

    /// The attributes of `path`, as its folder lists it.
    async fn attributes(&self, path: &WorkspacePath) -> Result<FileAttributes, Refusal> {
        let Some(parent) = path.parent() else {
            return Ok(folder_attributes());
        };
        let entries = self
            .files
            .list(&self.actor, &self.workspace, &parent)
            .await?;
        let entry = entries
            .into_iter()
            .find(|e| &e.path == path)
            .ok_or_else(|| Refusal(StatusCode::NoSuchFile, format!("{path} does not exist")))?;
        Ok(match entry.kind {
            EntryKind::Folder => folder_attributes(),
            _ => file_attributes(None),
        })
    }
}

fn folder_attributes() -> FileAttributes {
    FileAttributes {
        permissions: Some(0o040_755),
        ..FileAttributes::empty()
    }
}

fn file_attributes(size: Option<u64>) -> FileAttributes {
    FileAttributes {
        size,
        permissions: Some(0o100_644),
        ..FileAttributes::empty()
    }
}

fn ok(id: u32) -> Status {
    Status {
        id,
        status_code: StatusCode::Ok,
        error_message: "Ok".into(),
        language_tag: "en-US".into(),
    }
}

/// A refusal, said as SFTP does: a status code and a sentence.
pub struct Refusal(StatusCode, String);

impl From<AppError> for Refusal {
    fn from(error: AppError) -> Self {
        let code = match &error {
            AppError::NotFound(_) => StatusCode::NoSuchFile,
            AppError::Forbidden(_) | AppError::InvalidPath { .. } => StatusCode::PermissionDenied,
            _ => StatusCode::Failure,
        };
        Refusal(code, error.to_string())
    }
}

impl From<Refusal> for russh_sftp::server::StatusReply {
    fn from(Refusal(code, message): Refusal) -> Self {
        let mut reply = russh_sftp::server::StatusReply::new(code);
        reply.error_message = Some(message);
        reply
    }
}

impl russh_sftp::server::Handler for Sftp {
    type Error = Refusal;

    fn unimplemented(&self) -> Self::Error {
        Refusal(
            StatusCode::OpUnsupported,
            "AiCockpit does not do that over SFTP".into(),
        )
    }

    async fn init(
        &mut self,
        _version: u32,
        _extensions: HashMap<String, String>,
    ) -> Result<Version, Self::Error> {
        Ok(Version::new())
    }

    async fn realpath(&mut self, id: u32, path: String) -> Result<Name, Self::Error> {
        let path = match path.as_str() {
            "" | "." => WorkspacePath::root(),
            other => Self::path(other)?,
        };
        Ok(Name {
            id,
            files: vec![File::dummy(path.absolute())],
        })
    }

    async fn stat(&mut self, id: u32, path: String) -> Result<Attrs, Self::Error> {
        let attrs = self.attributes(&Self::path(&path)?).await?;
        Ok(Attrs { id, attrs })
    }

    async fn lstat(&mut self, id: u32, path: String) -> Result<Attrs, Self::Error> {
        self.stat(id, path).await
    }

    async fn fstat(&mut self, id: u32, handle: String) -> Result<Attrs, Self::Error> {
        let attrs = match self.handles.get(&handle) {
            Some(Open::Reading(data)) => file_attributes(Some(data.len() as u64)),
            Some(Open::Writing { data, .. }) => file_attributes(Some(data.len() as u64)),
            Some(Open::Folder(_)) => folder_attributes(),
            None => return Err(no_handle()),
        };
        Ok(Attrs { id, attrs })
    }

    async fn open(
        &mut self,
        id: u32,
        filename: String,
        flags: OpenFlags,
        _attrs: FileAttributes,
    ) -> Result<Handle, Self::Error> {
        let path = Self::path(&filename)?;
        let writing = flags.intersects(OpenFlags::WRITE | OpenFlags::APPEND);
        let found = match self.attributes(&path).await {
            Ok(attributes) => Some(attributes),
            Err(Refusal(StatusCode::NoSuchFile, _)) => None,
            Err(refusal) => return Err(refusal),
        };
        let is_folder = found.as_ref().and_then(|a| a.permissions) == Some(0o040_755);
        if is_folder {
            return Err(Refusal(StatusCode::Failure, format!("{path} is a folder")));
        }
        let open = match found {
            // New, or written from its start.
            None if writing && flags.contains(OpenFlags::CREATE) => Open::Writing {
                path,
                data: Vec::new(),
                changed: true,
            },
            None => {
                return Err(Refusal(
                    StatusCode::NoSuchFile,
                    format!("{path} does not exist"),
                ))
            }
            Some(_) if !writing => Open::Reading(self.fetch(&path).await?),
            Some(_) if flags.contains(OpenFlags::TRUNCATE) => Open::Writing {
                path,
                data: Vec::new(),
                changed: true,
            },
            // Changed in place: its other bytes are kept.
            Some(_) => Open::Writing {
                data: self.fetch(&path).await?.to_vec(),
                path,
                changed: false,
            },
        };
        Ok(Handle {
            id,
            handle: self.keep(open),
        })
    }

    async fn read(
        &mut self,
        id: u32,
        handle: String,
        offset: u64,
        len: u32,
    ) -> Result<Data, Self::Error> {
        let Some(Open::Reading(data)) = self.handles.get(&handle) else {
            return Err(no_handle());
        };
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        if start >= data.len() {
            return Err(Refusal(StatusCode::Eof, "end of file".into()));
        }
        let end = data.len().min(start.saturating_add(len as usize));
        Ok(Data {
            id,
            data: data[start..end].to_vec(),
        })
    }

    async fn write(
        &mut self,
        id: u32,
        handle: String,
        offset: u64,
        bytes: Vec<u8>,
    ) -> Result<Status, Self::Error> {
        let files = self.files.clone();
        let Some(Open::Writing { data, changed, .. }) = self.handles.get_mut(&handle) else {
            return Err(no_handle());
        };
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        let end = start.saturating_add(bytes.len());
        files.within_upload_limit(end as u64)?;
        if data.len() < end {
            data.resize(end, 0);
        }
        data[start..end].copy_from_slice(&bytes);
        *changed = true;
        Ok(ok(id))
    }

    async fn close(&mut self, id: u32, handle: String) -> Result<Status, Self::Error> {
        match self.handles.remove(&handle) {
            Some(Open::Writing {
                path,
                data,
                changed: true,
            }) => self.send(&path, data).await?,
            Some(_) => {}
            None => return Err(no_handle()),
        }
        Ok(ok(id))
    }

    async fn opendir(&mut self, id: u32, path: String) -> Result<Handle, Self::Error> {
        let path = Self::path(&path)?;
        let entries = self.files.list(&self.actor, &self.workspace, &path).await?;
        let mut files = vec![
            File::new(".", folder_attributes()),
            File::new("..", folder_attributes()),
        ];
        files.extend(entries.iter().map(|entry| {
            let attrs = match entry.kind {
                EntryKind::Folder => folder_attributes(),
                _ => file_attributes(None),
            };
            File::new(entry.name(), attrs)
        }));
        Ok(Handle {
            id,
            handle: self.keep(Open::Folder(Some(files))),
        })
    }

    async fn readdir(&mut self, id: u32, handle: String) -> Result<Name, Self::Error> {
        match self.handles.get_mut(&handle) {
            Some(Open::Folder(entries)) => match entries.take() {
                Some(files) => Ok(Name { id, files }),
                None => Err(Refusal(StatusCode::Eof, "no more entries".into())),
            },
            _ => Err(no_handle()),
        }
    }

    async fn mkdir(
        &mut self,
        id: u32,
        path: String,
        _attrs: FileAttributes,
    ) -> Result<Status, Self::Error> {
        let path = Self::path(&path)?;
        self.files
            .create_folder(&self.actor, &self.workspace, &path)
            .await?;
        Ok(ok(id))
    }

    async fn remove(&mut self, id: u32, filename: String) -> Result<Status, Self::Error> {
        let path = Self::path(&filename)?;
        self.files
            .delete(&self.actor, &self.workspace, &path)
            .await?;
        Ok(ok(id))
    }

    /// Only an empty folder, as SFTP means it (deleting is recursive in the file service).
    async fn rmdir(&mut self, id: u32, path: String) -> Result<Status, Self::Error> {
        let path = Self::path(&path)?;
        let inside = self.files.list(&self.actor, &self.workspace, &path).await?;
        if !inside.is_empty() {
            return Err(Refusal(StatusCode::Failure, format!("{path} is not empty")));
        }
        self.files
            .delete(&self.actor, &self.workspace, &path)
            .await?;
        Ok(ok(id))
    }

    async fn rename(&mut self, id: u32, from: String, to: String) -> Result<Status, Self::Error> {
        let (from, to) = (Self::path(&from)?, Self::path(&to)?);
        self.files
            .rename(&self.actor, &self.workspace, &from, &to)
            .await?;
        Ok(ok(id))
    }

    /// Modes and times are the workspace's to keep: accepted, not applied.
    async fn setstat(
        &mut self,
        id: u32,
        _path: String,
        _attrs: FileAttributes,
    ) -> Result<Status, Self::Error> {
        Ok(ok(id))
    }

    async fn fsetstat(
        &mut self,
        id: u32,
        _handle: String,
        _attrs: FileAttributes,
    ) -> Result<Status, Self::Error> {
        Ok(ok(id))
    }
}

fn no_handle() -> Refusal {
    Refusal(StatusCode::Failure, "no such handle".into())
}
