//! Templates admins added, and the set-up a workspace keeps from its template.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{corrupt, StoreError};

/// What a workspace keeps of the template it was made from: a copy, so that changing or
/// removing the template later does not change a workspace already made.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceSetup {
    pub template: String,
    pub env: BTreeMap<String, String>,
    pub post_create: Option<String>,
    pub post_start: Option<String>,
    pub forward_ports: Vec<u16>,
    /// Whether `post_create` has run.
    #[serde(default)]
    pub set_up: bool,
    /// Passwordless `sudo` inside (lower isolation).
    #[serde(default)]
    pub sudo: bool,
    /// Hosts its allowlist adds to the server's (an admin's template said so).
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
}

impl WorkspaceSetup {
    pub(super) fn to_json(setup: Option<&Self>) -> Option<String> {
        setup.and_then(|s| serde_json::to_string(s).ok())
    }

    pub(super) fn from_json(text: Option<String>) -> Result<Option<Self>, StoreError> {
        text.map(|t| serde_json::from_str(&t).map_err(corrupt))
            .transpose()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredTemplate {
    pub id: String,
    pub devcontainer: String,
    pub dockerfile: Option<String>,
}

narrow_store! {
    /// The templates kept in the database.
    TemplateStore, templates
}

impl TemplateStore {
    pub async fn templates(&self) -> Result<Vec<StoredTemplate>, StoreError> {
        let rows = sqlx::query("SELECT id, devcontainer, dockerfile FROM templates ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|row| StoredTemplate {
                id: row.get("id"),
                devcontainer: row.get("devcontainer"),
                dockerfile: row.get("dockerfile"),
            })
            .collect())
    }

    /// Adds a template, or replaces the one with the same id.
    pub async fn put_template(
        &self,
        template: &StoredTemplate,
        created_by: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO templates (id, devcontainer, dockerfile, created_by, created_at)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET devcontainer = excluded.devcontainer,
                 dockerfile = excluded.dockerfile, created_by = excluded.created_by,
                 created_at = excluded.created_at",
        )
        .bind(&template.id)
        .bind(&template.devcontainer)
        .bind(&template.dockerfile)
        .bind(created_by)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// False when there was no such template.
    pub async fn delete_template(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM templates WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::*;
    use crate::store::Store;

    #[tokio::test]
    async fn templates_and_a_workspaces_setup_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).await.unwrap();
        let template = StoredTemplate {
            id: "data".into(),
            devcontainer: "{}".into(),
            dockerfile: Some("FROM x".into()),
        };
        store
            .templates()
            .put_template(&template, 1, 0)
            .await
            .unwrap_err(); // no such user
        let ada = store
            .users()
            .insert_user(
                &super::super::tests::user("ada"),
                "h",
                app::auth::Role::Admin,
                0,
            )
            .await
            .unwrap();
        store
            .templates()
            .put_template(&template, ada, 0)
            .await
            .unwrap();
        let replaced = StoredTemplate {
            dockerfile: None,
            ..template.clone()
        };
        store
            .templates()
            .put_template(&replaced, ada, 1)
            .await
            .unwrap();
        assert_eq!(store.templates().templates().await.unwrap(), [replaced]);
        assert!(store.templates().delete_template("data").await.unwrap());
        assert!(!store.templates().delete_template("data").await.unwrap());

        let mut record = sample("web", None);
        record.setup = Some(WorkspaceSetup {
            template: "python".into(),
            forward_ports: vec![8000],
            ..Default::default()
        });
        store.workspaces().insert(&record).await.unwrap();
        let mut setup = record.setup.clone().unwrap();
        setup.set_up = true;
        store
            .workspaces()
            .set_setup(&record.id, &setup)
            .await
            .unwrap();
        let found = store.workspaces().all().await.unwrap().remove(0);
        assert_eq!(found.setup, Some(setup));
    }
}
