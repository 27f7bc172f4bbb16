//! The agent governed: a risky command waits, is denied (and never runs) or runs as edited;
//! the workspace's policy and the server's floor decide what waits, and only the owner
//! changes it; undo puts the files back (the newest checkpoints kept); a run ends, and a
//! watcher is cut off, when access goes; a run never acts on a new workspace of the same name.

use std::time::{Duration, Instant};

use aicockpit::ai::agent::AgentSettings;
use app::agent::{ConfirmPolicy, RunStatus, StepKind};
use futures::StreamExt;
use serde_json::{json, Value};

use crate::agent::{agent_app, decide, ended, post, read, start, until, view};
use crate::ai::{shared_with, workspace};
use crate::helpers::*;
use crate::scripted_llm::ScriptedLlm;

#[tokio::test(flavor = "multi_thread")]
async fn a_risky_command_waits_and_a_denied_one_never_runs() {
    let llm = ScriptedLlm::start().await;
    let app = agent_app(&llm, AgentSettings::default()).await;
    let (ws, _cleanup) = workspace(&app).await;
    let run = start(&app, &ws, "agent-risky", "Clean up.").await;
    let waiting = until(&app, &ws, &run, |v| v.pending.is_some()).await;
    assert_eq!(waiting.summary.status, RunStatus::WaitingForApproval);
    let pending = waiting.pending.unwrap();
    assert_eq!(pending.detail, "rm -rf build && echo removed > removed.txt");
    assert!(
        pending
            .risk
            .reasons
            .iter()
            .any(|r| r.contains("recursively")),
        "{pending:?}"
    );

    // An answer to another step lands nowhere.
    let wrong = decide(&app, json!({ "workspace": ws, "run": run, "seq": pending.seq + 7, "decision": { "decision": "approve" } })).await;
    assert_eq!(wrong.status(), 409);
    // Nor does the token that started the run answer it.
    let own = post(&app, "decide", json!({ "workspace": ws, "run": run, "seq": pending.seq, "decision": { "decision": "approve" } })).await;
    assert_eq!(own.status(), 403);
    let denied = decide(
        &app,
        json!({ "workspace": ws, "run": run, "seq": pending.seq,
        "decision": { "decision": "deny", "reason": "keep the build folder" } }),
    )
    .await;
    assert_eq!(denied.status(), 200);
    let done = ended(&app, &ws, &run).await;
    assert_eq!(done.summary.status, RunStatus::Done);
    assert_eq!(
        read(&app, &ws, "removed.txt").await,
        None,
        "the command never ran"
    );
    // The agent read the reason, and the transcript says who decided.
    assert!(done
        .summary
        .detail
        .clone()
        .unwrap()
        .contains("keep the build folder"));
    assert!(done.steps.iter().any(|s| matches!(&s.kind,
        StepKind::Decision { approved: false, by, .. } if by == OWNER)));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edited_command_runs_as_edited_and_undo_puts_the_files_back() {
    let llm = ScriptedLlm::start().await;
    let app = agent_app(&llm, AgentSettings::default()).await;
    let (ws, _cleanup) = workspace(&app).await;
    let wrote = app
        .files(
            "write",
            json!({ "workspace": ws, "file": "notes.txt", "text": "mine\n" }),
        )
        .await;
    assert_eq!(wrote.status(), 200, "{:?}", wrote.text().await);
    let run = start(&app, &ws, "agent-risky", "Clean up.").await;
    let pending = until(&app, &ws, &run, |v| v.pending.is_some())
        .await
        .pending
        .unwrap();
    let edited = "echo edited > edited.txt && echo changed > notes.txt";
    let approved = decide(
        &app,
        json!({ "workspace": ws, "run": run, "seq": pending.seq,
        "decision": { "decision": "approve_edited", "value": edited } }),
    )
    .await;
    assert_eq!(approved.status(), 200);
    let done = ended(&app, &ws, &run).await;
    assert_eq!(
        read(&app, &ws, "edited.txt").await.as_deref(),
        Some("edited\n")
    );
    assert_eq!(read(&app, &ws, "removed.txt").await, None);
    assert!(done.steps.iter().any(|s| matches!(&s.kind,
        StepKind::Decision { approved: true, edited: Some(e), .. } if e == edited)));

    let undone = post(&app, "undo", json!({ "workspace": ws, "run": run })).await;
    assert_eq!(undone.status(), 200, "{:?}", undone.text().await);
    assert_eq!(
        read(&app, &ws, "edited.txt").await,
        None,
        "what the run made is gone"
    );
    assert_eq!(
        read(&app, &ws, "notes.txt").await.as_deref(),
        Some("mine\n")
    );
    let again = post(&app, "undo", json!({ "workspace": ws, "run": run })).await;
    assert_eq!(again.status(), 409, "a run is undone once");
    assert!(view(&app, &ws, &run).await.summary.undone_at.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_policy_decides_what_waits_and_only_the_owner_changes_it() {
    let llm = ScriptedLlm::start().await;
    let app = agent_app(&llm, AgentSettings::default()).await;
    let (ws, _cleanup) = workspace(&app).await;
    let policy: Value = post(&app, "policy", json!({ "workspace": ws }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(policy["effective"], "risky", "risky is the default");
    let set = post(
        &app,
        "set-policy",
        json!({ "workspace": ws, "policy": "never" }),
    )
    .await;
    assert_eq!(set.status(), 200);
    let run = start(&app, &ws, "agent-risky", "Clean up.").await;
    let done = ended(&app, &ws, &run).await;
    assert_eq!(
        read(&app, &ws, "removed.txt").await.as_deref(),
        Some("removed\n"),
        "{done:#?}"
    );

    let set = post(
        &app,
        "set-policy",
        json!({ "workspace": ws, "policy": "always" }),
    )
    .await;
    assert_eq!(set.status(), 200);
    let run = start(&app, &ws, "agent-native", "Make hello.sh succeed.").await;
    let waiting = until(&app, &ws, &run, |v| v.pending.is_some()).await;
    let pending = waiting.pending.unwrap();
    assert_eq!(pending.tool, "write_file");
    assert!(
        pending.detail.contains("+++ b/hello.sh") && pending.detail.contains("+exit 3"),
        "{}",
        pending.detail
    );
    let stopped = post(&app, "stop", json!({ "workspace": ws, "run": run })).await;
    assert_eq!(stopped.status(), 200);
    assert_eq!(
        ended(&app, &ws, &run).await.summary.status,
        RunStatus::Stopped
    );
    assert_eq!(read(&app, &ws, "hello.sh").await, None);

    // An editor may run the agent and answer it, but not loosen the policy.
    let eddie = shared_with(&app, &ws, "eddie", "Editor").await;
    let as_eddie = |action: &str, body: Value| {
        eddie
            .post(format!("{}/api/agent/{action}", app.base))
            .json(&body)
            .send()
    };
    let policy: Value = as_eddie("policy", json!({ "workspace": ws }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(policy["may_change"], false);
    let refused = as_eddie("set-policy", json!({ "workspace": ws, "policy": "never" }))
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_floor_from_the_server_tightens_every_workspace() {
    let llm = ScriptedLlm::start().await;
    let floor = AgentSettings {
        floor: ConfirmPolicy::Always,
        ..AgentSettings::default()
    };
    let app = agent_app(&llm, floor).await;
    let (ws, _cleanup) = workspace(&app).await;
    post(
        &app,
        "set-policy",
        json!({ "workspace": ws, "policy": "never" }),
    )
    .await;
    let policy: Value = post(&app, "policy", json!({ "workspace": ws }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (policy["chosen"].as_str(), policy["effective"].as_str()),
        (Some("never"), Some("always"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_ends_when_its_user_loses_access() {
    let llm = ScriptedLlm::start().await;
    let app = agent_app(&llm, AgentSettings::default()).await;
    let (ws, _cleanup) = workspace(&app).await;
    let erin = shared_with(&app, &ws, "erin", "Editor").await;
    let started = erin
        .post(format!("{}/api/agent/start", app.base))
        .json(&json!({ "workspace": ws, "task": "Clean up.", "provider": "agent-risky" }))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 200);
    let run: String = started.json().await.unwrap();
    let pending = until(&app, &ws, &run, |v| v.pending.is_some())
        .await
        .pending
        .unwrap();

    // The share goes while the command waits; approving it now runs nothing.
    assert_eq!(app.share(&ws, "erin", Value::Null).await.status(), 200);
    let approved = decide(
        &app,
        json!({ "workspace": ws, "run": run, "seq": pending.seq,
        "decision": { "decision": "approve" } }),
    )
    .await;
    assert_eq!(approved.status(), 200);
    let done = ended(&app, &ws, &run).await;
    assert_eq!(done.summary.status, RunStatus::Failed);
    assert!(
        done.summary
            .detail
            .clone()
            .unwrap()
            .contains("erin may no longer change"),
        "{:?}",
        done.summary.detail
    );
    assert_eq!(read(&app, &ws, "removed.txt").await, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_newest_checkpoints_are_kept_and_older_runs_say_so() {
    let llm = ScriptedLlm::start().await;
    let app = agent_app(&llm, AgentSettings::default()).await;
    let (ws, _cleanup) = workspace(&app).await;
    let name = app::model::WorkspaceName::parse(ws.split('/').nth(1).unwrap()).unwrap();
    let mut runs = Vec::new();
    for _ in 0..6 {
        let run = start(&app, &ws, "agent-loop", "List the files.").await;
        ended(&app, &ws, &run).await;
        runs.push(run);
    }
    let kept = exec(&name, &["ls", "/tmp/.aicockpit-checkpoints"]).await;
    assert_eq!(kept.lines().count(), 5, "{kept}");
    assert!(!kept.contains(".part"));
    assert!(
        !kept.contains(&runs[0]) && kept.contains(&runs[5]),
        "{kept}"
    );
    let undo = post(&app, "undo", json!({ "workspace": ws, "run": runs[0] })).await;
    assert_eq!(undo.status(), 409);
    assert!(undo
        .text()
        .await
        .unwrap()
        .contains("can no longer be undone"));
    let undo = post(&app, "undo", json!({ "workspace": ws, "run": runs[5] })).await;
    assert_eq!(undo.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_watcher_who_loses_access_stops_receiving_the_run() {
    let llm = ScriptedLlm::start().await;
    let app = agent_app(&llm, AgentSettings::default()).await;
    let (ws, _cleanup) = workspace(&app).await;
    let vic = shared_with(&app, &ws, "vic", "Viewer").await;
    let run = start(&app, &ws, "agent-sleep", "Wait.").await;
    let workspace = app::auth::WorkspaceRef::parse(&ws).unwrap();
    let watching = vic
        .get(format!(
            "{}{}",
            app.base,
            app::agent::events_path(&workspace, &run)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(watching.status(), 200);
    // A viewer watches, but may not stop the run.
    let stop = vic
        .post(format!("{}/api/agent/stop", app.base))
        .json(&json!({ "workspace": ws, "run": run }))
        .send()
        .await
        .unwrap();
    assert_eq!(stop.status(), 403);
    let mut body = watching.bytes_stream();
    assert!(body.next().await.is_some(), "the snapshot comes first");
    assert_eq!(app.share(&ws, "vic", Value::Null).await.status(), 200);
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(_)) = body.next().await {}
    })
    .await;
    assert!(closed.is_ok(), "the stream ended with the share");
    post(&app, "stop", json!({ "workspace": ws, "run": run })).await;
    ended(&app, &ws, &run).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_never_acts_on_a_new_workspace_that_took_the_name_of_its_own() {
    let llm = ScriptedLlm::start().await;
    let app = agent_app(&llm, AgentSettings::default()).await;
    let (ws, _cleanup) = workspace(&app).await;
    let name = app::model::WorkspaceName::parse(ws.split('/').nth(1).unwrap()).unwrap();
    let run = start(&app, &ws, "agent-risky", "Clean up.").await;
    let pending = until(&app, &ws, &run, |v| v.pending.is_some())
        .await
        .pending
        .unwrap();
    let deleted = app
        .call("delete", json!({ "workspace": ws, "keep_volume": false }))
        .await;
    assert_eq!(deleted.status(), 200);
    let created = app.call("create", app.create_request(&name)).await;
    assert_eq!(created.status(), 200);
    let approved = decide(
        &app,
        json!({ "workspace": ws, "run": run, "seq": pending.seq,
        "decision": { "decision": "approve" } }),
    )
    .await;
    assert_eq!(approved.status(), 200);

    let deadline = Instant::now() + Duration::from_secs(30);
    let ended = loop {
        let audit: Vec<Value> = app
            .post_json(
                "/api/auth/audit",
                json!({ "filter": { "actor": "", "action": "agent-end", "workspace": "" } }),
            )
            .await
            .json()
            .await
            .unwrap();
        if let Some(entry) = audit
            .into_iter()
            .find(|e| e["detail"].as_str().is_some_and(|d| d.starts_with(&run)))
        {
            break entry;
        }
        assert!(Instant::now() < deadline, "the run never ended");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        ended["detail"]
            .as_str()
            .unwrap()
            .contains("the workspace was deleted"),
        "{ended}"
    );
    assert_eq!(read(&app, &ws, "removed.txt").await, None);
}
