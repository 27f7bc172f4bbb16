//! Live resource use of running workspaces. A workspace is followed (one stats stream from
//! the runtime) only while some page watches it, and its last samples are kept so a page
//! that opens gets a chart at once. Watching is not using: it never keeps a workspace awake.

mod sample;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use app::model::{UsageSample, HISTORY};
use futures::StreamExt;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::runtime::ContainerRuntime;
use crate::sync::Unpoisoned;

/// A new sample of the workspace with this id.
pub type Sampled = (String, UsageSample);

pub struct UsageMonitor {
    runtime: Arc<dyn ContainerRuntime>,
    followed: Mutex<HashMap<String, Followed>>,
    samples: broadcast::Sender<Sampled>,
}

struct Followed {
    container: String,
    history: VecDeque<UsageSample>,
    watchers: usize,
    task: JoinHandle<()>,
}

/// Keeps a workspace followed while it lives.
pub struct Watch {
    monitor: Arc<UsageMonitor>,
    workspace: String,
    container: String,
}

impl UsageMonitor {
    pub fn new(runtime: Arc<dyn ContainerRuntime>) -> Arc<Self> {
        Arc::new(Self {
            runtime,
            followed: Mutex::default(),
            samples: broadcast::channel(1024).0,
        })
    }

    pub fn samples(&self) -> broadcast::Receiver<Sampled> {
        self.samples.subscribe()
    }

    /// Follows the workspace `id`, running in `container`, until the watch is dropped;
    /// returns the samples already known.
    pub fn watch(self: &Arc<Self>, id: &str, container: &str) -> (Watch, Vec<UsageSample>) {
        let mut followed = self.lock();
        let entry = followed.entry(id.to_owned()).or_insert_with(|| Followed {
            container: container.to_owned(),
            history: VecDeque::with_capacity(HISTORY),
            watchers: 0,
            task: self.follow(id, container),
        });
        if entry.container != container {
            // Re-created: the old container's samples say nothing about this one.
            entry.task.abort();
            entry.container = container.to_owned();
            entry.history.clear();
            entry.task = self.follow(id, container);
        }
        entry.watchers += 1;
        let history = entry.history.iter().copied().collect();
        let watch = Watch {
            monitor: self.clone(),
            workspace: id.to_owned(),
            container: container.to_owned(),
        };
        (watch, history)
    }

    fn follow(self: &Arc<Self>, id: &str, container: &str) -> JoinHandle<()> {
        let (monitor, id) = (self.clone(), id.to_owned());
        let mut readings = self.runtime.resource_readings(container);
        tokio::spawn(async move {
            let mut last = None;
            while let Some(reading) = readings.next().await {
                let reading = match reading {
                    Ok(reading) => reading,
                    Err(e) => {
                        tracing::debug!(workspace = %id, error = %e, "resource readings ended");
                        break;
                    }
                };
                if let Some(sample) = last.and_then(|last| sample::between(&last, &reading)) {
                    monitor.record(&id, sample);
                }
                last = Some(reading);
            }
        })
    }

    fn record(&self, id: &str, sample: UsageSample) {
        if let Some(followed) = self.lock().get_mut(id) {
            if followed.history.len() == HISTORY {
                followed.history.pop_front();
            }
            followed.history.push_back(sample);
        }
        // Nobody listening is fine: the last page closed meanwhile.
        let _ = self.samples.send((id.to_owned(), sample));
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Followed>> {
        self.followed.locked()
    }
}

impl Watch {
    pub fn container(&self) -> &str {
        &self.container
    }

    /// Follows again if the readings ended (the container stopped and started again).
    pub fn renew(&self) {
        let mut followed = self.monitor.lock();
        if let Some(entry) = followed.get_mut(&self.workspace) {
            if entry.task.is_finished() && entry.container == self.container {
                entry.task = self.monitor.follow(&self.workspace, &self.container);
            }
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let mut followed = self.monitor.lock();
        if let Some(entry) = followed.get_mut(&self.workspace) {
            entry.watchers -= 1;
            if entry.watchers == 0 {
                entry.task.abort();
                followed.remove(&self.workspace);
            }
        }
    }
}
