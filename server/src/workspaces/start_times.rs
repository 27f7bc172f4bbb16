//! When each running workspace started. Docker's container list does not say, and
//! inspecting every container on every dashboard render costs a call per workspace, so
//! start times are inspected once and kept until the workspace changes: an engine event,
//! or a start or stop made here.

use std::collections::HashMap;
use std::sync::Mutex;

use futures::future::join_all;

use super::WorkspaceManager;
use crate::runtime::{labels, ContainerInfo, ContainerState};
use crate::sync::Unpoisoned;

/// Workspace id → (its container, when that started, Unix seconds).
#[derive(Default)]
pub(super) struct StartTimes(Mutex<HashMap<String, (String, i64)>>);

impl StartTimes {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, i64)>> {
        self.0.locked()
    }
}

impl WorkspaceManager {
    /// The start time of each running container among `containers`, by container id.
    pub(super) async fn start_times(&self, containers: &[&ContainerInfo]) -> HashMap<String, i64> {
        let running: Vec<(&str, &str)> = containers
            .iter()
            .filter(|c| c.state == ContainerState::Running)
            .filter_map(|c| Some((c.labels.get(labels::WORKSPACE)?.as_str(), c.id.as_str())))
            .collect();
        let mut known = HashMap::new();
        let mut unknown = Vec::new();
        {
            let mut cache = self.started.lock();
            cache.retain(|workspace, (container, _)| running.contains(&(workspace, container)));
            for &(workspace, container) in &running {
                match cache.get(workspace) {
                    Some((_, at)) => drop(known.insert(container.to_owned(), *at)),
                    None => unknown.push((workspace, container)),
                }
            }
        }
        let inspected = join_all(unknown.iter().map(|(_, c)| self.runtime.inspect(c))).await;
        let mut cache = self.started.lock();
        for ((workspace, container), details) in unknown.into_iter().zip(inspected) {
            if let Some(at) = details.ok().and_then(|d| d.started_at) {
                cache.insert(workspace.to_owned(), (container.to_owned(), at));
                known.insert(container.to_owned(), at);
            }
        }
        known
    }

    /// Forgets the start time of `workspace` (every workspace's with `None`): it changed.
    pub fn forget_start_time(&self, workspace: Option<&str>) {
        let mut cache = self.started.lock();
        match workspace {
            Some(id) => drop(cache.remove(id)),
            None => cache.clear(),
        }
    }
}
