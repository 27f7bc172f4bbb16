//! Users, sessions and API tokens. Sessions and tokens are stored as SHA-256 hashes of the
//! secrets the clients hold; the secrets themselves never reach the database.

use app::auth::{Grant, Role, Scope, UserName};
use sqlx::query::Query;
use sqlx::sqlite::{Sqlite, SqliteArguments};
use sqlx::Row;

use super::{corrupt, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub id: i64,
    pub name: UserName,
    pub role: Role,
    pub disabled: bool,
    pub password_hash: String,
    pub created_at: i64,
}

/// The user behind a valid session or token.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionUser {
    pub id: i64,
    pub name: UserName,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TokenRecord {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub grant: Grant,
    pub expires_at: Option<i64>,
    /// `owner/name` of the workspace it is limited to.
    pub workspace: Option<String>,
}

/// The user behind a valid token, the token's id and what it may do.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenUser {
    pub user: SessionUser,
    pub id: i64,
    pub grant: Grant,
}

/// A new token as stored: its owner, name, hash, what it may do and until when.
pub struct NewTokenRecord<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub hash: &'a str,
    pub grant: &'a Grant,
    pub expires_at: Option<i64>,
}

/// Scopes as stored: space-separated names.
fn scopes_text(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn parse_scopes(text: &str) -> Vec<Scope> {
    text.split_whitespace().filter_map(Scope::parse).collect()
}

fn grant(row: &sqlx::sqlite::SqliteRow) -> Result<Grant, StoreError> {
    let scopes: String = row.try_get("scopes")?;
    Ok(Grant {
        scopes: parse_scopes(&scopes),
        workspace: row.try_get("workspace_id")?,
    })
}

fn role_text(role: Role) -> &'static str {
    role.label()
}

fn parse_role(text: &str) -> Result<Role, StoreError> {
    match text {
        "admin" => Ok(Role::Admin),
        "member" => Ok(Role::Member),
        other => Err(corrupt(format!("unknown role {other}"))),
    }
}

fn user(row: &sqlx::sqlite::SqliteRow) -> Result<UserRecord, StoreError> {
    let name: String = row.try_get("name")?;
    let role: String = row.try_get("role")?;
    Ok(UserRecord {
        id: row.try_get("id")?,
        name: UserName::parse(&name).map_err(corrupt)?,
        role: parse_role(&role)?,
        disabled: row.try_get("disabled")?,
        password_hash: row.try_get("password_hash")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(super) fn session_user(row: &sqlx::sqlite::SqliteRow) -> Result<SessionUser, StoreError> {
    let name: String = row.try_get("name")?;
    let role: String = row.try_get("role")?;
    Ok(SessionUser {
        id: row.try_get("id")?,
        name: UserName::parse(&name).map_err(corrupt)?,
        role: parse_role(&role)?,
    })
}

narrow_store! {
    /// The users, their sessions and their API tokens.
    UserStore, users
}

impl UserStore {
    pub async fn user_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Adds a user; the first admin also receives the workspaces made before accounts.
    pub async fn insert_user(
        &self,
        name: &UserName,
        password_hash: &str,
        role: Role,
        now: i64,
    ) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO users (name, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(name.as_str())
        .bind(password_hash)
        .bind(role_text(role))
        .bind(now)
        .execute(&mut *tx)
        .await;
        let id = match inserted {
            Ok(done) => done.last_insert_rowid(),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(StoreError::UserTaken(name.to_string()))
            }
            Err(e) => return Err(e.into()),
        };
        // Workspaces made before accounts existed belong to the first admin (counted with
        // this one, inside the transaction that began with a write).
        if role == Role::Admin {
            sqlx::query(
                "UPDATE workspaces SET owner_id = ? WHERE owner_id IS NULL
                 AND (SELECT COUNT(*) FROM users WHERE role = ?) = 1",
            )
            .bind(id)
            .bind(role_text(Role::Admin))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    pub async fn user_by_name(&self, name: &UserName) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM users WHERE name = ?")
            .bind(name.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user).transpose()
    }

    pub async fn user_by_id(&self, id: i64) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM users WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user).transpose()
    }

    pub async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let rows = sqlx::query("SELECT * FROM users ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user).collect()
    }

    /// A new password ends every session of the user.
    pub async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<(), StoreError> {
        let update = sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(password_hash)
            .bind(user_id);
        self.ending_sessions(user_id, update).await
    }

    /// Disabling ends every session at once; the user's tokens stop working while disabled.
    pub async fn set_disabled(&self, user_id: i64, disabled: bool) -> Result<(), StoreError> {
        let update = sqlx::query("UPDATE users SET disabled = ? WHERE id = ?")
            .bind(disabled)
            .bind(user_id);
        self.ending_sessions(user_id, update).await
    }

    /// Runs `update` and ends the user's sessions, both or neither.
    async fn ending_sessions<'q>(
        &self,
        user_id: i64,
        update: Query<'q, Sqlite, SqliteArguments<'q>>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        update.execute(&mut *tx).await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn set_role(&self, user_id: i64, role: Role) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET role = ? WHERE id = ?")
            .bind(role_text(role))
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn insert_session(
        &self,
        id_hash: &str,
        user_id: i64,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        )
        .bind(id_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The enabled user of an unexpired session.
    pub async fn session_user(
        &self,
        id_hash: &str,
        now: i64,
    ) -> Result<Option<SessionUser>, StoreError> {
        let row = sqlx::query(
            "SELECT u.id, u.name, u.role FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id_hash = ? AND s.expires_at > ? AND u.disabled = 0",
        )
        .bind(id_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(session_user).transpose()
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = ? OR expires_at < strftime('%s','now')")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn insert_token(
        &self,
        token: &NewTokenRecord<'_>,
        now: i64,
    ) -> Result<i64, StoreError> {
        let done = sqlx::query(
            "INSERT INTO api_tokens (user_id, name, hash, created_at, scopes, expires_at, workspace_id)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(token.user_id)
        .bind(token.name)
        .bind(token.hash)
        .bind(now)
        .bind(scopes_text(&token.grant.scopes))
        .bind(token.expires_at)
        .bind(&token.grant.workspace)
        .execute(&self.pool)
        .await?;
        Ok(done.last_insert_rowid())
    }

    /// The enabled owner of a token that has not expired at `now`, noting its use.
    pub async fn token_user(&self, hash: &str, now: i64) -> Result<Option<TokenUser>, StoreError> {
        let row = sqlx::query(
            "SELECT u.id, u.name, u.role, t.id AS token_id, t.scopes, t.workspace_id
             FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.hash = ? AND u.disabled = 0 AND (t.expires_at IS NULL OR t.expires_at > ?)",
        )
        .bind(hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let found = TokenUser {
            user: session_user(&row)?,
            id: row.try_get("token_id")?,
            grant: grant(&row)?,
        };
        sqlx::query("UPDATE api_tokens SET last_used_at = ? WHERE hash = ?")
            .bind(now)
            .bind(hash)
            .execute(&self.pool)
            .await?;
        Ok(Some(found))
    }

    pub async fn tokens(&self, user_id: i64) -> Result<Vec<TokenRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.id, t.name, t.created_at, t.last_used_at, t.scopes, t.expires_at, t.workspace_id,
                    o.name || '/' || w.name AS workspace
             FROM api_tokens t
             LEFT JOIN workspaces w ON w.id = t.workspace_id
             LEFT JOIN users o ON o.id = w.owner_id
             WHERE t.user_id = ? ORDER BY t.created_at, t.id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenRecord {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    created_at: r.try_get("created_at")?,
                    last_used_at: r.try_get("last_used_at")?,
                    grant: grant(r)?,
                    expires_at: r.try_get("expires_at")?,
                    workspace: r.try_get("workspace")?,
                })
            })
            .collect()
    }

    /// Revokes one of the user's tokens; false if there was none with that id.
    pub async fn delete_token(&self, user_id: i64, token_id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM api_tokens WHERE id = ? AND user_id = ?")
            .bind(token_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Ends every API token of the user.
    pub async fn delete_tokens(&self, user_id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM api_tokens WHERE user_id = ?")
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
