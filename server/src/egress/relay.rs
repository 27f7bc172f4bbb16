//! One relay per running workspace container: the holder listens on the proxy port inside
//! (`holder egress`) and names each connection it accepts; the relay takes it
//! (`holder egress-take N`, one exec each) and serves the proxy on it. Relays follow the
//! containers: started for each one that runs (at start-up, on the engine's events, and on
//! a slow sweep for anything missed), ended with it, started again if the holder stops.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinHandle;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;

use super::proxy::{self, Judge};
use super::{Egress, PROXY_PORT};
use crate::runtime::channel;
use crate::runtime::{labels, ContainerState, ExecChunk, RuntimeError};
use crate::terminal::holder;

/// How often every container is looked at, besides the engine's events.
const SWEEP: Duration = Duration::from_secs(30);
/// The longest wait before a relay whose holder stopped tries again.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How long a start waits for the proxy inside to listen.
const READY_WAIT: Duration = Duration::from_secs(10);

/// The relay of one container, and whether its listener listens.
pub(super) struct Relay {
    task: JoinHandle<()>,
    listening: watch::Receiver<bool>,
}

impl Egress {
    /// Keeps a relay on every running workspace container until `shutdown`; spawn once.
    pub async fn follow_containers(self: Arc<Self>, shutdown: CancellationToken) {
        let mut events = self.runtime.lifecycle_events();
        let mut sweep = tokio::time::interval(SWEEP);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = sweep.tick() => self.sweep().await,
                event = events.next() => match event {
                    Some(Ok(_)) => self.sweep().await,
                    // The engine went away: its events come back with it.
                    Some(Err(_)) | None => {
                        tokio::time::sleep(Duration::from_secs(2)).await;
                        events = self.runtime.lifecycle_events();
                    }
                },
            }
        }
        for (_, relay) in self.relays().drain() {
            relay.task.abort();
        }
    }

    /// Starts serving `container` (of the workspace `workspace`), which just started,
    /// without waiting: a workspace starts at the engine's speed, and what reaches out at
    /// once waits with [`Egress::ready`].
    pub fn serve(self: &Arc<Self>, container: &str, workspace: &str) {
        drop(self.relay_for(container, workspace));
    }

    /// Returns once `container`'s proxy listens (starting its relay if it has none), so that
    /// what runs next (a clone, a set-up command) can reach out. A proxy that does not come
    /// up in time is logged; the relay keeps trying.
    pub async fn ready(self: &Arc<Self>, container: &str, workspace: &str) {
        let mut listening = self.relay_for(container, workspace);
        let ready = tokio::time::timeout(READY_WAIT, listening.wait_for(|up| *up)).await;
        if !matches!(ready, Ok(Ok(_))) {
            tracing::warn!(%container, "the workspace's egress proxy did not start in time");
        }
    }

    /// The relay of `container`, started when it has none (or its last one ended).
    fn relay_for(self: &Arc<Self>, container: &str, workspace: &str) -> watch::Receiver<bool> {
        let mut relays = self.relays();
        if let Some(relay) = relays.get(container).filter(|r| !r.task.is_finished()) {
            return relay.listening.clone();
        }
        let (up, listening) = watch::channel(false);
        let task = tokio::spawn(
            self.clone()
                .relay(container.to_owned(), workspace.to_owned(), up),
        );
        relays.insert(
            container.to_owned(),
            Relay {
                task,
                listening: listening.clone(),
            },
        );
        listening
    }

    /// Starts a relay on each running container of this server's workspaces that has none
    /// (another server on the same engine serves its own).
    async fn sweep(self: &Arc<Self>) {
        let containers = match self.runtime.list_managed().await {
            Ok(containers) => containers,
            Err(e) => {
                tracing::debug!(error = %e, "egress: cannot list the containers");
                return;
            }
        };
        self.relays().retain(|_, relay| !relay.task.is_finished());
        for container in containers {
            let Some(workspace) = container.labels.get(labels::WORKSPACE) else {
                continue;
            };
            let served = self.relays().contains_key(&container.id);
            if container.state != ContainerState::Running || served {
                continue;
            }
            if matches!(self.workspaces.find_by_id(workspace).await, Ok(Some(_))) {
                self.relay_for(&container.id, workspace);
            }
        }
    }

    /// Runs the holder's listener in `container` for as long as the container runs.
    async fn relay(self: Arc<Self>, container: String, workspace: String, up: watch::Sender<bool>) {
        let mut backoff = Duration::from_secs(1);
        loop {
            let began = tokio::time::Instant::now();
            let ran = self.listen(&container, &workspace, &up).await;
            up.send_replace(false);
            if let Err(e) = ran {
                tracing::debug!(error = %e, %container, "egress listener ended");
            }
            match self.runtime.inspect(&container).await {
                Ok(details) if details.info.state == ContainerState::Running => {}
                _ => return,
            }
            // A listener that ran a good while ended for a reason of its own: try soon.
            if began.elapsed() > MAX_BACKOFF {
                backoff = Duration::from_secs(1);
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// One run of the listener: takes each connection it names, at most as many at once as
    /// the settings allow (the rest wait in the listener, which drops them after a while).
    async fn listen(
        self: &Arc<Self>,
        container: &str,
        workspace: &str,
        up: &watch::Sender<bool>,
    ) -> Result<(), RuntimeError> {
        self.holder.install(container).await?;
        // Held open while this runs: the listener ends when its stdin does.
        let (_keep_open, stdin) = mpsc::channel::<std::io::Result<Bytes>>(1);
        let spec = holder::run(&["egress", &PROXY_PORT.to_string()]);
        let process = self
            .runtime
            .exec(container, &spec, Some(ReceiverStream::new(stdin).boxed()))
            .await?;
        let limit = Arc::new(Semaphore::new(self.settings.connections));
        let judge = self.judge_for(workspace);
        let mut output = process.output;
        let mut line = Vec::new();
        while let Some(chunk) = output.next().await {
            let ExecChunk::Stdout(bytes) = chunk? else {
                continue;
            };
            for byte in bytes {
                if byte != b'\n' {
                    line.push(byte);
                    continue;
                }
                let said = String::from_utf8_lossy(&std::mem::take(&mut line)).into_owned();
                let Ok(id) = said.parse::<u64>() else {
                    if said == "ready" {
                        up.send_replace(true);
                    }
                    continue;
                };
                let Ok(permit) = limit.clone().acquire_owned().await else {
                    continue;
                };
                let (this, container, judge) = (self.clone(), container.to_owned(), judge.clone());
                tokio::spawn(async move {
                    let spec = holder::run(&["egress-take", &id.to_string()]);
                    match channel::open(this.runtime.as_ref(), &container, &spec).await {
                        Ok(connection) => proxy::serve(connection, judge).await,
                        Err(e) => {
                            tracing::debug!(error = %e, "an outbound connection was not taken")
                        }
                    }
                    drop(permit);
                });
            }
        }
        Ok(())
    }

    fn judge_for(self: &Arc<Self>, workspace: &str) -> Judge {
        let (this, workspace) = (self.clone(), workspace.to_owned());
        Arc::new(move |host, port| {
            let (this, workspace) = (this.clone(), workspace.clone());
            Box::pin(async move { this.judge(&workspace, &host, port).await })
        })
    }
}
