//! `GET /api/ssh/tunnel`: the SSH protocol carried over a WebSocket on AiCockpit's own origin
//! (so through TLS and reverse proxies, with no other port open), for `aicockpit proxy` as
//! an SSH client's `ProxyCommand`. Only API tokens open it (the command-line client holds
//! one); inside, SSH signs in as usual, and only as the token's own user.

use app::auth::{Actor, Via};
use app::error::AppError;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

use super::state::AppState;

/// What one read of the SSH side may carry in a WebSocket message.
const CHUNK: usize = 32 * 1024;

pub async fn tunnel(
    actor: Actor,
    State(state): State<AppState>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, AppError> {
    if !matches!(actor.via, Via::Token(_)) {
        return Err(AppError::Forbidden(
            "The SSH tunnel is for the command-line client: run `aicockpit login` and use `aicockpit ssh`.".into(),
        ));
    }
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return Ok(rejection.into_response()),
    };
    let (ours, theirs) = tokio::io::duplex(4 * CHUNK);
    state.ssh.serve_stream(
        theirs,
        actor.address,
        Some(actor.id),
        state.shutdown.clone(),
        &state.tasks,
    );
    let tasks = state.tasks.clone();
    Ok(ws.on_upgrade(move |socket| tasks.track_future(carry(socket, ours))))
}

/// Carries bytes both ways until either side ends.
async fn carry(socket: WebSocket, ssh: DuplexStream) {
    let (mut to_client, mut from_client) = socket.split();
    let (mut from_ssh, mut to_ssh) = tokio::io::split(ssh);
    let upstream = async {
        while let Some(Ok(message)) = from_client.next().await {
            let bytes = match message {
                Message::Binary(bytes) => bytes,
                Message::Close(_) => break,
                _ => continue,
            };
            if to_ssh.write_all(&bytes).await.is_err() {
                break;
            }
        }
        let _ = to_ssh.shutdown().await;
    };
    let downstream = async {
        let mut buffer = vec![0u8; CHUNK];
        loop {
            match from_ssh.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let message = Message::Binary(buffer[..n].to_vec().into());
                    if to_client.send(message).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to_client.close().await;
    };
    tokio::select! {
        _ = upstream => {}
        _ = downstream => {}
    }
}
