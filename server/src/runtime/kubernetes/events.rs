//! Lifecycle events from a watch on the workspace Pods: every change to one is a change to
//! its workspace; a restart after the kernel killed it for memory is an OOM kill; a Pod
//! that ended (evicted, its node gone) or went away without AiCockpit deleting it is lost,
//! for the services to start again if it should run.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use futures::stream::{BoxStream, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::watcher;
use kube::Api;

use super::api::map_error;
use super::spec;
use crate::runtime::{labels, LifecycleEvent, LifecycleKind, RuntimeError};
use crate::sync::Unpoisoned;

/// The Pods AiCockpit is deleting, so that their going away is not taken for a loss.
#[derive(Clone, Default)]
pub struct Deleting(Arc<Mutex<HashSet<String>>>);

impl Deleting {
    pub fn begin(&self, pod: &str) {
        self.lock().insert(pod.to_owned());
    }

    /// Forgets `pod`; whether it was being deleted by AiCockpit.
    pub fn end(&self, pod: &str) -> bool {
        self.lock().remove(pod)
    }

    fn contains(&self, pod: &str) -> bool {
        self.lock().contains(pod)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.0.locked()
    }
}

/// What the watch remembers of each Pod: restarts seen (one OOM kill is reported once),
/// and whether its loss was reported.
#[derive(Default)]
struct Seen {
    restarts: HashMap<String, i32>,
    lost: HashSet<String>,
    deleting: Deleting,
}

pub fn watch(
    pods: Api<Pod>,
    address: String,
    deleting: Deleting,
) -> BoxStream<'static, Result<LifecycleEvent, RuntimeError>> {
    let config = watcher::Config::default().labels(&spec::managed_selector());
    let mut seen = Seen {
        deleting,
        ..Seen::default()
    };
    watcher(pods, config)
        .filter_map(move |event| {
            let event = match event {
                Ok(watcher::Event::Apply(pod) | watcher::Event::InitApply(pod)) => {
                    Some(Ok(lifecycle_event(&pod, &mut seen, false)))
                }
                Ok(watcher::Event::Delete(pod)) => Some(Ok(lifecycle_event(&pod, &mut seen, true))),
                Ok(watcher::Event::Init | watcher::Event::InitDone) => None,
                // The watch's resource version expired: the watcher lists again by itself.
                Err(watcher::Error::WatchError(status)) if status.code == 410 => None,
                Err(e) => Some(Err(map_error(&address, kube::Error::Service(Box::new(e))))),
            };
            async move { event }
        })
        .boxed()
}

fn lifecycle_event(pod: &Pod, seen: &mut Seen, deleted: bool) -> LifecycleEvent {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let status = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|s| s.iter().find(|s| s.name == spec::CONTAINER));
    let count = status.map_or(0, |s| s.restart_count);
    let before = if deleted {
        seen.restarts.remove(&name)
    } else {
        seen.restarts.insert(name.clone(), count)
    };
    let out_of_memory = status.and_then(|s| {
        s.last_state
            .as_ref()?
            .terminated
            .as_ref()?
            .reason
            .as_deref()
    }) == Some("OOMKilled");
    let ended = matches!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Failed" | "Succeeded")
    );
    let kind = if deleted {
        let ours = seen.deleting.end(&name);
        // An ended Pod was reported lost when it ended.
        let reported = seen.lost.remove(&name);
        match ours || reported {
            true => LifecycleKind::Changed,
            false => LifecycleKind::Lost,
        }
    } else if ended && !seen.deleting.contains(&name) && seen.lost.insert(name) {
        LifecycleKind::Lost
    } else if out_of_memory && before.is_some_and(|b| b < count) {
        LifecycleKind::OutOfMemory
    } else {
        LifecycleKind::Changed
    };
    let workspace = pod
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(labels::WORKSPACE).cloned());
    LifecycleEvent { workspace, kind }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{
        ContainerState, ContainerStateTerminated, ContainerStatus, PodStatus,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use std::collections::BTreeMap;

    fn pod(restart_count: i32, last: Option<&str>) -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some("aicockpit-ada.web".into()),
                labels: Some(BTreeMap::from([(
                    labels::WORKSPACE.to_owned(),
                    "w1".to_owned(),
                )])),
                ..Default::default()
            },
            status: Some(PodStatus {
                container_statuses: Some(vec![ContainerStatus {
                    name: spec::CONTAINER.into(),
                    restart_count,
                    last_state: last.map(|reason| ContainerState {
                        terminated: Some(ContainerStateTerminated {
                            reason: Some(reason.into()),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn an_oom_kill_is_reported_once_and_names_its_workspace() {
        let mut seen = Seen::default();
        let first = lifecycle_event(&pod(0, None), &mut seen, false);
        assert_eq!(
            first,
            LifecycleEvent {
                workspace: Some("w1".into()),
                kind: LifecycleKind::Changed
            }
        );
        let killed = lifecycle_event(&pod(1, Some("OOMKilled")), &mut seen, false);
        assert_eq!(killed.kind, LifecycleKind::OutOfMemory);
        let again = lifecycle_event(&pod(1, Some("OOMKilled")), &mut seen, false);
        assert_eq!(
            again.kind,
            LifecycleKind::Changed,
            "the same kill, seen again"
        );
        let crashed = lifecycle_event(&pod(2, Some("Error")), &mut seen, false);
        assert_eq!(crashed.kind, LifecycleKind::Changed);
        seen.deleting.begin("aicockpit-ada.web");
        let gone = lifecycle_event(&pod(2, Some("OOMKilled")), &mut seen, true);
        assert_eq!(gone.kind, LifecycleKind::Changed, "deleted by AiCockpit");
        assert!(seen.restarts.is_empty() && !seen.deleting.contains("aicockpit-ada.web"));
    }

    #[test]
    fn a_pod_that_ends_or_goes_away_unasked_is_lost_once() {
        let mut seen = Seen::default();
        lifecycle_event(&pod(0, None), &mut seen, false);
        let mut evicted = pod(0, None);
        evicted.status.as_mut().unwrap().phase = Some("Failed".into());
        evicted.status.as_mut().unwrap().reason = Some("Evicted".into());
        let lost = lifecycle_event(&evicted, &mut seen, false);
        assert_eq!(
            lost,
            LifecycleEvent {
                workspace: Some("w1".into()),
                kind: LifecycleKind::Lost
            }
        );
        assert_eq!(
            lifecycle_event(&evicted, &mut seen, false).kind,
            LifecycleKind::Changed
        );
        assert_eq!(
            lifecycle_event(&evicted, &mut seen, true).kind,
            LifecycleKind::Changed,
            "reported when it ended"
        );

        // Deleted by someone else (a node drain) while running.
        lifecycle_event(&pod(0, None), &mut seen, false);
        assert_eq!(
            lifecycle_event(&pod(0, None), &mut seen, true).kind,
            LifecycleKind::Lost
        );

        // AiCockpit's own stop: its Pod ending on the way is no loss either.
        seen.deleting.begin("aicockpit-ada.web");
        assert_eq!(
            lifecycle_event(&evicted, &mut seen, false).kind,
            LifecycleKind::Changed
        );
        assert_eq!(
            lifecycle_event(&evicted, &mut seen, true).kind,
            LifecycleKind::Changed
        );
    }
}
