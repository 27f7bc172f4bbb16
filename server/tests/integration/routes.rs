//! The route-table test: every route the router serves — Leptos pages, server functions
//! and the plain routes, all taken from where the router gets them — is called anonymously
//! and as a signed-in user who has no business with the workspace it names, and must name
//! the scope an API token needs for it. A route added without an entry below, or without a
//! scope, fails here, and so does one that answers either caller.

use std::collections::HashMap;

use aicockpit::http::actor::is_public;
use aicockpit::http::route_table::plain_routes;
use aicockpit::http::scopes::required;
use app::error::AppError;
use axum::http::Method;
use serde_json::{json, Value};

use crate::helpers::*;

/// What an unrelated, signed-in member gets from a route that names someone else's
/// workspace or needs another role.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stranger {
    /// The workspace does not exist for them.
    NotFound,
    /// Admins only.
    Forbidden,
    /// Their own business: allowed, and shows nothing of others.
    Own,
    /// A plain route of their own business: exactly this status.
    Answers(u16),
}

impl Stranger {
    /// The exact status they get.
    fn status(self) -> u16 {
        match self {
            Stranger::NotFound => 404,
            Stranger::Forbidden => 403,
            Stranger::Answers(status) => status,
            Stranger::Own => 200,
        }
    }
}

/// Every server function with a body naming the test workspace `W` or the owner's creation
/// `C` (replaced below), and what a stranger gets.
fn server_functions() -> HashMap<&'static str, (Value, Stranger)> {
    use Stranger::*;
    let file = |extra: Value| {
        let mut body = json!({ "workspace": "W" });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        (body, NotFound)
    };
    HashMap::from([
        ("/api/workspaces/list", (json!({}), Own)),
        ("/api/ai/providers", (json!({}), Own)),
        // AI is off on this server.
        (
            "/api/ai/probe",
            (json!({ "provider": "none" }), Answers(503)),
        ),
        (
            "/api/ai/conversations",
            (json!({ "workspace": "W" }), NotFound),
        ),
        (
            "/api/ai/conversation",
            (json!({ "workspace": "W", "id": "x" }), NotFound),
        ),
        (
            "/api/ai/change-conversation",
            (json!({ "workspace": "W", "id": "x" }), NotFound),
        ),
        (
            "/api/ai/code-action",
            (
                json!({ "request": { "workspace": "W", "file": "a.txt", "before": "x", "selected": "", "after": "", "kind": "Explain" } }),
                NotFound,
            ),
        ),
        (
            "/api/ai/suggest-command",
            (json!({ "workspace": "W", "task": "list files" }), NotFound),
        ),
        (
            "/api/ai/set-default",
            (json!({ "provider": "none" }), Forbidden),
        ),
        (
            "/api/agent/start",
            (json!({ "workspace": "W", "task": "x" }), NotFound),
        ),
        ("/api/agent/runs", (json!({ "workspace": "W" }), NotFound)),
        (
            "/api/agent/run",
            (json!({ "workspace": "W", "run": "r" }), NotFound),
        ),
        (
            "/api/agent/decide",
            (
                json!({ "workspace": "W", "run": "r", "seq": 1, "decision": { "decision": "approve" } }),
                NotFound,
            ),
        ),
        (
            "/api/agent/stop",
            (json!({ "workspace": "W", "run": "r" }), NotFound),
        ),
        (
            "/api/agent/undo",
            (json!({ "workspace": "W", "run": "r" }), NotFound),
        ),
        ("/api/agent/policy", (json!({ "workspace": "W" }), NotFound)),
        (
            "/api/agent/set-policy",
            (json!({ "workspace": "W", "policy": "never" }), NotFound),
        ),
        ("/api/workspaces/images", (json!({}), Own)),
        ("/api/workspaces/limits", (json!({}), Own)),
        ("/api/workspaces/network-bounds", (json!({}), Own)),
        (
            "/api/workspaces/network",
            (json!({ "workspace": "W" }), NotFound),
        ),
        (
            "/api/workspaces/set-network",
            (json!({ "workspace": "W", "level": "Open" }), NotFound),
        ),
        (
            "/api/workspaces/set-limits",
            (
                json!({ "workspace": "W", "cpus": 0.5, "memory_mib": 256, "processes": 256 }),
                NotFound,
            ),
        ),
        (
            "/api/workspaces/set-idle-stop",
            (json!({ "workspace": "W", "minutes": 30 }), NotFound),
        ),
        (
            "/api/workspaces/create",
            (
                json!({ "request": { "name": "mine", "image": "none", "cpus": 1.0, "memory_mib": 256 } }),
                Answers(422),
            ),
        ),
        ("/api/workspaces/creation", (json!({ "id": "C" }), NotFound)),
        ("/api/workspaces/creations", (json!({}), Own)),
        (
            "/api/workspaces/cancel-creation",
            (json!({ "id": "C" }), NotFound),
        ),
        (
            "/api/workspaces/resume-creation",
            (json!({ "id": "C" }), NotFound),
        ),
        (
            "/api/workspaces/dismiss-creation",
            (json!({ "id": "C" }), NotFound),
        ),
        (
            "/api/workspaces/start",
            (json!({ "workspace": "W" }), NotFound),
        ),
        (
            "/api/workspaces/stop",
            (json!({ "workspace": "W" }), NotFound),
        ),
        (
            "/api/workspaces/delete",
            (json!({ "workspace": "W", "keep_volume": true }), NotFound),
        ),
        (
            "/api/workspaces/describe",
            (json!({ "workspace": "W" }), NotFound),
        ),
        (
            "/api/workspaces/shares",
            (json!({ "workspace": "W" }), NotFound),
        ),
        (
            "/api/workspaces/share",
            (
                json!({ "workspace": "W", "user": "mallory", "role": "Editor" }),
                NotFound,
            ),
        ),
        ("/api/files/list", file(json!({ "folder": "" }))),
        ("/api/files/read", file(json!({ "file": "a" }))),
        (
            "/api/files/write",
            file(json!({ "file": "a", "text": "x" })),
        ),
        ("/api/files/create-file", file(json!({ "file": "a" }))),
        ("/api/files/create-folder", file(json!({ "folder": "a" }))),
        ("/api/files/rename", file(json!({ "from": "a", "to": "b" }))),
        ("/api/files/delete", file(json!({ "path": "a" }))),
        (
            "/api/files/clone",
            file(json!({ "url": "https://example.com/r.git" })),
        ),
        ("/api/previews/ports", file(json!({}))),
        ("/api/previews/links", file(json!({}))),
        (
            "/api/previews/share",
            file(json!({ "port": "8000", "lifetime": "1 hour" })),
        ),
        ("/api/previews/revoke", file(json!({ "id": 1 }))),
        ("/api/templates/list", (json!({}), Own)),
        (
            "/api/templates/build",
            (json!({ "template": "none" }), Answers(422)),
        ),
        (
            "/api/templates/add",
            (json!({ "devcontainer": "{}" }), Forbidden),
        ),
        (
            "/api/templates/remove",
            (json!({ "template": "python" }), Forbidden),
        ),
        ("/api/templates/set-up", file(json!({}))),
        ("/api/templates/repository", file(json!({}))),
        ("/api/templates/build-repository", file(json!({}))),
        ("/api/templates/apply-repository", file(json!({}))),
        (
            "/api/auth/sign-in",
            (json!({ "name": "x", "password": "y" }), Answers(401)),
        ),
        (
            "/api/auth/set-up",
            (
                json!({ "token": "x", "name": "x", "password": "y" }),
                Answers(403),
            ),
        ),
        ("/api/auth/sign-out", (json!({}), Own)),
        ("/api/auth/me", (json!({}), Own)),
        (
            "/api/auth/password",
            (json!({ "current": "x", "new": "y" }), Answers(422)),
        ),
        ("/api/auth/tokens", (json!({}), Own)),
        (
            "/api/auth/create-token",
            (
                json!({ "request": { "name": "t", "scopes": ["Read"], "workspace": "W" } }),
                NotFound,
            ),
        ),
        ("/api/auth/revoke-token", (json!({ "id": 1 }), Answers(422))),
        ("/api/ssh/keys", (json!({}), Own)),
        ("/api/ssh/access", (json!({}), Own)),
        (
            "/api/ssh/add-key",
            (json!({ "name": "k", "key": "not a key" }), Answers(422)),
        ),
        ("/api/ssh/remove-key", (json!({ "id": 1 }), Answers(422))),
        (
            "/api/auth/audit",
            (
                json!({ "filter": { "actor": "", "action": "", "workspace": "" } }),
                Own,
            ),
        ),
        ("/api/auth/users", (json!({}), Forbidden)),
        (
            "/api/auth/create-user",
            (
                json!({ "name": "eve", "password": "long enough pw", "role": "Admin" }),
                Forbidden,
            ),
        ),
        (
            "/api/auth/disable-user",
            (json!({ "name": OWNER, "disabled": true }), Forbidden),
        ),
        (
            "/api/auth/reset-password",
            (
                json!({ "name": OWNER, "password": "long enough pw" }),
                Forbidden,
            ),
        ),
        (
            "/api/auth/set-role",
            (json!({ "name": OWNER, "role": "Member" }), Forbidden),
        ),
    ])
}

/// Pages: path (with `{owner}` and `{name}` filled in) and what a stranger gets.
fn pages() -> HashMap<&'static str, Stranger> {
    use Stranger::*;
    HashMap::from([
        ("/", Own),
        ("/sign-in", Own),
        ("/setup", Own),
        ("/account", Own),
        ("/admin/users", Own),
        ("/admin/audit", Own),
        ("/admin/templates", Own),
        ("/workspaces/{owner}/{name}", Own),
        ("/workspaces/{owner}/{name}/agent/{run}", Own),
    ])
}

/// Plain routes and what a stranger gets; most take no body.
fn plain() -> HashMap<(&'static str, Method), Stranger> {
    use Stranger::*;
    HashMap::from([
        ((app::wire::CHAT, Method::POST), NotFound),
        (("/api/events", Method::GET), Answers(200)),
        (("/api/health", Method::GET), Answers(200)),
        // Not a WebSocket request: refused before any SSH is spoken.
        ((app::wire::SSH_TUNNEL, Method::GET), Answers(400)),
        (("/api/usage", Method::GET), NotFound),
        // Which template's build to follow is missing.
        ((app::wire::TEMPLATE_BUILD, Method::GET), Answers(400)),
        (("/metrics", Method::GET), Forbidden),
        (("/api/files/download", Method::GET), NotFound),
        (("/api/files/upload", Method::PUT), NotFound),
        (("/api/files/export", Method::GET), NotFound),
        (("/api/files/unpack", Method::PUT), NotFound),
        ((app::wire::CREATION_EVENTS, Method::GET), NotFound),
        // Their own upload, of nothing: refused as no archive.
        ((app::wire::CREATION_UPLOADS, Method::PUT), Answers(422)),
        (("/mcp/{owner}/{workspace}", Method::GET), NotFound),
        (("/mcp/{owner}/{workspace}", Method::POST), NotFound),
        (("/mcp/{owner}/{workspace}", Method::DELETE), NotFound),
        (
            ("/api/agent/{owner}/{workspace}/{run}/events", Method::GET),
            NotFound,
        ),
        (
            (
                "/api/agent/{owner}/{workspace}/{run}/transcript",
                Method::GET,
            ),
            NotFound,
        ),
        (
            ("/ws/terminal/{owner}/{workspace}/{terminal}", Method::GET),
            NotFound,
        ),
        (
            ("/workspaces/{owner}/{name}/ports/{*port}", Method::GET),
            NotFound,
        ),
        (
            (
                "/ws/terminal/{owner}/{workspace}/{terminal}",
                Method::DELETE,
            ),
            NotFound,
        ),
    ])
    .into_iter()
    .chain(
        // A preview answers any method; a grant that is not one is no preview.
        aicockpit::http::route_table::ANY_METHOD
            .iter()
            .map(|method| (("/previews/{*grant}", method.clone()), NotFound)),
    )
    .collect()
}

/// The body a plain route reads, naming the workspace.
fn plain_body(path: &str, workspace: &str) -> Option<Value> {
    (path == app::wire::CHAT).then(
        || json!({ "workspace": workspace, "messages": [{ "role": "user", "content": "hi" }] }),
    )
}

fn fill(path: &str, workspace: &str, creation: &str) -> String {
    let name = workspace.split_once('/').map_or(workspace, |(_, n)| n);
    path.replace("{creation}", creation)
        .replace("{owner}", OWNER)
        .replace("{name}", name)
        .replace("{workspace}", name)
        .replace("{terminal}", "main")
        .replace("{run}", "0123abcd")
        .replace("{*port}", "8000/x")
        .replace("{*grant}", "00.00/x")
}

fn is_unauthenticated(body: &str) -> bool {
    serde_json::from_str::<AppError>(body).is_ok_and(|e| e == AppError::Unauthenticated)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_route_refuses_strangers() {
    let (app, name) = memory_app_with_workspace("routes").await;
    let workspace = reference(&name).to_string();
    let made = app
        .call("create", app.create_request(&unique_name("made")))
        .await;
    let creation = made.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stranger = app.member("mallory").await;
    // Never follow redirects: where a page sends an anonymous visitor is part of the check.
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // Server functions, as registered with the router.
    let expected = server_functions();
    let mut checked = 0;
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        let Some((body, outcome)) = expected.get(path) else {
            panic!(
                "{path} has no entry in the route-table test: add one with its expected refusals"
            );
        };
        assert_eq!(method, Method::POST, "{path}");
        assert!(
            required(&method, path).is_some() || is_public(path),
            "{path} needs a scope in http::scopes"
        );
        let body: Value = serde_json::from_str(
            &body
                .to_string()
                .replace("\"W\"", &format!("\"{workspace}\""))
                .replace("\"C\"", &format!("\"{creation}\"")),
        )
        .unwrap();
        let url = format!("{}{path}", app.base);
        let response = anonymous
            .post(&url)
            .header("origin", &app.base)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        if is_public(path) {
            assert!(
                !is_unauthenticated(&text),
                "{path} is public: {status} {text}"
            );
        } else {
            assert_eq!(status, 401, "{path} answered anonymously: {text}");
            assert!(is_unauthenticated(&text), "{path}: {text}");
        }
        let response = stranger.post(&url).json(&body).send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        match outcome {
            Stranger::Own => {
                assert_eq!(status, 200, "{path}: {text}");
                assert!(
                    !text.contains(name.as_str()),
                    "{path} leaked {name}: {text}"
                );
            }
            other => assert_eq!(status, other.status(), "{path}: {text}"),
        }
        checked += 1;
    }
    assert!(
        checked >= expected.len() - 1,
        "fewer server functions than expected"
    );

    // Pages, from the same list the router gets.
    let listed = aicockpit::http::page_paths();
    let pages = pages();
    for path in &listed {
        let Some(outcome) = pages.get(path.as_str()) else {
            panic!("page {path} has no entry in the route-table test");
        };
        let url = format!("{}{}", app.base, fill(path, &workspace, &creation));
        let response = anonymous.get(&url).send().await.unwrap();
        if is_public(path) {
            assert_eq!(response.status(), 200, "{path}");
        } else {
            assert_eq!(response.status(), 303, "{path} rendered for nobody");
            let location = response.headers()["location"].to_str().unwrap().to_owned();
            assert!(
                location.starts_with("/sign-in?next="),
                "{path} → {location}"
            );
        }
        let html = stranger
            .get(&url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if *outcome == Stranger::Own && path.contains("{name}") {
            // The IDE page renders, but every call it makes for the workspace is refused
            // (checked above); the page itself must not list the owner's files.
            assert!(!html.contains("a.txt"), "{path}");
        }
    }
    assert_eq!(listed.len(), pages.len(), "a page entry is stale");

    // Plain routes, from the table the router is built from.
    let expected = plain();
    for route in plain_routes() {
        for method in route.methods {
            let Some(outcome) = expected.get(&(route.path, method.clone())) else {
                panic!(
                    "{method} {} has no entry in the route-table test",
                    route.path
                );
            };
            let filled = fill(route.path, &workspace, &creation);
            assert!(
                required(method, &filled).is_some() || is_public(route.path),
                "{method} {} needs a scope in http::scopes",
                route.path
            );
            let url = format!(
                "{}{}?workspace={workspace}&path=a",
                app.base,
                fill(route.path, &workspace, &creation)
            );
            let body = plain_body(route.path, &workspace);
            let request = |client: &reqwest::Client| {
                let request = client
                    .request(method.clone(), &url)
                    .header("origin", &app.base);
                match &body {
                    Some(body) => request.json(body),
                    None => request.header("content-length", "0"),
                }
            };
            let response = request(&anonymous).send().await.unwrap();
            let for_programs = ["/api/", "/ws/", "/mcp/", "/metrics"]
                .iter()
                .any(|p| route.path.starts_with(p));
            if is_public(route.path) {
                assert_eq!(
                    response.status(),
                    outcome.status(),
                    "{method} {} is public",
                    route.path
                );
            } else if !for_programs {
                // Opened in a browser tab: sent to sign in, and back.
                assert_eq!(response.status(), 303, "{method} {}", route.path);
                let location = response.headers()["location"].to_str().unwrap();
                assert!(location.starts_with("/sign-in?next="), "{location}");
            } else {
                assert_eq!(
                    response.status(),
                    401,
                    "{method} {} answered anonymously",
                    route.path
                );
            }
            if route.path == "/api/events" {
                continue; // an endless stream; its content is only "changed"
            }
            let response = request(&stranger).send().await.unwrap();
            assert_eq!(
                response.status(),
                outcome.status(),
                "{method} {}",
                route.path
            );
        }
    }
}
