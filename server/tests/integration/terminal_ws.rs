//! The browser's side of a terminal: a WebSocket carrying raw bytes and control messages.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

use crate::helpers::*;

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// A WebSocket request to `url` with the test admin's token.
fn request(app: &TestApp, url: &str) -> Request {
    let mut request = url.into_client_request().unwrap();
    let token = format!("Bearer {}", app.token).parse().unwrap();
    request.headers_mut().insert("authorization", token);
    request
}

async fn open(app: &TestApp, url: &str) -> Socket {
    connect_async(request(app, url))
        .await
        .expect("the WebSocket opens")
        .0
}

/// Reads frames until the binary output contains `wanted` or a text frame says `wanted`;
/// returns the last 64 KiB seen (floods stay cheap to search and to print).
async fn expect(socket: &mut Socket, wanted: &str) -> String {
    const WINDOW: usize = 64 * 1024;
    let mut seen = String::new();
    let found = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(Ok(frame)) = socket.next().await {
            match frame {
                Message::Binary(bytes) => seen.push_str(&String::from_utf8_lossy(&bytes)),
                Message::Text(text) => seen.push_str(&text),
                _ => {}
            }
            if seen.contains(wanted) {
                return;
            }
            if seen.len() > 2 * WINDOW {
                let cut = seen.ceil_char_boundary(seen.len() - WINDOW);
                seen.drain(..cut);
            }
        }
    })
    .await;
    let tail = &seen[seen.floor_char_boundary(seen.len().saturating_sub(500))..];
    assert!(
        found.is_ok() && seen.contains(wanted),
        "{wanted:?} never came; the output ended with {tail:?}"
    );
    seen
}

#[tokio::test(flavor = "multi_thread")]
async fn a_browser_terminal_types_resizes_and_reattaches() {
    let (app, name, _cleanup) = app_with_workspace("ws").await;
    let path = app.terminal_url(&name, "main");

    let mut socket = open(&app, &path).await;
    socket
        .send(Message::Text(
            r#"{"type":"resize","rows":30,"cols":100}"#.into(),
        ))
        .await
        .unwrap();
    socket
        .send(Message::Binary(
            "echo in-''ws; stty size\n".as_bytes().to_vec().into(),
        ))
        .await
        .unwrap();
    expect(&mut socket, "30 100").await;
    socket.close(None).await.unwrap();

    // A reload: the same session, with its earlier output replayed first.
    let mut again = open(&app, &path).await;
    expect(&mut again, "in-ws").await;

    // A shell that exits by itself is reported as such.
    again
        .send(Message::Binary(b"exit\n".to_vec().into()))
        .await
        .unwrap();
    expect(&mut again, r#"{"type":"exit"}"#).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_workspace_is_explained_in_the_terminal() {
    let (app, name, _cleanup) = app_with_workspace("wsstop").await;
    let mut socket = open(&app, &app.terminal_url(&name, "main")).await;
    socket
        .send(Message::Binary(b"echo ready\n".to_vec().into()))
        .await
        .unwrap();
    expect(&mut socket, "ready").await;

    // Stopping the workspace ends the shell: the terminal is told why.
    assert_eq!(app.call("stop", app.target(&name)).await.status(), 200);
    expect(&mut socket, "is not running. Start it from the dashboard").await;

    // Reopening while stopped says what to do.
    let mut reopened = open(&app, &app.terminal_url(&name, "main")).await;
    expect(&mut reopened, "is not running. Start it from the dashboard").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_names_are_refused_before_upgrading() {
    let (app, name) = memory_app_with_workspace("names").await;
    let bad_terminal = format!("/ws/terminal/tester/{name}/..%2Fx");
    for (path, status) in [
        ("/ws/terminal/tester/Bad_Name/main", 422),
        (bad_terminal.as_str(), 422),
        // Whoever may not see a workspace learns nothing else of the request.
        ("/ws/terminal/tester/absent/..%2Fx", 404),
    ] {
        let url = format!("{}{path}", app.base.replacen("http://", "ws://", 1));
        match connect_async(request(&app, &url)).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status().as_u16(), status, "{path}")
            }
            other => panic!("{path}: expected a refusal, got {:?}", other.map(|_| ())),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_viewer_is_redrawn_while_others_keep_up() {
    let (app, name, _cleanup) = app_with_workspace("wsslow").await;
    let path = app.terminal_url(&name, "flood");
    let mut slow = open(&app, &path).await;
    let mut fast = open(&app, &path).await;
    slow.send(Message::Binary(
        "yes flood | head -c 8000000; echo flood-''done\n"
            .as_bytes()
            .to_vec()
            .into(),
    ))
    .await
    .unwrap();
    // The fast viewer sees the end while the slow one has not read a byte.
    expect(&mut fast, "flood-done").await;
    // The slow one is told to clear, then gets the scrollback with the end in it.
    expect(&mut slow, r#"{"type":"reset"}"#).await;
    expect(&mut slow, "flood-done").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn closing_a_terminal_ends_its_session() {
    let (app, name, _cleanup) = app_with_workspace("wsclose").await;
    let path = app.terminal_url(&name, "tab2");
    let mut other = open(&app, &app.terminal_url(&name, "other")).await;
    let mut socket = open(&app, &path).await;
    socket
        .send(Message::Binary(
            "sleep 1234 & echo before-''close shell=$$ end-''pid\n"
                .as_bytes()
                .to_vec()
                .into(),
        ))
        .await
        .unwrap();
    let seen = expect(&mut socket, " end-pid").await;
    let pid = seen
        .rsplit_once("before-close shell=")
        .and_then(|(_, rest)| rest.split_once(" end-pid"))
        .map(|(pid, _)| pid.to_owned())
        .expect("the shell printed its pid");
    let closed = app
        .client
        .delete(path.replacen("ws://", "http://", 1))
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status(), 204);
    expect(&mut socket, r#"{"type":"exit"}"#).await;
    // The shell process itself is gone from the container, not just detached, and so is what
    // it started.
    let check = format!(
        "if kill -0 {pid} 2>/dev/null || ps -o args | grep -qx 'sleep 1234'; then echo alive; else echo gone; fi"
    );
    let mut state = String::new();
    for _ in 0..50 {
        state = exec(&name, &["sh", "-c", &check]).await;
        if state.trim() == "gone" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state.trim(), "gone", "shell {pid} still runs");
    // Another terminal of the same workspace is untouched.
    other
        .send(Message::Binary(
            "echo still-''here\n".as_bytes().to_vec().into(),
        ))
        .await
        .unwrap();
    expect(&mut other, "still-here").await;

    let mut fresh = open(&app, &path).await;
    fresh
        .send(Message::Binary(
            "echo fresh-''one\n".as_bytes().to_vec().into(),
        ))
        .await
        .unwrap();
    let seen = expect(&mut fresh, "fresh-one").await;
    assert!(!seen.contains("before-close"), "{seen:?}");
}
