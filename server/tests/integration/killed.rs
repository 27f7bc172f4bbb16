//! The real server program killed with SIGKILL and started again on the same database:
//! the workspace is still running with its files, and an open terminal reattaches to the
//! same shell, its earlier output replayed.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};

use crate::helpers::*;
use crate::test_app::{bearer_client, terminal, type_in, until};

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

#[tokio::test]
async fn a_killed_server_comes_back_to_the_same_workspace_and_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("app.db");
    let image = test_image().await;
    run(&database, &["user", "add", OWNER, "--admin"], PASSWORD).await;
    let token = run(&database, &["user", "token", OWNER], "").await;
    let token = token.trim().lines().last().unwrap().trim().to_owned();
    let client = bearer_client(&token);
    let name = unique_name("killed");
    let _cleanup = Cleanup(vec![name.clone()]);

    let (mut server, base) = serve(&database, &image).await;
    let created = client
        .post(format!("{base}/api/workspaces/create"))
        .json(&json!({ "request": { "name": name.as_str(), "image": image, "cpus": 1.0, "memory_mib": 256 } }))
        .send()
        .await
        .unwrap();
    assert!(created.status().is_success(), "{:?}", created.text().await);
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

    let listed: Value = client
        .post(format!("{base}/api/workspaces/list"))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entry = listed["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == name.as_str())
        .expect("still listed");
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
