//! `GET /api/templates/build?template=<id>`: a template's build as server-sent events
//! (`line`, then `done` or `failed`, each with a [`BuildEvent`] as JSON). A template that is
//! built answers `done` at once; one that is neither built nor building, `failed`. A
//! repository's build is followed only by those who may use its workspace (its log shows
//! what its steps printed).

use std::convert::Infallible;
use std::sync::Arc;

use app::auth::Actor;
use app::error::AppError;
use app::model::BuildEvent;
use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;

use super::sse::until_last;
use crate::templates::Templates;
use app::service::TemplateService;

#[derive(serde::Deserialize)]
pub struct Followed {
    template: String,
}

fn event(build: &BuildEvent) -> Result<Event, Infallible> {
    let data = serde_json::to_string(build).unwrap_or_default();
    Ok(Event::default().event(build.kind()).data(data))
}

pub async fn follow(
    actor: Actor,
    State(templates): State<Arc<Templates>>,
    Query(Followed { template }): Query<Followed>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    templates.may_follow(&actor, &template).await?;
    let (past, rest): (Vec<BuildEvent>, _) = match templates.builds().of(&template) {
        Some(build) => {
            let (past, rest) = build.follow();
            (past, Some(rest))
        }
        None => {
            let ready = templates
                .templates(&actor)
                .await
                .ok()
                .and_then(|all| all.into_iter().find(|t| t.id == template));
            let end = match ready {
                Some(info) if info.ready => BuildEvent::Done { image: info.image },
                Some(_) => BuildEvent::Failed {
                    step: None,
                    message: "this template is not being built; build it first".into(),
                },
                None => BuildEvent::Failed {
                    step: None,
                    message: format!("there is no template “{template}”"),
                },
            };
            (vec![end], None)
        }
    };
    let over = past
        .last()
        .is_some_and(|e| !matches!(e, BuildEvent::Line { .. }));
    let rest = match (over, rest) {
        (false, Some(rest)) => BroadcastStream::new(rest)
            .filter_map(|e| async move { e.ok() })
            .boxed(),
        _ => futures::stream::empty().boxed(),
    };
    let is_last = |build: &BuildEvent| !matches!(build, BuildEvent::Line { .. });
    let stream = until_last(futures::stream::iter(past).chain(rest), is_last, event);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
