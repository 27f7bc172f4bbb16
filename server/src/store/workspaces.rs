//! The workspaces table: what Docker does not know of a workspace (its id, owner, limits as
//! requested, volume, template setup and network level). Whether it should run and its
//! deletion are in the sibling `wanted` and `deleting` files.

use app::auth::UserName;
use app::model::{Limits, NetworkLevel, Notice, WorkspaceName};
use sqlx::Row;

use super::{corrupt, wanted, StoreError, WorkspaceSetup};

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

narrow_store! {
    /// The workspaces table.
    WorkspaceStore, workspaces
}

impl WorkspaceStore {
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

    /// A workspace re-made from another image and set-up (its repository's, say).
    pub async fn set_image_and_setup(
        &self,
        id: &str,
        image: &str,
        setup: &WorkspaceSetup,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE workspaces SET image = ?, setup = ? WHERE id = ?")
            .bind(image)
            .bind(WorkspaceSetup::to_json(Some(setup)))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_setup(&self, id: &str, setup: &WorkspaceSetup) -> Result<(), StoreError> {
        sqlx::query("UPDATE workspaces SET setup = ? WHERE id = ?")
            .bind(WorkspaceSetup::to_json(Some(setup)))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
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
pub(super) const SELECT_ALL_WORKSPACES: &str =
    "SELECT w.*, u.name AS owner_name FROM workspaces w LEFT JOIN users u ON u.id = w.owner_id";
/// The workspaces that exist for everyone: not those being deleted. Queries add `AND …`.
const SELECT_WORKSPACES: &str =
    "SELECT w.*, u.name AS owner_name FROM workspaces w LEFT JOIN users u ON u.id = w.owner_id
     WHERE w.deleting IS NULL";

pub(super) fn record(row: &sqlx::sqlite::SqliteRow) -> Result<WorkspaceRecord, StoreError> {
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
