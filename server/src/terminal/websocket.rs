//! `GET /ws/terminal/{workspace}/{terminal}`: a browser terminal on a hub session.
//! Binary frames carry raw terminal bytes both ways; text frames carry control messages:
//! `{"type":"resize","rows":R,"cols":C}` from the browser; `{"type":"exit"}`,
//! `{"type":"error","message":…}` and `{"type":"reset"}` (clear the screen: the scrollback
//! follows, for a viewer that fell behind) from the server.
//! `DELETE` on the same path ends the session (its tab was closed).

use std::time::Duration;

use app::error::AppError;
use app::model::WorkspaceName;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;

use super::TerminalHub;
use crate::runtime::{RuntimeError, TtySpec};
use crate::workspaces::{container_name, MOUNT_PATH};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Control {
    Resize { rows: u16, cols: u16 },
    Exit,
    Error { message: String },
    Reset,
}

/// Starts bash when the image has it, else sh; a login shell in the workspace.
pub fn shell_spec(user: &str) -> TtySpec {
    TtySpec {
        command: vec![
            "/bin/sh".into(),
            "-c".into(),
            "if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi".into(),
        ],
        user: user.to_owned(),
        working_dir: MOUNT_PATH.to_owned(),
        env: vec!["TERM=xterm-256color".into(), "LANG=C.UTF-8".into()],
    }
}

fn valid_terminal_id(id: &str) -> bool {
    (1..=32).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

pub async fn terminal(
    ws: WebSocketUpgrade,
    Path((workspace, terminal)): Path<(String, String)>,
    State(hub): State<TerminalHub>,
) -> Response {
    let name = match WorkspaceName::parse(&workspace) {
        Ok(name) if valid_terminal_id(&terminal) => name,
        Ok(_) => {
            return (axum::http::StatusCode::BAD_REQUEST, "invalid terminal id").into_response()
        }
        Err(e) => return (e.status_code(), e.to_string()).into_response(),
    };
    ws.on_upgrade(move |socket| serve(socket, hub, name, terminal))
}

/// Ends a terminal session; `204` whether or not it was still running.
pub async fn close(
    Path((workspace, terminal)): Path<(String, String)>,
    State(hub): State<TerminalHub>,
) -> axum::http::StatusCode {
    if valid_terminal_id(&terminal) {
        hub.close(&format!("{workspace}/{terminal}"));
    }
    axum::http::StatusCode::NO_CONTENT
}

async fn serve(socket: WebSocket, hub: TerminalHub, name: WorkspaceName, terminal: String) {
    let (mut to_browser, mut from_browser) = socket.split();
    let key = format!("{name}/{terminal}");
    let mut attachment = match hub
        .attach(&key, &container_name(&name), &shell_spec(hub.user()))
        .await
    {
        Ok(attachment) => attachment,
        Err(e) => {
            let message = explain(&name, e);
            let _ = to_browser.send(control(&Control::Error { message })).await;
            let _ = to_browser.close().await;
            return;
        }
    };
    // Take the receiver positioned right after the replay; the attachment stays alive (and
    // the viewer counted) until this function returns.
    let replay = std::mem::take(&mut attachment.replay);
    let fresh = attachment.output.resubscribe();
    let mut output = std::mem::replace(&mut attachment.output, fresh);

    let (resync_hub, resync_key) = (hub.clone(), key.clone());
    let (end_hub, end_name, end_exec) = (hub.clone(), name.clone(), attachment.exec_id.clone());
    let mut sending = tokio::spawn(async move {
        if !replay.is_empty()
            && to_browser
                .send(Message::Binary(replay.into()))
                .await
                .is_err()
        {
            return;
        }
        loop {
            match output.recv().await {
                Ok(chunk) => {
                    if to_browser.send(Message::Binary(chunk)).await.is_err() {
                        return;
                    }
                }
                // This viewer fell behind (nobody waits for it): redraw it from the
                // scrollback and carry on live from there.
                Err(RecvError::Lagged(_)) => {
                    let Some((replay, fresh)) = resync_hub.resync(&resync_key) else {
                        continue;
                    };
                    output = fresh;
                    let reset = to_browser.send(control(&Control::Reset)).await;
                    let redraw = to_browser.send(Message::Binary(replay.into())).await;
                    if reset.is_err() || redraw.is_err() {
                        return;
                    }
                }
                Err(RecvError::Closed) => {
                    let _ = to_browser
                        .send(control(&ended(&end_hub, &end_name, &end_exec).await))
                        .await;
                    let _ = to_browser.close().await;
                    return;
                }
            }
        }
    });
    let input = attachment.input.clone();
    let exec_id = attachment.exec_id.clone();
    let resize_hub = hub.clone();
    let mut receiving = tokio::spawn(async move {
        while let Some(Ok(message)) = from_browser.next().await {
            let open = match message {
                Message::Binary(keys) => input.send(keys).await.is_ok(),
                Message::Text(text) => {
                    if let Ok(Control::Resize { rows, cols }) = serde_json::from_str(&text) {
                        if let Err(e) = resize_hub.resize(&exec_id, rows, cols).await {
                            tracing::debug!(error = %e, "terminal resize failed");
                        }
                    }
                    true
                }
                Message::Close(_) => false,
                _ => true,
            };
            if !open {
                return;
            }
        }
    });
    tokio::select! {
        _ = &mut sending => receiving.abort(),
        _ = &mut receiving => sending.abort(),
    }
    drop(attachment);
}

/// What the terminal shows when its shell is gone: the shell exited by itself, or the
/// workspace stopped or disappeared under it (the shell then dies of a signal, status ≥ 128,
/// a moment before Docker reports the container stopped).
async fn ended(hub: &TerminalHub, name: &WorkspaceName, exec_id: &str) -> Control {
    if hub.exit_code(exec_id).await.is_some_and(|code| code < 128) {
        return Control::Exit;
    }
    for _ in 0..10 {
        match hub.container_running(&container_name(name)).await {
            Ok(true) => tokio::time::sleep(Duration::from_millis(200)).await,
            Ok(false) => {
                let message = explain(name, RuntimeError::Conflict(String::new()));
                return Control::Error { message };
            }
            Err(e @ RuntimeError::NotFound(_)) => {
                return Control::Error {
                    message: explain(name, e),
                }
            }
            Err(_) => break,
        }
    }
    Control::Exit
}

fn control(message: &Control) -> Message {
    Message::Text(serde_json::to_string(message).unwrap_or_default().into())
}

/// What the terminal shows when it cannot open.
fn explain(name: &WorkspaceName, error: RuntimeError) -> String {
    match error {
        RuntimeError::Conflict(_) => {
            format!("Workspace {name} is not running. Start it from the dashboard, then reopen this terminal.")
        }
        RuntimeError::NotFound(_) => {
            format!("Workspace {name} has no container. It may have been deleted.")
        }
        other => AppError::from(other).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_messages_have_a_stable_shape() {
        let resize: Control =
            serde_json::from_str(r#"{"type":"resize","rows":24,"cols":80}"#).unwrap();
        assert_eq!(resize, Control::Resize { rows: 24, cols: 80 });
        assert_eq!(
            serde_json::to_string(&Control::Exit).unwrap(),
            r#"{"type":"exit"}"#
        );
    }

    #[test]
    fn terminal_ids_are_short_and_plain() {
        assert!(valid_terminal_id("main-1"));
        assert!(!valid_terminal_id(""));
        assert!(!valid_terminal_id("../x"));
        assert!(!valid_terminal_id(&"a".repeat(33)));
    }
}
