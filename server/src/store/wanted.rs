//! What AiCockpit wants for a workspace (running or not) and what happened to it unasked.

use app::model::{Notice, NoticeKind};
use sqlx::Row;

use super::{Store, StoreError};

impl Store {
    /// Records a start or stop someone asked for; it also clears the last notice.
    pub async fn set_want_running(&self, id: &str, running: bool) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE workspaces SET want_running = ?, notice = NULL, notice_at = NULL WHERE id = ?",
        )
        .bind(running)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn set_notice(&self, id: &str, notice: Notice) -> Result<(), StoreError> {
        sqlx::query("UPDATE workspaces SET notice = ?, notice_at = ? WHERE id = ?")
            .bind(notice.kind.as_str())
            .bind(notice.at)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// The notice columns of a workspace row; an unknown kind (from a newer version) is dropped.
pub(super) fn notice(row: &sqlx::sqlite::SqliteRow) -> Result<Option<Notice>, StoreError> {
    let kind: Option<String> = row.try_get("notice")?;
    let at: Option<i64> = row.try_get("notice_at")?;
    Ok(match (kind.as_deref().and_then(NoticeKind::parse), at) {
        (Some(kind), Some(at)) => Some(Notice { kind, at }),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::sample;

    #[tokio::test]
    async fn a_start_or_stop_clears_the_notice() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).await.unwrap();
        let record = sample("web", None);
        store.insert(&record).await.unwrap();
        let oom = Notice {
            kind: NoticeKind::OutOfMemory,
            at: 42,
        };
        store.set_notice(&record.id, oom).await.unwrap();
        let stored = &store.all().await.unwrap()[0];
        assert_eq!((stored.notice, stored.want_running), (Some(oom), true));

        store.set_want_running(&record.id, false).await.unwrap();
        let stored = &store.all().await.unwrap()[0];
        assert_eq!((stored.notice, stored.want_running), (None, false));
    }
}
