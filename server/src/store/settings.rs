//! Server-wide settings changed at run time, by key.

use sqlx::Row;

use super::StoreError;

narrow_store! {
    /// The server's settings.
    SettingStore, settings
}

impl SettingStore {
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.get("value")))
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES (?, ?)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::store::Store;

    #[tokio::test]
    async fn settings_are_kept_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).await.unwrap();
        assert_eq!(store.settings().setting("k").await.unwrap(), None);
        store.settings().set_setting("k", "a").await.unwrap();
        store.settings().set_setting("k", "b").await.unwrap();
        assert_eq!(
            store.settings().setting("k").await.unwrap().as_deref(),
            Some("b")
        );
    }
}
