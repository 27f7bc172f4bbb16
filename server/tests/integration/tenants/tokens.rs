//! Tokens between a user, their outside agent and everyone else: the MCP token the IDE makes
//! reaches that one workspace's MCP endpoint and nothing else; no token approves the calls
//! of the run it acts in, and a token without the approvals scope approves none; a token
//! makes tokens only with the admin scope; tokens expire; a password change can end them.

use std::time::{Duration, Instant};

use app::auth::{Grant, Scope, UserName};
use rmcp::model::{CallToolRequestParams, ClientConfig};
use rmcp::service::RunningService;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{json, Value};

use super::*;

async fn make_token(tenants: &Tenants, who: &Member, request: Value) -> reqwest::Response {
    let body = json!({ "request": request });
    tenants.call(who, "/api/auth/create-token", body).await
}

async fn secret_of(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 200);
    let made: Value = response.json().await.unwrap();
    made["secret"].as_str().unwrap().to_owned()
}

fn as_token(name: &str, secret: &str) -> Member {
    Member {
        name: name.to_owned(),
        client: bearer_client(secret),
        token: secret.to_owned(),
    }
}

async fn mcp_client(url: &str, token: &str) -> RunningService<RoleClient, ClientConfig> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(url.to_owned()).auth_header(token.to_owned()),
    );
    ClientConfig::default().serve(transport).await.unwrap()
}

/// The run waiting for an answer in `workspace`, and its call's number, as `who` sees it.
async fn waiting(tenants: &Tenants, who: &Member, workspace: &str) -> (String, Value) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    loop {
        seen.clear();
        let runs: Value = tenants
            .call(who, "/api/agent/runs", json!({ "workspace": workspace }))
            .await
            .json()
            .await
            .unwrap();
        for run in runs.as_array().unwrap() {
            let id = run["id"].as_str().unwrap().to_owned();
            let body = json!({ "workspace": workspace, "run": id });
            let view: Value = tenants
                .call(who, "/api/agent/run", body)
                .await
                .json()
                .await
                .unwrap();
            seen.push(view.clone());
            if !view["pending"].is_null() {
                return (id, view["pending"]["seq"].clone());
            }
        }
        assert!(Instant::now() < deadline, "no call waited: {runs} {seen:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Calls `run_command` with `command` over MCP, in the background: it waits for approval.
fn call_in_background(
    client: &rmcp::service::Peer<RoleClient>,
    command: &str,
) -> tokio::task::JoinHandle<Result<rmcp::model::CallToolResult, rmcp::ServiceError>> {
    let (client, command) = (client.clone(), command.to_owned());
    tokio::spawn(async move {
        let arguments = json!({ "command": command }).as_object().cloned().unwrap();
        client
            .call_tool(CallToolRequestParams::new("run_command").with_arguments(arguments))
            .await
    })
}

async fn decide(
    tenants: &Tenants,
    who: &Member,
    workspace: &str,
    run: &str,
    seq: &Value,
) -> reqwest::Response {
    let body = json!({ "workspace": workspace, "run": run, "seq": seq,
        "decision": { "decision": "approve" } });
    tenants.call(who, "/api/agent/decide", body).await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_outside_agent_reaches_its_workspace_only_and_never_approves_itself() {
    let mut tenants = Tenants::new(|_| {}).await;
    let (alice, bob) = (tenants.alice.clone(), tenants.bob.clone());
    let one = tenants.workspace(&alice, "mcp-one", json!({})).await;
    let other = tenants.workspace(&alice, "mcp-other", json!({})).await;
    let policy = json!({ "workspace": one.reference, "policy": "always" });
    assert_eq!(
        tenants
            .call(&alice, "/api/agent/set-policy", policy)
            .await
            .status(),
        200
    );

    // The token the IDE makes for MCP: this workspace's agent, nothing more.
    let made = make_token(
        &tenants,
        &alice,
        json!({ "name": "MCP", "scopes": ["Agent"], "workspace": one.reference, "expires_in_days": 30 }),
    )
    .await;
    let agent = as_token("alice", &secret_of(made).await);
    for (path, body, status) in [
        (
            "/api/files/write",
            json!({ "workspace": one.reference, "file": "x", "text": "x" }),
            403,
        ),
        (
            "/api/files/read",
            json!({ "workspace": one.reference, "file": "x" }),
            403,
        ),
        ("/api/workspaces/list", json!({}), 403),
        (
            "/api/auth/create-token",
            json!({ "request": { "name": "more", "scopes": ["Admin"] } }),
            403,
        ),
        (
            "/api/agent/start",
            json!({ "workspace": other.reference, "task": "x" }),
            404,
        ),
    ] {
        let answer = tenants.call(&agent, path, body).await;
        assert_eq!(answer.status(), status, "{path}: {:?}", answer.text().await);
    }
    let elsewhere = agent
        .client
        .post(format!("{}/mcp/{}", tenants.app.base, other.reference))
        .json(&json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        elsewhere.status(),
        404,
        "another workspace does not exist for it"
    );
    let terminal = agent
        .client
        .get(format!(
            "{}/ws/terminal/{}/main",
            tenants.app.base, one.reference
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(terminal.status(), 403, "no terminals either");

    // Its call waits under "always"; it may not answer it, nor may a stranger.
    let url = format!("{}/mcp/{}", tenants.app.base, one.reference);
    let client = mcp_client(&url, &agent.token).await;
    let call = call_in_background(&client, "echo approved");
    let (run, seq) = waiting(&tenants, &alice, &one.reference).await;
    let refused = decide(&tenants, &agent, &one.reference, &run, &seq).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("approvals"));
    assert_eq!(
        decide(&tenants, &bob, &one.reference, &run, &seq)
            .await
            .status(),
        404
    );
    assert_eq!(
        decide(&tenants, &alice, &one.reference, &run, &seq)
            .await
            .status(),
        200
    );
    let done = call.await.unwrap().unwrap();
    assert_eq!(done.is_error, Some(false), "{done:?}");
    client.cancel().await.unwrap();

    // A token that may approve still never approves the run it acts in.
    let both = make_token(
        &tenants,
        &alice,
        json!({ "name": "agent and approvals", "scopes": ["Agent", "Approvals"], "workspace": one.reference }),
    )
    .await;
    let both = as_token("alice", &secret_of(both).await);
    let client = mcp_client(&url, &both.token).await;
    let call = call_in_background(&client, "echo again");
    let (run, seq) = waiting(&tenants, &alice, &one.reference).await;
    let own = decide(&tenants, &both, &one.reference, &run, &seq).await;
    assert_eq!(own.status(), 403);
    assert!(own.text().await.unwrap().contains("its own calls"));
    assert_eq!(
        decide(&tenants, &alice, &one.reference, &run, &seq)
            .await
            .status(),
        200
    );
    assert_eq!(call.await.unwrap().unwrap().is_error, Some(false));
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_make_tokens_only_when_allowed_expire_and_end_with_a_new_password() {
    let tenants = Tenants::new(|_| {}).await;
    let alice = tenants.alice.clone();
    let reader = make_token(
        &tenants,
        &alice,
        json!({ "name": "reader", "scopes": ["Read"] }),
    )
    .await;
    let reader = as_token("alice", &secret_of(reader).await);
    assert_eq!(
        tenants
            .call(&reader, "/api/workspaces/list", json!({}))
            .await
            .status(),
        200
    );
    let minted = make_token(
        &tenants,
        &reader,
        json!({ "name": "more", "scopes": ["Read"] }),
    )
    .await;
    assert_eq!(minted.status(), 403);
    let nothing = make_token(&tenants, &alice, json!({ "name": "none", "scopes": [] })).await;
    assert_eq!(nothing.status(), 422, "a token must say what it may do");

    // Expired: no longer anyone.
    let user = UserName::parse("alice").unwrap();
    let grant = Grant {
        scopes: vec![Scope::Read],
        workspace: None,
    };
    let expired = tenants
        .app
        .auth
        .issue_scoped_token(&user, "old", &grant, Some(aicockpit::store::unix_now() - 1))
        .await
        .unwrap();
    let expired = as_token("alice", &expired);
    assert_eq!(
        tenants
            .call(&expired, "/api/workspaces/list", json!({}))
            .await
            .status(),
        401
    );

    // A new password, with the offer to end every token taken.
    let change =
        json!({ "current": PASSWORD, "new": "another long password", "revoke_tokens": true });
    assert_eq!(
        tenants
            .call(&reader, "/api/auth/password", change.clone())
            .await
            .status(),
        403
    );
    assert_eq!(
        tenants
            .call(&alice, "/api/auth/password", change)
            .await
            .status(),
        200
    );
    assert_eq!(
        tenants
            .call(&reader, "/api/workspaces/list", json!({}))
            .await
            .status(),
        401
    );
    assert_eq!(
        tenants
            .call(&alice, "/api/workspaces/list", json!({}))
            .await
            .status(),
        401
    );
}
