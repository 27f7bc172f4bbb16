//! Deletes under way. A workspace being deleted is no longer listed, found or recovered;
//! the record goes last, so a delete cut short is found again and finished.

use super::workspaces::{record, SELECT_ALL_WORKSPACES};
use super::{StoreError, WorkspaceRecord, WorkspaceStore};

impl WorkspaceStore {
    /// Marks the workspace as being deleted (and no longer wanted running), before anything
    /// of it is removed.
    pub async fn begin_delete(&self, id: &str, keep_volume: bool) -> Result<(), StoreError> {
        sqlx::query("UPDATE workspaces SET deleting = ?, want_running = 0 WHERE id = ?")
            .bind(!keep_volume)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Workspaces whose delete was cut short, each with whether its files are kept.
    pub async fn being_deleted(&self) -> Result<Vec<(WorkspaceRecord, bool)>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SELECT_ALL_WORKSPACES} WHERE w.deleting IS NOT NULL"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let files_go: bool = sqlx::Row::try_get(row, "deleting")?;
                Ok((record(row)?, !files_go))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::store::tests::sample;
    use crate::store::Store;

    #[tokio::test]
    async fn a_workspace_being_deleted_is_only_found_to_finish_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).await.unwrap();
        let (going, staying) = (sample("going", None), sample("staying", None));
        store.workspaces().insert(&going).await.unwrap();
        store.workspaces().insert(&staying).await.unwrap();
        store
            .workspaces()
            .begin_delete(&going.id, true)
            .await
            .unwrap();

        let all: Vec<String> = store
            .workspaces()
            .all()
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(all, vec![staying.id]);
        let pending = store.workspaces().being_deleted().await.unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(
            (pending[0].0.id.as_str(), pending[0].1),
            (going.id.as_str(), true)
        );
        assert_eq!(pending[0].0.want_running, Some(false));
        assert!(!store.workspaces().wants_running(&going.id).await.unwrap());
    }
}
