//! Agent server functions: start, list, open, answer, stop and undo runs, and the
//! workspace's confirmation policy. Live steps and the transcript go over their own routes
//! (`crate::agent::events_path`, `transcript_path`).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::agent::{ConfirmPolicy, Decision, PolicyView, RunSummary, RunView};
use crate::auth::WorkspaceRef;
use crate::error::AppError;

#[cfg(feature = "ssr")]
use super::ssr::{actor, agent};

#[server(prefix = "/api/agent", endpoint = "start", input = Json)]
pub async fn start_agent(
    workspace: WorkspaceRef,
    task: String,
    provider: Option<String>,
) -> Result<String, AppError> {
    agent()?
        .start(&actor()?, &workspace, &task, provider.as_deref())
        .await
}

#[server(prefix = "/api/agent", endpoint = "runs", input = Json)]
pub async fn agent_runs(workspace: WorkspaceRef) -> Result<Vec<RunSummary>, AppError> {
    agent()?.runs(&actor()?, &workspace).await
}

#[server(prefix = "/api/agent", endpoint = "run", input = Json)]
pub async fn agent_run(workspace: WorkspaceRef, run: String) -> Result<RunView, AppError> {
    agent()?.run(&actor()?, &workspace, &run).await
}

#[server(prefix = "/api/agent", endpoint = "decide", input = Json)]
pub async fn decide_agent(
    workspace: WorkspaceRef,
    run: String,
    seq: u32,
    decision: Decision,
) -> Result<(), AppError> {
    agent()?
        .decide(&actor()?, &workspace, &run, seq, decision)
        .await
}

#[server(prefix = "/api/agent", endpoint = "stop", input = Json)]
pub async fn stop_agent(workspace: WorkspaceRef, run: String) -> Result<(), AppError> {
    agent()?.stop(&actor()?, &workspace, &run).await
}

#[server(prefix = "/api/agent", endpoint = "undo", input = Json)]
pub async fn undo_agent(workspace: WorkspaceRef, run: String) -> Result<(), AppError> {
    agent()?.undo(&actor()?, &workspace, &run).await
}

#[server(prefix = "/api/agent", endpoint = "policy", input = Json)]
pub async fn agent_policy(workspace: WorkspaceRef) -> Result<PolicyView, AppError> {
    agent()?.policy(&actor()?, &workspace).await
}

#[server(prefix = "/api/agent", endpoint = "set-policy", input = Json)]
pub async fn set_agent_policy(
    workspace: WorkspaceRef,
    policy: ConfirmPolicy,
) -> Result<PolicyView, AppError> {
    agent()?.set_policy(&actor()?, &workspace, policy).await
}
