//! Idle stop through the real server, with a minute shortened to a second: an unused
//! workspace stops with a notice; one with an open terminal or a running agent does not,
//! until they end; one its owner set to "never" runs on.

use std::time::Duration;

use aicockpit::ai::AiSettings;
use app::model::{IdleBounds, WorkspaceName};
use serde_json::json;

use crate::agent::{start, until as run_until};
use crate::ai::settings;
use crate::helpers::*;
use crate::scripted_llm::ScriptedLlm;
use crate::test_app::{spawn_app_configured, terminal, TestApp};

const MINUTE: Duration = Duration::from_secs(1);

async fn idle_app(ai: AiSettings) -> TestApp {
    spawn_app_configured(move |config| {
        config.idle_minute = MINUTE;
        config.limits.idle = IdleBounds {
            default_minutes: Some(2),
            max_minutes: None,
        };
        config.ai = ai;
    })
    .await
}

async fn create(app: &TestApp, label: &str) -> WorkspaceName {
    let name = unique_name(label);
    let created = app.call("create", app.create_request(&name)).await;
    assert_eq!(created.status(), 200, "{:?}", created.text().await);
    name
}

#[tokio::test(flavor = "multi_thread")]
async fn unused_workspaces_stop_by_themselves_and_used_ones_do_not() {
    let app = idle_app(AiSettings::default()).await;
    // Each made in use, or kept from stopping, at once: these times are short.
    let watched = create(&app, "idle-watched").await;
    let _cleanup_watched = Cleanup(vec![watched.clone()]);
    let socket = terminal(&app.terminal_url(&watched, "main"), &app.token).await;
    let never = create(&app, "idle-never").await;
    let _cleanup_never = Cleanup(vec![never.clone()]);
    let set = app
        .call(
            "set-idle-stop",
            json!({ "workspace": reference(&never).to_string(), "minutes": 0 }),
        )
        .await;
    assert_eq!(set.status(), 200);
    let unused = create(&app, "idle-unused").await;
    let _cleanup_unused = Cleanup(vec![unused.clone()]);

    let waiting = app.entry(&unused).await;
    assert_eq!(waiting["idle_stop"]["after_secs"], 2, "two short minutes");
    assert!(waiting["idle_stop"]["at"].is_i64(), "{waiting}");

    let gone = app
        .wait_for(&unused, MINUTE * 8, |e| e["status"] == "Stopped")
        .await;
    assert_eq!(gone["status"], "Stopped");
    assert_eq!(gone["notice"]["kind"], "IdleStopped");
    assert!(gone["idle_stop"].is_null());

    let in_use = app.entry(&watched).await;
    assert_eq!(
        in_use["status"], "Running",
        "an open terminal keeps it running"
    );
    assert!(
        in_use["idle_stop"]["at"].is_null(),
        "shown as in use: {in_use}"
    );
    assert_eq!(app.entry(&never).await["status"], "Running");
    assert!(app.entry(&never).await["idle_stop"].is_null());

    // The terminal closes: from then on it is unused.
    drop(socket);
    let gone = app
        .wait_for(&watched, MINUTE * 8, |e| e["status"] == "Stopped")
        .await;
    assert_eq!(gone["status"], "Stopped");
    assert_eq!(app.entry(&never).await["status"], "Running");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_running_agent_keeps_its_workspace_from_stopping() {
    let llm = ScriptedLlm::start().await;
    let ai = settings(&llm.url, &["agent-sleep"], Duration::from_secs(10));
    let app = idle_app(ai).await;
    let name = create(&app, "idle-agent").await;
    let _cleanup = Cleanup(vec![name.clone()]);
    let ws = reference(&name).to_string();
    let run = start(&app, &ws, "agent-sleep", "Wait.").await;
    run_until(&app, &ws, &run, |v| {
        v.summary.status == app::agent::RunStatus::RunningTool
    })
    .await;

    tokio::time::sleep(MINUTE * 4).await;
    let now = app.entry(&name).await;
    let view = crate::agent::view(&app, &ws, &run).await;
    assert_eq!(
        now["status"], "Running",
        "the agent works in it: {now} {:?}",
        view.summary
    );

    let stopped = app
        .post_json("/api/agent/stop", json!({ "workspace": ws, "run": run }))
        .await;
    assert_eq!(stopped.status(), 200);
    let gone = app
        .wait_for(&name, MINUTE * 10, |e| e["status"] == "Stopped")
        .await;
    assert_eq!(gone["status"], "Stopped", "unused once the run ended");
}
