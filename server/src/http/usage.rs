//! `GET /api/usage` (server-sent events): the usage of every running workspace the user may
//! see, or of one with `?workspace=owner/name`; an update without samples says a workspace
//! does not run (it stopped, or was not running when the stream began). The followed set is worked out again after a
//! workspace changes (at most once a second, however many changes come), and every ten
//! seconds; the stream ends with the server or with the credential it was opened with.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use app::auth::{Actor, WorkspaceRef};
use app::error::AppError;
use app::model::{ServerCapacity, UsageSample, UsageUpdate};
use axum::extract::{Extension, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;

use crate::access::policy::Action;
use crate::access::{Resolved, Resolver};
use crate::auth::{AuthManager, Credential};
use crate::runtime::{labels, ContainerRuntime, ContainerState};
use crate::usage::{UsageMonitor, Watch};

/// How often the followed set may be checked after changes.
const TICK: Duration = Duration::from_secs(1);
/// Ticks between checks when nothing changed (a share granted, say, sends no event).
const RECHECK_TICKS: u32 = 10;

#[derive(Debug, Deserialize)]
pub struct Params {
    workspace: Option<String>,
}

/// Who is watching what, for one open stream.
struct Watcher {
    actor: Actor,
    only: Option<WorkspaceRef>,
    resolver: Resolver,
    runtime: Arc<dyn ContainerRuntime>,
    monitor: Arc<UsageMonitor>,
    /// Workspace id → its reference (`owner/name`) and the watch.
    watching: HashMap<String, (String, Watch)>,
    /// Workspaces already announced as not running.
    stopped: HashSet<String>,
}

#[allow(clippy::too_many_arguments)]
pub async fn stream(
    actor: Actor,
    Extension(credential): Extension<Credential>,
    Query(params): Query<Params>,
    State(auth): State<Arc<AuthManager>>,
    State(monitor): State<Arc<UsageMonitor>>,
    State(resolver): State<Resolver>,
    State(runtime): State<Arc<dyn ContainerRuntime>>,
    State(changes): State<broadcast::Sender<()>>,
    State(shutdown): State<CancellationToken>,
) -> Response {
    let only = match params.workspace.as_deref().map(WorkspaceRef::parse) {
        Some(Ok(workspace)) => Some(workspace),
        Some(Err(e)) => return e.into_response(),
        None => None,
    };
    let mut watcher = Watcher {
        actor: actor.clone(),
        only,
        resolver,
        runtime: runtime.clone(),
        monitor: monitor.clone(),
        watching: HashMap::new(),
        stopped: HashSet::new(),
    };
    // Refused here, before the stream starts, is a plain error response.
    if let Some(workspace) = &watcher.only {
        if let Err(e) = watcher.resolver.peek(&actor, workspace, Action::View).await {
            return e.into_response();
        }
    }
    let (events, receiver) = mpsc::channel(64);
    let (mut samples, mut changes) = (monitor.samples(), changes.subscribe());
    let user_id = actor.id;
    tokio::spawn(async move {
        if actor.is_admin() && watcher.only.is_none() {
            if let Ok(capacity) = runtime.host_capacity().await {
                let capacity = ServerCapacity {
                    cpus: capacity.cpus,
                    memory_bytes: capacity.memory_bytes,
                };
                let _ = events.send(json_event("capacity", &capacity)).await;
            }
        }
        let mut tick = tokio::time::interval(TICK);
        // Check at the first tick, then when something changed or it is time anyway.
        let (mut changed, mut quiet_ticks) = (true, 0);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    quiet_ticks += 1;
                    if changed || quiet_ticks >= RECHECK_TICKS {
                        (changed, quiet_ticks) = (false, 0);
                        if !watcher.follow(&events).await {
                            break;
                        }
                    }
                }
                change = changes.recv() => match change {
                    Err(broadcast::error::RecvError::Closed) => break,
                    _ => changed = true,
                },
                sampled = samples.recv() => {
                    let (id, sample) = match sampled {
                        Ok(sampled) => sampled,
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(broadcast::error::RecvError::Closed) => break,
                    };
                    if let Some((reference, _)) = watcher.watching.get(&id) {
                        if events.send(update(reference, vec![sample])).await.is_err() {
                            break;
                        }
                    }
                }
                _ = events.closed() => break,
                _ = shutdown.cancelled() => break,
                _ = auth.until_ended(&credential, user_id) => break,
            }
        }
    });
    Sse::new(ReceiverStream::new(receiver))
        .keep_alive(KeepAlive::default())
        .into_response()
}

impl Watcher {
    /// Brings the watches in line with the running workspaces the actor may see, sending
    /// the history of each newly watched one. False when the stream should end.
    async fn follow(&mut self, events: &mpsc::Sender<Result<Event, Infallible>>) -> bool {
        let visible = match self.visible().await {
            Ok(visible) => visible,
            // Access withdrawn: the single workspace is no longer theirs to watch.
            Err(AppError::NotFound(_) | AppError::Forbidden(_)) => return false,
            Err(e) => {
                tracing::debug!(error = %e, "cannot list workspaces to follow");
                return true;
            }
        };
        let running = match self.runtime.list_managed().await {
            Ok(containers) => containers,
            Err(e) => {
                tracing::debug!(error = %e, "cannot list containers to follow");
                return true;
            }
        };
        let running: HashMap<&str, &str> = running
            .iter()
            .filter(|c| c.state == ContainerState::Running)
            .filter_map(|c| Some((c.labels.get(labels::WORKSPACE)?.as_str(), c.id.as_str())))
            .collect();
        let mut still = HashMap::new();
        for Resolved {
            record, reference, ..
        } in visible
        {
            let Some(&container) = running.get(record.id.as_str()) else {
                // Not running (any more): its charts are emptied, once.
                if self.stopped.insert(record.id) {
                    let reference = reference.to_string();
                    if events.send(update(&reference, Vec::new())).await.is_err() {
                        return false;
                    }
                }
                continue;
            };
            self.stopped.remove(&record.id);
            match self.watching.remove(&record.id) {
                Some((reference, watch)) if watch.container() == container => {
                    watch.renew();
                    still.insert(record.id, (reference, watch));
                }
                _ => {
                    let (watch, history) = self.monitor.watch(&record.id, container);
                    let reference = reference.to_string();
                    if events.send(update(&reference, history)).await.is_err() {
                        return false;
                    }
                    still.insert(record.id, (reference, watch));
                }
            }
        }
        // What is left stopped, went away or is no longer shared: unwatched.
        self.watching = still;
        true
    }

    async fn visible(&self) -> Result<Vec<Resolved>, AppError> {
        match &self.only {
            Some(workspace) => Ok(vec![
                self.resolver
                    .peek(&self.actor, workspace, Action::View)
                    .await?,
            ]),
            None => self.resolver.visible(&self.actor).await,
        }
    }
}

fn update(workspace: &str, samples: Vec<UsageSample>) -> Result<Event, Infallible> {
    let update = UsageUpdate {
        workspace: workspace.to_owned(),
        samples,
    };
    json_event("usage", &update)
}

fn json_event(name: &str, data: &impl serde::Serialize) -> Result<Event, Infallible> {
    let data = serde_json::to_string(data).unwrap_or_default();
    Ok(Event::default().event(name).data(data))
}
