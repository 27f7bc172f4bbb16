//! Share links for a workspace's port. The link a user holds is a signed grant naming the
//! row; a link is valid while its row exists, it has not expired and whoever made it has
//! not been disabled.

use sqlx::Row;

use super::StoreError;

#[derive(Debug, Clone, PartialEq)]
pub struct PreviewLinkRecord {
    pub id: i64,
    pub workspace_id: String,
    pub port: u16,
    pub created_by: i64,
    pub created_by_name: String,
    pub expires_at: i64,
}

const SELECT: &str = "SELECT l.id, l.workspace_id, l.port, l.created_by, u.name AS created_by_name,
        l.expires_at
     FROM preview_links l JOIN users u ON u.id = l.created_by";

fn link(row: &sqlx::sqlite::SqliteRow) -> PreviewLinkRecord {
    PreviewLinkRecord {
        id: row.get("id"),
        workspace_id: row.get("workspace_id"),
        port: row.get::<i64, _>("port").clamp(0, u16::MAX as i64) as u16,
        created_by: row.get("created_by"),
        created_by_name: row.get("created_by_name"),
        expires_at: row.get("expires_at"),
    }
}

narrow_store! {
    /// The preview links.
    PreviewLinkStore, preview_links
}

impl PreviewLinkStore {
    pub async fn insert_preview_link(
        &self,
        workspace_id: &str,
        port: u16,
        created_by: i64,
        now: i64,
        expires_at: i64,
    ) -> Result<i64, StoreError> {
        let id = sqlx::query(
            "INSERT INTO preview_links (workspace_id, port, created_by, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(workspace_id)
        .bind(port as i64)
        .bind(created_by)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?
        .last_insert_rowid();
        Ok(id)
    }

    /// The link, unless it was revoked, expired at `now`, or its maker was disabled.
    pub async fn live_preview_link(
        &self,
        id: i64,
        now: i64,
    ) -> Result<Option<PreviewLinkRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "{SELECT} WHERE l.id = ? AND l.expires_at > ? AND u.disabled = 0"
        ))
        .bind(id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(link))
    }

    /// The workspace's links that have not expired at `now`, newest first.
    pub async fn preview_links(
        &self,
        workspace_id: &str,
        now: i64,
    ) -> Result<Vec<PreviewLinkRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE l.workspace_id = ? AND l.expires_at > ? ORDER BY l.id DESC"
        ))
        .bind(workspace_id)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(link).collect())
    }

    /// Revokes the link; false when the workspace has no such link.
    pub async fn delete_preview_link(
        &self,
        workspace_id: &str,
        id: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM preview_links WHERE id = ? AND workspace_id = ?")
            .bind(id)
            .bind(workspace_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{sample, user};
    use super::super::Owner;
    use crate::store::Store;
    use app::auth::Role;

    #[tokio::test]
    async fn links_live_until_expired_revoked_their_maker_disabled_or_workspace_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).await.unwrap();
        let ada = store
            .users()
            .insert_user(&user("ada"), "h", Role::Member, 0)
            .await
            .unwrap();
        let owner = Owner {
            id: ada,
            name: user("ada"),
        };
        let record = sample("web", Some(owner));
        store.workspaces().insert(&record).await.unwrap();
        let hour = store
            .preview_links()
            .insert_preview_link(&record.id, 8000, ada, 0, 3_600)
            .await
            .unwrap();
        let day = store
            .preview_links()
            .insert_preview_link(&record.id, 3000, ada, 0, 86_400)
            .await
            .unwrap();

        let live = store
            .preview_links()
            .live_preview_link(hour, 10)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((live.port, live.created_by_name.as_str()), (8000, "ada"));
        assert_eq!(
            store
                .preview_links()
                .live_preview_link(hour, 3_600)
                .await
                .unwrap(),
            None
        );
        let listed = store
            .preview_links()
            .preview_links(&record.id, 4_000)
            .await
            .unwrap();
        assert_eq!(listed.iter().map(|l| l.id).collect::<Vec<_>>(), [day]);

        assert!(!store
            .preview_links()
            .delete_preview_link("id-other", day)
            .await
            .unwrap());
        assert!(store
            .preview_links()
            .delete_preview_link(&record.id, day)
            .await
            .unwrap());
        assert_eq!(
            store
                .preview_links()
                .live_preview_link(day, 10)
                .await
                .unwrap(),
            None
        );

        let again = store
            .preview_links()
            .insert_preview_link(&record.id, 8000, ada, 0, 3_600)
            .await
            .unwrap();
        store.users().set_disabled(ada, true).await.unwrap();
        assert_eq!(
            store
                .preview_links()
                .live_preview_link(again, 10)
                .await
                .unwrap(),
            None
        );
        store.users().set_disabled(ada, false).await.unwrap();
        store.workspaces().delete(&record.id).await.unwrap();
        assert_eq!(
            store
                .preview_links()
                .live_preview_link(again, 10)
                .await
                .unwrap(),
            None
        );
    }
}
