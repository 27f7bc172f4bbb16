//! Sharing a workspace live: a viewer sees the owner's terminal but cannot type or change
//! files, becomes an editor without reconnecting, and loses access at once when the share
//! is revoked.

use std::time::Duration;

use app::auth::{Role, UserName};
use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_viewer_watches_an_editor_types_and_a_revoked_user_is_cut_off() {
    let (app, name, _cleanup) = app_with_workspace("share").await;
    let workspace = reference(&name).to_string();
    app.auth
        .add_user("bob", PASSWORD, Role::Member)
        .await
        .unwrap();
    let bob_token = app
        .auth
        .issue_token(&UserName::parse("bob").unwrap(), "t")
        .await
        .unwrap();
    let bob = bearer_client(&bob_token);
    let post = |client: &reqwest::Client, path: &str, body: Value| {
        client
            .post(format!("{}{path}", app.base))
            .json(&body)
            .send()
    };
    let share = |role: Value| {
        post(
            &app.client,
            "/api/workspaces/share",
            json!({ "workspace": workspace, "user": "bob", "role": role }),
        )
    };

    // Not shared: it does not exist for bob.
    let described = post(
        &bob,
        "/api/workspaces/describe",
        json!({ "workspace": workspace }),
    );
    assert_eq!(described.await.unwrap().status(), 404);

    assert_eq!(share(json!("Viewer")).await.unwrap().status(), 200);
    let listed: Value = post(&bob, "/api/workspaces/list", json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entry = &listed["workspaces"][0];
    assert_eq!(entry["name"], name.as_str());
    assert_eq!(entry["access"], "Viewer");
    let shares: Value = post(
        &app.client,
        "/api/workspaces/shares",
        json!({ "workspace": workspace }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(shares, json!([{ "user": "bob", "role": "Viewer" }]));

    // A viewer reads but cannot write, start, stop, share or delete.
    let read = post(
        &bob,
        "/api/files/list",
        json!({ "workspace": workspace, "folder": "" }),
    );
    assert_eq!(read.await.unwrap().status(), 200);
    let write = post(
        &bob,
        "/api/files/write",
        json!({ "workspace": workspace, "file": "x", "text": "x" }),
    );
    let refused = write.await.unwrap();
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("editor access"));
    for action in ["stop", "delete", "shares"] {
        let body = json!({ "workspace": workspace, "keep_volume": true });
        let status = post(&bob, &format!("/api/workspaces/{action}"), body)
            .await
            .unwrap()
            .status();
        assert_eq!(status, 403, "{action}");
    }

    // A viewer cannot start a shell of their own.
    let mut unopened = terminal(&app.terminal_url(&name, "bobs"), &bob_token).await;
    until(&mut unopened, "Nobody has this terminal open").await;

    // The same terminal, live for both; the viewer's keys never reach the shell.
    let url = app.terminal_url(&name, "main");
    let mut owners = terminal(&url, &app.token).await;
    until(&mut owners, r#"{"type":"attached","users":["tester"]}"#).await;
    let mut bobs = terminal(&url, &bob_token).await;
    // Both hear who has the workspace open and who is at this terminal.
    let attached = r#"{"type":"attached","users":["bob","tester"]}"#;
    let seen = until(
        &mut owners,
        r#"{"type":"presence","users":["bob","tester"]}"#,
    )
    .await;
    if !seen.contains(attached) {
        until(&mut owners, attached).await;
    }
    let mut elsewhere = terminal(&app.terminal_url(&name, "second"), &app.token).await;
    until(&mut elsewhere, r#"{"type":"attached","users":["tester"]}"#).await;
    drop(elsewhere);
    type_in(&mut owners, "echo shared-''output\n").await;
    until(&mut bobs, "shared-output").await;
    type_in(&mut bobs, "echo typed-''by-bob\n").await;
    type_in(&mut owners, "echo marker-''one\n").await;
    let seen = until(&mut owners, "marker-one").await;
    assert!(!seen.contains("typed-by-bob"), "a viewer typed: {seen:?}");

    // Made editor: the open terminal takes his keys from now on.
    assert_eq!(share(json!("Editor")).await.unwrap().status(), 200);
    let mut typed = false;
    for _ in 0..20 {
        type_in(&mut bobs, "echo bob-''now\n").await;
        if tokio::time::timeout(Duration::from_millis(500), until(&mut owners, "bob-now"))
            .await
            .is_ok()
        {
            typed = true;
            break;
        }
    }
    assert!(typed, "the editor's keys never arrived");
    // An editor still cannot share or delete.
    let delete = post(
        &bob,
        "/api/workspaces/delete",
        json!({ "workspace": workspace, "keep_volume": true }),
    );
    assert_eq!(delete.await.unwrap().status(), 403);

    // Revoked: his terminal closes with the reason, his next call finds nothing.
    assert_eq!(share(Value::Null).await.unwrap().status(), 200);
    until(&mut bobs, "was removed by its owner").await;
    let read = post(
        &bob,
        "/api/files/list",
        json!({ "workspace": workspace, "folder": "" }),
    );
    assert_eq!(read.await.unwrap().status(), 404);
    // The owner's terminal goes on.
    type_in(&mut owners, "echo still-''mine\n").await;
    until(&mut owners, "still-mine").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sharing_names_a_real_other_user() {
    let (app, name, _cleanup) = app_with_workspace("share-bad").await;
    let workspace = reference(&name).to_string();
    for (user, wanted) in [("nobody", "no user named"), (OWNER, "owns")] {
        let response = app
            .call(
                "share",
                json!({ "workspace": workspace, "user": user, "role": "Viewer" }),
            )
            .await;
        assert_eq!(response.status(), 422, "{user}");
        assert!(response.text().await.unwrap().contains(wanted), "{user}");
    }
}
