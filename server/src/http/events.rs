//! The live-update event stream (`wire::EVENTS`): what changed, sent to whoever may see it.

use std::convert::Infallible;
use std::sync::Arc;

use app::auth::Actor;
use axum::extract::{Extension, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_util::sync::CancellationToken;

use crate::access::policy::Action;
use crate::access::Resolver;
use crate::auth::{AuthManager, Credential};
use crate::files::FileManager;

/// Server-sent events: one `changed` message per workspace change (a receiver that lagged
/// gets one too; it refetches everything anyway), and a `files` event naming a workspace
/// whose files changed through AiCockpit (an edit, an upload, an agent's write), sent only
/// to users who may see that workspace. The stream ends when the server shuts down or the
/// credential it was opened with stops working.
pub async fn events(
    actor: Actor,
    Extension(credential): Extension<Credential>,
    State(auth): State<Arc<AuthManager>>,
    State(changes): State<broadcast::Sender<()>>,
    State(files): State<Arc<FileManager>>,
    State(resolver): State<Resolver>,
    State(shutdown): State<CancellationToken>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let lifecycle =
        BroadcastStream::new(changes.subscribe()).map(|_| Ok(Event::default().data("changed")));
    let user_id = actor.id;
    let file_changes = BroadcastStream::new(files.changes()).filter_map(move |change| {
        let (actor, resolver) = (actor.clone(), resolver.clone());
        async move {
            let workspace = change.ok()?;
            resolver
                .resolve(&actor, &workspace, Action::View)
                .await
                .ok()?;
            Some(Ok(Event::default()
                .event("files")
                .data(workspace.to_string())))
        }
    });
    // Ends with the server, or with the session or token it was opened with.
    let ended = async move {
        tokio::select! {
            _ = shutdown.cancelled_owned() => {}
            _ = auth.until_ended(&credential, user_id) => {}
        }
    };
    let stream = futures::stream::select(lifecycle, file_changes).take_until(ended);
    Sse::new(stream).keep_alive(KeepAlive::default())
}
