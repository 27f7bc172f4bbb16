//! SQLite storage (sqlx, embedded migrations) for what Docker does not know: workspaces,
//! users, sessions, tokens, shares, the audit log, settings, AI conversations, agent runs,
//! templates, preview links, egress, creations and SSH keys, one file per table.
//!
//! [`Store`] only opens the database and hands out narrow handles, one per table or group
//! of tables, so each service is given what it reads and writes and nothing else.

/// Declares a handle on some tables of the store and [`Store`]'s accessor for it.
macro_rules! narrow_store {
    ($(#[$doc:meta])* $name:ident, $accessor:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name {
            pub(super) pool: sqlx::SqlitePool,
        }

        impl super::Store {
            pub fn $accessor(&self) -> $name {
                $name {
                    pool: self.pool.clone(),
                }
            }
        }
    };
}

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
mod ssh_keys;
mod templates;
mod users;
mod wanted;
mod workspaces;

pub use agent_runs::{AgentRunStore, StoredRun};
pub use audit::{AuditEntry, AuditStore};
pub use built_images::BuiltImageStore;
pub use conversations::{ConversationOwner, ConversationStore};
pub use creations::{CreationStore, StoredCreation};
pub use egress::EgressStore;
pub use preview_links::{PreviewLinkRecord, PreviewLinkStore};
pub use settings::SettingStore;
pub use shares::ShareStore;
pub use ssh_keys::{NewSshKey, SshKeyStore};
pub use templates::{StoredTemplate, TemplateStore, WorkspaceSetup};
pub use users::{NewTokenRecord, SessionUser, TokenRecord, TokenUser, UserRecord, UserStore};
pub use workspaces::{Owner, WorkspaceRecord, WorkspaceStore};

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

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
    #[error("the SSH key {0} already belongs to an account")]
    KeyTaken(String),
}

/// Now, in the Unix seconds every table stores.
pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
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
}

fn corrupt(error: impl ToString) -> StoreError {
    StoreError::Corrupt(error.to_string())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use app::auth::{Role, ShareRole, UserName};
    use app::model::{Limits, NetworkLevel, WorkspaceName};

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
            .users()
            .insert_user(&user("ada"), "h", Role::Admin, 0)
            .await
            .unwrap();
        let bob = store
            .users()
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
            .workspaces()
            .insert(&sample("alpha", owner(ada, "ada")))
            .await
            .unwrap();
        store
            .workspaces()
            .set_container("id-alpha", "c1")
            .await
            .unwrap();
        let taken = store
            .workspaces()
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
        store.workspaces().insert(&bobs).await.unwrap();

        // Reopening the same file keeps the data and re-running migrations is harmless.
        drop(store);
        let store = Store::open(&path).await.unwrap();
        let found = store
            .workspaces()
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
        assert_eq!(
            store.workspaces().visible_to(bob).await.unwrap(),
            vec![bobs]
        );
        store
            .shares()
            .put_share("id-alpha", bob, ShareRole::Viewer)
            .await
            .unwrap();
        assert_eq!(store.workspaces().visible_to(bob).await.unwrap().len(), 2);
        store.workspaces().delete("id-alpha").await.unwrap();
        store.workspaces().delete("bobs").await.unwrap();
        assert!(store.workspaces().all().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn the_first_admin_receives_the_workspaces_made_before_accounts() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.db")).await.unwrap();
        store
            .workspaces()
            .insert(&sample("old", None))
            .await
            .unwrap();
        store
            .users()
            .insert_user(&user("bob"), "h", Role::Member, 0)
            .await
            .unwrap();
        assert!(store.workspaces().all().await.unwrap()[0].owner.is_none());
        let ada = store
            .users()
            .insert_user(&user("ada"), "h", Role::Admin, 0)
            .await
            .unwrap();
        assert_eq!(
            store.workspaces().all().await.unwrap()[0]
                .owner
                .as_ref()
                .map(|o| o.id),
            Some(ada)
        );
        let again = store
            .users()
            .insert_user(&user("ada"), "h", Role::Admin, 0)
            .await;
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
