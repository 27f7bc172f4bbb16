//! Rights taken away reach what is already open: a demoted admin's terminal on someone
//! else's workspace, a terminal opened with a token that is then revoked, tokens after an
//! admin resets the password; and the limits that hold under a burst of requests.

use std::time::Duration;

use aicockpit::auth::{AuthSettings, LimiterSettings};
use app::auth::{Role, UserName};
use reqwest::header::ORIGIN;
use serde_json::{json, Value};

use crate::helpers::*;

async fn post(client: &reqwest::Client, app: &TestApp, path: &str, body: Value) -> u16 {
    client
        .post(format!("{}{path}", app.base))
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Revokes the test admin's token named `name`, as the account page does.
async fn revoke(app: &TestApp, name: &str) {
    let tokens: Value = app
        .client
        .post(format!("{}/api/auth/tokens", app.base))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = tokens
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap();
    let body = json!({ "id": token["id"] });
    assert_eq!(
        post(&app.client, app, "/api/auth/revoke-token", body).await,
        200
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_demoted_admin_loses_an_open_terminal_on_anothers_workspace() {
    let (app, name, _cleanup) = app_with_workspace("demote").await;
    app.auth
        .add_user("carol", PASSWORD, Role::Admin)
        .await
        .unwrap();
    let carol = UserName::parse("carol").unwrap();
    let token = app.auth.issue_token(&carol, "t").await.unwrap();
    let url = app.terminal_url(&name, "main");
    let mut owners = terminal(&url, &app.token).await;
    until(&mut owners, r#"{"type":"attached","users":["tester"]}"#).await;
    let mut carols = terminal(&url, &token).await;
    until(&mut carols, "carol").await;

    let body = json!({ "name": "carol", "role": "Member" });
    assert_eq!(
        post(&app.client, &app, "/api/auth/set-role", body).await,
        200
    );
    until(&mut carols, "Your access to").await;
    // The owner's terminal goes on.
    type_in(&mut owners, "echo still-''here\n").await;
    until(&mut owners, "still-here").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_token_closes_its_terminal_and_only_that_one() {
    let (app, name, _cleanup) = app_with_workspace("revoke").await;
    let second = app.auth.issue_token(&owner(), "second").await.unwrap();
    let url = app.terminal_url(&name, "main");
    let mut kept = terminal(&url, &app.token).await;
    until(&mut kept, r#""attached""#).await;
    let mut doomed = terminal(&url, &second).await;
    until(&mut doomed, r#""attached""#).await;

    revoke(&app, "second").await;
    until(&mut doomed, "Your session ended").await;
    type_in(&mut kept, "echo kept-''open\n").await;
    until(&mut kept, "kept-open").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_reset_ends_the_users_tokens_and_is_not_for_oneself() {
    let app = spawn_memory_app().await;
    app.auth
        .add_user("dave", PASSWORD, Role::Member)
        .await
        .unwrap();
    let dave = UserName::parse("dave").unwrap();
    let token = app.auth.issue_token(&dave, "t").await.unwrap();
    let daves = bearer_client(&token);
    assert_eq!(post(&daves, &app, "/api/auth/me", json!({})).await, 200);

    let reset = json!({ "name": "dave", "password": "a brand new password" });
    assert_eq!(
        post(&app.client, &app, "/api/auth/reset-password", reset).await,
        200
    );
    assert_eq!(post(&daves, &app, "/api/auth/me", json!({})).await, 401);

    let own = json!({ "name": OWNER, "password": "a brand new password" });
    assert_eq!(
        post(&app.client, &app, "/api/auth/reset-password", own).await,
        403
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_parallel_guesses_is_limited_like_one_at_a_time() {
    let app = spawn_memory_app_with(AuthSettings {
        limiter: LimiterSettings {
            window: Duration::from_secs(600),
            per_account: 3,
            per_address: 100,
        },
        ..AuthSettings::default()
    })
    .await;
    let guesses = (0..12).map(|i| {
        let base = app.base.clone();
        async move {
            reqwest::Client::new()
                .post(format!("{base}/api/auth/sign-in"))
                .header(ORIGIN, &base)
                .json(&json!({ "name": OWNER, "password": format!("guess {i}") }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let statuses = futures::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, refused), (3, 9), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_stream_ends_with_the_token_it_was_opened_with() {
    use futures::StreamExt;
    let app = spawn_memory_app().await;
    let second = app.auth.issue_token(&owner(), "stream").await.unwrap();
    let mut stream = bearer_client(&second)
        .get(format!("{}/api/events", app.base))
        .send()
        .await
        .unwrap()
        .bytes_stream();
    revoke(&app, "stream").await;
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(_)) = stream.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream outlived its revoked token");
}
