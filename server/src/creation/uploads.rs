//! Archives sent ahead of a creation that starts with them: kept as files in a folder of
//! the server's (never in memory), each named by its user's id and a random id, so a
//! creation finds only its own user's and a restart keeps them for a resume. Removed when
//! the creation is done or dismissed, or a day after they arrived.

use std::path::{Path, PathBuf};
use std::time::Duration;

use app::auth::Actor;
use app::error::AppError;
use app::files::format_bytes;
use app::model::{is_upload_id, Upload};
use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio_util::io::ReaderStream;

use crate::files::FileSettings;
use crate::runtime::ByteStream;

/// How long an archive waits for the creation it was sent for.
pub const KEPT_FOR: Duration = Duration::from_secs(24 * 3600);
/// The most archives one user may have waiting, so that uploads cannot fill the disk.
const MOST_WAITING: usize = 4;

#[derive(Clone)]
pub struct Uploads {
    folder: PathBuf,
    settings: FileSettings,
}

impl Uploads {
    /// Uploads kept in `folder` (made when the first arrives), as large as `settings` allow.
    pub fn new(folder: PathBuf, settings: FileSettings) -> Self {
        Self { folder, settings }
    }

    /// The folder beside `database`.
    pub fn beside(database: &Path) -> PathBuf {
        let mut name = database.as_os_str().to_owned();
        name.push(".uploads");
        PathBuf::from(name)
    }

    fn path(&self, user_id: i64, upload: &str) -> Result<PathBuf, AppError> {
        match is_upload_id(upload) {
            true => Ok(self.folder.join(format!("{user_id}-{upload}"))),
            false => Err(AppError::BadRequest(format!(
                "“{upload}” is not an upload's id"
            ))),
        }
    }

    /// Keeps `body` (`size` bytes, as the request said) for `actor`.
    pub async fn receive(
        &self,
        actor: &Actor,
        size: u64,
        mut body: ByteStream,
    ) -> Result<Upload, AppError> {
        if actor.grant.workspace.is_some() {
            return Err(AppError::Forbidden(
                "This token is limited to one workspace: it cannot make others.".into(),
            ));
        }
        self.settings.within_upload_limit(size)?;
        if size == 0 {
            return Err(AppError::ArchiveRefused("it is empty".into()));
        }
        if self.waiting(actor.id).await >= MOST_WAITING {
            return Err(AppError::Busy(format!(
                "{MOST_WAITING} archives sent ahead are waiting for their workspaces already: make those (or wait a day for them to go) first."
            )));
        }
        let upload = uuid::Uuid::new_v4().simple().to_string();
        let path = self.path(actor.id, &upload)?;
        let kept = self.write(&path, size, &mut body).await;
        if kept.is_err() {
            let _ = tokio::fs::remove_file(&path).await;
        }
        kept.map(|()| Upload { upload })
    }

    async fn write(&self, path: &Path, size: u64, body: &mut ByteStream) -> Result<(), AppError> {
        let failed =
            |e: std::io::Error| AppError::Internal(format!("cannot keep the archive: {e}"));
        create_private_folder(&self.folder).await.map_err(failed)?;
        let mut file = tokio::fs::File::create(path).await.map_err(failed)?;
        let mut written = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk =
                chunk.map_err(|e| AppError::ArchiveRefused(format!("it did not arrive ({e})")))?;
            written += chunk.len() as u64;
            if written > size {
                // More than it said: a client that lies about its size is not believed.
                return Err(AppError::UploadTooLarge {
                    size: format!("over {}", format_bytes(size)),
                    limit: format_bytes(size),
                });
            }
            file.write_all(&chunk).await.map_err(failed)?;
        }
        if written < size {
            return Err(AppError::ArchiveRefused(format!(
                "only {} of {} arrived",
                format_bytes(written),
                format_bytes(size)
            )));
        }
        file.flush().await.map_err(failed)
    }

    /// The archive `upload` of user `user_id`, and its size.
    pub async fn open(&self, user_id: i64, upload: &str) -> Result<(u64, ByteStream), AppError> {
        let gone = || {
            AppError::Gone(
                "The archive sent for this workspace is no longer kept (it is kept for a day): send it again.".into(),
            )
        };
        let file = tokio::fs::File::open(self.path(user_id, upload)?)
            .await
            .map_err(|_| gone())?;
        let size = file.metadata().await.map_err(|_| gone())?.len();
        Ok((size, ReaderStream::new(file).boxed()))
    }

    /// How many archives user `user_id` has waiting.
    async fn waiting(&self, user_id: i64) -> usize {
        let Ok(mut entries) = tokio::fs::read_dir(&self.folder).await else {
            return 0;
        };
        let prefix = format!("{user_id}-");
        let mut count = 0;
        while let Ok(Some(entry)) = entries.next_entry().await {
            count += usize::from(entry.file_name().to_string_lossy().starts_with(&prefix));
        }
        count
    }

    /// Whether user `user_id` sent `upload` (and it is still kept).
    pub async fn exists(&self, user_id: i64, upload: &str) -> Result<(), AppError> {
        self.open(user_id, upload).await.map(drop)
    }

    pub async fn remove(&self, user_id: i64, upload: &str) {
        if let Ok(path) = self.path(user_id, upload) {
            let _ = tokio::fs::remove_file(path).await;
        }
    }

    /// Removes those older than `age`.
    pub async fn forget_older_than(&self, age: Duration) {
        let Ok(mut entries) = tokio::fs::read_dir(&self.folder).await else {
            return;
        };
        while let Ok(Some(entry)) = entries.next_entry().await {
            let old = entry
                .metadata()
                .await
                .and_then(|m| m.modified())
                .is_ok_and(|at| at.elapsed().is_ok_and(|elapsed| elapsed > age));
            if old {
                let _ = tokio::fs::remove_file(entry.path()).await;
            }
        }
    }
}

/// `folder`, readable by the server's user only (archives hold users' files).
async fn create_private_folder(folder: &Path) -> std::io::Result<()> {
    let mut builder = tokio::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(0o700);
    builder.create(folder).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn actor(id: i64) -> Actor {
        Actor {
            id,
            name: app::auth::UserName::parse("ada").unwrap(),
            role: app::auth::Role::Member,
            via: app::auth::Via::Session,
            grant: app::auth::Grant::full(),
            address: None,
        }
    }

    fn body(parts: &[&'static [u8]]) -> ByteStream {
        let parts: Vec<std::io::Result<Bytes>> =
            parts.iter().map(|p| Ok(Bytes::from_static(p))).collect();
        futures::stream::iter(parts).boxed()
    }

    #[tokio::test]
    async fn an_archive_is_kept_for_its_user_only_and_as_long_as_it_said() {
        let dir = tempfile::tempdir().unwrap();
        let uploads = Uploads::new(dir.path().join("uploads"), FileSettings::default());
        let kept = uploads
            .receive(&actor(1), 6, body(&[b"abc", b"def"]))
            .await
            .unwrap();
        let (size, _) = uploads.open(1, &kept.upload).await.unwrap();
        assert_eq!(size, 6);
        assert!(matches!(
            uploads.open(2, &kept.upload).await,
            Err(AppError::Gone(_))
        ));
        assert!(matches!(
            uploads.open(1, "../x").await,
            Err(AppError::BadRequest(_))
        ));

        let longer = uploads.receive(&actor(1), 2, body(&[b"abc"])).await;
        assert!(
            matches!(longer, Err(AppError::UploadTooLarge { .. })),
            "{longer:?}"
        );
        let shorter = uploads.receive(&actor(1), 9, body(&[b"abc"])).await;
        assert!(
            matches!(shorter, Err(AppError::ArchiveRefused(_))),
            "{shorter:?}"
        );
        let too_large = uploads.receive(&actor(1), 1 << 40, body(&[])).await;
        assert!(matches!(too_large, Err(AppError::UploadTooLarge { .. })));
        let empty = uploads.receive(&actor(1), 0, body(&[])).await;
        assert!(matches!(empty, Err(AppError::ArchiveRefused(_))));
        let files = std::fs::read_dir(dir.path().join("uploads"))
            .unwrap()
            .count();
        assert_eq!(files, 1, "what was refused is not kept");
        for _ in 1..MOST_WAITING {
            uploads
                .receive(&actor(1), 3, body(&[b"abc"]))
                .await
                .unwrap();
        }
        let one_too_many = uploads.receive(&actor(1), 3, body(&[b"abc"])).await;
        assert!(
            matches!(one_too_many, Err(AppError::Busy(_))),
            "{one_too_many:?}"
        );
        assert!(
            uploads.receive(&actor(2), 3, body(&[b"abc"])).await.is_ok(),
            "per user"
        );
        let limited = Actor {
            grant: app::auth::Grant {
                workspace: Some("w1".into()),
                ..app::auth::Grant::full()
            },
            ..actor(3)
        };
        let refused = uploads.receive(&limited, 3, body(&[b"abc"])).await;
        assert!(
            matches!(refused, Err(AppError::Forbidden(_))),
            "{refused:?}"
        );

        uploads.forget_older_than(Duration::ZERO).await;
        assert!(uploads.open(1, &kept.upload).await.is_err());
        assert_eq!(uploads.waiting(1).await, 0, "all gone");
    }
}
