//! `GET /ws/terminal/{owner}/{workspace}/{terminal}`: a browser terminal on a hub session,
//! in the wire protocol of `app::terminal`. The workspace is resolved for the signed-in
//! actor first (someone else's is 404 before any upgrade); viewers watch but their
//! keystrokes and resizes never reach the shell. When the user's access changes while the
//! terminal is open (a share revoked or changed, the account disabled) it follows at once:
//! closed with the reason, or typing allowed or refused from then on.
//! `DELETE` on the same path ends the session (its tab was closed).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use app::error::AppError;
use app::terminal::Control;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use super::state::AppState;
use super::workspace::{InWorkspace, ToUse, ToView};
use crate::access::{Hold, Resolved};
use crate::auth::{AccessWatch, Credential};
use crate::runtime::RuntimeError;
use crate::terminal::{shell_spec, Ending, TerminalHub};

/// The terminal a path names (after its workspace).
fn terminal_id((_, _, terminal): (String, String, String)) -> Result<String, AppError> {
    match crate::terminal::valid_id(&terminal) {
        true => Ok(terminal),
        false => Err(AppError::invalid(
            app::error::Field::Name,
            "A terminal id has 1 to 32 letters, digits or hyphens.",
        )),
    }
}

/// The hub's key of a terminal: workspace ids, unlike names, are never reused.
fn session_key(resolved: &Resolved, terminal: &str) -> String {
    format!("{}/{terminal}", resolved.record.id)
}

/// Resolves before looking at the upgrade: whoever may not see the workspace gets 404,
/// whatever else their request says.
pub async fn terminal(
    InWorkspace {
        resolved, actor, ..
    }: InWorkspace<ToView>,
    Extension(credential): Extension<Credential>,
    Path(path): Path<(String, String, String)>,
    State(state): State<AppState>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, AppError> {
    let terminal = terminal_id(path)?;
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return Ok(rejection.into_response()),
    };
    let detail = Some(format!("terminal {terminal}"));
    state
        .audit
        .record(&actor, "terminal-open", Some(&resolved.reference), detail)
        .await;
    let viewer = Viewer {
        can_type: Arc::new(AtomicBool::new(resolved.access.can_use())),
        watch: AccessWatch::new(
            state.auth.clone(),
            state.resolver.clone(),
            actor,
            credential,
        ),
        in_use: state.resolver.activity().hold(&resolved.record.id),
    };
    let (tasks, shutdown) = (state.tasks.clone(), state.shutdown.clone());
    Ok(ws.on_upgrade(move |socket| {
        tasks.track_future(serve(
            socket,
            state.terminals,
            resolved,
            terminal,
            viewer,
            shutdown,
        ))
    }))
}

/// Ends a terminal session; `204` whether or not it was still running.
pub async fn close(
    InWorkspace {
        resolved, actor, ..
    }: InWorkspace<ToUse>,
    Path(path): Path<(String, String, String)>,
    State(state): State<AppState>,
) -> Result<StatusCode, AppError> {
    let terminal = terminal_id(path)?;
    state.terminals.close(&session_key(&resolved, &terminal));
    let detail = Some(format!("terminal {terminal}"));
    state
        .audit
        .record(&actor, "terminal-close", Some(&resolved.reference), detail)
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Who is at the other end, what they may do, and how they learn that it changed.
struct Viewer {
    /// Read by the receiving half for every key; changed when a share changes.
    can_type: Arc<AtomicBool>,
    watch: AccessWatch,
    /// An open terminal keeps the workspace from stopping for want of use.
    in_use: Hold,
}

async fn serve(
    socket: WebSocket,
    hub: TerminalHub,
    workspace: Resolved,
    terminal: String,
    viewer: Viewer,
    shutdown: CancellationToken,
) {
    let key = session_key(&workspace, &terminal);
    let (mut to_browser, mut from_browser) = socket.split();
    let name = workspace.reference.to_string();
    let attached = match workspace.container() {
        // Viewers watch what others opened; a shell nobody may type into helps no one.
        Ok(_) if !viewer.can_type.load(Ordering::Relaxed) && !hub.is_open(&key) => Err(format!(
            "Nobody has this terminal open. As a viewer of {name} you watch the terminals its owner and editors open."
        )),
        Ok(container) => hub
            .attach(&key, container, &terminal, &shell_spec(hub.user()))
            .await
            .map_err(|e| explain(&name, e)),
        Err(e) => Err(e.to_string()),
    };
    let mut attachment = match attached {
        Ok(attachment) => attachment,
        Err(message) => {
            let _ = to_browser.send(control(&Control::Error { message })).await;
            let _ = to_browser.close().await;
            return;
        }
    };
    // Take the receiver positioned right after the replay; the attachment stays alive (and
    // the viewer counted) until this function returns.
    let replay = std::mem::take(&mut attachment.replay);
    let mut output = attachment.take_output();

    let (resync_hub, resync_key) = (hub.clone(), key.clone());
    let container = workspace.record.container_id.clone().unwrap_or_default();
    let (end_hub, ending) = (hub.clone(), attachment.ending.clone());
    let Viewer {
        can_type,
        mut watch,
        in_use,
    } = viewer;
    let user = watch.actor().name.as_str();
    let (in_workspace, mut present) = hub.presence().join(&workspace.record.id, user);
    let (in_terminal, mut attached) = hub.presence().join(&key, user);
    let typing = can_type.clone();
    let mut sending = tokio::spawn(async move {
        // One future for the whole connection: made again on every turn of the loop, it
        // would drop an access change it had already taken from the channel whenever
        // output arrived while it rechecked the account.
        let lost_access = async move {
            loop {
                match watch.changed(&workspace).await {
                    Ok(access) => typing.store(access.can_use(), Ordering::Relaxed),
                    Err(why) => return why,
                }
            }
        };
        tokio::pin!(lost_access);
        if !replay.is_empty()
            && to_browser
                .send(Message::Binary(replay.into()))
                .await
                .is_err()
        {
            return;
        }
        loop {
            let next = tokio::select! {
                next = output.recv() => next,
                Ok(users) = present.recv() => {
                    if to_browser.send(control(&Control::Presence { users })).await.is_err() {
                        return;
                    }
                    continue;
                }
                Ok(users) = attached.recv() => {
                    if to_browser.send(control(&Control::Attached { users })).await.is_err() {
                        return;
                    }
                    continue;
                }
                _ = shutdown.cancelled() => {
                    // "Going away": the page reconnects once the server is back.
                    let close = CloseFrame {
                        code: close_code::AWAY,
                        reason: "AiCockpit is restarting".into(),
                    };
                    let _ = to_browser.send(Message::Close(Some(close))).await;
                    return;
                }
                message = &mut lost_access => {
                    let _ = to_browser.send(control(&Control::Error { message })).await;
                    let _ = to_browser.close().await;
                    return;
                }
            };
            match next {
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
                    let ending = ending.borrow().clone();
                    let end = ended(&end_hub, &name, &container, ending).await;
                    let _ = to_browser.send(control(&end)).await;
                    let _ = to_browser.close().await;
                    return;
                }
            }
        }
    });
    let input = attachment.input.clone();
    let mut receiving = tokio::spawn(async move {
        while let Some(Ok(message)) = from_browser.next().await {
            let open = match message {
                // A viewer watches: their keys and window size never reach the shell.
                Message::Binary(_) | Message::Text(_) if !can_type.load(Ordering::Relaxed) => true,
                Message::Binary(keys) => input.keys(&keys).await,
                Message::Text(text) => match serde_json::from_str(&text) {
                    Ok(Control::Resize { rows, cols }) => input.resize(rows, cols).await,
                    _ => true,
                },
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
    drop((in_workspace, in_terminal, in_use));
}

/// What the terminal shows when its shell is gone: the shell exited by itself, the holder
/// could not start it, or the workspace stopped or disappeared under it (the connection then
/// ends without a status, or the shell dies of a signal, a moment before Docker reports the
/// container stopped).
async fn ended(hub: &TerminalHub, name: &str, container: &str, ending: Option<Ending>) -> Control {
    match ending {
        Some(Ending::Exited(code)) if code < 128 => return Control::Exit,
        Some(Ending::Failed(reason)) => {
            let message = format!("The terminal could not start in {name}: {reason}");
            return Control::Error { message };
        }
        _ => {}
    }
    for _ in 0..10 {
        match hub.container_running(container).await {
            Ok(true) => tokio::time::sleep(Duration::from_millis(200)).await,
            Ok(false) => {
                let message = explain(name, RuntimeError::NotRunning(String::new()));
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

/// What the terminal shows when it cannot open: the error every other route gives.
fn explain(name: &str, error: RuntimeError) -> String {
    crate::error::exec_failed(&name)(error).to_string()
}
