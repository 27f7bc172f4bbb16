//! Accounts on a running server: first-run set-up, sign-in and its cookie, session fixation,
//! lock-out and its release, API tokens and their revocation, a cookie that is not enough
//! without an Origin, and a disabled user's open terminal closed at once.

use std::time::Duration;

use aicockpit::auth::{AuthSettings, LimiterSettings};
use app::auth::{Role, UserName};
use futures::StreamExt;
use reqwest::header::{COOKIE, ORIGIN, SET_COOKIE};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::*;

/// A client without credentials that does not follow redirects.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs in like the sign-in page does; returns the response.
async fn sign_in(
    app: &TestApp,
    name: &str,
    password: &str,
    cookie: Option<&str>,
) -> reqwest::Response {
    let mut request = browser()
        .post(format!("{}/api/auth/sign-in", app.base))
        .header(ORIGIN, &app.base)
        .json(&json!({ "name": name, "password": password }));
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    request.send().await.unwrap()
}

/// `aicockpit_session=…` from a response's Set-Cookie, and the whole header.
fn session_cookie(response: &reqwest::Response) -> (String, String) {
    let header = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    let pair = header.split(';').next().unwrap().to_owned();
    (pair, header)
}

/// A server function called as a browser page would: the cookie and our Origin.
async fn call_with_cookie(
    app: &TestApp,
    path: &str,
    cookie: &str,
    origin: bool,
) -> reqwest::Response {
    let mut request = browser()
        .post(format!("{}{path}", app.base))
        .header(COOKIE, cookie)
        .json(&json!({}));
    if origin {
        request = request.header(ORIGIN, &app.base);
    }
    request.send().await.unwrap()
}

/// The status of `/api/auth/me` asked with the cookie, as our own page would.
async fn whoami(app: &TestApp, cookie: &str) -> u16 {
    call_with_cookie(app, "/api/auth/me", cookie, true)
        .await
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_sets_a_strict_cookie_and_fixation_gets_nowhere() {
    let app = spawn_memory_app().await;
    let wrong = sign_in(&app, OWNER, "not the password", None).await;
    assert_eq!(wrong.status(), 401);
    let error: Value = wrong.json().await.unwrap();
    assert_eq!(error, json!("SignInFailed"));
    let unknown = sign_in(&app, "nobody", PASSWORD, None).await;
    assert_eq!(
        unknown.status(),
        401,
        "unknown users look like wrong passwords"
    );

    // An attacker plants a session id of their choosing before the victim signs in.
    let planted = "aicockpit_session=0123456789abcdef";
    let signed_in = sign_in(&app, OWNER, PASSWORD, Some(planted)).await;
    assert_eq!(signed_in.status(), 200);
    let (cookie, header) = session_cookie(&signed_in);
    assert!(
        header.contains("HttpOnly") && header.contains("SameSite=Lax"),
        "{header}"
    );
    assert!(!header.contains("Secure"), "plain HTTP: {header}");
    assert_ne!(cookie, planted, "a fresh session id at sign-in");
    assert_eq!(
        call_with_cookie(&app, "/api/auth/me", planted, true)
            .await
            .status(),
        401
    );
    let me = call_with_cookie(&app, "/api/auth/me", &cookie, true).await;
    assert_eq!(me.status(), 200);
    assert_eq!(me.json::<Value>().await.unwrap()["name"], OWNER);

    // A cookie alone is not enough for a change: a script must use a token.
    assert_eq!(
        call_with_cookie(&app, "/api/auth/me", &cookie, false)
            .await
            .status(),
        401
    );
    // Pages are plain navigations and load with the cookie.
    let page = browser()
        .get(format!("{}/", app.base))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);

    // Signing in again ends the session the browser had.
    let again = sign_in(&app, OWNER, PASSWORD, Some(&cookie)).await;
    let (second, _) = session_cookie(&again);
    assert_eq!(whoami(&app, &cookie).await, 401);
    // Signing out ends the new one.
    let out = call_with_cookie(&app, "/api/auth/sign-out", &second, true).await;
    assert!(session_cookie(&out).1.contains("Max-Age=0"));
    assert_eq!(whoami(&app, &second).await, 401);

    // Behind a TLS proxy the cookie is Secure.
    let proxied = browser()
        .post(format!("{}/api/auth/sign-in", app.base))
        .header(ORIGIN, &app.base)
        .header("x-forwarded-proto", "https")
        .json(&json!({ "name": OWNER, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert!(session_cookie(&proxied).1.ends_with("; Secure"));
}

#[tokio::test(flavor = "multi_thread")]
async fn repeated_failures_lock_the_account_until_the_window_passes() {
    let app = spawn_memory_app_with(AuthSettings {
        limiter: LimiterSettings {
            window: Duration::from_secs(3),
            per_account: 3,
            per_address: 100,
        },
        ..AuthSettings::default()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            sign_in(&app, OWNER, "wrong password", None).await.status(),
            401
        );
    }
    let locked = sign_in(&app, OWNER, PASSWORD, None).await;
    assert_eq!(locked.status(), 429, "even the right password waits");
    assert!(locked.headers().contains_key("retry-after"));
    let text = locked.text().await.unwrap();
    assert!(text.contains("TooManyAttempts"), "{text}");

    tokio::time::sleep(Duration::from_millis(3200)).await;
    assert_eq!(sign_in(&app, OWNER, PASSWORD, None).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_work_until_revoked_and_are_stored_hashed() {
    let app = spawn_memory_app().await;
    let signed_in = sign_in(&app, OWNER, PASSWORD, None).await;
    let (cookie, _) = session_cookie(&signed_in);
    let created: Value = browser()
        .post(format!("{}/api/auth/create-token", app.base))
        .header(COOKIE, &cookie)
        .header(ORIGIN, &app.base)
        .json(&json!({ "request": { "name": "ci", "scopes": ["Read", "Admin"] } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("aic_"));
    let script = bearer_client(&secret);
    let listed = script
        .post(format!("{}/api/auth/tokens", app.base))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    let listed: Value = listed.json().await.unwrap();
    let ci = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "ci")
        .unwrap();
    assert!(ci["last_used_at"].is_i64(), "use is recorded: {ci}");
    assert!(
        !listed.to_string().contains(&secret),
        "the secret is shown once"
    );

    let revoked = script
        .post(format!("{}/api/auth/revoke-token", app.base))
        .json(&json!({ "id": ci["id"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let after = script
        .post(format!("{}/api/workspaces/list", app.base))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
    // A made-up token is refused the same way.
    let forged = bearer_client("aic_forged")
        .post(format!("{}/api/workspaces/list", app.base))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disabled_users_open_terminal_closes_at_once() {
    let app = spawn_app().await;
    app.auth
        .add_user("bob", PASSWORD, Role::Member)
        .await
        .unwrap();
    let bob = UserName::parse("bob").unwrap();
    let token = app.auth.issue_token(&bob, "t").await.unwrap();
    let client = bearer_client(&token);
    let name = unique_name("bob");
    let container = aicockpit::workspaces::container_name(&bob, &name);
    struct Remove(String);
    impl Drop for Remove {
        fn drop(&mut self) {
            let _ = std::process::Command::new("docker")
                .args(["rm", "-f", &self.0])
                .output();
            let _ = std::process::Command::new("docker")
                .args(["volume", "rm", "-f", &format!("{}-files", self.0)])
                .output();
        }
    }
    let _remove = Remove(container);
    let created = client
        .post(format!("{}/api/workspaces/create", app.base))
        .json(&app.create_request(&name))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200, "{:?}", created.text().await);

    let url = format!(
        "{}/ws/terminal/bob/{name}/main",
        app.base.replacen("http://", "ws://", 1)
    );
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();

    // The admin disables bob from the users page.
    let disabled = app
        .client
        .post(format!("{}/api/auth/disable-user", app.base))
        .json(&json!({ "name": "bob", "disabled": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), 200);
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(frame)) = socket.next().await {
            if let Message::Text(text) = frame {
                if text.contains("Your session ended") {
                    return true;
                }
            }
        }
        false
    })
    .await;
    assert_eq!(ended, Ok(true), "the terminal was told and closed");
    let after = client
        .post(format!("{}/api/workspaces/list", app.base))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401, "a disabled user's token stops working");

    // The admin sees bob's workspace; the audit log has what happened.
    let listed: Value = app.call("list", json!({})).await.json().await.unwrap();
    assert!(listed.to_string().contains(name.as_str()));
    let audit: Value = app
        .client
        .post(format!("{}/api/auth/audit", app.base))
        .json(&json!({ "filter": { "actor": "", "action": "", "workspace": "" } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for wanted in ["workspace-create", "terminal-open", "user-disable"] {
        assert!(
            actions.contains(&wanted),
            "{wanted} missing from {actions:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_server_is_set_up_once_with_its_link() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("fresh.db");
    let app = aicockpit::startup::Application::build(
        aicockpit::config::ServeConfig::local(database.clone(), MEMORY_IMAGE),
        memory_backend(),
    )
    .await
    .unwrap();
    let token = app.setup_token.clone().expect("a set-up token");
    let file = aicockpit::startup::setup_file(&database);
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), token);
    let base = format!("http://{}", app.addr);
    tokio::spawn(app.run(std::future::pending()));

    let home = browser().get(format!("{base}/")).send().await.unwrap();
    assert_eq!(home.status(), 303);
    assert_eq!(home.headers()["location"], "/setup");

    let set_up = |token: String, name: &'static str| {
        let base = base.clone();
        async move {
            browser()
                .post(format!("{base}/api/auth/set-up"))
                .header(ORIGIN, &base)
                .json(&json!({ "token": token, "name": name, "password": "first admin pw" }))
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(set_up("wrong".into(), "ada").await.status(), 403);
    // Two racing with the link: one admin, not two.
    let (first, second) = tokio::join!(
        set_up(token.clone(), "ada"),
        set_up(token.clone(), "mallory")
    );
    let (done, lost) = if first.status() == 200 {
        (first, second)
    } else {
        (second, first)
    };
    assert_eq!(done.status(), 200);
    assert_eq!(lost.status(), 403);
    assert!(done.headers().contains_key(SET_COOKIE), "signed in at once");
    assert!(!file.exists(), "the token file is gone once used");
    assert_eq!(
        set_up(token, "eve").await.status(),
        403,
        "the link works once"
    );
    let home = browser().get(format!("{base}/")).send().await.unwrap();
    assert_eq!(home.headers()["location"], "/sign-in?next=/");
}
