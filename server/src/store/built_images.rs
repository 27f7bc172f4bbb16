//! Images built from a workspace's repository, and whose they are: their Dockerfile may
//! have copied in that user's files, so only they (and admins) start workspaces from them.

use sqlx::Row;

use super::StoreError;

narrow_store! {
    /// The images built from repositories, and whose they are.
    BuiltImageStore, built_images
}

impl BuiltImageStore {
    /// Records that `reference` is built for `owner_id` (again is fine).
    pub async fn record_built_image(
        &self,
        reference: &str,
        owner_id: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO built_images (reference, owner_id, created_at) VALUES (?, ?, ?)
             ON CONFLICT (reference) DO UPDATE SET owner_id = excluded.owner_id",
        )
        .bind(reference)
        .bind(owner_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The images built for `owner_id`, newest first.
    pub async fn built_images(&self, owner_id: i64) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT reference FROM built_images WHERE owner_id = ? ORDER BY created_at DESC",
        )
        .bind(owner_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|row| row.get("reference")).collect())
    }
}
