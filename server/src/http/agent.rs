//! A run's plain routes: its live events (server-sent, a snapshot first, ending when the
//! run ends, the server stops, the credential stops working or the watcher loses access) and its whole transcript
//! as JSON for keeping. Both resolve the workspace first: who may not see it gets 404.

use std::convert::Infallible;

use app::agent::AgentEvent;
use app::error::AppError;
use axum::extract::{Extension, Path, State};
use axum::http::header;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::StreamExt;
use tokio_stream::wrappers::BroadcastStream;

use super::state::AppState;
use super::workspace::{InWorkspace, ToView};
use crate::ai::agent::Watching;
use crate::auth::{AccessWatch, Credential};

fn event(event: &AgentEvent) -> Result<Event, Infallible> {
    Ok(Event::default().data(serde_json::to_string(event).unwrap_or_default()))
}

fn is_end(event: &AgentEvent) -> bool {
    matches!(event, AgentEvent::Status { status, .. } if status.is_over())
}

pub async fn events(
    InWorkspace {
        resolved, actor, ..
    }: InWorkspace<ToView>,
    Extension(credential): Extension<Credential>,
    Path((_, _, run)): Path<(String, String, String)>,
    State(state): State<AppState>,
) -> Result<Response, AppError> {
    let (view, events) = match state.agents.watch(&resolved, &run).await? {
        Watching::Over(view) => (view, None),
        Watching::Live(view, events) => (view, Some(events)),
    };
    let snapshot = futures::stream::once(async move {
        AgentEvent::Snapshot {
            run: Box::new(view),
        }
    });
    // A watcher that fell behind is cut off; its page reconnects and gets a new snapshot.
    let live = futures::stream::iter(events)
        .flat_map(BroadcastStream::new)
        .take_while(|event| std::future::ready(event.is_ok()))
        .filter_map(|event| std::future::ready(event.ok()));
    let (auth, shutdown, user_id) = (state.auth.clone(), state.shutdown.clone(), actor.id);
    let lost = AccessWatch::new(
        state.auth.clone(),
        state.resolver.clone(),
        actor,
        credential.clone(),
    )
    .lost(resolved);
    let ended = async move {
        tokio::select! {
            _ = shutdown.cancelled_owned() => {}
            _ = auth.until_ended(&credential, user_id) => {}
            _ = lost => {}
        }
    };
    // Everything up to and including the run's last status.
    let mut over = false;
    let stream = snapshot
        .chain(live)
        .take_while(move |event| {
            let go_on = !over;
            over |= is_end(event);
            std::future::ready(go_on)
        })
        .map(|e| event(&e))
        .take_until(ended);
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// The run with every step, as a JSON file to download.
pub async fn transcript(
    InWorkspace { resolved, .. }: InWorkspace<ToView>,
    Path((_, _, run)): Path<(String, String, String)>,
    State(state): State<AppState>,
) -> Result<Response, AppError> {
    let view = state.agents.view_of(&resolved, &run).await?;
    let name = format!(
        "attachment; filename=\"agent-run-{}.json\"",
        view.summary.id
    );
    Ok(([(header::CONTENT_DISPOSITION, name)], Json(view)).into_response())
}
