//! The HTTP surface of the running server: server functions with their status codes,
//! health, and Docker being down.

use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread")]
async fn server_functions_drive_the_whole_lifecycle() {
    let app = spawn_memory_app().await;
    let name = unique_name("http");
    let _cleanup = Cleanup(vec![name.clone()]);
    let request = app.create_request(&name);

    let created = app.call("create", request.clone()).await;
    assert_eq!(created.status(), 200);
    let creation: Value = created.json().await.unwrap();
    assert_eq!(creation["workspace"], reference(&name).to_string());
    assert_eq!(
        app.status_of(&name).await,
        "Running",
        "running when answered"
    );

    let taken = app.call("create", request).await;
    assert_eq!(taken.status(), 409);
    let error: Value = taken.json().await.unwrap();
    assert_eq!(error["NameTaken"], name.as_str());

    assert_eq!(app.call("stop", app.target(&name)).await.status(), 200);
    assert_eq!(app.status_of(&name).await, "Stopped");

    assert_eq!(app.call("start", app.target(&name)).await.status(), 200);
    assert_eq!(
        app.call(
            "delete",
            json!({ "workspace": reference(&name).to_string(), "keep_volume": false })
        )
        .await
        .status(),
        200
    );
    assert_eq!(app.call("stop", app.target(&name)).await.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_input_is_rejected_with_a_field_error() {
    let app = spawn_memory_app().await;
    let bad = json!({ "request": { "name": "Bad_Name", "image": app.image, "cpus": 1.0, "memory_mib": 512 } });
    let response = app.call("create", bad).await;
    assert_eq!(response.status(), 422);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["Invalid"]["field"], "Name");

    let bad_limits = json!({ "request": { "name": "fine", "image": app.image, "cpus": 1000.0, "memory_mib": 512 } });
    let response = app.call("create", bad_limits).await;
    assert_eq!(response.status(), 422);

    // Something that is not an image name never reaches Docker as one.
    let option = json!({ "request": { "name": "fine", "image": "--privileged", "cpus": 1.0, "memory_mib": 512 } });
    let response = app.call("create", option).await;
    assert_eq!(response.status(), 422);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["Invalid"]["field"], "Image");

    let malformed = app
        .call("start", json!({ "workspace": "tester/../etc" }))
        .await;
    // The reference does not decode: the request itself is unreadable.
    assert_eq!(malformed.status(), 400);
    let error: Value = malformed.json().await.unwrap();
    assert!(
        error["BadRequest"]
            .as_str()
            .unwrap()
            .contains("lowercase letters"),
        "says why: {error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unreadable_requests_are_the_clients_mistake() {
    let app = spawn_memory_app().await;
    let not_json = app
        .client
        .post(format!("{}/api/workspaces/create", app.base))
        .header("content-type", "application/json")
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
    let error: Value = not_json.json().await.unwrap();
    assert!(error["BadRequest"].is_string(), "{error}");

    let missing_argument = app.call("stop", json!({})).await;
    assert_eq!(missing_argument.status(), 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_is_server_rendered() {
    let (app, name) = memory_app_with_workspace("ssr").await;

    let page = app.get("/").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("New workspace"));
    assert!(
        html.contains(name.as_str()),
        "the list is in the first HTML, before any script runs"
    );
    let missing = app.get("/no/such/page").await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn docker_down_gives_503_with_the_address_and_the_fix() {
    let address = "unix:///nonexistent/docker.sock";
    let app = spawn_app_on(docker_backend(address), "img".into()).await;

    let health = app.get("/api/health").await;
    assert_eq!(health.status(), 503);
    let body: Value = health.json().await.unwrap();
    assert_eq!(body["error"]["EngineUnavailable"]["address"], address);
    // Anyone may ask whether it is up; only a signed-in user learns where Docker is.
    let anonymous = reqwest::get(format!("{}/api/health", app.base))
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 503);
    let body = anonymous.text().await.unwrap();
    assert!(!body.contains(address), "{body}");

    let list = app.call("list", json!({})).await;
    assert_eq!(list.status(), 503);
    let error: Value = list.json().await.unwrap();
    assert_eq!(error["EngineUnavailable"]["address"], address);
    assert_eq!(error["EngineUnavailable"]["engine"], "Docker");

    let page = app.get("/").await;
    assert_eq!(
        page.status(),
        200,
        "the page itself works and explains the outage"
    );
    let page = page.text().await.unwrap();
    assert!(
        page.contains("Docker is not reachable"),
        "the page shows the outage banner"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn health_is_ok_when_docker_answers() {
    let app = spawn_app().await;
    let health = app.get("/api/health").await;
    assert_eq!(health.status(), 200);
}
