//! The governed agent end to end: the scripted provider's agent models work in a real
//! (BusyBox) workspace through the HTTP API. A multi-step task is done with native tool
//! calls and with the text protocol; limits and the stuck detector end a looping model;
//! Stop ends a running command; the transcript holds every step, live and afterwards.
//! Approvals, the policy, undo and access are in `agent_governance`.

use std::time::{Duration, Instant};

use aicockpit::ai::agent::AgentSettings;
use app::agent::{AgentEvent, RunStatus, RunView, StepKind};
use app::auth::{Grant, Scope};
use futures::StreamExt;
use serde_json::{json, Value};

use crate::ai::{settings, workspace};
use crate::helpers::*;
use crate::scripted_llm::ScriptedLlm;

const MODELS: &[&str] = &[
    "agent-native",
    "agent-text",
    "agent-risky",
    "agent-loop",
    "agent-sleep",
    "agent-mute",
    "agent-wander",
];

pub(crate) async fn agent_app(llm: &ScriptedLlm, agent: AgentSettings) -> TestApp {
    let mut ai = settings(&llm.url, MODELS, Duration::from_secs(10));
    ai.agent = agent;
    spawn_app_with_ai(ai).await
}

pub(crate) async fn post(app: &TestApp, action: &str, body: Value) -> reqwest::Response {
    app.post_json(&format!("/api/agent/{action}"), body).await
}

/// Answers a waiting call as the owner, with a token that may only approve: the token a
/// run was started with never answers its calls.
pub(crate) async fn decide(app: &TestApp, body: Value) -> reqwest::Response {
    let grant = Grant {
        scopes: vec![Scope::Approvals],
        workspace: None,
    };
    let token = app
        .auth
        .issue_scoped_token(&owner(), "approver", &grant, None)
        .await
        .unwrap();
    bearer_client(&token)
        .post(format!("{}/api/agent/decide", app.base))
        .json(&body)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn start(app: &TestApp, workspace: &str, model: &str, task: &str) -> String {
    let started = post(
        app,
        "start",
        json!({ "workspace": workspace, "task": task, "provider": model }),
    )
    .await;
    assert_eq!(started.status(), 200);
    started.json().await.unwrap()
}

pub(crate) async fn view(app: &TestApp, workspace: &str, run: &str) -> RunView {
    let answer = post(app, "run", json!({ "workspace": workspace, "run": run })).await;
    assert_eq!(answer.status(), 200);
    answer.json().await.unwrap()
}

/// The run once `done` holds (checked every 50 ms, for at most a minute).
pub(crate) async fn until(
    app: &TestApp,
    workspace: &str,
    run: &str,
    done: impl Fn(&RunView) -> bool,
) -> RunView {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now = view(app, workspace, run).await;
        if done(&now) {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "the run never got there: {now:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn ended(app: &TestApp, workspace: &str, run: &str) -> RunView {
    until(app, workspace, run, |v| {
        v.summary.status.is_over() && v.summary.ended_at.is_some()
    })
    .await
}

/// The text of a file; `None` when it is not there (404), a failure otherwise.
pub(crate) async fn read(app: &TestApp, workspace: &str, path: &str) -> Option<String> {
    let answer = app
        .files("read", json!({ "workspace": workspace, "file": path }))
        .await;
    match answer.status().as_u16() {
        200 => {}
        404 => return None,
        other => panic!("reading {path}: {other} {}", answer.text().await.unwrap()),
    }
    let file: Value = answer.json().await.unwrap();
    file["text"].as_str().map(str::to_owned)
}

pub(crate) fn results(run: &RunView) -> Vec<(bool, String)> {
    run.steps
        .iter()
        .filter_map(|s| match &s.kind {
            StepKind::Result { ok, text, .. } => Some((*ok, text.clone())),
            _ => None,
        })
        .collect()
}

pub(crate) fn calls(run: &RunView) -> Vec<String> {
    run.steps
        .iter()
        .filter_map(|s| match &s.kind {
            StepKind::Call { tool, .. } => Some(tool.clone()),
            _ => None,
        })
        .collect()
}

/// Write, run (fails), read, edit, run (passes), finish: in one protocol.
async fn fixes_a_script(model: &str, protocol: &str) {
    let llm = ScriptedLlm::start().await;
    let app = agent_app(&llm, AgentSettings::default()).await;
    let (ws, _cleanup) = workspace(&app).await;
    let run = start(&app, &ws, model, "Make hello.sh succeed.").await;
    let done = ended(&app, &ws, &run).await;

    assert_eq!(done.summary.status, RunStatus::Done, "{done:#?}");
    assert_eq!(
        done.summary.detail.as_deref(),
        Some("hello.sh now exits with 0")
    );
    assert_eq!(done.summary.protocol, protocol);
    assert_eq!(
        calls(&done),
        [
            "write_file",
            "run_command",
            "read_file",
            "edit_file",
            "run_command"
        ]
    );
    let results = results(&done);
    assert!(
        results[1].1.starts_with("exit status 3\nhello"),
        "{results:?}"
    );
    assert!(results[3].0, "the edit applied: {results:?}");
    assert!(
        results[4].1.starts_with("exit status 0\nhello"),
        "{results:?}"
    );
    assert_eq!(
        read(&app, &ws, "hello.sh").await.as_deref(),
        Some("echo hello\nexit 0\n")
    );
    // Tokens as the provider counted them: six answers of 100 + 20.
    assert_eq!(done.summary.tokens.prompt_tokens, 600);
    assert_eq!(done.summary.tokens.completion_tokens, 120);
    let diff = done.diff.unwrap();
    assert!(
        diff.contains("+++ b/hello.sh") && diff.contains("+exit 0"),
        "{diff}"
    );

    // The model was offered the tools its protocol uses, and got every result back.
    let last = llm.seen().last().unwrap().body.clone();
    if protocol == "native" {
        assert!(last["tools"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["function"]["name"] == "edit_file"));
        assert_eq!(
            last["messages"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["role"] == "tool")
                .count(),
            5
        );
    } else {
        assert!(last.get("tools").is_none());
        assert_eq!(last["stop"], json!(["</tool>"]));
        assert!(last["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("<tool name="));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_is_done_with_native_tool_calls() {
    fixes_a_script("agent-native", "native").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_is_done_with_the_text_protocol() {
    fixes_a_script("agent-text", "text").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_looping_model_is_stopped_by_the_stuck_detector_and_the_step_limit() {
    let llm = ScriptedLlm::start().await;
    let limits = AgentSettings {
        max_steps: 4,
        ..AgentSettings::default()
    };
    let app = agent_app(&llm, limits).await;
    let (ws, _cleanup) = workspace(&app).await;

    let run = start(&app, &ws, "agent-loop", "List the files.").await;
    let done = ended(&app, &ws, &run).await;
    assert_eq!(done.summary.status, RunStatus::Failed);
    assert!(done
        .summary
        .detail
        .clone()
        .unwrap()
        .contains("the same call 3 times"));
    assert_eq!(calls(&done).len(), 2, "the third same call never runs");

    let run = start(&app, &ws, "agent-wander", "Count.").await;
    let done = ended(&app, &ws, &run).await;
    assert!(
        done.summary.detail.clone().unwrap().contains("4 steps"),
        "{:?}",
        done.summary
    );
    assert_eq!(calls(&done).len(), 4);

    let run = start(&app, &ws, "agent-mute", "Do something.").await;
    let done = ended(&app, &ws, &run).await;
    assert!(done
        .summary
        .detail
        .clone()
        .unwrap()
        .contains("no tool call 3 times"));
}

#[tokio::test(flavor = "multi_thread")]
async fn stop_ends_a_running_command_within_a_second() {
    let llm = ScriptedLlm::start().await;
    let app = agent_app(&llm, AgentSettings::default()).await;
    let (ws, _cleanup) = workspace(&app).await;
    let name = app::model::WorkspaceName::parse(ws.split('/').nth(1).unwrap()).unwrap();
    let run = start(&app, &ws, "agent-sleep", "Wait.").await;
    until(&app, &ws, &run, |v| {
        v.summary.status == RunStatus::RunningTool
    })
    .await;
    eventually("the command's start", Duration::from_secs(5), || async {
        exec(&name, &["ps"])
            .await
            .contains("sleep 30")
            .then_some(())
    })
    .await;

    let pressed = Instant::now();
    let stopped = post(&app, "stop", json!({ "workspace": ws, "run": run })).await;
    assert_eq!(stopped.status(), 200);
    // The command is ended, not left behind, within a second.
    while exec(&name, &["ps"]).await.contains("sleep 30") {
        assert!(
            pressed.elapsed() < Duration::from_secs(1),
            "sleep still runs after {:?}",
            pressed.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The run then ends as stopped, with the diff of what it changed.
    let done = ended(&app, &ws, &run).await;
    assert_eq!(done.summary.status, RunStatus::Stopped);
    assert!(done.diff.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_is_followed_live_and_kept_as_a_transcript() {
    let llm = ScriptedLlm::start().await;
    let app = agent_app(&llm, AgentSettings::default()).await;
    let (ws, _cleanup) = workspace(&app).await;
    let workspace = app::auth::WorkspaceRef::parse(&ws).unwrap();
    let run = start(&app, &ws, "agent-native", "Make hello.sh succeed.").await;
    let response = app.get(&app::agent::events_path(&workspace, &run)).await;
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
    let mut text = String::new();
    let read_all = async {
        while let Some(Ok(bytes)) = body.next().await {
            text.push_str(&String::from_utf8_lossy(&bytes));
        }
    };
    tokio::time::timeout(Duration::from_secs(60), read_all)
        .await
        .expect("the event stream ends with the run");
    let events: Vec<AgentEvent> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert!(matches!(events[0], AgentEvent::Snapshot { .. }));
    // Replaying the events gives the stored run.
    let mut replayed = match &events[0] {
        AgentEvent::Snapshot { run } => (**run).clone(),
        _ => unreachable!(),
    };
    let (mut output, mut thoughts) = (String::new(), String::new());
    for event in events.iter().skip(1).cloned() {
        match &event {
            AgentEvent::Output { text } => output.push_str(text),
            AgentEvent::Thought { text } => thoughts.push_str(text),
            _ => {}
        }
        replayed.apply(event);
    }
    assert!(
        output.contains("hello"),
        "command output streamed live: {output:?}"
    );
    assert!(
        thoughts.contains("Next step."),
        "the model's words streamed live: {thoughts:?}"
    );
    assert_eq!(replayed.summary.status, RunStatus::Done);

    let transcript = app
        .get(&app::agent::transcript_path(&workspace, &run))
        .await;
    assert_eq!(transcript.status(), 200);
    assert!(transcript.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let stored: RunView = transcript.json().await.unwrap();
    assert_eq!(stored.steps, replayed.steps);
    assert!(
        matches!(&stored.steps[0].kind, StepKind::Prompt { task, .. } if task == "Make hello.sh succeed.")
    );
    let listed: Vec<Value> = post(&app, "runs", json!({ "workspace": ws }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["id"], run.as_str());

    // Someone else's run id in this workspace, or this run elsewhere, opens nothing.
    let other = post(&app, "run", json!({ "workspace": ws, "run": "0123abcd" })).await;
    assert_eq!(other.status(), 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_run_per_workspace_and_an_empty_task_is_refused() {
    let llm = ScriptedLlm::start().await;
    let app = agent_app(&llm, AgentSettings::default()).await;
    let (ws, _cleanup) = workspace(&app).await;
    let empty = post(
        &app,
        "start",
        json!({ "workspace": ws, "task": "  ", "provider": "agent-sleep" }),
    )
    .await;
    assert_eq!(empty.status(), 422);
    let run = start(&app, &ws, "agent-sleep", "Wait.").await;
    let second = post(
        &app,
        "start",
        json!({ "workspace": ws, "task": "More", "provider": "agent-sleep" }),
    )
    .await;
    assert_eq!(second.status(), 409);
    let undo = post(&app, "undo", json!({ "workspace": ws, "run": run })).await;
    assert_eq!(undo.status(), 409, "no undo while an agent works");
    post(&app, "stop", json!({ "workspace": ws, "run": run })).await;
    ended(&app, &ws, &run).await;
}
