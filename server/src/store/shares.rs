//! Shares: a workspace given to another user as viewer or editor.

use app::auth::{ShareRole, UserName};
use sqlx::Row;

use super::{corrupt, StoreError};

fn role_text(role: ShareRole) -> &'static str {
    role.label()
}

fn parse_role(text: &str) -> Result<ShareRole, StoreError> {
    match text {
        "viewer" => Ok(ShareRole::Viewer),
        "editor" => Ok(ShareRole::Editor),
        other => Err(corrupt(format!("unknown share role {other}"))),
    }
}

narrow_store! {
    /// The shares of workspaces.
    ShareStore, shares
}

impl ShareStore {
    /// The share a user has of a workspace, if any.
    pub async fn share_of(
        &self,
        workspace_id: &str,
        user_id: i64,
    ) -> Result<Option<ShareRole>, StoreError> {
        let role: Option<String> =
            sqlx::query_scalar("SELECT role FROM shares WHERE workspace_id = ? AND user_id = ?")
                .bind(workspace_id)
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?;
        role.as_deref().map(parse_role).transpose()
    }

    /// Shares a workspace, or changes the role of an existing share.
    pub async fn put_share(
        &self,
        workspace_id: &str,
        user_id: i64,
        role: ShareRole,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO shares (workspace_id, user_id, role) VALUES (?, ?, ?)
             ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(workspace_id)
        .bind(user_id)
        .bind(role_text(role))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn delete_share(&self, workspace_id: &str, user_id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM shares WHERE workspace_id = ? AND user_id = ?")
            .bind(workspace_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Who a workspace is shared with, by name.
    pub async fn shares(
        &self,
        workspace_id: &str,
    ) -> Result<Vec<(UserName, ShareRole)>, StoreError> {
        let rows = sqlx::query(
            "SELECT u.name, s.role FROM shares s JOIN users u ON u.id = s.user_id
             WHERE s.workspace_id = ? ORDER BY u.name",
        )
        .bind(workspace_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let name: String = r.try_get("name")?;
                let role: String = r.try_get("role")?;
                Ok((UserName::parse(&name).map_err(corrupt)?, parse_role(&role)?))
            })
            .collect()
    }
}
