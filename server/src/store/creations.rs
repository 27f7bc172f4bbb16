//! Workspaces being made as a job (the `creation` module): the request and the job's view, kept
//! so a restart reports where each stopped and can resume it. The jobs reach only this
//! table, through [`CreationStore`].

use app::model::{CreateWorkspaceRequest, CreationState, CreationView};
use sqlx::Row;

use super::{corrupt, StoreError};

/// A creation as stored.
#[derive(Debug, Clone)]
pub struct StoredCreation {
    pub user_id: i64,
    pub request: CreateWorkspaceRequest,
    pub view: CreationView,
    pub workspace_id: Option<String>,
}

narrow_store! {
    /// The creations table, and nothing else of the store.
    CreationStore, creations
}

fn stored(row: &sqlx::sqlite::SqliteRow) -> Result<StoredCreation, StoreError> {
    let json = |column: &str| -> Result<String, StoreError> { Ok(row.try_get(column)?) };
    Ok(StoredCreation {
        user_id: row.try_get("user_id")?,
        request: serde_json::from_str(&json("request")?).map_err(corrupt)?,
        view: serde_json::from_str(&json("view")?).map_err(corrupt)?,
        workspace_id: row.try_get("workspace_id")?,
    })
}

const SELECT: &str = "SELECT user_id, request, view, workspace_id FROM creations";

impl CreationStore {
    pub async fn insert(
        &self,
        user_id: i64,
        request: &CreateWorkspaceRequest,
        view: &CreationView,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO creations (id, user_id, request, view, state, started_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&view.id)
        .bind(user_id)
        .bind(serde_json::to_string(request).map_err(corrupt)?)
        .bind(serde_json::to_string(view).map_err(corrupt)?)
        .bind(view.state.as_str())
        .bind(view.started_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records where the job is (and the workspace it made, once it did).
    pub async fn update(
        &self,
        view: &CreationView,
        workspace_id: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE creations SET view = ?, state = ?, ended_at = ?,
                workspace_id = COALESCE(?, workspace_id) WHERE id = ?",
        )
        .bind(serde_json::to_string(view).map_err(corrupt)?)
        .bind(view.state.as_str())
        .bind(view.ended_at)
        .bind(workspace_id)
        .bind(&view.id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn find(&self, id: &str) -> Result<Option<StoredCreation>, StoreError> {
        let row = sqlx::query(&format!("{SELECT} WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(stored).transpose()
    }

    /// The user's creations that did not finish, newest first.
    pub async fn unfinished(&self, user_id: i64) -> Result<Vec<StoredCreation>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE user_id = ? AND state != ? ORDER BY started_at DESC LIMIT 20"
        ))
        .bind(user_id)
        .bind(CreationState::Done.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(stored).collect()
    }

    /// Those a server that stopped left running, now said to be interrupted.
    pub async fn interrupt_running(&self, now: i64) -> Result<Vec<CreationView>, StoreError> {
        let rows = sqlx::query(&format!("{SELECT} WHERE state = ?"))
            .bind(CreationState::Running.as_str())
            .fetch_all(&self.pool)
            .await?;
        let mut interrupted = Vec::new();
        for row in &rows {
            let mut view = stored(row)?.view;
            view.state = CreationState::Interrupted;
            view.ended_at = Some(now);
            self.update(&view, None).await?;
            interrupted.push(view);
        }
        Ok(interrupted)
    }

    pub async fn delete(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM creations WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets those over before `before` that finished (the others wait to be dismissed).
    pub async fn forget_done(&self, before: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM creations WHERE state = ? AND ended_at < ?")
            .bind(CreationState::Done.as_str())
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use app::auth::WorkspaceRef;

    #[tokio::test]
    async fn a_running_creation_is_interrupted_by_a_restart_and_kept_until_dismissed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("app.db")).await.unwrap();
        let ada = app::auth::UserName::parse("ada").unwrap();
        let user = store
            .users()
            .insert_user(&ada, "h", app::auth::Role::Member, 1)
            .await
            .unwrap();
        let creations = store.creations();
        let request: CreateWorkspaceRequest = serde_json::from_value(serde_json::json!({
            "name": "web", "image": "debian", "cpus": 1.0, "memory_mib": 512
        }))
        .unwrap();
        let view = CreationView::new("c1".into(), WorkspaceRef::parse("ada/web").unwrap(), 5);
        creations.insert(user, &request, &view).await.unwrap();
        creations.update(&view, Some("w1")).await.unwrap();

        let interrupted = creations.interrupt_running(9).await.unwrap();
        assert_eq!(interrupted.len(), 1);
        let found = creations.find("c1").await.unwrap().unwrap();
        assert_eq!(found.view.state, CreationState::Interrupted);
        assert_eq!(found.workspace_id.as_deref(), Some("w1"));
        assert_eq!(found.request, request);
        assert_eq!(creations.unfinished(user).await.unwrap().len(), 1);
        assert_eq!(
            creations.forget_done(100).await.unwrap(),
            0,
            "only done ones go by themselves"
        );
        creations.delete("c1").await.unwrap();
        assert!(creations.find("c1").await.unwrap().is_none());
    }
}
