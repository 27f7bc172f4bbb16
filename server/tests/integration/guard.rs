//! What a foreign web page can do to a running server: nothing. A page from another origin
//! cannot open a terminal or call the API, a DNS-rebinding host name is not answered, and
//! every page carries the security headers.

use reqwest::header::{CONTENT_SECURITY_POLICY, HOST, ORIGIN};
use serde_json::json;
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Error as WsError;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_origin_cannot_open_a_terminal() {
    let (app, name, _cleanup) = app_with_workspace("xorigin").await;
    let mut request = app
        .terminal_url(&name, "main")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert(ORIGIN, "https://evil.example".parse().unwrap());
    // Even with a valid credential: the page is not ours.
    let token = format!("Bearer {}", app.token).parse().unwrap();
    request.headers_mut().insert("authorization", token);
    match connect_async(request).await {
        Err(WsError::Http(response)) => assert_eq!(response.status(), 403),
        Ok(_) => panic!("a foreign page opened a terminal"),
        Err(e) => panic!("unexpected failure: {e}"),
    }
    // Nothing was started for it: the first real viewer gets a fresh shell, no replay.
    let sessions = exec(&name, &["sh", "-c", "ps -o args | grep -c '[s]h -l'"]).await;
    assert_eq!(sessions.trim(), "0", "a shell was started: {sessions}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_origin_cannot_call_the_api_and_changes_nothing() {
    let app = spawn_memory_app().await;
    let name = unique_name("xpost");
    let _cleanup = Cleanup(vec![name.clone()]);
    let refused = app
        .client
        .post(format!("{}/api/workspaces/create", app.base))
        .header(ORIGIN, "http://127.0.0.1:1")
        .json(&app.create_request(&name))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("http://127.0.0.1:1"));
    let listed: serde_json::Value = app.call("list", json!({})).await.json().await.unwrap();
    assert!(!listed.to_string().contains(name.as_str()), "{listed}");

    // The server's own pages may.
    let own = app
        .client
        .post(format!("{}/api/workspaces/list", app.base))
        .header(ORIGIN, &app.base)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rebinding_host_name_is_not_answered() {
    let app = spawn_memory_app().await;
    for path in ["/", "/api/health", "/pkg/aicockpit.css"] {
        let response = app
            .client
            .get(format!("{}{path}", app.base))
            .header(HOST, "rebind.attacker.example")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 421, "{path}");
    }
    let localhost = app.base.replace("127.0.0.1", "localhost");
    let page = app
        .client
        .get(format!("{localhost}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_carry_a_policy_that_names_their_hydration_script() {
    let app = spawn_memory_app().await;
    let page = app.get("/").await;
    let headers = page.headers().clone();
    let policy = headers[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    let body = page.text().await.unwrap();
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("the page policy has a nonce");
    assert!(
        body.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script lacks the nonce"
    );
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
    assert!(
        !headers.contains_key("strict-transport-security"),
        "plain HTTP asks for no HSTS"
    );

    // Every render gets its own nonce; other answers get the policy without one.
    let again = app.get("/").await;
    assert_ne!(again.headers()[CONTENT_SECURITY_POLICY], policy.as_str());
    let health = app.get("/api/health").await;
    let plain = health.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(!plain.contains("nonce"), "{plain}");
}
