//! A workspace as an MCP server, used by rmcp's own client with an API token: it lists the
//! agent's tools, runs them as the user in the workspace, a risky call waits for an answer
//! given through AiCockpit, and the calls form a run with a transcript that ends when the
//! client goes quiet. Strangers and anonymous callers get nothing.

use std::time::{Duration, Instant};

use aicockpit::ai::agent::AgentSettings;
use app::agent::{RunStatus, RunSummary, StepKind};
use rmcp::model::{CallToolRequestParams, CallToolResult, ClientConfig};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::ServiceExt;
use serde_json::{json, Value};

use crate::ai::{settings, workspace};
use crate::helpers::*;
use crate::scripted_llm::ScriptedLlm;

fn text_of(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect()
}

fn arguments(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().cloned().unwrap()
}

async fn runs(app: &TestApp, ws: &str) -> Vec<RunSummary> {
    app.post_json("/api/agent/runs", json!({ "workspace": ws }))
        .await
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_mcp_client_works_in_the_workspace_under_the_policy() {
    let llm = ScriptedLlm::start().await;
    let mut ai = settings(&llm.url, &["agent-sleep"], Duration::from_secs(10));
    ai.agent = AgentSettings {
        mcp_idle: Duration::from_secs(2),
        ..AgentSettings::default()
    };
    let app = spawn_app_with_ai(ai).await;
    let (ws, _cleanup) = workspace(&app).await;
    let url = format!("{}/mcp/{ws}", app.base);

    // Without a token, or for someone else's workspace, there is nothing there.
    let anonymous = reqwest::Client::new()
        .post(&url)
        .json(&json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" }))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    // rmcp's HTTP client leaves the choice of TLS library to the program.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(url.clone()).auth_header(app.token.clone()),
    );
    let client = ClientConfig::default().serve(transport).await.unwrap();
    let tools: Vec<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    for tool in [
        "run_command",
        "read_file",
        "list_dir",
        "search",
        "edit_file",
        "write_file",
    ] {
        assert!(tools.contains(&tool.to_owned()), "{tools:?}");
    }
    assert!(!tools.contains(&"finish".to_owned()));

    let wrote = client
        .call_tool(
            CallToolRequestParams::new("write_file").with_arguments(arguments(
                json!({ "path": "mcp/hello.txt", "text": "from outside\n" }),
            )),
        )
        .await
        .unwrap();
    assert_eq!(wrote.is_error, Some(false), "{wrote:?}");
    // The workspace's own agent may work meanwhile; the client's calls stay in their run.
    let started = app
        .post_json(
            "/api/agent/start",
            json!({ "workspace": ws, "task": "Wait.", "provider": "agent-sleep" }),
        )
        .await;
    assert_eq!(started.status(), 200);
    let looping: String = started.json().await.unwrap();
    let ran = client
        .call_tool(
            CallToolRequestParams::new("run_command")
                .with_arguments(arguments(json!({ "command": "cat mcp/hello.txt; id -u" }))),
        )
        .await
        .unwrap();
    assert_eq!(text_of(&ran), "exit status 0\nfrom outside\n1000\n");
    // Calls sent at once run one after the other, each with its own steps.
    let both = futures::future::join(
        client.call_tool(
            CallToolRequestParams::new("run_command")
                .with_arguments(arguments(json!({ "command": "echo one" }))),
        ),
        client.call_tool(
            CallToolRequestParams::new("list_dir")
                .with_arguments(arguments(json!({ "path": "mcp" }))),
        ),
    )
    .await;
    assert_eq!(text_of(&both.0.unwrap()), "exit status 0\none\n");
    assert_eq!(text_of(&both.1.unwrap()), "hello.txt");
    let mcp_runs: Vec<RunSummary> = runs(&app, &ws)
        .await
        .into_iter()
        .filter(|r| r.protocol == "mcp")
        .collect();
    assert_eq!(mcp_runs.len(), 1, "{mcp_runs:?}");
    let stopped = app
        .post_json(
            "/api/agent/stop",
            json!({ "workspace": ws, "run": looping }),
        )
        .await;
    assert_eq!(stopped.status(), 200);

    // A risky call waits for a person in AiCockpit; the client hears the refusal.
    let risky = {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .call_tool(
                    CallToolRequestParams::new("run_command")
                        .with_arguments(arguments(json!({ "command": "rm -rf mcp" }))),
                )
                .await
        })
    };
    let run = mcp_runs[0].clone();
    let deadline = Instant::now() + Duration::from_secs(30);
    let pending = loop {
        let view: Value = app
            .post_json("/api/agent/run", json!({ "workspace": ws, "run": run.id }))
            .await
            .json()
            .await
            .unwrap();
        if !view["pending"].is_null() {
            break view["pending"].clone();
        }
        assert!(Instant::now() < deadline, "the call never waited");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(pending["detail"], "rm -rf mcp");
    // Answered with another credential: the one the client acts with never approves.
    let approver = bearer_client(&app.auth.issue_token(&owner(), "approver").await.unwrap());
    let denied = approver
        .post(format!("{}/api/agent/decide", app.base))
        .json(
            &json!({ "workspace": ws, "run": run.id, "seq": pending["seq"],
                "decision": { "decision": "deny", "reason": "not the folder" } }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 200);
    let refused = risky.await.unwrap().unwrap();
    assert_eq!(refused.is_error, Some(true));
    assert!(text_of(&refused).contains("not the folder"));

    // Quiet for longer than the idle time: the run ends, its steps and diff kept.
    let deadline = Instant::now() + Duration::from_secs(30);
    let ended = loop {
        let now = runs(&app, &ws)
            .await
            .into_iter()
            .find(|r| r.id == run.id)
            .unwrap();
        if now.ended_at.is_some() {
            break now;
        }
        assert!(Instant::now() < deadline, "the run never ended");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(ended.status, RunStatus::Done);
    let view: app::agent::RunView = app
        .post_json("/api/agent/run", json!({ "workspace": ws, "run": run.id }))
        .await
        .json()
        .await
        .unwrap();
    let calls = view
        .steps
        .iter()
        .filter(|s| matches!(s.kind, StepKind::Call { .. }))
        .count();
    assert_eq!(calls, 5);
    let seqs: Vec<u32> = view.steps.iter().map(|s| s.seq).collect();
    assert_eq!(
        seqs,
        (0..seqs.len() as u32).collect::<Vec<_>>(),
        "every step kept, in order"
    );
    assert!(view.diff.unwrap().contains("+++ b/mcp/hello.txt"));
    client.cancel().await.unwrap();
}
