//! Each workspace as an MCP server (streamable HTTP, `rmcp`) at `/mcp/{owner}/{workspace}`,
//! for outside agents (CLI agents, editors) authenticated by the user's API token. They get
//! the agent's tools under the same policy: a call that must wait shows its approval card
//! in the IDE, and every call lands in a run's transcript. An outside agent's calls form one
//! run per user and workspace, begun (with a checkpoint, so it can be undone) at the first
//! call and ended after a quiet spell or by Stop in the IDE.

use std::sync::Arc;
use std::time::Duration;

use app::agent::{RunStatus, StepKind};
use app::auth::{Actor, WorkspaceRef};
use app::error::AppError;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, JsonObject,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, ServerHandler};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use super::execute::Executor;
use super::AgentManager;
use crate::ai::protocol::{tool_definitions, EditFormat};
use crate::ai::tools::ToolCall;
use crate::auth::policy::Action;
use crate::state::AppState;

/// The MCP endpoint of a workspace.
pub const PATH: &str = "/mcp/{owner}/{workspace}";

/// The workspace a request was resolved to, put on the request for the handler.
#[derive(Clone)]
struct Target(WorkspaceRef);

pub type McpService = StreamableHttpService<WorkspaceTools, LocalSessionManager>;

/// The transport, made once; the handler it makes per session reads who is asking, and
/// where, from each request.
pub fn service(agents: Arc<AgentManager>, shutdown: CancellationToken) -> McpService {
    // Host and Origin are checked by the router's guard for every route, this one included.
    let config = StreamableHttpServerConfig::default()
        .with_cancellation_token(shutdown)
        .disable_allowed_hosts();
    StreamableHttpService::new(
        move || {
            Ok(WorkspaceTools {
                agents: agents.clone(),
            })
        },
        LocalSessionManager::default().into(),
        config,
    )
}

/// `/mcp/{owner}/{workspace}`: resolved for the signed-in actor (404 for a stranger, 403
/// for a viewer) before the MCP transport sees the request.
pub async fn serve(
    actor: Actor,
    Path((owner, workspace)): Path<(String, String)>,
    State(state): State<AppState>,
    mut request: Request,
) -> Response {
    let resolved = match WorkspaceRef::parse(&format!("{owner}/{workspace}")) {
        Ok(workspace) => {
            state
                .resolver
                .resolve(&actor, &workspace, Action::Use)
                .await
        }
        Err(e) => Err(e),
    };
    match resolved {
        Ok(resolved) => {
            request.extensions_mut().insert(Target(resolved.reference));
            match state.mcp.clone().oneshot(request).await {
                Ok(response) => response.map(axum::body::Body::new),
                Err(never) => match never {},
            }
        }
        Err(e) => e.into_response(),
    }
}

#[derive(Clone)]
pub struct WorkspaceTools {
    agents: Arc<AgentManager>,
}

/// Who asks about which workspace, as the router decided it.
fn asking(
    context: &RequestContext<RoleServer>,
) -> Result<(Actor, WorkspaceRef, String), ErrorData> {
    let parts = context
        .extensions
        .get::<axum::http::request::Parts>()
        .ok_or_else(|| ErrorData::internal_error("the request is missing", None))?;
    let actor = parts.extensions.get::<Actor>().cloned();
    let target = parts.extensions.get::<Target>().cloned();
    let client = parts
        .headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map_or("an MCP client".to_owned(), |agent| {
            agent.chars().take(60).collect()
        });
    match (actor, target) {
        (Some(actor), Some(Target(workspace))) => Ok((actor, workspace, client)),
        _ => Err(ErrorData::invalid_request(
            "sign in with an API token",
            None,
        )),
    }
}

/// The tools, as the loop offers them natively; `finish` is the outside agent's own affair.
fn tools() -> Vec<Tool> {
    let definitions = tool_definitions(EditFormat::SearchReplace);
    definitions
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["function"]["name"] != "finish")
        .map(|d| {
            let function = &d["function"];
            let schema: JsonObject = function["parameters"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            Tool::new(
                function["name"].as_str().unwrap_or_default().to_owned(),
                function["description"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                Arc::new(schema),
            )
        })
        .collect()
}

impl ServerHandler for WorkspaceTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build()).with_instructions(
            "Tools that work in this AiCockpit workspace (/workspace) as your user. Some calls \
             wait for approval in AiCockpit; a refused call says why.",
        )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        asking(&context)?;
        Ok(ListToolsResult::with_all_items(tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let (actor, workspace, client) = asking(&context)?;
        let arguments = serde_json::Value::Object(request.arguments.unwrap_or_default());
        if request.name == "finish" {
            return Err(ErrorData::invalid_params(
                "there is no tool named finish",
                None,
            ));
        }
        let call = match ToolCall::parse(&request.name, &arguments.to_string()) {
            Ok(call) => call,
            Err(wrong) => return Ok(CallToolResult::error(vec![ContentBlock::text(wrong)]).into()),
        };
        let (ok, text) = self
            .agents
            .mcp_call(&actor, &workspace, &client, call)
            .await
            .map_err(|e| ErrorData::invalid_request(e.to_string(), None))?;
        let content = vec![ContentBlock::text(text)];
        Ok(if ok {
            CallToolResult::success(content)
        } else {
            CallToolResult::error(content)
        }
        .into())
    }
}

impl AgentManager {
    /// Runs an outside agent's call in its run for this user and workspace (begun now if
    /// none is going on); its result, or why it did not run.
    pub async fn mcp_call(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        client: &str,
        call: ToolCall,
    ) -> Result<(bool, String), AppError> {
        let exec = match self.registry.mcp_of(workspace, actor) {
            Some(exec) => exec,
            None => self.begin_mcp_run(actor, workspace, client).await?,
        };
        exec.live.touch();
        let done = exec.carry_out(call).await;
        exec.live.touch();
        match done {
            Ok(done) => {
                // Back to the outside agent's thinking.
                exec.live.set_status(RunStatus::Thinking, None);
                Ok(done)
            }
            Err((RunStatus::Stopped, _)) => {
                Ok((false, "The user stopped this work in AiCockpit.".into()))
            }
            Err((status, why)) => {
                exec.end(status, why.clone()).await;
                Err(AppError::Forbidden(why))
            }
        }
    }

    async fn begin_mcp_run(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        client: &str,
    ) -> Result<Arc<Executor>, AppError> {
        let _one_at_a_time = self.changing.lock().await;
        if let Some(exec) = self.registry.mcp_of(workspace, actor) {
            return Ok(exec);
        }
        let resolved = self.resolver.resolve(actor, workspace, Action::Use).await?;
        resolved.container()?;
        let task = format!("Work by {client} over MCP");
        let (id, live) = self
            .new_run(actor, &resolved, task.clone(), "mcp".into(), "mcp")
            .await?;
        let exec = Arc::new(self.executor(&id, live.clone(), actor, &resolved));
        self.audit(actor, "agent-start", workspace, format!("{id}: {task}"))
            .await;
        // Listed once the checkpoint exists, so no call can change files before it.
        if let Err((status, detail)) = exec.begin().await {
            exec.end(status, detail.clone()).await;
            return Err(AppError::Internal(detail));
        }
        let in_use = self.resolver.activity().hold(&resolved.record.id);
        self.registry
            .list(&id, workspace, live, Some(exec.clone()), in_use);
        exec.record(StepKind::Prompt {
            system: format!("Tools offered over MCP at /mcp/{workspace}"),
            task,
        })
        .await;
        self.tasks
            .spawn(end_when_quiet(exec.clone(), self.settings.mcp_idle));
        Ok(exec)
    }
}

/// Ends an MCP run when Stop is pressed, or once no call came for `idle`.
async fn end_when_quiet(exec: Arc<Executor>, idle: Duration) {
    let check = (idle / 4).clamp(Duration::from_millis(50), Duration::from_secs(15));
    loop {
        tokio::select! {
            _ = exec.live.stop.cancelled() => {
                let (status, why) = exec.stopped();
                return exec.end(status, why).await;
            }
            _ = tokio::time::sleep(check) => {}
        }
        if exec.live.is_ended() {
            return;
        }
        let busy = matches!(
            exec.live.status(),
            RunStatus::RunningTool | RunStatus::WaitingForApproval
        );
        if !busy && exec.live.idle_for() >= idle {
            let detail = format!(
                "the MCP client made no call for {} s",
                exec.live.idle_for().as_secs()
            );
            return exec.end(RunStatus::Done, detail).await;
        }
    }
}
