//! A server told to stop (SIGTERM) finishes what it has: open terminals are closed with a
//! reason the page shows before it reconnects, and an agent run is stopped, its command
//! ended and how it ended recorded, before the server exits.

use std::time::{Duration, Instant};

use app::agent::RunStatus;
use app::auth::WorkspaceRef;
use app::model::WorkspaceName;
use futures::StreamExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

use crate::ai::{settings, workspace};
use crate::helpers::*;
use crate::scripted_llm::ScriptedLlm;

#[tokio::test(flavor = "multi_thread")]
async fn stopping_closes_terminals_with_a_reason_and_ends_agent_runs() {
    let llm = ScriptedLlm::start().await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut app = spawn_app_until_with_ai(
        async move {
            let _ = stopped.await;
        },
        settings(&llm.url, &["agent-sleep"], Duration::from_secs(10)),
    )
    .await;
    let (ws, _cleanup) = workspace(&app).await;
    let name = WorkspaceName::parse(ws.split('/').nth(1).unwrap()).unwrap();
    let mut socket = terminal(&app.terminal_url(&name, "main"), &app.token).await;
    until(&mut socket, "$").await;

    let started = app
        .post_json(
            "/api/agent/start",
            json!({ "workspace": ws, "task": "Wait.", "provider": "agent-sleep" }),
        )
        .await;
    let run: String = started.json().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let view: Value = app
            .post_json("/api/agent/run", json!({ "workspace": ws, "run": run }))
            .await
            .json()
            .await
            .unwrap();
        if view["summary"]["status"] == "running_tool" {
            break;
        }
        assert!(Instant::now() < deadline, "the run never ran its command");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    stop.send(()).unwrap();
    let close = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(message)) = socket.next().await {
            if let Message::Close(frame) = message {
                return frame;
            }
        }
        None
    })
    .await
    .expect("the terminal is closed")
    .expect("with a close frame");
    assert_eq!(close.code, CloseCode::Away);
    assert!(close.reason.contains("restarting"), "{close:?}");
    let server = app.server.take().unwrap();
    tokio::time::timeout(Duration::from_secs(30), server)
        .await
        .expect("the server exits")
        .unwrap()
        .unwrap();

    let store = aicockpit::store::Store::open(&app.database())
        .await
        .unwrap();
    let record = store
        .workspaces()
        .find(&owner(), &name)
        .await
        .unwrap()
        .unwrap();
    let reference = WorkspaceRef::parse(&ws).unwrap();
    let (stored, _) = store
        .agent_runs()
        .run(&record.id, &reference, &run)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.summary.status, RunStatus::Stopped);
    assert_eq!(stored.summary.detail.as_deref(), Some("the server stopped"));
    assert!(stored.diff.is_some(), "what it changed was recorded");
    assert!(!exec(&name, &["ps"]).await.contains("sleep 30"));
}
