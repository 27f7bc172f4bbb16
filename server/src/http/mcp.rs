//! Each workspace as an MCP server (streamable HTTP, `rmcp`) at `/mcp/{owner}/{workspace}`,
//! for outside agents (CLI agents, editors) authenticated by the user's API token. They get
//! the agent's tools under the same policy: a call that must wait shows its approval card
//! in the IDE, and every call lands in a run's transcript (see `ai::agent::outside`).

use std::sync::Arc;

use app::auth::{Actor, WorkspaceRef};
use axum::extract::{Request, State};
use axum::response::Response;
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

use super::state::AppState;
use super::workspace::{InWorkspace, ToUse};
use crate::ai::agent::AgentManager;
use crate::ai::protocol::{tool_definitions, EditFormat};
use crate::ai::tools::ToolCall;

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
    InWorkspace { resolved, .. }: InWorkspace<ToUse>,
    State(state): State<AppState>,
    mut request: Request,
) -> Response {
    request.extensions_mut().insert(Target(resolved.reference));
    match state.mcp.clone().oneshot(request).await {
        Ok(response) => response.map(axum::body::Body::new),
        Err(never) => match never {},
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
