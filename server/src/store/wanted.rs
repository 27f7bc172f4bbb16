//! What AiCockpit wants for a workspace (running or not) and what happened to it unasked.

use app::model::{Notice, NoticeKind};
use sqlx::Row;

use super::{StoreError, WorkspaceStore};

impl WorkspaceStore {
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

    /// Takes `running` as the wanted state of a workspace made before it was recorded.
    pub async fn learn_want_running(&self, id: &str, running: bool) -> Result<(), StoreError> {
        sqlx::query("UPDATE workspaces SET want_running = ? WHERE id = ? AND want_running IS NULL")
            .bind(running)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Whether the workspace `id` should be running; `false` once it is deleted.
    pub async fn wants_running(&self, id: &str) -> Result<bool, StoreError> {
        let wanted: Option<Option<bool>> =
            sqlx::query_scalar("SELECT want_running FROM workspaces WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(wanted.flatten().unwrap_or(false))
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
    use crate::store::Store;

    #[tokio::test]
    async fn a_start_or_stop_clears_the_notice() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).await.unwrap();
        let record = sample("web", None);
        store.workspaces().insert(&record).await.unwrap();
        let oom = Notice {
            kind: NoticeKind::OutOfMemory,
            at: 42,
        };
        store
            .workspaces()
            .set_notice(&record.id, oom)
            .await
            .unwrap();
        let stored = &store.workspaces().all().await.unwrap()[0];
        assert_eq!(
            (stored.notice, stored.want_running),
            (Some(oom), Some(true))
        );

        assert!(store.workspaces().wants_running(&record.id).await.unwrap());

        store
            .workspaces()
            .set_want_running(&record.id, false)
            .await
            .unwrap();
        let stored = &store.workspaces().all().await.unwrap()[0];
        assert_eq!((stored.notice, stored.want_running), (None, Some(false)));
        assert!(!store.workspaces().wants_running(&record.id).await.unwrap());
        assert!(!store.workspaces().wants_running("gone").await.unwrap());
    }

    #[tokio::test]
    async fn the_wanted_state_of_an_older_workspace_is_learned_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).await.unwrap();
        let record = sample("old", None);
        store.workspaces().insert(&record).await.unwrap();
        // As a row from before the column existed.
        sqlx::query("UPDATE workspaces SET want_running = NULL")
            .execute(&store.pool)
            .await
            .unwrap();
        assert!(!store.workspaces().wants_running(&record.id).await.unwrap());

        store
            .workspaces()
            .learn_want_running(&record.id, true)
            .await
            .unwrap();
        assert!(store.workspaces().wants_running(&record.id).await.unwrap());
        store
            .workspaces()
            .learn_want_running(&record.id, false)
            .await
            .unwrap();
        assert!(
            store.workspaces().wants_running(&record.id).await.unwrap(),
            "a known state is not overwritten"
        );
    }
}
