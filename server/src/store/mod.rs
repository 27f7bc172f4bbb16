//! SQLite storage (sqlx, embedded migrations) for what Docker does not know about a
//! workspace: its id, limits as requested, volume name and creation time.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use app::model::{Limits, WorkspaceName};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("a workspace named {0} already exists")]
    NameTaken(String),
    #[error("cannot open the database {path}: {source}")]
    Open { path: String, source: sqlx::Error },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the database holds an invalid row: {0}")]
    Corrupt(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct WorkspaceRecord {
    pub id: String,
    pub name: WorkspaceName,
    pub image: String,
    pub limits: Limits,
    pub volume: String,
    pub container_id: Option<String>,
    pub created_at: i64,
}

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the database file and applies pending migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let open_error = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| open_error(sqlx::Error::Io(e)))?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(open_error)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(open_error)?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
    }

    pub async fn insert(&self, record: &WorkspaceRecord) -> Result<(), StoreError> {
        let result = sqlx::query(
            "INSERT INTO workspaces (id, name, image, cpus, memory_mib, volume, container_id, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&record.id)
        .bind(record.name.as_str())
        .bind(&record.image)
        .bind(record.limits.cpus)
        .bind(record.limits.memory_mib as i64)
        .bind(&record.volume)
        .bind(&record.container_id)
        .bind(record.created_at)
        .execute(&self.pool)
        .await;
        match result {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::NameTaken(record.name.to_string()))
            }
            other => other.map(drop).map_err(StoreError::from),
        }
    }

    pub async fn set_container(&self, id: &str, container_id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE workspaces SET container_id = ? WHERE id = ?")
            .bind(container_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn find(&self, name: &WorkspaceName) -> Result<Option<WorkspaceRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM workspaces WHERE name = ?")
            .bind(name.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| record(&r)).transpose()
    }

    pub async fn all(&self) -> Result<Vec<WorkspaceRecord>, StoreError> {
        let rows = sqlx::query("SELECT * FROM workspaces ORDER BY created_at, name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(record).collect()
    }

    pub async fn delete(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM workspaces WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

fn record(row: &sqlx::sqlite::SqliteRow) -> Result<WorkspaceRecord, StoreError> {
    let name: String = row.try_get("name")?;
    let memory_mib: i64 = row.try_get("memory_mib")?;
    Ok(WorkspaceRecord {
        id: row.try_get("id")?,
        name: WorkspaceName::parse(&name).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        image: row.try_get("image")?,
        limits: Limits {
            cpus: row.try_get("cpus")?,
            memory_mib: u64::try_from(memory_mib)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        },
        volume: row.try_get("volume")?,
        container_id: row.try_get("container_id")?,
        created_at: row.try_get("created_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> WorkspaceRecord {
        WorkspaceRecord {
            id: format!("id-{name}"),
            name: WorkspaceName::parse(name).unwrap(),
            image: "img".into(),
            limits: Limits {
                cpus: 0.5,
                memory_mib: 256,
            },
            volume: format!("vol-{name}"),
            container_id: None,
            created_at: 1,
        }
    }

    #[tokio::test]
    async fn round_trips_and_enforces_unique_names_in_a_real_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/aicockpit.db");
        let store = Store::open(&path).await.unwrap();
        store.insert(&sample("alpha")).await.unwrap();
        store.set_container("id-alpha", "c1").await.unwrap();
        let taken = store
            .insert(&WorkspaceRecord {
                id: "other".into(),
                ..sample("alpha")
            })
            .await;
        assert!(matches!(taken, Err(StoreError::NameTaken(n)) if n == "alpha"));

        // Reopening the same file keeps the data and re-running migrations is harmless.
        drop(store);
        let store = Store::open(&path).await.unwrap();
        let found = store
            .find(&WorkspaceName::parse("alpha").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.container_id.as_deref(), Some("c1"));
        assert_eq!(
            found.limits,
            Limits {
                cpus: 0.5,
                memory_mib: 256
            }
        );
        store.delete("id-alpha").await.unwrap();
        assert!(store.all().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn an_unwritable_path_is_a_clear_error() {
        let err = Store::open(Path::new("/proc/aicockpit/x.db"))
            .await
            .err()
            .unwrap();
        assert!(err.to_string().contains("/proc/aicockpit/x.db"), "{err}");
    }
}
