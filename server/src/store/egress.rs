//! The destinations each workspace's processes asked the egress proxy for, allowed and
//! refused, counted per destination and verdict so the log stays small however busy the
//! workspace is.

use app::model::EgressRecord;
use sqlx::Row;

use super::StoreError;

/// Destinations shown per workspace, the newest first.
pub const SHOWN: i64 = 200;

narrow_store! {
    /// The egress log.
    EgressStore, egress
}

impl EgressStore {
    /// Counts one more ask for `host:port` with its verdict.
    pub async fn record_egress(
        &self,
        workspace_id: &str,
        host: &str,
        port: u16,
        allowed: bool,
        reason: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO egress_log (workspace_id, host, port, allowed, reason, count, first_at, last_at)
             VALUES (?, ?, ?, ?, ?, 1, ?, ?)
             ON CONFLICT (workspace_id, host, port, allowed)
             DO UPDATE SET count = count + 1, reason = excluded.reason, last_at = excluded.last_at",
        )
        .bind(workspace_id)
        .bind(host)
        .bind(i64::from(port))
        .bind(allowed)
        .bind(reason)
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The workspace's destinations, the most recently asked first.
    pub async fn egress_log(&self, workspace_id: &str) -> Result<Vec<EgressRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT host, port, allowed, reason, count, last_at FROM egress_log
             WHERE workspace_id = ? ORDER BY last_at DESC, host LIMIT ?",
        )
        .bind(workspace_id)
        .bind(SHOWN)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|row| EgressRecord {
                host: row.get("host"),
                port: row.get::<i64, _>("port").clamp(0, i64::from(u16::MAX)) as u16,
                allowed: row.get("allowed"),
                reason: row.get("reason"),
                count: row.get::<i64, _>("count").max(0) as u64,
                last_at: row.get("last_at"),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use crate::store::tests::sample;
    use crate::store::Store;

    #[tokio::test]
    async fn asks_are_counted_per_destination_and_verdict_and_go_with_the_workspace() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("e.db")).await.unwrap();
        store
            .workspaces()
            .insert(&sample("web", None))
            .await
            .unwrap();
        let id = "id-web";
        store
            .egress()
            .record_egress(id, "pypi.org", 443, true, "allowed", 10)
            .await
            .unwrap();
        store
            .egress()
            .record_egress(id, "pypi.org", 443, true, "allowed", 20)
            .await
            .unwrap();
        store
            .egress()
            .record_egress(id, "evil.example", 443, false, "not listed", 15)
            .await
            .unwrap();
        let log = store.egress().egress_log(id).await.unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!(
            (log[0].host.as_str(), log[0].count, log[0].last_at),
            ("pypi.org", 2, 20)
        );
        assert!(!log[1].allowed && log[1].reason == "not listed");
        store.workspaces().delete(id).await.unwrap();
        assert!(store.egress().egress_log(id).await.unwrap().is_empty());
    }
}
