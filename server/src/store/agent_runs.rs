//! Agent runs, their steps (the transcript) and each workspace's confirmation policy. Every
//! query about a run names its workspace too, so a run id alone opens nothing.

use app::agent::{ConfirmPolicy, RunStatus, RunSummary, Step};
use app::ai::Usage;
use app::auth::WorkspaceRef;
use sqlx::Row;

use super::{corrupt, unix_now, StoreError};

/// A run as stored: its summary, and what it changed once it ended.
#[derive(Debug, Clone)]
pub struct StoredRun {
    pub summary: RunSummary,
    pub diff: Option<String>,
}

const SELECT_RUNS: &str =
    "SELECT id, started_by, task, model, protocol, status, detail, started_at,
    ended_at, prompt_tokens, completion_tokens, diff, undone_at FROM agent_runs";

fn stored_run(
    row: &sqlx::sqlite::SqliteRow,
    workspace: &WorkspaceRef,
) -> Result<StoredRun, StoreError> {
    let status: String = row.try_get("status")?;
    let tokens = |column: &str| -> Result<u64, StoreError> {
        Ok(row.try_get::<i64, _>(column)?.max(0) as u64)
    };
    Ok(StoredRun {
        summary: RunSummary {
            id: row.try_get("id")?,
            workspace: workspace.clone(),
            task: row.try_get("task")?,
            started_by: row.try_get("started_by")?,
            model: row.try_get("model")?,
            protocol: row.try_get("protocol")?,
            status: RunStatus::parse(&status)
                .ok_or_else(|| corrupt(format!("run status {status}")))?,
            detail: row.try_get("detail")?,
            started_at: row.try_get("started_at")?,
            ended_at: row.try_get("ended_at")?,
            tokens: Usage {
                prompt_tokens: tokens("prompt_tokens")?,
                completion_tokens: tokens("completion_tokens")?,
            },
            undone_at: row.try_get("undone_at")?,
        },
        diff: row.try_get("diff")?,
    })
}

narrow_store! {
    /// The agent runs, their steps, and the agent policy per user.
    AgentRunStore, agent_runs
}

impl AgentRunStore {
    pub async fn insert_run(
        &self,
        workspace_id: &str,
        user_id: i64,
        run: &RunSummary,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO agent_runs (id, workspace_id, user_id, started_by, task, model, protocol,
                status, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&run.id)
        .bind(workspace_id)
        .bind(user_id)
        .bind(&run.started_by)
        .bind(&run.task)
        .bind(&run.model)
        .bind(&run.protocol)
        .bind(run.status.as_str())
        .bind(run.started_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records where a run is; an ended run gets its end time, its reason and its diff.
    pub async fn update_run(&self, run: &RunSummary, diff: Option<&str>) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE agent_runs SET status = ?, detail = ?, ended_at = ?, prompt_tokens = ?,
                completion_tokens = ?, diff = COALESCE(?, diff), undone_at = ? WHERE id = ?",
        )
        .bind(run.status.as_str())
        .bind(&run.detail)
        .bind(run.ended_at)
        .bind(run.tokens.prompt_tokens as i64)
        .bind(run.tokens.completion_tokens as i64)
        .bind(diff)
        .bind(run.undone_at)
        .bind(&run.id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn add_step(&self, run: &str, step: &Step) -> Result<(), StoreError> {
        let body = serde_json::to_string(step).map_err(corrupt)?;
        sqlx::query("INSERT INTO agent_steps (run_id, seq, body) VALUES (?, ?, ?)")
            .bind(run)
            .bind(step.seq as i64)
            .bind(body)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The workspace's runs, newest first.
    pub async fn runs(
        &self,
        workspace_id: &str,
        workspace: &WorkspaceRef,
        limit: u32,
    ) -> Result<Vec<RunSummary>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SELECT_RUNS} WHERE workspace_id = ? ORDER BY started_at DESC, rowid DESC LIMIT ?"
        ))
        .bind(workspace_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| stored_run(r, workspace).map(|run| run.summary))
            .collect()
    }

    /// One run of the workspace with its steps; `None` when it is not that workspace's.
    pub async fn run(
        &self,
        workspace_id: &str,
        workspace: &WorkspaceRef,
        id: &str,
    ) -> Result<Option<(StoredRun, Vec<Step>)>, StoreError> {
        let Some(row) = sqlx::query(&format!("{SELECT_RUNS} WHERE id = ? AND workspace_id = ?"))
            .bind(id)
            .bind(workspace_id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let run = stored_run(&row, workspace)?;
        let steps = sqlx::query("SELECT body FROM agent_steps WHERE run_id = ? ORDER BY seq")
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| serde_json::from_str(r.get::<&str, _>("body")).map_err(corrupt))
            .collect::<Result<_, _>>()?;
        Ok(Some((run, steps)))
    }

    /// Runs the server was in the middle of when it stopped: they cannot go on.
    pub async fn end_interrupted_runs(&self) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE agent_runs SET status = 'failed', ended_at = ?,
                detail = 'the server stopped during the run' WHERE ended_at IS NULL",
        )
        .bind(unix_now())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    pub async fn agent_policy(
        &self,
        workspace_id: &str,
    ) -> Result<Option<ConfirmPolicy>, StoreError> {
        let row = sqlx::query("SELECT policy FROM agent_policies WHERE workspace_id = ?")
            .bind(workspace_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            let text: String = r.get("policy");
            ConfirmPolicy::parse(&text).ok_or_else(|| corrupt(format!("policy {text}")))
        })
        .transpose()
    }

    pub async fn set_agent_policy(
        &self,
        workspace_id: &str,
        policy: ConfirmPolicy,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO agent_policies (workspace_id, policy) VALUES (?, ?)
             ON CONFLICT (workspace_id) DO UPDATE SET policy = excluded.policy",
        )
        .bind(workspace_id)
        .bind(policy.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
