//! The real server program killed with SIGKILL and started again on the same database:
//! the workspace is still running with its files, and an open terminal reattaches to the
//! same shell, its earlier output replayed; a create or stop cut short is finished, never
//! left half-done.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};

use crate::helpers::*;
use crate::test_app::{bearer_client, entry_of, terminal, type_in, until};

const PROGRAM: &str = env!("CARGO_BIN_EXE_aicockpit");

/// `aicockpit ARGS…` on the test database; its standard output.
async fn run(database: &std::path::Path, args: &[&str], stdin: &str) -> String {
    let mut child = Command::new(PROGRAM)
        .args(args)
        .arg("--database")
        .arg(database)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the program runs");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let output = child.wait_with_output().await.unwrap();
    assert!(output.status.success(), "aicockpit {args:?} failed");
    String::from_utf8(output.stdout).unwrap()
}

/// Serves on a free loopback port until killed; its base URL.
async fn serve(database: &std::path::Path, image: &str) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bind = format!("127.0.0.1:{port}");
    let child = Command::new(PROGRAM)
        .args(["serve", "--bind", &bind, "--default-image", image])
        .arg("--database")
        .arg(database)
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the server starts");
    let base = format!("http://{bind}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while reqwest::get(format!("{base}/api/health")).await.is_err() {
        assert!(Instant::now() < deadline, "the server never answered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (child, base)
}

/// A database with the test admin; their token.
async fn prepare(database: &std::path::Path) -> String {
    run(database, &["user", "add", OWNER, "--admin"], PASSWORD).await;
    let token = run(database, &["user", "token", OWNER], "").await;
    token.trim().lines().last().unwrap().trim().to_owned()
}

fn create_body(name: &app::model::WorkspaceName, image: &str) -> Value {
    json!({ "request": { "name": name.as_str(), "image": image, "cpus": 1.0, "memory_mib": 256 } })
}

/// How many containers carry `name`'s container name.
async fn containers_of(name: &app::model::WorkspaceName) -> usize {
    let filters = std::collections::HashMap::from([("name".to_owned(), vec![container(name)])]);
    let options = bollard::query_parameters::ListContainersOptions {
        all: true,
        filters: Some(filters),
        ..Default::default()
    };
    raw_docker()
        .list_containers(Some(options))
        .await
        .unwrap()
        .len()
}

/// Sends `request` and kills the server `after` it went out: a crash in the middle.
async fn kill_during(server: &mut Child, request: reqwest::RequestBuilder, after: Duration) {
    let sent = tokio::spawn(request.send());
    tokio::time::sleep(after).await;
    server.kill().await.unwrap();
    let _ = sent.await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_server_comes_back_to_the_same_workspace_and_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("app.db");
    let image = test_image().await;
    let token = prepare(&database).await;
    let client = bearer_client(&token);
    let name = unique_name("killed");
    let _cleanup = Cleanup(vec![name.clone()]);

    let (mut server, base) = serve(&database, &image).await;
    let created = workspace_call(&client, &base, "create", create_body(&name, &image)).await;
    assert_eq!(created.status(), 200, "{:?}", created.text().await);
    exec(&name, &["sh", "-c", "echo kept > /workspace/note"]).await;
    let terminal_url = |base: &str| {
        let path = app::terminal::terminal_path(&reference(&name), "main");
        format!("{}{path}", base.replacen("http://", "ws://", 1))
    };
    let mut socket = terminal(&terminal_url(&base), &token).await;
    type_in(
        &mut socket,
        "export MARK=still-$((40+2)); echo before-''kill\n",
    )
    .await;
    until(&mut socket, "before-kill").await;

    server.kill().await.unwrap(); // SIGKILL: no goodbye to anyone
    drop(socket);
    let (_server, base) = serve(&database, &image).await;

    let entry = entry_of(&client, &base, &name).await.expect("still listed");
    assert_eq!(entry["status"], "Running");
    assert_eq!(
        exec(&name, &["cat", "/workspace/note"]).await.trim(),
        "kept"
    );

    let mut socket = terminal(&terminal_url(&base), &token).await;
    until(&mut socket, "before-kill").await; // replayed by the holder
    type_in(&mut socket, "echo mark-is-$MARK\n").await;
    until(&mut socket, "mark-is-still-42").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_or_stop_cut_short_by_a_kill_is_finished_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("app.db");
    let image = test_image().await;
    let client = bearer_client(&prepare(&database).await);
    let (made, stopping) = (unique_name("kill-create"), unique_name("kill-stop"));
    let _cleanup = Cleanup(vec![made.clone(), stopping.clone()]);

    let (mut server, base) = serve(&database, &image).await;
    let created = workspace_call(&client, &base, "create", create_body(&stopping, &image)).await;
    assert_eq!(created.status(), 200);
    // Killed while it creates.
    let create = client.post(format!("{base}/api/workspaces/create"));
    let create = create.json(&create_body(&made, &image));
    kill_during(&mut server, create, Duration::from_millis(60)).await;
    let (mut server, base) = serve(&database, &image).await;
    match entry_of(&client, &base, &made).await {
        Some(entry) => assert_eq!(entry["status"], "Running", "a create is finished"),
        None => assert_eq!(containers_of(&made).await, 0, "or it never began"),
    }
    assert!(
        containers_of(&made).await <= 1,
        "never two containers for one workspace"
    );

    // Killed while it stops.
    let stop = client.post(format!("{base}/api/workspaces/stop"));
    let stop = stop.json(&json!({ "workspace": format!("{OWNER}/{stopping}") }));
    kill_during(&mut server, stop, Duration::from_millis(30)).await;
    let (_server, base) = serve(&database, &image).await;
    let status = entry_of(&client, &base, &stopping).await.expect("listed")["status"].clone();
    let store = aicockpit::store::Store::open(&database).await.unwrap();
    let id = store
        .workspaces()
        .find(&owner(), &stopping)
        .await
        .unwrap()
        .unwrap()
        .id;
    let wanted = store.workspaces().wants_running(&id).await.unwrap();
    assert_eq!(
        status == "Running",
        wanted,
        "it runs exactly when it should ({status})"
    );
}
