//! SQLite storage (sqlx, embedded migrations) for what Docker does not know: a workspace's
//! id, owner, limits as requested, volume name and creation time (here), and users,
//! sessions, tokens, shares, the audit log, settings, AI conversations and agent runs (in
//! the sibling files).

mod agent_runs;
mod audit;
mod built_images;
mod conversations;
mod creations;
mod deleting;
mod egress;
mod preview_links;
mod settings;
mod shares;
mod templates;
mod users;
mod wanted;

pub use agent_runs::StoredRun;
pub use audit::AuditEntry;
pub use conversations::ConversationOwner;
pub use creations::{CreationStore, StoredCreation};
pub use preview_links::PreviewLinkRecord;
pub use templates::{StoredTemplate, WorkspaceSetup};
pub use users::{NewTokenRecord, SessionUser, TokenRecord, TokenUser, UserRecord};

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use app::auth::UserName;
use app::model::{Limits, NetworkLevel, Notice, WorkspaceName};
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
    #[error("a user named {0} already exists")]
    UserTaken(String),
}

/// Now, in the Unix seconds every table stores.
pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Who owns a workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct Owner {
    pub id: i64,
    pub name: UserName,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WorkspaceRecord {
    pub id: String,
    /// `None` for a workspace made before accounts existed (until the first admin).
    pub owner: Option<Owner>,
    pub name: WorkspaceName,
    pub image: String,
    pub limits: Limits,
    pub volume: String,
    pub container_id: Option<String>,
    pub created_at: i64,
    /// Whether it should be running: its last create, start or stop; `None`: nobody asked
    /// here (adopted from the engine, or made before this was recorded).
    pub want_running: Option<bool>,
    pub notice: Option<Notice>,
    /// The idle time its owner chose, minutes (0: never); `None`: the server's default.
    pub idle_minutes: Option<u32>,
    /// What it keeps of the template it was made from.
    pub setup: Option<WorkspaceSetup>,
    /// Where its processes may connect to.
    pub network: NetworkLevel,
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
            "INSERT INTO workspaces (id, owner_id, name, image, cpus, memory_mib, processes, volume, container_id, created_at, want_running, setup, idle_minutes, network)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&record.id)
        .bind(record.owner.as_ref().map(|o| o.id))
        .bind(record.name.as_str())
        .bind(&record.image)
        .bind(record.limits.cpus)
        .bind(record.limits.memory_mib as i64)
        .bind(record.limits.processes)
        .bind(&record.volume)
        .bind(&record.container_id)
        .bind(record.created_at)
        .bind(record.want_running)
        .bind(WorkspaceSetup::to_json(record.setup.as_ref()))
        .bind(record.idle_minutes.map(i64::from))
        .bind(record.network.as_str())
        .execute(&self.pool)
        .await;
        match result {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::NameTaken(record.name.to_string()))
            }
            other => other.map(drop).map_err(StoreError::from),
        }
    }

    pub async fn set_limits(&self, id: &str, limits: Limits) -> Result<(), StoreError> {
        sqlx::query("UPDATE workspaces SET cpus = ?, memory_mib = ?, processes = ? WHERE id = ?")
            .bind(limits.cpus)
            .bind(limits.memory_mib as i64)
            .bind(limits.processes)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_idle_minutes(&self, id: &str, minutes: Option<u32>) -> Result<(), StoreError> {
        sqlx::query("UPDATE workspaces SET idle_minutes = ? WHERE id = ?")
            .bind(minutes)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_network(&self, id: &str, level: NetworkLevel) -> Result<(), StoreError> {
        sqlx::query("UPDATE workspaces SET network = ? WHERE id = ?")
            .bind(level.as_str())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The workspace with this id, unless it is being deleted.
    pub async fn find_by_id(&self, id: &str) -> Result<Option<WorkspaceRecord>, StoreError> {
        let row = sqlx::query(&format!("{SELECT_WORKSPACES} AND w.id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| record(&r)).transpose()
    }

    pub async fn set_container(&self, id: &str, container_id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE workspaces SET container_id = ? WHERE id = ?")
            .bind(container_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn find(
        &self,
        owner: &UserName,
        name: &WorkspaceName,
    ) -> Result<Option<WorkspaceRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "{SELECT_WORKSPACES} AND u.name = ? AND w.name = ?"
        ))
        .bind(owner.as_str())
        .bind(name.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| record(&r)).transpose()
    }

    pub async fn all(&self) -> Result<Vec<WorkspaceRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SELECT_WORKSPACES} ORDER BY w.created_at, w.name"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(record).collect()
    }

    /// The workspaces a user owns or was given a share of.
    pub async fn visible_to(&self, user_id: i64) -> Result<Vec<WorkspaceRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SELECT_WORKSPACES} AND (w.owner_id = ?
             OR w.id IN (SELECT workspace_id FROM shares WHERE user_id = ?))
             ORDER BY w.created_at, w.name"
        ))
        .bind(user_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(record).collect()
    }

    /// Gives workspaces made before accounts existed to `owner` (the first admin).
    pub async fn adopt_unowned(&self, owner: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("UPDATE workspaces SET owner_id = ? WHERE owner_id IS NULL")
            .bind(owner)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn delete(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM workspaces WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Every workspace row, those being deleted included.
const SELECT_ALL_WORKSPACES: &str =
    "SELECT w.*, u.name AS owner_name FROM workspaces w LEFT JOIN users u ON u.id = w.owner_id";
/// The workspaces that exist for everyone: not those being deleted. Queries add `AND …`.
const SELECT_WORKSPACES: &str =
    "SELECT w.*, u.name AS owner_name FROM workspaces w LEFT JOIN users u ON u.id = w.owner_id
     WHERE w.deleting IS NULL";

fn corrupt(error: impl ToString) -> StoreError {
    StoreError::Corrupt(error.to_string())
}

fn record(row: &sqlx::sqlite::SqliteRow) -> Result<WorkspaceRecord, StoreError> {
    let name: String = row.try_get("name")?;
    let memory_mib: i64 = row.try_get("memory_mib")?;
    let processes: i64 = row.try_get("processes")?;
    let owner_id: Option<i64> = row.try_get("owner_id")?;
    let owner_name: Option<String> = row.try_get("owner_name")?;
    let owner = match (owner_id, owner_name) {
        (Some(id), Some(name)) => Some(Owner {
            id,
            name: UserName::parse(&name).map_err(corrupt)?,
        }),
        _ => None,
    };
    Ok(WorkspaceRecord {
        id: row.try_get("id")?,
        owner,
        name: WorkspaceName::parse(&name).map_err(corrupt)?,
        image: row.try_get("image")?,
        limits: Limits {
            cpus: row.try_get("cpus")?,
            memory_mib: u64::try_from(memory_mib).map_err(corrupt)?,
            processes: u32::try_from(processes).map_err(corrupt)?,
        },
        volume: row.try_get("volume")?,
        container_id: row.try_get("container_id")?,
        created_at: row.try_get("created_at")?,
        want_running: row.try_get("want_running")?,
        notice: wanted::notice(row)?,
        idle_minutes: row
            .try_get::<Option<i64>, _>("idle_minutes")?
            .map(u32::try_from)
            .transpose()
            .map_err(corrupt)?,
        setup: WorkspaceSetup::from_json(row.try_get("setup")?)?,
        network: {
            let level: String = row.try_get("network")?;
            NetworkLevel::parse(&level).ok_or_else(|| corrupt(format!("network level {level}")))?
        },
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use app::auth::{Role, ShareRole};

    pub(crate) fn sample(name: &str, owner: Option<Owner>) -> WorkspaceRecord {
        WorkspaceRecord {
            id: format!("id-{name}"),
            owner,
            name: WorkspaceName::parse(name).unwrap(),
            image: "img".into(),
            limits: Limits {
                cpus: 0.5,
                memory_mib: 256,
                processes: 128,
            },
            volume: format!("vol-{name}"),
            container_id: None,
            created_at: 1,
            want_running: Some(true),
            notice: None,
            idle_minutes: None,
            setup: None,
            network: NetworkLevel::Allowlist,
        }
    }

    pub(crate) fn user(name: &str) -> UserName {
        UserName::parse(name).unwrap()
    }

    #[tokio::test]
    async fn round_trips_and_enforces_unique_names_per_owner_in_a_real_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/aicockpit.db");
        let store = Store::open(&path).await.unwrap();
        let ada = store
            .insert_user(&user("ada"), "h", Role::Admin, 0)
            .await
            .unwrap();
        let bob = store
            .insert_user(&user("bob"), "h", Role::Member, 0)
            .await
            .unwrap();
        let owner = |id, name: &str| {
            Some(Owner {
                id,
                name: user(name),
            })
        };
        store
            .insert(&sample("alpha", owner(ada, "ada")))
            .await
            .unwrap();
        store.set_container("id-alpha", "c1").await.unwrap();
        let taken = store
            .insert(&WorkspaceRecord {
                id: "other".into(),
                ..sample("alpha", owner(ada, "ada"))
            })
            .await;
        assert!(matches!(taken, Err(StoreError::NameTaken(n)) if n == "alpha"));
        // Another owner may use the same name.
        let bobs = WorkspaceRecord {
            id: "bobs".into(),
            ..sample("alpha", owner(bob, "bob"))
        };
        store.insert(&bobs).await.unwrap();

        // Reopening the same file keeps the data and re-running migrations is harmless.
        drop(store);
        let store = Store::open(&path).await.unwrap();
        let found = store
            .find(&user("ada"), &WorkspaceName::parse("alpha").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.container_id.as_deref(), Some("c1"));
        assert_eq!(found.owner.map(|o| o.name), Some(user("ada")));
        assert_eq!(
            found.limits,
            Limits {
                cpus: 0.5,
                memory_mib: 256,
                processes: 128
            }
        );
        assert_eq!(store.visible_to(bob).await.unwrap(), vec![bobs]);
        store
            .put_share("id-alpha", bob, ShareRole::Viewer)
            .await
            .unwrap();
        assert_eq!(store.visible_to(bob).await.unwrap().len(), 2);
        store.delete("id-alpha").await.unwrap();
        store.delete("bobs").await.unwrap();
        assert!(store.all().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn the_first_admin_receives_the_workspaces_made_before_accounts() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.db")).await.unwrap();
        store.insert(&sample("old", None)).await.unwrap();
        store
            .insert_user(&user("bob"), "h", Role::Member, 0)
            .await
            .unwrap();
        assert!(store.all().await.unwrap()[0].owner.is_none());
        let ada = store
            .insert_user(&user("ada"), "h", Role::Admin, 0)
            .await
            .unwrap();
        assert_eq!(
            store.all().await.unwrap()[0].owner.as_ref().map(|o| o.id),
            Some(ada)
        );
        let again = store.insert_user(&user("ada"), "h", Role::Admin, 0).await;
        assert!(matches!(again, Err(StoreError::UserTaken(n)) if n == "ada"));
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
