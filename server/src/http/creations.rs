//! A workspace's creation, followed as server-sent events (`wire::CREATION_EVENTS`: a
//! `view` event first and after each change, a `line` for each line of output, ending with
//! the view of how it ended), and an archive sent ahead of a creation that starts with it
//! (`wire::CREATION_UPLOADS`, answered with the upload's id).

use std::convert::Infallible;
use std::sync::Arc;

use app::auth::Actor;
use app::error::AppError;
use app::model::CreationEvent;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::Response;
use axum::Json;
use futures::{Stream, StreamExt};
use tokio_stream::wrappers::{BroadcastStream, WatchStream};
use tokio_util::sync::CancellationToken;

use super::sse::until_last;
use crate::creation::{Creations, Following};

fn event(creation: &CreationEvent) -> Result<Event, Infallible> {
    let data = serde_json::to_string(creation).unwrap_or_default();
    Ok(Event::default().event(creation.kind()).data(data))
}

fn is_last(creation: &CreationEvent) -> bool {
    matches!(creation, CreationEvent::View(view) if view.state.is_over())
}

pub async fn follow(
    actor: Actor,
    State(creations): State<Arc<Creations>>,
    State(shutdown): State<CancellationToken>,
    Path(creation): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let events = match creations.follow(&actor, &creation).await? {
        Following::Over(view) => futures::stream::iter([CreationEvent::View(view)]).boxed(),
        Following::Running { past, views, lines } => {
            // The first view is in `past` already.
            let views = WatchStream::from_changes(views).map(CreationEvent::View);
            let lines = BroadcastStream::new(lines)
                .filter_map(|line| async move { line.ok().map(CreationEvent::Line) });
            futures::stream::iter(past)
                .chain(futures::stream::select(views, lines))
                .boxed()
        }
    };
    // Ends right after the view of how it ended, or with the server.
    let stream = until_last(events, is_last, event).take_until(shutdown.cancelled_owned());
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

pub async fn upload(
    actor: Actor,
    State(creations): State<Arc<Creations>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    super::files::receive(headers, body, |size, body| async move {
        creations
            .uploads()
            .receive(&actor, size, body)
            .await
            .map(Json)
    })
    .await
}
