//! A workspace's files as one archive, and an archive unpacked into a workspace: the backup
//! a user can keep, and a new workspace made from one. Export reads through the runtime, so
//! it works on a stopped workspace and needs nothing in its image; unpacking runs `files.sh`
//! as the workspace user, like every other change, and never replaces a file.

use app::auth::{Actor, WorkspaceRef};
use app::error::AppError;
use app::workspace_path::WorkspacePath;
use async_compression::tokio::bufread::{GzipDecoder, GzipEncoder};
use async_compression::Level;
use bytes::Bytes;
use futures::StreamExt;
use tokio_util::io::{ReaderStream, StreamReader};

use super::{Download, FileManager, Target};
use crate::access::policy::Action;
use crate::access::MOUNT_PATH;
use crate::runtime::ByteStream;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZIP_MAGIC: [u8; 4] = *b"PK\x03\x04";

impl FileManager {
    /// Everything in `/workspace`, as `<name>.tar.gz` with entries relative to it.
    pub async fn export(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<Download, AppError> {
        let resolved = self
            .resolver
            .resolve(actor, workspace, Action::View)
            .await?;
        let archive = self.runtime.copy_out(resolved.container()?, MOUNT_PATH);
        // A failure before the first byte is an error the page can show, not a broken file.
        let (first, rest) = archive.into_future().await;
        let first = match first {
            Some(Ok(bytes)) => bytes,
            Some(Err(e)) => {
                return Err(crate::error::engine_refused(
                    self.runtime.engine(),
                    format!("its files could not be read: {e}"),
                ))
            }
            None => Bytes::new(),
        };
        let tar = futures::stream::once(async move { Ok(first) }).chain(rest);
        let gzip = GzipEncoder::with_quality(StreamReader::new(tar), Level::Fastest);
        Ok(Download {
            file_name: format!("{}.tar.gz", workspace.name),
            size: None,
            body: ReaderStream::new(gzip).boxed(),
        })
    }

    /// Unpacks a `.tar` or `.tar.gz` of `size` bytes into `folder`; a file that is already
    /// there is kept, and the unpacking reports it.
    pub async fn unpack(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        folder: &WorkspacePath,
        size: u64,
        body: ByteStream,
    ) -> Result<(), AppError> {
        self.settings.within_upload_limit(size)?;
        let mut reader = StreamReader::new(body);
        let head = tokio::io::AsyncBufReadExt::fill_buf(&mut reader)
            .await
            .map_err(|e| AppError::ArchiveRefused(format!("it did not arrive ({e})")))?;
        let (gzip, zip) = (head.starts_with(&GZIP_MAGIC), head.starts_with(&ZIP_MAGIC));
        if zip {
            return Err(AppError::ArchiveRefused(
                "it is a ZIP archive; use a .tar or .tar.gz, such as a workspace's Export".into(),
            ));
        }
        let tar: ByteStream = match gzip {
            true => ReaderStream::new(GzipDecoder::new(reader)).boxed(),
            false => ReaderStream::new(reader).boxed(),
        };
        let target = Target { actor, workspace };
        self.run(&target, "unpack", vec![folder.absolute()], Some(tar))
            .await?;
        self.changed(&target, "archive-unpack", folder).await;
        Ok(())
    }
}
