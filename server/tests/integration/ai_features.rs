//! AI features beyond the chat stream, against the scripted provider: the capability probe
//! and the default provider, the terminal assistant, code actions, and saved conversations.

use std::time::Duration;

use app::ai::{AiError, ChatEvent};
use serde_json::{json, Value};

use crate::ai::{chat, error_of, question, settings, shared_with, workspace};
use crate::helpers::*;
use crate::scripted_llm::{ScriptedLlm, ANSWER};

#[tokio::test(flavor = "multi_thread")]
async fn a_probe_finds_what_the_model_can_do_and_admins_pick_the_default() {
    let llm = ScriptedLlm::start().await;
    let app = spawn_app_with_ai(settings(
        &llm.url,
        &["hang", "stream-ok", "missing"],
        Duration::from_secs(20),
    ))
    .await;
    let post = |path: &str, body: Value| {
        app.client
            .post(format!("{}{path}", app.base))
            .json(&body)
            .send()
    };
    let found: Value = post("/api/ai/probe", json!({ "provider": "stream-ok" }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["model_listed"], true);
    assert_eq!(found["native_tool_calls"], true);
    assert_eq!(found["context_tokens"], 8192);
    let plain: Value = post("/api/ai/probe", json!({ "provider": "hang" }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(plain["native_tool_calls"], false);
    let missing = post("/api/ai/probe", json!({ "provider": "missing" }))
        .await
        .unwrap();
    assert_eq!(missing.status(), 502);
    assert!(matches!(
        error_of(&missing.text().await.unwrap()),
        AiError::UnknownModel { .. }
    ));

    let providers: Value = post("/api/ai/providers", json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        providers[0]["is_default"], true,
        "the first until an admin picks"
    );
    let picked = post("/api/ai/set-default", json!({ "provider": "stream-ok" }))
        .await
        .unwrap();
    assert_eq!(picked.status(), 200);
    let providers: Value = post("/api/ai/providers", json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(providers[1]["is_default"], true);
    assert_eq!(providers[0]["is_default"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_terminal_assistant_proposes_a_command_labelled_by_the_rules() {
    let llm = ScriptedLlm::start().await;
    let app = spawn_app_with_ai(settings(&llm.url, &["commands"], Duration::from_secs(20))).await;
    let (workspace, _cleanup) = workspace(&app).await;
    let ask = |client: &reqwest::Client| {
        client
            .post(format!("{}/api/ai/suggest-command", app.base))
            .json(&json!({
                "workspace": workspace,
                "task": "clean the build",
                "output": "\u{1b}[1mbuild/\u{1b}[0m is 2 GB",
            }))
            .send()
    };
    let suggestion: Value = ask(&app.client).await.unwrap().json().await.unwrap();
    assert_eq!(suggestion["command"], "rm -rf build && ls");
    assert_eq!(suggestion["explanation"], "removes the build folder.");
    assert_eq!(suggestion["risk"]["level"], "High");
    assert_eq!(suggestion["risk"]["reasons"][0], "deletes recursively");
    let sent = &llm.seen()[0].body["messages"][1]["content"];
    assert!(sent.as_str().unwrap().contains("build/ is 2 GB"), "{sent}");

    // A viewer may chat but not have commands typed for them.
    let vera = shared_with(&app, &workspace, "vera", "Viewer").await;
    let refused = ask(&vera).await.unwrap();
    assert_eq!(refused.status(), 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn code_actions_propose_the_whole_file_and_explain_for_viewers_too() {
    let llm = ScriptedLlm::start().await;
    let app = spawn_app_with_ai(settings(&llm.url, &["coder"], Duration::from_secs(20))).await;
    let (workspace, _cleanup) = workspace(&app).await;
    let action = |client: &reqwest::Client, kind: &str| {
        client
            .post(format!("{}/api/ai/code-action", app.base))
            .json(&json!({ "request": {
                "workspace": workspace, "file": "app.py",
                "before": "print(broken)\n", "selected": "", "after": "",
                "kind": kind, "diagnostic": "NameError: name 'broken' is not defined",
            }}))
            .send()
    };
    let fixed: Value = action(&app.client, "Fix")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fixed, json!({ "Edit": { "text": "print(\"fixed\")\n" } }));
    let sent = llm.seen()[0].body["messages"][1]["content"].clone();
    assert!(sent.as_str().unwrap().contains("print(broken)"), "{sent}");
    assert!(sent.as_str().unwrap().contains("NameError"), "{sent}");

    let viewer = shared_with(&app, &workspace, "vic", "Viewer").await;
    let explained = action(&viewer, "Explain").await.unwrap();
    assert_eq!(explained.status(), 200);
    let explained: Value = explained.json().await.unwrap();
    assert!(explained["Explanation"]["markdown"]
        .as_str()
        .unwrap()
        .contains("Here you go"));
    assert_eq!(action(&viewer, "Refactor").await.unwrap().status(), 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn conversations_are_saved_per_user_and_can_be_renamed_and_deleted() {
    let llm = ScriptedLlm::start().await;
    let app = spawn_app_with_ai(settings(&llm.url, &["stream-ok"], Duration::from_secs(20))).await;
    let (workspace, _cleanup) = workspace(&app).await;
    let post = |client: &reqwest::Client, path: &str, body: Value| {
        client
            .post(format!("{}/api/ai/{path}", app.base))
            .json(&body)
            .send()
    };
    let (_, events) = chat(&app, question(&workspace, "stream-ok")).await;
    let Some(ChatEvent::Context { conversation, .. }) = events.unwrap().first().cloned() else {
        panic!("no context");
    };
    // Saved once the answer is complete (in the background).
    let mut listed = json!([]);
    for _ in 0..50 {
        listed = post(
            &app.client,
            "conversations",
            json!({ "workspace": workspace }),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        if listed.as_array().is_some_and(|l| !l.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(listed[0]["id"], conversation.as_str());
    assert_eq!(listed[0]["title"], "What is here?");

    // Going on in the same conversation keeps all of it.
    let mut follow_up = question(&workspace, "stream-ok");
    follow_up["conversation"] = json!(conversation);
    follow_up["messages"] = json!([
        { "role": "user", "content": "What is here?" },
        { "role": "assistant", "content": ANSWER },
        { "role": "user", "content": "And then?" },
    ]);
    let (status, events) = chat(&app, follow_up.clone()).await;
    assert_eq!(status, 200);
    assert!(
        matches!(
            events.as_deref().unwrap().last(),
            Some(ChatEvent::Done { .. })
        ),
        "{events:?}"
    );
    let open = json!({ "workspace": workspace, "id": conversation });
    let mut messages = Value::Null;
    for _ in 0..50 {
        messages = post(&app.client, "conversation", open.clone())
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if messages.as_array().is_some_and(|m| m.len() == 4) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(messages.as_array().map(Vec::len), Some(4), "{messages}");
    assert_eq!(messages[3]["content"], ANSWER);

    // Another user with access to the workspace neither sees nor continues it.
    let eddie = shared_with(&app, &workspace, "eddie", "Editor").await;
    let theirs: Value = post(&eddie, "conversations", json!({ "workspace": workspace }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(theirs, json!([]));
    assert_eq!(
        post(&eddie, "conversation", open.clone())
            .await
            .unwrap()
            .status(),
        422
    );
    let hijack = eddie
        .post(format!("{}{}", app.base, app::wire::CHAT))
        .json(&follow_up)
        .send()
        .await
        .unwrap();
    assert_eq!(hijack.status(), 422);

    let rename = json!({ "workspace": workspace, "id": conversation, "title": "Looking around" });
    assert_eq!(
        post(&app.client, "change-conversation", rename)
            .await
            .unwrap()
            .status(),
        200
    );
    let listed: Value = post(
        &app.client,
        "conversations",
        json!({ "workspace": workspace }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(listed[0]["title"], "Looking around");
    let delete = json!({ "workspace": workspace, "id": conversation });
    assert_eq!(
        post(&app.client, "change-conversation", delete)
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        post(&app.client, "conversation", open)
            .await
            .unwrap()
            .status(),
        422
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn with_a_keeping_time_of_zero_no_conversation_is_saved() {
    let llm = ScriptedLlm::start().await;
    let mut ai = settings(&llm.url, &["stream-ok"], Duration::from_secs(20));
    ai.keep_conversations = Duration::ZERO;
    let app = spawn_app_with_ai(ai).await;
    let (workspace, _cleanup) = workspace(&app).await;
    let (status, events) = chat(&app, question(&workspace, "stream-ok")).await;
    assert_eq!(status, 200);
    assert!(matches!(
        events.unwrap().last(),
        Some(ChatEvent::Done { .. })
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let listed: Value = app
        .client
        .post(format!("{}/api/ai/conversations", app.base))
        .json(&json!({ "workspace": workspace }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]));
}
