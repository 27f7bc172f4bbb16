//! AI chat conversations, each belonging to one user in one workspace. Every query names
//! both, so a conversation id alone opens nothing.

use app::ai::{ChatMessage, ConversationSummary, Role};
use sqlx::Row;

use super::{corrupt, unix_now, StoreError};

/// Whose conversations: a user in a workspace.
#[derive(Debug, Clone)]
pub struct ConversationOwner {
    pub user_id: i64,
    pub workspace_id: String,
}

fn role_text(role: Role) -> &'static str {
    match role {
        Role::Assistant => "assistant",
        _ => "user",
    }
}

narrow_store! {
    /// The AI conversations.
    ConversationStore, conversations
}

impl ConversationStore {
    pub async fn conversations(
        &self,
        owner: &ConversationOwner,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, title, updated_at FROM conversations
             WHERE user_id = ? AND workspace_id = ? ORDER BY updated_at DESC, id",
        )
        .bind(owner.user_id)
        .bind(&owner.workspace_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| ConversationSummary {
                id: r.get("id"),
                title: r.get("title"),
                updated_at: r.get("updated_at"),
            })
            .collect())
    }

    /// The messages of a conversation of this owner; `None` when it is not theirs.
    pub async fn conversation(
        &self,
        owner: &ConversationOwner,
        id: &str,
    ) -> Result<Option<Vec<ChatMessage>>, StoreError> {
        if !self.owns(owner, id).await? {
            return Ok(None);
        }
        let rows = sqlx::query(
            "SELECT role, content FROM conversation_messages WHERE conversation_id = ? ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let role = match r.get::<String, _>("role").as_str() {
                    "user" => Role::User,
                    "assistant" => Role::Assistant,
                    other => return Err(corrupt(format!("message role {other}"))),
                };
                Ok(ChatMessage::new(role, r.get::<String, _>("content")))
            })
            .collect::<Result<_, _>>()
            .map(Some)
    }

    pub async fn owns(&self, owner: &ConversationOwner, id: &str) -> Result<bool, StoreError> {
        let found = sqlx::query(
            "SELECT 1 FROM conversations WHERE id = ? AND user_id = ? AND workspace_id = ?",
        )
        .bind(id)
        .bind(owner.user_id)
        .bind(&owner.workspace_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// Creates or replaces the conversation `id` with `messages` (system messages left out).
    /// False, and nothing written, when `id` is someone else's.
    pub async fn save_conversation(
        &self,
        owner: &ConversationOwner,
        id: &str,
        title: &str,
        messages: &[ChatMessage],
    ) -> Result<bool, StoreError> {
        let now = unix_now();
        // A write first, so the transaction takes the write lock at once (a read first
        // could find another writer in between and fail instead of waiting).
        let mut tx = self.pool.begin().await?;
        let claimed = sqlx::query(
            "INSERT INTO conversations (id, workspace_id, user_id, title, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at
             WHERE conversations.user_id = excluded.user_id
               AND conversations.workspace_id = excluded.workspace_id",
        )
        .bind(id)
        .bind(&owner.workspace_id)
        .bind(owner.user_id)
        .bind(title)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() == 0 {
            // Someone else's: leave it as it is.
            return Ok(false);
        }
        sqlx::query("DELETE FROM conversation_messages WHERE conversation_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let kept = messages.iter().filter(|m| m.role != Role::System);
        for (seq, message) in kept.enumerate() {
            sqlx::query(
                "INSERT INTO conversation_messages (conversation_id, seq, role, content) VALUES (?, ?, ?, ?)",
            )
            .bind(id)
            .bind(seq as i64)
            .bind(role_text(message.role))
            .bind(&message.content)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Renames a conversation of this owner; false when there is none.
    pub async fn rename_conversation(
        &self,
        owner: &ConversationOwner,
        id: &str,
        title: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE conversations SET title = ? WHERE id = ? AND user_id = ? AND workspace_id = ?",
        )
        .bind(title)
        .bind(id)
        .bind(owner.user_id)
        .bind(&owner.workspace_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes every conversation last answered before `before` (Unix seconds).
    pub async fn purge_conversations(&self, before: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM conversations WHERE updated_at < ?")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn delete_conversation(
        &self,
        owner: &ConversationOwner,
        id: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "DELETE FROM conversations WHERE id = ? AND user_id = ? AND workspace_id = ?",
        )
        .bind(id)
        .bind(owner.user_id)
        .bind(&owner.workspace_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{sample, user};
    use crate::store::Store;

    #[tokio::test]
    async fn conversations_belong_to_one_user_in_one_workspace() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("c.db")).await.unwrap();
        let ada = store
            .users()
            .insert_user(&user("ada"), "h", app::auth::Role::Admin, 0)
            .await
            .unwrap();
        let bob = store
            .users()
            .insert_user(&user("bob"), "h", app::auth::Role::Member, 0)
            .await
            .unwrap();
        store
            .workspaces()
            .insert(&sample("w1", None))
            .await
            .unwrap();
        let workspace_id = store.workspaces().all().await.unwrap()[0].id.clone();
        let mine = ConversationOwner {
            user_id: ada,
            workspace_id: workspace_id.clone(),
        };
        let theirs = ConversationOwner {
            user_id: bob,
            workspace_id: workspace_id.clone(),
        };
        let messages = [
            ChatMessage::new(Role::System, "hidden"),
            ChatMessage::new(Role::User, "hi"),
            ChatMessage::new(Role::Assistant, "hello"),
        ];
        assert!(store
            .conversations()
            .save_conversation(&mine, "c1", "Greeting", &messages)
            .await
            .unwrap());
        let listed = store.conversations().conversations(&mine).await.unwrap();
        assert_eq!(listed[0].title, "Greeting");
        assert_eq!(
            store
                .conversations()
                .conversation(&mine, "c1")
                .await
                .unwrap()
                .unwrap()
                .len(),
            2
        );

        // Someone else's id opens, renames, overwrites and deletes nothing.
        assert_eq!(
            store
                .conversations()
                .conversation(&theirs, "c1")
                .await
                .unwrap(),
            None
        );
        assert!(!store
            .conversations()
            .save_conversation(&theirs, "c1", "x", &messages[1..2])
            .await
            .unwrap());
        assert!(!store
            .conversations()
            .rename_conversation(&theirs, "c1", "x")
            .await
            .unwrap());
        assert!(!store
            .conversations()
            .delete_conversation(&theirs, "c1")
            .await
            .unwrap());
        assert_eq!(
            store
                .conversations()
                .conversation(&mine, "c1")
                .await
                .unwrap()
                .unwrap()
                .len(),
            2
        );

        assert!(store
            .conversations()
            .rename_conversation(&mine, "c1", "Renamed")
            .await
            .unwrap());
        assert_eq!(
            store.conversations().conversations(&mine).await.unwrap()[0].title,
            "Renamed"
        );
        // Past the keeping time, gone.
        assert_eq!(
            store.conversations().purge_conversations(0).await.unwrap(),
            0
        );
        assert_eq!(
            store
                .conversations()
                .purge_conversations(i64::MAX)
                .await
                .unwrap(),
            1
        );
        assert!(store
            .conversations()
            .conversations(&mine)
            .await
            .unwrap()
            .is_empty());
        assert!(store
            .conversations()
            .save_conversation(&mine, "c2", "Again", &messages)
            .await
            .unwrap());
        // Gone with its workspace.
        store.workspaces().delete(&workspace_id).await.unwrap();
        assert!(store
            .conversations()
            .conversations(&mine)
            .await
            .unwrap()
            .is_empty());
    }
}
