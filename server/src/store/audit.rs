//! The audit log: who did what, when, to which workspace, from where. The application only
//! inserts; the database refuses updates and deletes (see the migration's triggers).

use app::auth::AuditFilter;
use sqlx::Row;

use super::StoreError;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuditEntry {
    pub at: i64,
    /// The user's name, or `None` before anyone signed in (a failed sign-in).
    pub actor: Option<String>,
    /// What happened, e.g. `sign-in`, `sign-in-failed`, `workspace-create`.
    pub action: String,
    /// `owner/name`.
    pub workspace: Option<String>,
    pub detail: Option<String>,
    /// The client's address.
    pub address: Option<String>,
}

narrow_store! {
    /// The audit log.
    AuditStore, audit
}

impl AuditStore {
    pub async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit (at, actor, action, workspace, detail, address) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(entry.at)
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.workspace)
        .bind(&entry.detail)
        .bind(&entry.address)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest entries first, at most `limit`, narrowed by `filter`; with `concerning`,
    /// only what that user did or what happened to their workspaces.
    pub async fn audit(
        &self,
        filter: &AuditFilter,
        concerning: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let given = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let rows = sqlx::query(
            "SELECT * FROM audit
             WHERE (?1 IS NULL OR actor = ?1)
               AND (?2 IS NULL OR action LIKE ?2 || '%')
               AND (?3 IS NULL OR workspace LIKE '%' || ?3 || '%')
               AND (?4 IS NULL OR actor = ?4 OR workspace LIKE ?4 || '/%')
             ORDER BY id DESC LIMIT ?5",
        )
        .bind(given(&filter.actor))
        .bind(given(&filter.action))
        .bind(given(&filter.workspace))
        .bind(concerning)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    workspace: r.try_get("workspace")?,
                    detail: r.try_get("detail")?,
                    address: r.try_get("address")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[tokio::test]
    async fn the_log_cannot_be_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.db")).await.unwrap();
        let entry = AuditEntry {
            at: 5,
            actor: Some("ada".into()),
            action: "sign-in".into(),
            ..AuditEntry::default()
        };
        store.audit().append_audit(&entry).await.unwrap();
        let other = AuditEntry {
            actor: Some("bob".into()),
            action: "file-write".into(),
            workspace: Some("ada/web".into()),
            ..entry.clone()
        };
        store.audit().append_audit(&other).await.unwrap();
        let everything = AuditFilter::default();
        assert_eq!(
            store.audit().audit(&everything, None, 10).await.unwrap(),
            vec![other.clone(), entry.clone()]
        );
        // Ada sees her own sign-in and what Bob did in her workspace; Bob only his write.
        assert_eq!(
            store
                .audit()
                .audit(&everything, Some("ada"), 10)
                .await
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            store
                .audit()
                .audit(&everything, Some("bob"), 10)
                .await
                .unwrap(),
            vec![other.clone()]
        );
        let files = AuditFilter {
            action: "file".into(),
            ..AuditFilter::default()
        };
        assert_eq!(
            store.audit().audit(&files, None, 10).await.unwrap(),
            vec![other]
        );
        for statement in ["UPDATE audit SET actor = 'eve'", "DELETE FROM audit"] {
            let refused = sqlx::query(statement).execute(&store.pool).await;
            assert!(
                refused.unwrap_err().to_string().contains("append-only"),
                "{statement}"
            );
        }
    }
}
